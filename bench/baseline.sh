#!/usr/bin/env bash
# The baseline: what a user would write by hand to lock, train, test, build, publish and
# install a model package, one textbook command per step, no tricks, no caching of our own
# (pip's and build's own caches are warm, as on any second run).
#
#   bench/baseline.sh REQUIREMENTS_IN PROJECT_DIR WORK_DIR
#
# Run inside an activated virtual environment (python, pip, pip-compile, twine on PATH).
# Environment: VERSION (new for every run: a published version is immutable),
# REPOSITORY_URL (upload), INDEX_URL (its simple index), TWINE_USERNAME, TWINE_PASSWORD.
# Prints "bench-step NAME START END" (seconds since the epoch) after each step.
set -euo pipefail

requirements_in=$1
project=$2
work=$3
mkdir -p "$work"

step() {
    local name=$1 start=$EPOCHREALTIME
    shift
    "$@"
    echo "bench-step $name $start $EPOCHREALTIME"
}

lock() {
    pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
        --output-file "$work/requirements.txt" "$requirements_in"
}

install() {
    pip install --quiet -r "$work/requirements.txt"
}

# A hand-made package in $work/pkg: the model dumped with joblib beside a predict() that
# loads it, and a pyproject.toml for hatchling. What a user writes without wheelwright.
train() {
    mkdir -p "$work/pkg/tumor_classifier"
    (cd "$project" && python - "$work/pkg/tumor_classifier" <<'PY'
import sys
import joblib
import train
result = train.train()
joblib.dump(result["model"], f"{sys.argv[1]}/model.joblib")
joblib.dump((result["X_test"], result["y_test"]), f"{sys.argv[1]}/../holdout.joblib")
PY
)
    cat > "$work/pkg/tumor_classifier/__init__.py" <<'PY'
from pathlib import Path
import joblib
_model = None
def predict(X):
    global _model
    if _model is None:
        _model = joblib.load(Path(__file__).with_name("model.joblib"))
    return _model.predict(X)
PY
    cat > "$work/pkg/pyproject.toml" <<TOML
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"
[project]
name = "tumor-classifier"
version = "$VERSION"
dependencies = ["scikit-learn", "joblib", "pandas"]
[tool.hatch.build.targets.sdist]
exclude = ["holdout.joblib"]
TOML
}

run_tests() {
    # The quality gate by hand: the hold-out score against the project's minimum.
    (cd "$work/pkg" && python -c '
import joblib
from sklearn.metrics import roc_auc_score
model = joblib.load("tumor_classifier/model.joblib")
X, y = joblib.load("holdout.joblib")
score = roc_auc_score(y == "malignant", model.predict_proba(X)[:, list(model.classes_).index("malignant")])
assert score >= 0.98, score
print(f"roc_auc {score:.4f}")')
}

build() {
    python -m build --outdir "$work/dist" "$work/pkg"
}

publish() {
    twine upload --disable-progress-bar --repository-url "$REPOSITORY_URL" "$work"/dist/*
}

install_fresh() {
    python -m venv "$work/fresh"
    "$work/fresh/bin/pip" install --quiet --extra-index-url "$INDEX_URL" "tumor-classifier==$VERSION"
    (cd "$work" && "$work/fresh/bin/python" -c '
from sklearn.datasets import load_breast_cancer
import tumor_classifier
print(tumor_classifier.predict(load_breast_cancer(as_frame=True).data[:5]).tolist())')
}

step lock lock
step install install
step train train
step test run_tests
step build build
step publish publish
step verify install_fresh
