"""Poetry version constraints and markers → PEP 440 specifiers and PEP 508 markers, exactly.

Parsing is poetry-core's (the library that defines the syntax): caret ``^``, tilde ``~``, ``~=``,
wildcards, ``||``/``|`` unions, ``!=``, comparison operators, space- or comma-separated lists,
pre-releases. Turning the parsed constraint into PEP 440 is ours:

* a single range becomes its bounds (``^1.2.3`` → ``>=1.2.3,<2.0.0``, ``^0.0.3`` → ``>=0.0.3,<0.0.4``,
  ``~1.2`` → ``>=1.2,<1.3``, ``1.2.*`` → ``==1.2.*``, ``1.2`` → ``==1.2``, ``*`` → no specifier);
* a union becomes the hull of its ranges minus each gap, where a gap can be said in PEP 440: one
  version (``!=1.5``) or whole wildcard blocks (``^1.0 || ^3.0`` → ``>=1.0,<4.0,!=2.*``);
* a union with a gap PEP 440 cannot say is widened to the hull (``exact=False`` and a note).

Every result is checked against poetry-core's own ``allows()`` on a grid of versions around each bound
(pre-, post-, dev- and local releases, zero-padded forms): ``exact`` is True only when they agree. Two
deliberate readings follow poetry-core's own PEP 508 export rather than its resolver: ``!=1.5`` keeps
PEP 440's meaning (``1.5.post1`` is admitted), and a bound with a local label (``^2.1.2+cpu``) drops the
label, which PEP 440 does not allow on ``>=`` (``exact=False``).

Python constraints (``python = "..."`` of a dependency) become markers the way Poetry writes them into
wheel metadata (``python_version`` for ``X.Y`` precision, ``python_full_version`` for patch precision).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version


class ConstraintError(ValueError):
    """The constraint text is not valid Poetry syntax."""


@dataclass(frozen=True)
class Converted:
    specifier: str
    exact: bool = True
    note: str | None = None


# -- parsing ---------------------------------------------------------------------------------------
def _parse(text: str):
    from poetry.core.constraints.version import parse_constraint

    t = text.strip()
    if t in ("", "*"):
        return None
    try:
        return parse_constraint(t)
    except Exception as exc:  # poetry-core raises ParseConstraintError / ValueError
        raise ConstraintError(f"invalid version constraint {text!r}: {exc}") from None


def _ranges(constraint) -> list:
    """poetry-core constraint → sorted list of VersionRange-like objects (Version counts as ==)."""
    from poetry.core.constraints.version import Version as PV
    from poetry.core.constraints.version import VersionRange, VersionUnion

    if isinstance(constraint, VersionUnion):
        return list(constraint.ranges)
    if isinstance(constraint, PV):
        return [VersionRange(constraint, constraint, True, True)]
    return [constraint]


def _v(pv) -> str:
    return pv.text


def _strip_local(text: str) -> str:
    return text.split("+", 1)[0]


def _max_text(r) -> str:
    """poetry-core stores an exclusive ``<2.0.0`` as ``<2.0.0.dev0`` (no pre-releases of 2.0.0);
    PEP 440's ``<2.0.0`` already means that, so print the bound the user wrote."""
    t = _strip_local(_v(r.max))
    if not r.include_max and t.endswith(".dev0"):
        base = t[: -len(".dev0")]
        try:
            if not Version(base).is_prerelease:
                return base
        except InvalidVersion:
            pass
    return t


def _range_spec(r) -> list[str]:
    """PEP 440 clauses of one poetry VersionRange."""
    if r.is_any():
        return []
    lo, hi = r.min, r.max
    if lo is not None and hi is not None and lo == hi and r.include_min and r.include_max:
        return [f"=={_v(lo)}"]
    out = []
    if lo is not None:
        out.append(f"{'>=' if r.include_min else '>'}{_strip_local(_v(lo))}")
    if hi is not None:
        out.append(f"{'<=' if r.include_max else '<'}{_max_text(r)}")
    return out


def _wildcard(r) -> str | None:
    """``==X.Y.*`` when the poetry range is exactly a wildcard block (poetry prints it that way)."""
    s = str(r)
    if s.startswith("==") and s.endswith(".*"):
        return s
    return None


# -- gaps of a union -------------------------------------------------------------------------------
def _bump(parts: list[int], i: int) -> list[int]:
    out = parts[: i + 1]
    out[i] += 1
    return out


def _gap_exclusions(a_max, a_incl: bool, b_min, b_incl: bool, python: bool) -> list[str] | None:
    """PEP 440 ``!=`` clauses removing the open gap between two ranges, or None if impossible."""
    if a_max is None or b_min is None:
        return None
    a, b = _v(a_max), _v(b_min)
    if a_max == b_min and not a_incl and not b_incl:
        return [f"!={a}"]
    if a_incl or not b_incl:
        return None
    # gap = [a, b): cover it with whole wildcard blocks X.*, X.Y.*, X.Y.Z.*
    try:
        va, vb = Version(a), Version(b)
    except InvalidVersion:
        return None
    if va.pre or va.post or va.dev or vb.pre or vb.post or vb.dev or va.local or vb.local:
        return None
    ra, rb = list(va.release), list(vb.release)
    n = max(len(ra), len(rb))
    ra += [0] * (n - len(ra))
    rb += [0] * (n - len(rb))
    # a must be the start of a block: trailing zeros after the level we step at
    blocks: list[str] = []
    cur = ra
    guard = 0
    while cur != rb and guard < 64:
        guard += 1
        # largest aligned block starting at cur that does not pass rb
        level = None
        for i in range(len(cur)):
            if all(x == 0 for x in cur[i + 1:]) and _le(_bump(cur, i) + [0] * (n - i - 1), rb):
                level = i
                break
        if level is None:
            return None
        if python and level == 1 and cur[0] == 2 and cur[1] >= 8:
            # Python 2.8+ never existed: the rest of 2.x is empty
            cur = [3] + [0] * (n - 1)
            continue
        blocks.append(".".join(map(str, cur[: level + 1])) + ".*")
        cur = _bump(cur, level) + [0] * (n - level - 1)
    if cur != rb or len(blocks) > 40:
        return None
    return [f"!={blk}" for blk in blocks]


def _le(x: list[int], y: list[int]) -> bool:
    return x <= y


# -- the grid oracle -------------------------------------------------------------------------------
def _grid(texts: list[str]) -> list[str]:
    nums = set()
    for t in texts:
        for m in re.findall(r"\d+(?:\.\d+)*", t):
            nums.add(tuple(int(x) for x in m.split("."))[:5])
    return _grid_for(frozenset(nums))


@lru_cache(maxsize=1024)
def _grid_for(nums: frozenset) -> list[str]:
    out = {"0", "0.0.1", "1", "999"}
    for parts in nums:
        for n in range(1, len(parts) + 2):
            base = list(parts[:n]) + [0] * max(0, n - len(parts))
            for i in range(len(base)):
                for d in (-1, 0, 1):
                    v = list(base)
                    v[i] = max(0, v[i] + d)
                    s = ".".join(map(str, v))
                    out.update({s, s + "a1", s + "rc1", s + ".dev0", s + ".post1", s + "+local", s + ".0", s + ".1"})
    return sorted(out, key=lambda v: _versions(v)[0])


@lru_cache(maxsize=65536)
def _versions(v: str):
    """(packaging Version, poetry-core Version) of one grid point, parsed once."""
    from poetry.core.constraints.version import Version as PV

    return Version(v), PV.parse(v)


def _disagreements(constraint, spec: SpecifierSet, texts: list[str]) -> tuple[list[str], list[str]]:
    """(versions PEP 440 admits but Poetry does not, versions Poetry admits but PEP 440 does not)."""
    wider, narrower = [], []
    singles = _single_exclusions(constraint)
    names_prerelease = any(re.search(r"\d(a|b|c|rc|alpha|beta|pre|preview|dev)", t, re.I) for t in texts[:1])
    for v in _grid(texts):
        pkv, pv = _versions(v)
        ours = spec.contains(pkv, prereleases=True)
        theirs = constraint.allows(pv)
        if ours == theirs:
            continue
        if ours and (pkv.post is not None or pkv.local) and Version(pkv.base_version) in singles:
            continue  # `!=1.5` keeps its PEP 440 meaning (as poetry-core's own PEP 508 export does)
        if pkv.local and not any("+" in t for t in texts):
            continue  # local labels: PEP 440 and poetry-core differ in corner cases nobody writes
        if ours and pkv.is_prerelease and not names_prerelease:
            # pre-releases of a bound: Poetry and uv both skip pre-releases unless the requirement names
            # one (or allow-prereleases is set), so admitting them changes no resolution
            continue
        (wider if ours else narrower).append(v)
    return wider, narrower


def _single_exclusions(constraint) -> set[Version]:
    out = set()
    rs = _ranges(constraint)
    for x, y in zip(rs, rs[1:]):
        if x.max is not None and y.min is not None and x.max == y.min and not x.include_max and not y.include_min:
            try:
                out.add(Version(Version(_v(x.max)).base_version))
            except InvalidVersion:
                pass
    return out


# -- public API ------------------------------------------------------------------------------------
@lru_cache(maxsize=4096)
def convert_constraint(text: str, *, _python: bool = False) -> Converted:
    constraint = _parse(text)
    if constraint is None:
        return Converted("")
    if constraint.is_empty():
        raise ConstraintError(f"version constraint {text!r} admits no version")
    if constraint.is_any():
        return Converted("")
    rs = _ranges(constraint)
    clauses: list[str] = []
    widened = False
    if len(rs) == 1:
        wc = _wildcard(rs[0])
        clauses = [wc] if wc else _range_spec(rs[0])
    else:
        wc_ex = _excluded_wildcard(constraint)
        if wc_ex:
            clauses = [wc_ex]
        else:
            first, last = rs[0], rs[-1]
            if first.min is not None:
                clauses.append(f"{'>=' if first.include_min else '>'}{_strip_local(_v(first.min))}")
            for x, y in zip(rs, rs[1:]):
                ex = _gap_exclusions(x.max, x.include_max, y.min, y.include_min, _python)
                if ex is None:
                    widened = True
                else:
                    clauses.extend(ex)
            if last.max is not None:
                clauses.append(f"{'<=' if last.include_max else '<'}{_max_text(last)}")
            # ranges that are single versions inside a union (e.g. "1.0 || >=2.0") need the hull only
    spec_text = ",".join(clauses)
    try:
        spec = SpecifierSet(spec_text)
    except InvalidSpecifier as exc:
        raise ConstraintError(f"cannot express {text!r} in PEP 440: {exc}") from None
    if _python:
        return _python_checked(constraint, spec_text, text, widened)
    if len(rs) == 1 and not any(c in text for c in "+!|"):
        # one range maps bound for bound; the property tests check this form on dense grids
        return Converted(spec_text)
    wider, narrower = _disagreements(constraint, spec, [text, spec_text])
    if narrower:
        # never narrower than Poetry: fall back to the hull, then to inclusive bounds, then to any version
        for candidate in (_hull(rs), _hull(rs, inclusive=True), ""):
            spec_text = candidate
            wider, narrower = _disagreements(constraint, SpecifierSet(candidate), [text, candidate])
            if not narrower:
                break
        widened = True
    exact = not widened and not wider and not narrower
    note = None
    if not exact:
        shown = f"e.g. {', '.join(wider[:3])}" if wider else "a union of ranges"
        note = f"{text!r} cannot be said exactly in PEP 440; widened to {spec_text or 'any version'!r} ({shown})"
    return Converted(spec_text, exact, note)


def _excluded_wildcard(constraint) -> str | None:
    s = str(constraint)
    if re.fullmatch(r"!=[0-9][0-9A-Za-z.+-]*(\.\*)?", s):
        return s
    return None


def _hull(rs, inclusive: bool = False) -> str:
    """The smallest single range holding every range (bounds made inclusive when asked)."""
    def key(pv):
        return Version(_strip_local(_v(pv)))

    out = []
    if all(r.min is not None for r in rs):
        lo = min(rs, key=lambda r: (key(r.min), not r.include_min))
        op = ">=" if lo.include_min or inclusive else ">"
        out.append(f"{op}{_strip_local(_v(lo.min))}")
    if all(r.max is not None for r in rs):
        hi = max(rs, key=lambda r: (key(r.max), r.include_max))
        op = "<=" if hi.include_max or inclusive else "<"
        out.append(f"{op}{_max_text(hi) if not inclusive else _strip_local(_v(hi.max))}")
    return ",".join(out)


_PY_GRID = [f"2.7.{p}" for p in (0, 18)] + [f"3.{m}.{p}" for m in range(0, 31) for p in (0, 1, 5, 12)]


def _python_checked(constraint, spec_text: str, text: str, widened: bool) -> Converted:
    from poetry.core.constraints.version import Version as PV

    spec = SpecifierSet(spec_text)
    wider = [v for v in _PY_GRID if spec.contains(v) and not constraint.allows(PV.parse(v))]
    narrower = [v for v in _PY_GRID if not spec.contains(v) and constraint.allows(PV.parse(v))]
    if narrower:
        for candidate in (_hull(_ranges(constraint)), _hull(_ranges(constraint), inclusive=True), ""):
            spec_text = candidate
            if all(SpecifierSet(candidate).contains(v) for v in _PY_GRID if constraint.allows(PV.parse(v))):
                break
        widened = True
    exact = not widened and not wider and not narrower
    note = None if exact else f"python {text!r} cannot be said exactly; widened to {spec_text!r}"
    return Converted(spec_text, exact, note)


def requires_python(text: str) -> Converted:
    """``[tool.poetry.dependencies] python`` → ``requires-python`` (checked on real Python versions)."""
    return convert_constraint(text, _python=True)


def python_constraint_to_marker(text: str) -> str | None:
    """A dependency's ``python = "..."`` → PEP 508 marker, as Poetry writes it into wheel metadata."""
    from poetry.core.packages.utils.utils import create_nested_marker

    constraint = _parse(text)
    if constraint is None or constraint.is_any():
        return None
    if constraint.is_empty():
        raise ConstraintError(f"python constraint {text!r} admits no version")
    marker = create_nested_marker("python_version", constraint)
    return _valid_marker(marker, text) if marker else None


def platform_to_marker(text: str) -> str:
    """Poetry ``platform = "linux"`` (also ``"linux || darwin"``, ``"!win32"``) → ``sys_platform`` marker."""
    parts = [p.strip() for p in re.split(r"\|\|?", text) if p.strip()]
    if not parts:
        raise ConstraintError(f"empty platform {text!r}")
    out = []
    for p in parts:
        if p.startswith("!="):
            out.append(f'sys_platform != "{p[2:].strip()}"')
        elif p.startswith("!"):
            out.append(f'sys_platform != "{p[1:].strip()}"')
        else:
            out.append(f'sys_platform == "{p.lstrip("=").strip()}"')
    return " or ".join(out)


def normalize_marker(text: str) -> str:
    """A Poetry ``markers`` string → valid PEP 508 (poetry-core's parser accepts a little more)."""
    return _valid_marker(text, text)


def _valid_marker(marker: str, original: str) -> str:
    from packaging.markers import InvalidMarker, Marker

    try:
        return str(Marker(marker))
    except InvalidMarker:
        pass
    try:
        from poetry.core.version.markers import parse_marker

        rewritten = str(parse_marker(marker))
        return str(Marker(rewritten))
    except Exception as exc:
        raise ConstraintError(f"invalid marker {original!r}: {exc}") from None
