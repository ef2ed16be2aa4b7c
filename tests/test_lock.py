"""Lock stage end to end: the real uv, offline, against a local wheel folder built by the tests."""

from __future__ import annotations

import json
import os
import shutil
import textwrap
import tomllib
from pathlib import Path

import pytest

from conftest import run_migrate, tree_digest
from wheelhouse import build_wheelhouse

from migrate.freethreading import classify, find_fix
from migrate.index import IndexClient

LINUX = "manylinux_2_17_x86_64"


@pytest.fixture(scope="module")
def wheels(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("wheels")
    return build_wheelhouse(folder, {
        "alpha": {"1.0": ["py3-none-any"], "1.1": ["py3-none-any"], "2.0": ["py3-none-any"]},
        # like numpy: 1.0 has only GIL wheels, 1.1 adds cp313t, 1.2 (newest) drops it again
        "nativeft": {"1.0": [f"cp313-cp313-{LINUX}"], "1.1": [f"cp313-cp313-{LINUX}", f"cp313-cp313t-{LINUX}"],
                     "1.2": [f"cp313-cp313-{LINUX}", f"cp314-cp314t-{LINUX}"]},
        "nofix": {"3.0": [f"cp313-cp313-{LINUX}", f"cp313-abi3-{LINUX}"]},
        "beta": {"0.5": ["py3-none-any"], "0.6": ["py3-none-any"]},
    }, requires={("alpha", "1.0"): ["beta>=0.5"], ("alpha", "1.1"): ["beta>=0.5"]})


@pytest.fixture(autouse=True)
def _uv_cache(tmp_path_factory, monkeypatch):
    cache = tmp_path_factory.getbasetemp() / "uv-cache"
    monkeypatch.setenv("UV_CACHE_DIR", str(cache))


POETRY = """
[tool.poetry]
name = "app"
version = "0.1.0"
description = ""
authors = []

[tool.poetry.dependencies]
python = "^3.10"
alpha = "^1.0"
nativeft = ">=1.0"
nofix = "*"
"""

LOCK = """
[[package]]
name = "alpha"
version = "1.0"
description = ""
optional = false
python-versions = "*"
files = []

[[package]]
name = "beta"
version = "0.5"
description = ""
optional = false
python-versions = "*"
files = []

[[package]]
name = "nativeft"
version = "1.0"
description = ""
optional = false
python-versions = "*"
files = []

[metadata]
lock-version = "2.0"
python-versions = "^3.10"
content-hash = "x"
"""


def locked(root: Path) -> dict[str, set[str]]:
    data = tomllib.loads((root / "uv.lock").read_text())
    out: dict[str, set[str]] = {}
    for p in data["package"]:
        out.setdefault(p["name"], set()).add(p.get("version"))
    return out


def test_classify_by_wheel_names():
    assert classify(["a-1-py3-none-any.whl"], "cp313t") == "pure"
    assert classify([f"a-1-cp313-cp313t-{LINUX}.whl", f"a-1-cp313-cp313-{LINUX}.whl"], "cp313t") == "ft-wheels"
    assert classify([f"a-1-cp313-cp313-{LINUX}.whl", f"a-1-cp312-abi3-{LINUX}.whl"], "cp313t") == "blocker"
    assert classify(["a-1.tar.gz"], "cp313t") == "sdist-only"
    assert classify([f"a-1-py3-none-{LINUX}.whl"], "cp313t") == "pure"
    assert classify([f"a-1-cp314-cp314t-{LINUX}.whl"], "cp313t") == "blocker"
    assert classify([f"a-1-cp314-cp314t-{LINUX}.whl"], "cp314t") == "ft-wheels"


def test_find_fix_is_the_newest_with_target_wheels_not_the_newest(wheels):
    client = IndexClient(find_links=[str(wheels)], offline=True)
    assert find_fix("nativeft", "cp313t", client) == "1.1"
    assert find_fix("nativeft", "cp314t", client) == "1.2"
    assert find_fix("nativeft", "cp313t", client, "<1.1") is None
    assert find_fix("nofix", "cp313t", client) is None


def test_run_keeps_old_pins_and_upgrades_the_blocker(tmp_path, wheels):
    root = tmp_path / "app"
    root.mkdir()
    (root / "pyproject.toml").write_text(textwrap.dedent(POETRY))
    (root / "poetry.lock").write_text(LOCK)
    proc = run_migrate("run", str(root), "--offline", "--find-links", str(wheels), "--no-codemods",
                       "--format", "json")
    assert proc.returncode == 0, proc.stderr + proc.stdout
    report = json.loads(proc.stdout)
    versions = locked(root)
    assert versions["alpha"] == {"1.0"} and versions["beta"] == {"0.5"}  # pins kept although newer exist
    # the blocker moves to the newest version with cp313t wheels on 3.13; other Pythons keep the pin
    assert versions["nativeft"] == {"1.0", "1.1"}
    ft = {e["name"]: e for e in report["ft"]}
    assert ft["alpha"]["status"] == "pure"
    assert ft["nativeft"]["status"] == "upgraded" and ft["nativeft"]["fix"] == "nativeft==1.1"
    assert ft["nofix"]["status"] == "blocker" and ft["nofix"]["fix"] is None
    text = (root / "pyproject.toml").read_text()
    data = tomllib.loads(text)
    # only the free-threading fix stays: the temporary pins are gone
    assert data["tool"]["uv"]["constraint-dependencies"] == ["nativeft==1.1; python_version == '3.13'"]
    assert "# free-threading: nativeft 1.0 has no cp313t wheels" in text
    assert {c["path"] for c in report["changes"]} >= {"uv.lock", "pyproject.toml", "poetry.lock"}
    assert any(w["code"] == "MIG203" and w["key"] == "nofix" for w in report["warnings"])
    assert report["lock"]["kept_pins"] == 3  # nativeft 1.0 stays for the other Pythons


def test_no_ft_upgrade_only_reports(tmp_path, wheels):
    root = tmp_path / "app"
    root.mkdir()
    (root / "pyproject.toml").write_text(textwrap.dedent(POETRY))
    (root / "poetry.lock").write_text(LOCK)
    proc = run_migrate("run", str(root), "--offline", "--find-links", str(wheels), "--no-codemods",
                       "--no-ft-upgrade", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert locked(root)["nativeft"] == {"1.0"}
    assert "constraint-dependencies" not in tomllib.loads((root / "pyproject.toml").read_text()).get("tool", {}).get("uv", {})


def test_pins_that_no_longer_resolve_are_reported(tmp_path, wheels):
    root = tmp_path / "app"
    root.mkdir()
    (root / "pyproject.toml").write_text(textwrap.dedent(POETRY).replace('alpha = "^1.0"', 'alpha = ">=1.1"'))
    (root / "poetry.lock").write_text(LOCK)
    proc = run_migrate("run", str(root), "--offline", "--find-links", str(wheels), "--no-codemods",
                       "--no-ft-upgrade", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    versions = locked(root)
    assert versions["alpha"] == {"2.0"} and "beta" not in versions  # alpha 2.0 no longer needs beta
    assert versions["nativeft"] == {"1.0"}  # the other pins are still kept
    (changed,) = report["lock"]["changed_pins"]
    assert changed["name"] == "alpha" and changed["old"] == ["1.0"]
    assert "does not resolve" in changed["why"] and "alpha" in changed["why"].split(":", 1)[1]


def test_uv_failure_exits_1_and_writes_nothing(tmp_path, wheels):
    root = tmp_path / "app"
    root.mkdir()
    (root / "pyproject.toml").write_text(textwrap.dedent(POETRY).replace('alpha = "^1.0"', 'missing-pkg = "^9"'))
    before = tree_digest(root)
    proc = run_migrate("run", str(root), "--offline", "--find-links", str(wheels), "--no-codemods")
    assert proc.returncode == 1
    assert "missing-pkg" in proc.stderr and "left exactly as it was" in proc.stderr
    assert tree_digest(root) == before


def test_dry_run_shows_uv_lock_as_created(tmp_path, wheels):
    root = tmp_path / "app"
    root.mkdir()
    (root / "pyproject.toml").write_text(textwrap.dedent(POETRY))
    before = tree_digest(root)
    proc = run_migrate("run", str(root), "--dry-run", "--offline", "--find-links", str(wheels), "--no-codemods")
    assert proc.returncode == 0, proc.stderr
    assert "--- /dev/null\n+++ b/uv.lock" in proc.stdout
    assert tree_digest(root) == before


PIPFILE = """
[[source]]
url = "https://pypi.org/simple"
verify_ssl = true
name = "pypi"

[packages]
alpha = "*"
nativeft = "*"

[requires]
python_version = "3.12"
"""


def test_pipenv_project_keeps_pipfile_lock_pins(tmp_path, wheels):
    root = tmp_path / "papp"
    root.mkdir()
    (root / "Pipfile").write_text(PIPFILE)
    (root / "Pipfile.lock").write_text(json.dumps({
        "_meta": {"pipfile-spec": 6},
        "default": {"alpha": {"version": "==1.1"}, "beta": {"version": "==0.5"},
                    "nativeft": {"version": "==1.0"}},
        "develop": {},
    }))
    proc = run_migrate("run", str(root), "--offline", "--find-links", str(wheels), "--no-codemods",
                       "--format", "json")
    assert proc.returncode == 0, proc.stderr
    versions = locked(root)
    assert versions["alpha"] == {"1.1"} and versions["beta"] == {"0.5"} and versions["nativeft"] == {"1.0", "1.1"}
    assert not (root / "Pipfile.lock").exists()


def test_deps_command_reads_poetry_lock_and_uv_lock(tmp_path, wheels):
    root = tmp_path / "app"
    root.mkdir()
    (root / "pyproject.toml").write_text(textwrap.dedent(POETRY))
    (root / "poetry.lock").write_text(LOCK.replace('name = "nativeft"\nversion = "1.0"\ndescription = ""\n'
                                                   'optional = false\npython-versions = "*"\nfiles = []',
                                                   'name = "nativeft"\nversion = "1.0"\ndescription = ""\n'
                                                   'optional = false\npython-versions = "*"\nfiles = [\n'
                                                   f'  {{file = "nativeft-1.0-cp313-cp313-{LINUX}.whl", hash = "sha256:0"}},\n]'))
    proc = run_migrate("deps", str(root), "--offline", "--find-links", str(wheels), "--format", "json")
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    ft = {e["name"]: e for e in data["packages"]}
    assert data["lock"] == "poetry.lock"
    assert ft["nativeft"]["status"] == "blocker" and ft["nativeft"]["fix"] == "nativeft==1.1"
    assert ft["alpha"]["status"] == "pure"  # files empty in the lock: looked up in the wheel folder
    proc = run_migrate("deps", str(root), "--offline", "--find-links", str(wheels), "--target", "3.14t",
                       "--format", "json")
    assert {e["name"]: e["fix"] for e in json.loads(proc.stdout)["packages"]}["nativeft"] == "nativeft==1.2"
    text = run_migrate("deps", str(root), "--offline", "--find-links", str(wheels))
    assert text.returncode == 1 and "blocker" in text.stdout and "nativeft" in text.stdout


def test_deps_without_a_lock_is_bad_input(tmp_path):
    proc = run_migrate("deps", str(tmp_path))
    assert proc.returncode == 2 and "no uv.lock" in proc.stderr


@pytest.mark.network
def test_numpy_real_index_newest_with_cp313t_is_not_the_newest():
    """The real case on PyPI: numpy 2.5.x has cp314t but no cp313t wheels; 2.4.x has cp313t."""
    client = IndexClient()
    fix = find_fix("numpy", "cp313t", client)
    assert fix is not None and fix.startswith("2.4.")
    assert find_fix("numpy", "cp314t", client) is not None


def test_one_package_pinned_twice_under_markers_keeps_both(tmp_path, wheels):
    root = tmp_path / "app"
    root.mkdir()
    (root / "pyproject.toml").write_text(textwrap.dedent(POETRY).replace('nativeft = ">=1.0"\nnofix = "*"\n', ""))
    (root / "poetry.lock").write_text(LOCK.replace(
        'name = "alpha"\nversion = "1.0"\ndescription = ""\noptional = false\npython-versions = "*"\n',
        'name = "alpha"\nversion = "1.0"\ndescription = ""\noptional = false\npython-versions = "*"\n'
        'markers = "python_version < \\"3.12\\""\n') + textwrap.dedent('''
        [[package]]
        name = "alpha"
        version = "1.1"
        description = ""
        optional = false
        python-versions = "*"
        markers = "python_version >= \\"3.12\\""
        files = []
        '''))
    proc = run_migrate("run", str(root), "--offline", "--find-links", str(wheels), "--no-codemods",
                       "--format", "json")
    assert proc.returncode == 0, proc.stderr + proc.stdout
    assert locked(root)["alpha"] == {"1.0", "1.1"}  # uv forks on the markers, as the old lock did
    assert json.loads(proc.stdout)["lock"]["changed_pins"] == []
