"""Each job's install time: the reusable workflow under act, with real installs.

The reusable workflow runs on the example model under act (tests/actions/act.py), with the
setup-python double in its fresh mode (``SETUP_PYTHON_DOUBLE_FRESH``): every job gets an
empty virtual environment of the workflow's Python, with pip, and installs its lock for
real, from pip's warm cache. It publishes to pypiserver on loopback (the same bytes each
run: the second and later runs find them already there). One untimed run warms the
caches; then each timed run's step durations are read from act's log.

The reference is what every job installed before the actions were split: the whole
development lock (``requirements.txt``), with bytecode, into a fresh environment of the
same Python, from the same warm cache, once before each workflow run: the two alternate,
so that a busy machine slows both alike and the ratio the target is about holds.

Reported per job: the lock it installs and its size, the median install step, the median
set-up of Python (the double's ``venv``: a hosted runner's toolcache is faster), and the
rest of the job. The jobs whose environment imports no model library (all but build)
install without bytecode (``--no-compile``); build compiles it, because the model's
processes run without writing any.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import sys
from datetime import datetime, timezone
from pathlib import Path

from _measure import CommandFailed, measure, median

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORKFLOW = ROOT / ".github" / "workflows" / "model-pipeline.yml"
#: The workflow's jobs as act names them, the lock each installs, and the targets:
#: an install under 10 s for the jobs that hold credentials, at most half the whole
#: lock's install for the ones that run the model.
JOBS = (
    ("version", "Decide the version", "requirements/publish.txt"),
    ("preflight", "Check the repository answers", "requirements/publish.txt"),
    ("build", "Train, test and build", "requirements/stages.txt"),
    ("publish", "Publish", "requirements/publish.txt"),
    ("verify", "Verify the published wheel", "requirements/stages.txt"),
)
SECRET_JOBS_LIMIT = 10.0
MODEL_JOBS_RATIO = 0.5
STEP = re.compile(r"^\[(?P<job>[^\]]*?)\s*\]\s+✅  Success - Main (?P<step>.+?) \[(?P<took>[0-9.hmµns]+)\]$", re.M)
DURATION = re.compile(r"([0-9.]+)(h|ms|µs|us|ns|m|s)")
UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "µs": 1e-6, "us": 1e-6, "ns": 1e-9}


def seconds(go_duration: str) -> float:
    """A Go duration as act prints it (``1m2.5s``, ``350.2ms``) in seconds."""
    return sum(float(number) * UNITS[unit] for number, unit in DURATION.findall(go_duration))


def packages(lock: Path) -> int:
    """How many distributions ``lock`` pins: the table's measure of what a job installs."""
    return len({line.split("==")[0] for line in lock.read_text(encoding="utf-8").splitlines()
                if re.match(r"^[A-Za-z0-9]", line)})


def top_level_steps() -> dict[str, list[str]]:
    """Each job's own steps (the workflow's, not the actions' inner ones), by job id."""
    from ruamel.yaml import YAML

    jobs = YAML(typ="safe").load(WORKFLOW.read_text(encoding="utf-8"))["jobs"]
    return {job_id: [step["name"] for step in job["steps"]] for job_id, job in jobs.items()}


def job_times(log: str) -> dict[str, dict[str, float]]:
    """From one run's log: each job's install, Python set-up and total step time."""
    durations: dict[tuple[str, str], float] = {}
    for match in STEP.finditer(log):
        job = match["job"].rsplit("/", 1)[-1]
        key = (job, match["step"])
        # An action's step may share its name with the workflow's step that wraps it.
        durations[key] = max(durations.get(key, 0.0), seconds(match["took"]))
    own = top_level_steps()
    times = {}
    for job_id, name, _ in JOBS:
        steps = {step: took for (job, step), took in durations.items() if job == name}
        install = sum(took for step, took in steps.items() if re.fullmatch(r"Install the \w+ lock", step))
        setup = sum(took for step, took in steps.items() if step.startswith("Set up Python"))
        total = sum(steps.get(step, 0.0) for step in own[job_id])
        if not install:
            raise CommandFailed(f"no install step timed for the job {name!r} in act's log")
        times[job_id] = {"install": install, "setup": setup, "total": total}
    return times


class Jobs:
    """The section: scratch files under ``work`` (emptied first and last), progress to ``log``."""

    def __init__(self, work: Path, log) -> None:  # type: ignore[no-untyped-def]
        self.work = work
        self.log = log

    def full_lock_install(self, python: str) -> float:
        """A fresh environment of ``python`` and ``pip install -r requirements.txt``, as every
        job did before the split: the seconds pip takes."""
        venv = self.work / "whole-lock"
        shutil.rmtree(venv, ignore_errors=True)
        measure([python, "-m", "venv", venv])
        sample = measure([venv / "bin" / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                          "--require-hashes", "--no-deps", "-r", ROOT / "requirements.txt"])
        shutil.rmtree(venv, ignore_errors=True)
        return sample.seconds

    def run(self, runs: int) -> dict:
        """One untimed round, then ``runs`` timed ones; the medians, for results.json. A
        round installs the whole lock, then runs the workflow: the two alternate, so that
        whatever else this machine is doing slows both alike."""
        sys.path[:0] = [str(ROOT / "tests" / "actions"), str(ROOT / "scripts")]
        import act as act_module
        import registry
        import verify
        from _wheelwright import SUPPORTED_PYTHONS

        if self.work.exists():
            shutil.rmtree(self.work)
        self.work.mkdir(parents=True)
        python_version = SUPPORTED_PYTHONS[-1]  # the workflow's default
        python = verify.locate(python_version)  # PATH, then pyenv's builds
        if python is None:
            raise CommandFailed(f"the jobs section needs Python {python_version} (on PATH or pyenv's)")
        act = act_module.Act(self.work / "act")
        snapshot = act.repository(act_module.WHEELWRIGHT, ROOT)
        act_module.commit_all(snapshot, "snapshot of the work tree for the benchmark")
        username, password = "bench", secrets.token_urlsafe(18)
        whole: list[float] = []
        samples: list[dict[str, dict[str, float]]] = []
        load: list[float] = []  # what else the machine was doing: the table says it
        with registry.serve(self.work / "packages", username=username, password=password) as reg:
            for number in range(runs + 1):
                took = self.full_lock_install(python)
                shutil.rmtree(act.artifacts, ignore_errors=True)  # act numbers every run 1
                done = act.run(["workflow_dispatch", "-W", ".github/workflows/model-pipeline.yml",
                                "--input", "project-dir=model", "--input", "publish=true"],
                               workdir=snapshot, local_repositories=act_module.snapshot_actions(snapshot),
                               secrets={"NEXUS_URL": reg.upload_url, "NEXUS_USERNAME": username,
                                        "NEXUS_PASSWORD": password},
                               doubles={"SETUP_PYTHON_DOUBLE_FRESH": "1"}, timeout=1800)
                if done.returncode != 0:
                    raise CommandFailed(f"the workflow failed under act:\n{done.output[-4000:]}")
                if number:  # the first round only warms the caches
                    whole.append(took)
                    samples.append(job_times(done.output))
                    load.append(os.getloadavg()[1])  # the last 5 minutes: about one round
                self.log(f"jobs: round {number + 1} of {runs + 1} done (the whole lock, then the workflow)"
                         + ("" if number else ", untimed"))
        shutil.rmtree(self.work, ignore_errors=True)
        return {
            "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "python": python_version,
            "runs": runs,
            "baseline_runs": runs,
            "load": median(load),
            "cores": os.cpu_count(),
            "whole_lock": median(whole),
            "whole_lock_packages": packages(ROOT / "requirements.txt"),
            "jobs": [{"job": job_id, "lock": lock, "packages": packages(ROOT / lock),
                      **{key: median([s[job_id][key] for s in samples]) for key in ("install", "setup", "total")}}
                     for job_id, _, lock in JOBS],
        }


# --- The report's part -----------------------------------------------------------------------

def targets(jobs: dict | None) -> list[tuple[str, str, str]]:
    if not jobs:
        return []
    by = {entry["job"]: entry for entry in jobs["jobs"]}
    limit = jobs["whole_lock"] * MODEL_JOBS_RATIO
    secret = max(by["preflight"]["install"], by["publish"]["install"])
    model = max(by["build"]["install"], by["verify"]["install"])
    return [
        (f"preflight and publish install in under {SECRET_JOBS_LIMIT:.0f} s (warm cache)",
         f"{by['preflight']['install']:.1f} s and {by['publish']['install']:.1f} s",
         "**met**" if secret < SECRET_JOBS_LIMIT else "**missed**"),
        ("build and verify install in at most half the whole lock's time",
         f"{by['build']['install']:.1f} s and {by['verify']['install']:.1f} s vs {jobs['whole_lock']:.1f} s: "
         f"ratio {model / jobs['whole_lock']:.2f}", "**met**" if model <= limit else "**missed**"),
    ]


def table(jobs: dict) -> list[str]:
    lines = [
        "## 4. Each job's install, under act",
        "",
        f"Measured {jobs['date']}. The reusable workflow on `model/`, publishing to pypiserver on "
        "loopback, under act with "
        f"real installs into fresh Python {jobs['python']} environments from pip's warm cache: "
        f"medians of {jobs['runs']} runs after an untimed one. Before the split, every job installed "
        f"the whole development lock ({jobs['whole_lock_packages']} packages, with bytecode): "
        f"**{jobs['whole_lock']:.1f} s** here (median of {jobs['baseline_runs']}, alternating with the runs). "
        "Every job now installs without bytecode: build's model processes compile what they "
        "import once, into the project's `.wheelwright/pycache`, and the other jobs import no "
        "model library from their environment. Python's set-up is the test double's `venv`; a "
        "hosted runner takes it from its toolcache. The whole job is the sum of its steps.",
        "",
        *([f"The machine's load average over the timed runs: {jobs['load']:.1f} on "
           f"{jobs['cores']} cores (other work shares them; the medians and the alternation damp "
           "it, they do not remove it).", ""] if "load" in jobs else []),
        "| job | lock | packages | install | set up Python | whole job |",
        "|---|---|---:|---:|---:|---:|",
        *(f"| {e['job']} | `{e['lock']}` | {e['packages']} | {e['install']:.1f} s | {e['setup']:.1f} s | "
          f"{e['total']:.1f} s |" for e in jobs["jobs"]),
        "",
    ]
    return lines


def chart(ax, jobs: dict) -> None:  # type: ignore[no-untyped-def]
    """One bar per job (its install), the whole lock's install as the reference line."""
    names = [entry["job"] for entry in jobs["jobs"]]
    installs = [entry["install"] for entry in jobs["jobs"]]
    limits = [SECRET_JOBS_LIMIT if name in ("preflight", "publish") else jobs["whole_lock"] * MODEL_JOBS_RATIO
              if name in ("build", "verify") else None for name in names]
    colours = ["#55a868" if limit is None or took <= limit else "#c44e52" for took, limit in zip(installs, limits)]
    ax.bar(range(len(names)), installs, color=colours)
    for x, (took, limit) in enumerate(zip(installs, limits)):
        ax.text(x, took, f"{took:.1f} s", ha="center", va="bottom", fontsize=9)
        if limit:
            ax.hlines(limit, x - 0.4, x + 0.4, colors="black", linestyles="--", linewidth=1)
    ax.axhline(jobs["whole_lock"], color="#888888", linewidth=0.8)
    ax.text(len(names) - 0.5, jobs["whole_lock"], f"whole dev lock {jobs['whole_lock']:.0f} s", color="#555555",
            ha="right", va="bottom", fontsize=8)
    ax.set_xticks(range(len(names)), names)
    ax.set_ylabel("install step, seconds (median; dashes: target)")
    ax.set_ylim(0, jobs["whole_lock"] * 1.2)
    ax.set_title("4. Each job's install under act (warm pip cache)", fontsize=10)
