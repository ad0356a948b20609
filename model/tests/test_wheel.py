"""The built wheel: reproducible, complete, and working in a fresh virtual environment."""

from __future__ import annotations

import email.parser
import hashlib
import json
import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from model_project import EPOCH, Trained, copy_project, finish, train

pytestmark = pytest.mark.slow

PACKAGE_FILES = {
    "tumor_classifier/__init__.py",
    "tumor_classifier/__main__.py",
    "tumor_classifier/_classifier.py",
    "tumor_classifier/_errors.py",
    "tumor_classifier/_inputs.py",
    "tumor_classifier/_model.py",
    "tumor_classifier/model.joblib",
    "tumor_classifier/manifest.json",
    "tumor_classifier/MODEL_CARD.md",
}


def build(project: Path, outdir: Path) -> subprocess.Popen[str]:
    """Start ``python -m build`` as the pipeline runs it; the caller waits."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH}
    return subprocess.Popen(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(outdir), str(project)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def built(process: subprocess.Popen[str], outdir: Path) -> dict[str, Path]:
    output, _ = process.communicate(timeout=300)
    assert process.returncode == 0, output
    return {suffix: next(outdir.glob(f"*{suffix}")) for suffix in (".whl", ".tar.gz")}


@pytest.fixture(scope="module")
def dists(trained: Trained, tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Path]]:
    """Wheel and sdist of the session's training, and of a second, independent one."""
    second = copy_project(tmp_path_factory.mktemp("second"))
    finish(train(second), second)
    outdirs = [tmp_path_factory.mktemp("dist") for _ in range(2)]
    processes = [build(root, out) for root, out in zip((trained.root, second), outdirs)]
    return [built(process, out) for process, out in zip(processes, outdirs)]


@pytest.fixture(scope="module")
def wheel(dists: list[dict[str, Path]]) -> Path:
    return dists[0][".whl"]


def test_two_trainings_and_builds_give_identical_files(dists: list[dict[str, Path]]) -> None:
    first, second = dists
    for suffix in (".whl", ".tar.gz"):
        assert first[suffix].name == second[suffix].name
        assert first[suffix].read_bytes() == second[suffix].read_bytes(), suffix


def test_the_wheel_holds_the_package_and_the_trained_model_only(wheel: Path, trained: Trained) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        model = archive.read("tumor_classifier/model.joblib")
        manifest = json.loads(archive.read("tumor_classifier/manifest.json"))
    assert {name for name in names if ".dist-info/" not in name} == PACKAGE_FILES
    assert hashlib.sha256(model).hexdigest() == manifest["sha256"]
    assert manifest == trained.manifest


def test_the_wheels_metadata_comes_from_the_manifest(wheel: Path, trained: Trained) -> None:
    with zipfile.ZipFile(wheel) as archive:
        raw = archive.read(f"tumor_classifier-{trained.manifest['version']}.dist-info/METADATA")
        card = archive.read("tumor_classifier/MODEL_CARD.md").decode("utf-8")
    metadata = email.parser.BytesParser().parsebytes(raw)
    series = ".".join(trained.manifest["versions"]["scikit-learn"].split(".")[:2])
    assert metadata["Version"] == trained.manifest["version"]
    assert f"scikit-learn=={series}.*" in metadata.get_all("Requires-Dist")
    assert metadata["Description-Content-Type"] == "text/markdown"
    assert raw.decode("utf-8").endswith("\n\n" + card)  # the card is the long description


def test_twine_check_strict_passes(dists: list[dict[str, Path]]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *map(str, dists[0].values())],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_building_an_untrained_project_says_run_training_first(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "untrained")
    process = build(project, tmp_path / "dist")
    output, _ = process.communicate(timeout=300)
    assert process.returncode != 0
    assert "run training first (python train.py)" in output


# Runs in the fresh environment: the package and scikit-learn only, nothing from here.
SCORE = """
import csv, doctest, json, sys
import tumor_classifier
import tumor_classifier._classifier
from importlib import metadata
from sklearn import metrics
from tumor_classifier import Classifier

with open(sys.argv[1], newline="", encoding="utf-8") as handle:
    rows = list(csv.DictReader(handle))
labels = [row.pop("target") for row in rows]
features = [{name: float(value) for name, value in row.items()} for row in rows]
clf = Classifier()
positive = clf.metadata["positive_label"]
predicted = clf.predict(features)
scores = clf.predict_proba(features)[:, clf.classes.index(positive)]
truth = [label == positive for label in labels]
examples = [doctest.testmod(m) for m in (tumor_classifier, tumor_classifier._classifier)]
print(json.dumps({
    "file": tumor_classifier.__file__,
    "requires": metadata.requires("tumor-classifier"),
    "manifest": clf.metadata,
    "metrics": {
        "accuracy": metrics.accuracy_score(labels, predicted),
        "roc_auc": metrics.roc_auc_score(truth, scores),
        "precision": metrics.precision_score(labels, predicted, pos_label=positive),
        "recall": metrics.recall_score(labels, predicted, pos_label=positive),
    },
    "examples": [sum(e.attempted for e in examples), sum(e.failed for e in examples)],
}))
"""


def test_the_installed_wheel_reproduces_its_recorded_metrics(wheel: Path, trained: Trained, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    # This environment's pip installs into the new one; its dependencies come from the
    # index pip is configured with, as they would for a user.
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", str(wheel)],
        check=True, capture_output=True, text=True,
    )
    script = tmp_path / "score.py"
    script.write_text(SCORE, encoding="utf-8")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    # -I and a working directory outside the repository: only the installed copy is importable.
    result = subprocess.run(
        [str(python), "-I", str(script), str(trained.holdout)],
        cwd=tmp_path, env=clean, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert Path(report["file"]).is_relative_to(env_dir)
    assert report["manifest"] == trained.manifest
    assert report["metrics"] == report["manifest"]["metrics"]
    assert any(req.startswith("scikit-learn==") for req in report["requires"])
    attempted, failed = report["examples"]
    assert attempted > 0 and failed == 0
