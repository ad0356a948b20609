"""The hold-out file, scikit-learn's scorers and the gate's judgement, in-process."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import _scoring
from _evaluation import gate_failures, mismatches


def manifest(**extra):
    base = {"features": [{"name": "city", "kind": "string", "dtype": "object"},
                         {"name": "age", "kind": "number", "dtype": "int64"},
                         {"name": "income", "kind": "number", "dtype": "float64"}],
            "target": "bought", "task": "classification", "classes": [0, 1],
            "input": "dataframe", "methods": ["predict", "predict_proba"]}
    return {**base, **extra}


def test_the_hold_out_reads_back_exactly_as_written(tmp_path):
    path = tmp_path / "holdout.csv"
    columns = [["Zürich", None, "a,b \"quoted\""], [31, 45, 27], [0.1 + 0.2, math.nan, 1e-300]]
    _scoring.write_holdout(path, columns, ["string", "number", "number"], ["city", "age", "income"], [1, 0, 1], "bought")
    X, y = _scoring.read_holdout(path, manifest())
    assert y == [1, 0, 1]
    assert X["city"].tolist()[0] == "Zürich" and X["city"].tolist()[2] == 'a,b "quoted"'
    assert X["city"].isna().tolist() == [False, True, False]
    assert X["age"].tolist() == [31, 45, 27] and str(X["age"].dtype) == "int64"
    assert X["income"][0] == 0.1 + 0.2 and math.isnan(X["income"][1]) and X["income"][2] == 1e-300


def test_an_array_model_reads_a_contiguous_float_matrix(tmp_path):
    path = tmp_path / "holdout.csv"
    _scoring.write_holdout(path, [[1, 2], [0.5, 0.25]], ["number", "number"], ["x0", "x1"], [3.5, -1.0], "target")
    X, y = _scoring.read_holdout(path, {"features": [{"name": "x0", "kind": "number"}, {"name": "x1", "kind": "number"}],
                                        "target": "target", "task": "regression", "input": "array"})
    assert X.dtype == np.float64 and X.flags.c_contiguous and X.tolist() == [[1.0, 0.5], [2.0, 0.25]]
    assert y == [3.5, -1.0]


@pytest.mark.parametrize("body, expected", [
    ("city,age,income,bought\nx,1,2.0,7\n", "target '7' is none of the model's classes"),
    ("city,age,income,bought\nx,1,2.0,\n", "the target is empty"),
    ("city,age,income,bought\nx,old,2.0,1\n", "column 'age': 'old' is not a number"),
    ("city,age,bought\nx,1,1\n", "was written for another model"),
    ("city,age,income,bought\n", "has no rows"),
    ("city,age,income,bought\nx,1,2.0\n", "3 cells, expected 4"),
])
def test_a_damaged_hold_out_is_named_not_a_key_error(tmp_path, body, expected):
    path = tmp_path / "holdout.csv"
    path.write_text(body)
    with pytest.raises(_scoring.ScoringError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        _scoring.read_holdout(path, manifest())


def test_a_regression_target_must_be_a_finite_number(tmp_path):
    path = tmp_path / "holdout.csv"
    path.write_text("x0,target\n1.0,nan\n")
    with pytest.raises(_scoring.ScoringError, match="not a finite number"):
        _scoring.read_holdout(path, {"features": [{"name": "x0", "kind": "number"}], "target": "target",
                                     "task": "regression", "input": "array"})


@pytest.fixture(scope="module")
def cancer():
    data = load_breast_cancer()
    labels = data.target_names[data.target]
    return make_pipeline(StandardScaler(), LogisticRegression()).fit(data.data, labels), data.data, labels


def test_precision_and_recall_are_about_the_positive_class(cancer):
    model, X, y = cancer
    for positive in ("malignant", "benign"):
        scores = _scoring.score(model, X, y, ["precision", "recall", "roc_auc"], positive)
        predicted = model.predict(X)
        hits = ((predicted == positive) & (y == positive)).sum()
        assert scores["precision"] == hits / (predicted == positive).sum()
        assert scores["recall"] == hits / (y == positive).sum()


def test_scores_follow_scikit_learn_higher_is_better(cancer):
    model, X, y = cancer
    assert _scoring.score(model, X, y, ["neg_log_loss"], "malignant")["neg_log_loss"] < 0


@pytest.mark.parametrize("name, task, classes, expected", [
    ("r2", "classification", [0, 1], "r2 scores regression models, but this model is a classifier"),
    ("accuracy", "regression", None, "accuracy scores classification models, but this model is a regressor"),
    ("roc_auc", "classification", [0, 1, 2], "roc_auc scores binary classifiers, but this model has 3 classes (use roc_auc_ovr)"),
    ("f1", "classification", [0, 1, 2], "(use f1_macro)"),
    ("adjusted_rand_score", "classification", [0, 1], "clustering score"),
    ("f1_samples", "classification", [0, 1, 2], "multilabel"),
])
def test_a_metric_that_cannot_score_this_model_says_which_would(name, task, classes, expected):
    with pytest.raises(_scoring.ScoringError) as caught:
        _scoring.check_applies(name, {"task": task, "classes": classes})
    assert expected in str(caught.value)


@pytest.mark.parametrize("name, task, classes", [
    ("roc_auc_ovr", "classification", [0, 1, 2]), ("f1_macro", "classification", [0, 1, 2]),
    ("roc_auc", "classification", ["a", "b"]), ("neg_mean_absolute_error", "regression", None),
])
def test_metrics_that_apply_pass(name, task, classes):
    _scoring.check_applies(name, {"task": task, "classes": classes})


def test_the_standard_metrics_depend_on_the_model():
    binary = {"task": "classification", "classes": [0, 1], "methods": ["predict", "decision_function"]}
    assert "roc_auc" in _scoring.standard_metrics(binary) and "neg_log_loss" not in _scoring.standard_metrics(binary)
    bare = {"task": "classification", "classes": [0, 1, 2], "methods": ["predict"]}
    assert _scoring.standard_metrics(bare) == ("accuracy", "balanced_accuracy", "f1_macro")
    assert _scoring.standard_metrics({"task": "regression", "methods": ["predict"]})[0] == "r2"


def test_a_score_exactly_at_the_minimum_passes_and_just_below_fails():
    assert gate_failures({"roc_auc": 0.9}, {"roc_auc": 0.9}) == []
    assert gate_failures({"roc_auc": math.nextafter(0.9, 0)}, {"roc_auc": 0.9}) == [
        "roc_auc 0.9000 is below the minimum 0.9000"]


def test_every_gate_metric_is_judged_and_nan_fails():
    failures = gate_failures({"accuracy": 0.99, "roc_auc": math.nan, "f1": 0.1},
                             {"accuracy": 0.9, "roc_auc": 0.9, "f1": 0.5})
    assert failures == ["f1 0.1000 is below the minimum 0.5000", "roc_auc is NaN (undefined on this hold-out set)"]


def test_a_gate_metric_nobody_measured_fails():
    assert gate_failures({}, {"r2": 0.1}) == ["r2 is NaN (undefined on this hold-out set)"]


def test_scores_must_equal_the_recorded_ones():
    assert mismatches({"a": 0.5, "b": 0.25}, {"a": 0.5, "b": 0.25}) == []
    assert mismatches({"a": 0.5 + 1e-10}, {"a": 0.5}) == []
    assert mismatches({"a": 0.5, "b": 0.26}, {"a": 0.5, "b": 0.25}) == ["b 0.260000 != recorded 0.250000"]
    assert mismatches({"a": math.nan}, {"a": 0.5}) == ["a nan != recorded 0.500000"]


def test_the_packaged_view_scores_like_the_bare_estimator(cancer):
    model, X, y = cancer

    class Model:  # what a package's Model offers the scorers
        metadata = {"task": "classification", "classes": model.classes_.tolist(),
                    "methods": ["predict", "predict_proba", "decision_function"]}
        predict, predict_proba, decision_function = model.predict, model.predict_proba, model.decision_function

    names = ["accuracy", "roc_auc", "neg_log_loss", "precision"]
    assert _scoring.score(_scoring.packaged(Model()), X, y, names, "malignant") == _scoring.score(model, X, y, names, "malignant")
    assert pd.Series(y).nunique() == 2


@pytest.mark.parametrize("name", ["f1", "roc_auc_ovr", "r2", "neg_mean_absolute_error"])
def test_scikit_learn_scorer_names_are_known(name):
    _scoring.check_names([name])


@pytest.mark.parametrize("name, suggestion", [
    ("roc_auc_ovrr", "roc_auc_ovr"), ("f1macro", "f1_macro"), ("mean_absolute_error", "neg_mean_absolute_error"),
])
def test_an_unknown_metric_names_the_closest_scorer(name, suggestion):
    with pytest.raises(_scoring.ScoringError) as caught:
        _scoring.check_names(["accuracy", name])
    assert f"'{name}', which is not a scikit-learn scorer; did you mean '{suggestion}'?" in str(caught.value)


BINARY_ONLY = ["roc_auc", "average_precision", "precision", "recall", "f1", "jaccard", "neg_brier_score",
               "d2_brier_score", "positive_likelihood_ratio", "neg_negative_likelihood_ratio"]


@pytest.mark.parametrize("name", BINARY_ONLY)
def test_a_binary_only_metric_is_refused_for_three_classes_naming_the_alternative(name):
    _scoring.check_applies(name, {"task": "classification", "classes": [0, 1]})
    with pytest.raises(_scoring.ScoringError) as caught:
        _scoring.check_applies(name, {"task": "classification", "classes": [0, 1, 2]})
    alternative = "roc_auc_ovr" if name == "roc_auc" else f"{name}_macro"
    assert str(caught.value) == f"{name} scores binary classifiers, but this model has 3 classes (use {alternative})."


def test_a_metric_of_the_other_task_is_refused_with_examples_of_this_ones():
    with pytest.raises(_scoring.ScoringError) as caught:
        _scoring.check_applies("r2", {"task": "classification", "classes": [0, 1]})
    assert str(caught.value) == ("r2 scores regression models, but this model is a classifier "
                                 "(use e.g. accuracy, roc_auc, f1_macro).")
    with pytest.raises(_scoring.ScoringError) as caught:
        _scoring.check_applies("accuracy", {"task": "regression"})
    assert str(caught.value) == ("accuracy scores classification models, but this model is a regressor "
                                 "(use e.g. r2, neg_mean_absolute_error).")
