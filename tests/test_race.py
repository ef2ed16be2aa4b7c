"""Race tests with real threads: unpatched fixture code loses updates; after `migrate check --fix`
nothing is lost, over several rounds. With MIGRATE_FT_PYTHON set to a free-threaded interpreter the
same runs happen on it too (the GIL build needs ``time.sleep(0)`` between read and write to show the
race; the free-threaded build shows it anyway)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import FIXTURES, run_migrate

INTERPRETERS = [sys.executable] + ([os.environ["MIGRATE_FT_PYTHON"]] if os.environ.get("MIGRATE_FT_PYTHON") else [])
RULES = ["FT001", "FT002", "FT003", "FT004", "FT005", "FT006", "FT007"]


def race(python: str, folder) -> dict[str, int]:
    proc = subprocess.run([python, str(FIXTURES / "race" / "run_race.py"), str(folder)], capture_output=True,
                          text=True, timeout=300, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def fixed_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("race")
    shutil.copy(FIXTURES / "race" / "shared_state.py", folder)
    proc = run_migrate("check", str(folder), "--fix")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return folder


def test_fixture_has_one_fixable_finding_per_rule():
    proc = run_migrate("check", str(FIXTURES / "race"), "--format", "json")
    found = json.loads(proc.stdout)
    assert sorted(f["code"] for f in found) == RULES
    assert all(f["fixable"] for f in found)


@pytest.mark.parametrize("python", INTERPRETERS)
def test_unpatched_code_loses_updates(python):
    # the test must be able to fail: the unpatched fixture really races, for every rule
    before = race(python, FIXTURES / "race")
    assert sorted(k.split()[0] for k in before) == RULES
    assert all(v > 0 for v in before.values()), before


@pytest.mark.parametrize("python", INTERPRETERS)
def test_fixed_code_loses_nothing(python, fixed_folder):
    source = (fixed_folder / "shared_state.py").read_text()
    assert "with _total_lock:" in source and "pending.pop(key, None)" in source
    for _ in range(3):
        after = race(python, fixed_folder)
        assert after and all(v == 0 for v in after.values()), after
