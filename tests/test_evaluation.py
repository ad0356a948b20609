"""_evaluation: a package scored where it is installed, and the scores judged.

``evaluate`` runs ``_evaluate.py`` with the Python it is given: here this one, on a small
package written by the test (a regressor that predicts its first feature), so that it is
fast and needs no training; and with ``run`` recorded, to see what it is asked to run.
The judging (``gate_failures``, ``mismatches``) is tested in test_scoring.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import _evaluation
from _wheelwright import PipelineError, clean_env

ROWS = [(1.0, 5.0, 1.5), (2.0, 4.0, 2.0), (3.0, 3.0, 2.5), (4.0, 2.0, 4.5)]  # x0, x1, target
PACKAGE = '''
import os
import time

MANIFEST = {MANIFEST}
time.sleep(MANIFEST.pop("sleep", 0))
if MANIFEST.pop("where", False):  # tells where it runs, and what it was given
    MANIFEST["version"] = os.path.basename(os.getcwd()) + " " + os.environ.get("GIVEN", "nothing")


class Model:
    metadata = MANIFEST

    def predict(self, X):
        if MANIFEST.get("broken"):
            raise RuntimeError("the model is broken")
        return X[:, 0]
'''


#: Under mutmut (make mutation), a child that imports the mutated modules from a folder
#: without mutmut's configuration cannot start; these tests stay in `make test`.
RUNS_THE_EVALUATOR = pytest.mark.skipif("MUTANT_UNDER_TEST" in os.environ,
                                        reason="the evaluator's process cannot import mutmut's mutants")


def write_package(root: Path, **extra) -> Path:
    """``firstfeature``, a package whose model predicts its first feature, and its hold-out set."""
    manifest = {"task": "regression", "input": "array", "methods": ["predict"], "target": "y",
                "features": [{"name": "x0", "kind": "number", "dtype": "float64"},
                             {"name": "x1", "kind": "number", "dtype": "float64"}],
                "version": "1.0.0", "metrics": {"r2": 0.5, "neg_mean_absolute_error": -1.0}, **extra}
    (root / "firstfeature").mkdir(parents=True)
    (root / "firstfeature" / "__init__.py").write_text(PACKAGE.replace("{MANIFEST}", repr(manifest)))
    holdout = root / "holdout.csv"
    holdout.write_text("x0,x1,y\n" + "".join(f"{a!r},{b!r},{y!r}\n" for a, b, y in ROWS))
    return holdout


def evaluate(root: Path, holdout: Path) -> dict:
    return _evaluation.evaluate(sys.executable, "firstfeature", holdout, cwd=root,
                                env=clean_env(PYTHONPATH=str(root)))


@RUNS_THE_EVALUATOR
def test_the_package_is_scored_through_its_own_predict(tmp_path):
    from sklearn.metrics import mean_absolute_error, r2_score

    result = evaluate(tmp_path, write_package(tmp_path))
    truth, predicted = [row[2] for row in ROWS], [row[0] for row in ROWS]
    assert result["metrics"] == pytest.approx({"r2": r2_score(truth, predicted),
                                               "neg_mean_absolute_error": -mean_absolute_error(truth, predicted)})
    assert result["recorded"] == {"r2": 0.5, "neg_mean_absolute_error": -1.0}
    assert result["rows"] == 4 and result["version"] == "1.0.0"
    assert result["python"].startswith("%d.%d." % sys.version_info[:2])
    assert Path(result["package_file"]) == tmp_path / "firstfeature" / "__init__.py"


@RUNS_THE_EVALUATOR
def test_it_runs_in_the_folder_and_environment_it_is_given(tmp_path):
    holdout = write_package(tmp_path / "site", where=True)
    (tmp_path / "elsewhere").mkdir()
    result = _evaluation.evaluate(sys.executable, "firstfeature", holdout, cwd=tmp_path / "elsewhere",
                                  env=clean_env(PYTHONPATH=str(tmp_path / "site"), GIVEN="this"))
    assert result["version"] == "elsewhere this"
    with pytest.raises(PipelineError) as caught:  # the package is found through the environment only
        _evaluation.evaluate(sys.executable, "firstfeature", holdout, cwd=tmp_path / "site", env=clean_env())
    assert "No module named 'firstfeature'" in caught.value.message


def test_a_missing_hold_out_set_is_named_before_anything_runs(tmp_path):
    with pytest.raises(PipelineError) as caught:
        _evaluation.evaluate("/nonexistent/python", "firstfeature", tmp_path / "holdout.csv", cwd=tmp_path, env={})
    assert caught.value.message == f"The hold-out set {tmp_path / 'holdout.csv'} does not exist."
    assert caught.value.hint == "Training writes it: run the train stage first."


@RUNS_THE_EVALUATOR
def test_a_model_that_fails_is_one_line_naming_what_failed(tmp_path):
    holdout = write_package(tmp_path, broken=True)
    with pytest.raises(PipelineError) as caught:
        evaluate(tmp_path, holdout)
    assert caught.value.message == ("Scoring firstfeature on the hold-out set failed (exit code 1): "
                                    "RuntimeError: the model is broken.")


@RUNS_THE_EVALUATOR
def test_a_model_that_hangs_is_stopped_at_the_timeout_with_a_hint(tmp_path, monkeypatch):
    monkeypatch.setattr(_evaluation, "TIMEOUT", 1.0)
    holdout = write_package(tmp_path, sleep=60)
    with pytest.raises(PipelineError) as caught:
        evaluate(tmp_path, holdout)
    assert caught.value.message == "Scoring firstfeature on the hold-out set did not finish within 1 s: it was stopped."
    assert caught.value.hint == ("Predicting the hold-out set should take seconds: does the model's predict hang, "
                                 "or wait for something?")


@RUNS_THE_EVALUATOR
def test_the_evaluator_prints_one_json_object(tmp_path):
    holdout = write_package(tmp_path)
    done = subprocess.run([sys.executable, str(_evaluation.EVALUATE), "firstfeature", str(holdout)], cwd=tmp_path,
                          env=clean_env(PYTHONPATH=str(tmp_path)), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert set(json.loads(done.stdout)) == {"package_file", "version", "python", "rows", "recorded", "metrics"}


# --- What evaluate asks run for, recorded -----------------------------------------------------

def test_evaluate_runs_the_evaluator_with_what_it_was_given_and_parses_its_answer(tmp_path, monkeypatch):
    holdout = tmp_path / "holdout.csv"
    holdout.write_text("x0,y\n1.0,1.0\n")
    calls = []

    def run(argv, **kwargs):
        calls.append((argv, kwargs))
        return subprocess.CompletedProcess(argv, 0, json.dumps({"rows": 1, "metrics": {"r2": 1.0}}), "")

    monkeypatch.setattr(_evaluation, "run", run)
    env = {"PATH": "/bin", "GIVEN": "yes"}
    assert _evaluation.evaluate("/venv/bin/python", "churn_model", holdout, cwd=tmp_path / "c", env=env) == {
        "rows": 1, "metrics": {"r2": 1.0}}
    [(argv, kwargs)] = calls
    assert argv == ["/venv/bin/python", _evaluation.EVALUATE, "churn_model", holdout]
    assert _evaluation.EVALUATE.name == "_evaluate.py" and _evaluation.EVALUATE.is_file()
    assert kwargs == {
        "cwd": tmp_path / "c", "env": env, "capture": True, "what": "Scoring churn_model on the hold-out set",
        "timeout": _evaluation.TIMEOUT,
        "timeout_hint": "Predicting the hold-out set should take seconds: does the model's predict hang, "
                        "or wait for something?"}
    assert _evaluation.TIMEOUT == 15 * 60


def test_a_score_off_by_exactly_the_tolerance_still_matches():
    assert _evaluation.mismatches({"a": _evaluation.TOLERANCE}, {"a": 0.0}) == []
    assert _evaluation.mismatches({"a": 2 * _evaluation.TOLERANCE}, {"a": 0.0}) == ["a 0.000000 != recorded 0.000000"]
