"""A small package-index client: the file names a package has, per version.

Reads ``--find-links`` folders (local wheels and sdists) and PEP 691 JSON / PEP 503 HTML simple indexes.
With ``offline`` only local folders are read.

Answers from remote indexes are cached for the whole process, shared by every client and thread (a
batch asks PyPI once per package, whichever project asks first; concurrent askers of one page wait for
the one request in flight). Only answers are cached: an index that cannot be reached (connection
refused, DNS, timeout, HTTP 5xx/401/403) raises :class:`IndexUnavailable`, never reads as "no files",
and is asked again by the next run. A 404 is an answer: the index does not have the package.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.error
import urllib.request
from functools import lru_cache
from pathlib import Path

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

PYPI = "https://pypi.org/simple"
_ACCEPT = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.1"


class IndexUnavailable(Exception):
    """An index could not answer (unreachable, timed out, server error): the answer is unknown."""

    def __init__(self, url: str, reason: str, unreachable: bool = True) -> None:
        self.url = url
        self.reason = reason
        #: the whole index is out of reach (not one page's server error)
        self.unreachable = unreachable
        super().__init__(f"{url}: {reason}")


@lru_cache(maxsize=16384)
def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def version_of(filename: str) -> Version | None:
    if filename.endswith(".whl") and filename.count("-") in (4, 5):  # fast path: pages list thousands
        return _version(filename.split("-", 2)[1])
    try:
        if filename.endswith(".whl"):
            return parse_wheel_filename(filename)[1]
        return parse_sdist_filename(filename)[1]
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None


def name_of(filename: str) -> str | None:
    try:
        if filename.endswith(".whl"):
            return parse_wheel_filename(filename)[0]
        return parse_sdist_filename(filename)[0]
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None


class _PageCache:
    """Process-wide cache of remote project pages: (index URL, name) -> [(file name, version)].
    Thread-safe; one request per key even when many threads ask at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pages: dict[tuple[str, str], list] = {}
        self._inflight: dict[tuple[str, str], threading.Lock] = {}
        #: remote requests made (for tests and benchmarks)
        self.requests = 0

    def get(self, key: tuple[str, str], fetch) -> list:
        with self._lock:
            if key in self._pages:
                return self._pages[key]
            gate = self._inflight.setdefault(key, threading.Lock())
        with gate:
            with self._lock:
                if key in self._pages:
                    return self._pages[key]
                self.requests += 1
            try:
                files = fetch()  # raises IndexUnavailable: nothing is cached
            finally:
                with self._lock:
                    self._inflight.pop(key, None)
            with self._lock:
                self._pages[key] = files
            return files

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()
            HASHES.clear()
            _RAW.clear()
            self.requests = 0


PAGES = _PageCache()
#: sha256 of remote files as their project page gives them (PEP 691 ``hashes``, PEP 503 ``#sha256=``):
#: (index URL, name) -> {file name: sha256}; made from the page when first asked (:func:`page_hashes`:
#: a Poetry project never asks, and a big page's hashes cost as much as its names)
HASHES: dict[tuple[str, str], dict[str, str]] = {}
#: what the hashes are made from, until then: the PEP 691 file entries or the PEP 503 page
_RAW: dict[tuple[str, str], list | str] = {}
_HASH_LOCK = threading.Lock()


def page_hashes(url: str, name: str) -> dict[str, str]:
    """{file name: sha256} of a page :data:`PAGES` holds (or the disk cache gave), {} when unknown."""
    with _HASH_LOCK:
        if (url, name) in HASHES:
            return HASHES[(url, name)]
        raw = _RAW.pop((url, name), None)
    if raw is None:
        return {}
    if isinstance(raw, str):
        found = simple_html_hashes(raw)
    else:
        found = {str(f["filename"]): f["hashes"]["sha256"].lower() for f in raw
                 if isinstance(f.get("hashes"), dict) and isinstance(f["hashes"].get("sha256"), str)}
    with _HASH_LOCK:
        return HASHES.setdefault((url, name), found)


class IndexClient:
    """File names per package from ``find_links`` folders and simple indexes (``index_urls``, PyPI by default)."""

    def __init__(self, index_urls: list[str] | None = None, find_links: list[str] | None = None,
                 offline: bool = False, timeout: float = 20.0) -> None:
        self.index_urls = [u.rstrip("/") for u in (index_urls or [PYPI])]
        self.find_links = [Path(p).resolve() for p in (find_links or []) if not re.match(r"^[a-z]+://", str(p))]
        self.offline = offline
        self.timeout = timeout
        self._lock = threading.Lock()
        self._folders: dict[Path, dict[str, list[tuple[str, Version | None]]]] = {}
        #: indexes that failed during this client's run: asked once, then failed fast with the same reason
        self._down: dict[str, IndexUnavailable] = {}
        self._memo: dict[tuple, object] = {}

    def _folder(self, folder: Path) -> dict[str, list[tuple[str, Version | None]]]:
        """A local folder's wheels and sdists by project name, listed once per client."""
        with self._lock:
            if folder in self._folders:
                return self._folders[folder]
        by_name: dict[str, list[tuple[str, Version | None]]] = {}
        if folder.is_dir():
            for f in sorted(p.name for p in folder.iterdir()):
                n = name_of(f)
                if n is not None:
                    by_name.setdefault(canonicalize_name(n), []).append((f, version_of(f)))
        with self._lock:
            self._folders[folder] = by_name
        return by_name

    def sources(self, index: str | None = None) -> tuple[tuple[Path, ...], tuple[str, ...]]:
        """(local folders, index URLs) :meth:`files` asks for a package locked from ``index``."""
        folders = list(self.find_links)
        if index and "://" not in index and Path(index) not in folders:
            folders.append(Path(index))  # a uv.lock registry that is a local folder
        urls: list[str] = []
        if not self.offline:
            # the lock's own registry wins: a local folder there means no remote index is asked
            urls = ([index.rstrip("/")] if "://" in index else []) if index else self.index_urls
        return tuple(folders), tuple(urls)

    def files(self, name: str, index: str | None = None) -> list[tuple[str, Version | None]]:
        """(file name, version) of every artefact of ``name`` the configured sources know.

        Raises :class:`IndexUnavailable` when a remote index that should answer cannot."""
        out: list[tuple[str, Version | None]] = []
        cname = canonicalize_name(name)
        folders, urls = self.sources(index)
        for folder in folders:
            out += self._folder(folder).get(cname, [])
        for url in urls:
            out += self._page(url, cname)
        return out

    def memo(self, key: tuple, compute):
        """``compute()`` once per ``key`` for this client (its answers do not change within a run: pages
        and folders are read once); an error is not kept."""
        with self._lock:
            if key in self._memo:
                return self._memo[key]
        value = compute()
        with self._lock:
            return self._memo.setdefault(key, value)

    def _page(self, url: str, name: str) -> list[tuple[str, Version | None]]:
        down = self._down.get(url)
        if down is not None:
            raise IndexUnavailable(down.url, down.reason)
        try:
            return PAGES.get((url, name), lambda: [(f, version_of(f)) for f in self._cached_remote(url, name)])
        except IndexUnavailable as exc:
            if exc.unreachable:
                with self._lock:
                    self._down.setdefault(url, exc)
            raise

    def _cached_remote(self, url: str, name: str) -> list[str]:
        """:meth:`_remote`, or its answer kept on disk by an earlier run (:mod:`migrate.lock.indexcache`)."""
        from migrate.lock.indexcache import load, store_later

        hit = load(url, name)
        if hit is not None:
            with _HASH_LOCK:
                HASHES[(url, name)] = hit[1]
            return hit[0]
        files = self._remote(url, name)
        store_later(url, name, files, lambda: page_hashes(url, name))  # written while uv works, or at exit
        return files

    def prefetch(self, wanted: list[tuple[str, str | None]], workers: int | None = None) -> None:
        """Fetch several packages' pages at once (remote indexes answer in parallel; :func:`workers` at a
        time unless told). Failures are left for :meth:`files` to raise."""
        workers = workers or fetch_workers(8)
        todo = list(dict.fromkeys((canonicalize_name(n), i) for n, i in wanted))
        if self.offline or len(todo) < 2:
            return
        from concurrent.futures import ThreadPoolExecutor

        def one(item):
            try:
                self.files(*item)
            except IndexUnavailable:
                pass

        with ThreadPoolExecutor(max_workers=min(workers, len(todo))) as pool:
            list(pool.map(one, todo))

    def _remote(self, base: str, name: str, attempts: int = 3) -> list[str]:
        """File names on ``base``'s project page (PEP 691 JSON preferred, PEP 503 HTML otherwise).

        A failure that may pass (timeout, reset, HTTP 5xx/429) is tried once more; an index that does
        not resolve or refuses connections is reported unreachable at once."""
        import time

        for attempt in range(attempts):
            try:
                body, ctype = self._get(base, name)
                break
            except IndexUnavailable as exc:
                if exc.unreachable or attempt == attempts - 1:
                    raise
                time.sleep(0.5 * (attempt + 1))
        if "json" in ctype:
            try:
                files = [f for f in json.loads(body).get("files", [])
                         if isinstance(f, dict) and "filename" in f and not f.get("yanked")]
                with _HASH_LOCK:
                    _RAW[(base, name)] = files
                return [str(f["filename"]) for f in files]
            except (ValueError, AttributeError, TypeError):
                raise IndexUnavailable(base, f"unreadable PEP 691 answer for {name}", unreachable=False) from None
        with _HASH_LOCK:
            _RAW[(base, name)] = body
        return parse_simple_html(body)

    def hashes(self, name: str, index: str | None = None, only: set[str] | None = None) -> dict[str, str]:
        """{file name: sha256} of the files :meth:`files` lists (``only``: just those) where known: local
        files are hashed, remote ones as their page said (call :meth:`files` first)."""
        import hashlib

        cname = canonicalize_name(name)
        out: dict[str, str] = {}
        folders, urls = self.sources(index)
        for folder in folders:
            for f, _ in self._folder(folder).get(cname, []):
                if (only is None or f in only) and f not in out:
                    try:
                        with open(folder / f, "rb") as fh:
                            out[f] = hashlib.file_digest(fh, "sha256").hexdigest()
                    except OSError:
                        continue
        for url in urls:
            out.update({f: h for f, h in page_hashes(url, cname).items() if only is None or f in only})
        return out


    def _get(self, base: str, name: str) -> tuple[str, str]:
        req = urllib.request.Request(f"{base}/{name}/", headers={"Accept": _ACCEPT})
        try:
            with _opener().open(req, timeout=self.timeout) as resp:
                return resp.read().decode("utf-8", "replace"), resp.headers.get("Content-Type", "")
        except urllib.error.HTTPError as exc:
            if exc.code in (404, 410):
                return "", "text/html"  # an answer: this index does not have the package
            # refused credentials hold for every package; server errors and rate limits may pass
            raise IndexUnavailable(base, f"HTTP {exc.code} {exc.reason} for {name}",
                                   unreachable=exc.code in (401, 403)) from None
        except urllib.error.URLError as exc:
            import socket

            timeout = isinstance(exc.reason, (TimeoutError, OSError)) and "timed out" in str(exc.reason)
            # "Temporary failure in name resolution" (EAI_AGAIN) passes, as a timeout does; a name that
            # does not exist or a refused connection does not
            again = isinstance(exc.reason, socket.gaierror) and exc.reason.errno == socket.EAI_AGAIN
            raise IndexUnavailable(base, f"cannot reach the index ({exc.reason})",
                                   unreachable=not (timeout or again)) from None
        except (OSError, ValueError) as exc:  # timeouts and resets while reading, bad URLs
            raise IndexUnavailable(base, f"no answer for {name} ({exc or type(exc).__name__})",
                                   unreachable=isinstance(exc, ValueError)) from None


def fetch_workers(most: int) -> int:
    """How many requests to have in flight at once: twice the CPUs, at most ``most``. Each answer is
    parsed while the interpreter lock is held, and the run's own thread (reading and converting the
    project, then starting uv) waits for that lock behind every busy one: on 2 CPUs, 4 threads made
    qdrant-client's run 0.4 s shorter than 8 and 16 (bench_lock, median of 4)."""
    import os

    return max(2, min(most, 2 * (os.cpu_count() or 1)))


def simple_html_hashes(body: str) -> dict[str, str]:
    """{file name: sha256} from the ``#sha256=`` fragments of a PEP 503 project page's links."""
    from urllib.parse import unquote

    out = {}
    for href in re.findall(r"""<a\s[^>]*?href\s*=\s*(?:"([^"]*)"|'([^']*)')""", body, flags=re.IGNORECASE):
        url = href[0] or href[1]
        m = re.search(r"#sha256=([0-9a-fA-F]{64})\b", url)
        if m:
            out[unquote(url.split("#", 1)[0].rsplit("/", 1)[-1])] = m.group(1).lower()
    return out


_ADDRESSES: dict[tuple[str, int], list] = {}
_ADDRESS_LOCK = threading.Lock()


def resolve(host: str, port: int) -> list:
    """``getaddrinfo`` for a TCP connection to ``host``, once per process and one lookup at a time: the
    index pages and metadata files are fetched many at once, and some resolvers (this machine's, Docker's
    under load) drop concurrent queries, which the C library retries after 5 s. A failed lookup is not
    kept (the next request asks again)."""
    import socket

    with _ADDRESS_LOCK:
        found = _ADDRESSES.get((host, port))
        if found is None:
            found = _ADDRESSES[(host, port)] = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
    return found


def _create_connection(address, timeout=None, source_address=None, *args, **kwargs):
    """``socket.create_connection`` with the addresses from :func:`resolve`."""
    import socket

    host, port = address
    error: OSError | None = None
    for family, kind, proto, _, where in resolve(host, port):
        sock = None
        try:
            sock = socket.socket(family, kind, proto)
            if timeout is not None and timeout is not socket._GLOBAL_DEFAULT_TIMEOUT:
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(where)
            return sock
        except OSError as exc:
            error = exc
            if sock is not None:
                sock.close()
    raise error or OSError(f"no address for {host}")


class _Pool:
    """Idle keep-alive connections per (scheme, host[:port]), shared by every thread of the process: a
    request takes one (or opens one) and gives it back once its answer is read in full, so N requests
    from one thread cost one TCP+TLS handshake and 8 threads at once at most 8."""

    #: idle connections kept per host (the index and metadata reads run 8 at a time)
    MAX_IDLE = 8
    #: an idle connection older than this is closed, not reused: servers drop idle connections after a
    #: while (PyPI's CDN after about a minute), and a silently dropped one would wait for the timeout
    MAX_AGE = 30.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: dict[tuple[str, str], list] = {}
        #: connections opened / reused (for tests and benchmarks)
        self.opened = 0
        self.reused = 0

    def take(self, key: tuple[str, str]):
        """An idle connection to ``key`` the server has not closed, or None."""
        import time

        now = time.monotonic()
        while True:
            with self._lock:
                stack = self._idle.get(key)
                if not stack:
                    return None
                since, conn = stack.pop()  # the most recently used: the least likely to be closed
            if now - since <= self.MAX_AGE and _still_open(conn):
                return conn
            conn.close()

    def give(self, key: tuple[str, str], conn) -> None:
        import time

        with self._lock:
            stack = self._idle.setdefault(key, [])
            if len(stack) < self.MAX_IDLE:
                stack.append((time.monotonic(), conn))
                return
        conn.close()

    def count(self, reused: bool) -> None:
        with self._lock:
            if reused:
                self.reused += 1
            else:
                self.opened += 1

    def clear(self) -> None:
        """Close every idle connection."""
        with self._lock:
            idle = [conn for stack in self._idle.values() for _, conn in stack]
            self._idle.clear()
        for conn in idle:
            conn.close()

    def forget(self) -> None:
        """Drop the idle connections without a word to the server (a forked child: they are the parent's)."""
        self._idle = {}
        self._lock = threading.Lock()


def _still_open(conn) -> bool:
    """Whether an idle connection is still usable: nothing to read on it (a server that closed it makes
    it readable, with end of file), apart from TLS records that carry no data (session tickets)."""
    import select
    import ssl

    sock = conn.sock
    if sock is None:
        return False
    try:
        if not select.select([sock], [], [], 0)[0]:
            return True
        timeout = sock.gettimeout()
        sock.setblocking(False)
        try:
            sock.recv(1)  # b"": closed; any byte: an answer nobody asked for; both end the connection
            return False
        except (ssl.SSLWantReadError, BlockingIOError):
            return True
        finally:
            sock.settimeout(timeout)
    except (OSError, ValueError):
        return False


def _keepalive_open(handler, http_class, req, **http_conn_args):
    """``AbstractHTTPHandler.do_open`` on a kept-alive connection from ``handler.pool``: the same request
    (headers, method, selector) without ``Connection: close``, the same errors (``URLError`` for a
    failure to send, http.client's own for a failure to answer, ``OSError`` while reading the body), a
    response with ``read()``, ``headers``, ``status``, ``reason``, ``url``. The body is read here, so
    that the connection can serve the next request at once (but not the whole of a file above
    :data:`WHOLE_ANSWER_LIMIT` bytes sent for a range request: the connection is closed instead). A
    reused connection the server closed
    meanwhile (its keep-alive ran out) is replaced by a new one, once, silently.

    Proxied requests (``HTTPS_PROXY`` etc.), and anything but a GET or HEAD, are left to urllib, as before."""
    import http.client
    import io
    import socket
    import ssl
    import urllib.response

    if (req._tunnel_host or req.has_proxy() or req.data is not None
            or req.get_method() not in ("GET", "HEAD")):
        return urllib.request.AbstractHTTPHandler.do_open(handler, http_class, req, **http_conn_args)
    host = req.host
    if not host:
        raise urllib.error.URLError("no host given")
    headers = dict(req.unredirected_hdrs)
    headers.update({k: v for k, v in req.headers.items() if k not in headers})
    headers = {name.title(): val for name, val in headers.items()}
    key = (req.type, host.lower())
    stale = (ConnectionError, http.client.RemoteDisconnected, ssl.SSLEOFError, ssl.SSLZeroReturnError)
    pool = handler.pool
    conn = pool.take(key)
    while True:
        reused = conn is not None
        if conn is None:
            conn = http_class(host, timeout=req.timeout, **http_conn_args)
            conn.set_debuglevel(handler._debuglevel)
        else:
            conn.timeout = req.timeout
            conn.sock.settimeout(socket.getdefaulttimeout() if req.timeout is socket._GLOBAL_DEFAULT_TIMEOUT
                                 else req.timeout)
        pool.count(reused)
        try:
            try:
                conn.request(req.get_method(), req.selector, None, headers)
            except OSError as err:
                if reused and isinstance(err, stale):
                    conn.close()
                    conn = None
                    continue  # the server closed it while it was idle: once more on a new connection
                raise urllib.error.URLError(err)
            try:
                r = conn.getresponse()
            except stale:
                if not reused:
                    raise
                conn.close()
                conn = None
                continue
            if "Range" in headers and r.status != 206 and not _small(r.getheader("Content-Length")):
                body = b""  # a range request answered with the whole of a big file: not read (nor kept)
                conn.close()
                break
            body = r.read()
        except BaseException:
            conn.close()
            raise
        break
    if r.will_close or conn.sock is None:
        conn.close()
    else:
        pool.give(key, conn)
    resp = urllib.response.addinfourl(io.BytesIO(body), r.msg, req.get_full_url(), r.status)
    resp.msg = resp.reason = r.reason  # as urllib's do_open: ``msg`` is the reason
    return resp


#: the most bytes read when a range request is answered with the whole file (a server that ignores ranges)
WHOLE_ANSWER_LIMIT = 5_000_000


def _small(length: str | None) -> bool:
    return bool(length and length.isdigit() and int(length) <= WHOLE_ANSWER_LIMIT)


def _build_opener(context=None) -> urllib.request.OpenerDirector:
    """An opener whose HTTP(S) connections find their addresses through :func:`resolve` and are kept
    alive in the opener's own :class:`_Pool` (``opener.pool``); ``context``: the TLS context (the
    system's certificates by default). Proxies from the environment (read now) apply as with urlopen."""
    import http.client
    import os
    import ssl
    import weakref

    pool = _Pool()
    if hasattr(os, "register_at_fork"):  # a forked child must not write on its parent's connections
        ref = weakref.ref(pool)
        os.register_at_fork(after_in_child=lambda: (p := ref()) is not None and p.forget())

    class HTTPConnection(http.client.HTTPConnection):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self._create_connection = _create_connection  # http.client sets socket.create_connection here

    class HTTPSConnection(http.client.HTTPSConnection):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self._create_connection = _create_connection

    class HTTPHandler(urllib.request.HTTPHandler):
        def http_open(self, req):
            return _keepalive_open(self, HTTPConnection, req)

    class HTTPSHandler(urllib.request.HTTPSHandler):
        def https_open(self, req):
            return _keepalive_open(self, HTTPSConnection, req, context=self._context)

    http_handler, https_handler = HTTPHandler(), HTTPSHandler(context=context or ssl.create_default_context())
    http_handler.pool = https_handler.pool = pool
    opener = urllib.request.build_opener(http_handler, https_handler)
    opener.pool = pool
    return opener


_OPENER_LOCK = threading.Lock()


def _opener() -> urllib.request.OpenerDirector:
    """One opener for the process: urlopen() builds a new SSL context per request, and loading the
    system's certificates costs ~0.1 s of CPU each time (a second for ten index pages), and it opens a
    new connection (and TLS handshake) per request; this one keeps connections alive per host
    (:func:`_keepalive_open`) and finds their addresses through :func:`resolve`. Proxies from the
    environment apply as with urlopen. Made once, under a lock: the first callers are 8 threads at once,
    and each would otherwise make its own (and its own pool of connections)."""
    with _OPENER_LOCK:
        return _the_opener()


@lru_cache(maxsize=1)
def _the_opener() -> urllib.request.OpenerDirector:
    import atexit

    opener = _build_opener()
    atexit.register(opener.pool.clear)
    return opener


def parse_simple_html(body: str) -> list[str]:
    """File names linked from a PEP 503 project page, yanked files (``data-yanked``) left out."""
    from urllib.parse import unquote

    out = []
    for tag in re.findall(r"<a\s[^>]*>", body, flags=re.IGNORECASE):
        if re.search(r"\sdata-yanked(\s|=|>)", tag, flags=re.IGNORECASE):
            continue
        m = re.search(r"""href\s*=\s*(?:"([^"]*)"|'([^']*)')""", tag, flags=re.IGNORECASE)
        if m:
            href = m.group(1) if m.group(1) is not None else m.group(2)
            out.append(unquote(href.split("#", 1)[0].rsplit("/", 1)[-1]))
    return out
