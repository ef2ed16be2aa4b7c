"""FT010: check-then-read on a module-level dict that another function removes from
(``if k in cache: return cache[k]`` while ``evict()`` does ``del cache[k]``): the key can go between the
check and the read — a ``KeyError`` that the check was meant to prevent. Reported only: read once,
``v = cache.get(k)`` (one atomic call), or take the lock the remover takes."""

from __future__ import annotations

import ast

from codemods._analysis import shared
from codemods._base import Rule, src


def _membership(test: ast.AST, negated: bool) -> tuple[ast.AST, str] | None:
    """(key, container) of ``k in d`` (``negated``: ``k not in d``)."""
    if (isinstance(test, ast.Compare) and len(test.ops) == 1
            and isinstance(test.ops[0], ast.NotIn if negated else ast.In)
            and isinstance(test.comparators[0], ast.Name)):
        return test.left, test.comparators[0].id
    return None


def _reads_item(stmts: list[ast.stmt], name: str, key: ast.AST) -> bool:
    dumped = ast.dump(key)
    return any(isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Load) and isinstance(n.value, ast.Name)
               and n.value.id == name and ast.dump(n.slice) == dumped for s in stmts for n in ast.walk(s))


def _exits(stmts: list[ast.stmt]) -> bool:
    return bool(stmts) and isinstance(stmts[-1], (ast.Return, ast.Raise, ast.Continue, ast.Break))


class CheckThenRead(Rule):
    CODE = "FT010"
    MESSAGE = ("check-then-read on module-level '{state}' while {remover}() removes keys: KeyError between the "
               "check and the read; read once with {state}.get(key)")
    FIX = None
    VALID = [
        # nobody removes keys
        src("""
            cache = {}
            def put(k, v):
                cache[k] = v
            def get(k):
                if k in cache:
                    return cache[k]
        """),
        # one atomic read
        src("""
            cache = {}
            def evict(k):
                cache.pop(k, None)
            def get(k):
                return cache.get(k)
        """),
        # under the lock
        src("""
            import threading
            lock = threading.Lock()
            cache = {}
            def evict(k):
                with lock:
                    cache.pop(k, None)
            def get(k):
                with lock:
                    if k in cache:
                        return cache[k]
        """),
        # a KeyError is caught anyway
        src("""
            cache = {}
            def evict(k):
                cache.pop(k, None)
            def get(k):
                try:
                    if k in cache:
                        return cache[k]
                except KeyError:
                    return None
        """),
    ]
    INVALID = [
        (src("""
            cache = {}
            def evict(k):
                del cache[k]
            def get(k):
                if k in cache:
                    return cache[k]
                return None
         """), None),
        # the early-return form, and clear() as the remover
        (src("""
            sessions = {}
            def reset():
                sessions.clear()
            def user(sid):
                if sid not in sessions:
                    return None
                return sessions[sid].user
         """), None),
    ]

    def check(self, body, i, ctx):
        stmt = body[i]
        if not isinstance(stmt, ast.If) or ctx.extra is None:
            return None
        found = _membership(stmt.test, negated=False)
        if found:
            key, name = found
            hit = _reads_item(stmt.body, name, key)
        else:
            found = _membership(stmt.test, negated=True)
            if not found or not _exits(stmt.body):
                return None
            key, name = found
            hit = _reads_item(body[i + 1:], name, key)
        if not hit or name not in ctx.info.containers or name in ctx.info.lists or not shared(name, ctx):
            return None
        others = sorted(ctx.extra.removers.get(name, set()) - {ctx.fn.name})
        if not others or id(stmt) in _guarded(ctx):
            return None
        return self.finding(stmt, name, span=(stmt.lineno, stmt.lineno), remover=others[0])


def _guarded(ctx) -> set[int]:
    from codemods._precision import guarded_by_keyerror

    cache = ctx.extra.__dict__.setdefault("_keyerror", {})
    if id(ctx.fn) not in cache:
        cache[id(ctx.fn)] = guarded_by_keyerror(ctx.fn)
    return cache[id(ctx.fn)]
