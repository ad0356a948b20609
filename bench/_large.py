"""Large models: hash, build and publish a wheel whose model file is 10 MB, 100 MB or 1 GB.

A synthetic model project, made under ``bench/work``, shaped like the example one: the
same ``[tool.wheelwright]`` table, the same hatchling metadata hook (``model/hatch_build.py``,
copied as it is), the model, manifest and card shipped as build artifacts, in the wheel
and in the sdist. Its model is a dict holding an incompressible random byte array,
saved with joblib, so the wheel really is that big.

The model is made once per size, before anything is measured; the project's own training
script then only re-stamps the version, so that the three stages measured are the
pipeline's work on a large file:

- hash: ``scripts/train.py`` (the training script, a no-op here, then the check that the
  model file hashes to the manifest's sha256);
- build: ``scripts/build.py`` (``python -m build``: sdist, then the wheel from it; the
  wheel's contents and hash checked; ``twine check``);
- publish: ``scripts/publish.py`` to a pypiserver on loopback, into an empty folder.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from _measure import Sample, measure, median

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
SCRIPTS = ROOT / "scripts"
PACKAGE = "big_model"
VERSION = "0.1.0"
STAGES = ("hash", "build", "publish")

PYPROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "big-model"
description = "A synthetic model for wheelwright's benchmarks: random bytes, {size} of them."
readme = "src/big_model/MODEL_CARD.md"
requires-python = ">=3.11"
dynamic = ["version", "dependencies"]

[tool.wheelwright]
package = "big_model"
version = "{version}"
train = "train.py"
model = "src/big_model/model.joblib"
manifest = "src/big_model/manifest.json"
holdout = "artifacts/holdout.csv"
metric = "accuracy"
min-score = 0.0

[tool.hatch.metadata.hooks.custom]
path = "hatch_build.py"

[tool.hatch.build]
artifacts = [
    "src/big_model/model.joblib",
    "src/big_model/manifest.json",
    "src/big_model/MODEL_CARD.md",
]

[tool.hatch.build.targets.sdist]
include = ["/src", "/hatch_build.py", "/train.py"]

[tool.hatch.build.targets.wheel]
packages = ["src/big_model"]
"""

# Training already happened (the model is made before measuring): re-stamp the version only.
TRAIN = '''\
"""Record the version asked for in the manifest; the model itself was made beforehand."""
import json
import os
from pathlib import Path

here = Path(__file__).resolve().parent
manifest_path = here / "src" / "big_model" / "manifest.json"
manifest = json.loads(manifest_path.read_text())
manifest["version"] = os.environ.get("WHEELWRIGHT_VERSION") or manifest["version"]
manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\\n")
'''


@dataclass
class SizeResult:
    label: str
    size: int  # bytes of the model file
    wheel: int = 0  # bytes
    samples: dict[str, list[Sample]] = field(default_factory=dict)

    def summary(self) -> dict:
        out: dict = {"label": self.label, "size": self.size, "wheel": self.wheel,
                     "runs": len(self.samples.get("hash", [])), "stages": {}}
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
    """Write the synthetic project with a trained model of ``size`` bytes (not measured)."""
    import joblib
    import numpy as np

    if root.exists():
        shutil.rmtree(root)
    package = root / "src" / PACKAGE
    package.mkdir(parents=True)
    (root / "artifacts").mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT.format(size=label, version=VERSION))
    shutil.copy(ROOT / "model" / "hatch_build.py", root / "hatch_build.py")
    (root / "train.py").write_text(TRAIN)
    (package / "__init__.py").write_text('"""A synthetic model: random bytes."""\n')
    weights = np.frombuffer(np.random.default_rng(0).bytes(size), dtype=np.uint8)
    model = package / "model.joblib"
    joblib.dump({"weights": weights}, model)
    del weights
    sys.path.insert(0, str(SCRIPTS))
    try:
        from _wheelwright import sha256_file
    finally:
        sys.path.pop(0)
    versions = {"scikit-learn": _version("scikit-learn"), "numpy": np.__version__,
                "joblib": joblib.__version__}
    manifest = {"version": VERSION, "sha256": sha256_file(model), "versions": versions,
                "metrics": {"accuracy": 1.0}, "classes": ["a", "b"]}
    (package / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    (package / "MODEL_CARD.md").write_text(textwrap.dedent(f"""\
        # big-model {VERSION}

        A synthetic model for benchmarks: {label} of random bytes. Not a model of anything.
        """))
    (root / "artifacts" / "holdout.csv").write_text("x,target\n0,a\n")
    return root


def _version(distribution: str) -> str:
    from importlib.metadata import version

    return version(distribution)


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
        self.log(f"{label}: synthetic project made ({(project / 'src' / PACKAGE / 'model.joblib').stat().st_size:,} bytes of model)")
        result = SizeResult(label, (project / "src" / PACKAGE / "model.joblib").stat().st_size)
        python = sys.executable
        env = {k: v for k, v in os.environ.items() if not k.startswith(("NEXUS_", "TWINE_", "GITHUB_"))}
        for run in range(1, runs + 1):
            dist = base / "dist"
            shutil.rmtree(dist, ignore_errors=True)
            samples: dict[str, Sample] = {}
            samples["hash"] = measure([python, SCRIPTS / "train.py", "--project-dir", project,
                                       "--version", VERSION], env=env)
            samples["build"] = measure([python, SCRIPTS / "build.py", "--project-dir", project,
                                        "--outdir", dist], env=env)
            wheel = next(dist.glob("*.whl"))
            sdist = next(dist.glob("*.tar.gz"))
            result.wheel = wheel.stat().st_size
            packages = base / "registry"
            shutil.rmtree(packages, ignore_errors=True)
            password = secrets.token_urlsafe(18)
            with registry.serve(packages, username="bench", password=password) as reg:
                samples["publish"] = measure(
                    [python, SCRIPTS / "publish.py", "--repository-url", reg.upload_url, wheel, sdist],
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
