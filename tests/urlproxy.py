"""A local HTTP(S) proxy that stands in for the hosts of a project's URL dependencies (offline tests).

``uv --offline`` fetches no URL at all, so a project whose ``[tool.uv.sources]`` names
``url = "https://github.com/o/r/archive/v1.zip"`` is locked without ``--offline``, with every request of uv
(and of ``migrate``) sent to this proxy (``HTTPS_PROXY``/``HTTP_PROXY``/``ALL_PROXY``, ``NO_PROXY`` empty):

* ``CONNECT host:443`` for a host of a registered URL is answered with TLS under a self-signed certificate
  (uv is told not to verify it for exactly those hosts: ``UV_INSECURE_HOST``), and a registered URL is
  answered with the stand-in archive; anything else on that host is a 404;
* any other host is refused (403): nothing leaves the machine;
* plain requests to the proxy itself serve an empty index (``/simple/<name>/`` is a 404, "not here"),
  used as ``--index-url`` so that uv looks for packages in the ``--find-links`` folder only.

What is real: the project's files (its URLs unchanged), uv's own download and build of the archive.
What is substituted: the server and the archive's content (a minimal static ``pyproject.toml`` package
with the name, version and requirements the old lock gives).
"""

from __future__ import annotations

import http.server
import shutil
import ssl
import subprocess
import threading
from pathlib import Path
from urllib.parse import urlparse


def self_signed(folder: Path, hosts: list[str]) -> tuple[Path, Path]:
    """(certificate, key) for ``hosts``, made by the ``openssl`` CLI."""
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = folder / "cert.pem", folder / "key.pem"
    san = ",".join(f"DNS:{h}" for h in hosts)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "2", "-subj", f"/CN={hosts[0]}", "-addext", f"subjectAltName={san}"],
                   check=True, capture_output=True)
    return cert, key


class ArchiveProxy:
    def __init__(self, routes: dict[str, Path], folder: Path) -> None:
        self.routes = dict(routes)
        self.hosts = sorted({urlparse(u).hostname for u in routes})
        self.served: list[str] = []
        cert, key = self_signed(folder, self.hosts)
        self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.tls.load_cert_chain(cert, key)
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            tls_host: str | None = None

            def log_message(self, *args) -> None:
                pass

            def do_CONNECT(self) -> None:
                host = self.path.rsplit(":", 1)[0]
                if host not in proxy.hosts:
                    self.send_error(403, "offline test: only the stand-in hosts are served")
                    return
                self.send_response(200, "Connection established")
                self.end_headers()
                self.wfile.flush()
                conn = proxy.tls.wrap_socket(self.connection, server_side=True)
                self.connection = conn
                self.rfile = conn.makefile("rb", self.rbufsize)
                self.wfile = conn.makefile("wb")
                self.tls_host = host
                self.close_connection = False
                while not self.close_connection:
                    self.handle_one_request()

            def _answer(self, body: bool) -> None:
                if self.tls_host:
                    url = f"https://{self.tls_host}{self.path}"
                elif self.path.startswith("http"):  # as a proxy for plain http
                    url = self.path
                    if urlparse(url).hostname not in ("127.0.0.1", "localhost"):
                        self.send_error(403, "offline test: only the stand-in hosts are served")
                        return
                else:
                    url = self.path
                path = proxy.routes.get(url.split("#")[0])
                if path is None:
                    self.send_error(404)
                    return
                proxy.served.append(url)
                data = path.read_bytes()
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if body:
                    self.wfile.write(data)

            def do_GET(self) -> None:
                self._answer(True)

            def do_HEAD(self) -> None:
                self._answer(False)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "ArchiveProxy":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def index_url(self) -> str:
        """An index that has nothing (every project page a 404): packages come from --find-links."""
        return f"http://127.0.0.1:{self.port}/simple"

    def env(self) -> dict[str, str]:
        proxy = f"http://127.0.0.1:{self.port}"
        env = {k: proxy for k in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy", "http_proxy",
                                  "all_proxy")}
        env.update({"NO_PROXY": "", "no_proxy": "", "UV_INSECURE_HOST": " ".join(self.hosts),
                    "UV_PYTHON_DOWNLOADS": "never"})
        return env


def stand_in_archive(folder: Path, url: str, pyproject: str, module: str) -> Path:
    """The archive ``url`` names, holding a source tree with ``pyproject``: a ``.zip`` or ``.tar.gz`` with
    one top folder (as GitHub's archives have)."""
    name = Path(urlparse(url).path).name
    top = folder / "tree" / name.split(".")[0]
    (top / module).mkdir(parents=True, exist_ok=True)
    (top / module / "__init__.py").write_text("")
    (top / "pyproject.toml").write_text(pyproject)
    if name.endswith(".zip"):
        base, fmt = name[:-4], "zip"
    elif name.endswith((".tar.gz", ".tgz")):
        base, fmt = name.rsplit(".t", 1)[0], "gztar"
    else:
        raise ValueError(f"not an archive uv builds from a URL: {name}")
    made = Path(shutil.make_archive(str(folder / base), fmt, root_dir=top.parent, base_dir=top.name))
    return made


def url_dependencies(project):
    """The archive URL dependencies (``https://``) the converted project will name, as :class:`GitDep`
    records (``url`` set, no ref) carrying what the old lock knows of each."""
    import re

    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    from gitrepos import GitDep, locked_source_packages, requirement_texts, with_locked

    found = []
    for dep in project.all_dependencies():
        url = dep.direct_url or (dep.source.url if dep.source else None)
        if url and re.match(r"https?://", url):
            found.append(GitDep(dep.name, url, where=dep.name))
    if project.metadata_file.name == "pyproject.toml":
        for text in requirement_texts(project):
            try:
                req = Requirement(text)
            except InvalidRequirement:
                continue
            if req.url and re.match(r"https?://", req.url) and not any(
                    canonicalize_name(d.name) == canonicalize_name(req.name) for d in found):
                found.append(GitDep(req.name, req.url, where=req.name))
    return with_locked(found, locked_source_packages(project.root, "url"))


def unservable(deps) -> str | None:
    """Why a stand-in archive cannot answer for one of ``deps`` (None: it can for all)."""
    import re

    for dep in deps:
        if re.fullmatch(r"[0-9a-f]{7}", dep.name):
            return (f"{dep.url} is named {dep.name!r}, Pipenv's placeholder for an unnamed requirement: uv "
                    "needs the package's real name (MIG102 asks the user to rename it)")
        name = Path(urlparse(dep.url).path).name
        if not name.endswith((".zip", ".tar.gz", ".tgz")):
            return f"{dep.url} is not a source archive a stand-in can be made for"
    return None
