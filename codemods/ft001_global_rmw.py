"""FT001: read-modify-write of a module global (``global n; n += 1``, ``tmp = n; ...; n = tmp + 1``)."""

from __future__ import annotations

import ast

from codemods._analysis import has_call, names_in
from codemods._base import Rule, src


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
    ]
    INVALID = [
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


            async def record():
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


            async def record():
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
