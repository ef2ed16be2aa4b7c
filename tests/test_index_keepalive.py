"""Kept-alive connections of the index opener (``migrate.lock.index._opener``), on real local sockets.

A local HTTP/1.1 server (and an HTTPS one under a self-signed certificate) counts the connections it
accepts; the opener must reuse them, stay correct from 8 threads at once, survive a server that closes
idle connections, and otherwise behave as urllib's opener did: 404 raises ``HTTPError``, a 301 is
followed, a proxy from the environment is used.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import migrate.lock.index as index
from migrate.lock.index import IndexClient, IndexUnavailable, _build_opener, _opener


class Server:
    """``/simple/<name>/``: a PEP 691 page naming ``<name>-1.0-py3-none-any.whl``; ``/old/<name>/``: a
    301 to the simple page; anything else: 404. Counts accepted connections and requests."""

    def __init__(self, *, tls: ssl.SSLContext | None = None, idle: float | None = None,
                 close_after_answer: bool = False, http10: bool = False, delay: float = 0.0) -> None:
        outer = self
        self.connections = 0
        self.closed = 0  # connections the server has closed
        self.requests: list[str] = []
        self.lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0" if http10 else "HTTP/1.1"
            timeout = idle  # an idle connection is closed after this long (the keep-alive timeout)

            def setup(self) -> None:
                with outer.lock:
                    outer.connections += 1
                super().setup()

            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                with outer.lock:
                    outer.requests.append(self.path)
                if delay:
                    time.sleep(delay)
                if self.path.startswith("/old/"):
                    self.send_response(301)
                    self.send_header("Location", "/simple/" + self.path.split("/")[2].lower().replace("_", "-") + "/")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                parts = self.path.split("/")
                if len(parts) != 4 or parts[1] != "simple" or parts[2] == "missing":
                    body = b"not here"
                    self.send_response(404)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                name = parts[2]
                body = json.dumps({"meta": {"api-version": "1.1"}, "name": name, "files": [
                    {"filename": f"{name}-1.0-py3-none-any.whl", "url": "x", "hashes": {}}]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/vnd.pypi.simple.v1+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                if close_after_answer:  # a keep-alive answer, then the server drops the connection
                    self.wfile.flush()
                    self.close_connection = True

        class HTTPServer(ThreadingHTTPServer):
            def shutdown_request(self, request) -> None:
                super().shutdown_request(request)
                with outer.lock:
                    outer.closed += 1

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        scheme, host = ("https", "localhost") if tls else ("http", "127.0.0.1")
        self.base = f"{scheme}://{host}:{self.server.server_address[1]}"

    def wait_closed(self, n: int) -> None:
        """Until the server has closed ``n`` connections (10 s at most)."""
        deadline = time.monotonic() + 10
        while self.closed < n and time.monotonic() < deadline:
            time.sleep(0.01)
        assert self.closed >= n

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def serve():
    servers = []

    def make(**kwargs) -> Server:
        servers.append(Server(**kwargs))
        return servers[-1]

    yield make
    for s in servers:
        s.close()


@pytest.fixture
def opener(monkeypatch):
    """A fresh opener with no proxy in the environment (its own pool, closed at the end)."""
    for k in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy", "http_proxy", "all_proxy"):
        monkeypatch.delenv(k, raising=False)
    made = []

    def make(context=None):
        made.append(_build_opener(context))
        return made[-1]

    yield make
    for o in made:
        o.pool.clear()


def get(op, url: str, timeout: float = 10) -> tuple[int, str, dict]:
    req = urllib.request.Request(url, headers={"Accept": index._ACCEPT})
    with op.open(req, timeout=timeout) as resp:
        return resp.status, resp.headers.get("Content-Type", ""), json.loads(resp.read())


def test_requests_from_one_thread_share_one_connection(serve, opener, monkeypatch):
    lookups = []
    real = index.resolve
    monkeypatch.setattr(index, "resolve", lambda host, port: lookups.append((host, port)) or real(host, port))
    srv, op = serve(), opener()
    for i in range(10):
        status, ctype, page = get(op, f"{srv.base}/simple/pkg{i}/")
        assert status == 200 and "json" in ctype and page["name"] == f"pkg{i}"
    assert srv.connections == 1 and len(srv.requests) == 10
    assert (op.pool.opened, op.pool.reused) == (1, 9)
    assert lookups == [("127.0.0.1", srv.server.server_address[1])]  # a new connection's address: resolve()


def test_eight_threads_open_at_most_eight_connections_and_get_their_own_answers(serve, opener):
    srv, op = serve(delay=0.01), opener()
    with ThreadPoolExecutor(8) as pool:
        pages = list(pool.map(lambda i: get(op, f"{srv.base}/simple/pkg{i}/")[2]["name"], range(80)))
    assert pages == [f"pkg{i}" for i in range(80)]
    assert 1 <= srv.connections <= 8 and len(srv.requests) == 80


def test_index_client_prefetch_reuses_connections(serve, monkeypatch):
    """The process-wide opener, as the lock stage uses it: 20 pages from 8 threads."""
    for k in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy", "http_proxy", "all_proxy"):
        monkeypatch.delenv(k, raising=False)
    index._the_opener.cache_clear()
    monkeypatch.setenv("MIGRATE_INDEX_CACHE_TTL", "0")  # no answer from an earlier run
    srv = serve(delay=0.02)
    names = [f"p{i}" for i in range(20)]
    try:
        client = IndexClient(index_urls=[f"{srv.base}/simple"])
        client.prefetch([(n, None) for n in names])
        assert all(client.files(n) == [(f"{n}-1.0-py3-none-any.whl", index.version_of(f"{n}-1.0-py3-none-any.whl"))]
                   for n in names)
        assert sorted(srv.requests) == sorted(f"/simple/{n}/" for n in names)
        assert 1 <= srv.connections <= 8
        assert client.files("missing") == []  # a 404 is still "not on this index"
    finally:
        index.PAGES.clear()
        _opener().pool.clear()
        index._the_opener.cache_clear()


def test_https_connections_are_reused(serve, opener, tmp_path):
    from urlproxy import self_signed

    cert, key = self_signed(tmp_path / "tls", ["localhost"])
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(cert, key)
    srv = serve(tls=server_tls)
    op = opener(ssl.create_default_context(cafile=str(cert)))
    for i in range(6):
        assert get(op, f"{srv.base}/simple/tls{i}/")[2]["name"] == f"tls{i}"
    assert srv.connections == 1
    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(lambda i: get(op, f"{srv.base}/simple/t{i}/")[2]["name"], range(24))) == [
            f"t{i}" for i in range(24)]
    assert srv.connections <= 8
    # the system's certificates do not trust this one: a TLS failure, as before (URLError)
    with pytest.raises(urllib.error.URLError):
        get(opener(), f"{srv.base}/simple/x/")


def test_a_server_that_closes_idle_connections(serve, opener):
    srv, op = serve(idle=0.3), opener()
    assert get(op, f"{srv.base}/simple/a/")[2]["name"] == "a"
    srv.wait_closed(1)  # after 0.3 s idle
    assert get(op, f"{srv.base}/simple/b/")[2]["name"] == "b"
    assert get(op, f"{srv.base}/simple/c/")[2]["name"] == "c"
    assert srv.connections == 2 and srv.requests == ["/simple/a/", "/simple/b/", "/simple/c/"]


@pytest.mark.parametrize("check", [True, False], ids=["noticed-before", "found-on-use"])
def test_a_connection_closed_by_the_server_is_replaced_once_silently(serve, opener, monkeypatch, check):
    """The server answers with keep-alive and then drops the connection. Noticed while idle (end of file
    on the socket), or — the race of a close arriving just as the request is sent — only when the
    request fails on the reused connection: either way the request is answered on a new connection."""
    if not check:
        monkeypatch.setattr(index, "_still_open", lambda conn: True)
    srv, op = serve(close_after_answer=True), opener()
    for i, name in enumerate(("a", "b", "c")):
        assert get(op, f"{srv.base}/simple/{name}/")[2]["name"] == name
        srv.wait_closed(i + 1)
    assert srv.requests == ["/simple/a/", "/simple/b/", "/simple/c/"]
    assert srv.connections == 3
    # found on use: the closed connection was tried (and failed) before each new one
    assert (op.pool.opened, op.pool.reused) == ((3, 0) if check else (3, 2))


def test_a_fresh_connection_that_fails_is_not_retried(opener):
    """A server that accepts and closes without answering: one attempt, http.client's error, as before."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted = []

    def run():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            accepted.append(conn)
            conn.recv(65536)
            conn.close()

    threading.Thread(target=run, daemon=True).start()
    try:
        with pytest.raises(ConnectionError):  # RemoteDisconnected, as urllib's opener raised
            get(opener(), f"http://127.0.0.1:{listener.getsockname()[1]}/simple/x/")
        assert len(accepted) == 1
    finally:
        listener.close()


def test_404_raises_http_error_and_the_connection_stays_usable(serve, opener):
    srv, op = serve(), opener()
    with pytest.raises(urllib.error.HTTPError) as info:
        get(op, f"{srv.base}/simple/missing/")
    assert info.value.code == 404 and info.value.read() == b"not here"
    assert get(op, f"{srv.base}/simple/after/")[2]["name"] == "after"
    assert srv.connections == 1


def test_a_301_is_followed(serve, opener):
    srv, op = serve(), opener()
    req = urllib.request.Request(f"{srv.base}/old/Some_Name/", headers={"Accept": index._ACCEPT})
    with op.open(req, timeout=10) as resp:
        assert resp.status == 200 and resp.url == f"{srv.base}/simple/some-name/"
        assert json.loads(resp.read())["name"] == "some-name"
    assert srv.requests == ["/old/Some_Name/", "/simple/some-name/"] and srv.connections == 1


def test_a_server_without_keep_alive_still_answers(serve, opener):
    srv, op = serve(http10=True), opener()
    for i in range(3):
        assert get(op, f"{srv.base}/simple/old{i}/")[2]["name"] == f"old{i}"
    assert srv.connections == 3 and op.pool.reused == 0


def test_refused_connection_is_unreachable_as_before(opener):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    with pytest.raises(urllib.error.URLError) as info:
        get(opener(), f"{dead}/simple/x/")
    assert isinstance(info.value.reason, ConnectionRefusedError)
    with pytest.raises(IndexUnavailable, match="cannot reach the index") as caught:
        IndexClient(index_urls=[f"{dead}/simple"], timeout=5)._get(f"{dead}/simple", "x")
    assert caught.value.unreachable


def test_a_proxy_in_the_environment_is_used(serve, opener, monkeypatch, tmp_path):
    """Plain HTTP through ``HTTP_PROXY`` (the proxy gets the absolute URL) and HTTPS through
    ``HTTPS_PROXY`` (a CONNECT tunnel, tests/urlproxy.py): urllib's own path, as before."""
    from urlproxy import ArchiveProxy

    archive = tmp_path / "a.zip"
    archive.write_bytes(b"PK-stand-in")
    routes = {"https://files.example.test/a.zip": archive, "http://127.0.0.1:9/simple/x/": archive}
    srv = serve()
    with ArchiveProxy(routes, tmp_path / "proxy") as proxy:
        for k, v in proxy.env().items():
            monkeypatch.setenv(k, v)
        op = opener(ssl.create_default_context(cafile=str(tmp_path / "proxy" / "cert.pem")))
        for url in ("https://files.example.test/a.zip", "http://127.0.0.1:9/simple/x/"):
            with op.open(urllib.request.Request(url), timeout=10) as resp:
                assert resp.read() == b"PK-stand-in"
        assert proxy.served == ["https://files.example.test/a.zip", "http://127.0.0.1:9/simple/x/"]
        with pytest.raises(urllib.error.URLError, match="Tunnel connection failed: 403"):  # other hosts
            op.open(urllib.request.Request("https://elsewhere.example.test/"), timeout=10)
        # the local server is not reached directly: its requests went to the proxy, which refuses them
        with pytest.raises(urllib.error.HTTPError):
            get(op, f"{srv.base}/simple/x/")
        assert srv.requests == [] and op.pool.opened == 0
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        monkeypatch.setenv("no_proxy", "127.0.0.1")
        assert get(op, f"{srv.base}/simple/direct/")[2]["name"] == "direct"  # bypassed: direct, pooled
        assert srv.requests == ["/simple/direct/"] and op.pool.opened == 1


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="no fork on this platform")
def test_a_forked_child_does_not_use_its_parents_connections(serve, opener):
    import os

    srv, op = serve(), opener()
    get(op, f"{srv.base}/simple/a/")
    pid = os.fork()
    if pid == 0:  # the child: its own connection, the parent's left alone
        try:
            ok = get(op, f"{srv.base}/simple/child/")[2]["name"] == "child" and op.pool.reused == 0
        except BaseException:
            ok = False
        os._exit(0 if ok else 3)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert get(op, f"{srv.base}/simple/b/")[2]["name"] == "b"  # the parent's connection, intact
    assert (op.pool.opened, op.pool.reused) == (1, 1) and srv.connections == 2


def test_dependents_reads_through_the_kept_alive_opener(serve, monkeypatch):
    """``dependents._get`` (the blocker-dependent search's metadata reads) keeps its answers: bytes, b""
    for a 404, IndexUnavailable for an index out of reach; from 8 threads on at most 8 connections."""
    from migrate.lock import dependents

    for k in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy", "http_proxy", "all_proxy"):
        monkeypatch.delenv(k, raising=False)
    index._the_opener.cache_clear()
    srv = serve(delay=0.01)
    try:
        with ThreadPoolExecutor(8) as pool:
            bodies = list(pool.map(lambda i: dependents._get(f"{srv.base}/simple/m{i}/", None, 10), range(40)))
        assert [json.loads(b)["name"] for b in bodies] == [f"m{i}" for i in range(40)]
        assert 1 <= srv.connections <= 8
        assert dependents._get(f"{srv.base}/simple/missing/", None, 10) == b""
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            dead = f"http://127.0.0.1:{s.getsockname()[1]}/x.metadata"
        with pytest.raises(IndexUnavailable, match="cannot read"):
            dependents._get(dead, None, 5)
    finally:
        _opener().pool.clear()
        index._the_opener.cache_clear()
