"""pipeline: run every stage in order, as ``make pipeline`` does on a laptop.

    pin --check -> train -> test -> build -> publish -> verify

Each stage is its own process, run with an environment stripped of credentials; only
publish receives ``NEXUS_USERNAME`` and ``NEXUS_PASSWORD``. With ``NEXUS_URL`` set (the
hosted repository's upload URL, trailing slash included) the wheel goes there, after a
preflight check made before training. Without it an embedded registry (pypiserver on
127.0.0.1, Nexus's URL layout, packages kept in ``.registry/``) stands in for Nexus for
the length of the run.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from _wheelwright import PipelineError, clean_env, fail, read_outputs, set_output

import registry

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
    ok: bool
    seconds: float


def run_stage(name: str, argv: list[str], env: dict[str, str], log: list[Outcome]) -> dict[str, str]:
    """Run one stage script; record its outcome; return its outputs; raise when it fails."""
    print(f"\n=== {name}", flush=True)
    with tempfile.TemporaryDirectory(prefix=f"wheelwright-{name}-") as tmp:
        outputs_file = Path(tmp) / "outputs"
        outputs_file.touch()
        start = time.monotonic()
        code = subprocess.call([sys.executable, str(SCRIPTS / f"{argv[0]}.py"), *argv[1:]],
                               env={**env, "GITHUB_OUTPUT": str(outputs_file)})
        seconds = time.monotonic() - start
        log.append(Outcome(name, code == 0, seconds))
        print(f"=== {name}: {'ok' if code == 0 else 'FAILED'} in {seconds:.1f} s", flush=True)
        if code != 0:
            raise PipelineError(f"The {name} stage failed (exit code {code}); later stages did not run.")
        return read_outputs(outputs_file)


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
        yield Target(reg.upload_url, index_url or reg.index_url,
                     {"NEXUS_USERNAME": username, "NEXUS_PASSWORD": password}, embedded=True)


def print_report(log: list[Outcome]) -> None:
    print("\nstage      outcome   seconds")
    for outcome in log:
        print(f"{outcome.stage:<10} {'ok' if outcome.ok else 'FAILED':<9} {outcome.seconds:7.1f}")
    print(f"{'total':<10} {'':<9} {sum(o.seconds for o in log):7.1f}")


def pipeline(args: argparse.Namespace, log: list[Outcome]) -> dict[str, str]:
    project = ["--project-dir", args.project_dir]
    env = clean_env()
    run_stage("pin", ["pin", "--check", "--requirements", args.requirements], env, log)
    with contextlib.ExitStack() as stack:
        target = None
        if args.publish:
            target = stack.enter_context(publish_target(args.index_url, args.registry))
            run_stage("preflight", ["publish", "--preflight", "--repository-url", target.upload_url],
                      {**env, **target.secrets}, log)
        version = ["--version", args.version] if args.version else []
        run_stage("train", ["train", *project, *version], env, log)
        run_stage("test", ["test", *project], env, log)
        built = run_stage("build", ["build", *project, "--outdir", args.outdir], env, log)
        if target is None:
            return built
        published = run_stage(
            "publish", ["publish", "--repository-url", target.upload_url, built["wheel"], built["sdist"]],
            {**env, **target.secrets}, log)
        verified = run_stage("verify", ["verify", *project, "--index-url", target.index_url,
                                        "--wheel", built["wheel"]], env, log)
        return {**built, **published, **verified}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pipeline.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--project-dir", default=".", help="the model project (default: .)")
    parser.add_argument("--requirements", default="requirements.in",
                        help="the lock's input checked by pin (default: requirements.in)")
    parser.add_argument("--version", help="override the project's version")
    parser.add_argument("--outdir", default="dist", help="where the wheel goes (default: dist)")
    parser.add_argument("--index-url", help="index to verify from (default: the upload URL + simple/)")
    parser.add_argument("--registry", type=Path, default=Path(".registry"),
                        help="the embedded registry's packages folder (default: .registry)")
    parser.add_argument("--no-publish", dest="publish", action="store_false",
                        help="stop after build")
    args = parser.parse_args(argv)
    log: list[Outcome] = []
    try:
        outputs = pipeline(args, log)
    except PipelineError as error:
        print_report(log)
        return fail(STAGE, error)
    print_report(log)
    for name in ("version", "wheel", "sha256", "published", "metrics"):
        if name in outputs:
            set_output(name, outputs[name])
    print(f"\n{outputs.get('wheel', 'the wheel')} is built" +
          (", published and verified." if args.publish else "."))
    return 0


if __name__ == "__main__":
    sys.exit(main())
