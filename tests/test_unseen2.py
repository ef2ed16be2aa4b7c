"""Bugs found by migrating real repositories not in the corpus (README: "Does the migrated repository work"),
each reproduced offline:

* a Python range below the target that the project claims (``python_requires=">=2.6"``) but that the old
  lock itself could not install — its pins need a newer Python (Madoshakalaka/pipenv-setup: Pipfile.lock pins
  pytest 7.1.2, Python>=3.7): uv's universal lock failed for that range; it is left out of
  ``environments`` (MIG210), as the old lock never served it. Without such a pin uv's error stands.
* ``migrate batch poetry --workspace`` with a relative ROOT wrote the workspace to ``poetry/poetry/``; a virtual
  Poetry root whose Python is in ``[tool.poetry.group.main]`` (adriangb/python-monorepo) got a requirement on a
  package named "python".
"""

from __future__ import annotations

import json
import textwrap
import tomllib
from pathlib import Path

import pytest

from conftest import run_migrate
from wheelhouse import build_wheel

from migrate.lock.environments import exclusion, old_pins_python_floor
from migrate.model import Pin


@pytest.fixture(autouse=True)
def _uv_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "uv-cache"))


#: uv's own explanation, from the real pipenv-setup run (trimmed to the lines that matter)
PIPENV_SETUP_ERROR = """\
error: No solution found when resolving dependencies for split (markers: python_full_version >= '3.6.2' and python_full_version < '3.7')
  cause: Because the requested Python version (>=2.6, !=3.0.*, !=3.1.*, !=3.2.*, <4) does not satisfy Python>=3.7 and pytest>=7.1.0,<=7.4.4 depends on Python>=3.7, we can conclude that pytest>=7.1.0,<=7.4.4 cannot be used.
         And because pipenv-setup[dev] depends on pytest>=7.1,<8.dev0 and your project requires pipenv-setup[dev], we can conclude that your project's requirements are unsatisfiable.
"""


@pytest.mark.parametrize("pins, floor", [
    ([Pin("pytest", "7.1.2")], "3.7"),
    ([Pin("PyTest", "7.4.4"), Pin("black", "22.6.0")], "3.7"),
    ([Pin("pytest", "8.0.0")], None),  # the old lock's version is not in the range uv names
    ([Pin("black", "22.6.0")], None),  # uv names no pinned package
])
def test_the_python_the_old_pins_needed_comes_from_uvs_explanation(pins, floor):
    found = old_pins_python_floor(PIPENV_SETUP_ERROR, pins)
    assert (found and found.python) == floor
    if found:
        assert "pytest" in found.because


def test_all_versions_of_a_package_and_the_highest_floor():
    text = ("Because all versions of alpha depend on Python>=3.8 and beta==2.0 requires Python >=3.10, "
            "we can conclude ...")
    found = old_pins_python_floor(text, [Pin("alpha", "1.0"), Pin("beta", "2.0")])
    assert found.python == "3.10" and "beta 2.0" in found.because


@pytest.mark.parametrize("marker, ok", [
    ("python_full_version >= '3.6.2' and python_full_version < '3.7'", True),
    ("python_full_version < '3.7'", True),
    ("python_full_version == '3.6.*'", True),
    ("python_full_version < '3.8'", False),  # 3.7 lies above what the pins need: the old lock could serve it
    ("python_full_version >= '3.13'", False),  # the target
    ("sys_platform == 'win32'", False),
])
def test_only_a_range_below_the_pins_floor_is_left_out(marker, ok):
    floor = old_pins_python_floor(PIPENV_SETUP_ERROR, [Pin("pytest", "7.1.2")])
    assert (exclusion(marker, "3.13", ">=2.6", set(), set(), False, floor) is not None) is ok
    assert exclusion(marker, "3.13", ">=2.6", set(), set(), False, None) is None  # the project's own claim


POETRY = """\
[tool.poetry]
name = "tool"
version = "1.0.0"
description = ""
authors = ["A <a@b.c>"]
packages = [{ include = "tool" }]

[tool.poetry.dependencies]
python = ">=3.8,<4"
plain = "*"

[tool.poetry.group.dev.dependencies]
server = { version = ">=20", platform = "linux" }
legacy = { version = "*", python = ">=3.13" }

[build-system]
requires = ["poetry-core"]
build-backend = "poetry.core.masonry.api"
"""

LOCK = """\
[[package]]
name = "plain"
version = "1.0"
description = ""
optional = false
python-versions = "*"
files = []

[[package]]
name = "server"
version = "26.1.0"
description = ""
optional = false
python-versions = ">=3.10"
files = []

[[package]]
name = "legacy"
version = "1.0"
description = ""
optional = false
python-versions = "*"
files = []

[metadata]
lock-version = "2.0"
python-versions = ">=3.8,<4"
content-hash = "0"
"""


@pytest.mark.parametrize("with_lock", [True, False])
def test_a_python_the_old_lock_could_not_install_is_left_out(tmp_path, with_lock):
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    build_wheel(wheels, "server", "26.1.0", "py3-none-any", requires_python=">=3.10")
    build_wheel(wheels, "legacy", "1.0", "py3-none-any")
    build_wheel(wheels, "plain", "1.0", "py3-none-any")
    root = tmp_path / "tool"
    (root / "tool").mkdir(parents=True)
    (root / "tool" / "__init__.py").write_text("")
    (root / "pyproject.toml").write_text(POETRY)
    if with_lock:
        (root / "poetry.lock").write_text(LOCK)
    before = (root / "pyproject.toml").read_text()
    proc = run_migrate("run", str(root), "--offline", "--find-links", str(wheels), "--no-codemods",
                       "--allow-dirty", "--format", "json")
    report = json.loads(proc.stdout)
    if not with_lock:  # the project claims 3.8 and nothing shows it never ran there: uv's error stands
        assert proc.returncode != 0
        assert report["lock"]["failure"]["class"] == "resolution"
        assert (root / "pyproject.toml").read_text() == before and not (root / "uv.lock").exists()
        return
    assert proc.returncode == 0, json.dumps(report["lock"].get("failure"), indent=1)
    excluded = report["lock"]["excluded_environments"]
    assert excluded and all("server 26.1.0" in e["reason"] for e in excluded)
    doc = tomllib.loads((root / "pyproject.toml").read_text())
    assert doc["project"]["requires-python"] == ">=3.8,<4"  # the package's own claim is kept
    envs = doc["tool"]["uv"]["environments"]
    from packaging.markers import Marker

    for v, kept in (("3.8", False), ("3.9", False), ("3.10", True), ("3.13", True)):
        env = {"python_version": v, "python_full_version": v + ".0"}
        assert any(Marker(e).evaluate(env) for e in envs) is kept, (v, envs)
    versions = {p["name"]: p.get("version") for p in tomllib.loads((root / "uv.lock").read_text())["package"]}
    assert versions["server"] == "26.1.0"  # nothing dropped to make it lock


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))


def test_batch_workspace_from_a_relative_root_with_a_virtual_poetry_root(tmp_path):
    """adriangb/python-monorepo (`poetry/`): a virtual root (`packages = []`, its Python only in
    ``[tool.poetry.group.main]``) that pulls the members in by path, a member that depends on another by path,
    run as ``migrate batch poetry --workspace`` from the repository: the workspace went to ``poetry/poetry/``
    (the relative root joined twice) and ``python`` became a requirement on a package named "python"."""
    from wheelhouse import build_wheelhouse

    wheels = build_wheelhouse(tmp_path / "wheels", {"alpha": {"1.0": ["py3-none-any"]}})
    root = tmp_path / "repo" / "poetry"
    _write(root / "pyproject.toml", """\
        [tool.poetry]
        name = "namespace"
        version = "0.1.0"
        description = ""
        authors = []
        packages = []

        [tool.poetry.group.main.dependencies]
        python = "^3.10"

        [tool.poetry.group.app.dependencies]
        namespace-app = { path = "workspaces/app", develop = true }

        [tool.poetry.group.lib.dependencies]
        namespace-lib = { path = "workspaces/lib", develop = true }

        [build-system]
        requires = ["poetry-core"]
        build-backend = "poetry.core.masonry.api"
        """)
    for name, deps in (("app", 'alpha = "^1.0"\nnamespace-lib = { path = "../lib" }'), ("lib", 'alpha = "*"')):
        member = root / "workspaces" / name
        _write(member / "pyproject.toml", f"""\
            [tool.poetry]
            name = "namespace-{name}"
            version = "0.0.0"
            description = ""
            authors = []
            packages = [{{ include = "namespace", from = "src" }}]

            [tool.poetry.dependencies]
            python = "^3.10"
            """ + deps + """

            [build-system]
            requires = ["poetry-core"]
            build-backend = "poetry.core.masonry.api"
            """)
        _write(member / "src" / "namespace" / name / "__init__.py", "")
    proc = run_migrate("batch", "poetry", "--workspace", "--offline", "--find-links", str(wheels), "--no-codemods",
                       "--format", "json", cwd=tmp_path / "repo")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not (root / "poetry").exists()
    doc = tomllib.loads((root / "pyproject.toml").read_text())
    assert doc["tool"]["uv"]["workspace"]["members"] == ["workspaces/app", "workspaces/lib"]
    assert doc["project"]["requires-python"] == ">=3.10,<4.0"
    assert "main" not in doc.get("dependency-groups", {})
    lock = tomllib.loads((root / "uv.lock").read_text())
    names = {p["name"] for p in lock["package"]}
    assert {"alpha", "namespace-app", "namespace-lib"} <= names and "python" not in names


@pytest.mark.slow
def test_a_symlinked_file_in_a_package_stays_out_of_the_wheel(tmp_path):
    """ucb-bar/hammer: ``hammer/lvs/pegasus/README.md -> ../../drc/pegasus/README.md``; poetry-core's wheel has no
    such file, hatchling's had it: excluded now (MIG218), the same wheel (real backends, offline)."""
    import os
    import shutil
    import subprocess
    import sys

    from backends import backend_wheelhouse, wheel_facts
    from conftest import REPO
    from uv import find_uv_bin

    sys.path.insert(0, str(REPO / "bench"))
    from compare_build import compare

    def uv_build_wheel(project: Path, wheelhouse: Path, out: Path) -> Path:
        # as backends.uv_build_wheel, but the copy keeps the symlinks (copytree follows them by default)
        work = out / "src"
        shutil.copytree(project, work, symlinks=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "VIRTUAL_ENV"))}
        env["UV_PYTHON_DOWNLOADS"] = "never"
        proc = subprocess.run([find_uv_bin(), "build", "--wheel", "--offline", "--no-index", "--find-links",
                               str(wheelhouse), "--python", sys.executable, "--out-dir", str(out / "dist"), str(work)],
                              capture_output=True, text=True, env=env, timeout=600)
        assert proc.returncode == 0, proc.stderr[-4000:]
        (wheel,) = (out / "dist").glob("*.whl")
        return wheel

    wheelhouse = backend_wheelhouse(tmp_path / "backends")
    src = tmp_path / "src"
    _write(src / "pyproject.toml", """\
        [tool.poetry]
        name = "tool"
        version = "1.0.0"
        description = ""
        authors = ["A <a@b.c>"]
        packages = [{ include = "tool" }]

        [tool.poetry.dependencies]
        python = "^3.10"

        [build-system]
        requires = ["poetry-core"]
        build-backend = "poetry.core.masonry.api"
        """)
    _write(src / "tool" / "__init__.py", "")
    _write(src / "tool" / "drc" / "README.md", "the rules\n")
    (src / "tool" / "lvs").mkdir()
    os.symlink("../drc/README.md", src / "tool" / "lvs" / "README.md")
    before_wheel = uv_build_wheel(src, wheelhouse, tmp_path / "before")
    before = wheel_facts(before_wheel)["files"]
    assert "tool/drc/README.md" in before and "tool/lvs/README.md" not in before  # poetry-core's own behaviour
    root = tmp_path / "migrated"
    shutil.copytree(src, root, symlinks=True)
    proc = run_migrate("run", str(root), "--no-lock", "--no-codemods", "--allow-dirty", "--format", "json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "MIG218" in {w["code"] for w in json.loads(proc.stdout)["warnings"]}
    after_wheel = uv_build_wheel(root, wheelhouse, tmp_path / "after")
    assert compare(before_wheel, after_wheel) == []


def test_editable_and_plain_path_of_one_folder_gets_the_workspace_hint():
    from migrate.lock.siblings import editable_conflict_hint

    stderr = ("error: Failed to resolve dependencies for package `namespace-app==0.0.0`\n"
              "  cause: Requirements contain conflicting URLs for package `namespace-lib` in all marker environments:\n"
              "         - file:///r/poetry/workspaces/lib\n"
              "         - file:///r/poetry/workspaces/lib (editable)\n")
    hint = editable_conflict_hint(stderr)
    assert "namespace-lib" in hint and "--workspace" in hint
    assert editable_conflict_hint(stderr.replace(" (editable)", "")) is None  # two plain ones: another problem
    assert editable_conflict_hint(stderr.replace("workspaces/lib (editable)", "other/lib (editable)")) is None


def test_a_supplemental_source_is_searched_after_the_primary_by_real_uv(tmp_path):
    """Poetry: a package the primary source has comes from it; the supplemental source serves only what the
    earlier sources lack (likianta/depsland's shape). Written as before (the supplemental index first, the
    primary as uv's default), uv took ``both`` 2.0 from the supplemental index."""
    from corpus_wheels import simple_index
    from wheelhouse import build_wheelhouse

    corp = simple_index(tmp_path / "corp", build_wheelhouse(tmp_path / "corp-wheels", {"both": {"1.0": ["py3-none-any"]}}))
    extra = simple_index(tmp_path / "extra", build_wheelhouse(
        tmp_path / "extra-wheels", {"both": {"2.0": ["py3-none-any"]}, "onlyb": {"1.0": ["py3-none-any"]}}))
    root = tmp_path / "app"
    _write(root / "pyproject.toml", f"""\
        [tool.poetry]
        name = "app"
        version = "1.0.0"
        description = ""
        authors = ["A <a@b.c>"]
        package-mode = false

        [tool.poetry.dependencies]
        python = "^3.10"
        both = "*"
        onlyb = "*"

        [[tool.poetry.source]]
        name = "corp"
        url = "{corp}"
        priority = "primary"

        [[tool.poetry.source]]
        name = "extra"
        url = "{extra}"
        priority = "supplemental"
        """)
    proc = run_migrate("run", str(root), "--offline", "--no-codemods", "--allow-dirty", "--format", "json")
    report = json.loads(proc.stdout)
    assert proc.returncode == 0, json.dumps(report.get("lock", {}).get("failure"), indent=1)
    packages = {p["name"]: p for p in tomllib.loads((root / "uv.lock").read_text())["package"]}
    # uv.lock names a local index by its path
    assert packages["both"]["version"] == "1.0"
    assert Path(packages["both"]["source"]["registry"]) == tmp_path / "corp"
    assert Path(packages["onlyb"]["source"]["registry"]) == tmp_path / "extra"
    indexes = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["uv"]["index"]
    assert [(i["name"], i.get("default", False)) for i in indexes] == [("corp", False), ("extra", True)]
