"""`migrate run` end to end through the real CLI (metadata only: --no-lock --no-codemods)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from conftest import FIXTURES, run_migrate, tree_digest
from projects import poetry_pyproject

FAST = ("--no-lock", "--no-codemods")

POETRY = "\n" + poetry_pyproject({"requests": "^2.31"}, name="p", description="d")


def make(tmp_path: Path, text: str = POETRY, name: str = "pyproject.toml") -> Path:
    root = tmp_path / "proj"
    root.mkdir(exist_ok=True)
    (root / name).write_text(textwrap.dedent(text))
    return root


def test_dry_run_prints_diff_and_writes_nothing(tmp_path):
    root = make(tmp_path)
    (root / "poetry.lock").write_text("[metadata]\nlock-version = \"2.0\"\n")
    before = tree_digest(root)
    proc = run_migrate("run", str(root), "--dry-run", *FAST)
    assert proc.returncode == 0, proc.stderr
    assert tree_digest(root) == before
    assert "--- a/pyproject.toml\n+++ b/pyproject.toml\n" in proc.stdout
    assert "+[project]" in proc.stdout
    size = (root / "poetry.lock").stat().st_size
    assert f"poetry.lock: deleted ({size:,} bytes" in proc.stdout  # one line, not the whole old lock
    assert "+++ b/.python-version" in proc.stdout
    assert "\x1b[" not in proc.stdout  # plain when piped


def test_apply_then_second_run_changes_nothing(tmp_path):
    root = make(tmp_path)
    (root / "poetry.lock").write_text("[metadata]\nlock-version = \"2.0\"\n")
    proc = run_migrate("run", str(root), *FAST)
    assert proc.returncode == 0, proc.stderr
    assert not (root / "poetry.lock").exists()
    assert (root / ".python-version").read_text() == "3.13t\n"
    after = tree_digest(root)
    proc = run_migrate("run", str(root), *FAST)
    assert proc.returncode == 0
    assert "nothing to change" in proc.stderr
    assert tree_digest(root) == after


def test_keep_old_files(tmp_path):
    root = make(tmp_path)
    (root / "poetry.lock").write_text("[metadata]\n")
    assert run_migrate("run", str(root), "--keep-old-files", *FAST).returncode == 0
    assert (root / "poetry.lock").exists()


def test_json_output(tmp_path):
    root = make(tmp_path, POETRY.replace('python = "^3.10"', 'python = ">=3.8,<3.11"'))
    proc = run_migrate("run", str(root), "--dry-run", "--format", "json", *FAST)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["project"] == "p" and data["source_format"] == "poetry" and data["status"] == "would-change"
    assert {"path": "pyproject.toml", "action": "modify"} in data["changes"]
    (w,) = [w for w in data["warnings"] if w["code"] == "MIG001"]
    assert w["path"] == "pyproject.toml" and w["key"] == "project.requires-python" and "<3.11" in w["message"]
    assert not any(c["path"] == ".python-version" for c in data["changes"])


def test_target_excluded_still_migrates_and_warns(tmp_path):
    root = make(tmp_path, POETRY.replace('python = "^3.10"', 'python = ">=3.8,<3.11"'))
    proc = run_migrate("run", str(root), *FAST)
    assert proc.returncode == 0
    assert "MIG001" in proc.stderr and "<3.11" in proc.stderr
    assert not (root / ".python-version").exists()
    assert "[project]" in (root / "pyproject.toml").read_text()


def test_strict_target_exits_2_and_writes_nothing(tmp_path):
    root = make(tmp_path, POETRY.replace('python = "^3.10"', 'python = ">=3.8,<3.11"'))
    before = tree_digest(root)
    proc = run_migrate("run", str(root), "--strict-target", *FAST)
    assert proc.returncode == 2
    assert "requires-python" in proc.stderr and "Traceback" not in proc.stderr
    assert tree_digest(root) == before


def test_other_target(tmp_path):
    root = make(tmp_path)
    assert run_migrate("run", str(root), "--target", "3.14t", *FAST).returncode == 0
    assert (root / ".python-version").read_text() == "3.14t\n"


BAD = {
    "invalid-toml": ("pyproject.toml", b"[tool.poetry\nname = 'x'\n", "invalid TOML"),
    "invalid-utf8": ("pyproject.toml", b"[tool.poetry]\nname = '\xff\xfe'\n", "not valid UTF-8"),
    "wrong-type": ("pyproject.toml", b"[tool.poetry]\nname = 'x'\nversion = '1'\nauthors = 'me'\n",
                   "tool.poetry.authors"),
    "unknown-dep-key": ("pyproject.toml",
                        b"[tool.poetry]\nname = 'x'\n[tool.poetry.dependencies]\nfoo = { verison = '^1' }\n",
                        "tool.poetry.dependencies.foo.verison"),
    "bad-constraint": ("pyproject.toml",
                       b"[tool.poetry]\nname = 'x'\n[tool.poetry.dependencies]\nfoo = '>>1.0'\n",
                       "tool.poetry.dependencies.foo"),
    "not-a-project": ("pyproject.toml", b"[tool.black]\nline-length = 1\n", "not a Poetry or Pipenv project"),
    "bad-lock": ("poetry.lock", b"[[package]]\nname = 1\n", "poetry.lock"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_exit_2_names_file_and_changes_nothing(tmp_path, case):
    name, data, fragment = BAD[case]
    root = tmp_path / "proj"
    root.mkdir()
    if name != "pyproject.toml":
        (root / "pyproject.toml").write_text(textwrap.dedent(POETRY))
    (root / name).write_bytes(data)
    before = tree_digest(root)
    proc = run_migrate("run", str(root), *FAST)
    assert proc.returncode == 2, proc.stderr
    assert fragment in proc.stderr
    assert "Traceback" not in proc.stderr and "Nothing was written" in proc.stderr
    assert tree_digest(root) == before
    proc = run_migrate("run", str(root), "--format", "json", *FAST)
    assert proc.returncode == 2 and fragment in json.loads(proc.stdout)["error"]


def test_missing_path(tmp_path):
    proc = run_migrate("run", str(tmp_path / "nope"), *FAST)
    assert proc.returncode == 2 and "does not exist" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_unreadable_file(tmp_path):
    root = make(tmp_path)
    (root / "pyproject.toml").chmod(0)
    proc = run_migrate("run", str(root), *FAST)
    assert proc.returncode == 2 and "permission denied" in proc.stderr


def test_unreadable_file_as_root(tmp_path, monkeypatch):
    """Root can read anything, so simulate EACCES at the one read the tool does."""
    from migrate import pipeline
    from migrate.pipeline import RunOptions

    root = make(tmp_path)
    before = tree_digest(root)
    real = Path.read_bytes

    def deny(self):
        if self.name == "pyproject.toml":
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", deny)
    result = pipeline.run(root, RunOptions(lock=False, codemods=False))
    monkeypatch.setattr(Path, "read_bytes", real)
    assert result.exit_code == 2 and "permission denied" in result.error and "pyproject.toml" in result.error
    assert tree_digest(root) == before


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@t"})


def test_dirty_git_tree_is_refused_unless_allowed(tmp_path):
    root = make(tmp_path)
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "init")
    (root / "pyproject.toml").write_text((root / "pyproject.toml").read_text() + "\n# local edit\n")
    before = tree_digest(root)
    proc = run_migrate("run", str(root), *FAST)
    assert proc.returncode == 2 and "uncommitted changes" in proc.stderr and "--allow-dirty" in proc.stderr
    assert tree_digest(root) == before
    assert run_migrate("run", str(root), "--dry-run", *FAST).returncode == 0  # dry-run is always fine
    assert run_migrate("run", str(root), "--allow-dirty", *FAST).returncode == 0


def test_failure_half_way_restores_everything(tmp_path, monkeypatch):
    """os.replace fails on the second file (disk full): the first is put back, temp files are gone."""
    from migrate import pipeline
    from migrate.apply import changeset
    from migrate.pipeline import RunOptions

    root = make(tmp_path)
    (root / "poetry.lock").write_text("[metadata]\n")
    before = tree_digest(root)
    calls = {"n": 0}
    real_replace = os.replace

    def flaky(src, dst):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(changeset.os, "replace", flaky)
    result = pipeline.run(root, RunOptions(lock=False, codemods=False))
    assert result.exit_code == 1 and "No space left" in result.error
    monkeypatch.setattr(changeset.os, "replace", real_replace)
    assert tree_digest(root) == before
    assert sorted(p.name for p in root.iterdir()) == ["poetry.lock", "pyproject.toml"]


def test_ctrl_c_during_apply_restores_everything(tmp_path, monkeypatch):
    from migrate import pipeline
    from migrate.apply import changeset
    from migrate.pipeline import RunOptions

    root = make(tmp_path)
    (root / "poetry.lock").write_text("[metadata]\n")
    before = tree_digest(root)
    real_unlink = os.unlink

    def interrupted(path, *a, **k):
        if str(path).endswith("poetry.lock"):
            raise KeyboardInterrupt
        return real_unlink(path, *a, **k)

    monkeypatch.setattr(changeset.os, "unlink", interrupted)
    with pytest.raises(KeyboardInterrupt):
        pipeline.run(root, RunOptions(lock=False, codemods=False))
    monkeypatch.setattr(changeset.os, "unlink", real_unlink)
    assert tree_digest(root) == before
    assert sorted(p.name for p in root.iterdir()) == ["poetry.lock", "pyproject.toml"]


def test_disk_full_while_staging_leaves_no_temp_files(tmp_path, monkeypatch):
    from migrate import pipeline
    from migrate.apply import journal
    from migrate.pipeline import RunOptions

    root = make(tmp_path)
    before = tree_digest(root)
    real = journal._write_file
    calls = {"n": 0}

    def full(target, data, *a):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(28, "No space left on device")
        return real(target, data, *a)

    monkeypatch.setattr(journal, "_write_file", full)
    result = pipeline.run(root, RunOptions(lock=False, codemods=False))
    assert result.exit_code == 1
    assert tree_digest(root) == before
    assert not (root / ".migrate").exists()


def test_demo_fixture_dry_run(tmp_path):
    root = tmp_path / "demo"
    shutil.copytree(FIXTURES / "demo", root)
    before = tree_digest(root)
    proc = run_migrate("run", str(root), "--dry-run", *FAST)
    assert proc.returncode == 0, proc.stderr
    assert tree_digest(root) == before
    assert "+[project]" in proc.stdout and "demo-app" in proc.stdout


def test_help_is_fast_and_lazy():
    code = "import sys, migrate.cli; print(sorted(m for m in ('libcst', 'tomlkit', 'rich.console') if m in sys.modules))"
    out = subprocess.run([os.sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
