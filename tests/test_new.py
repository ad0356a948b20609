"""make new: a newcomer's first model project passes the pipeline as it is created."""

from __future__ import annotations

import subprocess

import pytest

from projects import ROOT, environment, stage


@pytest.mark.slow
def test_a_new_project_trains_tests_and_builds_as_created(tmp_path):
    folder = tmp_path / "my models" / "churn-model"  # a space in the path, too
    done = subprocess.run(["make", "-s", "new", f"NAME={folder}", f"VENV={ROOT / '.venv'}"], cwd=ROOT,
                          capture_output=True, text=True, env=environment())
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"make pipeline PROJECT={folder}" in done.stdout
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == [
        ".gitignore", "pyproject.toml", "tests/test_model.py", "train.py"]
    for name in ("train", "test", "build"):
        result = stage(name, "--project-dir", folder)
        assert result.returncode == 0, result.stdout + result.stderr
    assert (folder / ".wheelwright" / "dist" / "churn_model-0.1.0-py3-none-any.whl").is_file()


def test_new_refuses_a_folder_that_holds_something(tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    result = stage("new", tmp_path)
    assert result.returncode == 1 and "already exists and is not empty: nothing was written" in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_new_refuses_an_invalid_name(tmp_path):
    result = stage("new", tmp_path / "x", "--name", "churn model!")
    assert result.returncode == 1 and "is not a valid distribution name" in result.stderr
    assert not (tmp_path / "x").exists()
