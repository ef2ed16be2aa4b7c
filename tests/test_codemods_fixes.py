"""How fixes are written: robustness (one failing fix never costs the others), placement of
``import threading``, what is not fixed and why, other sites under the same lock, linear cost."""

from __future__ import annotations

import ast

import pytest

import codemods._fix as fixmod
from codemods import analyze, fix


def _fixable(src):
    return [f for f in analyze(src) if f.fixable]


def test_an_error_on_one_fix_keeps_the_others(monkeypatch):
    src = ("a = 0\nb = 0\n"
           "def f():\n    global a\n    a += 1\n"
           "def g():\n    global b\n    b += 1\n"
           "def h():\n    global b\n    b += 2\n")
    real = fixmod._Fixer._apply

    def broken(self, f, group):
        if f.state == "a":
            raise RuntimeError("libcst cannot write this")
        return real(self, f, group)

    monkeypatch.setattr(fixmod._Fixer, "_apply", broken)
    new, applied = fix(src)
    assert sorted((f.state, f.line) for f in applied) == [("b", 8), ("b", 11)]
    assert "with _b_lock:\n        b += 1" in new and "with _a_lock" not in new
    compile(new, "<fixed>", "exec")


@pytest.mark.parametrize("src", [
    # one-line suites
    "_x = None\ndef get():\n    global _x\n    if _x is None: _x = object()\n    return _x\n",
    "c = {}\ndef f(k):\n    if k not in c: c[k] = make(k)\n",
    # `x = yield` in a check-then-act: a lock across yield can deadlock
    "cache = {}\ndef gen(k):\n    if k not in cache:\n        x = yield 1\n        cache[k] = x\n",
    "n = 0\ndef f():\n    global n\n    if n: n += 1\n",
])
def test_what_is_marked_fixable_is_fixed(src):
    marked = _fixable(src)
    new, applied = fix(src)
    assert len(applied) == len(marked)
    assert _fixable(new) == []


@pytest.mark.parametrize("head,expected", [
    # stdlib block: plain imports sorted, before the `from` imports; after `from __future__`
    ('"""Doc."""\nfrom __future__ import annotations\n\nimport os\nimport sys\nfrom pathlib import Path\n\nimport requests\n',
     '"""Doc."""\nfrom __future__ import annotations\n\nimport os\nimport sys\nimport threading\nfrom pathlib import Path\n'
     '\nimport requests\n'),
    ("import time\nimport zlib\n", "import threading\nimport time\nimport zlib\n"),
    ("from os import path\n", "import threading\nfrom os import path\n"),
    # no stdlib import: a block of its own before the third-party ones
    ("import requests\n", "import threading\n\nimport requests\n"),
    # nothing imported: after the docstring
    ('"""Doc."""\n', '"""Doc."""\n\nimport threading\n'),
    # already imported: not again
    ("import threading as t\nimport threading\n", "import threading as t\nimport threading\n"),
])
def test_import_threading_goes_where_isort_puts_it(head, expected):
    body = "n = 0\ndef f():\n    global n\n    n += 1\n"
    new, applied = fix(head + body)
    assert applied and new.startswith(expected), new


def test_other_sites_take_the_same_lock():
    src = ("cache = {}\n"
           "def get(k):\n    if k not in cache:\n        cache[k] = make(k)\n    return cache[k]\n"
           "def peek(k):\n    if k in cache:\n        return cache[k]\n    return None\n"
           "def forget(k):\n    del cache[k]\n"
           "def reset():\n    cache.clear()\n"
           "def size():\n    return len(cache)\n"
           "if __name__ == '__main__':\n    def main():\n        cache.clear()\n")
    new, applied = fix(src)
    assert [f.code for f in applied] == ["FT003"]  # the other sites are not findings of their own
    assert new.count("with _cache_lock:") == 4
    assert "    with _cache_lock:\n        del cache[k]\n" in new
    assert "    with _cache_lock:\n        cache.clear()\n" in new
    assert "def size():\n    return len(cache)\n" in new and "        cache.clear()\n" in new.split("__main__")[1]
    assert "        return cache[k]\n" in new.split("def peek")[0]  # the read after the act is inside
    assert fix(new) == (new, [])


def test_no_lock_across_blocking_calls():
    for call in ("open(name).read()", "requests.get(name)",
                 "cursor.execute(name)", "Model.objects.get(name=name)", "factory(name)"):
        src = (f"import importlib\n_cache = {{}}\ndef load(name, factory=None):\n    if name not in _cache:\n"
               f"        value = {call}\n        _cache[name] = value\n    return _cache[name]\n")
        (finding,) = analyze(src)
        assert not finding.fixable and "not fixed: a lock held across" in finding.message, call
        assert fix(src) == (src, [])
    # an import is equal-value memoisation (sys.modules hands every thread the same module): a note
    src = ("import importlib\n_cache = {}\ndef load(name):\n    if name not in _cache:\n"
           "        _cache[name] = importlib.import_module(name)\n    return _cache[name]\n")
    (finding,) = analyze(src)
    assert finding.severity == "info" and not finding.fixable
    assert fix(src) == (src, [])


def test_a_fixed_module_is_parsed_only_where_it_is_fixed(monkeypatch):
    # 2,000 functions, one with a finding: libcst sees the one function, not the module
    parts = [f"def f{i}(x):\n    return x + {i}\n" for i in range(2000)]
    parts.insert(1000, "n = 0\ndef bump():\n    global n\n    n += 1\n")
    src = "".join(parts)
    seen = []
    real = fixmod.cst.parse_module
    monkeypatch.setattr(fixmod.cst, "parse_module", lambda text, *a, **k: (seen.append(len(text)), real(text))[1])
    new, applied = fix(src)
    assert len(applied) == 1 and max(seen) < 200
    ast.parse(new)


def test_related_globals_share_one_lock():
    src = ("hits = 0\ntotal = 0\n"
           "def record(n):\n    global hits, total\n    hits += 1\n    total += n\n"
           "def reset():\n    global hits\n    hits = hits * 0\n")
    new, applied = fix(src)
    assert sorted(f.state for f in applied) == ["hits", "hits", "total"]
    assert "    with _hits_lock:\n        hits += 1\n        total += n\n" in new  # one critical section
    assert "_total_lock" not in new and new.count("_hits_lock = threading.Lock()") == 1
    assert fix(new) == (new, [])


def test_functions_inside_top_level_blocks_are_fixed():
    src = ("n = 0\n"
           "try:\n    import fast\nexcept ImportError:\n    def bump():\n        global n\n        n += 1\n"
           "if True:\n    class C:\n        k = 0\n        def hit(self):\n            type(self).k += 1\n")
    marked = _fixable(src)
    new, applied = fix(src)
    assert len(applied) == len(marked) >= 1
    assert "        with _n_lock:\n            n += 1\n" in new
    assert _fixable(new) == []


def test_sites_that_cannot_take_the_lock_are_reported():
    src = ("cache = {}\n"
           "def get(k):\n    if k not in cache:\n        cache[k] = make(k)\n    return cache[k]\n"
           "def drop_all():\n    for k in list(cache): del cache[k]\n"
           "def save(k):\n    if k in cache:\n        open(k, 'w').write(cache[k])\n")
    finding, read = analyze(src)
    # the loop that deletes cannot take the lock (one-line suite); the check-then-read with file I/O is
    # its own finding (FT010: another function deletes)
    assert finding.fixable and finding.message.endswith("(other code using it stays unlocked: line 7)")
    assert read.code == "FT010" and read.line == 9
    assert [f.message for f in analyze(src, engine="cst")] == [finding.message, read.message]
