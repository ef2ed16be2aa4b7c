"""Showing results: rich text for people, JSON for scripts. Diffs go to stdout, the rest to stderr."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from typing import Any


def _console(stderr: bool = True):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


@contextmanager
def spinner(enabled: bool = True):
    """A rich status line on a terminal (stderr); yields a callback taking the current step."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    console = _console()
    with console.status("migrating") as status:
        yield lambda msg: status.update(msg)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False) + "\n")


def print_diff(diff: str) -> None:
    """A unified diff: coloured on a terminal, plain when piped."""
    if not diff:
        return
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.text import Text

        console = Console(highlight=False, soft_wrap=True)
        for line in diff.splitlines():
            style = None
            if line.startswith(("+++", "---")):
                style = "bold"
            elif line.startswith("+"):
                style = "green"
            elif line.startswith("-"):
                style = "red"
            elif line.startswith("@@"):
                style = "cyan"
            console.print(Text(line, style=style or ""))
    else:
        sys.stdout.write(diff)


def print_run_result(result, options, fmt: str = "text") -> None:
    if fmt == "json":
        print_json(result.to_json())
        return
    console = _console()
    if result.exit_code == 2:
        console.print(f"[bold red]error:[/] {_esc(result.error)}")
        console.print("Nothing was written.")
        return
    if result.exit_code == 1:
        failure = (result.lock or {}).get("failure") or {}
        kind = f" [{failure['class']}]" if failure.get("class") else ""
        console.print(f"[bold red]failed{_esc(kind)}:[/] {_esc(result.error)}")
        if result.error_detail:
            console.print(_esc(result.error_detail.rstrip()))
        console.print("The project was left exactly as it was.")
        return
    if options.dry_run and result.changes:
        print_diff(result.changes.diff(render=lock_renderer(result, options)))
    name = result.project_name or result.path
    fmt_name = result.source_format or "?"
    if result.status == "unchanged":
        console.print(f"[bold]{_esc(str(name))}[/]: nothing to change (already on uv).")
    else:
        verb = "Would migrate" if options.dry_run else "Migrated"
        console.print(f"[bold green]{verb}[/] {fmt_name} project [bold]{_esc(str(name))}[/] ({_esc(str(result.path))})")
        for ch in result.changes.summary():
            console.print(f"  {ch['action']:<7} {_esc(ch['path'])}")
        if not options.dry_run and (result.lock or {}).get("packages"):
            from migrate.lock.summary import render_table

            console.print(_esc(render_table(result.lock, kept=False).rstrip()))
    print_warnings(result.warnings, console)
    print_ft(result.ft, console)
    print_codemods(result.codemods, console)
    if not options.lock and result.status != "unchanged":
        console.print("[dim]uv.lock was not regenerated (--no-lock): run `uv lock` next.[/]")
    if options.dry_run and result.status != "unchanged":
        console.print("[dim]Dry run: nothing was written. Run again without --dry-run to apply.[/]")
    if getattr(result, "verify", None) is not None:
        from migrate.verify.command import print_report

        print_report(result.verify, console)
    elif getattr(options, "verify", False) and options.dry_run:
        console.print("[dim]--verify needs the migrated files: it runs after a migration without --dry-run.[/]")
    print_next(result.next, console, options.dry_run)


def print_next(steps, console=None, dry_run: bool = False) -> None:
    """The exact commands to type next (see migrate.nextsteps), and their notes."""
    if not steps or not steps.get("commands"):
        return
    console = console or _console()
    console.print("Next" + (", once applied" if dry_run else "") + ":")
    for cmd in steps["commands"]:
        console.print(f"  $ {_esc(cmd)}")
    if steps.get("verify"):
        console.print(f"  $ {_esc(steps['verify'])}   [dim]# prove it: sync, GIL check per module, tests[/]")
    for note in steps.get("notes", []):
        console.print(f"[yellow]note[/][bold]\\[{note['code']}][/] {_esc(note['message'])}")


def lock_renderer(result, options):
    """How ``ChangeSet.diff`` shows lock files: a per-package summary, or the raw diff (``--lock-diff``)."""
    if getattr(options, "lock_diff", False):
        return None
    from migrate.lock.summary import renderer

    return renderer(getattr(result, "lock", None))


def print_warnings(warnings, console=None) -> None:
    console = console or _console()
    for w in warnings:
        where = w.path or ""
        if w.key:
            where = f"{where}: {w.key}" if where else w.key
        console.print(f"[yellow]warning[/][bold]\\[{w.code}][/] {_esc(where)}{': ' if where else ''}{_esc(w.message)}")


def print_ft(entries, console=None) -> None:
    if not entries:
        return
    console = console or _console()
    interesting = [e for e in entries if e.get("status") not in ("pure", "ft-wheels", "not-on-target")]
    counts: dict[str, int] = {}
    for e in entries:
        counts[e.get("status", "?")] = counts.get(e.get("status", "?"), 0) + 1
    console.print(
        "Free-threading readiness: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
    )
    for e in interesting:
        fix = f" → {e['fix']}{_jump(e)}" if e.get("fix") else ""
        console.print(f"  {e.get('status'):<10} {_esc(e.get('name', '?'))} {_esc(str(e.get('version', '')))}{_esc(fix)}")


def print_codemods(entries, console=None) -> None:
    if not entries:
        return
    console = console or _console()
    fixed = sum(1 for e in entries if e.get("fixed"))
    console.print(f"Thread-safety: {len(entries)} finding(s), {fixed} fixed")
    for e in entries:
        mark = "fixed" if e.get("fixed") else "report"
        console.print(
            f"  {_esc(e['path'])}:{e['line']}:{e['column']}: {e['code']} {_esc(e['message'])} [dim]({mark})[/]"
        )


def _jump(entry) -> str:
    """The marks of a free-threading fix that goes down or crosses a major version, e.g. " (downgrade)"."""
    move = entry.get("move") or {}
    marks = [m for m, on in (("downgrade", move.get("direction") == "downgrade"), ("major", move.get("major")))
             if on]
    return f" ({', '.join(marks)})" if marks else ""


def _esc(text: str | None) -> str:
    from rich.markup import escape

    return escape(text or "")


def print_ft_table(entries, lock_name: str, target: str) -> None:
    """`migrate deps` text output: a table of every locked package and its free-threading status."""
    from rich.table import Table

    console = _console(stderr=False)
    table = Table(title=f"Free-threading readiness for {target} ({lock_name})", title_justify="left")
    runtime = any("runtime" in e for e in entries)  # `deps --python`: imported on a free-threaded build
    for col in ("package", "version", "status") + (("runtime",) if runtime else ()) + ("fix",):
        table.add_column(col)
    style = {"blocker": "red", "sdist-only": "yellow", "unknown": "dim", "upgraded": "cyan", "downgraded": "cyan",
             "not-on-target": "dim"}
    order = {"blocker": 0, "sdist-only": 1, "unknown": 2, "upgraded": 3, "downgraded": 3, "ft-wheels": 4, "pure": 5,
             "not-on-target": 6}
    for e in sorted(entries, key=lambda e: (order.get(e["status"], 9), e["name"])):
        cells = [e["name"], str(e["version"]), f"[{style.get(e['status'], 'green')}]{e['status']}[/]"]
        if runtime:
            cells.append(_esc(e.get("runtime") or ""))
        table.add_row(*cells, _esc((e.get("fix") or "") + _jump(e)))
    console.print(table)
    counts: dict[str, int] = {}
    for e in entries:
        counts[e["status"]] = counts.get(e["status"], 0) + 1
    console.print(", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "no locked packages")
