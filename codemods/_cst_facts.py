"""Module facts from libcst metadata — the reference engine, used wherever a fix is written.

* ``ScopeProvider``: module-level state is what the global scope binds outside functions; a function's
  locals are the assignments of its scope and of enclosing function scopes; a ``with`` name resolves to
  its assignments (is one of them ``threading.Lock()``?).
* ``QualifiedNameProvider``: ``threading.local()``, ``threading.Lock()``, ``collections.defaultdict()``
  whatever the import spelling.
* ``ParentNodeProvider``: the class a method belongs to, and whether a function is defined under
  ``if __name__ == "__main__":``.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst
from libcst.metadata import (
    ClassScope,
    GlobalScope,
    MetadataWrapper,
    ParentNodeProvider,
    PositionProvider,
    QualifiedNameProvider,
    ScopeProvider,
)

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
)

def _literal(value: cst.BaseExpression) -> Optional[str]:
    if isinstance(value, (cst.List, cst.ListComp)):
        return "list"
    if isinstance(value, (cst.Dict, cst.DictComp)):
        return "dict"
    if isinstance(value, (cst.Set, cst.SetComp)):
        return "set"
    return None


def _first_arg(value: cst.BaseExpression) -> object:
    """The constant first argument of a call (``NO_ARG`` / ``NOT_CONSTANT``), for semaphores."""
    if not isinstance(value, cst.Call):
        return NOT_CONSTANT
    positional = [a for a in value.args if a.keyword is None and not a.star]
    arg = positional[0].value if positional else next(
        (a.value for a in value.args if a.keyword is not None and a.keyword.value == "value"), None)
    if arg is None:
        return NOT_CONSTANT if value.args else NO_ARG
    try:
        import ast

        return ast.literal_eval(cst.Module(body=[]).code_for_node(arg))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return NOT_CONSTANT


def _is_main_guard(test: cst.BaseExpression) -> bool:
    """``__name__ == "__main__"`` either way round."""
    if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1
            and isinstance(test.comparisons[0].operator, cst.Equal)):
        return False
    sides = (test.left, test.comparisons[0].comparator)
    return any(isinstance(a, cst.Name) and a.value == "__name__" and isinstance(b, cst.SimpleString)
               and b.evaluated_value == "__main__" for a, b in (sides, sides[::-1]))


class _FactsVisitor(cst.CSTVisitor):
    METADATA_DEPENDENCIES = (ScopeProvider, QualifiedNameProvider, ParentNodeProvider, PositionProvider)

    def __init__(self, module: cst.Module) -> None:
        super().__init__()
        self.module = module
        self.info = ModuleInfo()
        self.fns: list[cst.FunctionDef] = []
        self.withs: list[cst.With] = []
        self.acquires: list[cst.Expr] = []
        self.match_names: dict[int, set[str]] = {}  # id(scope) -> names captured by match patterns
        self.globals_: dict[int, set[str]] = {}  # id(function scope) -> names declared global
        self.lock_hint = bool(LOCK_ATTR_HINT.search(module.code))

    # -- helpers -----------------------------------------------------------------------------------
    def _qnames(self, node: cst.CSTNode) -> set[str]:
        return {q.name for q in self.get_metadata(QualifiedNameProvider, node, set())}

    def _at_module_level(self, node: cst.CSTNode) -> bool:
        return isinstance(self.get_metadata(ScopeProvider, node, None), GlobalScope)

    def _parent(self, node: cst.CSTNode) -> Optional[cst.CSTNode]:
        return self.get_metadata(ParentNodeProvider, node, None)

    # -- module-level state ------------------------------------------------------------------------
    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if not self._at_module_level(node):
            return
        bases = set().union(*(self._qnames(b.value) for b in node.bases)) if node.bases else set()
        if bases & (LOCAL_QNAMES | self.info.local_classes):
            self.info.local_classes.add(node.name.value)
        if isinstance(self._parent(node), cst.Module):
            attrs = set()
            for stmt in node.body.body:
                if isinstance(stmt, cst.SimpleStatementLine):
                    for s in stmt.body:
                        if isinstance(s, cst.Assign):
                            attrs.update(t.target.value for t in s.targets if isinstance(t.target, cst.Name))
                        elif isinstance(s, cst.AnnAssign) and isinstance(s.target, cst.Name):
                            attrs.add(s.target.value)
            self.info.classes[node.name.value] = attrs

    def _classify(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            q = self._qnames(value.func) if isinstance(value, cst.Call) else set()
            self.info.classify(target.value, q, _literal(value), _first_arg(value))

    def visit_Assign(self, node: cst.Assign) -> None:
        if self.lock_hint and isinstance(node.value, cst.Call):
            f = node.value.func
            last = f.attr.value if isinstance(f, cst.Attribute) else f.value if isinstance(f, cst.Name) else ""
            if last in LOCK_CALL_NAMES or (last in SEMAPHORE_CALL_NAMES and _first_arg(node.value) in (NO_ARG, 1)):
                self.info.lock_attrs.update(t.target.attr.value for t in node.targets
                                            if isinstance(t.target, cst.Attribute))
        if self._at_module_level(node):
            for t in node.targets:
                self._classify(t.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None and self._at_module_level(node):
            self._classify(node.target, node.value)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if isinstance(node.target, cst.Name) and self._at_module_level(node):
            self.info.scalars.add(node.target.value)

    # -- functions and locks -----------------------------------------------------------------------
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.fns.append(node)

    def visit_Global(self, node: cst.Global) -> None:
        scope = self.get_metadata(ScopeProvider, node)
        self.globals_.setdefault(id(scope), set()).update(n.name.value for n in node.names)

    def _bind(self, name: Optional[cst.Name], node: cst.CSTNode) -> None:
        if name is not None:
            scope = self.get_metadata(ScopeProvider, node)
            self.match_names.setdefault(id(scope), set()).add(name.value)

    # match-statement captures bind names; ScopeProvider does not record them
    def visit_MatchAs(self, node: cst.MatchAs) -> None:
        self._bind(node.name, node)

    def visit_MatchStar(self, node: cst.MatchStar) -> None:
        self._bind(node.name, node)

    def visit_MatchMapping(self, node: cst.MatchMapping) -> None:
        self._bind(node.rest, node)

    def visit_With(self, node: cst.With) -> None:
        self.withs.append(node)

    def function_facts(self, node: cst.FunctionDef) -> FnFacts:
        scope = self.get_metadata(ScopeProvider, node.params)
        local: set[str] = set()
        s = scope
        while s is not None and not isinstance(s, GlobalScope):
            if not isinstance(s, ClassScope):
                local.update(a.name for a in s.assignments)
                local.update(self.match_names.get(id(s), ()))
            s = s.parent
        cls, main, prev, p, direct = None, False, node, self._parent(node), True
        while p is not None:
            if isinstance(p, (cst.FunctionDef, cst.Lambda)):
                direct = False
            elif isinstance(p, cst.ClassDef) and direct and cls is None:
                cls = p.name.value
                direct = False
            elif isinstance(p, cst.If) and prev is p.body and _is_main_guard(p.test):
                main = True
            prev, p = p, self._parent(p)
        globals_ = frozenset(self.globals_.get(id(scope), set()))
        return FnFacts(globals_, frozenset(local - globals_), cls, main,
                       module_level=self._at_module_level(node))

    def import_only(self, module: cst.Module) -> set[str]:
        """Module-level private functions only ever called at module level (or from such functions):
        every reference (ScopeProvider) is the callee of a call (ParentNodeProvider) in the global scope
        or in the body of another such function."""
        glob = self.get_metadata(ScopeProvider, module)
        cands = {fn.name.value: fn for fn in self.fns if self._at_module_level(fn)
                 and import_time_candidate(fn.name.value, bool(fn.decorators))}
        needs: dict[str, set[str]] = {}
        for name, fn in cands.items():
            assignments = list(glob.assignments[name])
            if len(assignments) != 1 or assignments[0].node is not fn or not assignments[0].references:
                continue
            deps: set[str] = set()
            for access in assignments[0].references:
                parent = self._parent(access.node)
                if not (isinstance(parent, cst.Call) and parent.func is access.node):
                    break
                scope = access.scope
                if isinstance(scope, GlobalScope):
                    continue
                caller = getattr(scope, "node", None)
                if isinstance(caller, cst.FunctionDef) and cands.get(caller.name.value) is caller:
                    deps.add(caller.name.value)
                    continue
                break
            else:
                needs[name] = deps
        return fixpoint(needs)

    def visit_Expr(self, node: cst.Expr) -> None:
        call = node.value
        if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and call.func.attr.value == "acquire":
            self.acquires.append(node)

    def holds_lock(self, node: cst.With) -> bool:
        return any(self.is_lock(item.item) for item in node.items)

    def is_lock(self, expr: cst.BaseExpression) -> bool:
        """A lock-like name (``_lock``, ``mutex``), or a name whose assignment is ``threading.Lock()``."""
        if isinstance(expr, cst.Call):
            expr = expr.func
        if isinstance(expr, cst.Attribute):
            return lockish(expr.attr.value) or expr.attr.value in self.info.lock_attrs
        if isinstance(expr, cst.Name):
            return lockish(expr.value) or any(self._is_lock_assignment(r) for r in self._referents(expr))
        return False

    def _referents(self, name: cst.Name):
        scope = self.get_metadata(ScopeProvider, name, None)
        if scope is None:
            return []
        return [r for access in scope.accesses[name] for r in access.referents]

    def _is_lock_assignment(self, assignment) -> bool:
        target = getattr(assignment, "node", None)
        if not isinstance(target, cst.Name):
            return False
        parent = self._parent(target)
        if isinstance(parent, cst.AssignTarget):
            stmt = self._parent(parent)
        elif isinstance(parent, cst.AnnAssign) and parent.target is target:
            stmt = parent
        else:
            return False
        value = getattr(stmt, "value", None)
        if isinstance(assignment.scope, GlobalScope) and not self._at_module_level(stmt):
            return False  # a `global` name rebound inside a function: not module-level state
        return isinstance(value, cst.Call) and is_lock_call(self._qnames(value.func), _first_arg(value))


    def leave_Module(self, original_node: cst.Module) -> None:
        functions = {}
        for fn in self.fns:
            start = self.get_metadata(PositionProvider, fn).start
            functions[(start.line, start.column)] = self.function_facts(fn)
        lock_withs = set()
        for w in self.withs:
            if self.holds_lock(w):
                start = self.get_metadata(PositionProvider, w).start
                lock_withs.add((start.line, start.column))
        for e in self.acquires:
            if self.is_lock(e.value.func.value):
                start = self.get_metadata(PositionProvider, e).start
                lock_withs.add((start.line, start.column))
        only = self.import_only(original_node)
        self.facts = Facts(self.info, functions, lock_withs, only.__contains__)


def cst_facts(wrapper: MetadataWrapper) -> Facts:
    """Facts of the module held by ``wrapper`` (metadata resolved once, shared with a fixer)."""
    visitor = _FactsVisitor(wrapper.module)
    wrapper.visit(visitor)
    return visitor.facts
