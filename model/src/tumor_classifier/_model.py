"""Find, verify and load a trained model: the only module that unpickles anything.

A joblib file runs code as it loads, so its sha256 is checked against the manifest
before anything is unpickled, and the bytes unpickled are the very bytes that were
hashed (no window in which the file could be swapped). scikit-learn and joblib are
imported here only when a model is loaded, so that importing the package stays cheap.
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ._errors import ModelError, ModelIntegrityError, ModelVersionError

#: Where the packaged model lives: train.py writes these files next to this module.
PACKAGE_DIR = Path(__file__).resolve().parent
MODEL_FILE = "model.joblib"
MANIFEST_FILE = "manifest.json"

#: The manifest keys this package relies on; train.py writes more.
REQUIRED_KEYS = ("classes", "feature_names", "positive_label", "sha256", "version", "versions")

CHUNK = 1024 * 1024

_lock = threading.Lock()
_models: dict[tuple[Path, str], Any] = {}


def read_manifest(model_dir: Path) -> dict[str, Any]:
    """Read and sanity-check ``manifest.json`` in `model_dir`.

    Parameters
    ----------
    model_dir : pathlib.Path
        The folder holding ``model.joblib`` and ``manifest.json``.

    Returns
    -------
    dict
        The manifest.

    Raises
    ------
    ModelError
        The manifest is missing, unreadable, not JSON, or lacks a key this package needs.
    """
    path = model_dir / MANIFEST_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ModelError(
            f"{path} not found: the model was never trained. "
            "Run `python train.py` in the model project first."
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelError(f"cannot read {path}: {exc}.") from None
    try:
        manifest = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelError(f"{path} is not valid JSON ({exc}); retrain the model.") from None
    missing = [key for key in REQUIRED_KEYS if not isinstance(manifest, dict) or key not in manifest]
    if missing:
        raise ModelError(f"{path} lacks {', '.join(missing)}; retrain the model.")
    return manifest


def release_series(version: str) -> str:
    """The release series of a version: ``"1.9.1"`` gives ``"1.9"``.

    scikit-learn only tries to keep pickles loadable between patch releases of a series.
    """
    return ".".join(version.split(".")[:2])


def check_sklearn_version(recorded: str, installed: str) -> None:
    """Raise :class:`ModelVersionError` unless both versions are of one release series."""
    if release_series(recorded) != release_series(installed):
        raise ModelVersionError(
            f"the model was trained with scikit-learn {recorded}, but scikit-learn "
            f"{installed} is installed; models do not carry across release series. "
            f"Install scikit-learn=={release_series(recorded)}.* or retrain the model."
        )


def read_verified(path: Path, expected_sha256: str) -> bytes:
    """Read `path` in chunks, hashing as it goes; return its bytes if the hash matches.

    Raises
    ------
    ModelError
        The file is missing or unreadable.
    ModelIntegrityError
        Its sha256 differs from `expected_sha256`.
    """
    digest = hashlib.sha256()
    buffer = io.BytesIO()
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
                buffer.write(chunk)
    except FileNotFoundError:
        raise ModelError(
            f"{path} not found, though its manifest is there. "
            "Run `python train.py` in the model project, or reinstall the package."
        ) from None
    except OSError as exc:
        raise ModelError(f"cannot read {path}: {exc}.") from None
    actual = digest.hexdigest()
    if actual != expected_sha256:
        raise ModelIntegrityError(
            f"{path} was altered: its sha256 is {actual}, but the manifest records "
            f"{expected_sha256}. It was not loaded. Reinstall the package or retrain the model."
        )
    return buffer.getvalue()


def check_matches_manifest(model: Any, manifest: Mapping[str, Any], path: Path) -> None:
    """Raise :class:`ModelIntegrityError` unless `model` is the classifier `manifest` describes."""
    classes = getattr(model, "classes_", None)
    if (
        not callable(getattr(model, "predict_proba", None))
        or classes is None
        or list(classes) != list(manifest["classes"])
        or getattr(model, "n_features_in_", None) != len(manifest["feature_names"])
    ):
        raise ModelIntegrityError(
            f"{path} does not hold the classifier its manifest describes "
            f"(classes {manifest['classes']}, {len(manifest['feature_names'])} features). "
            "Retrain the model."
        )


def load_model(model_dir: Path, manifest: Mapping[str, Any]) -> Any:
    """Load the model in `model_dir` once, verified, and share it between callers.

    Thread-safe: concurrent first calls load the file once. A retrained model (another
    sha256 in `manifest`) is loaded afresh.

    Raises
    ------
    ModelIntegrityError
        The file is not the one the manifest describes; nothing was unpickled.
    ModelVersionError
        The installed scikit-learn is of another release series than the recorded one.
    ModelError
        The model file is missing or unreadable.
    """
    key = (model_dir.resolve(), str(manifest["sha256"]))
    with _lock:
        if key not in _models:
            _models[key] = _load(key[0] / MODEL_FILE, manifest)
        return _models[key]


def _load(path: Path, manifest: Mapping[str, Any]) -> Any:
    data = read_verified(path, str(manifest["sha256"]))
    import sklearn

    check_sklearn_version(str(manifest["versions"].get("scikit-learn", "unknown")), sklearn.__version__)
    import joblib

    model = joblib.load(io.BytesIO(data))
    check_matches_manifest(model, manifest, path)
    return model
