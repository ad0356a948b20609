"""publish: upload the build's wheel (and sdist) to a Nexus PyPI hosted repository, exactly once.

    NEXUS_USERNAME=ci NEXUS_PASSWORD=... python scripts/publish.py \\
        --repository-url https://nexus.example.com/repository/pypi-hosted/ \\
        --name tumor-classifier --version 1.2.0 --dist dist/        # or: dist/*.whl dist/*.tar.gz
    python scripts/publish.py --preflight --repository-url URL      # before training

Only what the build was asked for is published. ``--name`` and ``--version`` come from the
trusted side (the pipeline, the workflow's source job), never from the files: the folder
or the files given must hold exactly one wheel of that name and version and at most one
sdist of it, each with metadata that says so. Anything else (another project or version,
a second wheel, a stray archive, any other file) is refused by name, and nothing is sent.

For each file, wheel first: look it up in the repository's simple index. When a file of
that name is listed, compare sha256 (the link's ``#sha256=`` when it has one, else the
stored file, downloaded and hashed as it arrives): identical is success (a re-run
publishes nothing), different is an error that says which files inside the wheel differ
(published versions are immutable). Otherwise upload it, one POST per attempt, with
twine's form fields and session, from a child process whose environment alone carries
the credentials (TWINE_USERNAME and TWINE_PASSWORD). Connection errors, timeouts and 5xx
are retried with exponential backoff, and the file is looked up again before each retry,
because a 5xx can come after the repository stored it. A duplicate answer (Nexus's 400,
pypiserver's 409/400, devpi's 409) is settled the same way: compare with the stored file.

One read of each file: the upload streams the file from disk in 1 MiB chunks, hashing
it in the same pass; the sha256_digest form field follows the content (Nexus, pypiserver
and devpi read the whole form before they act on it), so no pass is needed beforehand.
Reading the metadata takes the wheel's METADATA member only. Finding an sdist's PKG-INFO
means decompressing the archive (hatchling writes it last), and every file is checked
before the first upload, so an sdist is read twice. A file already in the repository is
read once, to hash it.

--preflight proves, before training, that these credentials may upload here, and stores
nothing: it POSTs an upload every known server refuses for its content, and only after
checking the account (Nexus checks credentials and the "add" privilege before its upload
handler reads the form): 400 means the account may upload; 401, 403 and 404 fail, naming
the cause. docs/nexus.md records how Nexus answers it, with the source it comes from.

Exit codes: 0 every file is in the repository with this content (with --dry-run: would
be; with --preflight: the account may upload); 1 a file could not be published, or the
preflight check failed; 2 the command line, the URL, the credentials or the files are
unusable (nothing was sent); 128 + N stopped by signal N (Ctrl-C, SIGTERM), the upload
child stopped with it.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import os
import re
import secrets
import subprocess
import sys
import tarfile
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence, TypeVar
from urllib.parse import urlsplit

import requests
from packaging.utils import (
    InvalidSdistFilename, InvalidWheelFilename, canonicalize_name, parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from _index import (
    HTTPStatusError, Index, IndexClientError, Link, NetworkError, NoRetryAdapter, Redirected,
    exception_detail, page_text, session,
)
from _progress import Progress, ProgressReader
from _wheelwright import (
    CHUNK, Interrupted, PipelineError, clean_env, fail, mask, notice, on_signals, set_output, summary,
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
#: How much of a stored wheel's end is kept while it downloads: its zip directory, to say
#: which files inside differ (about 100 bytes a member).
WHEEL_TAIL = 4 << 20
#: Files inside a wheel that are a trained model: when they differ, training is the cause.
MODEL_SUFFIXES = (".joblib", ".pkl", ".pickle", ".skops", ".onnx")

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
URL_SPACES = (
    "{flag} {url!r} starts or ends with white space (a secret pasted with a newline?).",
    "Remove it: {stripped} .",
)
URL_INSECURE = (
    "{flag} {url} is plain http to another machine: the password would cross the network unencrypted.",
    "Use the repository's https:// URL (plain http is accepted for 127.0.0.1 and localhost only).",
)
URL_NO_SLASH = (
    "{flag} {url} lacks its trailing slash: Nexus answers such an upload with 400 or a redirect.",
    "Use {url}/ .",
)
BAD_NAME = (
    "--name {name!r} is not a valid distribution name.",
    "Pass the project's name as its pyproject.toml [project] table spells it, e.g. tumor-classifier.",
)
BAD_VERSION = (
    "--version {version!r} is not a valid version (PEP 440).",
    "Pass the version the build was asked for, e.g. 1.2.0, 1.2.0rc1 or 1.2.0.dev42.",
)
LOCAL_VERSION = (
    "--version {version} is a local version: a repository would serve it to "
    "`pip install {name}=={public}`, in place of the real {public}.",
    "Publish a public version (without '+...'); use .devN for builds of a branch.",
)
NOT_A_FILE = (
    "{path} does not exist.",
    "Run the build stage first, and pass the files it wrote (or its folder with --dist).",
)
NOT_A_FOLDER = (
    "--dist {path} is not a folder.",
    "Pass the folder the build wrote the wheel to (the downloaded artifact's folder).",
)
FOREIGN_FILES = (
    "Refusing to publish: {where} what is not {project} {version}'s wheel or sdist: {files}.",
    "publish uploads exactly what the build was asked for: one wheel of --name and --version, "
    "at most one sdist. Nothing was uploaded. Remove the other files, or find out what put them "
    "there: the build ran the model project's own code.",
)
NO_WHEEL = (
    "{where} no wheel of {project} {version}.",
    "Run the build stage for that version, and pass the folder it wrote (--dist) or its wheel.",
)
NAME_MISMATCH = (
    "{file} is named for {project} {version}, but its metadata says {meta_name} {meta_version}.",
    "Rebuild it: a file whose metadata names another release would be stored under that name.",
)
INVALID_DIST = (
    "twine could not read {file}: {detail}",
    "Rebuild it; `twine check` says what is wrong with it.",
)
CONFLICT = (
    "{project} {version} is already published with other content: the repository's {file} "
    "has sha256 {stored}, this one {local}.{detail}",
    "A published version is immutable: bump the version, rebuild, and publish again.",
)
FILE_CHANGED = (
    "{file} changed while it was being published: {detail}.",
    "Something is writing to the build's output: publish from a folder nothing else touches.",
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
WRONG_PASSWORD = (
    "{action} was refused with 403 Forbidden, which is how this repository answers a wrong "
    "password (it answers an account it does not know the same way): the credentials are wrong.",
    "Check the values of NEXUS_USERNAME and NEXUS_PASSWORD (the secrets' names and contents).",
)
FORBIDDEN_UNSURE = (
    "{action} was refused with 403 Forbidden: user {username} may not upload here, or its "
    "password is wrong (some servers answer a wrong password with 403).",
    "Check NEXUS_USERNAME and NEXUS_PASSWORD, and that the user holds "
    "nx-repository-view-pypi-{repository}-add.",
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
PREFLIGHT_STORED = (
    "{action} was accepted ({status_line}), although it was built to be refused: the "
    "repository may now hold a file {file!r} of a project {project}.",
    "Delete it (Nexus: packages/{project}/{version}/ in the repository), and check "
    "--repository-url is a PyPI hosted repository.",
)
DUPLICATE_UNLISTED = (
    "The repository says {file} is already there, but its index page {page} does not list it.",
    "Check --index-url is this repository's simple index (devpi: .../+simple/), and that the "
    "user may read it.",
)
TWINE_FAILED = (
    "The upload of {file} ended without an answer (exit code {code}): {detail}",
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


@dataclass
class Dist:
    """A file to publish, checked: its name, version and kind agree with what the build
    was asked for. ``fields`` are the upload form's metadata fields, as twine sends them.
    ``sha256`` is known once the file has been read whole (to upload it, or to compare it)."""

    path: Path
    kind: str  # "wheel" or "sdist"
    project: str
    version: str
    size: int
    fields: list[tuple[str, str]] = field(default_factory=list, repr=False)
    sha256: str | None = None

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
    if url != url.strip():
        raise error(URL_SPACES, UsageError, label="bad URL", flag=flag, url=url, stripped=url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise error(URL_MALFORMED, UsageError, label="bad URL", flag=flag, url=url)
    if parts.scheme == "http" and parts.hostname not in LOCAL_HOSTS:
        raise error(URL_INSECURE, UsageError, label="bad URL", flag=flag, url=url)
    if not parts.path.endswith("/"):
        raise error(URL_NO_SLASH, UsageError, label="bad URL", flag=flag, url=url)
    return url


def check_release(name: str, version: str) -> tuple[str, str]:
    """The release the build was asked for: its normalised name and version."""
    if not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?", name):
        raise error(BAD_NAME, UsageError, label="bad name", name=name)
    try:
        parsed = Version(version)
    except InvalidVersion:
        raise error(BAD_VERSION, UsageError, label="bad version", version=version) from None
    if parsed.local:
        raise error(LOCAL_VERSION, UsageError, label="local version", version=version,
                    name=canonicalize_name(name), public=parsed.public)
    return canonicalize_name(name), str(parsed)


def select_dists(paths: Sequence[Path], project: str, version: str, where: str) -> list[tuple[Path, str]]:
    """The wheel (first) and the sdist among ``paths``, as ``(path, kind)``; refuse anything
    else, naming every file refused and why. ``project`` and ``version`` are normalised;
    ``where`` starts the messages ("dist/ holds")."""
    wheels: list[Path] = []
    sdists: list[Path] = []
    refused: list[str] = []
    for path in paths:
        why = _foreign(path, project, version)
        if why:
            refused.append(shown(f"{path.name} ({why})"))  # the reason may quote the name
        elif path.name.endswith(".whl"):
            wheels.append(path)
        else:
            sdists.append(path)
    for found, kind, most in ((wheels, "wheels", 1), (sdists, "sdists", 1)):
        if len(found) > most:
            refused += [f"{shown(p.name)} (one of {len(found)} {kind} of {project} {version}: publish "
                        f"takes {'exactly' if kind == 'wheels' else 'at most'} one)" for p in found]
    if refused:
        raise error(FOREIGN_FILES, UsageError, label="refused", where=where, project=project,
                    version=version, files="; ".join(refused))
    if not wheels:
        raise error(NO_WHEEL, UsageError, label="no wheel", where=where, project=project, version=version)
    return [(wheels[0], "wheel")] + [(p, "sdist") for p in sdists]


def shown(name: str) -> str:
    """A file name from the build as it may be printed. The build job ran the model's
    code, which can name a file ``x\\n::add-mask::...``; printed as it is, in the job that
    holds the credentials, its second line would be a workflow command. So every
    character that is not printable is shown as its escape (``\\n``, ``\\x1b``)."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in name)


def _foreign(path: Path, project: str, version: str) -> str:
    """Why ``path`` is not a file of ``project`` ``version`` ("" when it is one)."""
    if path.is_symlink():
        return "a symbolic link"
    if path.is_dir():
        return "a folder"
    if not path.is_file():
        return "not a regular file"
    try:
        if path.name.endswith(".whl"):
            name, found, _, _ = parse_wheel_filename(path.name)
        elif path.name.endswith(".tar.gz"):
            name, found = parse_sdist_filename(path.name)
        else:
            return "not a wheel or an sdist"
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return "not a standard wheel or sdist file name"
    if canonicalize_name(name) != project:
        return f"a file of {canonicalize_name(name)}"
    if found != Version(version):
        return f"version {found}"
    return ""


def dist_paths(dist_dir: str | None, files: Sequence[str]) -> tuple[list[Path], str]:
    """The paths to check, and how to name where they come from."""
    if dist_dir is not None:
        folder = Path(dist_dir)
        if not folder.is_dir():
            raise error(NOT_A_FOLDER, UsageError, label="no folder", path=folder)
        return sorted(folder.iterdir()), f"{folder}/ holds"
    paths: list[Path] = []
    for raw in files:
        path = Path(raw)
        if not path.exists() and not path.is_symlink():
            raise error(NOT_A_FILE, UsageError, label="missing", path=path)
        if all(path.resolve() != p.resolve() for p in paths):
            paths.append(path)
    return paths, "the files given include"


def read_dists(selected: Sequence[tuple[Path, str]], project: str, version: str) -> list[Dist]:
    """Read each file's metadata the way twine does, before anything is sent: a broken or
    misnamed sdist cannot leave half a release."""
    dists = []
    for path, kind in selected:
        package = read_package(path)
        meta_name, meta_version = package.metadata["name"], package.metadata["version"]
        try:
            same = (canonicalize_name(meta_name), Version(meta_version)) == (project, Version(version))
        except InvalidVersion:
            same = False
        if not same:
            raise error(NAME_MISMATCH, UsageError, label="name mismatch", file=path.name,
                        project=project, version=version, meta_name=shown(str(meta_name)),
                        meta_version=shown(str(meta_version)))  # the build wrote them
        dists.append(Dist(path, kind, project, version, path.stat().st_size, form_fields(package)))
    return dists


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


# --- twine's reading of a file, without its hashing pass --------------------------------

def read_package(path: Path):  # type: ignore[no-untyped-def]
    """``twine.package.PackageFile.from_filename``: its metadata reading and checks, minus
    the pass over the whole file its constructor makes to compute digests. The digests are
    computed while the file is uploaded, and sent after it (see :class:`UploadBody`)."""
    from twine import exceptions, package

    class DigestsLater(package.HashManager):
        def hash(self) -> None:
            pass

    hashing, package.HashManager = package.HashManager, DigestsLater  # type: ignore[misc]
    try:
        dist = package.PackageFile.from_filename(str(path), comment=None)
    except (exceptions.TwineException, zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as exc:
        raise error(INVALID_DIST, UsageError, label="invalid dist", file=path.name,
                    detail=shown(f"{type(exc).__name__}: {exc}")) from None  # may quote the file
    finally:
        package.HashManager = hashing  # type: ignore[misc]
    dist.sha2_digest = dist.blake2_256_digest = None
    return dist


def form_fields(package) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """The upload form's fields before the file, exactly as twine's upload sends them."""
    from twine.repository import Repository as TwineRepository

    fields = TwineRepository._convert_metadata_to_list_of_tuples(package.metadata_dictionary())
    return [(str(k), str(v)) for k, v in fields] + [(":action", "file_upload"), ("protocol_version", "1")]


# --- The upload's body: multipart/form-data streamed from disk ---------------------------

def form_part(boundary: str, name: str, value: str) -> bytes:
    return (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            .encode() + value.encode("utf-8") + b"\r\n")


def file_part_head(boundary: str, name: str, filename: str) -> bytes:
    return (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n').encode()


class FileChanged(Exception):
    """The file on disk is not the one that was checked."""


class UploadBody:
    """The body twine's upload would send for ``path``, in one pass over the file.

    Its metadata fields come first, then the file, streamed in 1 MiB chunks and hashed as
    it goes, then ``sha256_digest``: known only once the file has gone by, it is placed
    after it (the servers read the whole form before acting on it). Its length is known
    up front (the digest is always 64 hex digits), so the request carries Content-Length,
    as twine's does, not chunked encoding. blake2_256_digest is not sent: no server here
    needs it, and a second hash would slow the pass for nothing.
    """

    def __init__(self, fields: Sequence[tuple[str, str]], path: Path, filename: str, size: int,
                 on_progress: Callable[[int], None] = lambda _: None) -> None:
        self.boundary = secrets.token_hex(16)
        self.content_type = f"multipart/form-data; boundary={self.boundary}"
        self.path, self.size, self.on_progress = path, size, on_progress
        self.head = (b"".join(form_part(self.boundary, k, v) for k, v in fields)
                     + file_part_head(self.boundary, "content", filename))
        self.sha256: str | None = None
        self.length = len(self.head) + size + len(self._tail("0" * 64))

    def _tail(self, sha256: str) -> bytes:
        return b"\r\n" + form_part(self.boundary, "sha256_digest", sha256) + f"--{self.boundary}--\r\n".encode()

    def __len__(self) -> int:
        return self.length

    def __iter__(self) -> Iterator[bytes]:
        yield self.head
        digest = hashlib.sha256()
        sent = 0
        with open(self.path, "rb") as handle:
            if os.fstat(handle.fileno()).st_size != self.size:
                raise FileChanged(f"its size is now {os.fstat(handle.fileno()).st_size} bytes, "
                                  f"not {self.size}")
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
                sent += len(chunk)
                if sent > self.size:
                    raise FileChanged(f"it grew past {self.size} bytes while being sent")
                yield chunk
                self.on_progress(sent)
        if sent != self.size:
            raise FileChanged(f"it shrank to {sent} bytes while being sent")
        self.sha256 = digest.hexdigest()
        yield self._tail(self.sha256)


# --- The preflight's request: an upload every server refuses for its content ------------
#
# Sent with the account's credentials, it passes or fails the servers' authentication and
# authorization (which come first everywhere: docs/nexus.md), then is refused for what it
# holds, before anything is stored:
# - Nexus (3.30, both stores) checks the form's md5_digest against the received file
#   before it creates an asset: a wrong one is 400 "Digests do not match".
# - pypiserver refuses a file name outside [A-Za-z0-9_.!+-]: 400 "Bad filename".
# - devpi refuses a file name that does not contain the version: 400 "filename ... does
#   not contain version".
# The project's name is its own, so that if a server ever stored it, it is easy to find.

PREFLIGHT_PROJECT = "wheelwright-preflight"
PREFLIGHT_VERSION = "0"
PREFLIGHT_FILE = "wheelwright preflight, refused by design.txt"
PREFLIGHT_CONTENT = b"wheelwright preflight: an upload built to be refused, never stored.\n"


def preflight_body() -> tuple[str, bytes]:
    """The preflight's content type and body."""
    boundary = secrets.token_hex(16)
    wrong_md5 = "0" * 32  # not the md5 of PREFLIGHT_CONTENT
    fields = [(":action", "file_upload"), ("protocol_version", "1"), ("name", PREFLIGHT_PROJECT),
              ("version", PREFLIGHT_VERSION), ("filetype", "sdist"), ("pyversion", "source"),
              ("md5_digest", wrong_md5)]
    body = (b"".join(form_part(boundary, k, v) for k, v in fields)
            + file_part_head(boundary, "content", PREFLIGHT_FILE) + PREFLIGHT_CONTENT + b"\r\n"
            + f"--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}", body


# --- What an answer means ----------------------------------------------------------------

def is_duplicate(status: int, reason: str, body: str) -> bool:
    said = f"{reason} {body}".lower()
    return status == 409 or (status == 400 and any(w in said for w in DUPLICATE_WORDINGS))


def status_line(status: int, reason: str) -> str:
    return f"{status} {reason}".strip()


def http_error(status: int, reason: str, body: str, action: str, *, username: str,
               repository: str, privilege: str) -> PublishError:
    """The error for an answer of 400 or more (a 403 for uploads is first diagnosed by
    :meth:`Repository.forbidden`)."""
    if status == 401:
        return error(UNAUTHORIZED, status=status, action=action)
    if status == 403:
        return error(FORBIDDEN, status=status, action=action, privilege=privilege,
                     username=username, repository=repository)
    if status == 404:
        return error(NOT_FOUND, status=status, action=action)
    if status == 503:
        return error(UNAVAILABLE, Transient, status=status, action=action)
    if status >= 500:
        return error(SERVER_ERROR, Transient, status=status, action=action,
                     status_line=status_line(status, reason))
    detail = page_text(body) or reason or "(no message)"
    return error(REJECTED, status=status, action=action, status_line=status_line(status, reason),
                 detail=detail)


def network_error(kind: str, action: str, url: str, detail: str, timeout: float) -> PublishError:
    """The error for no answer: ``kind`` is "connection", "timeout" or "tls"."""
    host = urlsplit(url).netloc
    if kind == "tls":
        return error(TLS_FAILED, label="TLS failed", action=action, host=host, detail=detail)
    if kind == "timeout":
        return error(TIMED_OUT, Transient, label="timed out", action=action, timeout=timeout)
    return error(UNREACHABLE, Transient, label="unreachable", action=action, host=host, detail=detail)


# --- Which files inside two wheels differ ----------------------------------------------------

class _Tail(io.RawIOBase):
    """The last bytes of a file of ``size`` bytes, readable where they are: enough for
    zipfile to read a zip's central directory."""

    def __init__(self, tail: bytes, size: int) -> None:
        super().__init__()
        self.tail, self.size, self.start, self.pos = tail, size, size - len(tail), 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        self.pos = {0: 0, 1: self.pos, 2: self.size}[whence] + offset
        return self.pos

    def tell(self) -> int:
        return self.pos

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self.pos < self.start:
            raise OSError("that part of the file was not kept")
        data = self.tail[self.pos - self.start:self.pos - self.start + len(buffer)]
        buffer[:len(data)] = data
        self.pos += len(data)
        return len(data)


def zip_members(source: Path | _Tail) -> dict[str, tuple[int, int]]:
    """Each member's (size, CRC), from the zip's central directory only."""
    with zipfile.ZipFile(source) as archive:  # type: ignore[arg-type]
        return {info.filename: (info.file_size, info.CRC) for info in archive.infolist()}


def wheel_difference(stored: dict[str, tuple[int, int]], local: dict[str, tuple[int, int]]) -> str:
    """One sentence: which files inside the wheels differ, and what that usually means."""
    changed = sorted(n for n in stored.keys() & local.keys() if stored[n] != local[n])
    gone, new = sorted(stored.keys() - local.keys()), sorted(local.keys() - stored.keys())
    if not (changed or gone or new):
        return ("Every file inside the two wheels is the same (name, size, CRC): only the "
                "archives differ (timestamps, order or compression), so the build is not "
                "byte-for-byte reproducible.")
    files = [n for n in changed if not n.endswith(".dist-info/RECORD")] or changed
    models = [n for n in files if n.lower().endswith(MODEL_SUFFIXES)]
    manifests = [n for n in files if n.rsplit("/", 1)[-1] == "manifest.json"]
    metadata = [n for n in files if n.endswith(".dist-info/METADATA")]
    said, explained = [], set(models)
    if models:
        said.append(f"{_names(models)} {_differ(models)}: the training is not reproducible (pass "
                    "random_state to every estimator and to the train/test split)")
    elif files == manifests and not (gone or new):
        said.append(f"only the manifest differs ({_names(manifests)}): the model is the same, "
                    "what the manifest records beside it (library versions, data fingerprint, "
                    "metrics) is not")
        explained.update(manifests)
    elif files == metadata and not (gone or new):
        said.append(f"only the package metadata differs ({_names(metadata)}): its description, "
                    "dependencies or model card changed")
        explained.update(metadata)
    rest = [n for n in files if n not in explained]
    if rest:
        said.append(f"{_names(rest)} {_differ(rest)}")
    if gone:
        said.append(f"only the stored wheel has {_names(gone)}")
    if new:
        said.append(f"only this one has {_names(new)}")
    return " Inside the wheel: " + "; ".join(said) + "."


def _names(names: list[str], most: int = 4) -> str:
    shown = ", ".join(names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def _differ(names: list[str]) -> str:
    return "differs" if len(names) == 1 else "differ"


# --- The repository: looking files up (here) and uploading them (in a twine child) -------

class Repository:
    """One hosted repository: its upload URL, its simple index, the account to use."""

    def __init__(self, upload_url: str, index_url: str, credentials: Credentials,
                 policy: RetryPolicy) -> None:
        self.upload_url = upload_url
        self.index_url = index_url
        self.credentials = credentials
        self.policy = policy
        self.index = Index(index_url, auth=(credentials.username, credentials.password),
                           timeout=policy.timeout, user_agent=f"wheelwright-publish requests/{requests.__version__}")
        self.http = session(policy.timeout, f"wheelwright-publish requests/{requests.__version__}")

    @property
    def name(self) -> str:
        """The repository's name as Nexus spells it in privileges: the URL's last segment."""
        return urlsplit(self.upload_url).path.rstrip("/").rsplit("/", 1)[-1] or "<repository>"

    # -- what an answer means, here --

    def http_error(self, status: int, reason: str, body: str, action: str, *, privilege: str) -> PublishError:
        return http_error(status, reason, body, action, username=self.credentials.username,
                          repository=self.name, privilege=privilege)

    def index_error(self, exc: IndexClientError, action: str) -> PublishError:
        if isinstance(exc, HTTPStatusError):
            return self.http_error(exc.status, exc.reason, exc.body, action, privilege="read")
        if isinstance(exc, Redirected):
            return error(REDIRECTED, label="redirect", action=action, location=exc.location)
        assert isinstance(exc, NetworkError)
        return network_error(exc.kind, action, exc.url, exc.detail, self.policy.timeout)

    def forbidden(self, action: str) -> PublishError:
        """A 403 to an upload: a missing privilege (Nexus, devpi), or a wrong password
        (pypiserver answers that with 403 too). Tell them apart by sending the refusable
        preflight upload as an account that cannot exist: a server that answers it 401
        checked this account's password and found it right."""
        made_up = (f"wheelwright-nobody-{secrets.token_hex(4)}", secrets.token_urlsafe(12))
        fields = dict(action=action, username=self.credentials.username, repository=self.name)
        try:
            status = self.post_refusable(made_up)[0]
        except PublishError:
            status = 0
        if status == 401:
            return error(FORBIDDEN, status=403, privilege="add", **fields)
        if status == 403:
            return error(WRONG_PASSWORD, status=403, label="wrong password", action=action)
        return error(FORBIDDEN_UNSURE, status=403, **fields)

    # -- the preflight --

    def post_refusable(self, auth: tuple[str, str]) -> tuple[int, str, str, str]:
        """POST the preflight's upload as ``auth``: (status, reason, text, Location)."""
        action = f"A test upload to {self.upload_url}"
        content_type, body = preflight_body()
        try:
            answer = self.http.post(self.upload_url, data=body, auth=auth, allow_redirects=False,
                                    headers={"Content-Type": content_type})
        except requests.RequestException as exc:
            raise self._request_error(exc, action) from None
        return (answer.status_code, answer.reason or "", page_text(answer.text),
                answer.headers.get("Location", ""))

    def preflight(self) -> str:
        """Prove the account may upload here, storing nothing; return what the repository
        said when it refused the test upload's content."""
        action = f"A test upload to {self.upload_url} (built to be refused: nothing is stored)"
        status, reason, text, location = self.post_refusable(
            (self.credentials.username, self.credentials.password))
        if 200 <= status < 300:
            raise error(PREFLIGHT_STORED, status=status, action=action,
                        status_line=status_line(status, reason), file=PREFLIGHT_FILE,
                        project=PREFLIGHT_PROJECT, version=PREFLIGHT_VERSION)
        if 300 <= status < 400:
            raise error(REDIRECTED, label="redirect", action=action,
                        location=location or "(no Location header)")
        if status == 403:
            raise self.forbidden(action)
        if status != 400:
            raise self.http_error(status, reason, text, action, privilege="add")
        try:
            self.index.check()
        except IndexClientError as exc:
            raise self.index_error(exc, f"Reading {self.index_url}") from None
        said = status_line(status, reason)
        if reason in ("", "Bad Request"):  # Nexus puts its message in the reason; others in the page
            text = re.sub(r"(?s)^.*caused an error:\s*", "", text)  # bottle's (pypiserver's) page
            said += f" ({text})" if text else ""
        return said

    def _request_error(self, exc: requests.RequestException, action: str) -> PublishError:
        kind = ("tls" if isinstance(exc, requests.exceptions.SSLError)
                else "timeout" if isinstance(exc, requests.Timeout) else "connection")
        return network_error(kind, action, self.upload_url, exception_detail(exc), self.policy.timeout)

    # -- reading --

    def lookup(self, dist: Dist) -> Link | None:
        """The index's link to a file named like ``dist``, if it lists one."""
        page = self.index.project_url(dist.project)
        try:
            return self.index.find(dist.project, dist.filename)
        except IndexClientError as exc:
            raise self.index_error(exc, f"Looking up {dist.filename} in {page}") from None

    def local_sha256(self, dist: Dist) -> str:
        if dist.sha256 is None:
            with open(dist.path, "rb") as raw, Progress(f"hashing {dist.filename}", dist.size) as progress:
                dist.sha256 = hashlib.file_digest(ProgressReader(raw, progress), "sha256").hexdigest()
        return dist.sha256

    def compare(self, dist: Dist, link: Link) -> tuple[bool, str, str] | None:
        """Whether the stored file is ``dist``: (same, its sha256, what differs inside);
        None when the index lists it but it cannot be downloaded (404)."""
        local = self.local_sha256(dist)
        if link.hashes.get("sha256") == local:
            return True, local, ""
        action = f"Downloading the stored {dist.filename}"
        wheel = dist.kind == "wheel"
        try:
            fetched = self.index.download(link.url, tail=WHEEL_TAIL if wheel else 0,
                                          label=f"downloading the stored {dist.filename}")
        except HTTPStatusError as exc:
            if exc.status == 404:
                return None
            raise self.index_error(exc, action) from None
        except IndexClientError as exc:
            raise self.index_error(exc, action) from None
        if fetched.sha256 == local:
            return True, local, ""
        detail = ""
        if wheel:
            with contextlib.suppress(zipfile.BadZipFile, OSError, EOFError, ValueError):
                detail = wheel_difference(zip_members(_Tail(fetched.tail, fetched.size)),
                                          zip_members(dist.path))
        return False, fetched.sha256, detail

    # -- writing --

    def upload(self, dist: Dist) -> bool:
        """One upload of ``dist``: True when stored, False when the repository says a file
        of that name is already there; raise otherwise."""
        action = f"Uploading {dist.filename} to {self.upload_url}"
        env = clean_env(TWINE_USERNAME=self.credentials.username,
                        TWINE_PASSWORD=self.credentials.password, TWINE_NON_INTERACTIVE="1")
        request = {"url": self.upload_url, "path": str(dist.path.resolve()), "filename": dist.filename,
                   "size": dist.size, "fields": dist.fields, "timeout": self.policy.timeout}
        with Progress(f"uploading {dist.filename}", dist.size) as progress:
            answer, code, stderr = _run_child(env, request, progress.update)
        if answer is None:
            detail = " | ".join(line.strip() for line in stderr.strip().splitlines()[-3:]) or "no output"
            raise error(TWINE_FAILED, label="upload failed", file=dist.filename, code=code, detail=detail)
        if answer.get("sha256"):
            if dist.sha256 is not None and dist.sha256 != answer["sha256"]:
                raise error(FILE_CHANGED, label="file changed", file=dist.filename,
                            detail=f"it was read with sha256 {dist.sha256}, then sent with {answer['sha256']}")
            dist.sha256 = answer["sha256"]
        if "error" in answer:
            kind, detail = answer["error"], answer["detail"]
            if kind == "changed":
                raise error(FILE_CHANGED, label="file changed", file=dist.filename, detail=detail)
            if kind == "read":
                raise error(FILE_CHANGED, label="file changed", file=dist.filename,
                            detail=f"it could not be read again ({detail})")
            raise network_error(kind, action, self.upload_url, detail, self.policy.timeout)
        status, reason, body = answer["status"], answer["reason"], answer["body"]
        if status == 200:
            return True
        if 300 <= status < 400:
            raise error(REDIRECTED, label="redirect", action=action,
                        location=answer["location"] or "(no Location header)")
        if is_duplicate(status, reason, body):
            return False
        if status == 413:
            raise error(TOO_LARGE, status=413, file=dist.filename, size=human_size(dist.size))
        if status == 403:
            raise self.forbidden(action)
        raise self.http_error(status, reason, body, action, privilege="add")


def _run_child(env: dict[str, str], request: dict[str, object],
               on_progress: Callable[[int], None]) -> tuple[dict | None, int, str]:
    """Run the upload child: ``request`` on its stdin, progress and then its answer on its
    stdout, one JSON object a line. Returns (answer or None, exit code, stderr)."""
    argv = [sys.executable, str(Path(__file__).resolve()), _CHILD]
    process = subprocess.Popen(argv, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    errors: list[str] = []
    drain = threading.Thread(target=lambda: errors.append(process.stderr.read()),  # type: ignore[union-attr]
                             daemon=True)
    drain.start()
    answer = None
    try:
        assert process.stdin is not None and process.stdout is not None
        with contextlib.suppress(BrokenPipeError):
            process.stdin.write(json.dumps(request))
            process.stdin.close()
        for line in process.stdout:
            with contextlib.suppress(json.JSONDecodeError):
                message = json.loads(line)
                if isinstance(message, dict) and set(message) == {"sent"}:
                    on_progress(int(message["sent"]))
                elif isinstance(message, dict):
                    answer = message
        process.wait()
    except BaseException:  # Ctrl-C, SIGTERM turned into an exception: the child stops too
        process.kill()
        process.wait()
        raise
    drain.join(timeout=5)
    return answer, process.returncode, "".join(errors)


# --- The flow --------------------------------------------------------------------------

T = TypeVar("T")


def with_retries(policy: RetryPolicy, attempt: Callable[[], T],
                 on_retry: Callable[[Transient, float, int], None] = lambda *_: None,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> T:
    """Run ``attempt`` until it returns or raises a non-transient error; retry transient
    ones with exponential backoff, at most ``policy.retries`` times and not past
    ``policy.max_time`` seconds."""
    start = clock()
    delay = policy.backoff
    retries = 0
    while True:
        try:
            return attempt()
        except Transient as exc:
            elapsed = clock() - start
            if retries >= policy.retries or elapsed + delay > policy.max_time:
                gave_up = GAVE_UP.format(attempts=retries + 1, seconds=elapsed)
                raise PublishError(gave_up + exc.message, exc.hint, status=exc.status,
                                   label=exc.label) from None
            retries += 1
            on_retry(exc, delay, retries)
            sleep(delay)
            delay *= 2


def publish_file(repository: Repository, dist: Dist, *, dry_run: bool = False,
                 on_retry: Callable[[Transient, float, int], None] = lambda *_: None,
                 sleep: Callable[[float], None] = time.sleep) -> str:
    """Make the repository hold ``dist``; return UPLOADED, PRESENT or WOULD_UPLOAD."""
    sent = False  # once a POST went out, finding the file stored means this run stored it

    def stored() -> tuple[bool, str, str] | None:
        link = repository.lookup(dist)
        return repository.compare(dist, link) if link is not None else None

    def resolve(found: tuple[bool, str, str]) -> str:
        same, stored_sha256, detail = found
        if not same:
            raise error(CONFLICT, label="other content already published", project=dist.project,
                        version=dist.version, file=dist.filename, stored=stored_sha256,
                        local=dist.sha256, detail=detail)
        return UPLOADED if sent else PRESENT

    def attempt() -> str:
        nonlocal sent
        found = stored()
        if found is not None:
            return resolve(found)
        if dry_run:
            return WOULD_UPLOAD
        was_sent, sent = sent, True  # even if it fails, the POST may have reached the repository
        if repository.upload(dist):
            return UPLOADED
        found = stored()
        if found is None:
            raise error(DUPLICATE_UNLISTED, label="duplicate, not listed", file=dist.filename,
                        page=repository.index.project_url(dist.project))
        sent = was_sent  # the server had it before this POST
        return resolve(found)

    return with_retries(repository.policy, attempt, on_retry, sleep=sleep)


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


# --- The child process that uploads: the only one with the credentials -----------------------

_CHILD = "--upload-once"
#: How often the child reports the bytes sent.
PROGRESS_EVERY = 0.5


def _upload_once(request: dict, report: Callable[[int], None]) -> dict[str, object]:
    """One POST of one file, as twine's upload makes it (its form fields, its session and
    user agent, Basic auth from TWINE_USERNAME and TWINE_PASSWORD in this process's
    environment), with one pass over the file (:class:`UploadBody`). twine's retrying
    adapters are replaced: the parent owns retries and timeouts (twine re-sends a POST up
    to 5 times on any 5xx, at once). twine's settings module is not imported: it resolves
    the same two variables, and importing it (keyring and all) doubles the child's start."""
    from twine.utils import make_requests_session

    last = [0.0]

    def progress(sent: int) -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_EVERY or sent == int(request["size"]):
            last[0] = now
            report(sent)

    body = UploadBody(request["fields"], Path(request["path"]), request["filename"],
                      int(request["size"]), progress)
    result: dict[str, object]
    try:
        http = make_requests_session()
        for scheme in ("http://", "https://"):
            http.mount(scheme, NoRetryAdapter(float(request["timeout"])))
        http.auth = (os.environ.get("TWINE_USERNAME", ""), os.environ.get("TWINE_PASSWORD", ""))
        answer = http.post(request["url"], data=body, allow_redirects=False,
                           headers={"Content-Type": body.content_type})
        result = {"status": answer.status_code, "reason": answer.reason or "",
                  "body": answer.text[:4000], "location": answer.headers.get("Location", "")}
    except FileChanged as exc:
        result = {"error": "changed", "detail": str(exc)}
    except requests.exceptions.SSLError as exc:  # requests' errors are OSErrors: these first
        result = {"error": "tls", "detail": exception_detail(exc)}
    except requests.Timeout as exc:
        result = {"error": "timeout", "detail": exception_detail(exc)}
    except requests.RequestException as exc:
        result = {"error": "connection", "detail": exception_detail(exc)}
    except OSError as exc:
        result = {"error": "read", "detail": f"{type(exc).__name__}: {exc}"}
    if body.sha256:
        result["sha256"] = body.sha256
    return result


def _child_main() -> int:
    request = json.loads(sys.stdin.read())

    def report(sent: int) -> None:
        print(json.dumps({"sent": sent}), flush=True)

    print(json.dumps(_upload_once(request, report)), flush=True)
    return 0


# --- Command line ----------------------------------------------------------------------

def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="publish.py", description=__doc__.split("\n\n")[0],
        usage="%(prog)s --repository-url URL --name NAME --version VERSION (--dist DIR | FILE...)\n"
              "       %(prog)s --preflight --repository-url URL",
        epilog="Credentials: NEXUS_USERNAME and NEXUS_PASSWORD in the environment, never "
               "on the command line. Exit codes: 0 published (or already there, identical); "
               "1 publishing or the preflight check failed; 2 unusable input, nothing sent; "
               "128+N stopped by signal N.")
    parser.add_argument("--repository-url", required=True, metavar="URL",
                        help="the hosted repository's upload URL, trailing slash included, e.g. "
                             "https://HOST/repository/pypi-hosted/")
    parser.add_argument("--index-url", metavar="URL",
                        help="its simple index, where files are looked up "
                             "(default: the repository URL + simple/)")
    parser.add_argument("--name", metavar="NAME",
                        help="the distribution to publish, as the build was asked for it "
                             "(never read from the files)")
    parser.add_argument("--version", metavar="VERSION",
                        help="its version, as the build was asked for it")
    parser.add_argument("--dist", metavar="DIR",
                        help="the folder the build wrote: it must hold that release's one wheel, "
                             "at most one sdist, and nothing else")
    parser.add_argument("--preflight", action="store_true",
                        help="only prove the account may upload here (a test upload built to be "
                             "refused: nothing is stored) and that the index answers")
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
    parser.add_argument("files", nargs="*", metavar="FILE",
                        help="the wheel and the sdist to publish (instead of --dist)")
    args = parser.parse_args(argv)
    if args.preflight:
        if args.files or args.dist or args.name or args.version:
            parser.error("--preflight takes no files, --dist, --name or --version")
    else:
        if not args.name or not args.version:
            parser.error("give --name and --version: the release the build was asked for "
                         "(or --preflight)")
        if bool(args.files) == (args.dist is not None):
            parser.error("give the build's folder (--dist DIR) or its files, not both")
    if args.retries < 0 or args.backoff < 0 or args.max_time < 0 or args.timeout <= 0:
        parser.error("--retries, --backoff and --max-time must be >= 0, --timeout > 0")
    return args


def report(results: dict[str, str], dists: list[Dist], failure: PipelineError | None) -> None:
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
        return _child_main()
    password = os.environ.get("NEXUS_PASSWORD", "")
    mask(password)  # first: Actions must hide it before any line could show it
    args = parse_args(argv)
    on_signals()  # Ctrl-C and SIGTERM end the run through the cleanups: the upload child stops too
    results: dict[str, str] = {}
    dists: list[Dist] = []
    try:
        credentials = read_credentials()
        upload_url = check_url(args.repository_url)
        index_url = check_url(args.index_url or upload_url + "simple/", "--index-url")
        policy = RetryPolicy(args.retries, args.backoff, args.max_time, args.timeout)
        repository = Repository(upload_url, index_url, credentials, policy)
        if args.preflight:
            refused = with_retries(policy, repository.preflight, on_retry=_say_retry)
            notice(f"preflight: {credentials.username} may upload to {upload_url}: a test upload "
                   f"built to be refused got {refused}, so nothing was stored; {index_url} answers.")
            return 0
        project, version = check_release(args.name, args.version)
        paths, where = dist_paths(args.dist, args.files)
        dists = read_dists(select_dists(paths, project, version, where), project, version)
        results = {d.filename: NOT_ATTEMPTED for d in dists}
        for dist in dists:
            notice(f"{dist.filename}: {human_size(dist.size)}")
            results[dist.filename] = "failed"
            results[dist.filename] = publish_file(repository, dist, dry_run=args.dry_run,
                                                  on_retry=_say_retry)
            notice(f"  {results[dist.filename]}" + (f" (sha256 {dist.sha256})" if dist.sha256 else ""))
    except (PublishError, Interrupted) as exc:
        label = exc.label if isinstance(exc, PublishError) else "interrupted"
        for name, status in results.items():
            if status == "failed":
                results[name] = f"failed ({label})"
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


def _redacted(exc: PipelineError, password: str) -> PipelineError:
    """Whatever a server echoed, the password is not printed."""
    if password and (password in exc.message or password in exc.hint):
        return PipelineError(exc.message.replace(password, "***"), exc.hint.replace(password, "***"))
    return exc


if __name__ == "__main__":
    sys.exit(main())
