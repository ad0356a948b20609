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


@pytest.mark.parametrize("value, kind, cell", [
    (None, "number", ""), (None, "string", ""), (math.nan, "string", ""), (math.nan, "label", ""),
    (True, "number", "1"), (False, "number", "0"), (np.True_, "number", "1"), (np.False_, "number", "0"),
    (3, "number", "3"), (-4, "number", "-4"), (np.int64(5), "number", "5"), (np.int32(-4), "number", "-4"),
    (np.uint8(7), "number", "7"), (10**20, "number", "100000000000000000000"),
    (3.0, "number", "3.0"), (np.float64(2.0), "number", "2.0"), (1e20, "number", "1e+20"),
    (0.1 + 0.2, "number", "0.30000000000000004"), (np.float32("nan"), "number", ""),
    (0.1, "label", "0.1"), (1.0, "label", "1.0"), (1, "label", "1"), (True, "label", "True"), ("a", "label", "a"),
    (np.float64(0.5), "label", "0.5"), (np.float64(0.1 + 0.2), "label", "0.30000000000000004"),
    (2.5, "string", "2.5"), ("Zürich", "string", "Zürich"),
])
def test_each_value_is_written_as_the_cell_that_reads_back_to_it(value, kind, cell):
    # An integer stays an integer ("3", not "3.0") and a float keeps its repr, so that
    # the package is scored on the very values the trainer scored.
    assert _scoring._cell(value, kind) == cell


@pytest.mark.parametrize("value, expected", [
    (3, True), (True, True), (np.int8(1), True), (np.int64(1), True), (np.uint16(1), True), (np.uint64(1), True),
    (3.0, False), (np.float64(3.0), False), ("3", False), (np.float32(1), False),
])
def test_integers_are_ints_and_numpys_int_and_uint_types(value, expected):
    assert _scoring._is_int(value) is expected


def test_the_hold_out_file_is_a_header_then_one_line_per_row(tmp_path):
    path = tmp_path / "new" / "folder" / "holdout.csv"
    _scoring.write_holdout(path, [["a", None, "b,c", "d"], [1, 2.5, math.nan, True]], ["string", "number"],
                           ["city", "n"], [0.5, "x", 2, np.float64(1.5)], "target")
    assert path.read_bytes() == b'city,n,target\r\na,1,0.5\r\n,2.5,x\r\n"b,c",,2\r\nd,1,1.5\r\n'


def test_an_empty_hold_out_is_a_header_alone(tmp_path):
    path = tmp_path / "holdout.csv"
    _scoring.write_holdout(path, [[], []], ["number", "number"], ["x0", "x1"], [], "y")
    assert path.read_bytes() == b"x0,x1,y\r\n"


def read_refused(path, manifest_):
    with pytest.raises(_scoring.ScoringError) as caught:
        _scoring.read_holdout(path, manifest_)
    return str(caught.value)


@pytest.mark.parametrize("body, expected", [
    ("city,age,income,bought\nx,1,2.0,7\n", "{path}, line 2: target '7' is none of the model's classes [0, 1]."),
    ("city,age,income,bought\nx,1,2.0,1\ny,1,2.0,\n",
     "{path}, line 3: the target is empty; every hold-out row needs one."),
    ("city,age,income,bought\nx,1,2.0,1\nx,old,2.0,1\n", "{path}, line 3, column 'age': 'old' is not a number."),
    ("city,age,income,bought\nx,1,2.0,1\nx,1,2%,1\n", "{path}, line 3, column 'income': '2%' is not a number."),
    ("city,age,bought\nx,1,1\n", "the hold-out set {path} does not hold the model's features then 'bought' in its "
                                 "header; it was written for another model: train again."),
    ("", "the hold-out set {path} does not hold the model's features then 'bought' in its "
         "header; it was written for another model: train again."),
    ("city,age,income,bought\n", "the hold-out set {path} has no rows."),
    ("city,age,income,bought\nx,1,2.0,1\nx,1,2.0\n", "{path}, line 3: 3 cells, expected 4."),
    ("city,age,income,bought\nx,1,2.0,1,0\n", "{path}, line 2: 5 cells, expected 4."),
])
def test_each_damage_to_the_hold_out_is_named_with_its_line(tmp_path, body, expected):
    path = tmp_path / "holdout.csv"
    path.write_text(body)
    assert read_refused(path, manifest()) == expected.replace("{path}", str(path))


def test_a_missing_or_unreadable_hold_out_says_so(tmp_path):
    path = tmp_path / "holdout.csv"
    assert read_refused(path, manifest()) == f"the hold-out set {path} does not exist; train again."
    path.write_bytes(b"city,age,income,bought\nZ\xfcrich,1,2.0,1\n")
    assert read_refused(path, manifest()) == (
        f"cannot read the hold-out set {path}: 'utf-8' codec can't decode byte 0xfc in position 24: "
        "invalid start byte.")
    path.unlink()
    path.mkdir()
    assert read_refused(path, manifest()) == (
        f"cannot read the hold-out set {path}: [Errno 21] Is a directory: '{path}'.")


REGRESSION = {"features": [{"name": "x0", "kind": "number"}], "target": "target", "task": "regression",
              "input": "array"}


@pytest.mark.parametrize("cell, expected", [
    ("nan", "{path}, line 2: target 'nan' is not a finite number."),
    ("inf", "{path}, line 2: target 'inf' is not a finite number."),
    ("high", "{path}, line 2: target 'high' is not a number."),
    ("", "{path}, line 2: the target is empty; every hold-out row needs one."),
])
def test_a_regression_target_is_a_finite_number_or_is_named(tmp_path, cell, expected):
    path = tmp_path / "holdout.csv"
    path.write_text(f"x0,target\n1.0,{cell}\n")
    assert read_refused(path, REGRESSION) == expected.replace("{path}", str(path))


def test_labels_read_back_as_the_classes_themselves(tmp_path):
    path = tmp_path / "holdout.csv"
    path.write_text("x0,target\n1,1.0\n2,2.5\n3,1.0\n")
    _, y = _scoring.read_holdout(path, {**REGRESSION, "task": "classification", "classes": [1.0, 2.5]})
    assert y == [1.0, 2.5, 1.0] and all(type(v) is float for v in y)
    path.write_text("x0,target\n1,yes\n2,no\n")
    _, y = _scoring.read_holdout(path, {**REGRESSION, "task": "classification", "classes": ["no", "yes"]})
    assert y == ["yes", "no"]
    path.write_text("x0,target\n1,-1\n2,7\n")
    _, y = _scoring.read_holdout(path, {**REGRESSION, "task": "regression"})
    assert y == [-1.0, 7.0] and all(type(v) is float for v in y)


def test_each_column_gets_the_dtype_the_model_was_fitted_on(tmp_path):
    # A number column with a dtype of its own gets it back unless it has a missing value
    # (float64 holds NaN); a string column gets a dtype other than object; a dtype pandas
    # does not know leaves the column as read.
    features = [{"name": "i", "kind": "number", "dtype": "int64"},
                {"name": "gap", "kind": "number", "dtype": "int64"},
                {"name": "gap32", "kind": "number", "dtype": "float32"},
                {"name": "f", "kind": "number", "dtype": "float32"},
                {"name": "d", "kind": "number", "dtype": "float64"},
                {"name": "b", "kind": "number", "dtype": "bool"},
                {"name": "odd", "kind": "number", "dtype": "geometry"},
                {"name": "bare", "kind": "number"},
                {"name": "cat", "kind": "string", "dtype": "category"},
                {"name": "s", "kind": "string", "dtype": "object"},
                {"name": "plain", "kind": "string"},
                {"name": "strange", "kind": "string", "dtype": "geometry"}]
    path = tmp_path / "holdout.csv"
    path.write_text("i,gap,gap32,f,d,b,odd,bare,cat,s,plain,strange,y\n"
                    "1,2,0.5,0.5,1.5,1,3,4,a,x,p,q,0\n"
                    "2,,,0.25,2.5,0,4,5,b,,,r,1\n")
    X, _ = _scoring.read_holdout(path, {"features": features, "target": "y", "task": "classification",
                                        "classes": [0, 1], "input": "dataframe"})
    assert list(X.columns) == [f["name"] for f in features]
    assert {c: str(t) for c, t in X.dtypes.items()} == {
        "i": "int64", "gap": "float64", "gap32": "float64", "f": "float32", "d": "float64", "b": "bool", "odd": "float64",
        "bare": "float64", "cat": "category", "s": "object", "plain": "object", "strange": "object"}
    assert X["i"].tolist() == [1, 2] and X["b"].tolist() == [True, False] and X["f"].tolist() == [0.5, 0.25]
    assert X["gap"].tolist()[0] == 2.0 and math.isnan(X["gap"].tolist()[1])
    assert X["cat"].tolist() == ["a", "b"] and X["strange"].tolist() == ["q", "r"]
    assert X["s"].tolist()[0] == "x" and math.isnan(X["s"].tolist()[1]) and math.isnan(X["plain"].tolist()[1])


def test_an_unknown_metric_without_a_close_one_is_named_with_where_to_look():
    with pytest.raises(_scoring.ScoringError) as caught:
        _scoring.check_names(["accuracy", "zzz"])
    assert str(caught.value) == (
        "The gate names 'zzz', which is not a scikit-learn scorer. Use a name from "
        "sklearn.metrics.get_scorer_names(), e.g. roc_auc, roc_auc_ovr, f1_macro, r2 or neg_mean_absolute_error.")
    with pytest.raises(_scoring.ScoringError) as caught:
        _scoring.check_names(["roc_auc_ovrr"])
    assert str(caught.value) == (
        "The gate names 'roc_auc_ovrr', which is not a scikit-learn scorer; did you mean 'roc_auc_ovr'? Use a name "
        "from sklearn.metrics.get_scorer_names(), e.g. roc_auc, roc_auc_ovr, f1_macro, r2 or neg_mean_absolute_error.")


@pytest.mark.parametrize("name, task", [
    ("accuracy", "classification"), ("roc_auc", "classification"), ("positive_likelihood_ratio", "classification"),
    ("r2", "regression"), ("neg_mean_absolute_error", "regression"), ("adjusted_rand_score", None),
])
def test_each_metric_belongs_to_the_task_its_function_scores(name, task):
    assert _scoring.metric_task(name) == task


def test_a_clustering_score_is_refused_whole():
    with pytest.raises(_scoring.ScoringError) as caught:
        _scoring.check_applies("adjusted_rand_score", {"task": "classification", "classes": [0, 1]})
    assert str(caught.value) == ("adjusted_rand_score is a clustering score; wheelwright scores classifiers "
                                 "and regressors.")
    with pytest.raises(_scoring.ScoringError) as caught:
        _scoring.check_applies("f1_samples", {"task": "classification", "classes": [0, 1, 2]})
    assert str(caught.value) == "f1_samples scores multilabel models, which wheelwright does not package."


@pytest.mark.parametrize("task, classes, methods, expected", [
    ("classification", [0, 1], ["predict", "predict_proba"],
     ("accuracy", "balanced_accuracy", "roc_auc", "precision", "recall", "f1", "neg_log_loss")),
    ("classification", [0, 1], ["predict", "decision_function"],
     ("accuracy", "balanced_accuracy", "roc_auc", "precision", "recall", "f1")),
    ("classification", [0, 1], ["predict"], ("accuracy", "balanced_accuracy", "precision", "recall", "f1")),
    ("classification", [0, 1, 2], ["predict", "predict_proba", "decision_function"],
     ("accuracy", "balanced_accuracy", "f1_macro", "roc_auc_ovr", "neg_log_loss")),
    ("classification", [0, 1, 2], ["predict", "decision_function"], ("accuracy", "balanced_accuracy", "f1_macro")),
    ("regression", None, ["predict"], ("r2", "neg_mean_absolute_error", "neg_root_mean_squared_error")),
])
def test_the_standard_metrics_are_those_the_models_methods_can_compute(task, classes, methods, expected):
    assert _scoring.standard_metrics({"task": task, "classes": classes, "methods": methods}) == expected


def test_a_scorer_is_aimed_at_the_positive_class_only_when_its_metric_takes_one():
    assert _scoring.scorer("precision", "malignant")._kwargs == {"average": "binary", "pos_label": "malignant"}
    assert _scoring.scorer("precision")._kwargs == {"average": "binary"}  # aiming one leaves the others alone
    assert _scoring.scorer("accuracy", "malignant")._kwargs == {}
    assert "pos_label" not in _scoring.scorer("roc_auc", "malignant")._kwargs  # roc_auc takes none


def test_a_metric_that_cannot_be_computed_says_why_and_what_to_check(cancer):
    model, X, y = cancer
    y = np.array(y, dtype=object)
    y[:3] = "other"
    with pytest.raises(_scoring.ScoringError) as caught:
        _scoring.score(model, X, y, ["accuracy", "neg_log_loss"])
    message = str(caught.value)
    assert message.startswith("neg_log_loss cannot be computed on the hold-out set: ")
    assert message.endswith(" (does the hold-out hold every class? (train_test_split(..., stratify=y)))")


def test_an_undefined_metric_is_nan_and_the_others_are_scored(cancer):
    model, X, y = cancer
    one_class = np.asarray(y) == "benign"
    scores = _scoring.score(model, X[one_class], np.asarray(y)[one_class], ["accuracy", "roc_auc"], "malignant")
    assert list(scores) == ["accuracy", "roc_auc"] and math.isnan(scores["roc_auc"])
    assert scores["accuracy"] == (model.predict(X[one_class]) == "benign").mean()


def test_the_packaged_view_of_a_regressor_and_of_a_predict_only_classifier(cancer):
    from sklearn.linear_model import LinearRegression

    model, X, y = cancer
    target = X[:, 0] * 2.0 + 1.0
    regressor = LinearRegression().fit(X[:, 1:4], target)

    class Regressor:
        metadata = {"task": "regression", "methods": ["predict"]}
        predict = regressor.predict

    names = ["r2", "neg_mean_absolute_error"]
    assert _scoring.score(_scoring.packaged(Regressor()), X[:, 1:4], target, names) == _scoring.score(
        regressor, X[:, 1:4], target, names)

    class Classifier:
        metadata = {"task": "classification", "classes": model.classes_.tolist(), "methods": ["predict"]}
        predict = model.predict

    view = _scoring.packaged(Classifier())
    assert view.classes_.tolist() == ["benign", "malignant"]
    assert not hasattr(view, "predict_proba") and not hasattr(view, "decision_function")
    assert _scoring.score(view, X, y, ["accuracy"]) == _scoring.score(model, X, y, ["accuracy"])


def test_a_string_holding_line_breaks_and_a_float_label_read_back_as_written(tmp_path):
    # The csv module needs newline="" both ways, or a carriage return inside a cell is lost.
    path = tmp_path / "holdout.csv"
    _scoring.write_holdout(path, [["a\rb", "c\r\nd", "e\nf"]], ["string"], ["s"], [np.float64(0.5), 1.5, 0.5], "y")
    X, y = _scoring.read_holdout(path, {"features": [{"name": "s", "kind": "string", "dtype": "object"}],
                                        "target": "y", "task": "classification", "classes": [0.5, 1.5],
                                        "input": "dataframe"})
    assert X["s"].tolist() == ["a\rb", "c\r\nd", "e\nf"] and y == [0.5, 1.5, 0.5]
