"""`migrate batch ROOT`: every Poetry/Pipenv project under ROOT, in parallel, each all-or-nothing.

Discovery skips .git, virtualenvs, node_modules and build folders, never follows a symlink, and finds
nested projects. Projects run in a thread pool (the work is file I/O and uv subprocesses). With
``--workspace``, projects that depend on each other by path become members of one uv workspace locked
once at ROOT (see :mod:`migrate.workspace`).
"""

from __future__ import annotations

import os
import sys
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import replace
from pathlib import Path
from typing import Any

from migrate.diagnostics import MigrateError
from migrate.discover import SKIP_DIRS


def discover_projects(root: Path, notes: list | None = None) -> list[Path]:
    """Folders under ``root`` that hold a Poetry or Pipenv project (sorted, nested ones included).

    Never follows a symlink (so no loop), skips what it cannot read (a MIG504 note in ``notes``) and
    metadata names that are FIFOs, sockets or devices (MIG505; never opened). A leftover journal of a
    killed run is rolled back first, so a half-applied project is seen as it was."""
    from migrate.apply.journal import JOURNAL_DIR, recover_under_lock
    from migrate.diagnostics import Diagnostic
    from migrate.discover import file_kind, is_poetry_pyproject, load_toml_fast

    notes = notes if notes is not None else []
    root = Path(root)

    def unreadable(err: OSError) -> None:
        where = Path(err.filename) if err.filename else root
        notes.append(Diagnostic("MIG504", f"cannot read the folder ({err.strerror or err}); skipped",
                                path=_rel(root, where)))

    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False, onerror=unreadable):
        d = Path(dirpath)
        if JOURNAL_DIR in dirnames:
            try:
                rec = recover_under_lock(d)
            except (MigrateError, OSError) as exc:
                notes.append(Diagnostic("MIG501", f"a leftover journal could not be recovered: {exc}",
                                        path=_rel(root, d)))
                rec = None
            if rec is not None:
                notes.append(Diagnostic("MIG501", rec.describe(), path=_rel(root, d)))
        dirnames[:] = sorted(n for n in dirnames if n not in SKIP_DIRS and not n.endswith(".egg-info")
                             and not (d / n).is_symlink() and not (d / n / "pyvenv.cfg").is_file())
        special = False
        for name in ("Pipfile", "pyproject.toml"):
            if name in filenames:
                try:
                    kind = file_kind(d / name)
                except OSError:
                    kind = "gone"
                if kind is not None and kind != "a directory":
                    notes.append(Diagnostic("MIG505", f"{name} is {kind}; the folder was skipped",
                                            path=_rel(root, d / name)))
                    special = True
        if special:
            continue
        if "Pipfile" in filenames:
            found.append(d)
            continue
        if "pyproject.toml" in filenames:
            try:
                if is_poetry_pyproject(load_toml_fast(d / "pyproject.toml")):
                    found.append(d)
            except MigrateError:
                found.append(d)  # broken: let the run report it
    return found


def _rel(root: Path, p: Path) -> str:
    try:
        rel = Path(p).relative_to(root).as_posix()
        return rel or "."
    except ValueError:
        return str(p)


def path_links(projects: list[Path]) -> dict[Path, set[Path]]:
    """project -> the other projects of the batch it depends on by path (any ``path = "..."`` in its
    pyproject.toml or Pipfile: Poetry, Pipenv and uv spellings alike)."""
    from migrate.discover import load_toml_fast

    real = {Path(os.path.realpath(p)): p for p in projects}
    out: dict[Path, set[Path]] = {p: set() for p in projects}

    def walk(node, base: Path, deps: set[Path], own: Path) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "path" and isinstance(v, str):
                    target = Path(os.path.realpath(base / v))
                    if target in real and target != own:
                        deps.add(real[target])
                else:
                    walk(v, base, deps, own)
        elif isinstance(node, list):
            for v in node:
                walk(v, base, deps, own)

    for p in projects:
        own = Path(os.path.realpath(p))
        for name in ("pyproject.toml", "Pipfile"):
            try:
                data = load_toml_fast(p / name)
            except (MigrateError, OSError):
                continue
            walk(data, own, out[p], own)
    return out


def _progress(enabled: bool):
    if not enabled or not sys.stderr.isatty():
        return None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from migrate.report import _console

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=_console(), transient=True)


def _run_one(path: Path, options):
    """One project; any exception fails that project only (its own apply has rolled back)."""
    from migrate import pipeline

    try:
        return pipeline.run(path, options)
    except Exception as exc:  # a bug of ours on this project: the others go on
        result = pipeline.RunResult(path=path, status="failed", exit_code=1)
        result.error = f"internal error: {type(exc).__name__}: {exc} (nothing was changed in this project)"
        return result


def _interrupted_result(path: Path, started: bool):
    from migrate.pipeline import RunResult

    result = RunResult(path=path, status="interrupted", exit_code=130)
    result.error = ("interrupted: nothing was changed in this project" if started
                    else "interrupted before it started")
    return result


def run_all(root: Path, projects: list[Path], options, jobs: int, fail_fast: bool, show_progress: bool):
    """Run the projects in a thread pool. A project that depends on another of the batch by path starts
    only when that one is finished, so its lock sees a settled tree (the result never depends on timing).

    On SIGINT/SIGTERM every worker is cancelled (uv children stopped, applies rolled back); projects
    already finished stay; the others are ``interrupted``. Returns ``(results, interruption or None)``."""
    from migrate import interrupt

    results: dict[Path, Any] = {}
    progress = _progress(show_progress)
    failed = 0
    running: dict[Future, Path] = {}
    queue = list(projects)
    deps = path_links(projects)
    task = None
    stop: BaseException | None = None
    if progress:
        progress.start()
        task = progress.add_task("migrating", total=len(projects))

    def next_ready() -> Path | None:
        busy = set(running.values())
        for i, p in enumerate(queue):
            if all(d in results for d in deps.get(p, ())):
                return queue.pop(i)
        if not busy and queue:  # a path cycle: no order can satisfy it; go in sorted order
            return queue.pop(0)
        return None

    pool = ThreadPoolExecutor(max_workers=max(1, jobs))
    try:
        try:
            while queue or running:
                while queue and len(running) < jobs and not (fail_fast and failed):
                    path = next_ready()
                    if path is None:
                        break
                    running[pool.submit(_run_one, path, options)] = path
                if not running:
                    break
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for fut in done:
                    path = running.pop(fut)
                    try:
                        results[path] = fut.result()
                    except interrupt.Interrupted:
                        results[path] = _interrupted_result(path, True)
                    failed += results[path].exit_code != 0
                    if progress:
                        current = ", ".join(p.name for p in list(running.values())[:3])
                        progress.update(task, advance=1, description=f"{len(results)} done, {failed} failed"
                                        + (f" — {current}" if current else ""))
            if fail_fast and failed:
                for path in queue:
                    results[path] = None
        except (KeyboardInterrupt, interrupt.Interrupted) as exc:
            stop = exc
            with interrupt.critical():
                interrupt.CANCEL.set()
                interrupt.kill_children()
                for fut, path in list(running.items()):
                    try:
                        results[path] = fut.result()  # a worker ends quickly once cancelled
                    except interrupt.Interrupted:
                        results[path] = _interrupted_result(path, True)
                    except BaseException as err:  # noqa: BLE001 - reported, never raised past the summary
                        results[path] = _interrupted_result(path, True)
                        results[path].error += f" ({type(err).__name__})"
                for path in queue:
                    results[path] = _interrupted_result(path, False)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        if progress:
            progress.stop()
    return results, stop


def batch_command(root: Path, options, jobs: int | None, workspace: bool, report: Path | None, fail_fast: bool,
                  fmt: str) -> int:
    from migrate.report import print_diff, print_json

    root = Path(root)
    try:
        if not root.is_dir():
            raise MigrateError("not a folder" if root.exists() else "path does not exist", path=root)
        if jobs is not None and jobs < 1:
            raise MigrateError("must be at least 1", key="--jobs")
        if not options.dry_run and not options.allow_dirty:
            from migrate.pipeline import check_clean_worktree

            check_clean_worktree(root)  # once: projects migrated first make the tree dirty for the rest
    except MigrateError as exc:
        sys.stderr.write(f"error: {exc}\nNothing was written.\n")
        return 2
    from migrate import interrupt

    interrupt.CANCEL.clear()
    start = time.perf_counter()
    notes: list = []
    projects = discover_projects(root, notes)
    options = replace(options, allow_dirty=True)
    jobs = jobs or os.cpu_count() or 1
    stop: BaseException | None = None
    if workspace:
        from migrate.workspace import run_workspace

        try:
            results = run_workspace(root, projects, options)
        except (KeyboardInterrupt, interrupt.Interrupted) as exc:  # its apply rolled back
            stop, results = exc, {p: _interrupted_result(p, True) for p in projects}
    else:
        results, stop = run_all(root, projects, options, jobs, fail_fast, show_progress=fmt == "text")
    order = projects + [p for p in results if p not in projects]  # + the workspace root, if any
    records = [_record(root, p, results.get(p)) for p in order]
    report_error = None
    if report is not None:
        report_error = _write_report(report, {"root": str(root), "projects": records,
                                              "notes": [n.to_json() for n in notes],
                                              "interrupted": stop is not None})
    if options.dry_run and fmt == "text":
        from migrate.report import lock_renderer

        print_diff("".join(r.changes.diff(base=root.resolve(), render=lock_renderer(r, options)) for p in order
                           if (r := results.get(p)) is not None and r.changes))
    if fmt == "json":
        print_json({"root": str(root), "projects": records, "notes": [n.to_json() for n in notes],
                    "interrupted": stop is not None})
    else:
        for n in notes:
            sys.stderr.write(f"warning: {n}\n")
        _print_summary(records, time.perf_counter() - start, options.dry_run)
    if report_error:
        sys.stderr.write(f"error: {report_error}\n")
    if stop is not None:
        kept = sum(1 for r in records if r["status"] == "migrated")
        sys.stderr.write(f"interrupted: {kept} project(s) finished before the interruption were kept; "
                         "nothing else was changed\n")
        interrupt.REPORTED.set()
        interrupt.CANCEL.clear()
        return interrupt.exit_code_for(stop)
    if report_error:
        return 2
    return 1 if any(r["status"] in ("failed", "error", "skipped") for r in records) else 0


def _write_report(report: Path, data: dict) -> str | None:
    """Write the JSON report atomically; the reason as text when it cannot be written."""
    import json

    report = Path(report)
    tmp = report.with_name(f".{report.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(data, indent=2) + "\n")
        os.replace(tmp, report)
    except OSError as exc:
        try:
            tmp.unlink()
        except OSError:
            pass
        return f"cannot write the report {report}: {exc.strerror or exc}"
    return None


def _record(root: Path, path: Path, result) -> dict[str, Any]:
    rel = path.relative_to(root).as_posix() if path != root else "."
    if result is None:
        return {"path": rel, "format": None, "status": "skipped", "error": "not run (--fail-fast)", "error_class": None,
                "uv": [], "warnings": [],
                "changes": [], "ft": [], "codemods": [], "seconds": 0.0}
    data = result.to_json()
    base = root.resolve()
    failure = (data.get("lock") or {}).get("failure") or {}
    return {
        "path": rel,
        "format": data["source_format"],
        "status": data["status"],
        "error": data["error"],
        "error_class": failure.get("class"),
        "uv": failure.get("uv", []),
        "hint": failure.get("hint"),
        "warnings": data["warnings"],
        "changes": result.changes.summary(base) if result.changes is not None else [],
        "ft": data["ft"],
        "codemods": data["codemods"],
        "seconds": data["seconds"],
    }


def _print_summary(records: list[dict[str, Any]], seconds: float, dry_run: bool) -> None:
    from rich.markup import escape
    from rich.table import Table

    from migrate.report import _console

    console = _console()
    title = "migrate batch" + (" (dry run: nothing written)" if dry_run else "")
    columns = ("project", "format", "status", "warnings", "blockers", "fixes", "time")
    right = ("warnings", "blockers", "fixes", "time")
    rows = []
    for r in records:
        rows.append((r["path"], r["format"] or "-", r["status"], str(len(r["warnings"])),
                     str(sum(1 for e in r["ft"] if e.get("status") == "blocker")),
                     str(sum(1 for e in r["codemods"] if e.get("fixed"))), f"{r['seconds']:.2f}s"))
    if not sys.stderr.isatty():
        # CI logs: no terminal width to fit, so no column is shrunk to "…"; a plain layout
        sys.stderr.write(plain_table(title, columns, rows, right))
    else:
        table = Table(title=title, title_justify="left")
        for col in columns:
            table.add_column(col, justify="right" if col in right else "left", no_wrap=True)
        colour = {"migrated": "green", "would-change": "green", "unchanged": "dim", "failed": "red", "error": "red",
                  "skipped": "yellow", "interrupted": "yellow"}
        for row in rows:
            status = f"[{colour.get(row[2], 'white')}]{row[2]}[/]"
            table.add_row(escape(row[0]), row[1], status, *row[3:])
        console.print(table)
    for r in records:
        if r["error"]:
            kind = f" [{r['error_class']}]" if r.get("error_class") else ""
            console.print(f"[red]{escape(r['path'])}[/]{escape(kind)}: {escape(r['error'])}")
            for line in r.get("uv", [])[:6]:
                console.print(f"    {escape(line)}")
            if r.get("hint"):
                console.print(f"    hint: {escape(r['hint'])}")
    ok = sum(1 for r in records if r["status"] in ("migrated", "would-change", "unchanged"))
    classes: dict[str, int] = {}
    for r in records:
        if r.get("error_class"):
            classes[r["error_class"]] = classes.get(r["error_class"], 0) + 1
    by_class = f" ({', '.join(f'{n} {k}' for k, n in sorted(classes.items()))})" if classes else ""
    console.print(f"{len(records)} project(s): {ok} ok, {len(records) - ok} failed{escape(by_class)}, in {seconds:.1f}s")


def plain_table(title: str, columns: tuple[str, ...], rows: list[tuple[str, ...]], right: tuple[str, ...] = ()) -> str:
    """A table as plain text lines: every cell in full (columns as wide as their widest cell), two
    spaces between columns, numbers right-aligned. For logs, where there is no width to fit."""
    widths = [max([len(c)] + [len(row[i]) for row in rows]) for i, c in enumerate(columns)]

    def line(cells) -> str:
        parts = [cell.rjust(w) if col in right else cell.ljust(w) for cell, w, col in zip(cells, widths, columns)]
        return "  ".join(parts).rstrip()

    out = [title, line(columns), "  ".join("-" * w for w in widths)]
    out += [line(row) for row in rows]
    return "\n".join(out) + "\n"
