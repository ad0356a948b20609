"""The whole pipeline, end to end, as a user runs it: `make pipeline` on a fresh copy.

Nothing here is mocked: pypiserver on loopback stands in for Nexus, wheels are built by
pypa/build and hatchling, and verify installs into a new virtual environment.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from act import copy_tree  # what a fresh clone of the work tree holds

ROOT = Path(__file__).resolve().parent.parent
WEAK = ROOT / "tests" / "packages" / "weak-model"


def without_nexus(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEXUS_", "TWINE_", "GITHUB_"))}
    return {**env, **extra}


def pipeline(*args: str, env: dict[str, str], cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "pipeline.py"), *args],
                          cwd=cwd, env=env, capture_output=True, text=True)


@pytest.mark.slow
def test_make_pipeline_twice_on_a_fresh_copy_publishes_once_and_verifies(tmp_path):
    work = copy_tree(ROOT, tmp_path / "clone")
    make = ["make", "pipeline", f"VENV={ROOT / '.venv'}"]
    first = subprocess.run(make, cwd=work, env=without_nexus(), capture_output=True, text=True)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    wheels = sorted((work / "dist").glob("*.whl"))
    assert [w.name for w in wheels] == ["tumor_classifier-1.2.0-py3-none-any.whl"]
    with zipfile.ZipFile(wheels[0]) as wheel:
        assert "tumor_classifier/model.joblib" in wheel.namelist()
        manifest = json.loads(wheel.read("tumor_classifier/manifest.json"))
    for stage in ("pin", "train", "test", "build", "publish", "verify"):
        assert f"=== {stage}: ok in" in first.stdout
    assert "uploaded" in first.stdout
    # verify scored the installed wheel on the hold-out set at the recorded metrics.
    assert f"roc_auc {manifest['metrics']['roc_auc']:.4f}, as recorded" in first.stdout
    stored = sorted(p.name for p in (work / ".registry").rglob("*") if p.is_file())
    assert stored == ["tumor_classifier-1.2.0-py3-none-any.whl", "tumor_classifier-1.2.0.tar.gz"]
    first_bytes = wheels[0].read_bytes()

    second = subprocess.run(make, cwd=work, env=without_nexus(), capture_output=True, text=True)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    assert "already present (identical)" in second.stdout
    # Same commit, same model, same wheel, byte for byte.
    assert wheels[0].read_bytes() == first_bytes


@pytest.mark.slow
def test_a_weak_model_stops_before_build_and_nothing_is_published(tmp_path, registry, credentials):
    project = shutil.copytree(WEAK, tmp_path / "weak-model")
    username, password = credentials
    env = without_nexus(NEXUS_URL=registry.upload_url, NEXUS_USERNAME=username, NEXUS_PASSWORD=password)
    result = pipeline("--project-dir", str(project), "--outdir", str(tmp_path / "dist"), env=env)
    assert result.returncode == 1
    assert "Quality gate: roc_auc 0.5000 on 569 hold-out rows is below the minimum 0.9000" in result.stderr
    assert "=== build" not in result.stdout
    assert not (tmp_path / "dist").exists()
    assert not any(registry.packages.iterdir())
    # Training ran the project's own code; it saw no credential.
    seen = json.loads((project / "artifacts" / "environment.json").read_text())
    assert not [name for name in seen if name.startswith(("NEXUS_", "TWINE_"))]
    assert password not in result.stdout + result.stderr


def test_publishing_without_credentials_fails_before_training(tmp_path):
    project = shutil.copytree(WEAK, tmp_path / "weak-model")
    env = without_nexus(NEXUS_URL="http://127.0.0.1:9/repository/pypi-hosted/", NEXUS_USERNAME="ci")
    result = pipeline("--project-dir", str(project), env=env)
    assert result.returncode == 1
    assert "NEXUS_URL is set but NEXUS_PASSWORD is not" in result.stderr
    assert "=== train" not in result.stdout
    assert not (project / "artifacts").exists()


def test_a_stale_lock_stops_the_pipeline_first(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(ROOT / "requirements.txt", work)
    (work / "requirements.in").write_text((ROOT / "requirements.in").read_text() + "rich-click\n")
    result = pipeline("--project-dir", str(WEAK), "--no-publish", env=without_nexus(), cwd=work)
    assert result.returncode == 1
    assert "requirements.in names rich-click, which requirements.txt does not pin" in result.stderr
    assert "=== train" not in result.stdout
