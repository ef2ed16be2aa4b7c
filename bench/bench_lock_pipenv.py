"""`migrate run` on a real Pipenv project (corpus, against PyPI: needs the network): the Pipfile.lock pins
judged BEFORE uv runs (their files taken from the index pages by the lock's hashes, the fixes in the first
resolution) against the same run with the hashes taken out of Pipfile.lock (the pins judged only after the
first resolution, fixes applied by a second: what every Pipenv project got before), and a bare `uv lock`
of the converted project. Measured in one run, alternating, each side with its own empty uv cache.

    uv run python bench/bench_lock_pipenv.py [--project kennethreitz__responder] [--repeat 3]

Prints the median wall seconds, the ratios early/late and early/bare, and the uv runs of each side.
MIGRATE_FT_PYTHON is unset (no runtime import check: a bare `uv lock` has no counterpart).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus" / "pipenv"
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO / "src"))

from bench_lock import LAST, timed  # noqa: E402


def without_hashes(root: Path) -> None:
    """Pipfile.lock with no hashes: nothing to pick the index's files by, so no pin is judged before uv runs."""
    lock = root / "Pipfile.lock"
    data = json.loads(lock.read_text())
    for category, entries in data.items():
        if category != "_meta" and isinstance(entries, dict):
            for entry in entries.values():
                if isinstance(entry, dict):
                    entry["hashes"] = []
    lock.write_text(json.dumps(data, indent=4) + "\n")


def summary(runs: list[dict]) -> str:
    done = [r for r in runs if r.get("ok") is not None and not r.get("unused")]
    resolutions = [r for r in done if "--check" not in r["args"]]
    return (f"{len(resolutions)} resolution(s) ({sum(1 for r in resolutions if not r['ok'])} failed), "
            f"{len(done) - len(resolutions)} --check, {len(runs) - len(done)} stopped/unused")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--project", default="kennethreitz__responder", help="a folder of the corpus's pipenv/")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    from migrate.lock.lock import find_interpreter, uv_bin

    python, _ = find_interpreter(">=3.10", prefer="3.13")
    src = CORPUS / args.project
    times: dict[str, list[float]] = {"early": [], "late": [], "bare": []}
    runs: dict[str, list[dict]] = {}
    os.environ.pop("MIGRATE_FT_PYTHON", None)
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        env = dict(os.environ, UV_PYTHON_DOWNLOADS="never")
        # one untimed run writes the bytecode of an installed tool
        shutil.copytree(src, tmp / "warmup")
        subprocess.run([sys.executable, "-m", "migrate", "run", str(tmp / "warmup"), "--no-codemods", "--allow-dirty"],
                       capture_output=True, env=dict(env, UV_CACHE_DIR=str(tmp / "cache-warmup"),
                                                     MIGRATE_INDEX_CACHE_DIR=str(tmp / "index-warmup")))
        for i in range(args.repeat):
            sides = ("early", "late") if i % 2 == 0 else ("late", "early")
            for side in sides:
                proj = tmp / f"{side}{i}"
                shutil.copytree(src, proj)
                if side == "late":
                    without_hashes(proj)
                run = [sys.executable, "-m", "migrate", "run", str(proj), "--no-codemods", "--allow-dirty",
                       "--format", "json"]
                times[side].append(timed(run, None, dict(env, UV_CACHE_DIR=str(tmp / f"cache-{side}{i}"),
                                                         MIGRATE_INDEX_CACHE_DIR=str(tmp / f"index-{side}{i}")), side))
                runs[side] = json.loads(LAST["stdout"])["lock"].get("uv_runs", [])
            bare = tmp / f"bare{i}"
            shutil.copytree(tmp / f"early{i}", bare)
            (bare / "uv.lock").unlink()
            times["bare"].append(timed([uv_bin(), "lock", "--python", python], bare,
                                       dict(env, UV_CACHE_DIR=str(tmp / f"cache-bare{i}")), "bare"))
        same = (tmp / f"early{args.repeat - 1}" / "uv.lock").read_text() == (tmp / f"late{args.repeat - 1}" / "uv.lock").read_text()
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"project: corpus pipenv/{args.project} via PyPI, cold uv caches (median of {args.repeat}); "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"migrate run, pins judged before uv runs:         {med['early']:.2f}s  uv: {summary(runs['early'])}")
    print(f"migrate run, hashes removed (judged after uv):   {med['late']:.2f}s  uv: {summary(runs['late'])}")
    print(f"bare uv lock on the converted project:           {med['bare']:.2f}s")
    print(f"ratio early/late: {med['early'] / med['late']:.2f}x; early/bare: {med['early'] / med['bare']:.2f}x; "
          f"late/bare: {med['late'] / med['bare']:.2f}x; same uv.lock: {same}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
