"""`migrate check --fix` on one large generated module vs libcst parse + codegen of the same file.

    uv run python bench/bench_check_fix.py [--mb 5] [--every 10] [--peer/--no-peer]

The module (``--mb`` megabytes) is what code generators write: data tables, many small functions and
classes; one function in ``--every`` has a thread-safety finding with a fix (a global counter, a
check-then-act cache, a class counter). Each measurement runs in a fresh process, so the peak memory
(``ru_maxrss``) is its own. Prints seconds and MB of both and the ratio ours / peer: the fix costs what
parsing the *fixed* code costs, not what the module costs. Run ``--every 1`` for the worst case (every
function fixed) and two sizes to see that the time grows linearly.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def generate(mb: float, every: int) -> str:
    out = ['"""Generated: do not edit."""', "import os", "", "TABLE = {"]
    out += [f"    {i}: ({i * 7}, 'name{i}', [{i}, {i + 1}, {i + 2}])," for i in range(2000)]
    out += ["}", ""]
    i = 0
    size = sum(map(len, out))
    while size < mb * 1_000_000:
        if i % every == 0:
            block = [f"counter_{i} = 0", f"cache_{i} = {{}}", "",
                     f"def bump_{i}(k):", f"    global counter_{i}", f"    counter_{i} += 1",
                     f"    if k not in cache_{i}:", f"        cache_{i}[k] = os.path.join(str(k), 'x')",
                     f"    return cache_{i}[k]", "",
                     f"class Model{i}:", "    created = 0", "    def __init__(self, a, b):",
                     "        type(self).created += 1", "        self.a = a", "        self.b = b", ""]
        else:
            block = [f"def convert_{i}(value, scale={i}):", f'    """Convert field {i}."""',
                     "    if value is None:", "        return None", "    result = []",
                     "    for item in value:", "        result.append(item * scale + len(str(item)))",
                     "    return {'field': %d, 'values': result, 'total': sum(result)}" % i, "",
                     f"class Message{i}:", "    __slots__ = ('a', 'b')", "    def __init__(self, a, b):",
                     "        self.a = a", "        self.b = b", ""]
        out += block
        size += sum(map(len, block)) + len(block)
        i += 1
    return "\n".join(out) + "\n"


def _measure(kind: str, path: str) -> None:
    """In a child process: run ``kind`` on the file and print seconds, peak MB and a count."""
    import resource

    sys.path[:0] = [str(REPO / "src"), str(REPO)]
    source = Path(path).read_text(encoding="utf-8")
    start = time.perf_counter()
    if kind == "fix":
        import codemods

        new, applied = codemods.fix(source)
        count = len(applied)
        assert codemods.fix(new)[1] == [] if len(source) < 200_000 else True
    else:
        import libcst

        count = len(libcst.parse_module(source).code)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "mb": peak, "count": count}))


def run(kind: str, path: str) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", kind, path], capture_output=True, text=True,
                          check=True)
    return json.loads(proc.stdout)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=5.0)
    ap.add_argument("--every", type=int, default=10)
    ap.add_argument("--no-peer", dest="peer", action="store_false")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _measure(*args.child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "generated.py"
        path.write_text(generate(args.mb, args.every), encoding="utf-8")
        size = path.stat().st_size / 1e6
        ours = run("fix", str(path))
        print(f"module: {size:.1f} MB, one function in {args.every} with findings")
        print(f"check --fix:           {ours['seconds']:7.1f} s  {ours['mb']:6.0f} MB peak  "
              f"({ours['count']} fixes)")
        if args.peer:
            peer = run("libcst", str(path))
            print(f"libcst parse+codegen:  {peer['seconds']:7.1f} s  {peer['mb']:6.0f} MB peak")
            print(f"ratio (ours / peer):   {ours['seconds'] / peer['seconds']:7.2f} x time, "
                  f"{ours['mb'] / peer['mb']:.2f} x memory")


if __name__ == "__main__":
    main()
