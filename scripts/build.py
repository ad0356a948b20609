"""build: build the sdist and the wheel, and prove the wheel carries the trained model.

pypa/build runs without isolation, so the build backend is the one pinned in the lock,
and with ``SOURCE_DATE_EPOCH`` set, so the same commit gives the same wheel, byte for byte.
The wheel must hold the model file with the sha256 the manifest records and the version
training recorded, and both files must pass ``twine check --strict``.
"""

from __future__ import annotations

import argparse
import email.parser
import hashlib
import shutil
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from _wheelwright import (
    PipelineError, Project, clean_env, fail, group, import_root, load_project,
    notice, read_manifest, run, set_output, sha256_file, source_date_epoch, summary,
)

STAGE = "build"


@dataclass(frozen=True)
class Built:
    wheel: Path
    sdist: Path
    version: str
    sha256: str


def build(project: Project, outdir: Path) -> Built:
    """Build ``project`` into ``outdir``; raise unless the result is what we promise."""
    manifest = read_manifest(project)
    version = manifest["version"]
    with tempfile.TemporaryDirectory(prefix="wheelwright-build-") as tmp:
        env = clean_env(SOURCE_DATE_EPOCH=source_date_epoch(project.root))
        run([sys.executable, "-m", "build", "--no-isolation", "--outdir", tmp, project.root],
            env=env, what="python -m build", hint="The build backend's message is above.")
        wheel = _one(Path(tmp), "*.whl")
        sdist = _one(Path(tmp), "*.tar.gz")
        inspect_wheel(project, wheel, manifest)
        run([sys.executable, "-m", "twine", "check", "--strict", wheel, sdist],
            env=env, capture=True, what="twine check --strict",
            hint="Fix the project's metadata (its readme, the model card, must render).")
        outdir.mkdir(parents=True, exist_ok=True)
        placed = []
        for path in (wheel, sdist):
            target = outdir / path.name
            shutil.move(path, target)
            placed.append(target)
    return Built(placed[0], placed[1], version, sha256_file(placed[0]))


def _one(folder: Path, pattern: str) -> Path:
    found = sorted(folder.glob(pattern))
    if len(found) != 1:
        raise PipelineError(f"The build produced {len(found)} files matching {pattern}, not one.")
    return found[0]


def inspect_wheel(project: Project, wheel: Path, manifest: dict) -> None:
    """Raise unless ``wheel`` holds the model, the manifest and the recorded version."""
    root = import_root(project)
    model_member = project.model.relative_to(root).as_posix()
    manifest_member = project.manifest.relative_to(root).as_posix()
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for member in (model_member, manifest_member):
            if member not in names:
                raise PipelineError(
                    f"{wheel.name} does not contain {member}.",
                    "Include the trained files in the wheel: list them under "
                    "[tool.hatch.build] artifacts in the project's pyproject.toml.",
                )
        with archive.open(model_member) as handle:  # streamed, like sha256_file
            digest = hashlib.file_digest(handle, "sha256")
        if digest.hexdigest() != manifest["sha256"]:
            raise PipelineError(
                f"{wheel.name} holds a {model_member} whose sha256 is not the manifest's.",
                "The model changed between training and building: train again.",
            )
        metadata_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = email.parser.BytesParser().parsebytes(archive.read(metadata_name))
    if metadata["Version"] != manifest["version"]:
        raise PipelineError(
            f"{wheel.name} has version {metadata['Version']}, the manifest {manifest['version']}.",
            "Take the wheel's version from the manifest (see model/hatch_build.py).",
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="build.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--project-dir", default=".", help="the model project (default: .)")
    parser.add_argument("--outdir", type=Path, default=Path("dist"),
                        help="where the sdist and wheel go (default: dist)")
    args = parser.parse_args(argv)
    try:
        project = load_project(args.project_dir)
        with group(f"Build {project.name}"):
            built = build(project, args.outdir)
    except PipelineError as error:
        return fail(STAGE, error)
    size = built.wheel.stat().st_size
    notice(f"built {built.wheel} ({size:,} bytes, sha256 {built.sha256}) and {built.sdist.name}")
    set_output("version", built.version)
    set_output("wheel", str(built.wheel))
    set_output("sdist", str(built.sdist))
    set_output("sha256", built.sha256)
    summary(f"| wheel | size | sha256 |\n|---|---|---|\n| `{built.wheel.name}` | {size:,} B | `{built.sha256}` |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
