"""What the trainer and the evaluator share: the hold-out file and scikit-learn's scorers.

Both run in the model's environment (the trainer beside the project's own code, the
evaluator in a fresh environment holding only the installed wheel), so this module
imports nothing of wheelwright's and only the standard library at import time; numpy,
scikit-learn and pandas (the last only for models fitted on a DataFrame) when called.

The hold-out file is CSV: a header of the feature names then the target column, one row
per sample. Numbers are written with ``repr`` so they read back to the same float, a
missing value is an empty cell, and the manifest's ``features`` say how to read each
column back, so that the package is scored on exactly what the trainer scored.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

#: What a metric applies to, by the module its score function lives in.
TASKS = {
    "sklearn.metrics._classification": "classification",
    "sklearn.metrics._ranking": "classification",
    "sklearn.metrics._scorer": "classification",  # the likelihood ratios
    "sklearn.metrics._regression": "regression",
}
#: Scored for every model of a task, beside the gate's own metrics (when they apply).
STANDARD = {
    "binary": ("accuracy", "balanced_accuracy", "roc_auc", "precision", "recall", "f1", "neg_log_loss"),
    "multiclass": ("accuracy", "balanced_accuracy", "f1_macro", "roc_auc_ovr", "neg_log_loss"),
    "regression": ("r2", "neg_mean_absolute_error", "neg_root_mean_squared_error"),
}


class ScoringError(Exception):
    """A metric cannot be computed for this model or this hold-out set; says why."""


# --- The hold-out file -----------------------------------------------------------------

def write_holdout(path: Path, columns: Sequence[Sequence[Any]], kinds: Sequence[str],
                  names: Sequence[str], target: Sequence[Any], target_name: str) -> None:
    """Write the hold-out set: one column of values per feature, then the target."""
    path.parent.mkdir(parents=True, exist_ok=True)
    cells = [[_cell(value, kind) for value in column] for column, kind in zip(columns, kinds)]
    cells.append([_cell(value, "label") for value in target])
    with open(path, "w", encoding="utf-8", newline="") as out:
        # RFC 4180's line ending, csv's default: a cell holding a carriage return is then quoted
        # on every Python (with "\n", 3.11 and 3.12 wrote it bare, and the file read back wrong).
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([*names, target_name])
        writer.writerows(zip(*cells))


def _cell(value: Any, kind: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if kind == "number":
        if isinstance(value, bool) or type(value).__name__ in ("bool", "bool_"):  # numpy 2's, numpy 1's
            return "1" if value else "0"
        number = float(value)
        if math.isnan(number):
            return ""
        return str(int(value)) if number.is_integer() and _is_int(value) else repr(number)
    return str(value)  # a float's str is its repr; a numpy float's repr is "np.float64(0.5)"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) or type(value).__name__.startswith(("int", "uint"))


def read_holdout(path: str | Path, manifest: dict[str, Any]) -> tuple[Any, list[Any]]:
    """``(X, y)`` from the hold-out file, X in the form the model takes (``manifest["input"]``).

    Raises
    ------
    ScoringError
        The file does not match the manifest's features, or holds an unreadable value.
    """
    features = manifest["features"]
    names = [feature["name"] for feature in features]
    target = manifest["target"]
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
    except FileNotFoundError:
        raise ScoringError(f"the hold-out set {path} does not exist; train again.") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ScoringError(f"cannot read the hold-out set {path}: {exc}.") from None
    if not rows or rows[0] != [*names, target]:
        raise ScoringError(
            f"the hold-out set {path} does not hold the model's features then {target!r} "
            "in its header; it was written for another model: train again."
        )
    body = rows[1:]
    if not body:
        raise ScoringError(f"the hold-out set {path} has no rows.")
    for number, row in enumerate(body, start=2):
        if len(row) != len(names) + 1:
            raise ScoringError(f"{path}, line {number}: {len(row)} cells, expected {len(names) + 1}.")
    columns = [_column(path, [row[j] for row in body], feature) for j, feature in enumerate(features)]
    labels = [_label(path, row[-1], number, manifest) for number, row in enumerate(body, start=2)]
    return _as_input(columns, features, manifest["input"]), labels


def _column(path: str | Path, cells: list[str], feature: dict[str, Any]) -> list[Any]:
    if feature["kind"] == "string":  # a missing string is NaN, as read_csv and the package make it
        return [cell if cell != "" else math.nan for cell in cells]
    values = []
    for number, cell in enumerate(cells, start=2):
        try:
            values.append(float(cell) if cell != "" else math.nan)
        except ValueError:
            raise ScoringError(f"{path}, line {number}, column {feature['name']!r}: "
                               f"{cell!r} is not a number.") from None
    return values


def _label(path: str | Path, cell: str, number: int, manifest: dict[str, Any]) -> Any:
    if cell == "":
        raise ScoringError(f"{path}, line {number}: the target is empty; every hold-out row needs one.")
    if manifest["task"] == "regression":
        try:
            value = float(cell)
        except ValueError:
            raise ScoringError(f"{path}, line {number}: target {cell!r} is not a number.") from None
        if not math.isfinite(value):
            raise ScoringError(f"{path}, line {number}: target {cell!r} is not a finite number.")
        return value
    for label in manifest["classes"]:
        if _cell(label, "label") == cell:
            return label
    raise ScoringError(f"{path}, line {number}: target {cell!r} is none of the model's classes "
                       f"{manifest['classes']}.")


def _as_input(columns: list[list[Any]], features: list[dict[str, Any]], form: str) -> Any:
    import numpy as np

    if form == "array":
        return np.ascontiguousarray(np.array(columns, dtype=np.float64).T)
    import pandas as pd

    data = {}
    for column, feature in zip(columns, features):
        series = pd.Series(column, dtype=object if feature["kind"] == "string" else np.float64)
        dtype = feature.get("dtype", "")
        if feature["kind"] == "number" and dtype != "float64" and not series.isna().any():
            try:
                series = series.astype(dtype)
            except (TypeError, ValueError):
                pass  # a dtype of another library: float64 predicts the same
        elif feature["kind"] == "string" and dtype not in ("object", ""):
            try:
                series = series.astype(dtype)
            except (TypeError, ValueError):
                pass
        data[feature["name"]] = series
    return pd.DataFrame(data)


# --- Scorers -----------------------------------------------------------------------------

def check_names(names: Sequence[str]) -> None:
    """Raise unless every name is one of scikit-learn's scorers, suggesting the closest."""
    import difflib

    from sklearn.metrics import get_scorer_names

    known = sorted(get_scorer_names())
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            raise ScoringError(
                f"The gate names '{name}', which is not a scikit-learn scorer"
                f"{f'; did you mean {close[0]!r}?' if close else '.'} Use a name from "
                "sklearn.metrics.get_scorer_names(), e.g. roc_auc, roc_auc_ovr, f1_macro, r2 or "
                "neg_mean_absolute_error.")


def metric_task(name: str) -> str | None:
    """``"classification"`` or ``"regression"`` for a scorer name; None for others (clustering)."""
    from sklearn.metrics import get_scorer

    return TASKS.get(getattr(get_scorer(name), "_score_func", None).__module__)


def standard_metrics(manifest: dict[str, Any]) -> tuple[str, ...]:
    """The metrics every model of this kind records."""
    if manifest["task"] == "regression":
        names = STANDARD["regression"]
    else:
        names = STANDARD["binary" if len(manifest["classes"]) == 2 else "multiclass"]
    methods = set(manifest["methods"])
    needs = {"roc_auc": {"predict_proba", "decision_function"}, "roc_auc_ovr": {"predict_proba"},
             "neg_log_loss": {"predict_proba"}}
    return tuple(name for name in names if methods & needs.get(name, methods))


def scorer(name: str, positive_class: Any = None) -> Any:
    """scikit-learn's scorer ``name``, aimed at ``positive_class`` when its metric takes one."""
    import copy
    import inspect

    from sklearn.metrics import get_scorer

    found = get_scorer(name)
    function = getattr(found, "_score_func", None)
    if positive_class is not None and function is not None:
        if "pos_label" in inspect.signature(function).parameters:
            found = copy.deepcopy(found)
            found._kwargs["pos_label"] = positive_class
    return found


def check_applies(name: str, manifest: dict[str, Any]) -> None:
    """Raise :class:`ScoringError` when metric ``name`` cannot score this kind of model."""
    task = metric_task(name)
    kind = manifest["task"]
    if task is None:
        raise ScoringError(f"{name} is a clustering score; wheelwright scores classifiers and regressors.")
    if task != kind:
        examples = "r2, neg_mean_absolute_error" if kind == "regression" else "accuracy, roc_auc, f1_macro"
        raise ScoringError(f"{name} scores {task} models, but this model is a "
                           f"{'regressor' if kind == 'regression' else 'classifier'} (use e.g. {examples}).")
    if kind == "classification":
        n = len(manifest["classes"])
        if name in ("roc_auc", "average_precision", "precision", "recall", "f1", "jaccard",
                    "neg_brier_score", "d2_brier_score", "positive_likelihood_ratio",
                    "neg_negative_likelihood_ratio") and n != 2:
            alternative = {"roc_auc": "roc_auc_ovr"}.get(name, f"{name}_macro")
            raise ScoringError(f"{name} scores binary classifiers, but this model has {n} classes "
                               f"(use {alternative}).")
        if name.endswith("_samples"):
            raise ScoringError(f"{name} scores multilabel models, which wheelwright does not package.")


def score(estimator: Any, X: Any, y: Sequence[Any], names: Sequence[str],
          positive_class: Any = None) -> dict[str, float]:
    """Each metric of ``names`` for ``estimator`` on ``(X, y)``, as scikit-learn's scorers
    compute it (higher is better; error metrics negated). NaN where it is undefined."""
    import warnings

    import numpy as np

    results = {}
    for name in names:
        with warnings.catch_warnings():
            # A metric undefined on this hold-out (one class only, say) is NaN: the gate says so.
            warnings.simplefilter("ignore")
            try:
                value = float(scorer(name, positive_class)(estimator, X, np.asarray(y)))
            except ValueError as exc:
                raise ScoringError(f"{name} cannot be computed on the hold-out set: {exc} (does the "
                                   "hold-out hold every class? (train_test_split(..., stratify=y)))") from None
        results[name] = value
    return results


def packaged(model: Any) -> Any:
    """An estimator-like view of a packaged ``Model`` for scikit-learn's scorers.

    The scorers call ``predict``/``predict_proba``/``decision_function`` as they would on
    the bare estimator, so the package's own input checks and conversions are exercised.
    """
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
    from sklearn.utils.metaestimators import available_if

    manifest = model.metadata
    methods = set(manifest["methods"])

    def has(name: str) -> Any:
        return lambda _self: name in methods

    class Packaged(BaseEstimator):
        def __sklearn_is_fitted__(self) -> bool:
            return True

        def predict(self, X: Any) -> Any:
            return model.predict(X)

    if manifest["task"] == "regression":
        class PackagedRegressor(RegressorMixin, Packaged):
            pass

        return PackagedRegressor()

    class PackagedClassifier(ClassifierMixin, Packaged):
        classes_ = _classes(manifest)

        @available_if(has("predict_proba"))
        def predict_proba(self, X: Any) -> Any:
            return model.predict_proba(X)

        @available_if(has("decision_function"))
        def decision_function(self, X: Any) -> Any:
            return model.decision_function(X)

    return PackagedClassifier()


def _classes(manifest: dict[str, Any]) -> Any:
    import numpy as np

    return np.asarray(manifest["classes"])
