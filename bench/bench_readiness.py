"""Free-threading readiness on real PyPI pins (needs the network): the status of each pin, the nearest
version with cp313t wheels (what `migrate` moves to) against the newest (what it moved to before), the
jump, and whether 3.14t has wheels; then the index cache measured against its peer in the same run.

    uv run python bench/bench_readiness.py [--projects 4] [--corpus]

Cache: ``--projects`` projects of a batch, each locking the same nine packages, assessed in parallel
threads: with the process-wide page cache (one request per package) against the same run with the cache
emptied before every project (each project asks the index itself, as before).
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from migrate.lock.freethreading import LockedPackage, assess, classify, search_fix, successor_advice  # noqa: E402
from migrate.lock.index import PAGES, IndexClient  # noqa: E402

PINS = [("bcrypt", "3.2.0"), ("lazy-object-proxy", "1.9.0"), ("greenlet", "0.4.13"), ("pydantic-core", "2.14.5"),
        ("numpy", "1.26.4"), ("orjson", "3.8.12"), ("coverage", "6.2"), ("cffi", "1.15.1"), ("msgpack", "1.0.5")]


def table() -> None:
    client = IndexClient()
    client.prefetch([(n, None) for n, _ in PINS])
    print(f"{'package':<18} {'pin':<8} {'status':<10} {'nearest cp313t':<15} {'newest cp313t':<14} "
          f"{'jump':<14} 3.14t")
    for name, pin in PINS:
        files = [f for f, v in client.files(name) if v is not None and str(v) == pin]
        near = search_fix(name, "cp313t", client, current=pin).fix
        newest = search_fix(name, "cp313t", client).fix
        t14 = search_fix(name, "cp314t", client, current=pin).fix
        jump = "-" if near is None else (near.direction or "") + (" (major)" if near.major else "")
        print(f"{name:<18} {pin:<8} {classify(files, 'cp313t'):<10} {near.version if near else '-':<15} "
              f"{newest.version if newest else '-':<14} {jump:<14} {t14.version if t14 else '-'}")
    packages = [LockedPackage(n, v, []) for n, v in PINS]
    entries = assess(packages, "cp313t", client)
    advice = successor_advice(entries, packages, "cp313t", client)
    left = [e["name"] for e in entries if e["status"] == "blocker" and not e.get("fix")]
    print(f"blockers without a cp313t fix: {', '.join(left) or 'none'}")
    if advice:
        print(f"with --target {advice['target']}, {advice['ready']} of {advice['blockers']} blockers have "
              "free-threaded wheels")


def batch(projects: int, shared: bool) -> tuple[float, int]:
    PAGES.clear()

    def one(_):
        if not shared:
            PAGES.clear()  # the peer: nothing shared between projects
        packages = [LockedPackage(n, v, []) for n, v in PINS]
        return assess(packages, "cp313t", IndexClient())

    start = time.perf_counter()
    requests = 0
    if shared:
        with ThreadPoolExecutor(projects) as pool:
            list(pool.map(one, range(projects)))
        requests = PAGES.requests
    else:  # one after the other, or the clearing would race with the other projects' answers
        for i in range(projects):
            one(i)
            requests += PAGES.requests
    return time.perf_counter() - start, requests


def corpus(jobs: int) -> None:
    """`migrate deps` over every corpus project with a poetry.lock or Pipfile.lock, in parallel threads
    sharing one index cache: statuses, fixes (nearest vs newest), jumps, 3.14t, index errors."""
    from packaging.utils import canonicalize_name

    from migrate.deps import project_requirements, read_lock

    roots = [p for p in sorted((REPO.parent / "shared" / "corpus").glob("*/*"))
             if (p / "poetry.lock").is_file() or (p / "Pipfile.lock").is_file()]

    def one(root):
        try:
            _, packages = read_lock(root)
        except Exception:  # noqa: BLE001 - a lock this reader cannot read: not counted
            return None
        client, requirements = IndexClient(timeout=30), project_requirements(root)
        entries = assess(packages, "cp313t", client, requirements)
        return root, requirements, entries, successor_advice(entries, packages, "cp313t", client, requirements)

    PAGES.clear()
    start = time.perf_counter()
    with ThreadPoolExecutor(jobs) as pool:
        results = [r for r in pool.map(one, roots) if r]
    seconds, requests = time.perf_counter() - start, PAGES.requests
    n = {k: 0 for k in ("packages", "blocker", "sdist-only", "fix", "major", "downgrade", "excluded", "error",
                        "left", "left-314", "newest-differs", "major-avoided", "ready")}
    for root, requirements, entries, advice in results:
        n["packages"] += len(entries)
        for e in entries:
            n[e["status"]] = n.get(e["status"], 0) + 1
            move = e.get("move") or {}
            n["fix"] += bool(e.get("fix"))
            n["major"] += bool(move.get("major"))
            n["downgrade"] += move.get("direction") == "downgrade"
            n["excluded"] += bool(e.get("excluded"))
            n["error"] += bool(e.get("error"))
            if e.get("fix"):
                spec = requirements.get(canonicalize_name(e["name"]), "")
                newest = search_fix(e["name"], "cp313t", IndexClient(), spec).fix
                if newest and newest.version != move["to"]:
                    n["newest-differs"] += 1
                    n["major-avoided"] += (newest.version.split(".")[0] != e["version"].split(".")[0]
                                           and not move.get("major"))
        if advice:
            n["left"] += advice["blockers"]
            n["left-314"] += advice["ready"]
        n["ready"] += not any(e["status"] == "blocker" and not e.get("fix") for e in entries)
    print(f"{len(results)} corpus projects, {n['packages']} locked packages: {n['blocker']} blockers, "
          f"{n['sdist-only']} sdist-only; {n['fix']} fixes ({n['major']} across a major version, "
          f"{n['downgrade']} downgrades; {n['newest-differs']} differ from the newest, {n['major-avoided']} "
          f"major jumps avoided); {n['excluded']} excluded by the project's own requirement; {n['error']} on "
          f"indexes that did not answer; blockers left {n['left']}, {n['left-314']} with 3.14t wheels; "
          f"{n['ready']} projects with no blocker left")
    print(f"{requests} index requests, {seconds:.0f} s with --jobs {jobs}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--projects", type=int, default=4)
    parser.add_argument("--corpus", action="store_true", help="also run over ../shared/corpus (a few minutes)")
    args = parser.parse_args()
    if args.corpus:
        corpus(args.projects)
    table()
    alone, alone_requests = batch(args.projects, shared=False)
    cached, cached_requests = batch(args.projects, shared=True)
    print(f"{args.projects} projects x {len(PINS)} packages: shared cache {cached:.2f} s ({cached_requests} "
          f"index requests), no sharing {alone:.2f} s ({alone_requests} requests): "
          f"ratio {cached / alone:.2f}x")


if __name__ == "__main__":
    main()
