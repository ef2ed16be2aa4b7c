"""Module facts from ``ast`` — the fast engine (same answers as ``_cst_facts``, checked by tests).

Scopes are followed the way Python resolves names: a name bound in a function (parameter, assignment,
loop or ``with`` target, import, nested ``def``/``class``, ``except … as``) is local unless declared
``global``; enclosing functions count, class bodies and comprehensions do not. Qualified names come
from the module's imports (``import threading as t`` → ``t.Lock`` is ``threading.Lock``).
"""

from __future__ import annotations

import ast
import builtins
from typing import Iterator, Optional

from codemods._analysis import LOCK_QNAMES, LOCAL_QNAMES, Facts, FnFacts, ModuleInfo, is_main_guard, lockish

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


def _own_nodes(fn) -> Iterator[ast.AST]:
    """Nodes of ``fn`` in its own scope (nested def/class/lambda and comprehensions yielded, not entered)."""
    stack: list[ast.AST] = [fn.args, *fn.body]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, _SCOPES + _COMPREHENSIONS):
            if isinstance(node, _COMPREHENSIONS):
                stack.extend(g.iter for g in node.generators[:1])  # evaluated in the enclosing scope
            continue
        stack.extend(ast.iter_child_nodes(node))


def _bindings(fn) -> tuple[set[str], set[str], list[ast.AST]]:
    """(names bound, names declared global, lock assignments) in ``fn``'s own scope."""
    bound: set[str] = set()
    globals_: set[str] = set()
    assigns: list[ast.AST] = []
    args = fn.args
    for a in args.posonlyargs + args.args + args.kwonlyargs + [args.vararg, args.kwarg]:
        if a is not None:
            bound.add(a.arg)
    for node in _own_nodes(fn):
        if node is fn.args:
            continue
        if isinstance(node, ast.Global):
            globals_.update(node.names)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            for t in (node.targets if isinstance(node, ast.Assign) else [node.target]):
                bound.update(_store_names(t))
            assigns.append(node)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            bound.update(_store_names(node.target))
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if item.optional_vars is not None:
                    bound.update(_store_names(item.optional_vars))
        elif isinstance(node, ast.NamedExpr):
            bound.update(_store_names(node.target))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name != "*":
                    bound.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node is not fn:
            bound.add(node.name)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            bound.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            bound.add(node.rest)
    return bound - globals_, globals_, assigns


def ast_facts(tree: ast.Module) -> Facts:
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
                    info.classify(t.id, q, _literal(s.value))

    functions: dict[tuple[int, int], FnFacts] = {}
    lock_withs: set[tuple[int, int]] = set()

    def visit(node: ast.AST, chain: list, cls: Optional[str], main: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                bound, globals_, assigns = _bindings(child)
                local_aliases: dict[str, set[str]] = {}
                _import_aliases([n for n in _own_nodes(child) if isinstance(n, (ast.Import, ast.ImportFrom))],
                                local_aliases)
                fres = _Resolver({**aliases, **local_aliases}, module_names)
                locks = {t.id for a in assigns if isinstance(a, (ast.Assign, ast.AnnAssign))
                         and isinstance(a.value, ast.Call) and res_locks(fres, a.value)
                         for t in (a.targets if isinstance(a, ast.Assign) else [a.target]) if isinstance(t, ast.Name)}
                level = (bound, globals_, locks)
                inner = chain + [level]
                local_names = frozenset().union(*(b for b, _, _ in inner))
                local_locks = frozenset().union(*(lk for _, _, lk in inner))
                ff = FnFacts(frozenset(globals_), local_names - globals_, cls, main, local_locks)
                functions[(child.lineno, child.col_offset)] = ff
                for n in _own_nodes(child):
                    if isinstance(n, (ast.With, ast.AsyncWith)) and _holds_lock(n, ff, info):
                        lock_withs.add((n.lineno, n.col_offset))
                    elif (isinstance(n, ast.Expr) and isinstance(n.value, ast.Call)
                          and isinstance(n.value.func, ast.Attribute) and n.value.func.attr == "acquire"
                          and _is_lock(n.value.func.value, ff, info)):
                        lock_withs.add((n.lineno, n.col_offset))
                visit(child, inner, None, main)
            elif isinstance(child, ast.ClassDef):
                visit(child, chain, child.name, main)
            elif isinstance(child, ast.Lambda):
                continue
            elif isinstance(child, ast.If) and is_main_guard(ast.unparse(child.test)):
                visit(child, chain, cls, True)
            else:
                visit(child, chain, cls, main)

    visit(tree, [], None, False)
    return Facts(info, functions, lock_withs)


def res_locks(res: _Resolver, call: ast.Call) -> bool:
    return bool(res.qnames(call.func) & LOCK_QNAMES)


def _holds_lock(node: ast.With | ast.AsyncWith, ff: FnFacts, info: ModuleInfo) -> bool:
    return any(_is_lock(item.context_expr, ff, info) for item in node.items)


def _is_lock(expr: ast.AST, ff: FnFacts, info: ModuleInfo) -> bool:
    if isinstance(expr, ast.Call):
        expr = expr.func
    if isinstance(expr, ast.Attribute):
        return lockish(expr.attr)
    if isinstance(expr, ast.Name):
        if lockish(expr.id):
            return True
        local = expr.id in ff.local_names and expr.id not in ff.globals_
        return (expr.id in ff.local_locks) if local else (expr.id in info.locks)
    return False
