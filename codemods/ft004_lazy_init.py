"""FT004: lazy initialisation of a global (``if _inst is None: _inst = Thing()``): two threads can
both see None and build two instances. Fix: a lock and a second check inside it (double-checked)."""

from __future__ import annotations

import ast

from codemods._analysis import has_call
from codemods._base import Rule, src
from codemods._precision import _fresh_mutable, equal_value_body
from codemods.ft001_global_rmw import lazy_or

INFO_SUFFIX = " (equal-value: both threads store an equal value; no lock needed)"


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
    MESSAGE = ("lazy initialisation of global '{state}' is not thread-safe (two threads can both initialise it)"
               "{message_suffix}")
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
    INFO = [
        # a warning shown once: two racing threads may both warn, nothing else happens twice
        src("""
            import warnings
            _warned = False
            def old_api():
                global _warned
                if not _warned:
                    _warned = True
                    warnings.warn("old_api is deprecated", DeprecationWarning)
        """),
        # a lookup table built from constants, never changed in place afterwards
        src("""
            ZONES = ["Europe/Paris", "America/New_York"]
            _lower = None
            def canonical(zone):
                global _lower
                if _lower is None:
                    _lower = dict((z.lower(), z) for z in ZONES)
                return _lower.get(zone.lower(), zone)
        """),
        # the result of a memoised getter, or of a function that only returns constants
        src("""
            _cache = {}
            _default = None
            _env = None
            def translation(lang):
                if lang not in _cache:  # migrate: ignore[FT003]
                    _cache[lang] = Translation(lang)
                return _cache[lang]
            def default():
                global _default
                if _default is None:
                    _default = translation("en")
                return _default
            def _detect():
                if gevent_loaded():
                    return "gevent"
                return "default"
            def environment():
                global _env
                if _env is None:
                    _env = _detect()
                return _env
        """),
        src("""
            import re
            _word = None
            def word_re():
                global _word
                if _word is None:
                    _word = re.compile(r"\\w+")
                return _word
        """),
        # a lazy import
        src("""
            _json = None
            def dumps(obj):
                global _json
                if _json is None:
                    import json
                    _json = json
                return _json.dumps(obj)
        """),
        src("""
            import shutil
            _git = None
            def git():
                global _git
                _git = _git or shutil.which("git")
                return _git
        """),
    ]
    INVALID = [
        # a table that is changed in place later: the copy another thread filled can be lost
        (src("""
            _routes = None
            def routes():
                global _routes
                if _routes is None:
                    _routes = dict(DEFAULTS)
                return _routes
            def add_route(k, v):
                routes()[k] = v
                _routes[k] = v
         """),
         src("""
            import threading
            _routes = None
            _routes_lock = threading.RLock()
            def routes():
                global _routes
                if _routes is None:
                    with _routes_lock:
                        if _routes is None:
                            _routes = dict(DEFAULTS)
                return _routes
            def add_route(k, v):
                routes()[k] = v
                _routes[k] = v
         """)),
        # `x = x or make()`: a singleton built twice; reported (no `if` to double-check)
        (src("""
            _engine = None
            def engine():
                global _engine
                _engine = _engine or Engine()
                return _engine
         """), None),
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
        stmt = body[i]
        name = lazy_global(stmt, ctx)
        if name:
            if ctx.extra is not None and equal_value_body(stmt.body, name, ctx.extra, item=False):
                return self.finding(stmt, name, severity="info", message_suffix=INFO_SUFFIX)
            return self.finding(stmt, name, calls=has_call(stmt.body))
        # `x = x or make()`: the same race, in one statement (reported; the fix needs an `if`)
        if (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
                and stmt.targets[0].id in ctx.globals_ and lazy_or(stmt, stmt.targets[0].id)):
            name = stmt.targets[0].id
            if ctx.extra is not None and ctx.extra.pure(stmt.value.values[-1], name) \
                    and not _fresh_mutable(stmt.value.values[-1]):
                return self.finding(stmt, name, severity="info", message_suffix=INFO_SUFFIX)
            return self.finding(stmt, name, fixable=False)
        return None
