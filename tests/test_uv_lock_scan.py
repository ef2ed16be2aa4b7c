"""The fast uv.lock reading (``freethreading.scan_uv_lock``) against ``tomllib``: the same document, or
None (then the lock stage reads it with tomllib) — on real uv.lock files and on edited copies."""

from __future__ import annotations

import random
import re
import tomllib
from pathlib import Path

import pytest

from migrate.lock.freethreading import read_uv_lock, scan_uv_lock

REPO = Path(__file__).resolve().parent.parent
LOCKS = sorted(p for p in REPO.rglob("uv.lock") if ".venv" not in p.parts)


def _agrees(text: str) -> dict | None:
    fast = scan_uv_lock(text)
    if fast is not None:
        assert fast == tomllib.loads(text)
    return fast


@pytest.mark.parametrize("lock", LOCKS, ids=[str(p.relative_to(REPO)) for p in LOCKS])
def test_real_uv_locks_read_fast_and_the_same(lock):
    assert _agrees(lock.read_text(encoding="utf-8")) is not None  # uv's own layout: always the fast way


def _edits(text: str, rng: random.Random) -> str:
    lines = text.split("\n")
    wheel_lines = [i for i, line in enumerate(lines) if line.startswith("    { url = ") and line.endswith("},")]
    for i in rng.sample(wheel_lines, k=min(3, len(wheel_lines))):
        choice = rng.randrange(8)
        line = lines[i]
        if choice == 0:
            line = line.replace("{ url = ", "{ path = ", 1)  # a --find-links wheel
        elif choice == 1:
            line = line.replace("{ url = ", '{ filename = "x-1.0-py3-none-any.whl", url = ', 1)
        elif choice == 2:
            line = line.replace(".whl", "\\u002ewhl", 1)  # an escape: declined
        elif choice == 3:
            line = line.replace(", size = ", ",size = ", 1)  # another spacing: declined
        elif choice == 4:
            line = line.replace(" },", ", yanked = true },", 1)  # a boolean: declined
        elif choice == 5:
            line = line.replace("{ url = ", "{ url = 'x', u = ", 1)  # a literal string: declined
        elif choice == 6:
            line = line[:-1]  # the last entry without its comma: declined (valid TOML)
        else:
            line = line.replace("hash = ", "hash  =  ", 1)
        lines[i] = line
    out = "\n".join(lines)
    if rng.random() < 0.3:
        out = re.sub(r"^wheels = \[\n(    \{[^\n]*\},\n)*\]$", "wheels = []", out, count=1, flags=re.M)
    return out


@pytest.mark.parametrize("seed", range(40))
def test_edited_uv_locks_read_the_same_or_are_declined(seed):
    if not LOCKS:
        pytest.skip("no uv.lock")
    rng = random.Random(seed)
    text = LOCKS[seed % len(LOCKS)].read_text(encoding="utf-8")
    _agrees(_edits(text, rng))


def test_read_uv_lock_is_the_same_either_way(tmp_path, monkeypatch):
    import migrate.lock.freethreading as ft

    lock = tmp_path / "uv.lock"
    lock.write_text(LOCKS[0].read_text(encoding="utf-8"))
    fast = read_uv_lock(lock, "3.13")
    monkeypatch.setattr(ft, "scan_uv_lock", lambda text: None)
    assert fast == read_uv_lock(lock, "3.13") and fast


@pytest.mark.parametrize("fixture", ["lock-poetry", "lock-pipenv"])
def test_locks_uv_writes_from_local_wheel_folders_read_the_same(fixture, tmp_path, monkeypatch):
    """uv.lock files as the lock stage makes them (a --find-links folder: ``path``/``url`` entries)."""
    import shutil

    from conftest import FIXTURES, run_migrate
    from wheelhouse import demo_wheelhouse

    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "cache"))
    wheels = demo_wheelhouse(tmp_path / "wheels")
    root = tmp_path / "app"
    shutil.copytree(FIXTURES / fixture, root)
    proc = run_migrate("run", str(root), "--offline", "--find-links", str(wheels), "--no-codemods", "--allow-dirty")
    assert proc.returncode == 0, proc.stderr + proc.stdout
    assert _agrees((root / "uv.lock").read_text(encoding="utf-8")) is not None
