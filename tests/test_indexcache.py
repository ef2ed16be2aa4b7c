"""Index answers kept on disk for a short while (lock/indexcache.py): a second command does not ask
the index again; failures, credentials and old answers are never served from it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from test_pipenv_files import LocalIndex, sha256, wheels  # noqa: F401 (fixture)

from migrate.lock import indexcache
from migrate.lock.index import HASHES, PAGES, IndexClient, IndexUnavailable


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "index-cache"
    monkeypatch.setenv("MIGRATE_INDEX_CACHE_DIR", str(folder))
    monkeypatch.setenv("MIGRATE_INDEX_CACHE_TTL", "600")
    PAGES.clear()
    yield folder
    PAGES.clear()


def test_a_second_run_reads_the_page_from_disk_with_its_hashes(cache, wheels):  # noqa: F811
    served = LocalIndex(wheels, "json")
    try:
        first = IndexClient(index_urls=[served.url]).files("nativeft")
        assert not list(cache.glob("*.json"))  # written while uv works (or at exit), not while pages are read
        indexcache.flush()
        assert served.asked == ["nativeft"] and len(list(cache.glob("*.json"))) == 1
        PAGES.clear()  # a new process: nothing in memory
        assert not HASHES
        client = IndexClient(index_urls=[served.url])
        assert client.files("nativeft") == first and served.asked == ["nativeft"]  # not asked again
        wheel = wheels / "nativeft-1.1-cp313-cp313t-manylinux_2_17_x86_64.whl"
        assert client.hashes("nativeft", only={wheel.name}) == {wheel.name: sha256(wheel)}
        # a 404 is an answer too
        assert IndexClient(index_urls=[served.url]).files("missing") == []
        indexcache.flush()
        assert indexcache.load(served.url, "missing") == ([], {})
    finally:
        served.close()


def test_old_answers_and_a_zero_ttl_are_not_used(cache, wheels, monkeypatch):  # noqa: F811
    served = LocalIndex(wheels, "json")
    try:
        IndexClient(index_urls=[served.url]).files("alpha")
        indexcache.flush()
        (entry,) = cache.glob("*.json")
        data = json.loads(entry.read_text())
        data["stored"] = time.time() - 601
        entry.write_text(json.dumps(data))
        PAGES.clear()
        IndexClient(index_urls=[served.url]).files("alpha")
        assert served.asked == ["alpha", "alpha"]
        PAGES.clear()
        monkeypatch.setenv("MIGRATE_INDEX_CACHE_TTL", "0")
        IndexClient(index_urls=[served.url]).files("alpha")
        assert served.asked == ["alpha", "alpha", "alpha"]
    finally:
        served.close()


def test_unreadable_or_foreign_files_are_ignored(cache):
    url = "https://example.invalid/simple"
    indexcache.store(url, "x", ["x-1-py3-none-any.whl"], {"x-1-py3-none-any.whl": "ab" * 32})
    assert indexcache.load(url, "x") == (["x-1-py3-none-any.whl"], {"x-1-py3-none-any.whl": "ab" * 32})
    (entry,) = cache.glob("*.json")
    entry.write_text("{not json")
    assert indexcache.load(url, "x") is None
    entry.write_text(json.dumps({"url": "https://other/simple", "name": "x", "stored": time.time(), "files": []}))
    assert indexcache.load(url, "x") is None


def test_credentials_and_failures_never_reach_the_disk(cache):
    indexcache.store("https://user:secret@private.example/simple", "x", ["x-1.tar.gz"], {})
    assert not cache.exists() or not list(cache.iterdir())
    client = IndexClient(index_urls=["http://127.0.0.1:9/simple"])  # nothing listens there
    with pytest.raises(IndexUnavailable):
        client.files("alpha")
    indexcache.flush()
    assert not cache.exists() or not list(cache.glob("*.json"))


def test_concurrent_writers_leave_whole_files(cache):
    """Several processes store the same answer at once (a batch's projects): every read sees a whole file."""
    url, files = "https://example.invalid/simple", [f"x-{i}-py3-none-any.whl" for i in range(2000)]
    code = ("import sys; from migrate.lock import indexcache\n"
            f"for _ in range(20): indexcache.store({url!r}, 'x', {files!r}, {{}})\n")
    env = dict(os.environ, MIGRATE_INDEX_CACHE_DIR=str(cache), MIGRATE_INDEX_CACHE_TTL="600")
    procs = [subprocess.Popen([sys.executable, "-c", code], env=env) for _ in range(4)]
    seen = 0
    while any(p.poll() is None for p in procs):
        hit = indexcache.load(url, "x")
        if hit is not None:
            assert hit[0] == files
            seen += 1
    assert all(p.wait() == 0 for p in procs)
    assert indexcache.load(url, "x")[0] == files
    assert not list(cache.glob(".*.tmp"))


def test_answers_kept_for_later_are_written_by_the_exit_of_the_process(cache, wheels):  # noqa: F811
    """Answers are written while uv resolves (lock stage) or, whatever is left, when the process ends."""
    served = LocalIndex(wheels, "json")
    try:
        code = ("from migrate.lock.index import IndexClient\n"
                f"IndexClient(index_urls=[{served.url!r}]).files('nativeft')\n")
        env = dict(os.environ, MIGRATE_INDEX_CACHE_DIR=str(cache), MIGRATE_INDEX_CACHE_TTL="600")
        assert subprocess.run([sys.executable, "-c", code], env=env).returncode == 0
        assert served.asked == ["nativeft"]
        files, hashes = indexcache.load(served.url, "nativeft")
        wheel = wheels / "nativeft-1.1-cp313-cp313t-manylinux_2_17_x86_64.whl"
        assert wheel.name in files and hashes[wheel.name] == sha256(wheel)
    finally:
        served.close()


def test_index_requests_look_an_address_up_once_and_one_at_a_time(wheels, monkeypatch):  # noqa: F811
    """Pages are fetched many at once; some resolvers drop concurrent queries (the C library retries
    after 5 s): the opener asks for each host's address once, one lookup at a time."""
    import socket
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import migrate.lock.index as index

    served = LocalIndex(wheels, "json")
    host, port = served.url.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)
    lookups, inside, most = [], [0], [0]
    real = socket.getaddrinfo
    guard = threading.Lock()

    def counted(*args, **kwargs):
        with guard:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        try:
            lookups.append(args[:2])
            return real(*args, **kwargs)
        finally:
            with guard:
                inside[0] -= 1

    monkeypatch.setattr(socket, "getaddrinfo", counted)
    monkeypatch.setattr(index, "_ADDRESSES", {})
    PAGES.clear()
    try:
        client = IndexClient(index_urls=[served.url])
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(client.files, ["nativeft", "alpha", "missing", "nativeft"] * 2))
        assert lookups == [(host, int(port))] and most[0] == 1
    finally:
        PAGES.clear()
        served.close()
