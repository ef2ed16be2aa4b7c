"""Poetry version constraints and markers → PEP 440 specifiers and PEP 508 markers, exactly.

Parsing is poetry-core's (the library that defines the syntax): caret ``^``, tilde ``~``, ``~=``,
wildcards, ``||``/``|`` unions, ``!=``, comparison operators, space- or comma-separated lists,
pre-releases, ``v``-prefixed and ``2.0.0-beta.1``-style versions. Turning the result into PEP 440 is ours:

* one range becomes its bounds: ``^1.2.3`` → ``>=1.2.3,<2.0.0``, ``^0.2.3`` → ``>=0.2.3,<0.3.0``,
  ``^0.0.3`` → ``>=0.0.3,<0.0.4``, ``^0`` → ``>=0,<1``, ``~1.2`` → ``>=1.2,<1.3``, ``~=1.2`` →
  ``>=1.2,<2.0`` (``~=1`` too: ``>=1,<2``), ``1.2.*`` → ``==1.2.*``, a bare ``1.2`` → ``==1.2`` (PEP 440
  pads: ``1.2.0`` matches, as in Poetry), ``*`` / ``""`` → no specifier. Poetry's exclusive ``<2.0``
  also excludes the pre-releases of 2.0, which is what PEP 440's ``<2.0`` means.
* a union becomes the hull of its ranges minus each gap, said with ``!=X.*`` blocks and ``!=X``:
  ``^1.0 || ^3.0`` → ``>=1.0,!=2.*,<4.0``, ``<1.0 || >=2.0`` → ``!=1.*``, ``>=4,<5.0.dev0 || >=5.1.dev0``
  → ``>=4,!=5.0.*``. Where a gap cannot be said whole, the rest stays admitted (never cut out):
  ``>=3.9,<3.9.7 || >3.9.7`` → ``>=3.9,!=3.9.7`` (also admits 3.9.7's pre- and post-releases).

Every result is compared with poetry-core's own ``allows()`` on a grid of versions around every number of
the constraint (pre-, dev-, post- and local releases, zero-padded forms). ``exact`` is True only when
they agree; otherwise ``note`` names versions the result admits and Poetry does not. The result is never
narrower than Poetry's (if a candidate were, the hull is used). The usual inexact cases: pre-releases at
the start of a union's gap (``^1.0 || ^3.0`` admits ``3.0a1``, Poetry's ``>=3.0`` does not — PEP 440
cannot exclude them; ``prereleases_only`` says so, and uv, like Poetry, picks a pre-release only when
asked or when nothing else fits) and local labels on bounds (PEP 440 has no ``>=2.1.2+cpu``).
One deliberate reading: a ``!=1.5`` the user wrote keeps its PEP 440 meaning (``1.5.post1`` admitted),
as poetry-core's own PEP 508 export writes it, although its resolver drops ``1.5.post1`` once ``!=1.5``
is intersected with a range.

A dependency's ``python = "..."`` becomes the marker Poetry itself writes (poetry-core's
``create_nested_marker``): ``python_version`` where it means the same as the full version (``^3.8`` →
``python_version >= "3.8" and python_version < "4.0"``), ``python_full_version`` where patch precision
matters (``~3.12.7``, ``>=3.8.1``, ``<=3.10`` → ``python_full_version <= "3.10.0"``), ``or`` for unions;
a bare ``3.8`` is ``python_version == "3.8"``: the 3.8 series. ``requires_python`` reads a bare ``3.8``
the same way (``>=3.8,<3.9``, as the ``Requires-Python`` poetry-core writes) and is checked on real
Python versions only (final releases; 2.8 and 2.9 never existed), so ``~2.7 || ^3.4`` is exact.

``platform = "linux || darwin"`` → ``sys_platform == "linux" or sys_platform == "darwin"``; ``!win32`` /
``!=win32`` → ``sys_platform != "win32"``; ``,`` means "and". ``markers`` strings are checked and
normalised by packaging (Poetry's legacy names such as ``os.name`` become ``os_name``).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

#: more wildcard blocks than this for one gap is not a readable specifier: leave the gap in (inexact)
MAX_BLOCKS = 24


class ConstraintError(ValueError):
    """The constraint text is not valid Poetry syntax (or admits nothing)."""


@dataclass(frozen=True)
class Converted:
    """A PEP 440 specifier set ("" = any version) and whether it admits exactly Poetry's versions."""

    specifier: str
    exact: bool = True
    note: str | None = None
    #: not exact, but every extra version found is a pre- or dev-release (neither Poetry nor uv picks
    #: those for a requirement that does not name one, unless nothing else fits)
    prereleases_only: bool = False


# -- parsing ---------------------------------------------------------------------------------------
def _parse(text: str) -> Any:
    """poetry-core constraint, or None for "any version" spelled ``*`` or ``""``."""
    from poetry.core.constraints.version import parse_constraint

    t = text.strip()
    if t in ("", "*"):
        return None
    try:
        return parse_constraint(t)
    except Exception as exc:  # poetry-core raises ParseConstraintError / ValueError
        raise ConstraintError(f"invalid version constraint {text!r}: {exc}") from None


def _ranges(constraint: Any) -> list:
    """poetry-core constraint → sorted, disjoint VersionRanges (a single Version counts as ``==``)."""
    from poetry.core.constraints.version import Version as PV
    from poetry.core.constraints.version import VersionRange, VersionUnion

    ranges = list(constraint.ranges) if isinstance(constraint, VersionUnion) else [constraint]
    ranges = [VersionRange(r, r, True, True) if isinstance(r, PV) else r for r in ranges]
    return sorted(ranges, key=lambda r: (r.min is not None, r.min or 0, not r.include_min))


def _pep(pv: Any, local: bool = True) -> str:
    """A poetry-core version as normalised PEP 440 text (local label dropped unless asked)."""
    text = pv.text if local else pv.text.split("+", 1)[0]
    try:
        return str(Version(text))
    except InvalidVersion:
        return text


def _lower(r: Any) -> str:
    return f"{'>=' if r.include_min else '>'}{_pep(r.min, local=False)}"


def _upper(r: Any) -> str:
    """Poetry stores an exclusive ``<2.0`` as ``<2.0.dev0`` (no pre-releases of 2.0): PEP 440's ``<2.0``
    already means that, so print the bound as the user wrote it."""
    pv = Version(_pep(r.max, local=False))
    text = str(pv)
    if not r.include_max and pv.dev == 0 and pv.pre is None and pv.post is None:
        text = pv.base_version
    return f"{'<=' if r.include_max else '<'}{text}"


def _range_clauses(r: Any) -> list[str]:
    """PEP 440 clauses of one poetry-core VersionRange."""
    if r.is_any():
        return []
    s = str(r)
    if s.startswith("==") and s.endswith(".*"):  # poetry-core prints a whole wildcard block this way
        return [s]
    if r.min is not None and r.min == r.max and r.include_min and r.include_max:
        return [f"=={_pep(r.min)}"]
    out = []
    if r.min is not None:
        out.append(_lower(r))
    if r.max is not None:
        out.append(_upper(r))
    return out


# -- the gaps of a union ---------------------------------------------------------------------------
def _cover(lo: tuple[int, ...], hi: tuple[int, ...]) -> list[tuple[int, ...]]:
    """Wildcard blocks (``X.*``, ``X.Y.*``, …) lying wholly in the release interval [lo, hi).

    A block ``X.*`` holds every version whose release starts with X (its dev-, pre-, post- and local
    releases too), i.e. the versions from ``X.dev0`` up to, not including, the next block's ``.dev0``.
    Parts of [lo, hi) that need infinitely many blocks (``1.5`` to ``2.0`` is ``1.5.*, 1.6.*, …``) are left out.
    """
    n = max(len(lo), len(hi))
    lo, hi = lo + (0,) * (n - len(lo)), hi + (0,) * (n - len(hi))
    blocks: list[tuple[int, ...]] = []
    while lo < hi:
        i = next(k for k in range(n) if lo[k] != hi[k])
        start = lo[i] if not any(lo[i + 1:]) else lo[i] + 1
        blocks.extend(lo[:i] + (k,) for k in range(start, hi[i]))
        if len(blocks) > MAX_BLOCKS:
            return []
        lo = hi[: i + 1] + (0,) * (n - i - 1)
    return blocks


def _gap_clauses(x: Any, y: Any, python: bool) -> list[str]:
    """``!=`` clauses removing (as much as PEP 440 can) the versions between range x and range y."""
    a, b = Version(_pep(x.max)), Version(_pep(y.min))
    if a == b and not x.include_max and not y.include_min:
        return [f"!={b}"]  # one version left out (`!=1.5+cpu` keeps its label: valid with !=)
    if a.epoch or b.epoch or a.local or b.local:
        return []
    # the first block may start at a's own release when the gap begins at a.dev0 (Poetry's `<a` ends
    # there); otherwise (`<=a`, `<a.post1`, `<a rc1`) only past every version of that release
    whole = not x.include_max and a.pre is None and a.post is None and a.dev in (None, 0)
    lo = a.release if whole else a.release + (1,)
    hi = b.release  # the last block ends at b.dev0: pre-releases of b before b itself stay (noted)
    if python and lo[:1] == (2,) and lo[1:2] >= (8,) and hi >= (3,):
        lo = (3, 0)  # Python 2.8 and 2.9 never existed
    clauses = [f"!={'.'.join(map(str, blk))}.*" for blk in _cover(lo, hi)]
    if not y.include_min and b.pre is None and b.dev is None:
        clauses.append(f"!={b}")  # `>b`: b itself (and b+local) is in the gap
    return clauses


def _union_clauses(rs: list, python: bool) -> list[str]:
    """Hull of the (sorted) ranges minus what PEP 440 can say of each gap between them."""
    clauses = [b for b in _hull(rs).split(",") if b.startswith(">")]
    for x, y in zip(rs, rs[1:]):
        if x.max is not None and y.min is not None and x.max <= y.min:  # a real gap, not an overlap
            clauses += _gap_clauses(x, y, python)
    return clauses + [b for b in _hull(rs).split(",") if b.startswith("<")]


def _hull(rs: list, inclusive: bool = False) -> str:
    """The smallest single range holding every range (bounds made inclusive when asked)."""
    out = []
    if all(r.min is not None for r in rs):
        lo = min(rs, key=lambda r: (r.min, not r.include_min))
        out.append(f"{'>=' if lo.include_min or inclusive else '>'}{_pep(lo.min, local=False)}")
    if all(r.max is not None for r in rs):
        hi = max(rs, key=lambda r: (r.max, r.include_max))
        out.append(f"<={_pep(hi.max, local=False)}" if inclusive else _upper(hi))
    return ",".join(out)


# -- the grid oracle -------------------------------------------------------------------------------
_VERSION_TOKEN = re.compile(
    r"v?\d+(?:\.\d+)*(?:[-_.]?(?:a|b|c|rc|alpha|beta|pre|preview|dev|post)[-_.]?\d*)*(?:\+[a-z0-9.]+)?", re.I
)


def _grid(texts: tuple[str, ...]) -> list[str]:
    """Versions around every number and version of ``texts``: where a conversion could go wrong."""
    nums: set[tuple[int, ...]] = set()
    extra: set[str] = set()
    for t in texts:
        for m in _VERSION_TOKEN.findall(t):
            try:
                v = Version(m)
            except InvalidVersion:
                continue
            nums.add(v.release[:5])
            base = v.base_version
            extra.update({str(v), f"{v.public}+local", f"{base}.dev0", f"{base}.post1", f"{base}a0"})
            if v.local:  # local labels sort: put one before and one after the written label
                extra.update({f"{v.public}+0", f"{v.public}+zzz", f"{v.public}+{v.local}.0"})
            if v.pre:
                extra.update(f"{base}{v.pre[0]}{n}" for n in (v.pre[1], v.pre[1] + 1, max(0, v.pre[1] - 1)))
                extra.update(f"{base}{v.pre[0]}{v.pre[1]}{s}" for s in (".dev0", ".post1"))
            if v.post is not None:
                extra.update(f"{base}.post{n}" for n in (v.post + 1, max(0, v.post - 1)))
                extra.update(f"{base}.post{v.post}{s}" for s in (".dev0", "+local"))
            if v.dev is not None:
                extra.update(f"{v.public.rsplit('.dev', 1)[0]}.dev{n}" for n in (v.dev + 1, max(0, v.dev - 1)))
    extra = {e for e in extra if _valid(e)}
    return list(set(_grid_for(frozenset(nums))) | extra)


def _valid(text: str) -> bool:
    try:
        Version(text)
    except InvalidVersion:
        return False
    return True


@lru_cache(maxsize=1024)
def _grid_for(nums: frozenset) -> tuple[str, ...]:
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
    return tuple(out)


@lru_cache(maxsize=65536)
def _versions(v: str) -> tuple[Version, Any]:
    """(packaging Version, poetry-core Version) of one grid point, parsed once."""
    from poetry.core.constraints.version import Version as PV

    return Version(v), PV.parse(v)


_PY_GRID = tuple(
    ["1.0.0", "2.0.0", "2.6.9", "2.7.0", "2.7.18"]
    + [f"3.{m}.{p}" for m in range(0, 31) for p in (0, 1, 5, 12)]
    + [f"{x}.{m}.{p}" for x in (4, 5) for m in (0, 1, 2) for p in (0, 1)]
)


def _written_exclusions(text: str) -> set[Version]:
    """Versions written as ``!=X`` (no wildcard) in the constraint text."""
    out = set()
    for m in re.finditer(r"!=\s*([^\s,|*+]+)(?![.*\w+])", text):
        try:
            out.add(Version(Version(m.group(1)).base_version))
        except InvalidVersion:
            pass
    return out


def _disagreements(constraint: Any, spec_text: str, text: str, python: bool) -> tuple[list[str], list[str]]:
    """(grid versions the specifier admits and Poetry does not, versions Poetry admits and it does not)."""
    spec = SpecifierSet(spec_text)
    written = _written_exclusions(text)
    wider, narrower = [], []
    for v in _PY_GRID if python else _grid((text, spec_text)):
        pkv, pv = _versions(v)
        ours, theirs = spec.contains(pkv, prereleases=True), constraint.allows(pv)
        if ours == theirs:
            continue
        if ours and pkv.post is not None and Version(pkv.base_version) in written:
            continue  # the user's own `!=X` keeps its PEP 440 meaning (module docstring)
        (wider if ours else narrower).append(v)
    return wider, narrower


def _one_spelling(versions: list[str], text: str) -> list[str]:
    """One spelling per version (``3.0a1``, not also ``3a1`` and ``3.0.0a1``): as many release parts as
    the constraint's versions have."""
    lengths = [len(m.split(".")) for m in re.findall(r"\d+(?:\.\d+)*", text)] or [1]
    want = max(set(lengths), key=lengths.count)

    def rank(v: str) -> tuple[int, int]:
        return abs(len(_versions(v)[0].release) - want), len(v)

    best: dict[Version, str] = {}
    for v in versions:
        key = _versions(v)[0]
        if key not in best or rank(v) < rank(best[key]):
            best[key] = v
    return list(best.values())


# -- public API ------------------------------------------------------------------------------------
def _python_reading(constraint: Any) -> Any:
    """Poetry's reading of a ``python`` constraint: a bare ``3.8`` is the 3.8 series (``~3.8``) and a bare
    ``3`` is ``^3.0``, as poetry-core writes ``Requires-Python`` and ``python_version == "3.8"``."""
    from poetry.core.constraints.version import VersionUnion, parse_constraint

    out = []
    for r in _ranges(constraint):
        if r.min is not None and r.min == r.max and r.include_min and r.include_max and r.min.precision <= 2:
            v = r.min
            r = parse_constraint(f"~{v.major}.{v.minor}" if v.precision == 2 else f"^{v.major}.0")
        out.append(r)
    return VersionUnion.of(*out)


@lru_cache(maxsize=4096)
def _candidate(text: str, python: bool) -> tuple[Any, str]:
    """(poetry-core's reading, our PEP 440 specifier for it) before the grid check; errors as _convert's."""
    constraint = _parse(text)
    if constraint is None or constraint.is_any():
        return None, ""
    if constraint.is_empty():
        raise ConstraintError(f"{'python' if python else 'version'} constraint {text!r} admits no version")
    if python:
        constraint = _python_reading(constraint)
    rs = _ranges(constraint)
    clauses = _range_clauses(rs[0]) if len(rs) == 1 else _union_clauses(rs, python)
    spec_text = ",".join(dict.fromkeys(clauses))
    try:
        SpecifierSet(spec_text)
    except InvalidSpecifier:
        spec_text = _hull(rs, inclusive=True)
    return constraint, spec_text


#: a constraint of plain release numbers and simple operators (98% of the corpus's): the only kind whose
#: check waits (the others, where the inexact conversions are, are checked at once)
_PLAIN = re.compile(r"\s*(?:(?:\^|~=|~|>=|<=|>|<|==)\s*)?v?\d+(?:\.\d+)*\s*(?:,\s*(?:>=|<=|>|<)\s*\d+(?:\.\d+)*\s*)*")


def _convert(text: str, python: bool) -> Converted:
    later = getattr(_DEFERRED, "checks", None)
    if later is None or not _PLAIN.fullmatch(text):
        return _checked(text, python)
    constraint, spec_text = _candidate(text, python)
    return later.add(text, python, Converted(spec_text))


@lru_cache(maxsize=4096)
def _checked(text: str, python: bool) -> Converted:
    constraint, spec_text = _candidate(text, python)
    if constraint is None:
        return Converted("")
    rs = _ranges(constraint)
    wider, narrower = _disagreements(constraint, spec_text, text, python)
    if narrower:  # never narrower than Poetry: the hull, then inclusive bounds, then any version
        for spec_text in (_hull(rs), _hull(rs, inclusive=True), ""):
            wider, narrower = _disagreements(constraint, spec_text, text, python)
            if not narrower:
                break
    if not wider:
        return Converted(spec_text)
    wider = _one_spelling(wider, text)
    pre_only = all(_versions(v)[0].is_prerelease for v in wider)
    what = "Python " if python else ""
    # the most telling first: final releases, then post- and local releases, then pre-releases
    wider.sort(key=lambda v: _versions(v)[0])
    wider.sort(key=lambda v: 2 if _versions(v)[0].is_prerelease else 1 if _versions(v)[0].post is not None
               or _versions(v)[0].local else 0)
    shown = ", ".join(wider[:4]) + (", …" if len(wider) > 4 else "")
    note = (f"{what}{text!r} has no exact PEP 440 form; {spec_text or 'any version'!r} also admits {shown}"
            + (" (pre-releases only)" if pre_only else ""))
    return Converted(spec_text, False, note, pre_only)


# -- the grid check while uv works -----------------------------------------------------------------
_DEFERRED = threading.local()


class DeferredChecks:
    """Conversions made without the grid check, checked later (:func:`checks_deferred`).

    The check takes ~0.2 s of CPU for a mid-size project; only constraints of plain release numbers
    wait for it (``^1.2``, ``>=1,<3``: where no inexact conversion has been seen; unions, wildcards,
    pre-, post- and local releases are checked at once). The lock stage runs it in the background
    while uv resolves (:meth:`start`), and :meth:`finish` says whether every conversion given out was
    the checked one. When one was not, the caller starts again with checks made at once, so nothing
    differs from a run that never deferred them."""

    def __init__(self) -> None:
        self._given: list[tuple[str, bool, Converted]] = []
        self._job = None
        self._checked_upto = 0
        self._ok = True

    def add(self, text: str, python: bool, given: Converted) -> Converted:
        self._given.append((text, python, given))
        return given

    def _check(self, upto: int) -> bool:
        ok = True
        for text, python, given in self._given[self._checked_upto:upto]:
            ok = ok and _checked(text, python) == given
        return ok

    def start(self) -> None:
        """Check what was given out so far, in the background."""
        if self._job is not None or not self._given:
            return
        from migrate.interrupt import Job

        upto = self._job_upto = len(self._given)
        self._job = Job(lambda: self._check(upto))

    def finish(self) -> bool:
        """Wait for the check (what was given out since :meth:`start` is checked now); True when every
        conversion given out equals the checked one."""
        ok = True
        if self._job is not None:
            ok = self._job.result()
            self._checked_upto = self._job_upto
        return ok and self._check(len(self._given))


class checks_deferred:
    """``with checks_deferred() as checks:`` conversions in this thread skip the grid check until
    ``checks.finish()`` (see :class:`DeferredChecks`)."""

    def __enter__(self) -> DeferredChecks:
        self._before = getattr(_DEFERRED, "checks", None)
        _DEFERRED.checks = DeferredChecks()
        return _DEFERRED.checks

    def __exit__(self, *exc) -> None:
        _DEFERRED.checks = self._before


def start_deferred_checks() -> None:
    """Start checking this thread's deferred conversions in the background (the lock stage calls it
    when uv starts resolving: the main thread only waits then)."""
    later = getattr(_DEFERRED, "checks", None)
    if later is not None:
        later.start()


def convert_constraint(text: str) -> Converted:
    """A dependency's Poetry version constraint → PEP 440 specifier set (``""``: any version)."""
    return _convert(text, False)


def requires_python(text: str) -> Converted:
    """``[tool.poetry.dependencies] python`` → ``requires-python`` (checked on real Python versions)."""
    return _convert(text, True)


def python_constraint_to_marker(text: str) -> str | None:
    """A dependency's ``python = "..."`` → PEP 508 marker, as Poetry writes it (None: every Python)."""
    from poetry.core.packages.utils.utils import create_nested_marker

    constraint = _parse(text)
    if constraint is None or constraint.is_any():
        return None
    if constraint.is_empty():
        raise ConstraintError(f"python constraint {text!r} admits no version")
    marker = create_nested_marker("python_version", constraint)
    return _valid_marker(marker, text) if marker else None


_PLATFORM = re.compile(r"[A-Za-z0-9_.\-]+")


def platform_to_marker(text: str) -> str:
    """Poetry ``platform = "linux"`` (also ``"linux || darwin"``, ``"!win32"``, ``"!=win32"``) → ``sys_platform``.

    ``||`` / ``|`` separate alternatives, ``,`` joins conditions that must all hold. An empty string is
    no condition (``""``), as in Poetry.
    """
    if not text.strip():
        return ""
    alternatives = []
    for alt in re.split(r"\|\|?", text):
        conds = []
        for part in (p.strip() for p in alt.split(",")):
            neg = part.startswith("!")
            name = part[2:] if part.startswith(("!=", "==")) else part[1:] if neg else part
            name = name.strip()
            if not _PLATFORM.fullmatch(name):
                raise ConstraintError(f"invalid platform {text!r}: expected names like 'linux' or '!win32'")
            conds.append(f'sys_platform {"!=" if neg else "=="} "{name}"')
        if sum(c.startswith('sys_platform ==') for c in conds) > 1 and len(set(conds)) > 1:
            raise ConstraintError(f"platform {text!r} admits no platform (one platform cannot be two)")
        alternatives.append(" and ".join(dict.fromkeys(conds)))
    if len(alternatives) > 1:
        alternatives = [f"({a})" if " and " in a else a for a in alternatives]
    return " or ".join(dict.fromkeys(alternatives))


def normalize_marker(text: str) -> str:
    """A Poetry ``markers`` string → valid PEP 508 (legacy names such as ``os.name`` become ``os_name``).

    An empty string is no condition (``""``), as in Poetry."""
    if not text.strip():
        return ""
    return _valid_marker(text, text)


def _valid_marker(marker: str, original: str) -> str:
    from packaging.markers import InvalidMarker, Marker

    try:
        return str(Marker(marker))
    except InvalidMarker:
        pass
    try:
        from poetry.core.version.markers import parse_marker

        return str(Marker(str(parse_marker(marker))))
    except Exception as exc:
        raise ConstraintError(f"invalid marker {original!r}: {exc}") from None
