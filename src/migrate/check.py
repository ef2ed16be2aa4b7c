"""`migrate check`: thread-safety findings in Python sources (the codemods in report mode).

Files are found like ruff does (skipping .git, virtualenvs, build folders and ``--exclude`` globs), read
once (encoding and line endings kept), pre-filtered with a regular expression and analysed with the
``ast`` engine; libcst metadata is paid for only in files where a fix is written. Large trees are
analysed in worker processes. Exit 0: no findings; 1: findings remain; 2: bad usage.
"""

from __future__ import annotations

import fnmatch
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migrate.diagnostics import MigrateError
from migrate.discover import SKIP_DIRS

# below this much source, starting worker processes costs more than it saves
PARALLEL_MIN_FILES, PARALLEL_MIN_BYTES = 8, 300_000


@dataclass
class FileResult:
    path: str
    findings: list[dict[str, Any]]
    new_source: str | None = None  # with fixes applied (when asked and something changed)
    old_source: str | None = None
    error: str | None = None
    #: the file's encoding (PEP 263 / BOM), used to write it back
    encoding: str = "utf-8"


def iter_python_files(paths: list[Path], exclude: list[str] | None = None,
                      skip_nested_projects: bool = False) -> list[Path]:
    """Python files under ``paths``; ``skip_nested_projects`` leaves out sub-folders that are projects
    of their own (a Pipfile or pyproject.toml), which `migrate batch` handles separately."""
    exclude = exclude or []
    out: list[Path] = []

    def excluded(p: Path, root: Path) -> bool:
        """``--exclude`` globs match the path as given, the path below the walked root, or one of its
        components below the root (``tests``, ``tests/*``, ``src/legacy``, ``*_pb2.py``)."""
        rel = p.relative_to(root) if p != root else Path(p.name)
        texts = (p.as_posix(), rel.as_posix(), *rel.parts)
        return any(fnmatch.fnmatch(t, pat) for pat in exclude for t in texts)

    for root in paths:
        if root.is_file():
            if not excluded(root, root):
                out.append(root)
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            d = Path(dirpath)
            dirnames[:] = sorted(n for n in dirnames if n not in SKIP_DIRS and not n.endswith(".egg-info")
                                 and not (d / n / "pyvenv.cfg").is_file() and not excluded(d / n, root)
                                 and not (skip_nested_projects and ((d / n / "pyproject.toml").is_file()
                                                                    or (d / n / "Pipfile").is_file())))
            for name in sorted(filenames):
                if name.endswith((".py", ".pyi")) and not excluded(d / name, root) and os.path.isfile(d / name):
                    out.append(d / name)
    seen: set[Path] = set()  # a file named twice (or under two given folders) is checked once
    unique = []
    for p in out:
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return unique


def check_file(path: str, fix: bool, select: frozenset[str] | None, ignore: frozenset[str] | None,
               all_instances: bool = False) -> FileResult:
    import codemods

    try:
        source, encoding = read_source(Path(path))
    except (OSError, SyntaxError, UnicodeDecodeError, LookupError) as exc:
        return FileResult(path, [], error=f"cannot read: {exc}")
    import ast

    try:
        tree = codemods.parse(source)  # always: a broken file is reported; 3.12-3.14 syntax is parsed too
    except SyntaxError as exc:
        return FileResult(path, [], error=f"{exc.lineno or 1}:{(exc.offset or 0) or 1}: SyntaxError: {exc.msg}")
    except (ValueError, RecursionError, MemoryError) as exc:  # null bytes, absurd nesting
        return FileResult(path, [], error=f"cannot parse: {exc or type(exc).__name__}")
    try:
        findings = (codemods.analyze(source, set(select or ()), set(ignore or ()), tree=tree,
                                     all_instances=all_instances)
                    if codemods.may_have_findings(source) else [])
    except RecursionError:
        return FileResult(path, [], error="too deeply nested to analyse")
    except Exception as exc:  # a bug of ours must not stop the run: the file is reported and skipped
        return FileResult(path, [], error=f"not analysed (internal error {type(exc).__name__}: {exc})")
    new = None
    fixed_lines: set[int] = set()
    if fix and any(f.fixable for f in findings):
        try:
            new, applied = codemods.fix(source, set(select or ()), set(ignore or ()))
        except Exception as exc:  # a libcst limitation must not stop the run
            return FileResult(path, _records(path, findings, set()), error=f"could not fix: {exc}")
        fixed_lines = {f.line for f in applied}
        if new == source:
            new = None
        else:
            # a report-only finding can go away with the fixes (a check-then-read that took the lock as
            # another site of the same state): what the fixed source no longer has is resolved too
            from collections import Counter

            try:
                after = Counter((f.code, f.state) for f in codemods.analyze(
                    new, set(select or ()), set(ignore or ()), all_instances=all_instances))
            except Exception:  # the fixed text is checked to compile; stay conservative anyway
                after = None
            if after is not None:
                for f in findings:
                    if f.line in fixed_lines:
                        continue
                    if after[(f.code, f.state)] > 0:
                        after[(f.code, f.state)] -= 1
                    else:
                        fixed_lines.add(f.line)
    return FileResult(path, _records(path, findings, fixed_lines), new, source if new else None, encoding=encoding)


def read_source(path: Path) -> tuple[str, str]:
    """Text of a Python file and its encoding; line endings are kept as they are (CRLF stays CRLF)."""
    import io
    import tokenize

    data = path.read_bytes()
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    return data.decode(encoding), encoding


def _records(path: str, findings, fixed_lines: set[int]) -> list[dict[str, Any]]:
    return [{"path": path, "line": f.line, "column": f.column, "code": f.code, "message": f.message,
             "fixable": f.fixable, "severity": f.severity, "fixed": f.line in fixed_lines} for f in findings]


def _check_many(files: list[Path], fix: bool, select, ignore, all_instances: bool = False) -> list[FileResult]:
    """Every file checked; in worker processes for a large tree, unless called from a worker thread
    (`migrate batch` runs projects in threads: forking a threaded process is not safe)."""
    import threading

    args = [(str(p), fix, select, ignore, all_instances) for p in files]
    workers = min(os.cpu_count() or 1, len(files) // 4 or 1)
    if (workers < 2 or len(files) < PARALLEL_MIN_FILES or threading.current_thread() is not threading.main_thread()
            or sum(_size(p) for p in files) < PARALLEL_MIN_BYTES):
        return [check_file(*a) for a in args]
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_star, args, chunksize=max(1, min(32, len(files) // (workers * 4)))))


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _star(a):
    return check_file(*a)


def _codes(text: str | None, option: str) -> frozenset[str] | None:
    if not text:
        return None
    from codemods import RULES_BY_CODE

    wanted = [c.strip().upper() for c in text.split(",") if c.strip()]
    unknown = sorted(c for c in wanted if not any(code.startswith(c) for code in RULES_BY_CODE))
    if unknown:
        raise MigrateError(f"unknown rule code(s): {', '.join(unknown)}", key=option,
                           hint=f"known: {', '.join(RULES_BY_CODE)} (or a prefix such as FT00)")
    # a prefix selects every rule it starts (like ruff: `FT` is all of them)
    return frozenset(code for code in RULES_BY_CODE if any(code.startswith(c) for c in wanted))


def check_command(paths: list[Path], fix: bool, diff: bool, select: str | None, ignore: str | None,
                  exclude: list[str], fmt: str) -> int:
    try:
        sel, ign = _codes(select, "--select"), _codes(ignore, "--ignore")
        for p in paths:
            if not p.exists():
                raise MigrateError("path does not exist", path=p)
        if diff and fmt != "text":
            raise MigrateError("--diff prints a unified diff; it cannot be combined with --format " + fmt,
                               key="--diff")
    except MigrateError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    files = iter_python_files(paths, exclude)
    # FT008 named in --select (not through a prefix): every `self.x += 1`, shared or not (opt-in)
    all_instances = "FT008" in {c.strip().upper() for c in (select or "").split(",")}
    results = _check_many(files, fix or diff, sel, ign, all_instances)
    errors = [r for r in results if r.error]
    for r in errors:
        sys.stderr.write(f"{r.path}: {r.error} (skipped)\n")
    fix = fix and not diff  # like ruff: --diff shows the fixes and writes nothing
    if fix:
        try:
            _write_fixes(results, paths)
        except MigrateError as exc:  # another migrate holds the tree, or a file changed meanwhile
            sys.stderr.write(f"error: {exc}\nNothing was written.\n")
            return 2
        except OSError as exc:
            sys.stderr.write(f"error: could not write the fixes, nothing was changed: {exc}\n")
            return 1
    findings = [f for r in results for f in r.findings]
    remaining = [f for f in findings if not (fix and f["fixed"])]
    if diff:
        _print_diff(results)
    if fmt == "json":
        import json

        shown = [{k: f[k] for k in ("path", "line", "column", "code", "message", "fixable", "severity")}
                 for f in remaining]
        sys.stdout.write(json.dumps(shown, indent=2) + "\n")
    elif fmt == "sarif":
        import json

        sys.stdout.write(json.dumps(sarif(remaining), indent=2) + "\n")
    elif not diff:
        for f in remaining:
            mark = " [*]" if f["fixable"] else " [info]" if f["severity"] == "info" else ""
            sys.stdout.write(f"{f['path']}:{f['line']}:{f['column']}: {f['code']}{mark} {f['message']}\n")
        fixed = sum(1 for f in findings if f["fixed"]) if fix else 0
        summary = f"Found {len(findings)} finding(s) in {len(files)} file(s)"
        if fix:
            summary += f"; fixed {fixed}, {len(remaining)} remaining"
        elif any(f["fixable"] for f in findings):
            summary += f"; {sum(f['fixable'] for f in findings)} fixable with --fix ([*])"
        notes = sum(f["severity"] == "info" for f in findings)
        if notes:
            summary += f"; {notes} of them info notes ([info]: equal-value memoisation, exit code unaffected)"
        sys.stderr.write(summary + ".\n")
    # info notes (equal-value memoisation) do not fail a run; warnings do
    return 1 if any(f["severity"] != "info" for f in remaining) else 0


def _write_fixes(results: list[FileResult], paths: list[Path] | None = None) -> None:
    """Write the fixes through the journal; never outside the given trees (a symlink that leads out
    of every given path is reported and left alone)."""
    from migrate.apply.changeset import ChangeSet

    trees = [Path(os.path.realpath(p)) for p in (paths or [Path(".")])]
    changes = ChangeSet(Path("."), confine=False)
    for r in results:
        if r.new_source is not None:
            real = Path(os.path.realpath(r.path))
            if not any(real == t or t in real.parents for t in trees):
                sys.stderr.write(f"{r.path}: a symlink to {real}, outside the given path; not fixed\n")
                continue
            changes.write(real, r.new_source.encode(r.encoding))
    changes.apply()


def _print_diff(results: list[FileResult]) -> None:
    import difflib

    from migrate.report import print_diff

    out = []
    for r in results:
        if r.new_source is not None and r.old_source is not None:
            a, b = (r.path, r.path) if Path(r.path).is_absolute() else (f"a/{r.path}", f"b/{r.path}")
            out.extend(difflib.unified_diff(r.old_source.splitlines(keepends=True),
                                            r.new_source.splitlines(keepends=True), a, b))
    print_diff("".join(out))


def _uri(path: str) -> str:
    """A relative URI for a path under the current directory, else a ``file://`` URI."""
    from urllib.parse import quote

    p = Path(path)
    if not p.is_absolute():
        return quote(p.as_posix())
    try:
        return quote(p.relative_to(Path.cwd()).as_posix())
    except ValueError:
        return p.as_uri()


def sarif(findings: list[dict[str, Any]]) -> dict[str, Any]:
    """A SARIF 2.1.0 log of the findings."""
    from codemods import RULES_BY_CODE

    from migrate import __version__

    rules = [{"id": code, "name": type(rule).__name__,
              "shortDescription": {"text": rule.MESSAGE.replace("'{state}'", "shared state").replace("{state}", "it")},
              "defaultConfiguration": {"level": "warning"}} for code, rule in RULES_BY_CODE.items()]
    index = {r["id"]: i for i, r in enumerate(rules)}
    results = [{
        "ruleId": f["code"], "ruleIndex": index[f["code"]], "level": "note" if f.get("severity") == "info" else "warning",
        "message": {"text": f["message"]},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": _uri(f["path"])},
            "region": {"startLine": f["line"], "startColumn": f["column"]}}}],
        "properties": {"fixable": f["fixable"]},
    } for f in findings]
    return {
        "version": "2.1.0",
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "runs": [{"tool": {"driver": {"name": "uv-migrate", "version": __version__, "rules": rules}},
                  "results": results}],
    }
