"""Command line: ``migrate run | check | deps | batch``.

Only typer is imported at start-up; each command imports what it needs when it runs, so
``migrate --help`` stays fast.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

app = typer.Typer(
    name="migrate",
    pretty_exceptions_enable=False,
    help=(
        "Move Poetry and Pipenv projects to uv and get them ready for free-threaded Python.\n\n"
        "Start with `migrate run PATH --dry-run` to see every change as a diff."
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class Format(str, Enum):
    text = "text"
    json = "json"


class CheckFormat(str, Enum):
    text = "text"
    json = "json"
    sarif = "sarif"


class Backend(str, Enum):
    hatchling = "hatchling"
    uv = "uv"
    keep = "keep"


# -- shared options (run and batch) -------------------------------------------------------------
DryRun = Annotated[bool, typer.Option("--dry-run", help="Print the unified diff of every change; write nothing.")]
TargetOpt = Annotated[
    str, typer.Option("--target", metavar="VERSION", help="Interpreter target: written to .python-version and checked against wheels.")
]
StrictTarget = Annotated[
    bool, typer.Option("--strict-target", help="Exit 2 (nothing written) when requires-python excludes the target.")
]
NoLock = Annotated[bool, typer.Option("--no-lock", help="Do not (re)generate uv.lock.")]
NoCodemods = Annotated[bool, typer.Option("--no-codemods", help="Do not touch Python sources.")]
BuildBackend = Annotated[
    Backend, typer.Option("--build-backend", help="Build backend to write: hatchling, uv (uv_build) or keep.")
]
KeepOld = Annotated[
    bool, typer.Option("--keep-old-files", help="Keep poetry.lock / Pipfile / Pipfile.lock after migrating.")
]
AllowDirty = Annotated[bool, typer.Option("--allow-dirty", help="Allow a git work tree with uncommitted changes.")]
Offline = Annotated[bool, typer.Option("--offline", help="Passed to uv: no network access.")]
IndexUrl = Annotated[
    Optional[str], typer.Option("--index-url", metavar="URL", help="Passed to uv: the default package index.")
]
FindLinks = Annotated[
    Optional[list[str]],
    typer.Option("--find-links", metavar="DIR", help="Passed to uv: a folder (or URL) of wheels. Repeatable."),
]
NoFtUpgrade = Annotated[
    bool,
    typer.Option("--no-ft-upgrade", help="Only report dependencies without free-threaded wheels; do not upgrade them."),
]
NoRuntimeCheck = Annotated[
    bool,
    typer.Option("--no-runtime-check", help="With a free-threaded interpreter at hand, do not install the locked "
                 "native packages in a scratch environment to import them; judge them by wheel tags only."),
]
NameOpt = Annotated[
    Optional[str], typer.Option("--name", metavar="NAME", help="Project name when neither pyproject.toml nor the folder gives one.")
]
FormatOpt = Annotated[Format, typer.Option("--format", help="Output format.")]
NoRepoFiles = Annotated[
    bool,
    typer.Option("--no-repo-files", help="Do not rewrite CI, Docker, Make, tox, pre-commit, bot and docs files."),
]
AddFtCi = Annotated[
    bool, typer.Option("--add-ft-ci", help="Add a CI job that runs the tests on the free-threaded target.")
]
LockDiff = Annotated[
    bool, typer.Option("--lock-diff", help="Show the raw uv.lock diff instead of the per-package summary.")
]
ToPep621 = Annotated[
    bool,
    typer.Option("--to-pep621", help="Move setuptools metadata (setup.py/setup.cfg) into static [project] fields."),
]
Verify = Annotated[
    bool, typer.Option("--verify", help="After migrating, prove the result on a real free-threaded interpreter.")
]


def _options(**kw) -> "object":
    from migrate.pipeline import RunOptions

    return RunOptions(
        target=kw["target"],
        strict_target=kw["strict_target"],
        lock=not kw["no_lock"],
        codemods=not kw["no_codemods"],
        build_backend=kw["build_backend"].value,
        keep_old_files=kw["keep_old_files"],
        allow_dirty=kw["allow_dirty"],
        offline=kw["offline"],
        index_url=kw["index_url"],
        find_links=list(kw["find_links"] or []),
        ft_upgrade=not kw["no_ft_upgrade"],
        runtime_check=not kw.get("no_runtime_check", False),
        name=kw["name"],
        dry_run=kw["dry_run"],
        repo_files=not kw.get("no_repo_files", False),
        add_ft_ci=kw.get("add_ft_ci", False),
        lock_diff=kw.get("lock_diff", False),
        to_pep621=kw.get("to_pep621", False),
        verify=kw.get("verify", False),
    )


def _recover(paths: list[Path]) -> None:
    """Every command first finishes what a killed earlier run left: a journal in the tree (rolled back)
    and staging folders of dead migrate processes in $TMPDIR."""
    import sys

    from migrate.apply.journal import clean_stale_staging, recover_all
    from migrate.diagnostics import MigrateError

    try:
        for rec in recover_all(paths):
            sys.stderr.write(f"recovered: {rec.describe()}\n")
    except MigrateError as exc:
        sys.stderr.write(f"error: {exc}\n")
        raise typer.Exit(2)
    except OSError as exc:
        sys.stderr.write(f"error: could not recover an interrupted run: {exc}\n")
        raise typer.Exit(2)
    clean_stale_staging()


@app.command()
def run(
    path: Annotated[Path, typer.Argument(help="Project folder (default: current directory).")] = Path("."),
    dry_run: DryRun = False,
    target: TargetOpt = "3.13t",
    strict_target: StrictTarget = False,
    no_lock: NoLock = False,
    no_codemods: NoCodemods = False,
    build_backend: BuildBackend = Backend.hatchling,
    keep_old_files: KeepOld = False,
    allow_dirty: AllowDirty = False,
    offline: Offline = False,
    index_url: IndexUrl = None,
    find_links: FindLinks = None,
    no_ft_upgrade: NoFtUpgrade = False,
    no_runtime_check: NoRuntimeCheck = False,
    name: NameOpt = None,
    no_repo_files: NoRepoFiles = False,
    add_ft_ci: AddFtCi = False,
    lock_diff: LockDiff = False,
    to_pep621: ToPep621 = False,
    verify: Verify = False,
    format: FormatOpt = Format.text,
) -> None:
    """Migrate one Poetry or Pipenv project to uv.

    Example: migrate run . --dry-run
    """
    from migrate import pipeline
    from migrate.report import print_run_result

    options = _options(**locals())
    _recover([path])
    from migrate.report import spinner

    with spinner(enabled=format == Format.text) as progress:
        result = pipeline.run(path, options, progress=progress)
    print_run_result(result, options, fmt=format.value)
    raise typer.Exit(result.exit_code)


@app.command()
def check(
    paths: Annotated[
        Optional[list[Path]], typer.Argument(metavar="PATH", help="Files or folders (default: current directory).")
    ] = None,
    fix: Annotated[bool, typer.Option("--fix", help="Apply the safe fixes in place.")] = False,
    diff: Annotated[bool, typer.Option("--diff", help="Print the fixes as a unified diff; write nothing.")] = False,
    select: Annotated[
        Optional[str], typer.Option("--select", metavar="CODES", help="Only these rule codes (comma-separated).")
    ] = None,
    ignore: Annotated[
        Optional[str], typer.Option("--ignore", metavar="CODES", help="Skip these rule codes (comma-separated).")
    ] = None,
    exclude: Annotated[
        Optional[list[str]], typer.Option("--exclude", metavar="GLOB", help="Glob of paths to skip. Repeatable.")
    ] = None,
    format: Annotated[CheckFormat, typer.Option("--format", help="Output format.")] = CheckFormat.text,
) -> None:
    """Find thread-safety problems (shared state mutated without a lock) in Python sources.

    Example: migrate check src/ --diff
    """
    from migrate.check import check_command

    _recover(list(paths or [Path(".")]))
    code = check_command(
        paths=list(paths or [Path(".")]),
        fix=fix,
        diff=diff,
        select=select,
        ignore=ignore,
        exclude=list(exclude or []),
        fmt=format.value,
    )
    raise typer.Exit(code)


@app.command()
def deps(
    path: Annotated[Path, typer.Argument(help="Project folder (default: current directory).")] = Path("."),
    target: TargetOpt = "3.13t",
    offline: Offline = False,
    index_url: IndexUrl = None,
    find_links: FindLinks = None,
    python: Annotated[
        Optional[str],
        typer.Option("--python", metavar="PATH|VERSION",
                     help="A free-threaded interpreter: also import the locked versions on it (runtime column)."),
    ] = None,
    format: FormatOpt = Format.text,
) -> None:
    """Free-threading readiness of the locked dependencies (uv.lock, poetry.lock or Pipfile.lock).

    Example: migrate deps . --target 3.13t
    """
    from migrate.deps import deps_command

    _recover([path])
    code = deps_command(
        path=path,
        target=target,
        offline=offline,
        index_url=index_url,
        find_links=list(find_links or []),
        fmt=format.value,
        python=python,
    )
    raise typer.Exit(code)


@app.command()
def batch(
    root: Annotated[Path, typer.Argument(help="Folder holding the projects (a monorepo or a folder of checkouts).")],
    jobs: Annotated[
        Optional[int], typer.Option("--jobs", "-j", metavar="N", help="Projects in parallel (default: CPU count).")
    ] = None,
    workspace: Annotated[
        bool, typer.Option("--workspace", help="Make projects that depend on each other by path one uv workspace.")
    ] = False,
    report: Annotated[
        Optional[Path], typer.Option("--report", metavar="FILE", help="Write a JSON record per project here.")
    ] = None,
    fail_fast: Annotated[bool, typer.Option("--fail-fast", help="Stop at the first project that fails.")] = False,
    dry_run: DryRun = False,
    target: TargetOpt = "3.13t",
    strict_target: StrictTarget = False,
    no_lock: NoLock = False,
    no_codemods: NoCodemods = False,
    build_backend: BuildBackend = Backend.hatchling,
    keep_old_files: KeepOld = False,
    allow_dirty: AllowDirty = False,
    offline: Offline = False,
    index_url: IndexUrl = None,
    find_links: FindLinks = None,
    no_ft_upgrade: NoFtUpgrade = False,
    no_runtime_check: NoRuntimeCheck = False,
    no_repo_files: NoRepoFiles = False,
    add_ft_ci: AddFtCi = False,
    lock_diff: LockDiff = False,
    to_pep621: ToPep621 = False,
    format: FormatOpt = Format.text,
) -> None:
    """Migrate every Poetry and Pipenv project under ROOT.

    Example: migrate batch repos/ --jobs 4 --report report.json
    """
    from migrate.batch import batch_command

    name = None
    options = _options(**locals())
    _recover([root])
    code = batch_command(
        root=root,
        options=options,
        jobs=jobs,
        workspace=workspace,
        report=report,
        fail_fast=fail_fast,
        fmt=format.value,
    )
    raise typer.Exit(code)


@app.command()
def ci(
    path: Annotated[Path, typer.Argument(help="Repository folder (default: current directory).")] = Path("."),
    dry_run: DryRun = False,
    allow_dirty: AllowDirty = False,
    add_ft_ci: AddFtCi = False,
    format: FormatOpt = Format.text,
) -> None:
    """Only rewrite CI, Docker, Make, tox, pre-commit, bot and docs files from Poetry/Pipenv to uv.

    Works on a repository already migrated with `migrate run` or never migrated.
    Example: migrate ci . --dry-run
    """
    from migrate.repofiles.command import ci_command

    _recover([path])
    raise typer.Exit(ci_command(path, dry_run=dry_run, allow_dirty=allow_dirty, add_ft_ci=add_ft_ci, fmt=format.value))


@app.command()
def verify(
    path: Annotated[Path, typer.Argument(help="Migrated project folder with uv.lock (default: current directory).")] = Path("."),
    python: Annotated[
        Optional[str],
        typer.Option("--python", metavar="PATH|VERSION",
                     help="Interpreter to verify on (default: the .python-version target, e.g. 3.13t)."),
    ] = None,
    tests: Annotated[
        Optional[bool],
        typer.Option("--tests/--no-tests", help="Run the tests (default: when a tests folder or pytest config exists)."),
    ] = None,
    stress: Annotated[
        int, typer.Option("--stress", metavar="N", help="Also run every test in N threads at once.")
    ] = 0,
    in_place: Annotated[
        bool, typer.Option("--in-place", help="Sync the project's own environment instead of a throw-away one.")
    ] = False,
    format: FormatOpt = Format.text,
) -> None:
    """Prove a migrated project on a real free-threaded interpreter: sync, per-module GIL check, tests.

    Example: migrate verify . --python 3.13t
    """
    from migrate.verify.command import verify_command

    _recover([path])
    raise typer.Exit(verify_command(path, python, tests, stress, in_place, format.value))


@app.command()
def recover(
    path: Annotated[Path, typer.Argument(help="Folder to recover (default: current directory); folders below it too.")] = Path("."),
    forward: Annotated[
        bool, typer.Option("--forward", help="Finish the interrupted apply instead of rolling it back.")
    ] = False,
) -> None:
    """Finish what an interrupted migrate run left behind: roll its journal back (or forward), remove
    its temporary files and stale staging folders.

    Example: migrate recover . --forward
    """
    import sys

    from migrate.apply.journal import recover_tree

    code = recover_tree(path, forward=forward, out=sys.stdout)
    raise typer.Exit(code)


def main() -> None:
    """Entry point: no traceback ever reaches a user; set MIGRATE_DEBUG=1 to see one.

    SIGINT and SIGTERM roll back whatever is being applied and exit 130 / 143."""
    import os
    import sys

    from migrate import interrupt

    interrupt.install_handlers()
    try:
        app(standalone_mode=True)
    except (KeyboardInterrupt, interrupt.Interrupted) as exc:
        code = interrupt.exit_code_for(exc)
        _say_interrupted()
        sys.exit(code)
    except SystemExit as exc:
        if exc.code == 130 and isinstance(exc.__context__, BaseException):  # typer's own Ctrl-C exit
            _say_interrupted()
        raise
    except Exception as exc:  # a bug in migrate, not the user's input
        if os.environ.get("MIGRATE_DEBUG"):
            raise
        sys.stderr.write(
            f"internal error: {type(exc).__name__}: {exc}\n"
            "Nothing was written. Please report this with MIGRATE_DEBUG=1 output.\n"
        )
        sys.exit(1)


def entry() -> None:
    """The ``migrate`` command and ``python -m migrate``: :func:`main`, then the process ends the way
    Python's own exit does (threads joined, exit handlers run, output flushed) but without the
    interpreter's teardown, which frees every object one by one: after a lock that read 25 MB of index
    pages that took ~0.2 s, a tenth of uv's own time for qdrant-client. Where that is not possible
    (another interpreter, an exit code that is not a number) the exit is Python's."""
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code
        if code is not None and not isinstance(code, int):
            raise
    _fast_exit(code or 0)


def _fast_exit(code: int) -> None:
    import atexit
    import os
    import sys
    import threading

    shutdown = getattr(threading, "_shutdown", None)
    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)
    if shutdown is None or run_exit_handlers is None or threading.current_thread() is not threading.main_thread():
        sys.exit(code)
    shutdown()  # what the interpreter does first at exit: thread pools wound down, other threads joined
    run_exit_handlers()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`migrate ... | head`): nothing more to say
            code = code or 1
    os._exit(code)


def _say_interrupted() -> None:
    import sys

    from migrate import interrupt

    if not interrupt.REPORTED.is_set():
        interrupt.REPORTED.set()
        try:
            if interrupt.COMMITTED.is_set():  # the signal came after every file was written
                sys.stderr.write("interrupted after the changes were completely written\n")
            else:
                sys.stderr.write("interrupted: nothing was changed\n")
            sys.stderr.flush()
        except (OSError, ValueError):
            pass
