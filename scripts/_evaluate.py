"""Score an importable model package on its hold-out set and print the metrics as JSON.

    python _evaluate.py PACKAGE HOLDOUT.csv

Runs in the environment under test (the model's, on the package the train stage
assembled, for the quality gate; a fresh one holding only the installed wheel, for the
build's check and for verify), so it imports nothing of wheelwright's but its sibling
``_scoring``: the package, through its public API, and scikit-learn's scorers. Every
metric the manifest records is computed again, through the package's own ``predict``.
"""

import importlib
import json
import platform
import sys

import _scoring


def main(package: str, holdout: str) -> None:
    module = importlib.import_module(package)
    model = module.Model()
    manifest = model.metadata
    X, y = _scoring.read_holdout(holdout, manifest)
    metrics = _scoring.score(_scoring.packaged(model), X, y, list(manifest["metrics"]),
                             manifest.get("positive_class"))
    json.dump({
        "package_file": module.__file__,
        "version": manifest["version"],
        "python": platform.python_version(),
        "rows": len(y),
        "recorded": manifest["metrics"],
        "metrics": metrics,
    }, sys.stdout, sort_keys=True)


if __name__ == "__main__":
    try:
        main(*sys.argv[1:])
    except Exception as exc:  # the caller reports one line, not a traceback
        sys.exit(f"{type(exc).__name__}: {exc}")
