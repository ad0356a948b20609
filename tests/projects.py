"""Helpers for the pipeline's tests: the fixture projects, and running a stage as CI does.

A module with a name of its own (not ``conftest``), so that tests import from it plainly.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts"
PACKAGES = ROOT / "tests" / "packages"
#: Every fixture project, by a short name: the example and the ones under tests/packages/.
FIXTURES = {
    "tumor": ROOT / "model",
    "multiclass": PACKAGES / "multiclass",
    "regressor": PACKAGES / "regressor",
    "categorical": PACKAGES / "categorical",
    "own-dependency": PACKAGES / "own-dependency",
    "weak": PACKAGES / "weak-model",
}
#: Every training in the tests stamps this date, so that trainings can be compared.
EPOCH = "1700000000"
SECRET_PREFIXES = ("NEXUS_", "TWINE_")


def copy_project(source: str | Path, dest: Path) -> Path:
    """A copy of a fixture project's sources (nothing it wrote) at ``dest``."""
    source = FIXTURES.get(str(source), Path(source))
    ignore = shutil.ignore_patterns(".wheelwright", "__pycache__", ".pytest_cache", "environment.json")
    return Path(shutil.copytree(source, dest, ignore=ignore))


def environment(**extra: str) -> dict[str, str]:
    """This process's environment without credentials or Actions' variables, plus ``extra``."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith((*SECRET_PREFIXES, "GITHUB_", "WHEELWRIGHT_"))}
    return {"SOURCE_DATE_EPOCH": EPOCH, **env, **extra}


def stage(name: str, *args: str | Path, env: dict[str, str] | None = None,
          cwd: Path | None = None, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run ``scripts/<name>.py`` as a process, as the pipeline and CI do."""
    return subprocess.run([sys.executable, str(SCRIPTS / f"{name}.py"), *map(str, args)],
                          capture_output=True, text=True, cwd=cwd,
                          env=environment() if env is None else env, timeout=timeout)


def write_project(root: Path, train: str, *, table: str = 'version = "0.1.0"\ngate = { accuracy = 0.5 }',
                  project: str = 'name = "tiny-model"\ndescription = "A model for a test."') -> Path:
    """A small model project written from strings: ``train.py`` and ``pyproject.toml``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(f"[project]\n{project}\n\n[tool.wheelwright]\n{table}\n",
                                         encoding="utf-8")
    (root / "train.py").write_text(train, encoding="utf-8")
    return root


#: A train.py for write_project: a small, fast, real classifier on the iris data.
IRIS = '''
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split


def train():
    X, y = load_iris(return_X_y=True, as_frame=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
    return LogisticRegression(max_iter=500).fit(X_train, y_train), X_test, y_test
'''
