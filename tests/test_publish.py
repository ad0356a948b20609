"""publish.py against real registries, with Nexus's answers injected by a proxy.

Every case runs the script as CI does (a process, credentials in its environment only) and
checks four things: the exit code, the message, what the repository holds afterwards, and
that the password shows up in no output, no log and no file written during the test.
pypiserver (the ``registry`` fixture) is the registry behind the proxy; devpi-server is a
second one with its own answers.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import io
import ipaddress
import json
import os
import re
import secrets
import shutil
import signal
import ssl
import stat
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator
from urllib.parse import urljoin

import pytest
import requests

import devpi_registry
from _wheelwright import SECRET_PREFIXES, read_outputs
from nexus_proxy import NexusProxy, nexus_page, nginx_page

ROOT = Path(__file__).resolve().parent.parent
PUBLISH = ROOT / "scripts" / "publish.py"
HOSTED = "/repository/pypi-hosted/"
#: Short waits, so retries are visible in seconds; the counts are what the tests check.
FAST = ["--retries", "2", "--backoff", "0.05", "--max-time", "30", "--timeout", "5"]
NAME, VERSION = "tiny-model", "1.0.0"
#: What the trusted side names: publish takes nothing else.
RELEASE = ["--name", NAME, "--version", VERSION]


# --- Distributions: small, real (twine reads their metadata), content on demand ----------

@dataclass(frozen=True)
class Dists:
    wheel: Path
    sdist: Path

    @property
    def files(self) -> list[str]:
        return [str(self.wheel), str(self.sdist)]


def _metadata(name: str, version: str) -> str:
    return (f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
            "Summary: A package for the publish tests\n\n")


def make_dists(dest: Path, payload: str, name: str = NAME, version: str = VERSION,
               big_member: int = 0, model: bytes | None = None) -> Dists:
    """A wheel and an sdist whose module holds ``payload`` (and ``model``, as model.joblib,
    when given); ``big_member`` bytes of zeros stored (uncompressed) in the wheel make it as
    large as needed without using memory."""
    dest.mkdir(parents=True, exist_ok=True)
    module = name.replace("-", "_")
    info = f"{module}-{version}.dist-info"
    members = {
        f"{module}/__init__.py": f"PAYLOAD = {payload!r}\n".encode(),
        **({f"{module}/model.joblib": model} if model is not None else {}),
        f"{info}/METADATA": _metadata(name, version).encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n\n",
    }
    wheel = dest / f"{module}-{version}-py3-none-any.whl"
    record = []
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in members.items():
            archive.writestr(member, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append(f"{member},sha256={digest},{len(data)}")
        if big_member:
            digest = hashlib.sha256()
            zeros = bytes(1 << 20)
            with archive.open(zipfile.ZipInfo(f"{module}/weights.bin"), "w", force_zip64=True) as out:
                for start in range(0, big_member, len(zeros)):
                    chunk = zeros[: min(len(zeros), big_member - start)]
                    out.write(chunk)
                    digest.update(chunk)
            encoded = base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()
            record.append(f"{module}/weights.bin,sha256={encoded},{big_member}")
        record.append(f"{info}/RECORD,,")
        archive.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
    sdist = dest / f"{module}-{version}.tar.gz"
    with tarfile.open(sdist, "w:gz") as archive:
        for member, data in {"PKG-INFO": _metadata(name, version).encode(),
                             f"{module}/__init__.py": members[f"{module}/__init__.py"]}.items():
            entry = tarfile.TarInfo(f"{module}-{version}/{member}")
            entry.size = len(data)
            archive.addfile(entry, io.BytesIO(data))
    return Dists(wheel, sdist)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def held(registry) -> dict[str, str]:
    """What pypiserver holds, read from its folder: file name -> sha256."""
    return {p.name: sha256(p) for p in registry.packages.rglob("*") if p.is_file()}


def local(*paths: Path) -> dict[str, str]:
    return {p.name: sha256(p) for p in paths}


# --- Running publish, and proving the password went nowhere -----------------------------

@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    peak_rss_kb: int = 0

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    @property
    def last_line(self) -> str:
        lines = self.stdout.strip().splitlines()
        return lines[-1] if lines else ""


def base_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items()
            if not k.startswith((*SECRET_PREFIXES, "GITHUB_", "REQUESTS_CA_BUNDLE"))}


# A small parent for publish.py: the kernel charges a child, at exec, with the memory of
# the process it was forked from, so measuring straight from pytest (hundreds of MB after
# a long session) would report pytest's size. This parent reports the peak RSS of the
# largest process it waited for (publish.py or twine's child, which publish.py waits for).
MEASURE = """
import resource, subprocess, sys
code = subprocess.call(sys.argv[1:])
sys.stderr.write(f"\\npeak-rss-kb {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}\\n")
sys.exit(code)
"""


def run_publish(*args: str, env: dict[str, str]) -> Run:
    """Run publish.py under a small parent that measures its peak memory."""
    result = subprocess.run([sys.executable, "-c", MEASURE, sys.executable, str(PUBLISH), *args],
                            env=env, capture_output=True, text=True, cwd=ROOT)
    stderr, _, measured = result.stderr.rpartition("\npeak-rss-kb ")
    return Run(result.returncode, result.stdout, stderr, int(measured))


SKIP_DIRS = {".git", ".venv", "venv", "site-packages", "node_modules", "__pycache__", ".cache"}


def files_written_since(since: float) -> Iterator[Path]:
    """Files changed during the test in the work tree, the temp folder (the test's tmp_path,
    the registry's log, devpi's server folder) and the home folder (.pypirc, .netrc...)."""
    roots = [(ROOT, 99), (Path(tempfile.gettempdir()), 99), (Path.home(), 2)]
    for root, max_depth in roots:
        base_depth = len(root.parts)
        for dirpath, dirnames, filenames in os.walk(root):
            depth = len(Path(dirpath).parts) - base_depth
            dirnames[:] = [] if depth >= max_depth else [d for d in dirnames if d not in SKIP_DIRS]
            for name in filenames:
                path = Path(dirpath, name)
                try:
                    info = path.lstat()
                except OSError:
                    continue
                if stat.S_ISREG(info.st_mode) and info.st_mtime >= since and info.st_size < 50_000_000:
                    yield path


def assert_nowhere(secret: str, username: str, runs: list[Run], since: float) -> None:
    # Actions needs the password once, in the line that asks it to mask it.
    shown = "\n".join(line for run in runs for line in run.output.splitlines()
                      if not line.startswith("::add-mask::"))
    assert secret not in shown, "the password was printed"
    needles = [secret.encode(), base64.b64encode(f"{username}:{secret}".encode())]
    for path in files_written_since(since):
        try:
            data = path.read_bytes()
        except OSError:
            continue
        for needle in needles:
            assert needle not in data, f"the password was written to {path}"


class Publisher:
    """Runs publish.py with credentials in its environment; remembers what to check."""

    def __init__(self, username: str, password: str, since: float) -> None:
        self.username, self.password = username, password
        self.secrets = {password}
        self.runs: list[Run] = []
        self.since = since

    def __call__(self, *args: str, password: str | None = None, username: str | None = None,
                 env: dict[str, str] | None = None) -> Run:
        environ = base_env()
        username = self.username if username is None else username
        password = self.password if password is None else password
        if username:
            environ["NEXUS_USERNAME"] = username
        if password:
            environ["NEXUS_PASSWORD"] = password
            self.secrets.add(password)
        environ.update(env or {})
        run = run_publish(*args, env=environ)
        self.runs.append(run)
        return run

    def assert_password_nowhere(self) -> None:
        for secret in self.secrets:
            assert_nowhere(secret, self.username, self.runs, self.since)


@pytest.fixture(scope="module")
def module_credentials() -> tuple[str, str]:
    return "ci-uploader", "pw-" + secrets.token_urlsafe(18)


@pytest.fixture(scope="module")
def module_registry(tmp_path_factory, module_credentials):
    import registry as registry_module

    username, password = module_credentials
    with registry_module.serve(tmp_path_factory.mktemp("registry") / "packages",
                               username=username, password=password) as reg:
        yield reg


@pytest.fixture
def credentials(module_credentials) -> tuple[str, str]:
    """One account for the module's registry (starting pypiserver takes a second)."""
    return module_credentials


@pytest.fixture
def registry(module_registry):
    """The module's pypiserver, emptied: each test starts with a repository holding nothing
    (pypiserver, without watchdog, caches no listing)."""
    for path in module_registry.packages.iterdir():
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    return module_registry


@pytest.fixture(autouse=True)
def started() -> float:
    """When the test began, before any other fixture: files changed since are scanned."""
    return time.time() - 1


@pytest.fixture
def publish(started, registry, credentials) -> Iterator[Publisher]:
    """publish.py against this test's registry; after the test, the password must be nowhere
    (checked while the registry, and so its log, still exists)."""
    publisher = Publisher(*credentials, since=started)
    yield publisher
    publisher.assert_password_nowhere()


@pytest.fixture
def nexus(registry, credentials, tmp_path) -> Iterator[NexusProxy]:
    """The proxy in front of pypiserver, checking credentials as Nexus does."""
    with NexusProxy(registry.base_url, tmp_path / "proxy.log") as proxy:
        proxy.nexus_auth(*credentials)
        yield proxy


@pytest.fixture
def dists(tmp_path):
    def make(payload: str = "A", **kwargs: object) -> Dists:
        return make_dists(tmp_path / f"dist-{payload}-{secrets.token_hex(3)}", payload, **kwargs)
    return make


def upload_url(proxy: NexusProxy) -> str:
    return proxy.base_url + HOSTED


def test_the_leak_check_catches_a_printed_or_written_password(tmp_path, started):
    secret = "pw-" + secrets.token_urlsafe(18)
    with pytest.raises(AssertionError, match="printed"):
        assert_nowhere(secret, "ci", [Run(1, f"ERROR with {secret}\n", "")], started)
    assert_nowhere(secret, "ci", [Run(0, f"::add-mask::{secret}\n", "")], started)
    (tmp_path / ".pypirc").write_text(f"[nexus]\npassword = {secret}\n")
    with pytest.raises(AssertionError, match="written to"):
        assert_nowhere(secret, "ci", [], started)


# --- The CLI -----------------------------------------------------------------------------

def test_help_prints_the_retry_and_timeout_defaults():
    run = run_publish("--help", env=base_env())
    assert run.code == 0
    text = " ".join(run.stdout.split())
    for flag, default in [("--retries", "4"), ("--backoff", "2.0"), ("--max-time", "300.0"),
                          ("--timeout", "60.0")]:
        assert flag in text
        assert f"(default: {default})" in text
    assert "NEXUS_USERNAME and NEXUS_PASSWORD" in text


# --- Publishing and re-publishing ---------------------------------------------------------

def test_first_upload_puts_the_wheel_then_the_sdist(nexus, publish, dists, registry):
    built = dists("A")
    run = publish("--repository-url", upload_url(nexus), *RELEASE, *FAST, str(built.sdist), str(built.wheel))
    assert run.code == 0, run.output
    assert run.last_line == (f"published: {built.wheel.name} uploaded; {built.sdist.name} uploaded")
    assert nexus.uploads() == [built.wheel.name, built.sdist.name]
    assert held(registry) == local(built.wheel, built.sdist)


def test_a_rerun_with_the_same_files_uploads_nothing(nexus, publish, dists, registry):
    built = dists("A")
    assert publish("--repository-url", upload_url(nexus), *RELEASE, *built.files).code == 0
    posts = nexus.count("POST")

    run = publish("--repository-url", upload_url(nexus), *RELEASE, *built.files)
    assert run.code == 0, run.output
    assert run.last_line == (f"published: {built.wheel.name} already present (identical); "
                             f"{built.sdist.name} already present (identical)")
    assert nexus.count("POST") == posts == 2
    assert held(registry) == local(built.wheel, built.sdist)


def test_the_same_version_with_other_content_fails_and_the_original_stays(nexus, publish, dists, registry):
    original, changed = dists("A"), dists("B")
    assert publish("--repository-url", upload_url(nexus), *RELEASE, *original.files).code == 0

    run = publish("--repository-url", upload_url(nexus), *RELEASE, *changed.files)
    assert run.code == 1
    assert f"{NAME} {VERSION} is already published with other content" in run.stderr
    assert "bump the version" in run.stderr
    assert sha256(original.wheel) in run.stderr and sha256(changed.wheel) in run.stderr
    assert run.last_line == (f"NOT published: {changed.wheel.name} failed (other content already "
                             f"published); {changed.sdist.name} not attempted")
    assert nexus.count("POST") == 2  # the first run's; the second sent nothing
    assert held(registry) == local(original.wheel, original.sdist)


NEXUS_DUPLICATE_ANSWERS = {
    "orientdb": "Repository does not allow updating assets: pypi-hosted",
    "h2-postgresql": "pypi-hosted/packages/tiny-model/1.0.0/tiny_model-1.0.0-py3-none-any.whl cannot be updated",
    "pypiserver": None,  # no scripted answer: pypiserver's own 400 "already exists"
}


@pytest.mark.parametrize("server", NEXUS_DUPLICATE_ANSWERS)
@pytest.mark.parametrize("same_content", [True, False], ids=["identical", "different"])
def test_a_duplicate_answer_is_settled_by_comparing_the_stored_file(
        server, same_content, nexus, publish, dists, registry):
    stored = dists("A")
    shutil.copy(stored.wheel, registry.packages)  # published before, by someone else
    # The index lags (or another run won the race): the lookup misses, the POST collides.
    nexus.answer("GET", 404, path="/simple/", times=1)
    wording = NEXUS_DUPLICATE_ANSWERS[server]
    if wording:
        nexus.answer("POST", 400, nexus_page(400, wording), reason=wording)
    candidate = stored if same_content else dists("B")

    run = publish("--repository-url", upload_url(nexus), *RELEASE, *FAST, str(candidate.wheel))
    assert nexus.count("POST") == 1  # a duplicate answer is not retried
    assert held(registry) == local(stored.wheel)
    if same_content:
        assert run.code == 0, run.output
        assert run.last_line == f"published: {stored.wheel.name} already present (identical)"
    else:
        assert run.code == 1
        assert "already published with other content" in run.stderr
        assert "bump the version" in run.stderr


def test_dry_run_looks_everything_up_and_uploads_nothing(nexus, publish, dists, registry):
    built = dists("A")
    run = publish("--repository-url", upload_url(nexus), *RELEASE, "--dry-run", *built.files)
    assert run.code == 0, run.output
    assert run.last_line.startswith("dry run, nothing uploaded:")
    assert nexus.count("POST") == 0 and nexus.count("GET", "/simple/tiny-model/") == 2
    assert held(registry) == {}

    assert publish("--repository-url", upload_url(nexus), *RELEASE, *built.files).code == 0
    again = publish("--repository-url", upload_url(nexus), *RELEASE, "--dry-run", *dists("B").files)
    assert again.code == 1
    assert "already published with other content" in again.stderr


# --- What the repository refuses: one clear line, no retry ------------------------------

def test_a_wrong_password_gets_nexus_401_naming_both_variables(nexus, publish, dists, registry):
    run = publish("--repository-url", upload_url(nexus), *RELEASE, *FAST, *dists("A").files,
                  password="wrong-" + secrets.token_urlsafe(12))
    assert run.code == 1
    assert "401 Unauthorized" in run.stderr
    assert "NEXUS_USERNAME and NEXUS_PASSWORD" in run.stderr
    assert nexus.count("GET") == 1 and nexus.count("POST") == 0  # 4xx: not retried
    assert held(registry) == {}


@pytest.mark.parametrize("status, body, headers, expected", [
    (401, "", {"WWW-Authenticate": 'BASIC realm="Sonatype Nexus Repository Manager"'},
     ["was refused with 401 Unauthorized", "NEXUS_USERNAME and NEXUS_PASSWORD"]),
    (403, None, {},  # not scripted: the account is known and lacks "add", as in Nexus
     ['was refused with 403 Forbidden: user ci-uploader lacks the "add" privilege',
      "nx-repository-view-pypi-pypi-hosted-add"]),
    (404, nexus_page(404, "Repository not found"), {"Content-Type": "text/html"},
     ["got 404 Not Found", "group or proxy", "trailing slash"]),
    (413, nginx_page(413, "Request Entity Too Large"), {"Content-Type": "text/html"},
     ["refused with 413 Payload Too Large", "limits the size of request bodies",
      "client_max_body_size"]),
], ids=["401", "403", "404", "413"])
def test_an_upload_refused_with_4xx_fails_at_once_with_cause_and_fix(
        status, body, headers, expected, nexus, publish, dists, registry, credentials):
    built = dists("A")
    if body is None:
        nexus.nexus_auth(*credentials, can_add=False)
    else:
        nexus.answer("POST", status, body, headers=headers)
    run = publish("--repository-url", upload_url(nexus), *RELEASE, *FAST, *built.files)
    assert run.code == 1
    for text in expected:
        assert text in run.stderr
    if status == 413:
        size = built.wheel.stat().st_size
        assert f"{size} bytes" in run.stderr
    assert nexus.uploads() == [built.wheel.name]  # once: a 4xx is not retried
    assert run.last_line == (f"NOT published: {built.wheel.name} failed (HTTP {status}); "
                             f"{built.sdist.name} not attempted")
    assert held(registry) == {}


def test_a_wrong_password_that_pypiserver_answers_with_403_is_called_a_wrong_password(
        registry, publish, dists):
    """pypiserver reads without credentials and answers a wrong password 403, like Nexus's
    "no add privilege": publish asks again as an account that cannot exist to tell which."""
    run = publish("--repository-url", registry.upload_url, *RELEASE, *FAST, *dists("A").files,
                  password="wrong-" + secrets.token_urlsafe(12))
    assert run.code == 1
    assert "403 Forbidden, which is how this repository answers a wrong password" in run.stderr
    assert "NEXUS_USERNAME and NEXUS_PASSWORD" in run.stderr
    assert "privilege" not in run.stderr
    assert held(registry) == {}


def test_a_redirect_is_reported_not_followed(nexus, publish, dists, registry):
    moved = nexus.base_url + "/repository/pypi-hosted-moved/"
    nexus.answer("POST", 301, headers={"Location": moved})
    run = publish("--repository-url", upload_url(nexus), *RELEASE, *FAST, *dists("A").files)
    assert run.code == 1
    assert f"was redirected to {moved}" in run.stderr
    assert "trailing slash" in run.stderr
    assert nexus.count("POST") == 1 and nexus.count("POST", "moved") == 0
    assert held(registry) == {}


# --- What is worth retrying, and how often ------------------------------------------------

def test_503_is_retried_then_reported_as_offline_or_read_only(nexus, publish, dists, registry):
    nexus.answer("POST", 503, nexus_page(503, "Service Unavailable"))
    run = publish("--repository-url", upload_url(nexus), *RELEASE, *FAST, *dists("A").files)
    assert run.code == 1
    assert "Gave up after 3 attempt(s)" in run.stderr
    assert "503 Service Unavailable" in run.stderr and "read-only" in run.stderr
    assert nexus.count("POST") == 3  # --retries 2; twine alone would have sent 5 per attempt
    assert "Retry 1 in 0.05 s." in run.stdout and "Retry 2 in 0.1 s." in run.stdout
    assert held(registry) == {}


def test_two_502_then_success(nexus, publish, dists, registry):
    built = dists("A")
    nexus.answer("POST", 502, nginx_page(502, "Bad Gateway"), times=2)
    run = publish("--repository-url", upload_url(nexus), *RELEASE, *FAST, *built.files)
    assert run.code == 0, run.output
    assert nexus.uploads() == [built.wheel.name] * 3 + [built.sdist.name]
    assert run.last_line == f"published: {built.wheel.name} uploaded; {built.sdist.name} uploaded"
    assert held(registry) == local(built.wheel, built.sdist)


def test_retries_are_bounded_in_time(nexus, publish, dists, registry):
    nexus.answer("POST", 502, nginx_page(502, "Bad Gateway"))
    run = publish("--repository-url", upload_url(nexus), *RELEASE, "--retries", "1", "--backoff", "30",
                  "--max-time", "20", *dists("A").files)
    assert run.code == 1
    assert "Gave up after 1 attempt(s)" in run.stderr and "502 Bad Gateway" in run.stderr
    # The first wait (30 s) would end past --max-time 20 however long the attempt took, so
    # it is not started: a count that does not depend on how busy the machine is (with
    # backoff 2 and max-time 5, a slow first attempt once made it 1 instead of 2). Where a
    # wait within the bound is started is with_retries' unit tests' business.
    assert nexus.count("POST") == 1
    assert held(registry) == {}


@pytest.mark.parametrize("status", [502, 504])
def test_a_5xx_after_the_file_was_stored_counts_as_uploaded(status, nexus, publish, dists, registry):
    built = dists("A")
    nexus.forward_then("POST", status, nginx_page(status, "Gateway Timeout"), times=1)
    run = publish("--repository-url", upload_url(nexus), *RELEASE, *FAST, *built.files)
    assert run.code == 0, run.output
    assert nexus.uploads() == [built.wheel.name, built.sdist.name]  # no second POST
    assert run.last_line == f"published: {built.wheel.name} uploaded; {built.sdist.name} uploaded"
    assert held(registry) == local(built.wheel, built.sdist)


def test_a_hang_beyond_the_timeout_is_retried_then_reported(nexus, publish, dists, registry):
    nexus.hang("POST", seconds=10)
    run = publish("--repository-url", upload_url(nexus), *RELEASE, "--retries", "1", "--backoff", "0.05",
                  "--timeout", "2", *dists("A").files)
    assert run.code == 1
    assert "got no answer within 2 s" in run.stderr and "--timeout" in run.stderr
    assert nexus.count("POST") == 2
    assert held(registry) == {}


def test_a_hang_after_the_file_was_stored_counts_as_uploaded(nexus, publish, dists, registry):
    built = dists("A")
    nexus.hang("POST", seconds=10, forward_first=True, times=1)
    run = publish("--repository-url", upload_url(nexus), *RELEASE, *FAST, "--timeout", "2", *built.files)
    assert run.code == 0, run.output
    assert nexus.uploads() == [built.wheel.name, built.sdist.name]
    assert held(registry) == local(built.wheel, built.sdist)


def test_nothing_listening_is_retried_then_reported_unreachable(publish, dists, registry):
    from registry import free_port

    url = f"http://127.0.0.1:{free_port()}{HOSTED}"
    run = publish("--repository-url", url, *RELEASE, *FAST, *dists("A").files)
    assert run.code == 1
    assert "Gave up after 3 attempt(s)" in run.stderr
    assert "could not connect to 127.0.0.1:" in run.stderr and "Connection refused" in run.stderr
    assert "reachable from this runner" in run.stderr
    assert held(registry) == {}


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat_line = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat_line.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_during_an_upload_stops_the_child_and_says_so(signum, nexus, credentials, dists, registry):
    built = dists("A")
    nexus.hang("POST", seconds=30)
    env = {**base_env(), "NEXUS_USERNAME": credentials[0], "NEXUS_PASSWORD": credentials[1]}
    process = subprocess.Popen([sys.executable, str(PUBLISH), "--repository-url", upload_url(nexus), *RELEASE,
                                str(built.wheel)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    deadline = time.monotonic() + 20
    while nexus.count("POST") == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    uploaders = _children(process.pid)
    assert uploaders, "the upload child was not running"
    process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=20)
    assert process.returncode == 128 + signum  # as every stage, and a shell, say it
    assert f"Stopped by {signal.Signals(signum).name}" in stderr
    assert stdout.strip().splitlines()[-1] == f"NOT published: {built.wheel.name} failed (interrupted)"
    assert not [pid for pid in uploaders if _alive(pid)]
    assert credentials[1] not in stdout + stderr
    assert held(registry) == {}


def _self_signed(tmp_path: Path) -> tuple[ssl.SSLContext, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "internal CA nexus")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "nexus.pem", tmp_path / "nexus.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context, cert_file


def test_a_certificate_from_an_unknown_ca_fails_at_once_and_the_hint_fixes_it(
        tmp_path, registry, credentials, publish, dists):
    built = dists("A")
    context, ca = _self_signed(tmp_path)
    with NexusProxy(registry.base_url, tmp_path / "tls-proxy.log", tls=context) as proxy:
        run = publish("--repository-url", upload_url(proxy), *RELEASE, *FAST, *built.files)
        assert run.code == 1
        assert "failed to set up TLS with 127.0.0.1:" in run.stderr
        assert "CERTIFICATE_VERIFY_FAILED" in run.stderr and "REQUESTS_CA_BUNDLE" in run.stderr
        assert proxy.seen == []  # not retried, nothing sent
        assert held(registry) == {}

        trusted = publish("--repository-url", upload_url(proxy), *RELEASE, *FAST, *built.files,
                          env={"REQUESTS_CA_BUNDLE": str(ca)})
        assert trusted.code == 0, trusted.output
        assert held(registry) == local(built.wheel, built.sdist)


# --- Refused before anything is sent --------------------------------------------------------

@pytest.mark.parametrize("missing", ["NEXUS_USERNAME", "NEXUS_PASSWORD", "both"])
def test_missing_credentials_are_named_and_nothing_is_sent(missing, nexus, publish, dists):
    run = publish("--repository-url", upload_url(nexus), *RELEASE, *dists("A").files,
                  username="" if missing in ("NEXUS_USERNAME", "both") else None,
                  password="" if missing in ("NEXUS_PASSWORD", "both") else None)
    assert run.code == 2
    expected = "NEXUS_USERNAME and NEXUS_PASSWORD are not set" if missing == "both" else f"{missing} is not set"
    assert expected in run.stderr
    assert "secrets.NEXUS_PASSWORD" in run.stderr
    assert nexus.seen == []


@pytest.mark.parametrize("url, expected", [
    ("http://ci-uploader:{password}@127.0.0.1:{port}/repository/pypi-hosted/", "holds a username or password"),
    ("http://127.0.0.1:{port}/repository/pypi-hosted", "lacks its trailing slash"),
    ("http://nexus.example.com/repository/pypi-hosted/", "plain http to another machine"),
    ("ftp://127.0.0.1:{port}/repository/pypi-hosted/", "is not an http(s) URL"),
], ids=["credentials", "no-slash", "http-remote", "scheme"])
def test_an_unusable_url_is_refused_before_anything_is_sent(url, expected, nexus, publish, dists, credentials):
    port = nexus.base_url.rsplit(":", 1)[1]
    run = publish("--repository-url", url.format(password=credentials[1], port=port), *RELEASE, *dists("A").files)
    assert run.code == 2
    assert expected in run.stderr
    assert nexus.seen == []


def test_a_missing_file_is_refused(nexus, publish, tmp_path):
    missing = publish("--repository-url", upload_url(nexus), *RELEASE,
                      str(tmp_path / "tiny_model-1.0.0-py3-none-any.whl"))
    assert missing.code == 2 and "does not exist" in missing.stderr
    no_folder = publish("--repository-url", upload_url(nexus), *RELEASE, "--dist", str(tmp_path / "nowhere"))
    assert no_folder.code == 2 and "is not a folder" in no_folder.stderr
    assert nexus.seen == []


# --- Only what the build named: one wheel, at most one sdist, of --name --version --------------

def _plant(folder: Path, what: str, dists) -> str:
    """Put something in the build's folder that is not its wheel or sdist; return its name."""
    if what == "other-project":
        return Path(shutil.copy(dists("X", name="evil-model").wheel, folder)).name
    if what == "other-version":
        return Path(shutil.copy(dists("X", version="1.0.1").wheel, folder)).name
    if what == "second-wheel":  # same release, another tag: which one is the build's?
        target = folder / "tiny_model-1.0.0-py2.py3-none-any.whl"
        shutil.copy(dists("X").wheel, target)
        return target.name
    if what == "stray-tar-gz":
        (folder / "model-weights.tar.gz").write_bytes(b"\x1f\x8b not much")
        return "model-weights.tar.gz"
    if what == "second-sdist":
        target = folder / "tiny-model-1.0.0.tar.gz"  # the same release, another spelling
        shutil.copy(dists("X").sdist, target)
        return target.name
    if what == "text-file":
        (folder / "notes.txt").write_text("hello")
        return "notes.txt"
    if what == "folder":
        (folder / "extra").mkdir()
        return "extra"
    if what == "symlink":
        (folder / "tiny_model-1.0.0-cp311-none-any.whl").symlink_to(dists("X").wheel)
        return "tiny_model-1.0.0-cp311-none-any.whl"
    raise AssertionError(what)


PLANTED = ["other-project", "other-version", "second-wheel", "stray-tar-gz", "second-sdist",
           "text-file", "folder", "symlink"]


@pytest.mark.parametrize("what", PLANTED)
def test_anything_planted_beside_the_build_is_refused_and_nothing_is_sent(
        what, nexus, publish, dists, registry):
    built = dists("A")
    planted = _plant(built.wheel.parent, what, dists)
    run = publish("--repository-url", upload_url(nexus), *RELEASE, "--dist", str(built.wheel.parent))
    assert run.code == 2, run.output
    assert f"Refusing to publish: {built.wheel.parent}/ holds what is not tiny-model 1.0.0's" in run.stderr
    assert f"{planted} (" in run.stderr
    assert "Nothing was uploaded" in run.stderr
    assert nexus.seen == []  # not a lookup, not an upload
    assert held(registry) == {}


def test_a_foreign_file_given_by_name_is_refused_too(nexus, publish, dists, registry):
    built, other = dists("A"), dists("X", name="evil-model")
    run = publish("--repository-url", upload_url(nexus), *RELEASE, str(built.wheel), str(other.wheel))
    assert run.code == 2
    assert f"{other.wheel.name} (a file of evil-model)" in run.stderr
    assert nexus.seen == [] and held(registry) == {}


def test_the_build_folder_with_its_wheel_and_sdist_is_published(nexus, publish, dists, registry):
    built = dists("A")
    run = publish("--repository-url", upload_url(nexus), *RELEASE, "--dist", str(built.wheel.parent))
    assert run.code == 0, run.output
    assert run.last_line == f"published: {built.wheel.name} uploaded; {built.sdist.name} uploaded"
    assert held(registry) == local(built.wheel, built.sdist)


@pytest.mark.parametrize("args, expected", [
    (["--name", "other-model", "--version", VERSION], "tiny_model-1.0.0-py3-none-any.whl (a file of tiny-model)"),
    (["--name", NAME, "--version", "1.0.0+local"], "is a local version"),
    (["--name", NAME, "--version", "one"], "is not a valid version"),
    (["--name", NAME], "give --name and --version"),
], ids=["other-name", "local-version", "bad-version", "no-version"])
def test_the_release_named_must_be_the_files_and_public(args, expected, nexus, publish, dists, registry):
    built = dists("A")
    run = publish("--repository-url", upload_url(nexus), *args, str(built.wheel))
    assert run.code == 2
    assert expected in run.stderr
    assert nexus.seen == [] and held(registry) == {}


def test_an_sdist_without_its_wheel_is_refused(nexus, publish, dists, registry):
    built = dists("A")
    built.wheel.unlink()
    run = publish("--repository-url", upload_url(nexus), *RELEASE, "--dist", str(built.sdist.parent))
    assert run.code == 2
    assert f"{built.sdist.parent}/ holds no wheel of tiny-model 1.0.0" in run.stderr
    assert nexus.seen == [] and held(registry) == {}


@pytest.mark.parametrize("broken", ["wheel", "sdist", "renamed"])
def test_every_file_is_read_before_the_first_upload(broken, nexus, publish, dists, registry, tmp_path):
    built = dists("A")
    if broken == "renamed":  # the release's file name, another release's metadata
        bad = Path(shutil.copy(dists("A", version="2.0.0").sdist, built.sdist))
        expected = "is named for tiny-model 1.0.0, but its metadata says tiny-model 2.0.0"
    else:
        bad = built.wheel if broken == "wheel" else built.sdist
        bad.write_bytes(b"not an archive")
        expected = f"twine could not read {bad.name}"
    run = publish("--repository-url", upload_url(nexus), *RELEASE, str(built.wheel), str(bad))
    assert run.code == 2
    assert expected in run.stderr
    assert nexus.seen == []  # not even the wheel went out
    assert held(registry) == {}


# --- Preflight: before training, prove the account may upload, storing nothing ---------------
#
# The preflight POSTs an upload every server refuses for its content, but only after it has
# checked the account: 400 is a pass. Each case checks the exit code, the message, and that
# the repository holds nothing afterwards (pypiserver's folder; the proxy's POSTs never
# reached it, or reached it and were refused).

PREFLIGHT_FILE = "wheelwright preflight, refused by design.txt"


def preflight_posts(proxy: NexusProxy) -> list[int | None]:
    return [s.status for s in proxy.seen if s.method == "POST" and s.file == PREFLIGHT_FILE]


def test_preflight_passes_for_an_account_that_may_upload_and_stores_nothing(nexus, publish, registry):
    run = publish("--preflight", "--repository-url", upload_url(nexus))
    assert run.code == 0, run.output
    assert f"preflight: ci-uploader may upload to {upload_url(nexus)}" in run.stdout
    assert "got 400 Digests do not match, found: " in run.stdout  # Nexus's own refusal
    assert f"{upload_url(nexus)}simple/ answers" in run.stdout
    assert [(s.method, s.path, s.status) for s in nexus.seen] == [
        ("POST", HOSTED, 400), ("GET", HOSTED + "simple/", 200)]
    assert held(registry) == {}


def test_preflight_wrong_password_nexus_401(nexus, publish, registry):
    run = publish("--preflight", "--repository-url", upload_url(nexus),
                  password="wrong-" + secrets.token_hex(8))
    assert run.code == 1
    assert "A test upload to" in run.stderr and "was refused with 401 Unauthorized" in run.stderr
    assert "NEXUS_USERNAME and NEXUS_PASSWORD" in run.stderr
    assert preflight_posts(nexus) == [401]
    assert held(registry) == {}


def test_preflight_no_add_privilege_nexus_403(nexus, publish, registry, credentials):
    nexus.nexus_auth(*credentials, can_add=False)  # reads allowed, uploads not
    run = publish("--preflight", "--repository-url", upload_url(nexus))
    assert run.code == 1
    assert 'was refused with 403 Forbidden: user ci-uploader lacks the "add" privilege' in run.stderr
    assert "nx-repository-view-pypi-pypi-hosted-add" in run.stderr
    assert "wrong" not in run.stderr
    assert preflight_posts(nexus) == [403, 401]  # the account's, then the made-up one's
    assert held(registry) == {}


def test_preflight_unknown_repository_nexus_404(nexus, publish, registry):
    url = nexus.base_url + "/repository/pypi-hostd/"
    run = publish("--preflight", "--repository-url", url)
    assert run.code == 1
    assert f"A test upload to {url} (built to be refused: nothing is stored) got 404 Not Found" in run.stderr
    assert "*hosted* PyPI repository" in run.stderr
    assert preflight_posts(nexus) == [404]
    assert held(registry) == {}


def test_preflight_group_url_nexus_404(nexus, publish, registry):
    nexus.group("pypi-all")
    url = nexus.base_url + "/repository/pypi-all/"
    run = publish("--preflight", "--repository-url", url)
    assert run.code == 1
    assert "got 404 Not Found: no such repository, or it is a group or proxy repository" in run.stderr
    assert preflight_posts(nexus) == [404]
    assert held(registry) == {}


def test_preflight_wrong_password_pypiserver_403(registry, publish):
    """pypiserver lets anyone read: only the test upload can tell a wrong password."""
    run = publish("--preflight", "--repository-url", registry.upload_url,
                  password="wrong-" + secrets.token_hex(8))
    assert run.code == 1
    assert "403 Forbidden, which is how this repository answers a wrong password" in run.stderr
    assert "the credentials are wrong" in run.stderr and "privilege" not in run.stderr
    assert held(registry) == {}


def test_preflight_right_account_pypiserver_400(registry, publish):
    run = publish("--preflight", "--repository-url", registry.upload_url)
    assert run.code == 0, run.output
    assert "got 400 Bad Request (Bad filename: wheelwright preflight" in run.stdout
    assert held(registry) == {}


def test_preflight_fails_fast_before_sending_or_when_nothing_answers(nexus, publish):
    from registry import free_port

    nowhere = publish("--preflight", *FAST, "--repository-url", f"http://127.0.0.1:{free_port()}{HOSTED}")
    assert nowhere.code == 1 and "could not connect" in nowhere.stderr
    assert "Gave up after 3 attempt(s)" in nowhere.stderr
    no_password = publish("--preflight", "--repository-url", upload_url(nexus), password="")
    assert no_password.code == 2 and "NEXUS_PASSWORD is not set" in no_password.stderr
    no_slash = publish("--preflight", "--repository-url", upload_url(nexus).rstrip("/"))
    assert no_slash.code == 2 and "trailing slash" in no_slash.stderr
    assert nexus.seen == []


def test_preflight_reports_an_index_that_does_not_answer(nexus, publish, registry):
    nexus.answer("GET", 404, nexus_page(404, "Not Found"), path="/simple/")
    run = publish("--preflight", "--repository-url", upload_url(nexus))
    assert run.code == 1
    assert f"Reading {upload_url(nexus)}simple/ got 404 Not Found" in run.stderr
    assert held(registry) == {}


def test_preflight_retries_a_5xx(nexus, publish, registry):
    nexus.answer("POST", 502, nginx_page(502, "Bad Gateway"), times=1)
    run = publish("--preflight", *FAST, "--repository-url", upload_url(nexus))
    assert run.code == 0, run.output
    assert "Retry 1 in 0.05 s." in run.stdout
    assert held(registry) == {}


def test_preflight_that_a_server_accepts_is_an_error_naming_what_to_delete(nexus, publish):
    nexus.answer("POST", 200)
    run = publish("--preflight", "--repository-url", upload_url(nexus))
    assert run.code == 1
    assert "was accepted (200 OK), although it was built to be refused" in run.stderr
    assert "packages/wheelwright-preflight/0/" in run.stderr


# --- A conflict says which files inside the wheel differ -------------------------------------

def test_a_conflict_names_the_model_file_that_differs(nexus, publish, dists, registry):
    original, retrained = dists("A", model=b"weights-1"), dists("A", model=b"weights-2")
    assert publish("--repository-url", upload_url(nexus), *RELEASE, str(original.wheel)).code == 0
    run = publish("--repository-url", upload_url(nexus), *RELEASE, str(retrained.wheel))
    assert run.code == 1
    assert ("Inside the wheel: tiny_model/model.joblib differs: the training is not reproducible "
            "(pass random_state to every estimator and to the train/test split)") in run.stderr
    assert "tiny_model/__init__.py" not in run.stderr
    assert held(registry) == local(original.wheel)


# --- One read of each file ----------------------------------------------------------------------
#
# A sitecustomize module, put on PYTHONPATH for publish and the child it starts, counts the
# bytes read from the dists through Python's open() in every process and writes them out
# at exit. Each wheel carries a 2 MB stored member, so that one read (plus the few kB of zip
# directory and METADATA) is told apart from two.

COUNT_READS = """
import atexit, builtins, io, json, os
watched = set(os.environ["WW_WATCH"].split(os.pathsep))
counts = {}
class Counted(io.FileIO):
    def _count(self, n):
        counts[self.name] = counts.get(self.name, 0) + (n or 0)
    def readinto(self, b):
        n = super().readinto(b); self._count(n); return n
    def read(self, size=-1):
        data = super().read(size); self._count(len(data or b"")); return data
    def readall(self):
        data = super().readall(); self._count(len(data)); return data
original = builtins.open
def counting_open(file, mode="r", buffering=-1, *args, **kwargs):
    if isinstance(file, (str, os.PathLike)) and os.path.realpath(file) in watched and mode in ("rb", "br"):
        raw = Counted(os.path.realpath(file), "r")
        return raw if buffering == 0 else io.BufferedReader(raw)
    return original(file, mode, buffering, *args, **kwargs)
builtins.open = io.open = counting_open
@atexit.register
def write():
    if counts:
        with original(os.environ["WW_READS"], "a") as out:
            out.write(json.dumps(counts) + "\\n")
"""


@pytest.fixture
def count_reads(tmp_path):
    """Run publish with its reads of ``paths`` counted; return {file name: bytes read}."""
    folder = tmp_path / "count-reads"
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(COUNT_READS)
    results = tmp_path / "reads.jsonl"

    def env(*paths: Path) -> dict[str, str]:
        results.unlink(missing_ok=True)
        return {"PYTHONPATH": str(folder), "WW_READS": str(results),
                "WW_WATCH": os.pathsep.join(os.path.realpath(p) for p in paths)}

    def counted() -> dict[str, int]:
        total: dict[str, int] = {}
        for line in results.read_text().splitlines() if results.exists() else []:
            for name, count in json.loads(line).items():
                total[Path(name).name] = total.get(Path(name).name, 0) + count
        return total

    return env, counted


SLACK = 64 * 1024  # the zip directory and METADATA, read in 8 kB buffers


def test_the_counter_sees_a_second_read(count_reads, dists, tmp_path):
    built = dists("A", big_member=2_000_000)
    env, counted = count_reads
    script = f"import hashlib\nfor _ in range(2):\n    hashlib.file_digest(open({str(built.wheel)!r}, 'rb'), 'sha256')\n"
    subprocess.run([sys.executable, "-c", script], env={**base_env(), **env(built.wheel)}, check=True)
    assert counted() == {built.wheel.name: 2 * built.wheel.stat().st_size}


def test_a_first_upload_reads_the_wheel_once(count_reads, nexus, publish, dists, registry):
    built = dists("A", big_member=2_000_000)
    env, counted = count_reads
    run = publish("--repository-url", upload_url(nexus), *RELEASE, *built.files, env=env(built.wheel, built.sdist))
    assert run.code == 0, run.output
    size = built.wheel.stat().st_size
    reads = counted()
    assert size <= reads[built.wheel.name] <= size + SLACK
    # an sdist: once decompressed to find PKG-INFO (its last member), once sent
    assert reads[built.sdist.name] <= 2 * built.sdist.stat().st_size + SLACK
    assert held(registry) == local(built.wheel, built.sdist)


def test_a_rerun_reads_the_wheel_once_and_sends_nothing(count_reads, nexus, publish, dists, registry):
    built = dists("A", big_member=2_000_000)
    assert publish("--repository-url", upload_url(nexus), *RELEASE, str(built.wheel)).code == 0
    env, counted = count_reads
    run = publish("--repository-url", upload_url(nexus), *RELEASE, str(built.wheel), env=env(built.wheel))
    assert run.code == 0 and run.last_line.endswith("already present (identical)")
    size = built.wheel.stat().st_size
    assert size <= counted()[built.wheel.name] <= size + SLACK
    assert nexus.uploads() == [built.wheel.name]


def test_a_5xx_after_the_store_is_settled_without_reading_again(count_reads, nexus, publish, dists, registry):
    built = dists("A", big_member=2_000_000)
    nexus.forward_then("POST", 504, nginx_page(504, "Gateway Timeout"), times=1)
    env, counted = count_reads
    run = publish("--repository-url", upload_url(nexus), *RELEASE, *FAST, str(built.wheel), env=env(built.wheel))
    assert run.code == 0, run.output
    assert run.last_line == f"published: {built.wheel.name} uploaded"
    size = built.wheel.stat().st_size
    assert size <= counted()[built.wheel.name] <= size + SLACK
    assert held(registry) == local(built.wheel)


# --- In GitHub Actions --------------------------------------------------------------------------

def test_in_actions_it_masks_first_and_writes_outputs(nexus, publish, dists, tmp_path, credentials):
    built = dists("A")
    actions = {"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(tmp_path / "out"),
               "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")}
    ok = publish("--repository-url", upload_url(nexus), *RELEASE, *built.files, env=actions)
    assert ok.code == 0, ok.output
    assert ok.stdout.splitlines()[0] == f"::add-mask::{credentials[1]}"
    outputs = read_outputs(tmp_path / "out")
    assert outputs["published"] == "true"
    assert json.loads(outputs["files"]) == [
        {"file": built.wheel.name, "sha256": sha256(built.wheel), "status": "uploaded"},
        {"file": built.sdist.name, "sha256": sha256(built.sdist), "status": "uploaded"}]
    assert built.wheel.name in (tmp_path / "summary.md").read_text()

    (tmp_path / "out").unlink()
    changed = dists("B")
    failed = publish("--repository-url", upload_url(nexus), *RELEASE, *changed.files, env=actions)
    assert failed.code == 1
    assert "::error title=wheelwright publish::tiny-model 1.0.0 is already published" in failed.stdout
    outputs = read_outputs(tmp_path / "out")
    assert outputs["published"] == "false"
    assert [f["status"] for f in json.loads(outputs["files"])] == [
        "failed (other content already published)", "not attempted"]


# --- Streaming: a big wheel does not need big memory ------------------------------------------

BIG = int(os.environ.get("WHEELWRIGHT_BIG_WHEEL_MB", "256")) * 1_000_000


@pytest.mark.slow
def test_a_big_wheel_is_uploaded_and_compared_in_bounded_memory(publish, dists, registry):
    built = dists("big", big_member=BIG)
    first = publish("--repository-url", registry.upload_url, *RELEASE, str(built.wheel))
    assert first.code == 0, first.output
    assert held(registry) == local(built.wheel)
    # The re-run hashes the local file: that streams too.
    again = publish("--repository-url", registry.upload_url, *RELEASE, str(built.wheel))
    assert again.code == 0 and again.last_line.endswith("already present (identical)")
    # Other content under the same name: the stored copy is downloaded, hashed as it
    # arrives, and its zip directory (from its last bytes) compared with this one's.
    other = dists("other", big_member=BIG)
    conflict = publish("--repository-url", registry.upload_url, *RELEASE, str(other.wheel))
    assert conflict.code == 1 and "Inside the wheel: tiny_model/__init__.py differs." in conflict.stderr
    for run in (first, again, conflict):
        assert run.peak_rss_kb < 150 * 1024, f"peak RSS {run.peak_rss_kb / 1024:.0f} MB"


# --- devpi: a second real server, with its own answers ---------------------------------------

DEVPI_USER = "ci-uploader"


@pytest.fixture(scope="module")
def devpi_password() -> str:
    return "pw-" + secrets.token_urlsafe(18)


DEVPI_READER = "ci-reader"


@pytest.fixture(scope="module")
def devpi_reader_password() -> str:
    return "pw-" + secrets.token_urlsafe(18)


@pytest.fixture(scope="module")
def devpi(tmp_path_factory, devpi_password, devpi_reader_password) -> Iterator[devpi_registry.Devpi]:
    with devpi_registry.serve(tmp_path_factory.mktemp("devpi"), user=DEVPI_USER, password=devpi_password,
                              others=[(DEVPI_READER, devpi_reader_password)]) as server:
        yield server


@pytest.fixture
def devpi_publish(started, devpi, devpi_password) -> Iterator[Publisher]:
    publisher = Publisher(DEVPI_USER, devpi_password, since=started)
    yield publisher
    publisher.assert_password_nowhere()


def devpi_held(devpi: devpi_registry.Devpi, project: str) -> dict[str, str]:
    page = requests.get(f"{devpi.index_url}{project}/", timeout=30)
    if page.status_code == 404:
        return {}
    found = {}
    for href in re.findall(r'href="([^"]+)"', page.text):
        url = urljoin(page.url, href.split("#")[0])
        found[url.rsplit("/", 1)[-1]] = hashlib.sha256(requests.get(url, timeout=30).content).hexdigest()
    return found


def devpi_args(devpi, project: str, *rest: str) -> list[str]:
    return ["--repository-url", devpi.upload_url, "--index-url", devpi.index_url, *FAST,
            "--name", project, "--version", VERSION, *rest]


@pytest.mark.slow
def test_devpi_first_upload_then_identical_rerun_then_other_content(devpi, devpi_publish, dists):
    project = "devpi-main"
    original, changed = dists("A", name=project), dists("B", name=project)
    first = devpi_publish(*devpi_args(devpi, project, *original.files))
    assert first.code == 0, first.output
    assert first.last_line == f"published: {original.wheel.name} uploaded; {original.sdist.name} uploaded"
    again = devpi_publish(*devpi_args(devpi, project, *original.files))
    assert again.code == 0, again.output
    assert again.last_line.count("already present (identical)") == 2
    other = devpi_publish(*devpi_args(devpi, project, *changed.files))
    assert other.code == 1
    assert "already published with other content" in other.stderr and "bump the version" in other.stderr
    assert devpi_held(devpi, project) == local(original.wheel, original.sdist)


@pytest.mark.slow
@pytest.mark.parametrize("same_content", [True, False], ids=["identical-200", "different-409"])
def test_devpi_own_answers_to_a_reupload(same_content, devpi, devpi_publish, dists, tmp_path):
    project = f"devpi-reupload-{'same' if same_content else 'other'}"
    stored = dists("A", name=project)
    assert devpi_publish(*devpi_args(devpi, project, str(stored.wheel))).code == 0
    candidate = stored if same_content else dists("B", name=project)
    with NexusProxy(devpi.base_url, tmp_path / "proxy.log") as proxy:
        proxy.answer("GET", 404, path="/+simple/", times=1)  # the lookup misses: the POST reaches devpi
        run = devpi_publish("--repository-url", proxy.base_url + f"/{devpi.user}/{devpi.index}/",
                            "--index-url", proxy.base_url + f"/{devpi.user}/{devpi.index}/+simple/",
                            *FAST, "--name", project, "--version", VERSION, str(candidate.wheel))
        statuses = [s.status for s in proxy.seen if s.method == "POST"]
    if same_content:
        assert statuses == [200]  # devpi accepts an identical re-upload
        assert run.code == 0, run.output
    else:
        assert statuses == [409]
        assert run.code == 1
        assert "already published with other content" in run.stderr
    assert devpi_held(devpi, project) == local(stored.wheel)


@pytest.mark.slow
def test_devpi_wrong_password(devpi, devpi_publish, dists):
    project = "devpi-wrong-password"
    run = devpi_publish(*devpi_args(devpi, project, *dists("A", name=project).files),
                        password="wrong-" + secrets.token_hex(8))
    assert run.code == 1
    assert "401 Unauthorized" in run.stderr and "NEXUS_USERNAME and NEXUS_PASSWORD" in run.stderr
    assert devpi_held(devpi, project) == {}


@pytest.mark.slow
@pytest.mark.parametrize("case, code, expected", [
    ("right-account", 0, "got 400 filename 'wheelwright preflight, refused by design.txt' "
                         "does not contain version '0', so nothing was stored"),
    ("wrong-password", 1, "was refused with 401 Unauthorized"),
    ("no-permission", 1, 'was refused with 403 Forbidden: user ci-reader lacks the "add" privilege'),
    ("unknown-index", 1, "got 404 Not Found"),
])
def test_devpi_preflight(case, code, expected, devpi, devpi_publish, devpi_reader_password):
    url, account = devpi.upload_url, {}
    if case == "wrong-password":
        account = {"password": "wrong-" + secrets.token_hex(8)}
    elif case == "no-permission":  # a known account, not allowed to upload to this index
        account = {"username": DEVPI_READER, "password": devpi_reader_password}
    elif case == "unknown-index":
        url = f"{devpi.base_url}/{devpi.user}/nope/"
    run = devpi_publish("--preflight", "--repository-url", url, "--index-url", url + "+simple/", *FAST,
                        **account)
    assert run.code == code, run.output
    assert expected in run.output
    assert devpi_held(devpi, "wheelwright-preflight") == {}


# --- In-process: publish's pure logic ---------------------------------------------------------
#
# The subprocess tests above prove exit codes, messages and that nothing leaks; these call
# the functions themselves, with a fake clock and sleep, so every rule is pinned exactly.

import publish as pub  # noqa: E402  (scripts/ is on sys.path: conftest)
from nexus_proxy import parse_form  # noqa: E402


class FakeTime:
    """A clock that only moves when slept on, or when an attempt says it took time."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def failing(clock: FakeTime, *, times: int = 10**9, takes: float = 0.0, result: str = "ok",
            kind: type[pub.PublishError] = pub.Transient):
    calls: list[float] = []

    def attempt() -> str:
        calls.append(clock.now)
        clock.now += takes
        if len(calls) <= times:
            raise kind("Uploading x got 503 Service Unavailable.", "Ask the admins.", status=503, label="HTTP 503")
        return result

    return attempt, calls


def test_retries_back_off_doubling_then_give_up_saying_how_long():
    clock = FakeTime()
    attempt, calls = failing(clock)
    said: list[tuple[float, int]] = []
    policy = pub.RetryPolicy(retries=3, backoff=2.0, max_time=300)
    with pytest.raises(pub.PublishError) as caught:
        pub.with_retries(policy, attempt, lambda exc, delay, n: said.append((delay, n)),
                         sleep=clock.sleep, clock=clock)
    assert clock.sleeps == [2.0, 4.0, 8.0] and said == [(2.0, 1), (4.0, 2), (8.0, 3)]
    assert len(calls) == 4
    failure = caught.value
    assert not isinstance(failure, pub.Transient)
    assert failure.message == "Gave up after 4 attempt(s) in 14.0 s. Uploading x got 503 Service Unavailable."
    assert (failure.hint, failure.status, failure.label) == ("Ask the admins.", 503, "HTTP 503")


def test_no_retry_starts_a_wait_that_would_end_past_max_time():
    clock = FakeTime()
    attempt, calls = failing(clock, takes=3.0)
    with pytest.raises(pub.PublishError, match=r"^Gave up after 2 attempt\(s\) in 8.0 s"):
        pub.with_retries(pub.RetryPolicy(retries=50, backoff=2.0, max_time=10.0), attempt,
                         sleep=clock.sleep, clock=clock)
    assert calls == [0.0, 5.0] and clock.sleeps == [2.0]  # a 4 s wait from t=8 would end at 12


def test_retries_return_what_the_attempt_returns_once_it_succeeds():
    clock = FakeTime()
    attempt, calls = failing(clock, times=2)
    assert pub.with_retries(pub.RetryPolicy(backoff=0.5), attempt, sleep=clock.sleep, clock=clock) == "ok"
    assert clock.sleeps == [0.5, 1.0] and len(calls) == 3


def test_an_error_that_is_not_transient_is_not_retried():
    clock = FakeTime()
    attempt, calls = failing(clock, kind=pub.PublishError)
    with pytest.raises(pub.PublishError, match="^Uploading x"):
        pub.with_retries(pub.RetryPolicy(), attempt, sleep=clock.sleep, clock=clock)
    assert len(calls) == 1 and clock.sleeps == []


@pytest.mark.parametrize("url, expected", [
    ("https://nexus.example.com/repository/pypi-hosted/", None),
    ("http://127.0.0.1:8081/repository/pypi-hosted/", None),
    ("http://localhost/repository/pypi-hosted/", None),
    ("https://ci:pw@nexus.example.com/repository/pypi-hosted/", "holds a username or password"),
    ("https://nexus.example.com/repository/pypi-hosted", "lacks its trailing slash"),
    ("https://nexus.example.com/repository/pypi-hosted/ ", "starts or ends with white space"),
    ("https://nexus.example.com/repository/pypi-hosted/\n", "starts or ends with white space"),
    ("http://nexus.example.com/repository/pypi-hosted/", "plain http to another machine"),
    ("ftp://nexus.example.com/repository/pypi-hosted/", "is not an http(s) URL"),
    ("https:///repository/pypi-hosted/", "is not an http(s) URL"),
    ("https://nexus.example.com/repository/pypi-hosted/?x=1", "is not an http(s) URL"),
    ("https://nexus.example.com/repository/pypi-hosted/#top", "is not an http(s) URL"),
])
def test_url_checks(url, expected):
    if expected is None:
        assert pub.check_url(url) == url
    else:
        with pytest.raises(pub.UsageError, match=re.escape(expected)):
            pub.check_url(url, "--index-url")


@pytest.mark.parametrize("url, message, hint", [
    ("https://ci:pw@n.example/r/",
     "--index-url holds a username or password: it would end up in logs and in pip's configuration.",
     "Remove 'user:password@' from the URL; set NEXUS_USERNAME and NEXUS_PASSWORD instead."),
    (" https://n.example/r/",
     "--index-url ' https://n.example/r/' starts or ends with white space (a secret pasted with a newline?).",
     "Remove it: https://n.example/r/ ."),
    ("ftp://n.example/r/",
     "--index-url 'ftp://n.example/r/' is not an http(s) URL with a host, without query or fragment.",
     "Pass the hosted repository's URL, e.g. https://nexus.example.com/repository/pypi-hosted/ ."),
    ("http://n.example/r/",
     "--index-url http://n.example/r/ is plain http to another machine: the password would cross the "
     "network unencrypted.",
     "Use the repository's https:// URL (plain http is accepted for 127.0.0.1 and localhost only)."),
    ("https://n.example/r",
     "--index-url https://n.example/r lacks its trailing slash: Nexus answers such an upload with 400 or a "
     "redirect.",
     "Use https://n.example/r/ ."),
])
def test_a_refused_url_is_named_with_its_flag_and_its_fix(url, message, hint):
    # Whole messages: the flag and the URL are what the user greps their workflow for.
    with pytest.raises(pub.UsageError) as caught:
        pub.check_url(url, "--index-url")
    assert (caught.value.message, caught.value.hint, caught.value.label) == (message, hint, "bad URL")


@pytest.mark.parametrize("status, reason, body, transient, expected", [
    (401, "Unauthorized", "", False, "was refused with 401 Unauthorized: the credentials are wrong"),
    (403, "Forbidden", "", False, 'user ci lacks the "add" privilege'),
    (404, "Not Found", "Repository not found", False, "got 404 Not Found: no such repository"),
    (503, "Service Unavailable", "", True, "503 Service Unavailable: the repository is offline"),
    (502, "Bad Gateway", "<h1>502 Bad Gateway</h1>", True, "got 502 Bad Gateway: Nexus, or a proxy"),
    (500, "", "", True, "got 500: Nexus, or a proxy in front of it, failed"),
    (400, "Bad Request", "<html><p>Invalid metadata</p></html>", False,
     "was refused with 400 Bad Request: Invalid metadata"),
    (422, "Unprocessable Entity", "", False, "was refused with 422 Unprocessable Entity: Unprocessable Entity"),
])
def test_http_status_to_message(status, reason, body, transient, expected):
    failure = pub.http_error(status, reason, body, "Uploading x.whl to URL", username="ci",
                             repository="pypi-hosted", privilege="add")
    assert failure.message.startswith("Uploading x.whl to URL ")
    assert expected in failure.message
    assert isinstance(failure, pub.Transient) is transient
    assert failure.status == status and failure.label == f"HTTP {status}"
    assert failure.hint
    if status == 403:
        assert "nx-repository-view-pypi-pypi-hosted-add" in failure.hint


@pytest.mark.parametrize("kind, expected, transient", [
    ("connection", "could not connect to nexus:8443: [Errno 111] Connection refused.", True),
    ("timeout", "got no answer within 60 s.", True),
    ("tls", "failed to set up TLS with nexus:8443", False),
])
def test_no_answer_to_message(kind, expected, transient):
    failure = pub.network_error(kind, "Uploading x", "https://nexus:8443/r/", "[Errno 111] Connection refused.", 60.0)
    assert expected in failure.message
    assert isinstance(failure, pub.Transient) is transient


@pytest.mark.parametrize("status, reason, body, duplicate", [
    (400, "Repository does not allow updating assets: pypi-hosted", "", True),
    (400, "Bad Request", "pypi-hosted/packages/x/1.0/x-1.0.tar.gz cannot be updated", True),
    (400, "Bad Request", "Package 'x-1.0.tar.gz' already exists!", True),
    (409, "Conflict", "", True),
    (400, "Bad Request", "Invalid metadata", False),
    (403, "Forbidden", "cannot be updated", False),
    (200, "OK", "already exists", False),
])
def test_duplicate_answers(status, reason, body, duplicate):
    assert pub.is_duplicate(status, reason, body) is duplicate


@pytest.mark.parametrize("results, line", [
    ({"a.whl": pub.UPLOADED, "a.tar.gz": pub.PRESENT},
     "published: a.whl uploaded; a.tar.gz already present (identical)"),
    ({"a.whl": pub.WOULD_UPLOAD, "a.tar.gz": pub.PRESENT},
     "dry run, nothing uploaded: a.whl would upload (dry run); a.tar.gz already present (identical)"),
    ({"a.whl": pub.UPLOADED, "a.tar.gz": "failed (HTTP 413)"},
     "NOT published: a.whl uploaded; a.tar.gz failed (HTTP 413)"),
    ({"a.whl": "failed (HTTP 401)", "a.tar.gz": pub.NOT_ATTEMPTED},
     "NOT published: a.whl failed (HTTP 401); a.tar.gz not attempted"),
])
def test_final_line(results, line):
    assert pub.final_line(results) == line


@pytest.mark.parametrize("name, version, expected", [
    ("Tumor_Classifier", "1.2", ("tumor-classifier", "1.2")),
    ("tumor-classifier", "v1.2.0rc1", ("tumor-classifier", "1.2.0rc1")),
    ("tumor-classifier", "1.2.0+abc", "is a local version"),
    ("tumor-classifier", "", "is not a valid version"),
    ("-tumor", "1.0", "is not a valid distribution name"),
    ("tumor classifier", "1.0", "is not a valid distribution name"),
])
def test_the_release_is_normalised_or_refused(name, version, expected):
    if isinstance(expected, tuple):
        assert pub.check_release(name, version) == expected
    else:
        with pytest.raises(pub.UsageError, match=expected):
            pub.check_release(name, version)


def touch(folder: Path, *names: str) -> list[Path]:
    folder.mkdir(exist_ok=True)
    for name in names:
        (folder / name).write_bytes(b"x")
    return sorted(folder.iterdir())


@pytest.mark.parametrize("names, refused", [
    (["tiny_model-1.0.0-py3-none-any.whl", "tiny_model-1.0.0.tar.gz"], None),
    (["tiny_model-1.0.0-py3-none-any.whl"], None),
    (["Tiny.Model-1.0-py3-none-any.whl"], None),  # the same release, spelled otherwise
    (["tiny_model-1.0.0-py3-none-any.whl", "evil-1.0-py3-none-any.whl"], "evil-1.0-py3-none-any.whl (a file of evil)"),
    (["tiny_model-1.0.0-py3-none-any.whl", "tiny_model-1.0.1.tar.gz"], "tiny_model-1.0.1.tar.gz (version 1.0.1)"),
    (["tiny_model-1.0.0-py3-none-any.whl", "tiny_model-1.0.0-cp311-cp311-linux_x86_64.whl"],
     "tiny_model-1.0.0-py3-none-any.whl (one of 2 wheels of tiny-model 1.0.0: publish takes exactly one)"),
    (["tiny_model-1.0.0-py3-none-any.whl", "tiny_model-1.0.0.tar.gz", "tiny-model-1.0.0.tar.gz"],
     "tiny_model-1.0.0.tar.gz (one of 2 sdists of tiny-model 1.0.0: publish takes at most one)"),
    (["tiny_model-1.0.0-py3-none-any.whl", "weights.tar.gz"], "weights.tar.gz (not a standard wheel or sdist file name)"),
    (["tiny_model-1.0.0-py3-none-any.whl", "tiny_model-1.0.0.zip"], "tiny_model-1.0.0.zip (not a wheel or an sdist)"),
    (["tiny_model-1.0.0-py3-none-any.whl", ".gitignore"], ".gitignore (not a wheel or an sdist)"),
    (["tiny_model-1.0.0.tar.gz"], "no wheel of tiny-model 1.0.0"),
    ([], "no wheel of tiny-model 1.0.0"),
])
def test_only_the_release_named_is_selected(names, refused, tmp_path):
    paths = touch(tmp_path / "dist", *names)
    if refused is None:
        selected = pub.select_dists(paths, "tiny-model", "1.0.0", "dist/ holds")
        assert [kind for _, kind in selected] == ["wheel"] + ["sdist"] * (len(names) - 1)
        assert selected[0][0].name.endswith(".whl")
    else:
        with pytest.raises(pub.UsageError) as caught:
            pub.select_dists(paths, "tiny-model", "1.0.0", "dist/ holds")
        assert refused in caught.value.message
        assert caught.value.message.startswith(("Refusing to publish: dist/ holds what is not tiny-model 1.0.0's",
                                                "dist/ holds no wheel"))


def test_a_folder_and_a_link_in_the_build_folder_are_refused(tmp_path):
    paths = touch(tmp_path / "dist", "tiny_model-1.0.0-py3-none-any.whl")
    (tmp_path / "dist" / "sub").mkdir()
    (tmp_path / "dist" / "tiny_model-1.0.0.tar.gz").symlink_to("/etc/hostname")
    with pytest.raises(pub.UsageError) as caught:
        pub.select_dists(sorted((tmp_path / "dist").iterdir()), "tiny-model", "1.0.0", "dist/ holds")
    assert "sub (a folder); tiny_model-1.0.0.tar.gz (a symbolic link)" in caught.value.message
    assert paths


MEMBERS = {"tiny_model/__init__.py": (20, 1), "tiny_model/model.joblib": (900, 2),
           "tiny_model/manifest.json": (300, 3), "tiny_model-1.0.dist-info/METADATA": (200, 4),
           "tiny_model-1.0.dist-info/RECORD": (400, 5)}


def changed(**new: tuple[int, int]) -> dict[str, tuple[int, int]]:
    names = {"init": "tiny_model/__init__.py", "model": "tiny_model/model.joblib",
             "manifest": "tiny_model/manifest.json", "metadata": "tiny_model-1.0.dist-info/METADATA",
             "record": "tiny_model-1.0.dist-info/RECORD"}
    return {**MEMBERS, **{names[k]: v for k, v in new.items()}}


@pytest.mark.parametrize("local, said", [
    (changed(model=(900, 9), manifest=(300, 9), record=(400, 9)),
     " Inside the wheel: tiny_model/model.joblib differs: the training is not reproducible (pass "
     "random_state to every estimator and to the train/test split); tiny_model/manifest.json differs."),
    (changed(manifest=(301, 9), record=(400, 9)),
     " Inside the wheel: only the manifest differs (tiny_model/manifest.json): the model is the same, "
     "what the manifest records beside it (library versions, data fingerprint, metrics) is not."),
    (changed(metadata=(210, 9), record=(400, 9)),
     " Inside the wheel: only the package metadata differs (tiny_model-1.0.dist-info/METADATA): its "
     "description, dependencies or model card changed."),
    (changed(init=(21, 9), record=(400, 9)), " Inside the wheel: tiny_model/__init__.py differs."),
    ({**changed(record=(400, 9)), "tiny_model/extra.py": (5, 5)},
     " Inside the wheel: tiny_model-1.0.dist-info/RECORD differs; only this one has tiny_model/extra.py."),
    ({k: v for k, v in MEMBERS.items() if k != "tiny_model/manifest.json"},
     " Inside the wheel: only the stored wheel has tiny_model/manifest.json."),
    (dict(MEMBERS), "Every file inside the two wheels is the same (name, size, CRC): only the archives "
                    "differ (timestamps, order or compression), so the build is not byte-for-byte reproducible."),
], ids=["model", "manifest", "metadata", "code", "added", "removed", "same-members"])
def test_which_files_inside_the_wheel_differ(local, said):
    assert pub.wheel_difference(MEMBERS, local) == said


def test_a_wheels_members_are_read_from_its_last_bytes_alone(tmp_path):
    wheel = make_dists(tmp_path, "A", model=b"w" * 10_000).wheel
    data = wheel.read_bytes()
    expected = pub.zip_members(wheel)
    assert "tiny_model/model.joblib" in expected
    assert pub.zip_members(pub._Tail(data[-600:], len(data))) == expected
    with pytest.raises((OSError, zipfile.BadZipFile)):  # a tail too short for the directory: no guess
        pub.zip_members(pub._Tail(data[-40:], len(data)))


def test_the_upload_body_sends_the_file_once_with_its_sha256_after_it(tmp_path):
    path = tmp_path / "tiny_model-1.0.0-py3-none-any.whl"
    path.write_bytes(os.urandom(3 * 1024 * 1024 + 5))
    seen: list[int] = []
    body = pub.UploadBody([("name", "tiny-model"), ("version", "1.0.0"), ("description", "Ünïcode ✓")],
                          path, path.name, path.stat().st_size, seen.append)
    assert body.sha256 is None
    sent = b"".join(body)
    assert len(sent) == len(body)  # Content-Length, known before the first byte
    fields, files = parse_form(sent, body.content_type)
    assert files == {"content": (path.name, path.read_bytes())}
    assert fields == {"name": "tiny-model", "version": "1.0.0", "description": "Ünïcode ✓",
                      "sha256_digest": hashlib.sha256(path.read_bytes()).hexdigest()}
    assert sent.index(b'name="sha256_digest"') > sent.index(b'name="content"')
    assert body.sha256 == fields["sha256_digest"]
    assert seen[-1] == path.stat().st_size


def test_the_upload_body_refuses_a_file_that_changed(tmp_path):
    path = tmp_path / "x.whl"
    path.write_bytes(b"x" * 100)
    body = pub.UploadBody([], path, path.name, 90, lambda _: None)
    with pytest.raises(pub.FileChanged, match="its size is now 100 bytes, not 90"):
        b"".join(body)


def test_the_preflight_body_is_refused_for_its_content_by_every_server():
    content_type, body = pub.preflight_body()
    fields, files = parse_form(body, content_type)
    filename, content = files["content"]
    assert fields[":action"] == "file_upload" and fields["name"] == "wheelwright-preflight"
    assert fields["md5_digest"] != hashlib.md5(content).hexdigest()  # Nexus: "Digests do not match"
    assert not re.fullmatch(r"[a-z0-9_.!+-]+", filename, re.I)     # pypiserver: "Bad filename"
    assert fields["version"] not in filename                         # devpi: "does not contain version"


class FakeRepository:
    """What publish_file asks of a repository, scripted: lookups in turn, uploads in turn."""

    def __init__(self, lookups: list[str | None], uploads: list[object]) -> None:
        self.lookups, self.uploads = lookups, uploads
        self.sent = 0
        self.policy = pub.RetryPolicy(retries=2, backoff=0.0)
        self.index = pub.Index("http://127.0.0.1:1/simple/")

    def lookup(self, dist):
        stored = self.lookups.pop(0)
        return None if stored is None else pub.Link(dist.filename, "http://x/" + dist.filename, {"sha256": stored})

    def compare(self, dist, link):
        local = dist.sha256 or "local"
        dist.sha256 = local
        return link.hashes["sha256"] == local, link.hashes["sha256"], ""

    def upload(self, dist):
        self.sent += 1
        outcome = self.uploads.pop(0)
        dist.sha256 = "local"  # the upload's own pass hashed it
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def run_file(repository: FakeRepository, **kwargs: object) -> str:
    dist = pub.Dist(Path("tiny_model-1.0.0-py3-none-any.whl"), "wheel", "tiny-model", "1.0.0", 10)
    return pub.publish_file(repository, dist, sleep=lambda _: None, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("lookups, uploads, outcome, sent", [
    ([None], [True], pub.UPLOADED, 1),                       # not there: uploaded
    (["local"], [], pub.PRESENT, 0),                         # there, identical: nothing sent
    ([None, "local"], [False], pub.PRESENT, 1),              # duplicate answer, identical: was there
    ([None, "local"], [pub.Transient("504", status=504)], pub.UPLOADED, 1),  # 5xx after the store
    ([None, None, "local"], [pub.Transient("504"), pub.Transient("502")], pub.UPLOADED, 2),
    ([None], [], pub.WOULD_UPLOAD, 0),                       # dry run
])
def test_publish_file_settles_by_hash(lookups, uploads, outcome, sent):
    repository = FakeRepository(lookups, uploads)
    assert run_file(repository, dry_run=not uploads and outcome == pub.WOULD_UPLOAD) == outcome
    assert repository.sent == sent


@pytest.mark.parametrize("lookups, uploads, expected", [
    (["other"], [], "is already published with other content: the repository's "
                    "tiny_model-1.0.0-py3-none-any.whl has sha256 other, this one local."),
    ([None, "other"], [False], "is already published with other content"),  # duplicate, different
    ([None, None], [False], "says tiny_model-1.0.0-py3-none-any.whl is already there, but its index page"),
])
def test_publish_file_refuses_other_content_and_an_unlisted_duplicate(lookups, uploads, expected):
    posts = len(uploads)
    repository = FakeRepository(lookups, uploads)
    with pytest.raises(pub.PublishError, match=re.escape(expected)):
        run_file(repository)
    assert repository.sent == posts


def fake_child(monkeypatch, answer: dict | None, code: int = 0, stderr: str = "") -> list[dict]:
    """Replace the upload child by ``answer``; return the requests it was given."""
    requests_made: list[dict] = []

    def run(env, request, on_progress):
        requests_made.append({"env": env, **request})
        on_progress(int(request["size"]))
        return answer, code, stderr

    monkeypatch.setattr(pub, "_run_child", run)
    return requests_made


def a_repository() -> pub.Repository:
    return pub.Repository("https://nexus.example.com/repository/pypi-hosted/",
                          "https://nexus.example.com/repository/pypi-hosted/simple/",
                          pub.Credentials("ci", "s3cret"), pub.RetryPolicy())


def a_dist(tmp_path: Path, sha256: str | None = None) -> pub.Dist:
    path = tmp_path / "tiny_model-1.0.0-py3-none-any.whl"
    path.write_bytes(b"x" * 10)
    return pub.Dist(path, "wheel", "tiny-model", "1.0.0", 10, [("name", "tiny-model")], sha256)


@pytest.mark.parametrize("answer, outcome", [
    ({"status": 200, "reason": "OK", "body": "", "location": "", "sha256": "abc"}, True),
    ({"status": 400, "reason": "Repository does not allow updating assets: pypi-hosted", "body": "",
      "location": "", "sha256": "abc"}, False),
    ({"status": 409, "reason": "Conflict", "body": "", "location": ""}, False),
    ({"status": 413, "reason": "Request Entity Too Large", "body": "", "location": ""},
     "refused with 413 Payload Too Large"),
    ({"status": 301, "reason": "Moved", "body": "", "location": "https://elsewhere/"}, "was redirected to https://elsewhere/"),
    ({"status": 502, "reason": "Bad Gateway", "body": "", "location": "", "sha256": "abc"}, pub.Transient),
    ({"error": "timeout", "detail": "Read timed out.", "sha256": "abc"}, pub.Transient),
    ({"error": "tls", "detail": "CERTIFICATE_VERIFY_FAILED."}, "failed to set up TLS"),
    ({"error": "changed", "detail": "it grew past 10 bytes while being sent"}, "changed while it was being published"),
    (None, "ended without an answer (exit code 1): Traceback | ... | KeyError"),
])
def test_what_the_upload_child_answers_means(answer, outcome, monkeypatch, tmp_path):
    made = fake_child(monkeypatch, answer, code=0 if answer else 1, stderr="Traceback\n  ...\nKeyError")
    dist = a_dist(tmp_path)
    repository = a_repository()
    if isinstance(outcome, bool):
        assert repository.upload(dist) is outcome
    elif isinstance(outcome, type):
        with pytest.raises(outcome):
            repository.upload(dist)
    else:
        with pytest.raises(pub.PublishError, match=re.escape(outcome)):
            repository.upload(dist)
    if answer and "sha256" in answer:  # learnt from the upload's own pass, kept for settling
        assert dist.sha256 == "abc"
    env = made[0]["env"]
    assert (env["TWINE_USERNAME"], env["TWINE_PASSWORD"]) == ("ci", "s3cret")
    assert not [name for name in env if name.startswith(SECRET_PREFIXES) and not name.startswith("TWINE_")]
    assert "s3cret" not in json.dumps({k: v for k, v in made[0].items() if k != "env"})


def test_a_file_that_changed_between_two_attempts_is_refused(monkeypatch, tmp_path):
    fake_child(monkeypatch, {"status": 200, "reason": "OK", "body": "", "location": "", "sha256": "bbb"})
    with pytest.raises(pub.PublishError, match="read with sha256 aaa, then sent with bbb"):
        a_repository().upload(a_dist(tmp_path, sha256="aaa"))


@pytest.mark.parametrize("name", ["x\n::add-mask::y.whl", "evil\n::warning::x-1.0.tar.gz",
                                  "tiny_model-1.0.0\r\n::error::z.tar.gz", "a\x1b[2Kb.whl"])
def test_a_refused_file_name_is_printed_with_its_control_characters_escaped(name, tmp_path):
    # The build job ran the model's code and may name a file so that a line of it would
    # be a workflow command in the job that holds the credentials.
    paths = touch(tmp_path / "dist", "tiny_model-1.0.0-py3-none-any.whl", name)
    with pytest.raises(pub.UsageError) as caught:
        pub.select_dists(paths, "tiny-model", "1.0.0", "dist/ holds")
    message = caught.value.message
    assert not [c for c in message if not c.isprintable()]
    assert name.encode("unicode_escape").decode("ascii") in message


# --- Each refusal whole: message, hint, label and kind (in make mutation's selection) ----

NETWORK = [
    ("connection", pub.Transient, "Uploading x could not connect to nexus:8443: [Errno 111] Connection refused.",
     "Check the host and port in the URL, and that Nexus is up and reachable from this runner.", "unreachable"),
    ("timeout", pub.Transient, "Uploading x got no answer within 60 s.",
     "Nexus or its proxy is overloaded or stuck; if large uploads legitimately take longer, raise --timeout.",
     "timed out"),
    ("tls", pub.PublishError, "Uploading x failed to set up TLS with nexus:8443: [Errno 111] Connection refused.",
     "If Nexus's certificate comes from an internal CA, point REQUESTS_CA_BUNDLE at that CA; use https:// only "
     "where TLS is served.", "TLS failed"),
]


@pytest.mark.parametrize("kind, cls, message, hint, label", NETWORK, ids=[n[0] for n in NETWORK])
def test_no_answer_names_the_host_and_what_to_check(kind, cls, message, hint, label):
    failure = pub.network_error(kind, "Uploading x", "https://nexus:8443/r/", "[Errno 111] Connection refused.", 60.0)
    assert type(failure) is cls
    assert (failure.message, failure.hint, failure.label, failure.status) == (message, hint, label, None)


BAD_NAME_HINT = "Pass the project's name as its pyproject.toml [project] table spells it, e.g. tumor-classifier."


@pytest.mark.parametrize("name, version, message, hint, label", [
    ("Tumor_Classifier", "1.2.0+abc",
     "--version 1.2.0+abc is a local version: a repository would serve it to `pip install tumor-classifier==1.2.0`, "
     "in place of the real 1.2.0.", "Publish a public version (without '+...'); use .devN for builds of a branch.",
     "local version"),
    ("tumor", "x", "--version 'x' is not a valid version (PEP 440).",
     "Pass the version the build was asked for, e.g. 1.2.0, 1.2.0rc1 or 1.2.0.dev42.", "bad version"),
    ("-tumor", "1.0", "--name '-tumor' is not a valid distribution name.", BAD_NAME_HINT, "bad name"),
    ("tumor-", "1.0", "--name 'tumor-' is not a valid distribution name.", BAD_NAME_HINT, "bad name"),
    ("", "1.0", "--name '' is not a valid distribution name.", BAD_NAME_HINT, "bad name"),
    ("tumor/x", "1.0", "--name 'tumor/x' is not a valid distribution name.", BAD_NAME_HINT, "bad name"),
])
def test_a_release_that_cannot_be_published_is_refused_whole(name, version, message, hint, label):
    with pytest.raises(pub.UsageError) as caught:
        pub.check_release(name, version)
    assert (caught.value.message, caught.value.hint, caught.value.label) == (message, hint, label)


@pytest.mark.parametrize("name, version, expected", [
    ("a", "1", ("a", "1")), ("A.b_C-d", "01.0", ("a-b-c-d", "1.0")), ("x9", "1.0.POST2", ("x9", "1.0.post2")),
])
def test_a_release_is_its_normalised_name_and_version(name, version, expected):
    assert pub.check_release(name, version) == expected


HTTP = [
    (401, "Unauthorized", "", pub.PublishError,
     "Uploading x.whl to URL was refused with 401 Unauthorized: the credentials are wrong or missing.",
     "Check the values of NEXUS_USERNAME and NEXUS_PASSWORD (the secrets' names and contents, and that the Nexus "
     "user is active and its password not expired)."),
    (403, "Forbidden", "", pub.PublishError,
     'Uploading x.whl to URL was refused with 403 Forbidden: user ci lacks the "add" privilege on this repository.',
     "Give the user a role holding nx-repository-view-pypi-pypi-hosted-add (or nx-repository-view-pypi-*-add), "
     "or publish with an account that has it."),
    (404, "Not Found", "", pub.PublishError,
     "Uploading x.whl to URL got 404 Not Found: no such repository, or it is a group or proxy repository "
     "(read-only), or the URL lost part of its path.",
     "Use the URL of a *hosted* PyPI repository, trailing slash included: "
     "https://HOST/repository/<hosted-repository>/ ."),
    (503, "Service Unavailable", "", pub.Transient,
     "Uploading x.whl to URL got 503 Service Unavailable: the repository is offline, or Nexus is in read-only "
     "mode (maintenance, a full blob store).",
     "Ask the Nexus administrators to bring it back online, then re-run: files already published are skipped."),
    (502, "Bad Gateway", "<h1>Bad Gateway</h1>", pub.Transient,
     "Uploading x.whl to URL got 502 Bad Gateway: Nexus, or a proxy in front of it, failed.",
     "Check Nexus's health and its proxy's timeouts, then re-run: files already published are skipped."),
    (500, "", "", pub.Transient, "Uploading x.whl to URL got 500: Nexus, or a proxy in front of it, failed.",
     "Check Nexus's health and its proxy's timeouts, then re-run: files already published are skipped."),
    (400, "Bad Request", "<p>Invalid</p>", pub.PublishError,
     "Uploading x.whl to URL was refused with 400 Bad Request: Invalid", "Fix what the repository reports, then re-run."),
    (400, "Bad Request", "", pub.PublishError,
     "Uploading x.whl to URL was refused with 400 Bad Request: Bad Request",
     "Fix what the repository reports, then re-run."),
    (400, "", "", pub.PublishError, "Uploading x.whl to URL was refused with 400: (no message)",
     "Fix what the repository reports, then re-run."),
    (499, "Client Closed", "", pub.PublishError, "Uploading x.whl to URL was refused with 499 Client Closed: "
     "Client Closed", "Fix what the repository reports, then re-run."),
]


@pytest.mark.parametrize("status, reason, body, cls, message, hint", HTTP, ids=[f"{h[0]}-{h[1]}" for h in HTTP])
def test_each_http_status_is_a_message_with_its_fix(status, reason, body, cls, message, hint):
    failure = pub.http_error(status, reason, body, "Uploading x.whl to URL", username="ci",
                             repository="pypi-hosted", privilege="add")
    assert type(failure) is cls
    assert (failure.message, failure.hint, failure.label, failure.status) == (message, hint, f"HTTP {status}", status)


@pytest.mark.parametrize("status, reason, line", [(404, "Not Found", "404 Not Found"), (500, "", "500"),
                                                  (400, " ", "400")])
def test_a_status_line_is_the_status_then_the_reason_if_any(status, reason, line):
    assert pub.status_line(status, reason) == line


def test_a_refused_url_names_the_repository_url_flag_by_default():
    with pytest.raises(pub.UsageError) as caught:
        pub.check_url("https://n.example/r")
    assert caught.value.message.startswith("--repository-url https://n.example/r lacks its trailing slash")


def test_a_retry_is_judged_on_the_time_since_the_first_attempt_and_may_end_exactly_at_max_time():
    clock = FakeTime()
    clock.now = 1000.0  # a monotonic clock starts anywhere
    attempt, calls = failing(clock, takes=1.0)
    seen: list[tuple[object, float, int]] = []
    with pytest.raises(pub.PublishError) as caught:
        pub.with_retries(pub.RetryPolicy(retries=5, backoff=2.0, max_time=7.0), attempt,
                         lambda exc, delay, n: seen.append((exc.message, delay, n)), sleep=clock.sleep, clock=clock)
    # 1 s elapsed + a 2 s wait = 3 <= 7: wait; 4 s elapsed + a 4 s wait = 8 > 7: give up.
    assert clock.sleeps == [2.0] and calls == [1000.0, 1003.0]
    assert seen == [("Uploading x got 503 Service Unavailable.", 2.0, 1)]
    assert caught.value.message.startswith("Gave up after 2 attempt(s) in 4.0 s. ")
    clock = FakeTime()
    attempt, calls = failing(clock, takes=1.0)
    with pytest.raises(pub.PublishError):
        pub.with_retries(pub.RetryPolicy(retries=5, backoff=2.0, max_time=3.0), attempt, sleep=clock.sleep,
                         clock=clock)
    assert clock.sleeps == [2.0]  # 1 s elapsed + a 2 s wait ends at exactly max_time: allowed


def test_giving_up_keeps_the_errors_label_and_status():
    clock = FakeTime()

    def attempt() -> str:
        raise pub.Transient("Uploading x got no answer within 60 s.", "Raise --timeout.", label="timed out")

    with pytest.raises(pub.PublishError) as caught:
        pub.with_retries(pub.RetryPolicy(retries=0), attempt, sleep=clock.sleep, clock=clock)
    assert (caught.value.label, caught.value.status, caught.value.hint) == ("timed out", None, "Raise --timeout.")


FOREIGN_HINT = ("publish uploads exactly what the build was asked for: one wheel of --name and --version, at most "
                "one sdist. Nothing was uploaded. Remove the other files, or find out what put them there: the build "
                "ran the model project's own code.")


def test_every_file_refused_is_named_with_why_and_the_hint_says_what_to_do(tmp_path):
    paths = touch(tmp_path / "dist", "tiny_model-1.0.0-py3-none-any.whl", "tiny_model-1.0.0-py2-none-any.whl",
                  "evil-1.0-py3-none-any.whl")
    with pytest.raises(pub.UsageError) as caught:
        pub.select_dists(paths, "tiny-model", "1.0.0", "dist/ holds")
    assert (caught.value.message, caught.value.hint, caught.value.label) == (
        "Refusing to publish: dist/ holds what is not tiny-model 1.0.0's wheel or sdist: evil-1.0-py3-none-any.whl "
        "(a file of evil); tiny_model-1.0.0-py2-none-any.whl (one of 2 wheels of tiny-model 1.0.0: publish takes "
        "exactly one); tiny_model-1.0.0-py3-none-any.whl (one of 2 wheels of tiny-model 1.0.0: publish takes "
        "exactly one).", FOREIGN_HINT, "refused")
    with pytest.raises(pub.UsageError) as caught:
        pub.select_dists(touch(tmp_path / "sdist", "tiny_model-1.0.0.tar.gz"), "tiny-model", "1.0.0", "dist/ holds")
    assert (caught.value.message, caught.value.hint, caught.value.label) == (
        "dist/ holds no wheel of tiny-model 1.0.0.",
        "Run the build stage for that version, and pass the folder it wrote (--dist) or its wheel.", "no wheel")


def test_a_file_that_is_neither_regular_nor_a_folder_is_refused(tmp_path):
    (tmp_path / "dist").mkdir()
    os.mkfifo(tmp_path / "dist" / "tiny_model-1.0.0.tar.gz")
    assert pub._foreign(tmp_path / "dist" / "tiny_model-1.0.0.tar.gz", "tiny-model", "1.0.0") == "not a regular file"


@pytest.mark.parametrize("name", ["manifest.json", "tiny_model/data/manifest.json"])
def test_a_manifest_anywhere_in_the_wheel_is_a_manifest(name):
    assert pub.wheel_difference({**MEMBERS, name: (2, 2)}, {**MEMBERS, name: (1, 1)}) == (
        f" Inside the wheel: only the manifest differs ({name}): the model is the same, what the manifest records "
        "beside it (library versions, data fingerprint, metrics) is not.")


def test_many_files_are_named_four_at_most_and_agree_in_number():
    local = {f"tiny_model/m{i}.py": (i, 9) for i in range(6)}
    stored = {f"tiny_model/m{i}.py": (i, 1) for i in range(6)}
    assert pub.wheel_difference(stored, local) == (
        " Inside the wheel: tiny_model/m0.py, tiny_model/m1.py, tiny_model/m2.py, tiny_model/m3.py and 2 more differ.")
    four = {n: v for n, v in stored.items() if n < "tiny_model/m4"}
    assert pub.wheel_difference(four, {n: local[n] for n in four}) == (
        " Inside the wheel: tiny_model/m0.py, tiny_model/m1.py, tiny_model/m2.py, tiny_model/m3.py differ.")


def test_a_dry_run_that_finds_some_files_present_and_would_upload_others_is_a_dry_run():
    assert pub.final_line({"a.whl": pub.UPLOADED, "b.whl": pub.PRESENT, "c.tar.gz": pub.WOULD_UPLOAD}) == (
        "dry run, nothing uploaded: a.whl uploaded; b.whl already present (identical); c.tar.gz would upload (dry run)")
