"""train: call the model project's train() and assemble the package its wheel will hold.

First the project's ``[tool.wheelwright]`` table and the gate's metric names are checked,
so that a typo fails in a second, not after hours of training. Then, holding the
project's run lock, the stage empties ``.wheelwright/`` (nothing from an earlier run can
be packaged), calls ``train()`` in the model's environment (``_trainer.py``: the project
folder as working directory, the commit's time as ``SOURCE_DATE_EPOCH``, a timeout, and
no credential), and assembles ``.wheelwright/package/<package>/``: the project's own
modules, the model, its manifest and card, and wheelwright's run-time code.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from datetime import datetime, timezone
from pathlib import Path

import _package
from _project import Project, load_project, parse_version
import _venv
from _wheelwright import (
    PipelineError, exclusive, fail, group, model_code_env, notice, on_signals, run, set_output,
    sha256_file, source_date_epoch,
)

STAGE = "train"
SCRIPTS = Path(__file__).resolve().parent
#: What survives a new training in ``.wheelwright/``: the lock itself, the project's
#: environment (rebuilt only when its lock changes), and the bytecode of what the model's
#: processes import (``Project.pycache``).
KEPT = ("lock", "venv", "pycache")


def clear(project: Project) -> None:
    """Empty the project's ``.wheelwright/`` of every earlier output."""
    if not project.work.is_dir():
        return
    for path in project.work.iterdir():
        if path.name in KEPT:
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


def train(project: Project, version: str, timeout: float) -> dict:
    """Train ``project`` at ``version``; return the manifest of the package assembled."""
    epoch = int(source_date_epoch(project.root))
    # The project's own lock, installed over wheelwright's packages (once per lock).
    python = _venv.layered(project) if project.lock.is_file() else Path(sys.executable)
    clear(project)
    _package.copy_sources(project)
    request = project.work / "train-request.json"
    refusal = project.work / "train-refusal.txt"
    request.write_text(json.dumps({
        "root": str(project.root),
        "train": str(project.train),
        "paths": [str(p.parent) for p in (project.sources,) if p is not None],
        "name": project.name,
        "package": project.package,
        "description": project.description,
        "version": version,
        "created": datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "gate": project.gate,
        "positive_class": project.positive_class,
        "package_dir": str(project.package_dir),
        "holdout": str(project.holdout),
        "refusal": str(refusal),
    }, indent=2), encoding="utf-8")
    env = model_code_env(project.pycache, SOURCE_DATE_EPOCH=str(epoch), PYTHONHASHSEED="0")
    try:
        run([python, SCRIPTS / "_trainer.py", request], cwd=project.root, env=env,
            what=f"Training ({project.train.name})", timeout=timeout,
            hint="The project's code raised: its traceback is above.",
            timeout_hint="Make training faster, or allow it longer: train-timeout-minutes in "
                         "[tool.wheelwright] (or the train-timeout-minutes input in Actions).")
    except PipelineError:
        if refusal.is_file():  # train() ran, but what it returned cannot be packaged
            raise PipelineError(refusal.read_text(encoding="utf-8").strip(),
                                "See 'Your own model' in wheelwright's README.") from None
        raise
    finally:
        request.unlink(missing_ok=True)
    manifest = check_outputs(project, version)
    _package.finish(project, manifest)
    return manifest


def check_outputs(project: Project, version: str) -> dict:
    """The manifest training wrote, once its files are proved to be this run's and consistent."""
    for path in (project.model_file, project.manifest, project.holdout):
        if not path.is_file():  # the folder was emptied before training: it is new or missing
            raise PipelineError(f"Training finished but {path} was not written.",
                                "train() must return normally; see its output above.")
    manifest = json.loads(project.manifest.read_text(encoding="utf-8"))
    if manifest.get("version") != version or manifest.get("sha256") != sha256_file(project.model_file):
        raise PipelineError(f"{project.manifest} does not describe this run's model {version}.",
                            "Something changed the package folder during training; train again.")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="train.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--project-dir", default=".", help="the model project (default: .)")
    parser.add_argument("--version", help="the version to build (default: the project's own)")
    parser.add_argument("--timeout-minutes", type=float,
                        help="stop training after this long (default: the project's "
                             "train-timeout-minutes, else 60)")
    args = parser.parse_args(argv)
    on_signals()
    try:
        project = load_project(args.project_dir)
        source_date_epoch(project.root)  # checked here: numpy fails on a bad one when imported
        version = parse_version(args.version, "--version") if args.version is not None else project.version
        timeout = project.train_timeout if args.timeout_minutes is None else args.timeout_minutes * 60
        if not timeout > 0:
            raise PipelineError(f"--timeout-minutes {args.timeout_minutes} is not a positive number.")
        with exclusive(project.work / "lock", project.name), group(f"Train {project.name} {version}"):
            manifest = train(project, version, timeout)
    except PipelineError as error:
        return fail(STAGE, error)
    metrics = manifest["metrics"]
    notice(f"trained {project.name} {version} ({manifest['estimator']}): " +
           ", ".join(f"{k} {v:.4f}" for k, v in sorted(metrics.items())))
    set_output("version", version)
    set_output("sha256-model", manifest["sha256"])
    set_output("metrics", json.dumps(metrics, sort_keys=True))
    # The verify job of the reusable workflow needs the hold-out set; it finds it here.
    set_output("holdout", str(project.holdout))
    return 0


if __name__ == "__main__":
    sys.exit(main())
