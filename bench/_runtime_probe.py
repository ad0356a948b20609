"""Timed from inside a fresh process of the environment the wheel was installed into.

    python _runtime_probe.py import PACKAGE
    python _runtime_probe.py cold-package PACKAGE HOLDOUT_CSV MODEL_FILE
    python _runtime_probe.py cold-bare PACKAGE HOLDOUT_CSV MODEL_FILE
    python _runtime_probe.py warm PACKAGE HOLDOUT_CSV MODEL_FILE REPEATS

HOLDOUT_CSV is the hold-out set the train stage wrote (the feature names, then the
target, as its header); MODEL_FILE the model the wheel installed, beside its manifest.
Both sides are given the same input, as the model was fitted: a pandas DataFrame when the
manifest says ``"input": "dataframe"``, else a float array. Prints one JSON object. The
hold-out set and the manifest are read before the clock starts; until then nothing is
imported but what the interpreter loads at startup and ``csv``/``json``, so that both
sides pay for everything they need.
"""

import csv
import json
import sys
import time
from pathlib import Path


def import_time(package: str) -> dict:
    start = time.perf_counter()
    __import__(package)

    seconds = time.perf_counter() - start
    return {"seconds": seconds, "sklearn": "sklearn" in sys.modules, "numpy": "numpy" in sys.modules}


def _input(form: str, names: list, rows: list):  # type: ignore[no-untyped-def]
    if form == "dataframe":
        import pandas as pd

        return pd.DataFrame(rows, columns=names)
    import numpy as np

    return np.asarray(rows, dtype=np.float64)


def cold_package(package: str, form: str, names: list, rows: list) -> dict:
    start = time.perf_counter()
    X = _input(form, names, rows[:1])
    label = __import__(package).predict(X)[0]
    return {"seconds": time.perf_counter() - start, "label": str(label)}


def cold_bare(form: str, names: list, rows: list, model_file: str) -> dict:
    start = time.perf_counter()
    X = _input(form, names, rows[:1])
    import joblib

    label = joblib.load(model_file).predict(X)[0]
    return {"seconds": time.perf_counter() - start, "label": str(label)}


def warm(package: str, form: str, names: list, rows: list, model_file: str, repeats: int) -> dict:
    """Per-call seconds of predict on 1 and on 10,000 rows, package against bare, interleaved."""
    import joblib
    import numpy as np

    package_model, bare = __import__(package).Model(), joblib.load(model_file)
    out = {}
    for n, calls in ((1, 200), (10_000, 30)):  # ~40 ms a batch here
        X = _input(form, names, [rows[i % len(rows)] for i in range(n)])
        if not np.array_equal(np.asarray(package_model.predict(X)), np.asarray(bare.predict(X))):
            raise SystemExit("the package and the bare estimator disagree")
        times: dict[str, list[float]] = {"package": [], "bare": []}
        for i in range(repeats):
            # Alternate which goes first, so that neither always runs on a warmer cache.
            order = (("package", package_model), ("bare", bare)) if i % 2 == 0 else (("bare", bare), ("package", package_model))
            for name, model in order:
                start = time.perf_counter()
                for _ in range(calls):
                    model.predict(X)
                times[name].append((time.perf_counter() - start) / calls)
        out[str(n)] = times
    return out


def main(argv: list[str]) -> None:
    mode, package = argv[0], argv[1]
    if mode == "import":
        result = import_time(package)
    else:
        holdout, model_file = argv[2], argv[3]
        form = json.loads((Path(model_file).parent / "manifest.json").read_text())["input"]
        names, rows = _holdout(holdout)
        if mode == "cold-package":
            result = cold_package(package, form, names, rows)
        elif mode == "cold-bare":
            result = cold_bare(form, names, rows, model_file)
        elif mode == "warm":
            result = warm(package, form, names, rows, model_file, int(argv[4]))
        else:
            raise SystemExit(f"unknown mode {mode}")
    print(json.dumps(result))


def _cell(text: str) -> object:
    try:
        return float(text)
    except ValueError:
        return text  # a categorical or text column


def _holdout(path: str) -> tuple[list, list]:
    """The feature names and the rows of features (the last column is the target)."""
    with open(path, newline="", encoding="utf-8") as handle:
        header, *rows = list(csv.reader(handle))
    return header[:-1], [[_cell(value) for value in row[:-1]] for row in rows]


if __name__ == "__main__":
    main(sys.argv[1:])
