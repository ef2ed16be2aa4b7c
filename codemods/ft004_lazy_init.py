"""FT004: lazy initialisation of a global (``if _inst is None: _inst = Thing()``): two threads can
both see None and build two instances. Fix: a lock and a second check inside it (double-checked)."""

from __future__ import annotations

import ast

from codemods._analysis import has_call
from codemods._base import Rule


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
        "_inst = None\ndef get():\n    return _inst\n",
        "_inst = None\ndef get():\n    inst = None\n    if inst is None:\n        inst = 1\n",
    ]
    INVALID = [
        ("_inst = None\ndef get():\n    global _inst\n    if _inst is None:\n        _inst = Thing()\n    return _inst\n",
         "import threading\n_inst = None\n_inst_lock = threading.RLock()\ndef get():\n    global _inst\n"
         "    if _inst is None:\n        with _inst_lock:\n            if _inst is None:\n                _inst = Thing()\n"
         "    return _inst\n"),
    ]

    def check(self, body, i, ctx):
        name = lazy_global(body[i], ctx)
        if name:
            return self.finding(body[i], name, calls=has_call(body[i].body))
        return None
