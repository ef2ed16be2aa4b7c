"""FT006: check-then-delete on a module-level dict (``if k in cache: del cache[k]``).
Fix: ``cache.pop(k, None)`` — one atomic call that means the same, no lock needed."""

from __future__ import annotations

import ast

from codemods._analysis import has_call, shared
from codemods._base import Rule, src


def deleted_key(stmt: ast.AST, name: str) -> ast.AST | None:
    """The key of ``if k in name: del name[k]`` (exactly that, no else), or None."""
    if not isinstance(stmt, ast.If) or stmt.orelse or len(stmt.body) != 1:
        return None
    test, body = stmt.test, stmt.body[0]
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.In)
            and isinstance(test.comparators[0], ast.Name) and test.comparators[0].id == name):
        return None
    if not (isinstance(body, ast.Delete) and len(body.targets) == 1 and isinstance(body.targets[0], ast.Subscript)):
        return None
    target = body.targets[0]
    if isinstance(target.value, ast.Name) and target.value.id == name and ast.dump(target.slice) == ast.dump(test.left):
        return test.left
    return None


class CheckThenDelete(Rule):
    CODE = "FT006"
    MESSAGE = "check-then-delete on module-level '{state}' is not atomic; use {state}.pop(key, None)"
    FIX = "pop"
    VALID = [
        src("""
            cache = {}
            def drop(k):
                cache.pop(k, None)
        """),
        # an else branch: not the same as one pop
        src("""
            cache = {}
            def drop(k):
                if k in cache:
                    del cache[k]
                else:
                    log(k)
        """),
        src("""
            def drop(k):
                cache = {}
                if k in cache:
                    del cache[k]
        """),
        src("""
            import threading
            cache = {}
            lock = threading.Lock()
            def drop(k):
                with lock:
                    if k in cache:
                        del cache[k]
        """),
    ]
    INVALID = [
        (src("""
            cache = {}
            def drop(k):
                if k in cache:
                    del cache[k]
         """),
         src("""
            cache = {}
            def drop(k):
                cache.pop(k, None)
         """)),
        (src("""
            _sessions = {}
            class Session:
                def close(self):
                    # forget it
                    if self.sid in _sessions:
                        del _sessions[self.sid]  # gone
         """),
         src("""
            _sessions = {}
            class Session:
                def close(self):
                    # forget it
                    _sessions.pop(self.sid, None)  # gone
         """)),
        # the key calls something: one pop would call it once instead of twice, so reported only
        (src("""
            cache = {}
            def drop(obj):
                if key(obj) in cache:
                    del cache[key(obj)]
         """), None),
    ]

    def check(self, body, i, ctx):
        stmt = body[i]
        if not isinstance(stmt, ast.If) or not isinstance(stmt.test, ast.Compare):
            return None
        comp = stmt.test.comparators[0] if stmt.test.comparators else None
        if not isinstance(comp, ast.Name) or comp.id not in ctx.info.containers or not shared(comp.id, ctx):
            return None
        if comp.id in ctx.info.lists:
            return None
        key = deleted_key(stmt, comp.id)
        if key is None:
            return None
        # `pop` evaluates the key once where the `if` evaluated it twice: same only without calls
        return self.finding(stmt, comp.id, fixable=not has_call([key]))
