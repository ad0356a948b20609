"""The whole pipeline, end to end, as a user runs it: `make pipeline` on a fresh copy.

Nothing here is mocked: pypiserver on loopback stands in for Nexus, wheels are built by
pypa/build and hatchling, and verify installs into new virtual environments. Signals are
real signals, sent to the real process.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from act import copy_tree  # what a fresh clone of the work tree holds
from projects import ROOT, IRIS, copy_project, environment, write_project

VENV = ROOT / ".venv"


def pipeline(*args: str | Path, env: dict[str, str], cwd: Path = ROOT, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "pipeline.py"), *map(str, args)],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def commit(project: Path) -> None:
    """Make ``project`` a git repository with everything committed: a publishable tree."""
    for args in (["init", "-q"], ["add", "-A"], ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "all"]):
        subprocess.run(["git", *args], cwd=project, check=True)


def stored(packages: Path) -> list[str]:
    return sorted(p.name for p in packages.rglob("*") if p.is_file())


@pytest.mark.slow
def test_make_pipeline_twice_on_a_fresh_copy_publishes_once_and_verifies(tmp_path):
    work = copy_tree(ROOT, tmp_path / "clone")
    make = ["make", "pipeline", f"VENV={VENV}"]
    first = subprocess.run(make, cwd=work, env=environment(), capture_output=True, text=True)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    dist = work / "model" / ".wheelwright" / "dist"
    wheels = sorted(dist.glob("*"))
    assert [w.name for w in wheels] == ["tumor_classifier-1.2.0-py3-none-any.whl"]  # no sdist
    with zipfile.ZipFile(wheels[0]) as wheel:
        manifest = json.loads(wheel.read("tumor_classifier/manifest.json"))
    for stage in ("pin", "version", "preflight", "train", "test", "build", "publish", "verify"):
        assert f"=== {stage}: ok in" in first.stdout, stage
    assert "uploaded" in first.stdout
    # verify scored the installed wheel on the hold-out set at the recorded metrics.
    assert f"roc_auc {manifest['metrics']['roc_auc']:.4f}" in first.stdout and ", as recorded" in first.stdout
    assert stored(work / ".registry") == ["tumor_classifier-1.2.0-py3-none-any.whl"]
    first_bytes = wheels[0].read_bytes()

    second = subprocess.run(make, cwd=work, env=environment(), capture_output=True, text=True)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    assert "already present (identical)" in second.stdout
    # Same commit, same model, same wheel, byte for byte.
    assert wheels[0].read_bytes() == first_bytes


@pytest.mark.slow
def test_a_project_with_its_own_lock_goes_through_make_pipeline(tmp_path):
    project = copy_project("own-dependency", tmp_path / "my models" / "review-sentiment")
    # A registry of its own: the checkout's .registry may hold this version built by other code.
    done = subprocess.run(["make", "pipeline", f"VENV={VENV}", f"PROJECT={project}", f"REGISTRY={tmp_path / 'registry'}"],
                          cwd=ROOT, env=environment(), capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "requirements.txt is current" in done.stdout
    assert "as recorded" in done.stdout
    assert (project / ".wheelwright" / "venv").is_dir()  # the project's lock, installed


@pytest.mark.slow
def test_a_weak_model_stops_before_build_and_nothing_is_published(tmp_path, registry, credentials):
    project = copy_project("weak", tmp_path / "weak-model")
    username, password = credentials
    env = environment(NEXUS_URL=registry.upload_url, NEXUS_USERNAME=username, NEXUS_PASSWORD=password)
    commit(project)
    result = pipeline("--project-dir", project, env=env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "roc_auc 0.5000 is below the minimum 0.9000" in result.stderr
    assert "=== build" not in result.stdout
    assert stored(registry.packages) == []
    # Training ran the project's own code; it saw no credential.
    seen = json.loads((project / "environment.json").read_text())
    assert seen and not [name for name in seen if name.startswith(("NEXUS_", "TWINE_"))]
    assert password not in result.stdout + result.stderr


def test_publishing_without_credentials_fails_before_training(tmp_path):
    project = copy_project("weak", tmp_path / "weak-model")
    env = environment(NEXUS_URL="http://127.0.0.1:9/repository/pypi-hosted/", NEXUS_USERNAME="ci")
    result = pipeline("--project-dir", project, env=env)
    assert result.returncode == 1
    assert "NEXUS_URL is set but NEXUS_PASSWORD is not" in result.stderr
    assert "=== train" not in result.stdout
    assert not (project / ".wheelwright" / "package").exists()


def test_a_laptop_never_publishes_from_an_uncommitted_tree(tmp_path, registry, credentials):
    project = write_project(tmp_path / "p", IRIS)
    username, password = credentials
    env = environment(NEXUS_URL=registry.upload_url, NEXUS_USERNAME=username, NEXUS_PASSWORD=password)
    outside_git = pipeline("--project-dir", project, env=env)
    commit(project)
    (project / "train.py").write_text(IRIS + "\n# an edit not yet committed\n")
    edited = pipeline("--project-dir", project, env=env)
    for result in (outside_git, edited):
        assert result.returncode == 1
        assert "is not committed: a published version must be rebuildable from a commit" in result.stderr
        assert "=== train" not in result.stdout
    assert stored(registry.packages) == []


def test_a_stale_lock_stops_the_pipeline_first(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    shutil.copytree(ROOT / "requirements", work / "requirements")
    (work / "requirements.in").write_text((ROOT / "requirements.in").read_text() + "rich-click\n")
    (work / "requirements.txt").write_text((ROOT / "requirements.txt").read_text())
    project = write_project(tmp_path / "p", IRIS)
    result = pipeline("--project-dir", project, "--requirements", work / "requirements.in", "--no-publish",
                      env=environment())
    assert result.returncode == 1
    assert "rich-click" in result.stderr and "requirements.txt" in result.stderr
    assert "=== train" not in result.stdout


def test_a_second_run_on_the_same_project_fails_at_once(tmp_path):
    project = write_project(tmp_path / "p", IRIS)
    lock = project / ".wheelwright" / "lock"
    lock.parent.mkdir(parents=True)
    with open(lock, "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        held.write(f"{os.getpid()}\n")
        held.flush()
        result = pipeline("--project-dir", project, "--no-publish", env=environment())
    assert result.returncode == 1
    assert f"Another wheelwright run (process {os.getpid()}) is working on tiny-model" in result.stderr
    assert "=== pin" not in result.stdout


# --- Signals: one line, the stage table, nothing left behind ---------------------------------

SLOW_TRAINING = '''
import subprocess, sys, time
from pathlib import Path

def train():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    Path("child.pid").write_text(str(child.pid))
    time.sleep(300)
'''


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def descendants(pid: int) -> set[int]:
    found, todo = set(), [pid]
    while todo:
        parent = todo.pop()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError):
                continue
            if int(fields[1]) == parent and int(stat.parent.name) not in found:
                found.add(int(stat.parent.name))
                todo.append(int(stat.parent.name))
    return found


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_every_child_and_leaves_nothing_behind(tmp_path, signum):
    project = write_project(tmp_path / "p", SLOW_TRAINING)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    process = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "pipeline.py"), "--project-dir", project,
                                "--registry", tmp_path / "registry"],
                               env=environment(TMPDIR=str(scratch)), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    deadline = time.monotonic() + 120
    while not (project / "child.pid").exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.2)
    assert (project / "child.pid").exists(), process.communicate()
    children = descendants(process.pid) | {int((project / "child.pid").read_text())}
    assert len(children) >= 4  # the train stage, the trainer, its child, the registry
    process.send_signal(signum)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 128 + signum, out + err
    name = signal.Signals(signum).name
    assert f"ERROR [pipeline] Stopped by {name}" in err and "Traceback" not in err, err
    assert "stage      outcome   seconds" in out and "train      STOPPED" in out
    deadline = time.monotonic() + 10
    while [pid for pid in children if alive(pid)] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [pid for pid in children if alive(pid)] == []
    assert list(scratch.iterdir()) == []  # no temporary folder left
