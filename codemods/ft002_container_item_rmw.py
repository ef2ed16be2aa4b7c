"""FT002: read-modify-write of an item of a module-level container (``counts[k] += 1``,
``counts[k] = counts.get(k, 0) + 1``)."""

from __future__ import annotations

import ast

from codemods._analysis import has_call, shared
from codemods._base import Rule


def _container_of(target: ast.AST, ctx) -> str | None:
    if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
        name = target.value.id
        if name in ctx.info.containers and shared(name, ctx):
            return name
    return None


def reads(value: ast.AST, name: str) -> bool:
    for n in ast.walk(value):
        if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name) and n.value.id == name:
            return True
        if (isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and isinstance(n.func.value, ast.Name)
                and n.func.value.id == name and n.func.attr in ("get", "setdefault", "pop")):
            return True
    return False


class ContainerItemReadModifyWrite(Rule):
    CODE = "FT002"
    MESSAGE = "read-modify-write of an item of module-level '{state}' without a lock"
    FIX = "lock"
    VALID = [
        "counts = {}\ndef f(k):\n    counts[k] = 1\n",  # one store is atomic
        "counts = {}\ndef f(k):\n    counts = {}\n    counts[k] += 1\n",  # local
        "def f(k):\n    d = {}\n    d[k] = d.get(k, 0) + 1\n",
        "counts = {}\ndef f(k):\n    counts.setdefault(k, []).append(1)\n",
    ]
    INVALID = [
        ("counts = {}\ndef hit(k):\n    counts[k] = counts.get(k, 0) + 1\n",
         "import threading\ncounts = {}\n_counts_lock = threading.RLock()\ndef hit(k):\n    with _counts_lock:\n"
         "        counts[k] = counts.get(k, 0) + 1\n"),
        ("totals = {'a': 0}\ndef hit():\n    totals['a'] += 1\n",
         "import threading\ntotals = {'a': 0}\n_totals_lock = threading.Lock()\ndef hit():\n    with _totals_lock:\n"
         "        totals['a'] += 1\n"),
    ]

    def check(self, body, i, ctx):
        stmt = body[i]
        if isinstance(stmt, ast.AugAssign):
            name = _container_of(stmt.target, ctx)
            if name:
                return self.finding(stmt, name, calls=has_call([stmt.value, stmt.target]))
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            name = _container_of(stmt.targets[0], ctx)
            if name and reads(stmt.value, name):
                return self.finding(stmt, name, calls=has_call([stmt.value]))
        return None
