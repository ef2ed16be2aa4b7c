"""How each finding is fixed — or why it is only reported. Runs after the rules, on every finding.

The rules say *what* races; this decides whether a lock is a correct and harmless fix:

* **The read that consumes the update is inside.** ``n += 1; return n``, ``Cls.count += 1;
  self.id = Cls.count``, ``counts[k] += 1; return counts[k]``: the lock covers the update and every
  later statement of the same block that reads the state (else two threads can both read the second
  update and hand out one value twice). The same for a check-then-act on a container that other code
  deletes from (``cache[k] = v; return cache[k]`` would raise ``KeyError``).
* **Every other site takes the same lock** (:func:`companions`): code elsewhere in the module that
  mutates the container, or checks and then reads it, is wrapped in the lock the fix introduces.
* **No publication before the object is complete.** Lazy initialisation whose body goes on to fill the
  object it just published (``_reg = {}; _reg["a"] = 1``) is not double-checked (a thread that sees it
  non-None reads a half-filled object): the whole check goes under the lock.
* **No lock across code that can block or re-enter.** An import (``import``, ``importlib.import_module``,
  ``__import__``), file or socket I/O, a subprocess, a database/ORM call, or a call of a function the
  caller passed in may block for long, or run code that starts a thread which calls back into this module
  and waits for the same lock: a deadlock. A check-then-act whose only act is ``d[k] = <that call>`` is
  fixed as ``d.setdefault(k, <that call>)`` inside the check (computed outside any lock, published
  atomically, the first value wins; no line moves); anything else is reported, not fixed.
* **No line moves in a module that looks at line numbers or frames** (``traceback.extract_stack``,
  ``inspect.currentframe``/``stack``, ``sys._getframe``, ``f_lineno``…): its code may compute offsets
  from line numbers, so nothing in it is fixed.
* **Nothing is marked fixable that the fixer cannot write**: a double-checked fix needs the body of the
  ``if`` on lines of its own.

The reason a finding is not fixed is added to its message.
"""

from __future__ import annotations

import ast
import bisect
import itertools
import re
from dataclasses import replace
from typing import Optional

from codemods._analysis import Finding, has_call

#: names whose use means the module reads frames or line numbers
_INTROSPECTION_ATTRS = frozenset({
    "extract_stack", "format_stack", "print_stack", "walk_stack", "currentframe", "_getframe", "f_lineno",
    "f_back", "tb_lineno", "co_firstlineno", "getframeinfo", "getouterframes", "getinnerframes",
    "_current_frames", "getsourcelines", "getlineno",
})
_INSPECT_FUNCS = frozenset({"stack", "trace"})
_IMPORT_CALLS = frozenset({"import_module", "__import__", "reload", "import_string", "load_entry_point",
                           "exec_module", "load_module", "find_spec", "run_path", "run_module"})
_IO_CALLS = frozenset({
    "open", "read", "readline", "readlines", "write", "writelines", "read_text", "read_bytes", "write_text",
    "write_bytes", "recv", "recv_into", "recvfrom", "send", "sendall", "sendto", "connect", "accept",
    "urlopen", "urlretrieve", "getaddrinfo", "gethostbyname", "create_connection", "makefile", "input",
    "load", "dump", "system", "popen", "Popen", "check_output", "check_call", "communicate",
    "wait", "result", "iterdir", "rglob", "listdir", "scandir",
})
_HTTP_ROOTS = frozenset({"requests", "httpx", "urllib3", "aiohttp", "session", "client", "http", "subprocess",
                         "shutil", "socket", "pool", "conn", "connection", "db", "cursor", "engine"})
_DB_CALLS = frozenset({
    "execute", "executemany", "executescript", "commit", "rollback", "fetchone", "fetchall", "fetchmany",
    "cursor", "query", "save", "get_or_create", "update_or_create", "bulk_create", "refresh_from_db",
    "first", "scalar", "scalars", "one", "one_or_none", "flush",
})


#: rules whose finding is an update of a value that later statements may read
_READ_MODIFY_WRITE = frozenset({"FT001", "FT002", "FT005"})


# the whole tree is walked only when the text mentions one of the names
_INTROSPECTION_TEXT = re.compile("|".join(sorted(_INTROSPECTION_ATTRS | {"stack", "trace"})))
_DELETE_TEXT = re.compile(r"\bdel\b|\.\s*(?:pop|popitem|clear|remove|discard|popleft)\b")


def introspects_lines(tree: ast.Module) -> bool:
    """Does the module read frames or line numbers (so that moving lines can change what it does)?"""
    for n in ast.walk(tree):
        if isinstance(n, ast.Attribute):
            if n.attr in _INTROSPECTION_ATTRS:
                return True
            if n.attr in _INSPECT_FUNCS and isinstance(n.value, ast.Name) and n.value.id == "inspect":
                return True
        elif isinstance(n, ast.Name) and n.id in _INTROSPECTION_ATTRS:
            return True
        elif isinstance(n, ast.ImportFrom) and n.module in ("inspect", "traceback", "sys"):
            if any(a.name in _INTROSPECTION_ATTRS | _INSPECT_FUNCS for a in n.names):
                return True
    return False


def _root(node: ast.AST) -> Optional[str]:
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def blocking_call(nodes: list[ast.AST], params: frozenset[str] = frozenset()) -> Optional[str]:
    """What in ``nodes`` must not run under a new lock: "an import", "I/O", "a database call", "a call of
    a passed-in function" — or None."""
    for node in nodes:
        for n in ast.walk(node):
            if isinstance(n, (ast.Import, ast.ImportFrom)):
                return "an import"
            if not isinstance(n, ast.Call):
                continue
            f = n.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            if name in _IMPORT_CALLS:
                return "an import"
            if isinstance(f, ast.Name) and name in ("open", "input", "__import__"):
                return "an import" if name == "__import__" else "I/O"
            if isinstance(f, ast.Attribute):
                root = (_root(f.value) or "").lower()
                if name in _DB_CALLS or ".objects" in ast.unparse(f) or root in ("cursor", "conn", "db",
                                                                                  "connection", "session"):
                    return "a database call"
                if name in _IO_CALLS or root in _HTTP_ROOTS:
                    return "I/O"
            if isinstance(f, ast.Name) and name in params:
                return "a call of a passed-in function"
    return None


def _reads_state(node: ast.AST, f: Finding) -> bool:
    state = f.state
    if "." in state:
        attr = state.rsplit(".", 1)[1]
        return any(isinstance(n, ast.Attribute) and n.attr == attr and isinstance(n.ctx, ast.Load)
                   for n in ast.walk(node))
    return any(isinstance(n, ast.Name) and n.id == state for n in ast.walk(node))


class _Index:
    """Every statement list of the module, by the first line of each statement; every function, by line."""

    def __init__(self, tree: ast.Module) -> None:
        self.at: dict[int, tuple[list[ast.stmt], int]] = {}
        self.fn_at: list[tuple[int, int, ast.AST]] = []
        stack: list[list[ast.stmt]] = [tree.body]
        while stack:
            body = stack.pop()
            for i, stmt in enumerate(body):
                self.at.setdefault(stmt.lineno, (body, i))
                if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    self.fn_at.append((stmt.lineno, stmt.end_lineno or stmt.lineno, stmt))
                for attr in ("body", "orelse", "finalbody"):
                    sub = getattr(stmt, attr, None)
                    if isinstance(sub, list) and sub and isinstance(sub[0], ast.stmt):
                        stack.append(sub)
                for h in getattr(stmt, "handlers", None) or ():
                    stack.append(h.body)
                for case in getattr(stmt, "cases", None) or ():
                    stack.append(case.body)

    def function(self, line: int):
        """The innermost function holding ``line`` (the latest-starting one that holds it)."""
        if not hasattr(self, "_starts"):
            self.fn_at.sort(key=lambda t: t[0])
            self._starts = [t[0] for t in self.fn_at]
        k = bisect.bisect_right(self._starts, line) - 1
        while k >= 0:
            start, end, fn = self.fn_at[k]
            if end >= line:
                return fn
            k -= 1
        return None


def _params(fn) -> frozenset[str]:
    if fn is None:
        return frozenset()
    a = fn.args
    names = [x.arg for x in a.posonlyargs + a.args + a.kwonlyargs] + [x.arg for x in (a.vararg, a.kwarg) if x]
    return frozenset(n for n in names if n not in ("self", "cls"))


def _not_fixed(f: Finding, why: str) -> Finding:
    return replace(f, fixable=False, message=f"{f.message} (not fixed: {why})")


def plan(tree: ast.Module, lines: list[str], findings: list[Finding]) -> list[Finding]:
    """``findings`` with their fixes made correct and harmless (or turned into reports)."""
    if any(f.code == "FT003" for f in findings):
        index = _Index(tree)
        findings = [f for f in findings if not (f.code == "FT003" and _published(index, f))]
    todo = [f for f in findings if f.fixable and f.fix in ("lock", "double-checked", "setdefault", "pop")]
    if not todo:
        return findings
    text = "\n".join(lines)
    if _INTROSPECTION_TEXT.search(text) and introspects_lines(tree):
        return [_not_fixed(f, "the module reads line numbers or frames; inserting lines could change it")
                if f in todo else f for f in findings]
    index = _Index(tree)
    fns: dict[int, object] = {}
    out = []
    deleted = _deleted(tree) if any(f.code == "FT003" for f in todo) and _DELETE_TEXT.search(text) else set()
    for f in findings:
        if f.fixable and f.fix in ("lock", "double-checked"):
            if f.line not in fns:
                fns[f.line] = index.function(f.line)
            f = _plan_lock(f, index, _params(fns[f.line]), lines, f.state in deleted)
        out.append(f)
    return out


def _deleted(tree: ast.Module) -> set[str]:
    """Names of containers the module deletes items from somewhere (``del d[k]``, ``d.pop(k)``…)."""
    out = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.Delete):
            out |= {t.value.id for t in n.targets if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name)}
        elif (isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and isinstance(n.func.value, ast.Name)
              and n.func.attr in ("pop", "popitem", "clear", "remove", "discard", "popleft")):
            out.add(n.func.value.id)
    return out


def _plan_lock(f: Finding, index: _Index, params: frozenset[str], lines: list[str], deleted: bool = False) -> Finding:
    where = index.at.get(f.span[0])
    if where is None:
        return f
    body, i = where
    j = i
    while j + 1 < len(body) and (body[j + 1].lineno or 0) <= f.span[1]:
        j += 1
    stmt = body[i]
    if f.fix == "double-checked" and isinstance(stmt, ast.If):
        if stmt.body[0].lineno == stmt.lineno:
            return _not_fixed(f, "a one-line `if`: no block to re-check in")
        published = False
        for s in stmt.body:
            if published and _reads_state(s, f):
                # filled after it is published: a double check would hand out a half-built object
                f = replace(f, fix="lock", calls=f.calls or has_call([stmt]))
                break
            if any(isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == f.state for t in n.targets)
                   for n in ast.walk(s)):
                published = True
    if f.code == "FT003" and f.fix == "lock" and deleted and not (
            blocking_call(body[i:j + 1], params) and _publishable(stmt, f.state)):
        # check-then-act where other code deletes: a read after the act can fail, so it goes inside too
        extend = True
    else:
        extend = f.fix == "lock" and f.code in _READ_MODIFY_WRITE
    if extend:
        # the statements after the update that read the state consume it: inside the lock
        last = j
        for k in range(j + 1, len(body)):
            s = body[k]
            if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                break
            if _reads_state(s, f):
                last = k
        if last > j:
            extra = body[j + 1:last + 1]
            if all(_own_line(lines, s) for s in extra) and not any(
                    isinstance(n, (ast.Yield, ast.YieldFrom, ast.Await)) for s in extra for n in ast.walk(s)):
                j = last
                f = replace(f, span=(f.span[0], body[j].end_lineno or body[j].lineno),
                            calls=f.calls or has_call(extra))
    guarded = body[i:j + 1]
    if f.fix == "double-checked":
        guarded = stmt.body  # the check outside the lock runs unlocked
    why = blocking_call(guarded, params)
    if why is None:
        return f
    if f.code == "FT003" and f.fix == "lock" and j == i and _publishable(stmt, f.state):
        return replace(f, fix="publish")
    return _not_fixed(f, f"a lock held across {why} can block other threads or deadlock")


def _published(index: _Index, f: Finding) -> bool:
    """``if k not in d: d.setdefault(k, v)``: checked, then published in one atomic call (the fix of a
    value that must not be computed under a lock) — not a finding."""
    where = index.at.get(f.line)
    if where is None:
        return False
    stmt = where[0][where[1]]
    if not (isinstance(stmt, ast.If) and not stmt.orelse and len(stmt.body) == 1):
        return False
    act = stmt.body[0]
    return (isinstance(act, ast.Expr) and isinstance(act.value, ast.Call) and isinstance(act.value.func, ast.Attribute)
            and act.value.func.attr == "setdefault" and isinstance(act.value.func.value, ast.Name)
            and act.value.func.value.id == f.state)


def _own_line(lines: list[str], stmt: ast.stmt) -> bool:
    if not 0 < stmt.lineno <= len(lines):
        return False
    return not lines[stmt.lineno - 1].encode("utf-8")[:stmt.col_offset].strip()


def _publishable(stmt: ast.stmt, state: str) -> bool:
    """``if k not in d:`` + ``d[k] = v`` (on a line of its own), nothing else: ``d.setdefault(k, v)``."""
    if not (isinstance(stmt, ast.If) and not stmt.orelse and len(stmt.body) == 1):
        return False
    test, act = stmt.test, stmt.body[0]
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.NotIn)
            and isinstance(test.comparators[0], ast.Name) and test.comparators[0].id == state):
        return False
    if act.lineno == stmt.lineno:
        return False
    return (isinstance(act, ast.Assign) and len(act.targets) == 1 and isinstance(act.targets[0], ast.Subscript)
            and isinstance(act.targets[0].value, ast.Name) and act.targets[0].value.id == state
            and ast.dump(act.targets[0].slice) == ast.dump(test.left))


# --- every other site of the state under the same lock ---------------------------------------------------

COMPANION = "same-lock"


def companions(tree: ast.Module, facts, findings: list[Finding], lines: list[str],
               skipped: Optional[dict[str, list[int]]] = None) -> list[Finding]:
    """Statements of *other* code in the module that must take the lock a fix introduces for a module-level
    container, or the fix does not fix: one that mutates it (``del d[k]``, ``d[k] = v``, ``d.pop(k)``,
    ``d.clear()``…) or checks and then reads it (``if k in d: return d[k]`` — a ``KeyError`` when another
    thread deletes in between). Returned as fixable pseudo-findings (``message == COMPANION``) for the
    fixer; never reported. Sites already under a lock, under another finding, in code that only runs at
    import time or under ``if __name__ == "__main__":``, one-line suites and sites that would hold the lock
    across an import, I/O or a database call are left alone."""
    from codemods._analysis import blocks, functions, has_call

    states = {f.state for f in findings if f.fixable and f.fix == "lock" and not f.owner
              and f.state in facts.info.containers}
    if not states:
        return []
    spans = sorted(f.span for f in findings if f.span)
    starts = [a for a, _ in spans]
    reach = list(itertools.accumulate((b for _, b in spans), max))

    def overlaps(first: int, last: int) -> bool:
        """Does any finding's span overlap lines first..last? (one bisect, not all spans)"""
        k = bisect.bisect_right(starts, last)
        return k > 0 and reach[k - 1] >= first

    out: dict[int, Finding] = {}
    clash: set[int] = set()
    for fn in functions(tree.body):
        ff = facts.functions.get((fn.lineno, fn.col_offset))
        if ff is None or ff.main_only or (ff.module_level and facts.import_only(fn.name)):
            continue
        mine = {s for s in states if s in ff.globals_ or s not in ff.local_names}
        if not mine:
            continue
        for body, locked in blocks(fn, facts):
            for stmt, held in zip(body, locked):
                if held or isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    continue
                state = _touches(stmt, mine)
                if state is None:
                    continue
                end = stmt.end_lineno or stmt.lineno
                if overlaps(stmt.lineno, end):
                    continue
                if not _own_line(lines, stmt) or blocking_call([stmt]) or any(
                        isinstance(n, (ast.Yield, ast.YieldFrom, ast.Await)) for n in ast.walk(stmt)):
                    if skipped is not None:  # cannot take the lock there: the caller reports it
                        skipped.setdefault(state, []).append(stmt.lineno)
                    continue
                if stmt.lineno in out:
                    clash.add(stmt.lineno)
                out[stmt.lineno] = Finding(code="", message=COMPANION, line=stmt.lineno, column=stmt.col_offset + 1,
                                           state=state, fixable=True, span=(stmt.lineno, end), fix="lock",
                                           calls=has_call([stmt]), end_line=end)
    # nested sites: the outer one is enough
    result, reach = [], 0
    for k, f in sorted(out.items()):  # by first line; a site inside an earlier one is covered by it
        if k not in clash and f.span[1] > reach:
            result.append(f)
        reach = max(reach, f.span[1])
    return result


def report_unlocked(tree: ast.Module, facts, findings: list[Finding], lines: list[str]) -> list[Finding]:
    """Findings whose fix locks a container that other code uses where the lock cannot be taken (a
    one-line suite, ``yield``, a blocking call): the message names those lines, which stay unlocked."""
    skipped: dict[str, list[int]] = {}
    companions(tree, facts, findings, lines, skipped)
    if not skipped:
        return findings
    out = []
    for f in findings:
        where = sorted(set(skipped.get(f.state, ()))) if f.fixable and f.fix == "lock" and not f.owner else []
        if where:
            f = replace(f, message=f"{f.message} (other code using it stays unlocked: line "
                                   f"{', '.join(map(str, where))})")
        out.append(f)
    return out


def _touches(stmt: ast.stmt, states: set[str]) -> Optional[str]:
    """The state a statement mutates, or checks and then reads (``if ... d ...: ... d[...]``)."""
    from codemods._analysis import MUTATING_METHODS

    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        f = stmt.value.func
        if isinstance(f, ast.Attribute) and f.attr in MUTATING_METHODS and isinstance(f.value, ast.Name) \
                and f.value.id in states:
            return f.value.id
    if isinstance(stmt, (ast.Assign, ast.AugAssign, ast.Delete)):
        for t in getattr(stmt, "targets", None) or [stmt.target]:
            if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) and t.value.id in states:
                return t.value.id
    if isinstance(stmt, ast.If):
        read = {n.id for n in ast.walk(stmt.test) if isinstance(n, ast.Name)} & states
        for s in read:
            if any(isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name) and n.value.id == s
                   for b in stmt.body + stmt.orelse for n in ast.walk(b)):
                return s
    return None


# --- related state shares one lock ------------------------------------------------------------------------

def share_locks(tree: ast.Module, findings: list[Finding]) -> tuple[list[Finding], dict[str, str],
                                                                     dict[int, list[Finding]]]:
    """Module-level state updated together in one function is related (``hits += 1; total += n``): one
    lock guards all of it (named after the first), and findings on consecutive statements of one block
    become one ``with``. Returns the findings to fix, state -> the state whose lock it uses, and
    id(merged finding) -> the findings it took in."""
    locked = [f for f in findings if f.fixable and f.fix == "lock" and not f.owner and f.code]
    if len(locked) < 2:
        return findings, {}, {}
    index = _Index(tree)
    parent: dict[str, str] = {}

    def find(s: str) -> str:
        while parent.get(s, s) != s:
            s = parent[s]
        return s

    by_fn: dict[int, list[Finding]] = {}
    for f in locked:
        fn = index.function(f.line)
        by_fn.setdefault(id(fn), []).append(f)
    for group in by_fn.values():
        first = find(group[0].state)
        for f in group[1:]:
            other = find(f.state)
            if other != first:
                parent[other] = first
    alias = {s: find(s) for s in {f.state for f in locked}}
    alias = {s: r for s, r in alias.items() if s != r}
    # consecutive statements of one block under one lock: one `with`
    merged: dict[int, list[Finding]] = {}
    out: list[Finding] = []
    last: Optional[Finding] = None
    rep = lambda f: alias.get(f.state, f.state)  # noqa: E731
    for f in sorted(findings, key=lambda f: f.span or (f.line, f.line)):
        if f in locked and last is not None and last in locked and rep(last) == rep(f) and _adjacent(index, last, f):
            key = id(out[-1])
            combined = replace(out[-1], span=(out[-1].span[0], f.span[1]), calls=out[-1].calls or f.calls)
            merged[id(combined)] = merged.pop(key, []) + [f]
            out[-1] = combined
        else:
            out.append(f)
        last = f
    return out, alias, merged


def _adjacent(index: _Index, a: Finding, b: Finding) -> bool:
    """Is ``b``'s first statement the one right after ``a``'s last, in the same block?"""
    where = index.at.get(a.span[0])
    other = index.at.get(b.span[0])
    if where is None or other is None or where[0] is not other[0]:
        return False
    body, i = where
    j = i
    while j + 1 < len(body) and body[j + 1].lineno <= a.span[1]:
        j += 1
    return other[1] == j + 1
