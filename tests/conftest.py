"""Fixtures shared by the pipeline's tests: the stage scripts on sys.path, a registry."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "tests" / "actions"))  # act.py, the act launcher

import registry as registry_module  # noqa: E402


@pytest.fixture
def credentials() -> tuple[str, str]:
    """A username and a fresh random password, unique to each test."""
    return "ci-uploader", "pw-" + secrets.token_urlsafe(18)


@pytest.fixture
def registry(tmp_path: Path, credentials: tuple[str, str]) -> Iterator[registry_module.Registry]:
    """A real pypiserver on 127.0.0.1 with Nexus's URL layout and htpasswd auth."""
    username, password = credentials
    with registry_module.serve(tmp_path / "packages", username=username, password=password) as reg:
        yield reg
