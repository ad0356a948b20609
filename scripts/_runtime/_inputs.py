"""Turn what a caller passes to ``predict`` into what the estimator was fitted on, or say why not.

The manifest names each feature, says whether it holds numbers or strings, whether the
estimator was fitted on an array or a DataFrame, and whether it accepts missing values.
:class:`Inputs` checks ``X`` against that, by feature name, and returns

- for an ``"array"`` model: a C-contiguous float64 array, columns in feature order;
- for a ``"dataframe"`` model: a pandas DataFrame with the feature columns in order: the
  caller's own DataFrame when its columns are already fit to pass on, else one built
  with float64 number columns and string columns of Python strings, NaN where missing
  (the NaN SimpleImputer and OneHotEncoder take as missing, never None).

Every refusal is a :class:`ValueError` naming the row and the column. Rows count from 0,
as Python indexes them; a DataFrame's index label is given too when it is not 0, 1, ....

This module imports numpy, which ``import <package>`` must not: it is imported on the
first prediction. pandas is imported only for a DataFrame input or a DataFrame model.
"""

from __future__ import annotations

import numbers
import sys
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

NUMERIC_KINDS = "biuf"  # numpy dtype kinds of bool, signed, unsigned and float numbers
#: What a number feature takes: real numbers; numpy's bool is not registered as one.
_NUMBER_TYPES = (numbers.Real, np.bool_)


class Inputs:
    """Checks and converts the inputs of one model, as its manifest describes them.

    Parameters
    ----------
    features : sequence of mapping
        The manifest's ``features``: ``{"name": ..., "kind": "number" | "string"}`` per
        column, in the order the estimator takes them.
    form : {"array", "dataframe"}
        The manifest's ``input``: what the estimator was fitted on.
    allow_nan : bool
        The manifest's ``allow_nan``: whether missing values (NaN, None) are accepted.

    Examples
    --------
    >>> inputs = Inputs([{"name": "a", "kind": "number"}, {"name": "b", "kind": "number"}], "array", False)
    >>> inputs([[1, 2.5]])
    array([[1. , 2.5]])
    >>> inputs([{"b": 2.5, "a": 1}]).tolist()
    [[1.0, 2.5]]
    >>> inputs([[1, "x"]])
    Traceback (most recent call last):
    ...
    ValueError: non-numeric value 'x' in row 0, column 'b'; the feature takes numbers.
    """

    def __init__(self, features: Sequence[Mapping[str, Any]], form: str, allow_nan: bool) -> None:
        self.names: tuple[str, ...] = tuple(str(feature["name"]) for feature in features)
        self.kinds: tuple[str, ...] = tuple(str(feature["kind"]) for feature in features)
        self.form = form
        self.allow_nan = allow_nan
        #: Every feature a number: the whole input is one float64 matrix.
        self.numeric = all(kind == "number" for kind in self.kinds)
        self._list = list(self.names)
        self._set = frozenset(self.names)
        first = self.names[0]
        # itemgetter gives a tuple for two names or more, the bare value for one.
        self._values: Callable[[Mapping[str, Any]], Any] = (
            itemgetter(*self.names) if len(self.names) > 1 else lambda row: (row[first],)
        )
        self._index: Any = None  # the pandas Index of the names, made when first needed

    @classmethod
    def from_manifest(cls, manifest: Mapping[str, Any]) -> Inputs:
        """The inputs of the model `manifest` describes."""
        return cls(manifest["features"], manifest["input"], manifest["allow_nan"])

    def __call__(self, X: Any) -> Any:
        """Check `X`; return it as the estimator takes it.

        Raises
        ------
        ValueError
            `X` is empty or not 2-D, a row has the wrong number of values, columns are
            missing, unknown or repeated, or a value is of the wrong kind, infinite, or
            missing (NaN, None) where the model accepts no missing values.
        """
        if isinstance(X, np.ndarray):
            return self._finish(self._from_array(X, X))
        pandas = sys.modules.get("pandas")
        if pandas is not None and isinstance(X, pandas.DataFrame):
            return self._from_frame(X)
        if isinstance(X, (list, tuple)):
            if X and isinstance(X[0], Mapping):
                return self._finish(self._from_mappings(X))
            return self._finish(self._from_array(self._rows_as_array(X), X))
        if isinstance(X, Mapping):
            raise ValueError(
                f"expected rows of {len(self.names)} features, got a single {type(X).__name__}; "
                "pass a list of dicts, one per row: predict([row])."
            )
        if hasattr(X, "columns"):
            # Any other data frame would be read by position, whatever its column names.
            raise ValueError(f"a {type(X).__module__}.{type(X).__name__} is not supported; "
                             "pass a pandas DataFrame (e.g. .to_pandas()), a 2-D array or a list of rows.")
        try:
            array = np.asarray(X)
        except (ValueError, TypeError):
            raise ValueError(f"expected a 2-D input (rows of {len(self.names)} features), "
                             f"got a {type(X).__name__}.") from None
        return self._finish(self._from_array(array, X))

    # --- Arrays and lists of rows --------------------------------------------------------

    def _rows_as_array(self, rows: Sequence[Any]) -> np.ndarray:
        if self.numeric:
            try:
                array = np.asarray(rows)
            except (ValueError, TypeError):  # ragged rows, or rows numpy cannot take apart
                array = None
            if array is not None and array.dtype.kind in NUMERIC_KINDS:
                return array
        # Text, None or objects among the values (numpy would turn [1.5, "a"] into
        # ["1.5", "a"]): keep every value as given, so that a number stays a number and
        # a message shows what was passed.
        return self._object_matrix(rows)

    def _object_matrix(self, rows: Sequence[Any]) -> np.ndarray:
        """`rows` as an object matrix of the values as given; refuse rows of the wrong length."""
        try:
            array = np.array(rows, dtype=object)
        except (ValueError, TypeError):
            array = None
        if array is None or array.shape != (len(rows), len(self.names)):
            # Ragged rows, or values that are sequences themselves: fill cell by cell.
            self._check_row_lengths(rows)
            array = np.empty((len(rows), len(self.names)), dtype=object)
            for i, row in enumerate(rows):
                for j, value in enumerate(row):
                    array[i, j] = value
        return array

    def _check_row_lengths(self, rows: Sequence[Any]) -> None:
        for i, row in enumerate(rows):
            if isinstance(row, (str, bytes)) or not hasattr(row, "__len__"):
                raise ValueError(f"row {i} is a {type(row).__name__}, not a row of {len(self.names)} values; "
                                 "pass a list of rows (or one row as [row]).")
            if len(row) != len(self.names):
                raise ValueError(self._length_message(i, len(row)))

    def _length_message(self, i: int, length: int) -> str:
        return (f"row {i} has {length} values, but the model takes {len(self.names)} features "
                f"({_some(self.names)}), in that order.")

    def _from_array(self, array: np.ndarray, given: Any) -> Any:
        """`array` checked: a float64 matrix for a numeric model, else a list of columns."""
        n = len(self.names)
        if array.ndim == 0:
            raise ValueError(f"expected a 2-D input (rows of {n} features), got a {type(given).__name__}.")
        if array.shape[0] == 0:
            raise ValueError("empty input: there are no rows to predict.")
        if array.ndim == 1:
            raise ValueError(
                f"expected a 2-D input (rows of {n} features), got a 1-D input of shape "
                f"{array.shape}; pass a single row as a list of one row: predict([row])."
            )
        if array.ndim > 2:
            raise ValueError(f"expected a 2-D input (rows of {n} features), got one of shape {array.shape}.")
        if array.shape[1] != n:
            raise ValueError(self._length_message(0, array.shape[1]))
        if not self.numeric:
            return self._columns(array.astype(object, copy=False), None)
        if array.dtype.kind in NUMERIC_KINDS:
            # C order whatever the input's layout: BLAS sums in another order otherwise,
            # and the same rows would get results that differ in the last bit.
            matrix = np.ascontiguousarray(array, dtype=np.float64)
        else:
            matrix = np.column_stack([self._object_numbers(array[:, j], j, None) for j in range(n)])
        self._check_finite(matrix, None)
        return matrix

    # --- Lists of dicts --------------------------------------------------------------------

    def _from_mappings(self, rows: Sequence[Any]) -> Any:
        expected = self._set
        for i, row in enumerate(rows):
            if type(row) is not dict and not isinstance(row, Mapping):
                raise ValueError(f"row {i} is a {type(row).__name__}, but row 0 is a dict; pass every "
                                 "row as a dict keyed by feature name, or every row as a list.")
            if row.keys() != expected:
                raise ValueError(f"row {i} has {column_problems(list(row), self.names)}.")
        table = list(map(self._values, rows))
        array = np.array(table) if self.numeric else None
        if array is None or array.dtype.kind not in NUMERIC_KINDS:
            array = self._object_matrix(table)
        return self._from_array(array, rows)

    # --- DataFrames ------------------------------------------------------------------------

    def _from_frame(self, frame: pd.DataFrame) -> Any:
        columns = frame.columns.tolist()
        in_order = columns == self._list
        if not in_order:
            problems = column_problems(columns, self.names)
            if problems:
                raise ValueError(f"the DataFrame has {problems}.")
        if len(frame) == 0:
            raise ValueError("empty input: there are no rows to predict.")
        if self.numeric:
            values = frame.to_numpy()
            if not in_order:
                values = values[:, [columns.index(name) for name in self.names]]
            if values.dtype.kind in NUMERIC_KINDS:
                if values.dtype.kind == "f":
                    self._check_finite(values, frame.index)
                if self.form == "array":
                    return np.ascontiguousarray(values, dtype=np.float64)
                # Every column a plain number: the estimator gets the caller's columns.
                return frame if in_order else frame[self._list]
            values = values.astype(object, copy=False)
            matrix = np.column_stack([self._object_numbers(values[:, j], j, frame.index)
                                      for j in range(len(self.names))])
            self._check_finite(matrix, frame.index)
            return self._finish(matrix)
        return self._frame_columns(frame, in_order)

    def _frame_columns(self, frame: pd.DataFrame, in_order: bool) -> pd.DataFrame:
        """Check a DataFrame for a model with string features, column by column."""
        import pandas as pd

        replaced: dict[str, np.ndarray] = {}
        for j, (name, kind) in enumerate(zip(self.names, self.kinds)):
            column = frame[name]
            dtype = column.dtype
            if kind == "number":
                if isinstance(dtype, np.dtype) and dtype.kind in NUMERIC_KINDS:
                    if dtype.kind == "f":
                        self._check_finite(column.to_numpy()[:, None], frame.index, j)
                else:
                    replaced[name] = self._object_numbers(column.to_numpy(dtype=object), j, frame.index)
            else:
                values = column.to_numpy(dtype=object)
                checked = self._object_strings(values, j, frame.index)
                # Strings or NaN, as given, in an object or a str column: the caller's column.
                plain = dtype == object or (isinstance(dtype, pd.StringDtype) and dtype.na_value is np.nan)
                if checked is not values or not plain:
                    replaced[name] = checked
        if not replaced and in_order:
            return frame
        return self._frame({name: replaced.get(name, frame[name]) for name in self.names})

    # --- Values ----------------------------------------------------------------------------

    def _columns(self, array: np.ndarray, index: Any) -> list[np.ndarray]:
        """The checked columns of an object matrix: float64 numbers, object strings."""
        return [
            self._object_numbers(array[:, j], j, index) if kind == "number"
            else self._object_strings(array[:, j], j, index)
            for j, kind in enumerate(self.kinds)
        ]

    def _object_numbers(self, values: np.ndarray, j: int, index: Any) -> np.ndarray:
        """An object column of numbers as float64; missing values (None, NaN) as NaN."""
        listed = values.tolist()
        if all(issubclass(kind, _NUMBER_TYPES) for kind in set(map(type, listed))):
            try:
                out = np.array(listed, dtype=np.float64)
            except OverflowError:  # an int too large for a float: the loop below says which
                pass
            else:
                self._check_finite(out[:, None], index, j)
                return out
        out = np.empty(len(listed), dtype=np.float64)
        for i, value in enumerate(listed):
            if isinstance(value, _NUMBER_TYPES):
                try:
                    out[i] = value
                except OverflowError:
                    raise ValueError(f"value {value!r} in {_where(i, j, self.names, index)} is too large "
                                     "for a 64-bit float.") from None
            elif _is_missing(value):
                if not self.allow_nan:
                    raise ValueError(f"missing value {value!r} in {_where(i, j, self.names, index)}; "
                                     "this model does not accept missing values.")
                out[i] = np.nan
            else:
                raise ValueError(f"non-numeric value {_shown(value)} in {_where(i, j, self.names, index)}; "
                                 "the feature takes numbers.")
        self._check_finite(out[:, None], index, j)
        return out

    def _object_strings(self, values: np.ndarray, j: int, index: Any) -> np.ndarray:
        """An object column of strings, missing values (None, pd.NA) as NaN: what
        SimpleImputer and OneHotEncoder take as missing. `values` itself when all is well."""
        import pandas as pd

        if pd.api.types.infer_dtype(values, skipna=False) == "string":  # one pass, in C
            return values
        missing = pd.isna(values)
        for i, value in enumerate(values.tolist()):
            if not isinstance(value, str) and not missing[i]:
                raise ValueError(f"non-string value {_shown(value)} in {_where(i, j, self.names, index)}; "
                                 "the feature takes strings.")
        if not self.allow_nan:
            self._refuse_missing(values, missing, j, index)
        if all(isinstance(value, float) for value in values[missing].tolist()):
            return values  # NaN already
        values = values.copy()
        values[missing] = np.nan
        return values

    def _refuse_missing(self, values: np.ndarray, missing: np.ndarray, j: int, index: Any) -> None:
        i = int(np.flatnonzero(missing)[0])
        raise ValueError(f"missing value {_shown(values[i])} in {_where(i, j, self.names, index)}; "
                         "this model does not accept missing values.")

    def _check_finite(self, matrix: np.ndarray, index: Any, column: int = 0) -> None:
        """Refuse infinities always, NaN unless the model accepts missing values.

        `matrix` is float; its column 0 is feature `column` (for a single column).
        """
        if self.allow_nan:
            if not np.isinf(matrix).any():
                return
            bad = np.isinf(matrix)
        else:
            # One pass, and no overflow: a sum would overflow to infinity on huge values.
            if np.isfinite(matrix).all():
                return
            bad = ~np.isfinite(matrix)
        i, j = (int(k) for k in np.argwhere(bad)[0])
        value = float(matrix[i, j])
        where = _where(i, j + column, self.names, index)
        if value != value:
            raise ValueError(f"NaN in {where}; this model does not accept missing values.")
        raise ValueError(f"an infinite value in {where}; every value must be finite.")

    # --- Output ----------------------------------------------------------------------------

    def _finish(self, checked: Any) -> Any:
        """What the estimator takes, from a checked float64 matrix or list of columns."""
        if self.form == "array":
            return checked
        if isinstance(checked, np.ndarray):
            import pandas as pd

            return pd.DataFrame(checked, columns=self._columns_index(), copy=False)
        return self._frame(dict(zip(self.names, checked)))

    def _frame(self, columns: Mapping[str, Any]) -> pd.DataFrame:
        import pandas as pd

        # Keyed in feature order already: passing columns= as well would reindex them.
        return pd.DataFrame(columns, copy=False)

    def _columns_index(self) -> Any:
        if self._index is None:
            import pandas as pd

            # Made once: building a DataFrame with a ready Index costs a fifth as much.
            self._index = pd.Index(self._list)
        return self._index


def column_problems(columns: Sequence[Any], names: Sequence[str]) -> str:
    """Describe missing, unknown and repeated columns; an empty string when there are none.

    Examples
    --------
    >>> column_problems(["b", "c", "c"], ["a", "b"])
    "missing columns 'a'; unknown columns 'c'; repeated columns 'c'"
    """
    expected, given = set(names), set(columns)
    problems = []
    missing = [name for name in names if name not in given]
    unknown = list(dict.fromkeys(name for name in columns if name not in expected))
    repeated = [name for name, count in Counter(columns).items() if count > 1]
    for what, found in (("missing", missing), ("unknown", unknown), ("repeated", repeated)):
        if found:
            problems.append(f"{what} columns {_some(found)}")
    return "; ".join(problems)


def _some(names: Sequence[Any], shown: int = 5) -> str:
    """Name the first few of `names`, and count the rest, so that a message stays one line."""
    listed = ", ".join(repr(name) for name in names[:shown])
    return listed if len(names) <= shown else f"{listed} and {len(names) - shown} more"


def _where(i: int, j: int, names: Sequence[str], index: Any) -> str:
    """``row 3, column 'age'``; with the DataFrame's index label when it is not the position."""
    label = ""
    if index is not None and not _is_default_index(index):
        label = f" (index {_shown(index[i])})"
    return f"row {i}{label}, column {names[j]!r}"


def _is_default_index(index: Any) -> bool:
    import pandas as pd

    return isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1


def _is_missing(value: Any) -> bool:
    """None, NaN, pandas' NA and NaT: what a DataFrame holds for a missing value."""
    if value is None:
        return True
    if isinstance(value, float):
        return value != value
    return type(value).__name__ in ("NAType", "NaTType")


def _shown(value: Any) -> str:
    return repr(value.item() if isinstance(value, np.generic) else value)
