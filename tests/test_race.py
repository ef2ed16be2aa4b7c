"""Race tests with real threads: unpatched fixture code loses updates; after `migrate check --fix`
nothing is lost, over several rounds. With MIGRATE_FT_PYTHON set to a free-threaded interpreter the
same runs happen on it too."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import FIXTURES, run_migrate

INTERPRETERS = [sys.executable] + ([os.environ["MIGRATE_FT_PYTHON"]] if os.environ.get("MIGRATE_FT_PYTHON") else [])


def race(python: str, folder) -> dict[str, int]:
    proc = subprocess.run([python, str(FIXTURES / "race" / "run_race.py"), str(folder)], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize("python", INTERPRETERS)
def test_fix_removes_lost_updates(tmp_path, python):
    folder = tmp_path / "mod"
    folder.mkdir()
    shutil.copy(FIXTURES / "race" / "shared_state.py", folder)
    before = race(python, folder)
    # the test must be able to fail: unpatched code really loses updates here
    assert before["global_lost"] > 0 and before["item_lost"] > 0 and before["class_attr_lost"] > 0
    assert before["made_twice"] > 0 and before["instance_made_twice"] > 0

    proc = run_migrate("check", str(folder), "--fix")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    source = (folder / "shared_state.py").read_text()
    assert "with _total_lock:" in source and "with _counts_lock:" in source
    for _ in range(3):
        after = race(python, folder)
        assert after == {"global_lost": 0, "item_lost": 0, "made_twice": 0, "instance_made_twice": 0,
                         "class_attr_lost": 0}
