"""`migrate check` speed on a large real source tree vs parsing every file with libcst in one process.

    uv run python bench/bench_check.py [--no-reference] [TREE ...]   (default: the installed hypothesis)

Prints files/s and lines/s of both and the ratio, then checks that the findings are identical to
(1) a serial run without the pre-filter and (2) the reference engine (libcst ScopeProvider /
QualifiedNameProvider / ParentNodeProvider facts on every file, in worker processes; slow, skip it with
``--no-reference``).
"""

from __future__ import annotations

import ast
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "src"), str(REPO)]

import libcst  # noqa: E402

import codemods  # noqa: E402
from migrate.check import _check_many, iter_python_files  # noqa: E402


def default_trees() -> list[Path]:
    import hypothesis

    return [Path(hypothesis.__file__).parent]


def _key(path: str, f) -> tuple:
    return (path, f.line, f.column, f.code, f.fixable)


def _engine(path: str, engine: str) -> list[tuple]:
    source = Path(path).read_text(encoding="utf-8")
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    return [_key(path, f) for f in codemods.analyze(source, tree=tree, engine=engine)]


def _reference(path: str) -> list[tuple]:
    return _engine(path, "cst")


def main(argv: list[str]) -> int:
    reference = "--no-reference" not in argv
    trees = [Path(a) for a in argv if not a.startswith("--")] or default_trees()
    files = iter_python_files(trees)
    sources = [f.read_text(encoding="utf-8", errors="replace") for f in files]
    lines = sum(s.count("\n") for s in sources)
    print(f"tree: {', '.join(map(str, trees))}")
    print(f"{len(files)} files, {lines:,} lines, {os.cpu_count()} CPUs")

    start = time.perf_counter()
    for s in sources:
        try:
            libcst.parse_module(s)
        except Exception:
            pass
    base = time.perf_counter() - start
    print(f"libcst parse-all (1 process): {base:6.2f}s {len(files) / base:8,.0f} files/s {lines / base:9,.0f} lines/s")

    start = time.perf_counter()
    results = _check_many(files, False, None, None)
    ours = time.perf_counter() - start
    found = sorted((r.path, f["line"], f["column"], f["code"], f["fixable"]) for r in results for f in r.findings)
    print(f"migrate check:                {ours:6.2f}s {len(files) / ours:8,.0f} files/s {lines / ours:9,.0f} lines/s"
          f"  ({len(found)} findings)")
    skipped = sum(not codemods.may_have_findings(s) for s in sources)
    print(f"ratio: {base / ours:.1f}x faster than libcst parse-all ({skipped} of {len(files)} files skipped by the "
          "pre-filter)")

    serial = sorted(k for p in map(str, files) for k in _engine(p, "ast"))
    print(f"identical to a serial run without the pre-filter: {serial == found}")
    ok = serial == found
    if reference:
        start = time.perf_counter()
        with ProcessPoolExecutor(max_workers=os.cpu_count()) as pool:
            ref = sorted(k for keys in pool.map(_reference, map(str, files), chunksize=8) for k in keys)
        took = time.perf_counter() - start
        print(f"identical to the libcst-metadata engine on every file: {ref == found}  "
              f"(that engine: {took:.1f}s, {lines / took:,.0f} lines/s with {os.cpu_count()} processes)")
        ok = ok and ref == found
        if ref != found:
            for k in sorted(set(ref) ^ set(found)):
                print("  differs:", k, "(reference)" if k in ref else "(ours)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
