"""Narrowing ``[tool.uv] environments`` to leave out exactly the environment uv could not lock for.

uv locks universally: for every Python version, platform and implementation ``requires-python``
admits. Poetry and Pipenv did not always; a project can lock under Poetry and fail under uv only for
an environment it never ran in. When uv's error names that environment — ``No solution found when
resolving dependencies for split (markers: M)``, or the ``package{M}`` conditions in its explanation —
and *every* failing environment is one the project does not target, the lock is retried with
``environments`` narrowed to ``not M``:

* an interpreter other than CPython (``platform_python_implementation == 'PyPy'``);
* a Python version range above the target (``python_full_version >= '3.14'`` for a 3.13t target), as
  long as ``requires-python`` still admits versions outside it;
* a Python version range below the target when ``requires-python`` is the reader's default (MIG112:
  the project states no Python version), not a range the project claims;
* a Python version range below the target that the old lock itself could not install: uv's explanation
  says a package ``depends on Python>=V`` for a range holding the version the old lock pinned
  (pipenv-setup: ``python_requires=">=2.6"`` but its Pipfile.lock pins pytest 7.1.2, which needs 3.7);
* a platform nothing in the old lock was built for (no wheel in ``poetry.lock`` for it and no pin
  whose marker names it; the common three — Linux, macOS, Windows — only then).

Anything else (the target itself, a platform the old lock had wheels for) is never excluded: uv's
error stands. Nothing is dropped from the requirements. The narrowing is written with a comment and
warned as MIG210 naming what was excluded and how to widen it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SPLIT = re.compile(r"resolving dependencies for split \(markers: (?P<m>.+)\)\s*$", re.M)
_COND = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(?:\[[^\]]*\])?\{(?P<m>[^{}]+)\}")

_IMPL = {"platform_python_implementation", "implementation_name"}
_PYVER = {"python_version", "python_full_version"}
_PLATFORM = {"sys_platform", "platform_system", "os_name"}
_NEGATE = {"==": "!=", "!=": "==", "<": ">=", ">=": "<", ">": "<=", "<=": ">", "in": "not in", "not in": "in"}
#: how each platform value shows in wheel tags
_TAGS = {"win32": ("win",), "windows": ("win",), "nt": ("win",), "darwin": ("macosx",), "linux": ("linux",),
         "posix": ("linux", "macosx")}


@dataclass(frozen=True)
class Exclusion:
    marker: str  # the environment uv could not lock for
    reason: str  # why the project does not need it

    def to_json(self) -> dict:
        return {"marker": self.marker, "reason": self.reason}


def failing_markers(stderr: str) -> list[str]:
    """The environments uv's message says it could not lock for (the split, else the conditions of
    the requirements in its explanation). Empty when it names none (the failure is everywhere)."""
    found = [m.group("m").strip() for m in _SPLIT.finditer(stderr)]
    if not found and "No solution found" in stderr:
        found = [m.group("m").strip() for m in _COND.finditer(stderr)]
    return list(dict.fromkeys(found))


def _parse(marker: str):
    from packaging.markers import InvalidMarker, Marker

    try:
        return Marker(marker)._markers
    except InvalidMarker:
        return None


def _atom(item) -> tuple[str, str, str] | None:
    lhs, op, rhs = item
    if type(lhs).__name__ == "Variable" and type(rhs).__name__ == "Value":
        return lhs.value, op.value, rhs.value
    if type(rhs).__name__ == "Variable" and type(lhs).__name__ == "Value":
        flip = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "==": "==", "!=": "!="}
        if op.value in flip:
            return rhs.value, flip[op.value], lhs.value
    return None


def _alternatives(tree) -> list[list]:
    """A parsed marker as or-separated groups of and-ed items."""
    groups, current = [], []
    for item in tree:
        if item == "or":
            groups.append(current)
            current = []
        elif item != "and":
            current.append(item)
    groups.append(current)
    return groups


def negate(marker: str) -> str | None:
    """The PEP 508 negation of ``marker`` (De Morgan, each comparison inverted); None when some
    comparison has no inverse (``~=``, ``===``)."""
    tree = _parse(marker)
    if tree is None:
        return None

    def neg(items) -> str | None:
        alts = []
        for group in _alternatives(items):
            parts = []  # not (a and b) = not a or not b
            for item in group:
                if isinstance(item, list):
                    inner = neg(item)
                else:
                    atom = _atom(item)
                    if atom is None or atom[1] not in _NEGATE:
                        return None
                    inner = f"{atom[0]} {_NEGATE[atom[1]]} '{atom[2]}'"
                if inner is None:
                    return None
                parts.append(inner)
            alts.append(parts[0] if len(parts) == 1 else "(" + " or ".join(parts) + ")")
        # not (A or B) = not A and not B
        if len(alts) == 1 and alts[0].startswith("(") and alts[0].endswith(")") and len(group) > 1:
            return alts[0][1:-1]
        return " and ".join(alts)

    return neg(tree)


def _version_tuple(v: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", v)[:3])


@dataclass(frozen=True)
class PinFloor:
    """The lowest Python the old lock's pins could run on, as uv's explanation shows it."""

    python: str  # "3.7"
    because: str  # "pytest 7.1.2 needs Python>=3.7"


_NEEDS_PYTHON = re.compile(r"(?:all (?:of the )?versions of )?(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)"
                           r"(?P<spec>(?:(?:==|!=|<=|>=|<|>|~=)[^\s,]+,?)*) (?:depends? on|requires?) Python\s*>=\s*"
                           r"(?P<v>\d+(?:\.\d+)*)")


def old_pins_python_floor(stderr: str, pins) -> PinFloor | None:
    """The highest ``Python>=V`` uv's explanation gives (``X>=1,<2 depends on Python>=V``, ``X==1 requires
    Python >=V``) for a package range that holds the version the old lock pinned (so the old lock never installed below V); None when it names no pinned version."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.utils import canonicalize_name

    pinned: dict[str, list[str]] = {}
    for pin in pins:
        pinned.setdefault(canonicalize_name(pin.name), []).append(pin.version)
    best: PinFloor | None = None
    for m in _NEEDS_PYTHON.finditer(stderr):
        versions = pinned.get(canonicalize_name(m.group("name")), [])
        try:
            spec = SpecifierSet(m.group("spec").rstrip(","))
        except InvalidSpecifier:
            continue
        held = [v for v in versions if spec.contains(v, prereleases=True)]
        if held and (best is None or _version_tuple(m.group("v")) > _version_tuple(best.python)):
            best = PinFloor(m.group("v"), f"the old lock pins {m.group('name')} {held[0]}, which needs "
                                          f"Python>={m.group('v')}")
    return best


def _excludable_atom(atom: tuple[str, str, str], target_version: str, requires_python: str | None,
                     old_platforms: set[str], pinned_platforms: set[str], guessed: bool = False,
                     floor: PinFloor | None = None) -> str | None:
    var, op, value = atom
    if var in _PYVER and guessed and _below(op, value, target_version):
        return f"Python {op} {value}, below the {target_version} target, which only the default requires-python admitted"
    if var in _PYVER and floor is not None and _below(op, value, target_version) and _below(op, value, floor.python):
        return f"Python {op} {value}, below the {target_version} target: {floor.because}"
    if var in _IMPL:
        cpython = value.lower() == "cpython"
        if (op == "==" and not cpython) or (op == "!=" and cpython):
            return f"{value if op == '==' else 'non-CPython'} interpreters (the project targets CPython)"
        return None
    if var in _PYVER:
        if op not in (">=", ">"):
            return None
        bound = _version_tuple(value) + (0, 0)
        target = _version_tuple(target_version)[:2]
        # the region must leave every target version (3.13.x) out
        if bound[:2] < target or (bound[:2] == target and not (op == ">" and var == "python_version")):
            return None
        if requires_python:
            from packaging.specifiers import InvalidSpecifier, SpecifierSet

            try:
                spec = SpecifierSet(requires_python)
            except InvalidSpecifier:
                return None
            outside = [f"3.{m}.{p}" for m in range(0, 40) for p in (0, 99) if (3, m, p) < bound[:3]]
            if not any(spec.contains(v, prereleases=True) for v in outside):
                return None  # nothing would be left
        return f"Python {op} {value}, above the {target_version} target"
    if var in _PLATFORM:
        v = value.lower()
        if op != "==" or v in pinned_platforms:
            return None
        tags = _TAGS.get(v)
        if tags is None:  # an uncommon platform (emscripten, cygwin, aix, ...)
            return f"{var} == '{value}' (no wheel in the old lock was built for it)"
        native = old_platforms & {"linux", "macosx", "win"}
        if native and not any(t in native for t in tags):
            return f"{var} == '{value}' (the old lock's wheels were built for {', '.join(sorted(native))} only)"
    return None


def _below(op: str, value: str, target_version: str) -> bool:
    """Whether ``python_(full_)version op value`` holds for no target version (3.13.x) and lies below it."""
    target = _version_tuple(target_version)[:2]
    v = _version_tuple(value.rstrip(".*"))
    if op == "==" or op == "===":
        return v[:2] < target
    if op == "<":
        return v[:2] <= target and (v + (0, 0))[:3] <= target + (0,)
    if op == "<=":
        return v[:2] < target
    return False


def exclusion(marker: str, target_version: str, requires_python: str | None, old_platforms: set[str],
              pinned_platforms: set[str], guessed: bool = False, floor: PinFloor | None = None) -> Exclusion | None:
    """An :class:`Exclusion` when every part of ``marker`` lies in an environment the project does
    not target (see the module docstring); None otherwise. ``guessed``: requires-python is a default
    written by the reader (MIG112), so a Python range below the target is not one the project claims."""
    tree = _parse(marker)
    if tree is None or negate(marker) is None:
        return None
    reasons = []
    for group in _alternatives(tree):
        why = None
        for item in group:  # a conjunction is excludable if one of its terms is
            if isinstance(item, list):
                sub = exclusion(str_of(item), target_version, requires_python, old_platforms, pinned_platforms,
                                guessed, floor)
                why = why or (sub.reason if sub else None)
            else:
                atom = _atom(item)
                if atom is not None:
                    why = why or _excludable_atom(atom, target_version, requires_python, old_platforms,
                                                  pinned_platforms, guessed, floor)
        if why is None:
            return None
        reasons.append(why)
    return Exclusion(marker, "; ".join(dict.fromkeys(reasons)))


def str_of(items) -> str:
    out = []
    for item in items:
        if item in ("and", "or"):
            out.append(item)
        elif isinstance(item, list):
            out.append(f"({str_of(item)})")
        else:
            lhs, op, rhs = item
            side = lambda x: x.value if type(x).__name__ == "Variable" else f"'{x.value}'"  # noqa: E731
            out.append(f"{side(lhs)} {op.value} {side(rhs)}")
    return " ".join(out)


def environments_marker(exclusions: list[Exclusion], existing: list[str] | None = None) -> list[str]:
    """The ``environments`` list that leaves out every exclusion (kept inside ``existing`` if set)."""
    negs = [negate(e.marker) for e in exclusions]
    wrapped = [f"({n})" if " or " in n else n for n in negs if n]
    body = " and ".join(wrapped)
    if not existing:
        return [body]
    return [f"({e}) and {body}" for e in existing]


def with_environments(text: str, exclusions: list[Exclusion], existing: list[str] | None = None) -> str:
    """``text`` (pyproject.toml) with ``[tool.uv] environments`` narrowed, with a comment saying why
    and how to widen it."""
    import tomlkit

    doc = tomlkit.parse(text)
    tool = doc.setdefault("tool", tomlkit.table(is_super_table=True))
    uv = tool.setdefault("uv", tomlkit.table())
    arr = tomlkit.array()
    for env in environments_marker(exclusions, existing):
        arr.add_line(env, indent="    ")
    arr.add_line(indent="")
    what = "; ".join(f"{e.marker} ({e.reason})" for e in exclusions)
    if "environments" in uv:
        uv["environments"] = arr
    else:
        uv.add(tomlkit.comment(f"migrate: uv could not lock for {what}, which the old lock did not need;"))
        uv.add(tomlkit.comment("widen by editing or removing `environments`, then run `uv lock`"))
        uv["environments"] = arr
    return tomlkit.dumps(doc)


def old_lock_platforms(root, source_format: str) -> set[str]:
    """Platform tags ("linux", "macosx", "win") of the wheels the old lock listed (poetry.lock names
    its files; Pipfile.lock does not: empty)."""
    from pathlib import Path

    lock = Path(root) / "poetry.lock"
    if source_format != "poetry" or not lock.is_file():
        return set()
    try:
        text = lock.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return set()
    out = set()
    for tag in re.findall(r"-([A-Za-z0-9_.]+)\.whl", text):
        t = tag.lower()
        for name in ("linux", "macosx", "win"):
            if name in t:
                out.add(name)
        if "any" == t:
            out.add("any")
    return out


def pinned_platforms(pins) -> set[str]:
    """Platforms the old lock's pin markers name positively (``sys_platform == 'win32'``)."""
    out = set()
    for p in pins:
        for m in re.finditer(r"(?:sys_platform|platform_system|os_name)\s*==\s*['\"]([^'\"]+)['\"]", p.marker or ""):
            out.add(m.group(1).lower())
    return out
