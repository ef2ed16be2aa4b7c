"""Codemod stage of `migrate run`: fix thread-safety findings in the project's Python sources.

Files are found under the project root (skipping .git, virtualenvs, build folders and nested projects,
which `migrate batch` handles on their own). Fixed files join the ChangeSet, so they show in the dry-run
diff and are written all-or-nothing with the rest; every finding, fixed or not, goes into the run report
as {path, line, column, code, message, fixed}. A file that cannot be parsed is reported (``FT000``)
and left alone.
"""

from __future__ import annotations

from pathlib import Path

from migrate.diagnostics import Diagnostic


def codemod_stage(ctx) -> None:
    from migrate.check import _check_many, iter_python_files

    root = Path(ctx.root).resolve()
    files = iter_python_files([root], skip_nested_projects=True)
    for r in _check_many(files, True, None, None):
        path = Path(r.path)
        rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else r.path
        if r.error:
            ctx.result.warnings.append(Diagnostic("FT000", f"not checked for thread-safety: {r.error}", path=rel))
        for f in r.findings:
            ctx.result.codemods.append({"path": rel, "line": f["line"], "column": f["column"], "code": f["code"],
                                        "message": f["message"], "fixed": f["fixed"]})
        if r.new_source is not None:
            ctx.changes.write(path, r.new_source.encode(r.encoding))
