"""FT008: ``self.x += 1`` — a read-modify-write of instance state. Reported only: whether an instance
is shared between threads is not visible in the code, and the fix needs a per-instance lock."""

from __future__ import annotations

import ast

from codemods._base import Rule, src


class InstanceAttrReadModifyWrite(Rule):
    CODE = "FT008"
    MESSAGE = "read-modify-write of instance attribute '{state}' is not thread-safe if the instance is shared"
    FIX = None
    VALID = [
        src("""
            class C:
                def f(self):
                    self.n = 1
        """),
        src("""
            class C:
                def f(self):
                    with self._lock:
                        self.n += 1
        """),
        # instances of a threading.local subclass: every thread has its own attributes
        src("""
            import threading
            class State(threading.local):
                def f(self):
                    self.n += 1
        """),
        src("""
            from threading import local as L
            class A(L):
                pass
            class B(A):
                def f(self):
                    self.n += 1
        """),
        # while the instance is built, no other thread has it
        src("""
            class C:
                def __init__(self, items):
                    self.n = 0
                    for _ in items:
                        self.n += 1
        """),
        # not a method
        src("""
            def f(self):
                self.n += 1
        """),
    ]
    INVALID = [
        (src("""
            class C:
                def f(self):
                    self.n += 1
         """), None),
    ]

    def check(self, body, i, ctx):
        stmt = body[i]
        if ctx.cls in ctx.info.local_classes:
            return None  # instances of a threading.local subclass: every thread has its own attributes
        if ctx.fn.name in ("__init__", "__new__", "__post_init__"):
            return None  # the instance is not shared with other threads yet
        if (ctx.cls and isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Attribute)
                and isinstance(stmt.target.value, ast.Name) and stmt.target.value.id == "self"):
            return self.finding(stmt, f"self.{stmt.target.attr}")
        return None
