"""Timed from inside a fresh process of the environment the wheel was installed into.

    python _runtime_probe.py import
    python _runtime_probe.py cold-package HOLDOUT_CSV
    python _runtime_probe.py cold-bare HOLDOUT_CSV MODEL_FILE
    python _runtime_probe.py warm HOLDOUT_CSV MODEL_FILE REPEATS

HOLDOUT_CSV is the hold-out set the train stage wrote: the feature names, then the
target, as its header. Both sides are given the same pandas DataFrame, as the example was
fitted on one. Prints one JSON object. Before the clock starts, nothing is imported but
what the interpreter loads at startup (``sys``, ``time``, ``csv``), so that both sides
pay for everything they need.
"""

import csv
import sys
import time


def import_time() -> dict:
    start = time.perf_counter()
    import tumor_classifier  # noqa: F401

    seconds = time.perf_counter() - start
    return {"seconds": seconds, "sklearn": "sklearn" in sys.modules, "numpy": "numpy" in sys.modules}


def cold_package(names: list, rows: list) -> dict:
    start = time.perf_counter()
    import pandas as pd
    import tumor_classifier

    label = tumor_classifier.predict(pd.DataFrame(rows[:1], columns=names))[0]
    return {"seconds": time.perf_counter() - start, "label": str(label)}


def cold_bare(names: list, rows: list, model_file: str) -> dict:
    start = time.perf_counter()
    import joblib
    import pandas as pd

    label = joblib.load(model_file).predict(pd.DataFrame(rows[:1], columns=names))[0]
    return {"seconds": time.perf_counter() - start, "label": str(label)}


def warm(names: list, rows: list, model_file: str, repeats: int) -> dict:
    """Per-call seconds of predict on 1 and on 10,000 rows, package against bare, interleaved."""
    import joblib
    import numpy as np
    import pandas as pd
    from tumor_classifier import Model

    package, bare = Model(), joblib.load(model_file)
    base = np.asarray(rows, dtype=np.float64)
    out = {}
    for n, calls in ((1, 200), (10_000, 30)):  # ~40 ms a batch here
        X = pd.DataFrame(np.resize(base, (n, base.shape[1])), columns=names)
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
        result = cold_package(*_holdout(argv[1]))
    elif mode == "cold-bare":
        result = cold_bare(*_holdout(argv[1]), argv[2])
    elif mode == "warm":
        result = warm(*_holdout(argv[1]), argv[2], int(argv[3]))
    else:
        raise SystemExit(f"unknown mode {mode}")
    import json

    print(json.dumps(result))


def _holdout(path: str) -> tuple[list, list]:
    """The feature names and the rows of features (the last column is the target)."""
    with open(path, newline="", encoding="utf-8") as handle:
        header, *rows = list(csv.reader(handle))
    return header[:-1], [[float(value) for value in row[:-1]] for row in rows]


if __name__ == "__main__":
    main(sys.argv[1:])
