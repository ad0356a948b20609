"""An embedded PyPI registry laid out like a Nexus hosted repository.

``make pipeline`` publishes here when no Nexus is configured, and the tests use it as
the real registry behind their fault-injecting proxy. It is pypiserver on 127.0.0.1,
on a free port, with htpasswd authentication for uploads and Nexus's URL layout::

    upload   http://127.0.0.1:PORT/repository/pypi-hosted/
    install  http://127.0.0.1:PORT/repository/pypi-hosted/simple/

The htpasswd file holds only a salted hash and lives in a temporary folder that is
removed when the registry stops; the packages folder is kept, so a second run finds
what the first published.

Run on its own, it serves until interrupted::

    NEXUS_USERNAME=ci NEXUS_PASSWORD=... python scripts/registry.py --packages .registry
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from _wheelwright import PipelineError

REPOSITORY_PATH = "/repository/pypi-hosted"
START_TIMEOUT = 30.0


@dataclass(frozen=True)
class Registry:
    """A running registry's addresses."""

    host: str
    port: int
    packages: Path

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


def write_htpasswd(path: Path, username: str, password: str) -> None:
    """Write an Apache htpasswd file with one salted sha256-crypt entry."""
    from passlib.apache import HtpasswdFile

    htpasswd = HtpasswdFile(str(path), new=True, default_scheme="sha256_crypt")
    htpasswd.set_password(username, password)
    htpasswd.save()


def _wait_healthy(registry: Registry, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    url = f"{registry.base_url}{REPOSITORY_PATH}/health"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise PipelineError(
                f"The embedded registry exited with code {process.returncode} while starting.",
                f"Its log: {log.read_text(errors='replace')[-500:].strip()}",
            )
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    raise PipelineError(
        f"The embedded registry did not answer {url} within {START_TIMEOUT:.0f} s.",
        "Is pypiserver installed in this environment? Run `make .venv`.",
    )


@contextlib.contextmanager
def serve(
    packages: Path, *, username: str, password: str, host: str = "127.0.0.1", port: int = 0
) -> Iterator[Registry]:
    """Start pypiserver, yield its :class:`Registry`, stop it on exit."""
    packages.mkdir(parents=True, exist_ok=True)
    registry = Registry(host=host, port=port or free_port(host), packages=packages.resolve())
    with tempfile.TemporaryDirectory(prefix="wheelwright-registry-") as tmp:
        htpasswd = Path(tmp) / "htpasswd"
        write_htpasswd(htpasswd, username, password)
        log = Path(tmp) / "pypiserver.log"
        argv = [
            sys.executable, "-m", "pypiserver", "run",
            "--host", host, "--port", str(registry.port),
            "--passwords", str(htpasswd), "--authenticate", "update",
            "--disable-fallback", "--server-base-url", REPOSITORY_PATH,
            "--hash-algo", "sha256", "--log-file", str(log), "--log-stream", "none",
            str(registry.packages),
        ]
        # The registry needs no secret from the caller's environment.
        env = {k: v for k, v in os.environ.items() if not k.startswith(("NEXUS_", "TWINE_"))}
        process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait_healthy(registry, process, log)
            yield registry
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def main(argv: list[str] | None = None) -> int:
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
            print(f"upload URL: {reg.upload_url}\nindex URL:  {reg.index_url}", flush=True)
            with contextlib.suppress(KeyboardInterrupt):
                while True:
                    time.sleep(3600)
    except PipelineError as error:
        print(f"ERROR [registry] {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
