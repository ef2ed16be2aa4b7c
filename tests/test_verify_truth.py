"""`migrate verify` says the truth on real projects: a test run that never started is not "ready"
(refurb), and a test that fails on the free-threaded build with its GIL turned on too is not a race
(zeroconf: 75 ms timeouts on a slower build)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from conftest import FIXTURES, run_migrate

from migrate.lock.lock import find_interpreter, uv_bin

FT = os.environ.get("MIGRATE_FT_PYTHON")
needs_ft = pytest.mark.skipif(not FT, reason="MIGRATE_FT_PYTHON is not set: no free-threaded interpreter")


def test_verify_says_the_tests_did_not_run_when_pytest_refuses_its_configuration(tmp_path):
    """refurb's ``addopts = "--cov=..."`` without pytest-cov in any group: pytest exits 4 on both builds
    before running a test; that is not "ready"."""
    import sys

    from migrate.verify import testrun
    from migrate.verify.command import VerifyReport, _judge
    from migrate.verify.interpreter import Interpreter

    root = tmp_path / "proj"
    (root / "tests").mkdir(parents=True)
    (root / "tests" / "test_a.py").write_text("def test_a():\n    pass\n")
    (root / "pyproject.toml").write_text('[tool.pytest.ini_options]\naddopts = "--no-such-plugin-option=x"\n')
    run = testrun.run_tests(root, Path(sys.executable), True, label="this")
    assert run.exit_code == 4 and run.collection_failed and run.passed == 0
    assert "--no-such-plugin-option" in run.messages["<pytest exit code 4>"]
    report = VerifyReport(project=str(root))
    report.tests = {"ft": run.to_json(), "gil": run.to_json(), "only_without_gil": [], "stress": None}
    _judge(report, Interpreter(sys.executable, "3.13.0", True, "test", label="ft"))
    assert report.verdict == "not-ready"
    (reason,) = report.reasons
    assert reason.startswith("the tests did not run: pytest refused its command line or configuration (on the "
                             "GIL build too): <pytest exit code 4>: ")
    assert "unrecognized arguments: --no-such-plugin-option=x" in reason and "pytest-cov" in reason
    # without the option the same tests run and pass
    (root / "pyproject.toml").write_text("")
    assert testrun.run_tests(root, Path(sys.executable), True, label="this").ok


@needs_ft
def test_a_test_failing_on_the_free_threaded_build_with_its_gil_on_too_is_not_called_a_race(tmp_path):
    root = tmp_path / "racy"
    shutil.copytree(FIXTURES / "verify-racy", root)
    (root / "tests" / "test_build.py").write_text(textwrap.dedent('''\
        import sysconfig
        import unittest


        class TestBuild(unittest.TestCase):
            def test_needs_the_gil_build(self):
                # fails on the free-threaded build whether its GIL is on or off (a stand-in for a
                # timeout too tight for the slower build)
                self.assertFalse(sysconfig.get_config_var("Py_GIL_DISABLED"))
        '''))
    python, _ = find_interpreter(">=3.10")
    proc = subprocess.run([uv_bin(), "lock", "--offline", "--python", python], cwd=root, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    proc = run_migrate("verify", str(root), "--python", FT, "--format", "json")
    report = json.loads(proc.stdout)
    if report["baseline"]["env"].get("PYTHON_GIL"):
        pytest.skip("no GIL build of the same version installed: the baseline is this build with PYTHON_GIL=1")
    tests = report["tests"]
    assert tests["ft_build"] == ["test_build.TestBuild.test_needs_the_gil_build"]
    # the real race still needs the GIL: it passes with PYTHON_GIL=1 and stays a GIL failure
    assert tests["only_without_gil"] == ["test_racy.TestRacy.test_threads_lose_no_update"]
    assert proc.returncode == 1 and report["verdict"] == "not-ready"
    assert any(r.startswith("1 test(s) fail on the free-threaded build with its GIL turned on too (PYTHON_GIL=1, "
                            "in one of up to 3 runs) and passed on the GIL build: not a race")
               for r in report["reasons"])
    assert any(r.startswith("1 test(s) fail only without the GIL: test_racy") for r in report["reasons"])
    text = run_migrate("verify", str(root), "--python", FT)
    assert "fails on the free-threaded build with its GIL on too (PYTHON_GIL=1): " \
           "test_build.TestBuild.test_needs_the_gil_build" in text.stdout
