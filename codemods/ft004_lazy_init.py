"""FT004: lazy initialisation of a global (``if _inst is None: _inst = Thing()``): two threads can
both see None and build two instances. Fix: a lock and a second check inside it (double-checked)."""

from __future__ import annotations

import ast

from codemods._analysis import has_call
from codemods._base import Rule, src


def lazy_global(stmt: ast.AST, ctx) -> str | None:
    if not isinstance(stmt, ast.If) or stmt.orelse:
        return None
    test = stmt.test
    name = None
    if (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Is)
            and isinstance(test.left, ast.Name) and isinstance(test.comparators[0], ast.Constant)
            and test.comparators[0].value is None):
        name = test.left.id
    elif isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) and isinstance(test.operand, ast.Name):
        name = test.operand.id
    if name is None or name not in ctx.globals_:
        return None
    if any(ctx.holds_lock(s) for s in stmt.body):
        return None  # already double-checked
    for s in stmt.body:
        for n in ast.walk(s):
            if isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in n.targets):
                return name
    return None


class LazyInit(Rule):
    CODE = "FT004"
    MESSAGE = "lazy initialisation of global '{state}' is not thread-safe (two threads can both initialise it)"
    FIX = "double-checked"
    VALID = [
        src("""
            _inst = None
            def get():
                return _inst
        """),
        # a local
        src("""
            _inst = None
            def get():
                inst = None
                if inst is None:
                    inst = 1
                return inst
        """),
        # already double-checked
        src("""
            import threading
            _inst = None
            _inst_lock = threading.Lock()
            def get():
                global _inst
                if _inst is None:
                    with _inst_lock:
                        if _inst is None:
                            _inst = Thing()
                return _inst
        """),
        # the whole check under a lock
        src("""
            import threading
            _inst = None
            _mutex = threading.Lock()
            def get():
                global _inst
                with _mutex:
                    if _inst is None:
                        _inst = Thing()
                return _inst
        """),
        # import time
        src("""
            _inst = None
            if _inst is None:
                _inst = 1
        """),
        # nothing is initialised
        src("""
            _inst = None
            def get():
                global _inst
                if _inst is None:
                    raise RuntimeError("not ready")
                return _inst
        """),
    ]
    INVALID = [
        (src("""
            _inst = None
            def get():
                global _inst
                if _inst is None:
                    _inst = Thing()
                return _inst
         """),
         src("""
            import threading
            _inst = None
            _inst_lock = threading.RLock()
            def get():
                global _inst
                if _inst is None:
                    with _inst_lock:
                        if _inst is None:
                            _inst = Thing()
                return _inst
         """)),
        # `if not x:`; the comment on the `if` line is not repeated on the re-check
        (src("""
            _table = {}
            def table():
                global _table
                if not _table:  # built on first use
                    _table = {1: 2}
                return _table
         """),
         src("""
            import threading
            _table = {}
            _table_lock = threading.Lock()
            def table():
                global _table
                if not _table:  # built on first use
                    with _table_lock:
                        if not _table:
                            _table = {1: 2}
                return _table
         """)),
        # filled after it is published: a double check would hand out a half-filled dict, so the whole
        # check is locked
        (src("""
            _registry = None
            def registry():
                global _registry
                if _registry is None:
                    _registry = {}
                    _registry["json"] = "application/json"
                return _registry
         """),
         src("""
            import threading
            _registry = None
            _registry_lock = threading.Lock()
            def registry():
                global _registry
                with _registry_lock:
                    if _registry is None:
                        _registry = {}
                        _registry["json"] = "application/json"
                return _registry
         """)),
        # built by an import: a lock held across it can deadlock (the plugin may call back from a thread)
        (src("""
            import importlib
            _backend = None
            def backend():
                global _backend
                if _backend is None:
                    _backend = importlib.import_module("plugins.backend")
                return _backend
         """), None),
        # `if` and body on one line: no block to re-check in, reported only
        (src("""
            _conn = None
            def conn():
                global _conn
                if _conn is None: _conn = object()
                return _conn
         """), None),
        # a generator: a lock held across `yield` can deadlock, so reported only
        (src("""
            _conn = None
            def rows():
                global _conn
                if _conn is None:
                    _conn = connect()
                    yield None
         """), None),
    ]

    def check(self, body, i, ctx):
        name = lazy_global(body[i], ctx)
        if name:
            return self.finding(body[i], name, calls=has_call(body[i].body))
        return None
