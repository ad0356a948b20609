"""The trainer's checks of what train() returned, in-process: each mistake is named, with
the fix. (test_train.py runs the stage itself, as a process.)"""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pandas as pd
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.cluster import KMeans
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import _scoring
import _trainer


def request(tmp_path: Path, gate: dict | None = None, **extra) -> dict:
    return {"root": str(tmp_path), "train": str(tmp_path / "train.py"), "paths": [], "name": "tiny-model",
            "package": "tiny_model", "description": "A model for a test.", "version": "0.1.0",
            "created": "2023-11-14T22:13:20Z", "gate": gate or {"accuracy": 0.5}, "positive_class": None,
            "package_dir": str(tmp_path / "pkg"), "holdout": str(tmp_path / "holdout.csv"),
            "refusal": str(tmp_path / "refusal.txt"), **extra}


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True, as_frame=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
    return LogisticRegression(max_iter=500).fit(X_train, y_train), X_test, y_test


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
    return make_pipeline(StandardScaler(), LogisticRegression()).fit(X_train, y_train), X_test, y_test


def refusal(tmp_path: Path, result, **kwargs) -> str:
    with pytest.raises((_trainer.ContractError, _scoring.ScoringError)) as caught:
        _trainer.package(request(tmp_path, **kwargs), result)
    assert not (tmp_path / "pkg" / "manifest.json").exists()
    return str(caught.value)


def test_a_good_result_writes_the_model_the_manifest_and_the_hold_out(tmp_path, iris):
    manifest = _trainer.package(request(tmp_path), iris)
    assert json.loads((tmp_path / "pkg" / "manifest.json").read_text()) == manifest
    assert manifest["classes"] == [0, 1, 2] and manifest["task"] == "classification"
    assert manifest["methods"] == ["predict", "predict_proba", "decision_function"]
    assert set(manifest["metrics"]) == {"accuracy", "balanced_accuracy", "f1_macro", "roc_auc_ovr", "neg_log_loss"}
    assert manifest["holdout"]["rows"] == 38 and (tmp_path / "holdout.csv").is_file()
    assert manifest["sha256"] and manifest["size"] == (tmp_path / "pkg" / "model.joblib").stat().st_size


def test_a_dict_result_records_the_training_data_fingerprint(tmp_path, iris):
    model, X_test, y_test = iris
    manifest = _trainer.package(request(tmp_path), {"model": model, "X_test": X_test, "y_test": y_test,
                                                    "X_train": X_test, "y_train": y_test, "dataset": "iris"})
    assert manifest["data"] == {"dataset": "iris", "train_rows": 38,
                                "train_sha256": _trainer.fingerprint(X_test, y_test)}


def pipeline_with_a_class_from(module: str, monkeypatch, data):
    """A fitted pipeline whose first step is a class defined in the module named ``module``."""

    class Double(TransformerMixin, BaseEstimator):
        def fit(self, X, y=None):
            return self

        def transform(self, X):
            return X * 2

    Double.__module__, Double.__qualname__ = module, "Double"
    monkeypatch.setitem(sys.modules, module, types.SimpleNamespace(Double=Double))
    if "." in module:  # pickle imports the parent package first
        monkeypatch.setitem(sys.modules, module.split(".")[0], types.SimpleNamespace())
    _, X_test, y_test = data
    return make_pipeline(Double(), LogisticRegression(max_iter=500)).fit(X_test, y_test), X_test, y_test


def test_a_class_defined_in_train_py_is_refused(tmp_path, iris, monkeypatch):
    message = refusal(tmp_path, pipeline_with_a_class_from("train", monkeypatch, iris))
    assert "defined in train.py, which the wheel does not ship: move it into src/tiny_model/" in message


def test_a_module_that_ships_nowhere_is_refused(tmp_path, iris, monkeypatch):
    message = refusal(tmp_path, pipeline_with_a_class_from("features", monkeypatch, iris))
    assert "the model uses the module 'features'" in message and "import it as tiny_model.features" in message


def test_the_packages_own_modules_are_allowed(tmp_path, iris, monkeypatch):
    manifest = _trainer.package(request(tmp_path), pipeline_with_a_class_from("tiny_model.features", monkeypatch, iris))
    assert "tiny_model" not in manifest["versions"]


REFUSED = {
    "nothing": (lambda m, X, y: None, "train() returned None (no return statement?)"),
    "a 2-tuple": (lambda m, X, y: (m, X), "train() returned a tuple; return model, X_test, y_test"),
    "unfitted": (lambda m, X, y: (LogisticRegression(), X, y), "is not fitted: call model.fit"),
    "not an estimator": (lambda m, X, y: (42, X, y), "not a scikit-learn estimator"),
    "a clusterer": (lambda m, X, y: (KMeans(n_clusters=2, n_init=1, random_state=0).fit(X), X, y),
                    "neither a classifier nor a regressor"),
    "wrong columns": (lambda m, X, y: (m, X.iloc[:, :3], y), "X_test's columns are not the model's features: missing"),
    "unknown labels": (lambda m, X, y: (m, X, y + 5), "y_test holds labels the model was not fitted on: 5, 6, 7"),
    "wrong length": (lambda m, X, y: (m, X, y[:3]), "X_test has 38 rows but y_test has 3"),
    "no rows": (lambda m, X, y: (m, X.iloc[:0], y.iloc[:0]), "X_test has no rows"),
    "an array for a DataFrame model": (lambda m, X, y: (m, X.to_numpy(), y), "fitted on a DataFrame but X_test is not one"),
    "a dict with a typo": (lambda m, X, y: {"model": m, "X_tset": X, "y_test": y}, "unknown keys X_tset and no X_test"),
    "two-column targets": (lambda m, X, y: (m, X, pd.concat([y, y], axis=1)), "one target per row"),
    "a category column": (lambda m, X, y: (m, X.astype({"sepal length (cm)": "category"}), y), "category dtype"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_what_train_got_wrong_is_named(tmp_path, iris, case):
    make, expected = REFUSED[case]
    assert expected in refusal(tmp_path, make(*iris))


@pytest.mark.parametrize("gate, expected", [
    ({"r2": 0.5}, "r2 scores regression models, but this model is a classifier"),
    ({"roc_auc": 0.5}, "roc_auc scores binary classifiers, but this model has 3 classes (use roc_auc_ovr)"),
])
def test_a_gate_metric_that_does_not_fit_the_model_is_refused(tmp_path, iris, gate, expected):
    assert expected in refusal(tmp_path, iris, gate=gate)


def test_a_gate_metric_undefined_on_the_hold_out_is_refused(tmp_path, cancer):
    model, X_test, y_test = cancer
    message = refusal(tmp_path, (model, X_test[y_test == 0], y_test[y_test == 0]), gate={"roc_auc": 0.5})
    assert "roc_auc is NaN on the hold-out set, so the gate could not pass it" in message
    assert "stratify=y" in message


def test_the_positive_class_must_be_one_of_two_classes(tmp_path, iris, cancer):
    assert "positive-class = 7 is not one of the model's classes [0, 1]" in refusal(tmp_path, cancer, positive_class=7)
    assert "it applies to binary classifiers only" in refusal(tmp_path, iris, positive_class=1)


def test_a_model_fitted_on_an_array_takes_its_feature_names_from_a_dataframe(tmp_path, cancer):
    model, X_test, y_test = cancer
    array_model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X_test.to_numpy(), y_test)
    manifest = _trainer.package(request(tmp_path), (array_model, X_test, y_test))
    assert manifest["input"] == "array" and manifest["features"][0]["name"] == "mean radius"
    assert manifest["positive_class"] == 1  # the last class, when none is configured


def test_model_digests_gives_each_block_of_a_large_file(tmp_path: Path) -> None:
    import hashlib

    path = tmp_path / "model.joblib"
    data = bytes(range(256)) * 10  # 2560 bytes: blocks of 1000, 1000 and 560
    path.write_bytes(data)
    whole, blocks = _trainer.model_digests(path, 1000)
    assert whole == hashlib.sha256(data).hexdigest()
    assert blocks == {"block_size": 1000, "file_sha256": whole,
                      "sha256": [hashlib.sha256(data[i:i + 1000]).hexdigest() for i in (0, 1000, 2000)]}
    assert _trainer.model_digests(path, 2560) == (whole, None)  # one block: sha256 says it all
