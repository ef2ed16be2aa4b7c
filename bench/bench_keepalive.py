"""Kept-alive index connections vs one connection per request (needs PyPI).

Each sample is a fresh process (cold: no opener, no address lookup, no page in memory, no index cache on
disk) that reads 20 project pages from PyPI with ``IndexClient.prefetch`` (8 threads) and then 60 PEP 658
``.metadata`` files from files.pythonhosted.org with ``dependents._get`` (8 threads), as the lock stage
and the blocker-dependent search do. ``new`` is the opener of ``migrate.lock.index`` (connections kept
alive per host); ``old`` is the opener this replaces (urllib's, ``Connection: close``: a TCP and TLS
handshake per request), taken from git history. The two alternate, sample after sample.

    uv run python bench/bench_keepalive.py [--repeat N] [--old-commit COMMIT]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NAMES = ["grpcio", "httpx", "numpy", "portalocker", "pydantic", "urllib3", "protobuf", "h2", "hpack",
         "hyperframe", "anyio", "certifi", "idna", "sniffio", "httpcore", "h11", "typing-extensions",
         "pydantic-core", "annotated-types", "mypy"]
OLD_COMMIT = "302fa60"  # the last commit with urllib's one-connection-per-request opener

CHILD = r"""
import importlib.util, json, sys, time
old_source = sys.argv[1]
t0 = time.perf_counter()
import migrate.lock.index as index
import migrate.lock.dependents as dependents
if old_source:
    spec = importlib.util.spec_from_file_location("old_index", old_source)
    old = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(old)
    index._opener = dependents._opener = old._opener
import migrate.lock.indexcache as indexcache
indexcache.store_later = lambda *a, **k: None  # keeps the pages' file entries (index._RAW) for the metadata URLs
names = json.loads(sys.argv[2])
client = index.IndexClient()
t1 = time.perf_counter()
c1 = time.process_time()
client.prefetch([(n, None) for n in names])
t2 = time.perf_counter()
urls = []
for n in names:
    files = [f for f in index._RAW.get((index.PYPI, n), []) if isinstance(f, dict)
             and f.get("filename", "").endswith(".whl")]  # this machine's PyPI lists no core-metadata, has the files
    files.sort(key=lambda f: index.version_of(f["filename"]) or index.Version("0"))
    urls += [f["url"] + ".metadata" for f in files[-3:]]
from concurrent.futures import ThreadPoolExecutor
with ThreadPoolExecutor(8) as pool:
    sizes = list(pool.map(lambda u: len(dependents._get(u, None, 20.0)), urls))
t3 = time.perf_counter()
c3 = time.process_time()
opened = getattr(getattr(index._opener(), "pool", None), "opened", None)
print(json.dumps({"pages": t2 - t1, "metadata": t3 - t2, "total": t3 - t1, "cpu": c3 - c1, "files": len(urls),
                  "empty": sizes.count(0), "connections": opened}))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--old-commit", default=OLD_COMMIT)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        old_source = Path(tmp) / "old_index.py"
        old_source.write_bytes(subprocess.run(["git", "-C", str(REPO), "show",
                                               f"{args.old_commit}:src/migrate/lock/index.py"],
                                              check=True, capture_output=True).stdout)
        results: dict[str, list[dict]] = {"old": [], "new": []}
        for i in range(args.repeat):
            for side in (("old", "new") if i % 2 == 0 else ("new", "old")):
                env = dict(os.environ, MIGRATE_INDEX_CACHE_DIR=str(Path(tmp) / f"cache-{side}-{i}"),
                           MIGRATE_INDEX_CACHE_TTL="0")
                proc = subprocess.run([sys.executable, "-c", CHILD, str(old_source) if side == "old" else "",
                                       json.dumps(NAMES)], capture_output=True, text=True, env=env, check=True)
                results[side].append(json.loads(proc.stdout))
                r = results[side][-1]
                print(f"{side}: pages {r['pages']:.2f} s, {r['files']} metadata files {r['metadata']:.2f} s, "
                      f"total {r['total']:.2f} s (CPU {r['cpu']:.2f} s)" + (f", {r['connections']} connections" if r["connections"] else ""),
                      flush=True)
    med = {side: {k: statistics.median(r[k] for r in rs) for k in ("pages", "metadata", "total", "cpu")}
           for side, rs in results.items()}
    for k in ("pages", "metadata", "total", "cpu"):
        print(f"median {k}: new {med['new'][k]:.2f} s vs old {med['old'][k]:.2f} s = "
              f"{med['new'][k] / med['old'][k]:.2f}x")
    print(f"load average: {os.getloadavg()}")


if __name__ == "__main__":
    main()
