"""Large models: train, build and publish a wheel whose model file is 1 MB to 1 GB.

A synthetic model project, written under ``bench/work`` as any user's project is: a
``pyproject.toml`` and a ``train.py``. Its ``train()`` returns a real scikit-learn
estimator (a ``DummyClassifier`` on four rows) carrying an incompressible array of random
bytes of the size asked for, so the model file, the wheel and the upload really are that
big, and the pipeline's own stages do the rest:

- train: ``scripts/train.py`` (the project's ``train()``, which makes the random bytes in
  about a second per gigabyte; then the pipeline's dump with joblib, the sha256 of the
  model file, the hold-out scores and the package's assembly);
- build: ``scripts/build.py`` (the wheel from the tree, its contents checked,
  ``twine check``, and the wheel installed alone in a fresh environment and scored);
- publish: ``scripts/publish.py`` to a pypiserver on loopback, into an empty folder.

Beside them, the floor: what this machine does with the same bytes and nothing else
(``floor``): their sha256, and a zip of them, stored and deflated.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import sys
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from _measure import Sample, measure, median

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
SCRIPTS = ROOT / "scripts"
NAME = "big-model"
PACKAGE = "big_model"
VERSION = "0.1.0"
STAGES = ("train", "build", "publish")
CHUNK = 1 << 20

PYPROJECT = """\
[project]
name = "big-model"
description = "A synthetic model for wheelwright's benchmarks: {label} of random bytes."

[tool.wheelwright]
version = "{version}"
gate = {{ accuracy = 0.0 }}
"""

TRAIN = '''\
"""A model of {size} bytes: a dummy classifier carrying random bytes, made in a second per GB."""
import numpy as np
import pandas as pd
from sklearn.dummy import DummyClassifier

SIZE = {size}


def train():
    X = pd.DataFrame({{"x": [0.0, 1.0, 2.0, 3.0]}})
    y = pd.Series(["a", "b", "a", "b"], name="label")
    model = DummyClassifier(strategy="prior").fit(X, y)
    model.weights_ = np.frombuffer(np.random.default_rng(0).bytes(SIZE), dtype=np.uint8)
    return model, X, y
'''


@dataclass
class SizeResult:
    label: str
    size: int  # bytes of the model file
    wheel: int = 0  # bytes
    floor: dict[str, float] = field(default_factory=dict)  # seconds, by operation
    samples: dict[str, list[Sample]] = field(default_factory=dict)

    def summary(self) -> dict:
        out: dict = {"label": self.label, "size": self.size, "wheel": self.wheel,
                     "runs": len(self.samples.get("train", [])), "floor": self.floor, "stages": {}}
        for stage in STAGES:
            samples = self.samples[stage]
            tree = median([s.tree_rss for s in samples])
            out["stages"][stage] = {
                "seconds": median([s.seconds for s in samples]),
                "tree_rss": tree,
                "proc_rss": median([s.proc_rss for s in samples]),
                "tree_rss_max": max(s.tree_rss for s in samples),
                "fraction": tree / self.size,
            }
        return out


def make_project(root: Path, size: int, label: str) -> Path:
    """Write the synthetic project whose model file is a little over ``size`` bytes."""
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT.format(label=label, version=VERSION), encoding="utf-8")
    (root / "train.py").write_text(TRAIN.format(size=size), encoding="utf-8")
    return root


def floor(model: Path, scratch: Path) -> dict[str, float]:
    """Seconds this machine takes to hash the model file, and to zip it stored and deflated."""
    timings = {}
    started = time.perf_counter()
    digest = hashlib.sha256()
    with model.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    timings["sha256"] = time.perf_counter() - started
    for operation, method in (("zip stored", zipfile.ZIP_STORED), ("zip deflated", zipfile.ZIP_DEFLATED)):
        target = scratch / f"{operation.replace(' ', '-')}.zip"
        started = time.perf_counter()
        with zipfile.ZipFile(target, "w", compression=method) as archive:
            with model.open("rb") as source, archive.open(model.name, "w", force_zip64=True) as sink:
                shutil.copyfileobj(source, sink, CHUNK)
        timings[operation] = time.perf_counter() - started
        target.unlink()
    return timings


class LargeModels:
    def __init__(self, work: Path, log) -> None:  # type: ignore[no-untyped-def]
        self.work = work
        self.log = log

    def run(self, sizes: list[tuple[str, int]], runs: int) -> list[dict]:
        if self.work.exists():
            shutil.rmtree(self.work)
        self.work.mkdir(parents=True)
        results = []
        for label, size in sizes:
            results.append(self.run_size(label, size, runs).summary())
            shutil.rmtree(self.work / label, ignore_errors=True)  # gigabytes
        return results

    def run_size(self, label: str, size: int, runs: int) -> SizeResult:
        sys.path.insert(0, str(SCRIPTS))
        try:
            import registry
        finally:
            sys.path.pop(0)
        base = self.work / label
        project = make_project(base / "project", size, label)
        model = project / ".wheelwright" / "package" / PACKAGE / "model.joblib"
        python = sys.executable
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("NEXUS_", "TWINE_", "GITHUB_", "WHEELWRIGHT_"))}
        env.setdefault("SOURCE_DATE_EPOCH", "1700000000")  # the project is no git checkout
        result = SizeResult(label, 0)
        for run in range(1, runs + 1):
            dist = base / "dist"
            shutil.rmtree(dist, ignore_errors=True)
            samples: dict[str, Sample] = {}
            samples["train"] = measure([python, SCRIPTS / "train.py", "--project-dir", project], env=env)
            result.size = model.stat().st_size
            if run == 1:
                result.floor = floor(model, base)
                self.log(f"{label}: floor " + ", ".join(f"{k} {v:.1f} s" for k, v in result.floor.items()))
            samples["build"] = measure([python, SCRIPTS / "build.py", "--project-dir", project,
                                        "--outdir", dist], env=env)
            result.wheel = next(dist.glob("*.whl")).stat().st_size
            packages = base / "registry"
            shutil.rmtree(packages, ignore_errors=True)
            password = secrets.token_urlsafe(18)
            with registry.serve(packages, username="bench", password=password) as reg:
                samples["publish"] = measure(
                    [python, SCRIPTS / "publish.py", "--repository-url", reg.upload_url,
                     "--name", NAME, "--version", VERSION, "--dist", dist],
                    env={**env, "NEXUS_USERNAME": "bench", "NEXUS_PASSWORD": password})
            if "uploaded" not in samples["publish"].output:
                raise RuntimeError(f"publish did not upload:\n{samples['publish'].output[-2000:]}")
            shutil.rmtree(packages, ignore_errors=True)
            shutil.rmtree(dist, ignore_errors=True)
            for stage, sample in samples.items():
                result.samples.setdefault(stage, []).append(sample)
            self.log(f"{label} run {run}/{runs}: " + ", ".join(
                f"{stage} {s.seconds:.1f} s / {s.tree_rss / 1e6:.0f} MB" for stage, s in samples.items()))
        return result
