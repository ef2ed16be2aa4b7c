"""lock/hints.py against the real uv, on generated cases (issue 10).

The claim that makes a hint safe (:mod:`migrate.lock.hints`): whenever :func:`moved_hints` gives a hint
``D==H; python_version == '3.13'``, uv's own choice for D on the target's Python WITHOUT the hint is H;
or, if not, uv cannot resolve WITH the hint (the lock stage then drops the hints and uv decides alone).

Each generated case is a small universe in a local wheel folder: a package F whose pinned version has
only GIL wheels and whose fix has cp313t wheels, a dependent D (3-7 versions, Requires-Dist on F that
vary: ``==``, ``>=``, ``<``, ranges, ``!=``, ``~=``, absent; markers on python_version, sys_platform,
platform_machine, extras; requirements on a pinned package U and on a free package G, sometimes a
version that does not exist; Requires-Python, pre-releases, sdist-only and wrong-tag versions). The hint
is computed as ``lock._hints`` computes it (an offline :class:`IndexClient` on the folder), then real
``uv lock --offline`` locks a minimal project whose ``constraint-dependencies`` are what the lock stage
writes (old pins of the moved names for ``python_version != '3.13'``, the others unconditional, the fix
for ``python_version == '3.13'``), without and with the hint. ``HINTS_ORACLE_SEED`` / ``_CASES`` change
the seed and the number of cases.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from migrate.lock.hints import blocked_by, candidates, moved_hints, plain_requirements
from migrate.lock.index import IndexClient
from migrate.lock.lock import _moved_with, _outside, pin_requirements, uv_bin
from migrate.model import Dependency, DependencySource, Pin
from wheelhouse import LINUX, build_sdist, build_wheel

TARGET = "3.13"
ON_TARGET = f"python_version == '{TARGET}'"
ELSEWHERE = f"python_version != '{TARGET}'"
GIL = [f"cp{v}-cp{v}-{LINUX}" for v in ("39", "310", "311", "312", "313", "314")]
FT = f"cp313-cp313t-{LINUX}"
SEED = int(os.environ.get("HINTS_ORACLE_SEED", "20261128"))
CASES = int(os.environ.get("HINTS_ORACLE_CASES", "120"))
#: cases per wheel folder (names are distinct per case; uv lists the whole folder on each run)
BATCH = 30

#: the target's Python on the common platforms (uv's choice must be H on each)
TARGET_ENVS = [
    {"python_version": TARGET, "python_full_version": f"{TARGET}.{micro}", "implementation_name": "cpython",
     "platform_python_implementation": "CPython", "sys_platform": plat, "os_name": os_name,
     "platform_system": system, "platform_machine": machine, "platform_release": "", "platform_version": "",
     "implementation_version": f"{TARGET}.{micro}", "extra": ""}
    for micro in ("0", "99")
    for plat, os_name, system, machine in (("linux", "posix", "Linux", "x86_64"), ("linux", "posix", "Linux", "aarch64"),
                                           ("win32", "nt", "Windows", "AMD64"), ("darwin", "posix", "Darwin", "arm64"))
]

MARKERS = ["python_version < '3.13'", "python_version >= '3.13'", "python_version == '3.13'",
           "sys_platform == 'win32'", "sys_platform == 'linux'", "platform_machine == 'aarch64'",
           "extra == 'x'", "python_version >= '3.14'", "implementation_name == 'pypy'",
           "python_full_version >= '3.13.1'", "python_version < '3.13' or extra == 'x'"]


@dataclass
class Case:
    n: int
    d: str
    f: str
    fix: str
    wheels: list = field(default_factory=list)  # (name, version, kind, requires, requires_python)
    deps: list = field(default_factory=list)
    pins: list = field(default_factory=list)
    requires_python: str = ">=3.10"
    #: a second package that gives way (it requires F too), whose newer versions may require D
    k: str = ""

    def describe(self) -> str:
        lines = [f"case {self.n}: requires-python {self.requires_python!r}, dependencies "
                 f"{[d.requirement() for d in self.deps]}, fix {self.fix!r}",
                 "  pins " + ", ".join(f"{p.name}=={p.version} (requires {list(p.requires)})" for p in self.pins)]
        lines += [f"  {name} {version} [{kind}] requires {reqs}" + (f" Requires-Python {rp}" if rp else "")
                  for name, version, kind, reqs, rp in self.wheels if reqs or rp or kind != "any"]
        return "\n".join(lines)


class _Project:
    """What :func:`plain_requirements` reads of a project."""

    def __init__(self, deps) -> None:
        self.deps = deps

    def all_dependencies(self):
        return list(self.deps)


def _spec(rng: random.Random, versions: list[str], admit: str | None = None, missing: bool = False) -> str:
    """A random version range on a package with ``versions`` (one that admits ``admit``, if given)."""
    while True:
        a, b = sorted(rng.sample(versions, 2), key=Version) if len(versions) > 1 else (versions[0],) * 2
        v = rng.choice(versions)
        spec = rng.choice([f"=={v}", f"=={v}", f">={v}", f"<{v}", f">={a},<{b}", f"!={v}", f"~={v}", "",
                           f"<={v}", f">{v}"] + ([">=9.0", "==0.1"] if missing else []))
        if admit is None or SpecifierSet(spec).contains(admit, prereleases=True):
            return spec


def _req(rng: random.Random, name: str, spec: str, marker_p: float) -> str:
    text = f"{name}{spec}"
    return f"{text}; {rng.choice(MARKERS)}" if rng.random() < marker_p else text


def generate(rng: random.Random, n: int) -> Case:
    p = f"c{n}"
    F, D, U, G = f"{p}-f", f"{p}-d", f"{p}-u", f"{p}-g"
    fvers = ["1.0", "1.1", "1.2", "2.0", "2.1"][: rng.randint(3, 5)]
    pf, xf = rng.sample(fvers, 2)
    uvers, gvers = ["1.0", "1.5", "2.0"], ["1.0", "2.0", "3.0"]
    pu = rng.choice(uvers)
    case = Case(n, D, F, f"{F}=={xf}", requires_python=rng.choice([">=3.10", ">=3.9", ">=3.11", ">=3.10,<3.14"]))
    for v in fvers:
        ft = v == xf or (v != pf and rng.random() < 0.3)
        case.wheels.append((F, v, "ft" if ft else "gil", [], None))
    for v in uvers:
        case.wheels.append((U, v, "any", [], None))
    for v in gvers:
        case.wheels.append((G, v, "any", [], None))
    dvers = sorted(rng.sample(["0.8", "0.9", "1.0", "1.1", "1.2", "1.3", "2.0", "2.1"], rng.randint(3, 7)), key=Version)
    pd = rng.choice(dvers)
    if rng.random() < 0.2:
        dvers.append(rng.choice(["3.0rc1", "1.4a1", "2.2.dev1"]))
    pg = None
    pd_reqs: list[str] = []
    for v in dvers:
        pinned = v == pd
        reqs: list[str] = []
        if pinned or rng.random() < 0.85:  # the old version requires F (that is why it gives way)
            spec = f"=={pf}" if not pinned and rng.random() < 0.3 else _spec(rng, fvers, admit=pf if pinned else None)
            reqs.append(_req(rng, F, spec, 0.0 if pinned else 0.35))
            if not pinned and rng.random() < 0.2:  # a second requirement on F, under a marker
                reqs.append(f"{F}{_spec(rng, fvers)}; {rng.choice(MARKERS)}")
        if rng.random() < 0.5:
            reqs.append(_req(rng, U, _spec(rng, uvers, admit=pu if pinned else None), 0.0 if pinned else 0.3))
        if rng.random() < 0.4:
            if pinned:
                pg = rng.choice(gvers)
            spec = _spec(rng, gvers, admit=pg if pinned else None, missing=not pinned)
            reqs.append(_req(rng, G, spec, 0.0 if pinned else 0.3))
        if not pinned and rng.random() < 0.04:
            reqs.append(f"{p}-missing>=1.0")
        kind, rp = "any", None
        if not pinned:
            r = rng.random()
            kind = "sdist" if r < 0.04 else "cp310" if r < 0.09 else "any"
            if rng.random() < 0.2:
                rp = rng.choice([">=3.8", ">=3.11", "<3.13", ">=3.14", "!=3.13.*", ">=3.12"])
        case.wheels.append((D, v, kind, reqs, rp))
        if pinned:
            pd_reqs = reqs
    extras = ("x",) if rng.random() < 0.3 else ()
    dspec = _spec(rng, [v for v in dvers if not Version(v).is_prerelease], admit=pd)
    dspec = "" if dspec.startswith("==") else dspec  # the project itself pinning D leaves uv no choice
    marker = rng.choice(["python_version >= '3.9'", "sys_platform != 'emscripten'"]) if rng.random() < 0.04 else None
    case.deps = [Dependency(D, dspec, extras=extras, marker=marker), Dependency(U, "")]
    if rng.random() < 0.3:
        case.deps.append(Dependency(F, rng.choice(["", ">=1.0"])))
    requires = tuple(sorted({canonicalize_name(Requirement(r).name) for r in pd_reqs}))
    case.pins = [Pin(D, pd, requires=requires), Pin(F, pf), Pin(U, pu)]
    if pg is not None:
        case.pins.append(Pin(G, pg))
    if rng.random() < 0.3:  # a second package that gives way, whose other versions may require D
        K = case.k = f"{p}-k"
        pk = rng.choice(["1.0", "1.5", "2.0"])
        for v in ["1.0", "1.5", "2.0"]:
            reqs = [_req(rng, F, _spec(rng, fvers, admit=pf if v == pk else None), 0.0 if v == pk else 0.3)]
            if v != pk and rng.random() < 0.6:
                reqs.append(_req(rng, D, _spec(rng, [d for d in dvers if not Version(d).is_prerelease]), 0.3))
            case.wheels.append((K, v, "any", reqs, None))
        case.deps.append(Dependency(K, ""))
        case.pins.append(Pin(K, pk, requires=(canonicalize_name(F),)))
    if rng.random() < 0.25:  # another locked package asks D[x], maybe on part of the platforms only
        E = f"{p}-e"
        case.wheels.append((E, "1.0", "any", [_req(rng, f"{D}[x]", "", 0.7)], None))
        case.deps.append(Dependency(E, "", marker=rng.choice([None, None, "python_version < '3.13'"])))
        case.pins[0] = Pin(D, pd, requires=requires, asked=("x",))
        case.pins.append(Pin(E, "1.0", requires=(canonicalize_name(D),)))
    return case


def build(folder: Path, case: Case) -> None:
    for name, version, kind, reqs, rp in case.wheels:
        if kind == "sdist":
            build_sdist(folder, name, version, reqs)
            continue
        tags = {"any": ["py3-none-any"], "cp310": ["cp310-cp310-" + LINUX], "gil": GIL, "ft": GIL + [FT]}[kind]
        for tag in tags:
            build_wheel(folder, name, version, tag, requires=reqs, requires_python=rp,
                        extras=["x"] if name == case.d else None)


def fixes_of(case: Case) -> list[dict]:
    pf = next(p.version for p in case.pins if p.name == case.f)
    return [{"name": case.f, "version": pf, "fix": case.fix, "status": "blocker"}]


def hints_of(case: Case, client) -> list[str]:
    """:func:`moved_hints` as ``lock._hints`` calls it."""
    fixes = fixes_of(case)
    moved = _moved_with(fixes, case.pins)
    asked: dict[str, set[str]] = {}
    for p in case.pins:
        asked.setdefault(canonicalize_name(p.name), set()).update(p.asked)
    for d in case.deps:
        asked.setdefault(canonicalize_name(d.name), set()).update(d.extras)
    return moved_hints(client, case.pins, fixes, moved, _outside(pin_requirements(case.pins), moved, "x"), TARGET,
                       ON_TARGET, plain_requirements(_Project(case.deps)), asked)


def constraints_of(case: Case) -> list[str]:
    """The ``constraint-dependencies`` the lock stage writes for the first resolution (no hints)."""
    fixes = fixes_of(case)
    moved = _moved_with(fixes, case.pins)
    return [f"{case.fix}; {ON_TARGET}"] + _outside(pin_requirements(case.pins), moved, ELSEWHERE)


class UvLock:
    def __init__(self, root: Path, folder: Path) -> None:
        self.root, self.folder, self.runs = root, folder, 0
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(root),
                    "UV_CACHE_DIR": str(root / "uv-cache"), "UV_NO_CONFIG": "1", "UV_PYTHON_DOWNLOADS": "never"}

    def __call__(self, case: Case, constraints: list[str]) -> dict | None:
        """uv.lock's data, or None when uv cannot resolve."""
        self.runs += 1
        proj = self.root / f"p{case.n}-{self.runs}"
        proj.mkdir()
        deps = [d.requirement() for d in case.deps]
        (proj / "pyproject.toml").write_text(
            f'[project]\nname = "case{case.n}"\nversion = "0"\nrequires-python = {json.dumps(case.requires_python)}\n'
            f"dependencies = {json.dumps(deps)}\n\n[tool.uv]\nconstraint-dependencies = {json.dumps(constraints)}\n")
        r = subprocess.run([uv_bin(), "lock", "--offline", "--no-index", "--find-links", str(self.folder)], cwd=proj,
                           capture_output=True, text=True, env=self.env, timeout=120)
        if r.returncode != 0:
            assert "No solution found" in r.stderr or "not satisfiable" in r.stderr or "unsatisfiable" in r.stderr, \
                r.stderr  # a failure to resolve, not a broken case
            return None
        return tomllib.loads((proj / "uv.lock").read_text())


def chosen(lock: dict, name: str) -> set[str]:
    """The versions of ``name`` uv.lock installs on the target's Python (any common platform)."""
    out = set()
    for pkg in lock.get("package", []):
        if canonicalize_name(pkg["name"]) != canonicalize_name(name):
            continue
        markers = pkg.get("resolution-markers")
        for env in TARGET_ENVS:
            if not markers or any(Marker(m).evaluate(env) for m in markers):
                out.add(pkg["version"])
    return out


def test_hints_match_uv_or_uv_refuses_them(tmp_path):
    rng = random.Random(SEED)
    cases = [generate(rng, n) for n in range(CASES)]
    stats = {"hinted": 0, "agree": 0, "refused": 0, "walked": 0, "no_hint": 0}
    violations = []
    for start in range(0, CASES, BATCH):
        folder = tmp_path / f"wheels{start}"
        folder.mkdir()
        batch = cases[start:start + BATCH]
        for case in batch:
            build(folder, case)
        client = IndexClient(find_links=[str(folder)], offline=True)
        uv = UvLock(tmp_path / f"runs{start}", folder)
        uv.root.mkdir()
        for case in batch:
            hints = hints_of(case, client)
            if not hints:
                stats["no_hint"] += 1
                continue
            hinted = {h.split(";")[0].split("==")[0]: h.split(";")[0].split("==")[1] for h in hints}
            assert all(h.endswith(f"; {ON_TARGET}") for h in hints) and set(hinted) <= {case.d, case.k}, hints
            stats["hinted"] += 1
            if case.d in hinted:
                newest = max(Version(v) for name, v, *_ in case.wheels if name == case.d
                             and not Version(v).is_prerelease and SpecifierSet(case.deps[0].specifier).contains(v))
                stats["walked"] += Version(hinted[case.d]) != newest
            base = constraints_of(case)
            without = uv(case, base)
            alone = {name: chosen(without, name) for name in hinted} if without is not None else None
            if alone is not None and all(alone[name] == {v} for name, v in hinted.items()):
                stats["agree"] += 1
                continue
            with_hint = uv(case, base + hints)
            if with_hint is None:
                stats["refused"] += 1
                continue
            violations.append(f"hints {hints}; uv alone chose {alone or 'nothing (no solution)'} and resolves "
                              f"with the hints:\n{case.describe()}")
    print(f"\nhints oracle (seed {SEED}, {CASES} cases): {stats}")
    assert not violations, f"{len(violations)} case(s) break the claim:\n" + "\n".join(violations[:8])
    # not vacuous: the walk gives a hint in a good share of the cases, uv agrees in most of them, and
    # the walk often passes over versions (the hint is not simply the newest version)
    assert stats["hinted"] >= CASES * 0.4, stats
    assert stats["agree"] >= stats["hinted"] * 0.6, stats
    assert stats["walked"] >= stats["hinted"] * 0.25, stats


# -- the cases the oracle found, minimal (each gave a hint that changed uv's choice before the fix) ------
def _case(n: int, d_versions: dict[str, list[str]], pinned_d: str, deps=None, extra_wheels=(), asked=()) -> Case:
    p = f"r{n}"
    c = Case(n, f"{p}-d", f"{p}-f", f"{p}-f==1.1")
    c.wheels = [(c.f, "1.0", "gil", [], None), (c.f, "1.1", "ft", [], None), (f"{p}-u", "1.0", "any", [], None)]
    c.wheels += [(c.d, v, "any", [r.replace("F", c.f) for r in reqs], None) for v, reqs in d_versions.items()]
    c.wheels += [(name.replace("P", p), v, "any", [r.replace("P", p) for r in reqs], None)
                 for name, v, reqs in extra_wheels]
    c.deps = [Dependency(c.d, "")] + [Dependency(name.replace("P", p), "", marker=marker) for name, marker in deps or []]
    c.pins = [Pin(c.d, pinned_d, requires=(c.f,), asked=tuple(asked)), Pin(c.f, "1.0")]
    c.pins += [Pin(name.replace("P", p), v, requires=(c.d,)) for name, v, _ in extra_wheels]
    return c


def _oracle(case: Case, tmp_path: Path, hint: str = "1.0") -> tuple[list[str], set[str], set[str] | None]:
    """(the hints, uv's choice for D on the target's Python without them, with them — None: no solution)."""
    folder = tmp_path / "wheels"
    folder.mkdir()
    build(folder, case)
    hints = hints_of(case, IndexClient(find_links=[str(folder)], offline=True))
    uv = UvLock(tmp_path / "runs", folder)
    uv.root.mkdir()
    without = uv(case, constraints_of(case))
    assert without is not None
    with_hint = uv(case, constraints_of(case) + [f"{case.d}=={hint}; {ON_TARGET}"])
    return hints, chosen(without, case.d), chosen(with_hint, case.d) if with_hint is not None else None


def test_requirement_on_one_platform_gives_no_hint(tmp_path):
    # 2.0 requires the old F on Linux only: uv keeps 2.0 on the other platforms of 3.13 and takes 1.0 on
    # Linux; a hint 1.0 (the walk used to pass over 2.0) would move every platform to 1.0
    case = _case(1, {"1.0": ["F"], "2.0": ["F==1.0; sys_platform == 'linux'"]}, "2.0")
    hints, alone, hinted = _oracle(case, tmp_path)
    assert alone == {"1.0", "2.0"} and hinted == {"1.0"}
    assert hints == []


def test_requirement_from_a_patch_release_gives_no_hint(tmp_path):
    case = _case(2, {"1.0": ["F"], "2.0": ["F==1.0; python_full_version >= '3.13.1'"]}, "2.0")
    hints, alone, hinted = _oracle(case, tmp_path)
    assert alone == {"1.0", "2.0"} and hinted == {"1.0"}
    assert hints == []


def test_requirement_of_an_extra_asked_where_the_asker_is_not_gives_no_hint(tmp_path):
    # e asks d[x], and 2.0[x] requires the old F; but e is only installed before 3.13, so on 3.13 uv keeps
    # d 2.0 (the old lock's ``asked`` cannot say where the extra is asked)
    case = _case(3, {"1.0": ["F"], "2.0": ["F==1.0; extra == 'x'"]}, "2.0",
                 deps=[("P-e", "python_version < '3.13'")], extra_wheels=[("P-e", "1.0", ["P-d[x]"])], asked=["x"])
    hints, alone, hinted = _oracle(case, tmp_path)
    assert alone == {"2.0"} and hinted == {"1.0"}
    assert hints == []


def test_requires_python_below_the_target_gives_no_hint(tmp_path):
    # uv takes 2.0 (Requires-Python <3.13) on 3.13 for a project that requires >=3.10: it checks the
    # project's lowest Python; the walk used to pass over such a version (read on an index's page)
    case = _case(5, {"0.9": ["F"], "1.0": ["F==1.0"], "2.0": ["F"]}, "1.0")
    case.wheels = [(n, v, k, r, "<3.13" if (n, v) == (case.d, "2.0") else rp) for n, v, k, r, rp in case.wheels]
    hints, alone, hinted = _oracle(case, tmp_path, hint="0.9")
    assert alone == {"2.0"} and hinted == {"0.9"}
    assert hints == []


def test_a_package_free_without_a_hint_that_requires_the_hinted_one_gives_no_hint(tmp_path):
    # k gives way too (it requires f) but gets no hint (the project's requirement on it has a marker);
    # uv decides k first: k 2.0 requires d<2.0, so d 1.5; a hint d==2.0 made uv take k 1.5 instead
    case = _case(6, {"1.0": ["F==1.0"], "1.5": ["F"], "2.0": ["F"]}, "1.0",
                 deps=[("P-k", "python_version >= '3.8'"), ("P-a", None)],
                 extra_wheels=[("P-a", "1.0", ["P-d"])])
    k = case.k = "r6-k"
    case.deps.insert(0, case.deps.pop(1))
    case.wheels += [(k, "1.0", "any", [f"{case.f}==1.0"], None), (k, "1.5", "any", [case.f], None),
                    (k, "2.0", "any", [case.f, f"{case.d}<2.0"], None)]
    case.deps = [d for d in case.deps if d.name != case.d]
    case.pins.append(Pin(k, "1.0", requires=(case.f,)))
    hints, alone, hinted = _oracle(case, tmp_path, hint="2.0")
    assert alone == {"1.5"} and hinted == {"2.0"}
    assert hints == []


def test_unconditional_requirement_gives_the_version_uv_takes(tmp_path):
    case = _case(4, {"0.9": ["F"], "1.0": ["F>=1.0", "F<2; sys_platform == 'linux'"], "2.0": ["F==1.0"],
                     "2.1": ["F==1.0; python_version >= '3.10'"]}, "2.0")
    hints, alone, hinted = _oracle(case, tmp_path)
    assert hints == [f"{case.d}==1.0; {ON_TARGET}"]
    assert alone == hinted == {"1.0"}


# -- units ------------------------------------------------------------------------------------------
def test_plain_requirements():
    deps = [Dependency("A", ">=1"), Dependency("a", "<3"), Dependency("b", "", marker="python_version < '3.12'"),
            Dependency("b", ">=1"), Dependency("c", ">=1"), Dependency("C", "", allow_prereleases=True),
            Dependency("d", "", source=DependencySource(path="../d")), Dependency("e", "", direct_url="file:///e.whl"),
            Dependency("f", ""), Dependency("g", ">=2", extras=("x",))]
    assert plain_requirements(_Project(deps)) == {"a": ">=1,<3", "b": None, "c": None, "d": None, "e": None,
                                                  "f": "", "g": ">=2"}


def test_candidates():
    pins = [Pin("pydantic", "2.13.4", requires=("pydantic-core",)), Pin("pydantic-core", "2.46.4"),
            Pin("Two", "1.0", marker="python_version < '3.12'", requires=("pydantic-core",)),
            Pin("two", "2.0", marker="python_version >= '3.12'", requires=("pydantic-core",)),
            Pin("outer", "1.0", requires=("pydantic-core", "inner")), Pin("inner", "1.0", requires=("pydantic-core",))]
    fixes = [{"name": "pydantic_core", "fix": "pydantic-core==2.41.4"}]
    moved = {"pydantic", "pydantic-core", "two", "outer", "inner"}
    # the fixed package is not uv's to choose; two versions pinned: no single walk; inner is required by
    # outer, which gives way too (uv could move either)
    assert [p.name for p in candidates(pins, fixes, moved)] == ["outer", "pydantic"]
    assert candidates(pins, fixes, {"pydantic-core"}) == []


@pytest.mark.parametrize("text, blocked", [
    ("[project]\nname = 'x'\n", False),
    ("[tool.uv]\nconstraint-dependencies = ['a==1']\n", False),
    ("[tool.uv]\nenvironments = [\"sys_platform == 'linux'\"]\n", True),
    ("[tool.uv]\nprerelease = 'allow'\n", True),
    ("[tool.uv]\nresolution = 'lowest'\n", True),
    ("[tool.uv]\nfork-strategy = 'fewest'\n", True),
    ("[tool.uv]\noverride-dependencies = ['a==1']\n", True),
    ("[tool]\nuv = 1\n", True),
    ("[tool.uv\n", True),
])
def test_blocked_by(text, blocked):
    assert blocked_by(text) is blocked


@pytest.mark.parametrize("marker, extras, holds", [
    ("python_version >= '3.13'", (), True),
    ("python_version == '3.13' and python_full_version >= '3.13.0'", (), True),
    ("python_version < '3.13'", (), False),
    ("python_version >= '3.14' or implementation_name == 'pypy' and python_version < '3.12'", (), False),
    ("sys_platform == 'linux'", (), None),
    ("sys_platform != 'emscripten'", (), None),
    ("sys_platform == 'linux' or sys_platform != 'linux'", (), True),
    ("platform_machine == 'aarch64' and platform_machine == 'x86_64'", (), False),
    ("implementation_name == 'cpython'", (), None),
    ("python_full_version >= '3.13.1'", (), None),
    ("python_full_version != '3.13.5'", (), None),
    ("python_full_version < '3.13.0'", (), False),
    ("platform_release >= '5'", (), None),
    ("extra == 'x'", (), False),
    ("extra == 'x'", ("x",), None),
    ("extra == 'x' or python_version >= '3.13'", ("x",), True),
    ("'linux' in sys_platform", (), None),
])
def test_holds(marker, extras, holds):
    from migrate.lock.hints import _holds

    assert _holds(Marker(marker), "3.13", frozenset(extras)) is holds


def test_passed_over():
    from migrate.lock.hints import _passed_over

    forced = {"f": Version("1.1"), "u": Version("2.0")}
    assert _passed_over(["f==1.0", "other"], forced, "3.13", frozenset()) is True
    assert _passed_over(["U<2; python_version >= '3.13'"], forced, "3.13", frozenset()) is True
    assert _passed_over(["f>=1.0", "u", "g==9", "f==1.0; python_version < '3.13'"], forced, "3.13", frozenset()) is False
    assert _passed_over(["f==1.0; sys_platform == 'win32'"], forced, "3.13", frozenset()) is None
    # one requirement that certainly holds decides, whatever an uncertain one says
    assert _passed_over(["f==1.0; sys_platform == 'win32'", "u>2"], forced, "3.13", frozenset()) is True
    assert _passed_over(["not a requirement ~~"], forced, "3.13", frozenset()) is False


@pytest.mark.parametrize("requires_python, limited", [
    (">=3.14", True), ("<3.13", True), ("!=3.13.*", True), (">=3.13.1", True), ("<3.13.5", True),
    (">=3.8", False), (None, False), (">=3.10,<4", False), ("!=3.12.*", False),
])
def test_python_limited(tmp_path, requires_python, limited):
    from migrate.lock.hints import _python_limited

    build_wheel(tmp_path, "pkg", "1.0", "py3-none-any")
    build_wheel(tmp_path, "pkg", "1.0", f"cp313-cp313-{LINUX}", requires_python=requires_python)
    build_wheel(tmp_path, "pkg", "2.0", "py3-none-any")
    client = IndexClient(find_links=[str(tmp_path)], offline=True)
    assert _python_limited(client, Pin("pkg", "2.0"), Version("1.0"), "3.13") is limited
    assert _python_limited(client, Pin("pkg", "2.0"), Version("2.0"), "3.13") is False
