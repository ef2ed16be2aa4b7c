"""`migrate run` (convert + lock keeping the old pins + free-threading readiness) against bare `uv lock`
on the same converted project, measured in one run. Goal: at most 1.5x cold (issue 10).

Each side gets its own empty uv cache (a migration is a one-off: neither side starts warm), and the
same interpreter. Two projects:

* ``synthetic`` (default, offline): a local wheel folder (150 packages, 3 versions each, a dependency
  graph) and a Poetry project with 60 direct dependencies whose poetry.lock pins older versions.
* ``pypi`` (``--pypi``, needs the network): a mid-size real project from the corpus
  (qdrant/qdrant-client, 84 locked packages, native ones such as grpcio and numpy included) resolved against PyPI.

    uv run python bench/bench_lock.py [--pypi [--project CORPUS_DIR]] [--repeat N]

``--project`` picks another corpus project for ``--pypi`` (a folder name under ``shared/corpus/poetry``).

The peer is run on the tree ``migrate run`` produced (its uv.lock removed), i.e. exactly the
converted project; ``warm`` numbers (second run of each with the cache filled) are printed too.
MIGRATE_FT_PYTHON is unset for the run (no runtime import check: a bare ``uv lock`` has no counterpart).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS_PROJECT = REPO.parent / "shared" / "corpus" / "poetry" / "qdrant__qdrant-client"
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "src"))

from wheelhouse import build_wheelhouse  # noqa: E402


def synthetic(tmp: Path) -> tuple[Path, list[str]]:
    rng = random.Random(7)
    names = [f"pkg{i:03d}" for i in range(150)]
    spec, requires = {}, {}
    for i, n in enumerate(names):
        spec[n] = {v: ["py3-none-any"] for v in ("1.0", "1.1", "2.0")}
        if i % 10 == 3:  # some native packages: GIL wheels, cp313t only from 2.0
            spec[n] = {"1.0": ["cp310-cp310-manylinux_2_17_x86_64", "cp313-cp313-manylinux_2_17_x86_64"],
                       "1.1": ["cp310-cp310-manylinux_2_17_x86_64", "cp313-cp313-manylinux_2_17_x86_64"],
                       "2.0": ["cp313-cp313-manylinux_2_17_x86_64", "cp313-cp313t-manylinux_2_17_x86_64",
                               "cp310-cp310-manylinux_2_17_x86_64"]}
        deps = rng.sample(names[i + 1:], k=min(3, len(names) - i - 1)) if i < 120 else []
        for v in spec[n]:
            requires[(n, v)] = [f"{d}>=1.0" for d in deps]
    wheels = build_wheelhouse(tmp / "wheels", spec, requires)
    proj = tmp / "proj"
    proj.mkdir()
    deps = "\n".join(f'{n} = ">=1.0"' for n in names[:60])
    (proj / "pyproject.toml").write_text(
        f'[tool.poetry]\nname = "bench"\nversion = "1.0"\ndescription = ""\nauthors = []\npackage-mode = false\n\n'
        f'[tool.poetry.dependencies]\npython = "^3.10"\n{deps}\n')
    lock = "\n".join(f'[[package]]\nname = "{n}"\nversion = "1.1"\ndescription = ""\noptional = false\n'
                     f'python-versions = "*"\nfiles = []\n' for n in names)
    (proj / "poetry.lock").write_text(lock + '\n[metadata]\nlock-version = "2.0"\n')
    return proj, ["--offline", "--find-links", str(wheels)]


def pypi(tmp: Path, project: Path = CORPUS_PROJECT) -> tuple[Path, list[str]]:
    proj = tmp / "proj"
    shutil.copytree(project, proj)
    return proj, []


LAST: dict[str, str] = {}


CPU: dict[str, list[float]] = {}


def _children_cpu() -> float:
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(cmd: list[str], cwd: Path | None, env: dict, key: str = "") -> float:
    """Wall seconds of ``cmd``; its CPU seconds (with its children's: uv) go to CPU[key]."""
    cpu = _children_cpu()
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    CPU.setdefault(key, []).append(_children_cpu() - cpu)
    LAST["stdout"] = proc.stdout
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{proc.stderr}")
    return elapsed


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pypi", action="store_true", help="the corpus project against PyPI (network)")
    ap.add_argument("--project", help="with --pypi: another corpus project (folder under shared/corpus/poetry)")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    from migrate.lock.lock import find_interpreter, uv_bin

    python, _ = find_interpreter(">=3.10", prefer="3.13")
    results: dict[str, list[float]] = {k: [] for k in ("ours", "bare", "ours-warm", "bare-warm")}
    runs: list[int] = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        project = CORPUS_PROJECT.parent / args.project if args.project else CORPUS_PROJECT
        proj, uv_args = pypi(tmp, project) if args.pypi else synthetic(tmp)
        # an installed tool has its bytecode: one untimed run writes it (PYTHONDONTWRITEBYTECODE unset),
        # so neither side pays for compiling Python sources
        os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
        # the lock stage proper: with a free-threaded interpreter at hand `run` also installs the locked
        # native packages in a scratch environment to import them (the runtime check, issue 12), which
        # a bare `uv lock` has no counterpart for
        os.environ.pop("MIGRATE_FT_PYTHON", None)
        shutil.copytree(proj, tmp / "warmup")
        subprocess.run([sys.executable, "-m", "migrate", "run", str(tmp / "warmup"), "--no-codemods", "--allow-dirty",
                        *uv_args], capture_output=True, env=dict(os.environ, UV_CACHE_DIR=str(tmp / "cache-warmup"),
                                                                 MIGRATE_INDEX_CACHE_DIR=str(tmp / "index-warmup")))
        for i in range(args.repeat):
            env = dict(os.environ, UV_PYTHON_DOWNLOADS="never")
            ours_dir, bare_dir = tmp / f"ours{i}", tmp / f"bare{i}"
            shutil.copytree(proj, ours_dir)
            cache_a, cache_b = tmp / f"cache-a{i}", tmp / f"cache-b{i}"
            run = [sys.executable, "-m", "migrate", "run", str(ours_dir), "--no-codemods", "--allow-dirty",
                   "--format", "json", *uv_args]
            # our index-answer cache (lock/indexcache.py) is empty when cold and filled when warm, as uv's
            ours_env = dict(env, UV_CACHE_DIR=str(cache_a), MIGRATE_INDEX_CACHE_DIR=str(tmp / f"index-a{i}"))
            results["ours"].append(timed(run, None, ours_env, "ours"))
            runs.append(json.loads(LAST["stdout"])["lock"].get("uv_runs", []))
            shutil.copytree(ours_dir, bare_dir)
            (bare_dir / "uv.lock").unlink()
            bare = [uv_bin(), "lock", "--python", python, *uv_args]
            results["bare"].append(timed(bare, bare_dir, dict(env, UV_CACHE_DIR=str(cache_b)), "bare"))
            # warm: the same again with the caches filled
            shutil.rmtree(ours_dir)
            shutil.copytree(proj, ours_dir)
            results["ours-warm"].append(timed(run, None, ours_env))
            (bare_dir / "uv.lock").unlink()
            results["bare-warm"].append(timed(bare, bare_dir, dict(env, UV_CACHE_DIR=str(cache_b))))
    med = {k: statistics.median(v) for k, v in results.items()}
    print(f"project: {'corpus ' + project.name + ' via PyPI' if args.pypi else 'synthetic, 150 packages, offline'}"
          f" (median of {args.repeat})")
    print(f"migrate run (convert + lock with pins + readiness), cold cache: {med['ours']:.2f}s")
    print(f"bare uv lock on the converted project, cold cache:             {med['bare']:.2f}s")
    print(f"ratio (cold): {med['ours'] / med['bare']:.2f}x (goal <= 1.5x)")
    cpu = {k: statistics.median(v) for k, v in CPU.items() if k}
    print(f"CPU seconds (migrate and uv together, cold; load-independent): {cpu['ours']:.2f} vs {cpu['bare']:.2f} = "
          f"{cpu['ours'] / cpu['bare']:.2f}x; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"warm caches: {med['ours-warm']:.2f}s vs {med['bare-warm']:.2f}s, ratio (warm): "
          f"{med['ours-warm'] / med['bare-warm']:.2f}x ({med['ours-warm'] - med['bare-warm']:.2f}s more: "
          f"Python start-up, conversion, readiness)")
    last = runs[-1] if runs else []
    done = [r for r in last if r.get("ok") is not None and not r.get("unused")]
    print(f"uv runs in the last migrate run: {len([r for r in done if '--check' not in r['args']])} resolution(s), "
          f"{len([r for r in done if '--check' in r['args']])} `uv lock --check`, "
          f"{len(last) - len(done)} stopped or unused (started while the free-threading fixes were looked up)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
