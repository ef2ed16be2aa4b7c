"""A blocker's dependent moves instead (issue 10/12 follow-up).

When a locked package B has no free-threaded build in ANY version the project admits (a ``blocker`` with
no fix), the packages that REQUIRE it may have a version that does not: mypy >= 2 requires
``ast-serialize`` (no cp313t wheels), mypy 1.x does not. :func:`dependent_moves` walks up uv.lock's
dependency graph from each such blocker to the registry packages that require it on the target's Python,
and for each looks for a version whose own files are ready (pure or target wheels) and whose
Requires-Dist (from the index's PEP 658 ``.metadata`` file, or the wheel's METADATA in a local folder)
does not require B: the newest at or below the locked one first, then the nearest newer one, within the
project's own requirement. The dependent's entry then carries a fix like any other (``fix``, ``move``,
``fix_reason``) and ``for_blocker``: the lock stage constrains it for the target's Python only, as it
does a blocker's move. When the project's own requirement is what excludes every such version, the
entry says so (``dependent_excluded``) and names the version that would work.

Only the first step up is moved: a dependent whose every version requires B is reported, and its own
dependents are not searched (the chain is named in the report).
"""

from __future__ import annotations

import email.parser
import functools
import json
import re
import threading
import zipfile
from pathlib import Path
from typing import Any

from packaging.markers import InvalidMarker, Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from migrate.diagnostics import Diagnostic
from migrate.lock.freethreading import _by_version, classify, target_environments
from migrate.lock.index import _ACCEPT, IndexUnavailable, _opener, name_of, version_of

_LOCK = threading.Lock()
#: (index URL, name) -> the PEP 691 wheel entries (dicts with filename, url, size, core-metadata) by version
_PAGES: dict[tuple[str, str], dict[Version, list[dict]]] = {}
#: (name, version) -> Requires-Dist lines (None: not known)
_REQUIRES: dict[tuple[str, str, Any], list[str] | None] = {}
_INFLIGHT: dict[tuple[str, str, Any], threading.Lock] = {}


# -- Requires-Dist of one version -------------------------------------------------------------------
def _parse_metadata(text: str) -> list[str]:
    """The Requires-Dist values of a METADATA file (the header part, as the email parser reads it)."""
    head = text.replace("\r\n", "\n").split("\n\n", 1)[0]
    if "\n " in head or "\n\t" in head:  # folded lines: the email parser unfolds them
        msg = email.parser.Parser().parsestr(text, headersonly=True)
        return [str(r) for r in msg.get_all("Requires-Dist") or []]
    return [m.strip() for m in _REQUIRES_DIST.findall(head)]


_REQUIRES_DIST = re.compile(r"^Requires-Dist:[ \t]*(.*)$", re.M | re.I)


def _local_requires(folders: list[Path], name: str, version: Version) -> list[str] | None:
    cname = canonicalize_name(name)
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            f = path.name
            if not f.endswith(".whl") or version_of(f) != version or canonicalize_name(name_of(f) or "") != cname:
                continue
            try:
                with zipfile.ZipFile(path) as zf:
                    meta = next((n for n in zf.namelist()
                                 if n.count("/") == 1 and n.endswith(".dist-info/METADATA")), None)
                    if meta:
                        return _parse_metadata(zf.read(meta).decode("utf-8", "replace"))
            except (OSError, zipfile.BadZipFile, KeyError):
                continue
    return None


def _get(url: str, accept: str | None, timeout: float) -> bytes:
    answer = _request(url, {"Accept": accept} if accept else {}, timeout, absent=(404, 410))
    return answer[2] if answer is not None else b""


def _request(url: str, headers: dict[str, str], timeout: float, absent: tuple[int, ...]):
    """(status, headers, body) of a GET of ``url``; None for an HTTP status in ``absent`` (an answer:
    not there); any other failure is :class:`IndexUnavailable`."""
    import urllib.error
    import urllib.request

    try:
        with _opener().open(urllib.request.Request(url, headers=headers), timeout=timeout) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as exc:
        if exc.code in absent:
            return None
        raise IndexUnavailable(url, f"HTTP {exc.code} {exc.reason}", unreachable=False) from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise IndexUnavailable(url, f"cannot read ({exc})", unreachable=False) from None


def _page(base: str, name: str, timeout: float) -> dict[Version, list[dict]]:
    """The PEP 691 entries of ``base``'s page of ``name``, its wheels by version (made once per page:
    each version's metadata search asks for its own)."""
    from migrate.lock.index import _HASH_LOCK, _RAW

    key = (base, canonicalize_name(name))
    with _LOCK:
        if key in _PAGES:
            return _PAGES[key]
    with _HASH_LOCK:  # the PEP 691 entries the index client just read for the file names, if it kept them
        kept = _RAW.get(key)
    if isinstance(kept, list):
        files = kept
    else:
        body = _get(f"{base}/{key[1]}/", "application/vnd.pypi.simple.v1+json", timeout)
        files = []
        if body:
            try:
                files = json.loads(body).get("files", [])
            except (ValueError, AttributeError):
                files = []  # an HTML-only index: no metadata files known (PEP 658 via JSON only)
    wheels: dict[Version, list[dict]] = {}
    for f in files if isinstance(files, list) else []:
        if isinstance(f, dict) and str(f.get("filename", "")).endswith(".whl"):
            v = version_of(str(f["filename"]))
            if v is not None:
                wheels.setdefault(v, []).append(f)
    with _LOCK:
        return _PAGES.setdefault(key, wheels)


def _may_have_metadata(f: dict) -> bool:
    """PEP 658/714: the index says whether a ``.metadata`` file exists; some mirrors leave the key out
    although they serve the file (asked then: a 404 is an answer)."""
    keys = [k for k in ("core-metadata", "data-dist-info-metadata") if k in f]
    return not keys or any(f[k] for k in keys)


def _remote_requires(base: str, name: str, version: Version, timeout: float) -> list[str] | None:
    from urllib.parse import urljoin

    wheels = [f for f in _page(base, name, timeout).get(version, []) if f.get("url") and _may_have_metadata(f)]
    # a pure wheel's metadata first (the same for every platform in practice), then the smallest
    wheels.sort(key=lambda f: (not str(f["filename"]).endswith("-none-any.whl"), f.get("size") or 0))
    for f in wheels[:2]:
        url = urljoin(f"{base}/{canonicalize_name(name)}/", str(f["url"]).split("#", 1)[0])
        size = f.get("size") if isinstance(f.get("size"), int) else None
        unsaid = not any(k in f for k in ("core-metadata", "data-dist-info-metadata"))
        if unsaid and size is not None and (size <= _SMALL_WHEEL or base in _NO_METADATA):
            # an index that does not say whether it has metadata files (a mirror): a small wheel is read
            # at once, and any wheel once such an index has answered 404 for a `.metadata` it did not
            # list (this machine's mirror took 5-10 s for each of those answers)
            found = _remote_wheel_requires(url, size, timeout)
            if found is not None:
                return found
            continue
        body = _get(url + ".metadata", None, timeout)
        if body:
            return _parse_metadata(body.decode("utf-8", "replace"))
        if unsaid:
            with _LOCK:
                _NO_METADATA.add(base)
        # no metadata file (an index without PEP 658, a mirror that lacks it): the wheel's is read
        if size is not None:
            found = _remote_wheel_requires(url, size, timeout)
            if found is not None:
                return found
    return None


#: indexes that do not list metadata files and answered 404 for one: their wheels are read instead
_NO_METADATA: set[str] = set()
#: the largest wheel downloaded whole for its METADATA when the index has no ``.metadata`` file and its
#: server does not answer range requests
_WHEEL_LIMIT = 5_000_000
#: the last bytes of a wheel read first for its METADATA: the zip's directory, and the ``.dist-info``
#: files, which wheels are written with last (mypy's METADATA is 140 kB from the end of 2.5 MB)
_TAIL = 262_144
#: a wheel read before asking for its ``.metadata`` when the index does not say whether it has one
_SMALL_WHEEL = 1_000_000


def _remote_wheel_requires(url: str, size: int, timeout: float) -> list[str] | None:
    """The Requires-Dist of a remote wheel of ``size`` bytes (as its index page says), from its
    METADATA: a small wheel is read whole; a bigger one by HTTP range requests, its last :data:`_TAIL`
    bytes, then (rarely) the part before them where the zip's directory, then the member, starts. When
    the server answers a range request with the whole file, that is read; when it refuses ranges or the
    archive is not a plain zip, the whole wheel is, up to :data:`_WHEEL_LIMIT` bytes (as without ranges)."""
    if size <= 2 * _TAIL:
        return _wheel_requires(_get(url, None, timeout))
    start, tail = _get_range(url, size - _TAIL, size - 1, timeout)
    if start is None and tail:  # the whole file: a server that ignores ranges
        return _wheel_requires(tail)
    if start is None:  # a server that refuses them: the whole wheel, as without ranges
        return _wheel_requires(_get(url, None, timeout)) if size <= _WHEEL_LIMIT else None
    found = _metadata_at(tail, start)
    for _ in range(2):  # the directory's start, then the member's, when they lie before what was read
        if not (isinstance(found, int) and 0 <= found < start):
            break
        more, head = _get_range(url, found, start - 1, timeout)
        if more != found or len(head) != start - found:
            break
        tail, start = head + tail, found
        found = _metadata_at(tail, start)
    if isinstance(found, bytes):
        return _parse_metadata(found.decode("utf-8", "replace"))
    return _wheel_requires(_get(url, None, timeout)) if size <= _WHEEL_LIMIT else None


def _get_range(url: str, first: int, last: int, timeout: float) -> tuple[int | None, bytes]:
    """Bytes ``first``..``last`` of ``url``: (the offset its answer starts at, the bytes), or (None, the
    whole file) when the server answers with all of it (the opener leaves a big one unread: then
    (None, b""), see :func:`~migrate.lock.index._keepalive_open`), or (None, b"") when it refuses the range."""
    answer = _request(url, {"Range": f"bytes={first}-{last}"}, timeout, absent=(404, 410, 416))
    if answer is None:
        return None, b""
    status, headers, body = answer
    if status != 206:  # the whole file (its body left unread above WHOLE_ANSWER_LIMIT bytes)
        return None, body
    m = re.fullmatch(r"\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*", headers.get("Content-Range", ""))
    if not m or int(m.group(2)) - int(m.group(1)) + 1 != len(body):
        return None, b""
    return int(m.group(1)), body


def _wheel_requires(data: bytes) -> list[str] | None:
    import io

    found = _metadata_member(data)
    if found is not None:
        return _parse_metadata(found.decode("utf-8", "replace"))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            meta = next((n for n in zf.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")), None)
            return _parse_metadata(zf.read(meta).decode("utf-8", "replace")) if meta else None
    except (zipfile.BadZipFile, KeyError, OSError):
        return None


def _metadata_member(data: bytes) -> bytes | None:
    """The bytes of a wheel's top-level ``*.dist-info/METADATA``, read straight from the zip's central
    directory (zipfile reads every entry of it in Python: a big wheel lists thousands). None when the
    archive is not a plain one (zip64, encryption, another compression, no or several METADATA files):
    then zipfile reads it."""
    found = _metadata_at(data, 0)
    return found if isinstance(found, bytes) else None


def _metadata_at(data: bytes, base: int) -> bytes | int | None:
    """:func:`_metadata_member` of a zip file's last bytes ``data``, which start at offset ``base`` of the
    file: the METADATA bytes; or the offset from which the file's bytes are needed (its directory or the
    member lies before ``base``); or None (not a plain zip)."""
    import struct
    import zlib

    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 65557))
    if end < 0 or len(data) < end + 22:
        return None
    count, size, start = struct.unpack_from("<HII", data, end + 10)
    if count == 0xFFFF or start == 0xFFFFFFFF or start + size > base + end:
        return None
    if start < base:
        return start
    directory = data[start - base:start - base + size]
    suffix = b".dist-info/METADATA"
    entries = []
    at = directory.find(suffix)
    while at >= 0:
        head = directory.rfind(b"PK\x01\x02", 0, at)
        if head >= 0 and head + 46 <= at:
            nlen = struct.unpack_from("<H", directory, head + 28)[0]
            name = directory[head + 46:head + 46 + nlen]
            if head + 46 + nlen == at + len(suffix) and name.count(b"/") == 1:
                flags, method, _, _, _, csize, usize = struct.unpack_from("<HHHHIII", directory, head + 8)
                entries.append((flags, method, csize, usize, struct.unpack_from("<I", directory, head + 42)[0]))
        at = directory.find(suffix, at + 1)
    if len(entries) != 1:
        return None
    flags, method, csize, usize, local = entries[0]
    if local < base:
        return local
    local -= base
    if flags & 0x1 or method not in (0, 8) or data[local:local + 4] != b"PK\x03\x04":
        return None
    nlen, xlen = struct.unpack_from("<HH", data, local + 26)
    body = data[local + 30 + nlen + xlen:local + 30 + nlen + xlen + csize]
    try:
        out = body if method == 0 else zlib.decompress(body, -15)
    except zlib.error:
        return None
    return out if len(out) == usize else None


def requires_dist(client, name: str, version: str, index: str | None = None) -> list[str] | None:
    """The Requires-Dist lines of ``name`` ``version``: from a wheel in a local folder (``--find-links``
    or a uv.lock registry that is a folder), else the index's PEP 658 metadata file. None when unknown."""
    v = _version(version)
    if v is None:
        return None
    # by where the answer comes from (a lock's registry URL and "the default index" are the same place)
    key = (canonicalize_name(name), str(v), client.sources(index) if hasattr(client, "sources") else index or "")
    with _LOCK:
        if key in _REQUIRES:
            return _REQUIRES[key]
        gate = _INFLIGHT.setdefault(key, threading.Lock())
    with gate:  # one request per version, however many threads ask at once (a read-ahead and the search)
        with _LOCK:
            if key in _REQUIRES:
                return _REQUIRES[key]
        try:
            return _requires_dist(client, name, v, index, key)
        finally:
            with _LOCK:
                _INFLIGHT.pop(key, None)


def _requires_dist(client, name: str, v: Version, index: str | None, key: tuple) -> list[str] | None:
    folders = list(getattr(client, "find_links", []))
    if index and "://" not in index:
        folders.append(Path(index))
    found = _local_requires(folders, name, v)
    if found is None and not getattr(client, "offline", False):
        urls = ([index.rstrip("/")] if "://" in index else []) if index else list(client.index_urls)
        for url in urls:
            found = _remote_requires(url, name, v, getattr(client, "timeout", 20.0))
            if found is not None:
                break
    with _LOCK:
        _REQUIRES[key] = found
    return found


def requires_any(reqs: list[str], names: set[str], python: str, extras: set[str]) -> set[str]:
    """Which of ``names`` the Requires-Dist lines ``reqs`` require on CPython ``python`` on some common
    platform, with the requested ``extras`` (and none)."""
    out: set[str] = set()
    for line in reqs:
        req = _requirement(line)
        if req is None or req[0] not in names:
            continue
        if req[1] is None or _may_hold(req[1], python, frozenset(extras)):
            out.add(req[0])
    return out


@functools.lru_cache(maxsize=8192)
def _requirement(line: str) -> tuple[str, Marker | None] | None:
    """(canonical name, marker) of a Requires-Dist line (the same lines are read for many versions)."""
    try:
        req = Requirement(line)
    except InvalidRequirement:
        return None
    return canonicalize_name(req.name), req.marker


@functools.lru_cache(maxsize=8192)
def _may_hold(marker: Marker, python: str, extras: frozenset[str]) -> bool:
    for env in target_environments(python, {""} | extras):
        try:
            if marker.evaluate(env):
                return True
        except (InvalidMarker, Exception):
            return True
    return False


# -- uv.lock's graph --------------------------------------------------------------------------------
def _raw(lock_path: Path) -> list[dict]:
    from migrate.lock.freethreading import uv_lock_data

    data = uv_lock_data(lock_path)
    return [p for p in data.get("package", []) if isinstance(p, dict) and "name" in p]


def _local(pkg: dict) -> bool:
    source = pkg.get("source") if isinstance(pkg.get("source"), dict) else {}
    return any(k in source for k in ("virtual", "editable", "directory", "path", "git"))


def _edges(pkg: dict) -> list[tuple[str, dict]]:
    """(where, dependency) for each dependency of a uv.lock package: ``where`` is "" for the main
    dependencies, ``extra NAME`` or ``group NAME``."""
    out = [("", d) for d in pkg.get("dependencies") or [] if isinstance(d, dict)]
    for key, label in (("optional-dependencies", "extra"), ("dev-dependencies", "group")):
        table = pkg.get(key)
        if isinstance(table, dict):
            out += [(f"{label} {g}", d) for g, deps in table.items() for d in deps or [] if isinstance(d, dict)]
    return out


def _groups(raw: list[dict], target: str) -> list[str]:
    """Where the project requires ``target`` from (directly or through other packages): "main",
    "group dev", "extra docs", ..."""
    by_name: dict[str, list[dict]] = {}
    for p in raw:
        by_name.setdefault(canonicalize_name(str(p["name"])), []).append(p)
    out = []
    for root in (p for p in raw if _local(p)):
        starts: dict[str, set[str]] = {}
        for where, dep in _edges(root):
            starts.setdefault(where or "main", set()).add(canonicalize_name(str(dep["name"])))
        for where, names in starts.items():
            seen, todo = set(), list(names)
            while todo:
                n = todo.pop()
                if n in seen:
                    continue
                seen.add(n)
                for p in by_name.get(n, []):
                    if not _local(p):
                        todo += [canonicalize_name(str(d["name"])) for _, d in _edges(p)]
            if target in seen and where not in out:
                out.append(where)
    return out


# -- the rule ---------------------------------------------------------------------------------------
def _ready(files: list[str], abi: str) -> bool:
    return classify(files, abi) in ("pure", "ft-wheels")


def _candidates(by_version: dict[Version, list[str]], current: Version, spec: SpecifierSet) -> list[Version]:
    """Versions to try: the newest at or below ``current`` first (down), then the nearest newer ones."""
    vs = [v for v in by_version if not v.is_prerelease and spec.contains(v)]
    return sorted((v for v in vs if v <= current), reverse=True) + sorted(v for v in vs if v > current)


def _search(client, name: str, version: str, index: str | None, blocked: set[str], python: str, abi: str,
            extras: set[str], spec: SpecifierSet) -> tuple[Version | None, int, bool, int]:
    """The first candidate version of ``name`` (see :func:`_candidates`) whose files are ready and that
    requires none of ``blocked``; how many versions' metadata could not be read; whether the search
    stopped at :data:`MAX_TRIED` versions; how many versions' metadata was read. Kept per client (the
    search before the first resolution and the one after it ask the same)."""
    args = (client, name, version, index, blocked, python, abi, extras, spec)
    if not hasattr(client, "memo"):
        return _search_now(*args)
    where = client.sources(index) if hasattr(client, "sources") else index  # a lock's registry URL = the default
    key = ("dependent-search", canonicalize_name(name), version, where, frozenset(blocked), python, abi,
           frozenset(extras), str(spec))
    return client.memo(key, lambda: _search_now(*args))


def _search_within(client, name: str, version: str, index: str | None, blocked: set[str], python: str, abi: str,
                   extras: set[str], requirement: str) -> tuple[Version | None, int, bool, int, Version | None]:
    """:func:`_search` within the project's own ``requirement`` of the package and, when that finds
    nothing, without it: (found, unknown, capped, read, the version that would work outside it)."""
    try:
        spec = SpecifierSet(requirement)
    except InvalidSpecifier:
        spec = SpecifierSet("")
    found, unknown, capped, read = _search(client, name, version, index, blocked, python, abi, extras, spec)
    outside = None
    if found is None and str(spec):
        outside = _search(client, name, version, index, blocked, python, abi, extras, SpecifierSet(""))[0]
    return found, unknown, capped, read, outside


def _search_now(client, name: str, version: str, index: str | None, blocked: set[str], python: str, abi: str,
                extras: set[str], spec: SpecifierSet) -> tuple[Version | None, int, bool, int]:
    by_version = _by_version(client, name, index)
    order = [v for v in _candidates(by_version, Version(version), spec)
             if v != Version(version) and _ready(by_version[v], abi)]
    unknown = read = 0
    for start in range(0, min(len(order), MAX_TRIED), _BATCH):
        batch = order[start:min(start + _BATCH, MAX_TRIED)]
        if len(batch) > 1 and not getattr(client, "offline", False):  # remote metadata: a few at once
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=len(batch)) as pool:
                list(pool.map(lambda v: _quiet_requires(client, name, str(v), index), batch))
        for v in batch:
            reqs = requires_dist(client, name, str(v), index)
            if reqs is None:
                unknown += 1
                continue
            read += 1
            if not requires_any(reqs, blocked, python, extras):
                return v, unknown, False, read
    return None, unknown, len(order) > MAX_TRIED, read


def _quiet_requires(client, name: str, version: str, index: str | None) -> None:
    try:
        requires_dist(client, name, version, index)
    except IndexUnavailable:
        pass  # asked again in order, where the failure is reported


#: metadata files read at once
_BATCH = 4


#: versions of one dependent whose metadata is read at most (nearest first)
MAX_TRIED = 12


def warm(client, dependents: list[tuple[str, str, str | None]], abi: str, requirements: dict[str, str] | None = None,
         workers: int | None = None, pinned: bool = False, candidates: bool = True) -> None:
    """Read ahead, many at once, the Requires-Dist :func:`dependent_moves` will read first for these
    dependents ((name, locked version, index) of the old lock's packages that require a blocker with no
    fix), all in one round: the search after it reads what is kept. With ``pinned``, the locked version's
    own too (:func:`early_moves` reads it first); without ``candidates``, only that one (and the pages)."""
    if getattr(client, "offline", False):
        return
    todo = [(name, version, index) for name, version, index in dependents] if pinned else []
    if hasattr(client, "prefetch"):
        client.prefetch([(name, index) for name, _, index in dependents])
    for name, version, index in dependents if candidates else []:
        current = _version(version)
        try:
            spec = SpecifierSet((requirements or {}).get(canonicalize_name(name), ""))
            by_version = _by_version(client, name, index)
        except (InvalidSpecifier, IndexUnavailable):
            continue
        if current is None:
            continue
        order = [v for v in _candidates(by_version, current, spec) if v != current and _ready(by_version[v], abi)]
        todo += [(name, str(v), index) for v in order[:MAX_TRIED]]
    read_many(client, todo, workers)


def read_many(client, todo: list[tuple[str, str, str | None]], workers: int | None = None) -> None:
    """The Requires-Dist of these (name, version, index), many at once (twice the CPUs, at most 16:
    :func:`~migrate.lock.index.fetch_workers`), kept for the run; a failure is left for the reader."""
    if not todo:
        return
    from concurrent.futures import ThreadPoolExecutor

    from migrate.lock.index import fetch_workers

    with ThreadPoolExecutor(max_workers=min(workers or fetch_workers(16), len(todo))) as pool:
        list(pool.map(lambda t: _quiet_requires(client, *t), todo))


def dependent_moves(entries: list[dict[str, Any]], lock_path: Path, abi: str, python: str, client,
                    requirements: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """For every blocker in ``entries`` with no fix: move the registry packages that require it on
    ``python`` (the target's, ``3.13``) to a version that does not (see the module docstring). Updates
    the dependents' entries in place (``fix``, ``move``, ``fix_reason``, ``for_blocker``, ``groups``, or
    ``dependent_excluded``) and the blocker's (``dependents``); returns the dependents' entries that
    now carry a fix."""
    early = [e for e in entries if "blocker_entries" in e]
    if early:
        _complete_early(entries, early, _raw(lock_path))
    try:
        return _late_moves(entries, lock_path, abi, python, client, requirements)
    finally:
        if early:
            _sort_dependents(entries)


def _complete_early(entries: list[dict[str, Any]], early: list[dict[str, Any]], raw: list[dict]) -> None:
    """The moves :func:`early_moves` found, completed from the lock made with them: where the project
    requires each dependent from, and each blocker's ``dependents`` — on the blocker's entry as the old
    lock judged it (searched for a fix: the same answer) when the target no longer installs it."""
    at = {(canonicalize_name(e["name"]), e["version"]): i for i, e in enumerate(entries)}
    for e in early:
        blockers = e.pop("blocker_entries")
        e["groups"] = _groups(raw, canonicalize_name(e["name"]))
        for b in blockers:
            i = at.get((canonicalize_name(b["name"]), b["version"]))
            if i is None:
                continue  # not in the lock at all: nothing to report on it
            if entries[i]["status"] == "not-on-target":
                entries[i] = dict(b, status="not-on-target")
            entries[i].setdefault("dependents", []).append(f"{e['name']} {e['version']}")


def _sort_dependents(entries: list[dict[str, Any]]) -> None:
    """Each blocker's ``dependents`` in one order (by name, then version), whichever search found them."""
    def key(text: str) -> tuple[str, str]:
        name, _, version = text.rpartition(" ")
        return canonicalize_name(name), version

    for e in entries:
        if e.get("dependents"):
            e["dependents"].sort(key=key)


def _late_moves(entries: list[dict[str, Any]], lock_path: Path, abi: str, python: str, client,
                requirements: dict[str, str] | None) -> list[dict[str, Any]]:
    if client is None:
        return []
    stuck = {canonicalize_name(e["name"]): e for e in entries
             if e.get("status") == "blocker" and not e.get("fix") and not e.get("error")
             and not e.get("runtime")}
    if not stuck:
        return []
    raw = _raw(lock_path)  # parsed once (freethreading.uv_lock_data), whichever asks first
    from migrate.lock.freethreading import _on_target

    on = _on_target(raw, python)
    by_entry = {(canonicalize_name(e["name"]), e["version"]): e for e in entries}
    # dependent (name, version) -> (its package, the blockers it requires on the target, extras asked of it)
    wanted: dict[tuple[str, str], tuple[dict, set[str], set[str]]] = {}
    asked: dict[str, set[str]] = {}
    for p in raw:
        for _, d in _edges(p):
            asked.setdefault(canonicalize_name(str(d["name"])), set()).update(str(x) for x in d.get("extra") or [])
    for p in raw:
        key = (canonicalize_name(str(p["name"])), str(p.get("version", "")))
        if _local(p) or key not in on or _version(key[1]) is None:
            continue
        for _, d in _edges(p):
            dep = canonicalize_name(str(d["name"]))
            if dep in stuck and _dep_may_hold(d, python):
                wanted.setdefault(key, (p, set(), asked.get(key[0], set())))[1].add(dep)
    out = []
    for (name, version), (pkg, blocked, extras) in sorted(wanted.items()):
        entry = by_entry.get((name, version))
        if entry is None or entry.get("fix"):
            continue
        index = _index_of(pkg, lock_path)
        groups = _groups(raw, name)
        for b in blocked:
            stuck[b].setdefault("dependents", []).append(f"{entry['name']} {version}")
        raw_spec = (requirements or {}).get(name, "")
        try:
            found, unknown, capped, read, outside = _search_within(client, name, version, index, blocked, python,
                                                                   abi, extras, raw_spec)
        except IndexUnavailable as exc:
            entry["dependent_error"] = str(exc)
            continue
        entry["for_blocker"] = sorted(blocked)
        entry["groups"] = groups
        if found is None:
            if outside is not None:
                entry["dependent_excluded"] = {"constraint": raw_spec, "first": str(outside)}
            else:
                if unknown:
                    entry["dependent_unknown"] = unknown
                if capped:
                    entry["dependent_tried"] = MAX_TRIED
                entry["dependent_read"] = read
            continue
        _move(entry, version, found, blocked, abi)
        out.append(entry)
    return out


def _move(entry: dict[str, Any], version: str, found: Version, blocked: set[str], abi: str) -> None:
    """``entry`` (a dependent locked at ``version``) moves to ``found``, which requires none of ``blocked``."""
    current = Version(version)
    direction = "downgrade" if found < current else "upgrade"
    entry["fix"] = f"{entry['name']}=={found}"
    entry["move"] = {"to": str(found), "direction": direction, "major": found.major != current.major}
    nearest = "the newest" if direction == "downgrade" else "the nearest newer one"
    entry["fix_reason"] = (f"free-threading: {entry['name']} {version} requires {_names(sorted(blocked))}, which "
                           f"{_has(sorted(blocked))} no {abi} build in any version; {found} is {nearest} "
                           "without it")


def early_moves(pins, stuck: list[dict[str, Any]], abi: str, python: str, client,
                requirements: dict[str, str] | None = None, asked: dict[str, set[str]] | None = None,
                indexes: set[str] = frozenset(), exclude: set[str] = frozenset()) -> list[dict[str, Any]]:
    """The dependents' moves that can be known BEFORE uv resolves, as the blockers' fixes are
    (:func:`~migrate.lock.freethreading.preassess`): ``stuck`` are the old lock's blockers with no fix;
    the old lock's pins that depend on one (poetry.lock names each pin's dependencies) and whose own
    Requires-Dist, at the pinned version, requires it on ``python`` with the extras the project and the
    lock ask of them (``asked``), are searched as :func:`dependent_moves` searches a uv.lock package.
    Returns the dependents' entries that move (as :func:`dependent_moves` makes them, plus
    ``blocker_entries``: the blockers' entries, which the first lock may no longer install on the target;
    :func:`dependent_moves` completes them from that lock). A dependent whose search finds no version is
    left to :func:`dependent_moves`, which reports it from the lock uv makes. ``exclude``: packages that
    move for a fix of their own (as there, a package with a fix is not searched as a dependent)."""
    from migrate.lock.freethreading import assess, judged_pins

    if client is None or not stuck:
        return []
    by_name = {canonicalize_name(e["name"]): e for e in stuck}
    requires = {(canonicalize_name(p.name), p.version): set(p.requires) for p in pins}
    skip = set(by_name) | set(exclude)
    todo = [pkg for pkg in judged_pins(pins, python)
            if canonicalize_name(pkg.name) not in skip
            and requires.get((canonicalize_name(pkg.name), pkg.version), set()) & set(by_name)
            and _version(pkg.version) is not None and (pkg.index is None or pkg.index.rstrip("/") in indexes)]

    def one(pkg) -> dict[str, Any] | None:
        cname = canonicalize_name(pkg.name)
        extras = set((asked or {}).get(cname, set()))
        try:
            reqs = requires_dist(client, pkg.name, pkg.version, pkg.index)
            blocked = requires_any(reqs, set(by_name), python, extras) if reqs is not None else set()
            if not blocked:
                return None
            # the same searches as after the lock (kept: that one reads their answers)
            found = _search_within(client, pkg.name, pkg.version, pkg.index, blocked, python, abi, extras,
                                   (requirements or {}).get(cname, ""))[0]
        except IndexUnavailable:
            return None  # the search after the first resolution asks again, and reports the failure
        if found is None:
            return None  # reported from the lock uv makes (:func:`dependent_moves` reads what this read)
        entry = assess([pkg], abi, client, requirements, fix=False)[0]
        entry["for_blocker"] = sorted(blocked)
        _move(entry, pkg.version, found, blocked, abi)
        entry["blocker_entries"] = [dict(by_name[b]) for b in sorted(blocked)]
        return entry

    # what the searches read, read at once (an index answers many at once); then they read what is kept
    warm(client, [(pkg.name, pkg.version, pkg.index) for pkg in todo], abi, requirements, pinned=True)
    return [e for e in map(one, todo) if e is not None]


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _dep_may_hold(dep: dict, python: str) -> bool:
    marker = str(dep.get("marker", ""))
    if not marker:
        return True
    try:
        return _may_hold(Marker(marker), python, frozenset())
    except InvalidMarker:
        return True


def _index_of(pkg: dict, lock_path: Path) -> str | None:
    source = pkg.get("source") if isinstance(pkg.get("source"), dict) else {}
    index = source.get("registry") if isinstance(source.get("registry"), str) else None
    if index and "://" not in index:
        index = str((lock_path.parent / index).resolve())
    return index


def is_dependent_fix(entry: dict[str, Any]) -> bool:
    """An entry whose fix is a dependent's move (applied like a blocker's)."""
    return bool(entry.get("for_blocker") and entry.get("fix"))


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" and {names[-1]}"


def _has(names: list[str]) -> str:
    return "has" if len(names) == 1 else "have"


def _where(entry: dict[str, Any]) -> str:
    groups = ["the project's dependencies" if g == "main" else g for g in entry.get("groups") or []]
    return f" (required from: {', '.join(groups)})" if groups else ""


def dependent_warnings(entries: list[dict[str, Any]], abi: str, path: str = "uv.lock") -> list[Diagnostic]:
    """MIG247 (a dependent moved, or would, to drop a blocker), MIG248 (the project's own requirement
    excludes every version without it), MIG249 (every version the project admits requires it)."""
    out: list[Diagnostic] = []
    for e in entries:
        if not e.get("for_blocker"):
            continue
        name, version, names = e["name"], e["version"], _names(e["for_blocker"])
        if e.get("fix"):
            resolved = "does not resolve" not in e["fix"]
            verb = ("moved" if e.get("status") in ("upgraded", "downgraded") else "would move") if resolved \
                else "could not move"
            out.append(Diagnostic(
                "MIG247", f"{name} {version} requires {names}, which {_has(e['for_blocker'])} no {abi} build in "
                f"any version: {name} "
                f"{verb} to {e['move']['to']} on the target (the nearest version without it){_where(e)}"
                + ("" if resolved else f"; {e['fix'].split(' ', 1)[1]}")
                + ("; it is a major version change: check its changelog" if e["move"].get("major") else ""),
                path=path, key=name))
        elif e.get("dependent_excluded"):
            ex = e["dependent_excluded"]
            out.append(Diagnostic(
                "MIG248", f"{name} {version} requires {names}, which {_has(e['for_blocker'])} no {abi} build in "
                f"any version; the "
                f"project requires {name}{ex['constraint']}, which excludes every version without it; "
                f"{ex['first']} would work: widen the requirement{_where(e)}", path=path, key=name))
        else:
            unknown, tried = e.get("dependent_unknown"), e.get("dependent_tried")
            which = f"none of the {tried} nearest versions of {name} with ready files drops it" if tried else \
                f"no other version of {name} with ready files drops it"
            if unknown and not e.get("dependent_read"):
                which = f"whether another version of {name} drops it is not known"
            out.append(Diagnostic(
                "MIG249", f"{name} {version} requires {names}, which {_has(e['for_blocker'])} no {abi} build in "
                f"any version, and {which}{_where(e)}"
                + (f" ({unknown} versions' metadata could not be read)" if unknown else ""), path=path, key=name))
    return out
