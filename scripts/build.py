"""build: build the wheel from the assembled package, and prove it works installed alone.

The build tree is ``.wheelwright/package/``, which the train stage assembled; this stage
writes its ``pyproject.toml`` (the project's metadata, the version training recorded,
and a pin for every library the model's pickle needs) and builds the wheel straight from
it with pypa/build and hatchling, without isolation (the backend is the one the lock
pins) and with ``SOURCE_DATE_EPOCH``, so the same commit gives the same bytes. A file
that deflate cannot shrink (a model of dense float weights) is stored, not deflated: the
rule is ``_package.stored_members``, applied by the backend wrapper ``_backend.py``. No
project code runs while building. Then the wheel must hold the model with the sha256 the
manifest records, pass ``twine check --strict``, and — installed alone into a fresh
environment, with only the dependencies it declares — load, predict and reproduce every
recorded metric, so that a dependency missing from its metadata stops the run here,
before anything is published. An sdist is built only when asked for (``--sdist``): it
could only repackage the same pickled model, and nobody can retrain from it.
"""

from __future__ import annotations

import argparse
import email.parser
import hashlib
import json
import re
import shutil
import sys
import tempfile
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import _package
import _venv
from _evaluation import evaluate, mismatches
from _progress import Progress
from _project import Project, load_project
from _wheelwright import (
    PipelineError, clean_env, exclusive, fail, group, model_code_env, notice, on_signals, run, set_output,
    sha256_file, source_date_epoch, summary,
)

STAGE = "build"
#: Building and checking a wheel of a few GB takes minutes; this long means a hang.
TIMEOUT = 30 * 60.0


@dataclass(frozen=True)
class Built:
    wheel: Path
    sdist: Path | None
    version: str
    sha256: str


def build(project: Project, outdir: Path, *, sdist: bool = False, check_install: bool = True) -> Built:
    """Build ``project``'s wheel into ``outdir``; raise unless it is what we promise."""
    manifest = read_manifest(project)
    stored = _package.stored_members(project)
    (project.build_root / "pyproject.toml").write_text(_package.pyproject(project, manifest, stored),
                                                      encoding="utf-8")
    shutil.copy(_package.BACKEND, project.build_root / _package.BACKEND.name)
    env = model_code_env(project.pycache, SOURCE_DATE_EPOCH=source_date_epoch(project.root))
    if outdir.resolve() == project.dist.resolve() and outdir.is_dir():
        shutil.rmtree(outdir)  # the project's own: nothing from an earlier build may stay beside it
    with tempfile.TemporaryDirectory(prefix="wheelwright-build-") as tmp:
        kinds = ["--wheel", *(["--sdist"] if sdist else [])]
        for kind in kinds:  # each from the tree: no sdist round trip for the wheel
            # The backend writes the archive under TMPDIR, where its growth shows progress.
            scratch = Path(tmp) / f"backend{kind}"
            scratch.mkdir()
            with Progress(f"writing the {kind[2:]}", expected_size(project, stored)) as progress, \
                    watching(scratch, progress):
                run([sys.executable, "-m", "build", "--no-isolation", kind, "--outdir", tmp, project.build_root],
                    env={**env, "TMPDIR": str(scratch)}, what=f"python -m build {kind}",
                    hint="The build backend's message is above.", timeout=TIMEOUT)
                built_files = Path(tmp).glob("*.whl" if kind == "--wheel" else "*.tar.gz")
                progress.update(sum(path.stat().st_size for path in built_files))
        wheel = _one(Path(tmp), "*.whl")
        built_sdist = _one(Path(tmp), "*.tar.gz") if sdist else None
        inspect_wheel(project, wheel, manifest)
        run([sys.executable, "-m", "twine", "check", "--strict", wheel, *([built_sdist] if built_sdist else [])],
            env=env, capture=True, what="twine check --strict", timeout=TIMEOUT,
            hint="Fix the model card template: it is the package's long description and must render.")
        if check_install:
            check_alone(project, wheel, manifest)
        outdir.mkdir(parents=True, exist_ok=True)
        placed = []
        for path in (wheel, built_sdist):
            if path is not None:
                target = outdir / path.name
                target.unlink(missing_ok=True)
                shutil.move(path, target)
                placed.append(target)
    return Built(placed[0], placed[1] if sdist else None, manifest["version"], sha256_file(placed[0]))


def expected_size(project: Project, stored: list[str]) -> int | None:
    """About the wheel's size, when its large files are all stored; else None (unknown)."""
    files = [p for p in project.package_dir.rglob("*") if p.is_file()]
    large = {p.relative_to(project.build_root).as_posix() for p in files if p.stat().st_size >= _package.SAMPLED_FROM}
    if not large <= set(stored):
        return None  # deflated: how much is known only once written
    return sum(p.stat().st_size for p in files)


@contextmanager
def watching(folder: Path, progress: Progress) -> Iterator[None]:
    """Feed ``progress`` the bytes of the archives growing under ``folder``, twice a second."""
    done = threading.Event()

    def poll() -> None:
        most = 0  # once finished, the archive moves out of the folder
        while not done.wait(0.5):
            written = 0
            for path in folder.rglob("*"):
                try:
                    written += path.stat().st_size if path.suffix in (".whl", ".gz") else 0
                except OSError:
                    pass  # renamed or removed as we looked
            if written > most:
                most = written
                progress.update(most)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    try:
        yield
    finally:
        done.set()
        poller.join()


def read_manifest(project: Project) -> dict:
    if not project.manifest.is_file():
        raise PipelineError(f"{project.manifest} does not exist: the model has not been trained.",
                            "Run the train stage first (python scripts/train.py).")
    manifest = json.loads(project.manifest.read_text(encoding="utf-8"))
    if not (project.package_dir / "__init__.py").is_file():
        raise PipelineError(f"{project.package_dir} is not a complete package: training did not finish.",
                            "Run the train stage again.")
    return manifest


def _one(folder: Path, pattern: str) -> Path:
    found = sorted(folder.glob(pattern))
    if len(found) != 1:
        raise PipelineError(f"The build produced {len(found)} files matching {pattern}, not one.")
    return found[0]


def inspect_wheel(project: Project, wheel: Path, manifest: dict) -> None:
    """Raise unless ``wheel`` holds this package's model, manifest and version."""
    package = project.package
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for member in (f"{package}/model.joblib", f"{package}/manifest.json", f"{package}/__init__.py",
                       f"{package}/_runtime/__init__.py", f"{package}/py.typed"):
            if member not in names:
                raise PipelineError(f"{wheel.name} does not contain {member}.",
                                    "The package folder is incomplete: train again.")
        with archive.open(f"{package}/model.joblib") as handle:  # streamed: a model may be large
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
        if digest != manifest["sha256"]:
            raise PipelineError(f"{wheel.name} holds a model whose sha256 is not the manifest's.",
                                "The model changed between training and building: train again.")
        if json.loads(archive.read(f"{package}/manifest.json")) != manifest:
            raise PipelineError(f"{wheel.name} holds another manifest than the one trained.",
                                "Train again, then build.")
        metadata_name = next(n for n in names if re.fullmatch(r"[^/]+\.dist-info/METADATA", n))
        metadata = email.parser.BytesParser().parsebytes(archive.read(metadata_name))
    if metadata["Version"] != manifest["version"]:
        raise PipelineError(f"{wheel.name} has version {metadata['Version']}, the manifest {manifest['version']}.")


def check_alone(project: Project, wheel: Path, manifest: dict) -> None:
    """Install ``wheel`` alone into a fresh environment; it must load, predict and score as recorded.

    The environment is made at the same place every time, ``.wheelwright/installed/``, and
    removed after: what its check imports is compiled into the project's bytecode folder
    once and reused by the next build's (about 4 s here, against 1 s for the environment).
    """
    where = project.work / "installed"
    shutil.rmtree(where, ignore_errors=True)
    where.mkdir(parents=True)
    with group(f"Install {wheel.name} alone into a fresh environment and score it"):
        try:
            python = _venv.fresh(where, wheel)
            result = evaluate(python, project.package, project.holdout, cwd=where,
                              env=model_code_env(project.pycache))
        except PipelineError as error:
            missing = re.search(r"No module named '([^']+)'", error.message)
            if missing:
                raise PipelineError(
                    f"{wheel.name}, installed alone, cannot import {missing[1]!r}: the wheel does not "
                    "declare it as a dependency, so a consumer's install would break too.",
                    f"Add the distribution that provides {missing[1]!r} to [project] dependencies "
                    "in the project's pyproject.toml.",
                ) from None
            raise
        finally:
            shutil.rmtree(where, ignore_errors=True)
        different = mismatches(result["metrics"], manifest["metrics"])
        if different:
            raise PipelineError(
                f"{wheel.name}, installed alone, scores differently from training: {'; '.join(different)}.",
                "A dependency resolved to a release that changes the model's predictions: pin it in "
                "[project] dependencies.",
            )
        notice(f"installed alone (Python {result['python']}), it predicts the {result['rows']} "
               "hold-out rows as recorded")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="build.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--project-dir", default=".", help="the model project (default: .)")
    parser.add_argument("--outdir", type=Path,
                        help="where the wheel goes (default: the project's .wheelwright/dist)")
    parser.add_argument("--sdist", action="store_true",
                        help="also build an sdist (it repackages the same model: off by default)")
    args = parser.parse_args(argv)
    on_signals()
    try:
        project = load_project(args.project_dir)
        with exclusive(project.work / "lock", project.name), group(f"Build {project.name}"):
            built = build(project, args.outdir or project.dist, sdist=args.sdist)
    except PipelineError as error:
        return fail(STAGE, error)
    size = built.wheel.stat().st_size
    notice(f"built {built.wheel} ({size:,} bytes, sha256 {built.sha256})"
           + (f" and {built.sdist.name}" if built.sdist else ""))
    set_output("name", project.name)
    set_output("version", built.version)
    set_output("wheel", str(built.wheel))
    set_output("wheel-name", built.wheel.name)
    set_output("sdist", str(built.sdist or ""))
    set_output("sha256", built.sha256)
    summary(f"| wheel | size | sha256 |\n|---|---|---|\n| `{built.wheel.name}` | {size:,} B | `{built.sha256}` |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
