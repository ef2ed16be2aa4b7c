"""FT002: read-modify-write of an item of a module-level container (``counts[k] += 1``,
``counts[k] = counts.get(k, 0) + 1``)."""

from __future__ import annotations

import ast

from codemods._analysis import has_call, names_in, shared
from codemods._base import Rule, src


def _container_of(target: ast.AST, ctx) -> str | None:
    """The module-level container whose item ``target`` is (``counts[k]``, or nested: ``stats[a][b]``)."""
    if not isinstance(target, ast.Subscript):
        return None
    root = target.value
    while isinstance(root, ast.Subscript):
        root = root.value
    if isinstance(root, ast.Name) and root.id in ctx.info.containers and shared(root.id, ctx):
        return root.id
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
        # one store is atomic
        src("""
            counts = {}
            def f(k):
                counts[k] = 1
        """),
        # dict.setdefault and list.append are atomic
        src("""
            counts = {}
            def f(k):
                counts.setdefault(k, []).append(1)
        """),
        # a local that shadows the module-level dict, a parameter, a local dict
        src("""
            counts = {}
            def f(k):
                counts = {}
                counts[k] += 1
            def g(counts, k):
                counts[k] += 1
            def h(k):
                d = {}
                d[k] = d.get(k, 0) + 1
        """),
        # a closure's dict, not the module's
        src("""
            counts = {}
            def outer():
                counts = {}
                def inner(k):
                    counts[k] += 1
                return inner
        """),
        # thread-local: every thread has its own
        src("""
            import threading
            state = threading.local()
            def f(k):
                state.counts[k] += 1
        """),
        # already under a lock
        src("""
            import threading
            counts = {}
            lock = threading.Lock()
            def f(k):
                with lock:
                    counts[k] = counts.get(k, 0) + 1
        """),
        # import time
        src("""
            counts = {}
            for word in ("a", "b", "a"):
                counts[word] = counts.get(word, 0) + 1
        """),
        # not a container: a module-level scalar (FT001 needs `global`)
        src("""
            limit = 10
            def f(k):
                items = {}
                items[k] = limit + 1
        """),
    ]
    INVALID = [
        # a tuple unpacked from `get`, stored back: lost updates
        (src("""
            stats = {}
            def record(k, ms):
                n, total = stats.get(k, (0, 0))
                stats[k] = (n + 1, total + ms)
         """),
         src("""
            import threading
            stats = {}
            _stats_lock = threading.RLock()
            def record(k, ms):
                with _stats_lock:
                    n, total = stats.get(k, (0, 0))
                    stats[k] = (n + 1, total + ms)
         """)),
        (src("""
            counts = {}
            def hit(k):
                counts[k] = counts.get(k, 0) + 1
         """),
         src("""
            import threading
            counts = {}
            _counts_lock = threading.RLock()
            def hit(k):
                with _counts_lock:
                    counts[k] = counts.get(k, 0) + 1
         """)),
        (src("""
            totals = {'a': 0}
            def hit():
                totals['a'] += 1
         """),
         src("""
            import threading
            totals = {'a': 0}
            _totals_lock = threading.Lock()
            def hit():
                with _totals_lock:
                    totals['a'] += 1
         """)),
        # any spelling of the container type
        (src("""
            from collections import defaultdict as dd
            sizes = dd(int)
            def grow(k, n):
                sizes[k] = sizes[k] + n
         """),
         src("""
            import threading
            from collections import defaultdict as dd
            sizes = dd(int)
            _sizes_lock = threading.Lock()
            def grow(k, n):
                with _sizes_lock:
                    sizes[k] = sizes[k] + n
         """)),
        # an item of an item
        (src("""
            from collections import defaultdict
            stats = defaultdict(lambda: defaultdict(int))
            def hit(page, status):
                stats[page][status] += 1
         """),
         src("""
            import threading
            from collections import defaultdict
            stats = defaultdict(lambda: defaultdict(int))
            _stats_lock = threading.Lock()
            def hit(page, status):
                with _stats_lock:
                    stats[page][status] += 1
         """)),
        # read into a temporary, write back later: the whole read..write is guarded
        (src("""
            seen = {}
            def note(k):
                n = seen.get(k, 0)
                log(k)
                seen[k] = n + 1
         """),
         src("""
            import threading
            seen = {}
            _seen_lock = threading.RLock()
            def note(k):
                with _seen_lock:
                    n = seen.get(k, 0)
                    log(k)
                    seen[k] = n + 1
         """)),
    ]

    def check(self, body, i, ctx):
        if not ctx.info.containers:
            return None
        stmt = body[i]
        if isinstance(stmt, ast.AugAssign):
            name = _container_of(stmt.target, ctx)
            if name:
                return self.finding(stmt, name, calls=has_call([stmt.value, stmt.target]))
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            name = _container_of(stmt.targets[0], ctx)
            if name and reads(stmt.value, name):
                return self.finding(stmt, name, calls=has_call([stmt.value]))
            target = stmt.targets[0]
            if isinstance(stmt.value, (ast.Subscript, ast.Call)):
                if isinstance(target, ast.Name):
                    return self._through_temporary(body, i, {target.id}, ctx)
                if isinstance(target, (ast.Tuple, ast.List)) and all(isinstance(e, ast.Name) for e in target.elts):
                    # `a, b = d.get(k, (0, 0))` … `d[k] = (a + 1, b)`
                    return self._through_temporary(body, i, {e.id for e in target.elts}, ctx)
        return None

    def _through_temporary(self, body, i, temps, ctx):
        """``n = d.get(k)`` … ``d[k] = <uses n>`` in one body."""
        stmt = body[i]
        for name in sorted(n for n in names_in(stmt.value) if n in ctx.info.containers and shared(n, ctx)):
            if not reads(stmt.value, name):
                continue
            for j in range(i + 1, len(body)):
                later = body[j]
                if (isinstance(later, ast.Assign) and len(later.targets) == 1
                        and _container_of(later.targets[0], ctx) == name and temps & names_in(later.value)):
                    return self.finding(stmt, name, span=(stmt.lineno, later.end_lineno or later.lineno),
                                        calls=has_call(body[i:j + 1]))
        return None
