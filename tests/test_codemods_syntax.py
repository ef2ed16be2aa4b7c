"""Code written for the target (3.12-3.14 syntax) is checked and fixed whatever Python runs migrate."""

from __future__ import annotations

import ast
import sys

import pytest

from codemods import analyze, fix
from codemods._syntax import lower, parse
from conftest import run_migrate

NEW = '''import threading
counts = {}
type Alias[T=int] = list[T]

class Box[T]:
    total = 0
    def add[S](self, x: S) -> None:
        type(self).total += 1
        print(f"{counts["a"]!r:>{width}} é {x=}")

def hit(k):
    msg = f"""{
        k  # the key
    }"""
    counts[k] = counts.get(k, 0) + 1
    try:
        pass
    except ValueError, TypeError:
        pass
    return t"{counts[k]}"
'''
# the same module in 3.8 syntax: the findings must be the same
OLD = '''import threading
counts = {}
Alias = list

class Box:
    total = 0
    def add(self, x) -> None:
        type(self).total += 1
        print(f"{counts['a']!r:>{width}} é {x=}")

def hit(k):
    msg = f"""{
        k
    }"""
    counts[k] = counts.get(k, 0) + 1
    try:
        pass
    except (ValueError, TypeError):
        pass
    return f"{counts[k]}"
'''


def _key(findings):
    return [(f.code, f.line, f.column, f.state, f.fixable, f.span, f.fix) for f in findings]


def test_new_syntax_is_not_a_syntax_error_here():
    if sys.version_info < (3, 14):
        with pytest.raises(SyntaxError):
            ast.parse(NEW)  # so the tests below test something on this Python
    assert isinstance(parse(NEW), ast.Module)


def test_lowering_keeps_every_position():
    lowered = lower(NEW)
    assert lowered is not None and lowered.count("\n") == NEW.count("\n")
    for a, b in zip(NEW.splitlines(), lowered.splitlines()):
        assert len(a.encode()) == len(b.encode()), (a, b)
    ast.parse(lowered)
    assert "counts[\"a\"]" in lowered and "counts[k]" in lowered  # what the f/t-strings read stays visible


def test_findings_are_those_of_the_same_code_in_old_syntax():
    found = analyze(NEW)
    assert _key(found) == _key(analyze(OLD)) and {f.code for f in found} == {"FT002", "FT005"}
    assert _key(analyze(NEW, engine="cst")) == _key(found)


def test_fix_keeps_the_new_syntax():
    new, applied = fix(NEW)
    assert len(applied) == 2
    for text in ('type Alias[T=int] = list[T]', "class Box[T]:", "def add[S](self, x: S) -> None:",
                 'f"{counts["a"]!r:>{width}} é {x=}"', "except ValueError, TypeError:", 't"{counts[k]}"'):
        assert text in new
    assert "with type(self)._total_lock:" in new and "with _counts_lock:" in new
    assert fix(new) == (new, [])


def test_a_real_syntax_error_is_still_one():
    assert lower("def f(:\n    pass\n") is None
    with pytest.raises(SyntaxError):
        parse("def f(:\n    pass\n")


def test_check_reports_new_syntax_code(tmp_path):
    (tmp_path / "box.py").write_text(NEW, encoding="utf-8")
    proc = run_migrate("check", str(tmp_path))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FT002" in proc.stdout and "SyntaxError" not in proc.stdout + proc.stderr
    proc = run_migrate("check", str(tmp_path), "--fix")
    assert "with _counts_lock:" in (tmp_path / "box.py").read_text(encoding="utf-8")
