"""The fast ``ast`` engine (reporting) and the libcst-metadata engine (fixing) give identical findings."""

from __future__ import annotations

import sysconfig
from pathlib import Path

import pytest

from codemods import RULES_BY_CODE, analyze
from codemods._base import src

EXAMPLES = [s for rule in RULES_BY_CODE.values() for s in rule.VALID + [i for i, _ in rule.INVALID] + rule.INFO]
STDLIB = Path(sysconfig.get_paths()["stdlib"])
# threading-heavy standard library modules (always present, real code with real findings)
STDLIB_FILES = ["threading.py", "logging/__init__.py", "logging/handlers.py", "concurrent/futures/thread.py",
                "concurrent/futures/_base.py", "queue.py", "tempfile.py", "warnings.py", "linecache.py",
                "multiprocessing/util.py", "socketserver.py", "weakref.py"]

SCOPES = [
    # comprehension variables and walrus, except-as, match captures, nested defs and classes
    src("""
        import threading as t
        cache, items = {}, []
        counts = {}
        lock = t.RLock()
        def f(k):
            ys = [counts for counts in range(3)]
            counts[k] += 1
            try:
                pass
            except Exception as cache:
                cache[k] += 1
            def counts_(): pass
            class items: pass
            with lock:
                counts[k] += 1
        def g(k):
            from collections import Counter as counts
            counts[k] += 1
        class C:
            counts = {}
            def m(self, k):
                counts[k] += 1
                if k not in counts:
                    counts[k] = make()
        def h(x):
            match x:
                case {"a": counts}:
                    counts[1] += 1
                case [*counts]:
                    counts[0] += 1
    """),
    # try/except imports and aliases, threading.local subclasses through a chain, main guards
    src("""
        try:
            from collections import OrderedDict as OD
        except ImportError:
            OD = dict
        import threading
        from threading import local
        reg = OD()
        class A(local): pass
        class B(A):
            def f(self):
                self.n += 1
        tl = B()
        guard = threading.Lock()
        def f(k):
            reg[k] = reg.get(k, 0) + 1
            guard.acquire()
            try:
                reg[k] += 1
            finally:
                guard.release()
            reg[k] += 2
        if __name__ == '__main__':
            def main():
                reg[1] += 1
    """),
]


def findings(source: str, engine: str):
    return [(f.line, f.column, f.code, f.state, f.fixable, f.span, f.fix, f.calls, f.owner, f.severity)
            for f in analyze(source, engine=engine)]


@pytest.mark.parametrize("source", EXAMPLES + SCOPES)
def test_engines_agree_on_examples(source):
    assert findings(source, "ast") == findings(source, "cst")


def test_scope_cases_are_found_where_python_binds_them():
    got = [(f.line, f.code) for f in analyze(SCOPES[0])]
    # line 7: `counts` is the module dict (the comprehension variable does not leak)
    # lines 22-23: a method sees the module-level `counts`, not the class attribute
    assert got == [(7, "FT002"), (22, "FT002"), (23, "FT003")]
    got = [(f.line, f.code) for f in analyze(SCOPES[1])]
    assert got == [(15, "FT002"), (21, "FT002")]  # B is thread-local; acquire..release is locked


@pytest.mark.parametrize("name", STDLIB_FILES)
def test_engines_agree_on_the_standard_library(name):
    source = (STDLIB / name).read_text(encoding="utf-8")
    assert findings(source, "ast") == findings(source, "cst")


def test_the_standard_library_sample_has_findings():
    total = sum(len(analyze((STDLIB / n).read_text(encoding="utf-8"))) for n in STDLIB_FILES)
    assert total >= 5  # so the comparison above compares something


IMPORT_TIME = [
    # passed as a value (a callback): may run anywhere
    ("_n = 0\ndef _bump():\n    global _n\n    _n += 1\nhandlers = [_bump]\n", [4]),
    # called from a method, a lambda, a comprehension body, a nested function: not import-time only
    ("_n = 0\ndef _bump():\n    global _n\n    _n += 1\nclass C:\n    def m(self):\n        _bump()\n", [4]),
    ("_n = 0\ndef _bump():\n    global _n\n    _n += 1\nf = lambda: _bump()\n", [4]),
    ("_n = 0\ndef _bump():\n    global _n\n    _n += 1\nxs = [_bump() for i in range(3)]\n", [4]),
    ("_n = 0\ndef _bump():\n    global _n\n    _n += 1\ndef _outer():\n    def inner():\n        _bump()\n"
     "    return inner\n_outer()\n", [4]),
    # the first iterable of a comprehension, a default value and a decorator run at module level
    ("_n = 0\ndef _bump():\n    global _n\n    _n += 1\n    return []\nxs = [i for i in _bump()]\n"
     "def g(x=_bump()):\n    pass\n", []),
    # rebound, decorated, public, never called, shadowed by a local of the caller
    ("_n = 0\ndef _bump():\n    global _n\n    _n += 1\n_bump()\n_bump = None\n", [4]),
    ("_n = 0\n@cache\ndef _bump():\n    global _n\n    _n += 1\n_bump()\n", [5]),
    ("_n = 0\ndef bump():\n    global _n\n    _n += 1\nbump()\n", [4]),
    ("_n = 0\ndef _bump():\n    global _n\n    _n += 1\n", [4]),
    ("_n = 0\ndef _bump():\n    global _n\n    _n += 1\ndef _init():\n    _bump = print\n    _bump()\n_init()\n"
     "_bump()\n", []),
]


@pytest.mark.parametrize("source,lines", IMPORT_TIME)
def test_import_time_helpers(source, lines):
    assert [f.line for f in analyze(source)] == lines
    assert [f.line for f in analyze(source, engine="cst")] == lines
