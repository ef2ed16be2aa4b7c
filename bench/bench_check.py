"""`migrate check` speed on a large real source tree vs parsing every file with libcst in one process.

    uv run python bench/bench_check.py [TREE ...]      (default: a few large installed packages)

Prints files/s and lines/s for both and the ratio. Also checks that the parallel run finds exactly what
a serial run finds.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import libcst

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from migrate.check import _check_many, check_file, iter_python_files  # noqa: E402


def default_trees() -> list[Path]:
    import hypothesis
    import pygments
    import rich

    return [Path(m.__file__).parent for m in (hypothesis, rich, pygments)]


def main() -> int:
    trees = [Path(a) for a in sys.argv[1:]] or default_trees()
    files = iter_python_files(trees)
    sources = [f.read_text(encoding="utf-8", errors="replace") for f in files]
    lines = sum(s.count("\n") for s in sources)
    print(f"{len(files)} files, {lines} lines")

    start = time.perf_counter()
    parsed = 0
    for s in sources:
        try:
            libcst.parse_module(s)
            parsed += 1
        except Exception:
            pass
    base = time.perf_counter() - start
    print(f"libcst parse-all (1 process): {base:.2f}s  {len(files) / base:,.0f} files/s  {lines / base:,.0f} lines/s")

    start = time.perf_counter()
    results = _check_many(files, False, None, None)
    ours = time.perf_counter() - start
    found = sorted((f["path"], f["line"], f["code"]) for r in results for f in r.findings)
    print(f"migrate check:                 {ours:.2f}s  {len(files) / ours:,.0f} files/s  {lines / ours:,.0f} lines/s"
          f"  ({len(found)} findings)")
    serial = sorted((f["path"], f["line"], f["code"]) for p in files for f in check_file(str(p), False, None, None).findings)
    print(f"ratio: {base / ours:.1f}x faster than libcst parse-all; findings identical to a serial run: {serial == found}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
