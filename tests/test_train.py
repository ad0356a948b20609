"""The train stage: any classifier or regressor trains; whatever train() gets wrong is named.

Real training in real processes. Small projects are written by the tests themselves
(``projects.write_project``); the fixture projects are trained once per session.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import time
from pathlib import Path

import pytest

from projects import IRIS, environment, stage, write_project


def trained_manifest(project: Path, package: str) -> dict:
    return json.loads((project / ".wheelwright" / "package" / package / "manifest.json").read_text())


@pytest.mark.parametrize("fixture, task, estimator, form", [
    ("multiclass", "classification", "RandomForestClassifier", "dataframe"),
    ("regressor", "regression", "Ridge", "array"),
    ("categorical", "classification", "Pipeline(ColumnTransformer(OneHotEncoder, StandardScaler), LogisticRegression)", "dataframe"),
    ("own-dependency", "classification", "Pipeline(FoldedText, CountVectorizer, LogisticRegression)", "dataframe"),
    ("tumor", "classification", "Pipeline(StandardScaler, LogisticRegression)", "dataframe"),
])
def test_every_kind_of_model_trains_into_a_package(trained, fixture, task, estimator, form):
    project = trained(fixture)
    manifest = json.loads(project.manifest.read_text())
    assert (manifest["task"], manifest["estimator"], manifest["input"]) == (task, estimator, form)
    assert set(project.gate) <= set(manifest["metrics"]) and manifest["gate"] == project.gate
    for name in ("__init__.py", "__main__.py", "py.typed", "model.joblib", "manifest.json", "MODEL_CARD.md",
                 "_runtime/__init__.py"):
        assert (project.package_dir / name).is_file(), name
    assert manifest["versions"]["scikit-learn"] and manifest["versions"]["joblib"]
    assert ("pandas" in manifest["versions"]) == (form == "dataframe")
    assert manifest["created"] == "2023-11-14T22:13:20Z"  # SOURCE_DATE_EPOCH, not the clock
    assert project.holdout.read_text().splitlines()[0].split(",")[-1] == manifest["target"]


def test_the_example_keeps_its_scores(trained):
    manifest = json.loads(trained("tumor").manifest.read_text())
    assert manifest["positive_class"] == "malignant" and manifest["classes"] == ["benign", "malignant"]
    assert round(manifest["metrics"]["roc_auc"], 4) == 0.9958
    assert (round(manifest["metrics"]["accuracy"], 3), manifest["metrics"]["precision"]) == (0.986, 1.0)
    assert round(manifest["metrics"]["recall"], 3) == 0.962
    assert manifest["confusion"]["malignant"] == {"benign": 2, "malignant": 51}
    assert manifest["data"]["train_rows"] == 426 and len(manifest["data"]["train_sha256"]) == 64


def test_the_own_modules_ship_and_string_features_are_recorded(trained):
    project = trained("own-dependency")
    assert (project.package_dir / "text.py").is_file()
    manifest = json.loads(project.manifest.read_text())
    assert manifest["features"] == [{"name": "review", "kind": "string", "dtype": manifest["features"][0]["dtype"]}]
    categorical = json.loads(trained("categorical").manifest.read_text())
    assert [f["kind"] for f in categorical["features"]] == ["string", "string", "number", "number"]


def test_training_runs_without_any_credential(tmp_path):
    project = write_project(tmp_path / "p", IRIS.replace(
        "def train():", "import json, os\n\ndef train():\n    open('seen.json', 'w').write(json.dumps(sorted(os.environ)))"))
    done = stage("train", "--project-dir", project,
                 env=environment(NEXUS_PASSWORD="hunter2", TWINE_PASSWORD="hunter3", NEXUS_USERNAME="ci",
                                 TWINE_USERNAME="ci", NEXUS_URL="https://nexus.example/"))
    assert done.returncode == 0, done.stderr
    seen = json.loads((project / "seen.json").read_text())
    assert seen and not [name for name in seen if name.startswith(("NEXUS_", "TWINE_"))]


# --- train() broke the contract: one clear line, exit 1, nothing packaged ----------------------
# (each way of breaking it is tested in-process in test_trainer.py)

def test_what_train_got_wrong_is_one_line_and_nothing_is_packaged(tmp_path):
    project = write_project(tmp_path / "p", "def train():\n    pass\n")
    done = stage("train", "--project-dir", project)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "ERROR [train] train() returned None (no return statement?); return model, X_test, y_test" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (project / ".wheelwright" / "package" / "tiny_model" / "manifest.json").exists()


def test_the_projects_own_exception_keeps_its_traceback(tmp_path):
    project = write_project(tmp_path / "p", "def train():\n    raise RuntimeError('the data is gone')\n")
    done = stage("train", "--project-dir", project)
    assert done.returncode == 1
    assert "RuntimeError: the data is gone" in done.stderr and "Traceback" in done.stderr
    assert "The project's code raised" in done.stderr


@pytest.mark.parametrize("table, expected", [
    ('version = "0.1.0"\ngate = { acuracy = 0.9 }', "not a scikit-learn scorer; did you mean 'accuracy'?"),
    ('version = "0.1.0"\ngate = { accuracy = 1.5 }', "can never be reached"),
    ('version = "0.1.0"\ngate = { accuracy = nan }', "not a finite number"),
    ('version = "0.1.0"\ngate = { accuracy = 0.9 }\nmetrc = "recall"', "unknown key 'metrc'"),
])
def test_configuration_mistakes_stop_before_training_starts(tmp_path, table, expected):
    project = write_project(tmp_path / "p", "raise SystemExit('training started')\n", table=table)
    done = stage("train", "--project-dir", project)
    assert done.returncode == 1 and expected in done.stderr, done.stderr
    assert "training started" not in done.stderr + done.stdout


@pytest.mark.parametrize("args, expected", [
    (["--version", ""], "--version is empty"),
    (["--version", "1.2-beta+oops+"], "'1.2-beta+oops+' is not a valid version"),
])
def test_a_bad_version_is_refused_before_training(tmp_path, args, expected):
    project = write_project(tmp_path / "p", IRIS)
    done = stage("train", "--project-dir", project, *args)
    assert done.returncode == 1 and expected in done.stderr
    assert not (project / ".wheelwright").exists()


def test_a_bad_source_date_epoch_is_named_not_a_numpy_traceback(tmp_path):
    project = write_project(tmp_path / "p", IRIS)
    done = stage("train", "--project-dir", project, env=environment(SOURCE_DATE_EPOCH="yesterday"))
    assert done.returncode == 1 and "SOURCE_DATE_EPOCH='yesterday' is not a whole number" in done.stderr
    assert "Traceback" not in done.stderr


# --- Fresh outputs, one run at a time, bounded in time ---------------------------------------

def test_nothing_from_an_earlier_run_survives_a_new_one(tmp_path):
    project = write_project(tmp_path / "p", IRIS)
    assert stage("train", "--project-dir", project).returncode == 0
    stale = project / ".wheelwright" / "package" / "tiny_model" / "stale.py"
    stale.write_text("x = 1\n")
    (project / "train.py").write_text("def train():\n    raise RuntimeError('broken now')\n")
    assert stage("train", "--project-dir", project).returncode == 1
    assert not stale.exists()
    assert not (project / ".wheelwright" / "package" / "tiny_model" / "model.joblib").exists()
    built = stage("build", "--project-dir", project)
    assert built.returncode == 1 and "the model has not been trained" in built.stderr


def test_a_second_run_on_the_same_project_fails_at_once(tmp_path):
    project = write_project(tmp_path / "p", IRIS)
    lock = project / ".wheelwright" / "lock"
    lock.parent.mkdir(parents=True)
    with open(lock, "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        held.write("4242\n")
        held.flush()
        started = time.monotonic()
        done = stage("train", "--project-dir", project)
    assert done.returncode == 1
    assert "Another wheelwright run (process 4242) is working on tiny-model" in done.stderr
    assert time.monotonic() - started < 30


def test_training_is_stopped_at_its_timeout_with_everything_it_started(tmp_path):
    code = '''
import subprocess, sys, time
from pathlib import Path

def train():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    Path("child.pid").write_text(str(child.pid))
    time.sleep(300)
'''
    project = write_project(tmp_path / "p", code,
                            table='version = "0.1.0"\ngate = { accuracy = 0.5 }\ntrain-timeout-minutes = 0.4')
    done = stage("train", "--project-dir", project)
    assert done.returncode == 1
    assert "did not finish within 24 s: it was stopped" in done.stderr
    assert "train-timeout-minutes" in done.stderr
    child = int((project / "child.pid").read_text())
    deadline = time.monotonic() + 10
    while alive(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    if alive(child):
        os.kill(child, signal.SIGKILL)
        pytest.fail("training's child process outlived the timeout")


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting to be reaped does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False
