"""Constraint and marker conversion: hand-picked tables, every constraint of the corpus, Python markers.

The oracle everywhere is poetry-core (``parse_constraint(text).allows(v)``), the library that defines
Poetry's syntax; the PEP 440 side is evaluated with ``SpecifierSet.contains(v, prereleases=True)``.
"""

from __future__ import annotations

import re
import tomllib

import pytest
from packaging.markers import Marker
from packaging.specifiers import SpecifierSet
from packaging.version import Version
from poetry.core.constraints.version import Version as PV
from poetry.core.constraints.version import parse_constraint

from conftest import CORPUS

from migrate.readers.constraints import (
    ConstraintError,
    Converted,
    _cover,
    convert_constraint,
    normalize_marker,
    platform_to_marker,
    python_constraint_to_marker,
    requires_python,
)

# (Poetry constraint, PEP 440 result, exact)
TABLE = [
    # caret
    ("^1.2.3", ">=1.2.3,<2.0.0", True),
    ("^1.2", ">=1.2,<2.0", True),
    ("^1", ">=1,<2", True),
    ("^0.2.3", ">=0.2.3,<0.3.0", True),
    ("^0.0.3", ">=0.0.3,<0.0.4", True),
    ("^0.0", ">=0.0,<0.1", True),
    ("^0", ">=0,<1", True),
    # tilde and ~=
    ("~1.2", ">=1.2,<1.3", True),
    ("~1", ">=1,<2", True),
    ("~1.2.3", ">=1.2.3,<1.3.0", True),
    ("~=1.2", ">=1.2,<2.0", True),
    ("~=1.2.3", ">=1.2.3,<1.3.0", True),
    ("~=1", ">=1,<2", True),  # Poetry accepts one part; PEP 440's ~= would not, so it is never written
    # wildcards, any
    ("1.*", "==1.*", True),
    ("1.2.*", "==1.2.*", True),
    ("==1.2.*", "==1.2.*", True),
    ("*", "", True),
    ("", "", True),
    ("  ", "", True),
    (">=0", ">=0", True),
    # bare versions and ==
    ("1.2.3", "==1.2.3", True),
    ("1.2", "==1.2", True),  # PEP 440 zero-pads: admits 1.2.0 like Poetry
    ("==1.2.3", "==1.2.3", True),
    ("v1.2.3", "==1.2.3", True),
    ("1.0+cpu", "==1.0+cpu", True),
    # exclusions
    ("!=1.5", "!=1.5", True),
    ("!=1.2.*", "!=1.2.*", True),
    # inequalities, incl. post-, pre- and dev-releases as bounds
    (">1.5", ">1.5", True),
    ("<=1.5", "<=1.5", True),
    ("<2.0", "<2.0", True),
    (">=1.0.post1", ">=1.0.post1", True),
    ("<1.5.post1", "<1.5.post1.dev0", True),  # PEP 440's `<1.5.post1` would drop 1.5a1, Poetry's keeps it
    (">2.0b1", ">2.0b1", True),
    ("<2.0b1", "<2.0b1", True),
    (">=2.0b1", ">=2.0b1", True),
    # multi-constraints
    (">=3.9 <4.0", ">=3.9,<4.0", True),
    (">= 1.0, < 2.0", ">=1.0,<2.0", True),
    (">=1.0,<2.0,>=1.5", ">=1.5,<2.0", True),
    ("^1.0,!=1.1.0", ">=1.0,!=1.1.0,<2.0", True),
    # pre-releases in caret / tilde, other spellings
    ("^1.0.0a1", ">=1.0.0a1,<2.0.0", True),
    ("^1.0.0-rc.1", ">=1.0.0rc1,<2.0.0", True),
    ("2.0.0-beta.1", "==2.0.0b1", True),
    ("~1.2.3b1", ">=1.2.3b1,<1.3.0", True),
    # unions that PEP 440 can say exactly
    ("^1.0 || ^2.0.dev0", ">=1.0,<3.0", True),
    (">=4.12,<5.0.dev0 || >=5.1.dev0", ">=4.12,!=5.0.*", True),
    ("<1.2 || >=1.3.dev0", "!=1.2.*", True),
    ("~1.1 || ~1.3.dev0 || ~1.5.dev0", ">=1.1,!=1.2.*,!=1.4.*,<1.6", True),
    # unions with an expressible gap but a pre-release edge (Poetry's `>=3.0` drops 3.0a1)
    ("^1.0 || ^3.0", ">=1.0,!=2.*,<4.0", False),
    ("<1.0 || >=2.0", "!=1.*", False),
    ("^1.0|^2.0", ">=1.0,<3.0", False),
    (">=1.0,<1.5 || >=1.7", ">=1.0,!=1.5.*,!=1.6.*", False),
    # unions with a gap PEP 440 cannot say: as tight as possible, widened, noted
    (">=3.9,<3.9.7 || >3.9.7,<3.14", ">=3.9,!=3.9.7,<3.14", False),
    ("<=1.5 || >=3", "!=2.*", False),
    ("1.0 || 2.0", ">=1.0,<=2.0", False),
    ("^2.1.2+cpu", ">=2.1.2,<3.0.0", False),  # PEP 440 has no >= with a local label
]


@pytest.mark.parametrize("text,spec,exact", TABLE)
def test_table(text, spec, exact):
    result = convert_constraint(text)
    assert (result.specifier, result.exact) == (spec, exact)
    assert (result.note is None) == exact
    if not exact:
        assert repr(text) in result.note and repr(spec or "any version") in result.note


@pytest.mark.parametrize("text,spec,exact", TABLE)
def test_table_agrees_with_poetry_core(text, spec, exact):
    """The table itself is checked against poetry-core, so a wrong expectation cannot hide a bug."""
    if not text.strip() or text.strip() == "*":
        return
    oracle = parse_constraint(text)
    s = SpecifierSet(spec)
    grid = _grid(text)
    extra = [v for v in grid if s.contains(v, prereleases=True) and not oracle.allows(PV.parse(v))]
    missing = [v for v in grid if not s.contains(v, prereleases=True) and oracle.allows(PV.parse(v))]
    assert not missing, (text, spec, missing)
    assert bool(extra) != exact or ("!=" in text and all(Version(v).post is not None for v in extra)), extra


def test_notes_say_what_is_widened():
    r = convert_constraint("^1.0 || ^3.0")
    assert r.prereleases_only and "3.0a1" in r.note and "pre-releases only" in r.note
    r = convert_constraint(">=3.9,<3.9.7 || >3.9.7,<3.14")
    assert not r.prereleases_only and "3.9.7.post1" in r.note
    r = convert_constraint("^2.1.2+cpu")
    assert r.note and "2.1.2" in r.note and not r.prereleases_only
    assert convert_constraint("^1.2").prereleases_only is False


def test_result_type_and_cache_are_stable():
    assert convert_constraint("^1.2") == Converted(">=1.2,<2.0", True, None)
    assert convert_constraint("^1.2") is convert_constraint("^1.2")


@pytest.mark.parametrize("bad", [">>1.0", "^^1", "1.0 ||", "foo", "=<1", "1.0.0-", "~="])
def test_bad_syntax_is_a_constraint_error(bad):
    with pytest.raises(ConstraintError) as info:
        convert_constraint(bad)
    assert repr(bad) in str(info.value)


@pytest.mark.parametrize("empty", [">=2.0,<1.0", "^1.0,^2.0", ">=2.0a1,<2.0"])
def test_a_constraint_admitting_nothing_is_an_error(empty):
    with pytest.raises(ConstraintError, match="admits no version"):
        convert_constraint(empty)


def test_written_exclusion_keeps_its_pep440_meaning():
    """poetry-core drops 2.5.0.post1 once `!=2.5.0` meets a range; PEP 440 (and Poetry's wheel
    metadata, which writes the text as is) admits it. Documented, and the only such reading."""
    text = ">=1.10.0,<3.0.0,!=2.5.0"
    assert not parse_constraint(text).allows(PV.parse("2.5.0.post1"))
    assert parse_constraint("!=2.5.0").allows(PV.parse("2.5.0.post1"))
    r = convert_constraint(text)
    assert r == Converted(">=1.10.0,!=2.5.0,<3.0.0", True, None)
    # the same versions excluded with `<2.5.0 || >2.5.0` are not the user's `!=`: noted
    assert not convert_constraint(">=1.10.0,<2.5.0 || >2.5.0,<3.0.0").exact


@pytest.mark.parametrize(
    "lo,hi,blocks",
    [
        ((1, 0), (2, 0), ["1"]),
        ((1, 0), (4, 0), ["1", "2", "3"]),
        ((3, 0), (3, 4), ["3.0", "3.1", "3.2", "3.3"]),
        ((1, 5), (3, 0), ["2"]),  # 1.5 .. 2.0 would need 1.5.*, 1.6.*, … without end
        ((1, 26), (2, 2, 2), ["2.0", "2.1", "2.2.0", "2.2.1"]),
        ((2, 0), (2, 0), []),
        ((0,), (100,), []),  # too many blocks to be a readable specifier
    ],
)
def test_cover_by_wildcard_blocks(lo, hi, blocks):
    assert [".".join(map(str, b)) for b in _cover(lo, hi)] == blocks


# -- the corpus ------------------------------------------------------------------------------------
def _corpus_constraints() -> list[str]:
    """Every distinct version constraint of [tool.poetry] dependencies, groups and dev-dependencies."""
    if not CORPUS.is_dir():
        return []
    out: set[str] = set()
    for path in CORPUS.rglob("pyproject.toml"):
        try:
            poetry = tomllib.loads(path.read_text(encoding="utf-8")).get("tool", {}).get("poetry", {})
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            continue
        tables = [poetry.get("dependencies", {}), poetry.get("dev-dependencies", {})]
        tables += [g.get("dependencies", {}) for g in poetry.get("group", {}).values() if isinstance(g, dict)]
        for table in tables:
            for name, spec in table.items():
                if name == "python":
                    continue
                for entry in spec if isinstance(spec, list) else [spec]:
                    if isinstance(entry, str):
                        out.add(entry)
                    elif isinstance(entry, dict) and isinstance(entry.get("version"), str):
                        out.add(entry["version"])
    return sorted(out)


def _corpus_pythons() -> list[str]:
    """Every distinct ``python`` constraint: the project's and each dependency's."""
    if not CORPUS.is_dir():
        return []
    out: set[str] = set()
    for path in CORPUS.rglob("pyproject.toml"):
        try:
            poetry = tomllib.loads(path.read_text(encoding="utf-8")).get("tool", {}).get("poetry", {})
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            continue
        tables = [poetry.get("dependencies", {}), poetry.get("dev-dependencies", {})]
        tables += [g.get("dependencies", {}) for g in poetry.get("group", {}).values() if isinstance(g, dict)]
        for table in tables:
            for name, spec in table.items():
                if name == "python" and isinstance(spec, str):
                    out.add(spec)
                for entry in spec if isinstance(spec, list) else [spec]:
                    if isinstance(entry, dict) and isinstance(entry.get("python"), str):
                        out.add(entry["python"])
    return sorted(out)


CORPUS_CONSTRAINTS = _corpus_constraints()
CORPUS_PYTHONS = _corpus_pythons()


def _grid(text: str) -> list[str]:
    """Versions around every number of ``text``: releases, zero-padded, pre-, dev-, post-, local."""
    out = {"0", "1", "999"}
    for m in re.findall(r"\d+(?:\.\d+)*", text):
        parts = [int(x) for x in m.split(".")]
        for i in range(len(parts)):
            for d in (-1, 0, 1):
                v = list(parts)
                v[i] = max(0, v[i] + d)
                s = ".".join(map(str, v))
                for t in (s, s + ".0", s + ".1"):
                    out.update({t, t + ".post1", t + "rc1", t + "a1", t + ".dev0", t + "+local"})
    return sorted(out, key=Version)


@pytest.mark.skipif(not CORPUS_CONSTRAINTS, reason="../shared/corpus is not present")
def test_every_corpus_constraint_is_exact_or_noted_and_never_narrower():
    assert len(CORPUS_CONSTRAINTS) > 300
    exact = 0
    for text in CORPUS_CONSTRAINTS:
        result = convert_constraint(text)
        spec = SpecifierSet(result.specifier)
        if text.strip() in ("", "*"):
            assert result == Converted("")
            continue
        oracle = parse_constraint(text)
        extra = []
        for v in _grid(text):
            ours, theirs = spec.contains(v, prereleases=True), oracle.allows(PV.parse(v))
            assert ours or not theirs, f"{text!r} -> {result.specifier!r} drops {v}, which Poetry admits"
            if ours and not theirs:
                extra.append(Version(v))
        if result.exact:
            exact += 1
            # only the documented reading: post/local releases of a `!=X` the user wrote
            written = {Version(m) for m in re.findall(r"!=\s*(\d+(?:\.\d+)*)(?![.\d]*\*)", text)}
            assert all(Version(v.base_version) in written and v.post is not None for v in extra), \
                (text, result.specifier, extra[:5])
        else:
            assert extra, f"{text!r} -> {result.specifier!r} is flagged inexact but agrees with Poetry"
            assert result.note and repr(text) in result.note
    assert exact >= len(CORPUS_CONSTRAINTS) - 10  # the corpus is nearly all plain ranges


PYTHONS = ["2.7.0", "2.7.18"] + [f"3.{m}.{p}" for m in range(0, 16) for p in (0, 1, 6, 7, 8, 12)]


def poetry_reads_python(constraint, full: str, requires: bool = False) -> bool:
    """What Poetry admits for a ``python`` constraint on interpreter ``full``: the constraint on the full
    version, except that a single ``X.Y`` (``python = "3.8"``) means the whole 3.8 series. A single ``X``
    is ``X.0`` in the marker poetry-core writes, but ``^X.0`` in the Requires-Python it writes."""
    from poetry.core.constraints.version import VersionRange, VersionUnion

    ranges = constraint.ranges if isinstance(constraint, VersionUnion) else [constraint]
    v = PV.parse(full)
    for r in ranges:
        single = r if isinstance(r, PV) else r.min if isinstance(r, VersionRange) and r.min == r.max else None
        if single is not None and len(single.release.to_parts()) <= 2:
            if requires and len(single.release.to_parts()) == 1 and full.split(".")[0] == str(single.major):
                return True
            if PV.parse(".".join(full.split(".")[:2])) == single:
                return True
        elif r.allows(v):
            return True
    return False


def marker_admits(marker: str | None, full: str) -> bool:
    env = {"python_version": ".".join(full.split(".")[:2]), "python_full_version": full}
    return True if marker is None else Marker(marker).evaluate(env)


@pytest.mark.parametrize(
    "text,marker",
    [
        ("^3.8", 'python_version >= "3.8" and python_version < "4.0"'),
        ("~3.12.7", 'python_full_version >= "3.12.7" and python_full_version < "3.13.0"'),
        (">=3.8.1", 'python_full_version >= "3.8.1"'),
        ("<3.11", 'python_version < "3.11"'),
        ("<=3.10", 'python_full_version <= "3.10.0"'),
        ("3.8", 'python_version == "3.8"'),
        ("!=3.9.*", 'python_version < "3.9" or python_version >= "3.10"'),
        ("~2.7 || ^3.4",
         '(python_version >= "2.7" and python_version < "2.8") or '
         '(python_version >= "3.4" and python_version < "4.0")'),
        ("*", None),
        ("", None),
    ],
)
def test_python_marker_table(text, marker):
    assert python_constraint_to_marker(text) == marker
    if text.strip() not in ("", "*"):
        oracle = parse_constraint(text)
        for v in PYTHONS:
            assert marker_admits(marker, v) == poetry_reads_python(oracle, v), v


@pytest.mark.skipif(not CORPUS_PYTHONS, reason="../shared/corpus is not present")
def test_every_corpus_python_constraint():
    assert len(CORPUS_PYTHONS) > 20
    for text in CORPUS_PYTHONS:
        oracle = parse_constraint(text)
        marker = python_constraint_to_marker(text)
        for v in PYTHONS:
            assert marker_admits(marker, v) == poetry_reads_python(oracle, v), (text, marker, v)
        rp = requires_python(text)
        for v in PYTHONS:
            ours, theirs = SpecifierSet(rp.specifier).contains(v), poetry_reads_python(oracle, v, requires=True)
            assert ours or not theirs, (text, rp.specifier, v)
            assert not rp.exact or ours == theirs, (text, rp.specifier, v)


def test_requires_python_knows_python_versions():
    assert requires_python("^3.8") == Converted(">=3.8,<4.0")
    # no Python 2.8 or 2.9 ever existed, and pre-release interpreters are no requires-python concern
    assert requires_python("~2.7 || ^3.4") == Converted(">=2.7,!=3.0.*,!=3.1.*,!=3.2.*,!=3.3.*,<4.0")
    assert requires_python(">=3.6,!=3.9.*") == Converted(">=3.6,!=3.9.*")
    assert requires_python(">=3.9,<3.9.7 || >3.9.7,<3.14") == Converted(">=3.9,!=3.9.7,<3.14")
    assert requires_python("*") == Converted("")
    # a bare X.Y is the X.Y series, as in the Requires-Python poetry-core writes (and the marker it writes)
    assert requires_python("3.8") == Converted(">=3.8,<3.9")
    assert requires_python("3") == Converted(">=3.0,<4.0")
    assert requires_python("3.8 || 3.10") == Converted(">=3.8,!=3.9.*,<3.11")
    assert requires_python("3.8.5") == Converted("==3.8.5")
    # Python versions have three parts: the gap after 3.8.1 is whole blocks
    assert requires_python("3.8.1 || 3.8.5") == Converted(">=3.8.1,!=3.8.2.*,!=3.8.3.*,!=3.8.4.*,<=3.8.5")
    r = requires_python("3.8.1 || 3.20.5")  # 3.8.2 .. 3.8.x cannot be said in blocks: widened, noted
    assert not r.exact and "Python" in r.note and "3.8.5" in r.note
    assert [SpecifierSet(r.specifier).contains(v) for v in ("3.8.1", "3.8.5", "3.12.0", "3.20.4", "3.20.5")] == \
        [True, True, False, False, True]
    with pytest.raises(ConstraintError):
        requires_python(">=3.10,<3.8")


# -- platform and markers --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text,marker",
    [
        ("linux", 'sys_platform == "linux"'),
        ("win32", 'sys_platform == "win32"'),
        ("darwin", 'sys_platform == "darwin"'),
        ("linux || darwin", 'sys_platform == "linux" or sys_platform == "darwin"'),
        ("linux|darwin", 'sys_platform == "linux" or sys_platform == "darwin"'),
        ("!win32", 'sys_platform != "win32"'),
        ("!=win32", 'sys_platform != "win32"'),
        ("==linux", 'sys_platform == "linux"'),
        ("!win32, !cygwin", 'sys_platform != "win32" and sys_platform != "cygwin"'),
        ("linux || !win32,!darwin",
         'sys_platform == "linux" or (sys_platform != "win32" and sys_platform != "darwin")'),
    ],
)
def test_platform(text, marker):
    assert platform_to_marker(text) == marker
    Marker(marker)  # valid PEP 508


def test_empty_platform_and_markers_are_no_condition():
    """Poetry skips an empty ``platform`` / ``markers`` (``if platform:``), so do we."""
    assert platform_to_marker("") == "" and platform_to_marker("  ") == ""
    assert normalize_marker("") == "" and normalize_marker(" ") == ""


@pytest.mark.parametrize("bad", ["linux ||", "|| linux", "lin ux", "'linux'", "linux, darwin", "!"])
def test_bad_platform(bad):
    with pytest.raises(ConstraintError):
        platform_to_marker(bad)


@pytest.mark.parametrize(
    "text,marker",
    [
        ("python_version<'3.10' and sys_platform=='linux'", 'python_version < "3.10" and sys_platform == "linux"'),
        ('os.name == "nt"', 'os_name == "nt"'),  # Poetry's grammar keeps the legacy spellings
        ("sys.platform == 'win32'", 'sys_platform == "win32"'),
        ('platform.machine == "x86_64"', 'platform_machine == "x86_64"'),
        ('python_implementation == "CPython"', 'platform_python_implementation == "CPython"'),
        ('"linux" == sys_platform', '"linux" == sys_platform'),
        ("(python_version >= '3.8') or extra == 'gpu'", 'python_version >= "3.8" or extra == "gpu"'),
        ("implementation_name != 'pypy'", 'implementation_name != "pypy"'),
    ],
)
def test_normalize_marker(text, marker):
    assert normalize_marker(text) == marker


@pytest.mark.parametrize("bad", ["python_version <<< '3'", "pyversion == '3'", "python_version >= '3.8' and",
                                 "sys_platform == linux", "(python_version >= '3.8'"])
def test_bad_marker(bad):
    with pytest.raises(ConstraintError) as info:
        normalize_marker(bad)
    assert repr(bad) in str(info.value)


# -- the grid check deferred while uv resolves ------------------------------------------------------
def test_deferred_conversions_are_the_candidates_and_finish_says_whether_they_were_exact():
    from migrate.readers.constraints import checks_deferred, convert_constraint, requires_python

    with checks_deferred() as checks:
        assert convert_constraint("^1.2.3").specifier == ">=1.2.3,<2.0.0"
        assert requires_python("^3.10").specifier == ">=3.10,<4.0"
        checks.start()
        assert checks.finish()
    with checks_deferred() as checks:
        # a union is checked at once (the inexact conversions are among the constraints that are not
        # plain release numbers): not given out unchecked
        assert not convert_constraint("^1.0 || ^3.0").exact
        assert checks.finish()
    # a plain constraint the check would change is caught by finish (none is known: simulated)
    import migrate.readers.constraints as C

    real = C._checked
    try:
        C._checked = lambda text, python: C.Converted("<0") if text == "^7.1" else real(text, python)
        with checks_deferred() as checks:
            assert convert_constraint("^7.1").specifier == ">=7.1,<8.0"
            assert not checks.finish()
        with checks_deferred() as checks:
            convert_constraint("^1.0")
            checks.start()
            convert_constraint("^7.1")  # given out after the background check began
            assert not checks.finish()
    finally:
        C._checked = real


def test_a_plan_whose_conversion_was_not_exact_is_made_again_with_checks(tmp_path, monkeypatch):
    """The plan with deferred checks gives what a plan with immediate checks gives: for a project
    whose constraints are all exact in one go, for one with an inexact constraint by a second plan."""
    import migrate.pipeline as pipeline
    from migrate.pipeline import RunOptions

    plans = []
    real = pipeline._plan
    monkeypatch.setattr(pipeline, "_plan", lambda *a, **k: plans.append(1) or real(*a, **k))
    options = RunOptions(lock=False, codemods=False, repo_files=False)
    import migrate.readers.constraints as C

    real_check = C._checked  # a plain constraint the check changes (none is known: simulated)
    monkeypatch.setattr(C, "_checked", lambda text, python: C.Converted(">=7.1,<8.0", False, "simulated")
                        if text == "^7.1" else real_check(text, python))
    for deps, runs in (('a = "^1.2"\nb = ">=2,<3"\nc = "^1.0 || ^3.0"\n', 1), ('a = "^1.2"\nb = "^7.1"\n', 2)):
        root = tmp_path / f"p{runs}"
        root.mkdir()
        (root / "pyproject.toml").write_text(
            '[tool.poetry]\nname = "p"\nversion = "1.0"\ndescription = ""\nauthors = []\n\n'
            f'[tool.poetry.dependencies]\npython = "^3.10"\n{deps}')
        plans.clear()
        result = pipeline.plan(root, options)
        assert result.exit_code == 0 and len(plans) == runs
        plans.clear()
        immediate = real(root, options)
        assert result.changes.current("pyproject.toml") == immediate.changes.current("pyproject.toml")
        assert [w.to_json() for w in result.warnings] == [w.to_json() for w in immediate.warnings]
    assert any(w.code == "MIG003" and w.message == "simulated" for w in result.warnings)
