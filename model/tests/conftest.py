"""Fixtures: the model project trained once per session, in a copy outside the source tree.

The tests import ``tumor_classifier`` from ``src/`` but point it at the copy's model
(``Classifier(model_dir)``), so the source tree gets no training outputs, and a pipeline
run training the real project at the same time cannot disturb these tests.
"""

from __future__ import annotations

import csv
import shutil
import sys
from pathlib import Path

import pytest

from model_project import PROJECT, Trained, copy_project, finish, train

sys.path.insert(0, str(PROJECT / "src"))


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Trained:
    root = copy_project(tmp_path_factory.mktemp("trained"))
    return finish(train(root), root)


@pytest.fixture
def model_dir(trained: Trained, tmp_path: Path) -> Path:
    """A private copy of the trained model and manifest, free to damage."""
    dest = tmp_path / "model"
    dest.mkdir()
    for name in ("model.joblib", "manifest.json"):
        shutil.copy2(trained.model_dir / name, dest / name)
    return dest


@pytest.fixture(scope="session")
def holdout_rows(trained: Trained) -> tuple[list[dict[str, float]], list[str]]:
    """The hold-out set: one dict of features per row, and the true labels."""
    with open(trained.holdout, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    labels = [row.pop("target") for row in rows]
    return [{name: float(value) for name, value in row.items()} for row in rows], labels
