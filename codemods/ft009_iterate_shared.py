"""FT009: iterating a shared dict, set or deque (module level, or a class attribute) that other functions
mutate: the iterator raises ``RuntimeError: ... changed size during iteration`` (a list does not raise,
so lists are not reported). Iteration in a ``for``, a comprehension, a generator expression, a helper
that iterates step by step (``sum``, ``any``, ``max``, ``enumerate``…) and through a live view
(``.keys()``/``.items()``/``.values()``). Reported only: iterate a snapshot (``list(registry)``,
``sorted(d.items())``, ``registry.copy()`` are each one atomic call) or hold the lock the writers hold."""

from __future__ import annotations

import ast

from codemods._analysis import shared
from codemods._base import Rule, src
from codemods._precision import header_exprs, iterated, unview


class IterateSharedContainer(Rule):
    CODE = "FT009"
    MESSAGE = "iterating shared '{state}' while other functions mutate it; iterate a copy"
    FIX = None
    VALID = [
        # nobody mutates it
        src("""
            registry = {}
            def show():
                for r in registry:
                    print(r)
        """),
        # a list's iterator does not raise when the list changes
        src("""
            registry = []
            def add(x):
                registry.append(x)
            def show():
                for r in registry:
                    print(r)
        """),
        # snapshots are one atomic call each
        src("""
            handlers = {}
            def register(name, h):
                handlers[name] = h
            def names():
                return sorted(handlers), list(handlers.items()), len(handlers), handlers.copy()
        """),
        # a per-instance container (assigned on self) is not the class attribute
        src("""
            class Pool:
                items = {}
                def __init__(self):
                    self.items = {}
                def add(self, k):
                    self.items[k] = 1
                def show(self):
                    return [k for k in self.items]
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
            registry = set()
            def add(x):
                registry.add(x)
            def show():
                for r in registry:
                    print(r)
         """), None),
        # inside a comprehension, a generator expression, a helper, through a view
        (src("""
            handlers = {}
            def register(name, h):
                handlers[name] = h
            def names():
                return [n for n in handlers]
         """), None),
        (src("""
            handlers = {}
            def register(name, h):
                handlers[name] = h
            def total():
                return sum(len(n) for n in handlers.keys())
         """), None),
        (src("""
            from collections import deque
            recent = deque()
            def push(x):
                recent.append(x)
            def largest():
                return max(recent)
         """), None),
        # a class-level container
        (src("""
            class Registry:
                _entries = {}
                @classmethod
                def register(cls, name, obj):
                    cls._entries[name] = obj
                def dump(self):
                    return {k: v for k, v in self._entries.items()}
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
        exprs = header_exprs(stmt)
        candidates = list(iterated(exprs))
        if isinstance(stmt, (ast.For, ast.AsyncFor)):
            candidates.insert(0, stmt.iter)
        for it in candidates:
            it = unview(it)
            if isinstance(it, ast.Name):
                name = it.id
                if name not in ctx.info.iter_checked or not shared(name, ctx):
                    continue
                if ctx.writers.of(name) - {ctx.fn.name}:
                    return self.finding(stmt, name, span=(stmt.lineno, stmt.lineno))
            elif isinstance(it, ast.Attribute) and ctx.extra is not None:
                cc = ctx.extra.class_containers
                key = cc.resolve(it, ctx.cls)
                if key and cc.writers.get(key, set()) - {id(ctx.fn)}:
                    return self.finding(stmt, ".".join(key), span=(stmt.lineno, stmt.lineno))
        return None
