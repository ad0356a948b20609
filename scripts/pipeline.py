"""pipeline: run every stage in order, as ``make pipeline`` does on a laptop.

    pin -> version -> preflight -> train -> test -> build -> publish -> verify

These are the stages the reusable workflow and the actions run, the same scripts with
the same flags, each its own process. Only preflight and publish receive
``NEXUS_USERNAME`` and ``NEXUS_PASSWORD``; the stages that run the model's code never do.
With ``NEXUS_URL`` set (the hosted repository's upload URL, trailing slash included) the
wheel goes there, under the version rules of ``version.py``: an uncommitted tree never
publishes. Without it an embedded registry (pypiserver on 127.0.0.1, Nexus's URL
layout, packages kept in ``.registry/``) stands in for Nexus for the length of the run.

The run holds the project's lock from start to end (a second run on the same project
fails at once), and Ctrl-C or SIGTERM stops every child, then prints the stage table.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import registry
from _project import load_project
from pin import OWN_LOCKS
from _wheelwright import (
    Interrupted, PipelineError, clean_env, exclusive, fail, on_signals, read_outputs, run,
    set_output,
)

STAGE = "pipeline"
SCRIPTS = Path(__file__).resolve().parent
CREDENTIALS = ("NEXUS_USERNAME", "NEXUS_PASSWORD")


@dataclass(frozen=True)
class Target:
    """Where this run publishes, and the secrets publishing needs."""

    upload_url: str
    index_url: str
    secrets: dict[str, str] = field(repr=False)
    embedded: bool = False


@dataclass
class Outcome:
    stage: str
    result: str
    seconds: float


class Stages:
    """Runs stage scripts one after the other, each with the run lock, timing each."""

    def __init__(self, lock_fd: int) -> None:
        self.lock_fd = lock_fd
        self.log: list[Outcome] = []

    def __call__(self, name: str, argv: list[str], env: dict[str, str]) -> dict[str, str]:
        """Run ``scripts/<argv[0]>.py``; return its outputs; raise when it fails."""
        print(f"\n=== {name}", flush=True)
        with tempfile.TemporaryDirectory(prefix=f"wheelwright-{name}-") as tmp:
            outputs = Path(tmp) / "outputs"
            outputs.touch()
            start = time.monotonic()
            env = {**env, "GITHUB_OUTPUT": str(outputs), "WHEELWRIGHT_LOCK_FD": str(self.lock_fd)}
            try:
                run([sys.executable, SCRIPTS / f"{argv[0]}.py", *argv[1:]], env=env, pass_fds=[self.lock_fd],
                    what=f"The {name} stage", hint="Its message is above; later stages did not run.")
            except BaseException as error:
                stopped = isinstance(error, Interrupted) or not isinstance(error, PipelineError)
                self._record(name, "STOPPED" if stopped else "FAILED", start)
                raise
            self._record(name, "ok", start)
            return read_outputs(outputs)

    def _record(self, name: str, result: str, start: float) -> None:
        seconds = time.monotonic() - start
        self.log.append(Outcome(name, result, seconds))
        print(f"=== {name}: {result} in {seconds:.1f} s", flush=True)

    def report(self) -> None:
        print("\nstage      outcome   seconds")
        for outcome in self.log:
            print(f"{outcome.stage:<10} {outcome.result:<9} {outcome.seconds:7.1f}")
        print(f"{'total':<10} {'':<9} {sum(o.seconds for o in self.log):7.1f}", flush=True)


@contextlib.contextmanager
def publish_target(index_url: str | None, packages: Path) -> Iterator[Target]:
    """The configured Nexus, or an embedded registry for the length of the run."""
    url = os.environ.get("NEXUS_URL", "")
    if url:
        missing = [name for name in CREDENTIALS if not os.environ.get(name)]
        if missing:
            raise PipelineError(
                f"NEXUS_URL is set but {' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not.",
                "Export both credentials, or unset NEXUS_URL to publish to the embedded registry.",
            )
        yield Target(url, index_url or url.rstrip("/") + "/simple/",
                     {name: os.environ[name] for name in CREDENTIALS})
        return
    username, password = "wheelwright", secrets.token_urlsafe(24)
    print(f"NEXUS_URL is not set: publishing to an embedded registry (packages in {packages}/)")
    with registry.serve(packages, username=username, password=password) as reg:
        for line in reg.cleared:
            print(line)
        yield Target(reg.upload_url, index_url or reg.index_url,
                     {"NEXUS_USERNAME": username, "NEXUS_PASSWORD": password}, embedded=True)


def requirements(args: argparse.Namespace, project_dir: Path) -> list[str]:
    """pin's arguments: wheelwright's locks, and the project's own when it has one."""
    ins = [Path(p) for p in args.requirements or OWN_LOCKS]
    return [*(arg for path in ins for arg in ("--requirements", str(path))), "--project-dir", str(project_dir)]


def pipeline(args: argparse.Namespace, stage: Stages) -> dict[str, str]:
    project = load_project(args.project_dir)
    where = ["--project-dir", str(project.root)]
    env = clean_env()
    stage("pin", ["pin", "--check", *requirements(args, project.root)], env)
    with contextlib.ExitStack() as stack:
        target = stack.enter_context(publish_target(args.index_url, args.registry)) if args.publish else None
        shared = target is not None and not target.embedded
        chosen = ["--version", args.version] if args.version is not None else []
        decided = stage("version", ["version", *where, *(["--publish"] if shared else []), *chosen], env)
        version = decided["version"]
        if target is not None:
            stage("preflight", ["publish", "--preflight", "--repository-url", target.upload_url],
                  {**env, **target.secrets})
        stage("train", ["train", *where, "--version", version], env)
        stage("test", ["test", *where], env)
        outdir = ["--outdir", args.outdir] if args.outdir else []
        built = stage("build", ["build", *where, *outdir, *(["--sdist"] if args.sdist else [])], env)
        if built["version"] != version:
            raise PipelineError(f"The build made {built['version']}, not the {version} this run decided.")
        if target is None:
            return built
        published = stage("publish", ["publish", "--repository-url", target.upload_url, "--name", project.name,
                                      "--version", version, "--dist", str(Path(built["wheel"]).parent)],
                          {**env, **target.secrets})
        verified = stage("verify", ["verify", *where, "--index-url", target.index_url,
                                    "--wheel", built["wheel"], *(["--python", args.python] if args.python else [])],
                         env)
        return {**built, **published, **verified}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pipeline.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--project-dir", default=".", help="the model project (default: .)")
    parser.add_argument("--requirements", action="append",
                        help="a lock's .in file for pin to check, repeatable (default: wheelwright's "
                             "own three); the project's own is always checked when it has one")
    parser.add_argument("--version", help="build this version instead of the rules' (see version.py)")
    parser.add_argument("--outdir", help="where the wheel goes (default: the project's .wheelwright/dist)")
    parser.add_argument("--sdist", action="store_true", help="also build and publish an sdist")
    parser.add_argument("--index-url", help="index to verify from (default: the upload URL + simple/)")
    parser.add_argument("--python", help="Pythons to verify on, comma-separated (default: every supported one found)")
    parser.add_argument("--registry", type=Path, default=Path(".registry"),
                        help="the embedded registry's packages folder (default: .registry)")
    parser.add_argument("--no-publish", dest="publish", action="store_false",
                        help="stop after build")
    args = parser.parse_args(argv)
    on_signals()
    stage = Stages(lock_fd=-1)
    try:
        project = load_project(args.project_dir)
        with exclusive(project.work / "lock", project.name) as lock_fd:
            stage.lock_fd = lock_fd
            outputs = pipeline(args, stage)
    except PipelineError as error:
        stage.report()
        return fail(STAGE, error)
    stage.report()
    for name in ("version", "wheel", "sha256", "published", "metrics", "pythons"):
        if name in outputs:
            set_output(name, outputs[name])
    print(f"\n{outputs['wheel']} is built" + (", published and verified." if args.publish else "."))
    return 0


if __name__ == "__main__":
    sys.exit(main())
