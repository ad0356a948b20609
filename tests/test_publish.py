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
from _wheelwright import read_outputs
from nexus_proxy import NexusProxy, nexus_page, nginx_page

ROOT = Path(__file__).resolve().parent.parent
PUBLISH = ROOT / "scripts" / "publish.py"
HOSTED = "/repository/pypi-hosted/"
#: Short waits, so retries are visible in seconds; the counts are what the tests check.
FAST = ["--retries", "2", "--backoff", "0.05", "--max-time", "30", "--timeout", "5"]
NAME, VERSION = "tiny-model", "1.0.0"


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
               big_member: int = 0) -> Dists:
    """A wheel and an sdist whose module holds ``payload``; ``big_member`` bytes of zeros
    stored (uncompressed) in the wheel make it as large as needed without using memory."""
    dest.mkdir(parents=True, exist_ok=True)
    module = name.replace("-", "_")
    info = f"{module}-{version}.dist-info"
    members = {
        f"{module}/__init__.py": f"PAYLOAD = {payload!r}\n".encode(),
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
            if not k.startswith(("NEXUS_", "TWINE_", "GITHUB_", "REQUESTS_CA_BUNDLE"))}


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
    run = publish("--repository-url", upload_url(nexus), *FAST, str(built.sdist), str(built.wheel))
    assert run.code == 0, run.output
    assert run.last_line == (f"published: {built.wheel.name} uploaded; {built.sdist.name} uploaded")
    assert nexus.uploads() == [built.wheel.name, built.sdist.name]
    assert held(registry) == local(built.wheel, built.sdist)


def test_a_rerun_with_the_same_files_uploads_nothing(nexus, publish, dists, registry):
    built = dists("A")
    assert publish("--repository-url", upload_url(nexus), *built.files).code == 0
    posts = nexus.count("POST")

    run = publish("--repository-url", upload_url(nexus), *built.files)
    assert run.code == 0, run.output
    assert run.last_line == (f"published: {built.wheel.name} already present (identical); "
                             f"{built.sdist.name} already present (identical)")
    assert nexus.count("POST") == posts == 2
    assert held(registry) == local(built.wheel, built.sdist)


def test_the_same_version_with_other_content_fails_and_the_original_stays(nexus, publish, dists, registry):
    original, changed = dists("A"), dists("B")
    assert publish("--repository-url", upload_url(nexus), *original.files).code == 0

    run = publish("--repository-url", upload_url(nexus), *changed.files)
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

    run = publish("--repository-url", upload_url(nexus), *FAST, str(candidate.wheel))
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
    run = publish("--repository-url", upload_url(nexus), "--dry-run", *built.files)
    assert run.code == 0, run.output
    assert run.last_line.startswith("dry run, nothing uploaded:")
    assert nexus.count("POST") == 0 and nexus.count("GET", "/simple/tiny-model/") == 2
    assert held(registry) == {}

    assert publish("--repository-url", upload_url(nexus), *built.files).code == 0
    again = publish("--repository-url", upload_url(nexus), "--dry-run", *dists("B").files)
    assert again.code == 1
    assert "already published with other content" in again.stderr


# --- What the repository refuses: one clear line, no retry ------------------------------

def test_a_wrong_password_gets_nexus_401_naming_both_variables(nexus, publish, dists, registry):
    run = publish("--repository-url", upload_url(nexus), *FAST, *dists("A").files,
                  password="wrong-" + secrets.token_urlsafe(12))
    assert run.code == 1
    assert "401 Unauthorized" in run.stderr
    assert "NEXUS_USERNAME and NEXUS_PASSWORD" in run.stderr
    assert nexus.count("GET") == 1 and nexus.count("POST") == 0  # 4xx: not retried
    assert held(registry) == {}


@pytest.mark.parametrize("status, body, headers, expected", [
    (401, "", {"WWW-Authenticate": 'BASIC realm="Sonatype Nexus Repository Manager"'},
     ["was refused with 401 Unauthorized", "NEXUS_USERNAME and NEXUS_PASSWORD"]),
    (403, "", {},
     ['was refused with 403 Forbidden: user ci-uploader lacks the "add" privilege',
      "nx-repository-view-pypi-pypi-hosted-add"]),
    (404, nexus_page(404, "Repository not found"), {"Content-Type": "text/html"},
     ["got 404 Not Found", "group or proxy", "trailing slash"]),
    (413, nginx_page(413, "Request Entity Too Large"), {"Content-Type": "text/html"},
     ["refused with 413 Payload Too Large", "limits the size of request bodies",
      "client_max_body_size"]),
], ids=["401", "403", "404", "413"])
def test_an_upload_refused_with_4xx_fails_at_once_with_cause_and_fix(
        status, body, headers, expected, nexus, publish, dists, registry):
    built = dists("A")
    nexus.answer("POST", status, body, headers=headers)
    run = publish("--repository-url", upload_url(nexus), *FAST, *built.files)
    assert run.code == 1
    for text in expected:
        assert text in run.stderr
    if status == 413:
        size = built.wheel.stat().st_size
        assert f"{size} bytes" in run.stderr
    assert nexus.count("POST") == 1
    assert run.last_line == (f"NOT published: {built.wheel.name} failed (HTTP {status}); "
                             f"{built.sdist.name} not attempted")
    assert held(registry) == {}


def test_a_redirect_is_reported_not_followed(nexus, publish, dists, registry):
    moved = nexus.base_url + "/repository/pypi-hosted-moved/"
    nexus.answer("POST", 301, headers={"Location": moved})
    run = publish("--repository-url", upload_url(nexus), *FAST, *dists("A").files)
    assert run.code == 1
    assert f"was redirected to {moved}" in run.stderr
    assert "trailing slash" in run.stderr
    assert nexus.count("POST") == 1 and nexus.count("POST", "moved") == 0
    assert held(registry) == {}


# --- What is worth retrying, and how often ------------------------------------------------

def test_503_is_retried_then_reported_as_offline_or_read_only(nexus, publish, dists, registry):
    nexus.answer("POST", 503, nexus_page(503, "Service Unavailable"))
    run = publish("--repository-url", upload_url(nexus), *FAST, *dists("A").files)
    assert run.code == 1
    assert "Gave up after 3 attempt(s)" in run.stderr
    assert "503 Service Unavailable" in run.stderr and "read-only" in run.stderr
    assert nexus.count("POST") == 3  # --retries 2; twine alone would have sent 5 per attempt
    assert "Retry 1 in 0.05 s." in run.stdout and "Retry 2 in 0.1 s." in run.stdout
    assert held(registry) == {}


def test_two_502_then_success(nexus, publish, dists, registry):
    built = dists("A")
    nexus.answer("POST", 502, nginx_page(502, "Bad Gateway"), times=2)
    run = publish("--repository-url", upload_url(nexus), *FAST, *built.files)
    assert run.code == 0, run.output
    assert nexus.uploads() == [built.wheel.name] * 3 + [built.sdist.name]
    assert run.last_line == f"published: {built.wheel.name} uploaded; {built.sdist.name} uploaded"
    assert held(registry) == local(built.wheel, built.sdist)


def test_retries_are_bounded_in_time(nexus, publish, dists, registry):
    nexus.answer("POST", 502, nginx_page(502, "Bad Gateway"))
    run = publish("--repository-url", upload_url(nexus), "--retries", "50", "--backoff", "2",
                  "--max-time", "5", *dists("A").files)
    assert run.code == 1
    assert "Gave up after 2 attempt(s)" in run.stderr and "502 Bad Gateway" in run.stderr
    # A second wait (4 s) would end past --max-time 5 whatever an attempt takes (< 3 s).
    assert nexus.count("POST") == 2
    assert held(registry) == {}


@pytest.mark.parametrize("status", [502, 504])
def test_a_5xx_after_the_file_was_stored_counts_as_uploaded(status, nexus, publish, dists, registry):
    built = dists("A")
    nexus.forward_then("POST", status, nginx_page(status, "Gateway Timeout"), times=1)
    run = publish("--repository-url", upload_url(nexus), *FAST, *built.files)
    assert run.code == 0, run.output
    assert nexus.uploads() == [built.wheel.name, built.sdist.name]  # no second POST
    assert run.last_line == f"published: {built.wheel.name} uploaded; {built.sdist.name} uploaded"
    assert held(registry) == local(built.wheel, built.sdist)


def test_a_hang_beyond_the_timeout_is_retried_then_reported(nexus, publish, dists, registry):
    nexus.hang("POST", seconds=10)
    run = publish("--repository-url", upload_url(nexus), "--retries", "1", "--backoff", "0.05",
                  "--timeout", "2", *dists("A").files)
    assert run.code == 1
    assert "got no answer within 2 s" in run.stderr and "--timeout" in run.stderr
    assert nexus.count("POST") == 2
    assert held(registry) == {}


def test_a_hang_after_the_file_was_stored_counts_as_uploaded(nexus, publish, dists, registry):
    built = dists("A")
    nexus.hang("POST", seconds=10, forward_first=True, times=1)
    run = publish("--repository-url", upload_url(nexus), *FAST, "--timeout", "2", *built.files)
    assert run.code == 0, run.output
    assert nexus.uploads() == [built.wheel.name, built.sdist.name]
    assert held(registry) == local(built.wheel, built.sdist)


def test_nothing_listening_is_retried_then_reported_unreachable(publish, dists, registry):
    from registry import free_port

    url = f"http://127.0.0.1:{free_port()}{HOSTED}"
    run = publish("--repository-url", url, *FAST, *dists("A").files)
    assert run.code == 1
    assert "Gave up after 3 attempt(s)" in run.stderr
    assert "could not connect to 127.0.0.1:" in run.stderr and "Connection refused" in run.stderr
    assert "reachable from this runner" in run.stderr
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
        run = publish("--repository-url", upload_url(proxy), *FAST, *built.files)
        assert run.code == 1
        assert "failed to set up TLS with 127.0.0.1:" in run.stderr
        assert "CERTIFICATE_VERIFY_FAILED" in run.stderr and "REQUESTS_CA_BUNDLE" in run.stderr
        assert proxy.seen == []  # not retried, nothing sent
        assert held(registry) == {}

        trusted = publish("--repository-url", upload_url(proxy), *FAST, *built.files,
                          env={"REQUESTS_CA_BUNDLE": str(ca)})
        assert trusted.code == 0, trusted.output
        assert held(registry) == local(built.wheel, built.sdist)


# --- Refused before anything is sent --------------------------------------------------------

@pytest.mark.parametrize("missing", ["NEXUS_USERNAME", "NEXUS_PASSWORD", "both"])
def test_missing_credentials_are_named_and_nothing_is_sent(missing, nexus, publish, dists):
    run = publish("--repository-url", upload_url(nexus), *dists("A").files,
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
    run = publish("--repository-url", url.format(password=credentials[1], port=port), *dists("A").files)
    assert run.code == 2
    assert expected in run.stderr
    assert nexus.seen == []


def test_a_file_that_is_not_a_dist_is_refused(nexus, publish, tmp_path):
    odd = tmp_path / "notes.txt"
    odd.write_text("hello")
    run = publish("--repository-url", upload_url(nexus), str(odd))
    assert run.code == 2
    assert "is not a wheel (.whl) or an sdist (.tar.gz)" in run.stderr
    missing = publish("--repository-url", upload_url(nexus), str(tmp_path / "gone-1.0-py3-none-any.whl"))
    assert missing.code == 2 and "does not exist" in missing.stderr
    assert nexus.seen == []


@pytest.mark.parametrize("broken", ["wheel", "sdist", "renamed"])
def test_every_file_is_read_before_the_first_upload(broken, nexus, publish, dists, registry, tmp_path):
    built = dists("A")
    if broken == "renamed":  # a file named for another version than its metadata's
        bad = built.sdist.rename(built.sdist.with_name("tiny_model-2.0.0.tar.gz"))
        expected = "is named for tiny-model 2.0.0, but its metadata says tiny-model 1.0.0"
    else:
        bad = built.wheel if broken == "wheel" else built.sdist
        bad.write_bytes(b"not an archive")
        expected = f"twine could not read {bad.name}"
    run = publish("--repository-url", upload_url(nexus), str(built.wheel), str(bad))
    assert run.code == 2
    assert expected in run.stderr
    assert nexus.seen == []  # not even the wheel went out
    assert held(registry) == {}


# --- Preflight: before training, fail fast ----------------------------------------------------

def test_preflight_passes_when_the_repository_answers(nexus, publish):
    run = publish("--preflight", "--repository-url", upload_url(nexus))
    assert run.code == 0, run.output
    assert f"{upload_url(nexus)}simple/ answers" in run.stdout
    assert [(s.method, s.path) for s in nexus.seen] == [("GET", HOSTED + "simple/")]


def test_preflight_fails_fast(nexus, publish, credentials):
    from registry import free_port

    wrong = publish("--preflight", "--repository-url", upload_url(nexus), password="wrong-" + secrets.token_hex(8))
    assert wrong.code == 1 and "401 Unauthorized" in wrong.stderr
    nowhere = publish("--preflight", *FAST, "--repository-url", f"http://127.0.0.1:{free_port()}{HOSTED}")
    assert nowhere.code == 1 and "could not connect" in nowhere.stderr
    no_password = publish("--preflight", "--repository-url", upload_url(nexus), password="")
    assert no_password.code == 2 and "NEXUS_PASSWORD is not set" in no_password.stderr
    no_slash = publish("--preflight", "--repository-url", upload_url(nexus).rstrip("/"))
    assert no_slash.code == 2 and "trailing slash" in no_slash.stderr
    nexus.answer("GET", 404, nexus_page(404, "Repository not found"))
    unknown = publish("--preflight", "--repository-url", upload_url(nexus))
    assert unknown.code == 1 and "404 Not Found" in unknown.stderr


# --- In GitHub Actions --------------------------------------------------------------------------

def test_in_actions_it_masks_first_and_writes_outputs(nexus, publish, dists, tmp_path, credentials):
    built = dists("A")
    actions = {"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(tmp_path / "out"),
               "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")}
    ok = publish("--repository-url", upload_url(nexus), *built.files, env=actions)
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
    failed = publish("--repository-url", upload_url(nexus), *changed.files, env=actions)
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
    first = publish("--repository-url", registry.upload_url, str(built.wheel))
    assert first.code == 0, first.output
    assert held(registry) == local(built.wheel)
    # The re-run downloads the stored copy and hashes it: that must stream too.
    again = publish("--repository-url", registry.upload_url, str(built.wheel))
    assert again.code == 0 and again.last_line.endswith("already present (identical)")
    for run in (first, again):
        assert run.peak_rss_kb < 150 * 1024, f"peak RSS {run.peak_rss_kb / 1024:.0f} MB"


# --- devpi: a second real server, with its own answers ---------------------------------------

DEVPI_USER = "ci-uploader"


@pytest.fixture(scope="module")
def devpi_password() -> str:
    return "pw-" + secrets.token_urlsafe(18)


@pytest.fixture(scope="module")
def devpi(tmp_path_factory, devpi_password) -> Iterator[devpi_registry.Devpi]:
    with devpi_registry.serve(tmp_path_factory.mktemp("devpi"), user=DEVPI_USER,
                              password=devpi_password) as server:
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


def devpi_args(devpi, *rest: str) -> list[str]:
    return ["--repository-url", devpi.upload_url, "--index-url", devpi.index_url, *FAST, *rest]


@pytest.mark.slow
def test_devpi_first_upload_then_identical_rerun_then_other_content(devpi, devpi_publish, dists):
    project = "devpi-main"
    original, changed = dists("A", name=project), dists("B", name=project)
    first = devpi_publish(*devpi_args(devpi, *original.files))
    assert first.code == 0, first.output
    assert first.last_line == f"published: {original.wheel.name} uploaded; {original.sdist.name} uploaded"
    again = devpi_publish(*devpi_args(devpi, *original.files))
    assert again.code == 0, again.output
    assert again.last_line.count("already present (identical)") == 2
    other = devpi_publish(*devpi_args(devpi, *changed.files))
    assert other.code == 1
    assert "already published with other content" in other.stderr and "bump the version" in other.stderr
    assert devpi_held(devpi, project) == local(original.wheel, original.sdist)


@pytest.mark.slow
@pytest.mark.parametrize("same_content", [True, False], ids=["identical-200", "different-409"])
def test_devpi_own_answers_to_a_reupload(same_content, devpi, devpi_publish, dists, tmp_path):
    project = f"devpi-reupload-{'same' if same_content else 'other'}"
    stored = dists("A", name=project)
    assert devpi_publish(*devpi_args(devpi, str(stored.wheel))).code == 0
    candidate = stored if same_content else dists("B", name=project)
    with NexusProxy(devpi.base_url, tmp_path / "proxy.log") as proxy:
        proxy.answer("GET", 404, path="/+simple/", times=1)  # the lookup misses: the POST reaches devpi
        run = devpi_publish("--repository-url", proxy.base_url + f"/{devpi.user}/{devpi.index}/",
                            "--index-url", proxy.base_url + f"/{devpi.user}/{devpi.index}/+simple/",
                            *FAST, str(candidate.wheel))
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
    run = devpi_publish(*devpi_args(devpi, *dists("A", name=project).files),
                        password="wrong-" + secrets.token_hex(8))
    assert run.code == 1
    assert "401 Unauthorized" in run.stderr and "NEXUS_USERNAME and NEXUS_PASSWORD" in run.stderr
    assert devpi_held(devpi, project) == {}
