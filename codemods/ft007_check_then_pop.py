"""FT007: check-then-pop on a module-level list (``if queue: item = queue.pop()``): another thread
can empty the list between the check and the pop."""

from __future__ import annotations

import ast

from codemods._analysis import has_call, shared
from codemods._base import Rule, src


def checked_list(test: ast.AST, ctx) -> str | None:
    node = test
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "len" and node.args:
        node = node.args[0]
    elif isinstance(node, ast.Compare) and isinstance(node.left, ast.Call):
        return checked_list(node.left, ctx)
    if isinstance(node, ast.Name) and (node.id in ctx.info.lists or node.id in ctx.info.iter_checked) \
            and shared(node.id, ctx):
        return node.id
    return None


def pops(stmts: list[ast.stmt], name: str, ctx) -> bool:
    """``name.pop()``/``popleft()`` of a list or deque; ``popitem()`` of a dict (``OrderedDict.popitem``)."""
    methods = ("pop", "popleft") if name in ctx.info.lists else ("popitem",)
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in methods
               and isinstance(n.func.value, ast.Name) and n.func.value.id == name
               for s in stmts for n in ast.walk(s))


class CheckThenPop(Rule):
    CODE = "FT007"
    MESSAGE = "check-then-pop on module-level '{state}' without a lock"
    FIX = "lock"
    VALID = [
        src("""
            queue = []
            def put(x):
                queue.append(x)
        """),
        src("""
            def take():
                q = []
                if q:
                    return q.pop()
        """),
        # only a read after the check
        src("""
            queue = []
            def peek():
                if queue:
                    return queue[-1]
        """),
        src("""
            import threading
            queue = []
            cv = threading.Condition()
            def take():
                with cv:
                    if queue:
                        return queue.pop()
        """),
    ]
    INVALID = [
        # an LRU cache evicting its oldest entry: two threads can both see it full and evict twice, or
        # pop an empty dict
        (src("""
            from collections import OrderedDict
            _lru = OrderedDict()
            def evict():
                if _lru:
                    _lru.popitem(last=False)
         """),
         src("""
            import threading
            from collections import OrderedDict
            _lru = OrderedDict()
            _lru_lock = threading.RLock()
            def evict():
                with _lru_lock:
                    if _lru:
                        _lru.popitem(last=False)
         """)),
        (src("""
            queue = []
            def take():
                if queue:
                    return queue.pop()
                return None
         """),
         src("""
            import threading
            queue = []
            _queue_lock = threading.RLock()
            def take():
                with _queue_lock:
                    if queue:
                        return queue.pop()
                return None
         """)),
        (src("""
            from collections import deque
            jobs = deque()
            def next_job():
                if len(jobs) > 0:
                    job = jobs.popleft()
                    return job
         """),
         src("""
            import threading
            from collections import deque
            jobs = deque()
            _jobs_lock = threading.RLock()
            def next_job():
                with _jobs_lock:
                    if len(jobs) > 0:
                        job = jobs.popleft()
                        return job
         """)),
    ]

    def check(self, body, i, ctx):
        stmt = body[i]
        if not isinstance(stmt, ast.If):
            return None
        name = checked_list(stmt.test, ctx)
        if name and pops(stmt.body, name, ctx):
            return self.finding(stmt, name, calls=has_call(stmt.body))
        return None
