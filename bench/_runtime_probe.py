"""Timed from inside a fresh process of the environment the wheel was installed into.

    python _runtime_probe.py import
    python _runtime_probe.py cold-package ROW
    python _runtime_probe.py cold-bare ROW MODEL_FILE
    python _runtime_probe.py warm HOLDOUT_CSV MODEL_FILE REPEATS

ROW is one row's features, comma-separated. Prints one JSON object. Before the clock
starts, nothing is imported but what the interpreter loads at startup (``sys``,
``time``), so that both sides pay for everything they need.
"""

import sys
import time


def import_time() -> dict:
    start = time.perf_counter()
    import tumor_classifier  # noqa: F401

    seconds = time.perf_counter() - start
    return {"seconds": seconds, "sklearn": "sklearn" in sys.modules, "numpy": "numpy" in sys.modules}


def cold_package(row: list) -> dict:
    start = time.perf_counter()
    from tumor_classifier import Classifier

    label = Classifier().predict([row])[0]
    return {"seconds": time.perf_counter() - start, "label": str(label)}


def cold_bare(row: list, model_file: str) -> dict:
    start = time.perf_counter()
    import joblib

    label = joblib.load(model_file).predict([row])[0]
    return {"seconds": time.perf_counter() - start, "label": str(label)}


def warm(rows: list, model_file: str, repeats: int) -> dict:
    """Per-call seconds of predict on 1 and on 10,000 rows, package against bare, interleaved."""
    import joblib
    import numpy as np
    from tumor_classifier import Classifier

    package, bare = Classifier(), joblib.load(model_file)
    base = np.asarray(rows, dtype=np.float64)
    out = {}
    for n, calls in ((1, 200), (10_000, 30)):  # ~40 ms a batch here
        X = np.ascontiguousarray(np.resize(base, (n, base.shape[1])))
        if not (package.predict(X) == bare.predict(X)).all():
            raise SystemExit("the package and the bare estimator disagree")
        times: dict[str, list[float]] = {"package": [], "bare": []}
        for i in range(repeats):
            # Alternate which goes first, so that neither always runs on a warmer cache.
            order = (("package", package), ("bare", bare)) if i % 2 == 0 else (("bare", bare), ("package", package))
            for name, model in order:
                start = time.perf_counter()
                for _ in range(calls):
                    model.predict(X)
                times[name].append((time.perf_counter() - start) / calls)
        out[str(n)] = times
    return out


def main(argv: list[str]) -> None:
    mode = argv[0]
    if mode == "import":
        result = import_time()
    elif mode == "cold-package":
        result = cold_package(_row(argv[1]))
    elif mode == "cold-bare":
        result = cold_bare(_row(argv[1]), argv[2])
    elif mode == "warm":
        result = warm(_holdout(argv[1]), argv[2], int(argv[3]))
    else:
        raise SystemExit(f"unknown mode {mode}")
    import json

    print(json.dumps(result))


def _row(text: str) -> list:
    return [float(value) for value in text.split(",")]


def _holdout(path: str) -> list:
    import csv

    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))[1:]
    return [[float(value) for value in row[:-1]] for row in rows]  # the last column is the label


if __name__ == "__main__":
    main(sys.argv[1:])
