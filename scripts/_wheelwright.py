"""What every stage script shares: the project's configuration, errors, CI plumbing.

Libraries raise :class:`PipelineError`; only a stage's ``main()`` prints it, through
:func:`fail`, which also writes a GitHub Actions ``::error::`` annotation when running
there. Nothing in this module prints except :func:`fail`, :func:`notice` and the
``group`` context manager.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import sys
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping, Sequence

ROOT = Path(__file__).resolve().parent.parent
CHUNK = 1024 * 1024

#: Where a model project describes itself to the pipeline.
CONFIG_TABLE = "tool.wheelwright"


class PipelineError(Exception):
    """A stage failed. ``str()`` says what failed; ``hint`` says what to do."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()


@dataclass(frozen=True)
class Project:
    """A model project, as its ``[tool.wheelwright]`` table describes it.

    Paths are absolute; ``version`` is the declared one (a ``--version`` flag overrides it).
    """

    root: Path
    name: str
    package: str
    version: str
    train: Path
    model: Path
    manifest: Path
    holdout: Path
    metric: str
    min_score: float

    @property
    def dist(self) -> Path:
        return self.root / "dist"


def load_project(project_dir: str | os.PathLike[str]) -> Project:
    """Read ``project_dir/pyproject.toml``; raise :class:`PipelineError` when unusable."""
    root = Path(project_dir).resolve()
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        raise PipelineError(
            f"{pyproject} not found: {root} is not a model project.",
            "Pass --project-dir pointing at the folder that holds the model's pyproject.toml.",
        )
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise PipelineError(f"{pyproject} is not valid TOML: {exc}.") from None
    table = data.get("tool", {}).get("wheelwright")
    if not isinstance(table, dict):
        raise PipelineError(
            f"{pyproject} has no [{CONFIG_TABLE}] table.",
            "Add one: see 'The model project' in the README for its keys.",
        )
    name = data.get("project", {}).get("name")
    if not name:
        raise PipelineError(f"{pyproject} has no [project] name.")

    def need(key: str) -> object:
        if key not in table:
            raise PipelineError(
                f"[{CONFIG_TABLE}] in {pyproject} lacks '{key}'.",
                "See 'The model project' in the README for the keys it needs.",
            )
        return table[key]

    try:
        min_score = float(need("min-score"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise PipelineError(f"[{CONFIG_TABLE}] min-score in {pyproject} is not a number.") from None
    return Project(
        root=root,
        name=str(name),
        package=str(need("package")),
        version=str(need("version")),
        train=root / str(need("train")),
        model=root / str(need("model")),
        manifest=root / str(need("manifest")),
        holdout=root / str(need("holdout")),
        metric=str(table.get("metric", "accuracy")),
        min_score=min_score,
    )


def resolve_version(project: Project, override: str | None) -> str:
    """The version to build: ``override`` when given, else the declared one, normalised."""
    from packaging.version import InvalidVersion, Version

    raw = override or project.version
    try:
        return str(Version(raw))
    except InvalidVersion:
        raise PipelineError(
            f"'{raw}' is not a valid version (PEP 440).",
            "Use a version such as 1.2.0, 1.2.0rc1 or 1.2.0.dev42.",
        ) from None


def import_root(project: Project) -> Path:
    """The folder the model package imports from: ``src/`` when the project uses it."""
    src = project.root / "src"
    return src if (src / project.package).is_dir() else project.root


def read_manifest(project: Project) -> dict:
    """The manifest training wrote; raise when it is missing or unreadable."""
    try:
        return json.loads(project.manifest.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PipelineError(
            f"{project.manifest} does not exist: the model has not been trained.",
            "Run the train stage first (python scripts/train.py).",
        ) from None
    except json.JSONDecodeError as exc:
        raise PipelineError(f"{project.manifest} is not valid JSON: {exc}.") from None


#: Environment variables that carry the repository's credentials. Only publish sees them.
SECRET_PREFIXES = ("NEXUS_", "TWINE_")


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without any secret, plus ``extra``.

    Training and tests run the model project's own code: it never sees a credential.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(SECRET_PREFIXES)}
    env.update(extra)
    return env


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hash a file in fixed-size chunks, so memory stays flat whatever its size."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def source_date_epoch(cwd: Path) -> str:
    """``SOURCE_DATE_EPOCH`` from the environment, else the last commit's time, else 1980.

    Builds and manifests use it in place of the wall clock so that the same commit
    gives the same bytes.
    """
    if os.environ.get("SOURCE_DATE_EPOCH"):
        return os.environ["SOURCE_DATE_EPOCH"]
    try:
        out = subprocess.run(
            ["git", "log", "-1", "--format=%ct"],
            cwd=cwd, capture_output=True, text=True, check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        out = ""
    return out or "315532800"  # 1980-01-01, the earliest time a zip file can hold


def run(
    argv: Sequence[str | os.PathLike[str]],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    what: str,
    hint: str = "",
    capture: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run a command; raise :class:`PipelineError` naming ``what`` when it fails."""
    try:
        result = subprocess.run(
            [str(a) for a in argv], cwd=cwd, env=None if env is None else dict(env),
            text=True, capture_output=capture,
        )
    except OSError as exc:
        raise PipelineError(f"{what} could not start: {exc}.", hint) from None
    if result.returncode != 0:
        detail = ""
        if capture:
            tail = (result.stderr or result.stdout or "").strip().splitlines()[-5:]
            detail = (": " + " | ".join(tail).rstrip(".")) if tail else ""
        raise PipelineError(f"{what} failed (exit code {result.returncode}){detail}.", hint)
    return result


# --- Output: the only functions that print -------------------------------------------

def in_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def _escape(text: str) -> str:
    """Encode a workflow command's data so newlines survive as one annotation."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def fail(stage: str, error: PipelineError) -> int:
    """Print ``error`` for a person (and for Actions); return the exit code to use."""
    print(f"ERROR [{stage}] {error.message}", file=sys.stderr)
    if error.hint:
        print(f"  hint: {error.hint}", file=sys.stderr)
    if in_actions():
        print(f"::error title=wheelwright {stage}::{_escape(str(error))}", flush=True)
        summary(f"### :x: {stage} failed\n\n{error.message}\n\n{error.hint}\n")
    return 1


def notice(message: str) -> None:
    print(message, flush=True)


def mask(secret: str) -> None:
    """Ask Actions to hide ``secret`` in every later log line."""
    if in_actions() and secret:
        print(f"::add-mask::{secret}", flush=True)


def set_output(name: str, value: str) -> None:
    """Write a step output (no-op outside Actions)."""
    path = os.environ.get("GITHUB_OUTPUT")
    if not path:
        return
    delimiter = "ghadelimiter_" + hashlib.sha256(value.encode()).hexdigest()[:16]
    with open(path, "a", encoding="utf-8") as out:
        out.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")


def read_outputs(path: str | os.PathLike[str]) -> dict[str, str]:
    """Parse a ``GITHUB_OUTPUT`` file as :func:`set_output` writes it."""
    outputs: dict[str, str] = {}
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        name, _, delimiter = lines[i].partition("<<")
        end = lines.index(delimiter, i + 1)
        outputs[name] = "\n".join(lines[i + 1:end])
        i = end + 1
    return outputs


def summary(markdown: str) -> None:
    """Append Markdown to the job summary (no-op outside Actions)."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(markdown + "\n")


@contextlib.contextmanager
def group(title: str) -> Iterator[None]:
    """A collapsible ``::group::`` in Actions, a plain heading elsewhere."""
    if in_actions():
        print(f"::group::{title}", flush=True)
    else:
        print(f"==> {title}", flush=True)
    try:
        yield
    finally:
        if in_actions():
            print("::endgroup::", flush=True)


# --- Scoring a model package in a given environment -----------------------------------

#: Metrics the evaluator computes; a project's gate metric must be one of them.
METRICS = ("accuracy", "roc_auc", "precision", "recall")
#: Scores recomputed from the same bytes on the same hold-out must match the manifest.
TOLERANCE = 1e-9


def evaluate(python: str | Path, project: Project, *, cwd: Path, env: Mapping[str, str]) -> dict:
    """Score ``project``'s package, as ``python`` imports it, on the project's hold-out set.

    ``env`` decides which copy of the package is imported: the source tree (through
    ``PYTHONPATH``) for the quality gate, an installed wheel for verify.
    """
    if not project.holdout.is_file():
        raise PipelineError(
            f"The hold-out set {project.holdout} does not exist.",
            "Training writes it: run the train stage first.",
        )
    script = Path(__file__).with_name("_evaluate.py")
    result = run([python, script, project.package, project.holdout], cwd=cwd, env=env,
                 capture=True, what=f"Scoring {project.package} on the hold-out set")
    return json.loads(result.stdout)


def metric_mismatches(measured: Mapping[str, float], recorded: Mapping[str, float]) -> list[str]:
    """The metrics whose measured value differs from the recorded one."""
    return [
        f"{name} {measured[name]:.6f} != recorded {recorded[name]:.6f}"
        for name in METRICS
        if name in recorded and abs(float(measured[name]) - float(recorded[name])) > TOLERANCE
    ]
