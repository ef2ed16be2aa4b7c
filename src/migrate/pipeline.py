"""One project, start to finish: detect → read → write pyproject → lock → codemods → ChangeSet.

Stages talk through plain data. Each stage gets a :class:`StageContext`: the model, the options,
the staged :class:`~migrate.apply.changeset.ChangeSet` (read with ``changes.current(path)``, write with
``changes.write(path, data)``) and the :class:`RunResult` it reports into. Nothing touches the
user's tree before every stage has succeeded.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from migrate.apply.changeset import ChangeSet
from migrate.diagnostics import Diagnostic, MigrateError, StageError
from migrate.model import Project
from migrate.target import Target

# sysconfig's first use is not thread-safe before Python 3.13 (it publishes its variables before filling
# them in): the threads of a run and of a batch use it (packaging's tags, the uv package's find_uv_bin),
# so it is filled in here, once, before any of them starts (2 ms)
import sysconfig as _sysconfig  # noqa: E402

_sysconfig.get_config_vars()


#: metadata files a migration cannot do without: a symlink of one of them that leads outside is exit 2
_METADATA = frozenset({"pyproject.toml", "uv.lock", ".python-version", "Pipfile", "Pipfile.lock", "poetry.lock"})


@dataclass
class RunOptions:
    target: str = "3.13t"
    strict_target: bool = False
    lock: bool = True
    codemods: bool = True
    build_backend: str = "hatchling"  # hatchling | uv | keep
    keep_old_files: bool = False
    allow_dirty: bool = False
    offline: bool = False
    index_url: str | None = None
    find_links: list[str] = field(default_factory=list)
    ft_upgrade: bool = True
    #: with a free-threaded interpreter: import the locked native packages on it (issue 12)
    runtime_check: bool = True
    name: str | None = None
    dry_run: bool = False
    #: rewrite CI, Docker, Make, tox, pre-commit, bots and docs (issue 11; `--no-repo-files`)
    repo_files: bool = True
    #: add a free-threaded CI job (`--add-ft-ci`)
    add_ft_ci: bool = False
    #: print the raw uv.lock diff instead of the per-package summary (`--lock-diff`)
    lock_diff: bool = False
    #: move setuptools metadata into static [project] fields (`--to-pep621`)
    to_pep621: bool = False
    #: end with the verify report on a real free-threaded interpreter (`--verify`)
    verify: bool = False


@dataclass
class RunResult:
    path: Path
    source_format: str | None = None
    #: migrated | unchanged | would-change | failed | error
    status: str = "pending"
    changes: ChangeSet | None = None
    warnings: list[Diagnostic] = field(default_factory=list)
    #: free-threading readiness of locked packages: {name, version, status, fix}
    ft: list[dict[str, Any]] = field(default_factory=list)
    #: codemod findings/fixes: {path, line, column, code, message, fixed}
    codemods: list[dict[str, Any]] = field(default_factory=list)
    #: lock stage facts (interpreter used, ft interpreter found, changed pins, ...)
    lock: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    error_detail: str | None = None
    exit_code: int = 0
    seconds: float = 0.0
    project_name: str | None = None
    #: versions the old lock pinned (the workspace lock keeps them too)
    pins: list = field(default_factory=list)
    #: what to type next: {"commands": [...], "notes": [{code, message}]} (see migrate.nextsteps)
    next: dict[str, Any] = field(default_factory=dict)
    #: the verify report (`run --verify`), see migrate.verify.command
    verify: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "project": self.project_name,
            "path": str(self.path),
            "source_format": self.source_format,
            "status": self.status,
            "changes": self.changes.summary() if self.changes is not None else [],
            "warnings": [w.to_json() for w in self.warnings],
            "ft": self.ft,
            "codemods": self.codemods,
            "lock": self.lock,
            "error": self.error,
            "seconds": round(self.seconds, 3),
            "next": self.next,
            **({"verify": self.verify} if self.verify is not None else {}),
        }


@dataclass
class StageContext:
    project: Project
    options: RunOptions
    target: Target
    changes: ChangeSet
    result: RunResult
    #: the free-threading fix lookup started before the lock stage (lock.EarlyLookup), if any
    lookup: Any = None

    @property
    def root(self) -> Path:
        return self.project.root


def read_project(path: Path, options: RunOptions, fmt: str | None = None) -> Project:
    """Detect the format and read the project into the model (raises MigrateError on bad input)."""
    from migrate.discover import detect

    fmt = fmt or detect(path)
    if fmt == "migrated":
        raise MigrateError("already migrated: no Poetry or Pipenv metadata left", path=Path(path) / "pyproject.toml")
    if fmt == "poetry":
        from migrate.readers.poetry import read_poetry

        return read_poetry(path)
    from migrate.readers.pipenv import read_pipenv

    return read_pipenv(path, name=options.name)


def plan(path: Path, options: RunOptions, progress: Callable[[str], None] | None = None) -> RunResult:
    """Run every stage and return the result with its ChangeSet. Writes nothing.

    ``progress`` is called with a short description as each stage starts (for spinners).

    Version constraints are converted without their grid check, which runs while uv resolves
    (:class:`~migrate.readers.constraints.DeferredChecks`); in the rare case it finds a conversion that
    is not the checked one, the plan is made again with every check made at once."""
    from migrate.readers.constraints import checks_deferred

    with checks_deferred() as checks:
        result = _plan(path, options, progress)
        exact = checks.finish()
    return result if exact else _plan(path, options, progress)


def _plan(path: Path, options: RunOptions, progress: Callable[[str], None] | None = None) -> RunResult:
    say = progress or (lambda _msg: None)
    start = time.perf_counter()
    path = Path(path)
    result = RunResult(path=path)
    try:
        target = Target.parse(options.target)
        if options.build_backend not in ("hatchling", "uv", "keep"):
            raise MigrateError(
                f"unknown build backend {options.build_backend!r}",
                key="--build-backend",
                hint="use hatchling, uv or keep",
            )
        from migrate.discover import detect

        fmt = detect(path)
        if fmt == "migrated":
            result.status = "unchanged"
            result.source_format = "uv"
            result.changes = ChangeSet(path)
            result.lock["note"] = "already a PEP 621 project with no Poetry or Pipenv metadata left"
            result.seconds = time.perf_counter() - start
            return result
        lookup = None
        if options.lock:
            from migrate.lock.lock import EarlyLookup, prefetch_readiness

            # poetry.lock's index pages arrive while the project is read
            lookup = prefetch_readiness(path, target, options) if fmt == "poetry" else EarlyLookup()
        project = read_project(path, options, fmt)
        if lookup is not None:
            lookup.start(project, target, options)  # the fixes are judged while the project is converted
        result.source_format = project.source_format
        result.project_name = project.name
        result.pins = list(project.pins)
        changes = ChangeSet(project.root)
        ctx = StageContext(project, options, target, changes, result, lookup)

        from migrate.writer import write_stage

        say("converting metadata")
        if options.to_pep621:
            from migrate.to_pep621 import to_pep621_stage

            to_pep621_stage(ctx)
        write_stage(ctx)
        from migrate.repofiles.stage import versioning_stage

        versioning_stage(ctx)  # Poetry versioning plugins → hatchling version source (issue 11)
        if options.lock:
            from migrate.lock.lock import lock_stage

            say("locking with uv")
            lock_stage(ctx)
        if options.codemods:
            from migrate.codemod_stage import codemod_stage

            say("checking Python sources for thread-safety")
            codemod_stage(ctx)
        if options.repo_files:
            from migrate.repofiles import repo_files_stage

            say("rewriting CI, Docker, Make, tox, pre-commit, bot and docs files")
            repo_files_stage(ctx)
        result.warnings[:0] = project.warnings
        for skipped, why in changes.skipped:
            if skipped.name in _METADATA and Path(os.path.realpath(skipped.parent)) == changes.root:
                raise MigrateError(f"a symlink that {why.replace('; not changed', '')}: migrate writes only "
                                   "inside the project, so nothing was changed", path=skipped,
                                   hint="replace the link with the file, or run migrate where the file lives")
            try:
                shown = skipped.relative_to(changes.root).as_posix()
            except ValueError:
                shown = str(skipped)
            result.warnings.append(Diagnostic("MIG502", why, path=shown))
        result.changes = changes
        if changes:
            from migrate.nextsteps import next_steps

            result.next = next_steps(project.root, target, changes, result.lock.get("ft_interpreter"))
        if not changes:
            result.status = "unchanged"
        else:
            result.status = "would-change" if options.dry_run else "pending"
    except MigrateError as exc:
        result.status = "error"
        result.error = str(exc)
        result.exit_code = 2
    except StageError as exc:
        result.status = "failed"
        result.error = exc.message
        result.error_detail = exc.detail
        result.exit_code = 1
    result.seconds = time.perf_counter() - start
    return result


def run(path: Path, options: RunOptions, progress: Callable[[str], None] | None = None) -> RunResult:
    """Plan, then apply all-or-nothing unless ``options.dry_run``.

    A real run holds the project's advisory lock (:func:`~migrate.apply.journal.project_lock`) from the
    plan to the end of the apply, and first rolls back a journal an earlier, killed run left behind."""
    path = Path(path)
    if options.dry_run or not path.is_dir():
        return plan(path, options, progress)
    from migrate.apply.journal import project_lock, recover

    try:
        with project_lock(path):
            recovered = recover(path)
            result = _run_locked(path, options, progress)
    except MigrateError as exc:
        result = RunResult(path=path, status="error", error=str(exc), exit_code=2)
        return result
    if recovered is not None:
        result.warnings.insert(0, Diagnostic("MIG501", recovered.describe(), path=str(path)))
    return result


def _run_locked(path: Path, options: RunOptions, progress: Callable[[str], None] | None) -> RunResult:
    result = plan(path, options, progress)
    if result.exit_code or options.dry_run or result.status == "unchanged":
        return result
    start = time.perf_counter()
    assert result.changes is not None
    try:
        if not options.allow_dirty:
            check_clean_worktree(result.changes.root)
        result.warnings.extend(ignored_warnings(result.changes))
        if progress:
            progress("writing files")
        result.changes.apply()
        result.status = "migrated"
        if options.verify:
            from migrate.verify.command import verify_after_run

            result.verify = verify_after_run(result.changes.root, progress)
    except MigrateError as exc:
        result.status = "error"
        result.error = str(exc)
        result.exit_code = 2
    except OSError as exc:
        result.status = "failed"
        result.error = f"could not write the changes, nothing was changed: {_os_reason(exc)}"
        result.exit_code = 1
    result.seconds += time.perf_counter() - start
    return result


def _os_reason(exc: OSError) -> str:
    import errno

    where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
    if exc.errno == errno.ENOSPC:
        return f"No space left on device{where}"
    return f"{exc.strerror or exc}{where}" if exc.strerror else str(exc)


def _git(root: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=30, input=stdin)


def _inside_git(root: Path) -> Path | None:
    """The folder holding ``.git`` for ``root`` (itself or an ancestor), if any: a ``.git`` file (a
    worktree or submodule link) or a folder with a ``HEAD`` (what git itself takes for a repository)."""
    root = Path(root).resolve()
    for folder in (root, *root.parents):
        dot = folder / ".git"
        if os.path.isfile(dot) or os.path.lexists(dot / "HEAD"):
            return folder
    return None


def check_clean_worktree(root: Path) -> None:
    """Refuse to touch a git work tree that has uncommitted changes under ``root``.

    Fails closed: when the tree has a ``.git`` but git cannot answer (git missing, "dubious ownership",
    a corrupt repository), refuse with git's reason; ``--allow-dirty`` skips the check."""
    has_git = _inside_git(root)
    hint = "fix that, or pass --allow-dirty to migrate without the check"
    try:
        proc = _git(root, "status", "--porcelain", "--", ".")
    except FileNotFoundError:
        if has_git:
            raise MigrateError("cannot tell whether the git work tree is clean: git is not installed",
                               path=has_git / ".git", hint=hint) from None
        return
    except (OSError, subprocess.TimeoutExpired) as exc:
        if has_git:
            raise MigrateError(f"cannot tell whether the git work tree is clean: {exc}", path=has_git / ".git",
                               hint=hint) from None
        return
    if proc.returncode != 0:
        if not has_git:  # not a git work tree: nothing to protect
            return
        lines = [ln.strip() for ln in proc.stderr.splitlines() if ln.strip()]
        reason = next((ln for ln in lines if ln.startswith(("fatal:", "error:"))), lines[0] if lines else
                      f"git status exited with {proc.returncode}")
        raise MigrateError(f"cannot tell whether the git work tree is clean; git says: {reason}",
                           path=has_git / ".git", hint=hint)
    dirty = [line[3:] for line in proc.stdout.splitlines() if line.strip()]
    if dirty:
        shown = ", ".join(dirty[:5]) + (" …" if len(dirty) > 5 else "")
        raise MigrateError(
            f"the git work tree has uncommitted changes ({shown})",
            path=root,
            hint="commit or stash them first, or pass --allow-dirty",
        )


def ignored_warnings(changes: ChangeSet) -> list[Diagnostic]:
    """MIG503 for every file to be changed that git ignores (its change would not show in ``git diff``)."""
    root = changes.root
    if not _inside_git(root) or not changes:
        return []
    paths = [c.path for c in changes.changes if c.old is not None]
    if not paths:
        return []
    try:
        proc = _git(root, "check-ignore", "--stdin", stdin="".join(f"{p}\n" for p in paths))
    except (OSError, subprocess.TimeoutExpired):
        return []
    if proc.returncode not in (0, 1):
        return []
    out = []
    for line in proc.stdout.splitlines():
        if line.strip():
            p = Path(line.strip())
            rel = os.path.relpath(p, root) if p.is_absolute() else line.strip()
            out.append(Diagnostic("MIG503", "is ignored by git: the change will not show in `git status` or "
                                  "`git diff`", path=rel))
    return out
