"""Train the tumour classifier and write what the wheel ships, plus the hold-out set.

Run it from anywhere: ``python train.py``. Where it writes comes from ``pyproject.toml``
(``[tool.wheelwright]``, and ``[project] readme`` for the model card):

- the model (``model.joblib``), its manifest and its model card, inside the package;
- the stratified hold-out set (``artifacts/holdout.csv``), which is not shipped, so that
  anyone can recompute the manifest's metrics from it.

The same code, environment and library versions give byte-identical files: the seed is
fixed, and the only date recorded comes from ``SOURCE_DATE_EPOCH`` (else the last
commit's time), never from the clock. ``WHEELWRIGHT_VERSION`` overrides the version
declared in ``pyproject.toml``.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import platform
import subprocess
import sys
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import scipy
import sklearn
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    accuracy_score, confusion_matrix, precision_score, recall_score, roc_auc_score,
)
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

SEED = 0
HOLDOUT_FRACTION = 0.25
CV_FOLDS = 5
CV_METRIC = "roc_auc"
POSITIVE_LABEL = "malignant"
DATASET = "sklearn.datasets.load_breast_cancer"
#: 1980-01-01, the earliest time a zip file can hold: the date when nothing else gives one.
FALLBACK_EPOCH = 315532800


@dataclass(frozen=True)
class Outputs:
    """Where training writes, and the version it stamps on the model."""

    version: str
    model: Path
    manifest: Path
    card: Path
    holdout: Path


def read_outputs(project_dir: Path, environ: Mapping[str, str]) -> Outputs:
    """Read the output paths and the version from ``project_dir/pyproject.toml``.

    Raises
    ------
    OSError, tomllib.TOMLDecodeError, ValueError
        ``pyproject.toml`` is unreadable, not TOML, or lacks a path this script needs.
    """
    path = project_dir / "pyproject.toml"
    pyproject = tomllib.loads(path.read_text(encoding="utf-8"))
    try:
        table = pyproject["tool"]["wheelwright"]
        return Outputs(
            version=environ.get("WHEELWRIGHT_VERSION") or str(table["version"]),
            model=project_dir / table["model"],
            manifest=project_dir / table["manifest"],
            card=project_dir / pyproject["project"]["readme"],
            holdout=project_dir / table["holdout"],
        )
    except KeyError as exc:
        raise ValueError(f"{path} lacks {exc}: see [tool.wheelwright] and [project] readme.") from None


def source_date_epoch(project_dir: Path, environ: Mapping[str, str]) -> int:
    """``SOURCE_DATE_EPOCH``, else the last commit's time, else 1980-01-01.

    Raises
    ------
    ValueError
        ``SOURCE_DATE_EPOCH`` is set but is not a whole number of seconds.
    """
    if environ.get("SOURCE_DATE_EPOCH"):
        try:
            return int(environ["SOURCE_DATE_EPOCH"])
        except ValueError:
            raise ValueError(
                f"SOURCE_DATE_EPOCH={environ['SOURCE_DATE_EPOCH']!r} is not a whole number of seconds."
            ) from None
    try:
        out = subprocess.run(
            ["git", "log", "-1", "--format=%ct"],
            cwd=project_dir, capture_output=True, text=True, check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        out = ""
    return int(out) if out.isdigit() else FALLBACK_EPOCH


def load_data() -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The features, the labels as words ("malignant", "benign"), and the feature names."""
    data = load_breast_cancer()
    labels = np.asarray(data.target_names)[data.target]
    return data.data, labels, [str(name) for name in data.feature_names]


def fingerprint(X: np.ndarray, y: np.ndarray) -> str:
    """sha256 of the features (little-endian float64, row by row), then the labels, one per line."""
    digest = hashlib.sha256(np.ascontiguousarray(X, dtype="<f8").tobytes())
    digest.update("\n".join(y.tolist()).encode("utf-8"))
    return digest.hexdigest()


def build_pipeline() -> Pipeline:
    """Scale the features, then a logistic regression: fast, stable and well calibrated."""
    return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=1000))


def evaluate(model: Pipeline, X: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Accuracy, ROC AUC, precision and recall, with "malignant" as the positive class."""
    predicted = model.predict(X)
    positive = list(model.classes_).index(POSITIVE_LABEL)
    scores = model.predict_proba(X)[:, positive]
    return {
        "accuracy": float(accuracy_score(y, predicted)),
        "roc_auc": float(roc_auc_score(y == POSITIVE_LABEL, scores)),
        "precision": float(precision_score(y, predicted, pos_label=POSITIVE_LABEL)),
        "recall": float(recall_score(y, predicted, pos_label=POSITIVE_LABEL)),
    }


def confusion(model: Pipeline, X: np.ndarray, y: np.ndarray) -> dict[str, dict[str, int]]:
    """How many rows of each true label (outer key) got each predicted label (inner key)."""
    labels = [str(label) for label in model.classes_]
    counts = confusion_matrix(y, model.predict(X), labels=labels)
    return {true: dict(zip(labels, map(int, row))) for true, row in zip(labels, counts)}


def cross_validate(X: np.ndarray, y: np.ndarray) -> list[float]:
    """The ROC AUC of each stratified cross-validation fold on the training set."""
    folds = StratifiedKFold(n_splits=CV_FOLDS, shuffle=True, random_state=SEED)
    return [
        evaluate(clone(build_pipeline()).fit(X[fit], y[fit]), X[check], y[check])[CV_METRIC]
        for fit, check in folds.split(X, y)
    ]


def json_params(model: Pipeline) -> dict[str, Any]:
    """The pipeline's hyper-parameters that JSON can hold (the steps themselves cannot)."""
    return {
        name: value
        for name, value in model.get_params(deep=True).items()
        if isinstance(value, (str, int, float, bool, type(None)))
    }


def dump_json(data: Mapping[str, Any]) -> str:
    """JSON that is the same bytes for the same data: sorted keys, fixed indent, final newline."""
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def sha256_file(path: Path) -> str:
    """Hash a file in chunks, so memory stays flat whatever its size."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def write_holdout(path: Path, X: np.ndarray, y: np.ndarray, feature_names: Sequence[str]) -> None:
    """Write the hold-out as CSV: the feature names, then ``target``; floats exact (repr)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([*feature_names, "target"])
        for row, label in zip(X.tolist(), y.tolist()):
            writer.writerow([*(repr(value) for value in row), label])


def render_card(manifest: Mapping[str, Any]) -> str:
    """The model card (Markdown): the wheel's long description and the project page."""
    metrics = manifest["metrics"]
    counts = manifest["class_counts"]
    versions = manifest["versions"]
    cv = manifest["cv"]
    malignant, benign = manifest["confusion"][POSITIVE_LABEL], manifest["confusion"]["benign"]
    metric_rows = "\n".join(
        f"| {name} | {metrics[name]:.4f} |" for name in ("accuracy", "roc_auc", "precision", "recall")
    )
    version_rows = "\n".join(f"| {name} | {versions[name]} |" for name in sorted(versions))
    return f"""\
# tumor-classifier {manifest["version"]}

A classifier that tells **malignant** from **benign** breast tumours from 30
measurements of the cell nuclei in a fine-needle aspirate image. The model is a
standardising scaler followed by a logistic regression, trained with scikit-learn
{versions["scikit-learn"]} and shipped inside this wheel with its manifest.

## Intended use

An example of a model shipped as a Python package: reproducible training, a manifest
that records how the model was made, a hash checked before the model is loaded, and a
scikit-learn pin that keeps the model with a compatible library. It is meant for
teaching and for testing ML packaging pipelines.

It is **not a medical device**. It must not be used to diagnose, screen or treat anyone.

```python
from tumor_classifier import Classifier

clf = Classifier()
clf.predict(rows)        # rows: a 2-D array, a list of rows, a list of dicts or a DataFrame
clf.predict_proba(rows)  # columns in clf.classes order: {", ".join(manifest["classes"])}
```

From a shell: `python -m tumor_classifier predict samples.csv` (a header row of feature
names, then one sample per row) prints one label per line; `--proba` prints probabilities.

## Data

The Wisconsin Diagnostic Breast Cancer data set (W. H. Wolberg, W. N. Street and
O. L. Mangasarian, University of Wisconsin, 1995), as shipped with scikit-learn
(`{manifest["dataset"]}`): {manifest["n_samples"]} tumours, {counts[POSITIVE_LABEL]}
malignant and {counts["benign"]} benign, {len(manifest["feature_names"])} features each
(the mean, standard error and worst value of ten properties of the nuclei).

A stratified hold-out of {manifest["n_holdout"]} tumours ({manifest["holdout_fraction"]:.0%},
seed {manifest["seed"]}) was kept out of training; the model was fitted on the other
{manifest["n_train"]}. Data fingerprint (sha256): `{manifest["data_sha256"]}`.

## Metrics

On the hold-out, with "{manifest["positive_label"]}" as the positive class:

| metric | value |
|---|---|
{metric_rows}

{cv["folds"]}-fold stratified cross-validation on the training set: {cv["scoring"]}
{manifest["cv_score"]:.4f} ± {cv["std"]:.4f}.

## Limitations

- About 570 tumours from one hospital, collected in the early 1990s: the model has not
  been validated on other populations, scanners or labs.
- The features must be computed as in the original study (Street et al., 1993), from
  digitised images of fine-needle aspirates; other measurements will give meaningless
  predictions, even though the package checks their shape and that they are finite.
- `predict` calls a tumour malignant when its probability exceeds 0.5. On the hold-out,
  that missed {malignant["benign"]} of {sum(malignant.values())} malignant tumours and
  flagged {benign[POSITIVE_LABEL]} of {sum(benign.values())} benign ones as malignant. Where a
  missed malignancy costs more than a false alarm, choose a lower threshold on
  `predict_proba`.
- The hold-out holds {manifest["n_holdout"]} tumours: its metrics are estimates, uncertain
  by one to a few percentage points.

## Provenance

Created {manifest["created"]}. Model file sha256: `{manifest["sha256"]}`.

| library | version |
|---|---|
{version_rows}
"""


def train(project_dir: Path, environ: Mapping[str, str]) -> dict[str, Any]:
    """Train, evaluate, and write the model, manifest, model card and hold-out.

    Returns
    -------
    dict
        The manifest written.
    """
    outputs = read_outputs(project_dir, environ)
    created = datetime.fromtimestamp(source_date_epoch(project_dir, environ), tz=timezone.utc)
    X, y, feature_names = load_data()
    X_train, X_holdout, y_train, y_holdout = train_test_split(
        X, y, test_size=HOLDOUT_FRACTION, stratify=y, random_state=SEED
    )
    cv_scores = cross_validate(X_train, y_train)
    model = build_pipeline().fit(X_train, y_train)

    outputs.model.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, outputs.model)
    labels, counts = np.unique(y, return_counts=True)
    manifest = {
        "version": outputs.version,
        "created": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "model_file": outputs.model.name,
        "sha256": sha256_file(outputs.model),
        "estimator": " -> ".join(type(step).__name__ for _, step in model.steps),
        "params": json_params(model),
        "feature_names": feature_names,
        "classes": [str(label) for label in model.classes_],
        "positive_label": POSITIVE_LABEL,
        "metrics": evaluate(model, X_holdout, y_holdout),
        "confusion": confusion(model, X_holdout, y_holdout),
        "cv_score": float(np.mean(cv_scores)),
        "cv": {
            "folds": CV_FOLDS,
            "scoring": CV_METRIC,
            "scores": cv_scores,
            "std": float(np.std(cv_scores)),
        },
        "dataset": DATASET,
        "data_sha256": fingerprint(X, y),
        "n_samples": len(y),
        "class_counts": {str(label): int(count) for label, count in zip(labels, counts)},
        "n_train": len(y_train),
        "n_holdout": len(y_holdout),
        "holdout_fraction": HOLDOUT_FRACTION,
        "seed": SEED,
        "versions": {
            "python": platform.python_version(),
            "scikit-learn": sklearn.__version__,
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "joblib": joblib.__version__,
        },
    }
    outputs.manifest.write_text(dump_json(manifest), encoding="utf-8")
    outputs.card.write_text(render_card(manifest), encoding="utf-8")
    write_holdout(outputs.holdout, X_holdout, y_holdout, feature_names)
    return manifest


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--project-dir", type=Path, default=Path(__file__).resolve().parent,
        help="the model project to train (default: the folder holding this script)",
    )
    args = parser.parse_args(argv)
    try:
        manifest = train(args.project_dir, os.environ)
    except (OSError, ValueError) as exc:  # TOMLDecodeError is a ValueError
        print(f"error: training failed: {exc}", file=sys.stderr)
        return 1
    metrics = ", ".join(f"{name} {value:.4f}" for name, value in sorted(manifest["metrics"].items()))
    print(f"trained tumor-classifier {manifest['version']}: hold-out {metrics}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
