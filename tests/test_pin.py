"""pin: the stale-lock check against the real lock, and a real pip-compile run."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import pin

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def lock_pair(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of this repository's requirements.in and its lock."""
    for name in ("requirements.in", "requirements.txt"):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path / "requirements.in", tmp_path / "requirements.txt"


def check(in_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "pin.py"), "--check",
                           "--requirements", str(in_path)], capture_output=True, text=True)


def test_the_committed_lock_is_current(lock_pair):
    result = check(lock_pair[0])
    assert result.returncode == 0, result.stderr
    assert "is current" in result.stdout


def test_an_added_requirement_is_named(lock_pair):
    in_path, _ = lock_pair
    in_path.write_text(in_path.read_text() + "rich-click\n")
    result = check(in_path)
    assert result.returncode == 1
    assert "requirements.in names rich-click, which requirements.txt does not pin" in result.stderr
    assert "pin.py" in result.stderr  # the fix


def test_a_removed_requirement_is_named(lock_pair):
    in_path, _ = lock_pair
    in_path.write_text(in_path.read_text().replace("\ntwine\n", "\n"))
    result = check(in_path)
    assert result.returncode == 1
    assert "pins twine==" in result.stderr and "which no longer names it" in result.stderr


def test_a_changed_specifier_is_named(lock_pair):
    in_path, _ = lock_pair
    in_path.write_text(in_path.read_text().replace("\njoblib\n", "\njoblib<1\n"))
    result = check(in_path)
    assert result.returncode == 1
    assert "asks for joblib<1, but requirements.txt pins joblib==" in result.stderr


@pytest.mark.parametrize("line", [
    "--index-url https://nexus.example/repository/pypi/simple",
    "--extra-index-url file:///srv/wheels",
    "--find-links /srv/wheels",
    "private-pkg @ https://user:secret@nexus.example/p.whl",
])
def test_a_lock_carrying_an_index_path_or_credential_fails(lock_pair, line):
    _, lock = lock_pair
    lock.write_text(line + "\n" + lock.read_text())
    result = check(lock_pair[0])
    assert result.returncode == 1
    assert "carries an index, a local path or a credential" in result.stderr


def test_a_pin_without_hashes_fails(lock_pair):
    _, lock = lock_pair
    text = lock.read_text()
    start = text.index("joblib==")
    end = text.index("\n    # via", start)
    lock.write_text(text[:start] + text[start:end].split(" \\")[0] + text[end:])
    result = check(lock_pair[0])
    assert result.returncode == 1
    assert "joblib==1.6.0 without --hash lines" in result.stderr


def test_a_missing_lock_is_stale(lock_pair):
    lock_pair[1].unlink()
    assert "requirements.txt does not exist" in check(lock_pair[0]).stderr


def test_in_file_parsing_follows_includes_and_ignores_options(tmp_path):
    (tmp_path / "base.in").write_text("numpy>=2  # arrays\n")
    (tmp_path / "requirements.in").write_text("-r base.in\n-c constraints.txt\n# note\n\nJoblib\n")
    assert sorted(pin.read_in(tmp_path / "requirements.in")) == ["joblib", "numpy"]


@pytest.mark.slow
def test_regenerating_writes_a_hash_locked_lock_without_this_machines_index(tmp_path):
    """A real pip-compile run, with whatever index configuration pip has here."""
    (tmp_path / "requirements.in").write_text("six\n")
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "pin.py"),
                             "--requirements", "requirements.in"],
                            cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    lock = (tmp_path / "requirements.txt").read_text()
    assert "six==" in lock and "--hash=sha256:" in lock
    pins = [line for line in lock.splitlines() if not line.startswith("#")]
    assert not [line for line in pins if "index-url" in line or "find-links" in line or "file:" in line]
    assert str(tmp_path) not in lock
    assert check(tmp_path / "requirements.in").returncode == 0
