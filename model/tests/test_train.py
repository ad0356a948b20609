"""train.py: reproducible outputs, a complete manifest, and metrics anyone can recompute."""

from __future__ import annotations

import hashlib
import json
import tomllib
from pathlib import Path

import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, precision_score, recall_score, roc_auc_score

from model_project import EPOCH, PROJECT, Trained, copy_project, finish, load_script, train
from tumor_classifier import Classifier

OUTPUTS = (
    "src/tumor_classifier/model.joblib",
    "src/tumor_classifier/manifest.json",
    "src/tumor_classifier/MODEL_CARD.md",
    "artifacts/holdout.csv",
)


@pytest.fixture(scope="module")
def train_script():
    return load_script(PROJECT / "train.py")


def digests(root: Path) -> dict[str, str]:
    return {name: hashlib.sha256((root / name).read_bytes()).hexdigest() for name in OUTPUTS}


def test_two_trainings_write_identical_files(trained: Trained, tmp_path: Path) -> None:
    again = finish(train(copy_project(tmp_path / "again")), tmp_path / "again")
    assert digests(again.root) == digests(trained.root)


def test_outputs_are_where_pyproject_says(trained: Trained) -> None:
    table = tomllib.loads((PROJECT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["wheelwright"]
    for key in ("model", "manifest", "holdout"):
        assert (trained.root / table[key]).is_file(), key
    assert table["package"] == "tumor_classifier"
    assert trained.manifest["version"] == table["version"]


def test_manifest_records_how_the_model_was_made(trained: Trained) -> None:
    manifest = trained.manifest
    model_bytes = (trained.model_dir / "model.joblib").read_bytes()
    assert manifest["sha256"] == hashlib.sha256(model_bytes).hexdigest()
    assert manifest["classes"] == ["benign", "malignant"]
    assert manifest["positive_label"] == "malignant"
    assert len(manifest["feature_names"]) == 30 and manifest["feature_names"][0] == "mean radius"
    assert set(manifest["metrics"]) == {"accuracy", "roc_auc", "precision", "recall"}
    assert manifest["cv"]["folds"] == len(manifest["cv"]["scores"]) == 5
    assert manifest["cv_score"] == pytest.approx(sum(manifest["cv"]["scores"]) / 5)
    assert set(manifest["versions"]) == {"python", "scikit-learn", "numpy", "scipy", "joblib"}
    assert manifest["params"]["logisticregression__C"] == 1.0
    assert len(manifest["data_sha256"]) == 64
    assert manifest["n_train"] + manifest["n_holdout"] == manifest["n_samples"] == 569
    assert manifest["created"] == "2023-11-14T22:13:20Z"  # SOURCE_DATE_EPOCH, not the clock
    malignant = manifest["confusion"]["malignant"]
    assert sum(sum(row.values()) for row in manifest["confusion"].values()) == manifest["n_holdout"]
    assert manifest["metrics"]["recall"] == malignant["malignant"] / sum(malignant.values())


def test_manifest_is_canonical_json(trained: Trained) -> None:
    text = (trained.model_dir / "manifest.json").read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_holdout_reproduces_the_recorded_metrics(trained: Trained, holdout_rows) -> None:
    rows, labels = holdout_rows
    clf = Classifier(trained.model_dir)
    predicted = clf.predict(rows)
    scores = clf.predict_proba(rows)[:, clf.classes.index("malignant")]
    truth = [label == "malignant" for label in labels]
    assert len(rows) == trained.manifest["n_holdout"]
    # Exact equality: the CSV's floats are repr-exact, so nothing may drift.
    assert {
        "accuracy": accuracy_score(labels, predicted),
        "roc_auc": roc_auc_score(truth, scores),
        "precision": precision_score(labels, predicted, pos_label="malignant"),
        "recall": recall_score(labels, predicted, pos_label="malignant"),
    } == trained.manifest["metrics"]


def test_holdout_holds_the_classes_in_proportion(trained: Trained, holdout_rows) -> None:
    _, labels = holdout_rows
    counts = trained.manifest["class_counts"]
    share = labels.count("malignant") / len(labels)
    assert share == pytest.approx(counts["malignant"] / sum(counts.values()), abs=0.01)


def test_quality_gate_passes_this_model_and_stops_a_weak_one(trained: Trained, holdout_rows) -> None:
    table = tomllib.loads((PROJECT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["wheelwright"]
    min_score = table["min-score"]
    assert trained.manifest["metrics"][table["metric"]] >= min_score + 0.01
    # A weak model: one feature, fitted on the hold-out itself, still falls short.
    rows, labels = holdout_rows
    X = [[row["mean texture"]] for row in rows]
    weak = LogisticRegression().fit(X, labels)
    assert roc_auc_score([label == "malignant" for label in labels], weak.predict_proba(X)[:, 1]) < min_score


def test_version_comes_from_the_environment_else_pyproject(train_script, trained: Trained) -> None:
    outputs = train_script.read_outputs(trained.root, {"WHEELWRIGHT_VERSION": "1.2.0.dev7"})
    assert outputs.version == "1.2.0.dev7"
    assert train_script.read_outputs(trained.root, {}).version == "1.2.0"
    assert outputs.card.name == "MODEL_CARD.md"


def test_date_comes_from_source_date_epoch(train_script, tmp_path: Path) -> None:
    assert train_script.source_date_epoch(tmp_path, {"SOURCE_DATE_EPOCH": EPOCH}) == int(EPOCH)
    # Outside a git checkout and without SOURCE_DATE_EPOCH: a fixed date, never the clock.
    assert train_script.source_date_epoch(tmp_path, {}) == train_script.FALLBACK_EPOCH
    with pytest.raises(ValueError, match="SOURCE_DATE_EPOCH='yesterday' is not a whole number"):
        train_script.source_date_epoch(tmp_path, {"SOURCE_DATE_EPOCH": "yesterday"})


def test_model_card_describes_this_model(trained: Trained) -> None:
    card = (trained.model_dir / "MODEL_CARD.md").read_text(encoding="utf-8")
    manifest = trained.manifest
    assert card.startswith(f"# tumor-classifier {manifest['version']}\n")
    for heading in ("## Intended use", "## Data", "## Metrics", "## Limitations"):
        assert heading in card
    assert f"| roc_auc | {manifest['metrics']['roc_auc']:.4f} |" in card
    assert manifest["sha256"] in card and manifest["data_sha256"] in card
