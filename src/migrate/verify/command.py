"""``migrate verify``: sync, per-module GIL check and tests on a real free-threaded interpreter.

JSON schema (stable): ``{project, interpreter, baseline, sync, imports: [{module, distribution, version,
status, detail}], tests: {ft, gil, only_without_gil, stress}, verdict, reasons, tried}``. ``verdict``:
``ready`` (exit 0) when the environment syncs, no module re-enables the GIL or fails to import (where it
imports on the GIL build) and the tests pass as well as on the GIL build; else ``not-ready``,
``sync-failed`` or ``no-interpreter`` (exit 1). Bad input (not a folder, no uv.lock, an unusable
``--python``): exit 2, nothing run.
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from migrate.diagnostics import MigrateError, StageError
from migrate.verify import imports as imp
from migrate.verify.interpreter import Interpreter


@dataclass
class VerifyOptions:
    python: str | None = None
    #: None: on when a tests folder or pytest configuration exists
    tests: bool | None = None
    stress: int = 0
    in_place: bool = False
    jobs: int | None = None
    #: look for a GIL build to compare the tests with
    baseline: bool = True


@dataclass
class VerifyReport:
    project: str
    interpreter: dict | None = None
    baseline: dict | None = None
    baseline_note: str | None = None
    sync: dict | None = None
    imports: list[dict] = field(default_factory=list)
    tests: dict[str, Any] = field(default_factory=lambda: {"ft": None, "gil": None, "only_without_gil": [],
                                                           "stress": None})
    verdict: str = "not-ready"
    reasons: list[str] = field(default_factory=list)
    tried: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        return 0 if self.verdict == "ready" else 1

    def to_json(self) -> dict:
        return {"project": self.project, "interpreter": self.interpreter, "baseline": self.baseline,
                "baseline_note": self.baseline_note, "sync": self.sync, "imports": self.imports,
                "tests": self.tests, "verdict": self.verdict, "reasons": self.reasons, "tried": self.tried,
                "seconds": round(self.seconds, 3)}


def _project_name(root: Path) -> str | None:
    import tomllib

    try:
        data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    name = data.get("project", {}).get("name") if isinstance(data.get("project"), dict) else None
    return str(name) if name else None


def _own_modules(root: Path) -> list[str]:
    """Top-level modules in the project folder (``src/`` layout or flat), for a project that is not
    installed as a package (``tool.uv.package = false``)."""
    out = []
    for base in (root / "src", root):
        if not base.is_dir():
            continue
        for p in sorted(base.iterdir()):
            name = p.stem if p.suffix == ".py" else p.name
            if not name.isidentifier() or name in imp.SKIP or name.startswith("."):
                continue
            if (p.is_file() and p.suffix == ".py") or (p.is_dir() and (p / "__init__.py").is_file()):
                out.append(name)
        if out:
            break
    return out


def built_from_source(dists: list[imp.Distribution], lock_packages, uv_said: dict[str, str]) -> dict[str, str]:
    """{distribution: version} uv built from source: named in its output, or installed with wheel tags that
    none of the locked wheels of that version carries (a cached build prints nothing)."""
    from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

    said = {canonicalize_name(n) for n in uv_said}
    local = {canonicalize_name(p.name) for p in lock_packages if p.local}
    by_name = {canonicalize_name(p.name): p for p in lock_packages if not p.local}
    out = {}
    for d in dists:
        key = canonicalize_name(d.name)
        if key in local:  # the project itself, path and workspace members: built by nature
            continue
        if key in said:
            out[d.name] = d.version
            continue
        pkg = by_name.get(key)
        if pkg is None or d.direct_url is not None or not d.tags:
            continue
        lock_tags: set[str] = set()
        for f in pkg.files:
            if f.endswith(".whl"):
                try:
                    lock_tags |= {str(t) for t in parse_wheel_filename(f)[3]}
                except InvalidWheelFilename:
                    continue
        if not lock_tags & set(d.tags):
            out[d.name] = d.version
    return out


def verify(root: Path, options: VerifyOptions, say: Callable[[str], None] | None = None) -> VerifyReport:
    """Run the whole verification (see the module docstring). Raises MigrateError on bad input."""
    from migrate.verify import interpreter as interp
    from migrate.verify import testrun
    from migrate.verify.env import env_python, sync

    say = say or (lambda _m: None)
    start = time.perf_counter()
    root = Path(root)
    if not root.is_dir():
        raise MigrateError("not a folder", path=root)
    if not (root / "uv.lock").is_file():
        raise MigrateError("no uv.lock here", path=root, hint="run `migrate run` (or `uv lock`) first")
    if options.stress < 0:
        raise MigrateError(f"--stress must be 0 or more, not {options.stress}", key="--stress")
    from migrate.lock.freethreading import read_uv_lock

    lock_packages = read_uv_lock(root / "uv.lock")
    report = VerifyReport(project=str(root))
    say("looking for the interpreter")
    try:
        ft = interp.find(options.python, root, report.tried)
    except LookupError:
        report.verdict = "no-interpreter"
        report.reasons.append("no interpreter for the target was found: " + "; ".join(report.tried))
        report.seconds = time.perf_counter() - start
        return report
    report.interpreter = ft.to_json()
    if not ft.free_threaded:
        report.reasons.append(f"{ft.label} is not a free-threaded build: the GIL check says nothing")

    run_tests = testrun.has_tests(root) if options.tests is None else options.tests
    with tempfile.TemporaryDirectory(prefix="migrate-verify-") as tmp:
        say(f"uv sync --frozen with {ft.label}")
        synced = sync(root, ft.path, None if options.in_place else Path(tmp) / "ft", say=say)
        report.sync = synced.to_json()
        if not synced.ok:
            report.verdict = "sync-failed"
            report.reasons.append(f"uv sync failed on {ft.label}: " + _sync_failure(synced, lock_packages, ft))
            report.seconds = time.perf_counter() - start
            return report
        python = env_python(Path(synced.environment))
        dists = imp.inventory(python)
        built = built_from_source(dists, lock_packages, synced.built)
        report.sync["built_from_source"] = [{"name": n, "version": v} for n, v in sorted(built.items())]

        from packaging.utils import canonicalize_name

        own = canonicalize_name(_project_name(root) or root.name)
        targets = imp.modules_of([d for d in dists if canonicalize_name(d.name) != own])
        own_dist = next((d for d in dists if canonicalize_name(d.name) == own), None)
        if own_dist is None:
            own_dist = imp.Distribution(_project_name(root) or root.name, "(project)", _own_modules(root), [],
                                        None, False)
        own_targets = [(m, own_dist) for m in own_dist.modules if m not in imp.SKIP and m.isidentifier()]
        total = len(targets) + len(own_targets)
        names = {canonicalize_name(d.name) for d in dists}
        has_pytest = "pytest" in names

        # The import check and the test runs go on at once (separate interpreters, all CPUs busy). The
        # import check keeps the bytecode it compiles in the throw-away environment (never in the user's
        # tree or --in-place environment). The test runner's own modules are imported first, in an
        # interpreter of their own, and the free-threaded test run starts once they are done: it then reads
        # their bytecode instead of compiling them again; the rest of the modules are imported meanwhile
        # by as many interpreters as the test run leaves CPUs.
        import threading
        from concurrent.futures import ThreadPoolExecutor

        bytecode_under = None if options.in_place else synced.environment
        lead = [m for m, d in targets if canonicalize_name(d.name) == "pytest"] \
            if run_tests and has_pytest and bytecode_under else []
        pool = ThreadPoolExecutor(max_workers=3)
        guard = threading.Lock()
        started: list = []  # the future of the free-threaded test run, once started
        waiting, done = set(lead), [0]

        def start_ft() -> None:
            with guard:
                if run_tests and not started:
                    started.append(pool.submit(testrun.run_tests, root, python, has_pytest, label=ft.label))

        def tick(module: str) -> None:
            with guard:
                done[0] += 1
                waiting.discard(module)
                now = not waiting
            say(f"importing modules one at a time: {done[0]}/{total} ({module})")
            if now:
                start_ft()

        try:
            if not waiting:
                start_ft()
            jobs = options.jobs or imp.default_jobs(busy=1 if run_tests else 0)
            # the project folder is the working directory (as for the tests): a project that is not
            # installed as a package (tool.uv.package = false) is importable from there
            f_imports = pool.submit(imp.check, python, targets + own_targets, jobs, str(root), tick,
                                    bytecode_under=bytecode_under, lead=lead)
            baseline, base_python, base_names = None, None, names
            if options.baseline and run_tests:
                baseline, base_python, base_names = _baseline(report, ft, root, python, names, Path(tmp), say)
            f_gil = None
            if run_tests and base_python is not None:
                say(f"running the tests on {ft.label} and {baseline.label}")
                f_gil = pool.submit(testrun.run_tests, root, base_python, "pytest" in base_names,
                                    dict(baseline.env), label=baseline.label)
            results = f_imports.result()
            start_ft()  # (started already, unless a lead module never reported)
            f_ft = started[0] if started else None
            if options.baseline and not run_tests and any(r.status == imp.IMPORT_ERROR for r in results):
                baseline, base_python, base_names = _baseline(report, ft, root, python, names, Path(tmp), say)
            # a module that fails to import on the GIL build as well is not a free-threading problem
            failing = [r for r in results if r.status == imp.IMPORT_ERROR]
            if failing and base_python is not None:
                for r in failing:
                    status, _ = imp.import_one(base_python, r.module, str(root), extra_env=dict(baseline.env))
                    if status == imp.IMPORT_ERROR:
                        r.detail = f"{r.detail} (fails on the GIL build too)"
            for r in results:
                if r.status == imp.OK and r.distribution in built:
                    r.status = imp.BUILT
            report.imports = [r.to_json() for r in results]
            _add_culprit(report.imports, dists)
            _add_scope(report.imports, root)
            ft_run = f_ft.result() if f_ft else None
            gil_run = f_gil.result() if f_gil else None
        finally:
            pool.shutdown(wait=True)

        if run_tests:
            report.tests["ft"] = ft_run.to_json()
            report.tests["gil"] = gil_run.to_json() if gil_run else None
            only = testrun.only_without_gil(ft_run, gil_run)
            if only:
                # once more, alone, on the free-threaded build: a test that passes then failed on timing
                say(f"running the {len(only)} test(s) that failed only without the GIL once more")
                again = testrun.rerun(root, python, only, has_pytest, label=ft.label)
                report.tests["flaky"] = [t for t in only if t not in again]
                only = [t for t in only if t in again]
            if only and baseline is not None and not baseline.env.get("PYTHON_GIL"):
                # the same free-threaded build with its GIL on: a test that fails there too does not fail
                # for want of the GIL (a race) but on the build itself (zeroconf's 75 ms timeouts)
                # timing failures come and go: up to GIL_ON_RUNS runs, a failure in any one counts
                with_gil: set[str] = set()
                for attempt in range(GIL_ON_RUNS):
                    left = [t for t in only if t not in with_gil]
                    if not left:
                        break
                    say(f"running {len(left)} test(s) on {ft.label} with PYTHON_GIL=1 ({attempt + 1}/{GIL_ON_RUNS})")
                    with_gil |= testrun.rerun(root, python, left, has_pytest, label=ft.label,
                                              extra_env={"PYTHON_GIL": "1"}, claim=False)
                report.tests["ft_build"] = [t for t in only if t in with_gil]
                only = [t for t in only if t not in with_gil]
            report.tests["only_without_gil"] = only
            if options.stress > 1:
                say(f"running the tests in {options.stress} threads each on {ft.label}")
                stress = testrun.run_tests(root, python, has_pytest, label=ft.label, stress=options.stress,
                                           has_run_parallel="pytest-run-parallel" in names)
                report.tests["stress"] = {"threads": options.stress, **stress.to_json(),
                                          "plugin": "pytest-run-parallel" if has_pytest and
                                          "pytest-run-parallel" in names else "migrate"}
        else:
            report.tests["skipped_reason"] = ("--no-tests" if options.tests is False
                                              else "no tests folder or pytest configuration")
    _judge(report, ft)
    report.seconds = time.perf_counter() - start
    return report


_EXTENSION = re.compile(r"extension ([A-Za-z_][\w.]*) does not declare")


def _add_culprit(imports: list[dict], dists: list[imp.Distribution]) -> None:
    """A module whose import turned the GIL on by loading another distribution's extension (inscriptis
    imports lxml.etree) gets ``culprit`` {module, distribution, version}: that extension's owner, the
    package to move or report."""
    owner = {m: d for m, d in imp.modules_of(dists)}
    for r in imports:
        m = _EXTENSION.search(r.get("detail") or "") if r["status"] == imp.ENABLES_GIL else None
        d = owner.get(m.group(1).split(".")[0]) if m else None
        if d is not None and d.name != r["distribution"]:
            r["culprit"] = {"module": m.group(1), "distribution": d.name, "version": d.version}


def _add_scope(imports: list[dict], root: Path) -> None:
    """Each import entry's ``scope``: ``runtime`` (the package's own dependencies need it), ``dev`` (only
    its dependency groups do) or None (the project itself, or not in the lock)."""
    from packaging.utils import canonicalize_name

    from migrate.verify.scope import scopes

    found = scopes(root / "uv.lock", _project_name(root))
    own = canonicalize_name(_project_name(root) or root.name)
    for r in imports:
        key = canonicalize_name((r.get("culprit") or r)["distribution"])
        r["scope"] = None if key == own else found.get(key)


def _sync_failure(synced, lock_packages, ft: Interpreter) -> str:
    """The reason for a failed sync: for a package uv could not build, its name, whether the lock has a
    wheel for this interpreter (without one uv must build it), why the build failed and why it is needed."""
    fb = synced.failed_build
    if not fb:
        return synced.error or "uv sync failed"
    from packaging.utils import canonicalize_name

    from migrate.lock.freethreading import classify

    what = f"{fb['name']} {fb['version']}" if fb.get("version") else fb["name"]
    text = f"could not build {what} from source"
    abi = "cp" + ft.minor.replace(".", "") + ("t" if ft.free_threaded else "")
    pkg = next((p for p in lock_packages if canonicalize_name(p.name) == canonicalize_name(fb["name"])
                and (not fb.get("version") or p.version == fb["version"]) and not p.local), None)
    if pkg is not None and classify(pkg.files, abi) in ("blocker", "sdist-only"):
        text += f" (uv.lock has no {abi} wheel for it, so uv had to build it)"
    if fb.get("build_requirement"):
        text += f"; its build requirement {', '.join(fb['build_requirement'])} failed"
    if fb.get("why"):
        text += f": {fb['why']}"
    if fb.get("included_because"):
        text += f" — {fb['included_because']}"
    return text


def _baseline(report: VerifyReport, ft: Interpreter, root: Path, python: Path, names: set[str], tmp: Path,
              say: Callable[[str], None]):
    """(baseline interpreter, its environment's python, its distribution names), each None when there is
    none; the report says which and why."""
    from packaging.utils import canonicalize_name

    from migrate.verify import interpreter as interp
    from migrate.verify.env import env_python, sync

    baseline, note = interp.gil_baseline(ft)
    report.baseline_note = note
    report.baseline = baseline.to_json() if baseline else None
    if baseline is None:
        return None, None, names
    if baseline.path == ft.path:
        return baseline, python, names
    say(f"uv sync --frozen with {baseline.label} (baseline)")
    synced = sync(root, baseline.path, tmp / "gil", say=say)
    if not synced.ok:
        report.baseline_note = f"{note}; its uv sync failed: {synced.error}"
        return None, None, names
    base_python = env_python(Path(synced.environment))
    return baseline, base_python, {canonicalize_name(d.name) for d in imp.inventory(base_python)}


#: runs with PYTHON_GIL=1 of the tests that failed only without the GIL (twice): a failure in any one
#: says the GIL is not what they lack
GIL_ON_RUNS = 3


def _judge(report: VerifyReport, ft: Interpreter) -> None:
    reasons = report.reasons
    gil = [r for r in report.imports if r["status"] == imp.ENABLES_GIL]
    broken = [r for r in report.imports if r["status"] == imp.IMPORT_ERROR
              and not (r["detail"] or "").endswith("(fails on the GIL build too)")]
    def needed(r: dict) -> str:
        # a dependency group's tool does not stop the package itself from running without the GIL
        return (" — only the dependency groups (tests, tools) need it, not the package's own dependencies"
                if r.get("scope") == "dev" else "")

    for r in gil:
        c = r.get("culprit")
        via = f": it loads {c['module']} from {c['distribution']} {c['version']}" if c else ""
        reasons.append(f"importing {r['module']} ({r['distribution']} {r['version']}) re-enables the GIL{via}"
                       f"{needed(r)}")
    for r in broken:
        reasons.append(f"{r['module']} ({r['distribution']} {r['version']}) does not import: {r['detail']}{needed(r)}")
    ft_run, gil_run = report.tests.get("ft"), report.tests.get("gil")
    if ft_run is not None and ft_run.get("collection_failed"):
        # nothing ran: "as well as on the GIL build" would be true of two empty runs
        why = "; ".join(f"{t}: {m}" for t, m in list((ft_run.get("messages") or {}).items())[:3]) \
            or ", ".join(ft_run["failures"][:3])
        both = " (on the GIL build too)" if gil_run is not None and gil_run.get("collection_failed") else ""
        if ft_run.get("exit_code") == 4:  # a usage error: the configuration asks for a plugin not installed
            reasons.append(f"the tests did not run: pytest refused its command line or configuration{both}: "
                           f"{why} — add the plugin its options need (`--cov`: pytest-cov) to a dependency group, "
                           "or skip them with --no-tests")
        else:
            reasons.append(f"the tests did not run: pytest stopped at errors while collecting them{both}: {why} — "
                           "install what they import (an extra: `uv sync --all-extras`; a group: `--group NAME`), "
                           "or skip them with --no-tests")
    if ft_run is not None:
        bad = ft_run["failed"] + ft_run["errors"]
        if gil_run is not None:
            only = report.tests["only_without_gil"]
            if only:
                reasons.append(f"{len(only)} test(s) fail only without the GIL: " + ", ".join(only[:5])
                               + (" …" if len(only) > 5 else ""))
            base_bad = set(gil_run["failures"])
            flaky = set(report.tests.get("flaky") or [])
            build = report.tests.get("ft_build") or []
            if build:
                reasons.append(f"{len(build)} test(s) fail on the free-threaded build with its GIL turned on too "
                               f"(PYTHON_GIL=1, in one of up to {GIL_ON_RUNS} runs) and passed on the GIL build: "
                               "not a race but the build itself (it runs Python code slower; tight timeouts fail): "
                               + ", ".join(build[:5]) + (" …" if len(build) > 5 else ""))
            extra = [t for t in ft_run["failures"]
                     if t not in base_bad and t not in only and t not in flaky and t not in build]
            if extra:
                reasons.append("the test run on the free-threaded build failed: " + ", ".join(extra[:5]))
        elif bad:
            reasons.append(f"{bad} test(s) fail on {ft.label} (no GIL baseline to compare with)")
        if ft_run["gil_enabled_by"]:
            reasons.append("the GIL was re-enabled during the tests by " + ", ".join(ft_run["gil_enabled_by"]))
    stress = report.tests.get("stress")
    if stress and (stress["failed"] or stress["errors"]):
        reasons.append(f"{stress['failed'] + stress['errors']} test(s) fail when run in {stress['threads']} threads "
                       "at once: " + ", ".join(stress["failures"][:5]))
    report.verdict = "ready" if not reasons and ft.free_threaded else "not-ready"


# -- the command -----------------------------------------------------------------------------------
def verify_command(path: Path, python: str | None, tests: bool | None, stress: int, in_place: bool,
                   fmt: str) -> int:
    from migrate.report import print_json

    progress = fmt == "text" and sys.stderr.isatty()
    try:
        if progress:
            from migrate.report import _console

            with _console().status("verifying") as status:
                report = verify(path, VerifyOptions(python, tests, stress, in_place), lambda m: status.update(m))
        else:
            report = verify(path, VerifyOptions(python, tests, stress, in_place))
    except MigrateError as exc:
        if fmt == "json":
            print_json({"error": str(exc)})
        else:
            sys.stderr.write(f"error: {exc}\n")
        return 2
    except StageError as exc:  # uv missing, ...: valid input, could not run
        if fmt == "json":
            print_json({"error": exc.message, "detail": exc.detail, "verdict": "not-run"})
        else:
            sys.stderr.write(f"failed: {exc.message}" + (f" ({exc.detail})" if exc.detail else "") + "\n")
        return 1
    if fmt == "json":
        print_json(report.to_json())
    else:
        print_report(report)
    return report.exit_code


def print_report(report: VerifyReport | dict, console=None) -> None:
    """Text report: interpreter, sync, the import table (problems only), tests on both builds, verdict."""
    if isinstance(report, VerifyReport):
        report = report.to_json()
    if report.get("error"):  # `run --verify` could not start
        from migrate.report import _console, _esc

        (console or _console(stderr=False)).print(f"verify: not run ({_esc(report['error'])})")
        return
    from rich.table import Table

    from migrate.report import _console, _esc

    console = console or _console(stderr=False)
    console.print(f"[bold]Verify[/] {_esc(report['project'])}")
    it = report["interpreter"]
    if it is None:
        console.print("[red]No interpreter to verify on.[/] Tried: " + _esc("; ".join(report["tried"])))
        console.print("Install one (`uv python install 3.13t`), or pass --python /path/to/python3.13t.")
        console.print(f"verdict: [bold red]{report['verdict']}[/]")
        return
    console.print(f"interpreter: {_esc(it['label'])} at {_esc(it['path'])} (found via {_esc(it['source'])})")
    if report["baseline_note"]:
        console.print(f"baseline: {_esc(report['baseline_note'])}")
    sync = report["sync"] or {}
    if not sync.get("ok"):
        console.print(f"[red]uv sync failed[/]:\n{_esc(sync.get('error'))}")
    else:
        where = "the project's environment (--in-place)" if sync.get("in_place") else "a throw-away environment"
        console.print(f"sync: uv sync --frozen into {_esc(where)} in {sync['seconds']:.1f} s")
        for b in sync.get("built_from_source", []):
            console.print(f"  [yellow]built from source[/]: {_esc(b['name'])} {_esc(b['version'])}")
    problems = [r for r in report["imports"] if r["status"] != imp.OK]
    ok = len(report["imports"]) - len(problems)
    if report["imports"]:
        console.print(f"imports: {ok} of {len(report['imports'])} module(s) import with the GIL off")
    if problems:
        table = Table(title="Modules to look at", title_justify="left")
        for col in ("module", "distribution", "version", "needed by", "status", "detail"):
            table.add_column(col)
        style = {imp.ENABLES_GIL: "red", imp.IMPORT_ERROR: "red", imp.BUILT: "yellow"}
        needed_by = {"runtime": "the package", "dev": "dev groups only"}
        for r in problems:
            table.add_row(_esc(r["module"]), _esc(r["distribution"]), _esc(r["version"]),
                          needed_by.get(r.get("scope") or "", ""),
                          f"[{style.get(r['status'], 'white')}]{r['status']}[/]", _esc((r["detail"] or "")[:160]))
        console.print(table)
    tests = report["tests"]
    if tests.get("ft") is not None:
        table = Table(title="Tests", title_justify="left")
        for col in ("build", "passed", "failed", "errors", "skipped", "seconds"):
            table.add_column(col)
        for key in ("ft", "gil", "stress"):
            run = tests.get(key)
            if run:
                name = run["interpreter"] + (f" × {run['threads']} threads" if key == "stress" else "")
                table.add_row(_esc(name), str(run["passed"]), str(run["failed"]), str(run["errors"]),
                              str(run["skipped"]), f"{run['seconds']:.1f}")
        console.print(table)
        for t in tests.get("only_without_gil", []):
            console.print(f"  [red]fails only without the GIL[/]: {_esc(t)}")
        for t in tests.get("ft_build", []):
            console.print(f"  [red]fails on the free-threaded build with its GIL on too (PYTHON_GIL=1)[/]: {_esc(t)}")
        for t in tests.get("flaky", []):
            console.print(f"  [yellow]failed once without the GIL, passed when run again alone[/]: {_esc(t)}")
    elif tests.get("skipped_reason"):
        console.print(f"tests: not run ({_esc(tests['skipped_reason'])})")
    colour = "green" if report["verdict"] == "ready" else "red"
    console.print(f"verdict: [bold {colour}]{report['verdict']}[/]")
    for r in report["reasons"]:
        console.print(f"  - {_esc(r)}")


def verify_after_run(root: Path, progress: Callable[[str], None] | None = None) -> dict:
    """`migrate run --verify`: the verify report (JSON form) of the freshly migrated tree."""
    try:
        return verify(root, VerifyOptions(), progress).to_json()
    except (MigrateError, StageError) as exc:
        return {"verdict": "not-run", "error": str(exc), "reasons": [str(exc)]}
