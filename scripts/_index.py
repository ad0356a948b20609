"""One client for a simple repository index (PEP 503) and the files it links: publish and
verify both read the repository through it.

    from _index import Index, IndexClientError

    index = Index("https://nexus.example.com/repository/pypi-hosted/simple/",
                  auth=("ci", password),  # optional; sent to the index's own origin only
                  timeout=60.0)           # per connect and per read; nothing is retried here
    index.check()                         # the index page answers, without a redirect
    files = index.files("tumor-classifier")  # {file name: Link}; {} when the project is unknown (404)
    link = index.find("tumor-classifier", "tumor_classifier-1.2.0-py3-none-any.whl")  # Link | None
    link.url                              # absolute, without its #fragment
    link.hashes                           # from the fragment: {"sha256": "…"} or {"md5": "…"} or {}
    got = index.download(link.url, Path("downloads/tumor_classifier-1.2.0-py3-none-any.whl"))
    got.sha256, got.size                  # hashed as the bytes arrive; dest=None keeps nothing
    got = index.download(link.url, tail=1 << 20)   # got.tail: the file's last bytes (a zip's directory)

The project name is normalised (PEP 503) and the page asked for with its trailing slash, so
no server redirects it. A hosted Nexus answers 404 for an unknown project; a group answers
200 with an empty page: both give ``{}``. Links may point to another host (a CDN): the
credentials go only to the index's own scheme, host and port.

Errors, all :class:`IndexClientError` (a ``PipelineError``: ``message`` says what failed,
``hint`` what to do; usable as they are, or mapped to a stage's own wording):

- :class:`HTTPStatusError` — an answer of 400 or more (``status``, ``reason``, ``body``
  as one short line of text, ``url``); ``files()`` and ``find()`` return empty on 404 instead;
- :class:`Redirected` — ``check()`` was sent elsewhere (``url``, ``location``);
- :class:`NetworkError` — no answer: ``kind`` is ``"connection"``, ``"timeout"`` or
  ``"tls"``; ``detail`` is the gist of the exception ("[Errno 111] Connection refused.").

``download()`` shows progress on stderr for long transfers (see ``_progress``), writes
``dest`` only from a complete download (a partial file is removed), and holds at most one
chunk plus ``tail`` bytes in memory, whatever the file's size.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import html
import html.parser
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import requests
from packaging.utils import canonicalize_name
from requests.adapters import HTTPAdapter

from _progress import Progress
from _wheelwright import CHUNK, PipelineError

DEFAULT_TIMEOUT = 60.0
USER_AGENT = f"wheelwright requests/{requests.__version__}"


# --- Errors ------------------------------------------------------------------------------

class IndexClientError(PipelineError):
    """Reading the index or one of its files failed."""

    url: str = ""


class HTTPStatusError(IndexClientError):
    def __init__(self, url: str, status: int, reason: str = "", body: str = "") -> None:
        status_line = f"{status} {reason}".strip()
        detail = f": {body}" if body else ""
        super().__init__(f"{url} answered {status_line}{detail}.",
                         "Check the index URL (the repository's .../simple/ page) and that the "
                         "account may read it.")
        self.url, self.status, self.reason, self.body = url, status, reason, body


class Redirected(IndexClientError):
    def __init__(self, url: str, location: str) -> None:
        super().__init__(f"{url} redirects to {location}.",
                         "Use the address it redirects to; a missing trailing slash or http:// "
                         "instead of https:// are the usual causes.")
        self.url, self.location = url, location


class NetworkError(IndexClientError):
    def __init__(self, url: str, kind: str, detail: str) -> None:
        what = {"timeout": "got no answer in time", "tls": "failed to set up TLS"}.get(kind, "could not connect")
        super().__init__(f"Reading {url} {what}: {detail}",
                         "Check the URL, and that the repository is up and reachable from here.")
        self.url, self.kind, self.detail = url, kind, detail


def network_error(url: str, exc: requests.RequestException) -> NetworkError:
    kind = ("tls" if isinstance(exc, requests.exceptions.SSLError)
            else "timeout" if isinstance(exc, requests.Timeout) else "connection")
    return NetworkError(url, kind, exception_detail(exc))


def exception_detail(exc: BaseException | str) -> str:
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


def page_text(body: str, limit: int = 200) -> str:
    """A server's error page as one short line of text."""
    body = re.sub(r"(?is)<(head|style|script)\b.*?</\1>", " ", body)
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())
    return text[:limit] + ("…" if len(text) > limit else "")


# --- HTTP plumbing -------------------------------------------------------------------------

class NoRetryAdapter(HTTPAdapter):
    """Every request gets a timeout and no hidden retry: callers own retrying."""

    def __init__(self, timeout: float) -> None:
        super().__init__(max_retries=0)
        self.timeout = timeout

    def send(self, request, **kwargs):  # type: ignore[no-untyped-def]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().send(request, **kwargs)


def origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or ""), parts.port or {"http": 80, "https": 443}.get(parts.scheme)


class SameOriginAuth(requests.auth.HTTPBasicAuth):
    """Basic auth for one origin only: an index may link files on another host."""

    def __init__(self, username: str, password: str, origin_url: str) -> None:
        super().__init__(username, password)
        self.origin = origin(origin_url)

    def __repr__(self) -> str:
        return f"SameOriginAuth(username={self.username!r}, password=<hidden>)"

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return super().__call__(request) if origin(request.url or "") == self.origin else request


def session(timeout: float, user_agent: str = USER_AGENT) -> requests.Session:
    """A requests session with a timeout on every request and no retries."""
    http = requests.Session()
    for scheme in ("http://", "https://"):
        http.mount(scheme, NoRetryAdapter(timeout))
    http.headers["User-Agent"] = user_agent
    return http


# --- The index -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Link:
    filename: str
    url: str
    hashes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Fetched:
    sha256: str
    size: int
    tail: bytes = b""


class _Anchors(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href") if tag == "a" else None
        if href:
            self.hrefs.append(href)


def parse_links(page: str, page_url: str) -> dict[str, Link]:
    """The files a simple index page links to, by file name."""
    anchors = _Anchors()
    anchors.feed(page)
    links: dict[str, Link] = {}
    for href in anchors.hrefs:
        url, _, fragment = urljoin(page_url, href).partition("#")
        name = unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])
        algorithm, _, value = fragment.partition("=")
        hashes = {algorithm.lower(): value.lower()} if algorithm and value else {}
        if name:
            links[name] = Link(name, url, hashes)
    return links


class Index:
    """A simple index at ``index_url`` (trailing slash included), read with ``auth`` if given."""

    def __init__(self, index_url: str, *, auth: tuple[str, str] | None = None,
                 timeout: float = DEFAULT_TIMEOUT, user_agent: str = USER_AGENT) -> None:
        self.url = index_url if index_url.endswith("/") else index_url + "/"
        self.timeout = timeout
        self.http = session(timeout, user_agent)
        if auth:
            self.http.auth = SameOriginAuth(auth[0], auth[1], self.url)

    def project_url(self, project: str) -> str:
        return urljoin(self.url, f"{canonicalize_name(project)}/")

    def _get(self, url: str, *, stream: bool = False) -> requests.Response:
        try:
            answer = self.http.get(url, stream=stream, headers={"Accept": "text/html"})
        except requests.RequestException as exc:
            raise network_error(url, exc) from None
        if answer.status_code >= 400:
            body = "" if stream else page_text(answer.text)
            answer.close()
            raise HTTPStatusError(url, answer.status_code, answer.reason or "", body)
        return answer

    def check(self) -> None:
        """The index page answers to this account, where it is."""
        answer = self._get(self.url)
        if answer.history:
            raise Redirected(self.url, answer.url)

    def files(self, project: str) -> dict[str, Link]:
        page = self.project_url(project)
        try:
            answer = self._get(page)
        except HTTPStatusError as exc:
            if exc.status == 404:
                return {}
            raise
        return parse_links(answer.text, answer.url)

    def find(self, project: str, filename: str) -> Link | None:
        return self.files(project).get(filename)

    def download(self, url: str, dest: Path | None = None, *, tail: int = 0,
                 label: str | None = None) -> Fetched:
        """Stream ``url``, hashing it as it arrives; write it to ``dest`` when given; keep
        its last ``tail`` bytes."""
        name = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
        digest = hashlib.sha256()
        size = 0
        kept: collections.deque[bytes] = collections.deque()  # whole chunks: no copying per chunk
        kept_size = 0
        out = None
        try:
            with self._get(url, stream=True) as answer:
                total = int(answer.headers.get("Content-Length") or 0) or None
                if dest is not None:
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    out = open(dest, "wb")
                with Progress(label or f"downloading {name}", total) as progress:
                    try:
                        for chunk in answer.iter_content(CHUNK):
                            digest.update(chunk)
                            size += len(chunk)
                            if out is not None:
                                out.write(chunk)
                            if tail:
                                kept.append(chunk)
                                kept_size += len(chunk)
                                while kept_size - len(kept[0]) >= tail:
                                    kept_size -= len(kept.popleft())
                            progress.update(size)
                    except requests.RequestException as exc:
                        raise network_error(url, exc) from None
        except BaseException:
            if out is not None:
                out.close()
                with contextlib.suppress(OSError):
                    os.unlink(dest)  # type: ignore[arg-type]
            raise
        if out is not None:
            out.close()
        return Fetched(digest.hexdigest(), size, b"".join(kept)[-tail:] if tail else b"")
