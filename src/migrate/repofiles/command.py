"""``migrate ci``: the repo-files stage alone, with dry-run, all-or-nothing apply and exit codes as ``run``."""

from __future__ import annotations

from pathlib import Path


def ci_command(path: Path, *, dry_run: bool, allow_dirty: bool, add_ft_ci: bool, fmt: str) -> int:
    from migrate.diagnostics import MigrateError
    from migrate.pipeline import RunOptions, check_clean_worktree
    from migrate.report import print_diff, print_json, print_warnings, _console, _esc
    from migrate.repofiles.stage import plan_ci

    path = Path(path)
    options = RunOptions(dry_run=dry_run, allow_dirty=allow_dirty, add_ft_ci=add_ft_ci)
    if not path.is_dir():
        result = None
        err = MigrateError("not a folder", path=path, hint="pass the repository folder")
        if fmt == "json":
            print_json({"path": str(path), "status": "error", "error": str(err), "changes": [], "warnings": []})
        else:
            _console().print(f"[bold red]error:[/] {_esc(str(err))}\nNothing was written.")
        return 2
    result = plan_ci(path, add_ft_ci=add_ft_ci)
    if result.changes and not dry_run:
        try:
            if not allow_dirty:
                check_clean_worktree(result.changes.root)
            result.changes.apply()
            result.status = "migrated"
        except MigrateError as exc:
            result.status, result.error, result.exit_code = "error", str(exc), 2
        except OSError as exc:
            result.status = "failed"
            result.error = f"could not write the changes, nothing was changed: {exc}"
            result.exit_code = 1
    if fmt == "json":
        print_json(result.to_json())
        return result.exit_code
    console = _console()
    if result.exit_code:
        console.print(f"[bold red]error:[/] {_esc(result.error)}")
        console.print("Nothing was written.")
        return result.exit_code
    if dry_run and result.changes:
        print_diff(result.changes.diff())
    if not result.changes:
        console.print(f"[bold]{_esc(str(path))}[/]: no CI/Docker/Make/tox/pre-commit/bot/docs file to change.")
    else:
        verb = "Would rewrite" if dry_run else "Rewrote"
        console.print(f"[bold green]{verb}[/] {len(result.changes)} file(s) in {_esc(str(path))}")
        for ch in result.changes.summary():
            console.print(f"  {ch['action']:<7} {_esc(ch['path'])}")
    print_warnings(result.warnings, console)
    if dry_run and result.changes:
        console.print("[dim]Dry run: nothing was written. Run again without --dry-run to apply.[/]")
    return 0
