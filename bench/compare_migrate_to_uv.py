"""Conversion quality against the peer: uv-migrate vs ``migrate-to-uv`` on the same corpus copies.

For every Poetry project of ../shared/corpus both tools convert a fresh copy (no lock). Then, for every
dependency of the original, the oracle is poetry-core itself: on a version grid built around the numbers in
the constraint (bounds, their neighbours, pre-, post- and dev-releases) the converted PEP 440 specifier must
admit exactly what ``poetry.core`` admits. Also counted: dependencies lost, results that fail
validate-pyproject, and runs that crashed or refused.

    uv run python bench/compare_migrate_to_uv.py [--limit N]
"""

from __future__ import annotations

import argparse
import itertools
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import Counter
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"


def grid(text: str) -> list[str]:
    nums = {tuple(int(x) for x in m.split(".")) for m in re.findall(r"\d+(?:\.\d+)*", text)}
    out: set[str] = {"0", "0.0.1", "1.0", "100.0"}
    for parts in nums:
        parts = parts[:4]
        for n in range(1, len(parts) + 2):
            base = list(parts[:n]) + [0] * max(0, n - len(parts))
            for i in range(len(base)):
                for d in (-1, 0, 1):
                    v = list(base)
                    v[i] = max(0, v[i] + d)
                    s = ".".join(map(str, v))
                    out.update({s, s + "a1", s + "rc1", s + ".dev0", s + ".post1"})
    return sorted(out, key=Version)


def poetry_allows(constraint: str):
    from poetry.core.constraints.version import Version as PV
    from poetry.core.constraints.version import parse_constraint

    c = parse_constraint(constraint)
    return lambda v: c.allows(PV.parse(v))


def orphan_optionals(data: dict) -> set[str]:
    """Optional main dependencies listed in no extra: Poetry never installs them."""
    poetry = data["tool"]["poetry"]
    in_extras = {canonicalize_name(re.split(r"[\[ ]", n)[0]) for names in poetry.get("extras", {}).values()
                 for n in names}
    in_extras |= {canonicalize_name(Requirement(r).name) for reqs in
                  data.get("project", {}).get("optional-dependencies", {}).values() for r in reqs}
    return {canonicalize_name(n) for n, spec in poetry.get("dependencies", {}).items()
            if isinstance(spec, dict) and spec.get("optional") and canonicalize_name(n) not in in_extras}


def collect_original(data: dict) -> dict[str, str]:
    """canonical name -> the Poetry constraint string, for single-entry dependencies with a version."""
    poetry = data["tool"]["poetry"]
    orphans = orphan_optionals(data)
    tables = [poetry.get("dependencies", {}), poetry.get("dev-dependencies", {})]
    tables += [g.get("dependencies", {}) for g in poetry.get("group", {}).values()]
    out: dict[str, str] = {}
    for table in tables:
        for name, spec in table.items():
            if name == "python" or canonicalize_name(name) in orphans:
                continue
            if isinstance(spec, dict) and not any(k in spec for k in ("git", "path", "url")):
                spec = spec.get("version", "*")
            if isinstance(spec, str):
                out.setdefault(canonicalize_name(name), spec)
    return out


def collect_result(data: dict) -> dict[str, list[str]]:
    reqs = list(data.get("project", {}).get("dependencies", []))
    for extra in data.get("project", {}).get("optional-dependencies", {}).values():
        reqs += extra
    for group in data.get("dependency-groups", {}).values():
        reqs += [r for r in group if isinstance(r, str)]
    out: dict[str, list[str]] = {}
    lock_only: dict[str, str] = {}
    for r in data.get("tool", {}).get("uv", {}).get("constraint-dependencies", []):
        req = Requirement(r)
        lock_only[canonicalize_name(req.name)] = str(req.specifier)
    for r in reqs:
        try:
            req = Requirement(r)
        except InvalidRequirement:
            out.setdefault("<invalid>", []).append(r)
            continue
        name = canonicalize_name(req.name)
        spec = ",".join(s for s in (str(req.specifier), lock_only.get(name, "")) if s)
        out.setdefault(name, []).append(spec)
    return out


def run_ours(path: Path) -> tuple[bool, float]:
    from migrate.pipeline import RunOptions, run

    start = time.perf_counter()
    result = run(path, RunOptions(lock=False, codemods=False, allow_dirty=True))
    return result.exit_code == 0, time.perf_counter() - start


def run_peer(path: Path) -> tuple[bool, float]:
    exe = shutil.which("migrate-to-uv") or str(Path(sys.executable).parent / "migrate-to-uv")
    start = time.perf_counter()
    proc = subprocess.run([exe, "--skip-lock", "--skip-uv-checks", str(path)], capture_output=True, text=True)
    return proc.returncode == 0, time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=0)
    args = ap.parse_args()
    if not CORPUS.is_dir():
        print("no corpus at", CORPUS)
        return 0
    from validate_pyproject.api import Validator

    validate = Validator()
    projects = [p.parent for p in sorted(CORPUS.glob("poetry/*/pyproject.toml"))]
    if args.limit:
        projects = projects[: args.limit]
    stats = {tool: Counter() for tool in ("uv-migrate", "migrate-to-uv")}
    examples: dict[str, list[str]] = {tool: [] for tool in stats}
    for src in projects:
        original = tomllib.loads((src / "pyproject.toml").read_text(encoding="utf-8"))
        truth = collect_original(original)
        for tool, runner in (("uv-migrate", run_ours), ("migrate-to-uv", run_peer)):
            s = stats[tool]
            with tempfile.TemporaryDirectory() as tmp:
                dst = Path(tmp) / src.name
                shutil.copytree(src, dst)
                ok, seconds = runner(dst)
                s["seconds_x1000"] += int(seconds * 1000)
                s["projects"] += 1
                if not ok:
                    s["refused_or_crashed"] += 1
                    continue
                try:
                    data = tomllib.loads((dst / "pyproject.toml").read_text(encoding="utf-8"))
                except tomllib.TOMLDecodeError:
                    s["invalid_toml"] += 1
                    continue
            try:
                validate(data)
            except Exception:
                s["invalid_pyproject"] += 1
            result = collect_result(data)
            s["invalid_requirements"] += len(result.get("<invalid>", []))
            required = {canonicalize_name(Requirement(r).name) for r in data.get("project", {}).get("dependencies", [])
                        if not Requirement(r).marker or "extra" not in str(Requirement(r).marker)}
            for name in orphan_optionals(original) & required:
                s["optional_made_required"] += 1
                if len(examples[tool]) < 8:
                    examples[tool].append(f"{src.name}: optional {name} (in no extra) made a required dependency")
            for name, constraint in truth.items():
                s["dependencies"] += 1
                if name not in result:
                    s["lost"] += 1
                    if len(examples[tool]) < 8:
                        examples[tool].append(f"{src.name}: {name} {constraint!r} lost")
                    continue
                try:
                    allows = poetry_allows(constraint)
                except Exception:
                    continue
                specs = result[name]
                if len(specs) != 1:
                    continue
                spec = SpecifierSet(specs[0])
                s["checked"] += 1
                wrong = [v for v in grid(constraint) if spec.contains(v, prereleases=True) != allows(v)]
                if wrong:
                    s["semantics_differ"] += 1
                    if len(examples[tool]) < 8:
                        examples[tool].append(f"{src.name}: {name} {constraint!r} -> {specs[0]!r} (e.g. {wrong[0]})")
    keys = ["projects", "refused_or_crashed", "invalid_toml", "invalid_pyproject", "invalid_requirements",
            "dependencies", "lost", "optional_made_required", "checked", "semantics_differ"]
    print(f"{'':24}" + "".join(f"{t:>16}" for t in stats))
    for k in keys:
        print(f"{k:24}" + "".join(f"{stats[t][k]:>16}" for t in stats))
    secs = {t: stats[t]["seconds_x1000"] / 1000 for t in stats}
    print(f"{'seconds':24}" + "".join(f"{secs[t]:>16.2f}" for t in stats))
    for tool, ex in examples.items():
        if ex:
            print(f"\n{tool}: dependencies lost or whose meaning changed (first {len(ex)}):")
            for line in ex:
                print("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
