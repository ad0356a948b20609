"""The embedded registry: Nexus's layout, uploads only with the account, a clean stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_it_answers_in_nexus_layout_and_refuses_anonymous_uploads(registry):
    assert registry.upload_url.endswith("/repository/pypi-hosted/")
    with urllib.request.urlopen(registry.index_url, timeout=5) as answer:
        assert answer.status == 200
    request = urllib.request.Request(registry.upload_url, data=b"", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 401


def test_the_command_needs_the_account(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEXUS_")}
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "registry.py"),
                             "--packages", str(tmp_path)], env=env, capture_output=True, text=True)
    assert result.returncode == 2
    assert "NEXUS_USERNAME and NEXUS_PASSWORD must be set" in result.stderr


def test_sigterm_stops_pypiserver_too(tmp_path, credentials):
    username, password = credentials
    env = {**os.environ, "NEXUS_USERNAME": username, "NEXUS_PASSWORD": password}
    process = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "registry.py"),
                                "--packages", str(tmp_path)],
                               env=env, stdout=subprocess.PIPE, text=True)
    try:
        first = process.stdout.readline()
        port = int(first.split("127.0.0.1:")[1].split("/")[0])
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        process.kill()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
