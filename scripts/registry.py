"""An embedded PyPI registry laid out like a Nexus hosted repository.

``make pipeline`` publishes here when no Nexus is configured, and the tests use it as
the real registry behind their fault-injecting proxy. It is pypiserver (served by
waitress) on 127.0.0.1, on a free port, with htpasswd authentication for uploads and
Nexus's URL layout::

    upload   http://127.0.0.1:PORT/repository/pypi-hosted/
    install  http://127.0.0.1:PORT/repository/pypi-hosted/simple/

Like Nexus, it stores an upload whole or not at all. pypiserver writes an upload
straight to its final name, so a registry killed mid-write left a truncated file there,
and every later run refused to publish that version again ("already published with
other content"). Here pypiserver runs through this module (``--run-pypiserver``), which
swaps its file writer for one that writes a hidden ``.wheelwright-upload-*.partial``
file beside the packages (pypiserver lists no dot-file), checks it against the
``sha256_digest``/``md5_digest`` the client sent (400 "Digests do not match", as Nexus),
and only then links it under its final name, which fails if that name exists. waitress
only hands pypiserver a request whose body arrived whole, so a client killed mid-upload
stores nothing. Partial files left by a registry killed mid-write are removed when it
stops or, after a SIGKILL, when it next starts, as are ``.whl`` files that are not
complete zip archives (what earlier versions left); each removal is reported.

The htpasswd file holds only a salted hash and lives in a temporary folder that is
removed when the registry stops; the packages folder is kept, so a second run finds
what the first published.

Run on its own, it serves until interrupted (Ctrl-C or SIGTERM)::

    NEXUS_USERNAME=ci NEXUS_PASSWORD=... python scripts/registry.py --packages .registry
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator

from _wheelwright import SECRET_PREFIXES, PipelineError

REPOSITORY_PATH = "/repository/pypi-hosted"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
#: How an upload in progress is named beside the packages; pypiserver lists no dot-file.
PARTIAL_PREFIX = ".wheelwright-upload-"
PARTIAL_SUFFIX = ".partial"
CHUNK = 1024 * 1024
#: waitress refuses bodies over 1 GiB by default; Nexus itself sets no limit (a proxy may).
MAX_BODY = 1 << 40


@dataclass(frozen=True)
class Registry:
    """A running registry's addresses, and what its start cleared from ``packages``."""

    host: str
    port: int
    packages: Path
    cleared: tuple[str, ...] = ()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def upload_url(self) -> str:
        return f"{self.base_url}{REPOSITORY_PATH}/"

    @property
    def index_url(self) -> str:
        return f"{self.base_url}{REPOSITORY_PATH}/simple/"


def free_port(host: str = "127.0.0.1") -> int:
    """A port the kernel says is free now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


#: sha256-crypt's fewest rounds. The default (535,000) costs half a second on every
#: authenticated request; it guards weak passwords in stolen files, and this file lives
#: for one run, in a private temporary folder, for a password of 24 random bytes.
ROUNDS = 1000


def write_htpasswd(path: Path, username: str, password: str) -> None:
    """Write an Apache htpasswd file with one salted sha256-crypt entry."""
    from passlib.hash import sha256_crypt

    path.write_text(f"{username}:{sha256_crypt.using(rounds=ROUNDS).hash(password)}\n", encoding="utf-8")
    path.chmod(0o600)


def sweep(packages: Path) -> list[str]:
    """Remove what an interrupted upload left in ``packages``; say what was removed."""
    removed = []
    for path in sorted(packages.iterdir()):
        if path.name.startswith(PARTIAL_PREFIX) and path.name.endswith(PARTIAL_SUFFIX):
            why = "an upload the registry was stopped in the middle of"
        elif path.suffix == ".whl" and path.is_file() and not zipfile.is_zipfile(path):
            why = "not a complete wheel (a truncated upload)"
        else:
            continue
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        removed.append(f"removed {path.name} from {packages}: {why}")
    return removed


def _packages_folder(packages: Path) -> Path:
    if packages.exists() and not packages.is_dir():
        raise PipelineError(f"{packages} is a file, not a folder: the registry keeps its packages in a folder.",
                            "Pass --packages with a folder (it is created when missing).")
    try:
        packages.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PipelineError(f"The registry's packages folder {packages} cannot be created: {exc.strerror}.",
                            "Pass --packages with a folder you can write to.") from None
    return packages.resolve()


def _startup_error(log: Path, stderr: Path) -> str:
    """pypiserver's own words: its log, or what it printed before it had one."""
    for path in (log, stderr):
        with contextlib.suppress(OSError):
            text = path.read_text(errors="replace").strip()
            if text:
                return "\n  ".join(text.splitlines()[-12:])
    return "(it printed nothing)"


def _wait_healthy(registry: Registry, process: subprocess.Popen[bytes], log: Path, stderr: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    url = f"{registry.base_url}{REPOSITORY_PATH}/health"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise PipelineError(
                f"The embedded registry (pypiserver) exited with code {process.returncode} while starting. "
                f"It said:\n  {_startup_error(log, stderr)}",
                "Is the environment made from this Python's lock? Run `make` again with the same PYTHON.",
            )
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    raise PipelineError(
        f"The embedded registry did not answer {url} within {START_TIMEOUT:.0f} s. "
        f"Its log:\n  {_startup_error(log, stderr)}",
        "Is pypiserver installed in this environment? Run `make` again.",
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def serve(
    packages: Path, *, username: str, password: str, host: str = "127.0.0.1", port: int = 0
) -> Iterator[Registry]:
    """Start pypiserver, yield its :class:`Registry`, stop it on exit."""
    folder = _packages_folder(packages)
    cleared = tuple(sweep(folder))
    registry = Registry(host=host, port=port or free_port(host), packages=folder, cleared=cleared)
    with tempfile.TemporaryDirectory(prefix="wheelwright-registry-") as tmp:
        htpasswd = Path(tmp) / "htpasswd"
        write_htpasswd(htpasswd, username, password)
        log = Path(tmp) / "pypiserver.log"
        stderr = Path(tmp) / "pypiserver.stderr"
        argv = [
            sys.executable, str(Path(__file__).resolve()), "--run-pypiserver", str(os.getpid()), "run",
            "--host", host, "--port", str(registry.port),
            "--passwords", str(htpasswd), "--authenticate", "update",
            "--disable-fallback", "--server-base-url", REPOSITORY_PATH,
            "--hash-algo", "sha256", "--log-file", str(log), "--log-stream", "none",
            str(folder),
        ]
        # The registry needs no secret from the caller's environment.
        env = {k: v for k, v in os.environ.items() if not k.startswith(SECRET_PREFIXES)}
        with open(stderr, "wb") as err:
            # A session of its own: a Ctrl-C meant for the caller reaches it only through _stop().
            process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=err,
                                       start_new_session=True)
        try:
            _wait_healthy(registry, process, log, stderr)
            yield registry
        finally:
            _stop(process)
            sweep(folder)  # a write cut short by the stop


# --- The pypiserver process ----------------------------------------------------------


def _expected_digests() -> dict[str, str]:
    """The digests the uploading client declared for the file (twine sends both)."""
    from pypiserver.bottle_wrapper import request

    with contextlib.suppress(Exception):
        return {algo: value.strip().lower() for algo in ("sha256", "md5")
                if (value := request.forms.get(f"{algo}_digest"))}
    return {}


def _store_whole(stream: BinaryIO, destination: str | os.PathLike[str]) -> None:
    """pypiserver's ``write_file``, all or nothing: a hidden partial file, checked, then linked."""
    from pypiserver.bottle_wrapper import HTTPError

    destination = Path(destination)
    expected = _expected_digests()
    offset = stream.tell()
    fd, partial = tempfile.mkstemp(prefix=PARTIAL_PREFIX, suffix=PARTIAL_SUFFIX, dir=destination.parent)
    try:
        digests = {"sha256": hashlib.sha256(), "md5": hashlib.md5()}
        with os.fdopen(fd, "wb") as out:
            for chunk in iter(lambda: stream.read(CHUNK), b""):
                out.write(chunk)
                for digest in digests.values():
                    digest.update(chunk)
            out.flush()
            os.fsync(out.fileno())
        for algo, value in expected.items():
            if digests[algo].hexdigest() != value:
                raise HTTPError(400, f"Digests do not match: the {algo} of the {destination.name} received "
                                     "differs from the one the client sent (an upload cut short?)")
        try:
            os.link(partial, destination)  # unlike a rename, never replaces a stored file
        except FileExistsError:
            raise HTTPError(409, f"Package {destination.name!r} already exists!") from None
        with contextlib.suppress(OSError):
            directory = os.open(destination.parent, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(partial)
        stream.seek(offset)


def _die_with_parent(parent: int) -> None:
    """Ask Linux to SIGTERM this process when the registry command dies, even by SIGKILL."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        sys.exit(0)


def run_pypiserver(parent: int, argv: list[str]) -> None:
    """pypiserver's own main, with uploads stored whole and no 1 GiB body limit.

    pypiserver's ``auto`` server is the first it can import, waitress first: importing it
    here makes a missing waitress an error rather than a silent fall back to wsgiref.
    """
    _die_with_parent(parent)
    import pypiserver.backend
    import waitress.adjustments
    from pypiserver.__main__ import main as pypiserver_main

    pypiserver.backend.write_file = _store_whole  # SimpleFileBackend.add_package calls this name
    waitress.adjustments.Adjustments.max_request_body_size = MAX_BODY
    pypiserver_main(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--run-pypiserver"]:
        run_pypiserver(int(argv[1]), argv[2:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packages", type=Path, default=Path(".registry"),
                        help="folder the packages are kept in (default: .registry)")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    args = parser.parse_args(argv)
    username = os.environ.get("NEXUS_USERNAME", "")
    password = os.environ.get("NEXUS_PASSWORD", "")
    if not username or not password:
        print("ERROR [registry] NEXUS_USERNAME and NEXUS_PASSWORD must be set: they become "
              "the only account allowed to upload.", file=sys.stderr)
        return 2
    # A plain SIGTERM would end this process before serve() stops pypiserver.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        with serve(args.packages, username=username, password=password, port=args.port) as reg:
            for line in reg.cleared:
                print(line, flush=True)
            print(f"upload URL: {reg.upload_url}\nindex URL:  {reg.index_url}", flush=True)
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        return 0
    except PipelineError as error:
        print(f"ERROR [registry] {error.message}", file=sys.stderr)
        if error.hint:
            print(f"  hint: {error.hint}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
