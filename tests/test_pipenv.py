"""Pipenv reader: Pipfile (+ Pipfile.lock, + pyproject.toml) → the model → PEP 621, and the corpus."""

from __future__ import annotations

import json
import shutil
import textwrap
import tomllib
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from validate_pyproject.api import Validator

from conftest import CORPUS, run_migrate, tree_digest

from migrate.diagnostics import MigrateError
from migrate.pipeline import RunOptions, run
from migrate.pipenv import read_pipenv

VALIDATE = Validator()


def pipfile(tmp_path: Path, text: str, lock: dict | str | None = None, name: str = "my-app") -> Path:
    root = tmp_path / name
    root.mkdir()
    (root / "Pipfile").write_text(textwrap.dedent(text))
    if lock is not None:
        (root / "Pipfile.lock").write_text(lock if isinstance(lock, str) else json.dumps(lock))
    return root


def reqs(deps):
    return [d.requirement() for d in deps]


def test_packages_dev_and_custom_categories(tmp_path):
    p = read_pipenv(pipfile(tmp_path, """
        [packages]
        requests = "*"
        django = ">=3.2,<5"
        flask = "2.0.1"
        [dev-packages]
        pytest = "*"
        [Typing_Dev]
        mypy = "~=1.8"
        """))
    assert reqs(p.dependencies) == ["requests", "django>=3.2,<5", "flask==2.0.1"]
    assert reqs(p.groups["dev"]) == ["pytest"]
    assert reqs(p.groups["typing-dev"]) == ["mypy~=1.8"]
    assert p.name == "my-app" and p.package is False and p.old_files == ["Pipfile"]


def test_tables_extras_markers_and_marker_keys(tmp_path):
    p = read_pipenv(pipfile(tmp_path, """
        [packages]
        a = { version = ">=1", extras = ["x", "y"] }
        b = { version = "*", sys_platform = "== 'linux'", markers = "python_version < '3.12' or os_name == 'posix'" }
        c = { version = "*", platform_machine = "!='arm64'" }
        """))
    a, b, c = p.dependencies
    assert a.requirement() == "a[x,y]>=1"
    m = Marker(b.marker)
    assert m.evaluate({"sys_platform": "linux", "python_version": "3.13", "os_name": "posix"})
    assert not m.evaluate({"sys_platform": "darwin", "python_version": "3.11", "os_name": "posix"})
    assert not m.evaluate({"sys_platform": "linux", "python_version": "3.13", "os_name": "nt"})
    assert c.marker == 'platform_machine != "arm64"'


def test_git_path_file_and_index_sources(tmp_path):
    p = read_pipenv(pipfile(tmp_path, """
        [[source]]
        url = "https://pypi.org/simple"
        name = "pypi"
        [[source]]
        url = "https://private.example/simple"
        name = "private"
        [packages]
        lib = { git = "https://github.com/o/lib.git", ref = "v2", subdirectory = "py" }
        local = { path = "../local", editable = true }
        wheel = { file = "https://example.org/wheel-1.0-py3-none-any.whl" }
        secret = { version = "*", index = "private" }
        public = { version = "*", index = "pypi" }
        """))
    by = {d.name: d.source.to_toml() if d.source else None for d in p.dependencies}
    assert by == {
        "lib": {"git": "https://github.com/o/lib.git", "subdirectory": "py", "rev": "v2"},
        "local": {"path": "../local", "editable": True},
        "wheel": {"url": "https://example.org/wheel-1.0-py3-none-any.whl"},
        "secret": {"index": "private"},
        "public": None,
    }
    assert [(i.name, i.default, i.explicit) for i in p.indexes] == [("private", False, True)]


def test_first_source_not_pypi_becomes_default_index(tmp_path):
    p = read_pipenv(pipfile(tmp_path, """
        [[source]]
        url = "https://mirror.example/simple"
        name = "mirror"
        verify_ssl = false
        [[source]]
        url = "https://${TOKEN}@other.example/simple"
        name = "other"
        [packages]
        x = "*"
        """))
    assert [(i.name, i.default, i.explicit) for i in p.indexes] == [("other", False, True), ("mirror", True, False)]
    keys = {w.key for w in p.warnings}
    assert {"source[0].verify_ssl", "source[1].url"} <= keys


def test_requires_prereleases_and_scripts(tmp_path):
    p = read_pipenv(pipfile(tmp_path, """
        [requires]
        python_version = "3.9"
        [pipenv]
        allow_prereleases = true
        [scripts]
        serve = "python manage.py runserver"
        """))
    assert p.requires_python == ">=3.9"
    assert p.prerelease == "allow"
    (w,) = [w for w in p.warnings if w.code == "MIG101"]
    assert w.key == "scripts.serve" and "python manage.py runserver" in w.message


def test_python_full_version(tmp_path):
    p = read_pipenv(pipfile(tmp_path, '[requires]\npython_full_version = "3.11.4"\n'))
    assert p.requires_python == ">=3.11.4"


def test_self_install_makes_a_package(tmp_path):
    root = pipfile(tmp_path, '[packages]\nme = { path = ".", editable = true }\nx = "*"\n')
    (root / "setup.py").write_text("from setuptools import setup\nsetup()\n")
    p = read_pipenv(root)
    assert p.package is True and [d.name for d in p.dependencies] == ["x"]


def test_name_from_existing_pyproject_and_option(tmp_path):
    root = pipfile(tmp_path, '[packages]\nx = "*"\n')
    assert read_pipenv(root, name="given").name == "given"
    (root / "pyproject.toml").write_text('[project]\nname = "from-pyproject"\nversion = "1"\n')
    assert read_pipenv(root, name="given").name == "from-pyproject"


def test_pipfile_lock_pins_with_markers(tmp_path):
    lock = {
        "_meta": {"hash": {"sha256": "x"}, "pipfile-spec": 6, "requires": {}, "sources": []},
        "default": {
            "requests": {"hashes": [], "version": "==2.31.0"},
            "colorama": {"hashes": [], "version": "==0.4.6", "markers": "sys_platform == 'win32'"},
            "lib": {"git": "https://x", "ref": "abc"},
        },
        "develop": {"pytest": {"hashes": [], "version": "==8.0.0"}},
        "docs": {"sphinx": {"hashes": [], "version": "==7.2.6"}},
    }
    p = read_pipenv(pipfile(tmp_path, '[packages]\nrequests = "*"\n', lock=lock))
    assert {(x.name, x.version, x.marker) for x in p.pins} == {
        ("requests", "2.31.0", None), ("colorama", "0.4.6", "sys_platform == 'win32'"),
        ("pytest", "8.0.0", None), ("sphinx", "7.2.6", None)}
    assert p.old_files == ["Pipfile", "Pipfile.lock"]


@pytest.mark.parametrize(
    "pip,lock,path,key,fragment",
    [
        ("[packages\nx = '*'\n", None, "Pipfile", None, "invalid TOML"),
        ("[packages]\nx = 3\n", None, "Pipfile", "packages.x", "got number 3"),
        ("[packages]\nx = '>>1'\n", None, "Pipfile", "packages.x", "invalid version specifier"),
        ("[packages]\nx = { verison = '1' }\n", None, "Pipfile", "packages.x.verison", "did you mean 'version'"),
        ("[packages]\nx = { version = '*', index = 'nope' }\n", None, "Pipfile", "packages.x.index", "not a [[source]]"),
        ("[packages]\nx = '*'\n", "{not json", "Pipfile.lock", None, "invalid JSON"),
        ("[packages]\nx = '*'\n", {"default": {}}, "Pipfile.lock", "_meta", "_meta"),
        ("[packages]\nx = '*'\n", {"_meta": {}, "default": []}, "Pipfile.lock", "default", "expected an object"),
        ("[packages]\nx = '*'\n", {"_meta": {}, "default": {"x": {"version": 1}}}, "Pipfile.lock",
         "default.x.version", "expected a version"),
    ],
)
def test_malformed_input_is_a_clear_error(tmp_path, pip, lock, path, key, fragment):
    root = pipfile(tmp_path, pip, lock=lock)
    with pytest.raises(MigrateError) as info:
        read_pipenv(root)
    assert info.value.path == path and info.value.key == key and fragment in str(info.value)
    before = tree_digest(root)
    proc = run_migrate("run", str(root), "--no-lock", "--no-codemods")
    assert proc.returncode == 2 and fragment in proc.stderr and "Traceback" not in proc.stderr
    assert tree_digest(root) == before


def test_end_to_end_creates_pyproject_and_deletes_pipenv_files(tmp_path):
    root = pipfile(tmp_path, """
        [packages]
        requests = "*"
        [dev-packages]
        pytest = ">=8"
        [requires]
        python_version = "3.12"
        """, lock={"_meta": {}, "default": {"requests": {"version": "==2.31.0"}}})
    before = tree_digest(root)
    proc = run_migrate("run", str(root), "--dry-run", "--no-lock", "--no-codemods")
    assert proc.returncode == 0 and "+++ b/pyproject.toml" in proc.stdout and "--- a/Pipfile\n+++ /dev/null" in proc.stdout
    assert tree_digest(root) == before
    proc = run_migrate("run", str(root), "--format", "json", "--no-lock", "--no-codemods")
    data = json.loads(proc.stdout)
    assert data["source_format"] == "pipenv" and data["status"] == "migrated"
    assert {c["path"]: c["action"] for c in data["changes"]} == {
        "pyproject.toml": "create", "Pipfile": "delete", "Pipfile.lock": "delete", ".python-version": "create"}
    doc = tomllib.loads((root / "pyproject.toml").read_text())
    VALIDATE(doc)
    assert doc["project"]["dependencies"] == ["requests"]
    assert doc["dependency-groups"] == {"dev": ["pytest>=8"]}
    assert doc["tool"]["uv"]["package"] is False and "build-system" not in doc


def test_existing_pyproject_is_merged_not_replaced(tmp_path):
    root = pipfile(tmp_path, '[packages]\nrequests = "*"\n')
    (root / "pyproject.toml").write_text('# keep me\n[tool.black]\nline-length = 88\n')
    assert run_migrate("run", str(root), "--no-lock", "--no-codemods", "--keep-old-files").returncode == 0
    text = (root / "pyproject.toml").read_text()
    assert text.startswith("# keep me\n") and "[tool.black]\nline-length = 88" in text
    assert (root / "Pipfile").exists()


PIPENV = sorted(p.parent for p in CORPUS.glob("pipenv/*/Pipfile")) if CORPUS.is_dir() else []


@pytest.mark.skipif(not PIPENV, reason="../shared/corpus is not present")
@pytest.mark.parametrize("src", PIPENV, ids=[p.name for p in PIPENV])
def test_corpus_pipenv_project_converts(tmp_path, src):
    dst = tmp_path / src.name
    shutil.copytree(src, dst)
    original = tomllib.loads((src / "Pipfile").read_text(encoding="utf-8"))
    result = run(dst, RunOptions(lock=False, codemods=False, allow_dirty=True))
    assert result.exit_code == 0, result.error
    doc = tomllib.loads((dst / "pyproject.toml").read_text(encoding="utf-8"))
    VALIDATE(doc)
    names = {canonicalize_name(Requirement(r).name) for r in doc["project"].get("dependencies", [])}
    for group in doc.get("dependency-groups", {}).values():
        names |= {canonicalize_name(Requirement(r).name) for r in group if isinstance(r, str)}
    for category, table in original.items():
        if category in ("source", "requires", "pipenv", "scripts"):
            continue
        for name, spec in table.items():
            if isinstance(spec, dict) and spec.get("path") in (".", "./"):
                continue  # the project itself
            assert canonicalize_name(name.split("[")[0]) in names, f"{category}.{name} lost"


def test_extras_in_the_package_key(tmp_path):
    p = read_pipenv(pipfile(tmp_path, '[packages]\n"cache[redis]" = { version = ">=1", extras = ["x"] }\n'))
    assert reqs(p.dependencies) == ["cache[redis,x]>=1"]
