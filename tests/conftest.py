"""Fixtures shared by the pipeline's tests: the stage scripts on sys.path, a registry,
and the fixture projects trained and built once per session."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path
from typing import Callable, Iterator

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "tests" / "actions"))  # act.py, the act launcher

import registry as registry_module  # noqa: E402
from _project import Project, load_project  # noqa: E402
from projects import copy_project, stage  # noqa: E402


@pytest.fixture
def credentials() -> tuple[str, str]:
    """A username and a password, both unique to each test: the thief fixture reads every
    process's environment on the machine, and a username shared with another suite running
    beside this one would be found there and look like this run's leak."""
    return "ci-uploader-" + secrets.token_hex(4), "pw-" + secrets.token_urlsafe(18)


@pytest.fixture
def registry(tmp_path: Path, credentials: tuple[str, str]) -> Iterator[registry_module.Registry]:
    """A real pypiserver on 127.0.0.1 with Nexus's URL layout and htpasswd auth."""
    username, password = credentials
    with registry_module.serve(tmp_path / "packages", username=username, password=password) as reg:
        yield reg


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Project]:
    """A fixture project (by its name in projects.FIXTURES), trained once per session in a
    copy of its own. Shared: tests read it, and copy it before changing anything."""
    done: dict[str, Project] = {}

    def get(name: str) -> Project:
        if name not in done:
            root = copy_project(name, tmp_path_factory.mktemp("trained") / name)
            result = stage("train", "--project-dir", root)
            assert result.returncode == 0, result.stdout + result.stderr
            done[name] = load_project(root)
        return done[name]

    return get


@pytest.fixture(scope="session")
def built(trained: Callable[[str], Project]) -> Callable[[str], Path]:
    """The wheel of a fixture project, trained and built once per session."""
    done: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in done:
            project = trained(name)
            result = stage("build", "--project-dir", project.root)
            assert result.returncode == 0, result.stdout + result.stderr
            done[name] = next(project.dist.glob("*.whl"))
        return done[name]

    return get
