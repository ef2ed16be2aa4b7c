"""The pyproject writer on huge arrays (issue 13): 20,000 and 120,000 classifiers and dependencies.

    uv run python bench/bench_writer.py [N ...]      (default: 20000 120000)

For each N it times, in the same process and on the same parsed document:

* ``writer``  — parse the Poetry pyproject with tomlkit and ``render_pyproject`` it (build [project] with
  N classifiers and N/10 dependencies, dump it): what the write stage does;
* ``peer``    — a tomlkit round trip of the same file (``tomlkit.dumps(tomlkit.parse(text))``): what any
  comment-preserving edit of it costs at least;
* ``add_line`` — the old way of building one N-item array (``Array.add_line`` per item, which re-indexes
  the whole array on every call), only up to 20,000 items: it is quadratic.

and prints the seconds and the ratio writer/peer. Linear time shows as a ratio that stays flat
while N grows six-fold (the add_line column shows what it was).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "src"), str(REPO)]

import tomlkit  # noqa: E402


def poetry_text(n: int) -> str:
    classifiers = ",\n".join(f'    "Topic :: Generated :: {i}"' for i in range(n))
    deps = "\n".join(f'pkg{i} = ">={i % 9}.{i % 7}"' for i in range(n // 10))
    return (f'[tool.poetry]\nname = "big"\nversion = "1.0.0"\ndescription = "d"\nauthors = []\n'
            f'classifiers = [\n{classifiers}\n]\n\n[tool.poetry.dependencies]\npython = "^3.10"\n{deps}\n')


def best(fn, repeat: int = 2) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main(sizes: list[int]) -> None:
    import tempfile

    from migrate.readers.poetry import read_poetry
    from migrate.writer import render_pyproject

    print(f"{'N':>8} {'writer s':>10} {'peer s':>10} {'ratio':>7} {'add_line s':>11}")
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            text = poetry_text(n)
            (root / "pyproject.toml").write_text(text)
            project = read_poetry(root)
            out = render_pyproject(tomlkit.parse(text), project)
            assert out.count("Topic :: Generated ::") == n and "pkg0>=0.0" in out
            writer = best(lambda: render_pyproject(tomlkit.parse(text), project))
            peer = best(lambda: tomlkit.dumps(tomlkit.parse(text)))
            old = None
            if n <= 20000:
                def add_line():
                    arr = tomlkit.array()
                    for i in range(n):
                        arr.add_line(f"Topic :: Generated :: {i}", indent="    ")
                old = best(add_line, repeat=1)
            print(f"{n:>8} {writer:>10.3f} {peer:>10.3f} {writer / peer:>7.2f} "
                  f"{(f'{old:.3f}' if old is not None else '-'):>11}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [20000, 120000])
