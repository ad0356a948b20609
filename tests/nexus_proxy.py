"""A fault-injecting HTTP proxy that answers the way Nexus does, in front of a real registry.

pypiserver and devpi are real PyPI servers, but neither answers like Nexus: Nexus says
400 to any re-upload (in two wordings), 401 with its realm to a wrong password, 403
without a word, 404 to a POST on a group, and sits behind proxies that answer 413, 502,
504 or nothing at all. Tests script this proxy per request:

    proxy.answer("POST", 503)                      # every upload
    proxy.answer("POST", 502, times=2)             # the first two, then forward
    proxy.forward_then("POST", 504)                # store the file, then say 504
    proxy.hang("POST", seconds=5)                  # read the body, never answer
    proxy.answer("GET", 404, path="/simple/", times=1)

Rules are tried in the order given; one whose ``times`` is used up no longer matches;
a request no rule matches is forwarded. ``nexus_auth`` makes it check credentials as
Nexus does (anonymous reads allowed, wrong credentials 401 on anything; with
``can_add=False`` the account is known but lacks the "add" privilege: 403 to a POST).

Under ``/repository/`` it routes as Nexus does (docs/nexus.md, with the sources), in
Nexus's order: credentials (the security filter), then the repository (404 "Repository
not found" for a name it does not know; ``group(name)`` adds a group: reads go to the
hosted repository, a POST is 404), then the privilege (403), then the upload handler,
which reads the whole form and answers before anything is stored: no ``content`` file,
another ``:action``, or no name or version is a 500 (an uncaught IllegalStateException or
NullPointerException); an ``md5_digest`` that is not the file's md5 is 400 "Digests do not
match, found: <md5>, expected: <md5_digest>". Anything else is forwarded to the registry.

Each request is recorded (method, path, uploaded file name, status answered) for tests
to count; the log file holds the same, never a header's value.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import http.server
import re
import ssl
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

NEXUS_REALM = 'BASIC realm="Sonatype Nexus Repository Manager"'
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
              "trailers", "transfer-encoding", "upgrade", "host", "content-length"}


def nginx_page(status: int, phrase: str) -> str:
    return (f"<html>\r\n<head><title>{status} {phrase}</title></head>\r\n<body>\r\n"
            f"<center><h1>{status} {phrase}</h1></center>\r\n<hr><center>nginx</center>\r\n"
            "</body>\r\n</html>\r\n")


def nexus_page(status: int, message: str) -> str:
    return (f"<!DOCTYPE html>\n<html lang=\"en\">\n<head><title>{status} - Nexus Repository "
            f"Manager</title></head>\n<body><div class=\"content-section\"><h1>Error {status}"
            f"</h1><p>{message}</p></div></body>\n</html>\n")


@dataclass
class Seen:
    method: str
    path: str
    file: str = ""
    status: int | None = None  # None: no answer was sent (a hang, or a dropped connection)


@dataclass
class Rule:
    method: str
    kind: str  # "answer", "forward_then", "hang"
    status: int = 0
    reason: str = ""
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    path: str = ""
    times: int | None = None

    def matches(self, method: str, path: str) -> bool:
        return self.method == method and self.path in path and self.times != 0


class NexusProxy:
    """Forward to ``upstream`` (``http://127.0.0.1:PORT``), except where scripted otherwise."""

    def __init__(self, upstream: str, log: Path, tls: ssl.SSLContext | None = None,
                 hosted: str = "pypi-hosted") -> None:
        self.upstream = urlsplit(upstream)
        self.hosted = hosted
        self.groups: set[str] = set()
        self.can_add = True
        self.log_path = log
        self.tls = tls
        self.rules: list[Rule] = []
        self.seen: list[Seen] = []
        self.credentials: tuple[str, str] | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- scripting --

    def answer(self, method: str, status: int, body: str = "", *, reason: str = "",
               headers: dict[str, str] | None = None, path: str = "", times: int | None = None) -> None:
        self.rules.append(Rule(method, "answer", status, reason, body, headers or {}, path=path, times=times))

    def forward_then(self, method: str, status: int, body: str = "", *, path: str = "",
                     times: int | None = 1) -> None:
        self.rules.append(Rule(method, "forward_then", status, body=body, path=path, times=times))

    def hang(self, method: str, seconds: float, *, forward_first: bool = False, path: str = "",
             times: int | None = None) -> None:
        kind = "forward_then_hang" if forward_first else "hang"
        self.rules.append(Rule(method, kind, seconds=seconds, path=path, times=times))

    def nexus_auth(self, username: str, password: str, *, can_add: bool = True) -> None:
        self.credentials = (username, password)
        self.can_add = can_add

    def group(self, name: str) -> None:
        """A group repository: it serves the hosted repository's reads, and no upload."""
        self.groups.add(name)

    def count(self, method: str, path: str = "") -> int:
        return sum(1 for s in self.seen if s.method == method and path in s.path)

    def uploads(self) -> list[str]:
        """The files POSTed, but publish's preflight test uploads (and their probes)."""
        return [s.file for s in self.seen if s.method == "POST" and not s.file.startswith("wheelwright preflight")]

    # -- lifecycle --

    @property
    def base_url(self) -> str:
        assert self._server is not None
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> "NexusProxy":
        proxy = self

        class Handler(_Handler):
            owner = proxy

        server = _Server(("127.0.0.1", 0), Handler)
        if self.tls:
            server.socket = self.tls.wrap_socket(server.socket, server_side=True)
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="nexus-proxy", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # -- used by the handler --

    def pick(self, method: str, path: str) -> Rule | None:
        with self._lock:
            for rule in self.rules:
                if rule.matches(method, path):
                    if rule.times is not None:
                        rule.times -= 1
                    return rule
        return None

    def arrived(self, seen: Seen) -> None:
        with self._lock:
            self.seen.append(seen)

    def record(self, seen: Seen, user_agent: str) -> None:
        with self._lock:
            with open(self.log_path, "a", encoding="utf-8") as log:
                log.write(f"{seen.method} {seen.path} file={seen.file or '-'} -> "
                          f"{seen.status if seen.status is not None else 'no answer'} "
                          f"ua={user_agent!r}\n")


def parse_form(body: bytes, content_type: str) -> tuple[dict[str, str], dict[str, tuple[str, bytes]]]:
    """A multipart/form-data body's fields, and its files as (file name, bytes)."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    fields: dict[str, str] = {}
    files: dict[str, tuple[str, bytes]] = {}
    if not match:
        return fields, files
    for part in body.split(b"--" + match.group(1).encode())[1:]:
        if part.startswith(b"--"):
            break
        head, _, data = part.partition(b"\r\n\r\n")
        data = data[:-2] if data.endswith(b"\r\n") else data
        names = re.search(rb'name="([^"]*)"(?:; filename="([^"]*)")?', head)
        if not names:
            continue
        if names.group(2) is not None:
            files[names.group(1).decode()] = (names.group(2).decode(), data)
        else:
            fields[names.group(1).decode()] = data.decode("utf-8", "replace")
    return fields, files


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that gave up (a timeout) or failed TLS: expected in these tests


class _Handler(http.server.BaseHTTPRequestHandler):
    owner: NexusProxy
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass  # the owner keeps its own log, without headers

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_HEAD = do_DELETE = do_GET

    def _handle(self) -> None:
        proxy = self.owner
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = self.path
        match = re.search(rb'name="content"; filename="([^"]+)"', body[:100_000])
        seen = Seen(self.command, path, match.group(1).decode() if match else "")
        proxy.arrived(seen)  # counted now: a hung request is still an attempt
        try:
            self._respond(proxy, seen, body)
        finally:
            proxy.record(seen, self.headers.get("User-Agent", ""))

    def _respond(self, proxy: NexusProxy, seen: Seen, body: bytes) -> None:
        if proxy.credentials and not self._authorised(proxy.credentials):
            seen.status = 401
            self._send(401, b"", {"WWW-Authenticate": NEXUS_REALM}, reason="Unauthorized")
            return
        rule = proxy.pick(self.command, self.path)
        if rule is None:
            seen.status = self._as_nexus(proxy, body)
        elif rule.kind == "answer":
            seen.status = rule.status
            self._send(rule.status, rule.body.encode(), rule.headers, reason=rule.reason)
        elif rule.kind == "forward_then":
            self._forward(body, relay=False)
            seen.status = rule.status
            self._send(rule.status, rule.body.encode(), {"Content-Type": "text/html"})
        else:  # hang, or forward_then_hang: read everything, answer nothing
            if rule.kind == "forward_then_hang":
                self._forward(body, relay=False)
            proxy._stopping.wait(rule.seconds)
            self.close_connection = True

    def _as_nexus(self, proxy: NexusProxy, body: bytes) -> int:
        """Route and check as Nexus does under /repository/; forward what it would store."""
        parts = self.path.split("/")
        if len(parts) < 3 or parts[1] != "repository":
            return self._forward(body)
        name = parts[2]
        if name in proxy.groups:
            if self.command not in ("GET", "HEAD"):
                return self._send_page(404, "Not Found", "")  # no route: HttpHandlers.notFound()
            self.path = "/".join(["", "repository", proxy.hosted, *parts[3:]])
            return self._forward(body)
        if name != proxy.hosted:
            return self._send_page(404, "Repository not found", "Repository not found")
        if self.command != "POST":
            return self._forward(body)
        if proxy.credentials and not proxy.can_add:
            return self._send_page(403, "Forbidden", "")
        fields, files = parse_form(body, self.headers.get("Content-Type", ""))
        if "content" not in files or fields.get(":action") != "file_upload":
            return self._send_page(500, "Server Error", "")  # IllegalStateException, uncaught
        if "name" not in fields or "version" not in fields:
            return self._send_page(500, "Server Error", "")  # NullPointerException, uncaught
        expected = fields.get("md5_digest")
        found = hashlib.md5(files["content"][1]).hexdigest()
        if expected is not None and expected.lower() != found:
            reason = f"Digests do not match, found: {found}, expected: {expected}"
            return self._send_page(400, reason, reason)  # IllegalOperationException
        return self._forward(body)

    def _send_page(self, status: int, reason: str, message: str) -> int:
        self._send(status, nexus_page(status, message).encode(), {"Content-Type": "text/html"},
                   reason=reason)
        return status

    def _authorised(self, credentials: tuple[str, str]) -> bool:
        given = self.headers.get("Authorization", "")
        if not given:
            return self.command in ("GET", "HEAD")  # anonymous reads allowed, writes not
        expected = "Basic " + base64.b64encode(":".join(credentials).encode()).decode()
        return given == expected

    def _forward(self, body: bytes, *, relay: bool = True) -> int:
        upstream = self.owner.upstream
        connection = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        headers["Host"] = upstream.netloc
        try:
            connection.request(self.command, self.path, body=body or None, headers=headers)
            answer = connection.getresponse()
            data = answer.read()
        finally:
            connection.close()
        if relay:
            out = {k: v for k, v in answer.getheaders() if k.lower() not in HOP_BY_HOP}
            if "Location" in out:
                out["Location"] = out["Location"].replace(
                    f"{upstream.scheme}://{upstream.netloc}", self.owner.base_url)
            self._send(answer.status, data, out, reason=answer.reason)
        return answer.status

    def _send(self, status: int, data: bytes, headers: dict[str, str], *, reason: str = "") -> None:
        self.send_response(status, reason or None)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
