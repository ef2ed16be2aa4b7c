"""FT008: ``self.x += 1`` — a read-modify-write of instance state. Reported only (the fix needs a
per-instance lock), and only with evidence in the module that instances are shared between threads: the
class owns a lock but mutates outside it; an instance is stored in a module global or a class attribute
(a singleton); the instance or one of its methods is handed to a thread or an executor; the class is a
``threading.Thread``. Without evidence it is opt-in: ``--select FT008`` (by name) reports every one."""

from __future__ import annotations

import ast

from codemods._base import Rule, src


class InstanceAttrReadModifyWrite(Rule):
    CODE = "FT008"
    MESSAGE = ("read-modify-write of instance attribute '{state}' is not thread-safe if the instance is shared"
               "{message_suffix}")
    FIX = None
    VALID = [
        # no sign that instances are shared (a per-call parser, a request object): opt-in only
        src("""
            class Parser:
                def advance(self):
                    self.pos += 1
        """),
        src("""
            class C:
                def f(self):
                    self.n = 1
        """),
        src("""
            class C:
                def f(self):
                    with self._lock:
                        self.n += 1
        """),
        # under a Condition, whatever its name (assigned a lock in __init__)
        src("""
            import threading
            class Queue:
                def __init__(self):
                    self.mutex = threading.RLock()
                    self.not_full = threading.Condition(self.mutex)
                def put(self, item):
                    with self.not_full:
                        self.unfinished += 1
        """),
        # instances of a threading.local subclass: every thread has its own attributes
        src("""
            import threading
            class State(threading.local):
                def f(self):
                    self.n += 1
        """),
        src("""
            from threading import local as L
            class A(L):
                pass
            class B(A):
                def f(self):
                    self.n += 1
        """),
        # while the instance is built, no other thread has it
        src("""
            class C:
                def __init__(self, items):
                    self.n = 0
                    for _ in items:
                        self.n += 1
        """),
        # not a method
        src("""
            def f(self):
                self.n += 1
        """),
    ]
    INVALID = [
        # the class owns a lock, but this update is outside it
        (src("""
            import threading
            class Pool:
                def __init__(self):
                    self._lock = threading.Lock()
                    self.size = 0
                def grow(self):
                    self.size += 1
         """), None),
        # an instance in a module global
        (src("""
            class Stats:
                def hit(self):
                    self.hits += 1
            stats = Stats()
         """), None),
        # a singleton in a class attribute
        (src("""
            class Registry:
                _instance = None
                @classmethod
                def get(cls):
                    if cls._instance is None:
                        cls._instance = cls()
                    return cls._instance
                def add(self):
                    self.count += 1
         """), None),
        # handed to a thread
        (src("""
            import threading
            class Worker:
                def start(self):
                    threading.Thread(target=self.run).start()
                def run(self):
                    self.done += 1
         """), None),
        (src("""
            import threading
            class Job(threading.Thread):
                def run(self):
                    self.steps += 1
         """), None),
    ]

    def check(self, body, i, ctx):
        stmt = body[i]
        if ctx.cls in ctx.info.local_classes:
            return None  # instances of a threading.local subclass: every thread has its own attributes
        if ctx.fn.name in ("__init__", "__new__", "__post_init__"):
            return None  # the instance is not shared with other threads yet
        if (ctx.cls and isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Attribute)
                and isinstance(stmt.target.value, ast.Name) and stmt.target.value.id == "self"):
            why = None
            if ctx.extra is not None:
                why = ctx.extra.sharing.reasons.get(ctx.cls)
                if why is None and not ctx.extra.all_instances:
                    return None  # no sign that instances are shared: opt in with --select FT008
            return self.finding(stmt, f"self.{stmt.target.attr}", message_suffix=f": {why}" if why else "")
        return None
