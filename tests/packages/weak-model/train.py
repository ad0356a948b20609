"""Fit a majority-class baseline: it carries no signal, so its ROC AUC is 0.5."""

import json
import os
from pathlib import Path

from sklearn.datasets import load_breast_cancer
from sklearn.dummy import DummyClassifier
from sklearn.model_selection import train_test_split


def train():
    # The pipeline's tests read this to prove no credential reaches a project's own code.
    Path("environment.json").write_text(json.dumps(sorted(os.environ)))
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
    return DummyClassifier(strategy="prior").fit(X_train, y_train), X_test, y_test
