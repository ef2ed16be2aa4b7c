"""Shapes found on real repositories nobody here had seen (``bench/compare_build.py``), each reduced to a
hand-made fixture and checked with the wheel oracle: the migrated project builds the same wheel as the original
(real ``uv build``, offline, backends from the test environment: ``tests/backends.py``)."""

from __future__ import annotations

import shutil
import sys
import tomllib

import pytest

from backends import backend_wheelhouse, uv_build_wheel, wheel_facts
from conftest import FIXTURES, REPO, run_migrate

sys.path.insert(0, str(REPO / "bench"))
from compare_build import compare  # noqa: E402  (Requires-Dist by meaning: one `or` line == one line per extra)

BUILD = FIXTURES / "wheel-oracle"


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory):
    return backend_wheelhouse(tmp_path_factory.mktemp("backends"))


@pytest.mark.slow
def test_src_package_with_a_root_glob_and_a_missing_include(tmp_path, wheelhouse):
    """pytest-mock-resources' shape: ``packages from src`` + ``include = ["*.md", "py.typed"]``."""
    src = BUILD / "poetry-src-root-glob"
    before_wheel = uv_build_wheel(src, wheelhouse, tmp_path / "before")
    before = wheel_facts(before_wheel)
    root = tmp_path / "migrated"
    shutil.copytree(src, root)
    proc = run_migrate("run", str(root), "--no-lock", "--no-codemods", "--allow-dirty")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    after_wheel = uv_build_wheel(root, wheelhouse, tmp_path / "after")
    assert {"CHANGELOG.md", "README.md", "plug_res/fixtures.py"} <= set(before["files"])  # compares something
    assert before["entry-points"] == {"pytest11": {"plug_res": "plug_res.fixtures"}}
    assert compare(before_wheel, after_wheel) == []
    assert wheel_facts(after_wheel)["files"] == before["files"]
    wheel = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["hatch"]["build"]["targets"]["wheel"]
    assert wheel["sources"] == {"src/": ""} and "force-include" not in wheel
    out = proc.stdout + proc.stderr
    assert "MIG014" in out and "py.typed" in out  # the include Poetry ignores is named, not dropped silently


@pytest.mark.slow
def test_opaque_setup_py_builds_after_migrating(tmp_path, wheelhouse):
    """legit's shape: a Pipenv project whose ``setup()`` takes a ``**settings`` dict (every field dynamic)."""
    src = BUILD / "setuppy-opaque-settings"
    before_wheel = uv_build_wheel(src, wheelhouse, tmp_path / "before")
    root = tmp_path / "migrated"
    shutil.copytree(src, root)
    proc = run_migrate("run", str(root), "--no-lock", "--no-codemods", "--allow-dirty")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    assert "dependencies" in project["dynamic"] and "license-files" not in project["dynamic"]
    after_wheel = uv_build_wheel(root, wheelhouse, tmp_path / "after")
    assert wheel_facts(before_wheel)["entry-points"] == {"console_scripts": {"opaque": "opaque_pkg.cli:main"}}
    assert compare(before_wheel, after_wheel) == []
