"""FT008: ``self.x += 1`` — a read-modify-write of instance state. Reported only: whether an instance
is shared between threads is not visible in the code, and the fix needs a per-instance lock."""

from __future__ import annotations

import ast

from codemods._base import Rule


class InstanceAttrReadModifyWrite(Rule):
    CODE = "FT008"
    MESSAGE = "read-modify-write of instance attribute '{state}' is not thread-safe if the instance is shared"
    FIX = None
    VALID = [
        "class C:\n    def f(self):\n        self.n = 1\n",
        "class C:\n    def f(self):\n        with self._lock:\n            self.n += 1\n",
        "import threading\nclass State(threading.local):\n    def f(self):\n        self.n += 1\n",
        "from threading import local as L\nclass A(L):\n    pass\nclass B(A):\n    def f(self):\n        self.n += 1\n",
    ]
    INVALID = [("class C:\n    def f(self):\n        self.n += 1\n", None)]

    def check(self, body, i, ctx):
        stmt = body[i]
        if ctx.cls in ctx.info.local_classes:
            return None  # instances of a threading.local subclass: every thread has its own attributes
        if (ctx.cls and isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Attribute)
                and isinstance(stmt.target.value, ast.Name) and stmt.target.value.id == "self"):
            return self.finding(stmt, f"self.{stmt.target.attr}")
        return None
