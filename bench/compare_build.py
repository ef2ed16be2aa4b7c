"""Does the migrated repository still WORK and build the SAME package? Ours vs ``migrate-to-uv``.

For one real repository (a git checkout; its ``.git`` is kept so that versions computed from tags work) this
script makes three copies and runs, each on its own copy:

* ``reference`` — the old setup as its users build it: a PEP 517 build of the untouched checkout with its own
  ``[build-system]`` (``uv build --wheel``: poetry-core plus whatever else ``requires`` lists, such as
  poetry-dynamic-versioning; setuptools for a Pipenv project's ``setup.py``); with ``--poetry BIN`` also
  ``poetry build -f wheel`` (Poetry's own frontend, with the Poetry plugins installed beside it, e.g.
  poetry-dynamic-versioning: a plugin that only works inside Poetry gives a PEP 517 build ``0.0.0`` but the
  released wheels their tag's version), reported beside it and compared too;
* ``ours`` — ``migrate run --no-codemods --allow-dirty`` (with locking), then ``uv lock --check`` and
  ``uv build --wheel``;
* ``peer`` — ``migrate-to-uv`` (it locks with uv itself; ``--peer BIN``), then the same checks.

The wheels are compared on what decides whether it is the same package: name, version, Requires-Python,
Requires-Dist, Provides-Extra, entry points (console scripts, plugins), the list of files outside ``.dist-info`` and
their content (a version substituted into ``__version__`` at build time shows up there). Requirements compare by meaning, not by text: version specifiers on a grid of versions built
from the numbers they mention (``^1.2`` written as ``>=1.2,<2.0`` or ``>=1.2,<2`` is the same), markers by
their truth table (``tests/backends.py``), extras canonicalised.

    uv run python bench/compare_build.py CHECKOUT [--peer PATH/migrate-to-uv] [--poetry PATH/poetry]
        [--work DIR] [--json OUT.json] [--path-prepend DIR] [--build-python 3.12]

Exit 0 whatever the outcome; the result (and every difference) is printed and, with ``--json``, written.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

import backends  # noqa: E402
from backends import _PLATFORMS, _PYTHONS, wheel_facts  # noqa: E402
from packaging.requirements import InvalidRequirement, Requirement  # noqa: E402
from packaging.specifiers import SpecifierSet  # noqa: E402
from packaging.utils import canonicalize_name  # noqa: E402
from packaging.version import InvalidVersion, Version  # noqa: E402


def _uv() -> str:
    from uv import find_uv_bin

    return find_uv_bin()


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "VIRTUAL_ENV", "POETRY_"))}
    env["NO_COLOR"] = "1"
    if EXTRA_PATH:
        env["PATH"] = os.pathsep.join([*EXTRA_PATH, env.get("PATH", "")])
    return env


#: folders put first on PATH for every command (``--path-prepend``): e.g. one holding only ``python3.13t``,
#: so that a ``.python-version`` of ``3.13t`` finds the installed free-threaded interpreter
EXTRA_PATH: list[str] = []


def run(cmd, cwd=None, timeout=1800) -> tuple[int, str, float]:
    t0 = time.monotonic()
    try:
        proc = subprocess.run([str(c) for c in cmd], cwd=cwd, env=_env(), capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return 124, f"timeout after {timeout}s", time.monotonic() - t0
    return proc.returncode, (proc.stdout + proc.stderr), time.monotonic() - t0


def tail(text: str, n: int = 12) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return "\n".join(lines[-n:])


def copy_checkout(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest, symlinks=True,
                    ignore=shutil.ignore_patterns(".venv", "dist", "build", "*.egg-info", "__pycache__"))
    return dest


#: ``--build-python``: the interpreter every ``uv build`` uses, for a checkout whose ``.python-version`` names a
#: patch release not installed here (e.g. ``3.8.12``): the wheel of a pure package does not depend on it
BUILD_PYTHON: list[str] = []


def uv_build(project: Path, out: Path) -> tuple[Path | None, str]:
    rc, text, _ = run([_uv(), "build", "--wheel", *BUILD_PYTHON, "--out-dir", out, project])
    wheels = sorted(out.glob("*.whl"))
    return (wheels[0] if rc == 0 and wheels else None), text


# -- semantic requirement comparison --------------------------------------------------------------------

def _grid(texts) -> list[str]:
    nums = set()
    for text in texts:
        nums.update(re.findall(r"\d+(?:\.\d+)*", text))
    out = {"0", "0.0.1", "1.0", "100.0"}
    for m in nums:
        parts = [int(x) for x in m.split(".")][:4]
        for i in range(len(parts)):
            for d in (-1, 0, 1):
                v = list(parts)
                v[i] = max(0, v[i] + d)
                for tail_ in ("", "a1", "rc1", ".dev0", ".post1", ".1", ".0.1"):
                    out.add(".".join(map(str, v)) + tail_)
    good = []
    for v in out:
        try:
            Version(v)
            good.append(v)
        except InvalidVersion:
            pass
    return sorted(good, key=Version)


def _marker_table(marker) -> str:
    if marker is None:
        return "always"
    bits = []
    for v in _PYTHONS:
        for sys_platform, os_name, system in _PLATFORMS:
            for extra in ["", *EXTRAS]:
                env = {"python_version": ".".join(v.split(".")[:2]), "python_full_version": v,
                       "sys_platform": sys_platform, "os_name": os_name, "platform_system": system,
                       "platform_python_implementation": "CPython", "implementation_name": "cpython",
                       "extra": extra}
                bits.append("1" if marker.evaluate(env) else "0")
    return "".join(bits)


EXTRAS: list[str] = []


#: poetry-core writes a union constraint (``^3.2 || ^4.0``) as ``django (>=3.2,<4.0 || >=4.0,<5.0)``, which is not
#: PEP 508 (yorkshire: yunojuno/poetry-template's wheel): read as the union of its alternatives
_POETRY_UNION = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?P<extras>\[[^\]]*\])?\s*\((?P<spec>[^)]*\|\|[^)]*)\)"
                           r"(?P<rest>.*)$")


def _parse(text: str) -> tuple[Requirement, list[SpecifierSet]]:
    """A requirement and the specifier sets it admits (one, or one per ``||`` alternative)."""
    m = _POETRY_UNION.match(text.strip())
    if m:
        req = Requirement(m.group("name") + (m.group("extras") or "") + m.group("rest"))
        return req, [SpecifierSet(alt.strip()) for alt in m.group("spec").split("||")]
    req = Requirement(text)
    return req, [req.specifier]


_strict_requirement = backends._requirement


def _tolerant_requirement(text: str) -> str:
    try:
        return _strict_requirement(text)
    except InvalidRequirement:
        return text  # compared by meaning in requirement_sets, not here


backends._requirement = _tolerant_requirement


def requirement_sets(a: list[str], b: list[str]) -> tuple[list[str], list[str]]:
    """Requirements only in ``a`` and only in ``b``, compared by meaning."""
    parsed = {t: _parse(t) for t in a + b}
    grid = _grid(str(spec) for _, specs in parsed.values() for spec in specs)
    # a union's meaning for pre-releases at its seams (4.0a1 between "<4.0" and ">=4.0") is not PEP 440's (it
    # is not PEP 508 at all): where one is compared, releases only
    union = {canonicalize_name(r.name) for r, specs in parsed.values() if len(specs) > 1}

    def key(t: str):
        r, specs = parsed[t]
        pre = canonicalize_name(r.name) not in union
        versions = grid if pre else [v for v in grid if not Version(v).is_prerelease]
        admitted = "".join("1" if any(sp.contains(v, prereleases=pre) for sp in specs) else "0" for v in versions) \
            if any(str(sp) for sp in specs) else "any"
        url = r.url or ""
        return (canonicalize_name(r.name), tuple(sorted(canonicalize_name(e) for e in r.extras)), url,
                admitted, _marker_table(r.marker))

    def merged(texts):
        """requirement without its marker -> where it applies (the union of its lines' truth tables): one
        line ``x; extra == "a" or extra == "b"`` is the same as two lines, one per extra."""
        out: dict = {}
        lines: dict = {}
        for t in texts:
            *k, table = key(t)
            k = tuple(k)
            old = out.get(k)
            out[k] = table if old is None else _union(old, table)
            lines.setdefault(k, []).append(t)
        return out, lines

    ma, la = merged(a)
    mb, lb = merged(b)
    only_a = sorted(t for k in ma if mb.get(k) != ma[k] for t in la[k])
    only_b = sorted(t for k in mb if ma.get(k) != mb[k] for t in lb[k])
    return only_a, only_b


def _union(x: str, y: str) -> str:
    if "always" in (x, y):
        return "always"
    return "".join("1" if "1" in (p, q) else "0" for p, q in zip(x, y))


def raw_requires(wheel: Path) -> list[str]:
    import zipfile
    from email.parser import Parser

    with zipfile.ZipFile(wheel) as zf:
        info = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        meta = Parser().parsestr(zf.read(info).decode())
    return meta.get_all("Requires-Dist") or []


def compare(ref: Path, other: Path) -> list[str]:
    """Every difference that makes ``other`` a different package than ``ref`` (empty: the same)."""
    fa, fb = wheel_facts(ref), wheel_facts(other)
    EXTRAS[:] = sorted(set(fa["provides-extra"]) | set(fb["provides-extra"]))
    diffs = []
    for field in ("name", "version", "requires-python", "provides-extra"):
        if fa[field] != fb[field]:
            diffs.append(f"{field}: {fa[field]!r} -> {fb[field]!r}")
    lost, gained = requirement_sets(raw_requires(ref), raw_requires(other))
    for t in lost:
        diffs.append(f"Requires-Dist lost/changed: {t}")
    for t in gained:
        diffs.append(f"Requires-Dist new/changed: {t}")
    if fa["entry-points"] != fb["entry-points"]:
        for group in sorted(set(fa["entry-points"]) | set(fb["entry-points"])):
            ea, eb = fa["entry-points"].get(group, {}), fb["entry-points"].get(group, {})
            if ea != eb:
                diffs.append(f"entry points [{group}]: {ea} -> {eb}")
    files_a, files_b = set(fa["files"]), set(fb["files"])
    if files_a != files_b:
        lost_f, new_f = sorted(files_a - files_b), sorted(files_b - files_a)
        if lost_f:
            diffs.append(f"files lost ({len(lost_f)}): {', '.join(lost_f[:8])}{' …' if len(lost_f) > 8 else ''}")
        if new_f:
            diffs.append(f"files new ({len(new_f)}): {', '.join(new_f[:8])}{' …' if len(new_f) > 8 else ''}")
    changed = sorted(n for n in files_a & files_b if _content(ref, n) != _content(other, n))
    if changed:
        diffs.append(f"file content differs ({len(changed)}): {', '.join(changed[:8])}"
                     f"{' …' if len(changed) > 8 else ''}")
    return diffs


def _content(wheel: Path, name: str) -> bytes:
    """A file of the wheel; text with line endings normalised (a build may write ``\r\n`` differently)."""
    import zipfile

    with zipfile.ZipFile(wheel) as zf:
        data = zf.read(name)
    return data.replace(b"\r\n", b"\n")


# -- one tool's result ------------------------------------------------------------------------------------

def tool_result(name: str, migrate_cmd: list, checkout: Path, work: Path, ref: Path | None,
                poetry_wheel: Path | None = None) -> dict:
    root = copy_checkout(checkout, work / name / checkout.name)  # the folder name may name the project
    res: dict = {"tool": name}
    rc, text, secs = run([*migrate_cmd, root], cwd=root)
    res["migrate_rc"], res["migrate_s"] = rc, round(secs, 1)
    if rc != 0:
        res["migrate_error"] = tail(text)
    lock = root / "uv.lock"
    res["locked"] = lock.is_file()
    if lock.is_file():
        rc, text, _ = run([_uv(), "lock", "--check", "--directory", root])
        res["lock_check"] = rc == 0
        if rc != 0:
            res["lock_check_error"] = tail(text, 6)
        res["packages"] = lock.read_text().count("[[package]]")
    else:
        rc, text, _ = run([_uv(), "lock", "--directory", root])
        res["bare_uv_lock"] = rc == 0
        if rc != 0:
            res["bare_uv_lock_error"] = tail(text, 6)
    wheel, text = uv_build(root, work / f"{name}-dist")
    res["built"] = wheel is not None
    if wheel is None:
        res["build_error"] = tail(text)
    elif ref is not None:
        res["wheel"] = wheel.name
        res["diffs"] = compare(ref, wheel)
        res["same_package"] = not res["diffs"]
        if poetry_wheel is not None:  # `poetry build` (with the plugins the user installed) may differ
            res["diffs_vs_poetry_build"] = compare(poetry_wheel, wheel)
            res["same_as_poetry_build"] = not res["diffs_vs_poetry_build"]
    return res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("checkout", type=Path)
    ap.add_argument("--peer", help="migrate-to-uv executable")
    ap.add_argument("--poetry", help="poetry executable: also build the reference with `poetry build`")
    ap.add_argument("--work", type=Path)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--skip-ours", action="store_true")
    ap.add_argument("--path-prepend", action="append", default=[],
                    help="folder put first on PATH (e.g. one with a python3.13t link); repeatable")
    ap.add_argument("--build-python", help="interpreter for every `uv build` (passed as --python)")
    args = ap.parse_args()
    BUILD_PYTHON[:] = ["--python", args.build_python] if args.build_python else []
    EXTRA_PATH[:] = [str(Path(p).resolve()) for p in args.path_prepend]
    checkout = args.checkout.resolve()
    work = args.work or Path(tempfile.mkdtemp(prefix="compare-build-"))
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    commit = subprocess.run(["git", "-C", checkout, "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    out: dict = {"repository": str(checkout), "commit": commit}

    ref_root = copy_checkout(checkout, work / "reference" / checkout.name)
    ref, text = uv_build(ref_root, work / "reference-dist")
    out["reference_built"] = ref is not None
    if ref is None:
        out["reference_error"] = tail(text)
    else:
        out["reference_wheel"] = ref.name
        facts = wheel_facts(ref)
        out["reference_facts"] = {"files": len(facts["files"]), "requires-dist": len(facts["requires-dist"]),
                                  "extras": facts["provides-extra"],
                                  "entry-point groups": sorted(facts["entry-points"])}
    poetry_wheel = None
    if args.poetry and ref is not None and "[tool.poetry" in (checkout / "pyproject.toml").read_text() \
            if (checkout / "pyproject.toml").is_file() else False:
        proot = copy_checkout(checkout, work / "poetry-build" / checkout.name)
        rc, text, _ = run([args.poetry, "build", "-f", "wheel", "--no-interaction", "-o", work / "poetry-dist"],
                          cwd=proot)
        wheels = sorted((work / "poetry-dist").glob("*.whl"))
        if rc == 0 and wheels:
            poetry_wheel = wheels[0]
            out["poetry_wheel"] = poetry_wheel.name
            out["poetry_build_vs_reference"] = compare(ref, poetry_wheel)
        else:
            out["poetry_build_error"] = tail(text, 6)

    if not args.skip_ours:
        ours = [sys.executable, "-m", "migrate", "run", "--no-codemods", "--allow-dirty"]
        out["ours"] = tool_result("ours", ours, checkout, work, ref, poetry_wheel)
    if args.peer:
        out["peer"] = tool_result("peer", [args.peer], checkout, work, ref, poetry_wheel)

    print(json.dumps(out, indent=2))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
