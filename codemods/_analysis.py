"""Shared analysis: facts about a module, and running the rules over its functions.

What is shared state, what is local, what is thread-local, which ``with`` holds a lock, which functions
run only under ``if __name__ == "__main__":`` or only at import time are *facts* about a module. Two
engines compute the same :class:`Facts`:

* ``codemods._cst_facts`` — libcst metadata (``ScopeProvider``, ``QualifiedNameProvider``,
  ``ParentNodeProvider``): the reference, used wherever a fix is written;
* ``codemods._ast_facts`` — the same questions answered from ``ast`` (more than 30x faster), used to
  report. Tests and ``bench/bench_check.py`` check that both give identical findings.

The rules (one module each, ``codemods/ft0NN_*.py``) then match statement patterns on the ``ast`` of
every function that can run in a thread, outside any lock.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field, replace
from typing import Callable, Iterator, Optional

CONTAINER_QNAMES = frozenset({
    "builtins.dict", "builtins.list", "builtins.set", "builtins.bytearray",
    "collections.defaultdict", "collections.OrderedDict", "collections.Counter", "collections.deque",
    "collections.ChainMap", "weakref.WeakValueDictionary", "weakref.WeakKeyDictionary", "weakref.WeakSet",
})
LIST_QNAMES = frozenset({"builtins.list", "collections.deque"})
#: containers whose in-place operators (``+=``, ``|=``, ``-=``) are one atomic C call on the free-threaded build
INPLACE_ATOMIC_QNAMES = frozenset({"builtins.list", "builtins.dict", "builtins.set", "builtins.bytearray",
                                   "collections.deque"})
LOCK_QNAMES = frozenset(f"{m}.{c}" for m in ("threading", "multiprocessing")
                        for c in ("Lock", "RLock", "Condition"))
#: a semaphore excludes other threads only when it admits one: ``Semaphore()`` / ``Semaphore(1)``;
#: ``Semaphore(4)`` lets four threads in at once — not a lock
SEMAPHORE_QNAMES = frozenset(f"{m}.{c}" for m in ("threading", "multiprocessing")
                             for c in ("Semaphore", "BoundedSemaphore"))
#: containers whose iterators raise RuntimeError when another thread changes them (dict, set, deque)
ITER_CHECKED_QNAMES = frozenset({
    "builtins.dict", "builtins.set", "collections.defaultdict", "collections.OrderedDict", "collections.Counter",
    "collections.deque", "weakref.WeakValueDictionary", "weakref.WeakKeyDictionary", "weakref.WeakSet",
})
LOCAL_QNAMES = frozenset({"threading.local", "_threading_local.local"})
MUTATING_METHODS = frozenset({"append", "extend", "insert", "pop", "popitem", "remove", "clear", "update", "add",
                              "discard", "setdefault", "appendleft", "popleft", "sort", "reverse", "move_to_end"})
_LOCK_WORDS = frozenset({"lock", "rlock", "mutex", "cond", "condition", "cv"})
#: the first argument of a call, for :func:`is_lock_call`: absent, or not a constant
NO_ARG, NOT_CONSTANT = object(), object()


LOCK_CALL_NAMES = frozenset({"Lock", "RLock", "Condition"})
SEMAPHORE_CALL_NAMES = frozenset({"Semaphore", "BoundedSemaphore"})
#: a source that may assign a lock to an attribute (``lock_attrs`` is only searched for when it matches)
LOCK_ATTR_HINT = re.compile(r"\.\s*\w+\s*=\s*[\w.]*(?:Lock|Condition|Semaphore)\s*\(")


def is_lock_call(qnames: set[str], first_arg: object = NO_ARG) -> bool:
    """Does calling one of ``qnames`` with this first argument make a lock (mutual exclusion)?"""
    if qnames & LOCK_QNAMES:
        return True
    return bool(qnames & SEMAPHORE_QNAMES) and (first_arg is NO_ARG or first_arg == 1)
_SUPPRESS = re.compile(r"#\s*migrate:\s*ignore(?:\[([A-Za-z0-9, ]+)\])?")
# Pre-filter: every finding needs one of these (a `global`, an augmented assignment, an item store or
# `del`, a mutating method call, a class attribute spelled through the class, a `yield`) — files without any are
# skipped unparsed. `may_have_findings` adds `Cls.attr = …` for the module's top-level class names.
PREFILTER = re.compile(
    r"\bglobal\s|[-+*/%&|^@]=|<<=|>>=|\]\s*\\?\s*=[^=]|\]\s*:[^\n=]*=|\bdel\b"
    r"|\.\s*(?:" + "|".join(sorted(MUTATING_METHODS)) + r")\s*\(|type\(\s*self\s*\)|__class__|\bcls\."
    r"|\byield\b|\bnext\s*\(|\.send\s*\(",  # FT012: a generator function, or next()/send() on a genexp
    re.M,
)
_TOP_CLASS = re.compile(r"^class\s+(\w+)", re.M)


def may_have_findings(source: str) -> bool:
    """False only when no rule can find anything in ``source`` (checked against the full analysis)."""
    if PREFILTER.search(source):
        return True
    names = _TOP_CLASS.findall(source)
    return bool(names) and re.search(r"\b(?:%s)\s*\.\s*\w+\s*=[^=]" % "|".join(names), source) is not None


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    line: int
    column: int
    #: the state being guarded ("counts", "Cls.count")
    state: str
    fixable: bool
    #: statement lines (first, last) of the block to guard, in one body
    span: Optional[tuple[int, int]] = None
    #: kind of fix: "lock", "double-checked", "pop", "setdefault", or None
    fix: Optional[str] = None
    #: the guarded block calls something (RLock then, a call may re-enter)
    calls: bool = False
    #: for class attributes: the expression naming the class in the code ("Cls", "type(self)")
    owner: Optional[str] = None
    end_line: Optional[int] = None
    #: "warning", or "info": a note (equal-value memoisation: both threads store an equal value), never fixed
    severity: str = "warning"


@dataclass
class ModuleInfo:
    """Module-level state (bound at module level, outside functions and classes)."""

    containers: set[str] = field(default_factory=set)
    lists: set[str] = field(default_factory=set)
    scalars: set[str] = field(default_factory=set)
    locals_: set[str] = field(default_factory=set)  # threading.local() objects
    locks: set[str] = field(default_factory=set)
    inplace_atomic: set[str] = field(default_factory=set)
    inplace_other: set[str] = field(default_factory=set)
    #: containers whose iteration raises when another thread changes them (dict, set, deque)
    iter_checked: set[str] = field(default_factory=set)
    #: top-level class -> names bound in its body
    classes: dict[str, set[str]] = field(default_factory=dict)
    #: module-level classes deriving from threading.local (their instances are thread-local)
    local_classes: set[str] = field(default_factory=set)
    #: attribute names assigned a lock anywhere (``self.not_full = threading.Condition(self.mutex)``):
    #: ``with self.not_full:`` holds a lock whatever the name says (matched by spelling: ``…Lock()``,
    #: ``…RLock()``, ``…Condition()``, ``…Semaphore()``/``(1)``)
    lock_attrs: set[str] = field(default_factory=set)

    def classify(self, name: str, qnames: set[str], literal: Optional[str], first_arg: object = NO_ARG) -> None:
        """Record one module-level ``name = value``; ``qnames``: qualified names of the called callable,
        ``literal``: "list"/"dict"/"set" for a display or comprehension, ``first_arg``: the call's first
        argument if it is a constant (``NO_ARG``, ``NOT_CONSTANT``)."""
        if qnames & (LOCAL_QNAMES | self.local_classes):
            self.locals_.add(name)
        elif is_lock_call(qnames, first_arg):
            self.locks.add(name)
        elif literal or qnames & CONTAINER_QNAMES:
            self.containers.add(name)
            if literal in ("dict", "set") or qnames & ITER_CHECKED_QNAMES:
                self.iter_checked.add(name)
            if literal == "list" or qnames & LIST_QNAMES:
                self.lists.add(name)
            if literal or qnames <= INPLACE_ATOMIC_QNAMES:
                self.inplace_atomic.add(name)
            else:
                self.inplace_other.add(name)
        else:
            self.scalars.add(name)

    def atomic_inplace(self, name: str) -> bool:
        """Is every module-level value of ``name`` a builtin container (``x += [1]`` extends it in place)?"""
        return name in self.inplace_atomic and name not in self.inplace_other and name not in self.scalars


@dataclass(frozen=True)
class FnFacts:
    globals_: frozenset[str]
    #: names that resolve to this function or an enclosing function (not module level)
    local_names: frozenset[str]
    #: the class whose body holds this function (a method), else None
    cls: Optional[str]
    #: runs only under ``if __name__ == "__main__":``
    main_only: bool
    #: names bound in the function to a lock object
    local_locks: frozenset[str] = frozenset()
    #: defined at module level (not in a class or another function)
    module_level: bool = False


@dataclass
class Facts:
    info: ModuleInfo
    #: (line, column) of each ``def`` -> its facts
    functions: dict[tuple[int, int], FnFacts]
    #: (line, column) of each ``with`` whose items hold a lock, and of each ``<lock>.acquire()`` statement
    lock_withs: set[tuple[int, int]]
    #: does the module-level function of this name run only at import time? (see ``import_time_candidate``)
    import_only: Callable[[str], bool] = lambda name: False


def fixpoint(needs: dict[str, set[str]]) -> set[str]:
    """Names whose callers (``needs[name]``) are all themselves in the result."""
    names = set(needs)
    while True:
        drop = {n for n in names if not needs[n] <= names}
        if not drop:
            return names
        names -= drop


def import_time_candidate(name: str, decorated: bool) -> bool:
    """A module-private, undecorated module-level function may run only at import time: when every use of
    its name in the module is a direct call made at module level (or from another such function)."""
    return name.startswith("_") and not name.endswith("__") and not decorated


@dataclass
class FunctionContext:
    """What a rule needs to know about one function."""

    fn: ast.FunctionDef | ast.AsyncFunctionDef
    info: ModuleInfo
    globals_: frozenset[str]
    local_names: frozenset[str]
    cls: Optional[str]
    #: (line, column) of every ``with`` in the module that holds a lock
    lock_withs: frozenset[tuple[int, int]] = frozenset()
    writers: Optional["Writers"] = None
    #: module-wide facts computed from the ast (``codemods._precision.ModuleExtra``)
    extra: Optional[object] = None

    def holds_lock(self, node: ast.AST) -> bool:
        """A ``with <lock>:`` or a ``<lock>.acquire()`` statement."""
        return (isinstance(node, (ast.With, ast.AsyncWith)) and (node.lineno, node.col_offset) in self.lock_withs
                or _acquires(node, self.lock_withs))


class Writers:
    """Which functions of the module mutate a module-level container (computed on first use)."""

    def __init__(self, contexts: list[FunctionContext], import_only: Callable[[FunctionContext], bool]) -> None:
        self.contexts = contexts
        self.import_only = import_only
        self._map: Optional[dict[str, set[str]]] = None

    def of(self, name: str) -> set[str]:
        if self._map is None:
            self._map = {}
            for ctx in self.contexts:
                if self.import_only(ctx):
                    continue
                for node in own_nodes(ctx.fn):
                    n = _mutated_container(node)
                    if n is not None and n in ctx.info.containers and shared(n, ctx):
                        self._map.setdefault(n, set()).add(ctx.fn.name)
        return self._map.get(name, set())


def shared(name: str, ctx: FunctionContext) -> bool:
    """A name that refers to module-level state in this function (not bound locally)."""
    return name in ctx.globals_ or name not in ctx.local_names


def lockish(identifier: str) -> bool:
    """Does a name look like a lock (``_lock``, ``cache_lock``, ``mutex``, ``cv``)?"""
    low = identifier.lower()
    return bool(_LOCK_WORDS & set(low.strip("_").split("_"))) or (low.endswith("lock") and not low.endswith("block"))


def suppressed(lines: list[str], line: int, code: str) -> bool:
    if not 0 < line <= len(lines):
        return False
    m = _SUPPRESS.search(lines[line - 1])
    if not m:
        return False
    return m.group(1) is None or code in {c.strip().upper() for c in m.group(1).split(",")}


def names_in(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def has_call(nodes: list) -> bool:
    return any(isinstance(n, ast.Call) for node in nodes for n in ast.walk(node))


def _mutated_container(node: ast.AST) -> Optional[str]:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in MUTATING_METHODS:
        if isinstance(node.func.value, ast.Name):
            return node.func.value.id
    if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
        for t in getattr(node, "targets", None) or [getattr(node, "target", None)]:
            if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name):
                return t.value.id
    return None


def functions(body: list[ast.stmt]) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    """Every function in ``body`` at any depth (statements only: a ``def`` is never inside an expression)."""
    for stmt in body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield stmt
        for attr in ("body", "orelse", "finalbody"):
            sub = getattr(stmt, attr, None)
            if isinstance(sub, list) and sub and isinstance(sub[0], ast.stmt):
                yield from functions(sub)
        for h in getattr(stmt, "handlers", None) or ():
            yield from functions(h.body)
        for case in getattr(stmt, "cases", None) or ():
            yield from functions(case.body)


def own_nodes(fn) -> Iterator[ast.AST]:
    """Nodes of ``fn``'s body not inside nested functions, classes or lambdas."""
    stack = list(fn.body)
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            stack.extend(ast.iter_child_nodes(node))


def _call_name(stmt: ast.AST) -> str:
    """``name`` of a statement ``name(...)`` / ``x.name(...)``, else ""."""
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        f = stmt.value.func
        return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
    return ""


def _acquires(stmt: ast.AST, lock_points) -> bool:
    """``<lock>.acquire()`` (a lock per the facts) or a helper such as ``_acquireLock()``."""
    name = _call_name(stmt).lower()
    if name == "acquire":
        return (stmt.lineno, stmt.col_offset) in lock_points
    return "acquire" in name and "lock" in name


def _releases(stmt: ast.AST) -> bool:
    name = _call_name(stmt).lower()
    return name == "release" or ("release" in name and "lock" in name)


def blocks(fn, facts: Facts, parents: Optional[dict[int, tuple[ast.stmt, list[ast.stmt]]]] = None,
           ) -> list[tuple[list[ast.stmt], list[bool]]]:
    """Every statement list of ``fn`` (bodies of if/for/while/try/with/match) with, per statement, "is it
    under a lock": inside ``with <lock>:``, or after ``<lock>.acquire()`` until the release (a ``try``
    whose ``finally`` releases ends it). ``parents`` (if given) receives id(body) -> (statement that
    holds it, the body that statement is in)."""
    out: list[tuple[list[ast.stmt], list[bool]]] = []

    def walk(body: list[ast.stmt], locked: bool) -> None:
        flags: list[bool] = []
        out.append((body, flags))
        held = False
        for stmt in body:
            if _acquires(stmt, facts.lock_withs):
                held = True
            elif _releases(stmt):
                held = False
            flags.append(locked or held)
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            inner = locked or held or (isinstance(stmt, (ast.With, ast.AsyncWith))
                                       and (stmt.lineno, stmt.col_offset) in facts.lock_withs)
            for attr in ("body", "orelse", "finalbody"):
                sub = getattr(stmt, attr, None)
                if isinstance(sub, list) and sub and isinstance(sub[0], ast.stmt):
                    if parents is not None:
                        parents[id(sub)] = (stmt, body)
                    walk(sub, inner)
            for h in getattr(stmt, "handlers", []) or []:
                walk(h.body, inner)
            for case in getattr(stmt, "cases", []) or []:
                walk(case.body, inner)
            if isinstance(stmt, ast.Try) and any(_releases(s) for s in stmt.finalbody):
                held = False

    walk(fn.body, False)
    return out


def _suspends(body: list[ast.stmt], span: Optional[tuple[int, int]]) -> bool:
    if span is None:
        return False
    stmts = [s for s in body if span[0] <= s.lineno <= span[1]]
    return any(isinstance(n, (ast.Yield, ast.YieldFrom, ast.Await)) for s in stmts for n in ast.walk(s))


def source_lines(source: str) -> list[str]:
    """Lines as Python numbers them (only \\n, \\r\\n and \\r end a line; not form feeds)."""
    return re.split(r"\r\n|\r|\n", source)


def _reads(test: ast.AST, state: str) -> bool:
    """Does an ``if`` test look at ``state`` ("n", "counts" or "Cls.attr": the attribute, or its name as a
    string, as in ``'attr' in cls.__dict__``)?"""
    name = state.rsplit(".", 1)[-1]
    for n in ast.walk(test):
        if "." in state:
            if (isinstance(n, ast.Attribute) and n.attr == name) or (isinstance(n, ast.Constant) and n.value == name):
                return True
        elif isinstance(n, ast.Name) and n.id == name:
            return True
    return False


def _widen(f: Finding, body: list[ast.stmt], stmt: ast.stmt, parents) -> tuple[Finding, ast.stmt, list[ast.stmt]]:
    """Check-then-act: when the read-modify-write sits (at any depth) in an ``if`` whose test reads the same
    state, the lock covers that ``if`` — the check and the act; the outermost such ``if`` in the function."""
    first, last = f.span
    inner = body
    while id(inner) in parents:
        parent, outer = parents[id(inner)]
        if isinstance(parent, ast.If) and _reads(parent.test, f.state):
            stmt, body = parent, outer
            first, last = parent.lineno, parent.end_lineno or parent.lineno
        inner = outer
    if stmt.lineno == f.span[0] and (stmt.end_lineno or stmt.lineno) <= f.span[1]:
        return f, stmt, body
    return replace(f, span=(first, last), calls=f.calls or has_call([stmt])), stmt, body


def _starts_line(lines: list[str], stmt: ast.stmt) -> bool:
    """Is ``stmt`` a statement of its own in an indented block (not after ``:`` or ``;``, not an ``elif``)?"""
    if not 0 < stmt.lineno <= len(lines):
        return False
    line = lines[stmt.lineno - 1].encode("utf-8")
    return not line[:stmt.col_offset].strip() and not (isinstance(stmt, ast.If)
                                                       and line[stmt.col_offset:].startswith(b"elif"))


def analyze_tree(tree: ast.Module, lines: list[str], facts: Facts, rules: list,
                 all_instances: bool = False) -> list[Finding]:
    """Run ``rules`` over every function of ``tree`` that can run in a thread, outside locks."""
    from codemods._precision import ModuleExtra

    contexts: list[FunctionContext] = []
    module_level: set[int] = set()
    extra = ModuleExtra(tree, facts, contexts)
    extra.all_instances = all_instances

    def import_only(ctx: FunctionContext) -> bool:
        return ((id(ctx) in module_level and import_time_candidate(ctx.fn.name, bool(ctx.fn.decorator_list))
                 and facts.import_only(ctx.fn.name))
                or (ctx.fn.lineno, ctx.fn.col_offset) in extra.import_time_functions)

    extra.import_only = import_only
    writers = Writers(contexts, import_only)
    lock_withs = frozenset(facts.lock_withs)
    for fn in functions(tree.body):
        ff = facts.functions.get((fn.lineno, fn.col_offset))
        if ff is None or ff.main_only:
            continue
        if isinstance(fn, ast.AsyncFunctionDef) and not extra.hands_to_threads(fn):
            continue  # a coroutine runs on its event loop, one step at a time, unless it hands work to threads
        ctx = FunctionContext(fn, facts.info, ff.globals_, ff.local_names, ff.cls, lock_withs, writers, extra)
        contexts.append(ctx)
        if ff.module_level:
            module_level.add(id(ctx))
    found: dict[int, Finding] = {}
    for ctx in contexts:
        here: list[Finding] = []
        parents: dict[int, tuple[ast.stmt, list[ast.stmt]]] = {}
        for body, locked in blocks(ctx.fn, facts, parents):
            for i in range(len(body)):
                if locked[i]:
                    continue
                for rule in rules:
                    f = rule.check(body, i, ctx)
                    body_i, where = body[i], body
                    if f is not None and f.fix == "lock":
                        f, body_i, where = _widen(f, body, body[i], parents)
                    if f is not None and f.fixable and f.fix in ("lock", "double-checked") and _suspends(where, f.span):
                        f = replace(f, fixable=False)  # a lock held across yield/await can deadlock
                    if f is not None and f.fixable and not _starts_line(lines, body_i):
                        f = replace(f, fixable=False)  # `if x: n += 1` on one line: no block to wrap
                    if f is not None and not suppressed(lines, f.line, f.code):
                        here.append(f)
                        break
        # a helper that only runs at import time races with nothing; one only called under a lock neither
        if here and not import_only(ctx) and not extra.locked_only(ctx.fn):
            for f in here:
                # one report per guarded block: a finding inside another's block for the same state goes
                if not any(g is not f and g.state == f.state and g.span[0] <= f.span[0] and f.span[1] <= g.span[1]
                           and (g.span != f.span or g.line < f.line) for g in here):
                    found.setdefault(f.line, f)
    return sorted(found.values(), key=lambda f: (f.line, f.column))
