"""_index: the one client publish and verify read a simple index and its files with.

Against the embedded registry (pypiserver, Nexus's layout) for the real answers, and a
small scripted server on loopback for what pypiserver never does: links to another host,
redirects, a hang, a body cut short.
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import shutil
import threading
from pathlib import Path
from typing import Iterator

import pytest

from _index import HTTPStatusError, Index, NetworkError, Redirected, parse_links
from _wheelwright import PipelineError


# --- Parsing a project page --------------------------------------------------------------------

def test_links_by_file_name_with_the_fragment_hashes():
    page = """<html><body>
      <a href="../../packages/tiny_model-1.0.0-py3-none-any.whl#sha256=ABC123">tiny_model-1.0.0-py3-none-any.whl</a>
      <a href="../../packages/tiny_model-1.0.0.tar.gz#md5=d41d8cd9">tiny_model-1.0.0.tar.gz</a>
      <a href="https://cdn.example.com/files/tiny%2Bmodel-0.9.tar.gz">elsewhere</a>
      <a name="no-href">nothing</a>
    </body></html>"""
    links = parse_links(page, "https://nexus.example.com/repository/pypi-hosted/simple/tiny-model/")
    assert set(links) == {"tiny_model-1.0.0-py3-none-any.whl", "tiny_model-1.0.0.tar.gz", "tiny+model-0.9.tar.gz"}
    wheel = links["tiny_model-1.0.0-py3-none-any.whl"]
    assert wheel.url == "https://nexus.example.com/repository/pypi-hosted/packages/tiny_model-1.0.0-py3-none-any.whl"
    assert wheel.hashes == {"sha256": "abc123"}
    assert links["tiny_model-1.0.0.tar.gz"].hashes == {"md5": "d41d8cd9"}
    assert links["tiny+model-0.9.tar.gz"].url == "https://cdn.example.com/files/tiny%2Bmodel-0.9.tar.gz"
    assert links["tiny+model-0.9.tar.gz"].hashes == {}


def test_a_project_name_is_normalised_and_asked_for_with_its_slash():
    assert Index("http://127.0.0.1:1/simple").project_url("Tiny_Model") == "http://127.0.0.1:1/simple/tiny-model/"


# --- Against the embedded registry -------------------------------------------------------------

@pytest.fixture
def stored(registry, tmp_path) -> Path:
    """A file in the registry, put there as an upload would have."""
    wheel = tmp_path / "tiny_model-1.0.0-py3-none-any.whl"
    wheel.write_bytes(b"PK" + bytes(range(256)) * 5000)
    shutil.copy(wheel, registry.packages)
    return wheel


def test_files_lists_the_stored_file_with_its_sha256(registry, stored):
    index = Index(registry.index_url)
    files = index.files("tiny-model")
    assert list(files) == [stored.name]
    assert files[stored.name].hashes == {"sha256": hashlib.sha256(stored.read_bytes()).hexdigest()}
    assert index.find("tiny-model", stored.name) == files[stored.name]
    assert index.find("tiny-model", "tiny_model-2.0.0-py3-none-any.whl") is None


def test_an_unknown_project_has_no_files(registry):
    assert Index(registry.index_url).files("nobody-has-this") == {}


def test_download_hashes_as_it_arrives_writes_dest_and_keeps_a_tail(registry, stored, tmp_path):
    index = Index(registry.index_url)
    link = index.find("tiny-model", stored.name)
    dest = tmp_path / "downloads" / stored.name
    got = index.download(link.url, dest, tail=100)
    data = stored.read_bytes()
    assert (got.sha256, got.size, got.tail) == (hashlib.sha256(data).hexdigest(), len(data), data[-100:])
    assert dest.read_bytes() == data
    assert index.download(link.url).tail == b""  # no tail unless asked, nothing written


def test_a_missing_file_is_an_http_error_with_its_status(registry):
    index = Index(registry.index_url)
    with pytest.raises(HTTPStatusError) as caught:
        index.download(registry.upload_url + "packages/gone-1.0-py3-none-any.whl")
    assert caught.value.status == 404
    assert isinstance(caught.value, PipelineError) and "answered 404" in caught.value.message


def test_check_passes_for_the_index(registry):
    Index(registry.index_url).check()


# --- What pypiserver never does: a scripted server ---------------------------------------------

class Scripted(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.seen: list[tuple[str, str]] = []  # (path, Authorization header)
        self.stop = threading.Event()
        super().__init__(("127.0.0.1", 0), _ScriptedHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def handle_error(self, request: object, client_address: object) -> None:
        pass


class _ScriptedHandler(http.server.BaseHTTPRequestHandler):
    server: Scripted
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.server.seen.append((self.path, self.headers.get("Authorization", "")))
        status, headers, body = self.server.routes.get(self.path, (404, {}, b"not here"))
        if status == 0:  # hang
            self.server.stop.wait(10)
            return
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if "Content-Length" not in headers:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        if "Content-Length" in headers:  # a body cut short: the connection closes early
            self.close_connection = True


@pytest.fixture
def scripted() -> Iterator[Scripted]:
    servers: list[Scripted] = []

    def start() -> Scripted:
        server = Scripted()
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop.set()
        server.shutdown()
        server.server_close()


def test_credentials_go_to_the_index_origin_only(scripted):
    index_server, cdn = scripted(), scripted()
    index_server.routes["/simple/tiny-model/"] = (200, {}, f'<a href="{cdn.url}/f/tiny_model-1.0.0.tar.gz">x</a>'
                                                  f'<a href="/files/tiny_model-1.0.0-py3-none-any.whl">y</a>'.encode())
    cdn.routes["/f/tiny_model-1.0.0.tar.gz"] = (200, {}, b"sdist bytes")
    index_server.routes["/files/tiny_model-1.0.0-py3-none-any.whl"] = (200, {}, b"wheel bytes")
    index = Index(index_server.url + "/simple/", auth=("ci", "s3cret"))
    files = index.files("tiny-model")
    index.download(files["tiny_model-1.0.0.tar.gz"].url)
    index.download(files["tiny_model-1.0.0-py3-none-any.whl"].url)
    basic = "Basic " + base64.b64encode(b"ci:s3cret").decode()
    assert index_server.seen == [("/simple/tiny-model/", basic), ("/files/tiny_model-1.0.0-py3-none-any.whl", basic)]
    assert cdn.seen == [("/f/tiny_model-1.0.0.tar.gz", "")]
    assert "s3cret" not in repr(index.http.auth)


def test_a_group_page_without_the_file_lists_nothing(scripted):
    server = scripted()
    server.routes["/simple/tiny-model/"] = (200, {}, b"<html><body></body></html>")
    assert Index(server.url + "/simple/").files("tiny-model") == {}


def test_an_error_answer_keeps_status_reason_and_text(scripted):
    server = scripted()
    server.routes["/simple/tiny-model/"] = (403, {}, b"<html><h1>Forbidden</h1><p>no read here</p></html>")
    with pytest.raises(HTTPStatusError) as caught:
        Index(server.url + "/simple/").files("tiny-model")
    assert (caught.value.status, caught.value.reason, caught.value.body) == (403, "Forbidden", "Forbidden no read here")


def test_check_reports_a_redirect(scripted):
    server = scripted()
    server.routes["/simple/"] = (301, {"Location": "/other/simple/"}, b"")
    server.routes["/other/simple/"] = (200, {}, b"index")
    with pytest.raises(Redirected) as caught:
        Index(server.url + "/simple/").check()
    assert caught.value.location == server.url + "/other/simple/"


def test_nothing_listening_is_a_connection_error(scripted):
    from registry import free_port

    with pytest.raises(NetworkError) as caught:
        Index(f"http://127.0.0.1:{free_port()}/simple/").files("tiny-model")
    assert caught.value.kind == "connection" and "Connection refused" in caught.value.detail


def test_a_silent_server_is_a_timeout(scripted):
    server = scripted()
    server.routes["/simple/tiny-model/"] = (0, {}, b"")
    with pytest.raises(NetworkError) as caught:
        Index(server.url + "/simple/", timeout=0.5).files("tiny-model")
    assert caught.value.kind == "timeout"


def test_a_download_cut_short_leaves_no_file(scripted, tmp_path):
    server = scripted()
    server.routes["/f/x.whl"] = (200, {"Content-Length": "1000"}, b"only a part")
    dest = tmp_path / "x.whl"
    with pytest.raises(NetworkError):
        Index(server.url + "/simple/").download(server.url + "/f/x.whl", dest)
    assert not dest.exists()
