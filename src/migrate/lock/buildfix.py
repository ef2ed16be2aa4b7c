"""Old source distributions that no longer build with today's build tools: the build constraint that
makes them build again.

uv builds a source distribution (an sdist-only version the old lock pinned, or the only versions the
project's range admits) in an isolated environment with the newest build requirements. Poetry and
Pipenv built it years ago with the build tools of that time; some of those tools have since removed
what the old sdist relies on. When uv's build error is one of these known removals, the lock is retried
with ``[tool.uv] build-constraint-dependencies`` capping that build tool below the release that removed
it (uv applies build constraints to every build, at lock and at sync, so the environment builds as
well), written with a comment and warned as MIG211 naming the package and how to lift the cap.

Each rule is a removal documented by the tool's own changelog, recognised by the message the old build
prints; nothing else is capped (a build failing for another reason keeps uv's error).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class BuildCap:
    requirement: str  # the build constraint, e.g. "setuptools<58"
    package: str  # the distribution that failed to build ("feedparser==5.2.1")
    reason: str  # what was removed

    def to_json(self) -> dict:
        return {"requirement": self.requirement, "package": self.package, "reason": self.reason}


#: (message the failing build prints, build constraint, what the capped release removed)
RULES: list[tuple[re.Pattern, str, str]] = [
    (re.compile(r"cannot import name '?Feature'? from '?setuptools"), "setuptools<46",
     "setuptools 46.0 removed Feature"),
    (re.compile(r"use_2to3 is invalid"), "setuptools<58",
     "setuptools 58.0 removed use_2to3"),
    (re.compile(r"No module named '?pkg_resources'?"), "setuptools<82",
     "setuptools 82.0 removed pkg_resources"),
    (re.compile(r"AttributeError: cython_sources"), "cython<3",
     "Cython 3.0 broke setup scripts written for Cython 0.29 (cython_sources)"),
]

_FAILED = re.compile(r"Failed to (?:download and )?build `(?P<pkg>[^`]+)`")


def build_caps(stderr: str, have: list[BuildCap] | tuple = ()) -> list[BuildCap]:
    """The build constraints uv's build error asks for (none already in ``have``)."""
    text = stderr or ""
    m = _FAILED.search(text)
    package = m.group("pkg") if m else "a source distribution"
    seen = {c.requirement for c in have}
    out = []
    for pattern, requirement, reason in RULES:
        if requirement not in seen and pattern.search(text):
            out.append(BuildCap(requirement, package, reason))
            seen.add(requirement)
    return out


@dataclass
class BuildCaps:
    """The caps a lock runs with, and those given up."""

    active: list[BuildCap] = field(default_factory=list)
    rejected: list[BuildCap] = field(default_factory=list)

    def revise(self, stderr: str, pyproject: str = "") -> bool:
        """Update the caps from a failed build's message; True when they changed (lock again).

        A cap that a build requirement contradicts — the project's own ``build-system`` needs a newer
        tool (``setuptools>=61.0`` against ``setuptools<46``), known from ``pyproject`` or from uv's
        message when a path dependency's build says so — is given up: one constraint list applies to
        every build, so it cannot hold for both; the old sdist's failure then stands."""
        clash = [c for c in self.active if c.requirement in (stderr or "")
                 and re.search(r"build-system\.requires|No solution found when resolving: `", stderr)]
        if clash:
            self.active = [c for c in self.active if c not in clash]
            self.rejected += clash
            return True
        new = build_caps(stderr, self.active + self.rejected)
        own = [c for c in new if _contradicts(c.requirement, _build_requires(pyproject))]
        self.rejected += own
        new = [c for c in new if c not in own]
        self.active += new
        return bool(new)


def _build_requires(pyproject: str) -> list[str]:
    import tomllib

    try:
        reqs = tomllib.loads(pyproject or "").get("build-system", {}).get("requires", [])
    except ValueError:
        return []
    return [r for r in reqs if isinstance(r, str)] if isinstance(reqs, list) else []


def _contradicts(cap: str, requires: list[str]) -> bool:
    """Whether a build requirement admits no version the cap admits."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name
    from packaging.version import Version

    c = Requirement(cap)
    grid = [Version(f"{major}.{minor}") for major in range(0, 150) for minor in (0, 1, 5, 9)]
    for text in requires:
        try:
            r = Requirement(text)
        except InvalidRequirement:
            continue
        if canonicalize_name(r.name) == canonicalize_name(c.name) and \
                not any(v in r.specifier and v in c.specifier for v in grid):
            return True
    return False


def with_build_caps(text: str, caps: list[BuildCap]) -> str:
    """``text`` (pyproject.toml) with ``caps`` in ``[tool.uv] build-constraint-dependencies`` (created
    if absent), each with a comment naming the package that needed it."""
    if not caps:
        return text
    import tomlkit

    doc = tomlkit.parse(text)
    tool = doc.setdefault("tool", tomlkit.table(is_super_table=True))
    uv = tool.setdefault("uv", tomlkit.table())
    arr = uv.get("build-constraint-dependencies")
    if arr is None:
        uv.add(tomlkit.comment("migrate: old source distributions that today's build tools cannot build;"))
        uv.add(tomlkit.comment("drop an entry once the package needing it is upgraded, then run `uv lock`"))
        arr = tomlkit.array()
        uv["build-constraint-dependencies"] = arr
    have = {str(x) for x in arr}
    for cap in caps:
        if cap.requirement not in have:
            arr.add_line(cap.requirement, indent="    ", comment=f"{cap.package}: {cap.reason}")
    if len(arr) and not arr.as_string().rstrip().endswith("\n]"):
        arr.add_line(indent="")
    return tomlkit.dumps(doc)
