"""Score an importable model package on a hold-out CSV and print the metrics as JSON.

Runs inside the environment under test (the pipeline's, for the quality gate, or a fresh
virtual environment with the published wheel, for verify), so it imports nothing from
this repository: only the model package, through its public ``Classifier`` API, and
``sklearn.metrics``, which every scikit-learn model package depends on.

Usage: python _evaluate.py PACKAGE HOLDOUT.csv
"""

import csv
import importlib
import json
import sys


def main(package: str, holdout: str) -> None:
    with open(holdout, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    labels = [row.pop("target") for row in rows]
    features = [{name: float(value) for name, value in row.items()} for row in rows]

    module = importlib.import_module(package)
    model = module.Classifier()
    meta = model.metadata
    classes = [str(c) for c in meta["classes"]]
    positive = str(meta["positive_label"])
    predicted = [str(p) for p in model.predict(features)]
    scores = [p[classes.index(positive)] for p in model.predict_proba(features).tolist()]

    from sklearn import metrics

    truth = [label == positive for label in labels]
    hits = [label == positive for label in predicted]
    result = {
        "package_file": module.__file__,
        "version": meta["version"],
        "rows": len(rows),
        "recorded": meta["metrics"],
        "metrics": {
            "accuracy": metrics.accuracy_score(labels, predicted),
            "roc_auc": metrics.roc_auc_score(truth, scores),
            "precision": metrics.precision_score(truth, hits, zero_division=0.0),
            "recall": metrics.recall_score(truth, hits, zero_division=0.0),
        },
        "first_predictions": predicted[:5],
    }
    json.dump(result, sys.stdout, sort_keys=True)


if __name__ == "__main__":
    try:
        main(*sys.argv[1:])
    except Exception as exc:  # the caller reports one line, not a traceback
        sys.exit(f"{type(exc).__name__}: {exc}")
