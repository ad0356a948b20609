"""Large models: train, build, publish and verify a wheel whose model file is 1 MB to 1 GB.

Two kinds of synthetic model project, written under ``bench/work`` as any user's project
is (a ``pyproject.toml`` and a ``train.py``):

- random bytes (10 MB, 100 MB, 1 GB): ``train()`` returns a real scikit-learn estimator
  (a ``DummyClassifier`` on four rows) carrying an incompressible array of random bytes
  of the size asked for, so the model file, the wheel and the upload really are that big;
- a realistic model (``forest``): ``train()`` fits a ``RandomForestClassifier`` on
  synthetic data (``make_classification``, fixed seeds), whose joblib file is some
  280 MB and deflates to about a sixth, so its wheel is compressed.

The pipeline's own stages do the rest, each timed and its memory sampled:

- train: ``scripts/train.py`` (the project's ``train()``; then the pipeline's dump with
  joblib, the sha256 of the model file, the hold-out scores and the package's assembly);
- build: ``scripts/build.py`` (the wheel from the tree, its contents checked,
  ``twine check``, and the wheel installed alone in a fresh environment and scored);
- publish: ``scripts/publish.py`` to a pypiserver on loopback, into an empty folder;
- verify: ``scripts/verify.py`` against that registry's index, on this Python only:
  the wheel downloaded from the registry and checked byte for byte, installed into a
  fresh environment and scored.

Beside them, once per size and in the benchmark's own process, the floor: what this
machine does with the same bytes and nothing else (``floor``): the model file's sha256
and a zip of it, stored and deflated; one plain HTTP upload of the wheel's bytes to the
same registry (a single multipart POST streamed from disk, with the registry's account,
under a throwaway project name) and one plain download of them (a single GET, to disk).
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
import sys
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from _measure import Sample, measure, median

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
SCRIPTS = ROOT / "scripts"
NAME = "big-model"
PACKAGE = "big_model"
VERSION = "0.1.0"
STAGES = ("train", "build", "publish", "verify")
#: Models up to this size also time build without its install check (``packaging``): the
#: work the build did when issue 12 was filed, for the report's "no slower than" row.
PACKAGING_UP_TO = 10_000_000
# build.build with check_install=False: the pyproject, python -m build, the wheel's
# inspection and twine check, but not the fresh environment that installs and scores it.
PACKAGING = """\
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import _project, build
build.build(_project.load_project(Path(sys.argv[2])), Path(sys.argv[3]), check_install=False)
"""
CHUNK = 1 << 20
#: The floor's throwaway upload: a project of its own, so it never meets the model's.
FLOOR_NAME = "wheelwright_bench_floor"
FOREST = "forest"

PYPROJECT = """\
[project]
name = "big-model"
description = "A synthetic model for wheelwright's benchmarks: {what}."

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

#: 60 fully grown trees on 100,000 noisy rows of 8 features and 4 classes: some 49,000
#: nodes a tree, 96 bytes each (a node, and its value for 4 classes), so about 280 MB,
#: fitted in about 10 s on 2 cores.
FOREST_TRAIN = '''\
"""A realistic large model: a random forest on synthetic data, fully grown trees."""
import pandas as pd
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split

SEED = 0


def train():
    X, y = make_classification(n_samples=120_000, n_features=8, n_informative=5, n_redundant=0,
                               n_classes=4, flip_y=0.3, random_state=SEED)
    X = pd.DataFrame(X, columns=[f"x{{i}}" for i in range(X.shape[1])])
    y = pd.Series(y, name="label").map({{0: "a", 1: "b", 2: "c", 3: "d"}})
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=20_000, random_state=SEED)
    model = RandomForestClassifier(n_estimators={trees}, n_jobs=2, random_state=SEED)
    model.fit(X_train, y_train)
    return model, X_test, y_test
'''
FOREST_TREES = 60


@dataclass(frozen=True)
class Case:
    """One model to run the stages on: ``size`` random bytes, or the forest (size 0)."""

    label: str
    size: int = 0

    @property
    def forest(self) -> bool:
        return self.size == 0


def parse_cases(text: str) -> list[Case]:
    """``10MB,1GB,forest`` -> the cases; sizes in kB, MB or GB (decimal)."""
    cases = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        if item.lower() == FOREST:
            cases.append(Case(FOREST))
            continue
        found = re.fullmatch(r"(\d+)\s*(kB|MB|GB)", item, re.IGNORECASE)
        if not found:
            raise ValueError(f"{item!r} is neither a size such as 10MB or 1GB nor {FOREST!r}")
        number, unit = int(found[1]), found[2].upper().replace("KB", "kB")
        cases.append(Case(f"{number} {unit}", number * {"kB": 10**3, "MB": 10**6, "GB": 10**9}[unit]))
    return cases


@dataclass
class SizeResult:
    label: str
    size: int  # bytes of the model file
    wheel: int = 0  # bytes
    kind: str = "random bytes"
    floor: dict[str, float] = field(default_factory=dict)  # seconds, by operation
    samples: dict[str, list[Sample]] = field(default_factory=dict)

    def summary(self) -> dict:
        out: dict = {"label": self.label, "size": self.size, "wheel": self.wheel, "kind": self.kind,
                     "runs": len(self.samples.get("train", [])), "floor": self.floor, "stages": {}}
        for stage in (*STAGES, "packaging"):
            samples = self.samples.get(stage)
            if not samples:
                continue
            tree = median([s.tree_rss for s in samples])
            out["stages"][stage] = {
                "seconds": median([s.seconds for s in samples]),
                "tree_rss": tree,
                "proc_rss": median([s.proc_rss for s in samples]),
                "tree_rss_max": max(s.tree_rss for s in samples),
                "fraction": tree / self.size,
            }
        return out


def make_project(root: Path, case: Case) -> Path:
    """Write the synthetic project: random bytes a little over ``case.size``, or the forest."""
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    if case.forest:
        what = f"a random forest of {FOREST_TREES} fully grown trees on synthetic data"
        train = FOREST_TRAIN.format(trees=FOREST_TREES)
    else:
        what, train = f"{case.label} of random bytes", TRAIN.format(size=case.size)
    (root / "pyproject.toml").write_text(PYPROJECT.format(what=what, version=VERSION), encoding="utf-8")
    (root / "train.py").write_text(train, encoding="utf-8")
    return root


def local_floor(model: Path, scratch: Path) -> dict[str, float]:
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


class Multipart:
    """A ``file_upload`` form holding ``path``, streamed from disk in 1 MiB chunks.

    No metadata and no digests: only what pypiserver needs to store a file. Its length is
    known up front, so the request carries Content-Length, as publish's does.
    """

    def __init__(self, path: Path, filename: str) -> None:
        self.boundary = secrets.token_hex(16)
        self.content_type = f"multipart/form-data; boundary={self.boundary}"
        self.path = path
        fields = "".join(f'--{self.boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
                         for k, v in ((":action", "file_upload"), ("protocol_version", "1")))
        self.head = (fields + f'--{self.boundary}\r\nContent-Disposition: form-data; name="content"; '
                     f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n').encode()
        self.tail = f"\r\n--{self.boundary}--\r\n".encode()
        self.length = len(self.head) + path.stat().st_size + len(self.tail)

    def __len__(self) -> int:
        return self.length

    def __iter__(self) -> Iterator[bytes]:
        yield self.head
        with self.path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                yield chunk
        yield self.tail


def http_floor(wheel: Path, upload_url: str, auth: tuple[str, str], scratch: Path) -> dict[str, float]:
    """Seconds one plain upload of ``wheel``'s bytes to the registry takes, and one download."""
    import requests

    filename = f"{FLOOR_NAME}-0.0.{secrets.randbelow(10**9)}-py3-none-any.whl"
    body = Multipart(wheel, filename)
    timings = {}
    with requests.Session() as http:
        started = time.perf_counter()
        answer = http.post(upload_url, data=body, auth=auth, headers={"Content-Type": body.content_type})
        timings["http upload"] = time.perf_counter() - started
        if answer.status_code != 200:
            raise RuntimeError(f"the floor's upload got {answer.status_code} {answer.reason}: {answer.text[:500]}")
        target = scratch / filename
        started = time.perf_counter()
        with http.get(f"{upload_url}packages/{filename}", stream=True) as answer, target.open("wb") as out:
            answer.raise_for_status()
            for chunk in answer.iter_content(CHUNK):
                out.write(chunk)
        timings["http download"] = time.perf_counter() - started
    received = target.stat().st_size
    target.unlink()
    if received != wheel.stat().st_size:
        raise RuntimeError(f"the floor's download got {received} bytes, not {wheel.stat().st_size}")
    return timings


class LargeModels:
    def __init__(self, work: Path, log) -> None:  # type: ignore[no-untyped-def]
        self.work = work
        self.log = log

    def run(self, cases: list[Case], runs: int) -> list[dict]:
        if self.work.exists():
            shutil.rmtree(self.work)
        self.work.mkdir(parents=True)
        results = []
        for case in cases:
            results.append(self.run_case(case, runs).summary())
            shutil.rmtree(self.work / case.label, ignore_errors=True)  # gigabytes
        return results

    def run_case(self, case: Case, runs: int) -> SizeResult:
        sys.path.insert(0, str(SCRIPTS))
        try:
            import registry
        finally:
            sys.path.pop(0)
        label = case.label
        base = self.work / label
        project = make_project(base / "project", case)
        model = project / ".wheelwright" / "package" / PACKAGE / "model.joblib"
        python = sys.executable
        running = "%d.%d" % sys.version_info[:2]
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("NEXUS_", "TWINE_", "GITHUB_", "WHEELWRIGHT_"))}
        env.setdefault("SOURCE_DATE_EPOCH", "1700000000")  # the project is no git checkout
        result = SizeResult(label, 0, kind="random forest" if case.forest else "random bytes")
        for run in range(1, runs + 1):
            dist = base / "dist"
            shutil.rmtree(dist, ignore_errors=True)
            samples: dict[str, Sample] = {}
            samples["train"] = measure([python, SCRIPTS / "train.py", "--project-dir", project], env=env)
            result.size = model.stat().st_size
            if run == 1:
                result.floor = local_floor(model, base)
            samples["build"] = measure([python, SCRIPTS / "build.py", "--project-dir", project,
                                        "--outdir", dist], env=env)
            wheel = next(dist.glob("*.whl"))
            result.wheel = wheel.stat().st_size
            if not case.forest and case.size <= PACKAGING_UP_TO:
                samples["packaging"] = measure([python, "-c", PACKAGING, SCRIPTS, project, base / "packaging"],
                                               env=env)
                shutil.rmtree(base / "packaging", ignore_errors=True)
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
                # As the pipeline calls it, on this Python only: the index needs no account.
                samples["verify"] = measure(
                    [python, SCRIPTS / "verify.py", "--project-dir", project, "--index-url", reg.index_url,
                     "--wheel", wheel, "--python", running], env=env)
                if run == 1:
                    result.floor |= http_floor(wheel, reg.upload_url, ("bench", password), base)
                    self.log(f"{label}: floor " + ", ".join(f"{k} {v:.2f} s" for k, v in result.floor.items()))
            shutil.rmtree(packages, ignore_errors=True)
            shutil.rmtree(dist, ignore_errors=True)
            for stage, sample in samples.items():
                result.samples.setdefault(stage, []).append(sample)
            self.log(f"{label} run {run}/{runs}: " + ", ".join(
                f"{stage} {s.seconds:.1f} s / {s.tree_rss / 1e6:.0f} MB" for stage, s in samples.items()))
        return result
