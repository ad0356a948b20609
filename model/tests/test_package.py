"""The package as a whole: a cheap import, and docstring examples that run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from model_project import Trained

HEAVY = ("sklearn", "numpy", "scipy", "joblib", "pandas")


def python(code: str, src: Path) -> str:
    """Run `code` in a fresh interpreter that imports the package from `src`; return stdout."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=src, check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_import_loads_neither_scikit_learn_nor_numpy(trained: Trained) -> None:
    code = f"""
import json, sys
import tumor_classifier
clf = tumor_classifier.Classifier()
print(json.dumps([sorted({{m.split(".")[0] for m in sys.modules}} & set({HEAVY!r})), clf.classes]))
"""
    loaded, classes = json.loads(python(code, trained.root / "src"))
    assert loaded == []  # not even after reading the metadata
    assert classes == ["benign", "malignant"]


def test_predicting_needs_no_pandas(trained: Trained) -> None:
    # pandas is optional: block it (scikit-learn imports it when it can), then predict.
    code = """
import sys

class NoPandas:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "pandas":
            raise ImportError("pandas is not installed here")

sys.meta_path.insert(0, NoPandas())
import tumor_classifier
print(tumor_classifier.Classifier().predict([[15.0] * 30]).tolist())
"""
    assert python(code, trained.root / "src").strip() in ("['benign']", "['malignant']")


def test_docstring_examples_run(trained: Trained) -> None:
    code = """
import doctest, importlib
failed = 0
for name in ("tumor_classifier", "tumor_classifier._classifier"):
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted, name
    failed += result.failed
print(failed)
"""
    assert python(code, trained.root / "src").strip() == "0"
