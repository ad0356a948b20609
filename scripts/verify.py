"""verify: install the published wheel from the repository on each Python and score it.

Waits (bounded) until the repository's index lists the wheel, downloads it from the link
there (``_index``, the client publish uses too) and checks it is, byte for byte, the
wheel that was built. Then, for each Python
asked for (by default every supported version this machine has), installs it into a new
virtual environment (made anew at ``.wheelwright/verify/`` and removed after, so that
what the check imports is compiled once into the project's bytecode folder, not in
every run), with its dependencies from pip's own configuration, and scores it on the
hold-out set: the package it imports must be the installed one, and every metric its
manifest records must come out the same. The versions verified are reported (output ``pythons`` and the
job summary).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _venv
from _evaluation import evaluate, mismatches
from _index import Index
from _project import Project, load_project
from _wheelwright import (
    RUNNING_PYTHON, SUPPORTED_PYTHONS, PipelineError, clean_env, exclusive, fail, group, model_code_env, notice,
    on_signals, set_output, sha256_file, summary,
)

STAGE = "verify"
DEFAULT_WAIT = 120.0


def wait_listed(index: Index, project: str, filename: str, wait: float) -> tuple[float, str]:
    """Poll the index with backoff until it lists ``filename``; return the seconds waited
    and the file's URL."""
    start = time.monotonic()
    delay = 0.5
    while (link := index.find(project, filename)) is None:
        waited = time.monotonic() - start
        if waited >= wait:
            raise PipelineError(
                f"{index.project_url(project)} still does not list {filename} after {wait:.0f} s.",
                "Was it published to a repository this index includes? A group index "
                "may lag its members: raise --wait.",
            )
        time.sleep(min(delay, wait - waited))
        delay = min(delay * 2, 10.0)
    return time.monotonic() - start, link.url


# --- Pythons -------------------------------------------------------------------------------

def find_pythons(wanted: list[str]) -> list[str]:
    """Interpreters for ``wanted`` (versions such as ``3.12``, or paths); by default every
    supported version found on this machine, this interpreter's first."""
    if wanted:
        found = []
        for item in wanted:
            python = locate(item)
            if python is None:
                raise PipelineError(f"No Python {item} on this machine to verify with.",
                                    "Install it (actions/setup-python accepts several versions), "
                                    "or leave it out of --python.")
            found.append(python)
        return found
    versions = [RUNNING_PYTHON, *(v for v in SUPPORTED_PYTHONS if v != RUNNING_PYTHON)]
    return [python for v in versions if (python := locate(v)) is not None]


def locate(item: str) -> str | None:
    """The interpreter for a version (``3.12``) or a path; None when this machine has none."""
    if os.sep in item or os.path.isfile(item):
        return item if os.access(item, os.X_OK) else None
    if item == RUNNING_PYTHON:
        return sys.executable
    candidates = [shutil.which(f"python{item}")]
    # pyenv's builds, whichever of them its shims are set to run.
    pyenv = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    candidates += sorted((str(p) for p in pyenv.glob(f"{item}.*/bin/python{item}")), key=_release, reverse=True)
    uv = _venv.find_uv()
    if uv:
        done = subprocess.run([uv, "python", "find", "--no-project", item], capture_output=True, text=True,
                              env=clean_env(UV_PYTHON_DOWNLOADS="never"))
        candidates.append(done.stdout.strip() if done.returncode == 0 else None)
    for candidate in filter(None, candidates):
        done = subprocess.run([candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                              capture_output=True, text=True)
        if done.returncode == 0 and done.stdout.strip() == item:
            return candidate
    return None


def _release(path: str) -> tuple[int, ...]:
    """(3, 12, 1) for .../versions/3.12.1/bin/python3.12."""
    name = Path(path).parent.parent.name
    return tuple(int(part) for part in name.split(".") if part.isdigit())


# --- The check -------------------------------------------------------------------------------

def verify(project: Project, index_url: str, wheel: Path, sha256: str, wait: float,
           pythons: list[str]) -> list[dict]:
    """Run every check; return the evaluation of the installed wheel on each Python."""
    index = Index(index_url)
    waited, url = wait_listed(index, project.name, wheel.name, wait)
    notice(f"{wheel.name} is listed by the index (after {waited:.1f} s)")
    results = []
    with tempfile.TemporaryDirectory(prefix="wheelwright-verify-") as tmp:
        fetched = Path(tmp) / "downloads" / wheel.name
        fetched.parent.mkdir()
        if index.download(url, fetched).sha256 != sha256:
            raise PipelineError(
                f"The repository's {wheel.name} is not the wheel this run built (sha256 differs).",
                "The version was published earlier with other content: bump the version.",
            )
        for number, python in enumerate(pythons):
            # The same place every run, removed after: what the check imports is compiled
            # into the project's bytecode folder once, not again by every run.
            where = project.work / "verify" / f"python-{number}"
            shutil.rmtree(where, ignore_errors=True)
            where.mkdir(parents=True)
            with group(f"Install {wheel.name} from the repository with {python} and score it"):
                try:
                    venv_python = _venv.fresh(where, fetched, python)
                    result = evaluate(venv_python, project.package, project.holdout, cwd=where,
                                      env=model_code_env(project.pycache))
                finally:
                    shutil.rmtree(where, ignore_errors=True)
                if not Path(result["package_file"]).is_relative_to(where):
                    raise PipelineError(f"The check imported {result['package_file']}, not the installed wheel.")
                different = mismatches(result["metrics"], result["recorded"])
                if different:
                    raise PipelineError(
                        f"The installed wheel, on Python {result['python']}, does not reproduce its "
                        f"recorded metrics: {'; '.join(different)}.",
                        "A dependency resolved to a release that changes the model's behaviour: pin it "
                        "in [project] dependencies.",
                    )
                notice(f"Python {result['python']}: predicts the {result['rows']} hold-out rows as recorded")
                results.append(result)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="verify.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--project-dir", default=".", help="the model project (default: .)")
    parser.add_argument("--repository-url", default="",
                        help="the hosted repository's upload URL; its index is this + simple/")
    parser.add_argument("--index-url", default="",
                        help="the simple index to install from instead, e.g. a group: "
                             "https://HOST/repository/pypi-all/simple/")
    parser.add_argument("--wheel", type=Path, required=True, help="the wheel the build stage made")
    parser.add_argument("--wait", type=float, default=DEFAULT_WAIT,
                        help=f"seconds to wait for the index to list the wheel (default: {DEFAULT_WAIT:.0f})")
    parser.add_argument("--python", default="",
                        help="Pythons to verify on, comma-separated versions or paths (default: every "
                             f"supported one this machine has: {', '.join(SUPPORTED_PYTHONS)})")
    args = parser.parse_args(argv)
    on_signals()
    try:
        project = load_project(args.project_dir)
        index_url = args.index_url or (args.repository_url.rstrip("/") + "/simple/" if args.repository_url else "")
        if not index_url:
            raise PipelineError("verify needs --repository-url (its index is that + simple/) or --index-url.",
                                "Pass the repository the wheel was published to.")
        if not args.wheel.is_file():
            raise PipelineError(f"{args.wheel} does not exist.", "Pass the wheel the build stage made.")
        pythons = find_pythons([p.strip() for p in args.python.split(",") if p.strip()])
        with exclusive(project.work / "lock", project.name):
            results = verify(project, index_url, args.wheel, sha256_file(args.wheel), args.wait, pythons)
    except PipelineError as error:
        set_output("verified", "false")
        return fail(STAGE, error)
    metrics = results[0]["metrics"]
    versions = [r["python"] for r in results]
    notice(f"installed {args.wheel.name} predicts the {results[0]['rows']} hold-out rows on Python "
           f"{', '.join(versions)} at " + ", ".join(f"{k} {v:.4f}" for k, v in sorted(metrics.items())) +
           ", as recorded")
    set_output("verified", "true")
    set_output("pythons", " ".join(versions))
    set_output("metrics", json.dumps(metrics, sort_keys=True))
    rows = "".join(f"| {r['python']} | {r['rows']} | :white_check_mark: as recorded |\n" for r in results)
    summary(f"### Verify `{args.wheel.name}`\n\n| Python | hold-out rows | metrics |\n|---|---:|---|\n{rows}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
