"""poetry-dynamic-versioning's version substitution survives the move to hatchling (found on real repositories:
copier wrote ``__version__ = "0.0.0"`` into its wheel after migrating, where the old build wrote the tag's version).

The plugin substitutes by default, whenever it is enabled: ``__version__ = "…"`` in ``*.py``,
``*/__init__.py``, ``*/__version__.py``, ``*/_version.py``; projects may set their own files and
``(prefix)old(suffix)`` patterns. One file with one match becomes hatchling's version build hook
(``[tool.hatch.build.hooks.version]`` with the pattern's middle as the ``version`` group); what the hook cannot
express (several files, a ``tuple`` pattern) is reported, never dropped silently.

The build test is a real offline ``uv build`` with hatchling from the test environment; only the version
*source* is swapped for a static version there, because uv-dynamic-versioning is not installed offline.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
import tomlkit

from backends import backend_wheelhouse, uv_build_wheel, wheel_facts
from projects import pdv_pyproject
from migrate import pipeline



def make(root: Path, extra: str = "", files: dict[str, str] | None = None) -> Path:
    (root / "pyproject.toml").write_text(pdv_pyproject(extra, name="subst-demo", version="0.0.0", description="x",
                                                      authors=("A <a@b.c>",), python="^3.9"))
    for rel, text in (files or {"subst_demo/__init__.py": '"""Demo."""\n\n__version__ = "0.0.0"\n'}).items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def plan(root: Path):
    res = pipeline.plan(root, pipeline.RunOptions(lock=False, codemods=False, dry_run=True))
    assert res.exit_code == 0, res.error
    return res, res.changes.current("pyproject.toml").decode()


def codes(res) -> list[str]:
    return [w.code for w in res.warnings]


def test_default_substitution_becomes_the_version_hook(tmp_path):
    res, text = plan(make(tmp_path))
    hook = tomllib.loads(text)["tool"]["hatch"]["build"]["hooks"]["version"]
    assert hook["path"] == "subst_demo/__init__.py"
    assert "MIG013" in codes(res) and "MIG331" not in codes(res)
    # the pattern finds exactly the placeholder, as the plugin's (prefix)old(suffix) did
    from hatchling.version.core import VersionFile

    vf = VersionFile(str(tmp_path), hook["path"])
    assert vf.read(pattern=hook["pattern"]) == "0.0.0"
    vf.set_version("1.4.0")
    assert (tmp_path / "subst_demo/__init__.py").read_text() == '"""Demo."""\n\n__version__ = "1.4.0"\n'


def test_project_patterns_and_files(tmp_path):
    extra = ('[tool.poetry-dynamic-versioning.substitution]\nfiles = ["*/version.py"]\n'
             "patterns = [\"(^version: str = ')[^']*(')\"]\n")
    files = {"subst_demo/__init__.py": '__version__ = "0.0.0"\n',  # not in the project's files: untouched
             "subst_demo/version.py": "version: str = '0.0.0'\n"}
    res, text = plan(make(tmp_path, extra, files))
    hook = tomllib.loads(text)["tool"]["hatch"]["build"]["hooks"]["version"]
    assert hook == {"path": "subst_demo/version.py", "pattern": "(?:^version: str = ')(?P<version>[^']*)(?:')"}
    assert "substitution" not in text  # converted, so not carried or reported as dropped
    assert "MIG331" not in codes(res)


def test_nothing_to_substitute_writes_no_hook(tmp_path):
    res, text = plan(make(tmp_path, files={"subst_demo/__init__.py": "from importlib import metadata\n"}))
    assert "hooks" not in tomllib.loads(text)["tool"].get("hatch", {}).get("build", {})
    assert "MIG013" not in codes(res) and "MIG331" not in codes(res)


@pytest.mark.parametrize("files", [
    {"subst_demo/__init__.py": '__version__ = "0.0.0"\n', "subst_demo/_version.py": '__version__ = "0.0.0"\n'},
    {"subst_demo/__init__.py": '__version__ = "0.0.0"\n__version_tuple__ = (0, 0, 0)\n'},
], ids=["two-files", "tuple-pattern"])
def test_what_the_hook_cannot_express_is_reported(tmp_path, files):
    res, text = plan(make(tmp_path, files=files))
    assert "hooks" not in tomllib.loads(text)["tool"].get("hatch", {}).get("build", {})
    mig331 = [w for w in res.warnings if w.code == "MIG331"]
    assert mig331 and all(f in mig331[0].message for f in files)


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory):
    return backend_wheelhouse(tmp_path_factory.mktemp("backends"))


@pytest.mark.slow
def test_the_built_wheel_carries_the_version(tmp_path, wheelhouse):
    (tmp_path / "proj").mkdir()
    root = make(tmp_path / "proj")
    res = pipeline.plan(root, pipeline.RunOptions(lock=False, codemods=False, dry_run=True))
    doc = tomlkit.parse(res.changes.current("pyproject.toml").decode())
    # offline stand-in for the VCS version source (uv-dynamic-versioning is not in the test environment)
    del doc["tool"]["hatch"]["version"]
    doc["project"]["dynamic"].remove("version")
    doc["project"]["version"] = "2.5.1"
    doc["build-system"]["requires"] = [r for r in doc["build-system"]["requires"] if "dynamic" not in r]
    (root / "pyproject.toml").write_text(tomlkit.dumps(doc))
    wheel = uv_build_wheel(root, wheelhouse, tmp_path / "out")
    assert wheel_facts(wheel)["version"] == "2.5.1"
    import zipfile

    with zipfile.ZipFile(wheel) as zf:
        assert '__version__ = "2.5.1"' in zf.read("subst_demo/__init__.py").decode()
