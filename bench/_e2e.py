"""End to end: the warm ``make pipeline`` against the textbook sequence (``baseline.sh``).

Both run on a snapshot of this work tree made into a git repository of its own (so that
the commit's time, and with it every built byte, stays the same between runs), and both
publish to the same pypiserver packages folder. The pipeline's runs are ``make
pipeline`` with the repository's ``.venv``; the baseline's run in a virtual environment of
their own, installed once from the lock. One untimed cold run of each fills the caches;
then warm runs alternate, pipeline then baseline, so that drift hits both alike.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from _measure import CommandFailed, Sample, measure, median

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
#: The pipeline's stages, in the order they run, and the baseline step each compares with.
STAGES = ("pin", "preflight", "train", "test", "build", "publish", "verify")
BASELINE_STEPS = ("lock", "install", "train", "test", "build", "publish", "verify")
PAIRS = {"pin": "lock", "train": "train", "test": "test", "build": "build",
         "publish": "publish", "verify": "verify"}
STAGE_LINE = re.compile(r"^=== (\w+): ok in ([\d.]+) s$", re.M)
STEP_LINE = re.compile(r"^bench-step (\w+) ([\d.]+) ([\d.]+)$", re.M)
SNAPSHOT_EPOCH = "1700000000"
PROJECT = "model"


@dataclass
class Runs:
    """Per-stage seconds and total seconds of each warm run."""

    stages: dict[str, list[float]] = field(default_factory=dict)
    totals: list[float] = field(default_factory=list)
    cold: float = 0.0

    def add(self, total: float, stages: dict[str, float]) -> None:
        self.totals.append(total)
        for name, seconds in stages.items():
            self.stages.setdefault(name, []).append(seconds)

    def medians(self) -> dict[str, float]:
        return {name: median(values) for name, values in self.stages.items()}


def snapshot(dest: Path) -> Path:
    """Copy the work tree as a clone would hold it (tracked and unignored files), and commit it."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file() and not name.startswith("bench/results/"):
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    env = {**os.environ, "GIT_AUTHOR_DATE": f"@{SNAPSHOT_EPOCH}", "GIT_COMMITTER_DATE": f"@{SNAPSHOT_EPOCH}"}
    for argv in (["git", "init", "-q"], ["git", "add", "-A"],
                 ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost",
                  "commit", "-q", "-m", "benchmark snapshot"]):
        subprocess.run(argv, cwd=dest, env=env, check=True, capture_output=True)
    return dest


def uv_sources() -> tuple[list[str], dict[str, str]]:
    """uv's flags for the package sources pip is configured with (the stages' translation)."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import _venv
    finally:
        sys.path.pop(0)
    return _venv.uv_options(_venv.pip_config(dict(os.environ)))


def without_nexus() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("NEXUS_", "TWINE_", "GITHUB_"))}


class EndToEnd:
    def __init__(self, work: Path, log) -> None:  # type: ignore[no-untyped-def]
        self.work = work
        self.log = log
        self.venv = ROOT / ".venv"
        self.pipeline_clone = work / "pipeline"
        self.baseline_clone = work / "textbook"
        self.registry = self.pipeline_clone / ".registry"  # the pipeline's own, shared
        self.baseline_venv = work / "baseline-venv"
        self.baseline_runs = 0
        self.pipeline = Runs()
        self.baseline = Runs()

    # -- setup --

    def prepare(self) -> None:
        if self.work.exists():
            shutil.rmtree(self.work)
        self.work.mkdir(parents=True)
        snapshot(self.pipeline_clone)
        snapshot(self.baseline_clone)
        self.log(f"snapshots of the work tree in {self.work}")
        # Setup, not measured: uv only makes it quicker. Bytecode is compiled, as pip would.
        uv = self.venv / "bin" / "uv"
        measure([uv, "venv", "--quiet", "--seed", "--python", sys.executable, self.baseline_venv],
                cwd=self.work)
        options, extra_env = uv_sources()
        measure([uv, "pip", "install", "--quiet", "--compile-bytecode", "--python",
                 self.baseline_venv / "bin" / "python", *options, "-r", ROOT / "requirements.txt"],
                cwd=self.work, env={**extra_env, **os.environ})
        self.log("baseline venv installed from the lock")

    # -- one run of each --

    def run_pipeline(self) -> tuple[float, dict[str, float]]:
        sample = measure(["make", "pipeline", f"VENV={self.venv}", f"PROJECT={PROJECT}"],
                         cwd=self.pipeline_clone, env=without_nexus())
        stages = {name: float(seconds) for name, seconds in STAGE_LINE.findall(sample.output)}
        missing = [name for name in STAGES if name not in stages]
        if missing:
            raise CommandFailed(f"make pipeline printed no time for {missing}:\n{sample.output[-2000:]}")
        if "already present (identical)" not in sample.output and self.pipeline.cold:
            raise CommandFailed("the warm pipeline did not find its wheel already published:\n"
                                + sample.output[-2000:])
        return sample.seconds, stages

    def run_baseline(self) -> tuple[float, dict[str, float]]:
        sys.path.insert(0, str(self.pipeline_clone / "scripts"))
        try:
            import registry
        finally:
            sys.path.pop(0)
        self.baseline_runs += 1
        version = f"1.2.0.dev{self.baseline_runs}"
        run_dir = self.work / f"baseline-run-{self.baseline_runs}"
        password = secrets.token_urlsafe(18)
        bin_dir = self.baseline_venv / "bin"
        with registry.serve(self.registry, username="textbook", password=password) as reg:
            env = {
                **without_nexus(),
                "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
                "VIRTUAL_ENV": str(self.baseline_venv),
                "VERSION": version,
                "REPOSITORY_URL": reg.upload_url,
                "INDEX_URL": reg.index_url,
                "TWINE_USERNAME": "textbook",
                "TWINE_PASSWORD": password,
            }
            sample = measure(["bash", BENCH / "baseline.sh", self.baseline_clone / "requirements.in",
                              self.baseline_clone / PROJECT, run_dir], cwd=self.baseline_clone, env=env)
        steps = {name: float(end) - float(start) for name, start, end in STEP_LINE.findall(sample.output)}
        missing = [name for name in BASELINE_STEPS if name not in steps]
        if missing:
            raise CommandFailed(f"baseline.sh printed no time for {missing}:\n{sample.output[-2000:]}")
        shutil.rmtree(run_dir, ignore_errors=True)
        return sample.seconds, steps

    # -- the whole comparison --

    def run(self, pipeline_runs: int, baseline_runs: int) -> None:
        self.prepare()
        seconds, _ = self.run_pipeline()
        self.pipeline.cold = seconds
        self.log(f"pipeline, cold: {seconds:.1f} s")
        seconds, _ = self.run_baseline()
        self.baseline.cold = seconds
        self.log(f"baseline, cold: {seconds:.1f} s")
        # Alternate while both have runs left, so that drift hits both alike.
        done_p = done_b = 0
        while done_p < pipeline_runs or done_b < baseline_runs:
            if done_p < pipeline_runs:
                total, stages = self.run_pipeline()
                self.pipeline.add(total, stages)
                done_p += 1
                self.log(f"pipeline, warm run {done_p}/{pipeline_runs}: {total:.1f} s")
            if done_b < baseline_runs:
                total, steps = self.run_baseline()
                self.baseline.add(total, steps)
                done_b += 1
                self.log(f"baseline, warm run {done_b}/{baseline_runs}: {total:.1f} s")

    def results(self) -> dict:
        pipeline, baseline = self.pipeline.medians(), self.baseline.medians()
        total_p, total_b = median(self.pipeline.totals), median(self.baseline.totals)
        rows = []
        for stage in STAGES:
            step = PAIRS.get(stage)
            rows.append({"pipeline": stage, "baseline": step,
                         "pipeline_s": pipeline[stage],
                         "baseline_s": baseline[step] if step else None})
        rows.insert(1, {"pipeline": None, "baseline": "install", "pipeline_s": None,
                        "baseline_s": baseline["install"]})
        staged_p = sum(pipeline[s] for s in STAGES)
        staged_b = sum(baseline[s] for s in BASELINE_STEPS)
        return {
            "pipeline_runs": len(self.pipeline.totals),
            "baseline_runs": len(self.baseline.totals),
            "rows": rows,
            "pipeline_total": total_p,
            "baseline_total": total_b,
            "pipeline_other": total_p - staged_p,
            "baseline_other": total_b - staged_b,
            "ratio": total_p / total_b,
            # Without the lock: pin --check against pip-compile is most of the difference.
            "ratio_without_lock": (total_p - pipeline["pin"]) / (total_b - baseline["lock"] - baseline["install"]),
            "pipeline_cold": self.pipeline.cold,
            "baseline_cold": self.baseline.cold,
            "pipeline_totals": self.pipeline.totals,
            "baseline_totals": self.baseline.totals,
        }
