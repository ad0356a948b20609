"""train, test, build and verify on their own: each refuses what it must, saying why.

The weak-model fixture is a real, minimal model project that trains in about a second.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WEAK = ROOT / "tests" / "packages" / "weak-model"
MODEL = ROOT / "model"


def stage(name: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "scripts" / f"{name}.py"), *args],
                          capture_output=True, text=True, env=env)


@pytest.fixture
def weak(tmp_path: Path) -> Path:
    return shutil.copytree(WEAK, tmp_path / "weak-model")


@pytest.fixture
def model(tmp_path: Path) -> Path:
    """A copy of the example project with none of its training outputs."""
    ignore = shutil.ignore_patterns("artifacts", "model.joblib", "manifest.json", "MODEL_CARD.md",
                                    "dist", "__pycache__", ".pytest_cache")
    return shutil.copytree(MODEL, tmp_path / "model", ignore=ignore)


def test_every_stage_answers_help():
    for name in ("pin", "train", "test", "build", "publish", "verify", "pipeline", "registry"):
        result = stage(name, "--help")
        assert result.returncode == 0, (name, result.stderr)
        assert "usage:" in result.stdout


def test_a_folder_without_pyproject_is_not_a_model_project(tmp_path):
    result = stage("train", "--project-dir", str(tmp_path))
    assert result.returncode == 1
    assert "is not a model project" in result.stderr and "--project-dir" in result.stderr


def test_a_pyproject_without_the_table_names_it(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    result = stage("train", "--project-dir", str(tmp_path))
    assert "has no [tool.wheelwright] table" in result.stderr


def test_an_invalid_version_override_is_refused_before_training(weak):
    result = stage("train", "--project-dir", str(weak), "--version", "1.2-beta+oops+")
    assert result.returncode == 1
    assert "'1.2-beta+oops+' is not a valid version (PEP 440)" in result.stderr
    assert not (weak / "artifacts").exists()


def test_training_that_ignores_the_version_it_was_given_fails(weak):
    script = weak / "train.py"
    script.write_text(script.read_text().replace('os.environ.get("WHEELWRIGHT_VERSION", "0.1.0")', '"0.1.0"'))
    result = stage("train", "--project-dir", str(weak), "--version", "2.0.0")
    assert result.returncode == 1
    assert "The manifest records version '0.1.0', not '2.0.0'" in result.stderr


def test_training_that_saves_elsewhere_fails(weak):
    pyproject = weak / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('model = "src/weak_model/model.joblib"',
                                                       'model = "src/weak_model/estimator.joblib"'))
    result = stage("train", "--project-dir", str(weak))
    assert "wrote no model at" in result.stderr


def test_training_never_sees_a_credential(weak):
    env = {**os.environ, "NEXUS_PASSWORD": "hunter2", "TWINE_PASSWORD": "hunter3"}
    assert stage("train", "--project-dir", str(weak), env=env).returncode == 0
    seen = (weak / "artifacts" / "environment.json").read_text()
    assert "NEXUS_PASSWORD" not in seen and "TWINE_PASSWORD" not in seen


def test_the_gate_threshold_can_be_raised_above_a_good_model(model):
    assert stage("train", "--project-dir", str(model)).returncode == 0
    result = stage("test", "--project-dir", str(model), "--min-score", "0.9999")
    assert result.returncode == 1
    assert "Quality gate: roc_auc 0.99" in result.stderr and "below the minimum 0.9999" in result.stderr


def test_a_model_file_replaced_after_training_fails_the_gate(model, weak):
    assert stage("train", "--project-dir", str(model)).returncode == 0
    assert stage("train", "--project-dir", str(weak)).returncode == 0
    target = model / "src" / "tumor_classifier" / "model.joblib"
    shutil.copy(weak / "src" / "weak_model" / "model.joblib", target)
    result = stage("test", "--project-dir", str(model))
    assert result.returncode == 1
    assert "ModelIntegrityError" in result.stderr and "was altered" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_wheel_without_the_model_is_refused(weak, tmp_path):
    # weak-model does not list its trained files as hatch artifacts, so git-ignore drops them.
    (weak / ".git").mkdir()  # hatchling reads .gitignore only inside a repository
    assert stage("train", "--project-dir", str(weak)).returncode == 0
    result = stage("build", "--project-dir", str(weak), "--outdir", str(tmp_path / "dist"))
    assert result.returncode == 1
    assert "does not contain weak_model/model.joblib" in result.stderr
    assert "[tool.hatch.build] artifacts" in result.stderr
    assert not (tmp_path / "dist").exists()


def test_build_before_training_says_to_train(model, tmp_path):
    result = stage("build", "--project-dir", str(model), "--outdir", str(tmp_path / "dist"))
    assert result.returncode == 1
    assert "the model has not been trained" in result.stderr


@pytest.mark.slow
def test_the_same_commit_builds_the_same_wheel_twice(model, tmp_path):
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}
    digests = []
    for run in ("one", "two"):
        for artifact in (model / "artifacts", model / "src" / "tumor_classifier" / "model.joblib"):
            shutil.rmtree(artifact, ignore_errors=True) if artifact.is_dir() else artifact.unlink(missing_ok=True)
        assert stage("train", "--project-dir", str(model), env=env).returncode == 0
        out = tmp_path / run
        assert stage("build", "--project-dir", str(model), "--outdir", str(out), env=env).returncode == 0
        digests.append([p.read_bytes() for p in sorted(out.iterdir())])
    assert digests[0] == digests[1]


def test_verify_waits_a_bounded_time_for_the_index(registry, model, tmp_path):
    wheel = tmp_path / "tumor_classifier-1.2.0-py3-none-any.whl"
    wheel.write_bytes(b"not published")
    result = stage("verify", "--project-dir", str(model), "--index-url", registry.index_url,
                   "--wheel", str(wheel), "--wait", "1")
    assert result.returncode == 1
    assert "still does not list tumor_classifier-1.2.0-py3-none-any.whl after 1 s" in result.stderr


@pytest.mark.slow
def test_verify_refuses_a_published_file_that_is_not_the_one_built(registry, credentials, model, tmp_path):
    assert stage("train", "--project-dir", str(model)).returncode == 0
    assert stage("build", "--project-dir", str(model), "--outdir", str(tmp_path / "dist")).returncode == 0
    wheel = next((tmp_path / "dist").glob("*.whl"))
    username, password = credentials
    upload = subprocess.run(
        [sys.executable, "-m", "twine", "upload", "--disable-progress-bar", "--repository-url",
         registry.upload_url, str(wheel)],
        env={**os.environ, "TWINE_USERNAME": username, "TWINE_PASSWORD": password},
        capture_output=True, text=True)
    assert upload.returncode == 0, upload.stdout + upload.stderr
    local = tmp_path / "local" / wheel.name
    local.parent.mkdir()
    local.write_bytes(wheel.read_bytes() + b"\0")  # same name, other bytes
    result = stage("verify", "--project-dir", str(model), "--index-url", registry.index_url,
                   "--wheel", str(local))
    assert result.returncode == 1
    assert "is not the wheel this run built (sha256 differs)" in result.stderr
