"""A local HTTP server for tests that play a package index (PEP 691 JSON or PEP 503 HTML pages).

    class Handler(QuietHandler):
        def do_GET(self):
            reply(self, b"{}", "application/vnd.pypi.simple.v1+json")

    server = serve(Handler)           # 127.0.0.1 on a free port, answered from a daemon thread
    url = f"{base_url(server)}/simple"
    server.shutdown()
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that does not log each request to stderr."""

    def log_message(self, *args) -> None:
        pass


def reply(handler: BaseHTTPRequestHandler, data: bytes, ctype: str, body: bool = True) -> None:
    """A 200 answer with ``data`` as ``ctype`` (headers only when ``body`` is false: a HEAD request)."""
    handler.send_response(200)
    handler.send_header("Content-Type", ctype)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    if body:
        handler.wfile.write(data)


def serve(handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
    """A server on 127.0.0.1 and a free port, already answering from a daemon thread; ``shutdown()`` it."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def base_url(server: ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"
