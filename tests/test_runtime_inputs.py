"""Inputs to predict: every accepted form gives the same answer; every bad one a ValueError
naming the row and the column."""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest

from test_runtime_packages import Built, packages  # noqa: F401

Packages = Callable[[str], Built]


def dicts(frame: pd.DataFrame) -> list[dict[str, Any]]:
    # Keys in reverse order: a dict's order must not matter.
    return [dict(reversed(list(row.items()))) for row in frame.to_dict("records")]


def shuffled(frame: pd.DataFrame) -> pd.DataFrame:
    # Columns out of order: a DataFrame's columns are matched by name.
    names = list(frame.columns)
    return frame[list(reversed(names[::2])) + names[1::2]]


def forms(built: Built) -> dict[str, Any]:
    """The same rows in every form the package accepts."""
    frame = built.frame()
    rows = frame.astype(object).to_numpy().tolist()  # Python values, in feature order
    found: dict[str, Any] = {
        "DataFrame": frame,
        "DataFrame, columns shuffled": shuffled(frame),
        "DataFrame, another index": frame.set_axis([f"r{i}" for i in range(len(frame))]),
        "list of rows": rows,
        "tuple of tuples": tuple(map(tuple, rows)),
        "list of dicts": dicts(frame),
        "tuple of dicts": tuple(dicts(frame)),
        "object array": np.array(rows, dtype=object),
        "list of object arrays": list(np.array(rows, dtype=object)),
    }
    if all(kind == "number" for kind in (f["kind"] for f in built.manifest["features"])):
        array = frame.to_numpy(dtype=np.float64)
        found.update({
            "array": array,
            "Fortran-ordered array": np.asfortranarray(array),
            "list of arrays": list(array),
            "DataFrame of object columns": frame.astype(object),
        })
    else:
        found.update({
            "DataFrame of object columns": frame.astype(object),
            "DataFrame of category columns": frame.astype({"colour": "category", "city": "category"}),
            "DataFrame of string[python] columns": frame.astype({"colour": "string", "city": "string"}),
        })
    return found


@pytest.mark.parametrize("package", ["rt_binary", "rt_multiclass", "rt_regressor", "rt_categorical",
                                     "rt_imputed", "rt_imputed_frame"])
def test_every_input_form_gives_the_same_answer(packages: Packages, package: str) -> None:
    built = packages(package)
    model = built.module().Model()
    for method in built.manifest["methods"]:
        expected = getattr(built.estimator, method)(built.X)
        for form, value in forms(built).items():
            assert np.array_equal(getattr(model, method)(value), expected), (method, form)
    if built.manifest["task"] == "classification":
        assert len(set(built.estimator.predict(built.X).tolist())) > 1  # so that order matters


def test_integers_and_bools_are_numbers(packages: Packages) -> None:
    built = packages("rt_binary")
    model = built.module().Model()
    rounded = np.rint(built.X).astype(int)
    assert np.array_equal(model.predict_proba(rounded), model.predict_proba(rounded.astype(float)))
    assert np.array_equal(model.predict_proba(rounded.tolist()), model.predict_proba(rounded.astype(float)))
    categorical = packages("rt_categorical")
    frame = categorical.frame()
    expected = categorical.module().Model().predict_proba(frame)
    for member in (frame["member"].astype(int), frame["member"].astype(float), frame["member"].astype(object)):
        rows = frame.assign(member=member).astype(object).to_numpy().tolist()
        assert np.array_equal(categorical.module().Model().predict_proba(rows), expected)


def test_huge_finite_values_are_accepted(packages: Packages) -> None:
    # Their sum overflows to infinity; the finiteness check must not mistake that.
    built = packages("rt_binary")
    rows = built.X[:2].copy()
    rows[:, 0] = np.finfo(np.float64).max
    assert len(built.module().Model().predict(rows)) == 2


def with_value(rows: Any, i: int, j: int, value: object) -> list[list[object]]:
    listed = rows.tolist() if hasattr(rows, "tolist") else [list(row) for row in rows]
    listed[i][j] = value
    return listed


def without(row: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != key}


class FrameLike:
    """Another library's data frame: it has columns, but is no pandas DataFrame."""

    columns = ["x0"]

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return np.zeros((1, 30))


def row(X: np.ndarray, i: int) -> dict[str, float]:
    return {f"x{j}": value for j, value in enumerate(X[i].tolist())}


# The binary array model: 30 number features x0..x29, no missing values.
# (what, how to make the bad input from X (5 hold-out rows), expected message)
BAD_NUMBERS = [
    ("empty list", lambda X: [], "empty input: there are no rows"),
    ("empty array", lambda X: np.empty((0, 30)), "empty input"),
    ("empty DataFrame", lambda X: pd.DataFrame(columns=[f"x{j}" for j in range(30)], dtype=float), "empty input"),
    ("1-D row", lambda X: X[0], r"1-D input of shape \(30,\); pass a single row as a list of one row"),
    ("1-D list", lambda X: X[0].tolist(), r"1-D input of shape \(30,\)"),
    ("scalar", lambda X: 3.0, "expected a 2-D input .* got a float"),
    ("None", lambda X: None, "got a NoneType"),
    ("a string", lambda X: "1,2,3", "got a str"),
    ("a single dict", lambda X: row(X, 0), r"got a single dict; pass a list of dicts, one per row: predict\(\[row\]\)"),
    ("a Series", lambda X: pd.Series(X[0]), "1-D input"),
    ("3-D", lambda X: X[None], r"got one of shape \(1, 5, 30\)"),
    ("too few features", lambda X: X[:, :29], r"row 0 has 29 values, but the model takes 30 features \('x0', "),
    ("too many features", lambda X: np.hstack([X, X[:, :1]]), "row 0 has 31 values, but the model takes 30"),
    ("no features", lambda X: [[], []], "row 0 has 0 values"),
    ("ragged rows", lambda X: [X[0].tolist(), X[1].tolist()[:-1]], "row 1 has 29 values"),
    ("a string among rows", lambda X: [X[0].tolist(), "abc"], "row 1 is a str, not a row of 30 values"),
    ("missing key", lambda X: [row(X, 0), without(row(X, 1), "x3")], "row 1 has missing columns 'x3'"),
    ("unknown key", lambda X: [{**row(X, 0), "colour": 1.0}], "row 0 has unknown columns 'colour'"),
    ("misspelt key", lambda X: [{**without(row(X, 0), "x2"), "x_2": 1.0}],
     "row 0 has missing columns 'x2'; unknown columns 'x_2'"),
    ("mixed rows", lambda X: [row(X, 0), X[1].tolist()], "row 1 is a list, but row 0 is a dict"),
    ("missing column", lambda X: pd.DataFrame(X, columns=[f"x{j}" for j in range(30)]).drop(columns="x29"),
     "the DataFrame has missing columns 'x29'"),
    ("extra column", lambda X: pd.DataFrame(X, columns=[f"x{j}" for j in range(30)]).assign(target="benign"),
     "the DataFrame has unknown columns 'target'"),
    ("repeated column", lambda X: pd.concat([pd.DataFrame(X, columns=[f"x{j}" for j in range(30)]),
                                             pd.DataFrame(X[:, :1], columns=["x0"])], axis=1),
     "the DataFrame has repeated columns 'x0'"),
    ("unnamed columns", lambda X: pd.DataFrame(X), "missing columns 'x0', .* and 25 more; unknown columns 0, 1, "),
    ("another library's frame", lambda X: FrameLike(), "FrameLike is not supported; pass a pandas DataFrame"),
    ("NaN", lambda X: with_value(X, 2, 1, math.nan),
     "NaN in row 2, column 'x1'; this model does not accept missing values"),
    ("NaN in an array", lambda X: np.array(with_value(X, 4, 7, math.nan)), "NaN in row 4, column 'x7'"),
    ("infinity", lambda X: with_value(X, 0, 29, math.inf), "an infinite value in row 0, column 'x29'"),
    ("minus infinity", lambda X: np.array(with_value(X, 4, 0, -math.inf)), "infinite value in row 4, column 'x0'"),
    ("infinity in a DataFrame", lambda X: pd.DataFrame(with_value(X, 1, 5, math.inf), columns=[f"x{j}" for j in range(30)]),
     "infinite value in row 1, column 'x5'"),
    ("NaN in a dict", lambda X: [row(X, 0), {**row(X, 1), "x3": float("nan")}], "NaN in row 1, column 'x3'"),
    ("NaN in a DataFrame", lambda X: pd.DataFrame(with_value(X, 3, 3, None), columns=[f"x{j}" for j in range(30)]),
     "NaN in row 3, column 'x3'"),
    ("NaN in an indexed DataFrame",
     lambda X: pd.DataFrame(with_value(X, 3, 3, math.nan), columns=[f"x{j}" for j in range(30)], index=list("abcde")),
     r"NaN in row 3 \(index 'd'\), column 'x3'"),
    ("text", lambda X: with_value(X, 0, 0, "abc"),
     "non-numeric value 'abc' in row 0, column 'x0'; the feature takes numbers"),
    ("number as text", lambda X: with_value(X, 1, 2, "12.5"), "non-numeric value '12.5' in row 1, column 'x2'"),
    ("None in a row", lambda X: with_value(X, 0, 5, None),
     "missing value None in row 0, column 'x5'; this model does not accept missing values"),
    ("None in a dict", lambda X: [{**row(X, 0), "x4": None}], "missing value None in row 0, column 'x4'"),
    ("complex", lambda X: with_value(X, 0, 0, 1j), "non-numeric value 1j in row 0, column 'x0'"),
    ("Decimal", lambda X: with_value(X, 2, 0, Decimal("1.5")), r"non-numeric value Decimal\('1.5'\) in row 2"),
    ("too large", lambda X: with_value(X, 0, 3, 10**400), "value 1000.* in row 0, column 'x3' is too large"),
    ("array of text", lambda X: X.astype(str), "non-numeric value '.*' in row 0, column 'x0'"),
    ("text in a DataFrame", lambda X: pd.DataFrame(X, columns=[f"x{j}" for j in range(30)]).assign(x3="big"),
     "non-numeric value 'big' in row 0, column 'x3'"),
    ("None in an object DataFrame", lambda X: pd.DataFrame(with_value(X, 2, 6, None), columns=[f"x{j}" for j in range(30)],
                                                          dtype=object),
     "missing value None in row 2, column 'x6'"),
]


@pytest.mark.parametrize(("make", "message"), [case[1:] for case in BAD_NUMBERS], ids=[case[0] for case in BAD_NUMBERS])
@pytest.mark.parametrize("method", ["predict", "predict_proba"])
def test_bad_input_is_refused_with_its_reason(packages: Packages, make: Any, message: str, method: str) -> None:
    built = packages("rt_binary")
    model = built.module().Model()
    with pytest.raises(ValueError, match=message):
        getattr(model, method)(make(built.X[:5].copy()))


# The categorical DataFrame model: colour (str), age (int), city (str), income (float),
# member (bool); no missing values. (what, how to make it from a DataFrame of 3 rows, message)
BAD_MIXED = [
    ("number for a string", lambda F: with_value(F.astype(object).to_numpy(), 0, 0, 3),
     "non-string value 3 in row 0, column 'colour'; the feature takes strings"),
    ("bytes for a string", lambda F: [{**r, "city": b"Oslo"} for r in F.to_dict("records")],
     "non-string value b'Oslo' in row 0, column 'city'"),
    ("string for a number", lambda F: with_value(F.astype(object).to_numpy(), 1, 1, "old"),
     "non-numeric value 'old' in row 1, column 'age'; the feature takes numbers"),
    ("string for a bool", lambda F: F.astype({"member": object}).assign(member=["yes", True, False]),
     "non-numeric value 'yes' in row 0, column 'member'"),
    ("None for a string", lambda F: with_value(F.astype(object).to_numpy(), 2, 2, None),
     "missing value None in row 2, column 'city'; this model does not accept missing values"),
    ("NaN in a str column", lambda F: F.assign(colour=F["colour"].where([True, False, True])),
     "missing value nan in row 1, column 'colour'"),
    ("NaN in an object column", lambda F: F.astype({"city": object}).assign(city=["Oslo", "Lima", math.nan]),
     "missing value nan in row 2, column 'city'"),
    ("pd.NA in a string column", lambda F: F.astype({"city": "string"}).assign(city=pd.array(["Oslo", None, "Lima"], dtype="string")),
     "missing value <NA> in row 1, column 'city'"),
    ("NaN for a number", lambda F: F.assign(income=[1.0, math.nan, 2.0]), "NaN in row 1, column 'income'"),
    ("infinity in a DataFrame", lambda F: F.assign(income=[math.inf, 1.0, 2.0]),
     "an infinite value in row 0, column 'income'"),
    ("infinity in a list", lambda F: with_value(F.astype(object).to_numpy(), 2, 3, -math.inf),
     "infinite value in row 2, column 'income'"),
    ("numbers only", lambda F: np.zeros((3, 5)), "non-string value 0.0 in row 0, column 'colour'"),
    ("missing column", lambda F: F.drop(columns="member"), "the DataFrame has missing columns 'member'"),
    ("missing key", lambda F: [without(r, "age") for r in F.to_dict("records")], "row 0 has missing columns 'age'"),
    ("short row", lambda F: [r[:-1] for r in F.astype(object).to_numpy().tolist()],
     r"row 0 has 4 values, but the model takes 5 features \('colour', 'age', 'city', 'income', 'member'\)"),
    ("ragged rows", lambda F: [r[:-1] if i == 2 else r for i, r in enumerate(F.astype(object).to_numpy().tolist())],
     "row 2 has 4 values"),
    ("empty DataFrame", lambda F: F.iloc[:0], "empty input"),
    ("label in the index", lambda F: F.set_axis(["p", "q", "r"]).assign(age=[1, "x", 2]),
     r"non-numeric value 'x' in row 1 \(index 'q'\), column 'age'"),
]


@pytest.mark.parametrize(("make", "message"), [case[1:] for case in BAD_MIXED], ids=[case[0] for case in BAD_MIXED])
def test_bad_mixed_input_is_refused_with_its_reason(packages: Packages, make: Any, message: str) -> None:
    built = packages("rt_categorical")
    with pytest.raises(ValueError, match=message):
        built.module().Model().predict(make(built.frame().iloc[:3].reset_index(drop=True)))


def test_missing_values_are_nan_to_a_model_that_accepts_them(packages: Packages) -> None:
    built = packages("rt_imputed")
    model = built.module().Model()
    X = built.X[:6].copy()
    X[0, 1] = X[3, 4] = np.nan
    expected = built.estimator.predict_proba(X)
    for given in (X, X.tolist(), with_value(X, 0, 1, None), pd.DataFrame(X, columns=built.names)):
        assert np.array_equal(model.predict_proba(given), expected)
    with pytest.raises(ValueError, match="an infinite value in row 2, column 'x5'; every value must be finite"):
        model.predict(with_value(X, 2, 5, math.inf))


def test_missing_strings_are_nan_to_a_model_that_accepts_them(packages: Packages) -> None:
    built = packages("rt_imputed_frame")
    model = built.module().Model()
    frame = built.frame().iloc[:6].reset_index(drop=True)
    frame.loc[[1, 4], "colour"] = np.nan
    frame.loc[2, "income"] = np.nan
    expected = built.estimator.predict_proba(frame)
    rows = frame.astype(object).to_numpy().tolist()
    as_none = [[None if isinstance(v, float) and math.isnan(v) and j == 0 else v for j, v in enumerate(r)] for r in rows]
    with_na = frame.astype({"colour": "string"})
    object_none = frame.assign(colour=pd.Series([r[0] for r in as_none], dtype=object))
    for what, given in {"DataFrame": frame, "rows with NaN": rows, "rows with None": as_none,
                        "string dtype with pd.NA": with_na, "object column with None": object_none}.items():
        assert np.array_equal(model.predict_proba(given), expected), what
    assert object_none["colour"].tolist()[1] is None  # the caller's DataFrame is left alone
    with pytest.raises(ValueError, match="non-string value 7 in row 0, column 'city'"):
        model.predict(with_value(rows, 0, 2, 7))


# --- What the estimator is given ----------------------------------------------------------------

def inputs_of(built: Built) -> Any:
    """The input check of `built`'s package, as its Model builds it."""
    built.module()
    return importlib.import_module(f"{built.package}._runtime._inputs").Inputs.from_manifest(built.manifest)


def test_a_dataframe_in_feature_order_reaches_the_estimator_as_it_is(packages: Packages) -> None:
    for package in ("rt_multiclass", "rt_categorical"):
        built = packages(package)
        frame = built.frame()
        assert inputs_of(built)(frame) is frame, package
        reordered = inputs_of(built)(shuffled(frame))
        assert list(reordered.columns) == built.names
        assert list(reordered.dtypes) == list(frame.dtypes)


def test_an_array_model_gets_a_c_ordered_float64_array(packages: Packages) -> None:
    built = packages("rt_binary")
    for given in (np.asfortranarray(built.X), built.X.astype(np.float32), built.X.astype(int).tolist(),
                  built.frame()):
        checked = inputs_of(built)(given)
        assert isinstance(checked, np.ndarray) and checked.dtype == np.float64 and checked.flags.c_contiguous


def test_a_dataframe_model_gets_a_dataframe_of_its_features_in_order(packages: Packages) -> None:
    built = packages("rt_categorical")
    checked = inputs_of(built)(built.frame().astype(object).to_numpy().tolist())
    assert isinstance(checked, pd.DataFrame)
    assert list(checked.columns) == built.names
    assert [checked[name].dtype.kind for name in ("age", "income", "member")] == ["f", "f", "f"]


def test_missing_strings_are_handed_on_as_nan(packages: Packages) -> None:
    # pandas 3 turns None into NaN in a str column by itself; pandas 2 keeps None in an
    # object column, which SimpleImputer does not see as missing. The column is made NaN
    # before any DataFrame is built, whatever pandas does then.
    check = inputs_of(packages("rt_imputed_frame"))
    column = np.array(["Oslo", None, pd.NA, math.nan], dtype=object)
    strings = check._object_strings(column, 2, None)
    assert strings[0] == "Oslo" and all(isinstance(v, float) and math.isnan(v) for v in strings[1:])
    assert column[1] is None  # a copy: the caller's values are left alone
