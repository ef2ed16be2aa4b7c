"""The commands `migrate run` ends with, and the pyenv-shim note (MIG236)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from conftest import FIXTURES, run_migrate

from migrate.nextsteps import next_steps, pyenv_shims
from migrate.target import Target


@pytest.fixture
def clean_env(tmp_path, monkeypatch):
    """No free-threaded interpreter anywhere, no pyenv: PATH, PYENV_ROOT and uv's folder are empty."""
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.delenv("MIGRATE_FT_PYTHON", raising=False)
    monkeypatch.delenv("PYENV_VERSION", raising=False)
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "pyenv"))
    monkeypatch.setenv("UV_PYTHON_INSTALL_DIR", str(empty))
    return tmp_path


def project(tmp_path: Path, version: str | None) -> Path:
    root = tmp_path / "proj"
    root.mkdir(parents=True)
    if version:
        (root / ".python-version").write_text(f"{version}\n")
    return root


def test_no_free_threaded_python_here_install_it_first(clean_env):
    root = project(clean_env, "3.13t")
    assert next_steps(root, Target.parse("3.13t")) == {"commands": ["uv python install 3.13t", "uv sync"],
                                                       "notes": [], "verify": f"migrate verify {root}"}


def test_a_local_free_threaded_python_is_named(clean_env, monkeypatch):
    root = project(clean_env, "3.13t")
    ft = clean_env / "bin" / "python3.13t"
    ft.parent.mkdir()
    ft.write_text("#!/bin/sh\n")
    ft.chmod(0o755)
    monkeypatch.setenv("PATH", str(ft.parent))  # installed on PATH
    assert next_steps(root, Target.parse("3.13t"))["commands"] == [f"uv sync --python {ft}"]
    monkeypatch.setenv("MIGRATE_FT_PYTHON", "/opt/ft/bin/python3.13t")  # the explicit one wins
    assert next_steps(root, Target.parse("3.13t"))["commands"] == ["uv sync --python /opt/ft/bin/python3.13t"]


def test_gil_target_or_no_python_version_is_a_plain_sync(clean_env):
    assert next_steps(project(clean_env, "3.13"), Target.parse("3.13"))["commands"] == ["uv sync"]
    assert "verify" not in next_steps(project(clean_env / "gil", "3.13"), Target.parse("3.13"))  # no GIL to check
    # requires-python excluded the target: .python-version was not written, uv picks from requires-python
    assert next_steps(clean_env, Target.parse("3.13t"))["commands"] == ["uv sync"]


def test_pyenv_shims_reading_python_version_are_noted(clean_env, monkeypatch):
    root = project(clean_env, "3.13t")
    shims = clean_env / "pyenv" / "shims"
    shims.mkdir(parents=True)
    monkeypatch.setenv("PATH", os.pathsep.join([str(clean_env / "empty"), str(shims)]))
    assert pyenv_shims() == str(shims)
    (note,) = next_steps(root, Target.parse("3.13t"))["notes"]
    assert note["code"] == "MIG236" and str(shims) in note["message"] and "(3.13t)" in note["message"]
    monkeypatch.setenv("PYENV_VERSION", "3.12.4")  # the shims do not read .python-version then
    assert next_steps(root, Target.parse("3.13t"))["notes"] == []
    monkeypatch.delenv("PYENV_VERSION")
    (clean_env / "pyenv" / "versions" / "3.13t").mkdir(parents=True)  # pyenv has that version
    assert next_steps(root, Target.parse("3.13t"))["notes"] == []
    assert next_steps(project(clean_env / "x", None), Target.parse("3.13t"))["notes"] == []


def test_run_ends_with_the_next_commands(tmp_path):
    root = tmp_path / "app"
    shutil.copytree(FIXTURES / "lock-poetry", root)
    env = {"MIGRATE_FT_PYTHON": "/opt/ft/bin/python3.13t"}
    proc = run_migrate("run", str(root), "--no-lock", "--no-codemods", "--allow-dirty", env=env)
    assert proc.returncode == 0, proc.stderr
    tail = proc.stderr[proc.stderr.index("Next:"):].splitlines()
    assert tail[:2] == ["Next:", "  $ uv sync --python /opt/ft/bin/python3.13t"]
    # then the command that proves it on that interpreter
    assert tail[2].startswith(f"  $ migrate verify {root} --python /opt/ft/bin/python3.13t")
    (root / "x").mkdir()
    shutil.copytree(FIXTURES / "lock-poetry", root / "x" / "app")
    proc = run_migrate("run", str(root / "x" / "app"), "--no-lock", "--no-codemods", "--allow-dirty",
                       "--dry-run", "--format", "json", env=env)
    assert json.loads(proc.stdout)["next"]["commands"] == ["uv sync --python /opt/ft/bin/python3.13t"]
