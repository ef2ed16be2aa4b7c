"""Generated Poetry constraints: the PEP 440 result admits exactly what poetry-core admits.

The oracle is poetry-core's ``parse_constraint(text).allows(v)`` on a dense grid of versions (every
release 0..4 with up to 3 parts, plus pre-, post-, dev- and local variants of every number in the text).
Two documented readings are allowed to differ, and only by admitting more:
pre-releases when the constraint names none (neither Poetry nor uv picks them then), and post/local
releases of a single excluded version (``!=1.5`` keeps PEP 440's meaning, as poetry-core's PEP 508 export).
A result flagged ``exact=False`` must still admit every version Poetry admits (widened, never narrowed).
"""

from __future__ import annotations

import itertools
import re

import os

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from packaging.specifiers import SpecifierSet
from packaging.version import Version
from poetry.core.constraints.version import Version as PV
from poetry.core.constraints.version import parse_constraint

from migrate.constraints import ConstraintError, convert_constraint

BASE_GRID = sorted(
    {".".join(map(str, p)) for n in (1, 2, 3) for p in itertools.product(range(5), repeat=n)},
    key=Version,
)

num = st.integers(0, 4)


@st.composite
def versions(draw, min_parts=1):
    parts = draw(st.lists(num, min_size=min_parts, max_size=3))
    text = ".".join(map(str, parts))
    suffix = draw(st.sampled_from(["", "", "", "a1", "b2", "rc1", ".post1", ".dev0"]))
    return text + suffix


@st.composite
def atoms(draw):
    kind = draw(st.sampled_from(["^", "~", "~=", "*", "bare", "==", "!=", "!=*", "<", "<=", ">", ">="]))
    if kind == "~=":
        return "~=" + draw(versions(min_parts=2))
    if kind in ("*", "!=*"):
        prefix = ".".join(map(str, draw(st.lists(num, min_size=1, max_size=2))))
        return ("!=" if kind == "!=*" else "") + prefix + ".*"
    v = draw(versions())
    return {"bare": v}.get(kind, kind + v)


@st.composite
def constraints(draw):
    def conj():
        parts = draw(st.lists(atoms(), min_size=1, max_size=3))
        sep = draw(st.sampled_from([",", ", ", " "]))
        return sep.join(parts)

    branches = [conj() for _ in range(draw(st.integers(1, 3)))]
    return draw(st.sampled_from([" || ", "||", " | "])).join(branches)


def grid_for(text: str) -> list[str]:
    out = set(BASE_GRID)
    for m in re.findall(r"\d+(?:\.\d+)*", text):
        for s in (m, m + ".0", m + ".1"):
            out.update({s, s + "a1", s + "rc1", s + ".dev0", s + ".post1", s + "+local"})
    return sorted(out, key=Version)


def single_exclusions(constraint) -> set[Version]:
    ranges = getattr(constraint, "ranges", None) or []
    out = set()
    for x, y in zip(ranges, ranges[1:]):
        if x.max is not None and x.max == y.min and not x.include_max and not y.include_min:
            out.add(Version(Version(x.max.text).base_version))
    return out


@settings(max_examples=int(os.environ.get("MIGRATE_HYPOTHESIS_EXAMPLES", 400)), deadline=None,
          derandomize=not os.environ.get("MIGRATE_HYPOTHESIS_EXAMPLES"),
          suppress_health_check=[HealthCheck.too_slow])
@given(constraints())
@example("!=0,<=0")  # an intersection whose `<0` keeps pre-releases of 0 in Poetry
@example("^1.0 || ^3.0")
@example("0.post1 || >0")
def test_pep440_result_admits_what_poetry_admits(text):
    try:
        oracle = parse_constraint(text)
    except Exception:
        try:
            convert_constraint(text)
        except ConstraintError:
            return
        raise AssertionError(f"poetry-core rejects {text!r} but we converted it")
    try:
        result = convert_constraint(text)
    except ConstraintError:
        assert oracle.is_empty(), f"{text!r} is valid for poetry-core but was refused"
        return
    spec = SpecifierSet(result.specifier)
    names_pre = bool(re.search(r"\d(a|b|rc|dev)", text))
    singles = single_exclusions(oracle)
    for v in grid_for(text):
        pv = Version(v)
        ours = spec.contains(pv, prereleases=True)
        theirs = oracle.allows(PV.parse(v))
        if ours == theirs:
            continue
        assert ours, f"{text!r} -> {result.specifier!r} rejects {v}, which Poetry admits"
        if result.exact:
            documented = (pv.is_prerelease and not names_pre) or (
                (pv.post is not None or pv.local) and Version(pv.base_version) in singles
            ) or (pv.local and "+" not in text)
            assert documented, f"{text!r} -> {result.specifier!r} also admits {v} but is marked exact"
