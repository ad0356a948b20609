"""verify: the repository's file must be the wheel the run built, the index is waited for a
bounded time, and the installed wheel must score what its manifest records.

The waiting in-process, with a fake index and a fake clock; the checks as processes
against the embedded registry (pypiserver, Nexus's layout), each asserting the exit code
and the message. A check that fails before anything is installed is fast; the one that
installs the session-built wheel into a fresh environment is slow.
"""

from __future__ import annotations

import csv
import json
import shutil
import sys
import time
from pathlib import Path

import pytest

import verify
from _index import Link
from _wheelwright import PipelineError
from projects import IRIS, stage, write_project

THIS_PYTHON = "%d.%d" % sys.version_info[:2]
WHEEL = "tiny_model-0.1.0-py3-none-any.whl"


# --- Waiting for the index, in-process ---------------------------------------------------------

class Clock:
    """time.monotonic and time.sleep for verify, where sleeping only moves the clock."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0 and len(self.sleeps) < 1000, "verify keeps waiting"
        self.sleeps.append(seconds)
        self.now += seconds


class SlowIndex:
    """An index that lists the file once ``listed_at`` (on the fake clock) has come."""

    def __init__(self, clock: Clock, listed_at: float) -> None:
        self.clock, self.listed_at = clock, listed_at
        self.asked: list[tuple[str, str]] = []

    def find(self, project: str, filename: str) -> Link | None:
        self.asked.append((project, filename))
        if self.clock.now - 1000.0 >= self.listed_at:
            return Link(filename, f"http://127.0.0.1:1/packages/{filename}", {})
        return None

    def project_url(self, project: str) -> str:
        return f"http://127.0.0.1:1/simple/{project}/"


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(verify.time, "monotonic", fake.monotonic)
    monkeypatch.setattr(verify.time, "sleep", fake.sleep)
    return fake


def test_a_listed_wheel_is_found_at_once(clock):
    index = SlowIndex(clock, listed_at=0)
    assert verify.wait_listed(index, "tiny-model", WHEEL, 120) == (0.0, f"http://127.0.0.1:1/packages/{WHEEL}")
    assert clock.sleeps == [] and index.asked == [("tiny-model", WHEEL)]


def test_the_index_is_polled_with_a_doubling_delay_up_to_ten_seconds(clock):
    waited, url = verify.wait_listed(SlowIndex(clock, listed_at=40), "tiny-model", WHEEL, 120)
    assert clock.sleeps == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0]
    assert waited == 45.5 and url.endswith(WHEEL)


def test_waiting_gives_up_at_the_deadline_naming_the_page_and_the_wait(clock):
    with pytest.raises(PipelineError) as caught:
        verify.wait_listed(SlowIndex(clock, listed_at=10_000), "tiny-model", WHEEL, 30)
    assert clock.now - 1000.0 == 30  # the last sleep is cut to end at the deadline, not past it
    assert clock.sleeps == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 4.5]
    assert caught.value.message == (f"http://127.0.0.1:1/simple/tiny-model/ still does not list {WHEEL} "
                                    "after 30 s.")
    assert "raise --wait" in caught.value.hint


def test_a_wheel_listed_just_before_the_deadline_is_found(clock):
    waited, _ = verify.wait_listed(SlowIndex(clock, listed_at=30), "tiny-model", WHEEL, 30)
    assert waited == 30


def test_no_wait_asks_once(clock):
    index = SlowIndex(clock, listed_at=1)
    with pytest.raises(PipelineError, match="after 0 s"):
        verify.wait_listed(index, "tiny-model", WHEEL, 0)
    assert len(index.asked) == 1 and clock.sleeps == []


# --- The checks in-process: a fake repository, a fake install, a fake scoring ---------------------

class Downloaded:
    def __init__(self, sha256: str) -> None:
        self.sha256 = sha256


class FakeRepository:
    """An index that lists the wheel at once and serves bytes hashing to ``sha256``."""

    def __init__(self, sha256: str) -> None:
        self.sha256 = sha256

    def __call__(self, index_url: str) -> "FakeRepository":
        return self

    def find(self, project: str, filename: str) -> Link:
        return Link(filename, f"http://127.0.0.1:1/packages/{filename}", {})

    def download(self, url: str, dest: Path) -> Downloaded:
        dest.write_bytes(b"PK\x03\x04")
        return Downloaded(self.sha256)


def fake_verify(monkeypatch, tmp_path: Path, *, served: str, measured: dict, recorded: dict) -> list[dict]:
    """verify.verify with the wheel built hashing to "aaaa", served hashing to ``served``,
    and every installed wheel scoring ``measured`` against its manifest's ``recorded``."""
    from _project import load_project

    project = load_project(write_project(tmp_path / "p", IRIS))
    installed: list[Path] = []

    def fresh(where: Path, wheel: Path, python: str) -> Path:
        installed.append(wheel)
        return where / "venv" / "bin" / "python"

    def evaluate(python, package, holdout, *, cwd, env):
        return {"package_file": str(cwd / "venv" / package / "__init__.py"), "metrics": measured,
                "recorded": recorded, "python": THIS_PYTHON, "rows": 30}

    monkeypatch.setattr(verify, "Index", FakeRepository(served))
    monkeypatch.setattr(verify._venv, "fresh", fresh)
    monkeypatch.setattr(verify, "evaluate", evaluate)
    results = verify.verify(project, "http://127.0.0.1:1/simple/", tmp_path / WHEEL, "aaaa", 0, [THIS_PYTHON])
    assert installed and all(wheel.name == WHEEL for wheel in installed)
    return results


def test_the_installed_wheel_scoring_what_it_records_passes(monkeypatch, tmp_path):
    results = fake_verify(monkeypatch, tmp_path, served="aaaa", measured={"accuracy": 0.9},
                          recorded={"accuracy": 0.9})
    assert [r["metrics"] for r in results] == [{"accuracy": 0.9}]


def test_an_installed_wheel_that_scores_otherwise_fails_in_process(monkeypatch, tmp_path):
    with pytest.raises(PipelineError) as caught:
        fake_verify(monkeypatch, tmp_path, served="aaaa", measured={"accuracy": 0.8},
                    recorded={"accuracy": 0.9})
    assert caught.value.message == (f"The installed wheel, on Python {THIS_PYTHON}, does not reproduce its "
                                    "recorded metrics: accuracy 0.800000 != recorded 0.900000.")


def test_a_served_file_that_hashes_otherwise_is_refused_in_process(monkeypatch, tmp_path):
    with pytest.raises(PipelineError, match=r"is not the wheel this run built \(sha256 differs\)"):
        fake_verify(monkeypatch, tmp_path, served="bbbb", measured={"accuracy": 0.9},
                    recorded={"accuracy": 0.9})


# --- The stage against the embedded registry ---------------------------------------------------

def tiny_project(tmp_path: Path) -> tuple[Path, Path]:
    """A model project (never trained: these checks fail before anything is scored) and a
    file named as its wheel would be."""
    project = write_project(tmp_path / "p", IRIS)
    wheel = tmp_path / "dist" / WHEEL
    wheel.parent.mkdir()
    wheel.write_bytes(b"PK\x03\x04 the wheel this run built")
    return project, wheel


def run_verify(project: Path, registry, wheel: Path, *more: str, timeout: float = 600):
    return stage("verify", "--project-dir", project, "--repository-url", registry.upload_url,
                 "--wheel", wheel, "--python", THIS_PYTHON, *more, timeout=timeout)


def test_a_repository_file_that_is_not_the_built_wheel_fails_before_anything_is_installed(tmp_path, registry):
    project, wheel = tiny_project(tmp_path)
    (registry.packages / WHEEL).write_bytes(b"PK\x03\x04 a wheel published earlier with other content")
    result = run_verify(project, registry, wheel, "--wait", "10")
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"The repository's {WHEEL} is not the wheel this run built (sha256 differs)." in result.stderr
    assert "The version was published earlier with other content: bump the version." in result.stderr
    assert "Install " not in result.stdout  # no environment was made for it


def test_an_index_that_never_lists_the_wheel_is_waited_for_a_bounded_time(tmp_path, registry):
    project, wheel = tiny_project(tmp_path)
    start = time.monotonic()
    result = run_verify(project, registry, wheel, "--wait", "2", timeout=90)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{registry.index_url}tiny-model/ still does not list {WHEEL} after 2 s." in result.stderr
    assert 2 <= time.monotonic() - start < 60


def test_verify_needs_an_index_and_an_existing_wheel(tmp_path, registry):
    project, wheel = tiny_project(tmp_path)
    result = stage("verify", "--project-dir", project, "--wheel", wheel)
    assert result.returncode == 1
    assert "verify needs --repository-url (its index is that + simple/) or --index-url." in result.stderr
    result = run_verify(project, registry, tmp_path / "dist" / "tiny_model-9.9.9-py3-none-any.whl")
    assert result.returncode == 1
    assert "tiny_model-9.9.9-py3-none-any.whl does not exist." in result.stderr


# --- The installed wheel, scored -----------------------------------------------------------------

def shift_targets(holdout: Path, by: float) -> None:
    """Move every hold-out target by ``by``: the model's predictions then score worse."""
    with open(holdout, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    for row in rows[1:]:
        row[-1] = repr(float(row[-1]) + by)
    with open(holdout, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)


@pytest.mark.slow
def test_the_installed_wheel_must_score_what_its_manifest_records(built, trained, tmp_path, registry):
    wheel = built("regressor")
    project = Path(shutil.copytree(trained("regressor").root, tmp_path / "p", symlinks=True,
                                   ignore=shutil.ignore_patterns("lock", "venv")))
    shutil.copy(wheel, registry.packages)
    passed = run_verify(project, registry, wheel, "--wait", "30")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    recorded = json.loads((project / ".wheelwright/package/diabetes_progression/manifest.json").read_text())
    assert f"installed {wheel.name} predicts the {recorded['holdout']['rows']} hold-out rows on Python " \
           f"{sys.version_info.major}.{sys.version_info.minor}." in passed.stdout and "as recorded" in passed.stdout

    shift_targets(project / ".wheelwright" / "holdout.csv", by=25.0)
    failed = run_verify(project, registry, wheel, "--wait", "30")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "The installed wheel, on Python 3." in failed.stderr
    assert "does not reproduce its recorded metrics: " in failed.stderr
    assert "r2 " in failed.stderr and f"!= recorded {recorded['metrics']['r2']:.6f}" in failed.stderr
