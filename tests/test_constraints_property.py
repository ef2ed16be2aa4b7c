"""Generated Poetry constraints: the PEP 440 result admits exactly what poetry-core admits.

The oracle is poetry-core's ``parse_constraint(text).allows(v)`` on a dense grid of versions: every
release 0..4 with up to 3 parts, plus pre-, dev-, post- and local variants and zero-padded forms of
every number in the text. PEP 440 is evaluated with ``SpecifierSet.contains(v, prereleases=True)``.

* ``exact=True``: both admit the same grid versions. The one documented exception: post-releases of
  a version the user wrote as ``!=X`` (PEP 440's reading of the user's own text).
* ``exact=False``: a superset (never narrower), and the note names a version that is really extra.

The same for a dependency's ``python`` constraint → marker, on a grid of Python versions.
Set ``MIGRATE_HYPOTHESIS_EXAMPLES`` for a long randomised run; by default the run is derandomised.
"""

from __future__ import annotations

import itertools
import os
import re

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from packaging.markers import Marker
from packaging.specifiers import SpecifierSet
from packaging.version import Version
from poetry.core.constraints.version import Version as PV
from poetry.core.constraints.version import parse_constraint

from migrate.readers.constraints import ConstraintError, convert_constraint, python_constraint_to_marker, requires_python
from test_constraints import PYTHONS, marker_admits, poetry_reads_python

EXAMPLES = int(os.environ.get("MIGRATE_HYPOTHESIS_EXAMPLES", 400))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize="MIGRATE_HYPOTHESIS_EXAMPLES" not in os.environ,
                    suppress_health_check=[HealthCheck.too_slow])

BASE_GRID = {".".join(map(str, p)) for n in (1, 2, 3) for p in itertools.product(range(5), repeat=n)}

num = st.integers(0, 4)


@st.composite
def versions(draw, min_parts=1):
    parts = draw(st.lists(num, min_size=min_parts, max_size=3))
    text = ".".join(map(str, parts))
    suffix = draw(st.sampled_from(["", "", "", "", "a1", "b2", "rc1", ".post1", ".dev0", "-beta.1", "+local"]))
    return draw(st.sampled_from(["", "", "", "v"])) + text + suffix


@st.composite
def atoms(draw):
    kind = draw(st.sampled_from(["^", "~", "~=", "*", "bare", "==", "!=", "!=*", "<", "<=", ">", ">="]))
    if kind == "~=":
        return "~=" + draw(versions(min_parts=2))
    if kind in ("*", "!=*"):
        prefix = ".".join(map(str, draw(st.lists(num, min_size=1, max_size=2))))
        return ("!=" if kind == "!=*" else "") + prefix + ".*"
    v = draw(versions())
    op = {"bare": ""}.get(kind, kind)
    return op + draw(st.sampled_from(["", " "])) + v if op else v


@st.composite
def constraints(draw):
    def conj():
        parts = draw(st.lists(atoms(), min_size=1, max_size=3))
        return draw(st.sampled_from([",", ", ", " "])).join(parts)

    branches = [conj() for _ in range(draw(st.integers(1, 3)))]
    return draw(st.sampled_from([" || ", "||", " | "])).join(branches)


def grid_for(text: str) -> list[str]:
    out = set(BASE_GRID)
    for m in re.findall(r"\d+(?:\.\d+)*", text):
        for s in (m, m + ".0", m + ".1"):
            out.update({s, s + "a1", s + "b2", s + "rc1", s + ".dev0", s + ".post1", s + "+local", s + "+zzz"})
    return sorted(out, key=Version)


def written_exclusions(text: str) -> set[Version]:
    return {Version(m.lstrip("v")) for m in re.findall(r"!=\s*(v?\d+(?:\.\d+)*)(?![.\d]*\*)(?![\w+-])", text)}


def check(text: str) -> None:
    try:
        oracle = parse_constraint(text)
    except Exception:
        try:
            convert_constraint(text)
        except ConstraintError:
            return
        raise AssertionError(f"poetry-core rejects {text!r} but it was converted")
    try:
        result = convert_constraint(text)
    except ConstraintError:
        assert oracle.is_empty(), f"{text!r} is valid for poetry-core but was refused"
        return
    assert not oracle.is_empty(), f"{text!r} admits nothing in Poetry but became {result.specifier!r}"
    spec = SpecifierSet(result.specifier)
    written = written_exclusions(text)
    extra = []
    for v in grid_for(text):
        pv = Version(v)
        ours, theirs = spec.contains(pv, prereleases=True), oracle.allows(PV.parse(v))
        assert ours or not theirs, f"{text!r} -> {result.specifier!r} rejects {v}, which Poetry admits"
        if ours and not theirs and not (pv.post is not None and Version(pv.base_version) in written):
            extra.append(pv)
    if result.exact:
        assert not extra, f"{text!r} -> {result.specifier!r} also admits {extra[:3]} but is marked exact"
    else:
        assert result.note and repr(text) in result.note
        named = re.search(r"also admits ([^,( …]+)", result.note).group(1)
        assert spec.contains(named, prereleases=True) and not oracle.allows(PV.parse(named)), (text, result.note)
        if result.prereleases_only:
            assert all(v.is_prerelease for v in extra), (text, result.specifier, extra[:3])


@SETTINGS
@given(constraints())
@example("!=0,<=0")  # an intersection whose `<0` keeps pre-releases of 0 in Poetry
@example("^1.0 || ^3.0")
@example("0.post1 || >0")
@example("<1.0 || >2.0")
@example(">=1.0,<1.5 || >=1.7")
@example("<=1.5 || >=3")
@example("~0.0 || ~0.2.dev0")
@example(">=1.0+cpu,<2")
def test_pep440_result_admits_what_poetry_admits(text):
    check(text)


def test_the_generator_reaches_both_outcomes():
    """A property test that only ever saw one outcome would prove little."""
    seen = {True: 0, False: 0}

    @settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
    @given(constraints())
    def collect(text):
        try:
            seen[convert_constraint(text).exact] += 1
        except ConstraintError:
            pass

    collect()
    assert seen[True] > 40 and seen[False] > 10, seen


# -- python = "..." → marker -----------------------------------------------------------------------
@st.composite
def python_constraints(draw):
    def atom():
        op = draw(st.sampled_from(["^", "~", "~=", ">=", ">", "<", "<=", "!=", "==", ""]))
        major = draw(st.sampled_from([2, 3, 3, 3]))
        parts = [major] + draw(st.lists(st.sampled_from([0, 1, 4, 7, 8, 10, 12, 13]), min_size=0 if op != "~=" else 1,
                                        max_size=2))
        wildcard = op in ("", "==", "!=") and len(parts) < 3 and draw(st.booleans())
        return op + ".".join(map(str, parts)) + (".*" if wildcard else "")

    branches = [",".join(atom() for _ in range(draw(st.integers(1, 2)))) for _ in range(draw(st.integers(1, 2)))]
    return " || ".join(branches)


@SETTINGS
@given(python_constraints())
@example("~3.12.7")
@example(">=3.8.1,<3.11")
@example("~2.7 || ^3.4")
@example(">=3.8,!=3.9.*,<=3.12")
@example("3.8 || >=3.10.2")
def test_python_marker_admits_what_poetry_admits(text):
    try:
        oracle = parse_constraint(text)
    except Exception:
        return
    if oracle.is_empty():
        try:
            python_constraint_to_marker(text)
        except ConstraintError:
            return
        raise AssertionError(f"{text!r} admits no Python but became a marker")
    marker = python_constraint_to_marker(text)
    if marker is not None:
        Marker(marker)  # valid PEP 508
    for v in PYTHONS:
        assert marker_admits(marker, v) == poetry_reads_python(oracle, v), (text, marker, v)


@SETTINGS
@given(python_constraints())
@example("~2.7 || ^3.4")
@example("3.8 || >=3.10.2")
@example(">=3.9,<3.9.7 || >3.9.7")
def test_requires_python_admits_what_poetry_admits(text):
    try:
        oracle = parse_constraint(text)
    except Exception:
        return
    if oracle.is_empty():
        return
    result = requires_python(text)
    spec = SpecifierSet(result.specifier)
    for v in PYTHONS:
        ours, theirs = spec.contains(v), poetry_reads_python(oracle, v, requires=True)
        assert ours or not theirs, (text, result.specifier, v)
        assert not result.exact or ours == theirs, (text, result.specifier, v)
