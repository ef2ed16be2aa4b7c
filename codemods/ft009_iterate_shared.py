"""FT009: iterating a module-level container that other functions mutate. Reported only: iterate a
snapshot (``for k in list(registry):`` / ``registry.copy()``) or hold the lock the writers hold."""

from __future__ import annotations

import ast

from codemods._analysis import shared
from codemods._base import Rule


class IterateSharedContainer(Rule):
    CODE = "FT009"
    MESSAGE = "iterating module-level '{state}' while other functions mutate it; iterate a copy"
    FIX = None
    VALID = [
        "registry = []\ndef show():\n    for r in registry:\n        print(r)\n",  # nobody mutates it
        "registry = []\ndef add(x):\n    registry.append(x)\ndef show():\n    for r in list(registry):\n        print(r)\n",
    ]
    INVALID = [
        ("registry = []\ndef add(x):\n    registry.append(x)\ndef show():\n    for r in registry:\n        print(r)\n",
         None),
    ]

    def check(self, body, i, ctx):
        stmt = body[i]
        if not isinstance(stmt, (ast.For, ast.AsyncFor)) or not isinstance(stmt.iter, ast.Name):
            return None
        name = stmt.iter.id
        if name not in ctx.info.containers or not shared(name, ctx):
            return None
        writers = ctx.info.mutated_in.get(name, set()) - {ctx.fn.name}
        if writers:
            return self.finding(stmt, name, span=(stmt.lineno, stmt.lineno))
        return None
