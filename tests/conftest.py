"""Shared test helpers."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

# index answers are not kept on disk across tests (local index servers reuse ports with other pages);
# tests of that cache turn it on with a folder of their own
os.environ.setdefault("MIGRATE_INDEX_CACHE_TTL", "0")
# the early blocker-dependent search (a head start the lock stage falls back from) raises in tests
os.environ.setdefault("MIGRATE_TEST_STRICT", "1")

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
CORPUS = REPO.parent / "shared" / "corpus"


def tree_digest(root: Path) -> dict[str, str]:
    """path -> sha256 of every file under root (to assert a tree is byte-identical)."""
    out = {}
    for p in sorted(Path(root).rglob("*")):
        if p.is_file() and ".git" not in p.parts:
            out[p.relative_to(root).as_posix()] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def run_migrate(*args: str, cwd: Path | None = None, env: dict | None = None, input: str | None = None):
    """Run the real CLI in a subprocess (``python -m migrate``); returns CompletedProcess (text)."""
    full_env = dict(os.environ)
    full_env.pop("FORCE_COLOR", None)
    full_env["NO_COLOR"] = "1"
    full_env["COLUMNS"] = "200"
    if env:
        full_env.update(env)
    return subprocess.run(
        [sys.executable, "-m", "migrate", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        input=input,
        timeout=600,
    )


@pytest.fixture
def migrate_cli():
    return run_migrate


@pytest.fixture(scope="module")
def wheels(tmp_path_factory) -> Path:
    """The demo wheel folder (:func:`wheelhouse.demo_wheelhouse`), built once per test module; a module
    that needs other wheels defines its own ``wheels``."""
    from wheelhouse import demo_wheelhouse

    return demo_wheelhouse(tmp_path_factory.mktemp("wheels"))


@pytest.fixture
def shared_uv_cache(tmp_path_factory, monkeypatch):
    """uv's cache in the run's base temporary folder: shared by the tests of a run, never the user's.
    Modules that run uv use it with ``pytestmark = pytest.mark.usefixtures("shared_uv_cache")``."""
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "uv-cache"))
