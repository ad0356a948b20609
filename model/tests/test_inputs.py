"""Inputs to predict: every accepted form gives the same answer; every bad one a ValueError."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tumor_classifier import Classifier

pd = pytest.importorskip("pandas")


@pytest.fixture(scope="module")
def clf(trained) -> Classifier:
    return Classifier(trained.model_dir)


@pytest.fixture(scope="module")
def X(clf: Classifier, holdout_rows) -> np.ndarray:
    """The first five hold-out rows, as an array in feature order."""
    rows, _ = holdout_rows
    return np.array([[row[name] for name in clf.feature_names] for row in rows[:5]])


def dicts(X: np.ndarray, names: list[str]) -> list[dict[str, float]]:
    # Keys in reverse order: a dict's order must not matter.
    return [dict(reversed(list(zip(names, row)))) for row in X.tolist()]


def frame(X: np.ndarray, names: list[str]) -> "pd.DataFrame":
    # Columns shuffled: a DataFrame's columns are matched by name.
    df = pd.DataFrame(X, columns=names)
    return df[list(reversed(names[::2])) + names[1::2]]


def test_every_input_form_gives_the_same_answer(clf: Classifier, X: np.ndarray) -> None:
    names = clf.feature_names
    forms = {
        "array": X,
        "list of rows": X.tolist(),
        "tuple of tuples": tuple(map(tuple, X.tolist())),
        "list of dicts": dicts(X, names),
        "DataFrame": frame(X, names),
        "Fortran-ordered array": np.asfortranarray(X),
    }
    expected_labels = clf.predict(X).tolist()
    expected_proba = clf.predict_proba(X).tolist()
    assert len(set(expected_labels)) == 2  # both classes among the rows, so order matters
    for form, value in forms.items():
        assert clf.predict(value).tolist() == expected_labels, form
        assert clf.predict_proba(value).tolist() == expected_proba, form


def test_integers_are_numbers(clf: Classifier, X: np.ndarray) -> None:
    rounded = np.rint(X).astype(int)
    assert clf.predict(rounded).tolist() == clf.predict(rounded.astype(float)).tolist()


def test_probabilities_follow_the_classes(clf: Classifier, X: np.ndarray) -> None:
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 2)
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert [clf.classes[i] for i in proba.argmax(axis=1)] == clf.predict(X).tolist()


def with_value(X: np.ndarray, i: int, j: int, value: object) -> list[list[object]]:
    rows = X.tolist()
    rows[i][j] = value
    return rows


def without(row: dict, key: str) -> dict:
    return {k: v for k, v in row.items() if k != key}


# (what, how to build the bad input from X and the feature names, expected message)
BAD_INPUTS = [
    ("empty list", lambda X, n: [], "empty input"),
    ("empty array", lambda X, n: np.empty((0, 30)), "empty input"),
    ("empty DataFrame", lambda X, n: pd.DataFrame(columns=n, dtype=float), "empty input"),
    ("1-D row", lambda X, n: X[0], r"1-D input of shape \(30,\)"),
    ("1-D list", lambda X, n: X[0].tolist(), r"1-D input of shape \(30,\)"),
    ("scalar", lambda X, n: 3.0, "expected a 2-D input .* got a float"),
    ("None", lambda X, n: None, "got a NoneType"),
    ("a single dict", lambda X, n: dict(zip(n, X[0])), "got a dict"),
    ("3-D", lambda X, n: X[None], r"got shape \(1, 5, 30\)"),
    ("too few features", lambda X, n: X[:, :29], "expected 30 features per row, got 29"),
    ("too many features", lambda X, n: np.hstack([X, X[:, :1]]), "expected 30 features per row, got 31"),
    ("no features", lambda X, n: [[], []], "expected 30 features per row, got 0"),
    ("ragged rows", lambda X, n: [X[0].tolist(), X[1].tolist()[:-1]], "rows have different lengths"),
    ("missing key", lambda X, n: [dict(zip(n, X[0])), without(dict(zip(n, X[1])), "mean radius")],
     "row 1: missing columns 'mean radius'"),
    ("unknown key", lambda X, n: [{**dict(zip(n, X[0])), "colour": 1.0}], "row 0: unknown columns 'colour'"),
    ("misspelt key", lambda X, n: [{**without(dict(zip(n, X[0])), "mean area"), "mean aera": 1.0}],
     "missing columns 'mean area'; unknown columns 'mean aera'"),
    ("mixed rows", lambda X, n: [dict(zip(n, X[0])), X[1].tolist()], "row 1 is a list, but row 0 is a dict"),
    ("missing column", lambda X, n: pd.DataFrame(X, columns=n).drop(columns="worst area"),
     "missing columns 'worst area'"),
    ("extra column", lambda X, n: pd.DataFrame(X, columns=n).assign(target="benign"),
     "unknown columns 'target'"),
    ("repeated column", lambda X, n: pd.concat([pd.DataFrame(X, columns=n), pd.DataFrame(X[:, :1], columns=n[:1])],
                                               axis=1), "repeated columns 'mean radius'"),
    ("wrong columns", lambda X, n: pd.DataFrame(X), "missing columns 'mean radius', .* and 25 more"),
    ("NaN", lambda X, n: with_value(X, 2, 1, math.nan), "NaN in row 2, column 'mean texture'"),
    ("infinity", lambda X, n: with_value(X, 0, 29, math.inf), "infinite value in row 0, column 'worst fractal"),
    ("minus infinity", lambda X, n: np.array(with_value(X, 4, 0, -math.inf)), "infinite value in row 4"),
    ("NaN in a dict", lambda X, n: [{**dict(zip(n, X[0])), "mean area": float("nan")}], "NaN in row 0, column 'mean area'"),
    ("NaN in a DataFrame", lambda X, n: pd.DataFrame(with_value(X, 3, 3, None), columns=n), "NaN in row 3, column 'mean area'"),
    ("text", lambda X, n: with_value(X, 0, 0, "abc"), "non-numeric value 'abc' in row 0, column 'mean radius'"),
    ("number as text", lambda X, n: with_value(X, 1, 2, "12.5"), "non-numeric value '12.5' in row 1, column 'mean perimeter'"),
    ("None in a row", lambda X, n: with_value(X, 0, 5, None), "non-numeric value None in row 0, column 'mean compactness'"),
    ("None in a dict", lambda X, n: [{**dict(zip(n, X[0])), "mean area": None}], "non-numeric value None"),
    ("complex", lambda X, n: with_value(X, 0, 0, 1j), "non-numeric value 1j"),
    ("array of text", lambda X, n: X.astype(str), "non-numeric value '.*' in row 0, column 'mean radius'"),
    ("text in a DataFrame", lambda X, n: pd.DataFrame(X, columns=n).assign(**{"mean area": "big"}),
     "non-numeric value 'big' in row 0, column 'mean area'"),
]


@pytest.mark.parametrize(("make", "message"), [case[1:] for case in BAD_INPUTS], ids=[case[0] for case in BAD_INPUTS])
@pytest.mark.parametrize("method", ["predict", "predict_proba"])
def test_bad_input_is_refused_with_its_reason(clf: Classifier, X: np.ndarray, make, message: str, method: str) -> None:
    with pytest.raises(ValueError, match=message):
        getattr(clf, method)(make(X, clf.feature_names))


def test_huge_finite_values_are_accepted(clf: Classifier, X: np.ndarray) -> None:
    # Their sum overflows to infinity; the fast finiteness check must not mistake that.
    rows = X[:2].copy()
    rows[:, 0] = np.finfo(np.float64).max
    assert len(clf.predict(rows)) == 2


def test_scikit_learn_still_checks_finiteness_outside_predict(clf: Classifier, X: np.ndarray) -> None:
    # predict turns scikit-learn's own check off only for its own call.
    import sklearn

    clf.predict(X[:1])
    assert sklearn.get_config()["assume_finite"] is False
