"""hatch_build.py: the wheel's version and dependencies come from the manifest."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from model_project import PROJECT, Trained, copy_project, load_script


@pytest.fixture(scope="module")
def hook_module():
    return load_script(PROJECT / "hatch_build.py")


@pytest.fixture
def project(trained: Trained, tmp_path: Path) -> Path:
    """A copy of the trained project, free to change."""
    return shutil.copytree(trained.root, tmp_path / "project")


def test_version_and_dependencies_come_from_the_manifest(hook_module, project: Path) -> None:
    manifest_path = project / "src" / "tumor_classifier" / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["version"] = "1.2.0.dev7"  # as the pipeline stamps a pre-release
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    metadata = {"name": "tumor-classifier"}
    hook_module.ModelMetadataHook(str(project), {}).update(metadata)
    sklearn_series = ".".join(manifest["versions"]["scikit-learn"].split(".")[:2])
    assert metadata["version"] == "1.2.0.dev7"
    assert metadata["dependencies"][0] == f"scikit-learn=={sklearn_series}.*"


@pytest.mark.parametrize(
    ("versions", "expected"),
    [
        ({"scikit-learn": "1.9.1", "numpy": "2.4.6", "joblib": "1.6.0"},
         ["scikit-learn==1.9.*", "numpy>=2.4,<3", "joblib>=1.6,<2"]),
        ({"scikit-learn": "1.10.0rc1", "numpy": "3.0.0", "joblib": "1.10.2"},
         ["scikit-learn==1.10.*", "numpy>=3.0,<4", "joblib>=1.10,<2"]),
    ],
)
def test_dependencies_pin_the_scikit_learn_series(hook_module, versions, expected) -> None:
    assert hook_module.dependencies(versions) == expected


def test_an_untrained_project_says_run_training_first(hook_module, tmp_path: Path) -> None:
    project = copy_project(tmp_path / "untrained")
    with pytest.raises(RuntimeError, match=r"missing: run training first \(python train.py\)"):
        hook_module.read_manifest(project)


def test_a_model_that_is_not_the_manifests_is_not_built(hook_module, project: Path) -> None:
    model = project / "src" / "tumor_classifier" / "model.joblib"
    model.write_bytes(model.read_bytes() + b"\0")
    with pytest.raises(RuntimeError, match="has sha256 .* but the manifest records .*run training again"):
        hook_module.read_manifest(project)
