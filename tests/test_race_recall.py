"""Race tests for the newer rules and extensions (issue 15, recall), with real threads: each unsafe shape
of `fixtures/race_recall/recall_state.py` really fails (lost updates, KeyError, RuntimeError, ValueError —
or a crash of the free-threaded 3.13.0, counted as a failure); after `migrate check --fix` the fixable
shapes never fail; for report-only rules, the code written as the message advises never fails.
With MIGRATE_FT_PYTHON set they run on that free-threaded interpreter too."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import FIXTURES, run_migrate

FOLDER = FIXTURES / "race_recall"
FT = os.environ.get("MIGRATE_FT_PYTHON")
INTERPRETERS = [pytest.param(sys.executable, id="gil"),
                pytest.param(FT, id="free-threaded", marks=pytest.mark.skipif(
                    not FT, reason="MIGRATE_FT_PYTHON not set: no free-threaded interpreter to race on"))]
FIXABLE = ["FT001 semaphore", "FT002 tuple", "FT003/FT007 OrderedDict", "FT012 shared generator"]
REPORTED = ["FT009 comprehension", "FT010 check-then-read", "FT011 del from two"]
ADVICE = ["FT009 advice", "FT010 advice", "FT011 advice"]


def failures(python: str, folder, shape: str) -> int:
    """Failures of one shape (its own process: a segmentation fault counts as one failure)."""
    proc = subprocess.run([python, str(FOLDER / "run_recall.py"), str(folder), shape], capture_output=True,
                          text=True, timeout=600, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    if proc.returncode < 0 or proc.returncode == 139:
        return 1  # the interpreter crashed (free-threaded 3.13.0: concurrent next() / OrderedDict)
    assert proc.returncode == 0, proc.stderr
    (count,) = json.loads(proc.stdout).values()
    return count


@pytest.fixture(scope="module")
def fixed_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("recall")
    shutil.copy(FOLDER / "recall_state.py", folder)
    proc = run_migrate("check", str(folder), "--fix")
    assert proc.returncode == 1, proc.stdout + proc.stderr  # the report-only findings remain
    return folder


def test_every_unsafe_shape_is_found_and_no_advised_form_is():
    found = json.loads(run_migrate("check", str(FOLDER / "recall_state.py"), "--format", "json").stdout)
    source = (FOLDER / "recall_state.py").read_text().splitlines()
    where = {(f["code"], source[f["line"] - 1].strip()) for f in found}
    assert where == {
        ("FT001", "n = total"), ("FT002", 'n, spent = stats.get("k", (0, 0))'), ("FT003", "if key in lru:"),
        ("FT007", "if lru:"), ("FT009", "return [n for n in handlers]"), ("FT010", "if key in cache:"),
        ("FT011", "del pending[rid]"), ("FT012", "ident = next(_ids)"),
    }
    assert {f["code"] for f in found if f["fixable"]} == {"FT001", "FT002", "FT003", "FT007", "FT012"}


@pytest.mark.parametrize("python", INTERPRETERS)
@pytest.mark.parametrize("shape", FIXABLE + REPORTED)
def test_unsafe_shape_fails(python, shape):
    # the test can fail: unpatched, every shape loses updates, raises or crashes (retried: it is a race)
    assert any(failures(python, FOLDER, shape) > 0 for _ in range(3))


@pytest.mark.parametrize("python", INTERPRETERS)
@pytest.mark.parametrize("shape", ADVICE)
def test_advised_form_never_fails(python, shape):
    assert failures(python, FOLDER, shape) == 0


@pytest.mark.parametrize("python", INTERPRETERS)
@pytest.mark.parametrize("shape", FIXABLE)
def test_fixed_shape_never_fails(python, shape, fixed_folder):
    source = (fixed_folder / "recall_state.py").read_text()
    assert "with _ids_lock:" in source and "with _lru_lock:" in source and "with _total_lock:" in source
    for _ in range(3):
        assert failures(python, fixed_folder, shape) == 0
