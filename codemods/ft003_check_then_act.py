"""FT003: check-then-act on a module-level container (``if k not in cache: cache[k] = make()``)."""

from __future__ import annotations

import ast

from codemods._analysis import MUTATING_METHODS, has_call, shared
from codemods._base import Rule


def checked_container(test: ast.AST, ctx) -> str | None:
    """The module-level container a membership test or ``.get()`` looks at."""
    node = test.operand if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) else test
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        if isinstance(node.ops[0], (ast.In, ast.NotIn)) and isinstance(node.comparators[0], ast.Name):
            name = node.comparators[0].id
        elif isinstance(node.left, ast.Call):
            return checked_container(node.left, ctx)
        else:
            return None
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get" \
            and isinstance(node.func.value, ast.Name):
        name = node.func.value.id
    else:
        return None
    return name if name in ctx.info.containers and shared(name, ctx) else None


def mutates(stmts: list[ast.stmt], name: str) -> bool:
    for stmt in stmts:
        for n in ast.walk(stmt):
            if isinstance(n, (ast.Assign, ast.AugAssign, ast.Delete)):
                for t in getattr(n, "targets", None) or [n.target]:
                    if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) and t.value.id == name:
                        return True
            if (isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in MUTATING_METHODS
                    and isinstance(n.func.value, ast.Name) and n.func.value.id == name):
                return True
    return False


class CheckThenAct(Rule):
    CODE = "FT003"
    MESSAGE = "check-then-act on module-level '{state}' without a lock"
    FIX = "lock"
    VALID = [
        "cache = {}\ndef f(k):\n    return cache.setdefault(k, 1)\n",
        "cache = {}\ndef f(k):\n    if k in cache:\n        return cache[k]\n",  # read only
        "cache = {}\ndef f(k):\n    if k in cache:\n        del cache[k]\n",  # FT006, not FT003
    ]
    INVALID = [
        ("cache = {}\ndef get(k):\n    if k not in cache:\n        cache[k] = make(k)\n    return cache[k]\n",
         "import threading\ncache = {}\n_cache_lock = threading.RLock()\ndef get(k):\n    with _cache_lock:\n"
         "        if k not in cache:\n            cache[k] = make(k)\n    return cache[k]\n"),
        ("seen = set()\ndef first(x):\n    if x in seen:\n        return False\n    else:\n        seen.add(x)\n"
         "        return True\n",
         "import threading\nseen = set()\n_seen_lock = threading.RLock()\ndef first(x):\n    with _seen_lock:\n"
         "        if x in seen:\n            return False\n        else:\n            seen.add(x)\n"
         "            return True\n"),
    ]

    def check(self, body, i, ctx):
        stmt = body[i]
        if not isinstance(stmt, ast.If):
            return None
        name = checked_container(stmt.test, ctx)
        if not name or not mutates(stmt.body + stmt.orelse, name):
            return None
        if _is_check_then_delete(stmt, name):
            return None
        return self.finding(stmt, name, calls=has_call(stmt.body + stmt.orelse + [stmt.test]))


def _is_check_then_delete(stmt: ast.If, name: str) -> bool:
    from codemods.ft006_check_then_delete import deleted_key

    return deleted_key(stmt, name) is not None
