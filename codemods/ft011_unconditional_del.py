"""FT011: ``del d[k]`` on a module-level dict from several functions, unconditionally: when two threads
remove the same key, the second ``del`` raises ``KeyError``. Reported only: ``d.pop(k, None)`` is one
atomic call that does not raise (use it if a missing key is fine), or catch the KeyError."""

from __future__ import annotations

import ast

from codemods._analysis import shared
from codemods._base import Rule, src
from codemods.ft010_check_then_read import _guarded


class UnconditionalDelete(Rule):
    CODE = "FT011"
    MESSAGE = ("del {state}[…] here and in {other}(): the second delete of a key raises KeyError; "
               "use {state}.pop(key, None)")
    FIX = None
    VALID = [
        # one function deletes
        src("""
            cache = {}
            def drop(k):
                del cache[k]
        """),
        # KeyError is caught
        src("""
            cache = {}
            def drop(k):
                try:
                    del cache[k]
                except KeyError:
                    pass
            def expire(k):
                cache.pop(k, None)
        """),
        # a local dict
        src("""
            def drop(k):
                d = {}
                del d[k]
            def drop2(k):
                d = {k: 1}
                del d[k]
        """),
    ]
    INVALID = [
        (src("""
            _pending = {}
            def done(rid):
                del _pending[rid]
            def cancel(rid):
                _pending.pop(rid, None)
         """), None),
        (src("""
            handlers = {}
            def remove(name):
                del handlers[name]
            def replace(name, h):
                del handlers[name]
                handlers[name] = h
         """), None),
    ]

    def check(self, body, i, ctx):
        stmt = body[i]
        if not isinstance(stmt, ast.Delete) or ctx.extra is None or len(stmt.targets) != 1:
            return None
        t = stmt.targets[0]
        if not (isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name)):
            return None
        name = t.value.id
        if name not in ctx.info.containers or name in ctx.info.lists or not shared(name, ctx):
            return None
        others = sorted(ctx.extra.removers.get(name, set()) - {ctx.fn.name})
        if not others or id(stmt) in _guarded(ctx):
            return None
        return self.finding(stmt, name, other=others[0])
