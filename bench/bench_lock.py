"""`migrate run` on a mid-size project against bare `uv lock` on the same converted project, same run.

A local wheel folder (120 packages, 3 versions each, a dependency graph) and a Poetry project with 40
direct dependencies and a poetry.lock pinning older versions are generated; both sides run offline.

    uv run python bench/bench_lock.py
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "src"))

from wheelhouse import build_wheelhouse  # noqa: E402


def main() -> int:
    rng = random.Random(7)
    names = [f"pkg{i:03d}" for i in range(120)]
    spec, requires = {}, {}
    for i, n in enumerate(names):
        spec[n] = {v: ["py3-none-any"] for v in ("1.0", "1.1", "2.0")}
        deps = rng.sample(names[i + 1:], k=min(3, len(names) - i - 1)) if i < 100 else []
        for v in spec[n]:
            requires[(n, v)] = [f"{d}>=1.0" for d in deps]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        wheels = build_wheelhouse(tmp / "wheels", spec, requires)
        proj = tmp / "proj"
        proj.mkdir()
        direct = names[:40]
        deps = "\n".join(f'{n} = ">=1.0"' for n in direct)
        (proj / "pyproject.toml").write_text(
            f'[tool.poetry]\nname = "bench"\nversion = "1.0"\ndescription = ""\nauthors = []\n\n'
            f'[tool.poetry.dependencies]\npython = "^3.10"\n{deps}\n')
        lock = "\n".join(f'[[package]]\nname = "{n}"\nversion = "1.1"\ndescription = ""\noptional = false\n'
                         f'python-versions = "*"\nfiles = []\n' for n in names)
        (proj / "poetry.lock").write_text(lock + '\n[metadata]\nlock-version = "2.0"\n')
        env = dict(os.environ, UV_CACHE_DIR=str(tmp / "cache"))
        a, b = tmp / "a", tmp / "b"
        # warm the cache once, then measure
        shutil.copytree(proj, tmp / "warm")
        subprocess.run([sys.executable, "-m", "migrate", "run", str(tmp / "warm"), "--offline", "--find-links",
                        str(wheels), "--no-codemods", "--allow-dirty"], env=env, capture_output=True, check=True)
        shutil.copytree(proj, a)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "migrate", "run", str(a), "--offline", "--find-links", str(wheels),
                        "--no-codemods", "--allow-dirty"], env=env, capture_output=True, check=True)
        ours = time.perf_counter() - start
        # the peer: bare `uv lock` on the same converted project (no pins, no readiness check)
        shutil.copytree(a, b)
        (b / "uv.lock").unlink()
        from migrate.lock import find_interpreter, uv_bin

        python, _ = find_interpreter(">=3.10")
        start = time.perf_counter()
        subprocess.run([uv_bin(), "lock", "--offline", "--find-links", str(wheels), "--python", python], cwd=b,
                       env=env, capture_output=True, check=True)
        bare = time.perf_counter() - start
    print(f"migrate run (convert + lock with pins + readiness): {ours:.2f}s")
    print(f"bare uv lock on the converted project:              {bare:.2f}s")
    print(f"ratio: {ours / bare:.2f}x (goal <= 1.3x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
