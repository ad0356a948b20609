"""Fit a majority-class baseline: it carries no signal, so its ROC AUC is 0.5."""

import csv
import hashlib
import json
import os
from pathlib import Path

import joblib
from sklearn.datasets import load_breast_cancer
from sklearn.dummy import DummyClassifier
from sklearn.metrics import accuracy_score, precision_score, recall_score, roc_auc_score

data = load_breast_cancer()
labels = data.target_names[data.target]
model = DummyClassifier(strategy="prior").fit(data.data, labels)
package = Path("src/weak_model")
joblib.dump(model, package / "model.joblib")
truth = labels == "malignant"
hits = model.predict(data.data) == "malignant"
scores = model.predict_proba(data.data)[:, list(model.classes_).index("malignant")]
manifest = {
    "version": os.environ.get("WHEELWRIGHT_VERSION", "0.1.0"),
    "sha256": hashlib.sha256((package / "model.joblib").read_bytes()).hexdigest(),
    "classes": list(model.classes_),
    "positive_label": "malignant",
    "feature_names": list(data.feature_names),
    "metrics": {
        "accuracy": accuracy_score(labels, model.predict(data.data)),
        "roc_auc": roc_auc_score(truth, scores),
        "precision": precision_score(truth, hits, zero_division=0.0),
        "recall": recall_score(truth, hits, zero_division=0.0),
    },
}
(package / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
Path("artifacts").mkdir(exist_ok=True)
# The pipeline's tests read this to prove no credential reaches a project's own code.
Path("artifacts/environment.json").write_text(json.dumps(sorted(os.environ)))
with open("artifacts/holdout.csv", "w", newline="") as handle:
    writer = csv.writer(handle)
    writer.writerow([*data.feature_names, "target"])
    writer.writerows([*map(repr, row.tolist()), label] for row, label in zip(data.data, labels))
