"""Constraint and marker conversion: hand-picked table, every constraint of the corpus, Python markers."""

from __future__ import annotations

import re
import tomllib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.markers import Marker
from packaging.specifiers import SpecifierSet
from packaging.version import Version
from poetry.core.constraints.version import Version as PV
from poetry.core.constraints.version import parse_constraint

from conftest import CORPUS

from migrate.constraints import (
    ConstraintError,
    convert_constraint,
    normalize_marker,
    platform_to_marker,
    python_constraint_to_marker,
    requires_python,
)

TABLE = [
    ("^1.2.3", ">=1.2.3,<2.0.0", True),
    ("^0.2.3", ">=0.2.3,<0.3.0", True),
    ("^0.0.3", ">=0.0.3,<0.0.4", True),
    ("^0", ">=0,<1", True),
    ("^0.0", ">=0.0,<0.1", True),
    ("~1.2", ">=1.2,<1.3", True),
    ("~1", ">=1,<2", True),
    ("~1.2.3", ">=1.2.3,<1.3.0", True),
    ("~=1.2", ">=1.2,<2.0", True),
    ("1.2.*", "==1.2.*", True),
    ("*", "", True),
    ("", "", True),
    ("1.2", "==1.2", True),
    ("==1.2.3", "==1.2.3", True),
    ("!=1.5", "!=1.5", True),
    ("!=1.2.*", "!=1.2.*", True),
    (">=3.9 <4.0", ">=3.9,<4.0", True),
    (">= 1.0, < 2.0", ">=1.0,<2.0", True),
    ("^1.0,!=1.1.0", ">=1.0,!=1.1.0,<2.0", True),
    ("^1.0 || ^3.0", ">=1.0,!=2.*,<4.0", True),
    ("<1.0 || >=2.0", "!=1.*", True),
    (">=1.0,<1.5 || >=1.7", ">=1.0,!=1.5.*,!=1.6.*", True),
    ("^1.0|^2.0", ">=1.0,<3.0", True),
    ("^1.0.0a1", ">=1.0.0a1,<2.0.0", True),
    (">2.0b1", ">2.0b1", True),
    ("v1.2.3", "==1.2.3", True),
    ("2.0.0-beta.1", "==2.0.0b1", True),
    ("1.0 || 2.0", ">=1.0,<=2.0", False),  # no PEP 440 "or": widened, with a note
    ("^2.1.2+cpu", ">=2.1.2,<3.0.0", False),  # local label dropped from the bound
]


@pytest.mark.parametrize("text,spec,exact", TABLE)
def test_table(text, spec, exact):
    result = convert_constraint(text)
    assert (result.specifier, result.exact) == (spec, exact)
    assert (result.note is None) == exact


@pytest.mark.parametrize("bad", [">>1.0", "^^1", "1.0 ||", "foo", "=<1"])
def test_bad_syntax_is_a_constraint_error(bad):
    with pytest.raises(ConstraintError):
        convert_constraint(bad)


def _corpus_constraints() -> list[str]:
    if not CORPUS.is_dir():
        return []
    out: set[str] = set()
    for path in CORPUS.rglob("pyproject.toml"):
        poetry = tomllib.loads(path.read_text(encoding="utf-8")).get("tool", {}).get("poetry", {})
        tables = [poetry.get("dependencies", {}), poetry.get("dev-dependencies", {})]
        tables += [g.get("dependencies", {}) for g in poetry.get("group", {}).values()]
        for table in tables:
            for name, spec in table.items():
                for entry in spec if isinstance(spec, list) else [spec]:
                    if isinstance(entry, str):
                        out.add(entry)
                    elif isinstance(entry, dict):
                        for key in ("version", "python"):
                            if isinstance(entry.get(key), str):
                                out.add(entry[key])
    return sorted(out)


CORPUS_CONSTRAINTS = _corpus_constraints()


def _grid(text: str) -> list[str]:
    out = {"0", "1", "999"}
    for m in re.findall(r"\d+(?:\.\d+)*", text):
        parts = [int(x) for x in m.split(".")]
        for i in range(len(parts)):
            for d in (-1, 0, 1):
                v = list(parts)
                v[i] = max(0, v[i] + d)
                s = ".".join(map(str, v))
                out.update({s, s + ".0", s + ".1", s + ".post1", s + "rc1"})
    return sorted(out, key=Version)


@pytest.mark.skipif(not CORPUS_CONSTRAINTS, reason="../shared/corpus is not present")
def test_every_corpus_constraint_converts_and_never_narrows():
    """Every distinct constraint in the corpus: exact, or widened with a note; never narrower."""
    assert len(CORPUS_CONSTRAINTS) > 300
    for text in CORPUS_CONSTRAINTS:
        result = convert_constraint(text)
        spec = SpecifierSet(result.specifier)
        oracle = parse_constraint(text) if text.strip() not in ("", "*") else None
        if oracle is None:
            assert result.specifier == ""
            continue
        for v in _grid(text):
            if Version(v).is_prerelease:
                continue
            if oracle.allows(PV.parse(v)):
                assert spec.contains(v, prereleases=True), (text, result.specifier, v)
        if not result.exact:
            assert result.note and text in result.note


PYTHONS = [f"{a}.{b}.{c}" for a, b in [(2, 7)] + [(3, m) for m in range(0, 16)] for c in (0, 1, 7, 12)]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["^", "~", ">=", "<", "<=", ">", "!=", "=="]), st.sampled_from(["3", "3.8", "3.11", "3.12.4", "2.7"]),
       st.sampled_from(["", " || >=3.13", ",!=3.9.*", ",<3.12"]))
def test_python_marker_matches_poetry(op, version, tail):
    text = f"{op}{version}{tail}"
    try:
        oracle = parse_constraint(text)
    except Exception:
        return
    if oracle.is_empty():
        return
    marker = python_constraint_to_marker(text)
    for v in PYTHONS:
        env = {"python_version": ".".join(v.split(".")[:2]), "python_full_version": v}
        ours = True if marker is None else Marker(marker).evaluate(env)
        # a marker on python_version only sees X.Y (Poetry writes bounds of X.Y precision that way), one
        # on python_full_version sees the whole version: compare with poetry-core on what the marker sees
        seen = env["python_full_version"] if "python_full_version" in (marker or "") else env["python_version"]
        assert ours == oracle.allows(PV.parse(seen)), (text, marker, v)


def test_requires_python_knows_python_versions():
    assert requires_python("~2.7 || ^3.4").specifier == ">=2.7,!=3.0.*,!=3.1.*,!=3.2.*,!=3.3.*,<4.0"
    assert requires_python("~2.7 || ^3.4").exact
    assert requires_python("^3.8").specifier == ">=3.8,<4.0"
    assert requires_python(">=3.6,!=3.9.*").specifier == ">=3.6,!=3.9.*"


def test_platform_and_markers():
    assert platform_to_marker("linux") == 'sys_platform == "linux"'
    assert platform_to_marker("linux || darwin") == 'sys_platform == "linux" or sys_platform == "darwin"'
    assert platform_to_marker("!win32") == 'sys_platform != "win32"'
    assert normalize_marker("python_version<'3.10' and sys_platform=='linux'") == \
        'python_version < "3.10" and sys_platform == "linux"'
    with pytest.raises(ConstraintError):
        normalize_marker("python_version <<< '3'")
