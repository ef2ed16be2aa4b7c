"""Golden files: `fixtures/codemods/service.py` (every rule once), its report and its fixed form."""

from __future__ import annotations

import json
import shutil

from conftest import FIXTURES, run_migrate

GOLDEN = FIXTURES / "codemods"


def test_report_text_and_json():
    proc = run_migrate("check", "service.py", cwd=GOLDEN)
    assert proc.returncode == 1
    assert proc.stdout == (GOLDEN / "service.check.txt").read_text()
    proc = run_migrate("check", "service.py", "--format", "json", cwd=GOLDEN)
    found = json.loads(proc.stdout)
    assert found == json.loads((GOLDEN / "service.check.json").read_text())
    assert sorted(f["code"] for f in found) == [f"FT00{i}" for i in range(1, 10)]


def test_fix_matches_the_reviewed_output(tmp_path):
    shutil.copy(GOLDEN / "service.py", tmp_path / "service.py")
    proc = run_migrate("check", "service.py", "--fix", cwd=tmp_path)
    assert proc.returncode == 1  # FT008 and FT009 are reported, not fixed
    assert [line.split()[1] for line in proc.stdout.splitlines()] == ["FT008", "FT009"]
    fixed = (tmp_path / "service.py").read_text()
    assert fixed == (GOLDEN / "service.fixed.py").read_text()
    proc = run_migrate("check", "service.py", "--fix", cwd=tmp_path)  # a second run changes nothing
    assert (tmp_path / "service.py").read_text() == fixed


def test_fixed_service_still_works(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("service_fixed", GOLDEN / "service.fixed.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.serve("/a") == "/A" and mod.requests_served == 1 and mod.hits_per_path["/a"] == 1
    assert mod.config() == {"debug": False} and mod.config() is mod.config()
    mod._sessions["s"] = 1
    mod.logout("s")
    mod.logout("s")
    assert mod._sessions == {}
    mod._jobs.extend([1, 2])
    assert [mod.next_job(), mod.next_job(), mod.next_job()] == [1, 2, None]
    before = mod.Handler.instances  # `default_handler` is built at import time
    mod.Handler("/x")
    assert mod.Handler.instances == before + 1
