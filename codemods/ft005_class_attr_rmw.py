"""FT005: read-modify-write of a class attribute (``Cls.count += 1``, ``type(self).count += 1``)."""

from __future__ import annotations

import ast

from codemods._analysis import has_call, shared
from codemods._base import Rule


def class_target(target: ast.AST, ctx) -> tuple[str, str, str] | None:
    """(owner expression text, class name, attribute) of a class-attribute target."""
    if not isinstance(target, ast.Attribute):
        return None
    value = target.value
    if isinstance(value, ast.Name) and value.id in ctx.info.classes and shared(value.id, ctx):
        return value.id, value.id, target.attr
    text = ast.unparse(value)
    if ctx.cls and text in ("type(self)", "self.__class__", "cls"):
        if text == "cls" and not any(isinstance(d, ast.Name) and d.id == "classmethod"
                                     for d in ctx.fn.decorator_list):
            return None
        return text, ctx.cls, target.attr
    return None


class ClassAttrReadModifyWrite(Rule):
    CODE = "FT005"
    MESSAGE = "read-modify-write of class attribute '{state}' without a lock"
    FIX = "lock"
    VALID = [
        "class C:\n    n = 0\n    def f(self):\n        self.n = 1\n",
        "class C:\n    n = 0\ndef f():\n    C.n = 5\n",
    ]
    INVALID = [
        ("class Counter:\n    count = 0\n    def hit(self):\n        type(self).count += 1\n",
         "import threading\nclass Counter:\n    count = 0\n    _count_lock = threading.Lock()\n    def hit(self):\n"
         "        with type(self)._count_lock:\n            type(self).count += 1\n"),
        ("class Registry:\n    size = 0\ndef grow():\n    Registry.size += 1\n",
         "import threading\nclass Registry:\n    size = 0\n    _size_lock = threading.Lock()\ndef grow():\n"
         "    with Registry._size_lock:\n        Registry.size += 1\n"),
    ]

    def check(self, body, i, ctx):
        stmt = body[i]
        target = None
        if isinstance(stmt, ast.AugAssign):
            target = stmt.target
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Attribute):
            t = stmt.targets[0]
            if any(isinstance(n, ast.Attribute) and ast.dump(n) == ast.dump(t) for n in ast.walk(stmt.value)):
                target = t
        found = class_target(target, ctx) if target is not None else None
        if not found:
            return None
        owner, cls, attr = found
        # the lock goes into the class body: only for a class defined at the top of the module
        return self.finding(stmt, f"{cls}.{attr}", owner=owner, calls=has_call([stmt.value]),
                            fixable=cls in ctx.info.classes)
