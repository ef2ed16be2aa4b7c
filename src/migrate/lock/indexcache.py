"""Index answers on disk, for a short while: a second ``migrate`` command (``run --dry-run``, then ``run``;
``deps`` after ``run``) does not ask the index again for the pages the first one read.

* Where: ``$MIGRATE_INDEX_CACHE_DIR``, else ``$XDG_CACHE_HOME/uv-migrate/index`` (``~/.cache/...``): our own
  folder, never uv's cache (its layout is uv's business).
* How long: ``$MIGRATE_INDEX_CACHE_TTL`` seconds, default 600 — what PyPI's simple pages say
  (``Cache-Control: max-age=600``), so an answer is never older than a client honouring PyPI's own
  headers would use; ``0`` turns the cache off.
* What: only answers (a project page's file names and sha256, or "no such project": HTTP 404); an index
  that could not answer is never stored (:class:`~migrate.lock.index.IndexUnavailable` is raised and the
  next run asks again). Only ``http``/``https`` indexes without credentials in the URL: a private index
  reached with ``user:password@`` is not written to disk.
* Safety: one JSON file per (index URL, project), named by a hash of both; written to a temporary file and
  renamed (concurrent runs of a batch never read half a file); anything unreadable, too old, or for
  another key is ignored; a folder that cannot be written leaves the cache off for that answer.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_TTL = 600.0


def ttl() -> float:
    try:
        return max(0.0, float(os.environ.get("MIGRATE_INDEX_CACHE_TTL", DEFAULT_TTL)))
    except ValueError:
        return DEFAULT_TTL


def folder() -> Path:
    explicit = os.environ.get("MIGRATE_INDEX_CACHE_DIR")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "uv-migrate" / "index"


def _cacheable(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and not parts.username and not parts.password


def _path(url: str, name: str) -> Path:
    return folder() / (hashlib.sha256(f"{url}\0{name}".encode()).hexdigest()[:40] + ".json")


def load(url: str, name: str) -> tuple[list[str], dict[str, str]] | None:
    """(file names, {file name: sha256}) stored for ``url``'s page of ``name`` less than :func:`ttl`
    seconds ago, else None."""
    limit = ttl()
    if not limit or not _cacheable(url):
        return None
    try:
        data = json.loads(_path(url, name).read_text(encoding="utf-8"))
        if data.get("url") != url or data.get("name") != name:
            return None
        age = time.time() - float(data["stored"])
        if not 0 <= age < limit:
            return None
        files = [str(f) for f in data["files"]]
        hashes = {str(k): str(v) for k, v in data.get("hashes", {}).items()}
        return files, hashes
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


_PENDING: list[tuple[str, str, list[str], object, Path]] = []
_PENDING_LOCK = threading.Lock()
_FLUSHING: list = []


def store_later(url: str, name: str, files: list[str], hashes) -> None:
    """Keep an answer when :func:`flush` runs (``hashes()`` gives its hashes then): writing a big page
    costs as much CPU as reading it, so the lock stage writes them while uv resolves, and whatever is
    left is written at exit."""
    if not ttl() or not _cacheable(url):
        return
    with _PENDING_LOCK:
        if not _PENDING and not _FLUSHING:
            import atexit

            atexit.register(_at_exit)
        _PENDING.append((url, name, list(files), hashes, _path(url, name)))  # the folder as set now


def flush() -> None:
    """Write the answers :func:`store_later` kept."""
    while True:
        with _PENDING_LOCK:
            if not _PENDING:
                return
            url, name, files, hashes, target = _PENDING.pop(0)
        store(url, name, files, hashes(), target)


def flush_in_background() -> None:
    """:func:`flush` in a daemon thread (the lock stage calls it when uv starts resolving)."""
    with _PENDING_LOCK:
        if not _PENDING:
            return
        thread = threading.Thread(target=flush, daemon=True)
        _FLUSHING.append(thread)
    thread.start()


def _at_exit() -> None:
    for thread in list(_FLUSHING):
        thread.join()
    flush()


def store(url: str, name: str, files: list[str], hashes: dict[str, str], target: Path | None = None) -> None:
    """Keep an answer (quietly does nothing when the cache is off or cannot be written)."""
    if not ttl() or not _cacheable(url):
        return
    target = target or _path(url, name)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                # one string from the C encoder: json.dump encodes chunk by chunk in Python (a big
                # page's 15,000 files took ~0.1 s of CPU, while uv resolves)
                fh.write(json.dumps({"url": url, "name": name, "stored": time.time(), "files": list(files),
                                     "hashes": dict(hashes)}))
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        return
