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


def _wheel(path, requires, files, version="1.0"):
    import zipfile

    with zipfile.ZipFile(path, "w") as zf:
        meta = f"Metadata-Version: 2.1\nName: demo\nVersion: {version}\nProvides-Extra: a\nProvides-Extra: b\n"
        meta += "".join(f"Requires-Dist: {r}\n" for r in requires)
        zf.writestr("demo-1.0.dist-info/METADATA", meta)
        for name, text in files.items():
            zf.writestr(name, text)
    return path


def test_compare_sees_meaning_not_text(tmp_path):
    """The comparison the real-repository table rests on: same meaning passes, any real change is named."""
    base = _wheel(tmp_path / "a.whl", ['x (>=1.2,<2.0) ; extra == "a" or extra == "b"', "y"], {"demo/__init__.py": "1"})
    same = _wheel(tmp_path / "b.whl", ["x<2,>=1.2; extra == 'a'", "x>=1.2,<2; extra == 'b'", "y"],
                  {"demo/__init__.py": "1"})
    assert compare(base, same) == []
    changed = _wheel(tmp_path / "c.whl", ["x>=1.2,<3; extra == 'a' or extra == 'b'"],
                     {"demo/__init__.py": "2", "demo/new.py": ""}, version="1.1")
    diffs = "\n".join(compare(base, changed))
    for expected in ("version: '1.0' -> '1.1'", "lost/changed: y", "new/changed: x>=1.2,<3",
                     "files new (1): demo/new.py", "file content differs (1): demo/__init__.py"):
        assert expected in diffs, diffs
