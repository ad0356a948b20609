"""Call a model project's ``train()`` and write what the package needs from it.

The train stage runs this in the model's environment, with the project's folder as
working directory and no credential in the environment::

    python _trainer.py REQUEST.json

``REQUEST.json`` (written by the train stage) names the project, the version and where
to write. This calls ``train()``, checks what it returned (a fitted classifier or
regressor, and a hold-out set it can score), and writes the model file (joblib), the
hold-out CSV and the manifest (docs/contract.md lists its keys), scoring the model on the
hold-out *as read back from the file*, so that later stages compute the same numbers.

Exit codes: 0 written; 1 the project's own code raised (its traceback is printed);
3 ``train()`` broke the contract: the request's ``refusal`` file says how, and what to do.
Nothing of wheelwright's is imported but ``_scoring``, its sibling.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import math
import pickle
import platform
import random
import sys
import traceback
from pathlib import Path
from typing import Any

import _scoring

EXIT_RAISED = 1
EXIT_CONTRACT = 3
OPTIONAL_KEYS = ("X_train", "y_train", "dataset")
REQUIRED_KEYS = ("model", "X_test", "y_test")


class ContractError(Exception):
    """``train()`` returned something the pipeline cannot package; the message says what to do."""


def main(request_path: str) -> int:
    request = json.loads(Path(request_path).read_text(encoding="utf-8"))
    try:
        _scoring.check_names(list(request["gate"]))  # a typo fails here, before any training
        train = load_train(request)
    except (ContractError, _scoring.ScoringError) as exc:
        return _refuse(exc, request)
    random.seed(0)
    try:
        import numpy

        numpy.random.seed(0)
    except ImportError:
        pass
    result = train()  # the project's own code: its exceptions keep their traceback
    try:
        package(request, result)
    except (ContractError, _scoring.ScoringError) as exc:
        return _refuse(exc, request)
    except Exception as exc:  # the trainer's own failure: not the project's to fix
        traceback.print_exc()
        return _refuse(ContractError(
            f"wheelwright could not package what train() returned ({type(exc).__name__}: {exc}); "
            "this is a bug in wheelwright: please report it with the traceback above"), request)
    return 0


def _refuse(exc: Exception, request: dict[str, Any]) -> int:
    """Hand the stage one sentence to report (a traceback would blame the project's code)."""
    Path(request["refusal"]).write_text(f"{exc}\n", encoding="utf-8")
    return EXIT_CONTRACT


def load_train(request: dict[str, Any]) -> Any:
    """Import the training file as a module; return its ``train`` function."""
    root = Path(request["root"])
    path = Path(request["train"])
    for folder in (root, *(Path(p) for p in request["paths"])):
        sys.path.insert(0, str(folder))
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise ContractError(f"{path.name} cannot be imported as a Python module.")
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    train = getattr(module, "train", None)
    if not callable(train):
        raise ContractError(
            f"{path.name} defines no train() function. Define `def train():` returning "
            "(model, X_test, y_test): see 'Your own model' in wheelwright's README."
        )
    return train


def unpack(result: Any) -> dict[str, Any]:
    """``train()``'s result as a dict with at least model, X_test and y_test."""
    if isinstance(result, dict):
        unknown = sorted(set(result) - set(REQUIRED_KEYS) - set(OPTIONAL_KEYS))
        missing = [key for key in REQUIRED_KEYS if key not in result]
        if unknown or missing:
            raise ContractError(
                f"train() returned a dict with {'unknown keys ' + ', '.join(unknown) if unknown else ''}"
                f"{' and ' if unknown and missing else ''}"
                f"{'no ' + ', '.join(missing) if missing else ''}: it takes "
                f"{', '.join(REQUIRED_KEYS)} and optionally {', '.join(OPTIONAL_KEYS)}."
            )
        return result
    if isinstance(result, tuple) and len(result) == 3:
        return dict(zip(REQUIRED_KEYS, result))
    shown = "None (no return statement?)" if result is None else f"a {type(result).__name__}"
    raise ContractError(f"train() returned {shown}; return model, X_test, y_test (or a dict of them).")


# --- What train() handed over --------------------------------------------------------------

def check_model(model: Any) -> str:
    """``"classification"`` or ``"regression"``; raise unless ``model`` is a fitted one of them."""
    from sklearn.base import is_classifier, is_regressor
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    if not hasattr(model, "get_params") or not hasattr(model, "predict"):
        raise ContractError(f"train() returned a {type(model).__name__} as the model, not a "
                            "scikit-learn estimator (an object with fit, predict and get_params).")
    if is_classifier(model):
        task = "classification"
    elif is_regressor(model):
        task = "regression"
    else:
        raise ContractError(f"the model, a {type(model).__name__}, is neither a classifier nor a "
                            "regressor: wheelwright packages those two kinds.")
    try:
        check_is_fitted(model)
    except NotFittedError:
        raise ContractError(f"the model, a {type(model).__name__}, is not fitted: call "
                            "model.fit(X_train, y_train) before returning it.") from None
    return task


def describe(estimator: Any) -> str:
    """``Pipeline(ColumnTransformer(OneHotEncoder, StandardScaler), LogisticRegression)``."""
    name = type(estimator).__name__
    if hasattr(estimator, "steps"):
        return f"{name}({', '.join(describe(step) for _, step in estimator.steps)})"
    if hasattr(estimator, "transformers"):
        parts = [describe(t) for _, t, _ in estimator.transformers if not isinstance(t, str)]
        return f"{name}({', '.join(parts)})"
    return name


def features_of(model: Any, X: Any) -> tuple[str, list[dict[str, Any]], list[list[Any]]]:
    """The model's input form, its features (name, kind, dtype) and ``X``'s columns in order."""
    fitted_names = getattr(model, "feature_names_in_", None)
    if hasattr(X, "columns") and hasattr(X, "dtypes") and fitted_names is None and not _takes_arrays(model, X):
        fitted_names = X.columns  # a custom first step that reads columns, without recording them
    if hasattr(X, "columns") and hasattr(X, "dtypes") and fitted_names is None:
        # Fitted on an array, tested on a DataFrame: its columns name the features, in order.
        names = [str(c) for c in X.columns]
        if len(set(names)) != len(names):
            raise ContractError("X_test's columns are not unique; each feature needs a name of its own.")
        kinds = [_kind(X[c], str(c))[0] for c in X.columns]
        if "string" in kinds:
            raise ContractError("the model was fitted on an array, which holds numbers only, but X_test "
                                "has string columns: fit on the DataFrame itself.")
        form, features, values = features_of(model, X.to_numpy())
        for feature, name in zip(features, names):
            feature["name"] = name
        return form, features, values
    if hasattr(X, "columns") and hasattr(X, "dtypes"):
        names = [str(name) for name in fitted_names]
        columns = [str(c) for c in X.columns]
        problems = _column_problems(columns, names)
        if problems:
            raise ContractError(f"X_test's columns are not the model's features: {problems}.")
        frame = X[list(fitted_names)]
        features, values = [], []
        for name, original in zip(names, fitted_names):
            kind, dtype = _kind(frame[original], name)
            features.append({"name": name, "kind": kind, "dtype": dtype})
            values.append(frame[original].tolist())
        return "dataframe", features, values
    if fitted_names is not None:
        raise ContractError("the model was fitted on a DataFrame but X_test is not one: "
                            "return the hold-out features as a DataFrame too.")
    import numpy as np

    array = np.asarray(X)
    if array.ndim != 2:
        raise ContractError(f"X_test has {array.ndim} dimension(s); it must be 2-D: one row per sample.")
    if array.dtype.kind not in "biuf":
        raise ContractError(f"X_test is an array of {array.dtype}: a model fitted on an array takes "
                            "numbers only; fit on a pandas DataFrame to use string columns.")
    expected = getattr(model, "n_features_in_", array.shape[1])
    if array.shape[1] != expected:
        raise ContractError(f"X_test has {array.shape[1]} columns; the model was fitted on {expected}.")
    features = [{"name": f"x{j}", "kind": "number", "dtype": str(array.dtype)} for j in range(array.shape[1])]
    return "array", features, [array[:, j].tolist() for j in range(array.shape[1])]


def _takes_arrays(model: Any, X: Any) -> bool:
    """Whether ``model`` predicts from ``X``'s first row as a bare array, without a word."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            model.predict(X.iloc[:1].to_numpy())
        except Exception:
            return False
    return True


def _column_problems(columns: list[str], names: list[str]) -> str:
    missing = [n for n in names if n not in columns]
    unknown = [c for c in columns if c not in names]
    parts = []
    if missing:
        parts.append(f"missing {missing[:5]}")
    if unknown:
        parts.append(f"unknown {unknown[:5]}")
    if len(set(columns)) != len(columns):
        parts.append("repeated column names")
    return "; ".join(parts)


def _kind(column: Any, name: str) -> tuple[str, str]:
    dtype = column.dtype
    kind = getattr(dtype, "kind", "O")
    if str(dtype) == "category":
        raise ContractError(f"column {name!r} is of pandas' category dtype, which the package cannot "
                            "rebuild from a request: use strings (astype(str)) and a OneHotEncoder.")
    if kind in "biuf":
        return "number", str(dtype)
    if kind in "mM":
        raise ContractError(f"column {name!r} holds dates or durations: turn them into numbers "
                            "(days, seconds) before fitting.")
    values = [v for v in column.tolist() if v is not None and not (isinstance(v, float) and math.isnan(v))]
    strange = next((v for v in values if not isinstance(v, str)), None)
    if strange is not None:
        raise ContractError(f"column {name!r} mixes {type(strange).__name__} values with others: a "
                            "column holds numbers only or strings only.")
    return "string", str(dtype)


def labels_of(model: Any, task: str, y: Any, rows: int) -> list[Any]:
    """``y`` as plain Python values; raise when it cannot be scored against the model."""
    import numpy as np

    array = np.asarray(y)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array.ravel()
    if array.ndim != 1:
        raise ContractError("y_test must hold one target per row (multi-output models are not packaged).")
    if len(array) != rows:
        raise ContractError(f"X_test has {rows} rows but y_test has {len(array)}.")
    values = [_plain(v) for v in array.tolist()]
    if task == "regression":
        bad = next((v for v in values if not isinstance(v, (int, float)) or not math.isfinite(v)), "ok")
        if bad != "ok":
            raise ContractError(f"y_test holds {bad!r}: a regressor's targets are finite numbers.")
        return [float(v) for v in values]
    classes = {_plain(c) for c in model.classes_.tolist()}
    unknown = sorted({repr(v) for v in values if v not in classes})
    if unknown:
        raise ContractError(f"y_test holds labels the model was not fitted on: {', '.join(unknown[:5])} "
                            f"(its classes: {sorted(map(repr, classes))}).")
    return values


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value it holds; anything else as it is."""
    return value.item() if type(value).__module__ == "numpy" and hasattr(value, "item") else value


# --- Writing the package's files ----------------------------------------------------------

def package(request: dict[str, Any], result: Any) -> dict[str, Any]:
    """Check ``result`` and write the model, the hold-out set and the manifest."""
    given = unpack(result)
    model = given["model"]
    task = check_model(model)
    form, features, columns = features_of(model, given["X_test"])
    rows = len(columns[0]) if columns else 0
    if rows == 0:
        raise ContractError("X_test has no rows: keep some data out of training to score the model on.")
    labels = labels_of(model, task, given["y_test"], rows)
    manifest = identity(request, model, task, form, features)

    names = [feature["name"] for feature in features]
    target = _target_name(given["y_test"], names)
    manifest["target"] = target
    holdout = Path(request["holdout"])
    _scoring.write_holdout(holdout, columns, [f["kind"] for f in features], names, labels, target)
    X, y = _scoring.read_holdout(holdout, manifest)

    for name in request["gate"]:
        _scoring.check_applies(name, manifest)
    positive = manifest.get("positive_class")
    metrics = _scoring.score(model, X, y, list(request["gate"]), positive)
    for name in _scoring.standard_metrics(manifest):
        if name not in metrics:
            try:
                metrics.update(_scoring.score(model, X, y, [name], positive))
            except _scoring.ScoringError:
                pass  # undefined on this hold-out; only the gate's metrics must be
    undefined = [name for name in request["gate"] if math.isnan(metrics[name])]
    if undefined:
        raise ContractError(
            f"{', '.join(undefined)} is NaN on the hold-out set, so the gate could not pass it "
            "(a hold-out with one class only, say): keep every class in the hold-out "
            "(train_test_split(..., stratify=y)).")
    manifest["metrics"] = {k: v for k, v in metrics.items() if not math.isnan(v)}
    manifest["gate"] = request["gate"]
    if task == "classification":
        manifest["confusion"] = confusion(model, X, y, manifest["classes"])
    manifest["holdout"] = {"rows": rows, "sha256": _sha256(holdout)}
    if task == "classification":
        manifest["holdout"]["class_counts"] = {str(c): y.count(c) for c in manifest["classes"]}
    manifest["data"] = data_record(given)

    # A model fitted on a DataFrame is handed one by the package: it needs pandas too.
    manifest["versions"] = versions(model, request, {"pandas"} if form == "dataframe" else set())
    model_file = Path(request["package_dir"]) / "model.joblib"
    model_file.parent.mkdir(parents=True, exist_ok=True)
    import joblib

    joblib.dump(model, model_file)
    manifest["model_file"] = model_file.name
    manifest["sha256"], blocks = model_digests(model_file)
    if blocks is not None:
        manifest["sha256_blocks"] = blocks
    manifest["size"] = model_file.stat().st_size
    (Path(request["package_dir"]) / "manifest.json").write_text(
        json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    return manifest


def identity(request: dict[str, Any], model: Any, task: str, form: str,
             features: list[dict[str, Any]]) -> dict[str, Any]:
    """The manifest's description of the model: what it is and what it takes."""
    manifest: dict[str, Any] = {
        "name": request["name"],
        "package": request["package"],
        "version": request["version"],
        "description": request["description"],
        "created": request["created"],
        "task": task,
        "estimator": describe(model),
        "params": json_params(model),
        "features": features,
        "input": form,
        "allow_nan": allows_nan(model),
        "methods": [m for m in ("predict", "predict_proba", "decision_function") if hasattr(model, m)],
    }
    if task == "classification":
        classes = [_plain(c) for c in model.classes_.tolist()]
        manifest["classes"] = classes
        positive = request.get("positive_class")
        if positive is not None:
            if len(classes) != 2:
                raise ContractError(f"positive-class is set, but the model has {len(classes)} classes: "
                                    "it applies to binary classifiers only; remove it.")
            if positive not in classes:
                raise ContractError(f"positive-class = {positive!r} is not one of the model's classes "
                                    f"{classes}.")
        if len(classes) == 2:
            manifest["positive_class"] = positive if positive is not None else classes[-1]
    elif request.get("positive_class") is not None:
        raise ContractError("positive-class is set, but the model is a regressor: remove it.")
    return manifest


def _target_name(y: Any, names: list[str]) -> str:
    name = getattr(y, "name", None)
    if isinstance(name, str) and name and name not in names:
        return name
    return "target" if "target" not in names else "__target__"


def allows_nan(model: Any) -> bool:
    """Whether ``model`` takes missing values: scikit-learn's tag, of a pipeline's first step
    (a Pipeline does not pass it on), and of every part of a ColumnTransformer."""
    if hasattr(model, "steps"):
        first = next((step for _, step in model.steps if step not in (None, "passthrough")), None)
        return first is not None and allows_nan(first)
    if hasattr(model, "transformers"):
        parts = [t for _, t, _ in model.transformers if t not in ("drop", "passthrough")]
        return bool(parts) and all(allows_nan(t) for t in parts)
    try:
        return bool(model.__sklearn_tags__().input_tags.allow_nan)
    except AttributeError:
        return False


def json_params(model: Any) -> dict[str, Any]:
    """``get_params(deep=True)``, the values JSON holds as they are (estimators themselves cannot)."""
    params = {}
    for name, value in sorted(model.get_params(deep=True).items()):
        value = _plain(value)
        if isinstance(value, float) and not math.isfinite(value):
            value = repr(value)
        if isinstance(value, (str, int, float, bool, type(None))):
            params[name] = value
    return params


def confusion(model: Any, X: Any, y: list[Any], classes: list[Any]) -> dict[str, dict[str, int]]:
    from sklearn.metrics import confusion_matrix

    counts = confusion_matrix(y, model.predict(X), labels=classes)
    return {str(true): {str(p): int(n) for p, n in zip(classes, row)} for true, row in zip(classes, counts)}


def data_record(given: dict[str, Any]) -> dict[str, Any]:
    record: dict[str, Any] = {"dataset": given.get("dataset")}
    if "X_train" in given:
        record["train_rows"] = len(given["X_train"])
        record["train_sha256"] = fingerprint(given["X_train"], given.get("y_train"))
    return record


def fingerprint(X: Any, y: Any) -> str:
    """sha256 of the training data: numbers as little-endian float64, strings as UTF-8."""
    import numpy as np

    digest = hashlib.sha256()
    columns = [X[c] for c in X.columns] if hasattr(X, "columns") else list(np.asarray(X).T)
    if hasattr(X, "columns"):
        digest.update("\x1f".join(map(str, X.columns)).encode())
    for column in [*columns, *([] if y is None else [y])]:
        array = np.asarray(column)
        if array.dtype.kind in "biuf":
            digest.update(np.ascontiguousarray(array, dtype="<f8").tobytes())
        else:
            digest.update("\x1f".join(map(str, array.tolist())).encode())
    return digest.hexdigest()


BLOCK_SIZE = 16 * 1024 * 1024


def model_digests(path: Path, block_size: int = BLOCK_SIZE) -> tuple[str, dict[str, Any] | None]:
    """The file's sha256 and, if it is larger than one block, the sha256 of each block.

    The blocks let the package check a large model while it imports scikit-learn and
    unpickles it, instead of hashing the whole file before unpickling any of it (the run-time
    ``_model.VerifiedFile``). They are recorded with the file sha256 they were computed
    beside (``file_sha256``): a manifest whose ``sha256`` was changed since falls back to
    checking the whole file. One read of the file; the block digests are computed in a
    second thread while this one computes the file's (hashlib releases the GIL).
    """
    from concurrent.futures import ThreadPoolExecutor

    whole = hashlib.sha256()
    futures = []
    with open(path, "rb") as handle, ThreadPoolExecutor(1) as pool:
        while block := handle.read(block_size):
            futures.append(pool.submit(lambda data: hashlib.sha256(data).hexdigest(), block))
            whole.update(block)
            if len(futures) > 1:
                futures[-2].result()  # at most two blocks in memory
        digests = [future.result() for future in futures]
    if len(digests) <= 1:
        return whole.hexdigest(), None
    return whole.hexdigest(), {"block_size": block_size, "file_sha256": whole.hexdigest(), "sha256": digests}


def _sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


# --- What the pickle needs where it is loaded ---------------------------------------------

#: Caches scikit-learn keeps in a fitted estimator that differ from run to run (a memory
#: address), dropped before the model is saved so that the same commit saves the same bytes.
#: Each is only an optimisation: scikit-learn recomputes it when it is missing.
VOLATILE = ("_stop_words_id",)  # CountVectorizer, TfidfVectorizer: id() of their stop words


class _Referenced(pickle.Pickler):
    """Pickle into nothing, noting the module of every object and global on the way, and
    the objects holding a :data:`VOLATILE` cache.

    Arrays of numbers are skipped (their bytes are not needed, only that numpy is).
    """

    def __init__(self) -> None:
        super().__init__(_Discard(), protocol=pickle.HIGHEST_PROTOCOL)
        self.modules: set[str] = set()
        self.volatile: list[tuple[Any, str]] = []

    def persistent_id(self, obj: Any) -> Any:
        module = getattr(obj, "__module__", None) if isinstance(obj, type) or callable(obj) else None
        self.modules.add(module or type(obj).__module__)
        state = getattr(obj, "__dict__", None)
        if isinstance(state, dict):
            self.volatile += [(obj, name) for name in VOLATILE if name in state]
        if type(obj).__module__ == "numpy" and getattr(getattr(obj, "dtype", None), "kind", "O") in "biufcmMV":
            return id(obj)
        return None


class _Discard(io.RawIOBase):
    def write(self, data: Any) -> int:
        return len(data)


def referenced_modules(model: Any) -> set[str]:
    """The top-level modules unpickling ``model`` imports (and drop its volatile caches)."""
    pickler = _Referenced()
    pickler.dump(model)
    for obj, name in pickler.volatile:
        delattr(obj, name)
    return {m.split(".")[0] for m in pickler.modules if m}


def versions(model: Any, request: dict[str, Any], needed: set[str]) -> dict[str, str]:
    """Python and every distribution the model's pickle needs, as installed here.

    Raise when the pickle refers to a module the installed wheel will not have.
    """
    from importlib import metadata

    where = dict(metadata.packages_distributions())
    stdlib = set(sys.stdlib_module_names) | {"builtins"}
    found = {"python": platform.python_version()}
    train_module = Path(request["train"]).stem
    for module in sorted(referenced_modules(model) | {"joblib"} | needed):
        if module in stdlib or module == request["package"]:
            continue
        if module in (train_module, "__main__"):
            raise ContractError(
                f"the model uses a class or function defined in {Path(request['train']).name}, which "
                f"the wheel does not ship: move it into src/{request['package']}/ (e.g. "
                f"src/{request['package']}/features.py) and import it from there in "
                f"{Path(request['train']).name}.")
        if module not in where:
            raise ContractError(
                f"the model uses the module {module!r}, which is neither installed from a "
                f"distribution nor part of the package: move it into src/{request['package']}/ "
                f"and import it as {request['package']}.{module}.")
        for distribution in where[module]:
            found[distribution.lower()] = metadata.version(distribution)
    return found


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
