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


def discover_projects(root: Path) -> list[Path]:
    """Folders under ``root`` that hold a Poetry or Pipenv project (sorted, nested ones included)."""
    from migrate.discover import is_poetry_pyproject, load_toml_fast

    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        d = Path(dirpath)
        dirnames[:] = sorted(n for n in dirnames if n not in SKIP_DIRS and not n.endswith(".egg-info")
                             and not (d / n).is_symlink() and not (d / n / "pyvenv.cfg").is_file())
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


def _progress(enabled: bool):
    if not enabled or not sys.stderr.isatty():
        return None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from migrate.report import _console

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=_console(), transient=True)


def run_all(root: Path, projects: list[Path], options, jobs: int, fail_fast: bool, show_progress: bool):
    from migrate import pipeline

    results: dict[Path, Any] = {}
    progress = _progress(show_progress)
    failed = 0
    running: dict[Future, Path] = {}
    queue = list(projects)
    task = None
    if progress:
        progress.start()
        task = progress.add_task("migrating", total=len(projects))
    try:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            while queue or running:
                while queue and len(running) < jobs and not (fail_fast and failed):
                    path = queue.pop(0)
                    running[pool.submit(pipeline.run, path, options)] = path
                if not running:
                    break
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for fut in done:
                    path = running.pop(fut)
                    results[path] = fut.result()
                    failed += results[path].exit_code != 0
                    if progress:
                        current = ", ".join(p.name for p in list(running.values())[:3])
                        progress.update(task, advance=1, description=f"{len(results)} done, {failed} failed"
                                        + (f" — {current}" if current else ""))
            if fail_fast and failed:
                for path in queue:
                    results[path] = None
    finally:
        if progress:
            progress.stop()
    return results


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
    start = time.perf_counter()
    projects = discover_projects(root)
    options = replace(options, allow_dirty=True)
    jobs = jobs or os.cpu_count() or 1
    if workspace:
        from migrate.workspace import run_workspace

        results = run_workspace(root, projects, options)
    else:
        results = run_all(root, projects, options, jobs, fail_fast, show_progress=fmt == "text")
    order = projects + [p for p in results if p not in projects]  # + the workspace root, if any
    records = [_record(root, p, results.get(p)) for p in order]
    if report is not None:
        import json

        report.write_text(json.dumps({"root": str(root), "projects": records}, indent=2) + "\n")
    if options.dry_run and fmt == "text":
        from migrate.report import lock_renderer

        print_diff("".join(r.changes.diff(base=root.resolve(), render=lock_renderer(r, options)) for p in order
                           if (r := results.get(p)) is not None and r.changes))
    if fmt == "json":
        print_json({"root": str(root), "projects": records})
    else:
        _print_summary(records, time.perf_counter() - start, options.dry_run)
    return 1 if any(r["status"] in ("failed", "error", "skipped") for r in records) else 0


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
                  "skipped": "yellow"}
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
