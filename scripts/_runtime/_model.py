"""Verify and load a packaged model: the only module that unpickles anything.

A joblib file runs code as it loads, so the file's sha256 is checked against the
manifest before anything is unpickled, and the bytes unpickled are the very bytes that
were hashed: there is no window in which the file could be swapped. The installed
scikit-learn must be of the release series the model was trained with, and the loaded
estimator must be the one the manifest describes. scikit-learn and joblib are imported
only here, only when a model is loaded, so that importing a model package stays cheap.

Each model is loaded once per process and shared: the cache is keyed by the model
file's resolved path and its sha256, so a retrained model is loaded afresh, and
concurrent first calls wait for one load.

The three steps are separate functions, :func:`read_verified` (bytes in memory, hashed),
:func:`check_sklearn_version` and :func:`unpickle`, so that reading can be made faster
(a chunked read whose hashing overlaps the I/O, importing scikit-learn meanwhile)
without changing what :func:`load_model` promises. Memory: the file's bytes are held
once, while they are unpickled, then released.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ._errors import ModelError, ModelIntegrityError, ModelVersionError

_REINSTALL = "Reinstall the package, or train and build it again with wheelwright."

_cache: dict[tuple[str, str], Any] = {}
_locks: dict[tuple[str, str], threading.Lock] = {}
_locks_lock = threading.Lock()


def load_model(model_dir: Path, manifest: Mapping[str, Any]) -> Any:
    """The estimator in `model_dir`, verified against `manifest`, loaded once per process.

    Parameters
    ----------
    model_dir : pathlib.Path
        The folder holding the model file (``manifest["model_file"]``).
    manifest : mapping
        Its manifest, as :func:`._manifest.read_manifest` returned it.

    Returns
    -------
    object
        The fitted estimator, shared by every caller asking for this file and sha256.

    Raises
    ------
    ModelError
        The file is missing or unreadable, or cannot be unpickled here.
    ModelIntegrityError
        Its sha256 is not the manifest's (nothing was unpickled), or the estimator in it
        is not the one the manifest describes.
    ModelVersionError
        The installed scikit-learn is of another release series than the recorded one.
    """
    path = model_dir / str(manifest["model_file"])
    key = (str(path.resolve()), str(manifest["sha256"]))
    found = _cache.get(key)
    if found is not None:
        return found
    with _locks_lock:
        lock = _locks.setdefault(key, threading.Lock())
    with lock:
        found = _cache.get(key)
        if found is None:
            found = _cache[key] = _load(Path(key[0]), manifest)
    return found


def _load(path: Path, manifest: Mapping[str, Any]) -> Any:
    data = read_verified(path, str(manifest["sha256"]))
    import sklearn

    check_sklearn_version(str(manifest["versions"]["scikit-learn"]), sklearn.__version__)
    estimator = unpickle(data, path)
    del data
    check_matches_manifest(estimator, manifest, path)
    return estimator


def read_verified(path: Path, expected_sha256: str) -> bytes:
    """Read `path` into memory; return its bytes if their sha256 is `expected_sha256`.

    Raises
    ------
    ModelError
        The file is missing or unreadable.
    ModelIntegrityError
        Its sha256 differs from `expected_sha256`.
    """
    import hashlib  # here, not at the top: OpenSSL's import is a noticeable part of `import <package>`

    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise ModelError(f"{path} not found, though its manifest is there. {_REINSTALL}") from None
    except OSError as exc:
        raise ModelError(f"cannot read {path}: {exc.strerror or exc}. {_REINSTALL}") from None
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected_sha256:
        raise ModelIntegrityError(
            f"{path} was altered: its sha256 is {actual}, but the manifest records "
            f"{expected_sha256}, so it was not loaded. {_REINSTALL}"
        )
    return data


def release_series(version: str) -> str:
    """The release series of a version: ``"1.9.1"`` gives ``"1.9"``.

    scikit-learn keeps pickles loadable between patch releases of a series only.

    Examples
    --------
    >>> release_series("1.9.1"), release_series("1.10.0rc1")
    ('1.9', '1.10')
    """
    major, _, rest = version.partition(".")
    minor = ""
    for char in rest:
        if not char.isdigit():
            break
        minor += char
    return f"{major}.{minor}"


def check_sklearn_version(recorded: str, installed: str) -> None:
    """Raise :class:`ModelVersionError` unless both versions are of one release series.

    Examples
    --------
    >>> check_sklearn_version("1.9.0", "1.9.2")
    >>> check_sklearn_version("1.8.2", "1.9.1")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ModelVersionError: the model was trained with scikit-learn 1.8.2, but ...
    """
    if release_series(recorded) != release_series(installed):
        raise ModelVersionError(
            f"the model was trained with scikit-learn {recorded}, but scikit-learn {installed} is "
            "installed, and models do not carry across release series. Install "
            f"scikit-learn=={release_series(recorded)}.* (the package's own requirement), or "
            "retrain the model."
        )


def unpickle(data: bytes, path: Path) -> Any:
    """Unpickle verified `data` (the bytes of `path`) with joblib.

    Raises
    ------
    ModelError
        Unpickling failed: usually a library the model needs is missing or of another
        version. The message names the exception.
    """
    import io

    import joblib

    try:
        return joblib.load(io.BytesIO(data))  # BytesIO shares `data`'s buffer: no copy
    except Exception as exc:  # whatever the pickle's own code raised
        raise ModelError(
            f"cannot load {path}: {type(exc).__name__}: {exc}. The libraries it needs are "
            "listed under versions in the manifest: install those releases (reinstalling "
            "the package does), or retrain the model."
        ) from exc


def check_matches_manifest(estimator: Any, manifest: Mapping[str, Any], path: Path) -> None:
    """Raise :class:`ModelIntegrityError` unless `estimator` is the one `manifest` describes.

    Checked: classifier or regressor, the classes in order, the number and names of
    the features, and the methods the manifest lists.
    """
    problem = _mismatch(estimator, manifest)
    if problem:
        raise ModelIntegrityError(
            f"{path} does not hold the model its manifest describes: {problem}. {_REINSTALL}"
        )


def _mismatch(estimator: Any, manifest: Mapping[str, Any]) -> str:
    from sklearn.base import is_classifier, is_regressor

    kind = type(estimator).__name__
    if not callable(getattr(estimator, "predict", None)) or not hasattr(estimator, "get_params"):
        return f"the file holds a {kind}, not a scikit-learn estimator"
    try:
        classifier, regressor = is_classifier(estimator), is_regressor(estimator)
    except Exception as exc:  # an estimator-like object scikit-learn's tags cannot read
        return f"the {kind} in it is not a scikit-learn estimator ({exc})"
    if manifest["task"] == "classification" and not classifier:
        return f"the manifest describes a classifier, the file holds a {kind}"
    if manifest["task"] == "regression" and not regressor:
        return f"the manifest describes a regressor, the file holds a {kind}"
    missing = [method for method in manifest["methods"] if not hasattr(estimator, method)]
    if missing:
        return f"the {kind} in it has no {', '.join(missing)}"
    names = [feature["name"] for feature in manifest["features"]]
    n_features = getattr(estimator, "n_features_in_", len(names))
    if n_features != len(names):
        return f"its {kind} takes {n_features} features, the manifest lists {len(names)}"
    fitted_names = getattr(estimator, "feature_names_in_", None)
    # A first step of the project's own may read columns without recording their names.
    if manifest["input"] == "dataframe" and fitted_names is not None and list(fitted_names) != names:
        return "its features are not the manifest's, in the manifest's order"
    if manifest["input"] == "array" and fitted_names is not None:
        return "it was fitted on a DataFrame, but the manifest says it takes an array"
    if manifest["task"] == "classification":
        classes = getattr(estimator, "classes_", None)
        found = None if classes is None else classes.tolist() if hasattr(classes, "tolist") else list(classes)
        if found != list(manifest["classes"]):
            return f"its classes are {found}, the manifest's {manifest['classes']}"
    return ""
