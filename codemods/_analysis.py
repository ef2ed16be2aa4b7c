"""Finding candidates cheaply with ``ast`` (about 10x faster than libcst with metadata).

One pass over a module collects its shared state (module-level names bound to containers or scalars,
module-level classes and their attributes, ``threading.local()`` objects and locks) and, for every
function, the statements that read-modify-write that state outside a lock. Rules (one module each,
``codemods/ft0NN_*.py``) turn these into :class:`Finding`\\ s; fixes are then written with libcst
(``codemods/_fix.py``) only for files that have a fixable finding.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

CONTAINER_CALLS = {"dict", "list", "set", "defaultdict", "OrderedDict", "Counter", "deque", "WeakValueDictionary",
                   "WeakKeyDictionary", "ChainMap"}
LOCK_CALLS = {"Lock", "RLock", "Semaphore", "BoundedSemaphore", "Condition"}
MUTATING_METHODS = {"append", "extend", "insert", "pop", "popitem", "remove", "clear", "update", "add", "discard",
                    "setdefault", "appendleft", "popleft", "sort", "reverse"}
_SUPPRESS = re.compile(r"#\s*migrate:\s*ignore(?:\[([A-Z0-9, ]+)\])?")
# quick pre-filter: a file without any of these cannot hold a finding
PREFILTER = re.compile(
    r"^\s*global\s|\+=|-=|\*=|\|=|^[A-Za-z_]\w*\s*(?::[^=\n]*)?=\s*(?:\{|\[|(?:collections\.)?(?:dict|list|set|"
    r"defaultdict|OrderedDict|Counter|deque)\()|type\(self\)|__class__|\bcls\.",
    re.M,
)


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
    span: tuple[int, int] | None = None
    #: kind of fix: "lock", "double-checked", "pop", or None
    fix: str | None = None
    #: the guarded block calls something (RLock then, a call may re-enter)
    calls: bool = False
    #: for class attributes: the class name
    owner: str | None = None
    end_line: int | None = None


@dataclass
class ModuleInfo:
    containers: set[str] = field(default_factory=set)
    scalars: set[str] = field(default_factory=set)
    locals_: set[str] = field(default_factory=set)  # threading.local() objects
    locks: set[str] = field(default_factory=set)
    lists: set[str] = field(default_factory=set)
    classes: dict[str, set[str]] = field(default_factory=dict)  # class -> class-level attribute names
    #: module-level container -> names of functions that mutate it
    mutated_in: dict[str, set[str]] = field(default_factory=dict)


def _call_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call):
        f = node.func
        if isinstance(f, ast.Name):
            return f.id
        if isinstance(f, ast.Attribute):
            return f.attr
    return None


def _is_container(value: ast.AST) -> bool:
    return isinstance(value, (ast.Dict, ast.List, ast.Set, ast.DictComp, ast.ListComp, ast.SetComp)) or (
        _call_name(value) in CONTAINER_CALLS
    )


def _is_list(value: ast.AST) -> bool:
    return isinstance(value, (ast.List, ast.ListComp)) or _call_name(value) in ("list", "deque")


def _targets(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.Assign):
        return node.targets
    if isinstance(node, (ast.AnnAssign, ast.AugAssign)):
        return [node.target]
    return []


def module_info(tree: ast.Module) -> ModuleInfo:
    info = ModuleInfo()
    for stmt in tree.body:
        value = getattr(stmt, "value", None)
        for t in _targets(stmt):
            if isinstance(t, ast.Name) and value is not None:
                name = _call_name(value)
                if name == "local":
                    info.locals_.add(t.id)
                elif name in LOCK_CALLS:
                    info.locks.add(t.id)
                elif _is_container(value):
                    info.containers.add(t.id)
                    if _is_list(value):
                        info.lists.add(t.id)
                else:
                    info.scalars.add(t.id)
        if isinstance(stmt, ast.ClassDef):
            attrs = set()
            for s in stmt.body:
                for t in _targets(s):
                    if isinstance(t, ast.Name):
                        attrs.add(t.id)
            info.classes[stmt.name] = attrs
    # which functions mutate which module-level containers
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(fn):
                name = _mutated_container(node)
                if name in info.containers:
                    info.mutated_in.setdefault(name, set()).add(fn.name)
    return info


def _mutated_container(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in MUTATING_METHODS:
        if isinstance(node.func.value, ast.Name):
            return node.func.value.id
    if isinstance(node, (ast.Assign, ast.AugAssign, ast.Delete)):
        for t in getattr(node, "targets", None) or [getattr(node, "target", None)]:
            if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name):
                return t.value.id
    return None


def suppressed(lines: list[str], line: int, code: str) -> bool:
    if not 0 < line <= len(lines):
        return False
    m = _SUPPRESS.search(lines[line - 1])
    if not m:
        return False
    return m.group(1) is None or code in {c.strip() for c in m.group(1).split(",")}


def names_in(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def has_call(nodes: list[ast.AST]) -> bool:
    return any(isinstance(n, ast.Call) for node in nodes for n in ast.walk(node))


def is_lock_with(node: ast.AST, info: ModuleInfo) -> bool:
    if not isinstance(node, (ast.With, ast.AsyncWith)):
        return False
    for item in node.items:
        expr = item.context_expr
        text = ast.unparse(expr).lower()
        base = expr.func if isinstance(expr, ast.Call) else expr
        if isinstance(base, ast.Name) and base.id in info.locks:
            return True
        if any(w in text for w in ("lock", "mutex", "semaphore", "condition", "_cond")):
            return True
    return False


def is_main_guard(node: ast.AST) -> bool:
    return (isinstance(node, ast.If) and isinstance(node.test, ast.Compare)
            and "__name__" in ast.unparse(node.test) and "__main__" in ast.unparse(node.test))


@dataclass
class FunctionContext:
    """What a rule needs to know about one function and one statement in it."""

    fn: ast.FunctionDef | ast.AsyncFunctionDef
    info: ModuleInfo
    globals_: set[str]
    local_names: set[str]
    cls: str | None  # enclosing class name for methods


def shared(name: str, ctx: FunctionContext) -> bool:
    """A name that refers to module-level state in this function (not shadowed by a local)."""
    if name in ctx.globals_:
        return True
    return name not in ctx.local_names


def function_contexts(tree: ast.Module, info: ModuleInfo):
    """Yield (FunctionContext, body statements with their enclosing-lock flag) for every function."""

    def visit(node, cls: str | None, in_main: bool):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                yield from visit(child, child.name, in_main)
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if not in_main:
                    yield _context(child, info, cls)
                yield from visit(child, None, in_main)
            elif is_main_guard(child):
                yield from visit(child, cls, True)
            elif not isinstance(child, (ast.expr,)):
                yield from visit(child, cls, in_main)

    yield from visit(tree, None, False)


def _context(fn, info: ModuleInfo, cls: str | None) -> FunctionContext:
    globals_: set[str] = set()
    local_names: set[str] = set()
    args = fn.args
    for a in args.posonlyargs + args.args + args.kwonlyargs + [args.vararg, args.kwarg]:
        if a is not None:
            local_names.add(a.arg)
    for node in _own_nodes(fn):
        if isinstance(node, ast.Global):
            globals_.update(node.names)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor, ast.With,
                               ast.AsyncWith, ast.comprehension, ast.NamedExpr)):
            for t in _bound(node):
                local_names.add(t)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                local_names.add((alias.asname or alias.name).split(".")[0])
    local_names -= globals_
    return FunctionContext(fn, info, globals_, local_names, cls)


def _own_nodes(fn):
    """Nodes of ``fn`` not inside nested functions/classes."""
    stack = list(fn.body)
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                stack.append(child)


def _bound(node) -> list[str]:
    out = []
    targets = []
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
        targets = [node.target]
    elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
        targets = [node.target]
    elif isinstance(node, (ast.With, ast.AsyncWith)):
        targets = [i.optional_vars for i in node.items if i.optional_vars is not None]
    elif isinstance(node, ast.NamedExpr):
        targets = [node.target]
    for t in targets:
        for n in ast.walk(t):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                out.append(n.id)
    return out


def blocks(fn, info: ModuleInfo) -> list[tuple[list[ast.stmt], bool]]:
    """Every statement list of ``fn`` (bodies of if/for/while/try/with) with "is it under a lock"."""
    out: list[tuple[list[ast.stmt], bool]] = []

    def walk(body: list[ast.stmt], locked: bool) -> None:
        out.append((body, locked))
        for stmt in body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            inner = locked or is_lock_with(stmt, info)
            for attr in ("body", "orelse", "finalbody"):
                sub = getattr(stmt, attr, None)
                if isinstance(sub, list) and sub and isinstance(sub[0], ast.stmt):
                    walk(sub, inner)
            for h in getattr(stmt, "handlers", []) or []:
                walk(h.body, inner)
            for case in getattr(stmt, "cases", []) or []:
                walk(case.body, inner)

    walk(fn.body, False)
    return out
