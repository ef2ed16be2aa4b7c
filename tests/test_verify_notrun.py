"""`migrate verify` on real projects: a test run that never started is not "ready"."""

from __future__ import annotations

from pathlib import Path


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
