"""The Poetry reader fills the model exactly; bad input is a MigrateError naming file and key."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement

from migrate.diagnostics import MigrateError
from migrate.readers.poetry import git_url, read_poetry


def project(tmp_path: Path, body: str, lock: str | None = None):
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent(body))
    if lock is not None:
        (tmp_path / "poetry.lock").write_text(textwrap.dedent(lock))
    return read_poetry(tmp_path)


BASE = """
[tool.poetry]
name = "pkg"
version = "1.0.0"
description = "d"
authors = ["A B <a@b.c>", "Solo"]
"""


def reqs(deps):
    return [d.requirement() for d in deps]


def test_metadata(tmp_path):
    p = project(tmp_path, BASE + """
license = "MIT"
readme = ["README.md", "CHANGES.md"]
homepage = "https://h"
repository = "https://r"
keywords = ["a"]
classifiers = ["Topic :: X"]
[tool.poetry.urls]
"Bug Tracker" = "https://b"
[tool.poetry.dependencies]
python = "^3.9"
""")
    assert p.name == "pkg" and p.version == "1.0.0" and p.license == "MIT"
    assert [(a.name, a.email) for a in p.authors] == [("A B", "a@b.c"), ("Solo", None)]
    assert p.readme == "README.md"
    assert any(w.code == "MIG005" and "readme" in w.key for w in p.warnings)
    assert p.urls == {"Homepage": "https://h", "Repository": "https://r", "Bug Tracker": "https://b"}
    assert p.requires_python == ">=3.9,<4.0"


def test_caret_and_markers_are_combined_not_concatenated(tmp_path):
    p = project(tmp_path, BASE + """
[tool.poetry.dependencies]
python = "^3.9"
foo = { version = "^1.2", markers = "sys_platform == 'linux' or sys_platform == 'darwin'", python = "<3.11" }
""")
    (dep,) = p.dependencies
    req = Requirement(dep.requirement())
    assert str(req.specifier) in (">=1.2,<2.0", "<2.0,>=1.2")
    m = Marker(dep.marker)
    assert m.evaluate({"sys_platform": "linux", "python_version": "3.10", "python_full_version": "3.10.1"})
    # without parentheses "a or b and c" would admit darwin on 3.12
    assert not m.evaluate({"sys_platform": "darwin", "python_version": "3.12", "python_full_version": "3.12.1"})
    assert not m.evaluate({"sys_platform": "linux", "python_version": "3.12", "python_full_version": "3.12.1"})


def test_optional_dependencies_only_in_extras(tmp_path):
    p = project(tmp_path, BASE + """
[tool.poetry.dependencies]
python = "^3.9"
req = "^2.0"
rich = { version = "^13", optional = true, extras = ["jupyter"] }
lonely = { version = "*", optional = true }
[tool.poetry.extras]
pretty = ["rich"]
all = ["rich", "req"]
""")
    assert [d.name for d in p.dependencies] == ["req"]
    assert reqs(p.optional_dependencies["pretty"]) == ["rich[jupyter]>=13,<14"]
    assert [d.name for d in p.optional_dependencies["all"]] == ["rich", "req"]
    assert any(w.key == "tool.poetry.dependencies.lonely" for w in p.warnings)


def test_multiple_constraints_one_requirement_each(tmp_path):
    p = project(tmp_path, BASE + """
[tool.poetry.dependencies]
numpy = [
    { version = ">=1.26", python = ">=3.12" },
    { version = ">=1.21,<1.26", python = "<3.12", markers = "platform_machine == 'x86_64' or platform_machine == 'arm64'" },
]
""")
    a, b = p.dependencies
    env = {"python_version": "3.11", "python_full_version": "3.11.4", "platform_machine": "arm64"}
    assert not Marker(a.marker).evaluate(env) and Marker(b.marker).evaluate(env)
    env["python_version"], env["python_full_version"] = "3.11", "3.11.4"
    env["platform_machine"] = "ppc64le"
    assert not Marker(b.marker).evaluate(env)


def test_sources_git_path_url_index(tmp_path):
    p = project(tmp_path, BASE + """
[tool.poetry.dependencies]
a = { git = "https://github.com/o/a.git", branch = "main" }
b = { git = "git@github.com:o/b.git", rev = "abc123", subdirectory = "sub" }
c = { path = "../c", develop = true }
d = { path = "dist/d-1.0-py3-none-any.whl" }
e = { url = "https://example.org/e-1.0.tar.gz" }
f = { version = "^1", source = "private" }
[[tool.poetry.source]]
name = "private"
url = "https://pkgs.example.org/simple/"
priority = "explicit"
""")
    by = {d.name: d.source.to_toml() for d in p.dependencies}
    assert by["a"] == {"git": "https://github.com/o/a.git", "branch": "main"}
    assert by["b"] == {"git": "ssh://git@github.com/o/b.git", "subdirectory": "sub", "rev": "abc123"}
    assert by["c"] == {"path": "../c", "editable": True}
    assert by["d"] == {"path": "dist/d-1.0-py3-none-any.whl"}
    assert by["e"] == {"url": "https://example.org/e-1.0.tar.gz"}
    assert by["f"] == {"index": "private"}
    assert [(i.name, i.explicit, i.default) for i in p.indexes] == [("private", True, False)]


@pytest.mark.parametrize(
    "url,expected",
    [
        ("git@github.com:o/r.git", "ssh://git@github.com/o/r.git"),
        ("https://github.com/o/r.git", "https://github.com/o/r.git"),
        ("git+https://github.com/o/r.git", "https://github.com/o/r.git"),
        ("ssh://git@host/o/r.git", "ssh://git@host/o/r.git"),
    ],
)
def test_git_url(url, expected):
    assert git_url(url) == expected


def test_source_priorities(tmp_path):
    p = project(tmp_path, BASE + """
[[tool.poetry.source]]
name = "first"
url = "https://one/simple/"
priority = "primary"
[[tool.poetry.source]]
name = "second"
url = "https://two/simple/"
[[tool.poetry.source]]
name = "extra"
url = "https://three/simple/"
priority = "supplemental"
""")
    # primaries disable PyPI in Poetry and are searched before the supplemental source: written in that
    # order, the last one searched (the supplemental) is uv's default, so PyPI is not searched at all
    assert [(i.name, i.default, i.explicit) for i in p.indexes] == [
        ("first", False, False), ("second", False, False), ("extra", True, False)]
    assert any(w.code == "MIG004" for w in p.warnings)


def test_supplemental_is_searched_after_pypi(tmp_path):
    # no primary: PyPI is Poetry's implicit primary, so uv must search PyPI first, then the supplemental
    # (before: the supplemental was written as an ordinary index, searched BEFORE PyPI for every package)
    p = project(tmp_path, BASE + """
[[tool.poetry.source]]
name = "extra"
url = "https://three/simple/"
priority = "supplemental"
[[tool.poetry.source]]
name = "torch"
url = "https://four/simple/"
priority = "explicit"
""")
    assert [(i.name, i.url, i.default, i.explicit) for i in p.indexes] == [
        ("pypi", "https://pypi.org/simple", False, False), ("extra", "https://three/simple/", True, False),
        ("torch", "https://four/simple/", False, True)]


def test_pypi_listed_first_is_searched_first(tmp_path):
    p = project(tmp_path, BASE + """
[[tool.poetry.source]]
name = "PyPI"
priority = "primary"
[[tool.poetry.source]]
name = "mine"
url = "https://one/simple/"
priority = "primary"
""")
    assert [(i.name, i.default) for i in p.indexes] == [("pypi", False), ("mine", True)]


@pytest.mark.parametrize("sources,expected", [
    # PyPI is uv's default index here: the pin to it is dropped (uv takes the package from PyPI anyway)
    ('[[tool.poetry.source]]\nname = "PyPI"\npriority = "primary"\n', None),
    ("", None),
    # another index would be searched first: an explicit `pypi` index keeps the package on PyPI
    ('[[tool.poetry.source]]\nname = "corp"\nurl = "https://corp/simple/"\n', "pypi"),
])
def test_source_pypi_names_an_index_uv_knows(tmp_path, sources, expected):
    p = project(tmp_path, BASE + """
[tool.poetry.dependencies]
requests = { version = "*", source = "PyPI" }
torch = [
  { version = "^2", source = "pypi", platform = "darwin" },
  { version = "^2", source = "PyTorch", platform = "linux" },
]
[[tool.poetry.source]]
name = "pytorch"
url = "https://download.pytorch.org/whl/cpu"
priority = "explicit"
""" + sources)
    declared = {i.name for i in p.indexes}
    by = {(d.name, d.marker): d.source.to_toml() if d.source else None for d in p.dependencies}
    # Poetry looks source names up case-insensitively; uv wants the declared name
    assert by[("torch", 'sys_platform == "linux"')]["index"] == "pytorch"
    requests = by[("requests", None)]
    assert (requests and requests["index"]) == expected
    for src in by.values():
        assert src is None or src["index"] in declared  # uv: "references an undeclared index" otherwise
    if expected:
        assert next(i for i in p.indexes if i.name == "pypi").explicit


def test_source_naming_no_source_is_an_error(tmp_path):
    with pytest.raises(MigrateError) as err:
        project(tmp_path, BASE + """
[tool.poetry.dependencies]
requests = { version = "*", source = "privat" }
[[tool.poetry.source]]
name = "private"
url = "https://one/simple/"
priority = "explicit"
""")
    assert err.value.key == "tool.poetry.source" and "'privat'" in str(err.value) and "'private'" in str(err.value)


def test_pypi_listed_keeps_pypi_default(tmp_path):
    p = project(tmp_path, BASE + """
[[tool.poetry.source]]
name = "mine"
url = "https://one/simple/"
priority = "primary"
[[tool.poetry.source]]
name = "PyPI"
priority = "primary"
""")
    assert [(i.name, i.default) for i in p.indexes] == [("mine", False)]


def test_groups_and_default_groups(tmp_path):
    p = project(tmp_path, BASE + """
[tool.poetry.dev-dependencies]
pytest = "^8"
[tool.poetry.group.lint.dependencies]
ruff = "*"
[tool.poetry.group.docs]
optional = true
[tool.poetry.group.docs.dependencies]
Sphinx = "^7"
""")
    assert list(p.groups) == ["dev", "lint", "docs"]
    assert p.default_groups == ["dev", "lint"]


def test_only_dev_group_needs_no_default_groups(tmp_path):
    p = project(tmp_path, BASE + """
[tool.poetry.group.dev.dependencies]
pytest = "^8"
""")
    assert p.default_groups is None


def test_scripts_and_plugins(tmp_path):
    p = project(tmp_path, BASE + """
[tool.poetry.scripts]
a = "pkg.cli:main"
b = { reference = "pkg.cli:b", type = "console" }
c = { callable = "pkg.cli:c", extras = ["x"] }
d = { reference = "bin/d.sh", type = "file" }
[tool.poetry.plugins."pkg.plugins"]
p1 = "pkg.plug:P"
""")
    assert p.scripts == {"a": "pkg.cli:main", "b": "pkg.cli:b", "c": "pkg.cli:c [x]"}
    assert p.entry_points == {"pkg.plugins": {"p1": "pkg.plug:P"}}
    assert ("tool", "poetry", "scripts", "a") in p.consumed_keys
    assert ("tool", "poetry", "scripts") not in p.consumed_keys  # the file script stays
    assert any(w.key == "tool.poetry.scripts.d" for w in p.warnings)


def test_allow_prereleases_and_kept_keys(tmp_path):
    p = project(tmp_path, BASE + """
requires-plugins = { poetry-plugin-export = ">=1.8" }
[tool.poetry.dependencies]
x = { version = "^1.0", allow-prereleases = true }
[tool.poetry.build]
script = "build.py"
""")
    assert p.dependencies[0].allow_prereleases
    kept = {w.key for w in p.warnings if w.code == "MIG002"}
    assert {"tool.poetry.requires-plugins", "tool.poetry.build"} <= kept


def test_poetry2_project_table_is_kept(tmp_path):
    p = project(tmp_path, """
[project]
name = "p2"
version = "2.0"
requires-python = ">=3.10"
dependencies = ["requests>=2"]
[tool.poetry]
packages = [{ include = "p2", from = "src" }]
[tool.poetry.dependencies]
requests = { source = "internal" }
[tool.poetry.group.dev.dependencies]
pytest = "^8"
[[tool.poetry.source]]
name = "internal"
url = "https://internal/simple/"
priority = "explicit"
""")
    assert p.existing_project_keys >= {"name", "dependencies"}
    (dep,) = p.dependencies
    assert dep.source_only and dep.source.index == "internal"
    assert p.requires_python == ">=3.10"  # [project] says it: the model carries it (the target check reads it)
    assert reqs(p.groups["dev"]) == ["pytest>=8,<9"]


def test_poetry_lock_pins(tmp_path):
    p = project(tmp_path, BASE + """
[tool.poetry.dependencies]
requests = "^2"
""", lock="""
[[package]]
name = "requests"
version = "2.31.0"
description = ""
optional = false
python-versions = ">=3.7"
files = []

[[package]]
name = "numpy"
version = "1.24.4"
description = ""
optional = false
python-versions = ">=3.8"
markers = "python_version < \\"3.9\\""
files = []

[[package]]
name = "numpy"
version = "1.26.4"
description = ""
optional = false
python-versions = ">=3.9"
markers = "python_version >= \\"3.9\\""
files = []

[[package]]
name = "local"
version = "0.1"
description = ""
optional = false
python-versions = "*"
files = []
[package.source]
type = "directory"
url = "../local"

[metadata]
lock-version = "2.0"
python-versions = "^3.8"
content-hash = "x"
""")
    pins = {(pin.name, pin.version): pin.marker for pin in p.pins}
    assert pins == {("requests", "2.31.0"): None, ("numpy", "1.24.4"): 'python_version < "3.9"',
                    ("numpy", "1.26.4"): 'python_version >= "3.9"'}
    assert p.old_files == ["poetry.lock"]


@pytest.mark.parametrize(
    "body,key,fragment",
    [
        ('[tool.poetry.dependencies]\nfoo = { vresion = "^1" }\n', "tool.poetry.dependencies.foo.vresion",
         "did you mean 'version'"),
        ('[tool.poetry.dependencies]\nfoo = 3\n', "tool.poetry.dependencies.foo", "got number 3"),
        ('[tool.poetry.dependencies]\nfoo = { version = 1 }\n', "tool.poetry.dependencies.foo.version", "string"),
        ('[tool.poetry.dependencies]\nfoo = "^^1"\n', "tool.poetry.dependencies.foo", ""),
        ('[tool.poetry.dependencies]\nfoo = { git = "x", path = "y" }\n', "tool.poetry.dependencies.foo", "only one"),
        ('[tool.poetry.group.dev]\ndependencies = { a = "*" }\noptinal = true\n', "tool.poetry.group.dev.optinal",
         "unknown key"),
        ('[[tool.poetry.source]]\nname = "x"\nurl = "https://x"\npriority = "primry"\n',
         "tool.poetry.source[0].priority", "primry"),
    ],
)
def test_bad_input_names_the_key(tmp_path, body, key, fragment):
    with pytest.raises(MigrateError) as info:
        project(tmp_path, BASE + body)
    err = info.value
    assert err.path == "pyproject.toml" and err.key == key
    assert fragment in str(err)


def test_poetry2_lock_only_constraints_become_constraint_dependencies(tmp_path):
    """[project] is the metadata; Poetry used [tool.poetry.dependencies] versions only when locking."""
    p = project(tmp_path, """
[project]
name = "p2"
version = "2.0"
dynamic = ["dependencies"]
[project.optional-dependencies]
dev = ["pytest", "boto3-stubs[essential]"]
[tool.poetry.dependencies]
httpx = "^0.27"
pytest = { version = ">=8.3", optional = true }
boto3-stubs = { version = ">=1.43", optional = true }
stray = { version = "^1", optional = true }
""")
    assert [d.requirement() for d in p.dependencies] == ["httpx>=0.27,<0.28"]
    assert "dependencies" not in p.dynamic
    assert sorted(d.requirement() for d in p.constraints) == ["boto3-stubs>=1.43", "pytest>=8.3"]
    assert p.optional_dependencies == {}
    assert any(w.key == "tool.poetry.dependencies.stray" and w.code == "MIG008" for w in p.warnings)


def test_poetry_toml_settings_are_reported(tmp_path):
    (tmp_path / "poetry.toml").write_text("[virtualenvs]\nin-project = true\n[repositories.x]\nurl = 'https://x'\n")
    p = project(tmp_path, BASE)
    keys = {(w.path, w.key) for w in p.warnings if w.code == "MIG002"}
    assert ("poetry.toml", "virtualenvs.in-project") in keys and ("poetry.toml", "repositories.x.url") in keys
    assert "poetry.toml" not in p.old_files


def test_fast_poetry_lock_scan_matches_a_full_toml_parse():
    """The line scan of poetry.lock must read exactly what tomllib reads, or decline (None)."""
    import tomllib

    from conftest import CORPUS
    from migrate.readers.poetry import _scan_poetry_lock

    locks = sorted(CORPUS.rglob("poetry.lock")) if CORPUS.is_dir() else []
    if not locks:
        pytest.skip("no corpus")

    def key(p):
        m = p.get("markers")
        return (p["name"], p["version"], m, (p.get("source") or {}).get("type"), (p.get("source") or {}).get("url"))

    scanned = 0
    for lock in locks:
        text = lock.read_text(encoding="utf-8")
        fast = _scan_poetry_lock(text)
        if fast is None:
            continue
        scanned += 1
        assert [key(p) for p in fast] == [key(p) for p in tomllib.loads(text)["package"]], lock
    assert scanned >= len(locks) * 9 // 10  # every lock Poetry wrote in its own layout


def test_locked_dependencies_and_asked_extras_scan_match_a_full_toml_parse():
    """Each pin's dependencies (``requires``) and the extras other pins ask of it (``asked``, read by the
    blocker-dependent search before uv runs) are what tomllib reads from every corpus lock."""
    import tomllib

    from packaging.utils import canonicalize_name

    from conftest import CORPUS
    from migrate.readers.poetry import lock_asked_extras, lock_requires

    locks = sorted(CORPUS.rglob("poetry.lock")) if CORPUS.is_dir() else []
    if not locks:
        pytest.skip("no corpus")
    asked_somewhere = 0
    for lock in locks:
        text = lock.read_text(encoding="utf-8")
        requires: dict = {}
        asked: dict = {}
        for p in tomllib.loads(text)["package"]:
            deps = p.get("dependencies") or {}
            if deps:
                requires[(canonicalize_name(p["name"]), p["version"])] = [canonicalize_name(n) for n in deps]
            for n, spec in deps.items():
                for one in spec if isinstance(spec, list) else [spec]:
                    if isinstance(one, dict) and one.get("extras"):
                        asked.setdefault(canonicalize_name(n), set()).update(one["extras"])
        assert lock_requires(text) == requires, lock
        assert lock_asked_extras(text) == asked, lock
        asked_somewhere += bool(asked)
    assert asked_somewhere >= 10  # the corpus asks extras of locked packages often


def test_group_main_is_the_main_group_and_python_in_other_groups_is_ignored(tmp_path):
    # adriangb/python-monorepo: a virtual root whose only Python constraint is in [tool.poetry.group.main];
    # poetry-core adds group "main" to the package's own dependencies and reads its `python`
    p = project(tmp_path, BASE + """
[tool.poetry.group.main.dependencies]
python = "^3.10"
rich = "^12"
[tool.poetry.group.dev.dependencies]
python = "^3.11"
pytest = "*"
""")
    assert p.requires_python == ">=3.10,<4.0"
    assert reqs(p.dependencies) == ["rich>=12,<13"]
    assert list(p.groups) == ["dev"] and reqs(p.groups["dev"]) == ["pytest"]  # no package named "python"
    assert [(w.code, w.key) for w in p.warnings if w.code == "MIG217"] == [
        ("MIG217", "tool.poetry.group.dev.dependencies.python")]


def test_group_main_adds_to_tool_poetry_dependencies(tmp_path):
    p = project(tmp_path, BASE + """
[tool.poetry.dependencies]
python = "^3.9"
click = "^8"
[tool.poetry.group.main.dependencies]
rich = "^12"
""")
    assert p.requires_python == ">=3.9,<4.0"
    assert reqs(p.dependencies) == ["click>=8,<9", "rich>=12,<13"]
    assert "main" not in p.groups
