"""What every stage script shares: errors, children, the run lock, CI plumbing.

Libraries raise :class:`PipelineError`; only a stage's ``main()`` prints it, through
:func:`fail`, which also writes a GitHub Actions ``::error::`` annotation when running
there. Nothing in this module prints except :func:`fail`, :func:`notice` and the
``group`` context manager. A model project's configuration is ``_project``'s.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Iterator, Mapping, Sequence

ROOT = Path(__file__).resolve().parent.parent
CHUNK = 1024 * 1024
#: The earliest time a zip file (a wheel) can hold: 1980-01-01.
ZIP_EPOCH = 315532800
#: How long a child gets to stop after SIGTERM before it is killed.
GRACE = 5.0
#: The Pythons wheelwright runs on and verifies models with, oldest first.
SUPPORTED_PYTHONS = ("3.11", "3.12", "3.13")
#: This interpreter's X.Y: the Python a stage, and what it trains or builds, runs on.
RUNNING_PYTHON = "%d.%d" % sys.version_info[:2]


class PipelineError(Exception):
    """A stage failed. ``str()`` says what failed; ``hint`` says what to do."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()


class Interrupted(PipelineError):
    """The run was stopped by a signal (Ctrl-C, SIGTERM); every child was stopped too."""

    def __init__(self, signum: int) -> None:
        name = signal.Signals(signum).name
        super().__init__(f"Stopped by {name}{' (Ctrl-C)' if signum == signal.SIGINT else ''}.",
                         "Nothing was left running; run again to start over.")
        self.signum = signum


def on_signals() -> None:
    """Turn SIGINT and SIGTERM into :class:`Interrupted`, so that cleanups run."""
    def stop(signum: int, _frame: object) -> None:
        raise Interrupted(signum)

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop)


#: Environment variables that carry the repository's credentials. Only publish sees them.
SECRET_PREFIXES = ("NEXUS_", "TWINE_")


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without any secret, plus ``extra``.

    Training and tests run the model project's own code: it never sees a credential.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(SECRET_PREFIXES)}
    env.update(extra)
    return env


def model_code_env(pycache: Path, **extra: str) -> dict[str, str]:
    """:func:`clean_env` for the processes that run a model's code: bytecode to ``pycache`` only.

    ``PYTHONPYCACHEPREFIX`` keeps every ``.pyc`` out of the project's tree and the package's,
    and a blanket ``PYTHONDONTWRITEBYTECODE`` is dropped, so that scikit-learn, numpy, scipy
    and pandas are compiled once per project rather than in every process (the locks install
    with ``--no-compile``; an uncompiled ``import sklearn.linear_model, pandas`` costs about
    4 s more here).
    """
    env = clean_env(PYTHONPYCACHEPREFIX=str(pycache), **extra)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
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
    given = os.environ.get("SOURCE_DATE_EPOCH", "")
    if given:
        if not given.isdigit() or int(given) < ZIP_EPOCH:
            raise PipelineError(
                f"SOURCE_DATE_EPOCH={given!r} is not a whole number of seconds since 1970, "
                "from 1980 on (a wheel cannot hold an earlier date).",
                "Unset it to use the last commit's time, or set it to $(git log -1 --format=%ct).",
            )
        return given
    try:
        out = subprocess.run(
            ["git", "log", "-1", "--format=%ct"],
            cwd=cwd, capture_output=True, text=True, check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        out = ""
    return out if out.isdigit() and int(out) >= ZIP_EPOCH else str(ZIP_EPOCH)


def run(
    argv: Sequence[str | os.PathLike[str]],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    what: str,
    hint: str = "",
    capture: bool = False,
    timeout: float | None = None,
    timeout_hint: str = "",
    pass_fds: Sequence[int] = (),
) -> subprocess.CompletedProcess[str]:
    """Run a command in a process group of its own; raise :class:`PipelineError` naming
    ``what`` when it fails or outlives ``timeout``.

    Whatever ends the wait (a timeout, Ctrl-C, SIGTERM turned into :class:`Interrupted`),
    the whole group is stopped: nothing the command started outlives it.
    """
    try:
        process = subprocess.Popen(
            [str(a) for a in argv], cwd=cwd, env=None if env is None else dict(env), text=True,
            stdout=subprocess.PIPE if capture else None, stderr=subprocess.PIPE if capture else None,
            start_new_session=True, pass_fds=tuple(pass_fds),
        )
    except OSError as exc:
        raise PipelineError(f"{what} could not start: {exc}.", hint) from None
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        stop_group(process)
        raise PipelineError(f"{what} did not finish within {_duration(timeout or 0)}: it was stopped.",
                            timeout_hint or hint) from None
    except BaseException:
        stop_group(process)
        raise
    result = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    if result.returncode != 0:
        detail = ""
        if capture:
            tail = (result.stderr or result.stdout or "").strip().splitlines()[-5:]
            detail = (": " + " | ".join(tail).rstrip(".")) if tail else ""
        raise PipelineError(f"{what} failed (exit code {result.returncode}){detail}.", hint)
    return result


def stop_group(process: subprocess.Popen[str]) -> None:
    """SIGTERM to the process's group, SIGKILL after :data:`GRACE` seconds; then reap it."""
    for signum, wait in ((signal.SIGTERM, GRACE), (signal.SIGKILL, None)):
        try:
            os.killpg(process.pid, signum)
        except ProcessLookupError:
            break
        try:
            process.communicate(timeout=wait)
            # The leader is gone; members of its group may linger: end them too.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            return
        except subprocess.TimeoutExpired:
            continue


def _duration(seconds: float) -> str:
    return f"{seconds / 60:g} minutes" if seconds >= 120 else f"{seconds:g} s"


@contextlib.contextmanager
def exclusive(path: Path, what: str) -> Iterator[int]:
    """Hold the lock file ``path`` for the block; fail at once when another run holds it.

    A run of ``pipeline.py`` holds it for all its stages and hands it to them as the
    inherited descriptor named by ``WHEELWRIGHT_LOCK_FD``.
    """
    inherited = os.environ.get("WHEELWRIGHT_LOCK_FD", "")
    if inherited.isdigit():
        with contextlib.suppress(OSError):
            held, here = os.fstat(int(inherited)), os.stat(path)
            if (held.st_dev, held.st_ino) == (here.st_dev, here.st_ino):
                yield int(inherited)
                return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
            raise PipelineError(
                f"Another wheelwright run (process {holder}) is working on {what}: two runs "
                "would mix their models and wheels.",
                "Wait for it to finish (or stop it), then run again.",
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield fd
    finally:
        os.close(fd)


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
    return 128 + error.signum if isinstance(error, Interrupted) else 1


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
