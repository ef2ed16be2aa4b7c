"""FT012: a module-level generator advanced from functions that can run in several threads
(``_ids = counter()`` … ``next(_ids)``). Two threads resuming one generator at once raise
``ValueError: generator already executing`` on a GIL build and crash the free-threaded 3.13.0
interpreter (segmentation fault). Fix: a lock around the ``next()``/``send()``; a ``for`` loop over the
generator is reported only (the lock would be held for the whole loop)."""

from __future__ import annotations

import ast

from codemods._analysis import shared
from codemods._base import Rule, src
from codemods._precision import header_exprs, iterated, walk_no_scopes


def _advanced(exprs: list[ast.AST], gens: set[str]) -> str | None:
    for e in exprs:
        for n in walk_no_scopes(e):
            if isinstance(n, ast.Call):
                f = n.func
                if isinstance(f, ast.Name) and f.id == "next" and n.args and isinstance(n.args[0], ast.Name) \
                        and n.args[0].id in gens:
                    return n.args[0].id
                if (isinstance(f, ast.Attribute) and f.attr in ("send", "__next__", "throw")
                        and isinstance(f.value, ast.Name) and f.value.id in gens):
                    return f.value.id
    for it in iterated(exprs):
        if isinstance(it, ast.Name) and it.id in gens:
            return it.id
    return None


class SharedGenerator(Rule):
    CODE = "FT012"
    MESSAGE = ("module-level generator '{state}' advanced without a lock: concurrent next() raises "
               "ValueError, and crashes the free-threaded 3.13.0")
    FIX = "lock"
    VALID = [
        # a generator per call
        src("""
            def gen():
                yield 1
            def first():
                g = gen()
                return next(g)
        """),
        # itertools.count() is not a generator: next() on it is one atomic call
        src("""
            import itertools
            _ids = itertools.count()
            def new_id():
                return next(_ids)
        """),
        # under a lock
        src("""
            import threading
            def gen():
                yield 1
            _g = gen()
            _lock = threading.Lock()
            def take():
                with _lock:
                    return next(_g)
        """),
    ]
    INVALID = [
        (src("""
            def _counter():
                n = 0
                while True:
                    n += 1
                    yield n
            _ids = _counter()
            def new_id():
                ident = next(_ids)
                return ident
         """),
         src("""
            import threading
            def _counter():
                n = 0
                while True:
                    n += 1
                    yield n
            _ids = _counter()
            _ids_lock = threading.RLock()
            def new_id():
                with _ids_lock:
                    ident = next(_ids)
                return ident
         """)),
        # a loop over it: reported only
        (src("""
            _lines = (line for line in open("data.txt"))
            def batch(n):
                out = []
                for line in _lines:
                    out.append(line)
                return out
         """), None),
    ]

    def check(self, body, i, ctx):
        if ctx.extra is None:
            return None
        gens = {g for g in ctx.extra.generators if shared(g, ctx)}
        if not gens:
            return None
        stmt = body[i]
        if isinstance(stmt, (ast.For, ast.AsyncFor)) and isinstance(stmt.iter, ast.Name) and stmt.iter.id in gens:
            return self.finding(stmt, stmt.iter.id, span=(stmt.lineno, stmt.lineno), fixable=False)
        name = _advanced(header_exprs(stmt), gens)
        if name is None:
            return None
        compound = not isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Expr, ast.Return))
        # `return next(g)` cannot be wrapped without changing where the function returns: fine inside `with`
        return self.finding(stmt, name, calls=True, fixable=not compound)
