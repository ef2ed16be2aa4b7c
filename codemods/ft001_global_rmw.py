"""FT001: read-modify-write of a module global (``global n; n += 1``, ``tmp = n; ...; n = tmp + 1``)."""

from __future__ import annotations

import ast

from codemods._analysis import has_call, names_in
from codemods._base import Rule


class GlobalReadModifyWrite(Rule):
    CODE = "FT001"
    MESSAGE = "read-modify-write of module global '{state}' without a lock"
    FIX = "lock"
    VALID = [
        "n = 0\ndef f():\n    global n\n    n = 5\n",  # a plain store is atomic
        "n = 0\ndef f():\n    n = 1\n    n += 1\n",  # local
        "import threading\nn = 0\n_n_lock = threading.Lock()\ndef f():\n    global n\n    with _n_lock:\n        n += 1\n",
        "n = 0\nn += 1\n",  # import time
        "n = 0\ndef f():\n    global n\n    n += 1  # migrate: ignore[FT001]\n",
    ]
    INVALID = [
        ("n = 0\ndef f():\n    global n\n    n += 1\n",
         "import threading\nn = 0\n_n_lock = threading.Lock()\ndef f():\n    global n\n    with _n_lock:\n        n += 1\n"),
        ("total = 0\ndef add(x):\n    global total\n    tmp = total\n    tmp = tmp + x\n    total = tmp\n",
         "import threading\ntotal = 0\n_total_lock = threading.Lock()\ndef add(x):\n    global total\n"
         "    with _total_lock:\n        tmp = total\n        tmp = tmp + x\n        total = tmp\n"),
    ]

    def check(self, body, i, ctx):
        stmt = body[i]
        if isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name) and stmt.target.id in ctx.globals_:
            return self.finding(stmt, stmt.target.id, calls=has_call([stmt.value]))
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            n = stmt.targets[0].id
            if n in ctx.globals_ and n in names_in(stmt.value):
                return self.finding(stmt, n, calls=has_call([stmt.value]))
        # tmp = n ... n = <uses tmp>
        if isinstance(stmt, ast.Assign) and all(isinstance(t, ast.Name) for t in stmt.targets):
            read = names_in(stmt.value) & ctx.globals_
            temps = {t.id for t in stmt.targets}
            for n in sorted(read):
                for j in range(i + 1, len(body)):
                    later = body[j]
                    stores = [t.id for t in getattr(later, "targets", []) if isinstance(t, ast.Name)]
                    if isinstance(later, ast.Assign) and n in stores and (names_in(later.value) & temps or n in names_in(later.value)):
                        return self.finding(stmt, n, span=(stmt.lineno, later.end_lineno or later.lineno),
                                            calls=has_call(body[i:j + 1]))
                    if isinstance(later, ast.Assign):
                        temps |= {t for t in stores if names_in(later.value) & temps}
        return None
