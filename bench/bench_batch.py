"""`migrate batch` over every project of ../shared/corpus (--no-lock --no-codemods) against running
`migrate-to-uv --skip-lock` once per project on identical copies, in the same run.

    uv run python bench/bench_batch.py
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"


def main() -> int:
    if not CORPUS.is_dir():
        print("no corpus at", CORPUS)
        return 0
    sys.path.insert(0, str(REPO / "src"))
    from migrate.batch import discover_projects

    peer = shutil.which("migrate-to-uv") or str(Path(sys.executable).parent / "migrate-to-uv")
    with tempfile.TemporaryDirectory() as tmp:
        ours_root, peer_root = Path(tmp) / "ours", Path(tmp) / "peer"
        shutil.copytree(CORPUS, ours_root)
        shutil.copytree(CORPUS, peer_root)
        projects = discover_projects(peer_root)

        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "migrate", "batch", str(ours_root), "--no-lock", "--no-codemods",
                               "--allow-dirty", "--format", "json"], capture_output=True, text=True)
        ours = time.perf_counter() - start

        start = time.perf_counter()
        peer_ok = 0
        for p in projects:
            r = subprocess.run([peer, "--skip-lock", "--skip-uv-checks", str(p)], capture_output=True, text=True)
            peer_ok += r.returncode == 0
        theirs = time.perf_counter() - start
    import json

    data = json.loads(proc.stdout)
    ok = sum(1 for p in data["projects"] if p["status"] == "migrated")
    n = len(data["projects"])
    print(f"projects: {n}")
    print(f"migrate batch (1 process, threads): {ours:.2f}s  {n / ours:.1f} projects/s  ({ok} migrated)")
    print(f"migrate-to-uv, once per project:    {theirs:.2f}s  {len(projects) / theirs:.1f} projects/s  "
          f"({peer_ok} migrated)")
    print(f"ratio: {theirs / ours:.2f}x (higher is faster for migrate batch)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
