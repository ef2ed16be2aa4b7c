"""Regressions found by running `migrate run` + `migrate verify` on real Poetry/Pipenv projects
(README: "Measured on real projects"). Each test rebuilds the situation offline: local wheels and sdists
(tests/wheelhouse.py), a real uv, the real free-threaded interpreter ($MIGRATE_FT_PYTHON).
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import tarfile
import textwrap
import tomllib
from pathlib import Path

import pytest

from conftest import run_migrate
from projects import poetry_project
from wheelhouse import LINUX, build_wheel, build_wheelhouse

from migrate.lock.lock import find_interpreter, uv_bin
from migrate.verify.env import _explain, failed_build

FT = os.environ.get("MIGRATE_FT_PYTHON")
needs_ft = pytest.mark.skipif(not FT, reason="MIGRATE_FT_PYTHON is not set: no free-threaded interpreter "
                              "(.ci/run builds one with ../shared/tools/build-free-threaded-python.sh)")


@pytest.fixture(autouse=True)
def _uv_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "uv-cache"))
    monkeypatch.setenv("UV_PYTHON_DOWNLOADS", "never")


def failing_sdist(folder: Path, name: str, version: str, message: str) -> Path:
    """An sdist with static metadata (uv locks it without building) whose in-tree build backend raises
    ``RuntimeError(message)``, as cffi's setup.py does on 3.13t."""
    base = f"{name}-{version}"
    files = {
        f"{base}/PKG-INFO": f"Metadata-Version: 2.2\nName: {name}\nVersion: {version}\n",
        f"{base}/pyproject.toml": '[build-system]\nrequires = []\nbuild-backend = "failing"\nbackend-path = ["."]\n',
        f"{base}/failing.py": ("def _fail(*a, **k):\n    raise RuntimeError(%r)\n\n"
                               "get_requires_for_build_wheel = build_wheel = prepare_metadata_for_build_wheel = _fail\n"
                               "get_requires_for_build_editable = build_editable = build_sdist = _fail\n") % message,
    }
    path = Path(folder) / f"{base}.tar.gz"
    with tarfile.open(path, "w:gz") as tf:
        for rel, text in files.items():
            data = text.encode()
            ti = tarfile.TarInfo(rel)
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))
    return path


def lock(root: Path, wheels: Path) -> None:
    python, _ = find_interpreter(">=3.10")
    proc = subprocess.run([uv_bin(), "lock", "--offline", "--python", python, "--find-links", str(wheels)],
                          cwd=root, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


# -- verify: a sync that fails names the package it could not build, and why -------------------------
_UV_BUILD_FAILURE = """\
Resolved 120 packages in 3ms
   Building datafiles @ file:///tmp/datafiles
   Building argon2-cffi-bindings==21.2.0
error: Failed to download and build `argon2-cffi-bindings==21.2.0`
  cause: Failed to install requirements from `build-system.requires`
  cause: Failed to build `cffi==2.1.1`
  cause: The build backend returned an error
  cause: Call to `setuptools.build_meta.get_requires_for_build_wheel` failed (exit status: 1)

         [stderr]
         Traceback (most recent call last):
           File "<string>", line 22, in <module>
         RuntimeError: CFFI does not support the free-threaded build of CPython 3.13. Upgrade to free-threaded 3.14 or newer to use CFFI with the free-threaded build.

hint: `argon2-cffi-bindings` (v21.2.0) was included because `datafiles:dev` (v2.5) depends on `notebook` (v7.6.0) which depends on `argon2-cffi-bindings`
"""


def test_failed_build_is_read_from_uvs_output():
    fb = failed_build(_UV_BUILD_FAILURE)
    assert (fb["name"], fb["version"]) == ("argon2-cffi-bindings", "21.2.0")
    assert fb["build_requirement"] == ["cffi==2.1.1"]
    assert fb["why"].startswith("RuntimeError: CFFI does not support the free-threaded build")
    assert fb["included_because"].startswith("`argon2-cffi-bindings` (v21.2.0) was included because `datafiles:dev`")
    text = _explain(_UV_BUILD_FAILURE)
    # the first line says what and why; uv's own lines follow
    assert text.splitlines()[0].startswith("could not build argon2-cffi-bindings 21.2.0 from source (its build "
                                           "requirement cffi==2.1.1 failed): RuntimeError: CFFI does not support")
    assert "--- uv's last lines:" in text
    assert failed_build("error: No interpreter found for Python 3.13t in managed installations") is None
    assert _explain("error: No interpreter found\n").startswith("error: No interpreter found")


@needs_ft
def test_verify_names_the_package_uv_could_not_build(tmp_path):
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    failing_sdist(wheels, "oldext", "1.0", "oldext does not support the free-threaded build of CPython")
    build_wheel(wheels, "middle", "1.0", "py3-none-any", requires=["oldext"])
    root = tmp_path / "app"
    root.mkdir()
    (root / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "0.1.0"\nrequires-python = ">=3.10"\ndependencies = ["middle"]\n\n'
        "[tool.uv]\npackage = false\n")
    lock(root, wheels)
    proc = run_migrate("verify", str(root), "--python", FT, "--no-tests", "--format", "json",
                       env={"UV_OFFLINE": "1", "UV_FIND_LINKS": str(wheels)})
    report = json.loads(proc.stdout)
    assert proc.returncode == 1 and report["verdict"] == "sync-failed"
    assert report["sync"]["failed_build"]["name"] == "oldext"
    (reason,) = report["reasons"]
    assert "could not build oldext 1.0 from source (uv.lock has no cp313t wheel for it" in reason
    assert "RuntimeError: oldext does not support the free-threaded build" in reason
    assert "was included because" in reason and "middle" in reason


# -- run: a free-threading move the project's own bounds forbid says which bound to widen --------------
def test_a_move_the_projects_own_bound_forbids_names_that_bound(tmp_path):
    """tinydb: coverage 6.5.0 has no cp313t wheels, 7.6.1 has, but coveralls 3.x (dev group, `^3.3.1`)
    requires coverage<7. The warning names the dev group's coveralls bound, and the major-version jump that
    was not made is not warned about."""
    gil = [f"cp310-cp310-{LINUX}", f"cp313-cp313-{LINUX}"]
    wheels = build_wheelhouse(tmp_path / "wheels", {
        "tracer": {"6.5": gil, "7.0": gil + [f"cp313-cp313t-{LINUX}"]},
        "reporter": {"1.0": ["py3-none-any"], "2.0": ["py3-none-any"]},
    }, {("reporter", "1.0"): ["tracer<7"], ("reporter", "2.0"): ["tracer>=7"]})
    root = poetry_project(tmp_path, extra='\n[tool.poetry.group.dev.dependencies]\nreporter = "^1.0"\ntracer = ">=6"\n')
    proc = run_migrate("run", str(root), "--offline", "--find-links", str(wheels), "--no-codemods",
                       "--format", "json", env={"MIGRATE_FT_PYTHON": ""})
    assert proc.returncode == 0, proc.stderr + proc.stdout
    report = json.loads(proc.stdout)
    tracer = next(e for e in report["ft"] if e["name"] == "tracer")
    assert tracer["status"] == "blocker" and tracer["version"] == "6.5"
    (mig203,) = [w for w in report["warnings"] if w["code"] == "MIG203" and w["key"] == "tracer"]
    # uv's words for the bound (here `reporter<2.0`: uv shortens `>=1.0,<2.0` to what exists)
    assert re.search(r"tracer==7\.0 \(does not resolve with the other requirements: it conflicts with the "
                     r"project's own reporter[^ ]*<2\.0 \(group dev\): that needs a wider bound or a newer release "
                     r"to allow it\)", mig203["message"])
    assert not [w for w in report["warnings"] if w["code"] == "MIG231"]  # no jump was made
    assert "tracer" not in str(tomllib.loads((root / "pyproject.toml").read_text())["tool"]["uv"])


# -- verify: a GIL-enabling module that only the dependency groups need is said to be that -------------
def test_scopes_walk_the_project_dependencies_and_its_groups(tmp_path):
    (tmp_path / "uv.lock").write_text(textwrap.dedent("""\
        version = 1
        requires-python = ">=3.10"

        [[package]]
        name = "app"
        version = "0.1.0"
        source = { editable = "." }
        dependencies = [{ name = "lib" }]

        [package.optional-dependencies]
        web = [{ name = "server" }]

        [package.dev-dependencies]
        dev = [{ name = "pytest" }, { name = "lib" }]

        [[package]]
        name = "lib"
        version = "1.0"
        source = { registry = "https://pypi.org/simple" }
        dependencies = [{ name = "Shared_Dep" }]

        [[package]]
        name = "server"
        version = "1.0"
        source = { registry = "https://pypi.org/simple" }

        [[package]]
        name = "pytest"
        version = "8.0"
        source = { registry = "https://pypi.org/simple" }
        dependencies = [{ name = "pluggy" }, { name = "shared-dep" }]

        [[package]]
        name = "pluggy"
        version = "1.0"
        source = { registry = "https://pypi.org/simple" }

        [[package]]
        name = "shared-dep"
        version = "1.0"
        source = { registry = "https://pypi.org/simple" }
        """))
    from migrate.verify.scope import scopes

    assert scopes(tmp_path / "uv.lock", "app") == {
        "app": "runtime", "lib": "runtime", "shared-dep": "runtime", "server": "runtime",  # extras are the package's
        "pytest": "dev", "pluggy": "dev"}
    assert scopes(tmp_path / "missing.lock", "app") == {}


@pytest.fixture(scope="module")
def gil_wheels(tmp_path_factory) -> Path:
    if not FT or shutil.which("gcc") is None:
        pytest.skip("needs MIGRATE_FT_PYTHON and gcc")
    from wheelhouse import gil_wheelhouse

    return gil_wheelhouse(tmp_path_factory.mktemp("gilwheels"), FT, {"speedy": {"1.0": False}, "calm": {"1.0": True}})


@needs_ft
def test_verify_says_when_only_a_dependency_group_re_enables_the_gil(tmp_path, gil_wheels):
    """tinydb: PyYAML (dev group, used by the tests) re-enables the GIL; tinydb itself has no dependencies."""
    root = tmp_path / "app"
    root.mkdir()
    (root / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "0.1.0"\nrequires-python = ">=3.10"\ndependencies = ["calm"]\n\n'
        '[dependency-groups]\ndev = ["speedy==1.0"]\n\n[tool.uv]\npackage = false\n')
    (root / "app").mkdir()
    (root / "app" / "__init__.py").write_text("")
    lock(root, gil_wheels)
    proc = run_migrate("verify", str(root), "--python", FT, "--no-tests", "--format", "json")
    report = json.loads(proc.stdout)
    assert proc.returncode == 1 and report["verdict"] == "not-ready"  # the tests would run with the GIL
    imports = {r["module"]: r for r in report["imports"]}
    assert (imports["speedy"]["status"], imports["speedy"]["scope"]) == ("enables-gil", "dev")
    assert imports["calm"]["scope"] == "runtime" and imports["app"]["scope"] is None
    (reason,) = report["reasons"]
    assert "speedy" in reason and "only the dependency groups (tests, tools) need it" in reason
    text = run_migrate("verify", str(root), "--python", FT, "--no-tests")
    assert "dev groups only" in text.stdout


# -- run: a fix chosen by wheel tags is checked at runtime as well --------------------------------------
@pytest.fixture(scope="module")
def pandas_like(tmp_path_factory) -> Path:
    """`frames` 1.0 has GIL wheels only (like pandas 2.1); 1.1 is the nearest with cp313t wheels, but its
    extension re-enables the GIL (like pandas 2.2.3); 1.2 declares Py_mod_gil; 2.0 too."""
    if not FT or shutil.which("gcc") is None:
        pytest.skip("needs MIGRATE_FT_PYTHON and gcc")
    from wheelhouse import build_ext_wheel, gil_wheelhouse

    folder = gil_wheelhouse(tmp_path_factory.mktemp("frames"), FT, {"frames": {"1.1": False, "1.2": True,
                                                                               "2.0": True}})
    for tag in (f"cp310-cp310-{LINUX}", f"cp313-cp313-{LINUX}"):
        build_wheel(folder, "frames", "1.0", tag)
    return folder


def frames_project(tmp_path: Path) -> Path:
    return poetry_project(tmp_path, {"frames": ">=1.0"},
                          {"frames": ("1.0", ["frames-1.0-cp313-cp313-manylinux_2_17_x86_64.whl"])})


@needs_ft
def test_a_fix_whose_wheel_re_enables_the_gil_moves_on_to_one_that_does_not(tmp_path, pandas_like):
    root = frames_project(tmp_path)
    proc = run_migrate("run", str(root), "--offline", "--find-links", str(pandas_like), "--no-codemods",
                       "--format", "json", env={"MIGRATE_FT_PYTHON": FT})
    assert proc.returncode == 0, proc.stderr + proc.stdout
    report = json.loads(proc.stdout)
    frames = next(e for e in report["ft"] if e["name"] == "frames")
    # by tags 1.1 was the nearest; it turns the GIL on, so 1.2 (not the newest, 2.0)
    assert frames["fix"] == "frames==1.2" and frames["status"] == "upgraded"
    assert [(t["version"], t["runtime"]) for t in frames["fix_runtime_checked"]] == [("1.1", "enables-gil"),
                                                                                    ("1.2", "ok")]
    text = (root / "pyproject.toml").read_text()
    assert tomllib.loads(text)["tool"]["uv"]["constraint-dependencies"] == ["frames==1.2; python_version == '3.13'"]
    assert "1.1 re-enables the GIL on import; 1.2 is the nearest that imports with it off" in text
    code = run_migrate("verify", str(root), "--python", FT, "--no-tests", "--format", "json")
    verified = json.loads(code.stdout)
    assert {r["module"]: r["status"] for r in verified["imports"]}["frames"] == "ok", verified["reasons"]


@needs_ft
def test_without_a_fix_that_keeps_the_gil_off_none_is_applied_and_the_reason_is_said(tmp_path, pandas_like):
    root = frames_project(tmp_path)
    (root / "pyproject.toml").write_text((root / "pyproject.toml").read_text().replace('">=1.0"', '">=1.0,<1.2"'))
    proc = run_migrate("run", str(root), "--offline", "--find-links", str(pandas_like), "--no-codemods",
                       "--format", "json", env={"MIGRATE_FT_PYTHON": FT})
    assert proc.returncode == 0, proc.stderr + proc.stdout
    report = json.loads(proc.stdout)
    frames = next(e for e in report["ft"] if e["name"] == "frames")
    assert frames["status"] == "blocker" and frames["fix"] is None
    (mig203,) = [w for w in report["warnings"] if w["code"] == "MIG203" and w["key"] == "frames"]
    assert "frames 1.1 has cp313t wheels but re-enables the GIL on import; no later version the project admits" \
        " has wheels for it" in mig203["message"]
    assert "constraint-dependencies" not in (root / "pyproject.toml").read_text()


# -- run: a Poetry 2 project's [project] requires-python is the one the target is checked against ---------
def test_poetry2_requires_python_in_project_table_is_checked_against_the_target(tmp_path):
    """frenck/python-wled: requires-python lives in [project]; it was ignored, so .python-version 3.13t was
    written for a project that excludes 3.13, and the lock stage's older-interpreter retry picked 3.6."""
    root = tmp_path / "p2"
    root.mkdir()
    original = textwrap.dedent("""\
        [project]
        name = "p2"
        version = "1.0.0"
        requires-python = ">=3.11,<3.13"
        dependencies = []

        [tool.poetry]
        requires-poetry = ">=2.0"
        package-mode = false
        """)
    (root / "pyproject.toml").write_text(original)
    proc = run_migrate("run", str(root), "--no-lock", "--no-codemods", "--format", "json")
    assert proc.returncode == 0, proc.stderr + proc.stdout
    report = json.loads(proc.stdout)
    assert [w["code"] for w in report["warnings"] if w["code"] == "MIG001"] == ["MIG001"]
    assert not (root / ".python-version").exists()
    assert tomllib.loads((root / "pyproject.toml").read_text())["project"]["requires-python"] == ">=3.11,<3.13"
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "pyproject.toml").write_text(original.replace('">=3.11,<3.13"', "311"))
    proc = run_migrate("run", str(bad), "--no-lock", "--no-codemods")
    assert proc.returncode == 2 and "project.requires-python" in proc.stderr and "Traceback" not in proc.stderr


# -- verify: tests that could not even be collected are not "as good as on the GIL build" ---------------
def test_tests_that_cannot_be_collected_are_a_reason(tmp_path):
    """inscriptis: tests/test_web_service.py imports fastapi from an extra `uv sync` does not install; pytest
    stops at the collection error on both builds and no test runs."""
    root = tmp_path / "app"
    (root / "tests").mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "0.1.0"\nrequires-python = ">=3.10"\ndependencies = []\n\n'
        '[dependency-groups]\ndev = ["pytest"]\n\n[tool.uv]\npackage = false\n')
    (root / "tests" / "test_one.py").write_text("def test_fine():\n    assert True\n")
    (root / "tests" / "test_web.py").write_text("import not_installed_web_extra\n\ndef test_web():\n    pass\n")
    import sys

    from migrate.verify import testrun
    from migrate.verify.command import VerifyReport, _judge
    from migrate.verify.interpreter import Interpreter

    run = testrun.run_tests(root, Path(sys.executable), True, label="this")
    assert run.collection_failed and run.passed == 0
    assert "ModuleNotFoundError: No module named 'not_installed_web_extra'" in run.messages["tests.test_web"]
    report = VerifyReport(project=str(root))
    report.tests = {"ft": run.to_json(), "gil": run.to_json(), "only_without_gil": [], "stress": None}
    _judge(report, Interpreter(sys.executable, "3.13.0", True, "test", label="ft"))
    assert report.verdict == "not-ready"
    (reason,) = report.reasons
    assert reason.startswith("the tests did not run: pytest stopped at errors while collecting them (on the GIL "
                             "build too): tests.test_web: ModuleNotFoundError")
    assert "uv sync --all-extras" in reason
    # a collection error next to passing tests is an ordinary error, compared with the GIL build as before
    (root / "tests" / "test_web.py").write_text("def test_web():\n    pass\n")
    assert not testrun.run_tests(root, Path(sys.executable), True, label="this").collection_failed


def test_a_field_both_static_and_dynamic_leaves_dynamic(tmp_path):
    """frenck/python-wled: `dynamic = ["dependencies"]` next to a static [project] dependencies list (Poetry 2
    accepts it); hatchling refuses the pair, so the lock failed building the project."""
    root = tmp_path / "p2"
    root.mkdir()
    (root / "pyproject.toml").write_text(textwrap.dedent("""\
        [project]
        name = "p2"
        version = "1.0.0"
        requires-python = ">=3.10"
        dynamic = ["dependencies", "classifiers"]
        dependencies = ["alpha>=1"]

        [tool.poetry]
        requires-poetry = ">=2.0"

        [tool.poetry.group.dev.dependencies]
        pytest = "^8"
        """))
    (root / "p2").mkdir()
    (root / "p2" / "__init__.py").write_text("")
    proc = run_migrate("run", str(root), "--no-lock", "--no-codemods", "--format", "json")
    assert proc.returncode == 0, proc.stderr + proc.stdout
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    assert project["dynamic"] == ["classifiers"] and project["dependencies"] == ["alpha>=1"]
    (w,) = [w for w in json.loads(proc.stdout)["warnings"] if w["code"] == "MIG011"]
    assert "'dependencies'" in w["message"] and w["key"] == "project.dynamic"


# -- verify: a GIL flip caused by another distribution's extension names that distribution --------------
def _wrapper_wheel(folder: Path, imports: str) -> Path:
    """A pure wheel `wrapper` 1.0 whose package imports ``imports`` (as inscriptis imports lxml.etree)."""
    import zipfile

    from wheelhouse import _record_line

    info = "wrapper-1.0.dist-info"
    files = {
        "wrapper/__init__.py": f"import {imports}\n".encode(),
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: wrapper\nVersion: 1.0\nRequires-Dist: {imports}\n".encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        f"{info}/top_level.txt": b"wrapper\n",
    }
    record = [_record_line(p, d) for p, d in files.items()] + [f"{info}/RECORD,,"]
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    path = folder / "wrapper-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for p, d in files.items():
            zf.writestr(p, d)
    return path


@needs_ft
def test_verify_names_the_distribution_whose_extension_turned_the_gil_on(tmp_path, gil_wheels):
    wheels = tmp_path / "wheels"
    shutil.copytree(gil_wheels, wheels)
    _wrapper_wheel(wheels, "speedy")
    root = tmp_path / "app"
    root.mkdir()
    (root / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "0.1.0"\nrequires-python = ">=3.10"\ndependencies = ["wrapper"]\n\n'
        "[tool.uv]\npackage = false\n")
    lock(root, wheels)
    proc = run_migrate("verify", str(root), "--python", FT, "--no-tests", "--format", "json")
    report = json.loads(proc.stdout)
    imports = {r["module"]: r for r in report["imports"]}
    assert imports["wrapper"]["status"] == "enables-gil"
    assert imports["wrapper"]["culprit"] == {"module": "speedy._speed", "distribution": "speedy", "version": "1.0"}
    assert imports["wrapper"]["scope"] == "runtime"
    assert "culprit" not in imports["speedy"]  # its own extension
    assert any(r.startswith("importing wrapper (wrapper 1.0) re-enables the GIL: it loads speedy._speed from "
                            "speedy 1.0") for r in report["reasons"])


# -- verify: a test that fails once without the GIL and passes when run again is not a GIL failure -------
@needs_ft
def test_a_test_that_passes_when_run_again_is_flaky_not_a_gil_failure(tmp_path):
    """zeroconf: 16 timing-sensitive tests failed on the (slower, loaded) free-threaded run only; run again
    alone, a test that passes failed on timing, not for want of the GIL."""
    from conftest import FIXTURES

    root = tmp_path / "racy"
    shutil.copytree(FIXTURES / "verify-racy", root)
    (root / "tests" / "test_flaky.py").write_text(textwrap.dedent('''\
        import sys
        import unittest
        from pathlib import Path

        MARK = Path(__file__).with_name("failed-once")


        class TestFlaky(unittest.TestCase):
            def test_once(self):
                # fails the first time it runs without the GIL, passes ever after
                if not sys._is_gil_enabled() and not MARK.exists():
                    MARK.write_text("")
                    self.fail("first run without the GIL")
        '''))
    python, _ = find_interpreter(">=3.10")
    proc = subprocess.run([uv_bin(), "lock", "--offline", "--python", python], cwd=root, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    proc = run_migrate("verify", str(root), "--python", FT, "--format", "json")
    report = json.loads(proc.stdout)
    tests = report["tests"]
    assert tests["ft"]["failures"] == ["test_flaky.TestFlaky.test_once",
                                       "test_racy.TestRacy.test_threads_lose_no_update"] or \
        sorted(tests["ft"]["failures"]) == ["test_flaky.TestFlaky.test_once",
                                            "test_racy.TestRacy.test_threads_lose_no_update"]
    assert tests["flaky"] == ["test_flaky.TestFlaky.test_once"]
    assert tests["only_without_gil"] == ["test_racy.TestRacy.test_threads_lose_no_update"]  # fails again
    assert proc.returncode == 1
    assert not any("test_once" in r for r in report["reasons"])


def test_node_id_from_a_junit_id(tmp_path):
    from migrate.verify.testrun import node_id

    (tmp_path / "tests" / "services").mkdir(parents=True)
    (tmp_path / "tests" / "services" / "test_browser.py").write_text("")
    assert node_id(tmp_path, "tests.services.test_browser.TestMultiple::test_update[a.b]") == \
        "tests/services/test_browser.py::TestMultiple::test_update[a.b]"
    assert node_id(tmp_path, "tests.services.test_browser::test_plain") == "tests/services/test_browser.py::test_plain"
    assert node_id(tmp_path, "tests.gone.test_x::test_y") is None


def test_a_test_failing_twice_in_one_run_is_named_once():
    """zeroconf: a test that fails and then errors in teardown appears twice in the JUnit report."""
    from migrate.verify.testrun import TestRun, only_without_gil

    ft = TestRun("pytest", [], "ft", 1, 0.0, failures=["t.a::x", "t.a::x", "t.a::y", "<pytest exit code 3>"])
    gil = TestRun("pytest", [], "gil", 1, 0.0, failures=["t.a::y"])
    assert only_without_gil(ft, gil) == ["t.a::x"]
