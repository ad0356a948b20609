"""Helpers for the tests: copy, train and load parts of the model project.

A module with a name of its own (not ``conftest``), so that the pipeline's tests,
collected in the same session, cannot shadow it.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

PROJECT = Path(__file__).resolve().parents[1]

#: Every training in the tests stamps this date, so that trainings can be compared.
EPOCH = "1700000000"
#: What train.py writes; never copied from the source tree.
GENERATED = ("model.joblib", "manifest.json", "MODEL_CARD.md", "artifacts", "dist", "__pycache__")


@dataclass(frozen=True)
class Trained:
    """A trained copy of the model project."""

    root: Path
    manifest: dict[str, Any]

    @property
    def model_dir(self) -> Path:
        return self.root / "src" / "tumor_classifier"

    @property
    def holdout(self) -> Path:
        return self.root / "artifacts" / "holdout.csv"


def copy_project(dest: Path) -> Path:
    """Copy the model project's sources (no outputs, no tests) to `dest`."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("pyproject.toml", "train.py", "hatch_build.py"):
        shutil.copy2(PROJECT / name, dest / name)
    shutil.copytree(PROJECT / "src", dest / "src", ignore=shutil.ignore_patterns(*GENERATED))
    return dest


def training_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("WHEELWRIGHT_VERSION", "PYTHONPATH")}
    return {**env, "SOURCE_DATE_EPOCH": EPOCH, **extra}


def train(root: Path, **env: str) -> subprocess.Popen[str]:
    """Start ``python train.py`` in `root`, as the pipeline runs it; the caller waits."""
    return subprocess.Popen(
        [sys.executable, "train.py"], cwd=root, env=training_env(**env),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def finish(process: subprocess.Popen[str], root: Path) -> Trained:
    output, _ = process.communicate(timeout=120)
    assert process.returncode == 0, output
    manifest = json.loads((root / "src" / "tumor_classifier" / "manifest.json").read_text(encoding="utf-8"))
    return Trained(root, manifest)


def load_script(path: Path) -> ModuleType:
    """Import a script of the project (train.py, hatch_build.py) as a module."""
    # A name of its own, so that it cannot clash with the pipeline's scripts/train.py.
    name = f"tumor_classifier_project_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module
