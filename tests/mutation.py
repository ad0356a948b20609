"""make mutation: mutation testing of wheelwright's pure logic with mutmut (not part of
``make test``).

    python tests/mutation.py [--jobs 2] [--min-score 90] [--module pin ...]

mutmut changes one thing at a time in a function (``<`` into ``<=``, a string, a
constant, a dropped argument) and runs the tests that reach it: a test must fail, or the
mutant *survived*. It runs in a staged copy, ``.mutation/`` (git-ignored): ``scripts/``
as ``src/``, so that mutmut names each module as the tests import it (``import pin``),
``tests/`` and what the selected tests read, and mutmut's own copy in
``.mutation/mutants/``. setup.cfg's ``[mutmut]`` section names the tests; ``MUTATED``
below, the functions. Prints the score per module and every survivor, writes them to
``.mutation/report.md``, and exits 1 when the score is below ``--min-score``.
docs/mutation.md keeps the last score and why each survivor may stay.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAGE = ROOT / ".mutation"
#: What the selected tests read besides themselves (setup.cfg's also_copy copies it on).
STAGED = ("setup.cfg", "pytest.ini", "requirements.in", "requirements.txt", "requirements")

#: The functions mutated: whole modules of pure logic, and the pure functions of the others
#: (their I/O is tested as processes, in `make test`). mutmut names a function
#: ``module.x_name`` and a method ``module.xǁClassǁname``.
MUTATED = {
    "_project": ["*"],
    "_evaluation": ["*"],
    "version": ["*"],
    "_scoring": ["*"],
    "pin": ["environment", "ǁPinǁapplies_to", "ǁLockǁfor_python", "ǁLockǁduplicates", "read_in_tree",
            "_read_in", "read_in", "parse_lock", "read_lock", "_on", "stale_reasons", "_disagreements",
            "check", "covered_by", "closure", "lock_entry_text", "python_marker", "_own_marker", "merge",
            "layered_order"],
    "_venv": ["parse_pip_config", "uv_options"],
    "_package": ["requirements", "pin", "toml_value"],
    "publish": ["check_url", "check_release", "select_dists", "_foreign", "is_duplicate", "status_line",
                "http_error", "network_error", "wheel_difference", "_names", "_differ", "with_retries",
                "final_line"],
}
#: mutmut's exit codes for a mutant (mutmut.stats.status_by_exit_code).
STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", 34: "skipped",
          36: "timeout", 24: "timeout", -24: "timeout", 152: "timeout", 255: "timeout", None: "not checked"}


def patterns(modules: list[str] | None = None) -> list[str]:
    """mutmut's mutant-name patterns for :data:`MUTATED` (only ``modules``' when given)."""
    found = []
    for module, functions in MUTATED.items():
        if modules and module not in modules:
            continue
        for function in functions:
            if function == "*":
                found.append(f"{module}.*")
            else:
                prefix = "x" if function.startswith("ǁ") else "x_"
                found.append(f"{module}.{prefix}{function}__mutmut_*")
    return found


def stage() -> None:
    """A fresh copy to run mutmut in, with the mutated sources where the tests look for them."""
    if STAGE.exists():
        shutil.rmtree(STAGE)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".wheelwright", ".pytest_cache")
    shutil.copytree(ROOT / "scripts", STAGE / "src", ignore=ignore)
    shutil.copytree(ROOT / "tests", STAGE / "tests", ignore=ignore)
    for name in STAGED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, STAGE / name, ignore=ignore)
        else:
            shutil.copy2(source, STAGE / name)
    # conftest.py puts ROOT/scripts on sys.path; in mutmut's copy, ROOT is mutants/.
    (STAGE / "mutants").mkdir()
    (STAGE / "mutants" / "scripts").symlink_to("src", target_is_directory=True)


def results(wanted: list[str]) -> dict[str, Counter]:
    """Each mutated module's mutants counted by status."""
    counts: dict[str, Counter] = {}
    for meta in sorted((STAGE / "mutants" / "src").glob("*.py.meta")):
        module = meta.name[: -len(".py.meta")]
        for name, code in json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"].items():
            if any(fnmatch.fnmatchcase(name, p) for p in wanted):
                counts.setdefault(module, Counter())[STATUS.get(code, "suspicious")] += 1
    return counts


def survivors(wanted: list[str]) -> list[str]:
    found = []
    for meta in sorted((STAGE / "mutants" / "src").glob("*.py.meta")):
        for name, code in json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"].items():
            if any(fnmatch.fnmatchcase(name, p) for p in wanted) and STATUS.get(code) != "killed":
                found.append(f"{name}: {STATUS.get(code, 'suspicious')}")
    return found


def score(counts: Counter) -> float:
    total = sum(counts.values())
    return 100.0 * counts["killed"] / total if total else 0.0


def report(counts: dict[str, Counter], wanted: list[str], seconds: float, jobs: int) -> str:
    lines = ["| module | mutants | killed | survived | other | score |", "|---|---:|---:|---:|---:|---:|"]
    everything: Counter = Counter()
    for module, c in sorted(counts.items()):
        everything.update(c)
        other = sum(c.values()) - c["killed"] - c["survived"]
        lines.append(f"| `{module}` | {sum(c.values())} | {c['killed']} | {c['survived']} | {other} | "
                     f"{score(c):.1f} % |")
    other = sum(everything.values()) - everything["killed"] - everything["survived"]
    lines.append(f"| **all** | {sum(everything.values())} | {everything['killed']} | {everything['survived']} | "
                 f"{other} | **{score(everything):.1f} %** |")
    lines += ["", f"mutmut run in {seconds / 60:.1f} minutes with {jobs} jobs.", "", "Not killed:", ""]
    lines += [f"- `{name}`" for name in survivors(wanted)] or ["- none"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mutation.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="mutants tested at once")
    parser.add_argument("--min-score", type=float, default=90.0,
                        help="exit 1 below this percentage of mutants killed (default: 90)")
    parser.add_argument("--module", action="append", choices=sorted(MUTATED), dest="modules",
                        help="mutate only this module (repeat for several); the score is then that "
                             "module's, not the one docs/mutation.md keeps (default: every module)")
    args = parser.parse_args(argv)
    wanted = patterns(args.modules)
    mutmut = Path(sys.executable).with_name("mutmut")
    if not mutmut.is_file():
        print(f"mutation: {mutmut} does not exist: install the dev lock (make test installs it).", file=sys.stderr)
        return 1
    stage()
    start = time.monotonic()
    done = subprocess.run([mutmut, "run", "--max-children", str(args.jobs), *wanted], cwd=STAGE)
    seconds = time.monotonic() - start
    if done.returncode != 0:
        print(f"mutation: mutmut run failed (exit code {done.returncode}).", file=sys.stderr)
        return 1
    counts = results(wanted)
    text = report(counts, wanted, seconds, args.jobs)
    (STAGE / "report.md").write_text(text, encoding="utf-8")
    print("\n" + text)
    overall = score(sum(counts.values(), Counter()))
    if overall < args.min_score:
        print(f"mutation: {overall:.1f} % of mutants killed, below {args.min_score:g} %.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
