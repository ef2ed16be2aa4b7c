"""FT005: read-modify-write of a class attribute (``Cls.count += 1``, ``type(self).count += 1``)."""

from __future__ import annotations

import ast

from codemods._analysis import has_call, shared
from codemods._base import Rule, src


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
        src("""
            class C:
                n = 0
                def f(self):
                    self.n = 1
        """),
        # a plain store
        src("""
            class C:
                n = 0
            def f():
                C.n = 5
        """),
        # `self.n += 1` is FT008
        src("""
            class C:
                n = 0
                def f(self):
                    self.n += 1
        """),
        # under the class lock
        src("""
            import threading
            class C:
                n = 0
                _n_lock = threading.Lock()
                def f(self):
                    with type(self)._n_lock:
                        type(self).n += 1
        """),
        # a local that shadows the class name
        src("""
            class C:
                n = 0
            def f(C):
                C.n += 1
        """),
        # in the class body: import time
        src("""
            class C:
                n = 0
                n += 1
        """),
        # a class instantiated only at module level and in class bodies: its constructor runs at import time
        src("""
            class Tok:
                num = 0
                def __init__(self, name):
                    self.id = Tok.num
                    Tok.num += 1
            class Lexer:
                tokens = [Tok("ws"), Tok("name")]
            EOF = Tok("eof")
        """),
    ]
    INVALID = [
        (src("""
            class Counter:
                count = 0
                def hit(self):
                    type(self).count += 1
         """),
         src("""
            import threading
            class Counter:
                count = 0
                _count_lock = threading.Lock()
                def hit(self):
                    with type(self)._count_lock:
                        type(self).count += 1
         """)),
        (src("""
            class Registry:
                size = 0
            def grow():
                Registry.size += 1
         """),
         src("""
            import threading
            class Registry:
                size = 0
                _size_lock = threading.Lock()
            def grow():
                with Registry._size_lock:
                    Registry.size += 1
         """)),
        (src("""
            class Pool:
                \"\"\"Connections.\"\"\"
                opened = 0
                @classmethod
                def open(cls):
                    cls.opened = cls.opened + 1
         """),
         src("""
            import threading
            class Pool:
                \"\"\"Connections.\"\"\"
                opened = 0
                _opened_lock = threading.Lock()
                @classmethod
                def open(cls):
                    with cls._opened_lock:
                        cls.opened = cls.opened + 1
         """)),
        # the attribute comes from a base class: the lock goes after the docstring
        (src("""
            class Base:
                hits = 0
            class Child(Base):
                \"\"\"A child.\"\"\"
                def hit(self):
                    self.__class__.hits += 1
         """),
         src("""
            import threading
            class Base:
                hits = 0
            class Child(Base):
                \"\"\"A child.\"\"\"
                _hits_lock = threading.Lock()
                def hit(self):
                    with self.__class__._hits_lock:
                        self.__class__.hits += 1
         """)),
        # the id handed out is read under the same lock as the increment (unique ids)
        (src("""
            class Widget:
                counter = 0
                def __init__(self):
                    Widget.counter += 1
                    self.id = Widget.counter
         """),
         src("""
            import threading
            class Widget:
                counter = 0
                _counter_lock = threading.Lock()
                def __init__(self):
                    with Widget._counter_lock:
                        Widget.counter += 1
                        self.id = Widget.counter
         """)),
        # a class defined inside a function: no place for a class-level lock, reported only
        (src("""
            def factory():
                class Local:
                    n = 0
                    def hit(self):
                        type(self).n += 1
                return Local
         """), None),
    ]

    def check(self, body, i, ctx):
        stmt = body[i]
        target = None
        if isinstance(stmt, ast.AugAssign):
            target = stmt.target
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Attribute):
            t = stmt.targets[0]
            if any(isinstance(n, ast.Attribute) and ast.unparse(n) == ast.unparse(t) for n in ast.walk(stmt.value)):
                target = t
        found = class_target(target, ctx) if target is not None else None
        if not found:
            return None
        owner, cls, attr = found
        # the lock goes into the class body: only for a class defined at the top of the module
        return self.finding(stmt, f"{cls}.{attr}", owner=owner, calls=has_call([stmt.value]),
                            fixable=cls in ctx.info.classes)
