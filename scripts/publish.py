"""publish: upload the wheel and sdist to a Nexus PyPI hosted repository, exactly once.

    NEXUS_USERNAME=ci NEXUS_PASSWORD=... python scripts/publish.py \\
        --repository-url https://nexus.example.com/repository/pypi-hosted/ dist/*.whl dist/*.tar.gz
    python scripts/publish.py --preflight --repository-url URL     # before training

For each file, wheels first: look it up in the repository's simple index and, when a
file of that name is listed, download it and compare sha256. Identical is success (a
re-run publishes nothing); different is an error (published versions are immutable).
Otherwise upload it with twine, one POST per attempt, in a child process whose
environment alone carries the credentials (as TWINE_USERNAME and TWINE_PASSWORD).
Connection errors, timeouts and 5xx are retried with exponential backoff, and the file
is looked up again before each retry, because a 5xx can come after the repository
stored it. A duplicate answer (Nexus's 400, pypiserver's 409/400, devpi's 409) is
resolved the same way: fetch the stored file and compare.

Exit codes: 0 every file is in the repository with this content (with --dry-run: would
be); 1 a file could not be published, or the repository failed the preflight check;
2 the command line, the URL, the credentials or the files are unusable (nothing was sent).
"""

from __future__ import annotations

import argparse
import hashlib
import html
import html.parser
import json
import os
import re
import subprocess
import sys
import tarfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence, TypeVar
from urllib.parse import unquote, urljoin, urlsplit

import requests
from packaging.utils import (
    InvalidSdistFilename, InvalidWheelFilename, canonicalize_name, parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import Version
from requests.adapters import HTTPAdapter

from _wheelwright import (
    CHUNK, PipelineError, clean_env, fail, mask, notice, set_output, sha256_file, summary,
)

STAGE = "publish"

DEFAULT_RETRIES = 4
DEFAULT_BACKOFF = 2.0
DEFAULT_MAX_TIME = 300.0
DEFAULT_TIMEOUT = 60.0

UPLOADED = "uploaded"
PRESENT = "already present (identical)"
WOULD_UPLOAD = "would upload (dry run)"
NOT_ATTEMPTED = "not attempted"

#: Answers to an upload that mean "a file of that name is already there". Nexus words it
#: two ways (OrientDB; H2/PostgreSQL since 3.70), pypiserver a third; devpi says 409.
DUPLICATE_WORDINGS = ("does not allow updating assets", "cannot be updated", "already exist")
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")

# --- What can go wrong: what failed and why, then what to do ---------------------------
# {action} is e.g. "Uploading x.whl to https://HOST/repository/pypi-hosted/". URLs shown
# never hold credentials: a URL that does is refused before anything else.

MISSING_CREDENTIALS = (
    "{missing} not set: publishing needs the Nexus account that may upload to the repository.",
    "Set NEXUS_USERNAME and NEXUS_PASSWORD in this step's env:, from secrets "
    "(e.g. NEXUS_PASSWORD: ${{{{ secrets.NEXUS_PASSWORD }}}}).",
)
URL_WITH_CREDENTIALS = (
    "{flag} holds a username or password: it would end up in logs and in pip's configuration.",
    "Remove 'user:password@' from the URL; set NEXUS_USERNAME and NEXUS_PASSWORD instead.",
)
URL_MALFORMED = (
    "{flag} {url!r} is not an http(s) URL with a host, without query or fragment.",
    "Pass the hosted repository's URL, e.g. https://nexus.example.com/repository/pypi-hosted/ .",
)
URL_INSECURE = (
    "{flag} {url} is plain http to another machine: the password would cross the network unencrypted.",
    "Use the repository's https:// URL (plain http is accepted for 127.0.0.1 and localhost only).",
)
URL_NO_SLASH = (
    "{flag} {url} lacks its trailing slash: Nexus answers such an upload with 400 or a redirect.",
    "Use {url}/ .",
)
NOT_A_FILE = (
    "{path} does not exist.",
    "Run the build stage first, and pass the files it wrote (dist/*.whl dist/*.tar.gz).",
)
NOT_A_DIST = (
    "{path} is not a wheel (.whl) or an sdist (.tar.gz) with a standard file name.",
    "Pass the files `python -m build` wrote to dist/.",
)
CONFLICT = (
    "{project} {version} is already published with other content: the repository's {file} "
    "has sha256 {stored}, this one {local}.",
    "A published version is immutable: bump the version, rebuild, and publish again.",
)
UNAUTHORIZED = (
    "{action} was refused with 401 Unauthorized: the credentials are wrong or missing.",
    "Check the values of NEXUS_USERNAME and NEXUS_PASSWORD (the secrets' names and "
    "contents, and that the Nexus user is active and its password not expired).",
)
FORBIDDEN = (
    "{action} was refused with 403 Forbidden: user {username} lacks the \"{privilege}\" "
    "privilege on this repository.",
    "Give the user a role holding nx-repository-view-pypi-{repository}-{privilege} "
    "(or nx-repository-view-pypi-*-{privilege}), or publish with an account that has it.",
)
NOT_FOUND = (
    "{action} got 404 Not Found: no such repository, or it is a group or proxy "
    "repository (read-only), or the URL lost part of its path.",
    "Use the URL of a *hosted* PyPI repository, trailing slash included: "
    "https://HOST/repository/<hosted-repository>/ .",
)
TOO_LARGE = (
    "Uploading {file} ({size}) was refused with 413 Payload Too Large: a reverse proxy in "
    "front of Nexus limits the size of request bodies.",
    "Raise that limit above the file's size (nginx: client_max_body_size 1G;), then re-run.",
)
UNAVAILABLE = (
    "{action} got 503 Service Unavailable: the repository is offline, or Nexus is in "
    "read-only mode (maintenance, a full blob store).",
    "Ask the Nexus administrators to bring it back online, then re-run: files already "
    "published are skipped.",
)
SERVER_ERROR = (
    "{action} got {status_line}: Nexus, or a proxy in front of it, failed.",
    "Check Nexus's health and its proxy's timeouts, then re-run: files already published "
    "are skipped.",
)
UNREACHABLE = (
    "{action} could not connect to {host}: {detail}",
    "Check the host and port in the URL, and that Nexus is up and reachable from this runner.",
)
TIMED_OUT = (
    "{action} got no answer within {timeout:g} s.",
    "Nexus or its proxy is overloaded or stuck; if large uploads legitimately take longer, "
    "raise --timeout.",
)
TLS_FAILED = (
    "{action} failed to set up TLS with {host}: {detail}",
    "If Nexus's certificate comes from an internal CA, point REQUESTS_CA_BUNDLE at that CA; "
    "use https:// only where TLS is served.",
)
REDIRECTED = (
    "{action} was redirected to {location}: an upload is never sent on to another URL.",
    "The URL most likely lacks a trailing slash or should be https://; if you trust the "
    "new address, pass it as --repository-url.",
)
REJECTED = (
    "{action} was refused with {status_line}: {detail}",
    "Fix what the repository reports, then re-run.",
)
DUPLICATE_UNLISTED = (
    "The repository says {file} is already there, but its index page {page} does not list it.",
    "Check --index-url is this repository's simple index (devpi: .../+simple/), and that the "
    "user may read it.",
)
INVALID_DIST = (
    "twine could not read {file}: {detail}",
    "Rebuild it with `python -m build`; `twine check` says what is wrong with it.",
)
NAME_MISMATCH = (
    "{file} is named for {project} {version}, but its metadata says {meta_name} {meta_version}.",
    "Rebuild it with `python -m build`: a renamed file would be looked up under the wrong name.",
)
TWINE_FAILED = (
    "The twine upload of {file} ended without an answer (exit code {code}): {detail}",
    "Check that twine is installed in this environment (`make .venv`).",
)
GAVE_UP = "Gave up after {attempts} attempt(s) in {seconds:.1f} s. "


class PublishError(PipelineError):
    """Publishing failed. ``status`` is the HTTP status behind it, when there was one;
    ``label`` is the few words the last line shows for the file."""

    def __init__(self, message: str, hint: str = "", *, status: int | None = None, label: str = "") -> None:
        super().__init__(message, hint)
        self.status = status
        self.label = label or (f"HTTP {status}" if status else "failed")


class UsageError(PublishError):
    """The command line, URL, credentials or files are unusable; nothing was sent."""


class Transient(PublishError):
    """Worth another attempt: no connection, no answer in time, or a 5xx."""


def error(template: tuple[str, str], kind: type[PublishError] = PublishError, *,
          status: int | None = None, label: str = "", **fields: object) -> PublishError:
    message, hint = template
    return kind(message.format(**fields), hint.format(**fields), status=status, label=label)


# --- Inputs ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Credentials:
    username: str
    password: str

    def __repr__(self) -> str:
        return f"Credentials(username={self.username!r}, password=<hidden>)"


@dataclass(frozen=True)
class Dist:
    """A file to publish: its project and version come from its (standard) name."""

    path: Path
    project: str
    version: str
    sha256: str
    size: int

    @property
    def filename(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class RetryPolicy:
    retries: int = DEFAULT_RETRIES
    backoff: float = DEFAULT_BACKOFF
    max_time: float = DEFAULT_MAX_TIME
    timeout: float = DEFAULT_TIMEOUT


def read_credentials(environ: dict[str, str] | os._Environ[str] = os.environ) -> Credentials:
    missing = [name for name in ("NEXUS_USERNAME", "NEXUS_PASSWORD") if not environ.get(name)]
    if missing:
        raise error(MISSING_CREDENTIALS, UsageError, label="no credentials",
                    missing=" and ".join(missing) + (" is" if len(missing) == 1 else " are"))
    return Credentials(environ["NEXUS_USERNAME"], environ["NEXUS_PASSWORD"])


def check_url(url: str, flag: str = "--repository-url") -> str:
    """Refuse a URL that would leak credentials, send them in clear, or miss its slash."""
    parts = urlsplit(url)
    if "@" in parts.netloc:
        raise error(URL_WITH_CREDENTIALS, UsageError, label="bad URL", flag=flag)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise error(URL_MALFORMED, UsageError, label="bad URL", flag=flag, url=url)
    if parts.scheme == "http" and parts.hostname not in LOCAL_HOSTS:
        raise error(URL_INSECURE, UsageError, label="bad URL", flag=flag, url=url)
    if not parts.path.endswith("/"):
        raise error(URL_NO_SLASH, UsageError, label="bad URL", flag=flag, url=url)
    return url


def read_dists(paths: Sequence[str | os.PathLike[str]]) -> list[Dist]:
    """Describe each file, wheels first (pip prefers them; an sdist alone is half a release)."""
    dists = []
    for raw in paths:
        path = Path(raw)
        if not path.is_file():
            raise error(NOT_A_FILE, UsageError, label="missing", path=path)
        try:
            if path.name.endswith(".whl"):
                name, version, _, _ = parse_wheel_filename(path.name)
            elif path.name.endswith(".tar.gz"):
                name, version = parse_sdist_filename(path.name)
            else:
                raise InvalidSdistFilename(path.name)
        except (InvalidWheelFilename, InvalidSdistFilename):
            raise error(NOT_A_DIST, UsageError, label="not a dist", path=path) from None
        meta_name, meta_version = read_metadata(path)
        if (canonicalize_name(meta_name), Version(meta_version)) != (canonicalize_name(name), version):
            raise error(NAME_MISMATCH, UsageError, label="name mismatch", file=path.name,
                        project=name, version=version, meta_name=meta_name, meta_version=meta_version)
        dists.append(Dist(path, canonicalize_name(name), str(version), sha256_file(path),
                          path.stat().st_size))
    return sorted(dists, key=lambda d: not d.filename.endswith(".whl"))


def read_metadata(path: Path) -> tuple[str, str]:
    """The name and version twine will send, read the way twine reads them: every file is
    checked before the first is uploaded, so a broken sdist cannot leave half a release."""
    from twine import exceptions, package

    try:
        dist = package.PackageFile.from_filename(str(path), comment=None)
    except (exceptions.TwineException, zipfile.BadZipFile, tarfile.TarError, EOFError) as exc:
        raise error(INVALID_DIST, UsageError, label="invalid dist", file=path.name,
                    detail=f"{type(exc).__name__}: {exc}") from None
    return dist.metadata["name"], dist.metadata["version"]


def human_size(size: int) -> str:
    """``954 bytes``, ``1.2 MB (1234567 bytes)``: readable, and exact for a proxy's limit."""
    if size < 1000:
        return f"{size} bytes"
    scaled, unit = float(size), "bytes"
    for unit in ("kB", "MB", "GB"):
        scaled /= 1000
        if scaled < 1000:
            break
    return f"{scaled:.1f} {unit} ({size} bytes)"


# --- HTTP: looking files up (here) and uploading them (in a twine child) -------------------

class _NoRetryAdapter(HTTPAdapter):
    """Every request gets a timeout and no hidden retry: this module does the retrying."""

    def __init__(self, timeout: float) -> None:
        super().__init__(max_retries=0)
        self.timeout = timeout

    def send(self, request, **kwargs):  # type: ignore[no-untyped-def]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().send(request, **kwargs)


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or ""), parts.port or {"http": 80, "https": 443}.get(parts.scheme)


class _SameOriginAuth(requests.auth.HTTPBasicAuth):
    """Basic auth for the repository's own origin only: an index may link files elsewhere."""

    def __init__(self, credentials: Credentials, origin_url: str) -> None:
        super().__init__(credentials.username, credentials.password)
        self.origin = _origin(origin_url)

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return super().__call__(request) if _origin(request.url or "") == self.origin else request


class _Links(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href") if tag == "a" else None
        if href:
            self.hrefs.append(href)


def _text(body: str, limit: int = 200) -> str:
    """A server's error page as one short line of text."""
    body = re.sub(r"(?is)<(head|style|script)\b.*?</\1>", " ", body)
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())
    return text[:limit] + ("…" if len(text) > limit else "")


def _is_duplicate(status: int, reason: str, body: str) -> bool:
    said = f"{reason} {body}".lower()
    return status == 409 or (status == 400 and any(w in said for w in DUPLICATE_WORDINGS))


def _status_line(status: int, reason: str) -> str:
    return f"{status} {reason}".strip()


class Repository:
    """One hosted repository: its upload URL, its simple index, the account to use."""

    def __init__(self, upload_url: str, index_url: str, credentials: Credentials,
                 policy: RetryPolicy) -> None:
        self.upload_url = upload_url
        self.index_url = index_url
        self.credentials = credentials
        self.policy = policy
        self.session = requests.Session()
        for scheme in ("http://", "https://"):
            self.session.mount(scheme, _NoRetryAdapter(policy.timeout))
        self.session.auth = _SameOriginAuth(credentials, index_url)
        self.session.headers["User-Agent"] = f"wheelwright-publish requests/{requests.__version__}"

    @property
    def name(self) -> str:
        """The repository's name as Nexus spells it in privileges: the URL's last segment."""
        return urlsplit(self.upload_url).path.rstrip("/").rsplit("/", 1)[-1] or "<repository>"

    # -- reading --

    def _get(self, url: str, action: str, *, stream: bool = False) -> requests.Response:
        try:
            answer = self.session.get(url, stream=stream)
        except requests.RequestException as exc:
            raise self._network_error(exc, action, url) from None
        if answer.status_code >= 400 and answer.status_code != 404:
            body = answer.text if not stream else ""
            raise self._http_error(answer.status_code, answer.reason, body, action, privilege="read")
        return answer

    def check(self) -> None:
        """Preflight: the index answers, to these credentials, without a redirect."""
        action = f"Reading {self.index_url}"
        answer = self._get(self.index_url, action)
        if answer.history:
            raise error(REDIRECTED, label="redirect", action=action, location=answer.url)
        if answer.status_code == 404:
            raise self._http_error(404, answer.reason, "", action, privilege="read")

    def stored_sha256(self, dist: Dist) -> str | None:
        """The sha256 of the repository's file named like ``dist``, or None when it has none."""
        page = urljoin(self.index_url, f"{dist.project}/")
        answer = self._get(page, f"Looking up {dist.filename} in {page}")
        if answer.status_code == 404:
            return None
        links = _Links()
        links.feed(answer.text)
        for href in links.hrefs:
            location = urljoin(answer.url, href).split("#", 1)[0]
            if unquote(urlsplit(location).path.rsplit("/", 1)[-1]) == dist.filename:
                return self._download_sha256(location, dist)
        return None

    def _download_sha256(self, url: str, dist: Dist) -> str | None:
        with self._get(url, f"Downloading the stored {dist.filename}", stream=True) as answer:
            if answer.status_code == 404:
                return None
            digest = hashlib.sha256()
            try:
                for chunk in answer.iter_content(CHUNK):
                    digest.update(chunk)
            except requests.RequestException as exc:
                raise self._network_error(exc, f"Downloading the stored {dist.filename}", url) from None
            return digest.hexdigest()

    # -- writing --

    def upload(self, dist: Dist) -> bool:
        """One twine upload of ``dist``: True when stored, False when the repository says a
        file of that name is already there; raise otherwise."""
        action = f"Uploading {dist.filename} to {self.upload_url}"
        env = clean_env(TWINE_USERNAME=self.credentials.username,
                        TWINE_PASSWORD=self.credentials.password, TWINE_NON_INTERACTIVE="1")
        argv = [sys.executable, str(Path(__file__).resolve()), _CHILD,
                self.upload_url, str(dist.path.resolve()), repr(self.policy.timeout)]
        done = subprocess.run(argv, env=env, capture_output=True, text=True)
        lines = done.stdout.strip().splitlines()
        try:
            answer = json.loads(lines[-1])
        except (IndexError, json.JSONDecodeError):
            detail = " | ".join((done.stderr or done.stdout).strip().splitlines()[-3:]) or "no output"
            raise error(TWINE_FAILED, label="twine failed", file=dist.filename,
                        code=done.returncode, detail=detail) from None
        if "error" in answer:
            kind, detail = answer["error"], answer["detail"]
            if kind == "twine":  # read_dists checked the file: it changed since
                raise error(INVALID_DIST, label="invalid dist", file=dist.filename, detail=detail)
            raise self._network_error(kind, action, self.upload_url, detail)
        status, reason, body = answer["status"], answer["reason"], answer["body"]
        if status == 200:
            return True
        if 300 <= status < 400:
            raise error(REDIRECTED, label="redirect", action=action,
                        location=answer["location"] or "(no Location header)")
        if _is_duplicate(status, reason, body):
            return False
        if status == 413:
            raise error(TOO_LARGE, status=413, file=dist.filename, size=human_size(dist.size))
        raise self._http_error(status, reason, body, action, privilege="add")

    # -- what an answer means --

    def _http_error(self, status: int, reason: str, body: str, action: str, *,
                    privilege: str) -> PublishError:
        if status == 401:
            return error(UNAUTHORIZED, status=status, action=action)
        if status == 403:
            return error(FORBIDDEN, status=status, action=action, privilege=privilege,
                         username=self.credentials.username, repository=self.name)
        if status == 404:
            return error(NOT_FOUND, status=status, action=action)
        if status == 503:
            return error(UNAVAILABLE, Transient, status=status, action=action)
        if status >= 500:
            return error(SERVER_ERROR, Transient, status=status, action=action,
                         status_line=_status_line(status, reason))
        detail = _text(body) or reason or "(no message)"
        return error(REJECTED, status=status, action=action,
                     status_line=_status_line(status, reason), detail=detail)

    def _network_error(self, exc: requests.RequestException | str, action: str, url: str,
                       detail: str = "") -> PublishError:
        """Map a requests exception (or the name of one, from the twine child) to an error."""
        kind = exc if isinstance(exc, str) else (
            "tls" if isinstance(exc, requests.exceptions.SSLError)
            else "timeout" if isinstance(exc, requests.Timeout)
            else "connection")
        detail = detail or _exception_detail(exc)
        host = urlsplit(url).netloc
        if kind == "tls":
            return error(TLS_FAILED, label="TLS failed", action=action, host=host, detail=detail)
        if kind == "timeout":
            return error(TIMED_OUT, Transient, label="timed out", action=action,
                         timeout=self.policy.timeout)
        return error(UNREACHABLE, Transient, label="unreachable", action=action, host=host,
                     detail=detail)


def _exception_detail(exc: BaseException | str) -> str:
    """The gist of a requests/urllib3 exception ("[Errno 111] Connection refused.")."""
    if isinstance(exc, str):
        return exc
    inner: BaseException = exc
    while inner.args and isinstance(inner.args[0], BaseException):
        inner = inner.args[0]
    reason = getattr(inner, "reason", None)
    text = str(reason if reason is not None else inner)
    errno = re.search(r"\[Errno -?\d+\] [^'\")]+", text)
    if errno:
        text = errno.group(0)
    text = re.sub(r"^\(?(<urllib3\.[^>]*>|\w+\(host=[^)]*\)): ", "", text)
    if text.count(")") > text.count("("):
        text = text[:text.rindex(")")]
    return (text or type(inner).__name__).rstrip(".") + "."


# --- The flow --------------------------------------------------------------------------

T = TypeVar("T")


def with_retries(policy: RetryPolicy, attempt: Callable[[], T],
                 on_retry: Callable[[Transient, float, int], None] = lambda *_: None,
                 sleep: Callable[[float], None] = time.sleep) -> T:
    """Run ``attempt`` until it returns or raises a non-transient error; retry transient
    ones with exponential backoff, at most ``policy.retries`` times and not past
    ``policy.max_time`` seconds."""
    start = time.monotonic()
    delay = policy.backoff
    retries = 0
    while True:
        try:
            return attempt()
        except Transient as exc:
            elapsed = time.monotonic() - start
            if retries >= policy.retries or elapsed + delay > policy.max_time:
                gave_up = GAVE_UP.format(attempts=retries + 1, seconds=elapsed)
                raise PublishError(gave_up + exc.message, exc.hint, status=exc.status,
                                   label=exc.label) from None
            retries += 1
            on_retry(exc, delay, retries)
            sleep(delay)
            delay *= 2


def publish_file(repository: Repository, dist: Dist, *, dry_run: bool = False,
                 on_retry: Callable[[Transient, float, int], None] = lambda *_: None) -> str:
    """Make the repository hold ``dist``; return UPLOADED, PRESENT or WOULD_UPLOAD."""
    sent = False  # once a POST went out, finding the file stored means this run stored it

    def resolve(stored: str) -> str:
        if stored != dist.sha256:
            raise error(CONFLICT, label="other content already published", project=dist.project,
                        version=dist.version, file=dist.filename, stored=stored, local=dist.sha256)
        return UPLOADED if sent else PRESENT

    def attempt() -> str:
        nonlocal sent
        stored = repository.stored_sha256(dist)
        if stored is not None:
            return resolve(stored)
        if dry_run:
            return WOULD_UPLOAD
        was_sent, sent = sent, True  # even if it fails, the POST may have reached the repository
        if repository.upload(dist):
            return UPLOADED
        stored = repository.stored_sha256(dist)
        if stored is None:
            raise error(DUPLICATE_UNLISTED, label="duplicate, not listed", file=dist.filename,
                        page=urljoin(repository.index_url, f"{dist.project}/"))
        sent = was_sent  # the server had it before this POST
        return resolve(stored)

    return with_retries(repository.policy, attempt, on_retry)


def final_line(results: dict[str, str]) -> str:
    """The run's verdict, one line, every file's outcome."""
    statuses = set(results.values())
    if statuses <= {UPLOADED, PRESENT}:
        verdict = "published"
    elif statuses <= {UPLOADED, PRESENT, WOULD_UPLOAD}:
        verdict = "dry run, nothing uploaded"
    else:
        verdict = "NOT published"
    return f"{verdict}: " + "; ".join(f"{name} {status}" for name, status in results.items())


# --- The child process that runs twine -------------------------------------------------

_CHILD = "--twine-upload-once"


def _twine_upload_once(url: str, path: str, timeout: float) -> dict[str, object]:
    """One ``twine upload`` of one file, one POST: twine takes the credentials from
    TWINE_USERNAME and TWINE_PASSWORD in this process's environment, as its CLI does.

    twine's own session retries connections and has no timeout, and its upload re-sends a
    POST up to 5 times on any 5xx, at once; the parent owns retries and timeouts.
    """
    from twine import exceptions, package, settings

    parser = argparse.ArgumentParser()
    settings.Settings.register_argparse_arguments(parser)
    args = parser.parse_args(["--repository-url", url, "--disable-progress-bar"])
    try:
        upload_settings = settings.Settings.from_argparse(args)
        repository = upload_settings.create_repository()
        for scheme in ("http://", "https://"):
            repository.session.mount(scheme, _NoRetryAdapter(timeout))
        dist = package.PackageFile.from_filename(path, comment=None)
        answer = repository.upload(dist, max_redirects=1)
    except (exceptions.TwineException, zipfile.BadZipFile, tarfile.TarError, EOFError) as exc:
        return {"error": "twine", "detail": f"{type(exc).__name__}: {exc}"}
    except requests.exceptions.SSLError as exc:
        return {"error": "tls", "detail": _exception_detail(exc)}
    except requests.Timeout as exc:
        return {"error": "timeout", "detail": _exception_detail(exc)}
    except requests.RequestException as exc:
        return {"error": "connection", "detail": _exception_detail(exc)}
    return {"status": answer.status_code, "reason": answer.reason or "",
            "body": answer.text[:4000], "location": answer.headers.get("Location", "")}


# --- Command line ----------------------------------------------------------------------

def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="publish.py", description=__doc__.split("\n\n")[0],
        epilog="Credentials: NEXUS_USERNAME and NEXUS_PASSWORD in the environment, never "
               "on the command line. Exit codes: 0 published (or already there, identical); "
               "1 publishing or the preflight check failed; 2 unusable input, nothing sent.")
    parser.add_argument("--repository-url", required=True, metavar="URL",
                        help="the hosted repository's upload URL, trailing slash included, e.g. "
                             "https://HOST/repository/pypi-hosted/")
    parser.add_argument("--index-url", metavar="URL",
                        help="its simple index, where files are looked up "
                             "(default: the repository URL + simple/)")
    parser.add_argument("--preflight", action="store_true",
                        help="only check the URL, the credentials and that the repository answers")
    parser.add_argument("--dry-run", action="store_true",
                        help="check and look up everything, upload nothing")
    parser.add_argument("--retries", type=int, default=DEFAULT_RETRIES, metavar="N",
                        help="retries after a connection error, timeout or 5xx "
                             "(default: %(default)s)")
    parser.add_argument("--backoff", type=float, default=DEFAULT_BACKOFF, metavar="SECONDS",
                        help="wait before the first retry, doubled for each next one "
                             "(default: %(default)s)")
    parser.add_argument("--max-time", type=float, default=DEFAULT_MAX_TIME, metavar="SECONDS",
                        help="no retry starts later than this after a file's first attempt "
                             "(default: %(default)s)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                        help="give up an attempt when the repository is silent this long "
                             "(default: %(default)s)")
    parser.add_argument("files", nargs="*", metavar="FILE", help="wheel(s) and sdist to publish")
    args = parser.parse_args(argv)
    if args.preflight and args.files:
        parser.error("--preflight takes no files")
    if not args.preflight and not args.files:
        parser.error("give the files to publish, or --preflight")
    if args.retries < 0 or args.backoff < 0 or args.max_time < 0 or args.timeout <= 0:
        parser.error("--retries, --backoff and --max-time must be >= 0, --timeout > 0")
    return args


def report(results: dict[str, str], dists: list[Dist], failure: PublishError | None) -> None:
    """Step outputs and the job summary (each a no-op outside Actions)."""
    ok = failure is None and all(s in (UPLOADED, PRESENT) for s in results.values())
    set_output("published", "true" if ok else "false")
    set_output("files", json.dumps([{"file": d.filename, "sha256": d.sha256, "status": results[d.filename]}
                                    for d in dists]))
    rows = "\n".join(f"| `{name}` | {status} |" for name, status in results.items())
    summary(f"### Publish\n\n| file | result |\n|---|---|\n{rows}\n")


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == [_CHILD]:
        print(json.dumps(_twine_upload_once(argv[1], argv[2], float(argv[3]))), flush=True)
        return 0
    password = os.environ.get("NEXUS_PASSWORD", "")
    mask(password)  # first: Actions must hide it before any line could show it
    args = parse_args(argv)
    results: dict[str, str] = {}
    dists: list[Dist] = []
    try:
        credentials = read_credentials()
        upload_url = check_url(args.repository_url)
        index_url = check_url(args.index_url or upload_url + "simple/", "--index-url")
        policy = RetryPolicy(args.retries, args.backoff, args.max_time, args.timeout)
        repository = Repository(upload_url, index_url, credentials, policy)
        if args.preflight:
            with_retries(policy, repository.check, on_retry=_say_retry)
            notice(f"preflight: {index_url} answers; NEXUS_USERNAME and NEXUS_PASSWORD are set.")
            return 0
        dists = read_dists(args.files)
        results = {d.filename: NOT_ATTEMPTED for d in dists}
        for dist in dists:
            notice(f"{dist.filename} ({human_size(dist.size)}, sha256 {dist.sha256})")
            results[dist.filename] = "failed"
            results[dist.filename] = publish_file(repository, dist, dry_run=args.dry_run,
                                                  on_retry=_say_retry)
            notice(f"  {results[dist.filename]}")
    except PublishError as exc:
        for name, status in results.items():
            if status == "failed":
                results[name] = f"failed ({exc.label})"
        if results:
            report(results, dists, exc)
        code = fail(STAGE, _redacted(exc, password))
        if results:
            print(final_line(results), flush=True)
        return 2 if isinstance(exc, UsageError) else code
    report(results, dists, None)
    print(final_line(results), flush=True)
    return 0


def _say_retry(exc: Transient, delay: float, retry: int) -> None:
    notice(f"  {exc.message} Retry {retry} in {delay:g} s.")


def _redacted(exc: PublishError, password: str) -> PublishError:
    """Whatever a server echoed, the password is not printed."""
    if password and (password in exc.message or password in exc.hint):
        return PublishError(exc.message.replace(password, "***"), exc.hint.replace(password, "***"),
                            status=exc.status, label=exc.label)
    return exc


if __name__ == "__main__":
    sys.exit(main())
