"""Read ``manifest.json`` and check it holds what the run-time code relies on.

The manifest is written by wheelwright's train stage (``docs/contract.md``, *The
manifest*); this module reads only the keys listed in :data:`READ_KEYS` (and
:data:`OPTIONAL_KEYS` when present) and checks their shape, so that a damaged or
foreign manifest fails at ``Model()`` with a message naming the key, not later with a
``KeyError`` deep inside a prediction. Standard library only: reading the manifest must
not import numpy or scikit-learn.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

from ._errors import ModelError

MANIFEST_FILE = "manifest.json"

#: The keys the run-time code reads; the manifest holds more (metrics, data, ...).
READ_KEYS = (
    "name", "version", "task", "features", "input", "allow_nan", "methods",
    "model_file", "sha256", "versions",
)
#: Read for classifiers only.
CLASSIFIER_KEYS = ("classes",)
#: Read when present: the sha256 of each block of a large model file (``_model.VerifiedFile``).
OPTIONAL_KEYS = ("sha256_blocks",)

TASKS = ("classification", "regression")
KINDS = ("number", "string")
INPUTS = ("array", "dataframe")
METHODS = ("predict", "predict_proba", "decision_function")

_SHA256 = re.compile(r"[0-9a-f]{64}")
_FIX = "Reinstall the package, or train and build it again with wheelwright."

def read_manifest(model_dir: Path) -> dict[str, Any]:
    """Read and check ``manifest.json`` in `model_dir`.

    Parameters
    ----------
    model_dir : pathlib.Path
        The folder holding the model file and ``manifest.json``.

    Returns
    -------
    dict
        The manifest, as written.

    Raises
    ------
    ModelError
        The file is missing, unreadable, not JSON, or lacks (or mangles) a key the
        run-time code reads. The message names the file and the key.
    """
    path = model_dir / MANIFEST_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ModelError(
            f"{path} not found: {model_dir} holds no packaged model. Pass the folder holding "
            f"{MANIFEST_FILE} and the model file, or reinstall the package."
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelError(f"cannot read {path}: {exc}. {_FIX}") from None
    try:
        manifest = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelError(f"{path} is not valid JSON ({exc}). {_FIX}") from None
    problem = manifest_problem(manifest)
    if problem:
        raise ModelError(f"{path} is not a usable manifest: {problem}. {_FIX}")
    return manifest


def manifest_problem(manifest: Any) -> str:
    """Say what is wrong with `manifest` for the run-time code; an empty string when nothing is."""
    if not isinstance(manifest, dict):
        return f"it holds a JSON {type(manifest).__name__}, not an object"
    keys = READ_KEYS + (CLASSIFIER_KEYS if manifest.get("task") == "classification" else ())
    missing = [key for key in keys if key not in manifest]
    if missing:
        return f"it lacks {', '.join(missing)}"
    task, methods, versions = manifest["task"], manifest["methods"], manifest["versions"]
    if task not in TASKS:
        return f"task is {task!r}, not one of {', '.join(TASKS)}"
    problem = _features_problem(manifest["features"])
    if problem:
        return problem
    if manifest["input"] not in INPUTS:
        return f"input is {manifest['input']!r}, not one of {', '.join(INPUTS)}"
    if manifest["input"] == "array" and any(f["kind"] != "number" for f in manifest["features"]):
        return 'input is "array", but some features are strings (an array holds numbers only)'
    if not isinstance(manifest["allow_nan"], bool):
        return f"allow_nan is {manifest['allow_nan']!r}, not true or false"
    if (not isinstance(methods, list) or "predict" not in methods
            or any(method not in METHODS for method in methods)):
        return f"methods is {methods!r}, not a list of predict and perhaps {', '.join(METHODS[1:])}"
    if not _is_file_name(manifest["model_file"]):
        return f"model_file is {manifest['model_file']!r}, not the name of a file beside the manifest"
    if not isinstance(manifest["sha256"], str) or not _SHA256.fullmatch(manifest["sha256"]):
        return f"sha256 is {manifest['sha256']!r}, not 64 lowercase hexadecimal digits"
    problem = _blocks_problem(manifest.get("sha256_blocks"))
    if problem:
        return problem
    if not isinstance(versions, dict) or not isinstance(versions.get("scikit-learn"), str):
        return "versions does not record the scikit-learn release the model was trained with"
    if task == "classification" and (not isinstance(manifest["classes"], list) or not manifest["classes"]):
        return f"classes is {manifest['classes']!r}, not a list of class labels"
    return ""


def _features_problem(features: Any) -> str:
    if not isinstance(features, list) or not features:
        return f"features is {features!r}, not a list of one {{name, kind, dtype}} per column"
    names = []
    for j, feature in enumerate(features):
        if not isinstance(feature, dict) or not isinstance(feature.get("name"), str):
            return f"features[{j}] is {feature!r}, not an object with a string name"
        if feature.get("kind") not in KINDS:
            return f"features[{j}] ({feature['name']!r}) has kind {feature.get('kind')!r}, not one of {', '.join(KINDS)}"
        names.append(feature["name"])
    repeated = [name for name, count in Counter(names).items() if count > 1]
    if repeated:
        return f"features repeats the names {', '.join(map(repr, repeated))}"
    return ""


def _blocks_problem(blocks: Any) -> str:
    if blocks is None:
        return ""
    shape = "not an object of block_size, file_sha256 and a list of sha256"
    if not isinstance(blocks, dict):
        return f"sha256_blocks is {blocks!r}, {shape}"
    size, whole, digests = blocks.get("block_size"), blocks.get("file_sha256"), blocks.get("sha256")
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        return f"sha256_blocks.block_size is {size!r}, not a positive number of bytes"
    if not isinstance(whole, str) or not _SHA256.fullmatch(whole):
        return f"sha256_blocks.file_sha256 is {whole!r}, not 64 lowercase hexadecimal digits"
    if (not isinstance(digests, list) or not digests
            or not all(isinstance(d, str) and _SHA256.fullmatch(d) for d in digests)):
        return "sha256_blocks.sha256 is not a list of sha256 digests (64 lowercase hexadecimal digits each)"
    return ""


def _is_file_name(value: Any) -> bool:
    # A bare name: a manifest must not point the loader at a file outside its folder.
    return (isinstance(value, str) and value not in ("", ".", "..")
            and "/" not in value and "\\" not in value and "\0" not in value)
