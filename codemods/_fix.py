"""Writing the fixes with libcst: formatting and comments are kept, only the guarded code moves.

* ``lock``: the statements of the finding's span go into ``with <lock>:``; the lock (``threading.Lock``,
  or ``RLock`` when the block calls anything — a call may re-enter) is defined next to the state it
  guards (after its module-level assignment, or in its class body), named ``_<state>_lock``.
* ``double-checked``: ``if x is None:`` → ``if x is None: with lock: if x is None: ...``.
* ``pop``: ``if k in d: del d[k]`` → ``d.pop(k, None)``.
* ``publish``: ``if k not in d: d[k] = load(k)`` → ``if k not in d: d.setdefault(k, load(k))`` (the value
  is computed outside any lock; see ``codemods._plan``).

``import threading`` is added once, where isort/ruff would put it. Fixing is idempotent: guarded code is
no longer a finding.

Only the top-level statements (functions, classes) that hold a finding are parsed by libcst, one at a
time; lock definitions and the import are inserted as lines. The cost grows with the code that is fixed,
not with the module (a 5 MB generated module with a handful of findings is fixed in seconds), and a fix
that fails is left out without losing the other fixes of the file.
"""

from __future__ import annotations

import ast
import bisect
import re
import sys
from dataclasses import replace
from typing import Callable

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from codemods._analysis import Finding

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def lock_name(state: str) -> str:
    return f"_{state.rsplit('.', 1)[-1].lstrip('_')}_lock"


class _Fixer(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, findings: list[Finding], namer: "Namer") -> None:
        super().__init__()
        self.namer = namer
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
        if f.fix == "publish":
            return _publish(group[0])
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
        return self.namer(cls, state)

    def _lock_expr(self, f: Finding, kind: str) -> cst.BaseExpression:
        if f.owner:
            cls, attr = f.state.split(".", 1)
            self.class_locks[(cls, attr)] = _stronger(self.class_locks.get((cls, attr)), kind)
            return cst.Attribute(value=cst.parse_expression(f.owner), attr=cst.Name(self.lock_name_for(cls, attr)))
        state = self.namer.alias.get(f.state, f.state)
        self.module_locks[state] = _stronger(self.module_locks.get(state), kind)
        return cst.Name(self.lock_name_for(None, state))

    def leave_IndentedBlock(self, original, updated):
        if len(original.body) != len(updated.body):
            return updated
        return updated.with_changes(body=self._rewrite(list(original.body), list(updated.body)))


def _publish(stmt: cst.If) -> cst.If:
    """``if k not in d: d[k] = v`` → ``if k not in d: d.setdefault(k, v)``: ``v`` is computed outside any
    lock and published atomically (the first value wins); no line moves."""
    key = stmt.test.left
    container = stmt.test.comparisons[0].comparator
    inner = stmt.body.body[0]
    value = inner.body[0].value
    comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    call = cst.Expr(cst.Call(func=cst.Attribute(value=container, attr=cst.Name("setdefault")),
                             args=[cst.Arg(key, comma=comma), cst.Arg(value)]))
    return stmt.with_changes(body=stmt.body.with_changes(body=[inner.with_changes(body=[call])]))


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


_LOCK_TYPES = ("Lock", "RLock", "Semaphore", "BoundedSemaphore", "Condition")


def _bindings(body: list[ast.stmt]) -> dict[str, str]:
    """How ``body`` (module or class statements, top level) binds each name: "lock" or "other" (absent:
    free). One pass, so that naming many locks stays linear."""
    out: dict[str, str] = {}
    for stmt in body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out[stmt.name] = "other"
        elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
            for a in stmt.names:
                if a.name != "*":
                    out[(a.asname or a.name).split(".")[0]] = "other"
        else:
            targets = (stmt.targets if isinstance(stmt, ast.Assign)
                       else [stmt.target] if isinstance(stmt, (ast.AnnAssign, ast.AugAssign)) else [])
            value = getattr(stmt, "value", None)
            func = value.func if isinstance(value, ast.Call) else None
            last = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            for t in targets:
                if isinstance(t, ast.Name) and out.get(t.id) != "other":
                    out[t.id] = "lock" if last in _LOCK_TYPES else "other"
    return out


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


def _add_class_locks(module: cst.Module, locks: dict[tuple[str, str], str], namer: "Namer") -> cst.Module:
    """Class-level locks, right after the attribute in the class body (or after the docstring)."""
    new_body = []
    for stmt in module.body:
        if isinstance(stmt, cst.ClassDef):
            inner = list(stmt.body.body)
            for (cls, attr), kind in locks.items():
                name = namer(cls, attr)
                if cls != stmt.name.value or _defines(inner, name):
                    continue
                idx = next((k for k, s in enumerate(inner) if _assigns(s, attr)), None)
                if idx is None:  # the attribute comes from a base class: after the docstring
                    idx = 0 if inner and _is_docstring(inner[0]) else -1
                inner.insert(idx + 1, _lock_line(name, kind))
            stmt = stmt.with_changes(body=stmt.body.with_changes(body=inner))
        new_body.append(stmt)
    return module.with_changes(body=new_body)


def _is_docstring(stmt) -> bool:
    return (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 and isinstance(stmt.body[0], cst.Expr)
            and isinstance(stmt.body[0].value, (cst.SimpleString, cst.ConcatenatedString)))


def _first_line(stmt: ast.stmt) -> int:
    decorators = getattr(stmt, "decorator_list", None) or []
    return min([stmt.lineno] + [d.lineno for d in decorators])


class Namer:
    """Lock names: ``_<state>_lock``, unless the module (or class) already binds that name to something
    that is not a lock: then ``_<state>_lock2``, ``3``…  One namer per module, so every fix agrees."""

    def __init__(self, tree: ast.Module, alias: dict[str, str] | None = None) -> None:
        self.tree = tree
        #: module state -> the state whose lock guards it too (related state shares one lock)
        self.alias = alias or {}
        self.names: dict[tuple[str | None, str], str] = {}
        self.classes = {s.name: s for s in tree.body if isinstance(s, ast.ClassDef)}
        self._bound: dict[str | None, dict[str, str]] = {}

    def binding(self, cls: str | None, name: str) -> str:
        """"free", "lock" or "other": how the module (or the class body) binds ``name``."""
        if cls not in self._bound:
            c = self.classes.get(cls) if cls is not None else None
            self._bound[cls] = _bindings(self.tree.body if cls is None else c.body if c is not None else [])
        return self._bound[cls].get(name, "free")

    def __call__(self, cls: str | None, state: str) -> str:
        key = (cls, state)
        if key not in self.names:
            base, k = lock_name(state), 1
            name = base
            while self.binding(cls, name) == "other":
                k += 1
                name = f"{base}{k}"
            self.names[key] = name
        return self.names[key]


# --- where `import threading` goes: as isort/ruff (profile default) would sort it -----------------------

_STDLIB = frozenset(getattr(sys, "stdlib_module_names", ())) | {"__future__"}


def _import_root(stmt: ast.stmt) -> str | None:
    if isinstance(stmt, ast.Import):
        return stmt.names[0].name.split(".")[0]
    if isinstance(stmt, ast.ImportFrom):
        return "." if stmt.level else (stmt.module or "").split(".")[0]
    return None


def _imports_threading(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Import) and any(a.name == "threading" and a.asname is None for a in stmt.names)


def _import_position(tree: ast.Module, lines: list[str]) -> tuple[int, str]:
    """(line before which ``import threading`` goes, the text to insert there, ``\n`` for line ends).

    In the leading block of top-level imports: among the standard-library imports, with the plain
    ``import x`` statements before the ``from x import`` ones, sorted by module name, case-insensitively
    (isort's and ruff's defaults); after ``from __future__`` imports and the docstring. With no
    standard-library import, a block of its own before the first other import (a blank line between)."""
    body = tree.body
    k = 1 if body and _is_doc(body[0]) else 0
    imports = []
    while k < len(body) and isinstance(body[k], (ast.Import, ast.ImportFrom)):
        imports.append(body[k])
        k += 1
    head = body[:k]
    imports = [s for s in imports if _import_root(s) != "__future__"]
    std = [s for s in imports if _import_root(s) in _STDLIB]
    if std:
        for s in std:
            if isinstance(s, ast.ImportFrom) or s.names[0].name.lower() > "threading":
                return _first_line(s), "import threading\n"
        return std[-1].end_lineno + 1, "import threading\n"
    if imports:
        return _first_line(imports[0]), "import threading\n\n"
    if head:  # after the docstring (a blank line between) or the `from __future__` imports
        return head[-1].end_lineno + 1, ("\n" if len(head) == 1 and _is_doc(head[0]) else "") + "import threading\n"
    return (_first_line(body[0]) if body else len(lines) + 1), "import threading\n"


def _is_doc(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)


# --- putting it together --------------------------------------------------------------------------------

def split_lines(source: str) -> list[str]:
    """Lines with their endings, as Python numbers them (only \\n, \\r\\n and \\r end a line)."""
    return _LINE.findall(source)


def _newline(source: str) -> str:
    m = re.search(r"\r\n|\r|\n", source)
    return m.group(0) if m else "\n"


def _fix_chunk(text: str, findings: list[Finding], offset: int, namer: Namer,
               module_locks: dict[str, str], class_locks: dict[tuple[str, str], str]) -> tuple[str, list[Finding]]:
    """One top-level statement (its source ``text``, starting on line ``offset + 1``) with ``findings``
    fixed. Raises when libcst cannot write a fix."""
    shifted = [replace(f, span=(f.span[0] - offset, f.span[1] - offset)) for f in findings]
    back = {id(s): f for s, f in zip(shifted, findings)}
    wrapper = MetadataWrapper(cst.parse_module(text), unsafe_skip_copy=True)
    fixer = _Fixer(shifted, namer)
    new = wrapper.visit(fixer).code
    for state, kind in fixer.module_locks.items():
        module_locks[state] = _stronger(module_locks.get(state), kind)
    for key, kind in fixer.class_locks.items():
        class_locks[key] = _stronger(class_locks.get(key), kind)
    return new, [back[id(f)] for f in fixer.applied]


def apply_fixes(source: str, tree: ast.Module, findings: list[Finding],
                check: Callable[[str], bool] | None = None,
                alias: dict[str, str] | None = None) -> tuple[str, list[Finding]]:
    """``source`` with the fixable ``findings`` fixed, and the findings that were applied.

    ``tree`` is the module's ``ast`` (positions as in ``source``). ``check(text)`` may reject the new text
    of a top-level statement (e.g. it does not compile); a rejected or failing fix is left out and the
    other fixes of the same statement are tried one by one."""
    findings = [f for f in findings if f.fixable and f.span]
    if not findings:
        return source, []
    lines = split_lines(source)
    body = tree.body
    starts = [_first_line(s) for s in body]
    ends = [s.end_lineno or s.lineno for s in body]
    groups: dict[int, list[Finding]] = {}
    for f in findings:
        k = bisect.bisect_right(starts, f.span[0]) - 1
        if k >= 0 and f.span[1] <= ends[k]:  # a def, a class, or an `if`/`try` block holding them
            groups.setdefault(k, []).append(f)
    namer = Namer(tree, alias)
    module_locks: dict[str, str] = {}
    class_locks: dict[tuple[str, str], str] = {}
    #: index of a top-level statement -> its new text
    replaced: dict[int, str] = {}
    applied: list[Finding] = []

    def chunk(k: int) -> str:
        return "".join(lines[starts[k] - 1:ends[k]])

    for k, group in sorted(groups.items()):
        text = chunk(k)
        try:
            ml: dict[str, str] = {}
            cl: dict[tuple[str, str], str] = {}
            new, done = _fix_chunk(text, group, starts[k] - 1, namer, ml, cl)
            if check is not None and not check(new):
                raise ValueError("the fixed code does not compile")
        except Exception:
            # one by one: a fix that fails is left out, the others are kept
            new, done, ml, cl = text, [], {}, {}
            for f in group:
                try:
                    ml2, cl2 = dict(ml), dict(cl)
                    cand, d = _fix_chunk(text, done + [f], starts[k] - 1, namer, ml2, cl2)
                    if check is not None and not check(cand):
                        continue
                except Exception:
                    continue
                new, done, ml, cl = cand, d, ml2, cl2
        for state, kind in ml.items():
            module_locks[state] = _stronger(module_locks.get(state), kind)
        for key, kind in cl.items():
            class_locks[key] = _stronger(class_locks.get(key), kind)
        if done:
            replaced[k] = new
            applied.extend(done)
    if not applied:
        return source, []
    # class-level locks go into the class body
    by_class = {s.name: k for k, s in enumerate(body) if isinstance(s, ast.ClassDef)}
    for cls in sorted({c for c, _ in class_locks}):
        k = by_class[cls]
        module = cst.parse_module(replaced.get(k, chunk(k)))
        replaced[k] = _add_class_locks(module, {key: v for key, v in class_locks.items() if key[0] == cls}, namer).code
    nl = _newline(source)
    #: line number -> text to insert before that line
    inserts: dict[int, list[str]] = {}
    assigned: dict[str, ast.stmt] = {}  # the first top-level assignment of each name
    for s in body:
        if isinstance(s, (ast.Assign, ast.AnnAssign)):
            for t in s.targets if isinstance(s, ast.Assign) else [s.target]:
                if isinstance(t, ast.Name):
                    assigned.setdefault(t.id, s)
    for state, kind in module_locks.items():
        name = namer(None, state)
        if namer.binding(None, name) == "lock":
            continue
        where = assigned.get(state)
        if where is not None:
            line = where.end_lineno + 1
        else:  # after the imports
            prev = None
            for s in body:
                if isinstance(s, (ast.Import, ast.ImportFrom)):
                    prev = s
            first = body[0] if body else None
            doc = first if first is not None and isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                and isinstance(first.value.value, str) else None
            prev = prev or doc
            line = prev.end_lineno + 1 if prev is not None else (starts[0] if body else len(lines) + 1)
        inserts.setdefault(line, []).append(f"{name} = {kind}(){nl}")
    if (module_locks or class_locks) and not any(_imports_threading(s) for s in body):
        line, text = _import_position(tree, lines)
        inserts.setdefault(line, []).insert(0, text.replace("\n", nl))
    replaced_at = {starts[k]: k for k in replaced}
    out: list[str] = []
    n = 1
    while n <= len(lines):
        out.extend(inserts.pop(n, ()))
        if n in replaced_at:
            k = replaced_at[n]
            out.append(replaced[k])
            n = ends[k] + 1
        else:
            out.append(lines[n - 1])
            n += 1
    rest = [t for line in sorted(inserts) for t in inserts[line]]
    if rest and out and not out[-1].endswith(("\n", "\r")):
        out[-1] += nl
    out.extend(rest)
    return "".join(out), applied
