"""A second real registry for the publish tests: devpi-server on 127.0.0.1.

devpi answers differently from Nexus and pypiserver (200 to an identical re-upload, 409
to a different one, ``+simple/`` for its index), so running the main cases against it too
keeps the publisher from being tuned to one server. devpi-client is not needed: the user
and the index are created through devpi-server's JSON API.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

import requests

from _wheelwright import SECRET_PREFIXES
from registry import free_port

BIN = Path(sys.executable).parent
START_TIMEOUT = 60.0


@dataclass(frozen=True)
class Devpi:
    base_url: str
    user: str
    index: str
    log: Path
    serverdir: Path

    @property
    def upload_url(self) -> str:
        return f"{self.base_url}/{self.user}/{self.index}/"

    @property
    def index_url(self) -> str:
        return f"{self.upload_url}+simple/"


def _json(method: str, url: str, payload: dict, auth: str | None = None) -> dict:
    headers = {"Accept": "application/json", "Content-Type": "application/json"}
    if auth:
        headers["X-Devpi-Auth"] = auth
    answer = requests.request(method, url, data=json.dumps(payload), headers=headers, timeout=30)
    if answer.status_code >= 400:
        raise RuntimeError(f"devpi {method} {url} answered {answer.status_code}: {answer.text[:300]}")
    return answer.json()


@contextlib.contextmanager
def serve(workdir: Path, *, user: str, password: str, index: str = "dev",
          others: Sequence[tuple[str, str]] = ()) -> Iterator[Devpi]:
    """Initialise a server in ``workdir``, start it offline, create ``user``/``index``
    (non-volatile: a file, once uploaded, cannot be replaced), stop it on exit. ``others``
    are (user, password) accounts that exist but may not upload to that index (devpi's
    default ``acl_upload`` is the index's owner alone)."""
    serverdir = workdir / "devpi-server"
    log = workdir / "devpi-server.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(SECRET_PREFIXES)}
    subprocess.run([str(BIN / "devpi-init"), "--serverdir", str(serverdir), "--no-root-pypi"],
                   env=env, check=True, capture_output=True)
    port = free_port()
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(BIN / "devpi-server"), "--serverdir", str(serverdir), "--host", "127.0.0.1",
             "--port", str(port), "--offline-mode"],
            env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                if requests.get(f"{base}/+api", timeout=1).ok:
                    break
            except requests.RequestException:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"devpi-server did not start: {log.read_text(errors='replace')[-800:]}")
            time.sleep(0.1)
        for name, secret in [(user, password), *others]:
            _json("PUT", f"{base}/{name}", {"password": secret, "email": f"{name}@example.invalid"})
        token = _json("POST", f"{base}/+login", {"user": user, "password": password})["result"]["password"]
        auth = base64.b64encode(f"{user}:{token}".encode()).decode()
        _json("PUT", f"{base}/{user}/{index}", {"bases": [], "volatile": False}, auth=auth)
        yield Devpi(base, user, index, log, serverdir)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
