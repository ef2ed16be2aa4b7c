"""A remote wheel's METADATA read by HTTP range requests (``lock/dependents.py``,
``_remote_wheel_requires``): an index without PEP 658 metadata files (this machine's PyPI mirror) made
the dependents' search download every candidate wheel whole (57 MB for qdrant-client's)."""

from __future__ import annotations

import re
import zipfile

import pytest

from localhttp import QuietHandler, base_url, serve
from wheelhouse import build_wheel

from migrate.lock import dependents


def served(data: bytes, ranges: str):
    """A server for one file ``/w.whl``: ``ranges`` is "yes" (206 answers), "ignore" (200 with the whole
    file) or "refuse" (416 for any range); its requests are listed on ``server.seen``."""
    seen: list[str | None] = []

    class Handler(QuietHandler):
        def do_GET(self):
            want = self.headers.get("Range")
            seen.append(want)
            m = re.fullmatch(r"bytes=(\d+)-(\d+)", want or "")
            if m and ranges == "refuse":
                self.send_response(416)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if m and ranges == "yes":
                first, last = int(m.group(1)), min(int(m.group(2)), len(data) - 1)
                body = data[first:last + 1]
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {first}-{last}/{len(data)}")
            else:
                body = data
                self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = serve(Handler)
    server.seen = seen
    return server


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> bytes:
    """A wheel with a big module first and its .dist-info last (as wheels are written)."""
    folder = tmp_path_factory.mktemp("rangewheel")
    path = build_wheel(folder, "big", "1.0", "py3-none-any", ["helper>=1", "other; python_version < '3.11'"])
    with zipfile.ZipFile(path) as zf:
        members = [(i, zf.read(i)) for i in zf.infolist()]
    import os

    with zipfile.ZipFile(path, "w") as zf:  # the payload first, incompressible
        zf.writestr(zipfile.ZipInfo("big/payload.bin"), os.urandom(300_000))
        for info, data in members:
            zf.writestr(info, data)
    return path.read_bytes()


@pytest.mark.parametrize("tail, ranges, requests", [
    (4096, "yes", 1),       # the last bytes hold the directory and METADATA
    (300, "yes", 3),        # the directory starts before them, and the member before it: asked for next
    (4096, "ignore", 1),    # the server answers with the whole file: read as it is
    (4096, "refuse", 2),    # the server refuses ranges: the whole wheel (small enough)
])
def test_metadata_by_ranges_reads_what_zipfile_reads(wheel, monkeypatch, tail, ranges, requests):
    monkeypatch.setattr(dependents, "_TAIL", tail)
    server = served(wheel, ranges)
    try:
        found = dependents._remote_wheel_requires(f"{base_url(server)}/w.whl", len(wheel), 10)
    finally:
        server.shutdown()
    assert found == ["helper>=1", "other; python_version < '3.11'"]
    assert len(server.seen) == requests
    if ranges == "yes":  # never the whole file
        assert all(r and r.startswith("bytes=") for r in server.seen)
        assert server.seen[0] == f"bytes={len(wheel) - tail}-{len(wheel) - 1}"


def test_a_big_wheel_from_a_server_that_ignores_ranges_is_not_read_whole(wheel, monkeypatch):
    monkeypatch.setattr(dependents, "_TAIL", 4096)
    from migrate.lock import index

    monkeypatch.setattr(dependents, "_WHEEL_LIMIT", len(wheel) - 1)  # as a 100 MB wheel against 5 MB
    monkeypatch.setattr(index, "WHOLE_ANSWER_LIMIT", len(wheel) - 1)
    server = served(wheel, "ignore")
    try:
        assert dependents._remote_wheel_requires(f"{base_url(server)}/w.whl", len(wheel), 10) is None
    finally:
        server.shutdown()
    assert len(server.seen) == 1  # the answer's body was left unread, and the wheel not asked for again


def test_a_small_wheel_is_read_whole_in_one_request(wheel, monkeypatch):
    monkeypatch.setattr(dependents, "_TAIL", len(wheel))
    server = served(wheel, "yes")
    try:
        assert dependents._remote_wheel_requires(f"{base_url(server)}/w.whl", len(wheel), 10)[0] == "helper>=1"
    finally:
        server.shutdown()
    assert server.seen == [None]


def test_metadata_at_a_files_last_bytes_agrees_with_the_whole_file(wheel):
    whole = dependents._metadata_member(wheel)
    assert whole is not None and b"Requires-Dist: helper>=1" in whole
    for cut in range(0, len(wheel), 997):
        found = dependents._metadata_at(wheel[cut:], cut)
        if isinstance(found, int):  # needs bytes from an earlier offset: with them, the same answer
            assert 0 <= found < cut
            assert dependents._metadata_at(wheel[found:], found) == whole
        else:
            assert found == whole, cut
