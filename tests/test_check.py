"""`migrate check`: output formats, --fix/--diff, selection, exclusion, broken files."""

from __future__ import annotations

import json

from conftest import run_migrate, tree_digest

UNSAFE = "counts = {}\n\n\ndef hit(k):\n    counts[k] += 1\n"
REPORT_ONLY = "class C:\n    def f(self):\n        self.n += 1\n"


def tree(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text(UNSAFE)
    (tmp_path / "pkg" / "b.py").write_text(REPORT_ONLY)
    (tmp_path / "pkg" / "broken.py").write_text("def f(:\n")
    for skipped in (".venv/lib", ".git", "build", "node_modules"):
        (tmp_path / skipped).mkdir(parents=True)
        (tmp_path / skipped / "x.py").write_text(UNSAFE)
    return tmp_path


def test_text_output_like_ruff(tmp_path):
    root = tree(tmp_path)
    proc = run_migrate("check", str(root / "pkg"))
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert lines == [
        f"{root}/pkg/a.py:5:5: FT002 [*] read-modify-write of an item of module-level 'counts' without a lock",
        f"{root}/pkg/b.py:3:9: FT008 read-modify-write of instance attribute 'self.n' is not thread-safe if the "
        "instance is shared",
    ]
    assert "broken.py" in proc.stderr and "SyntaxError" in proc.stderr  # reported, skipped, no crash


def test_skips_virtualenvs_git_and_build_folders(tmp_path):
    root = tree(tmp_path)
    proc = run_migrate("check", str(root), "--format", "json")
    paths = {f["path"] for f in json.loads(proc.stdout)}
    assert paths == {f"{root}/pkg/a.py", f"{root}/pkg/b.py"}


def test_json_fields(tmp_path):
    root = tree(tmp_path)
    data = json.loads(run_migrate("check", str(root / "pkg" / "a.py"), "--format", "json").stdout)
    assert data == [{"path": f"{root}/pkg/a.py", "line": 5, "column": 5, "code": "FT002",
                     "message": "read-modify-write of an item of module-level 'counts' without a lock",
                     "fixable": True}]


def test_sarif(tmp_path):
    root = tree(tmp_path)
    proc = run_migrate("check", str(root / "pkg"), "--format", "sarif")
    log = json.loads(proc.stdout)
    assert log["version"] == "2.1.0" and "sarif" in log["$schema"]
    run = log["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == [f"FT00{i}" for i in range(1, 10)]
    res = run["results"][0]
    assert res["ruleId"] == "FT002" and run["tool"]["driver"]["rules"][res["ruleIndex"]]["id"] == "FT002"
    assert res["locations"][0]["physicalLocation"]["region"] == {"startLine": 5, "startColumn": 5}


def test_diff_writes_nothing(tmp_path):
    root = tree(tmp_path)
    before = tree_digest(root)
    proc = run_migrate("check", str(root / "pkg"), "--diff")
    assert proc.returncode == 1
    assert "+    with _counts_lock:" in proc.stdout and "+import threading" in proc.stdout
    assert tree_digest(root) == before


def test_fix_then_only_report_only_findings_remain(tmp_path):
    root = tree(tmp_path)
    proc = run_migrate("check", str(root / "pkg"), "--fix")
    assert proc.returncode == 1  # FT008 is reported, not fixed
    assert "fixed 1, 1 remaining" in proc.stderr
    assert "with _counts_lock:" in (root / "pkg" / "a.py").read_text()
    proc = run_migrate("check", str(root / "pkg" / "a.py"), "--fix")
    assert proc.returncode == 0 and proc.stdout == ""


def test_select_ignore_exclude(tmp_path):
    root = tree(tmp_path)
    assert run_migrate("check", str(root / "pkg"), "--select", "FT008").stdout.count("FT008") == 1
    assert "FT008" not in run_migrate("check", str(root / "pkg"), "--ignore", "FT008").stdout
    proc = run_migrate("check", str(root / "pkg"), "--exclude", "b.py", "--exclude", "a.py")
    assert proc.returncode == 0 and proc.stdout == ""


def test_bad_usage_exits_2(tmp_path):
    proc = run_migrate("check", str(tmp_path), "--select", "FT999")
    assert proc.returncode == 2 and "FT999" in proc.stderr
    proc = run_migrate("check", str(tmp_path / "missing"))
    assert proc.returncode == 2 and "does not exist" in proc.stderr


def test_rules_run_through_libcst_tool(tmp_path):
    import shutil
    import subprocess
    import sys

    from conftest import FIXTURES, REPO

    target = tmp_path / "shared_state.py"
    shutil.copy(FIXTURES / "race" / "shared_state.py", target)
    proc = subprocess.run([sys.executable, "-m", "libcst.tool", "codemod", "--no-format",
                           "command.FreeThreadingCommand", str(target)], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    text = target.read_text()
    assert "with _total_lock:" in text and "import threading" in text
    assert run_migrate("check", str(target), "--select", "FT001,FT002,FT003,FT004,FT005").returncode == 0
