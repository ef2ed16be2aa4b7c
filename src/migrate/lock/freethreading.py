"""Free-threading readiness of locked dependencies, from wheel file names.

A leaf module: it knows wheels, indexes and interpreter tags, nothing of projects or commands.

For every locked package version: ``pure`` (a ``py3-none-any``-style wheel that every CPython of the
target can install), ``ft-wheels`` (a wheel the target interpreter can install on some platform: its own
ABI such as ``cp313t``, or an ABI-independent platform wheel like ``py3-none-manylinux…``), ``sdist-only``
(builds from source), or ``blocker`` (wheels, none installable on the target). Compatibility is
``packaging.tags``' tag set for the target interpreter on each wheel's platform: ``cp311-none-win32``,
``pp36-none-any`` and abi3 wheels (the free-threaded build cannot load the limited API) do not count,
nor, for a free-threaded target, ``cp313-none-<platform>`` wheels (native GIL builds that only lack
their ABI tag, as orjson 3.10.6 ships them).

For a blocker (or an sdist-only pin) :func:`search_fix` asks the package's index (PEP 691 JSON or PEP 503
HTML, or a ``--find-links`` folder) for the NEAREST version at or above the pinned one that the project's
own requirements admit and that has target wheels (least change, like keeping pins); only when none does,
the nearest older one (a downgrade). When the project's requirement is what excludes every such version,
it names the first version that would work.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from packaging.tags import Tag, compatible_tags, cpython_tags, parse_tag
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from migrate.diagnostics import Diagnostic
from migrate.lock.index import IndexClient, IndexUnavailable, name_of, version_of  # noqa: F401 (re-exported)

STATUSES = ("pure", "ft-wheels", "sdist-only", "blocker", "upgraded", "downgraded", "unknown", "not-on-target")
#: statuses that say something is wrong on the target (and become ``not-on-target`` when the target's
#: Python does not install the package at all)
_PROBLEMS = ("blocker", "sdist-only", "unknown")
_SDIST = (".tar.gz", ".zip", ".tar.bz2", ".tgz")


@dataclass
class LockedPackage:
    name: str
    version: str
    files: list[str] = field(default_factory=list)
    #: the package's index URL, when the lock names it
    index: str | None = None
    #: local/virtual/git packages have no wheels to judge
    local: bool = False
    #: installed on the target's Python at all (False: only other Pythons' forks of a universal uv.lock
    #: need it); None when not known
    on_target: bool | None = None


# -- wheel tags ------------------------------------------------------------------------------------
def _parse_abi(abi: str) -> tuple[tuple[int, int], str] | None:
    m = re.fullmatch(r"cp(\d)(\d+)(t?)", abi)
    if not m:
        return None
    return (int(m.group(1)), int(m.group(2))), f"cp{m.group(1)}{m.group(2)}"


@lru_cache(maxsize=512)
def target_tags(abi: str, platform: str) -> frozenset[Tag]:
    """Every wheel tag a CPython with ``abi`` (``cp313t``, ``cp313``) installs on ``platform``."""
    parsed = _parse_abi(abi)
    if parsed is None:
        return frozenset()
    version, interpreter = parsed
    tags = set(cpython_tags(version, abis=[abi], platforms=[platform], warn=False))
    tags |= set(compatible_tags(version, interpreter, [platform]))
    return frozenset(tags)


@lru_cache(maxsize=65536)
def _tag_kind(tagpart: str, abi: str) -> tuple[bool, bool] | None:
    """(pure, target) for one wheel's compressed tag set (``cp313-cp313t-manylinux_…``); None if invalid."""
    try:
        tagset = parse_tag(tagpart)
    except ValueError:
        return None
    free_threaded = abi.endswith("t")
    pure = target = False
    for t in tagset:
        if t not in target_tags(abi, t.platform):
            continue
        if t.platform == "any" and t.abi == "none":
            pure = True
        elif not (free_threaded and t.abi == "none" and not t.interpreter.startswith("py")):
            # a ``cp313-none-win32`` wheel is a native build for the GIL ABI without its ABI tag
            # (orjson 3.10.6): the free-threaded interpreter installs it, but it is no evidence
            target = True
    return pure, target


def _kinds(files: list[str], abi: str) -> tuple[bool, bool, bool, bool]:
    """(has a pure wheel, has a target wheel, has any wheel, has an sdist) for the target ``abi``."""
    return _kinds_of(tuple(files), abi)


@lru_cache(maxsize=65536)
def _kinds_of(files: tuple[str, ...], abi: str) -> tuple[bool, bool, bool, bool]:
    # kept: the same version's files are judged again by each search (fixes, dependents, the next target)
    pure = target = wheels = sdist = False
    for f in files:
        if f.endswith(".whl"):
            parts = f[:-4].split("-")
            kind = _tag_kind("-".join(parts[-3:]), abi) if len(parts) in (5, 6) else None
            if kind is None:
                continue
            wheels = True
            pure, target = pure or kind[0], target or kind[1]
        elif f.endswith(_SDIST):
            sdist = True
    return pure, target, wheels, sdist


def classify(files: list[str], abi: str) -> str:
    """Status of one package version from its artefact file names (see module docstring)."""
    pure, target, wheels, sdist = _kinds(files, abi)
    if pure:
        return "pure"
    if target:
        return "ft-wheels"
    if wheels:
        return "blocker"
    return "sdist-only" if sdist else "unknown"


def has_target_wheels(files: list[str], abi: str) -> bool:
    """A wheel the target installs that is not merely pure (its own ABI, or ABI-independent binaries)."""
    return _kinds(files, abi)[1]


def successor(abi: str) -> str | None:
    """The next minor version's ABI of the same kind: ``cp313t`` → ``cp314t``."""
    m = re.fullmatch(r"cp(\d)(\d+)(t?)", abi)
    return f"cp{m.group(1)}{int(m.group(2)) + 1}{m.group(3)}" if m else None


def abi_target(abi: str) -> str:
    """``cp314t`` → ``3.14t`` (the --target spelling)."""
    m = re.fullmatch(r"cp(\d)(\d+)(t?)", abi)
    return f"{m.group(1)}.{m.group(2)}{m.group(3)}" if m else abi


def _filename(entry: dict) -> str | None:
    for key in ("filename", "url", "path"):
        value = entry.get(key)
        if isinstance(value, str) and value:
            return value.rsplit("/", 1)[-1].split("#", 1)[0]
    return None


# -- uv.lock -------------------------------------------------------------------------------------
_PLATFORMS = (("linux", "posix", "Linux", ("x86_64", "aarch64")), ("win32", "nt", "Windows", ("AMD64", "ARM64")),
              ("darwin", "posix", "Darwin", ("x86_64", "arm64")))


def target_environments(python: str, extras=("",)):
    """The marker environments of CPython ``python`` (``3.13``, its first and a late patch release) on
    the common platforms, once per extra in ``extras``."""
    from packaging.markers import default_environment

    for extra in extras:
        for micro in ("0", "99"):
            for sys_platform, os_name, system, machines in _PLATFORMS:
                for machine in machines:
                    yield dict(default_environment(), python_version=python, python_full_version=f"{python}.{micro}",
                               implementation_name="cpython", platform_python_implementation="CPython",
                               sys_platform=sys_platform, os_name=os_name, platform_system=system,
                               platform_machine=machine, extra=extra)


@lru_cache(maxsize=4096)
def marker_may_hold(marker: str, python: str) -> bool:
    """Whether ``marker`` can hold on CPython ``python`` (``3.13``) on some common platform. True when
    it cannot be told (``extra``/group markers, unknown variables, bad syntax)."""
    from packaging.markers import InvalidMarker, Marker

    if not marker or re.search(r"\b(extra|extras|dependency_groups)\b", marker):
        return True
    try:
        m = Marker(marker)
    except InvalidMarker:
        return True
    for env in target_environments(python):
        try:
            if m.evaluate(env):
                return True
        except Exception:
            return True
    return False


def _on_target(packages: list[dict], python: str) -> set[tuple[str, str]]:
    """(name, version) of every uv.lock package installed on ``python`` somewhere: walked from the local
    packages (the project, workspace members) along dependency edges whose marker may hold there, into
    versions whose ``resolution-markers`` (when forked) may hold there. All extras and groups count."""
    by_name: dict[str, list[dict]] = {}
    for pkg in packages:
        by_name.setdefault(canonicalize_name(str(pkg["name"])), []).append(pkg)

    def fork_ok(pkg: dict) -> bool:
        markers = pkg.get("resolution-markers")
        return not isinstance(markers, list) or not markers or any(
            marker_may_hold(str(m), python) for m in markers)

    def edges(pkg: dict):
        lists = [pkg.get("dependencies")]
        for key in ("optional-dependencies", "dev-dependencies"):
            table = pkg.get(key)
            if isinstance(table, dict):
                lists += list(table.values())
        for deps in lists:
            for dep in deps if isinstance(deps, list) else []:
                if isinstance(dep, dict) and "name" in dep:
                    yield dep

    todo = [p for p in packages if isinstance(p.get("source"), dict) and
            any(k in p["source"] for k in ("virtual", "editable", "directory", "path"))]
    seen: set[tuple[str, str]] = set()
    while todo:
        pkg = todo.pop()
        key = (canonicalize_name(str(pkg["name"])), str(pkg.get("version", "")))
        if key in seen:
            continue
        seen.add(key)
        for dep in edges(pkg):
            if not marker_may_hold(str(dep.get("marker", "")), python):
                continue
            for target in by_name.get(canonicalize_name(str(dep["name"])), []):
                if "version" in dep and str(target.get("version")) != str(dep["version"]):
                    continue
                if "version" in dep or fork_ok(target):
                    todo.append(target)
    return seen


_WHEELS = re.compile(r'^wheels = \[\n((?:    \{[^\n]*\},\n)*)\]\n', re.M)
_FLAT_TABLE = re.compile(r'    \{ (?:[a-z][a-z-]* = (?:"[^"\\\n]*"|[0-9]+)(?:, (?=[a-z])| \}))+,')
_FLAT_PAIR = re.compile(r'([a-z][a-z-]*) = (?:"([^"\\\n]*)"|([0-9]+))')


def scan_uv_lock(text: str) -> dict | None:
    """uv.lock as ``tomllib`` reads it, faster: the ``wheels`` arrays (most of the file: a URL and a hash
    per wheel) are read line by line when every entry is a flat inline table of plain strings and
    integers, as uv writes them, and the rest by ``tomllib``. None (read it whole) for anything else."""
    import tomllib

    blocks: list[list[dict]] = []

    class Decline(Exception):
        pass

    def cut(m: re.Match) -> str:
        entries = []
        for line in m.group(1).splitlines():
            if not _FLAT_TABLE.fullmatch(line):
                raise Decline
            entries.append({k: (v if n == "" else int(n)) for k, v, n in _FLAT_PAIR.findall(line)})
        blocks.append(entries)
        return f'wheels = "{len(blocks) - 1}"\n'  # uv writes an array: a string is ours

    try:
        doc = tomllib.loads(_WHEELS.sub(cut, text))
    except (Decline, tomllib.TOMLDecodeError, RecursionError):
        return None
    used = 0
    for pkg in doc.get("package", []) if isinstance(doc.get("package"), list) else []:
        w = pkg.get("wheels") if isinstance(pkg, dict) else None
        if isinstance(w, str) and w.isdigit() and int(w) < len(blocks):
            pkg["wheels"] = blocks[int(w)]
            used += 1
    return doc if used == len(blocks) else None


def uv_lock_data(path: Path) -> dict:
    """uv.lock as ``tomllib`` reads it (:func:`scan_uv_lock`, else a full parse), parsed once while its text
    stays the same (the lock stage reads the new lock for its packages, then for its graph). The caller
    must not change what it returns."""
    from migrate.discover import load_toml_fast, read_text

    global _LAST_LOCK
    text = read_text(path) if path.is_file() else None
    key = (str(path), text)
    last = _LAST_LOCK  # one read of the pair: a batch locks several projects at once
    if text is not None and last is not None and last[0] == key:
        return last[1]
    data = scan_uv_lock(text) if text is not None else None
    if data is None:
        data = load_toml_fast(path, display=path.name)
    if text is not None:
        _LAST_LOCK = (key, data)
    return data


_LAST_LOCK: tuple | None = None


def read_uv_lock(path: Path, python: str | None = None) -> list[LockedPackage]:
    """Packages of a uv.lock; a registry that is a local folder (``--find-links``) is made absolute.
    With ``python`` (``3.13``), each package's ``on_target`` says whether that Python installs it."""
    data = uv_lock_data(path)
    raw = [p for p in data.get("package", []) if isinstance(p, dict) and "name" in p]
    reachable = _on_target(raw, python) if python else None
    if reachable is not None and not any(
            isinstance(p.get("source"), dict) and any(k in p["source"] for k in ("virtual", "editable",
                                                                                 "directory", "path"))
            for p in raw):
        reachable = None  # no project in the lock to walk from: nothing can be told
    out = []
    for pkg in raw:
        source = pkg.get("source", {}) if isinstance(pkg.get("source"), dict) else {}
        local = any(k in source for k in ("virtual", "editable", "directory", "path", "git"))
        files = [f for f in (_filename(w) for w in pkg.get("wheels", []) if isinstance(w, dict)) if f]
        sdist = pkg.get("sdist")
        if isinstance(sdist, dict) and _filename(sdist):
            files.append(_filename(sdist))
        index = source.get("registry") if isinstance(source.get("registry"), str) else None
        if index and "://" not in index:
            index = str((path.parent / index).resolve())
        on_target = None if reachable is None else \
            (canonicalize_name(str(pkg["name"])), str(pkg.get("version", ""))) in reachable
        out.append(LockedPackage(str(pkg["name"]), str(pkg.get("version", "")), files, index, local, on_target))
    return out


# -- the fix search ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Fix:
    version: str
    #: "upgrade" | "downgrade" | None (no pinned version to compare with)
    direction: str | None = None
    #: the major version changes (review the changelog)
    major: bool = False


@dataclass(frozen=True)
class FixSearch:
    fix: Fix | None
    #: when the project's own requirement excludes every version that works: the first one that would
    excluded_first: str | None = None


def _norm(version: str | None) -> Version | None:
    try:
        return Version(version) if version else None
    except InvalidVersion:
        return None


def _by_version(client, name: str, index: str | None) -> dict[Version, list[str]]:
    def group() -> dict[Version, list[str]]:
        by_version: dict[Version, list[str]] = {}
        for filename, version in client.files(name, index):
            if version is not None:
                by_version.setdefault(version, []).append(filename)
        return by_version

    if not hasattr(client, "memo"):
        return group()
    return client.memo(("by-version", canonicalize_name(name), client.sources(index)), group)


def _pick(by_version: dict[Version, list[str]], abi: str, spec, floor: Version | None) -> Fix | None:
    def works(v: Version) -> bool:
        pure, target, _, _ = _kinds(by_version[v], abi)
        # target wheels first: a version with pure fallbacks AND target wheels is a fix at any distance;
        # a pure-only release counts only above the pin (old pure placeholders of native packages do not)
        return target or (pure and floor is not None and v > floor)

    candidates = [v for v in by_version if not v.is_prerelease and spec.contains(v)]
    if floor is None:
        order = sorted(candidates, reverse=True)
    else:
        order = sorted(v for v in candidates if v >= floor) + sorted((v for v in candidates if v < floor),
                                                                     reverse=True)
    for v in order:
        if works(v):
            if floor is None:
                return Fix(str(v))
            return Fix(str(v), "upgrade" if v >= floor else "downgrade", v.major != floor.major)
    return None


def search_fix(name: str, abi: str, client, specifier: str = "", index: str | None = None,
               current: str | None = None) -> FixSearch:
    """The nearest version at or above ``current`` (else the nearest below it; with no ``current`` the
    newest) that ``specifier`` admits, not a pre-release, with wheels for ``abi``; and, when
    ``specifier`` is what excludes every such version, the first version that would work.

    Raises :class:`~migrate.lock.index.IndexUnavailable` when the index cannot answer."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    def search() -> FixSearch:
        try:
            spec = SpecifierSet(specifier or "")
        except InvalidSpecifier:
            spec = SpecifierSet("")
        floor = _norm(current)
        by_version = _by_version(client, name, index)
        fix = _pick(by_version, abi, spec, floor)
        if fix is not None or not str(spec):
            return FixSearch(fix)
        outside = _pick(by_version, abi, SpecifierSet(""), floor)
        return FixSearch(None, outside.version if outside else None)

    if not hasattr(client, "memo"):
        return search()
    # asked again for the same package after uv resolves (the new lock's blockers, the next target's
    # advice): the answer is the same while the client's pages are
    key = ("fix", canonicalize_name(name), client.sources(index), abi, specifier, current)
    return client.memo(key, search)


def find_fix(name: str, abi: str, client, specifier: str = "", index: str | None = None,
             current: str | None = None) -> str | None:
    """The version :func:`search_fix` finds, or None."""
    found = search_fix(name, abi, client, specifier, index, current).fix
    return found.version if found else None


# -- the report ------------------------------------------------------------------------------------
def assess(packages: list[LockedPackage], abi: str, client, requirements: dict[str, str] | None = None,
           fix: bool = True) -> list[dict[str, Any]]:
    """One entry per locked package: {name, version, status, fix}, plus, where they apply:
    ``move`` {to, direction, major} for a fix, ``excluded`` {constraint, first} when the project's own
    requirement excludes every version with target wheels, ``error`` when the index could not answer.

    Blockers and sdist-only pins get a fix search. Index failures never read as "no version"."""
    packages = [p for p in packages if not p.local]
    if client is not None and hasattr(client, "prefetch"):
        client.prefetch([(p.name, p.index) for p in packages if not p.files])
    out = []
    for pkg in packages:
        entry: dict[str, Any] = {"name": pkg.name, "version": pkg.version, "status": "unknown", "fix": None}
        files = pkg.files
        if not files and client is not None:
            current = _norm(pkg.version)
            try:
                files = [f for f, v in client.files(pkg.name, pkg.index) if v is not None and v == current]
            except IndexUnavailable as exc:
                entry["error"] = str(exc)
        entry["status"] = classify(files, abi)
        if pkg.on_target is False and entry["status"] in _PROBLEMS:
            entry["status"] = "not-on-target"
        out.append(entry)
    if fix and client is not None:
        todo = [(pkg, e) for pkg, e in zip(packages, out)
                if e["status"] in ("blocker", "sdist-only") and "error" not in e]
        if hasattr(client, "prefetch"):
            client.prefetch([(pkg.name, pkg.index) for pkg, _ in todo])
        for pkg, entry in todo:
            spec = (requirements or {}).get(canonicalize_name(pkg.name), "")
            try:
                found = search_fix(pkg.name, abi, client, spec, pkg.index, pkg.version)
            except IndexUnavailable as exc:
                entry["error"] = str(exc)
                continue
            better = found.fix
            if better is not None and _norm(better.version) != _norm(pkg.version):
                entry["fix"] = f"{pkg.name}=={better.version}"
                entry["move"] = {"to": better.version, "direction": better.direction, "major": better.major}
            elif found.excluded_first:
                entry["excluded"] = {"constraint": spec, "first": found.excluded_first}
            elif getattr(client, "offline", False):
                entry["searched"] = "offline: local folders only"
    return out


# -- the files uv.lock keeps ------------------------------------------------------------------------
def _python_bounds(requires_python: str) -> tuple[Version | None, tuple[Version, bool] | None]:
    """The bounding range of ``requires_python`` as uv takes it: (lower bound cut to major.minor, (upper
    bound, inclusive)); ``!=`` holes are ignored, as uv ignores them here."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        specs = list(SpecifierSet(requires_python))
    except InvalidSpecifier:
        return None, None
    lower: Version | None = None
    upper: tuple[Version, bool] | None = None

    def low(v: Version) -> None:
        nonlocal lower
        lower = v if lower is None or v > lower else lower

    def up(v: Version, inclusive: bool) -> None:
        nonlocal upper
        if upper is None or v < upper[0] or (v == upper[0] and not inclusive):
            upper = (v, inclusive)

    for s in specs:
        op, text = s.operator, s.version
        star = text.endswith(".*")
        v = _norm(text[:-2] if star else text)
        if v is None:
            continue
        release = list(v.release)
        if op in (">=", ">"):
            low(v)
        elif op == "<=":
            up(v, True)
        elif op == "<":
            up(v, False)
        elif op == "==" and star:
            low(v)
            up(Version(".".join(map(str, release[:-1] + [release[-1] + 1]))), False)
        elif op in ("==", "==="):
            low(v)
            up(v, True)
        elif op == "~=" and len(release) > 1:
            low(v)
            up(Version(".".join(map(str, release[:-2] + [release[-2] + 1]))), False)
    if lower is not None:
        lower = Version(".".join(map(str, (list(lower.release) + [0])[:2])))
    return lower, upper


_ABI_VERSION = re.compile(r"(?:cp|pypy)(\d)(\d+)(?:_pp\d+)?[a-z]*")
_LANG_VERSION = re.compile(r"(cp|pp|py)(\d)(\d*)")


def uv_lock_files(files, requires_python: str | None) -> list[str]:
    """The file names of ``files`` that uv lists in uv.lock for a project with ``requires_python``: uv
    drops a wheel whose tags can only run on a Python outside the range ``requires-python`` bounds
    (uv's ``RequiresPython::matches_wheel_tag``; measured with uv 0.13): Python 2 tags
    (``py2-none-any``, ``cp27mu``); a CPython/PyPy ABI (``cp38``, ``cp313t``, ``pypy38_pp73``) or a
    ``cp38-none``/``pp38-none`` tag whose minor version is below the lower bound's (``>=3.10.4`` counts
    as 3.10) or above the upper bound (``<3.13`` drops ``cp313``); ``py312-none-any`` only above the
    upper bound (``py38`` is a floor). abi3 (``cp37-abi3``), ``py3``/``py2.py3`` wheels, sdists and
    unknown tags stay. A wheel stays when any of its compressed tags does. None: every file stays."""
    if requires_python is None:
        return list(files)
    lower, upper = _python_bounds(requires_python)

    def admitted(minor: int, floor: bool = True) -> bool:
        v = Version(f"3.{minor}")
        if floor and lower is not None and v < lower:
            return False
        return upper is None or v < upper[0] or (upper[1] and v == upper[0])

    def python_ok(tag: str) -> bool:  # a python tag of an ``abi = none`` wheel
        m = _LANG_VERSION.fullmatch(tag)
        if not m:
            return True
        if m.group(2) == "2":
            return False
        if m.group(2) != "3" or not m.group(3):
            return True
        return admitted(int(m.group(3)), floor=m.group(1) != "py")

    def abi_ok(abi: str, pythons: list[str]) -> bool:
        if abi in ("abi3", "abi3t"):
            return True
        if abi == "none":
            return any(python_ok(t) for t in pythons)
        m = _ABI_VERSION.fullmatch(abi)
        if m is None:
            return not re.fullmatch(r"pypy_\d+", abi)  # a PyPy ABI without a Python version: Python 2
        if m.group(1) == "2":
            return False
        return m.group(1) != "3" or admitted(int(m.group(2)))

    out = []
    for f in files:
        parts = f[:-4].split("-") if f.endswith(".whl") else []
        if len(parts) in (5, 6):
            pythons, abis = parts[-3].split("."), parts[-2].split(".")
            if not any(abi_ok(a, pythons) for a in abis):
                continue
        out.append(f)
    return out


def runnable_pins(pins, requires_python: str | None) -> list:
    """``pins`` with only the files uv.lock would list for them (:func:`uv_lock_files`), so the old
    lock's file names are judged as the new lock's will be: a pin whose only wheels are for Pythons
    ``requires_python`` excludes is sdist-only there, not a blocker."""
    from dataclasses import replace

    if requires_python is None:
        return list(pins)
    return [replace(p, files=tuple(uv_lock_files(p.files, requires_python))) if p.files else p for p in pins]


def judged_pins(pins, python: str) -> list[LockedPackage]:
    """The old lock's pins that can be judged before uv resolves, as locked packages: those that list
    their files and whose marker may hold on the target's Python ``python``, once per version."""
    seen: set[tuple[str, str]] = set()
    out = []
    for pin in pins:
        key = (canonicalize_name(pin.name), pin.version)
        if not pin.files or key in seen or (pin.marker and not marker_may_hold(pin.marker, python)):
            continue
        seen.add(key)
        origin = pin.origin if pin.origin and "://" in pin.origin else None
        out.append(LockedPackage(pin.name, pin.version, list(pin.files), origin))
    return out


def preassess(pins, abi: str, python: str, client, requirements: dict[str, str] | None = None,
              stuck: list[dict[str, Any]] | None = None, requires_python: str | None = None) -> list[dict[str, Any]]:
    """The fixes that can be known BEFORE uv resolves: the old lock's pins that list their files
    (poetry.lock does) judged as :func:`assess` judges a uv.lock package, for the pins whose marker may
    hold on the target's Python ``python`` (``3.13``). Returns the entries (blockers and sdist-only pins)
    that have a fix; the lock stage resolves with those fixes in the same uv run as the pins, so one
    resolution suffices when the new lock keeps the old versions. ``stuck``, when given, receives the
    blockers with no fix (their dependents may move instead: :func:`~migrate.lock.dependents.early_moves`).
    ``requires_python``: the index's files are judged as uv.lock will list them."""
    packages = judged_pins(pins, python)
    out = []
    for pkg, e in zip(packages, assess(packages, abi, client, requirements)):
        wanted = e["status"] in ("blocker", "sdist-only") and e.get("fix")
        no_fix = stuck is not None and e["status"] == "blocker" and not e.get("fix") and not e.get("error")
        if not (wanted or no_fix):
            continue
        # the index's own files for the pinned version decide, as uv.lock's will (a mirror may carry
        # other files than the old lock listed); its page was just read for the fix
        pinned = _norm(pkg.version)
        try:
            here = list(_by_version(client, pkg.name, pkg.index).get(pinned, [])) if pinned is not None else []
        except IndexUnavailable:
            here = []
        if requires_python:  # as uv.lock will list them (:func:`runnable_pins`)
            here = uv_lock_files(here, requires_python)
        if here and classify(here, abi) != e["status"] and (no_fix or classify(here, abi) not in
                                                              ("blocker", "sdist-only")):
            continue
        (out if wanted else stuck).append(e)
    return out


def mark_off_target(entries: list[dict[str, Any]], packages: list[LockedPackage]) -> None:
    """Entries (blockers, sdist-only, unknown) whose package the target's Python no longer installs
    (per ``packages`` read with ``read_uv_lock(path, python)`` after the free-threading moves, e.g. cffi
    once bcrypt moved to a version without it) become ``not-on-target``."""
    off = {(canonicalize_name(p.name), p.version) for p in packages if p.on_target is False}
    for e in entries:
        if e["status"] in _PROBLEMS and (canonicalize_name(e["name"]), e["version"]) in off:
            e["status"] = "not-on-target"


def moved_status(entry: dict[str, Any]) -> str:
    """The status of an entry whose fix was applied: ``upgraded`` or ``downgraded``."""
    return "downgraded" if (entry.get("move") or {}).get("direction") == "downgrade" else "upgraded"


def successor_advice(entries: list[dict[str, Any]], packages: list[LockedPackage], abi: str, client,
                     requirements: dict[str, str] | None = None) -> dict[str, Any] | None:
    """For the blockers left in ``entries`` (no fix for the target): how many have wheels for the next
    free-threaded target (the nearest version at or above the locked one the project admits). None when
    there is nothing to say (no blockers, not a free-threaded target, or the index cannot answer)."""
    nxt = successor(abi)
    if nxt is None or not abi.endswith("t"):
        return None
    # blockers left: no fix for the target, or one uv could not resolve (the lock stage appends why)
    blockers = [e for e in entries if e.get("status") == "blocker"
                and (not e.get("fix") or "does not resolve" in e["fix"])]
    if not blockers or client is None:
        return None
    index_of = {canonicalize_name(p.name): p.index for p in packages}
    ready: dict[str, str] = {}
    for e in blockers:
        cname = canonicalize_name(e["name"])
        files = [f for p in packages if canonicalize_name(p.name) == cname and p.version == e["version"]
                 for f in p.files]
        if has_target_wheels(files, nxt):
            ready[e["name"]] = e["version"]
            continue
        spec = (requirements or {}).get(cname, "")
        try:
            found = search_fix(e["name"], nxt, client, spec, index_of.get(cname), e["version"]).fix
        except IndexUnavailable:
            return None
        if found is not None:
            ready[e["name"]] = found.version
    return {"target": abi_target(nxt), "blockers": len(blockers), "ready": len(ready), "versions": ready}


def readiness_warnings(entries: list[dict[str, Any]], target: str, abi: str,
                       advice: dict[str, Any] | None = None, path: str = "uv.lock") -> list[Diagnostic]:
    """The warnings for an assessed lock (MIG203/204 and MIG230–235), in a stable order."""
    out: list[Diagnostic] = []
    errors: dict[str, list[str]] = {}
    for e in entries:
        name, version, status = e["name"], e["version"], e["status"]
        if e.get("error"):
            errors.setdefault(e["error"].split(": ", 1)[0], []).append(name)
        # a move uv could not resolve was not made: no jump to warn about (MIG203 says why); a blocker's
        # dependent's move is said by migrate.lock.dependents (MIG247-249)
        move = {} if "does not resolve" in (e.get("fix") or "") or e.get("for_blocker") else (e.get("move") or {})
        if status == "blocker":
            if e.get("fix"):
                tail = f"; {e['fix']}"
            elif e.get("error"):
                tail = "; the index could not be asked for a version with them"
            elif e.get("excluded"):
                tail = "; the project's own requirement excludes every version with them"
            elif e.get("runtime_rejected"):  # checked at runtime (migrate.verify.runtime.check_fixes)
                tail = f"; {e['runtime_rejected']}"
            else:
                tail = "; no version with them was found" + (f" ({e['searched']})" if e.get("searched") else "")
            out.append(Diagnostic("MIG203", f"{name} {version} has no {abi} wheels{tail}", path=path, key=name))
        elif status == "sdist-only":
            tail = f"; {e['fix']} has {abi} wheels" if e.get("fix") else ""
            out.append(Diagnostic("MIG204", f"{name} {version} ships only an sdist: it builds from source on "
                                  f"{target}{tail}", path=path, key=name))
        if move.get("direction") == "downgrade":
            out.append(Diagnostic("MIG232", f"{name} {version} -> {move['to']} is a downgrade: no version at or "
                                  f"above {version} has {abi} wheels", path=path, key=name))
        if move.get("major"):
            out.append(Diagnostic("MIG231", f"{name} {version} -> {move['to']} crosses a major version (the "
                                  f"nearest with {abi} wheels): check its changelog", path=path, key=name))
        if e.get("excluded"):
            ex = e["excluded"]
            out.append(Diagnostic("MIG233", f"the project requires {name}{ex['constraint']}, which excludes every "
                                  f"version with {abi} wheels; the first that would work is {ex['first']}: widen "
                                  "the requirement", path=path, key=name))
    for url, names in errors.items():
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        reason = next(e["error"] for e in entries if e.get("error", "").startswith(url + ": "))
        out.append(Diagnostic("MIG230", f"the package index did not answer ({reason}): readiness of {shown} "
                              "is unknown and nothing was moved", path=path))
    if advice and advice["ready"]:
        out.append(Diagnostic("MIG235", f"with --target {advice['target']}, {advice['ready']} of "
                              f"{advice['blockers']} blockers have free-threaded wheels", path=path))
    return out
