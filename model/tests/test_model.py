"""Loading: the hash is checked before unpickling, the scikit-learn series must match,
and the model loads once per process however many threads ask for it."""

from __future__ import annotations

import hashlib
import json
import pickle
import threading
import time
from pathlib import Path

import joblib
import pytest
import sklearn

from tumor_classifier import Classifier, ModelError, ModelIntegrityError, ModelVersionError
from tumor_classifier._model import check_sklearn_version, release_series

ROW = [[17.99, 10.38, 122.8, 1001.0, 0.1184, 0.2776, 0.3001, 0.1471, 0.2419, 0.07871,
        1.095, 0.9053, 8.589, 153.4, 0.006399, 0.04904, 0.05373, 0.01587, 0.03003, 0.006193,
        25.38, 17.33, 184.6, 2019.0, 0.1622, 0.6656, 0.7119, 0.2654, 0.4601, 0.1189]]


class Booby:
    """Unpickling this creates a marker file: the code a hostile model file would run."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def plant_booby_trap(model_dir: Path, marker: Path) -> str:
    """Replace the model with a pickle that runs code when loaded; return its sha256."""
    path = model_dir / "model.joblib"
    path.write_bytes(pickle.dumps(Booby(marker)))
    return hashlib.sha256(path.read_bytes()).hexdigest()


def edit_manifest(model_dir: Path, **changes: object) -> None:
    path = model_dir / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    for key, value in changes.items():
        if isinstance(value, dict):
            manifest[key].update(value)
        else:
            manifest[key] = value
    path.write_text(json.dumps(manifest), encoding="utf-8")


def test_a_tampered_model_is_never_unpickled(model_dir: Path, tmp_path: Path) -> None:
    recorded = json.loads((model_dir / "manifest.json").read_text())["sha256"]
    marker = tmp_path / "unpickled"
    actual = plant_booby_trap(model_dir, marker)
    clf = Classifier(model_dir)
    with pytest.raises(ModelIntegrityError, match="was altered") as caught:
        clf.predict(ROW)
    assert recorded in str(caught.value) and actual in str(caught.value)
    assert not marker.exists()


def test_the_booby_trap_would_go_off_if_its_hash_matched(model_dir: Path, tmp_path: Path) -> None:
    # The control for the test above: only the hash check keeps the marker away.
    marker = tmp_path / "unpickled"
    edit_manifest(model_dir, sha256=plant_booby_trap(model_dir, marker))
    with pytest.raises(ModelIntegrityError, match="does not hold the classifier"):
        Classifier(model_dir).predict(ROW)
    assert marker.exists()


def test_a_truncated_model_is_refused(model_dir: Path) -> None:
    path = model_dir / "model.joblib"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(ModelIntegrityError, match="was altered"):
        Classifier(model_dir).predict(ROW)


def test_another_scikit_learn_series_is_refused(model_dir: Path) -> None:
    edit_manifest(model_dir, versions={"scikit-learn": "1.8.2"})
    with pytest.raises(ModelVersionError) as caught:
        Classifier(model_dir).predict(ROW)
    message = str(caught.value)
    assert "scikit-learn 1.8.2" in message and f"scikit-learn {sklearn.__version__}" in message
    assert "scikit-learn==1.8.*" in message


def test_another_patch_release_of_the_series_is_accepted(model_dir: Path) -> None:
    edit_manifest(model_dir, versions={"scikit-learn": f"{release_series(sklearn.__version__)}.99"})
    assert Classifier(model_dir).predict(ROW).tolist() == ["malignant"]


@pytest.mark.parametrize(
    ("recorded", "installed", "compatible"),
    [
        ("1.9.1", "1.9.1", True),
        ("1.9.0", "1.9.1", True),
        ("1.9.1", "1.9.0rc1", True),
        ("1.9.1", "1.10.0", False),
        ("1.10.1", "1.1.0", False),
        ("1.9.1", "2.9.1", False),
        ("unknown", "1.9.1", False),
    ],
)
def test_version_series_check(recorded: str, installed: str, compatible: bool) -> None:
    if compatible:
        check_sklearn_version(recorded, installed)
    else:
        with pytest.raises(ModelVersionError, match=f"scikit-learn {recorded}.*scikit-learn {installed}"):
            check_sklearn_version(recorded, installed)


def test_an_untrained_model_says_to_train_first(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"manifest.json not found.*Run `python train.py`"):
        Classifier(tmp_path)


def test_a_missing_model_file_is_a_model_error(model_dir: Path) -> None:
    (model_dir / "model.joblib").unlink()
    with pytest.raises(ModelError, match="model.joblib not found"):
        Classifier(model_dir).predict(ROW)


@pytest.mark.parametrize(
    ("content", "message"),
    [("{", "is not valid JSON"), ('{"version": "1.0"}', "lacks classes, feature_names")],
)
def test_a_broken_manifest_is_a_model_error(model_dir: Path, content: str, message: str) -> None:
    (model_dir / "manifest.json").write_text(content, encoding="utf-8")
    with pytest.raises(ModelError, match=message):
        Classifier(model_dir)


def test_metadata_needs_no_model_and_cannot_be_changed_from_outside(model_dir: Path) -> None:
    (model_dir / "model.joblib").unlink()
    clf = Classifier(model_dir)
    clf.metadata["classes"].reverse()
    assert clf.metadata["classes"] == clf.classes == ["benign", "malignant"]


def test_the_model_loads_once_for_all_threads(model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    loads = []
    real_load = joblib.load

    def slow_load(*args, **kwargs):
        loads.append(threading.get_ident())
        time.sleep(0.05)  # widen the window in which a second thread could start a load
        return real_load(*args, **kwargs)

    monkeypatch.setattr(joblib, "load", slow_load)
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(Classifier(model_dir).predict(ROW).tolist()))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [["malignant"]] * 8
    assert len(loads) == 1


def test_a_retrained_model_is_loaded_afresh(model_dir: Path, tmp_path: Path) -> None:
    assert Classifier(model_dir).predict(ROW).tolist() == ["malignant"]
    # Swap in another (hostile) model with a matching manifest: it must be loaded anew,
    # not served from the cache of the first.
    marker = tmp_path / "unpickled"
    edit_manifest(model_dir, sha256=plant_booby_trap(model_dir, marker))
    with pytest.raises(ModelIntegrityError):
        Classifier(model_dir).predict(ROW)
    assert marker.exists()

