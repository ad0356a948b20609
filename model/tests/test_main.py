"""The command line: labels or probabilities for a CSV file; one line and exit 2 for a bad file."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from model_project import Trained
from tumor_classifier import Classifier
from tumor_classifier.__main__ import main


@pytest.fixture
def run(trained: Trained, capsys: pytest.CaptureFixture[str]):
    """Run ``main`` on the trained model; return (exit code, stdout, stderr)."""

    def run(*argv: str) -> tuple[int, str, str]:
        command, *rest = argv
        code = main([command, "--model-dir", str(trained.model_dir), *rest])
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def samples(trained: Trained, tmp_path: Path) -> Path:
    """The hold-out's first ten rows, without their labels, columns in reverse order."""
    with open(trained.holdout, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))[:11]
    path = tmp_path / "samples.csv"
    with open(path, "w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows([list(reversed(row[:-1])) for row in rows])
    return path


def expected(trained: Trained, samples: Path) -> tuple[list[str], list[list[float]]]:
    """What the API says about `samples`: labels and probabilities."""
    with open(samples, newline="", encoding="utf-8") as handle:
        rows = [{k: float(v) for k, v in row.items()} for row in csv.DictReader(handle)]
    clf = Classifier(trained.model_dir)
    return clf.predict(rows).tolist(), clf.predict_proba(rows).tolist()


def test_predict_prints_one_label_per_row(run, trained: Trained, samples: Path) -> None:
    code, out, err = run("predict", str(samples))
    assert (code, err) == (0, "")
    assert out.splitlines() == expected(trained, samples)[0]
    assert set(out.splitlines()) == {"benign", "malignant"}


def test_proba_prints_a_csv_of_exact_probabilities(run, trained: Trained, samples: Path) -> None:
    code, out, err = run("predict", str(samples), "--proba")
    assert (code, err) == (0, "")
    header, *rows = list(csv.reader(io.StringIO(out)))
    assert header == ["benign", "malignant"]
    assert [[float(p) for p in row] for row in rows] == expected(trained, samples)[1]


def test_info_prints_the_manifest(run, trained: Trained) -> None:
    code, out, _ = run("info")
    assert code == 0 and json.loads(out) == trained.manifest


def write(tmp_path: Path, content: str | bytes) -> Path:
    path = tmp_path / "bad.csv"
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def header(trained: Trained) -> str:
    return ",".join(trained.manifest["feature_names"])


def good_row() -> list[str]:
    return ["1.5"] * 30


# (what, how to make the file from the fixtures, expected one-line message)
BAD_FILES = [
    ("missing", lambda tmp, t: tmp / "absent.csv", "cannot read .*absent.csv: No such file or directory"),
    ("a directory", lambda tmp, t: tmp, "cannot read .*: Is a directory"),
    ("binary", lambda tmp, t: write(tmp, b"\x89PNG\r\n\x1a\n\x00\xff"), "not a UTF-8 text file"),
    ("empty", lambda tmp, t: write(tmp, ""), "empty file"),
    ("header only", lambda tmp, t: write(tmp, header(t) + "\n"), "no samples"),
    ("no header", lambda tmp, t: write(tmp, ",".join(good_row()) + "\n"), "line 1: the header has missing columns"),
    ("unknown column", lambda tmp, t: write(tmp, header(t) + ",target\n" + ",".join(good_row() + ["benign"]) + "\n"),
     "line 1: the header has unknown columns 'target'"),
    ("missing column", lambda tmp, t: write(tmp, header(t).replace("mean radius,", "") + "\n" + ",".join(good_row()[1:]) + "\n"),
     "line 1: the header has missing columns 'mean radius'"),
    ("short row", lambda tmp, t: write(tmp, header(t) + "\n" + ",".join(good_row()) + "\n" + ",".join(good_row()[1:]) + "\n"),
     "line 3: 29 values, but the header names 30 columns"),
    ("text", lambda tmp, t: write(tmp, header(t) + "\n" + ",".join(["big"] + good_row()[1:]) + "\n"),
     "line 2, column 'mean radius': 'big' is not a number"),
    ("empty cell", lambda tmp, t: write(tmp, header(t) + "\n" + ",".join([""] + good_row()[1:]) + "\n"),
     "line 2, column 'mean radius': '' is not a number"),
    ("NaN", lambda tmp, t: write(tmp, header(t) + "\n" + ",".join(good_row()[:-1] + ["nan"]) + "\n"),
     "line 2, column 'worst fractal dimension': 'nan' is not a finite number"),
]


@pytest.mark.parametrize(("make", "message"), [case[1:] for case in BAD_FILES], ids=[case[0] for case in BAD_FILES])
@pytest.mark.parametrize("proba", [False, True], ids=["labels", "proba"])
def test_a_bad_file_gets_one_line_and_exit_code_2(run, trained, tmp_path, make, message, proba) -> None:
    path = make(tmp_path, trained)
    code, out, err = run("predict", str(path), *(["--proba"] if proba else []))
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("error: ")
    assert re.search(message, err), err


def test_a_tampered_model_is_exit_code_1(model_dir: Path, samples: Path, capsys) -> None:
    (model_dir / "model.joblib").write_bytes(b"not a model")
    assert main(["predict", "--model-dir", str(model_dir), str(samples)]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "was altered" in err


def test_no_command_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as caught:
        main([])
    assert caught.value.code == 2


def test_python_dash_m_runs_the_packaged_model(trained: Trained, samples: Path) -> None:
    # As a user runs it: the package's own model, found without --model-dir.
    env = {**os.environ, "PYTHONPATH": str(trained.root / "src")}
    result = subprocess.run(
        [sys.executable, "-m", "tumor_classifier", "predict", str(samples)],
        capture_output=True, text=True, env=env, cwd=trained.root, check=False,
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines() == expected(trained, samples)[0]
