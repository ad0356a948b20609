"""``predict`` of the packaged run-time code against the bare estimator, warm, in one process.

    .venv/bin/python bench/_runtime_speed.py               # ~5 minutes on 2 cores
    .venv/bin/python bench/_runtime_speed.py --quick       # a smoke run
    .venv/bin/python bench/_runtime_speed.py --json out.json

Five models, each fitted here, dumped with joblib into a scratch package folder with
``scripts/_runtime`` copied in as ``_runtime`` and a manifest holding the keys the
run-time code reads:

- ``array``: StandardScaler + LogisticRegression on breast_cancer, fitted on an array;
- ``dataframe``: RandomForestClassifier on wine (``as_frame=True``), fitted on a DataFrame;
- ``regressor``: Ridge on diabetes, fitted on an array;
- ``columns``: a Pipeline of a ColumnTransformer (OneHotEncoder on two string columns,
  StandardScaler on three number columns) and LogisticRegression, on synthetic data;
- ``tumour``: the example project's model, StandardScaler + LogisticRegression fitted on
  breast_cancer as a DataFrame (``as_frame=True``), as ``model/train.py`` fits it.

Each is timed on 1 row and on 10,000 rows (the hold-out tiled), the package's
``Model.predict`` against the bare estimator's ``predict`` given the equivalent input:
the same array or DataFrame, and, for DataFrame models, the package given a list of
dicts (so it builds the DataFrame) against the bare estimator given a DataFrame. A sample
is one batch of calls (sized to about 20 ms) divided by its calls; package and bare
batches alternate, the order flipping every pair (package, bare, bare, package, ...), and
each figure is the median of the per-pair ratios, beside the median times. The cost of
``sklearn.config_context(assume_finite=True)`` itself, and what skipping scikit-learn's
own finiteness check saves, are timed alike, as is the package's input check followed by
the bare estimator (what the package would cost without that context manager, checking
finiteness twice). Nothing is asserted: this prints figures.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RUNTIME = ROOT / "scripts" / "_runtime"
BATCH_SECONDS = 0.02
SIZES = (1, 10_000)


# --- The models ------------------------------------------------------------------------------

def fit_models() -> dict[str, tuple[Any, Any]]:
    """name -> (fitted estimator, hold-out rows in the form it was fitted on)."""
    import numpy as np
    import pandas as pd
    from sklearn.compose import make_column_transformer
    from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    models = {}
    X, y = load_breast_cancer(return_X_y=True)
    models["array"] = (make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X, y), X)
    wine = load_wine(as_frame=True)
    models["dataframe"] = (RandomForestClassifier(random_state=0).fit(wine.data, wine.target), wine.data)
    X, y = load_diabetes(return_X_y=True)
    models["regressor"] = (Ridge().fit(X, y), X)
    rng = np.random.default_rng(0)
    n = 2000
    frame = pd.DataFrame({
        "colour": rng.choice(["red", "green", "blue"], n),
        "age": rng.integers(18, 80, n),
        "city": rng.choice(["Oslo", "Lima", "Pune", "Kobe"], n),
        "income": rng.normal(50.0, 12.0, n),
        "score": rng.normal(0.0, 1.0, n),
    })
    y = ((frame["income"] - 50) / 12 + (frame["colour"] == "red") + rng.normal(0, 0.5, n) > 0).to_numpy()
    pipeline = make_pipeline(
        make_column_transformer(
            (OneHotEncoder(handle_unknown="ignore"), ["colour", "city"]),
            (StandardScaler(), ["age", "income", "score"]),
        ),
        LogisticRegression(),
    )
    models["columns"] = (pipeline.fit(frame, y), frame)
    cancer = load_breast_cancer(as_frame=True)
    models["tumour"] = (make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(
        cancer.data, cancer.target), cancer.data)
    return models


def package(name: str, estimator: Any, X: Any, site: Path) -> Any:
    """Write `estimator` as package ``speed_<name>`` in `site`; return its Model class."""
    import hashlib

    import joblib
    import sklearn

    dest = site / f"speed_{name}"
    dest.mkdir()
    joblib.dump(estimator, dest / "model.joblib")
    if hasattr(X, "columns"):
        form = "dataframe"
        features = [{"name": str(c), "kind": "number" if X[c].dtype.kind in "biuf" else "string",
                     "dtype": str(X[c].dtype)} for c in X.columns]
    else:
        form = "array"
        features = [{"name": f"x{j}", "kind": "number", "dtype": str(X.dtype)} for j in range(X.shape[1])]
    classifier = hasattr(estimator, "classes_")
    manifest = {
        "name": f"speed-{name}", "package": f"speed_{name}", "version": "0", "task":
        "classification" if classifier else "regression", "features": features, "input": form,
        "allow_nan": False, "methods": [m for m in ("predict", "predict_proba", "decision_function")
                                         if hasattr(estimator, m)],
        "model_file": "model.joblib",
        "sha256": hashlib.sha256((dest / "model.joblib").read_bytes()).hexdigest(),
        "versions": {"scikit-learn": sklearn.__version__},
    }
    if classifier:
        manifest["classes"] = estimator.classes_.tolist()
    (dest / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    shutil.copytree(RUNTIME, dest / "_runtime", ignore=shutil.ignore_patterns("__pycache__"))
    (dest / "__init__.py").write_text("from ._runtime import Model\n", encoding="utf-8")
    return importlib.import_module(f"speed_{name}").Model


def tiled(X: Any, n: int) -> Any:
    """`n` rows of `X`, repeated as needed, in `X`'s own form."""
    import numpy as np

    take = np.resize(np.arange(len(X)), n)
    if hasattr(X, "iloc"):
        return X.iloc[take].reset_index(drop=True)
    return np.ascontiguousarray(X[take])


# --- Timing ----------------------------------------------------------------------------------

def per_call(function: Callable[[], Any], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        function()
    return (time.perf_counter() - start) / calls


def calls_for(function: Callable[[], Any]) -> int:
    """How many calls make a batch of about BATCH_SECONDS."""
    function()
    once = per_call(function, 3)
    return max(1, min(2000, round(BATCH_SECONDS / max(once, 1e-7))))


def compare(package: Callable[[], Any], bare: Callable[[], Any], pairs: int) -> dict[str, float]:
    """Median seconds per call of each, and the median of the per-pair ratios."""
    calls = max(calls_for(package), calls_for(bare))
    times: dict[str, list[float]] = {"package": [], "bare": []}
    ratios = []
    gc.collect()
    for i in range(pairs):
        order = (("package", package), ("bare", bare)) if i % 2 == 0 else (("bare", bare), ("package", package))
        pair = {}
        for name, function in order:
            pair[name] = per_call(function, calls)
            times[name].append(pair[name])
        ratios.append(pair["package"] / pair["bare"])
    return {
        "package": statistics.median(times["package"]),
        "bare": statistics.median(times["bare"]),
        "ratio": statistics.median(ratios),
        "calls": calls,
        "pairs": pairs,
    }


def measure(pairs: int, only: list[str] | None = None) -> dict[str, Any]:
    import numpy as np
    import sklearn

    results: dict[str, Any] = {}
    models = fit_models()
    with tempfile.TemporaryDirectory(prefix="runtime-speed-") as scratch:
        site = Path(scratch)
        sys.path.insert(0, str(site))
        for name, (estimator, X) in models.items():
            if only and name not in only:
                continue
            model = package(name, estimator, X, site)()
            check = importlib.import_module(f"speed_{name}._runtime._inputs").Inputs.from_manifest(model.metadata)
            for n in SIZES:
                rows = tiled(X, n)
                if not np.array_equal(np.asarray(model.predict(rows)), np.asarray(estimator.predict(rows))):
                    raise SystemExit(f"{name}: the package and the bare estimator disagree")
                label = "DataFrame" if hasattr(rows, "columns") else "array"
                figures = {label: compare(lambda: model.predict(rows), lambda: estimator.predict(rows), pairs)}
                # The design question: the package's own input check, then the estimator
                # without config_context(assume_finite=True), so that both check finiteness.
                figures["check, no config_context"] = compare(
                    lambda: estimator.predict(check(rows)), lambda: estimator.predict(rows), pairs)
                if hasattr(rows, "columns"):
                    records = rows.to_dict("records")
                    figures["list of dicts vs DataFrame"] = compare(
                        lambda: model.predict(records), lambda: estimator.predict(rows), pairs)
                else:
                    listed = rows.tolist()
                    figures["list of rows"] = compare(
                        lambda: model.predict(listed), lambda: estimator.predict(listed), pairs)
                if n == 1:
                    def assume_finite() -> Any:
                        with sklearn.config_context(assume_finite=True):
                            return estimator.predict(rows)

                    figures["bare in config_context vs bare"] = compare(
                        assume_finite, lambda: estimator.predict(rows), pairs)
                results[f"{name}/{n}"] = figures
                for what, f in figures.items():
                    print(f"{name:>9} {n:>6} rows  {what:<32} package {f['package'] * 1e6:10.1f} µs  "
                          f"bare {f['bare'] * 1e6:10.1f} µs  ratio {f['ratio']:.3f}", flush=True)
        sys.path.remove(str(site))

    def context() -> None:
        with sklearn.config_context(assume_finite=True):
            pass

    calls = calls_for(context)
    samples = [per_call(context, calls) for _ in range(pairs)]
    results["config_context"] = {"seconds": statistics.median(samples)}
    print(f"config_context(assume_finite=True) alone: {statistics.median(samples) * 1e6:.1f} µs", flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/_runtime_speed.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=41, help="alternating pairs of batches per figure (default: 41)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 3 pairs per figure")
    parser.add_argument("--models", help="comma-separated subset of array,dataframe,regressor,columns,tumour")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    import numpy
    import pandas
    import sklearn

    print(f"Python {platform.python_version()}, scikit-learn {sklearn.__version__}, numpy "
          f"{numpy.__version__}, pandas {pandas.__version__}, {platform.machine()}", flush=True)
    results = measure(3 if args.quick else args.pairs, args.models.split(",") if args.models else None)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
