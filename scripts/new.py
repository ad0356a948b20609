"""new: create a model project that passes the pipeline as it is, to start yours from.

    python scripts/new.py models/churn-model        # make new NAME=models/churn-model

The folder's name is the distribution's (``pip install churn-model``) unless ``--name``
says otherwise. The project holds only what is its own: ``pyproject.toml``, ``train.py``
(an iris classifier to replace with yours), a test, and a ``.gitignore`` for what the
pipeline writes. docs/contract.md, and 'Your own model' in the README, say what to change.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from _project import NAME
from _wheelwright import PipelineError, fail, notice

STAGE = "new"

PYPROJECT = '''\
[project]
name = "{name}"
description = "Tells iris species apart from their petals and sepals (replace with what yours predicts)."
# What the model needs at run time beyond the libraries its pickle names (wheelwright adds
# and pins scikit-learn, numpy, joblib and those itself).
dependencies = []

[tool.wheelwright]
version = "0.1.0"
# The hold-out scores the model must reach to be built and published: any scorer of
# sklearn.metrics.get_scorer_names(), as many as you like (error metrics are negated).
gate = {{ accuracy = 0.9, f1_macro = 0.9 }}
'''

TRAIN = '''\
"""Train the model. wheelwright calls train() and packages what it returns.

Replace the iris data and the estimator with yours; keep the shape of what train()
returns: the fitted model, and hold-out rows it never saw with their true labels.
"""

from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

SEED = 0  # pass it to everything random, so that the same commit trains the same model


def train():
    X, y = load_iris(return_X_y=True, as_frame=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=SEED
    )
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    model.fit(X_train, y_train)
    return model, X_test, y_test
'''

TEST = '''\
"""The project's own tests: they import the package exactly as its wheel will hold it."""

import {package}


def test_it_predicts_one_class_per_row():
    rows = [dict.fromkeys({package}.Model().feature_names, 1.0)] * 3
    assert len({package}.predict(rows)) == 3
'''

GITIGNORE = "# What wheelwright writes for this project: rebuilt from the code, never committed.\n/.wheelwright/\n"


def create(folder: Path, name: str) -> list[Path]:
    """Write the project's files into ``folder``; return them."""
    if not NAME.match(name):
        raise PipelineError(f"{name!r} is not a valid distribution name.",
                            "Use letters, digits and '-', e.g. make new NAME=churn-model.")
    if folder.exists() and any(folder.iterdir()):
        raise PipelineError(f"{folder} already exists and is not empty: nothing was written.",
                            "Choose a new folder.")
    package = re.sub(r"[-.]+", "_", name).lower()
    files = {
        folder / "pyproject.toml": PYPROJECT.format(name=name),
        folder / "train.py": TRAIN,
        folder / "tests" / "test_model.py": TEST.format(package=package),
        folder / ".gitignore": GITIGNORE,
    }
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(files)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="new.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="where to create the project (must not exist, or be empty)")
    parser.add_argument("--name", help="the distribution name (default: the folder's name)")
    args = parser.parse_args(argv)
    try:
        created = create(args.folder, args.name or args.folder.resolve().name)
    except PipelineError as error:
        return fail(STAGE, error)
    notice(f"created {args.folder}/ ({', '.join(str(p.relative_to(args.folder)) for p in created)}).\n"
           f"Run it through the pipeline: make pipeline PROJECT={args.folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
