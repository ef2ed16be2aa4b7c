"""Tests generated from every rule's VALID and INVALID tables (Fixit style)."""

from __future__ import annotations

import ast

import pytest

from codemods import RULES_BY_CODE, analyze, fix

VALID = [(code, src) for code, rule in RULES_BY_CODE.items() for src in rule.VALID]
INVALID = [(code, src, expected) for code, rule in RULES_BY_CODE.items() for src, expected in rule.INVALID]
INFO = [(code, src) for code, rule in RULES_BY_CODE.items() for src in rule.INFO]


def test_every_rule_has_examples():
    assert list(RULES_BY_CODE)[:9] == [f"FT00{i}" for i in range(1, 10)]
    assert all(code.startswith("FT0") and len(code) == 5 for code in RULES_BY_CODE)
    for rule in RULES_BY_CODE.values():
        assert rule.VALID and rule.INVALID and rule.MESSAGE


@pytest.mark.parametrize("code,src", VALID)
def test_valid_is_not_reported(code, src):
    assert [f for f in analyze(src) if f.code == code] == []


@pytest.mark.parametrize("code,src,expected", INVALID)
def test_invalid_is_reported_and_fixed(code, src, expected):
    findings = analyze(src)
    assert findings and {f.code for f in findings} == {code}, findings
    new, applied = fix(src)
    if expected is None:
        assert new == src and applied == []
        assert not any(f.fixable for f in findings)
        return
    assert new == expected
    compile(new, "<fixed>", "exec")
    assert analyze(new) == []  # fixed code is clean
    assert fix(new) == (new, [])  # idempotent


@pytest.mark.parametrize("code,src", INFO)
def test_info_is_a_note_and_not_fixed(code, src):
    findings = analyze(src)
    assert findings and {(f.code, f.severity, f.fixable) for f in findings} == {(code, "info", False)}, findings
    assert fix(src) == (src, [])


@pytest.mark.parametrize("code,src,expected", INVALID)
def test_suppression_comment(code, src, expected):
    lines = src.splitlines()
    for f in analyze(src):
        lines[f.line - 1] += f"  # migrate: ignore[{code}]"
    assert analyze("\n".join(lines) + "\n") == []


def test_select_and_ignore():
    src = RULES_BY_CODE["FT001"].INVALID[0][0]
    assert analyze(src, select={"FT002"}) == []
    assert analyze(src, ignore={"FT001"}) == []
    assert [f.code for f in analyze(src, select={"FT001"})] == ["FT001"]


def test_thread_local_import_time_and_main_guard_are_not_findings():
    src = (
        "import threading\n"
        "state = threading.local()\n"
        "counts = {}\n"
        "counts['x'] = counts.get('x', 0) + 1\n"
        "def f():\n"
        "    state.n = getattr(state, 'n', 0) + 1\n"
        "if __name__ == '__main__':\n"
        "    def main():\n"
        "        counts['y'] = counts.get('y', 0) + 1\n"
    )
    assert analyze(src) == []


def test_comments_and_formatting_are_kept():
    src = (
        "import os\n\n"
        "# hits per path\n"
        "hits = {}  # shared\n\n\n"
        "def record(path):\n"
        "    # count it\n"
        "    hits[path] = hits.get(path, 0) + 1  # not atomic\n"
        "    return   hits[path]\n"
    )
    new, applied = fix(src)
    assert [f.code for f in applied] == ["FT002"]
    assert new == (
        "import os\nimport threading\n\n"
        "# hits per path\n"
        "hits = {}  # shared\n"
        "_hits_lock = threading.RLock()\n\n\n"
        "def record(path):\n"
        "    # count it\n"
        "    with _hits_lock:\n"
        "        hits[path] = hits.get(path, 0) + 1  # not atomic\n"
        "        return   hits[path]\n"
    )


def test_one_lock_per_state_and_import_added_once():
    src = (
        "import threading\n"
        "a = {}\n"
        "b = {}\n"
        "c = {}\n"
        "def f(k):\n"
        "    a[k] += 1\n"
        "    b[k] += 1\n"
        "def g(k):\n"
        "    a[k] += 2\n"
        "def h(k):\n"
        "    c[k] += 2\n"
    )
    new, applied = fix(src)
    assert len(applied) == 4
    assert new.count("import threading") == 1
    # a and b are updated together (related): one lock, one critical section; c has its own
    assert new.count("_a_lock = threading.Lock()") == 1 and "_b_lock" not in new
    assert new.count("_c_lock = threading.Lock()") == 1
    assert new.count("with _a_lock:") == 2 and "        a[k] += 1\n        b[k] += 1\n" in new
    ast.parse(new)


def test_one_line_suites_are_reported_not_fixed():
    src = "n = 0\ndef f(): global n; n += 1\ndef g():\n    global n\n    while n: n -= 1\n"
    assert [(f.line, f.fixable) for f in analyze(src)] == [(2, False), (5, False)]
    assert fix(src) == (src, [])
    # ... unless a check of the same state makes the whole `if` the block to guard
    src = "n = 0\ndef g():\n    global n\n    if n: n -= 1\n"
    assert fix(src)[0].endswith("    with _n_lock:\n        if n: n -= 1\n")


def test_check_then_act_widens_the_lock_to_the_check():
    src = (
        "counts = {}\n"
        "LIMIT = 3\n"
        "def take(k):\n"
        "    if counts[k] < LIMIT:\n"
        "        if k != 'x':\n"
        "            counts[k] += 1\n"
        "            return True\n"
        "    return False\n"
    )
    (f,) = analyze(src)
    assert (f.line, f.span) == (6, (4, 7))
    new, _ = fix(src)
    assert "    with _counts_lock:\n        if counts[k] < LIMIT:\n            if k != 'x':" in new
    # the same with `.get()` as the check is FT003; the item update inside it is not reported twice
    src = src.replace("counts[k] < LIMIT", "counts.get(k, 0) < LIMIT")
    assert [(f.line, f.code) for f in analyze(src)] == [(4, "FT003")]


def test_lines_are_numbered_like_python():
    # a form feed is not a line break for Python (str.splitlines() would say it is)
    src = "n = 0\n\x0c\ndef f():\n    global n\n    n += 1  # migrate: ignore[FT001]\n    n -= 1\n"
    assert [(f.line, f.code) for f in analyze(src)] == [(6, "FT001")]


def test_acquire_release_counts_as_a_lock():
    src = (
        "import threading\n"
        "_lock = threading.Lock()\n"
        "guard = threading.RLock()\n"
        "counts = {}\n"
        "def f(k):\n"
        "    _lock.acquire()\n"
        "    try:\n"
        "        counts[k] += 1\n"
        "    finally:\n"
        "        _lock.release()\n"
        "    counts[k] += 2\n"
        "def g(k):\n"
        "    guard.acquire()\n"
        "    counts[k] += 1\n"
        "    guard.release()\n"
        "    counts[k] += 3\n"
        "def h(k):\n"
        "    _acquireLock()\n"
        "    try:\n"
        "        counts[k] += 1\n"
        "    finally:\n"
        "        _releaseLock()\n"
    )
    assert [f.line for f in analyze(src)] == [11, 16]
    assert [f.line for f in analyze(src, engine="cst")] == [11, 16]


def test_lock_name_taken_by_something_else():
    src = "_cache_lock = None  # not a lock\ncache = {}\ndef f(k):\n    if k not in cache:\n        cache[k] = make(k)\n"
    new, applied = fix(src)
    assert "_cache_lock2 = threading.RLock()" in new and "with _cache_lock2:" in new
    assert new.count("_cache_lock = None") == 1 and fix(new) == (new, [])
    # an existing lock of that name is used, not defined twice
    src = "import threading\ncache = {}\n_cache_lock = threading.Lock()\ndef f(k):\n    cache[k] += 1\n"
    new, _ = fix(src)
    assert new.count("_cache_lock =") == 1 and "with _cache_lock:" in new


def test_an_elif_is_reported_not_fixed():
    src = "_p = None\ndef f(x):\n    global _p\n    if x:\n        return ()\n    elif _p is None:\n        _p = {}\n"
    assert [(f.code, f.fixable) for f in analyze(src)] == [("FT004", False)]
    assert fix(src) == (src, [])


def test_every_rule_is_in_the_readme_table():
    from conftest import REPO

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert [c for c in RULES_BY_CODE if f"| `{c}` |" not in readme] == []
