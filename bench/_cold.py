"""Cold start of a large model: the package's load, sha256 check included, against ``joblib.load``.

    .venv/bin/python bench/_cold.py                  # 1 GB, 7 runs each, warm and cold
    .venv/bin/python bench/_cold.py --quick          # 10 MB, 3 runs: a smoke run
    .venv/bin/python bench/_cold.py --json out.json

The model is what ``_large.py`` trains: a scikit-learn ``DummyClassifier`` carrying an
incompressible array of random bytes of the size asked for (fitted on an array here, so
that no pandas is needed), dumped with joblib. Its manifest gets ``sha256`` and
``sha256_blocks`` from the train stage's own ``_trainer.model_digests``, and
``scripts/_runtime`` is copied beside it as a package's ``_runtime``, as a wheel has it.

Each figure is a fresh process that imports what it needs, loads the model and predicts
one row: the package (``Model().predict``: manifest, sha256 of every block, scikit-learn
series, the estimator checked against the manifest) against the bare estimator
(``joblib.load(path).predict``) on the very same file. The two alternate, the order
flipping each pair, and the ratio is the median of the per-pair ratios (a drift in the
machine's load hits both of a pair alike). *Warm*: the file is read once before each
run, so it comes from the page cache. *Cold*: the page cache is dropped before each run
(``/proc/sys/vm/drop_caches``, root only); where that is refused, cold is skipped and the
result says why. Each process also reports its CPU seconds (``cpu``, the package's
hashing thread included; ``main_cpu``, the main thread's alone) and its peak resident
memory (``VmHWM``).

The hashing runs in a second thread, so the ratio depends on a second core being free:
the result records the load average before and after. On a machine busy with other
work, the ratio tends to the ratio of CPU seconds (sha256 costs about 0.8 s per GB here);
with a free core, to the ratio of the main threads' CPU seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
SCRIPTS = ROOT / "scripts"
PACKAGE = "cold_model"
SIZES = {"1 GB": 1_000_000_000}
QUICK_SIZES = {"10 MB": 10_000_000}
DROP_CACHES = Path("/proc/sys/vm/drop_caches")

# Run in a fresh interpreter (-I: no source tree on sys.path). The clock starts before
# any import, so both sides pay for everything they need.
MAKE = """\
import sys
import joblib
import numpy as np
from sklearn.dummy import DummyClassifier

size, path = int(sys.argv[1]), sys.argv[2]
model = DummyClassifier(strategy="prior").fit(np.arange(4.0).reshape(-1, 1), ["a", "b", "a", "b"])
model.weights_ = np.frombuffer(np.random.default_rng(0).bytes(size), dtype=np.uint8)
joblib.dump(model, path)
"""

PROBE = """\
import sys, time
start = time.perf_counter()
if sys.argv[1] == "bare":
    import joblib
    label = joblib.load(sys.argv[2]).predict([[0.0]])[0]
else:
    sys.path.insert(0, sys.argv[2])
    from cold_model import Model
    label = Model().predict([[0.0]])[0]
seconds = time.perf_counter() - start
cpu, main_cpu = time.process_time(), time.thread_time()
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:"))
import json
print(json.dumps({"seconds": seconds, "cpu": cpu, "main_cpu": main_cpu, "peak_rss": peak, "label": str(label)}))
"""


def _python(*args: object) -> str:
    done = subprocess.run([sys.executable, "-I", *map(str, args)], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{args[:2]} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return done.stdout


def make_package(site: Path, size: int, runtime: Path = SCRIPTS / "_runtime") -> Path:
    """Write package ``cold_model`` into `site` with a model of about `size` bytes; return its model file.

    `runtime` is the run-time code copied in: another version of ``scripts/_runtime``
    (an older commit's, say) measures that one on the same model.
    """
    sys.path.insert(0, str(SCRIPTS))
    try:
        import _trainer
    finally:
        sys.path.remove(str(SCRIPTS))
    import sklearn

    package = site / PACKAGE
    if site.exists():
        shutil.rmtree(site)
    package.mkdir(parents=True)
    model_file = package / "model.joblib"
    _python("-c", MAKE, size, model_file)  # in a child: this process stays small
    sha256, blocks = _trainer.model_digests(model_file)
    manifest = {
        "name": "cold-model", "package": PACKAGE, "version": "0", "task": "classification",
        "features": [{"name": "x", "kind": "number", "dtype": "float64"}], "input": "array",
        "allow_nan": False, "methods": ["predict", "predict_proba"], "classes": ["a", "b"],
        "model_file": model_file.name, "sha256": sha256, "size": model_file.stat().st_size,
        "versions": {"scikit-learn": sklearn.__version__},
    }
    if blocks is not None:
        manifest["sha256_blocks"] = blocks
    (package / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    shutil.copytree(runtime, package / "_runtime", ignore=shutil.ignore_patterns("__pycache__"))
    (package / "__init__.py").write_text("from ._runtime import Model\n", encoding="utf-8")
    return model_file


def can_drop_caches() -> str:
    """Empty if the page cache can be dropped here; otherwise why not."""
    try:
        drop_caches()
    except OSError as exc:
        return f"cannot drop the page cache: {exc.strerror or exc}"
    return ""


def drop_caches() -> None:
    os.sync()
    DROP_CACHES.write_text("3\n")


def warm_up(path: Path) -> None:
    with open(path, "rb") as handle:
        while handle.read(1 << 24):
            pass


def compare(site: Path, model_file: Path, runs: int, cold: bool) -> dict:
    """Alternating fresh-process runs of the package and the bare load; medians and ratios."""
    samples: dict[str, list[dict]] = {"package": [], "bare": []}
    ratios = []
    for i in range(runs):
        pair = {}
        order = ("package", "bare") if i % 2 == 0 else ("bare", "package")
        for side in order:
            drop_caches() if cold else warm_up(model_file)
            args = ("-c", PROBE, side, site if side == "package" else model_file)
            pair[side] = json.loads(_python(*args).strip().splitlines()[-1])
            samples[side].append(pair[side])
        if pair["package"]["label"] != pair["bare"]["label"]:
            raise RuntimeError("the package and the bare estimator disagree")
        ratios.append(pair["package"]["seconds"] / pair["bare"]["seconds"])
    out: dict = {"runs": runs, "ratio": statistics.median(ratios)}
    for side, found in samples.items():
        out[side] = {key: statistics.median(s[key] for s in found) for key in ("seconds", "cpu", "main_cpu", "peak_rss")}
    return out


class ColdStart:
    def __init__(self, work: Path, log, runtime: Path = SCRIPTS / "_runtime") -> None:  # type: ignore[no-untyped-def]
        self.work = work
        self.log = log
        self.runtime = runtime

    def run(self, sizes: list[tuple[str, int]], runs: int, cold: bool = True) -> list[dict]:
        """One result per size: warm and (if the page cache can be dropped) cold."""
        results = []
        why_not = can_drop_caches() if cold else "not asked for"
        for label, size in sizes:
            site = self.work / label.replace(" ", "")
            model_file = make_package(site, size, self.runtime)
            result: dict = {"label": label, "size": model_file.stat().st_size,
                            "load_before": os.getloadavg()[0]}
            # One untimed round: the first processes read the interpreter's files from disk.
            compare(site, model_file, 1, cold=False)
            result["warm"] = compare(site, model_file, runs, cold=False)
            self._log(label, "warm", result["warm"])
            if why_not:
                result["cold"] = None
                result["cold_skipped"] = why_not
                self.log(f"cold start {label}: cold skipped, {why_not}")
            else:
                result["cold"] = compare(site, model_file, runs, cold=True)
                self._log(label, "cold", result["cold"])
            result["load_after"] = os.getloadavg()[0]
            results.append(result)
            shutil.rmtree(site)
        return results

    def _log(self, label: str, cache: str, figures: dict) -> None:
        package, bare = figures["package"], figures["bare"]
        self.log(f"cold start {label}, {cache} cache: package {package['seconds']:.2f} s, bare "
                 f"{bare['seconds']:.2f} s, ratio {figures['ratio']:.2f} (CPU {package['cpu']:.2f} s vs "
                 f"{bare['cpu']:.2f} s; peak {package['peak_rss'] / 2**20:.0f} MB vs {bare['peak_rss'] / 2**20:.0f} MB)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/_cold.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: a 10 MB model, 3 runs")
    parser.add_argument("--runs", type=int, default=7, help="pairs of fresh processes per figure (default: 7)")
    parser.add_argument("--no-cold", action="store_true", help="warm page cache only")
    parser.add_argument("--work", type=Path, default=BENCH / "work" / "cold", help="scratch folder")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument("--runtime", type=Path, default=SCRIPTS / "_runtime",
                        help="the run-time code to measure (default: scripts/_runtime)")
    args = parser.parse_args(argv)
    started = time.monotonic()

    def log(message: str) -> None:
        print(f"[{time.monotonic() - started:7.1f} s] {message}", flush=True)

    log(f"Python {platform.python_version()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    sizes = QUICK_SIZES if args.quick else SIZES
    results = ColdStart(args.work, log, args.runtime).run(list(sizes.items()), 3 if args.quick else args.runs, not args.no_cold)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
