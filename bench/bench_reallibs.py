"""`migrate check` on the sources of real libraries: findings per rule and speed.

    uv run python bench/bench_reallibs.py [--libs requests,pyparsing] [--sample N] [--json OUT]

Downloads the sdists of the pinned libraries below from PyPI with pip (``pip download --no-deps
--no-binary NAME``) into ``~/.cache/uv-migrate/reallibs/`` (nothing is committed; a second run uses the
cache), unpacks them, and runs ``migrate check --format json`` over each library's package folder (not
its tests or docs: the code users import). Prints, per library, files, lines, lines/s and findings per
rule, then the totals; ``--sample N`` also prints N findings per rule (seeded, stable) with their source
line, for triage by hand (README, "Measured on real code"). Severity ``info`` findings (equal-value
memoisation) are counted apart from warnings.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tarfile
import time
import zipfile
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("MIGRATE_REALLIBS_CACHE", Path.home() / ".cache" / "uv-migrate" / "reallibs"))

#: name==version, and the package folder(s) inside the sdist that hold the importable code
LIBS: dict[str, tuple[str, list[str]]] = {
    "requests": ("2.32.3", ["src/requests"]),
    "urllib3": ("2.2.3", ["src/urllib3"]),
    "jinja2": ("3.1.4", ["src/jinja2"]),
    "werkzeug": ("3.0.6", ["src/werkzeug"]),
    "flask": ("3.0.3", ["src/flask"]),
    "click": ("8.1.7", ["src/click"]),
    "attrs": ("24.2.0", ["src/attr", "src/attrs"]),
    "tornado": ("6.4.1", ["tornado"]),
    "pygments": ("2.18.0", ["pygments"]),
    "pyparsing": ("3.1.4", ["pyparsing"]),
    "pytz": ("2024.2", ["pytz"]),
    "kombu": ("5.4.2", ["kombu"]),
    "sentry-sdk": ("2.17.0", ["sentry_sdk"]),
    "cachetools": ("5.5.0", ["src/cachetools"]),
    "django": ("5.1.2", ["django"]),
}


def _pip() -> list[str]:
    """pip of this interpreter, else of the ``python3`` on PATH (a uv venv has no pip)."""
    import importlib.util
    import shutil

    if importlib.util.find_spec("pip"):
        return [sys.executable, "-m", "pip"]
    return [shutil.which("python3") or "python3", "-m", "pip"]


def fetch(name: str, version: str) -> Path:
    """The unpacked sdist folder of ``name==version`` (downloaded once)."""
    dl = CACHE / "sdists"
    dl.mkdir(parents=True, exist_ok=True)
    prefix = name.replace("-", "_").lower()
    found = [p for p in dl.iterdir() if p.name.lower().replace("-", "_").startswith(f"{prefix}_{version}.")]
    if not found:
        subprocess.run([*_pip(), "download", "--quiet", "--no-deps", "--no-binary", name,
                        "-d", str(dl), f"{name}=={version}"], check=True)
        found = [p for p in dl.iterdir() if p.name.lower().replace("-", "_").startswith(f"{prefix}_{version}.")]
    archive = found[0]
    out = CACHE / "src"
    out.mkdir(exist_ok=True)
    if archive.name.endswith(".zip"):
        with zipfile.ZipFile(archive) as z:
            top = z.namelist()[0].split("/")[0]
            if not (out / top).is_dir():
                z.extractall(out)
    else:
        with tarfile.open(archive) as t:
            top = t.getnames()[0].split("/")[0]
            if not (out / top).is_dir():
                t.extractall(out, filter="data") if sys.version_info >= (3, 12) else t.extractall(out)
    return out / top


def lines_of(paths: list[Path]) -> tuple[int, int]:
    files = lines = 0
    for root in paths:
        for p in root.rglob("*.py"):
            files += 1
            with open(p, "rb") as fh:
                lines += sum(1 for _ in fh)
    return files, lines


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--libs", default=",".join(LIBS))
    ap.add_argument("--sample", type=int, default=0, help="print N findings per rule (for triage)")
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--json", help="write every finding to this file")
    args = ap.parse_args()
    migrate = [sys.executable, "-m", "migrate"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)])}
    total: Counter[str] = Counter()
    fixable: Counter[str] = Counter()
    info: Counter[str] = Counter()
    everything = []
    all_lines = all_secs = 0.0
    print(f"{'library':<22} {'files':>6} {'lines':>8} {'secs':>6} {'lines/s':>9}  findings per rule")
    for name in args.libs.split(","):
        version, folders = LIBS[name]
        root = fetch(name, version)
        paths = [root / f for f in folders if (root / f).is_dir()]
        files, lines = lines_of(paths)
        t0 = time.perf_counter()
        proc = subprocess.run([*migrate, "check", *map(str, paths), "--format", "json"], capture_output=True,
                              text=True, env=env)
        secs = time.perf_counter() - t0
        if proc.returncode not in (0, 1):
            print(f"{name}: migrate check failed ({proc.returncode}): {proc.stderr[-500:]}", file=sys.stderr)
            continue
        found = json.loads(proc.stdout)
        per = Counter(f["code"] for f in found if f.get("severity", "warning") != "info")
        for f in found:
            f["library"] = f"{name}-{version}"
            (info if f.get("severity") == "info" else total)[f["code"]] += 1
            fixable[f["code"]] += f["fixable"]
        everything.extend(found)
        all_lines += lines
        all_secs += secs
        rules = " ".join(f"{c}:{n}" for c, n in sorted(per.items())) or "-"
        print(f"{name + '-' + version:<22} {files:>6} {lines:>8} {secs:>6.2f} {lines / secs:>9,.0f}  {rules}")
    print(f"{'total':<22} {'':>6} {int(all_lines):>8} {all_secs:>6.2f} {all_lines / all_secs:>9,.0f}")
    print("\nper rule: warnings (fixable) / info notes")
    for code in sorted(set(total) | set(info)):
        print(f"  {code}: {total[code]} ({fixable[code]}) / {info[code]}")
    if args.json:
        Path(args.json).write_text(json.dumps(everything, indent=1))
    if args.sample:
        rng = random.Random(args.seed)
        for code in sorted(set(total) | set(info)):
            group = [f for f in everything if f["code"] == code]
            pick = rng.sample(group, min(args.sample, len(group)))
            print(f"\n== {code}: {len(pick)} of {len(group)}")
            for f in sorted(pick, key=lambda f: (f["path"], f["line"])):
                text = Path(f["path"]).read_text(encoding="utf-8", errors="replace").splitlines()[f["line"] - 1]
                rel = Path(f["path"]).relative_to(CACHE / "src")
                mark = "[*]" if f["fixable"] else ("[i]" if f.get("severity") == "info" else "   ")
                print(f"  {mark} {rel}:{f['line']}: {text.strip()[:100]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
