"""Run the project's tests on an interpreter and collect per-test outcomes.

The test command is pytest when the environment has it (``python -m pytest`` with a JUnit XML report,
the project's own pytest configuration applies), else ``python -m unittest discover -v``. ``--stress N``
runs every test function in N threads at once: with pytest-run-parallel when the environment has it
(``--parallel-threads N``), else with a small pytest plugin (or unittest wrapper) of ours that does the same.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

_GIL_WARNING = re.compile(r"The global interpreter lock \(GIL\) has been enabled to load module '([^']+)'")


def has_tests(root: Path) -> bool:
    """A tests folder, or a pytest configuration, exists."""
    root = Path(root)
    if any((root / d).is_dir() for d in ("tests", "test")):
        return True
    if (root / "pytest.ini").is_file():
        return True
    for name, needle in (("pyproject.toml", "[tool.pytest"), ("setup.cfg", "[tool:pytest]"), ("tox.ini", "[pytest]")):
        try:
            if needle in (root / name).read_text(encoding="utf-8", errors="replace"):
                return True
        except OSError:
            continue
    return False


@dataclass
class TestRun:
    runner: str
    command: list[str]
    interpreter: str
    exit_code: int
    seconds: float
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    #: ids of the tests that failed or errored
    failures: list[str] = field(default_factory=list)
    #: extension modules whose import re-enabled the GIL during the run (from the RuntimeWarning)
    gil_enabled_by: list[str] = field(default_factory=list)
    #: test id -> the first line of why it failed or errored (pytest's JUnit message)
    messages: dict[str, str] = field(default_factory=dict)
    output_tail: str = ""

    @property
    def ok(self) -> bool:
        return self.exit_code in (0, 5) and not self.failed and not self.errors

    def to_json(self) -> dict:
        return {"runner": self.runner, "command": " ".join(self.command), "interpreter": self.interpreter,
                "exit_code": self.exit_code, "seconds": round(self.seconds, 3), "passed": self.passed,
                "failed": self.failed, "errors": self.errors, "skipped": self.skipped,
                "failures": self.failures, "gil_enabled_by": self.gil_enabled_by, "messages": self.messages,
                "collection_failed": self.collection_failed}

    @property
    def collection_failed(self) -> bool:
        """pytest stopped before running any test: errors while collecting (an import the tests need is
        missing, ...) interrupt the whole session (exit code 2), an internal error (3) or a usage error (4:
        the configuration's ``addopts`` names a plugin's option, ``--cov`` without pytest-cov) with
        nothing passed."""
        return self.runner == "pytest" and self.exit_code in (2, 3, 4) and not self.passed and not self.failed


_STRESS_PLUGIN = r'''
"""migrate verify --stress: run every test function in N threads at once (a barrier starts them)."""
import os, threading
import pytest

N = int(os.environ.get("MIGRATE_STRESS_THREADS", "1"))


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    if N <= 1:
        return None
    func = pyfuncitem.obj
    import inspect
    if inspect.iscoroutinefunction(func):
        return None
    args = {a: pyfuncitem.funcargs[a] for a in pyfuncitem._fixtureinfo.argnames}
    barrier = threading.Barrier(N)
    errors = []

    def run():
        try:
            barrier.wait()
            func(**args)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(N)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return True
'''

_UNITTEST_STRESS = r'''
"""migrate verify --stress with unittest: each test method runs in N threads at once."""
import os, sys, threading, unittest, functools

N = int(os.environ.get("MIGRATE_STRESS_THREADS", "1"))


def threaded(method):
    @functools.wraps(method)
    def run_all():
        barrier = threading.Barrier(N)
        errors = []

        def one():
            try:
                barrier.wait()
                method()
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=one) for _ in range(N)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
    return run_all


def wrap(suite):
    for test in suite:
        if isinstance(test, unittest.TestSuite):
            wrap(test)
        elif isinstance(test, unittest.TestCase):
            name = test._testMethodName
            setattr(test, name, threaded(getattr(test, name)))


start = sys.argv[1]
suite = unittest.defaultTestLoader.discover(start)
wrap(suite)
result = unittest.TextTestRunner(verbosity=2).run(suite)
sys.exit(0 if result.wasSuccessful() else 1)
'''


def run_tests(root: Path, python: Path, has_pytest: bool, extra_env: dict[str, str] | None = None,
              label: str = "", stress: int = 0, has_run_parallel: bool = False,
              timeout: float = 3600) -> TestRun:
    """Run the tests of ``root`` with the environment's ``python``; PYTHON_GIL unset unless ``extra_env``
    sets it (the GIL baseline)."""
    from migrate.verify.imports import run_env

    env = run_env()
    env.update(extra_env or {})
    env["PYTHONUNBUFFERED"] = "1"
    with tempfile.TemporaryDirectory(prefix="migrate-verify-tests-") as tmp:
        if stress > 1:
            env["MIGRATE_STRESS_THREADS"] = str(stress)
        if has_pytest:
            junit = Path(tmp) / "junit.xml"
            cmd = [str(python), "-m", "pytest", "-p", "no:cacheprovider", f"--junitxml={junit}", "-q", "-rN"]
            if stress > 1:
                if has_run_parallel:
                    cmd += [f"--parallel-threads={stress}"]
                else:
                    Path(tmp, "migrate_stress_plugin.py").write_text(_STRESS_PLUGIN)
                    env["PYTHONPATH"] = tmp
                    cmd += ["-p", "migrate_stress_plugin"]
            runner = "pytest"
        else:
            start_dir = next((d for d in ("tests", "test") if (Path(root) / d).is_dir()), ".")
            if stress > 1:
                Path(tmp, "migrate_unittest_stress.py").write_text(_UNITTEST_STRESS)
                cmd = [str(python), str(Path(tmp, "migrate_unittest_stress.py")), start_dir]
                env["PYTHONPATH"] = str(root)  # as `python -m unittest` run in the project has it
            else:
                cmd = [str(python), "-m", "unittest", "discover", "-v", "-s", start_dir]
            runner = "unittest"
        start = time.perf_counter()
        try:
            proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True, env=env, timeout=timeout)
            code, out, err = proc.returncode, proc.stdout, proc.stderr
        except subprocess.TimeoutExpired as exc:
            code, out, err = -1, str(exc.stdout or ""), f"tests did not finish in {timeout:.0f} s"
        seconds = time.perf_counter() - start
        run = TestRun(runner, cmd, label, code, seconds)
        text = out + "\n" + err
        run.gil_enabled_by = sorted(set(_GIL_WARNING.findall(text)))
        run.output_tail = "\n".join(text.strip().splitlines()[-20:])
        if has_pytest:
            _read_junit(run, Path(tmp) / "junit.xml")
        else:
            _read_unittest(run, err)
    if runner == "pytest" and code not in (0, 1, 5) and not (run.failed or run.errors):
        run.errors += 1  # collection error, usage error, internal error, interrupted
        run.failures.append(f"<pytest exit code {code}>")
        said = [ln.strip() for ln in text.splitlines() if "error:" in ln.lower() and "usage:" not in ln.lower()]
        said = said[0] if said else None
        if code in (3, 4) and said:  # no JUnit file is written: pytest's own line says why
            run.messages[f"<pytest exit code {code}>"] = said
    return run


def _read_junit(run: TestRun, path: Path) -> None:
    try:
        tree = ET.parse(path)
    except (OSError, ET.ParseError):
        return
    for case in tree.iter("testcase"):
        test_id = f"{case.get('classname', '')}::{case.get('name', '')}".strip(":")
        kinds = {child.tag for child in case}
        if "failure" in kinds or "error" in kinds:
            if "failure" in kinds:
                run.failed += 1
            else:
                run.errors += 1
            run.failures.append(test_id)
            bad = next(child for child in case if child.tag in ("failure", "error"))
            # pytest's "E   ..." lines say why (a collection error's message is only "collection failure")
            said = [ln[1:].strip() for ln in (bad.text or "").splitlines() if ln.startswith("E ") and ln[1:].strip()]
            message = said[-1:] or (bad.get("message") or "").strip().splitlines()
            if message:
                run.messages[test_id] = message[0][:300]
        elif "skipped" in kinds:
            run.skipped += 1
        else:
            run.passed += 1


_UNITTEST_LINE = re.compile(r"^(\w+) \(([\w.]+)\)(?:\n[^\n]*?)?.*? \.\.\. (ok|FAIL|ERROR|skipped|expected failure|unexpected success)",
                            re.M)


def _read_unittest(run: TestRun, stderr: str) -> None:
    for name, where, outcome in _UNITTEST_LINE.findall(stderr):
        test_id = where if where.endswith("." + name) else f"{where}.{name}"
        if outcome in ("ok", "expected failure"):
            run.passed += 1
        elif outcome == "skipped":
            run.skipped += 1
        elif outcome == "ERROR":
            run.errors += 1
            run.failures.append(test_id)
        else:
            run.failed += 1
            run.failures.append(test_id)
    if run.exit_code != 0 and not (run.failed or run.errors):
        run.errors += 1
        run.failures.append(f"<unittest exit code {run.exit_code}>")


def only_without_gil(ft: TestRun, gil: TestRun | None) -> list[str]:
    """Tests that fail on the free-threaded build and pass on the GIL build."""
    if gil is None:
        return []
    base = set(gil.failures)
    # once each: a test that fails and then errors in teardown is two JUnit entries with one id
    return list(dict.fromkeys(t for t in ft.failures if t not in base and not t.startswith("<")))


def node_id(root: Path, test_id: str) -> str | None:
    """pytest's node id (``tests/a/test_b.py::TestC::test_d``) for a JUnit id (``tests.a.test_b.TestC::test_d``):
    the longest dotted prefix of the class name that is a file under ``root``. None when none is."""
    classname, _, name = test_id.partition("::")
    parts = classname.split(".")
    for i in range(len(parts), 0, -1):
        path = Path(root, *parts[:i]).with_suffix(".py")
        if path.is_file():
            return "::".join(["/".join(parts[:i]) + ".py", *parts[i:], *([name] if name else [])])
    return None


def rerun(root: Path, python: Path, test_ids: list[str], has_pytest: bool, label: str = "",
          timeout: float = 1800, extra_env: dict[str, str] | None = None, claim: bool = True) -> set[str]:
    """Run only ``test_ids`` once more; the ids that fail again. A test that passes on its own the second
    time failed on timing or order (a loaded machine, a shared resource), not for want of the GIL. Ids that
    cannot be addressed are returned as failing (nothing is claimed about them); with ``claim`` False
    only the ids seen failing are returned. ``extra_env``: e.g. ``PYTHON_GIL=1``."""
    failing, seen = _rerun(root, python, test_ids, has_pytest, label, timeout, extra_env)
    return failing if claim else (seen or set())


def _rerun(root: Path, python: Path, test_ids: list[str], has_pytest: bool, label: str, timeout: float,
           extra_env: dict[str, str] | None) -> tuple[set[str], set[str] | None]:
    """(the ids failing or not known, the ids seen failing — None when nothing was read back)."""
    from migrate.verify.imports import run_env

    env = run_env()
    env.update(extra_env or {})
    env["PYTHONUNBUFFERED"] = "1"
    if has_pytest:
        nodes = {t: node_id(root, t) for t in test_ids}
        unknown = {t for t, n in nodes.items() if n is None}
        todo = sorted({n for n in nodes.values() if n})
        if not todo:
            return set(test_ids), None
        with tempfile.TemporaryDirectory(prefix="migrate-verify-rerun-") as tmp:
            junit = Path(tmp) / "junit.xml"
            cmd = [str(python), "-m", "pytest", "-p", "no:cacheprovider", f"--junitxml={junit}", "-q", "-rN", *todo]
            try:
                subprocess.run(cmd, cwd=root, capture_output=True, text=True, env=env, timeout=timeout)
            except subprocess.TimeoutExpired:
                return set(test_ids), None
            run = TestRun("pytest", cmd, label, 0, 0.0)
            _read_junit(run, junit)
        if not (run.passed or run.failed or run.errors):
            return set(test_ids), None  # nothing was read back: claim nothing
        again = set(run.failures)
        return {t for t in test_ids if t in unknown or t in again}, {t for t in test_ids if t in again}
    cmd = [str(python), "-m", "unittest", "-v", *test_ids]
    # the ids are relative to the folder `unittest discover -s` started in (it put that on sys.path)
    start = next((Path(root, d) for d in ("tests", "test") if Path(root, d).is_dir()), Path(root))
    env["PYTHONPATH"] = os.pathsep.join([str(start), *filter(None, [env.get("PYTHONPATH")])])
    try:
        proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        return set(test_ids), None
    run = TestRun("unittest", cmd, label, proc.returncode, 0.0)
    _read_unittest(run, proc.stderr)
    if not (run.passed or run.failed or run.errors):
        return set(test_ids), None
    seen = {t for t in test_ids if t in set(run.failures)}
    return seen, seen
