"""The codemod stage of `migrate run`: fixes join the ChangeSet (dry-run diff, summary, JSON report)."""

from __future__ import annotations

import json
import shutil

from conftest import FIXTURES, run_migrate, tree_digest

from migrate import pipeline
from migrate.pipeline import RunOptions

COUNTER = "src/demo_app/counter.py"


def demo(tmp_path):
    root = tmp_path / "demo"
    shutil.copytree(FIXTURES / "demo", root)
    # places the stage must not touch
    for skipped in (".venv/lib", "build", "nested"):
        (root / skipped).mkdir(parents=True)
        (root / skipped / "state.py").write_text("n = {}\ndef f(k):\n    n[k] += 1\n")
    (root / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (root / "nested" / "pyproject.toml").write_text("[project]\nname = 'nested'\n")
    (root / "src" / "demo_app" / "broken.py").write_text("def f(:\n")
    return root


def test_dry_run_shows_the_fixes_and_writes_nothing(tmp_path):
    root = demo(tmp_path)
    before = tree_digest(root)
    proc = run_migrate("run", str(root), "--dry-run", "--no-lock")
    assert proc.returncode == 0, proc.stderr
    assert tree_digest(root) == before
    assert f"+++ b/{COUNTER}" in proc.stdout
    # _total and _per_path are updated together: one lock; compute() is passed in: no lock around it
    assert "+    with _total_lock:" in proc.stdout and "+        _per_path[path] = " in proc.stdout
    assert "+        _cache.setdefault(key, compute(key))" in proc.stdout
    out = proc.stdout + proc.stderr
    assert "Thread-safety: 3 finding(s), 3 fixed" in out
    assert "state.py" not in out  # .venv, build/ and the nested project are not the project's sources


def test_run_applies_the_fixes_and_reports_them(tmp_path):
    root = demo(tmp_path)
    proc = run_migrate("run", str(root), "--no-lock", "--format", "json", "--allow-dirty")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    entries = report["codemods"]
    assert [(e["path"], e["code"], e["fixed"]) for e in entries] == [
        (COUNTER, "FT001", True), (COUNTER, "FT002", True), (COUNTER, "FT003", True)]
    assert set(entries[0]) == {"path", "line", "column", "code", "message", "fixed"}
    assert any(w["code"] == "FT000" and w["path"] == "src/demo_app/broken.py" for w in report["warnings"])
    assert {"path": COUNTER, "action": "modify"} in report["changes"]
    text = (root / COUNTER).read_text()
    compile(text, COUNTER, "exec")
    assert "import threading" in text and "with _total_lock:" in text
    assert (root / "build" / "state.py").read_text() == "n = {}\ndef f(k):\n    n[k] += 1\n"
    assert run_migrate("check", str(root / "src")).returncode == 0  # nothing left


def test_no_codemods_leaves_sources_alone(tmp_path):
    root = demo(tmp_path)
    before = (root / COUNTER).read_bytes()
    result = pipeline.run(root, RunOptions(lock=False, codemods=False, allow_dirty=True))
    assert result.exit_code == 0, result.error
    assert result.codemods == []
    assert (root / COUNTER).read_bytes() == before
