"""Codemod stage of `migrate run`: fix thread-safety findings in the project's Python sources.

Fixed files join the ChangeSet (so they show in the dry-run diff and are written all-or-nothing with
the rest); every finding, fixed or not, goes into the run report.
"""

from __future__ import annotations

from pathlib import Path

from migrate.diagnostics import Diagnostic


def codemod_stage(ctx) -> None:
    from migrate.check import _check_many, iter_python_files

    root = Path(ctx.root)
    files = iter_python_files([root], skip_nested_projects=True)
    for r in _check_many(files, True, None, None):
        rel = Path(r.path).relative_to(root).as_posix() if Path(r.path).is_relative_to(root) else r.path
        if r.error:
            ctx.result.warnings.append(Diagnostic("MIG005", f"not checked for thread-safety: {r.error}", path=rel))
            continue
        for f in r.findings:
            ctx.result.codemods.append({"path": rel, "line": f["line"], "column": f["column"], "code": f["code"],
                                        "message": f["message"], "fixed": f["fixed"]})
        if r.new_source is not None:
            ctx.changes.write(Path(r.path).resolve(), r.new_source.encode("utf-8"))
