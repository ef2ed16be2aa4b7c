"""Pipenv reader at the model level: one test per Pipfile / Pipfile.lock key, and malformed input."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from packaging.markers import Marker

from conftest import FIXTURES

from migrate.diagnostics import MigrateError
from migrate.discover import detect
from migrate.readers.pipenv import read_pipenv, read_pipfile_lock

META = {"hash": {"sha256": "0" * 64}, "pipfile-spec": 6, "requires": {}, "sources": []}


def pipfile(tmp_path: Path, text: str, lock: dict | str | None = None, name: str = "my-app") -> Path:
    root = tmp_path / name
    root.mkdir()
    (root / "Pipfile").write_text(textwrap.dedent(text))
    if lock is not None:
        (root / "Pipfile.lock").write_text(lock if isinstance(lock, str) else json.dumps(lock))
    return root


def read(tmp_path: Path, text: str, **kw):
    """The model; without the MIG112 note (no Python version anywhere) that most Pipfiles here get."""
    project = read_pipenv(pipfile(tmp_path, text, **kw))
    project.warnings = [w for w in project.warnings if w.code != "MIG112"]
    return project


def reqs(deps) -> list[str]:
    return [d.requirement() for d in deps]


def sources(project) -> dict:
    return {d.name: d.source.to_toml() for d in project.all_dependencies() if d.source is not None}


def codes(project) -> set[tuple[str, str | None]]:
    return {(w.code, w.key) for w in project.warnings}


# -- detection, name, package ------------------------------------------------------------------------
def test_detected_with_or_without_a_pyproject(tmp_path):
    root = pipfile(tmp_path, "[packages]\n")
    assert detect(root) == "pipenv"
    (root / "pyproject.toml").write_text("[tool.black]\nline-length = 88\n")
    assert detect(root) == "pipenv"
    (root / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "1"\n')
    assert detect(root) == "pipenv"


def test_name_from_the_folder_normalised(tmp_path):
    assert read_pipenv(pipfile(tmp_path, "", name="My_Web.App")).name == "my-web-app"
    assert read_pipenv(pipfile(tmp_path, "", name="odd name (copy)")).name == "odd-name-copy"


def test_name_from_option_and_from_an_existing_pyproject(tmp_path):
    root = pipfile(tmp_path, "")
    assert read_pipenv(root, name="given").name == "given"
    (root / "pyproject.toml").write_text('[project]\nname = "From_Pyproject"\nversion = "1"\n')
    p = read_pipenv(root, name="given")
    assert p.name == "From_Pyproject" and p.version is None and p.existing_project_keys == {"name", "version"}


def test_dynamic_version_in_an_existing_pyproject_is_not_overwritten(tmp_path):
    root = pipfile(tmp_path, "")
    (root / "pyproject.toml").write_text('[project]\nname = "x"\ndynamic = ["version"]\n')
    assert read_pipenv(root).version is None


def test_no_usable_folder_name_asks_for_name(tmp_path):
    root = pipfile(tmp_path, "", name="___")
    with pytest.raises(MigrateError, match="--name"):
        read_pipenv(root)
    assert read_pipenv(root, name="ok").name == "ok"


def test_an_application_is_not_a_package(tmp_path):
    p = read(tmp_path, '[packages]\nx = "*"\n')
    assert p.package is False and p.keep_build_system is True and p.version == "0.1.0"


@pytest.mark.parametrize("builder", ["setup.py", "setup.cfg", "build-system"])
def test_a_project_that_already_builds_stays_a_package(tmp_path, builder):
    root = pipfile(tmp_path, '[packages]\nx = "*"\n')
    if builder == "build-system":
        (root / "pyproject.toml").write_text('[build-system]\nrequires = ["flit_core"]\nbuild-backend = "flit_core.buildapi"\n')
    elif builder == "setup.py":
        (root / builder).write_text('from setuptools import setup\nsetup(name="my-lib")\n')
    else:
        (root / builder).write_text("[metadata]\nname = my-lib\n")
    p = read_pipenv(root)
    assert p.package is True and p.keep_build_system is True


@pytest.mark.parametrize("path", [".", "./", "../my-app"])
def test_self_install_makes_a_package_not_a_dependency(tmp_path, path):
    p = read(tmp_path, f'[dev-packages]\nme = {{ path = "{path}", editable = true }}\nx = "*"\n')
    assert p.package is True and reqs(p.groups["dev"]) == ["x"] and p.dependencies == []


def test_self_install_with_extras_is_reported(tmp_path):
    p = read(tmp_path, '[packages]\nme = { path = ".", editable = true, extras = ["a", "b"] }\n')
    (w,) = p.warnings
    assert (w.code, w.key) == ("MIG102", "packages.me.extras") and "uv sync --extra a --extra b" in w.message


# -- categories and version strings --------------------------------------------------------------------
def test_packages_become_dependencies(tmp_path):
    p = read(tmp_path, '[packages]\nrequests = "*"\nDjango = ">=3.2,<5"\n')
    assert reqs(p.dependencies) == ["requests", "Django>=3.2,<5"] and p.groups == {}


def test_dev_packages_become_the_dev_group(tmp_path):
    p = read(tmp_path, '[dev-packages]\npytest = "*"\n')
    assert reqs(p.groups["dev"]) == ["pytest"] and p.dependencies == []


def test_custom_categories_become_normalised_groups(tmp_path):
    p = read(tmp_path, '[Typing_Dev]\nmypy = "~=1.8"\n["docs.build"]\nsphinx = "*"\n["my docs!"]\nmkdocs = "*"\n')
    assert {g: reqs(d) for g, d in p.groups.items()} == {
        "typing-dev": ["mypy~=1.8"], "docs-build": ["sphinx"], "my-docs": ["mkdocs"]}


@pytest.mark.parametrize(
    "text,expected",
    [
        ("*", ""),
        ("", ""),
        ("2.0.1", "==2.0.1"),
        ("==2.0.1", "==2.0.1"),
        (">= 1.0, < 2", ">=1.0,<2"),
        ("~=1.4", "~=1.4"),
        ("!=1.5,>1", "!=1.5,>1"),
        ("==1.*", "==1.*"),
        (">=2.0b1", ">=2.0b1"),
    ],
)
def test_version_strings(tmp_path, text, expected):
    p = read(tmp_path, f'[packages]\nx = "{text}"\n')
    assert p.dependencies[0].specifier == expected


def test_version_in_a_table(tmp_path):
    p = read(tmp_path, '[packages]\nx = { version = "1.2" }\ny = { version = "*" }\nz = {}\n')
    assert reqs(p.dependencies) == ["x==1.2", "y", "z"]


# -- extras and markers ------------------------------------------------------------------------------------
def test_extras_in_the_table_and_in_the_key(tmp_path):
    p = read(tmp_path, '[packages]\na = { version = ">=1", extras = ["y", "x"] }\n"b[redis]" = { version = "*", extras = ["x", "redis"] }\n"c[s]" = "*"\n')
    assert reqs(p.dependencies) == ["a[x,y]>=1", "b[redis,x]", "c[s]"]


def test_markers_string(tmp_path):
    p = read(tmp_path, '[packages]\nx = { version = "*", markers = "python_version < \'3.12\' or os_name == \'posix\'" }\n')
    m = Marker(p.dependencies[0].marker)
    assert m.evaluate({"python_version": "3.11", "os_name": "nt"})
    assert not m.evaluate({"python_version": "3.13", "os_name": "nt"})


@pytest.mark.parametrize(
    "key,value,expected",
    [
        ("sys_platform", "== 'linux'", "sys_platform == 'linux'"),
        ("sys_platform", "=='win32'", "sys_platform == 'win32'"),
        ("platform_machine", "!='arm64'", "platform_machine != 'arm64'"),
        ("os_name", "== \"nt\"", "os_name == 'nt'"),
        ("os_name", "nt", "os_name == 'nt'"),
        ("python_version", ">= '3.9'", "python_version >= '3.9'"),
        ("python_version", "<3.11", "python_version < '3.11'"),
        ("python_full_version", ">='3.11.4'", "python_full_version >= '3.11.4'"),
        ("platform_system", "== 'Windows'", "platform_system == 'Windows'"),
        ("platform_python_implementation", "=='CPython'", "platform_python_implementation == 'CPython'"),
        ("implementation_name", "!= 'pypy'", "implementation_name != 'pypy'"),
        ("platform_release", "in '5.15 6.1'", "platform_release in '5.15 6.1'"),
    ],
)
def test_marker_keys(tmp_path, key, value, expected):
    p = read(tmp_path, f'[packages]\nx = {{ version = "*", {key} = {json.dumps(value)} }}\n')
    assert Marker(p.dependencies[0].marker) == Marker(expected)


def test_markers_and_marker_keys_are_combined_with_and(tmp_path):
    p = read(tmp_path, """
        [packages]
        x = { version = "*", markers = "python_version < '3.12' or os_name == 'posix'", sys_platform = "== 'linux'", platform_machine = "!= 'arm64'" }
        """)
    m = Marker(p.dependencies[0].marker)
    env = {"python_version": "3.13", "os_name": "posix", "sys_platform": "linux", "platform_machine": "x86_64"}
    assert m.evaluate(env)
    assert not m.evaluate({**env, "sys_platform": "darwin"})
    assert not m.evaluate({**env, "platform_machine": "arm64"})
    # the `or` stays grouped: a Windows Python 3.11 on linux-less platform does not sneak in
    assert not m.evaluate({**env, "sys_platform": "win32", "python_version": "3.11", "os_name": "nt"})
    assert m.evaluate({**env, "python_version": "3.11", "os_name": "nt"})


# -- git, path, file, index ----------------------------------------------------------------------------------
def test_git_with_ref_and_subdirectory(tmp_path):
    p = read(tmp_path, '[packages]\nlib = { git = "https://github.com/o/lib.git", ref = "v2", subdirectory = "py" }\n')
    assert sources(p) == {"lib": {"git": "https://github.com/o/lib.git", "subdirectory": "py", "rev": "v2"}}
    assert reqs(p.dependencies) == ["lib"] and p.warnings == []


def test_git_ssh_form_and_editable_git(tmp_path):
    p = read(tmp_path, '[packages]\nlib = { git = "git+ssh://git@github.com/o/lib.git", editable = true }\n')
    assert sources(p)["lib"]["git"].startswith("ssh://git@github.com/o/lib.git")
    assert codes(p) == {("MIG102", "packages.lib.editable")}


def test_path_with_and_without_editable(tmp_path):
    p = read(tmp_path, '[packages]\na = { path = "../a", editable = true }\nb = { path = "./vendor/b-1.0.tar.gz" }\n')
    assert sources(p) == {"a": {"path": "../a", "editable": True}, "b": {"path": "./vendor/b-1.0.tar.gz"}}


def test_file_url_is_a_direct_reference(tmp_path):
    p = read(tmp_path, '[packages]\nw = { file = "https://example.org/w-1.0-py3-none-any.whl", sys_platform = "== \'linux\'" }\n')
    (d,) = p.dependencies
    assert d.source is None and d.requirement() == 'w @ https://example.org/w-1.0-py3-none-any.whl ; sys_platform == "linux"'


def test_local_file_is_a_path_source(tmp_path):
    p = read(tmp_path, '[packages]\nw = { file = "file://./dist/w-1.0.tar.gz" }\nv = { file = "vendor/v.zip" }\n')
    assert sources(p) == {"w": {"path": "./dist/w-1.0.tar.gz"}, "v": {"path": "vendor/v.zip"}}


def test_placeholder_name_is_reported(tmp_path):
    p = read(tmp_path, '[packages]\n"e682b37" = { file = "https://example.org/archive.zip" }\n')
    assert codes(p) == {("MIG102", "packages.e682b37")}


# -- [[source]] -------------------------------------------------------------------------------------------------
def test_pypi_first_source_writes_no_index_and_others_are_explicit(tmp_path):
    p = read(tmp_path, """
        [[source]]
        url = "https://pypi.org/simple"
        name = "pypi"
        [[source]]
        url = "https://private.example/simple"
        name = "Private_Repo"
        [packages]
        secret = { version = ">=1", index = "Private_Repo" }
        public = { version = "*", index = "pypi" }
        plain = "*"
        """)
    assert [i.to_toml() for i in p.indexes] == [
        {"name": "private-repo", "url": "https://private.example/simple", "explicit": True}]
    assert sources(p) == {"secret": {"index": "private-repo"}}
    assert reqs(p.dependencies) == ["secret>=1", "public", "plain"]


def test_first_source_not_pypi_becomes_the_default_index(tmp_path):
    p = read(tmp_path, """
        [[source]]
        url = "https://mirror.example/simple"
        name = "mirror"
        [[source]]
        url = "https://pypi.org/simple"
        name = "pypi"
        [packages]
        a = { version = "*", index = "pypi" }
        b = { version = "*", index = "mirror" }
        """)
    assert [i.to_toml() for i in p.indexes] == [
        {"name": "pypi", "url": "https://pypi.org/simple", "explicit": True},
        {"name": "mirror", "url": "https://mirror.example/simple", "default": True},
    ]
    assert sources(p) == {"a": {"index": "pypi"}}


def test_no_source_means_pypi(tmp_path):
    assert read(tmp_path, '[packages]\nx = "*"\n').indexes == []


@pytest.mark.parametrize("url", ["https://${USER}:${TOKEN}@private.example/simple", "$PRIVATE_URL"])
def test_environment_variables_in_source_urls_are_kept_and_reported(tmp_path, url):
    p = read(tmp_path, f'[[source]]\nurl = "https://pypi.org/simple"\nname = "pypi"\n'
                       f'[[source]]\nurl = "{url}"\nname = "corp.repo"\n')
    assert p.indexes[0].url == url
    (w,) = p.warnings
    assert w.key == "source[1].url" and "UV_INDEX_CORP_REPO_PASSWORD" in w.message


def test_verify_ssl_false_is_reported(tmp_path):
    p = read(tmp_path, '[[source]]\nurl = "https://m.example/simple"\nname = "m"\nverify_ssl = false\n')
    (w,) = p.warnings
    assert w.key == "source[0].verify_ssl" and "allow-insecure-host" in w.message and "m.example" in w.message


# -- [requires], [pipenv], [scripts] ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text,expected",
    [
        ('python_version = "3.9"', ">=3.9"),
        ('python_version = "3"', ">=3"),
        ('python_full_version = "3.11.4"', ">=3.11.4"),
        ('python_version = "3.10"\npython_full_version = "3.10.2"', ">=3.10.2"),
    ],
)
def test_requires_python(tmp_path, text, expected):
    p = read(tmp_path, f"[requires]\n{text}\n")
    assert p.requires_python == expected


def test_requires_python_yields_to_an_existing_pyproject(tmp_path):
    root = pipfile(tmp_path, '[requires]\npython_version = "3.8"\n')
    (root / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "1"\nrequires-python = ">=3.10"\n')
    assert read_pipenv(root).requires_python is None


def test_allow_prereleases(tmp_path):
    assert read(tmp_path, "[pipenv]\nallow_prereleases = true\n", name="a").prerelease == "allow"
    assert read(tmp_path, "[pipenv]\nallow_prereleases = false\n", name="b").prerelease is None


def test_other_pipenv_settings_are_reported(tmp_path):
    p = read(tmp_path, "[pipenv]\nuse_pylock = true\n")
    assert codes(p) == {("MIG102", "pipenv.use_pylock")}


def test_scripts_are_each_reported(tmp_path):
    p = read(tmp_path, '[scripts]\nserve = "python manage.py runserver"\ntest = ["pytest", "-q"]\n')
    ws = {w.key: w for w in p.warnings}
    assert set(ws) == {"scripts.serve", "scripts.test"} and {w.code for w in ws.values()} == {"MIG101"}
    assert "uv run python manage.py runserver" in ws["scripts.serve"].message
    assert "uv run pytest -q" in ws["scripts.test"].message


def test_existing_dependencies_are_reported(tmp_path):
    root = pipfile(tmp_path, '[packages]\nx = "*"\n')
    (root / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "1"\ndependencies = ["y"]\n')
    assert codes(read_pipenv(root)) - {("MIG112", "requires")} == {("MIG102", "packages")}


# -- Pipfile.lock -------------------------------------------------------------------------------------------------
def test_pipfile_lock_pins_every_category_with_markers(tmp_path):
    lock = {
        "_meta": META,
        "default": {
            "requests": {"hashes": [], "version": "==2.31.0", "index": "pypi"},
            "colorama": {"hashes": [], "version": "==0.4.6", "markers": "sys_platform == 'win32'"},
            "lib": {"git": "https://x", "ref": "abc"},
            "me": {"editable": True, "path": ".", "version": "==1.0"},
        },
        "develop": {"pytest": {"hashes": [], "version": "==8.0.0"}},
        "docs": {"sphinx": {"hashes": [], "version": "==7.2.6"}},
    }
    p = read(tmp_path, '[packages]\nrequests = "*"\n', lock=lock)
    assert {(x.name, x.version, x.marker) for x in p.pins} == {
        ("requests", "2.31.0", None), ("colorama", "0.4.6", "sys_platform == 'win32'"),
        ("pytest", "8.0.0", None), ("sphinx", "7.2.6", None)}
    assert next(x for x in p.pins if x.name == "requests").origin == "pypi"
    assert p.lock_file == "Pipfile.lock" and p.old_files == ["Pipfile", "Pipfile.lock"]


def test_without_a_lock(tmp_path):
    p = read(tmp_path, '[packages]\nx = "*"\n')
    assert p.pins == [] and p.lock_file is None and p.old_files == ["Pipfile"]


def test_same_pin_in_two_categories_is_kept_once(tmp_path):
    lock = {"_meta": META, "default": {"a": {"version": "==1"}}, "develop": {"a": {"version": "==1"}}}
    assert len(read(tmp_path, "", lock=lock).pins) == 1


# -- malformed input ------------------------------------------------------------------------------------------------
MALFORMED = [
    ("[packages\nx = '*'\n", None, "Pipfile", None, "invalid TOML"),
    ("packages = 3\n", None, "Pipfile", "packages", "expected a table of packages"),
    ("[packages]\nx = 3\n", None, "Pipfile", "packages.x", "got number 3"),
    ("[packages]\nx = '>>1'\n", None, "Pipfile", "packages.x", "invalid version specifier"),
    ("[packages]\nx = { version = '>=1,<' }\n", None, "Pipfile", "packages.x.version", "invalid version specifier"),
    ("[packages]\nx = { version = 2 }\n", None, "Pipfile", "packages.x.version", "expected a string"),
    ("[packages]\nx = { verison = '1' }\n", None, "Pipfile", "packages.x.verison", "did you mean 'version'"),
    ("[packages]\nx = { extras = 'a' }\n", None, "Pipfile", "packages.x.extras", "array of strings"),
    ("[packages]\nx = { markers = \"python_version >> '3'\" }\n", None, "Pipfile", "packages.x", "invalid marker"),
    ("[packages]\nx = { sys_platform = 3 }\n", None, "Pipfile", "packages.x.sys_platform", "expected a string"),
    ("[packages]\nx = { version = '*', index = 'nope' }\n", None, "Pipfile", "packages.x.index", "not a [[source]]"),
    ("[packages]\nx = { git = 'https://g/x', path = '.' }\n", None, "Pipfile", "packages.x", "only one of"),
    ("[packages]\n'bad name' = '*'\n", None, "Pipfile", "packages.bad name", "invalid package name"),
    ("['!!!']\nx = '*'\n", None, "Pipfile", "!!!", "dependency group name"),
    ("[[source]]\nname = 'x'\n", None, "Pipfile", "source[0].url", "needs a url"),
    ("source = 3\n", None, "Pipfile", "source", "array of tables"),
    ("[requires]\npython_version = 3.8\n", None, "Pipfile", "requires.python_version", "Python version"),
    ("[requires]\npython_version = 'latest'\n", None, "Pipfile", "requires.python_version", "Python version"),
    ("[pipenv]\nallow_prereleases = 'yes'\n", None, "Pipfile", "pipenv.allow_prereleases", "boolean"),
    ("scripts = 1\n", None, "Pipfile", "scripts", "expected a table"),
    ("[packages]\n", "{not json", "Pipfile.lock", None, "invalid JSON"),
    ("[packages]\n", "[]", "Pipfile.lock", None, "JSON object"),
    ("[packages]\n", {"default": {}}, "Pipfile.lock", "_meta", "_meta"),
    ("[packages]\n", {"_meta": [], "default": {}}, "Pipfile.lock", "_meta", "_meta"),
    ("[packages]\n", {"_meta": {}, "default": []}, "Pipfile.lock", "default", "expected an object"),
    ("[packages]\n", {"_meta": {}, "default": {"x": "1"}}, "Pipfile.lock", "default.x", "expected an object"),
    ("[packages]\n", {"_meta": {}, "default": {"x": {"version": 1}}}, "Pipfile.lock", "default.x.version",
     "expected a version"),
    ("[packages]\n", {"_meta": {}, "default": {"x": {"version": "1.0"}}}, "Pipfile.lock", "default.x.version",
     "expected a version"),
    ("[packages]\n", {"_meta": {}, "default": {"x": {"version": "==1", "markers": 3}}}, "Pipfile.lock",
     "default.x.markers", "expected a string"),
]


@pytest.mark.parametrize("pip,lock,path,key,fragment", MALFORMED, ids=[f"{m[2]}-{m[4]}-{i}" for i, m in enumerate(MALFORMED)])
def test_malformed_input_is_a_clear_error(tmp_path, pip, lock, path, key, fragment):
    root = pipfile(tmp_path, pip, lock=lock)
    with pytest.raises(MigrateError) as info:
        read_pipenv(root)
    assert info.value.path == path and info.value.key == key and fragment in str(info.value)


def test_existing_pyproject_with_a_bad_name_is_a_clear_error(tmp_path):
    root = pipfile(tmp_path, "")
    (root / "pyproject.toml").write_text("[project]\nname = 3\n")
    with pytest.raises(MigrateError) as info:
        read_pipenv(root)
    assert (info.value.path, info.value.key) == ("pyproject.toml", "project.name")


def test_invalid_lock_reports_line_and_column(tmp_path):
    (tmp_path / "Pipfile.lock").write_text('{\n  "_meta": {,\n}\n')
    with pytest.raises(MigrateError) as info:
        read_pipfile_lock(tmp_path / "Pipfile.lock")
    assert (info.value.line, info.value.column) == (2, 13)


def test_invalid_pipfile_reports_line_and_column(tmp_path):
    with pytest.raises(MigrateError) as info:
        read(tmp_path, '[packages]\nx = "*"\ny = \n')
    assert info.value.line == 3


# -- named fixtures (model level; end to end in test_pipenv_e2e.py) ---------------------------------------------
def test_fixture_handmade_model():
    p = read_pipenv(FIXTURES / "pipenv-handmade")
    assert p.name == "pipenv-handmade" and p.package is False and p.requires_python == ">=3.10"
    assert [(i.name, i.default, i.explicit) for i in p.indexes] == [
        ("pypi", False, True), ("private-repo", False, True), ("mirror", True, False)]
    assert sources(p)["internal-lib"] == {"index": "private-repo"}
    assert "mirrored" not in sources(p)  # the first source is the default index already
    assert set(p.groups) == {"dev", "docs-build"}
    assert {x.name for x in p.pins} == {"requests", "colorama", "tomli", "pytest", "sphinx"}
    assert {c for c, _ in codes(p)} == {"MIG101", "MIG102"}


def test_fixture_polycraft_custom_categories_with_their_own_index():
    p = read_pipenv(FIXTURES / "pipenv-polycraft")
    assert p.package is True and p.dependencies == []
    assert {g: [(d.name, d.source.index) for d in deps] for g, deps in p.groups.items()} == {
        "torch-cpu": [("torch", "pytorch-cpu"), ("torchvision", "pytorch-cpu")],
        "torch-cu116": [("torch", "pytorch-cu116"), ("torchvision", "pytorch-cu116")],
    }
    assert all(i.explicit for i in p.indexes) and len(p.indexes) == 2
    assert {g: [d.source.group for d in deps] for g, deps in p.groups.items()} == {
        "torch-cpu": ["torch-cpu"] * 2, "torch-cu116": ["torch-cu116"] * 2}
    assert p.conflicts == [[{"group": "torch-cpu"}, {"group": "torch-cu116"}]]
    assert not {"torch", "torchvision"} & {x.name for x in p.pins} and "numpy" in {x.name for x in p.pins}


def test_same_package_same_source_in_two_groups_is_not_scoped(tmp_path):
    p = read(tmp_path, '[[source]]\nurl = "https://pypi.org/simple"\nname = "pypi"\n[[source]]\nurl = "https://x.example/simple"\n'
                       'name = "x"\n[a]\nt = {index = "x"}\n[b]\nt = {index = "x"}\n[c]\nt = "*"\n')
    assert [d.source.group if d.source else None for g in ("a", "b", "c") for d in p.groups[g]] == ["a", "b", None]
    # a and b share the source: only each of them against c (the default index) conflicts
    assert p.conflicts == [[{"group": "a"}, {"group": "c"}], [{"group": "b"}, {"group": "c"}]]


def test_package_also_in_packages_is_not_scoped(tmp_path):
    p = read(tmp_path, '[[source]]\nurl = "https://pypi.org/simple"\nname = "pypi"\n[[source]]\nurl = "https://x.example/simple"\n'
                       'name = "x"\n[packages]\nt = "*"\n[a]\nt = {index = "x"}\n[b]\nt = "*"\n')
    assert p.conflicts == [] and p.groups["a"][0].source.group is None


def test_fixture_pymisp():
    p = read_pipenv(FIXTURES / "pipenv-pymisp")
    assert p.package is True and p.prerelease == "allow" and p.requires_python == ">=3"
    assert reqs(p.dependencies) == ["pymispwarninglists", 'lief>=0.10.0.dev0; python_version >= "3.5"']
    assert codes(p) == {("MIG102", "packages.pymisp.extras"), ("MIG102", "packages.pymispwarninglists.editable")}
    assert "pymisp" not in {x.name for x in p.pins}  # the project itself is not pinned


def test_the_first_pipfile_lock_format_pins_too(tmp_path):
    """Pipenv's first lock format (2017, e.g. amitt001/delegator.py): ``"name": "==1.2.3"``, no objects;
    it was refused as malformed before."""
    (tmp_path / "Pipfile.lock").write_text(json.dumps({
        "default": {"pexpect": "==4.2.1", "ptyprocess": "==0.5.1"}, "develop": {},
        "_meta": {"sources": [{"url": "https://pypi.org/", "verify_ssl": True}], "requires": {}}}))
    pins = read_pipfile_lock(tmp_path / "Pipfile.lock")
    assert [(p.name, p.version, p.marker) for p in pins] == [("pexpect", "4.2.1", None), ("ptyprocess", "0.5.1", None)]
