"""Writing the fixes with libcst: formatting and comments are kept, only the guarded code moves.

* ``lock``: the statements of the finding's span go into ``with <lock>:``; the lock (``threading.Lock``,
  or ``RLock`` when the block calls anything — a call may re-enter) is defined next to the state it
  guards (after its module-level assignment, or in its class body), named ``_<state>_lock``.
* ``double-checked``: ``if x is None:`` → ``if x is None: with lock: if x is None: ...``.
* ``pop``: ``if k in d: del d[k]`` → ``d.pop(k, None)``.

``import threading`` is added once. Fixing is idempotent: guarded code is no longer a finding.
"""

from __future__ import annotations

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from codemods._analysis import Finding


def lock_name(state: str) -> str:
    return f"_{state.rsplit('.', 1)[-1].lstrip('_')}_lock"


class _Fixer(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, findings: list[Finding], module: cst.Module) -> None:
        super().__init__()
        self.module = module
        #: (class name or None, state) -> the lock's name (``_cache_lock``, or ``_cache_lock2`` if taken)
        self.names: dict[tuple[str | None, str], str] = {}
        self.by_line = {f.span[0]: f for f in findings if f.fixable and f.span}
        self.applied: list[Finding] = []
        #: module-level lock definitions wanted: state -> lock type
        self.module_locks: dict[str, str] = {}
        #: class-level: (class, attr) -> lock type
        self.class_locks: dict[tuple[str, str], str] = {}

    def _line(self, node: cst.CSTNode) -> tuple[int, int]:
        pos = self.get_metadata(PositionProvider, node)
        return pos.start.line, pos.end.line

    def _rewrite(self, original: list, body: list) -> list:
        """``body`` (updated nodes) rewritten; positions come from ``original`` (same statements)."""
        out, i = [], 0
        while i < len(body):
            stmt = body[i]
            start, _ = self._line(original[i])
            f = self.by_line.get(start)
            if f is None:
                out.append(stmt)
                i += 1
                continue
            j = i
            while j < len(body) and self._line(original[j])[1] < f.span[1]:
                j += 1
            if j >= len(body):
                out.append(stmt)
                i += 1
                continue
            group = body[i:j + 1]
            new = self._apply(f, group)
            if new is None:
                out.extend(group)
            else:
                out.append(new)
                self.applied.append(f)
            i = j + 1
        return out

    def _apply(self, f: Finding, group: list) -> cst.BaseStatement | None:
        kind = "threading.RLock" if f.calls else "threading.Lock"
        if f.fix in ("pop", "setdefault"):
            return _one_call(f.fix, group[0])
        lock = self._lock_expr(f, kind)
        first = group[0]
        leading = first.leading_lines
        group = [first.with_changes(leading_lines=())] + list(group[1:])
        if f.fix == "double-checked":
            (stmt,) = group
            # the re-check inside the lock; a comment on the `if` line stays on the outer one only
            recheck = stmt.with_changes(body=stmt.body.with_changes(header=cst.TrailingWhitespace()))
            inner = cst.With(items=[cst.WithItem(lock)], body=cst.IndentedBlock(body=[recheck]))
            return stmt.with_changes(body=stmt.body.with_changes(body=[inner]), leading_lines=leading)
        return cst.With(items=[cst.WithItem(lock)], body=cst.IndentedBlock(body=group), leading_lines=leading)

    def lock_name_for(self, cls: str | None, state: str) -> str:
        """``_<state>_lock``, unless the module (or class) already binds that name to something that is
        not a lock: then ``_<state>_lock2``, ``3``…"""
        key = (cls, state)
        if key not in self.names:
            body = list(self.module.body)
            if cls is not None:
                body = next((list(s.body.body) for s in body if isinstance(s, cst.ClassDef) and s.name.value == cls), [])
            base, k = lock_name(state), 1
            name = base
            while _binding(body, name) == "other":
                k += 1
                name = f"{base}{k}"
            self.names[key] = name
        return self.names[key]

    def _lock_expr(self, f: Finding, kind: str) -> cst.BaseExpression:
        if f.owner:
            cls, attr = f.state.split(".", 1)
            self.class_locks[(cls, attr)] = _stronger(self.class_locks.get((cls, attr)), kind)
            return cst.Attribute(value=cst.parse_expression(f.owner), attr=cst.Name(self.lock_name_for(cls, attr)))
        self.module_locks[f.state] = _stronger(self.module_locks.get(f.state), kind)
        return cst.Name(self.lock_name_for(None, f.state))

    def leave_IndentedBlock(self, original, updated):
        if len(original.body) != len(updated.body):
            return updated
        return updated.with_changes(body=self._rewrite(list(original.body), list(updated.body)))


def _one_call(kind: str, stmt: cst.If) -> cst.SimpleStatementLine:
    """``if k in d: del d[k]`` → ``d.pop(k, None)``; ``if k not in d: d[k] = v`` → ``d.setdefault(k, v)``.
    Comments on the ``if`` line, or else on the inner line, stay on the new line."""
    key = stmt.test.left
    container = stmt.test.comparisons[0].comparator
    inner = stmt.body.body[0]
    second = cst.Name("None") if kind == "pop" else inner.body[0].value
    comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    call = cst.Expr(cst.Call(func=cst.Attribute(value=container, attr=cst.Name(kind)),
                             args=[cst.Arg(key, comma=comma), cst.Arg(second)]))
    trailing = stmt.body.header if stmt.body.header.comment else inner.trailing_whitespace
    return cst.SimpleStatementLine(body=[call], leading_lines=[*stmt.leading_lines, *inner.leading_lines],
                                   trailing_whitespace=trailing)


def _binding(body: list, name: str) -> str:
    """How ``body`` (module or class statements, top level) binds ``name``: "free", "lock" or "other"."""
    found = "free"
    for stmt in body:
        if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)) and stmt.name.value == name:
            return "other"
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for s in stmt.body:
            if isinstance(s, (cst.Import, cst.ImportFrom)) and not isinstance(s.names, cst.ImportStar):
                if any((a.evaluated_alias or a.evaluated_name).split(".")[0] == name for a in s.names):
                    return "other"
            targets = ([t.target for t in s.targets] if isinstance(s, cst.Assign)
                       else [s.target] if isinstance(s, (cst.AnnAssign, cst.AugAssign)) else [])
            if any(isinstance(t, cst.Name) and t.value == name for t in targets):
                value = getattr(s, "value", None)
                func = value.func if isinstance(value, cst.Call) else None
                last = func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", "")
                if last not in ("Lock", "RLock", "Semaphore", "BoundedSemaphore", "Condition"):
                    return "other"
                found = "lock"
    return found


def _stronger(a: str | None, b: str) -> str:
    return "threading.RLock" if "threading.RLock" in (a, b) else b


def _defines(body, name: str) -> bool:
    for stmt in body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for s in stmt.body:
                if isinstance(s, (cst.Assign, cst.AnnAssign)):
                    targets = [t.target for t in s.targets] if isinstance(s, cst.Assign) else [s.target]
                    if any(isinstance(t, cst.Name) and t.value == name for t in targets):
                        return True
    return False


def _assigns(stmt, name: str) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and _defines([stmt], name)


def _lock_line(name: str, kind: str) -> cst.SimpleStatementLine:
    return cst.parse_statement(f"{name} = {kind}()\n")


def _add_definitions(module: cst.Module, fixer: _Fixer) -> cst.Module:
    body = list(module.body)
    # class-level locks, right after the attribute in the class body
    if fixer.class_locks:
        new_body = []
        for stmt in body:
            if isinstance(stmt, cst.ClassDef):
                inner = list(stmt.body.body)
                for (cls, attr), kind in fixer.class_locks.items():
                    name = fixer.lock_name_for(cls, attr)
                    if cls != stmt.name.value or _defines(inner, name):
                        continue
                    idx = next((k for k, s in enumerate(inner) if _assigns(s, attr)), None)
                    if idx is None:  # the attribute comes from a base class: after the docstring
                        idx = 0 if inner and _is_docstring(inner[0]) else -1
                    inner.insert(idx + 1, _lock_line(name, kind))
                stmt = stmt.with_changes(body=stmt.body.with_changes(body=inner))
            new_body.append(stmt)
        body = new_body
    # module-level locks, right after the state's assignment
    for state, kind in fixer.module_locks.items():
        name = fixer.lock_name_for(None, state)
        if _defines(body, name):
            continue
        idx = next((k for k, s in enumerate(body) if _assigns(s, state)), None)
        if idx is None:
            idx = _after_imports(body) - 1
        body.insert(idx + 1, _lock_line(name, kind))
    if fixer.module_locks or fixer.class_locks:
        body = _ensure_import(body)
    return module.with_changes(body=body)


def _is_import(stmt) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and all(isinstance(s, (cst.Import, cst.ImportFrom))
                                                              for s in stmt.body)


def _is_docstring(stmt) -> bool:
    return (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 and isinstance(stmt.body[0], cst.Expr)
            and isinstance(stmt.body[0].value, (cst.SimpleString, cst.ConcatenatedString)))


def _after_imports(body) -> int:
    idx = 0
    if body and _is_docstring(body[0]):
        idx = 1
    last = None
    for k, stmt in enumerate(body):
        if _is_import(stmt):
            last = k
    return (last + 1) if last is not None else idx


def _ensure_import(body):
    for stmt in body:
        if _is_import(stmt):
            for s in stmt.body:
                if isinstance(s, cst.Import) and any(
                        isinstance(a.name, cst.Name) and a.name.value == "threading" and a.asname is None
                        for a in s.names):
                    return body
    idx = _after_imports(body)
    # after `from __future__` imports and the docstring, before the first other import
    first_import = next((k for k, s in enumerate(body) if _is_import(s) and not _is_future(s)), None)
    if first_import is not None:
        idx = first_import
    new = cst.parse_statement("import threading\n")
    if idx < len(body) and _is_import(body[idx]):
        # take the blank lines/comments above the first import, so the import block stays together
        new = new.with_changes(leading_lines=body[idx].leading_lines)
        body = body[:idx] + [body[idx].with_changes(leading_lines=())] + body[idx + 1:]
    elif idx > 0 and _is_docstring(body[idx - 1]):
        new = new.with_changes(leading_lines=[cst.EmptyLine()])
    return body[:idx] + [new] + body[idx:]


def _is_future(stmt) -> bool:
    return any(isinstance(s, cst.ImportFrom) and isinstance(s.module, cst.Name) and s.module.value == "__future__"
               for s in stmt.body)


def apply_fixes(wrapper: MetadataWrapper, findings: list[Finding]) -> tuple[str, list[Finding]]:
    """Source with the fixable findings fixed, and the findings that were applied."""
    if not any(f.fixable for f in findings):
        return wrapper.module.code, []
    fixer = _Fixer(findings, wrapper.module)
    fixed = wrapper.visit(fixer)
    fixed = _add_definitions(fixed, fixer)
    return fixed.code, fixer.applied
