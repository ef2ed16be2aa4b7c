"""`migrate batch` under trouble (issue 13): one bad project fails only itself, hostile trees are
skipped with a note, path-linked projects run in dependency order, cancellation reaches every worker
and a killed uv is an interruption, the report is always written."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import run_migrate, tree_digest
from projects import poetry_folder as poetry


FAST = ("--no-lock", "--no-codemods")


def test_hostile_tree_fails_only_the_bad_projects(tmp_path):
    root = tmp_path / "mono"
    poetry(root / "good-a", "good-a")
    poetry(root / "good-b", "good-b")
    deep = poetry(root / "deep", "deep")
    deep.joinpath("pyproject.toml").write_text(deep.joinpath("pyproject.toml").read_text()
                                               + "x = " + "[" * 3000 + "]" * 3000 + "\n")
    bom = poetry(root / "bom", "bom")
    bom.joinpath("pyproject.toml").write_bytes(b"\xef\xbb\xbf" + bom.joinpath("pyproject.toml").read_bytes())
    (root / "loop").mkdir()
    (root / "loop" / "self").symlink_to("..")  # a symlink loop: never followed
    (root / "fifo").mkdir()
    os.mkfifo(root / "fifo" / "pyproject.toml")  # never opened (it would block)
    (root / "dirmeta" / "pyproject.toml").mkdir(parents=True)
    locked = poetry(root / "locked" / "inner", "inner")
    os.chmod(root / "locked", 0)
    try:
        proc = run_migrate("batch", str(root), *FAST, "--jobs", "2", "--report", str(tmp_path / "r.json"))
    finally:
        os.chmod(root / "locked", 0o755)
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr + proc.stdout
    assert proc.returncode == 1
    report = json.loads((tmp_path / "r.json").read_text())
    status = {r["path"]: r["status"] for r in report["projects"]}
    assert status["good-a"] == status["good-b"] == "migrated"
    assert status["deep"] == "error" and status["bom"] == "error"
    errors = {r["path"]: r["error"] for r in report["projects"]}
    assert "nested too deeply" in errors["deep"] and "BOM" in errors["bom"]
    notes = {(n["code"], n["path"]) for n in report["notes"]}
    assert ("MIG505", "fifo/pyproject.toml") in notes
    if os.geteuid() != 0:  # root reads every folder
        assert ("MIG504", "locked") in notes
        assert (locked / "pyproject.toml").read_text().startswith("\n[tool.poetry]")  # never touched


def test_dependency_order_and_second_batch_changes_nothing(tmp_path, monkeypatch):
    from migrate import batch
    from migrate.pipeline import RunOptions

    root = tmp_path / "mono"
    poetry(root / "a-app", "a-app", 'b-lib = { path = "../b-lib", develop = true }')
    poetry(root / "b-lib", "b-lib", 'c-core = { path = "../c-core" }')
    poetry(root / "c-core", "c-core")
    poetry(root / "d-solo", "d-solo")
    projects = batch.discover_projects(root)
    links = batch.path_links(projects)
    assert links[root / "a-app"] == {root / "b-lib"} and links[root / "b-lib"] == {root / "c-core"}
    order: list[str] = []
    real = batch._run_one

    def record(path, options):
        order.append(path.name + ":start")
        out = real(path, options)
        order.append(path.name + ":end")
        return out

    monkeypatch.setattr(batch, "_run_one", record)
    results, stop = batch.run_all(root, projects, RunOptions(lock=False, codemods=False, allow_dirty=True),
                                  jobs=4, fail_fast=False, show_progress=False)
    assert stop is None and all(r.status == "migrated" for r in results.values())
    assert order.index("c-core:end") < order.index("b-lib:start")
    assert order.index("b-lib:end") < order.index("a-app:start")
    after = tree_digest(root)
    proc = run_migrate("batch", str(root), *FAST)
    assert proc.returncode == 0, proc.stderr
    assert tree_digest(root) == after


def test_internal_error_in_one_project_fails_only_it(tmp_path, monkeypatch):
    from migrate import batch, pipeline
    from migrate.pipeline import RunOptions

    root = tmp_path / "mono"
    for n in ("one", "two", "three"):
        poetry(root / n, n)
    real = pipeline.plan

    def buggy(path, options, progress=None):
        if Path(path).name == "two":
            raise ValueError("boom")
        return real(path, options, progress)

    monkeypatch.setattr(pipeline, "plan", buggy)
    results, stop = batch.run_all(root, batch.discover_projects(root),
                                  RunOptions(lock=False, codemods=False, allow_dirty=True), 2, False, False)
    assert stop is None
    assert results[root / "two"].status == "failed" and "boom" in results[root / "two"].error
    assert results[root / "one"].status == results[root / "three"].status == "migrated"


def test_killed_uv_is_an_interruption_not_a_resolution(tmp_path):
    """uv dies from a signal (Ctrl-C on the terminal reached it, the OOM killer): spawn raises Interrupted."""
    from migrate import interrupt

    script = "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"
    with pytest.raises(interrupt.Interrupted):
        interrupt.spawn([sys.executable, "-c", script])
    done = interrupt.spawn([sys.executable, "-c", "import sys; print('ok'); sys.exit(3)"])
    assert done.returncode == 3 and done.stdout == "ok\n"


def test_cancel_stops_a_running_child(tmp_path):
    from migrate import interrupt

    errors = []

    def worker():
        try:
            interrupt.spawn([sys.executable, "-c", "import time; time.sleep(60)"])
        except interrupt.Interrupted as exc:
            errors.append(exc)

    t = threading.Thread(target=worker)
    start = time.monotonic()
    t.start()
    time.sleep(0.5)
    interrupt.CANCEL.set()
    try:
        t.join(10)
    finally:
        interrupt.CANCEL.clear()
    assert errors and time.monotonic() - start < 10 and not interrupt._children


def _fake_uv(tmp_path: Path) -> Path:
    """A `uv` that sleeps: the batch is interrupted while every worker waits on it."""
    fake = tmp_path / "fake-uv"
    fake.write_text("#!/bin/sh\nsleep 60\n")
    fake.chmod(0o755)
    return fake


@pytest.mark.parametrize("sig,code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_batch_interrupted_writes_report_and_changes_nothing_more(tmp_path, sig, code):
    root = tmp_path / "mono"
    for n in ("p1", "p2", "p3", "p4"):
        poetry(root / n, n)
    before = tree_digest(root)
    report = tmp_path / "r.json"
    fake = _fake_uv(tmp_path)  # looked for by its own path: other tests may run a fake uv at the same time
    env = dict(os.environ, NO_COLOR="1", MIGRATE_TEST_SPAWN_WRAPPER=str(fake), MIGRATE_FT_PYTHON="")
    proc = subprocess.Popen([sys.executable, "-m", "migrate", "batch", str(root), "--no-codemods", "--jobs", "2",
                             "--report", str(report), "--offline"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait until uv runs
        out = subprocess.run(["pgrep", "-f", str(fake)], capture_output=True, text=True).stdout
        if out.strip():
            break
        time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail(f"uv never started: {proc.communicate()}")
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert "Traceback" not in err and "interrupted:" in err
    assert "do not resolve" not in out + err
    data = json.loads(report.read_text())
    assert data["interrupted"] is True
    assert {r["status"] for r in data["projects"]} == {"interrupted"}
    assert tree_digest(root) == before
    assert not subprocess.run(["pgrep", "-f", str(fake)], capture_output=True, text=True).stdout.strip()
