"""The embedded registry: Nexus's layout, uploads only with the account, uploads stored
whole or not at all, clear start-up errors, a clean stop."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

import registry as registry_module

ROOT = Path(__file__).resolve().parent.parent
COMMAND = [sys.executable, str(ROOT / "scripts" / "registry.py")]
WHEEL = "bigpkg-1.0-py3-none-any.whl"

# A client that streams a multipart upload as twine does (digests first, then the file),
# and after STOP_AFTER bytes of the file stops, says so, and waits to be killed.
UPLOADER = r"""
import base64, hashlib, http.client, os, sys, time, urllib.parse
url, path, stop_after = sys.argv[1], sys.argv[2], int(sys.argv[3])
declared = sys.argv[4] if len(sys.argv) > 4 else path  # the file whose digests it declares
sha, md5 = hashlib.sha256(), hashlib.md5()
with open(declared, "rb") as f:
    for chunk in iter(lambda: f.read(1 << 20), b""):
        sha.update(chunk); md5.update(chunk)
boundary = "wheelwright-test-boundary"
fields = {":action": "file_upload", "protocol_version": "1", "name": "bigpkg", "version": "1.0",
          "filetype": "bdist_wheel", "pyversion": "py3", "metadata_version": "2.1",
          "sha256_digest": sha.hexdigest(), "md5_digest": md5.hexdigest()}
head = "".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in fields.items())
head += (f'--{boundary}\r\nContent-Disposition: form-data; name="content"; filename="{os.path.basename(path)}"\r\n'
         "Content-Type: application/octet-stream\r\n\r\n")
tail = f"\r\n--{boundary}--\r\n".encode()
size = os.path.getsize(path)
parts = urllib.parse.urlsplit(url)
conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=300)
conn.putrequest("POST", parts.path)
auth = base64.b64encode(f"{os.environ['UP_USER']}:{os.environ['UP_PASSWORD']}".encode()).decode()
conn.putheader("Authorization", f"Basic {auth}")
conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
conn.putheader("Content-Length", str(len(head.encode()) + size + len(tail)))
conn.endheaders()
conn.send(head.encode())
sent = 0
with open(path, "rb") as f:
    for chunk in iter(lambda: f.read(1 << 20), b""):
        if sent >= stop_after:
            print("stopped", flush=True)
            time.sleep(600)
        conn.send(chunk)
        sent += len(chunk)
conn.send(tail)
answer = conn.getresponse()
print(answer.status, answer.read().decode(errors="replace").strip(), flush=True)
"""


def make_file(path: Path, megabytes: int) -> str:
    """A file of distinct bytes, written and hashed a megabyte at a time; its sha256."""
    digest = hashlib.sha256()
    with open(path, "wb") as out:
        for i in range(megabytes):
            chunk = hashlib.sha256(str(i).encode()).digest() * (1 << 15)
            out.write(chunk)
            digest.update(chunk)
    return digest.hexdigest()


def upload(url: str, path: Path, credentials: tuple[str, str], *, stop_after: int | None = None,
           ) -> subprocess.Popen[str]:
    env = {**os.environ, "UP_USER": credentials[0], "UP_PASSWORD": credentials[1]}
    return subprocess.Popen([sys.executable, "-c", UPLOADER, url, str(path), str(stop_after or 1 << 62)],
                            env=env, stdout=subprocess.PIPE, text=True)


def start_command(packages: Path, credentials: tuple[str, str], tmpdir: Path, *extra: str,
                  ) -> tuple[subprocess.Popen[str], str, list[str]]:
    """registry.py as a command; its upload URL and the lines it printed before it."""
    env = {**os.environ, "NEXUS_USERNAME": credentials[0], "NEXUS_PASSWORD": credentials[1],
           "TMPDIR": str(tmpdir)}
    process = subprocess.Popen([*COMMAND, "--packages", str(packages), *extra],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    before = []
    while True:
        line = process.stdout.readline()
        if not line:
            raise AssertionError(f"registry.py ended: {process.wait()} {process.stderr.read()}")
        if line.startswith("upload URL: "):
            process.stdout.readline()  # the index URL
            return process, line.split(": ", 1)[1].strip(), before
        before.append(line.strip())


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(c) for c in path.read_text().split()] if path.exists() else []


def stored(url: str, name: str) -> bytes | None:
    try:
        with urllib.request.urlopen(f"{url}packages/{name}", timeout=30) as answer:
            return answer.read()
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return None
        raise


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
    result = subprocess.run([*COMMAND, "--packages", str(tmp_path)], env=env, capture_output=True, text=True)
    assert result.returncode == 2
    assert "NEXUS_USERNAME and NEXUS_PASSWORD must be set" in result.stderr


def test_packages_pointing_at_a_file_is_a_clear_error(tmp_path, credentials):
    (tmp_path / "a-file").write_text("not a folder")
    env = {**os.environ, "NEXUS_USERNAME": credentials[0], "NEXUS_PASSWORD": credentials[1]}
    result = subprocess.run([*COMMAND, "--packages", str(tmp_path / "a-file")], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.startswith("ERROR [registry]")
    assert "a-file is a file, not a folder" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_start_up_failure_prints_pypiservers_own_error(tmp_path, credentials):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "NEXUS_USERNAME": credentials[0], "NEXUS_PASSWORD": credentials[1],
               "TMPDIR": str(tmp_path)}
        result = subprocess.run([*COMMAND, "--packages", str(tmp_path / "packages"), "--port", str(port)],
                                env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.startswith("ERROR [registry] The embedded registry (pypiserver) exited")
    assert "Address already in use" in result.stderr  # pypiserver's (waitress's) words
    assert "FileNotFoundError" not in result.stderr
    assert not list(tmp_path.glob("wheelwright-registry-*"))


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_pypiserver_too_and_leaves_no_temporary_folder(tmp_path, credentials, signum):
    process, url, _ = start_command(tmp_path / "packages", credentials, tmp_path)
    try:
        port = int(url.split("127.0.0.1:")[1].split("/")[0])
        server = children(process.pid)
        assert server and list(tmp_path.glob("wheelwright-registry-*"))
        process.send_signal(signum)
        assert process.wait(timeout=20) == 0
        assert "Traceback" not in process.stderr.read()
    finally:
        process.kill()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    assert not Path(f"/proc/{server[0]}").exists()
    assert not list(tmp_path.glob("wheelwright-registry-*"))


def test_an_upload_whose_digest_does_not_match_stores_nothing(registry, credentials, tmp_path):
    path = tmp_path / WHEEL
    make_file(path, 1)
    wrong = path.read_bytes()[:-1] + b"!"
    (tmp_path / "wrong").mkdir()
    (tmp_path / "wrong" / WHEEL).write_bytes(wrong)
    # The client declares the digests of `path`, but sends other bytes.
    env = {**os.environ, "UP_USER": credentials[0], "UP_PASSWORD": credentials[1]}
    result = subprocess.run([sys.executable, "-c", UPLOADER, registry.upload_url,
                             str(tmp_path / "wrong" / WHEEL), str(1 << 62), str(path)],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr  # the client ran to the end: the answer is the registry's
    assert result.stdout.startswith("400 "), result.stdout + result.stderr
    assert "Digests do not match" in result.stdout
    assert stored(registry.upload_url, WHEEL) is None
    assert sorted(p.name for p in registry.packages.iterdir()) == []


@pytest.mark.slow
def test_a_client_killed_mid_upload_stores_nothing(registry, credentials, tmp_path):
    path = tmp_path / WHEEL
    digest = make_file(path, 64)
    client = upload(registry.upload_url, path, credentials, stop_after=32 << 20)
    try:
        assert client.stdout.readline().strip() == "stopped"
        client.send_signal(signal.SIGKILL)
        assert client.wait(timeout=10) == -signal.SIGKILL
    finally:
        client.kill()
    time.sleep(1)  # what the registry does with the cut request, it does now
    assert not list(registry.packages.iterdir())
    assert stored(registry.upload_url, WHEEL) is None
    # The version is not blocked: the whole file goes in afterwards.
    again = upload(registry.upload_url, path, credentials)
    answer, _ = again.communicate(timeout=120)
    assert again.returncode == 0 and answer.startswith("200"), answer
    assert hashlib.sha256(stored(registry.upload_url, WHEEL)).hexdigest() == digest


@pytest.mark.slow
def test_a_registry_killed_mid_write_leaves_no_partial_file_under_the_final_name(tmp_path, credentials):
    """SIGKILL to the registry and its pypiserver while pypiserver writes a 128 MB upload."""
    packages = tmp_path / "packages"
    path = tmp_path / WHEEL
    digest = make_file(path, 128)
    for attempt in range(3):
        process, url, _ = start_command(packages, credentials, tmp_path)
        server = children(process.pid)
        client = upload(url, path, credentials)
        seen: list[str] = []
        try:
            deadline = time.monotonic() + 120
            while not seen and time.monotonic() < deadline and client.poll() is None:
                seen = [p.name for p in packages.iterdir()]
                time.sleep(0.002)
            for pid in (process.pid, *server):
                os.kill(pid, signal.SIGKILL)
            process.wait(timeout=10)
        finally:
            client.kill()
            client.wait()
            process.kill()
        final = packages / WHEEL
        if final.exists():
            # The link came first: the file under its final name is whole, never partial.
            assert hashlib.sha256(final.read_bytes()).hexdigest() == digest
            final.unlink()
        if any(name.startswith(".wheelwright-upload-") for name in seen):
            break
    else:
        pytest.fail(f"the kill never landed while pypiserver was writing: saw {seen}")
    assert not final.exists()
    # The next start removes the partial file, and says so; the version is not blocked.
    process, url, before = start_command(packages, credentials, tmp_path)
    try:
        assert any("removed .wheelwright-upload-" in line and "stopped in the middle" in line for line in before)
        assert [p.name for p in packages.iterdir()] == []
        assert upload(url, path, credentials).communicate(timeout=300)[0].startswith("200")
        assert hashlib.sha256(final.read_bytes()).hexdigest() == digest
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)


def test_a_truncated_wheel_left_by_an_earlier_registry_is_cleared_at_start(tmp_path, credentials):
    packages = tmp_path / "packages"
    packages.mkdir()
    (packages / WHEEL).write_bytes(b"PK\x03\x04 a wheel cut short")
    (packages / "good-1.0.tar.gz").write_bytes(b"an sdist is left alone")
    with registry_module.serve(packages, username=credentials[0], password=credentials[1]) as reg:
        assert [line.split(":")[0] for line in reg.cleared] == [f"removed {WHEEL} from {packages}"]
        assert "not a complete wheel" in reg.cleared[0]
        assert stored(reg.upload_url, WHEEL) is None
    assert [p.name for p in packages.iterdir()] == ["good-1.0.tar.gz"]


def test_credentials_reach_no_argv(tmp_path, credentials):
    process, _, _ = start_command(tmp_path / "packages", credentials, tmp_path)
    try:
        for pid in (process.pid, *children(process.pid)):
            argv = Path(f"/proc/{pid}/cmdline").read_bytes()
            assert credentials[1].encode() not in argv
            assert base64.b64encode(credentials[1].encode()) not in argv
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)


def test_pypiserver_does_not_outlive_a_killed_registry_command(tmp_path, credentials):
    process, _, _ = start_command(tmp_path / "packages", credentials, tmp_path)
    server = children(process.pid)
    assert server
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    deadline = time.monotonic() + 10
    while Path(f"/proc/{server[0]}").exists() and time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(server[0], os.WNOHANG)  # reaped by init, not by us: just wait for it to go
        time.sleep(0.1)
    alive = Path(f"/proc/{server[0]}").exists()
    if alive:
        os.kill(server[0], signal.SIGKILL)
    assert not alive, "pypiserver kept running after its parent died"
