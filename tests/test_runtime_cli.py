"""The command line: predictions or probabilities for a CSV file, the manifest as JSON; one
line and exit code 2 for a bad file or command line, 1 for an unusable model."""

from __future__ import annotations

import csv
import importlib
import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from test_runtime_packages import HEAVY, Built, packages, python  # noqa: F401

Packages = Callable[[str], Built]
Run = Callable[..., tuple[int, str, str]]


def cli(built: Built) -> Any:
    """The package's ``_runtime._cli`` module (``python -m`` imports it; the package does not)."""
    built.module()
    return importlib.import_module(f"{built.package}._runtime._cli")


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Callable[[Built], Run]:
    """``run(built)("predict", FILE)``: the package's main() on its model; (exit code, stdout, stderr)."""

    def runner(built: Built) -> Run:
        main = cli(built).main

        def run(command: str, *rest: str, model_dir: Path | None = None) -> tuple[int, str, str]:
            code = main([command, "--model-dir", str(model_dir or built.package_dir), *rest])
            out, err = capsys.readouterr()
            return code, out, err

        return run

    return runner


def write_samples(built: Built, path: Path, rows: int = 10) -> Path:
    """The hold-out's first rows, without labels, columns in reverse order; missing cells empty."""
    frame = built.frame().iloc[:rows]
    frame = frame[list(reversed(frame.columns))]
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(frame.columns)
        writer.writerows([["" if pd.isna(v) else repr(v) if isinstance(v, float) else v for v in row]
                          for row in frame.astype(object).to_numpy().tolist()])
    return path


def expected(built: Built, rows: int = 10) -> Any:
    return built.frame().iloc[:rows] if isinstance(built.X, pd.DataFrame) else built.X[:rows]


def test_predict_prints_one_label_per_row(packages: Packages, run: Any, tmp_path: Path) -> None:
    built = packages("rt_binary")
    code, out, err = run(built)("predict", str(write_samples(built, tmp_path / "samples.csv")))
    assert (code, err) == (0, "")
    assert out.splitlines() == built.estimator.predict(expected(built)).tolist()
    assert set(out.splitlines()) == {"benign", "malignant"}


def test_integer_labels_print_as_integers(packages: Packages, run: Any, tmp_path: Path) -> None:
    built = packages("rt_multiclass")
    code, out, _ = run(built)("predict", str(write_samples(built, tmp_path / "samples.csv", rows=40)))
    assert code == 0
    assert out.splitlines() == [str(label) for label in built.estimator.predict(expected(built, 40)).tolist()]
    assert set(out.splitlines()) == {"0", "1", "2"}


def test_a_regressor_prints_exact_values(packages: Packages, run: Any, tmp_path: Path) -> None:
    built = packages("rt_regressor")
    code, out, _ = run(built)("predict", str(write_samples(built, tmp_path / "samples.csv")))
    assert code == 0
    assert [float(line) for line in out.splitlines()] == built.estimator.predict(expected(built)).tolist()


def test_proba_prints_a_csv_of_exact_probabilities(packages: Packages, run: Any, tmp_path: Path) -> None:
    built = packages("rt_categorical")
    code, out, err = run(built)("predict", str(write_samples(built, tmp_path / "samples.csv")), "--proba")
    assert (code, err) == (0, "")
    header, *rows = list(csv.reader(io.StringIO(out)))
    assert header == ["no", "yes"]
    assert [[float(p) for p in row] for row in rows] == built.estimator.predict_proba(expected(built)).tolist()


def test_empty_cells_are_missing_values_to_a_model_that_accepts_them(packages: Packages, run: Any,
                                                                    tmp_path: Path) -> None:
    built = packages("rt_imputed_frame")
    frame = expected(built, 40)
    assert frame.isna().any().any()  # the samples do have missing strings and numbers
    code, out, err = run(built)("predict", str(write_samples(built, tmp_path / "samples.csv", rows=40)), "--proba")
    assert (code, err) == (0, "")
    assert [[float(p) for p in row] for row in list(csv.reader(io.StringIO(out)))[1:]] == \
        built.estimator.predict_proba(frame).tolist()


def test_info_prints_the_manifest(packages: Packages, run: Any) -> None:
    built = packages("rt_multiclass")
    code, out, _ = run(built)("info")
    assert code == 0 and json.loads(out) == built.manifest


def write(tmp_path: Path, content: str | bytes) -> Path:
    path = tmp_path / "bad.csv"
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


HEADER = ",".join(f"x{j}" for j in range(30))
GOOD = ["1.5"] * 30


def line(cells: list[str]) -> str:
    return ",".join(cells) + "\n"


# The binary model: 30 number features x0..x29. (what, the file, expected one-line message)
BAD_FILES = [
    ("missing", lambda tmp: tmp / "absent.csv", "cannot read .*absent.csv: No such file or directory"),
    ("a directory", lambda tmp: tmp, "cannot read .*: Is a directory"),
    ("binary", lambda tmp: write(tmp, b"\x89PNG\r\n\x1a\n\x00\xff"), "not a UTF-8 text file"),
    ("empty", lambda tmp: write(tmp, ""), "empty file: expected a header row of feature names"),
    ("header only", lambda tmp: write(tmp, HEADER + "\n"), "no samples: the file has a header but no rows"),
    ("no header", lambda tmp: write(tmp, line(GOOD)), "line 1: the header has missing columns 'x0'"),
    ("unknown column", lambda tmp: write(tmp, HEADER + ",target\n" + line(GOOD + ["benign"])),
     "line 1: the header has unknown columns 'target'"),
    ("repeated column", lambda tmp: write(tmp, HEADER + ",x3\n" + line(GOOD + ["1"])),
     "line 1: the header has repeated columns 'x3'"),
    ("missing column", lambda tmp: write(tmp, HEADER.replace("x0,", "") + "\n" + line(GOOD[1:])),
     "line 1: the header has missing columns 'x0'"),
    ("short row", lambda tmp: write(tmp, HEADER + "\n" + line(GOOD) + line(GOOD[1:])),
     "line 3: 29 values, but the header names 30 columns"),
    ("text", lambda tmp: write(tmp, HEADER + "\n" + line(["big"] + GOOD[1:])),
     "line 2, column 'x0': 'big' is not a number"),
    ("empty cell", lambda tmp: write(tmp, HEADER + "\n\n" + line(GOOD[:4] + [""] + GOOD[5:])),
     "line 3, column 'x4': the cell is empty, and this model does not accept missing values"),
    ("NaN", lambda tmp: write(tmp, HEADER + "\n" + line(GOOD[:-1] + ["nan"])),
     "line 2, column 'x29': 'nan' is not a finite number"),
    ("infinity", lambda tmp: write(tmp, HEADER + "\n" + line(GOOD[:-1] + ["-inf"])),
     "line 2, column 'x29': '-inf' is not a finite number"),
]


@pytest.mark.parametrize(("make", "message"), [case[1:] for case in BAD_FILES], ids=[case[0] for case in BAD_FILES])
@pytest.mark.parametrize("proba", [False, True], ids=["labels", "proba"])
def test_a_bad_file_gets_one_line_and_exit_code_2(packages: Packages, run: Any, tmp_path: Path,
                                                 make: Any, message: str, proba: bool) -> None:
    code, out, err = run(packages("rt_binary"))("predict", str(make(tmp_path)), *(["--proba"] if proba else []))
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("error: ")
    assert re.search(message, err), err


def test_strings_are_kept_and_empty_strings_refused(packages: Packages, run: Any, tmp_path: Path) -> None:
    built = packages("rt_categorical")
    header = "member,income,city,age,colour\n"
    code, out, _ = run(built)("predict", str(write(tmp_path, header + "True,51.5,  Oslo,33,red\n")))
    assert code == 0
    # The cell is given as written: " Oslo" is a city the encoder never saw, so ignored.
    assert out.splitlines() == built.estimator.predict(pd.DataFrame(
        {"colour": ["red"], "age": [33.0], "city": ["  Oslo"], "income": [51.5], "member": [1.0]})).tolist()
    code, out, err = run(built)("predict", str(write(tmp_path, header + "1,51.5,,33,red\n")))
    assert (code, out) == (2, "")
    assert "line 2, column 'city': the cell is empty, and this model does not accept missing values" in err


def test_proba_of_a_regressor_is_a_usage_error(packages: Packages, run: Any, tmp_path: Path) -> None:
    built = packages("rt_regressor")
    code, out, err = run(built)("predict", str(write_samples(built, tmp_path / "samples.csv")), "--proba")
    assert (code, out) == (2, "")
    assert err == "error: --proba: rt-regressor 1.2.0 has no predict_proba: its estimator (Ridge, a regressor) " \
                  "does not provide it. It has predict.\n"


def test_a_tampered_model_is_exit_code_1(packages: Packages, run: Any, tmp_path: Path) -> None:
    built = packages("rt_binary")
    model_dir = built.copy_model(tmp_path / "model")
    (model_dir / "model.joblib").write_bytes(b"not a model")
    code, out, err = run(built)("predict", str(write_samples(built, tmp_path / "samples.csv")), model_dir=model_dir)
    assert (code, out) == (1, "")
    assert err.count("\n") == 1 and "was altered" in err


def test_a_folder_without_a_model_is_exit_code_1(packages: Packages, run: Any, tmp_path: Path) -> None:
    code, out, err = run(packages("rt_binary"))("info", model_dir=tmp_path)
    assert (code, out) == (1, "")
    assert err.startswith("error: ") and "manifest.json not found" in err and err.count("\n") == 1


@pytest.mark.parametrize("argv", [[], ["predict"], ["score", "x.csv"], ["info", "--bogus"]])
def test_a_bad_command_line_is_exit_code_2(packages: Packages, argv: list[str],
                                          capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        cli(packages("rt_binary")).main(argv)
    assert caught.value.code == 2
    assert capsys.readouterr().err.startswith("usage: python -m rt_binary")


def test_python_dash_m_runs_the_packaged_model(packages: Packages, tmp_path: Path) -> None:
    # As a user runs it: the package's own model, found without --model-dir.
    built = packages("rt_categorical")
    samples = write_samples(built, tmp_path / "samples.csv")
    result = python("", built.site, "-m", "rt_categorical", "predict", str(samples))
    assert result.stderr == ""
    assert result.stdout.splitlines() == built.estimator.predict(expected(built)).tolist()
    help_text = python("", built.site, "-m", "rt_categorical", "--help").stdout
    assert help_text.startswith("usage: python -m rt_categorical [-h] {predict,info}")


def test_info_imports_no_heavy_module(packages: Packages) -> None:
    built = packages("rt_binary")
    code = f"""
import contextlib, io, json, runpy, sys
sys.argv = ["rt_binary", "info"]
out = io.StringIO()
with contextlib.redirect_stdout(out):
    try:
        runpy.run_module("rt_binary", run_name="__main__", alter_sys=True)
    except SystemExit as exit:
        assert exit.code == 0, exit.code
print(json.dumps([json.loads(out.getvalue())["version"], sorted({{m.split(".")[0] for m in sys.modules}} & set({HEAVY!r}))]))
"""
    version, loaded = json.loads(python(code, built.site).stdout)
    assert version == "1.2.0" and loaded == []


def test_the_package_name_defaults_to_the_folder_above(packages: Packages, capsys: pytest.CaptureFixture[str]) -> None:
    parser = cli(packages("rt_regressor"))
    assert parser.build_parser("rt_regressor").prog == "python -m rt_regressor"
    with pytest.raises(SystemExit):
        parser.main(["--help"])
    assert capsys.readouterr().out.startswith("usage: python -m rt_regressor")
