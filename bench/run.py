"""wheelwright's benchmarks: ``make bench``.

    .venv/bin/python bench/run.py                  # everything, ~50 min on 2 cores (jobs: ~18)
    .venv/bin/python bench/run.py --quick --out /tmp/results   # a smoke run, a minute or two

1. end to end: the warm ``make pipeline`` against the textbook sequence (baseline.sh);
2. large models: train, build, publish and verify a 10 MB, 100 MB and 1 GB model of random
   bytes and a random forest of some 280 MB, beside the floor (sha256, zip, plain HTTP);
3. run time: ``import tumor_classifier``, cold start, ``predict`` against bare joblib;
4. jobs: each job's install time in the reusable workflow under act (``_jobs.py``).

Writes ``results.json``, ``README.md`` (the tables) and ``chart.png`` into ``--out``
(default ``bench/results``). Scratch files go to ``bench/work`` (git-ignored), which each
section empties before it starts. Timings are asserted nowhere: the table states the
targets and whether this run met them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from _cold import QUICK_SIZES as QUICK_COLD_SIZES, SIZES as COLD_SIZES, ColdStart  # noqa: E402
from _e2e import EndToEnd  # noqa: E402
from _jobs import Jobs  # noqa: E402
from _large import LargeModels, parse_cases  # noqa: E402
from _measure import machine  # noqa: E402
from _report import write_chart, write_table  # noqa: E402
from _runtime import Runtime  # noqa: E402

SECTIONS = ("e2e", "large", "runtime", "cold", "jobs")
#: The large-model section's models: random bytes of each size, and the random forest.
LARGE_SIZES = "10MB,100MB,1GB,forest"
QUICK_LARGE_SIZES = "10MB"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/run.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=BENCH / "results",
                        help="where results.json, README.md and chart.png go (default: bench/results)")
    parser.add_argument("--work", type=Path, default=BENCH / "work",
                        help="scratch folder (default: bench/work)")
    parser.add_argument("--sections", default=",".join(SECTIONS),
                        help=f"comma-separated subset of {','.join(SECTIONS)} (default: all)")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: no end-to-end or jobs section, only the 10 MB model, few repeats")
    parser.add_argument("--e2e-runs", type=int, default=5, help="warm pipeline runs (default: 5)")
    parser.add_argument("--baseline-runs", type=int, default=3, help="warm baseline runs (default: 3)")
    parser.add_argument("--large-runs", type=int, default=3, help="runs per model size (default: 3)")
    parser.add_argument("--large-sizes", default=None,
                        help="the large-model section's models, comma-separated sizes (kB, MB, GB) "
                             f"and 'forest' (default: {LARGE_SIZES}; with --quick: {QUICK_LARGE_SIZES})")
    parser.add_argument("--cold-runs", type=int, default=21,
                        help="fresh processes per import and cold-start figure (default: 21)")
    parser.add_argument("--warm-repeats", type=int, default=41,
                        help="timed batches per predict figure (default: 41)")
    parser.add_argument("--cold-start-runs", type=int, default=7,
                        help="pairs of fresh processes per large-model cold-start figure (default: 7)")
    parser.add_argument("--no-drop-caches", action="store_true",
                        help="measure the large model's cold start warm only (dropping the page cache "
                             "empties it for the whole machine)")
    parser.add_argument("--jobs-runs", type=int, default=2,
                        help="timed workflow runs under act, after an untimed one (default: 2)")
    parser.add_argument("--merge", action="store_true",
                        help="keep the other sections' figures from --out's results.json (a partial rerun)")
    args = parser.parse_args(argv)
    args.sections = [s for s in args.sections.split(",") if s]
    unknown = set(args.sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections {sorted(unknown)}; choose from {SECTIONS}")
    try:
        args.large_cases = parse_cases(args.large_sizes or (QUICK_LARGE_SIZES if args.quick else LARGE_SIZES))
    except ValueError as exc:
        parser.error(f"--large-sizes: {exc}")
    if args.quick:
        args.sections = [s for s in args.sections if s not in ("e2e", "jobs")]
        args.large_runs, args.cold_runs, args.warm_repeats, args.cold_start_runs = 1, 3, 3, 3
        args.no_drop_caches = True
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()

    def log(message: str) -> None:
        print(f"[{time.monotonic() - started:7.1f} s] {message}", flush=True)

    results: dict = {}
    previous = args.out / "results.json"
    if args.merge and previous.is_file():
        # Only the sections run now are replaced; the header says when this run was made.
        results = {name: value for name, value in json.loads(previous.read_text()).items()
                   if name in SECTIONS and name not in args.sections}
    results |= {
        "machine": machine(),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "quick": args.quick,
    }
    if "e2e" in args.sections:
        log("end to end: warm make pipeline against baseline.sh")
        e2e = EndToEnd(args.work / "e2e", log)
        e2e.run(args.e2e_runs, args.baseline_runs)
        results["e2e"] = e2e.results()
    if "large" in args.sections:
        log("large models: train, build, publish, verify, and the floor")
        results["large"] = LargeModels(args.work / "large", log).run(args.large_cases, args.large_runs)
    if "runtime" in args.sections:
        log("run time: import, cold start, predict")
        results["runtime"] = Runtime(args.work / "runtime", log).run(
            args.cold_runs, args.warm_repeats, ["tumor"] if args.quick else None)
    if "cold" in args.sections:
        log("cold start: a large model's verified load against joblib.load")
        sizes = QUICK_COLD_SIZES if args.quick else COLD_SIZES
        results["cold"] = ColdStart(args.work / "cold", log).run(
            list(sizes.items()), args.cold_start_runs, cold=not args.no_drop_caches)
    if "jobs" in args.sections:
        log("jobs: each job's install under act")
        results["jobs"] = Jobs(args.work / "jobs", log).run(args.jobs_runs)
    results["seconds"] = time.monotonic() - started

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    write_table(results, args.out / "README.md")
    write_chart(results, args.out / "chart.png")
    log(f"wrote {args.out / 'README.md'} and {args.out / 'chart.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
