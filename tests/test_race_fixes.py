"""Race tests for the fix shapes of issue 15, with real threads, on this Python and (MIGRATE_FT_PYTHON)
a free-threaded 3.13t: unique ids when the update and the read of the new value are one critical
section; no half-filled object published by a lazy initialisation; one object per key when the value is
computed outside any lock and published with ``setdefault``; and no deadlock when a registry imports a
plugin that calls back into the registry from another thread (a naive lock deadlocks there)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import FIXTURES, run_migrate

FT_PYTHON = os.environ.get("MIGRATE_FT_PYTHON")
INTERPRETERS = [sys.executable] + ([FT_PYTHON] if FT_PYTHON else [])
ENV = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
SHAPES = FIXTURES / "race_fixes"


def shapes(python: str, folder) -> dict[str, int]:
    proc = subprocess.run([python, str(SHAPES / "run_fix_shapes.py"), str(folder)], capture_output=True,
                          text=True, timeout=300, env=ENV)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def fixed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("race_fixes")
    shutil.copytree(SHAPES, folder, dirs_exist_ok=True)
    proc = run_migrate("check", str(folder), "--fix")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return folder


def test_free_threaded_interpreter_is_used_when_given():
    if not FT_PYTHON:
        pytest.skip("MIGRATE_FT_PYTHON is not set: the race tests run on this (GIL) Python only")
    out = subprocess.run([FT_PYTHON, "-c", "import sys; print(sys._is_gil_enabled())"], capture_output=True,
                         text=True, timeout=60)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("python", INTERPRETERS)
def test_unfixed_shapes_race(python):
    before = shapes(python, SHAPES)  # the test can fail: every shape really races unfixed
    assert len(before) == 5 and all(v > 0 for v in before.values()), before


def test_fixes_have_the_expected_shape(fixed):
    source = (fixed / "fix_shapes.py").read_text()
    assert "        with Widget._counter_lock:\n            Widget.counter += 1\n" in source
    assert "            self.id = Widget.counter\n" in source  # the read is inside the lock
    assert "        return _tickets\n" in source and "    with _settings_lock:\n        if _settings is None:" in source
    assert "_handlers.setdefault(name, factory(name))" in source  # no lock around the passed-in call
    assert "import time\nimport threading\n" not in source and "import threading\nimport time\n" in source
    # the other functions that delete from or check-then-read the same dict take its lock too
    assert "    with _sessions_lock:\n        if key in _sessions:" in source
    assert "        with _sessions_lock:\n            del _sessions[key]" in source
    assert "        return _sessions[key]\n" in source  # the read after the act is inside


@pytest.mark.parametrize("python", INTERPRETERS)
def test_fixed_shapes_do_not_race(python, fixed):
    for _ in range(3):
        after = shapes(python, fixed)
        assert after and all(v == 0 for v in after.values()), after


def _load(python: str, folder) -> str:
    """Run the registry scenario; "deadlock" when it does not finish in 20 s."""
    try:
        proc = subprocess.run([python, str(folder / "main.py"), str(folder)], capture_output=True, text=True,
                              timeout=20, env=ENV)
    except subprocess.TimeoutExpired:
        return "deadlock"
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_a_naive_lock_deadlocks_the_plugin_registry(tmp_path):
    # what a lock around the check-then-act (the fix before issue 15) does to this module
    shutil.copytree(SHAPES / "deadlock", tmp_path, dirs_exist_ok=True)
    registry = tmp_path / "registry.py"
    text = registry.read_text()
    text = text.replace("import importlib\n", "import importlib\nimport threading\n_lock = threading.RLock()\n")
    text = text.replace("    if name not in _plugins:\n        _plugins[name] = importlib.import_module(name)\n",
                        "    with _lock:\n        if name not in _plugins:\n"
                        "            _plugins[name] = importlib.import_module(name)\n")
    registry.write_text(text)
    assert _load(sys.executable, tmp_path) == "deadlock"


@pytest.mark.parametrize("python", INTERPRETERS)
def test_the_fixed_plugin_registry_does_not_deadlock(python, fixed):
    source = (fixed / "deadlock" / "registry.py").read_text()
    # an import is equal-value (an info note, never a lock); no lock is held across it either way
    assert "Lock" not in source
    assert _load(python, fixed / "deadlock") == "done"


def test_line_numbers_stay_where_a_module_reads_frames(tmp_path):
    # pyparsing's case: a module that computes line offsets from traceback.extract_stack gets no new line
    source = (
        "import traceback\n"
        "_depth = 0\n"
        "def enter():\n"
        "    global _depth\n"
        "    _depth += 1\n"
        "def here():\n"
        "    return traceback.extract_stack(limit=2)[-2].lineno + 1  # the line after the call\n"
    )
    (tmp_path / "frames.py").write_text(source)
    proc = run_migrate("check", str(tmp_path), "--fix")
    assert (tmp_path / "frames.py").read_text() == source
    assert "not fixed: the module reads line numbers or frames" in proc.stdout
