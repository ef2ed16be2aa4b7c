"""Real projects that locked under Poetry/Pipenv and failed under uv, one cause each, reproduced
offline with local wheels and sdists (real uv, ``--offline``, ``--find-links``):

* an old sdist that today's setuptools cannot build (``use_2to3``, python-discord/bot's
  feedparser 5.2.1): a build constraint caps setuptools (MIG211);
* a setuptools package whose setup.py reads its requirements from the Pipfile (zappa/Zappa): the
  Pipfile is kept, else neither the lock nor any build works (MIG212);
* a pinned sdist that cannot build on this machine (matrix-org/synapse's systemd-python 235 needs the
  libsystemd headers): its dependencies come from poetry.lock as ``[[tool.uv.dependency-metadata]]``
  (MIG213);
* a project whose version comes from its git tags (ibis-project/ibis: poetry-dynamic-versioning, now
  uv-dynamic-versioning) builds for its metadata in the staging copy, which links the repository's
  ``.git`` read-only;
* a Pipenv project that states no Python version gets the default ``requires-python = ">=3.9"``
  (MIG112); when uv fails only for a Python below the target that only this default admitted
  (pypa/pipenv: gunicorn 26.1 needs 3.10), that range is left out of ``environments`` (MIG210).
"""

from __future__ import annotations

import io
import json
import tarfile
import textwrap
import tomllib
from pathlib import Path

import pytest

from conftest import run_migrate
from projects import metadata_backend, poetry_project
from wheelhouse import build_wheelhouse

from migrate.lock.buildfix import build_caps, with_build_caps
from migrate.lock.environments import exclusion
from migrate.lock.oldmetadata import old_metadata, with_dependency_metadata
from migrate.readers.buildreads import read_at_build

pytestmark = pytest.mark.usefixtures("shared_uv_cache")


def _sdist(folder: Path, name: str, version: str, files: dict[str, str]) -> Path:
    base = f"{name}-{version}"
    path = folder / f"{base}.tar.gz"
    with tarfile.open(path, "w:gz") as tf:
        for rel, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{base}/{rel}")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path


#: an in-tree backend that behaves like setup.py with use_2to3=True: setuptools >= 58 rejects it
OLD_SETUP = metadata_backend("oldfeed", "5.2.1", """\
    if int(setuptools.__version__.split(".")[0]) >= 58:
        sys.stderr.write("error in oldfeed setup command: use_2to3 is invalid.\\n")
        raise SystemExit(1)
""", imports="import setuptools\n")


def pipenv_project(tmp_path: Path, packages: dict[str, str], pins: dict[str, str]) -> Path:
    root = tmp_path / "bot"
    root.mkdir()
    (root / "Pipfile").write_text("[packages]\n" + "".join(f'{k} = "{v}"\n' for k, v in packages.items())
                                  + '\n[requires]\npython_version = "3.11"\n')
    default = {n: {"version": f"=={v}", "hashes": []} for n, v in pins.items()}
    (root / "Pipfile.lock").write_text(json.dumps({"_meta": {"hash": {"sha256": "0"}, "pipfile-spec": 6,
                                                             "requires": {"python_version": "3.11"}, "sources": []},
                                                   "default": default, "develop": {}}, indent=4))
    return root


def test_an_sdist_that_needs_setuptools_before_58_locks_with_a_build_constraint(tmp_path):
    wheels = build_wheelhouse(tmp_path / "wheels", {
        # today's setuptools and the last one with use_2to3 (a tiny stand-in: only __version__ counts)
        "setuptools": {"57.5.0": ["py3-none-any"], "80.9.0": ["py3-none-any"]},
        "plain": {"1.0": ["py3-none-any"]},
    })
    _sdist(wheels, "oldfeed", "5.2.1", {
        "PKG-INFO": "Metadata-Version: 2.1\nName: oldfeed\nVersion: 5.2.1\n",
        "pyproject.toml": '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "backend"\nbackend-path = ["."]\n',
        "backend.py": OLD_SETUP})
    root = pipenv_project(tmp_path, {"oldfeed": "~=5.2", "plain": "*"}, {"oldfeed": "5.2.1", "plain": "1.0"})
    proc = run_migrate("run", str(root), "--offline", "--find-links", str(wheels), "--no-codemods",
                       "--format", "json", "--name", "bot")
    report = json.loads(proc.stdout)
    assert proc.returncode == 0, json.dumps(report["lock"].get("failure"), indent=1)
    assert report["lock"]["build_constraints"] == [{
        "requirement": "setuptools<58", "package": "oldfeed==5.2.1", "reason": "setuptools 58.0 removed use_2to3"}]
    [warning] = [w for w in report["warnings"] if w["code"] == "MIG211"]
    assert "oldfeed==5.2.1" in warning["message"] and "'setuptools<58'" in warning["message"]
    data = tomllib.loads((root / "pyproject.toml").read_text())
    assert data["tool"]["uv"]["build-constraint-dependencies"] == ["setuptools<58"]
    assert "# oldfeed==5.2.1: setuptools 58.0 removed use_2to3" in (root / "pyproject.toml").read_text()
    versions = {p["name"]: p["version"] for p in tomllib.loads((root / "uv.lock").read_text())["package"]}
    assert versions["oldfeed"] == "5.2.1" and versions["plain"] == "1.0"  # the old pins are kept
    # the environment builds with the same constraint: uv keeps it in the lock's manifest
    manifest = tomllib.loads((root / "uv.lock").read_text())["manifest"]
    assert manifest["build-constraints"] == [{"name": "setuptools", "specifier": "<58"}]


def test_no_cap_that_the_projects_own_build_requirements_contradict(tmp_path):
    """One constraint list applies to every build: ``setuptools<58`` would make the project's own
    ``setuptools>=61`` build fail at ``uv sync``. The cap is given up; the old sdist's failure stands."""
    wheels = build_wheelhouse(tmp_path / "wheels", {"setuptools": {"57.5.0": ["py3-none-any"], "80.9.0": ["py3-none-any"]}})
    _sdist(wheels, "oldfeed", "5.2.1", {
        "PKG-INFO": "Metadata-Version: 2.1\nName: oldfeed\nVersion: 5.2.1\n",
        "pyproject.toml": '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "backend"\nbackend-path = ["."]\n',
        "backend.py": OLD_SETUP})
    root = pipenv_project(tmp_path, {"oldfeed": "~=5.2"}, {"oldfeed": "5.2.1"})
    (root / "pyproject.toml").write_text('[project]\nname = "bot"\nversion = "1.0"\n\n[build-system]\n'
                                         'requires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n')
    proc = run_migrate("run", str(root), "--offline", "--find-links", str(wheels), "--no-codemods", "--format", "json")
    report = json.loads(proc.stdout)
    assert proc.returncode == 1, report
    assert any("use_2to3 is invalid" in line for line in report["lock"]["failure"]["uv"])
    assert not [w for w in report["warnings"] if w["code"] == "MIG211"]


def test_a_build_failure_of_another_kind_is_not_capped(tmp_path):
    wheels = build_wheelhouse(tmp_path / "wheels", {"setuptools": {"80.9.0": ["py3-none-any"]}})
    _sdist(wheels, "broken", "1.0", {
        "PKG-INFO": "Metadata-Version: 2.1\nName: broken\nVersion: 1.0\n",
        "pyproject.toml": '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "backend"\nbackend-path = ["."]\n',
        "backend.py": "def get_requires_for_build_wheel(config_settings=None):\n    raise SystemExit('no compiler')\n"})
    root = pipenv_project(tmp_path, {"broken": "*"}, {"broken": "1.0"})
    proc = run_migrate("run", str(root), "--offline", "--find-links", str(wheels), "--no-codemods",
                       "--format", "json", "--name", "bot")
    report = json.loads(proc.stdout)
    assert proc.returncode == 1 and report["lock"]["failure"]["class"] == "build"
    assert not (root / "pyproject.toml").exists()  # nothing written
    assert not [w for w in report["warnings"] if w["code"] == "MIG211"]


@pytest.mark.parametrize("stderr, caps", [
    ("error: Failed to build `feedparser==5.2.1`\n  error in feedparser setup command: use_2to3 is invalid.",
     [("setuptools<58", "feedparser==5.2.1")]),
    ("error: Failed to build `oldlib==1.0`\n  ModuleNotFoundError: No module named 'pkg_resources'",
     [("setuptools<82", "oldlib==1.0")]),
    ("error: Failed to build `markupsafe==1.0`\n  ImportError: cannot import name 'Feature' from 'setuptools' "
     "(/x/setuptools/__init__.py)", [("setuptools<46", "markupsafe==1.0")]),
    ("error: Failed to build `pyyaml==5.4.1`\n  AttributeError: cython_sources", [("cython<3", "pyyaml==5.4.1")]),
    ("error: Failed to build `x==1`\n  error: command 'gcc' failed", []),
])
def test_build_caps_from_uv_messages(stderr, caps):
    assert [(c.requirement, c.package) for c in build_caps(stderr)] == caps
    assert build_caps(stderr, build_caps(stderr)) == []  # never the same cap twice


def test_build_caps_are_written_with_their_reason():
    text = '[project]\nname = "x"\nversion = "1"\n\n[tool.uv]\npackage = false\n'
    out = with_build_caps(text, build_caps("Failed to build `a==1`\nuse_2to3 is invalid"))
    assert tomllib.loads(out)["tool"]["uv"] == {"package": False, "build-constraint-dependencies": ["setuptools<58"]}
    assert "# a==1: setuptools 58.0 removed use_2to3" in out


ZAPPA_SETUP = """\
from configparser import ConfigParser
from pathlib import Path

from setuptools import setup

pipfile = ConfigParser()
pipfile.read(Path(__file__).parent.resolve() / "Pipfile")
required = [
    "{}{}".format(name, version.strip('"')) if version != '"*"' else name for name, version in pipfile["packages"].items()
]

setup(name="lambdatool", version="1.0", packages=["lambdatool"], install_requires=required)
"""


@pytest.fixture(scope="module")
def backends(tmp_path_factory):
    from backends import backend_wheelhouse

    return backend_wheelhouse(tmp_path_factory.mktemp("backends"))


def test_a_pipfile_that_setup_py_reads_is_kept_and_the_package_locks(tmp_path, backends):
    wheels = build_wheelhouse(tmp_path / "wheels", {"plain": {"1.0": ["py3-none-any"], "2.0": ["py3-none-any"]}})
    root = tmp_path / "lambdatool"
    (root / "lambdatool").mkdir(parents=True)
    (root / "lambdatool" / "__init__.py").write_text("")
    (root / "setup.py").write_text(ZAPPA_SETUP)
    (root / "Pipfile").write_text('[packages]\nplain = "<2"\n\n[requires]\npython_version = "3.11"\n')
    proc = run_migrate("run", str(root), "--offline", "--find-links", str(wheels), "--find-links", str(backends),
                       "--no-codemods", "--format", "json")
    report = json.loads(proc.stdout)
    assert proc.returncode == 0, json.dumps(report["lock"].get("failure") or report.get("error"), indent=1)
    [warning] = [w for w in report["warnings"] if w["code"] == "MIG212"]
    assert warning["path"] == "Pipfile" and "setup.py reads it" in warning["message"]
    assert (root / "Pipfile").is_file() and {"path": "Pipfile", "action": "delete"} not in report["changes"]
    lock = tomllib.loads((root / "uv.lock").read_text())
    [me] = [p for p in lock["package"] if p["name"] == "lambdatool"]
    assert me["metadata"]["requires-dist"] == [{"name": "plain", "specifier": "<2"}]  # built from the Pipfile
    assert {p["name"]: p.get("version") for p in lock["package"]}["plain"] == "1.0"


@pytest.mark.parametrize("script, rel, found", [
    ('pipfile.read(Path(__file__).parent / "Pipfile")', "Pipfile", "setup.py"),
    ("open('deps/Pipfile.lock')", "Pipfile.lock", "setup.py"),
    ('open("Pipfile.lock")', "Pipfile", None),  # another file
    ("# dependencies are in the Pipfile", "Pipfile", None),  # a comment, not a read
    ('toml.load("poetry.lock")', "poetry.lock", "setup.py"),
])
def test_read_at_build(tmp_path, script, rel, found):
    (tmp_path / "setup.py").write_text(script + "\n")
    assert read_at_build(tmp_path, rel) == found


NO_HEADERS = """\
import sys

def get_requires_for_build_wheel(config_settings=None):
    sys.stderr.write("Cannot find libsystemd or libsystemd-journal:\\n")
    raise SystemExit(1)

prepare_metadata_for_build_wheel = build_wheel = get_requires_for_build_wheel
"""

NOBUILD_LOCK = """\
[[package]]
name = "sysbind"
version = "235"
description = ""
optional = false
python-versions = ">=3.8"
files = [
    {file = "sysbind-235.tar.gz", hash = "sha256:00"},
]

[package.dependencies]
plain = ">=1.0"
helper = {version = "^1.0", markers = "sys_platform == 'linux'"}
extra-dep = {version = "*", optional = true}

[package.extras]
fast = ["extra-dep (>=1.0)"]

[[package]]
name = "plain"
version = "1.0"
description = ""
optional = false
python-versions = "*"
files = []

[[package]]
name = "helper"
version = "1.1"
description = ""
optional = false
python-versions = "*"
files = []

[metadata]
lock-version = "2.0"
python-versions = "^3.10"
content-hash = "0"
"""


def test_a_pinned_sdist_that_does_not_build_here_locks_with_the_old_locks_metadata(tmp_path):
    wheels = build_wheelhouse(tmp_path / "wheels", {
        "plain": {"1.0": ["py3-none-any"], "2.0": ["py3-none-any"]},
        "helper": {"1.1": ["py3-none-any"]}, "extra-dep": {"1.0": ["py3-none-any"]}})
    _sdist(wheels, "sysbind", "235", {
        "PKG-INFO": "Metadata-Version: 2.1\nName: sysbind\nVersion: 235\nDynamic: Requires-Dist\n",
        "pyproject.toml": '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n',
        "backend.py": NO_HEADERS})
    root = poetry_project(tmp_path, 'sysbind = {version = ">=231", extras = ["fast"]}', folder="server",
                          name="server", version="1.0")
    (root / "poetry.lock").write_text(NOBUILD_LOCK)
    proc = run_migrate("run", str(root), "--offline", "--find-links", str(wheels), "--no-codemods", "--format", "json")
    report = json.loads(proc.stdout)
    assert proc.returncode == 0, json.dumps(report["lock"].get("failure"), indent=1)
    [warning] = [w for w in report["warnings"] if w["code"] == "MIG213"]
    assert "sysbind 235" in warning["message"] and "Cannot find libsystemd" in warning["message"]
    meta = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["uv"]["dependency-metadata"]
    assert meta == [{"name": "sysbind", "version": "235", "requires-python": ">=3.8", "provides-extras": ["fast"],
                     "requires-dist": ["plain>=1.0", 'helper>=1.0,<2.0 ; sys_platform == "linux"',
                                       'extra-dep>=1.0 ; extra == "fast"']}]
    lock = {p["name"]: p for p in tomllib.loads((root / "uv.lock").read_text())["package"]}
    assert lock["sysbind"]["version"] == "235" and lock["plain"]["version"] == "1.0"  # the old pins
    assert {d["name"] for d in lock["sysbind"]["dependencies"]} == {"plain", "helper"}
    assert lock["extra-dep"]["version"] == "1.0"  # the extra the project asks for


def test_old_metadata_only_for_the_pinned_version_of_a_poetry_lock(tmp_path):
    (tmp_path / "poetry.lock").write_text(NOBUILD_LOCK)
    err = "error: Failed to build `sysbind==235`\n  cause: The build backend returned an error\n  no compiler\n"
    meta = old_metadata(tmp_path, err)
    assert meta is not None and meta.why == "no compiler"
    assert old_metadata(tmp_path, err.replace("235", "236")) is None  # not the pinned version
    assert old_metadata(tmp_path, "error: Failed to build `app @ file:///x`") is None  # a local project
    (tmp_path / "poetry.lock").unlink()
    assert old_metadata(tmp_path, err) is None  # Pipfile.lock records no dependencies
    text = with_dependency_metadata('[tool.uv]\npackage = false\n', [meta])
    assert "# migrate: sysbind 235 did not build here for its metadata (no compiler); taken from poetry.lock" in text
    assert with_dependency_metadata(text, [meta]) == text  # never twice


UDV_HOOKS = """\
import subprocess

from hatchling.plugin import hookimpl
from hatchling.version.source.plugin.interface import VersionSourceInterface


class GitTagVersion(VersionSourceInterface):
    PLUGIN_NAME = "uv-dynamic-versioning"

    def get_version_data(self):
        out = subprocess.run(["git", "describe", "--tags", "--abbrev=0"], cwd=self.root, capture_output=True,
                             text=True)
        if out.returncode:
            raise RuntimeError("Unable to detect version control system. Checked: Git. " + out.stderr)
        subprocess.run(["git", "status", "--porcelain"], cwd=self.root, capture_output=True)  # the dirty check
        return {"version": out.stdout.strip().lstrip("v")}


@hookimpl
def hatch_register_version_source():
    return GitTagVersion
"""


def _plugin_wheel(folder: Path) -> Path:
    """A stand-in for uv-dynamic-versioning (a hatchling version source reading ``git describe``), as a
    real wheel with its ``hatch`` entry point: the test runs offline."""
    import base64
    import hashlib
    import zipfile

    info = "uv_dynamic_versioning-0.8.0.dist-info"
    files = {"uv_dynamic_versioning/__init__.py": "", "uv_dynamic_versioning/hooks.py": UDV_HOOKS,
             f"{info}/METADATA": "Metadata-Version: 2.1\nName: uv-dynamic-versioning\nVersion: 0.8.0\n"
                                 "Requires-Dist: hatchling\n",
             f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
             f"{info}/entry_points.txt": "[hatch]\nuv-dynamic-versioning = uv_dynamic_versioning.hooks\n"}
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(text.encode())}")
    files[f"{info}/RECORD"] = "\n".join(record + [f"{info}/RECORD,,"]) + "\n"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "uv_dynamic_versioning-0.8.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return path


def _git(root: Path, *args: str) -> str:
    import os
    import subprocess

    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t", "PATH": os.environ["PATH"], "HOME": str(root)}
    return subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True, text=True).stdout


def test_a_version_from_git_tags_builds_in_the_staging_copy_without_writing_the_repository(tmp_path, backends):
    import hashlib

    def digest(folder: Path) -> dict:
        return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(folder.rglob("*")) if p.is_file()}

    # editables: what hatchling asks for to build an editable (only installed, never used to lock)
    wheels = build_wheelhouse(tmp_path / "wheels", {"plain": {"1.0": ["py3-none-any"], "2.0": ["py3-none-any"]},
                                                    "editables": {"0.5": ["py3-none-any"]}})
    _plugin_wheel(wheels)
    repo = tmp_path / "repo"
    root = repo / "python"  # the project in a subfolder: the repository is found upwards
    (root / "vcsapp").mkdir(parents=True)
    (root / "vcsapp" / "__init__.py").write_text("")
    poetry_project(root, {"plain": "*"}, folder=".", package_mode=None, name="vcsapp", version="0.0.0",
                   extra=textwrap.dedent("""
        [tool.poetry-dynamic-versioning]
        enable = true
        style = "pep440"

        [build-system]
        requires = ["poetry-core>=1.0.0", "poetry-dynamic-versioning>=1.0.0,<2.0.0"]
        build-backend = "poetry_dynamic_versioning.backend"
        """))
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "init")
    _git(repo, "tag", "v1.2.3")
    _git(repo, "status", "--porcelain")
    before = digest(repo / ".git")
    assert "index" in before
    proc = run_migrate("run", str(root), "--offline", "--find-links", str(wheels), "--find-links", str(backends),
                       "--no-codemods", "--format", "json", "--dry-run")
    report = json.loads(proc.stdout)
    assert "MIG330" in {w["code"] for w in report["warnings"]}  # now uv-dynamic-versioning: built from git
    assert proc.returncode == 0, json.dumps(report["lock"].get("failure"), indent=1)
    assert {p["name"] for p in report["lock"]["packages"]} >= {"plain"}
    assert digest(repo / ".git") == before  # read, never written
    assert not (root / ".git").exists()  # the link is in the staging copy only


def test_a_python_below_the_target_that_only_the_default_requires_python_admitted_is_left_out(tmp_path):
    from wheelhouse import build_wheel

    wheels = tmp_path / "wheels"
    wheels.mkdir()
    build_wheel(wheels, "server", "26.1.0", "py3-none-any", requires_python=">=3.10")
    build_wheel(wheels, "server", "23.0.0", "py3-none-any", requires_python=">=3.7")
    build_wheel(wheels, "legacy", "1.0", "py3-none-any")
    build_wheel(wheels, "plain", "1.0", "py3-none-any")
    root = tmp_path / "tool"
    root.mkdir()
    # no [requires], no Pipfile.lock: requires-python is the reader's default; the markers make uv fork
    (root / "Pipfile").write_text('[dev-packages]\nserver = {version = "==26.1.*", sys_platform = "== \'linux\'"}\n'
                                  'legacy = {version = "*", markers = "python_version >= \'3.13\'"}\nplain = "*"\n')
    proc = run_migrate("run", str(root), "--offline", "--find-links", str(wheels), "--no-codemods", "--format", "json")
    report = json.loads(proc.stdout)
    assert "MIG112" in {w["code"] for w in report["warnings"]}
    assert proc.returncode == 0, json.dumps(report["lock"].get("failure"), indent=1)
    [excluded] = report["lock"]["excluded_environments"]
    assert "3.9" in excluded["marker"] and "default requires-python" in excluded["reason"]
    envs = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["uv"]["environments"]
    assert envs and all("3.9" in e or "3.10" in e for e in envs)
    versions = {p["name"]: p.get("version") for p in tomllib.loads((root / "uv.lock").read_text())["package"]}
    assert versions["server"] == "26.1.0"  # nothing dropped to make it lock


@pytest.mark.parametrize("marker, guessed, ok", [
    ("python_full_version == '3.9.*'", True, True),
    ("python_full_version < '3.10'", True, True),
    ("python_full_version == '3.9.*'", False, False),  # the project's own requires-python: uv's error stands
    ("python_full_version == '3.13.*'", True, False),  # the target itself
    ("python_full_version < '3.13.5'", True, False),  # holds for 3.13.0-3.13.4
])
def test_a_python_below_the_target_is_only_left_out_when_requires_python_was_guessed(marker, guessed, ok):
    assert (exclusion(marker, "3.13", ">=3.9", set(), set(), guessed) is not None) is ok


@pytest.mark.parametrize("sibling", [True, False])
def test_a_sibling_at_a_version_the_index_lacks_is_named_in_the_hint(tmp_path, sibling):
    wheels = build_wheelhouse(tmp_path / "wheels", {"libb": {"1.0": ["py3-none-any"]}})
    repo = tmp_path / "mono"
    app = poetry_project(repo, {"libb": "0.1.0"}, folder="packages/app")
    if sibling:
        poetry_project(repo, folder="packages/libb", name="libb", package_mode=None)
    proc = run_migrate("run", str(app), "--offline", "--find-links", str(wheels), "--no-codemods", "--format", "json")
    failure = json.loads(proc.stdout)["lock"]["failure"]
    assert proc.returncode == 1 and failure["class"] == "resolution"
    assert any("libb==0.1.0" in line for line in failure["uv"])  # uv's reason stands
    if sibling:
        assert failure["hint"].startswith("libb==0.1.0 is not on the index, but ../libb is that project")
        assert 'libb = { path = "../libb", editable = true }' in failure["hint"]
    else:
        assert failure["hint"] is None
