"""Turn what a caller passes to ``predict`` into a checked float matrix, or say why not.

Every check raises :class:`ValueError` naming the problem, so that nothing is ever
predicted from a misshapen input. Rows in messages count from 0, as Python indexes them.
"""

from __future__ import annotations

import numbers
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np


def as_matrix(X: Any, feature_names: Sequence[str]) -> np.ndarray:
    """Check `X` and return it as a 2-D float64 array, columns in `feature_names` order.

    Parameters
    ----------
    X : array-like, list of dict, or pandas.DataFrame
        A 2-D numpy array or list of rows (columns in `feature_names` order), a list of
        dicts keyed by feature name, or a DataFrame (columns matched by name).
    feature_names : sequence of str
        The features the model expects, in order.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_rows, len(feature_names))``, finite float64 values.

    Raises
    ------
    ValueError
        `X` is empty or not 2-D, has the wrong number of features, missing or unknown
        columns, non-numeric values, or NaN or infinite values.
    """
    if _is_dataframe(X):
        matrix = _from_dataframe(X, feature_names)
    elif _is_list_of_mappings(X):
        matrix = _from_mappings(X, feature_names)
    else:
        matrix = _from_array_like(X)
    _check_shape(matrix, len(feature_names), X)
    matrix = _to_float(matrix, feature_names)
    _check_finite(matrix, feature_names)
    return matrix


def _is_dataframe(X: Any) -> bool:
    # Duck-typed, so that pandas is never imported here.
    return hasattr(X, "columns") and hasattr(X, "to_numpy") and getattr(X, "ndim", None) == 2


def _is_list_of_mappings(X: Any) -> bool:
    return isinstance(X, (list, tuple)) and len(X) > 0 and isinstance(X[0], Mapping)


def column_problems(columns: Sequence[Any], feature_names: Sequence[str]) -> str:
    """Describe missing, unknown and repeated columns; an empty string when there are none."""
    expected, given = set(feature_names), set(columns)
    problems = []
    missing = [name for name in feature_names if name not in given]
    unknown = [name for name in columns if name not in expected]
    repeated = [name for name, count in Counter(columns).items() if count > 1]
    for what, names in (("missing", missing), ("unknown", unknown), ("repeated", repeated)):
        if names:
            problems.append(f"{what} columns {_some(names)}")
    return "; ".join(problems)


def _some(names: Sequence[Any], shown: int = 5) -> str:
    """Name the first few of `names`, and count the rest, so a message stays one line."""
    listed = ", ".join(repr(name) for name in names[:shown])
    return listed if len(names) <= shown else f"{listed} and {len(names) - shown} more"


def _from_dataframe(X: Any, feature_names: Sequence[str]) -> np.ndarray:
    problems = column_problems(list(X.columns), feature_names)
    if problems:
        raise ValueError(f"{problems}.")
    return X[list(feature_names)].to_numpy()


def _from_mappings(rows: Sequence[Any], feature_names: Sequence[str]) -> np.ndarray:
    expected = set(feature_names)
    matrix = np.empty((len(rows), len(feature_names)), dtype=object)
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise ValueError(f"row {i} is a {type(row).__name__}, but row 0 is a dict; pass all rows alike.")
        if row.keys() != expected:
            raise ValueError(f"row {i}: {column_problems(list(row), feature_names)}.")
        for j, name in enumerate(feature_names):
            matrix[i, j] = row[name]
    return matrix


def _from_array_like(X: Any) -> np.ndarray:
    try:
        array = np.asarray(X)
    except ValueError:
        raise ValueError("rows have different lengths; every row needs one value per feature.") from None
    if array.dtype.kind not in "biuf" and not isinstance(X, np.ndarray):
        # Mixed lists turn into strings ([1.5, "a"] -> ["1.5", "a"]); keep each value
        # as given, so that the message names the one that is not a number.
        array = np.asarray(X, dtype=object)
    return array


def _check_shape(matrix: np.ndarray, n_features: int, X: Any) -> None:
    if matrix.ndim == 0:
        raise ValueError(f"expected a 2-D input (rows of {n_features} features), got a {type(X).__name__}.")
    if matrix.shape[0] == 0:
        raise ValueError("empty input: there are no rows to predict.")
    if matrix.ndim == 1:
        raise ValueError(
            f"expected a 2-D input (rows of {n_features} features), got a 1-D input of "
            f"shape {matrix.shape}; pass a single sample as a list of one row."
        )
    if matrix.ndim > 2:
        raise ValueError(f"expected a 2-D input (rows of {n_features} features), got shape {matrix.shape}.")
    if matrix.shape[1] != n_features:
        raise ValueError(f"expected {n_features} features per row, got {matrix.shape[1]}.")


def _to_float(matrix: np.ndarray, feature_names: Sequence[str]) -> np.ndarray:
    # C order whatever the input's layout: BLAS sums in another order otherwise, and the
    # same rows would get probabilities that differ in the last bit.
    if matrix.dtype.kind in "biuf":
        return np.ascontiguousarray(matrix, dtype=np.float64)
    for (i, j), value in np.ndenumerate(matrix):
        if not _is_number(value):
            shown = value.item() if isinstance(value, np.generic) else value
            raise ValueError(f"non-numeric value {shown!r} in row {i}, column {feature_names[j]!r}.")
    return np.ascontiguousarray(matrix, dtype=np.float64)


def _is_number(value: Any) -> bool:
    # np.bool_ is not registered as a number, but numpy itself treats it as 0 or 1.
    return isinstance(value, (numbers.Real, np.bool_))


def _check_finite(matrix: np.ndarray, feature_names: Sequence[str]) -> None:
    # The sum is finite when every value is: one pass and no temporary array, where the
    # search for the first bad value costs as much as the prediction itself.
    with np.errstate(over="ignore"):
        total = matrix.sum()
    if np.isfinite(total):
        return
    bad = np.argwhere(~np.isfinite(matrix))
    if len(bad):  # else the sum overflowed, and every value is finite
        i, j = bad[0]
        what = "NaN" if np.isnan(matrix[i, j]) else "an infinite value"
        raise ValueError(f"{what} in row {i}, column {feature_names[j]!r}; every value must be a finite number.")
