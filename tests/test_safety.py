"""Never lose a file (issue 13): the apply journal under fault injection at every system call, real
SIGTERM/SIGKILL of a running `migrate`, recovery by the next command, the per-project lock, symlinks,
the fail-closed git guard and hostile inputs."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from conftest import run_migrate, tree_digest
from projects import poetry_project, poetry_pyproject

FAST = ("--no-lock", "--no-codemods")

POETRY = "\n" + poetry_pyproject({"requests": "^2.31"}, name="p", description="d",
                                 after='\n[tool.poetry.group.dev.dependencies]\npytest = "^8"\n')

RACY = """
import threading

counts = {}


def bump(k):
    counts[k] = counts.get(k, 0) + 1
"""


def make(tmp_path: Path, name: str = "proj", sources: int = 0) -> Path:
    root = tmp_path / name
    root.mkdir()
    (root / "pyproject.toml").write_text(textwrap.dedent(POETRY))
    (root / "poetry.lock").write_text('[metadata]\nlock-version = "2.0"\n')
    (root / "README.md").write_text("hello\n")
    pkg = root / "p"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    for i in range(sources):
        (pkg / f"m{i}.py").write_text(RACY)
    return root


def full_digest(root: Path) -> dict[str, str]:
    """tree_digest plus links and folders: what a user would see."""
    out = tree_digest(root)
    for p in sorted(Path(root).rglob("*")):
        rel = p.relative_to(root).as_posix()
        if p.is_symlink():
            out[rel] = "link:" + os.readlink(p)
        elif p.is_dir():
            out[rel + "/"] = "dir"
    return out


def migrated_state(tmp_path: Path, sources: int, codemods: bool) -> dict[str, str]:
    from migrate import pipeline
    from migrate.pipeline import RunOptions

    (tmp_path / "reference").mkdir()
    root = make(tmp_path / "reference", sources=sources)
    result = pipeline.run(root, RunOptions(lock=False, codemods=codemods))
    assert result.exit_code == 0, result.error
    return full_digest(root)


class Injected(BaseException):
    """Stands for a signal landing right after a system call returned."""


def _count_calls(monkeypatch, names, after: int | None, exc=KeyboardInterrupt):
    """Patch os.<name> for each name: perform the call, then raise ``exc`` on global call number ``after``."""
    calls = {"n": 0}
    for name in names:
        real = getattr(os, name)

        def wrapped(*a, __real=real, **k):
            out = __real(*a, **k)
            calls["n"] += 1
            if after is not None and calls["n"] == after:
                raise exc()
            return out

        monkeypatch.setattr(os, name, wrapped)
    return calls


SYSCALLS = ("replace", "unlink", "rename", "write", "mkdir", "rmdir")


@pytest.mark.parametrize("sources,codemods", [(0, False), (3, True)])
def test_interrupt_after_every_system_call_rolls_back(tmp_path, monkeypatch, sources, codemods):
    """A KeyboardInterrupt lands after each system call of the apply in turn (the call has happened):
    the tree is byte-identical to before, or — if it lands after the commit point — fully migrated;
    never a mix, never a temporary left once the next command ran."""
    from migrate import pipeline
    from migrate.apply import journal
    from migrate.pipeline import RunOptions

    options = RunOptions(lock=False, codemods=codemods)
    after_state = migrated_state(tmp_path, sources, codemods)
    # how many calls does one apply make?
    (tmp_path / "probe").mkdir()
    probe = make(tmp_path / "probe", sources=sources)
    result = pipeline.plan(probe, options)
    with monkeypatch.context() as m:
        calls = _count_calls(m, SYSCALLS, None)
        result.changes.apply()
    total = calls["n"]
    assert total > 10
    outcomes = {"before": 0, "after": 0}
    for k in range(1, total + 1):
        base = tmp_path / f"k{k}"
        base.mkdir()
        root = make(base, sources=sources)
        before = full_digest(root)
        plan = pipeline.plan(root, options)
        raised = False
        with monkeypatch.context() as m:
            _count_calls(m, SYSCALLS, k)
            try:
                plan.changes.apply()
            except KeyboardInterrupt:
                raised = True
        assert raised, f"call {k} of {total} was not reached"
        journal.recover_all([root])  # what the next migrate command does first
        state = full_digest(root)
        assert not (root / ".migrate").exists(), k
        assert not [p for p in root.rglob("*.migrate-tmp")], k
        if state == before:
            outcomes["before"] += 1
        else:
            assert state == after_state, f"mixed tree after an interrupt at call {k}"
            outcomes["after"] += 1
    assert outcomes["before"] > outcomes["after"]


@pytest.mark.parametrize("sources,codemods", [(0, False), (2, True)])
def test_power_loss_after_every_system_call_is_recovered(tmp_path, monkeypatch, sources, codemods):
    """Like SIGKILL or power loss: the process stops right after call k with no chance to roll back.
    The next command (recover_all, as every CLI command does) restores the tree."""
    from migrate import pipeline
    from migrate.apply import journal
    from migrate.pipeline import RunOptions

    options = RunOptions(lock=False, codemods=codemods)
    after_state = migrated_state(tmp_path, sources, codemods)
    probe_base = tmp_path / "probe"
    probe_base.mkdir()
    probe = make(probe_base, sources=sources)
    plan = pipeline.plan(probe, options)
    with monkeypatch.context() as m:
        m.setattr(journal, "_remove_journal", lambda *a, **k: None)
        calls = _count_calls(m, SYSCALLS, None)
        plan.changes.apply()
    total = calls["n"]
    for k in range(1, total + 1):
        base = tmp_path / f"k{k}"
        base.mkdir()
        root = make(base, sources=sources)
        before = full_digest(root)
        plan = pipeline.plan(root, options)
        with monkeypatch.context() as m:
            # the dead process does nothing more: no rollback, no clean-up
            m.setattr(journal, "rollback", lambda *a, **k: journal.Outcome())
            m.setattr(journal, "_remove_journal", lambda *a, **k: None)
            _count_calls(m, SYSCALLS, k, exc=Injected)
            with pytest.raises(Injected):
                plan.changes.apply()
        recs = journal.recover_all([root])
        state = full_digest(root)
        assert not (root / ".migrate").exists(), k
        assert state in (before, after_state), f"mixed tree after power loss at call {k}"
        if state == after_state:
            assert recs and recs[0].action == "finished", k  # the commit point was reached
    # and a journal that was fully applied can also be finished forward on request
    base = tmp_path / "fwd"
    base.mkdir()
    root = make(base, sources=sources)
    plan = pipeline.plan(root, options)
    with monkeypatch.context() as m:
        m.setattr(journal, "rollback", lambda *a, **k: journal.Outcome())
        m.setattr(journal, "_remove_journal", lambda *a, **k: None)
        _count_calls(m, ("replace",), 1, exc=Injected)  # the first file was swapped in, then death
        with pytest.raises(Injected):
            plan.changes.apply()
    assert (root / ".migrate" / "journal.json").exists()
    recs = journal.recover_all([root], forward=True)
    assert recs[0].action == "finished" and not recs[0].outcome.conflicts
    assert full_digest(root) == after_state


def test_new_files_before_deletions(tmp_path, monkeypatch):
    """pyproject.toml is rewritten before poetry.lock goes: the old or the new metadata always exists."""
    from migrate import pipeline
    from migrate.pipeline import RunOptions

    root = make(tmp_path)
    order = []
    real_replace, real_unlink = os.replace, os.unlink

    def rep(src, dst, *a, **k):
        order.append(("replace", Path(dst).name))
        return real_replace(src, dst, *a, **k)

    def unl(p, *a, **k):
        order.append(("unlink", Path(p).name))
        return real_unlink(p, *a, **k)

    monkeypatch.setattr(os, "replace", rep)
    monkeypatch.setattr(os, "unlink", unl)
    assert pipeline.run(root, RunOptions(lock=False, codemods=False)).exit_code == 0
    tree_ops = [o for o in order if o[1] in ("pyproject.toml", "poetry.lock", ".python-version")]
    assert tree_ops.index(("unlink", "poetry.lock")) > tree_ops.index(("replace", "pyproject.toml"))
    assert tree_ops.index(("unlink", "poetry.lock")) > tree_ops.index(("replace", ".python-version"))


def test_someone_elses_change_is_never_overwritten_by_a_rollback(tmp_path):
    from migrate import pipeline
    from migrate.apply import journal
    from migrate.pipeline import RunOptions

    root = make(tmp_path)
    plan = pipeline.plan(root, RunOptions(lock=False, codemods=False))
    (root / "pyproject.toml").write_text("# edited by the user meanwhile\n")
    from migrate.diagnostics import MigrateError

    with pytest.raises(MigrateError, match="changed while migrate was running"):
        plan.changes.apply()
    assert (root / "pyproject.toml").read_text() == "# edited by the user meanwhile\n"
    assert (root / "poetry.lock").exists() and not (root / ".migrate").exists()
    steps = [journal.Step(0, root / "pyproject.toml", "modify", "0" * 64, "1" * 64)]
    out = journal.rollback(root, steps)
    assert out.conflicts and (root / "pyproject.toml").read_text() == "# edited by the user meanwhile\n"


# -- real processes ------------------------------------------------------------------------------
def _start(root: Path, *args: str, env: dict | None = None) -> subprocess.Popen:
    full = dict(os.environ, NO_COLOR="1", **(env or {}))
    return subprocess.Popen([sys.executable, "-m", "migrate", "run", str(root), *args], env=full,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_steps(root: Path, n: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = root / ".migrate" / "done"
        if done.is_dir() and len(os.listdir(done)) >= n:
            return
        if proc.poll() is not None:
            raise AssertionError(f"migrate ended early: {proc.communicate()}")
        time.sleep(0.01)
    raise AssertionError("the apply never got that far")


@pytest.mark.parametrize("sig,code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signal_mid_apply_rolls_back_and_exits(tmp_path, sig, code):
    root = make(tmp_path, sources=6)
    before = full_digest(root)
    proc = _start(root, "--no-lock", env={"MIGRATE_TEST_STEP_DELAY": "0.2"})
    _wait_for_steps(root, 3, proc)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert "interrupted: nothing was changed" in err and "Traceback" not in err
    assert full_digest(root) == before
    assert not (root / ".migrate").exists()


def test_sigkill_mid_apply_is_rolled_back_by_the_next_command(tmp_path):
    root = make(tmp_path, sources=6)
    before = full_digest(root)
    proc = _start(root, "--no-lock", env={"MIGRATE_TEST_STEP_DELAY": "0.2"})
    _wait_for_steps(root, 3, proc)
    proc.kill()
    proc.wait()
    assert (root / ".migrate" / "journal.json").exists()
    assert full_digest(root) != before  # half applied
    # any command recovers first: here a read-only one
    done = run_migrate("deps", str(root))
    assert "recovered:" in done.stderr and "rolled back" in done.stderr
    assert full_digest(root) == before
    assert not (root / ".migrate").exists()


def test_sigkill_then_recover_forward(tmp_path):
    root = make(tmp_path, sources=3)
    reference = make(tmp_path, name="ref", sources=3)
    assert run_migrate("run", str(reference), "--no-lock").returncode == 0
    proc = _start(root, "--no-lock", env={"MIGRATE_TEST_STEP_DELAY": "0.2"})
    _wait_for_steps(root, 2, proc)
    proc.kill()
    proc.wait()
    done = run_migrate("recover", str(root), "--forward")
    assert done.returncode == 0, done.stderr
    assert "finished an interrupted migrate run" in done.stdout
    assert full_digest(root) == full_digest(reference)
    again = run_migrate("recover", str(root))
    assert again.returncode == 0 and "nothing to recover" in again.stdout


def test_stale_staging_folders_are_removed(tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp / f"migrate-lock-{dead.pid}-abc"
    (stale / "proj").mkdir(parents=True)
    live = tmp / f"migrate-lock-{os.getpid()}-xyz"
    live.mkdir()
    other = tmp / "unrelated-dir"
    other.mkdir()
    proc = run_migrate("recover", str(tmp_path), env={"TMPDIR": str(tmp)})
    assert proc.returncode == 0, proc.stderr
    assert not stale.exists() and live.exists() and other.exists()
    assert "stale staging folder" in proc.stdout


def test_second_run_on_the_same_project_waits_then_exits_2(tmp_path):
    from migrate.apply.journal import project_lock

    root = make(tmp_path)
    before = full_digest(root)
    with project_lock(root):
        proc = run_migrate("run", str(root), *FAST, env={"MIGRATE_LOCK_WAIT": "0.3"})
    assert proc.returncode == 2
    assert "another migrate is working on this folder" in proc.stderr
    assert full_digest(root) == before
    assert run_migrate("run", str(root), *FAST).returncode == 0


def test_concurrent_runs_one_wins_nothing_lost(tmp_path):
    root = make(tmp_path, sources=4)
    env = {"MIGRATE_TEST_STEP_DELAY": "0.05", "MIGRATE_LOCK_WAIT": "0.1"}
    procs = [_start(root, "--no-lock", env=env) for _ in range(3)]
    results = [(p.wait(timeout=120), p.communicate()) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes.count(0) >= 1 and set(codes) <= {0, 2}, results
    assert (root / "pyproject.toml").read_text().count("[project]") == 1
    assert (root / ".python-version").read_text() == "3.13t\n"  # the loser did not delete it
    assert not (root / "poetry.lock").exists() and not (root / ".migrate").exists()


# -- symlinks ------------------------------------------------------------------------------------
def test_symlinked_pyproject_inside_the_tree_is_written_through(tmp_path):
    root = make(tmp_path)
    (root / "meta").mkdir()
    (root / "pyproject.toml").rename(root / "meta" / "pyproject.toml")
    (root / "pyproject.toml").symlink_to("meta/pyproject.toml")
    proc = run_migrate("run", str(root), *FAST)
    assert proc.returncode == 0, proc.stderr
    assert (root / "pyproject.toml").is_symlink() and os.readlink(root / "pyproject.toml") == "meta/pyproject.toml"
    assert "[project]" in (root / "meta" / "pyproject.toml").read_text()


def test_symlink_leading_outside_is_never_written(tmp_path):
    root = make(tmp_path, sources=1)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "shared.py").write_text(RACY)
    (root / "p" / "shared.py").symlink_to(outside / "shared.py")
    proc = run_migrate("run", str(root), "--no-lock", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert (outside / "shared.py").read_text() == RACY
    assert (root / "p" / "shared.py").is_symlink()
    data = json.loads(proc.stdout)
    assert any(w["code"] == "MIG502" for w in data["warnings"])
    # check --fix: the given tree is the limit too
    (root / "p" / "m0.py").write_text(RACY)
    proc = run_migrate("check", str(root / "p"), "--fix")
    assert (outside / "shared.py").read_text() == RACY
    assert "outside" in proc.stderr
    assert (root / "p" / "m0.py").read_text() != RACY  # the file inside was fixed


def test_pyproject_linked_outside_the_project_is_exit_2(tmp_path):
    root = make(tmp_path)
    outside = tmp_path / "elsewhere.toml"
    (root / "pyproject.toml").rename(outside)
    (root / "pyproject.toml").symlink_to(outside)
    before = full_digest(root)
    text = outside.read_text()
    proc = run_migrate("run", str(root), *FAST)
    assert proc.returncode == 2 and "outside" in proc.stderr
    assert full_digest(root) == before and outside.read_text() == text


# -- git -----------------------------------------------------------------------------------------
def _git(root, *args):
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"})


def test_git_that_cannot_answer_fails_closed(tmp_path):
    root = make(tmp_path)
    (root / ".git").write_text("gitdir: /nonexistent/repo\n")  # a broken worktree link
    before = full_digest(root)
    proc = run_migrate("run", str(root), *FAST)
    assert proc.returncode == 2
    assert "git says: fatal:" in proc.stderr and "--allow-dirty" in proc.stderr
    assert full_digest(root) == before
    assert run_migrate("run", str(root), *FAST, "--allow-dirty").returncode == 0


@pytest.mark.skipif(os.geteuid() != 0, reason="handing the repository to another user needs root")
def test_git_dubious_ownership_fails_closed(tmp_path):
    root = make(tmp_path)
    _git(root, "init", "-q")
    for p in [root, *root.rglob("*")]:
        os.lchown(p, 1234, 1234)
    before = full_digest(root)
    proc = run_migrate("run", str(root), *FAST)
    assert proc.returncode == 2 and "dubious ownership" in proc.stderr
    assert full_digest(root) == before


def test_corrupt_git_head_fails_closed(tmp_path):
    root = make(tmp_path)
    _git(root, "init", "-q")
    (root / ".git" / "HEAD").write_text("garbage\n")
    before = full_digest(root)
    proc = run_migrate("run", str(root), *FAST)
    assert proc.returncode == 2 and "git says:" in proc.stderr
    assert full_digest(root) == before


def test_git_missing_fails_closed(tmp_path):
    root = make(tmp_path)
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "init")
    before = full_digest(root)
    env_path = tmp_path / "bin"
    env_path.mkdir()
    os.symlink(sys.executable, env_path / "python3")
    proc = run_migrate("run", str(root), *FAST, env={"PATH": str(env_path)})
    assert proc.returncode == 2 and "git is not installed" in proc.stderr
    assert full_digest(root) == before


def test_git_ignored_file_to_change_is_a_warning(tmp_path):
    root = make(tmp_path)
    _git(root, "init", "-q")
    (root / ".gitignore").write_text("pyproject.toml\npoetry.lock\n")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "init")
    proc = run_migrate("run", str(root), *FAST, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    codes = {(w["code"], w["path"]) for w in json.loads(proc.stdout)["warnings"]}
    assert ("MIG503", "pyproject.toml") in codes


# -- ownership and modes ----------------------------------------------------------------------------
def test_mode_kept_and_umask_honoured(tmp_path):
    root = make(tmp_path)
    os.chmod(root / "pyproject.toml", 0o640)
    proc = subprocess.run([sys.executable, "-c", "import os, sys; os.umask(0o077); "
                           "from migrate.cli import main; sys.argv=['migrate','run',sys.argv[1],'--no-lock',"
                           "'--no-codemods']; main()", str(root)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert (root / "pyproject.toml").stat().st_mode & 0o777 == 0o640
    assert (root / ".python-version").stat().st_mode & 0o777 == 0o600  # 0o666 & ~0o077


@pytest.mark.skipif(os.geteuid() != 0, reason="changing ownership needs root")
def test_owner_kept_when_running_as_root(tmp_path):
    root = make(tmp_path)
    for p in [root, *root.rglob("*")]:
        os.chown(p, 1234, 2345)
    assert run_migrate("run", str(root), *FAST).returncode == 0
    for name in ("pyproject.toml", ".python-version"):
        st = (root / name).stat()
        assert (st.st_uid, st.st_gid) == (1234, 2345), name


# -- hostile input --------------------------------------------------------------------------------
def _exit2_unchanged(root: Path, *needles: str, args=FAST):
    before = full_digest(root)
    proc = run_migrate("run", str(root), *args)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    for n in needles:
        assert n in proc.stderr, proc.stderr
    assert full_digest(root) == before
    return proc


def test_bom_is_named_plainly(tmp_path):
    root = make(tmp_path)
    (root / "pyproject.toml").write_bytes(b"\xef\xbb\xbf" + (root / "pyproject.toml").read_bytes())
    _exit2_unchanged(root, "pyproject.toml", "UTF-8 BOM")


def test_deep_nesting_is_exit_2(tmp_path):
    root = make(tmp_path)
    (root / "pyproject.toml").write_text(textwrap.dedent(POETRY) + "x = " + "[" * 5000 + "]" * 5000 + "\n")
    _exit2_unchanged(root, "pyproject.toml", "nested too deeply")


@pytest.mark.parametrize("name", ["pyproject.toml", "Pipfile"])
def test_directory_named_like_metadata(tmp_path, name):
    root = tmp_path / "proj"
    root.mkdir()
    (root / name).mkdir()
    _exit2_unchanged(root, name, "is a directory")


def test_symlink_loop_and_fifo_as_metadata(tmp_path):
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").symlink_to("pyproject.toml")
    _exit2_unchanged(root, "pyproject.toml", "symlink loop")
    (root / "pyproject.toml").unlink()
    os.mkfifo(root / "pyproject.toml")
    _exit2_unchanged(root, "pyproject.toml", "FIFO")


def test_staging_copy_skips_fifos_and_unreadable_folders(tmp_path):
    from migrate.apply.changeset import ChangeSet
    from migrate.lock.lock import stage_project

    root = make(tmp_path)
    os.mkfifo(root / "pipe")
    (root / "locked").mkdir()
    (root / "locked" / "x").write_text("x")
    os.chmod(root / "locked", 0)
    try:
        stage_tmp = tmp_path / "stage"
        stage_tmp.mkdir()
        dst = stage_project(root, ChangeSet(root), stage_tmp, (root / "pyproject.toml").read_text())
        assert (dst / "pyproject.toml").is_file()
        assert not os.path.lexists(dst / "pipe")
        if os.geteuid() != 0:
            assert not (dst / "locked").exists()
    finally:
        os.chmod(root / "locked", 0o755)


@pytest.mark.parametrize("how", ["copytree", "write"])
def test_full_tmpdir_is_named(tmp_path, monkeypatch, how):
    """ENOSPC while staging (from the copy, or from writing a staged file) is exit 2 naming the folder."""
    from migrate.apply.changeset import ChangeSet
    from migrate.diagnostics import MigrateError
    from migrate.lock import lock

    root = make(tmp_path)
    changes = ChangeSet(root)
    changes.write("pyproject.toml", b"[project]\nname = 'p'\n")
    if how == "copytree":
        def full(src, dst, *a, **k):
            raise shutil.Error([(str(src), str(dst), "[Errno 28] No space left on device")])

        monkeypatch.setattr(shutil, "copytree", full)
    else:
        def full(self, data):
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(Path, "write_bytes", full)
    stage = tmp_path / "stage"
    stage.mkdir()
    with pytest.raises(MigrateError, match="no space left in the temporary folder") as info:
        lock.stage_project(root, changes, stage / "t", (root / "pyproject.toml").read_text())
    assert str(stage) in str(info.value)


def test_crlf_pyproject_stays_crlf(tmp_path):
    root = make(tmp_path)
    text = (root / "pyproject.toml").read_text().replace("\n", "\r\n")
    (root / "pyproject.toml").write_bytes(text.encode())
    assert run_migrate("run", str(root), *FAST).returncode == 0
    data = (root / "pyproject.toml").read_bytes()
    assert b"[project]" in data
    assert data.count(b"\n") == data.count(b"\r\n")


def test_path_dependency_on_an_ancestor_locks_in_the_staging_copy(tmp_path, monkeypatch):
    """`path = "../../.."` points at a folder that contains the project itself: the staging copy's
    ancestors mirror the real ones, so uv finds it; the lock is valid in the real tree."""
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))
    top = tmp_path / "top"
    top.mkdir()
    (top / "pyproject.toml").write_text('[project]\nname = "top"\nversion = "1.0"\ndependencies = []\n\n'
                                        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n')
    app = poetry_project(top, 'top = { path = "../../..", develop = true }', folder="sub/inner/app")
    proc = run_migrate("run", str(app), "--offline", "--no-codemods")
    assert proc.returncode == 0, proc.stderr + proc.stdout
    lock = (app / "uv.lock").read_text()
    assert 'source = { editable = "../../../" }' in lock
    from migrate.lock.lock import find_interpreter, uv_bin

    python, _ = find_interpreter(">=3.10")
    check = subprocess.run([uv_bin(), "lock", "--check", "--offline", "--python", python], cwd=app,
                           capture_output=True, text=True, env=dict(os.environ, UV_PYTHON_DOWNLOADS="never"))
    assert check.returncode == 0, check.stderr


@pytest.mark.parametrize("sig,code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signal_while_uv_runs_stops_it_and_leaves_no_staging(tmp_path, sig, code):
    root = make(tmp_path)
    before = full_digest(root)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    slow = tmp_path / "slow-uv-wrapper"
    slow.write_text("#!/bin/sh\nsleep 60\n")
    slow.chmod(0o755)
    proc = _start(root, "--no-codemods", "--offline",
                  env={"MIGRATE_TEST_SPAWN_WRAPPER": str(slow), "TMPDIR": str(tmp)})
    deadline = time.monotonic() + 60
    while not subprocess.run(["pgrep", "-f", str(slow)], capture_output=True).stdout.strip():
        assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    assert any(p.name.startswith("migrate-lock-") for p in tmp.iterdir())
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert "interrupted: nothing was changed" in err and "Traceback" not in err
    assert full_digest(root) == before
    assert list(tmp.iterdir()) == []  # the staging folder went with it
    assert not subprocess.run(["pgrep", "-f", str(slow)], capture_output=True).stdout.strip()  # uv stopped


def test_check_fix_respects_the_lock_and_writes_through_the_journal(tmp_path):
    from migrate.apply.journal import project_lock

    root = tmp_path / "src"
    root.mkdir()
    (root / "a.py").write_text(RACY)
    with project_lock(root):
        proc = run_migrate("check", str(root), "--fix", env={"MIGRATE_LOCK_WAIT": "0.3"})
    assert proc.returncode == 2 and "another migrate" in proc.stderr
    assert (root / "a.py").read_text() == RACY
    proc = run_migrate("check", str(root), "--fix")
    assert (root / "a.py").read_text() != RACY and "_lock" in (root / "a.py").read_text()
    assert not (root / ".migrate").exists()
