"""Where the pins that give way land, told to uv before it resolves (issue 10: a shorter resolution).

When a fix moves a pinned package F on the target's Python (pydantic-core 2.46.4 -> 2.41.4 for
cp313t), the pins that require F give way there too (:func:`~migrate.lock.lock._moved_with`: pydantic
2.13.4 requires pydantic-core==2.46.4). uv then walks such a package's versions down, newest first, one
metadata request after another, until one admits F's new version (pydantic 2.12.3): on qdrant-client
that walk was half a second of a three-second resolution. :func:`moved_hints` makes the same walk
before uv runs, reading the versions' Requires-Dist many at once (:func:`read_ahead`), and the version it
lands on becomes one more temporary pin for the target's Python, taken out of pyproject.toml and
uv.lock's manifest afterwards as the old pins are (``uv lock --check`` confirms the lock without it).

The walk only passes over a version when uv certainly would: a requirement of it that holds everywhere
on the target's Python (every patch release, platform and implementation: :func:`_holds`) excludes the
version a fix or an unconditional pin forces there. A requirement that excludes it on part of the
target's Python only (``sys_platform == 'linux'``, ``python_full_version >= '3.13.1'``, an extra) ends
the walk without a hint: uv forks there and may keep the version elsewhere; so does a version whose
files' ``Requires-Python`` exclude a release of the target's Python (uv checks it against the project's
lowest Python, not the target's: it takes ``<3.13`` on 3.13). tests/test_hints_oracle.py checks this
against uv on generated cases. So the version
found is never older than uv's own choice; if uv cannot use it (a reason not modelled here), uv fails
naming it, and the lock stage resolves again without hints. No hint is given where that order is not certain: a
version whose metadata cannot be read, pre-releases or local versions of the package, a project
requirement on it with a marker, a source or a pre-release allowance, another package that gives way and
requires it (uv could move either), a project with ``[tool.uv] environments`` or a ``prerelease``
setting, or no version within :data:`MAX_READ`; and none at all when a package free on the target's
Python gets no hint (uv may decide it first and move a hinted one: :func:`moved_hints`) or a hinted
version requires a package the old lock had not.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from packaging.markers import Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

#: versions of one package whose metadata is read at most
MAX_READ = 24


def plain_requirements(project) -> dict[str, str | None]:
    """{name: the project's version range on it} for the walk; None where the project's own
    requirement is not a plain range (a marker, a source, a URL, a pre-release allowance), which uv
    may read otherwise than one range for every Python."""
    out: dict[str, str | None] = {}
    for d in project.all_dependencies():
        name = canonicalize_name(d.name)
        if d.marker or d.source is not None or d.direct_url or d.allow_prereleases or out.get(name, "") is None:
            out[name] = None
            continue
        out[name] = ",".join(s for s in (out.get(name), d.specifier) if s)
    return out


def candidates(pins, fixes: list[dict[str, Any]], moved: set[str]) -> list[Any]:
    """The pins that give way on the target's Python without a fix of their own (their new version is
    uv's to choose): one pinned version each, and no other package that gives way requires them."""
    fixed = {canonicalize_name(e["name"]) for e in fixes}
    freed = set(moved) - fixed
    by_name: dict[str, list] = {}
    for p in pins:
        by_name.setdefault(canonicalize_name(p.name), []).append(p)
    out = []
    for name in sorted(freed):
        group = by_name.get(name, [])
        if len({p.version for p in group}) != 1:
            continue
        if any(name in {canonicalize_name(r) for r in p.requires}
               for other in freed - {name} for p in by_name.get(other, [])):
            continue
        out.append(group[0])
    return out


def _order(client, pin, spec: str) -> list[Version] | None:
    """The versions uv would try, newest first (None: pre-releases or local versions are in play)."""
    from migrate.lock.freethreading import _by_version

    try:
        pinned, allowed = Version(pin.version), SpecifierSet(spec)
    except (InvalidVersion, InvalidSpecifier):
        return None
    if pinned.is_prerelease or pinned.local or any(s.version and _prerelease(s.version) for s in allowed):
        return None
    versions = list(_by_version(client, pin.name, _index(pin)))
    if any(v.local for v in versions):
        return None
    return sorted((v for v in versions if not v.is_prerelease and allowed.contains(v)), reverse=True)


def _prerelease(text: str) -> bool:
    try:
        return Version(text.rstrip(".*")).is_prerelease
    except InvalidVersion:
        return True


def _index(pin) -> str | None:
    return pin.origin if pin.origin and "://" in pin.origin else None


def read_ahead(client, pins, fixes: list[dict[str, Any]], moved: set[str], requirements: dict[str, str | None],
               workers: int | None = None) -> None:
    """Read, many at once, the metadata :func:`moved_hints` will walk (kept by the client's answers)."""
    from migrate.lock.dependents import read_many
    from migrate.lock.index import IndexUnavailable

    todo = []
    for pin in candidates(pins, fixes, moved):
        spec = requirements.get(canonicalize_name(pin.name), "")
        try:
            order = _order(client, pin, spec) if spec is not None else None
        except IndexUnavailable:
            continue
        todo += [(pin.name, str(v), _index(pin)) for v in (order or [])[:MAX_READ]]
    read_many(client, todo, workers)


def moved_hints(client, pins, fixes: list[dict[str, Any]], moved: set[str], constraints: list[str], python: str,
                marker: str, requirements: dict[str, str | None], asked: dict[str, set[str]]) -> list[str]:
    """``name==version; marker`` for each pin that gives way (:func:`candidates`): the newest version uv
    would not pass over (module docstring), given the fixes and the temporary pin ``constraints``
    that hold everywhere (``name==version`` without a marker)."""
    from migrate.lock.dependents import requires_dist
    from migrate.lock.index import IndexUnavailable

    forced: dict[str, Version] = {}
    for c in constraints:
        m = re.fullmatch(r"\s*([A-Za-z0-9._-]+)\s*==\s*([^;,\s*]+)\s*(?:;(.*))?", c)
        v = _version(m.group(2)) if m else None
        if v is None:
            continue
        try:  # a pin with a marker forces its version where the marker holds everywhere on the target
            holds = _holds(Marker(m.group(3)), python, frozenset()) if m.group(3) else True
        except Exception:
            holds = None
        if holds is True:
            name = canonicalize_name(m.group(1))
            forced[name] = v if forced.get(name, v) == v else Version("0.0.0.dev0")  # two: none holds
    for e in fixes:
        v = _version(str(e.get("fix", "")).partition("==")[2].split(" ", 1)[0])
        if v is None:
            return []  # a fix that is not one version: nothing here is certain
        forced[canonicalize_name(e["name"])] = v
    out = []
    pinned = {canonicalize_name(p.name) for p in pins}
    for pin in candidates(pins, fixes, moved):
        name = canonicalize_name(pin.name)
        spec = requirements.get(name, "")
        if spec is None:
            return []
        extras = frozenset(asked.get(name, set()))
        try:
            caps = _caps_on(client, name, pins, fixes, forced, python, asked)
            if caps is None:
                return []
            order = _order(client, pin, spec)
            found = None
            for v in (order or [])[:MAX_READ]:
                reqs = requires_dist(client, pin.name, str(v), _index(pin))
                if reqs is None:
                    break  # not known: uv might take it
                over = _capped(v, caps)
                if over is False:
                    over = _passed_over(reqs, forced, python, extras)
                if over is None or (not over and _python_limited(client, pin, v, python)):
                    break  # uv may take it on part of the target's Python, or not at all: no hint
                if not over:
                    found = v
                    if _requires_new(reqs, pinned, python, extras):
                        return []  # a package the old lock had not: free there, it may require a hinted one
                    break
        except IndexUnavailable:
            return []
        if found is None:
            return []
        out.append(f"{pin.name}=={found}; {marker}")
    # all or nothing: a package free on the target's Python without a hint (one that gives way, or is
    # pinned only elsewhere) may require a hinted one, and uv, deciding it first, moves the hinted one
    # down (tests/test_hints_oracle.py: k 2.0 requires d<2.0)
    hinted = {canonicalize_name(h.split("==", 1)[0]) for h in out}
    if pinned - set(forced) - hinted:
        return []
    return out


def _caps_on(client, name: str, pins, fixes: list[dict[str, Any]], forced: dict[str, Version], python: str,
             asked: dict[str, set[str]]) -> list[tuple[SpecifierSet, bool | None]] | None:
    """What the packages forced on the target's Python require of ``name`` (the fixed ones at their fix,
    the pins that the old lock says require it at their pin): (range, whether it holds everywhere there —
    None: on part of it, or cannot be told). None when one of their Requires-Dist cannot be read
    (the fastapi template: sqlmodel 0.0.21 requires sqlalchemy<2.1.0, uv lands on 2.0.58, not 2.1.9)."""
    from migrate.lock.dependents import requires_dist

    fixed = {canonicalize_name(e["name"]) for e in fixes}
    requiring = {canonicalize_name(p.name): p for p in pins
                 if name in {canonicalize_name(r) for r in p.requires} or canonicalize_name(p.name) in fixed}
    out = []
    for other, pin in sorted(requiring.items()):
        if other == name or other not in forced:
            continue
        reqs = requires_dist(client, pin.name, str(forced[other]), _index(pin))
        if reqs is None:
            return None
        for line in reqs:
            parsed = _parse(line)
            if parsed is None or parsed[0] != name:
                continue
            _, spec, marker = parsed
            out.append((spec, True if marker is None else _holds(marker, python,
                                                                  frozenset(asked.get(other, set())))))
    return out


def _capped(v: Version, caps: list[tuple[SpecifierSet, bool | None]]) -> bool | None:
    """Whether a forced package's requirement on the candidate excludes ``v`` everywhere on the target's
    Python (True), on part of it or cannot be told (None), or none does (False)."""
    unsure = False
    for spec, holds in caps:
        if holds is not False and not spec.contains(v, prereleases=True):
            if holds:
                return True
            unsure = True
    return None if unsure else False


def _requires_new(reqs: list[str], pinned: set[str], python: str, extras: frozenset[str]) -> bool:
    """Whether a requirement in ``reqs`` that may hold on ``python`` names a package not in ``pinned``."""
    for line in reqs:
        parsed = _parse(line)
        if parsed is None:
            return True
        name, _, req_marker = parsed
        if name not in pinned and (req_marker is None or _holds(req_marker, python, extras) is not False):
            return True
    return False


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _passed_over(reqs: list[str], forced: dict[str, Version], python: str, extras: frozenset[str]) -> bool | None:
    """Whether a requirement in ``reqs`` that holds everywhere on ``python`` excludes a forced version;
    None when one that excludes it holds on only part of ``python`` or cannot be told (there uv may
    take this version — on another platform or patch release — and another one elsewhere)."""
    unsure = False
    for line in reqs:
        parsed = _parse(line)
        if parsed is None:
            continue
        name, spec, marker = parsed
        v = forced.get(name)
        if v is None or spec.contains(v, prereleases=True):
            continue
        holds = True if marker is None else _holds(marker, python, extras)
        if holds:
            return True
        if holds is None:
            unsure = True
    return None if unsure else False


@functools.lru_cache(maxsize=8192)
def _parse(line: str) -> tuple[str, SpecifierSet, Marker | None] | None:
    try:
        req = Requirement(line)
    except InvalidRequirement:
        return None
    return canonicalize_name(req.name), req.specifier, req.marker


#: the marker variables whose values on the target's Python :func:`_holds` tries (any other one, such
#: as ``platform_release``, cannot be told); each gets the values the marker names and one it does not
_FREE = {"sys_platform": ("linux", "win32", "darwin", "emscripten", "cygwin", "freebsd14", "android", "ios"),
         "platform_machine": ("x86_64", "aarch64", "AMD64", "arm64", "i686", "ppc64le", "s390x", "armv7l"),
         "os_name": ("posix", "nt"), "platform_system": ("Linux", "Windows", "Darwin", "FreeBSD", "Emscripten"),
         "implementation_name": ("cpython", "pypy", "graalpy"),
         "platform_python_implementation": ("CPython", "PyPy", "GraalVM")}
_OTHER = "\x00other"
#: evaluations at most per marker (beyond that: cannot be told)
_MAX_ENVS = 20000


def _atoms(markers) -> list[tuple[str, str]]:
    """(variable, literal) of each comparison in packaging's parsed marker list."""
    out = []
    for item in markers:
        if isinstance(item, list):
            out += _atoms(item)
        elif isinstance(item, tuple):
            lhs, _, rhs = item
            if type(lhs).__name__ == "Variable":
                out.append((lhs.value, getattr(rhs, "value", "")))
            elif type(rhs).__name__ == "Variable":
                out.append((rhs.value, getattr(lhs, "value", "")))
    return out


@functools.lru_cache(maxsize=8192)
def _holds(marker: Marker, python: str, extras: frozenset[str]) -> bool | None:
    """Whether ``marker`` holds everywhere on ``python`` (``3.13``: every patch release, platform and
    implementation uv's universal lock covers): True; nowhere, with no extra nor one of ``extras``:
    False; None when it holds on part of it only, only with an extra (the package that asks for it
    may not be installed there: uv then keeps the version), or cannot be told. Every value the marker compares a
    variable with is tried, and one it does not name, so the answer is exact for the comparisons
    markers use (``==``, ``!=``, ``in``, versions); a variable that cannot be enumerated is None."""
    import itertools

    from packaging.markers import default_environment

    try:
        atoms = _atoms(marker._markers)
    except Exception:  # packaging's parsed form changed: cannot be told
        return None
    micros = {0, 1, 99}
    values: dict[str, set[str]] = {}
    for var, literal in atoms:
        if var == "python_version" or var == "extra":
            continue
        if var == "python_full_version":
            m = re.fullmatch(re.escape(python) + r"\.(\d+)(.*)", literal)
            if m:
                micro = int(m.group(1))
                micros |= {micro, micro + 1, max(micro - 1, 0)}
            continue
        if var not in _FREE:
            return None  # platform_release, implementation_version, ...: not enumerable here
        values.setdefault(var, set(_FREE[var]) | {_OTHER}).add(literal)
    names = sorted(values)
    grids = [sorted(values[n]) for n in names]
    size = len(micros) * (1 + len(extras))
    for g in grids:
        size *= len(g)
    if size > _MAX_ENVS:
        return None
    base = dict(default_environment(), python_version=python)
    seen: set[bool] = set()
    for micro in sorted(micros):
        for combo in itertools.product(*grids):
            env = dict(base, python_full_version=f"{python}.{micro}", implementation_version=f"{python}.{micro}",
                       **dict(zip(names, combo)))
            try:
                if marker.evaluate(dict(env, extra="")):
                    seen.add(True)
                elif any(marker.evaluate(dict(env, extra=e)) for e in sorted(extras)):
                    return None  # only with an extra asked of it: whoever asks may not be there
                else:
                    seen.add(False)
            except Exception:  # an unknown variable or comparison: cannot be told
                return None
            if len(seen) > 1:
                return None
    return seen.pop() if seen else None


def _python_limited(client, pin, v: Version, python: str) -> bool:
    """Whether a file of ``v`` says ``Requires-Python`` excludes a release of ``python`` (read in local
    folders' wheels and on the index's page; an offline client asks no index). uv does not simply pass
    over such a version on the target's Python (it took ``Requires-Python: <3.13`` there for a project
    that requires ``>=3.10``: tests/test_hints_oracle.py), so the walk stops without a hint. A file
    not read is not known to limit: a hint that uv cannot take only costs the run without hints."""
    from migrate.lock.dependents import _page

    if hasattr(client, "sources"):
        folders, urls = client.sources(_index(pin))
    else:
        folders, urls = (), ([_index(pin).rstrip("/")] if _index(pin) else list(getattr(client, "index_urls", [])))
    said = _local_requires_python(folders, pin.name, v)
    if urls:
        try:
            said += [str(f.get("requires-python") or "") for f in
                     _page(urls[0], pin.name, getattr(client, "timeout", 20.0)).get(v, [])]
        except Exception:
            pass
    for s in said:
        if not s:
            continue
        try:
            spec = SpecifierSet(s)
        except InvalidSpecifier:
            return True
        if not all(spec.contains(f"{python}.{micro}", prereleases=True) for micro in range(100)):
            return True
    return False


def _local_requires_python(folders, name: str, v: Version) -> list[str]:
    """The ``Requires-Python`` of each wheel of ``name`` ``v`` in the local ``folders`` ("" where it says
    nothing or cannot be read)."""
    import zipfile
    from pathlib import Path

    from migrate.lock.index import name_of, version_of

    out = []
    cname = canonicalize_name(name)
    for folder in folders:
        folder = Path(folder)
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            f = path.name
            if not f.endswith(".whl") or version_of(f) != v or canonicalize_name(name_of(f) or "") != cname:
                continue
            said = ""
            try:
                with zipfile.ZipFile(path) as zf:
                    meta = next((n for n in zf.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")),
                                None)
                    head = zf.read(meta).decode("utf-8", "replace").split("\n\n", 1)[0] if meta else ""
                m = re.search(r"^Requires-Python:[ \t]*(.*?)\s*$", head, re.M | re.I)
                said = m.group(1) if m else ""
            except (OSError, zipfile.BadZipFile, KeyError):
                pass
            out.append(said)
    return out


def blocked_by(text: str) -> bool:
    """Whether the project text has settings under which the walk is not uv's (module docstring)."""
    import tomllib

    try:
        uv = tomllib.loads(text).get("tool", {}).get("uv", {})
    except tomllib.TOMLDecodeError:
        return True
    return not isinstance(uv, dict) or any(k in uv for k in ("environments", "prerelease", "resolution",
                                                             "fork-strategy", "override-dependencies"))
