"""The oracle: the migrated project builds the same wheel as the original.

For each layout in ``fixtures/wheel-oracle/`` a wheel is built with the real ``uv build`` (offline, build isolation,
backends from a wheelhouse packed from the test venv: see ``tests/backends.py``) from the original project and
from the migrated one, and name, version, Requires-Python, Requires-Dist, Provides-Extra, entry points and the
list of files must be equal.
"""

from __future__ import annotations

import shutil
import tomllib

import pytest

from backends import backend_wheelhouse, uv_build_wheel, wheel_facts
from conftest import FIXTURES, run_migrate

BUILD = FIXTURES / "wheel-oracle"


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory):
    return backend_wheelhouse(tmp_path_factory.mktemp("backends"))


def migrated_copy(src, dest, *args):
    shutil.copytree(src, dest)
    proc = run_migrate("run", str(dest), "--no-lock", "--no-codemods", "--allow-dirty", *args)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return dest


def both_wheels(layout, tmp_path, wheelhouse, *args):
    before = wheel_facts(uv_build_wheel(BUILD / layout, wheelhouse, tmp_path / "before"))
    root = migrated_copy(BUILD / layout, tmp_path / "migrated", *args)
    after = wheel_facts(uv_build_wheel(root, wheelhouse, tmp_path / "after"))
    return before, after, root


@pytest.mark.slow
@pytest.mark.parametrize("to_pep621", [False, True], ids=["dynamic", "to-pep621"])
@pytest.mark.parametrize("layout", ["setuppy-computed-version", "setupcfg-src-attr"])
def test_setuptools_package_builds_the_same_wheel(layout, to_pep621, tmp_path, wheelhouse):
    before, after, root = both_wheels(layout, tmp_path, wheelhouse, *(["--to-pep621"] if to_pep621 else []))
    assert after == before
    assert before["requires-dist"] and before["entry-points"]  # the oracle compares something real
    doc = tomllib.loads((root / "pyproject.toml").read_text())
    assert "version" in doc["project"]["dynamic"]  # computed (exec / attr:) in both layouts
    assert ("dependencies" in doc["project"]) is to_pep621
    assert doc["build-system"]["requires"] == ["setuptools>=61.0"]
    if to_pep621:  # moved, not copied: setup.py / setup.cfg no longer name the requirements
        assert "install_requires" not in "".join(
            (root / f).read_text() for f in ("setup.py", "setup.cfg") if (root / f).is_file())


POETRY_LAYOUTS = ["poetry-namespace-src", "poetry-single-module", "poetry-packages-from", "poetry-include-format"]


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["hatchling", "uv"])
@pytest.mark.parametrize("layout", POETRY_LAYOUTS)
def test_poetry_package_builds_the_same_wheel(layout, backend, tmp_path, wheelhouse):
    before, after, root = both_wheels(layout, tmp_path, wheelhouse, "--build-backend", backend)
    assert before["files"]  # the oracle compares something real
    assert after == before
