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

train() {
    (cd "$project" && WHEELWRIGHT_VERSION=$VERSION python train.py)
}

run_tests() {
    # The same selection the pipeline's test stage runs.
    (cd "$project" && python -m pytest -q -p no:cacheprovider -m "not slow" tests)
}

build() {
    python -m build --outdir "$work/dist" "$project"
}

publish() {
    twine upload --disable-progress-bar --repository-url "$REPOSITORY_URL" "$work"/dist/*
}

install_fresh() {
    python -m venv "$work/fresh"
    "$work/fresh/bin/pip" install --quiet --extra-index-url "$INDEX_URL" "tumor-classifier==$VERSION"
    (cd "$work" && "$work/fresh/bin/python" -c '
from sklearn.datasets import load_breast_cancer
from tumor_classifier import Classifier
print(Classifier().predict(load_breast_cancer().data[:5]).tolist())')
}

step lock lock
step install install
step train train
step test run_tests
step build build
step publish publish
step verify install_fresh
