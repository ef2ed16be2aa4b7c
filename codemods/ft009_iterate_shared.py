"""FT009: iterating a module-level container that other functions mutate. Reported only: iterate a
snapshot (``for k in list(registry):`` / ``registry.copy()``) or hold the lock the writers hold."""

from __future__ import annotations

import ast

from codemods._analysis import shared
from codemods._base import Rule, src


class IterateSharedContainer(Rule):
    CODE = "FT009"
    MESSAGE = "iterating module-level '{state}' while other functions mutate it; iterate a copy"
    FIX = None
    VALID = [
        # nobody mutates it
        src("""
            registry = []
            def show():
                for r in registry:
                    print(r)
        """),
        # a snapshot is iterated
        src("""
            registry = []
            def add(x):
                registry.append(x)
            def show():
                for r in list(registry):
                    print(r)
                for r in registry.copy():
                    print(r)
        """),
        # under a lock
        src("""
            import threading
            registry = []
            lock = threading.Lock()
            def add(x):
                registry.append(x)
            def show():
                with lock:
                    for r in registry:
                        print(r)
        """),
        # only mutated at import time
        src("""
            registry = {}
            registry["a"] = 1
            def show():
                for k in registry:
                    print(k)
        """),
    ]
    INVALID = [
        (src("""
            registry = []
            def add(x):
                registry.append(x)
            def show():
                for r in registry:
                    print(r)
         """), None),
        (src("""
            handlers = {}
            def register(name, h):
                handlers[name] = h
            def run_all():
                for name, h in handlers.items():
                    h()
         """), None),
    ]

    def check(self, body, i, ctx):
        stmt = body[i]
        if not isinstance(stmt, (ast.For, ast.AsyncFor)):
            return None
        it = stmt.iter
        if (isinstance(it, ast.Call) and not it.args and isinstance(it.func, ast.Attribute)
                and it.func.attr in ("items", "keys", "values")):
            it = it.func.value  # a live view of the dict
        if not isinstance(it, ast.Name):
            return None
        name = it.id
        if name not in ctx.info.containers or not shared(name, ctx):
            return None
        writers = ctx.writers.of(name) - {ctx.fn.name}
        if writers:
            return self.finding(stmt, name, span=(stmt.lineno, stmt.lineno))
        return None
