"""Resolution hints on the real corpus, against PyPI: does ``migrate run`` give the same result with and
without them, and how much shorter is the lock? (issue 10; :mod:`migrate.lock.hints`)

For every project of ``../shared/corpus/poetry/*`` and ``../shared/corpus/pipenv/*`` (hints never apply
to Pipenv projects: checked, a Pipenv project given a hint is flagged) the script copies the project to a
temporary folder twice and runs, ONE PROJECT AND ONE RUN AT A TIME::

    migrate run DIR --no-codemods --allow-dirty --format json

once with hints (the default) and once with ``MIGRATE_TEST_NO_HINTS=1``, each with its own empty
``UV_CACHE_DIR`` and ``MIGRATE_INDEX_CACHE_DIR`` and with ``MIGRATE_FT_PYTHON`` unset (so both sides pay
the same cold network cost; which side runs first alternates from project to project). It then compares

* ``pyproject.toml`` and ``uv.lock`` byte for byte (and every other file of the copies, as a digest),
* the report's ``ft``, ``warnings``, ``lock.changed_pins``, ``lock.kept_pins``, ``lock.packages``,
  ``lock.counts``, ``status`` and the exit status, key for key (the copy's path replaced by ``<DIR>``).

Each difference is classified:

* ``same`` -- everything above identical (``same-failure``: identical, and both runs failed the same way);
* ``fork-markers`` -- only uv.lock differs, and only in uv's ``resolution-markers`` / fork markers or
  their order: the same packages at the same versions from the same sources with the same dependencies;
* ``network`` -- both runs failed with the same error class (an unreachable source, say) and otherwise
  the same report;
* ``semantic`` -- anything else (other versions, other warnings, one side failed): a bug to reproduce.

Per project it records hints given/used, uv runs (count, seconds, the ones stopped), wall time both
ways and the class, prints a table and writes a JSON file (default ``bench/compare_hints.json``), which
``--resume`` reads to skip the projects already measured. ``--report`` prints the table and the summary
(median time saved on projects with hints) from that file without running anything. It uses the network
(PyPI) and is not a test.

    .venv/bin/python bench/compare_hints.py                      # the whole corpus (files-listing locks first)
    .venv/bin/python bench/compare_hints.py --only qdrant --only rich
    .venv/bin/python bench/compare_hints.py --kind poetry --with-files --resume
    .venv/bin/python bench/compare_hints.py --only textual --out /tmp/t.json --trace /tmp/trace  # why
    .venv/bin/python bench/compare_hints.py --report
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"
MIGRATE = REPO / ".venv" / "bin" / "migrate"
COMPARED_LOCK_KEYS = ("changed_pins", "kept_pins", "packages", "counts")


def lock_lists_files(project: Path) -> bool:
    """A poetry.lock listing the pinned versions' files (``files = [...]`` per package, Poetry >= 1.2, or
    the older ``[metadata.files]`` table): readiness is known before uv runs, so hints can apply."""
    lock = project / "poetry.lock"
    if not lock.is_file():
        return False
    text = lock.read_text(encoding="utf-8", errors="replace")
    return "\nfiles = [\n" in text or "\n[metadata.files]\n" in text


def projects(kinds: list[str]) -> list[tuple[str, Path]]:
    out = []
    for kind in kinds:
        for p in sorted((CORPUS / kind).iterdir()):
            if p.is_dir():
                out.append((f"{kind}/{p.name}", p))
    return out


def tree_digest(root: Path) -> dict[str, str]:
    out = {}
    for f in sorted(root.rglob("*")):
        if f.is_file() and ".venv" not in f.parts:
            out[f.relative_to(root).as_posix()] = hashlib.sha256(f.read_bytes()).hexdigest()[:16]
    return out


def _scrub(obj, needle: str):
    if isinstance(obj, str):
        return obj.replace(needle, "<DIR>")
    if isinstance(obj, list):
        return [_scrub(x, needle) for x in obj]
    if isinstance(obj, dict):
        return {k: _scrub(v, needle) for k, v in obj.items()}
    return obj


TRACE_WRAPPER = """#!/bin/bash
# every child migrate spawns (uv): its command, the project text it resolved, its stderr
d="$COMPARE_HINTS_TRACE"; n=$(date +%s%N)
{ echo "CMD: $*"; echo "CWD: $PWD"; } > "$d/$n.cmd"
[ -f pyproject.toml ] && cp pyproject.toml "$d/$n.pyproject.toml"
"$@" 2> >(tee "$d/$n.stderr" >&2)
rc=$?
echo "RC: $rc" >> "$d/$n.cmd"
exit $rc
"""


def run_once(src: Path, hints: bool, timeout: float, trace: Path | None = None) -> dict:
    """One ``migrate run`` on a fresh copy with empty caches; the files and the report it leaves.
    ``trace``: a folder to keep each uv run's command, pyproject.toml and stderr in (through the
    ``MIGRATE_TEST_SPAWN_WRAPPER`` hook), to see why a run failed."""
    tmp = Path(tempfile.mkdtemp(prefix="hints-"))
    try:
        work = tmp / "p"
        shutil.copytree(src, work, symlinks=True)
        env = dict(os.environ)
        env.pop("MIGRATE_FT_PYTHON", None)
        env.pop("MIGRATE_TEST_NO_HINTS", None)
        env["UV_CACHE_DIR"] = str(tmp / "uv-cache")
        env["MIGRATE_INDEX_CACHE_DIR"] = str(tmp / "index-cache")
        if not hints:
            env["MIGRATE_TEST_NO_HINTS"] = "1"
        if trace is not None:
            trace.mkdir(parents=True, exist_ok=True)
            wrapper = tmp / "trace.sh"
            wrapper.write_text(TRACE_WRAPPER)
            wrapper.chmod(0o755)
            env["MIGRATE_TEST_SPAWN_WRAPPER"] = str(wrapper)
            env["COMPARE_HINTS_TRACE"] = str(trace)
        t0 = time.perf_counter()
        try:
            proc = subprocess.run([str(MIGRATE), "run", str(work), "--no-codemods", "--allow-dirty",
                                   "--format", "json"], env=env, capture_output=True, text=True,
                                  timeout=timeout)
            rc, out, err = proc.returncode, proc.stdout, proc.stderr
        except subprocess.TimeoutExpired as e:
            rc, out, err = "timeout", (e.stdout or b"").decode() if isinstance(e.stdout, bytes) else (e.stdout or ""), ""
        wall = time.perf_counter() - t0
        try:
            report = json.loads(out)
        except ValueError:
            report = None
        if isinstance(report, list):  # a single project may come back as a one-element list
            report = report[0] if report else None
        report = _scrub(report, str(work)) if report is not None else None
        files = {name: (work / name).read_bytes() if (work / name).is_file() else None
                 for name in ("pyproject.toml", "uv.lock")}
        return {"rc": rc, "wall": round(wall, 2), "report": report, "files": files,
                "digest": tree_digest(work), "stderr": _scrub(err[-2000:], str(work))}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _lock_packages(text: bytes | None):
    """uv.lock without what only orders or labels uv's forks: {(name, version, source): dependencies}."""
    if text is None:
        return None
    data = tomllib.loads(text.decode())
    out = {}
    for pkg in data.get("package", []):
        key = (pkg["name"], pkg.get("version"), json.dumps(pkg.get("source"), sort_keys=True))
        deps = {}
        for table in ("dependencies",):
            deps[table] = sorted({(d["name"], d.get("version", ""), tuple(d.get("extra", [])))
                                  for d in pkg.get(table, [])})
        opt = {g: sorted({(d["name"], d.get("version", ""), tuple(d.get("extra", []))) for d in ds})
               for g, ds in pkg.get("optional-dependencies", {}).items()}
        dev = {g: sorted({(d["name"], d.get("version", ""), tuple(d.get("extra", []))) for d in ds})
               for g, ds in pkg.get("dev-dependencies", {}).items()}
        files = sorted(w.get("url", "") for w in pkg.get("wheels", []))
        sdist = (pkg.get("sdist") or {}).get("url")
        out[key] = (deps, opt, dev, files, sdist, pkg.get("metadata"))
    top = {k: v for k, v in data.items() if k not in ("package", "resolution-markers")}
    return top, out


def compared(side: dict) -> dict:
    rep = side["report"] or {}
    lock = rep.get("lock") or {}
    return {
        "rc": side["rc"],
        "status": rep.get("status"),
        "ft": rep.get("ft"),
        "warnings": rep.get("warnings"),
        **{f"lock.{k}": lock.get(k) for k in COMPARED_LOCK_KEYS},
    }


def error_class(side: dict):
    """None for a success; else the lock failure's class and uv's first error line (or the error)."""
    if side["rc"] == 0:
        return None
    rep = side["report"] or {}
    failure = (rep.get("lock") or {}).get("failure") or {}
    if failure:
        first = next((ln for ln in failure.get("uv") or [] if ln.strip()), failure.get("message"))
        return f"{failure.get('class')}: {first}"
    return rep.get("error") or f"rc={side['rc']}"


def classify(a: dict, b: dict) -> tuple[str, list[str]]:
    """(class, the keys that differ) for the run with hints ``a`` and without ``b``."""
    diffs = []
    for name in ("pyproject.toml", "uv.lock"):
        if a["files"][name] != b["files"][name]:
            diffs.append(name)
    other = sorted(k for k in set(a["digest"]) | set(b["digest"])
                   if k not in ("pyproject.toml", "uv.lock") and a["digest"].get(k) != b["digest"].get(k))
    diffs += [f"file:{k}" for k in other]
    ca, cb = compared(a), compared(b)
    diffs += [k for k in ca if ca[k] != cb[k]]
    if not diffs:
        return ("same" if a["rc"] == 0 else "same-failure"), diffs
    if a["rc"] != 0 and b["rc"] != 0 and error_class(a) == error_class(b) and not \
            any(d in ("pyproject.toml", "ft", "status") or d.startswith("file:") for d in diffs):
        return "network", diffs
    if diffs == ["uv.lock"]:
        try:
            if _lock_packages(a["files"]["uv.lock"]) == _lock_packages(b["files"]["uv.lock"]):
                return "fork-markers", diffs
        except (tomllib.TOMLDecodeError, KeyError, UnicodeDecodeError):
            pass
    return "semantic", diffs


def uv_summary(side: dict) -> dict:
    lock = (side["report"] or {}).get("lock") or {}
    runs = lock.get("uv_runs") or []
    hints = lock.get("resolution_hints") or {}
    return {
        "uv_runs": len(runs),
        "uv_seconds": round(sum(r.get("seconds") or 0 for r in runs), 2),
        "uv_stopped": sum(1 for r in runs if r.get("stopped")),
        "uv_failed": sum(1 for r in runs if r.get("ok") is False),
        "runs": [{k: r.get(k) for k in ("args", "seconds", "ok", "stopped")} for r in runs],
        "given": hints.get("given") or [],
        "used": hints.get("used") or [],
    }


def hint_check(hints: list[str], lock: bytes | None, python: str = "3.13") -> list[dict]:
    """Each hint (``name==version; marker``) against the version uv chose on its own: the versions of
    ``name`` in the uv.lock made without hints whose fork holds on CPython ``python`` (Linux)."""
    from packaging.markers import Marker
    from packaging.utils import canonicalize_name

    env = {"python_version": python, "python_full_version": f"{python}.0", "implementation_name": "cpython",
           "platform_python_implementation": "CPython", "sys_platform": "linux", "platform_system": "Linux",
           "os_name": "posix", "platform_machine": "x86_64"}
    packages = tomllib.loads(lock.decode()).get("package", []) if lock else []
    out = []
    for h in hints:
        req, _, _ = h.partition(";")
        name, _, version = req.strip().partition("==")
        chosen = []
        same = [p for p in packages if canonicalize_name(p["name"]) == canonicalize_name(name)]
        for p in same:
            markers = p.get("resolution-markers")
            if not markers or len(same) == 1 or any(Marker(m).evaluate(env) for m in markers):
                chosen.append(p["version"])
        out.append({"hint": h, "uv_chose": chosen, "agrees": chosen == [version]})
    return out


def compare(name: str, src: Path, first_hints: bool, timeout: float, keep: Path | None,
            trace: Path | None = None) -> dict:
    order = (True, False) if first_hints else (False, True)
    sides = {}
    for h in order:
        sides[h] = run_once(src, h, timeout, None if trace is None else
                            trace / name.replace("/", "__") / ("hints" if h else "nohints"))
    a, b = sides[True], sides[False]
    cls, diffs = classify(a, b)
    row = {
        "project": name,
        "lock_lists_files": lock_lists_files(src),
        "class": cls,
        "diffs": diffs,
        "rc": [a["rc"], b["rc"]],
        "wall": [a["wall"], b["wall"]],
        "hints": uv_summary(a),
        "no_hints": uv_summary(b),
        "error": [error_class(a), error_class(b)],
        "first": "hints" if first_hints else "no-hints",
        "hint_check": hint_check(uv_summary(a)["given"], b["files"]["uv.lock"]),
    }
    if cls != "same" and keep is not None:
        # keep both sides for the investigation
        d = keep / name.replace("/", "__")
        for label, side in (("hints", a), ("nohints", b)):
            (d / label).mkdir(parents=True, exist_ok=True)
            for fname, data in side["files"].items():
                if data is not None:
                    (d / label / fname).write_bytes(data)
            (d / label / "report.json").write_text(json.dumps(side["report"], indent=1))
            (d / label / "stderr.txt").write_text(side["stderr"])
    return row


def table(rows: list[dict]) -> str:
    head = f"{'project':52} {'files':5} {'given':5} {'used':4} {'runs h/n':8} {'uv s h/n':11} " \
           f"{'stop h/n':8} {'wall h/n':13} {'rc h/n':9} class"
    lines = [head, "-" * len(head)]
    for r in rows:
        h, n = r["hints"], r["no_hints"]
        lines.append(
            f"{r['project'][:52]:52} {'y' if r['lock_lists_files'] else '-':5} {len(h['given']):5} "
            f"{len(h['used']):4} {str(h['uv_runs']) + '/' + str(n['uv_runs']):8} "
            f"{h['uv_seconds']:5.1f}/{n['uv_seconds']:<5.1f} "
            f"{str(h['uv_stopped']) + '/' + str(n['uv_stopped']):8} "
            f"{r['wall'][0]:6.1f}/{r['wall'][1]:<6.1f} {str(r['rc'][0]) + '/' + str(r['rc'][1]):9} {r['class']}"
            + (f"  [{', '.join(r['diffs'])}]" if r["diffs"] else ""))
    return "\n".join(lines)


def lock_count(side: dict) -> int:
    """uv lock runs that resolved (not stopped, not --check)."""
    return sum(1 for r in side["runs"] if r["args"] == ["lock"] and not r.get("stopped"))


def clean(side: dict) -> bool:
    return not any(r["ok"] is False for r in side["runs"])


def summary(rows: list[dict]) -> str:
    out = []
    classes: dict[str, int] = {}
    for r in rows:
        classes[r["class"]] = classes.get(r["class"], 0) + 1
    out.append(f"projects: {len(rows)}; " + ", ".join(f"{k}: {v}" for k, v in sorted(classes.items())))
    given = [r for r in rows if r["hints"]["given"]]
    used = [r for r in given if r["hints"]["used"]]
    dropped = [r for r in given if not r["hints"]["used"]]
    out.append(f"hints given: {len(given)}; used: {len(used)}; dropped after a failed run: {len(dropped)}")
    # a hint is checkable against the run without hints only when that run's first resolution (with
    # the fixes known before uv, as the hint assumes) succeeded; else its lock came another way
    plain = [r for r in given if clean(r["no_hints"])]
    checks = [c for r in plain for c in r.get("hint_check", [])]
    wrong = [(r["project"], c) for r in plain for c in r.get("hint_check", []) if not c["agrees"]]
    out.append(f"hints checkable against uv's own choice (no failed run without hints): {len(checks)} in "
               f"{len(plain)} projects; agree: {len(checks) - len(wrong)}"
               + "".join(f"\n  DIFFERS {p}: {c['hint']} (uv chose {c['uv_chose']})" for p, c in wrong))
    unrelated = [r["project"] for r in dropped if not clean(r["no_hints"])]
    out.append(f"hints dropped where the run without hints failed as well (a failure not the hints'): "
               f"{len(unrelated)} {unrelated}; extra uv lock runs there: "
               f"{sum(lock_count(r['hints']) - lock_count(r['no_hints']) for r in dropped if r['project'] in unrelated)}")
    failed = [r["project"] for r in rows if r["rc"] != [0, 0]]
    out.append(f"projects failing (either side): {len(failed)}; both sides: "
               f"{sum(1 for r in rows if r['rc'][0] != 0 and r['rc'][1] != 0)}")
    bad = [r["project"] for r in rows if r["project"].startswith("pipenv/") and r["hints"]["given"]]
    out.append(f"pipenv projects given a hint: {len(bad)} {bad if bad else ''}".rstrip())
    if given:
        saved = [r["wall"][1] - r["wall"][0] for r in given]
        uv_saved = [r["no_hints"]["uv_seconds"] - r["hints"]["uv_seconds"] for r in given]
        ratio = [r["wall"][0] / r["wall"][1] for r in given if r["wall"][1]]
        for label, group in (("used", used), ("dropped", dropped)):
            if group:
                out.append(f"  hints {label} ({len(group)}): median wall saved "
                           f"{statistics.median(r['wall'][1] - r['wall'][0] for r in group):.2f} s, median uv "
                           f"seconds saved {statistics.median(r['no_hints']['uv_seconds'] - r['hints']['uv_seconds'] for r in group):.2f} s, "
                           f"uv lock runs {sum(lock_count(r['hints']) for r in group)} vs "
                           f"{sum(lock_count(r['no_hints']) for r in group)}")
        out.append(f"with hints given: median wall saved {statistics.median(saved):.2f} s "
                   f"(median ratio hints/no-hints {statistics.median(ratio):.2f}); median uv seconds saved "
                   f"{statistics.median(uv_saved):.2f} s; uv runs {sum(r['hints']['uv_runs'] for r in given)} "
                   f"vs {sum(r['no_hints']['uv_runs'] for r in given)}")
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kind", action="append", choices=("poetry", "pipenv"),
                    help="corpus folders to use (default both)")
    ap.add_argument("--only", action="append", default=[], help="substring of the project name (repeatable)")
    ap.add_argument("--with-files", action="store_true", help="only Poetry projects whose lock lists files")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "compare_hints.json")
    ap.add_argument("--keep", type=Path, default=None,
                    help="folder to keep both sides' files and reports of every project that differs")
    ap.add_argument("--trace", type=Path, default=None,
                    help="folder to keep every uv run's command, pyproject.toml and stderr in (per project, side)")
    ap.add_argument("--resume", action="store_true", help="skip projects already in --out")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per migrate run")
    ap.add_argument("--fresh", action="store_true", help="forget the rows already in --out")
    ap.add_argument("--report", action="store_true", help="print the table from --out, run nothing")
    args = ap.parse_args(argv)

    rows: list[dict] = []
    if args.out.is_file() and not args.fresh:  # rows of other projects are kept; --resume skips done ones
        rows = json.loads(args.out.read_text())["projects"]
        for r in rows:  # rows written before the class existed; the lock's shape read again
            r["lock_lists_files"] = lock_lists_files(CORPUS / r["project"])
            if r["class"] == "same" and r["rc"][0] != 0:
                r["class"] = "same-failure"
    if args.report:
        print(table(rows))
        print(summary(rows))
        return 0

    todo = projects(args.kind or ["poetry", "pipenv"])
    if args.only:
        todo = [t for t in todo if any(s in t[0] for s in args.only)]
    if args.with_files:
        todo = [t for t in todo if lock_lists_files(t[1])]
    # the projects hints can apply to first
    todo.sort(key=lambda t: (not lock_lists_files(t[1]), t[0].startswith("pipenv/"), t[0]))
    done = {r["project"] for r in rows} if args.resume else set()
    for i, (name, src) in enumerate(todo):
        if name in done:
            continue
        row = compare(name, src, first_hints=(len(rows) % 2 == 0), timeout=args.timeout, keep=args.keep,
                      trace=args.trace)
        rows = [r for r in rows if r["project"] != name] + [row]
        args.out.write_text(json.dumps({"projects": rows}, indent=1) + "\n")
        h = row["hints"]
        print(f"[{i + 1}/{len(todo)}] {name}: {row['class']} given={len(h['given'])} used={len(h['used'])} "
              f"wall {row['wall'][0]:.1f}/{row['wall'][1]:.1f}s rc {row['rc']}"
              + (f" diffs={row['diffs']}" if row["diffs"] else ""), flush=True)
    print(table(rows))
    print(summary(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
