"""FT001: read-modify-write of a module global (``global n; n += 1``, ``tmp = n; ...; n = tmp + 1``)."""

from __future__ import annotations

import ast

from codemods._analysis import has_call, names_in
from codemods._base import Rule, src


def lazy_or(stmt: ast.Assign, name: str) -> bool:
    """``x = x or make()``: the old value is kept unless it is empty (lazy initialisation)."""
    v = stmt.value
    return (isinstance(v, ast.BoolOp) and isinstance(v.op, ast.Or) and isinstance(v.values[0], ast.Name)
            and v.values[0].id == name and not any(name in names_in(w) for w in v.values[1:]))


class GlobalReadModifyWrite(Rule):
    CODE = "FT001"
    MESSAGE = "read-modify-write of module global '{state}' without a lock"
    FIX = "lock"
    VALID = [
        # a plain store is atomic
        src("""
            n = 0
            def reset():
                global n
                n = 0
        """),
        # a local that shadows the global
        src("""
            n = 0
            def f():
                n = 1
                n += 1
        """),
        # only read
        src("""
            n = 0
            def f():
                global n
                return n + 1
        """),
        # already under a lock
        src("""
            import threading
            n = 0
            _n_lock = threading.Lock()
            def f():
                global n
                with _n_lock:
                    n += 1
        """),
        # a lock whatever its name: resolved through the import
        src("""
            from threading import RLock as R
            guard = R()
            n = 0
            def f():
                global n
                with guard:
                    n += 1
        """),
        # an in-place operator on a builtin container is one atomic call
        src("""
            items = []
            seen = set()
            def f(x):
                global items, seen
                items += [x]
                seen |= {x}
        """),
        # import time: module-level code runs once
        src("""
            n = 0
            n += 1
            for i in range(3):
                n += i
        """),
        # under `if __name__ == "__main__":`
        src("""
            n = 0
            if __name__ == "__main__":
                def main():
                    global n
                    n += 1
        """),
        # a private helper that only runs at import time (called only at module level, or from such a helper)
        src("""
            _count = 0
            def _register(name):
                global _count
                _count += 1
            def _register_all():
                for name in ("a", "b"):
                    _register(name)
            _register_all()
        """),
        # a closure variable, not a module global
        src("""
            def outer():
                n = 0
                def inner():
                    nonlocal n
                    n += 1
                return inner
        """),
        src("""
            n = 0
            def f():
                global n
                n += 1  # migrate: ignore[FT001]
        """),
        # a coroutine runs on its event loop, one step at a time (no other thread runs it)
        src("""
            hits = 0
            async def record():
                global hits
                hits += 1
        """),
        # `x = x or make()` is lazy initialisation (FT004), not a read-modify-write
        src("""
            _default = None
            def default():
                global _default
                _default = _default or make_default()
                return _default
        """),
        # a helper whose every call in the module is made under a lock
        src("""
            import threading
            _lock = threading.Lock()
            _n = 0
            def _bump():
                global _n
                _n += 1
            def bump():
                with _lock:
                    _bump()
            def bump_twice():
                with _lock:
                    _bump()
                    _bump()
        """),
        # ... or whose name says the caller holds the lock
        src("""
            _n = 0
            def _bump_locked():
                global _n
                _n += 1
        """),
        # a decorator runs while the module is imported
        src("""
            _count = 0
            def register(fn):
                global _count
                _count += 1
                return fn
            @register
            def a(): pass
            @register
            def b(): pass
        """),
        # a Semaphore(1) is a lock
        src("""
            import threading
            _gate = threading.BoundedSemaphore(1)
            n = 0
            def f():
                global n
                with _gate:
                    n += 1
        """),
    ]
    INVALID = [
        # a semaphore that lets four threads in is not a lock
        (src("""
            import threading
            _slots = threading.Semaphore(4)
            n = 0
            def f():
                global n
                with _slots:
                    n += 1
         """),
         src("""
            import threading
            _slots = threading.Semaphore(4)
            n = 0
            _n_lock = threading.Lock()
            def f():
                global n
                with _slots:
                    with _n_lock:
                        n += 1
         """)),
        # an async def that hands work to threads is not confined to its loop
        (src("""
            n = 0
            def work():
                global n
                n += 1
            async def main(loop):
                await loop.run_in_executor(None, work)
         """),
         src("""
            import threading
            n = 0
            _n_lock = threading.Lock()
            def work():
                global n
                with _n_lock:
                    n += 1
            async def main(loop):
                await loop.run_in_executor(None, work)
         """)),
        # a helper called under a lock in one place and without it in another
        (src("""
            import threading
            _lock = threading.Lock()
            _n = 0
            def _bump():
                global _n
                _n += 1
            def bump():
                with _lock:
                    _bump()
            def bump_fast():
                _bump()
         """),
         src("""
            import threading
            _lock = threading.Lock()
            _n = 0
            _n_lock = threading.Lock()
            def _bump():
                global _n
                with _n_lock:
                    _n += 1
            def bump():
                with _lock:
                    _bump()
            def bump_fast():
                _bump()
         """)),
        (src("""
            n = 0
            def f():
                global n
                n += 1
         """),
         src("""
            import threading
            n = 0
            _n_lock = threading.Lock()
            def f():
                global n
                with _n_lock:
                    n += 1
         """)),
        # read into a temporary, write back later: the whole read..write is guarded
        (src("""
            total = 0
            def add(x):
                global total
                tmp = total
                tmp = tmp + x
                total = tmp
         """),
         src("""
            import threading
            total = 0
            _total_lock = threading.Lock()
            def add(x):
                global total
                with _total_lock:
                    tmp = total
                    tmp = tmp + x
                    total = tmp
         """)),
        # the helper is also called from a function any thread may run: not import-time only
        (src("""
            _count = 0
            def _register(name):
                global _count
                _count += 1
            _register("a")
            def register(name):
                _register(name)
         """),
         src("""
            import threading
            _count = 0
            _count_lock = threading.Lock()
            def _register(name):
                global _count
                with _count_lock:
                    _count += 1
            _register("a")
            def register(name):
                _register(name)
         """)),
        # `items = items + [x]` builds a new list: updates are lost; so is `+=` on a Counter (Python code);
        # globals updated together are related: one lock, one critical section
        (src("""
            from collections import Counter
            items = []
            tally = Counter()
            def f(x):
                global items, tally
                items = items + [x]
                tally += Counter([x])
         """),
         src("""
            import threading
            from collections import Counter
            items = []
            _items_lock = threading.RLock()
            tally = Counter()
            def f(x):
                global items, tally
                with _items_lock:
                    items = items + [x]
                    tally += Counter([x])
         """)),
        # the block calls something: RLock (a call may re-enter); the read that hands out the new value is
        # inside the lock too (else two threads can both return the second update)
        (src("""
            seq = 0
            def next_id():
                global seq
                seq = seq + step()
                return seq
         """),
         src("""
            import threading
            seq = 0
            _seq_lock = threading.RLock()
            def next_id():
                global seq
                with _seq_lock:
                    seq = seq + step()
                    return seq
         """)),
        # a module that computes line numbers from frames: no line may move, so reported only
        (src("""
            import traceback
            depth = 0
            def enter():
                global depth
                depth += 1
            def caller_line():
                return traceback.extract_stack()[-3].lineno + 1
         """), None),
        # docstring, comments, blank lines and other imports are kept; `import threading` sorted in
        (src("""
            \"\"\"Stats.\"\"\"
            import os

            hits = 0  # total


            def record():
                global hits
                # one more
                hits += 1  # not atomic
         """),
         src("""
            \"\"\"Stats.\"\"\"
            import os
            import threading

            hits = 0  # total
            _hits_lock = threading.Lock()


            def record():
                global hits
                # one more
                with _hits_lock:
                    hits += 1  # not atomic
         """)),
    ]

    def check(self, body, i, ctx):
        if not ctx.globals_:
            return None  # without `global`, assigning a name makes it local
        stmt = body[i]
        if isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name) and stmt.target.id in ctx.globals_:
            if ctx.info.atomic_inplace(stmt.target.id):
                return None  # `items += [x]` on a list is one atomic extend (and rebinds the same object)
            return self.finding(stmt, stmt.target.id, calls=has_call([stmt.value]))
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            n = stmt.targets[0].id
            if lazy_or(stmt, n):
                return None  # `x = x or make()`: lazy initialisation (FT004)
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
