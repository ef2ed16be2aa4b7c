"""FT003: check-then-act on a module-level container (``if k not in cache: cache[k] = make()``)."""

from __future__ import annotations

import ast

from codemods._analysis import MUTATING_METHODS, has_call, names_in, shared
from codemods._base import Rule, src
from codemods._precision import equal_value_body

INFO_SUFFIX = " (equal-value memoisation: both threads store an equal value; no lock needed)"


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


def setdefault_parts(stmt: ast.If, name: str) -> tuple[ast.AST, ast.AST] | None:
    """(key, value) of ``if k not in d: d[k] = v`` where ``d.setdefault(k, v)`` means the same: no else,
    nothing else in the body, no calls in ``k`` or ``v`` (setdefault evaluates each once, always)."""
    test = stmt.test
    if stmt.orelse or len(stmt.body) != 1 or not isinstance(test, ast.Compare) or len(test.ops) != 1:
        return None
    if not isinstance(test.ops[0], ast.NotIn):
        return None
    act = stmt.body[0]
    if not (isinstance(act, ast.Assign) and len(act.targets) == 1 and isinstance(act.targets[0], ast.Subscript)):
        return None
    target = act.targets[0]
    if not (isinstance(target.value, ast.Name) and target.value.id == name
            and ast.dump(target.slice) == ast.dump(test.left)):
        return None
    if has_call([test.left, act.value]) or name in names_in(act.value) or isinstance(act.value, ast.Lambda):
        return None
    return test.left, act.value


class CheckThenAct(Rule):
    CODE = "FT003"
    MESSAGE = "check-then-act on module-level '{state}' without a lock{message_suffix}"
    FIX = "lock"
    VALID = [
        # one atomic call
        src("""
            cache = {}
            def f(k):
                return cache.setdefault(k, 1)
        """),
        # the check is only followed by reads
        src("""
            cache = {}
            def f(k):
                if k in cache:
                    return cache[k]
                return None
        """),
        # check-then-delete is FT006
        src("""
            cache = {}
            def f(k):
                if k in cache:
                    del cache[k]
        """),
        # a local cache
        src("""
            def f(items):
                cache = {}
                for k in items:
                    if k not in cache:
                        cache[k] = len(cache)
                return cache
        """),
        # under a lock (any lock-like name)
        src("""
            cache = {}
            def f(self, k):
                with self._cache_lock:
                    if k not in cache:
                        cache[k] = make(k)
                return cache[k]
        """),
        # under `if __name__ == "__main__":` and at import time
        src("""
            cache = {}
            if "x" not in cache:
                cache["x"] = 1
            if __name__ == "__main__":
                def main(k):
                    if k not in cache:
                        cache[k] = 2
        """),
    ]
    INFO = [
        # the stored value is a pure function of the key: two threads store equal patterns
        src("""
            import re
            _patterns = {}
            def pattern(p):
                if p not in _patterns:
                    _patterns[p] = re.compile(p)
                return _patterns[p]
        """),
        # imports and metadata lookups, through a local
        src("""
            import importlib
            from importlib.metadata import version
            _plugins = {}
            _versions = {}
            def plugin(name):
                if name not in _plugins:
                    mod = importlib.import_module("plugins." + name.lower())
                    _plugins[name] = mod
                return _plugins[name]
            def dist_version(name):
                if _versions.get(name) is None:
                    _versions[name] = version(name)
                return _versions[name]
        """),
    ]
    INVALID = [
        # a new object per key: which one a caller gets matters (identity), so it stays a fix
        (src("""
            _handlers = {}
            def handler(name):
                if name not in _handlers:
                    _handlers[name] = Handler(name.lower())
                return _handlers[name]
         """),
         src("""
            import threading
            _handlers = {}
            _handlers_lock = threading.RLock()
            def handler(name):
                with _handlers_lock:
                    if name not in _handlers:
                        _handlers[name] = Handler(name.lower())
                return _handlers[name]
         """)),
        (src("""
            cache = {}
            def get(k):
                if k not in cache:
                    cache[k] = make(k)
                return cache[k]
         """),
         src("""
            import threading
            cache = {}
            _cache_lock = threading.RLock()
            def get(k):
                with _cache_lock:
                    if k not in cache:
                        cache[k] = make(k)
                return cache[k]
         """)),
        (src("""
            seen = set()
            def first(x):
                if x in seen:
                    return False
                else:
                    seen.add(x)
                    return True
         """),
         src("""
            import threading
            seen = set()
            _seen_lock = threading.RLock()
            def first(x):
                with _seen_lock:
                    if x in seen:
                        return False
                    else:
                        seen.add(x)
                        return True
         """)),
        # OrderedDict.move_to_end: KeyError if another thread removed the key after the check
        (src("""
            from collections import OrderedDict
            _lru = OrderedDict()
            def touch(k):
                if k in _lru:
                    _lru.move_to_end(k)
         """),
         src("""
            import threading
            from collections import OrderedDict
            _lru = OrderedDict()
            _lru_lock = threading.RLock()
            def touch(k):
                with _lru_lock:
                    if k in _lru:
                        _lru.move_to_end(k)
         """)),
        # check-then-remove on a list
        (src("""
            callbacks = []
            def unregister(f):
                if f in callbacks:
                    callbacks.remove(f)
         """),
         src("""
            import threading
            callbacks = []
            _callbacks_lock = threading.RLock()
            def unregister(f):
                with _callbacks_lock:
                    if f in callbacks:
                        callbacks.remove(f)
         """)),
        # `.get()` as the check
        (src("""
            _handlers = {}
            def handler(name):
                if _handlers.get(name) is None:
                    _handlers[name] = Handler(name)
                return _handlers[name]
         """),
         src("""
            import threading
            _handlers = {}
            _handlers_lock = threading.RLock()
            def handler(name):
                with _handlers_lock:
                    if _handlers.get(name) is None:
                        _handlers[name] = Handler(name)
                return _handlers[name]
         """)),
        # the value comes from I/O (or a database, a passed-in function): computed outside any lock and
        # published atomically, the first value wins; no line moves (an import is equal-value: a note)
        (src("""
            _texts = {}
            def text(name):
                if name not in _texts:
                    _texts[name] = open(name).read()
                return _texts[name]
         """),
         src("""
            _texts = {}
            def text(name):
                if name not in _texts:
                    _texts.setdefault(name, open(name).read())
                return _texts[name]
         """)),
        # more than one store: no atomic equivalent, and no lock across file I/O: reported only
        (src("""
            _texts = {}
            def text(path):
                if path not in _texts:
                    with open(path) as f:
                        _texts[path] = f.read()
                return _texts[path]
         """), None),
        # one atomic call means the same: no lock
        (src("""
            registry = {}
            def ensure(name):
                if name not in registry:  # first time
                    registry[name] = []
                return registry[name]
         """),
         src("""
            registry = {}
            def ensure(name):
                registry.setdefault(name, [])  # first time
                return registry[name]
         """)),
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
        if ctx.extra is not None and equal_value_body(stmt.body + stmt.orelse, name, ctx.extra, item=True):
            return self.finding(stmt, name, severity="info", message_suffix=INFO_SUFFIX)
        if name not in ctx.info.lists and setdefault_parts(stmt, name):
            return self.finding(stmt, name, fix="setdefault")
        return self.finding(stmt, name, calls=has_call(stmt.body + stmt.orelse + [stmt.test]))


def _is_check_then_delete(stmt: ast.If, name: str) -> bool:
    from codemods.ft006_check_then_delete import deleted_key

    return deleted_key(stmt, name) is not None
