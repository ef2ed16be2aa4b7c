"""`migrate verify` and runtime readiness on a real free-threaded CPython ($MIGRATE_FT_PYTHON).

The wheels are real: C extensions compiled here with gcc against the free-threaded interpreter's headers
(tests/wheelhouse.py:gil_wheelhouse), one declaring ``Py_mod_gil = Py_MOD_GIL_NOT_USED`` and one not.
Everything runs offline against that folder.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from conftest import FIXTURES, run_migrate, tree_digest
from wheelhouse import gil_wheelhouse

from migrate.lock.lock import find_interpreter, uv_bin
from migrate.verify import testrun
from migrate.verify.imports import SKIP, Distribution, modules_of
from migrate.verify.interpreter import parse_request

FT = os.environ.get("MIGRATE_FT_PYTHON")
needs_ft = pytest.mark.skipif(not FT, reason="MIGRATE_FT_PYTHON is not set: no free-threaded interpreter "
                              "(.ci/run builds one with ../shared/tools/build-free-threaded-python.sh)")
needs_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is needed to build the extension wheels")


@pytest.fixture(autouse=True)
def _uv_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "uv-cache"))
    monkeypatch.setenv("UV_PYTHON_DOWNLOADS", "never")


@pytest.fixture(scope="module")
def wheels(tmp_path_factory) -> Path:
    if not FT or shutil.which("gcc") is None:
        pytest.skip("needs MIGRATE_FT_PYTHON and gcc")
    return gil_wheelhouse(tmp_path_factory.mktemp("gilwheels"), FT, {
        "speedy": {"1.0": False, "1.1": False, "1.2": True, "2.0": True},
        "calm": {"1.0": True},
    })


def uv_project(root: Path, deps: list[str], wheels: Path) -> Path:
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "0.1.0"\nrequires-python = ">=3.10"\n'
        f"dependencies = {json.dumps(deps)}\n\n[tool.uv]\npackage = false\n")
    (root / "app").mkdir()
    (root / "app" / "__init__.py").write_text("VALUE = 1\n")
    lock(root, wheels)
    return root


def lock(root: Path, wheels: Path | None = None) -> None:
    python, _ = find_interpreter(">=3.10")
    args = ["--find-links", str(wheels)] if wheels else []
    proc = subprocess.run([uv_bin(), "lock", "--offline", "--python", python, *args], cwd=root,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def verify(root: Path, *args: str) -> tuple[int, dict]:
    proc = run_migrate("verify", str(root), "--format", "json", *args)
    assert proc.stdout, proc.stderr
    return proc.returncode, json.loads(proc.stdout)


# -- the import check -----------------------------------------------------------------------------
@needs_ft
@needs_gcc
def test_verify_names_the_module_that_re_enables_the_gil(tmp_path, wheels):
    root = uv_project(tmp_path / "app", ["calm", "speedy==1.0"], wheels)
    before = tree_digest(root)
    code, report = verify(root, "--python", FT, "--no-tests")
    assert code == 1
    assert report["verdict"] == "not-ready"
    assert report["interpreter"]["free_threaded"] is True and report["interpreter"]["path"] == FT
    imports = {r["module"]: r for r in report["imports"]}
    assert imports["speedy"]["status"] == "enables-gil"
    assert (imports["speedy"]["distribution"], imports["speedy"]["version"]) == ("speedy", "1.0")
    assert "speedy._speed" in imports["speedy"]["detail"]
    assert imports["calm"]["status"] == "ok"  # declares Py_mod_gil: the GIL stays off
    assert imports["app"]["status"] == "ok"  # the project's own module
    assert any("speedy" in r and "re-enables the GIL" in r for r in report["reasons"])
    # a throw-away environment: the project folder is untouched (no .venv)
    assert tree_digest(root) == before and not (root / ".venv").exists()
    text = run_migrate("verify", str(root), "--python", FT, "--no-tests")
    assert text.returncode == 1
    assert "enables-gil" in text.stdout and "speedy._speed" in text.stdout and "verdict: not-ready" in text.stdout


@needs_ft
@needs_gcc
def test_verify_passes_when_every_module_keeps_the_gil_off(tmp_path, wheels):
    root = uv_project(tmp_path / "app", ["calm", "speedy==1.2"], wheels)
    code, report = verify(root, "--python", FT, "--no-tests")
    assert (code, report["verdict"]) == (0, "ready"), report["reasons"]
    assert {r["module"]: r["status"] for r in report["imports"]} == {"app": "ok", "calm": "ok", "speedy": "ok"}
    assert report["sync"]["ok"] and report["sync"]["built_from_source"] == []


@needs_ft
@needs_gcc
def test_verify_in_place_syncs_the_project_environment(tmp_path, wheels):
    root = uv_project(tmp_path / "app", ["calm"], wheels)
    code, report = verify(root, "--python", FT, "--no-tests", "--in-place")
    assert code == 0, report["reasons"]
    assert (root / ".venv" / "pyvenv.cfg").is_file() and report["sync"]["in_place"] is True
    assert Path(report["sync"]["environment"]) == root / ".venv"


# -- tests on both builds -----------------------------------------------------------------------
@needs_ft
def test_tests_failing_only_without_the_gil_are_named(tmp_path):
    root = tmp_path / "racy"
    shutil.copytree(FIXTURES / "verify-racy", root)
    lock(root)
    code, report = verify(root, "--python", FT)
    assert code == 1 and report["verdict"] == "not-ready"
    tests = report["tests"]
    assert tests["ft"]["runner"] == "unittest"
    # a GIL build of the same version when one is installed, else the free-threaded one with PYTHON_GIL=1
    base = report["baseline"]
    assert base["version"] == report["interpreter"]["version"]
    assert base["free_threaded"] is False or base["env"] == {"PYTHON_GIL": "1"}
    assert tests["gil"]["failed"] == 0 and tests["gil"]["passed"] == 3
    assert tests["only_without_gil"] == ["test_racy.TestRacy.test_threads_lose_no_update"]
    assert tests["ft"]["passed"] == 2
    assert any("fail only without the GIL" in r for r in report["reasons"])


@needs_ft
def test_stress_runs_each_test_in_threads(tmp_path):
    root = tmp_path / "racy"
    shutil.copytree(FIXTURES / "verify-racy", root)
    (root / "tests" / "test_racy.py").unlink()  # keep only the test that is fine alone
    lock(root)
    code, report = verify(root, "--python", FT, "--stress", "4")
    assert report["tests"]["ft"]["failed"] == 0 and report["tests"]["only_without_gil"] == []
    stress = report["tests"]["stress"]
    assert stress["threads"] == 4 and stress["failures"] == ["test_shared.TestShared.test_one_thread_counts"]
    assert code == 1 and any("in 4 threads" in r for r in report["reasons"])


# -- runtime readiness in `migrate run` --------------------------------------------------------------
@needs_ft
@needs_gcc
def test_run_moves_a_project_off_a_version_that_re_enables_the_gil(tmp_path, wheels):
    root = tmp_path / "gilapp"
    shutil.copytree(FIXTURES / "verify-gil", root)
    proc = run_migrate("run", str(root), "--offline", "--find-links", str(wheels), "--no-codemods",
                       "--format", "json", env={"MIGRATE_FT_PYTHON": FT})
    assert proc.returncode == 0, proc.stderr + proc.stdout
    report = json.loads(proc.stdout)
    ft = {e["name"]: e for e in report["ft"]}
    # 1.0 and 1.1 re-enable the GIL; 1.2 is the nearest that does not (2.0 would be a bigger jump)
    assert ft["speedy"]["status"] == "upgraded" and ft["speedy"]["fix"] == "speedy==1.2"
    assert [c["version"] for c in ft["speedy"]["runtime_fix_checked"]] == ["1.1", "1.2"]
    assert ft["calm"]["runtime"] == "ok" and ft["calm"]["status"] == "ft-wheels"
    assert ("MIG245", "speedy") in {(w["code"], w["key"]) for w in report["warnings"]}
    text = (root / "pyproject.toml").read_text()
    assert tomllib.loads(text)["tool"]["uv"]["constraint-dependencies"] == ["speedy==1.2; python_version == '3.13'"]
    assert "speedy 1.0 re-enables the GIL on import; 1.2 is the nearest" in text
    # and verify agrees on the result
    code, verified = verify(root, "--python", FT, "--no-tests")
    assert code == 0 and {r["module"]: r["status"] for r in verified["imports"]}["speedy"] == "ok"


def test_no_runtime_check_judges_by_wheel_tags_only(tmp_path, wheels):
    """--no-runtime-check: a free-threaded interpreter is at hand (even a path that is not one: nothing
    is run on it) but nothing is installed or imported; speedy's cp313t wheel counts as ready."""
    root = tmp_path / "gilapp"
    shutil.copytree(FIXTURES / "verify-gil", root)
    proc = run_migrate("run", str(root), "--offline", "--find-links", str(wheels), "--no-codemods",
                       "--no-runtime-check", "--format", "json", env={"MIGRATE_FT_PYTHON": FT or "/nonexistent"})
    assert proc.returncode == 0, proc.stderr + proc.stdout
    report = json.loads(proc.stdout)
    assert "runtime" not in report["lock"]
    ft = {e["name"]: e for e in report["ft"]}
    assert "runtime" not in ft["speedy"] and ft["speedy"]["status"] == "ft-wheels"
    assert "MIG245" not in {w["code"] for w in report["warnings"]}


@needs_ft
@needs_gcc
def test_run_verify_ends_with_the_verify_report(tmp_path, wheels):
    root = tmp_path / "gilapp"
    shutil.copytree(FIXTURES / "verify-gil", root)
    proc = run_migrate("run", str(root), "--offline", "--find-links", str(wheels), "--no-codemods", "--verify",
                       "--format", "json", env={"MIGRATE_FT_PYTHON": FT})
    assert proc.returncode == 0, proc.stderr + proc.stdout
    report = json.loads(proc.stdout)
    assert report["verify"]["verdict"] == "ready"
    assert {r["module"]: r["status"] for r in report["verify"]["imports"]}["speedy"] == "ok"


@needs_ft
@needs_gcc
def test_deps_runtime_column(tmp_path, wheels):
    root = FIXTURES / "verify-gil"  # poetry.lock pins speedy 1.0, the project admits >=1.0
    before = tree_digest(root)
    proc = run_migrate("deps", str(root), "--offline", "--find-links", str(wheels), "--python", FT,
                       "--format", "json")
    report = json.loads(proc.stdout)
    entries = {e["name"]: e for e in report["packages"]}
    assert entries["speedy"]["runtime"] == "enables-gil" and entries["speedy"]["status"] == "blocker"
    assert entries["speedy"]["fix"] == "speedy==1.2"
    assert entries["calm"]["runtime"] == "ok"
    assert proc.returncode == 1
    assert tree_digest(root) == before


# -- bad input and no interpreter --------------------------------------------------------------------
def test_verify_without_a_lock_is_bad_input(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "0"\n')
    proc = run_migrate("verify", str(tmp_path))
    assert proc.returncode == 2 and "uv.lock" in proc.stderr and "Traceback" not in proc.stderr


def test_verify_with_a_python_that_does_not_run_is_bad_input(tmp_path):
    (tmp_path / "uv.lock").write_text("version = 1\n")
    proc = run_migrate("verify", str(tmp_path), "--python", str(tmp_path / "nope" / "python3.13t"))
    assert proc.returncode == 2 and "--python" in proc.stderr and "Traceback" not in proc.stderr


def test_verify_says_why_no_interpreter_was_found(tmp_path):
    # UV_PYTHON_DOWNLOADS=never is the user's setting here: it is respected, nothing is downloaded
    (tmp_path / "uv.lock").write_text("version = 1\n")
    proc = run_migrate("verify", str(tmp_path), "--python", "3.9t", "--format", "json",
                       env={"UV_PYTHON_DOWNLOADS": "never", "MIGRATE_FT_PYTHON": ""})
    report = json.loads(proc.stdout)
    assert proc.returncode == 1 and report["verdict"] == "no-interpreter"
    assert any("uv python install 3.9t" in t for t in report["tried"])


# -- units ----------------------------------------------------------------------------------------
def test_parse_request():
    assert parse_request("3.13t") == ("3.13", True)
    assert parse_request("3.13") == ("3.13", False)
    assert parse_request("cpython-3.14+freethreaded") == ("3.14", True)
    assert parse_request("/usr/bin/python3") is None


def test_has_tests(tmp_path):
    assert not testrun.has_tests(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.pytest.ini_options]\naddopts = '-q'\n")
    assert testrun.has_tests(tmp_path)


def test_modules_of_skips_test_folders_and_duplicates():
    a = Distribution("a", "1", ["a", "tests"], [], None, False)
    b = Distribution("b", "1", ["a", "b"], [], None, False)
    assert [(m, d.name) for m, d in modules_of([b, a])] == [("a", "a"), ("b", "b")]
    assert "tests" in SKIP


def test_unittest_output_is_read_per_test():
    run = testrun.TestRun("unittest", [], "x", 1, 0.0)
    testrun._read_unittest(run, "test_a (m.T.test_a) ... ok\ntest_b (m.T.test_b) ... FAIL\n"
                                "test_c (m.T.test_c) ... ERROR\ntest_d (m.T.test_d) ... skipped 'no'\n")
    assert (run.passed, run.failed, run.errors, run.skipped) == (1, 1, 1, 1)
    assert run.failures == ["m.T.test_b", "m.T.test_c"]


def test_only_without_gil_compares_the_runs():
    ft = testrun.TestRun("pytest", [], "ft", 1, 0, failures=["t::a", "t::b"])
    gil = testrun.TestRun("pytest", [], "gil", 1, 0, failures=["t::b"])
    assert testrun.only_without_gil(ft, gil) == ["t::a"]
    assert testrun.only_without_gil(ft, None) == []


def test_built_from_source_is_told_by_wheel_tags_and_uv_output():
    from migrate.lock.freethreading import LockedPackage
    from migrate.verify.command import built_from_source

    lock = [LockedPackage("wheeled", "1.0", ["wheeled-1.0-cp313-cp313t-manylinux_2_17_x86_64.whl"]),
            LockedPackage("built", "2.0", ["built-2.0-cp313-cp313-manylinux_2_17_x86_64.whl", "built-2.0.tar.gz"]),
            LockedPackage("said", "3.0", ["said-3.0-py3-none-any.whl"]),
            LockedPackage("app", "0.1", [], local=True)]
    dists = [Distribution("wheeled", "1.0", [], ["cp313-cp313t-manylinux_2_17_x86_64"], None, False),
             Distribution("built", "2.0", [], ["cp313-cp313t-linux_x86_64"], None, False),
             Distribution("said", "3.0", [], ["py3-none-any"], None, False),
             Distribution("app", "0.1", [], ["py3-none-any"], {"url": "file:///x"}, True)]
    assert built_from_source(dists, lock, {"said": "3.0", "app": ""}) == {"built": "2.0", "said": "3.0"}


@needs_ft
@needs_gcc
def test_runtime_check_goes_on_past_a_package_it_cannot_install(wheels):
    from migrate.lock.freethreading import LockedPackage
    from migrate.lock.index import IndexClient
    from migrate.verify.runtime import check_entries

    class Options:
        offline, index_url, find_links = True, None, [str(wheels)]

    packages = [LockedPackage("speedy", "1.0", ["speedy-1.0-cp313-cp313t-manylinux_2_17_x86_64.whl"]),
                LockedPackage("winonly", "1.0", ["winonly-1.0-cp313-cp313t-win_amd64.whl"])]
    entries = [{"name": p.name, "version": p.version, "status": "ft-wheels", "fix": None} for p in packages]
    facts = check_entries(entries, packages, FT, "cp313t", Options, IndexClient(find_links=[str(wheels)], offline=True))
    by = {e["name"]: e for e in entries}
    assert by["winonly"]["runtime"] == "unchecked" and "winonly" in facts["error"]
    assert by["speedy"]["runtime"] == "enables-gil" and by["speedy"]["fix"] == "speedy==1.2"
