"""Loading: the sha256 is checked before anything is unpickled (the whole file's, or each
block's before that block is), the scikit-learn series must match, the estimator must be
the manifest's, and a model loads once per process however many threads and Model objects
ask for it."""

from __future__ import annotations

import hashlib
import json
import pickle
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import _trainer
import joblib
import pytest
import sklearn

from test_runtime_packages import Built, packages, sha256  # noqa: F401

Packages = Callable[[str], Built]


@pytest.fixture
def binary(packages: Packages) -> Built:
    return packages("rt_binary")


@pytest.fixture
def model_dir(binary: Built, tmp_path: Path) -> Path:
    """A private copy of the binary model and its manifest, free to damage."""
    return binary.copy_model(tmp_path / "model")


def runtime(built: Built) -> Any:
    return built.module()._runtime


class Booby:
    """Unpickling this creates a marker file: the code a hostile model file would run."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.touch, (self.marker,))


def plant_booby_trap(model_dir: Path, marker: Path) -> str:
    """Replace the model with a pickle that runs code when loaded; return its sha256."""
    path = model_dir / "model.joblib"
    path.write_bytes(pickle.dumps(Booby(marker)))
    return hashlib.sha256(path.read_bytes()).hexdigest()


def edit_manifest(model_dir: Path, **changes: Any) -> None:
    path = model_dir / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(manifest.get(key), dict):
            manifest[key].update(value)
        else:
            manifest[key] = value
    path.write_text(json.dumps(manifest), encoding="utf-8")


def test_a_tampered_model_is_never_unpickled(binary: Built, model_dir: Path, tmp_path: Path) -> None:
    recorded = binary.manifest["sha256"]
    marker = tmp_path / "unpickled"
    actual = plant_booby_trap(model_dir, marker)
    model = runtime(binary).Model(model_dir)
    with pytest.raises(runtime(binary).ModelIntegrityError, match="was altered") as caught:
        model.predict(binary.X)
    assert recorded in str(caught.value) and actual in str(caught.value)
    assert "Reinstall the package" in str(caught.value)
    assert not marker.exists()


def test_the_booby_trap_would_go_off_if_its_hash_matched(binary: Built, model_dir: Path, tmp_path: Path) -> None:
    # The control for the test above: only the hash check keeps the marker away. After
    # loading, the manifest check refuses what is not the model it describes.
    marker = tmp_path / "unpickled"
    edit_manifest(model_dir, sha256=plant_booby_trap(model_dir, marker))
    with pytest.raises(runtime(binary).ModelIntegrityError, match="does not hold the model its manifest describes"):
        runtime(binary).Model(model_dir).predict(binary.X)
    assert marker.exists()


def swap_after_first_read(loader: Any, model_dir: Path, marker: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the loader's first read of the model file swap the file for a hostile one."""
    real_read_into = loader._read_into
    reads = []

    def read_then_swap(handle: Any, buffer: bytearray, digest: Any) -> int:
        count = real_read_into(handle, buffer, digest)
        if not reads:
            (model_dir / "model.joblib").write_bytes(pickle.dumps(Booby(marker)))
        reads.append(count)
        return count

    monkeypatch.setattr(loader, "_read_into", read_then_swap)


def test_the_bytes_unpickled_are_the_bytes_hashed(binary: Built, model_dir: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # Swap the file for a hostile one once it has been read: the load must not read the
    # file a second time, so the swap changes nothing.
    marker = tmp_path / "unpickled"
    swap_after_first_read(runtime(binary)._model, model_dir, marker, monkeypatch)
    predicted = runtime(binary).Model(model_dir).predict(binary.X)
    assert predicted.tolist() == binary.estimator.predict(binary.X).tolist()
    assert not marker.exists()


def with_blocks(model_dir: Path, block_size: int) -> dict[str, Any]:
    """Record the model file's block digests in its manifest, as the train stage does."""
    whole, blocks = _trainer.model_digests(model_dir / "model.joblib", block_size)
    assert blocks is not None, "pick a smaller block size"
    edit_manifest(model_dir, sha256=whole, sha256_blocks=blocks)
    return blocks


def test_a_model_with_block_digests_loads(binary: Built, model_dir: Path) -> None:
    size = (model_dir / "model.joblib").stat().st_size
    for block_size in (7, 1000, size // 2, size - 1):  # reads across blocks; the last one short, or one byte
        with_blocks(model_dir, block_size)
        assert runtime(binary).Model(model_dir).predict(binary.X).tolist() == binary.estimator.predict(binary.X).tolist()
        runtime(binary)._model._cache.clear()



def test_the_file_is_checked_ahead_of_the_unpickler(binary: Built, model_dir: Path) -> None:
    # The reading thread does not wait for the unpickler: it checks the whole file while
    # the main thread is still importing scikit-learn, which is what hides the hashing.
    # Each block's buffer is its own, so what was read ahead stays as it was read.
    path = model_dir / "model.joblib"
    blocks = with_blocks(model_dir, 64)  # many more blocks than a bounded read-ahead would hold
    loader = runtime(binary)._model
    with loader.VerifiedFile(path, blocks["file_sha256"], 64, blocks["sha256"]) as verified:
        deadline = time.monotonic() + 20
        while verified._verified.qsize() <= len(blocks["sha256"]) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert verified._verified.qsize() == len(blocks["sha256"]) + 1, "the reading stopped before the end"
        assert verified.read() == path.read_bytes()


@pytest.mark.parametrize("blocks", [False, True], ids=["whole file", "blocks"])
@pytest.mark.parametrize("damage", ["flipped byte", "truncated", "appended", "emptied"])
def test_a_damaged_model_is_refused(binary: Built, model_dir: Path, blocks: bool, damage: str) -> None:
    path = model_dir / "model.joblib"
    if blocks:  # blocks that end where the file does: bytes appended are past the last one
        size = path.stat().st_size
        with_blocks(model_dir, next(b for b in range(1000, 0, -1) if size % b == 0))
    recorded = json.loads((model_dir / "manifest.json").read_text(encoding="utf-8"))["sha256"]
    data = bytearray(path.read_bytes())
    if damage == "flipped byte":
        data[len(data) // 2] ^= 0x01
    elif damage == "truncated":
        del data[-10:]
    elif damage == "appended":
        data += b"\0"
    else:
        data = bytearray()
    path.write_bytes(data)
    with pytest.raises(runtime(binary).ModelIntegrityError, match="was altered") as caught:
        runtime(binary).Model(model_dir).predict(binary.X)
    message = str(caught.value)
    assert f"its sha256 is {hashlib.sha256(data).hexdigest()}, but the manifest records {recorded}" in message
    assert "Reinstall the package" in message


def test_a_block_is_checked_before_it_is_unpickled(binary: Built, model_dir: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # The file swapped after its first block was read: the next blocks are the hostile
    # file's, refused before the unpickler sees them.
    marker = tmp_path / "unpickled"
    with_blocks(model_dir, 1000)
    swap_after_first_read(runtime(binary)._model, model_dir, marker, monkeypatch)
    with pytest.raises(runtime(binary).ModelIntegrityError, match="was altered"):
        runtime(binary).Model(model_dir).predict(binary.X)
    assert not marker.exists()


def test_a_hostile_block_is_never_unpickled(binary: Built, model_dir: Path, tmp_path: Path) -> None:
    # A booby trap in place of the file, the block digests the genuine file's.
    marker = tmp_path / "unpickled"
    with_blocks(model_dir, 1000)
    plant_booby_trap(model_dir, marker)
    with pytest.raises(runtime(binary).ModelIntegrityError, match="was altered"):
        runtime(binary).Model(model_dir).predict(binary.X)
    assert not marker.exists()


def test_block_digests_of_another_file_are_not_used(binary: Built, model_dir: Path, tmp_path: Path) -> None:
    # sha256 changed since the blocks were recorded: the whole file is checked against it.
    marker = tmp_path / "unpickled"
    with_blocks(model_dir, 1000)
    edit_manifest(model_dir, sha256=plant_booby_trap(model_dir, marker))
    with pytest.raises(runtime(binary).ModelIntegrityError, match="does not hold the model its manifest describes"):
        runtime(binary).Model(model_dir).predict(binary.X)
    assert marker.exists()


@pytest.mark.parametrize("blocks, named", [
    ("no", "sha256_blocks is 'no'"),
    ({"block_size": 0, "file_sha256": "0" * 64, "sha256": ["0" * 64]}, "sha256_blocks.block_size is 0"),
    ({"block_size": 8, "file_sha256": "0" * 63, "sha256": ["0" * 64]}, "sha256_blocks.file_sha256 is"),
    ({"block_size": 8, "file_sha256": "0" * 64, "sha256": []}, "sha256_blocks.sha256 is not a list"),
])
def test_malformed_block_digests_are_named(binary: Built, model_dir: Path, blocks: Any, named: str) -> None:
    edit_manifest(model_dir, sha256_blocks=blocks)
    with pytest.raises(runtime(binary).ModelError, match=named):
        runtime(binary).Model(model_dir)


def test_a_truncated_model_is_refused(binary: Built, model_dir: Path) -> None:
    path = model_dir / "model.joblib"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(runtime(binary).ModelIntegrityError, match="was altered"):
        runtime(binary).Model(model_dir).predict(binary.X)


def test_another_scikit_learn_series_is_refused(binary: Built, model_dir: Path) -> None:
    edit_manifest(model_dir, versions={"scikit-learn": "1.8.2"})
    with pytest.raises(runtime(binary).ModelVersionError) as caught:
        runtime(binary).Model(model_dir).predict(binary.X)
    message = str(caught.value)
    assert "scikit-learn 1.8.2" in message and f"scikit-learn {sklearn.__version__}" in message
    assert "scikit-learn==1.8.*" in message
    assert isinstance(caught.value, runtime(binary).ModelError)


def test_another_patch_release_of_the_series_is_accepted(binary: Built, model_dir: Path) -> None:
    series = runtime(binary)._model.release_series(sklearn.__version__)
    edit_manifest(model_dir, versions={"scikit-learn": f"{series}.99"})
    assert runtime(binary).Model(model_dir).predict(binary.X).tolist() == binary.estimator.predict(binary.X).tolist()


@pytest.mark.parametrize(
    ("recorded", "installed", "compatible"),
    [
        ("1.9.1", "1.9.1", True),
        ("1.9.0", "1.9.1", True),
        ("1.9.1", "1.9.0rc1", True),
        ("1.10.1", "1.10rc1", True),
        ("1.9.1", "1.10.0", False),
        ("1.10.1", "1.1.0", False),
        ("1.9.1", "2.9.1", False),
        ("unknown", "1.9.1", False),
    ],
)
def test_version_series_check(binary: Built, recorded: str, installed: str, compatible: bool) -> None:
    check = runtime(binary)._model.check_sklearn_version
    if compatible:
        check(recorded, installed)
    else:
        with pytest.raises(runtime(binary).ModelVersionError, match=f"scikit-learn {recorded}.*scikit-learn {installed}"):
            check(recorded, installed)


def test_an_empty_folder_is_a_model_error(binary: Built, tmp_path: Path) -> None:
    with pytest.raises(runtime(binary).ModelError, match=r"manifest.json not found: .* holds no packaged model"):
        runtime(binary).Model(tmp_path)


def test_a_missing_model_file_is_a_model_error(binary: Built, model_dir: Path) -> None:
    (model_dir / "model.joblib").unlink()
    model = runtime(binary).Model(model_dir)  # the manifest alone is enough to construct
    assert model.feature_names == binary.names
    with pytest.raises(runtime(binary).ModelError, match="model.joblib not found, though its manifest is there"):
        model.predict(binary.X)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "is not valid JSON"),
        ("[]", "it holds a JSON list, not an object"),
        ('{"version": "1.0"}', "it lacks name, task, features, input, allow_nan, methods, model_file, sha256, versions"),
    ],
)
def test_a_broken_manifest_is_a_model_error(binary: Built, model_dir: Path, content: str, message: str) -> None:
    (model_dir / "manifest.json").write_text(content, encoding="utf-8")
    with pytest.raises(runtime(binary).ModelError, match=message):
        runtime(binary).Model(model_dir)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"task": "clustering"}, "task is 'clustering', not one of classification, regression"),
        ({"features": []}, "features is .*, not a list"),
        ({"features": [{"name": "a", "kind": "date"}]}, r"features\[0\] \('a'\) has kind 'date'"),
        ({"features": [{"name": "a", "kind": "number"}] * 2}, "features repeats the names 'a'"),
        ({"features": [{"name": "a", "kind": "string"}]}, 'input is "array", but some features are strings'),
        ({"input": "matrix"}, "input is 'matrix', not one of array, dataframe"),
        ({"allow_nan": "no"}, "allow_nan is 'no', not true or false"),
        ({"methods": ["predict_proba"]}, "methods is .*, not a list of predict"),
        ({"model_file": "../elsewhere/model.joblib"}, "model_file is .*, not the name of a file beside the manifest"),
        ({"sha256": "abc"}, "sha256 is 'abc', not 64 lowercase hexadecimal digits"),
        ({"versions": {"numpy": "2.0"}}, "versions does not record the scikit-learn release"),
        ({"classes": []}, r"classes is \[\], not a list of class labels"),
    ],
)
def test_a_manifest_that_mangles_a_key_is_a_model_error(binary: Built, model_dir: Path,
                                                        changes: dict[str, Any], message: str) -> None:
    path = model_dir / "manifest.json"
    manifest = {**json.loads(path.read_text(encoding="utf-8")), **changes}
    path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(runtime(binary).ModelError, match=f"is not a usable manifest: {message}"):
        runtime(binary).Model(model_dir)


def swap_model(model_dir: Path, other: Built) -> None:
    """Put `other`'s model file in `model_dir`, its sha256 in the manifest: a valid file, the wrong model."""
    (model_dir / "model.joblib").write_bytes((other.package_dir / "model.joblib").read_bytes())
    edit_manifest(model_dir, sha256=other.manifest["sha256"])


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"task": "regression", "methods": ["predict"]}, "the manifest describes a regressor, the file holds a Pipeline"),
        ({"classes": ["malignant", "benign"]}, r"its classes are \['benign', 'malignant'\], the manifest's"),
    ],
)
def test_an_estimator_unlike_its_manifest_is_refused(binary: Built, model_dir: Path,
                                                      changes: dict[str, Any], message: str) -> None:
    edit_manifest(model_dir, **changes)
    with pytest.raises(runtime(binary).ModelIntegrityError, match=message):
        runtime(binary).Model(model_dir).predict(binary.X)


def test_a_dataframe_model_whose_features_the_manifest_misnames_is_refused(packages: Packages, tmp_path: Path) -> None:
    built = packages("rt_multiclass")  # a random forest fitted on a DataFrame
    model_dir = tmp_path / "model"
    shutil.copytree(built.package_dir, model_dir, ignore=shutil.ignore_patterns("_runtime", "*.py"))
    manifest = json.loads((model_dir / "manifest.json").read_text(encoding="utf-8"))
    edit_manifest(model_dir, features=list(reversed(manifest["features"])))
    with pytest.raises(runtime(built).ModelIntegrityError, match="its features are not the manifest's"):
        runtime(built).Model(model_dir).predict(built.X)


def test_another_models_file_is_refused(packages: Packages, binary: Built, model_dir: Path) -> None:
    swap_model(model_dir, packages("rt_regressor"))
    with pytest.raises(runtime(binary).ModelIntegrityError, match="the manifest describes a classifier, the file holds a Ridge"):
        runtime(binary).Model(model_dir).predict(binary.X)
    swap_model(model_dir, packages("rt_imputed"))
    with pytest.raises(runtime(binary).ModelIntegrityError, match="takes 6 features, the manifest lists 30"):
        runtime(binary).Model(model_dir).predict(binary.X)


def test_a_model_that_cannot_be_unpickled_is_a_model_error(binary: Built, model_dir: Path) -> None:
    # A pickle naming a module that is not installed: what a missing dependency looks like.
    path = model_dir / "model.joblib"
    path.write_bytes(b"cnot_installed_x\nThing\n.")  # protocol 0: GLOBAL not_installed_x.Thing, STOP
    edit_manifest(model_dir, sha256=sha256(path))
    with pytest.raises(runtime(binary).ModelError, match="cannot load .*ModuleNotFoundError: No module named 'not_installed_x'"):
        runtime(binary).Model(model_dir).predict(binary.X)


def test_the_model_loads_once_for_all_threads_and_models(binary: Built, model_dir: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    loads = []
    real_load = joblib.load

    def slow_load(*args: Any, **kwargs: Any) -> Any:
        loads.append(threading.get_ident())
        time.sleep(0.05)  # widen the window in which a second thread could start a load
        return real_load(*args, **kwargs)

    monkeypatch.setattr(joblib, "load", slow_load)
    Model = runtime(binary).Model
    results = []
    threads = [threading.Thread(target=lambda: results.append(Model(model_dir).predict(binary.X[:3]).tolist()))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    expected = binary.estimator.predict(binary.X[:3]).tolist()
    assert results == [expected] * 8
    assert len(loads) == 1
    Model(model_dir / ".." / "model").predict(binary.X[:3])  # the same file by another path
    assert len(loads) == 1


def test_a_retrained_model_is_loaded_afresh(binary: Built, model_dir: Path, tmp_path: Path) -> None:
    assert runtime(binary).Model(model_dir).predict(binary.X).tolist() == binary.estimator.predict(binary.X).tolist()
    # Swap in another (hostile) model with a matching manifest: it must be loaded anew,
    # not served from the cache of the first.
    marker = tmp_path / "unpickled"
    edit_manifest(model_dir, sha256=plant_booby_trap(model_dir, marker))
    with pytest.raises(runtime(binary).ModelIntegrityError):
        runtime(binary).Model(model_dir).predict(binary.X)
    assert marker.exists()


def test_a_failed_load_is_tried_again(binary: Built, model_dir: Path) -> None:
    good = (model_dir / "model.joblib").read_bytes()
    (model_dir / "model.joblib").write_bytes(b"broken")
    model = runtime(binary).Model(model_dir)
    with pytest.raises(runtime(binary).ModelIntegrityError):
        model.predict(binary.X)
    (model_dir / "model.joblib").write_bytes(good)
    assert model.predict(binary.X).tolist() == binary.estimator.predict(binary.X).tolist()
