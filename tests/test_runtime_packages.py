"""Model packages for the run-time tests, built once per session (no tests of its own).

Each scenario fits a small real scikit-learn model, dumps it with joblib into a package
folder, writes a ``manifest.json`` as docs/contract.md describes it, copies
``scripts/_runtime`` in as ``<package>/_runtime`` and writes a generated-style
``__init__.py`` and ``__main__.py``, so that the tests import each package the way its
users do: ``import rt_binary; rt_binary.predict(X)``. All packages sit in one folder,
:data:`Built.site`, which the tests put on ``sys.path`` (or ``PYTHONPATH``).

| package          | estimator                                        | input     | allow_nan |
|------------------|--------------------------------------------------|-----------|-----------|
| rt_binary        | StandardScaler + LogisticRegression, str labels  | array     | no        |
| rt_multiclass    | RandomForestClassifier on wine, int labels       | dataframe | yes (tag) |
| rt_regressor     | Ridge on diabetes                                | array     | no        |
| rt_categorical   | OneHotEncoder + StandardScaler + LogisticRegression | dataframe | no     |
| rt_imputed       | SimpleImputer + LogisticRegression, int labels   | array     | yes       |
| rt_imputed_frame | SimpleImputers inside a ColumnTransformer        | dataframe | yes       |
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pytest
import sklearn

ROOT = Path(__file__).resolve().parent.parent
RUNTIME = ROOT / "scripts" / "_runtime"
HEAVY = ("numpy", "sklearn", "scipy", "joblib", "pandas")


@dataclass(frozen=True)
class Built:
    """One built model package and what it was made from."""

    package: str
    site: Path  # the folder holding the package: put it on sys.path
    manifest: dict[str, Any]
    estimator: Any  # the fitted estimator, as it was before joblib.dump
    X: Any  # hold-out rows in the form the estimator was fitted on (array or DataFrame)
    y: Any

    @property
    def package_dir(self) -> Path:
        return self.site / self.package

    @property
    def names(self) -> list[str]:
        return [feature["name"] for feature in self.manifest["features"]]

    def module(self) -> Any:
        """The package, imported in this process from :attr:`site`."""
        import importlib

        if str(self.site) not in sys.path:
            sys.path.insert(0, str(self.site))
        return importlib.import_module(self.package)

    def frame(self, rows: Any = None) -> pd.DataFrame:
        """`rows` (default: :attr:`X`) as a DataFrame with the feature names as columns."""
        rows = self.X if rows is None else rows
        return rows.copy() if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows, columns=self.names)

    def copy_model(self, dest: Path) -> Path:
        """A private copy of the model file and manifest in `dest`, free to damage."""
        dest.mkdir(parents=True, exist_ok=True)
        for name in ("model.joblib", "manifest.json"):
            shutil.copy2(self.package_dir / name, dest / name)
        return dest


# --- The scenarios ----------------------------------------------------------------------------

def _binary() -> tuple[Any, Any, Any, Any, Any]:
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    data = load_breast_cancer()
    y = data.target_names[data.target]  # "malignant", "benign": string labels
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    return model, data.data[::2], y[::2], data.data[1::2][:40], y[1::2][:40]


def _multiclass() -> tuple[Any, Any, Any, Any, Any]:
    from sklearn.datasets import load_wine
    from sklearn.ensemble import RandomForestClassifier

    data = load_wine(as_frame=True)
    X, y = data.data, data.target  # integer labels 0, 1, 2
    model = RandomForestClassifier(n_estimators=15, random_state=0)
    return model, X.iloc[::2], y.iloc[::2], X.iloc[1::2].iloc[:40], y.iloc[1::2].iloc[:40]


def _regressor() -> tuple[Any, Any, Any, Any, Any]:
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import Ridge

    X, y = load_diabetes(return_X_y=True)
    return Ridge(alpha=0.5), X[::2], y[::2], X[1::2][:40], y[1::2][:40]


def synthetic_frame(n: int, seed: int, missing: bool = False) -> tuple[pd.DataFrame, np.ndarray]:
    """Rows of mixed columns (strings between numbers) and a yes/no label that depends on them."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "colour": rng.choice(["red", "green", "blue"], n),
        "age": rng.integers(18, 80, n),
        "city": rng.choice(["Oslo", "Lima", "Pune", "Kobe"], n),
        "income": rng.normal(50.0, 12.0, n).round(2),
        "member": rng.random(n) < 0.3,
    })
    score = (frame["income"] - 50) / 12 + (frame["colour"] == "red") * 1.5 - (frame["city"] == "Lima") \
        + frame["member"] * 0.8 + rng.normal(0, 0.7, n)
    y = np.where(score > 0.2, "yes", "no")
    if missing:
        frame["colour"] = frame["colour"].where(rng.random(n) > 0.1)
        frame["income"] = frame["income"].where(rng.random(n) > 0.1)
    return frame, y


def _categorical() -> tuple[Any, Any, Any, Any, Any]:
    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    model = make_pipeline(
        make_column_transformer(
            (OneHotEncoder(handle_unknown="ignore"), ["colour", "city"]),
            (StandardScaler(), ["age", "income", "member"]),
        ),
        LogisticRegression(),
    )
    X, y = synthetic_frame(400, 0)
    X_test, y_test = synthetic_frame(40, 1)
    return model, X, y, X_test, y_test


def _imputed() -> tuple[Any, Any, Any, Any, Any]:
    from sklearn.datasets import load_breast_cancer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load_breast_cancer(return_X_y=True)
    X = X[:, :6].copy()
    X[np.random.default_rng(0).random(X.shape) < 0.05] = np.nan
    model = make_pipeline(SimpleImputer(), StandardScaler(), LogisticRegression())
    return model, X[::2], y[::2], X[1::2][:40], y[1::2][:40]


def _imputed_frame() -> tuple[Any, Any, Any, Any, Any]:
    from sklearn.compose import make_column_transformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    model = make_pipeline(
        make_column_transformer(
            (make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")),
             ["colour", "city"]),
            (make_pipeline(SimpleImputer(), StandardScaler()), ["age", "income", "member"]),
        ),
        LogisticRegression(),
    )
    X, y = synthetic_frame(400, 2, missing=True)
    X_test, y_test = synthetic_frame(40, 3, missing=True)
    return model, X, y, X_test, y_test


#: package name -> (make the model and data, allow_nan when the estimator's tags understate it)
SCENARIOS: dict[str, tuple[Callable[[], tuple[Any, Any, Any, Any, Any]], bool | None]] = {
    "rt_binary": (_binary, None),
    "rt_multiclass": (_multiclass, None),
    "rt_regressor": (_regressor, None),
    "rt_categorical": (_categorical, None),
    # scikit-learn 1.9's Pipeline does not pass its first step's allow_nan tag on.
    "rt_imputed": (_imputed, True),
    "rt_imputed_frame": (_imputed_frame, True),
}


# --- Building a package -----------------------------------------------------------------------

def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def describe(estimator: Any) -> str:
    name = type(estimator).__name__
    if hasattr(estimator, "steps"):
        return f"{name}({', '.join(describe(step) for _, step in estimator.steps)})"
    if hasattr(estimator, "transformers"):
        return f"{name}({', '.join(describe(t) for _, t, _ in estimator.transformers if not isinstance(t, str))})"
    return name


def features_of(X: Any) -> tuple[str, list[dict[str, str]]]:
    if isinstance(X, pd.DataFrame):
        return "dataframe", [
            {"name": str(name), "kind": "number" if X[name].dtype.kind in "biuf" else "string",
             "dtype": str(X[name].dtype)}
            for name in X.columns
        ]
    return "array", [{"name": f"x{j}", "kind": "number", "dtype": str(X.dtype)} for j in range(X.shape[1])]


def write_manifest(path: Path, manifest: dict[str, Any]) -> None:
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(package: str, site: Path) -> Built:
    """Fit scenario `package` and write it as an importable package into `site`."""
    from sklearn.base import is_classifier

    make, allow_nan = SCENARIOS[package]
    estimator, X_train, y_train, X_test, y_test = make()
    estimator.fit(X_train, y_train)
    form, features = features_of(X_train)
    task = "classification" if is_classifier(estimator) else "regression"
    methods = [m for m in ("predict", "predict_proba", "decision_function") if hasattr(estimator, m)]
    dest = site / package
    dest.mkdir(parents=True)
    joblib.dump(estimator, dest / "model.joblib")
    manifest: dict[str, Any] = {
        "name": package.replace("_", "-"),
        "package": package,
        "version": "1.2.0",
        "description": f"A test model ({package}) for wheelwright's run-time code.",
        "created": "2023-11-14",
        "task": task,
        "estimator": describe(estimator),
        "params": {},
        "features": features,
        "input": form,
        "allow_nan": bool(estimator.__sklearn_tags__().input_tags.allow_nan) if allow_nan is None else allow_nan,
        "methods": methods,
        "target": "target",
        "metrics": {},
        "gate": {},
        "holdout": {"rows": len(y_test), "sha256": "0" * 64},
        "data": {"dataset": "synthetic"},
        "model_file": "model.joblib",
        "sha256": sha256(dest / "model.joblib"),
        "size": (dest / "model.joblib").stat().st_size,
        "versions": {"python": platform.python_version(), "scikit-learn": sklearn.__version__,
                     "numpy": np.__version__, "joblib": joblib.__version__},
        "requires": [f"scikit-learn=={sklearn.__version__}"],
    }
    if task == "classification":
        manifest["classes"] = [_plain(c) for c in estimator.classes_.tolist()]
        if len(manifest["classes"]) == 2:
            manifest["positive_class"] = manifest["classes"][-1]
    write_manifest(dest / "manifest.json", manifest)
    shutil.copytree(RUNTIME, dest / "_runtime", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (dest / "__init__.py").write_text(init_module(manifest), encoding="utf-8")
    (dest / "__main__.py").write_text(MAIN_MODULE, encoding="utf-8")
    (dest / "py.typed").write_text("", encoding="utf-8")
    (dest / "MODEL_CARD.md").write_text(f"# {manifest['name']}\n", encoding="utf-8")
    return Built(package, site, manifest, estimator, X_test, np.asarray(y_test))


def init_module(manifest: dict[str, Any]) -> str:
    """The generated ``__init__.py``, as the train stage writes it."""
    names = ["Model", "ModelError", "ModelIntegrityError", "ModelVersionError", "metadata", "predict"]
    names += [m for m in ("predict_proba",) if m in manifest["methods"]]
    alias = "Classifier" if manifest["task"] == "classification" else "Regressor"
    return f'''"""{manifest["description"]}"""

from ._runtime import {", ".join(names)}

{alias} = Model
__version__ = {json.dumps(manifest["version"])}
__all__ = {json.dumps(sorted([alias, "__version__", *names]))}
'''


MAIN_MODULE = '''"""The command line: python -m <package> predict FILE.csv, info."""

from ._runtime._cli import main

if __name__ == "__main__":
    raise SystemExit(main(package=__package__))
'''

_BUILT: dict[str, Built] = {}


def built(package: str, tmp_path_factory: pytest.TempPathFactory) -> Built:
    """Scenario `package`, built on first use in this session, in one shared site folder."""
    if package not in _BUILT:
        site = tmp_path_factory.getbasetemp() / "runtime-site"
        site.mkdir(exist_ok=True)
        _BUILT[package] = build(package, site)
    return _BUILT[package]


@pytest.fixture(scope="session")
def packages(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Built]:
    """``packages("rt_binary")``: that scenario's package, built once per session."""
    return lambda package: built(package, tmp_path_factory)


# --- Running the packages in fresh interpreters ----------------------------------------------

def python(code: str, site: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run `code` in a fresh interpreter with `site` on PYTHONPATH, from `site`."""
    env = {**os.environ, "PYTHONPATH": str(site), "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run([sys.executable, *args, "-c", code] if code else [sys.executable, *args],
                            capture_output=True, text=True, env=env, cwd=site, check=False)
    if check:
        assert result.returncode == 0, result.stderr
    return result


NO_PANDAS = """
import sys

class NoPandas:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "pandas":
            raise ImportError("pandas is not installed here")

sys.meta_path.insert(0, NoPandas())
"""
