"""Module facts from ``ast`` — the fast engine (same answers as ``_cst_facts``, checked by tests).

Scopes are followed the way Python resolves names: a name bound in a function (parameter, assignment,
loop or ``with`` target, import, nested ``def``/``class``, ``except … as``) is local unless declared
``global``; enclosing functions count, class bodies and comprehensions do not. Qualified names come
from the module's imports (``import threading as t`` → ``t.Lock`` is ``threading.Lock``).
"""

from __future__ import annotations

import ast
import bisect
import builtins
from typing import Iterator, Optional

from codemods._analysis import (
    LOCAL_QNAMES,
    LOCK_ATTR_HINT,
    LOCK_CALL_NAMES,
    SEMAPHORE_CALL_NAMES,
    NO_ARG,
    NOT_CONSTANT,
    Facts,
    FnFacts,
    ModuleInfo,
    fixpoint,
    import_time_candidate,
    is_lock_call,
    lockish,
    source_lines,
)

_BUILTINS = frozenset(dir(builtins))
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _module_statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements that run at module level: nested in if/try/with/for/while/match, not in def/class."""
    for stmt in body:
        yield stmt
        if isinstance(stmt, _SCOPES):
            continue
        for attr in ("body", "orelse", "finalbody"):
            sub = getattr(stmt, attr, None)
            if isinstance(sub, list) and sub and isinstance(sub[0], ast.stmt):
                yield from _module_statements(sub)
        for h in getattr(stmt, "handlers", []) or []:
            yield from _module_statements(h.body)
        for case in getattr(stmt, "cases", []) or []:
            yield from _module_statements(case.body)


def _import_aliases(stmts, aliases: dict[str, set[str]]) -> None:
    for stmt in stmts:
        if isinstance(stmt, ast.Import):
            for a in stmt.names:
                if a.asname:
                    aliases.setdefault(a.asname, set()).add(a.name)
                else:
                    top = a.name.split(".")[0]
                    aliases.setdefault(top, set()).add(top)
        elif isinstance(stmt, ast.ImportFrom) and stmt.level == 0 and stmt.module:
            for a in stmt.names:
                if a.name != "*":
                    aliases.setdefault(a.asname or a.name, set()).add(f"{stmt.module}.{a.name}")


class _Resolver:
    def __init__(self, aliases: dict[str, set[str]], module_names: set[str]) -> None:
        self.aliases = aliases
        self.module_names = module_names

    def qnames(self, expr: ast.AST) -> set[str]:
        if isinstance(expr, ast.Name):
            if expr.id in self.aliases:
                return set(self.aliases[expr.id])
            if expr.id in self.module_names:
                return {expr.id}
            return {f"builtins.{expr.id}"} if expr.id in _BUILTINS else set()
        if isinstance(expr, ast.Attribute):
            return {f"{q}.{expr.attr}" for q in self.qnames(expr.value)}
        return set()


def _literal(value: ast.AST) -> Optional[str]:
    if isinstance(value, (ast.List, ast.ListComp)):
        return "list"
    if isinstance(value, (ast.Dict, ast.DictComp)):
        return "dict"
    if isinstance(value, (ast.Set, ast.SetComp)):
        return "set"
    return None


def _store_names(target: ast.AST) -> Iterator[str]:
    for n in ast.walk(target):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
            yield n.id
        elif isinstance(n, ast.Starred) and isinstance(n.value, ast.Name):
            yield n.value.id


def _own_statements(body: list[ast.stmt]) -> Iterator[ast.AST]:
    """Statements of one scope, with except handlers and match cases (nested def/class yielded, not entered)."""
    for stmt in body:
        yield stmt
        if isinstance(stmt, _SCOPES):
            continue
        for attr in ("body", "orelse", "finalbody"):
            sub = getattr(stmt, attr, None)
            if isinstance(sub, list) and sub and isinstance(sub[0], ast.stmt):
                yield from _own_statements(sub)
        for h in getattr(stmt, "handlers", None) or ():
            yield h
            yield from _own_statements(h.body)
        for case in getattr(stmt, "cases", None) or ():
            yield case
            yield from _own_statements(case.body)


def _walrus_targets(stmt: ast.AST) -> Iterator[str]:
    """Names bound by ``:=`` in the expressions of one statement (not in lambdas or comprehensions)."""
    stack = [c for c in ast.iter_child_nodes(stmt) if not isinstance(c, (ast.stmt, ast.excepthandler))]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.NamedExpr):
            yield from _store_names(node.target)
        if isinstance(node, (ast.Lambda,) + _COMPREHENSIONS):
            continue
        stack.extend(ast.iter_child_nodes(node))


class _Scan:
    """One pass over a function's own statements: bindings, `global`s, lock assignments, imports,
    ``with`` statements and ``.acquire()`` calls."""

    def __init__(self, fn, walrus: list[int]) -> None:
        self.bound: set[str] = set()
        self.globals_: set[str] = set()
        self.assigns: list[ast.AST] = []
        self.imports: list[ast.AST] = []
        self.withs: list[ast.AST] = []
        self.acquires: list[ast.Expr] = []
        self.nested: list[ast.AST] = []
        args = fn.args
        for a in args.posonlyargs + args.args + args.kwonlyargs + [args.vararg, args.kwarg]:
            if a is not None:
                self.bound.add(a.arg)
        bound = self.bound
        for node in _own_statements(fn.body):
            if walrus:
                if isinstance(node, ast.match_case):
                    if node.guard is not None and _spans(node.guard, walrus):
                        bound.update(_walrus_targets(ast.Expr(node.guard)))
                elif _spans(node, walrus):
                    bound.update(_walrus_targets(node))
            if isinstance(node, ast.Global):
                self.globals_.update(node.names)
            elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                for t in (node.targets if isinstance(node, ast.Assign) else [node.target]):
                    bound.update(_store_names(t))
                self.assigns.append(node)
            elif isinstance(node, ast.Expr):
                v = node.value
                if isinstance(v, ast.Call) and isinstance(v.func, ast.Attribute) and v.func.attr == "acquire":
                    self.acquires.append(node)
            elif isinstance(node, (ast.For, ast.AsyncFor)):
                bound.update(_store_names(node.target))
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                self.withs.append(node)
                for item in node.items:
                    if item.optional_vars is not None:
                        bound.update(_store_names(item.optional_vars))
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                self.imports.append(node)
                for alias in node.names:
                    if alias.name != "*":
                        bound.add((alias.asname or alias.name).split(".")[0])
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                bound.add(node.name)
                self.nested.append(node)
            elif isinstance(node, ast.ExceptHandler):
                if node.name:
                    bound.add(node.name)
            elif isinstance(node, ast.match_case):
                for p in ast.walk(node.pattern):
                    if isinstance(p, (ast.MatchAs, ast.MatchStar)) and p.name:
                        bound.add(p.name)
                    elif isinstance(p, ast.MatchMapping) and p.rest:
                        bound.add(p.rest)
        self.bound -= self.globals_


def _spans(node: ast.AST, lines: list[int]) -> bool:
    """Does ``node`` cover one of the (sorted) ``lines``?"""
    k = bisect.bisect_left(lines, node.lineno)
    return k < len(lines) and lines[k] <= (node.end_lineno or node.lineno)


def _is_main_guard(test: ast.AST) -> bool:
    """``__name__ == "__main__"`` either way round."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = (test.left, test.comparators[0])
    return any(isinstance(a, ast.Name) and a.id == "__name__" and isinstance(b, ast.Constant) and b.value == "__main__"
               for a, b in (sides, sides[::-1]))


def ast_facts(tree: ast.Module, source: str) -> Facts:
    """Facts of ``tree`` parsed from ``source``."""
    # lines with `:=` (only statements covering one are searched for walrus targets)
    walrus = [n for n, line in enumerate(source_lines(source), 1) if ":=" in line] if ":=" in source else []
    info = ModuleInfo()
    stmts = list(_module_statements(tree.body))
    aliases: dict[str, set[str]] = {}
    _import_aliases(stmts, aliases)
    module_names = {s.name for s in stmts if isinstance(s, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))}
    for s in stmts:
        if isinstance(s, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            for t in (s.targets if isinstance(s, ast.Assign) else [s.target]):
                module_names.update(_store_names(t))
    res = _Resolver(aliases, module_names)
    top = set(map(id, tree.body))
    for s in stmts:
        if isinstance(s, ast.ClassDef):
            bases = set().union(*(res.qnames(b) for b in s.bases)) if s.bases else set()
            if bases & (LOCAL_QNAMES | info.local_classes):
                info.local_classes.add(s.name)
            if id(s) in top:
                info.classes[s.name] = {n for c in s.body if isinstance(c, (ast.Assign, ast.AnnAssign))
                                        for t in (c.targets if isinstance(c, ast.Assign) else [c.target])
                                        if isinstance(t, ast.Name) for n in [t.id]}
        elif isinstance(s, ast.AugAssign) and isinstance(s.target, ast.Name):
            info.scalars.add(s.target.id)
        elif isinstance(s, (ast.Assign, ast.AnnAssign)) and s.value is not None:
            targets = s.targets if isinstance(s, ast.Assign) else [s.target]
            for t in targets:
                if isinstance(t, ast.Name):
                    q = res.qnames(s.value.func) if isinstance(s.value, ast.Call) else set()
                    info.classify(t.id, q, _literal(s.value), first_arg(s.value))

    functions: dict[tuple[int, int], FnFacts] = {}
    lock_withs: set[tuple[int, int]] = set()

    def function(fn, chain: list, cls: Optional[str], main: bool) -> None:
        scan = _Scan(fn, walrus)
        local_aliases: dict[str, set[str]] = {}
        _import_aliases(scan.imports, local_aliases)
        fres = _Resolver({**aliases, **local_aliases}, module_names) if local_aliases else res
        locks = {t.id for a in scan.assigns if isinstance(a, (ast.Assign, ast.AnnAssign))
                 and isinstance(a.value, ast.Call) and res_locks(fres, a.value)
                 for t in (a.targets if isinstance(a, ast.Assign) else [a.target]) if isinstance(t, ast.Name)}
        inner = chain + [(scan.bound, locks)]
        local_names = frozenset().union(*(b for b, _ in inner))
        local_locks = frozenset().union(*(lk for _, lk in inner))
        globals_ = frozenset(scan.globals_)
        ff = FnFacts(globals_, local_names - globals_, cls, main, local_locks, module_level=not chain and cls is None)
        functions[(fn.lineno, fn.col_offset)] = ff
        for w in scan.withs:
            if _holds_lock(w, ff, info):
                lock_withs.add((w.lineno, w.col_offset))
        for e in scan.acquires:
            if _is_lock(e.value.func.value, ff, info):
                lock_withs.add((e.lineno, e.col_offset))
        for n in scan.nested:
            if isinstance(n, ast.ClassDef):
                statements(n.body, inner, n.name, main)
            else:
                function(n, inner, None, main)

    def statements(body: list[ast.stmt], chain: list, cls: Optional[str], main: bool) -> None:
        """Functions defined in a module or class body (through if/try/with/...)."""
        for stmt in body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                function(stmt, chain, cls, main)
            elif isinstance(stmt, ast.ClassDef):
                statements(stmt.body, chain, stmt.name, main)
            else:
                guarded = main or (isinstance(stmt, ast.If) and _is_main_guard(stmt.test))
                for attr in ("body", "orelse", "finalbody"):
                    sub = getattr(stmt, attr, None)
                    if isinstance(sub, list) and sub and isinstance(sub[0], ast.stmt):
                        statements(sub, chain, cls, guarded if attr == "body" else main)
                for h in getattr(stmt, "handlers", None) or ():
                    statements(h.body, chain, cls, main)
                for case in getattr(stmt, "cases", None) or ():
                    statements(case.body, chain, cls, main)

    if LOCK_ATTR_HINT.search(source):
        info.lock_attrs.update(_lock_attrs(tree))
    statements(tree.body, [], None, False)
    cache: list[set[str]] = []

    def import_only(name: str) -> bool:  # one walk of the whole tree, only if ever asked
        if not cache:
            cache.append(_import_only(tree, stmts, functions))
        return name in cache[0]

    return Facts(info, functions, lock_withs, import_only)


def _import_only(tree: ast.Module, stmts: list[ast.stmt], functions: dict[tuple[int, int], FnFacts]) -> set[str]:
    """The ``ast`` answer to ``_cst_facts.import_only``: every use of the name is a direct call made at
    module level or in the body of another such function."""
    defs: dict[str, list] = {}
    for s in stmts:
        if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defs.setdefault(s.name, []).append(s)
    cands = {n: d[0] for n, d in defs.items() if len(d) == 1 and isinstance(d[0], (ast.FunctionDef, ast.AsyncFunctionDef))
             and import_time_candidate(n, bool(d[0].decorator_list))}
    if not cands:
        return set()
    bad: set[str] = set()
    used: set[str] = set()
    needs: dict[str, set[str]] = {n: set() for n in cands}
    for s in stmts:  # other module-level bindings of the name
        if isinstance(s, (ast.Import, ast.ImportFrom)):
            bad.update((a.asname or a.name).split(".")[0] for a in s.names)

    def use(name: str, where, ff: Optional[FnFacts], call: bool) -> None:
        """``where``: None (module level), a module-level function node, or "elsewhere"."""
        if ff is not None and name in ff.local_names:
            return  # a local of that name, not the module function
        used.add(name)
        if not call:
            bad.add(name)
        elif where is None:
            pass
        elif isinstance(where, ast.AST) and cands.get(where.name) is where:
            needs[name].add(where.name)
        else:
            bad.add(name)

    def scan(node: ast.AST, where, ff: Optional[FnFacts], in_class: bool) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            args = node.args
            outer = [*args.defaults, *(d for d in args.kw_defaults if d is not None)]
            if not isinstance(node, ast.Lambda):
                outer += [*node.decorator_list, *(a.annotation for a in args.posonlyargs + args.args
                                                   + args.kwonlyargs + [args.vararg, args.kwarg]
                                                   if a is not None and a.annotation is not None)]
                if node.returns is not None:
                    outer.append(node.returns)
            for child in outer:
                scan(child, where, ff, in_class)
            inner_ff = functions.get((node.lineno, node.col_offset)) if not isinstance(node, ast.Lambda) else ff
            inner = node if (where is None and not in_class and not isinstance(node, ast.Lambda)) else "elsewhere"
            for child in (node.body if isinstance(node.body, list) else [node.body]):
                scan(child, inner, inner_ff, False)
            return
        if isinstance(node, ast.ClassDef):
            for child in [*node.decorator_list, *node.bases, *node.keywords]:
                scan(child, where, ff, in_class)
            for child in node.body:
                scan(child, "elsewhere", ff, True)
            return
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            scan(node.generators[0].iter, where, ff, in_class)  # evaluated in the enclosing scope
            rest = [g for g in node.generators[1:]] + [c for g in node.generators for c in [g.target, *g.ifs]]
            rest += [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
            rest += [g.iter for g in node.generators[1:]]
            for child in rest:
                if not isinstance(child, ast.comprehension):
                    scan(child, "elsewhere", ff, in_class)
            return
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in cands:
            use(node.func.id, where, ff, True)
            for child in [*node.args, *node.keywords]:
                scan(child, where, ff, in_class)
            return
        if isinstance(node, ast.Name) and node.id in cands:
            if isinstance(node.ctx, ast.Load):
                use(node.id, where, ff, False)
            elif ff is None and not in_class or (ff is not None and node.id in ff.globals_):
                bad.add(node.id)  # rebound at module level
            return
        for child in ast.iter_child_nodes(node):
            scan(child, where, ff, in_class)

    for s in tree.body:
        scan(s, None, None, False)
    return fixpoint({n: deps for n, deps in needs.items() if n in used and n not in bad})


def _lock_attrs(tree: ast.Module) -> set[str]:
    """Attribute names assigned ``<...>.Lock()``/``RLock()``/``Condition()``/``Semaphore()``/``(1)``."""
    out = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call):
            f = n.value.func
            last = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
            if last in LOCK_CALL_NAMES or (last in SEMAPHORE_CALL_NAMES and first_arg(n.value) in (NO_ARG, 1)):
                out.update(t.attr for t in n.targets if isinstance(t, ast.Attribute))
    return out


def first_arg(value: ast.AST) -> object:
    """The constant first argument of a call (``NO_ARG`` / ``NOT_CONSTANT``), for semaphores."""
    if not isinstance(value, ast.Call):
        return NOT_CONSTANT
    arg = value.args[0] if value.args else next((k.value for k in value.keywords if k.arg == "value"), None)
    if arg is None:
        return NOT_CONSTANT if value.args or value.keywords else NO_ARG
    return arg.value if isinstance(arg, ast.Constant) else NOT_CONSTANT


def res_locks(res: _Resolver, call: ast.Call) -> bool:
    return is_lock_call(res.qnames(call.func), first_arg(call))


def _holds_lock(node: ast.With | ast.AsyncWith, ff: FnFacts, info: ModuleInfo) -> bool:
    return any(_is_lock(item.context_expr, ff, info) for item in node.items)


def _is_lock(expr: ast.AST, ff: FnFacts, info: ModuleInfo) -> bool:
    if isinstance(expr, ast.Call):
        expr = expr.func
    if isinstance(expr, ast.Attribute):
        return lockish(expr.attr) or expr.attr in info.lock_attrs
    if isinstance(expr, ast.Name):
        if lockish(expr.id):
            return True
        local = expr.id in ff.local_names and expr.id not in ff.globals_
        return (expr.id in ff.local_locks) if local else (expr.id in info.locks)
    return False
