"""Give the wheel the version and dependencies recorded in the model's manifest.

A hatchling metadata hook (``[tool.hatch.metadata.hooks.custom]``): the version is the
one training recorded, so the wheel and the model inside it can never disagree, and
scikit-learn is pinned to the release series the model was trained with, so pip never
pairs the model with a scikit-learn that cannot load it.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hatchling.metadata.plugin.interface import MetadataHookInterface


class ModelMetadataHook(MetadataHookInterface):
    """Set ``version`` and ``dependencies`` (both in ``project.dynamic``) from the manifest."""

    def update(self, metadata: dict[str, Any]) -> None:
        manifest = read_manifest(Path(self.root))
        metadata["version"] = manifest["version"]
        metadata["dependencies"] = dependencies(manifest["versions"])


def read_manifest(root: Path) -> dict[str, Any]:
    """Read the manifest ``[tool.wheelwright]`` points at; check it describes the model file.

    Raises
    ------
    RuntimeError
        The model was not trained, or the model file is not the one the manifest describes.
    """
    table = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["wheelwright"]
    manifest_path, model_path = root / table["manifest"], root / table["model"]
    if not manifest_path.is_file() or not model_path.is_file():
        raise RuntimeError(
            f"{manifest_path.relative_to(root)} or {model_path.relative_to(root)} is missing: "
            f"run training first (python {table['train']}), then build."
        )
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    # A wheel whose model does not match its manifest would refuse to load once installed.
    with model_path.open("rb") as handle:  # streamed: a model may be larger than memory allows
        actual = hashlib.file_digest(handle, "sha256").hexdigest()
    if actual != manifest["sha256"]:
        raise RuntimeError(
            f"{model_path.relative_to(root)} has sha256 {actual}, but the manifest records "
            f"{manifest['sha256']}: run training again, then build."
        )
    return manifest


def dependencies(versions: Mapping[str, str]) -> list[str]:
    """Requirements for the library versions the model was trained with.

    scikit-learn only keeps models loadable within a release series, so it is pinned to
    one; numpy and joblib pickles load in later releases of the same major version.

    >>> dependencies({"scikit-learn": "1.9.1", "numpy": "2.4.6", "joblib": "1.6.0"})
    ['scikit-learn==1.9.*', 'numpy>=2.4,<3', 'joblib>=1.6,<2']
    """
    return [
        f"scikit-learn=={_series(versions['scikit-learn'])}.*",
        _same_major("numpy", versions["numpy"]),
        _same_major("joblib", versions["joblib"]),
    ]


def _series(version: str) -> str:
    return ".".join(version.split(".")[:2])


def _same_major(name: str, version: str) -> str:
    major = int(version.split(".")[0])
    return f"{name}>={_series(version)},<{major + 1}"
