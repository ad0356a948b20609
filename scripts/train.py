"""train: run the model project's training, which writes the model into its package.

The project's training script runs with its folder as working directory and with
``WHEELWRIGHT_VERSION`` (the version to record) and ``SOURCE_DATE_EPOCH`` (the commit's
time, in place of the clock) in its environment, and never with a credential. Afterwards
this stage checks what training promised: a model file, a manifest recording this version
and the model file's sha256, and a hold-out set.
"""

from __future__ import annotations

import argparse
import json
import sys

from _wheelwright import (
    PipelineError, Project, clean_env, fail, group, load_project, notice, read_manifest,
    resolve_version, run, set_output, sha256_file, source_date_epoch,
)

STAGE = "train"


def train(project: Project, version: str) -> dict:
    """Train ``project`` at ``version``; return its manifest once checked."""
    if not project.train.is_file():
        raise PipelineError(f"The training script {project.train} does not exist.",
                            "Fix 'train' in [tool.wheelwright] of the project's pyproject.toml.")
    env = clean_env(
        WHEELWRIGHT_VERSION=version,
        SOURCE_DATE_EPOCH=source_date_epoch(project.root),
        PYTHONHASHSEED="0",
    )
    run([sys.executable, project.train], cwd=project.root, env=env,
        what=f"Training ({project.train.name})", hint="Its traceback is above.")
    return check_outputs(project, version)


def check_outputs(project: Project, version: str) -> dict:
    """Raise unless training left a model, its manifest and the hold-out set, consistent."""
    if not project.model.is_file():
        raise PipelineError(f"Training finished but wrote no model at {project.model}.",
                            "Check 'model' in [tool.wheelwright] against where the script saves it.")
    manifest = read_manifest(project)
    if manifest.get("version") != version:
        raise PipelineError(
            f"The manifest records version {manifest.get('version')!r}, not {version!r}.",
            "The training script must record the version given in WHEELWRIGHT_VERSION.",
        )
    actual = sha256_file(project.model)
    if manifest.get("sha256") != actual:
        raise PipelineError(
            f"The manifest records sha256 {manifest.get('sha256')} but the model file hashes to {actual}.",
            "The training script must hash the model file after saving it.",
        )
    if project.metric not in manifest.get("metrics", {}):
        raise PipelineError(
            f"The manifest records no '{project.metric}' metric, which the quality gate needs.",
            f"Record it in the manifest's metrics, or set 'metric' to one of {sorted(manifest.get('metrics', {}))}.",
        )
    if not project.holdout.is_file():
        raise PipelineError(f"Training wrote no hold-out set at {project.holdout}.",
                            "The test and verify stages score the model on it.")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="train.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--project-dir", default=".", help="the model project (default: .)")
    parser.add_argument("--version", help="version to record (default: the project's own)")
    args = parser.parse_args(argv)
    try:
        project = load_project(args.project_dir)
        version = resolve_version(project, args.version)
        with group(f"Train {project.name} {version}"):
            manifest = train(project, version)
    except PipelineError as error:
        return fail(STAGE, error)
    metrics = manifest["metrics"]
    notice(f"trained {project.name} {version}: " +
           ", ".join(f"{k} {v:.4f}" for k, v in sorted(metrics.items())))
    set_output("version", version)
    set_output("sha256-model", manifest["sha256"])
    set_output("metrics", json.dumps(metrics, sort_keys=True))
    # The verify job of the reusable workflow needs the hold-out set; it finds it here.
    set_output("holdout", str(project.holdout))
    return 0


if __name__ == "__main__":
    sys.exit(main())
