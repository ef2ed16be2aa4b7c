"""Parse what the target interpreter runs, whatever Python runs us.

The finder works on ``ast``, which only knows the syntax of the running Python: on 3.11, ``class
Box[T]:``, ``type X = ...`` (3.12), PEP 701 f-strings (3.12), type parameter defaults (3.13),
``except A, B:`` and t-strings (3.14) are SyntaxErrors. libcst parses all of them. When ``ast.parse``
fails, :func:`lower` rewrites the new syntax into old syntax **with every position kept** (same lines,
same UTF-8 byte columns), using libcst positions, and ``ast`` parses that:

* type parameters ``[T, *Ts, **P]`` of a class or function → blanks;
* ``type X[T] = v`` → ``X = v`` (the name moved onto the ``type`` keyword, the rest blanked);
* an f-string or t-string (or an implicit concatenation holding one) → a parenthesised tuple of its
  replacement-field expressions, each left at its own position (``f"{a["k"]}: {b!r}"`` →
  ``( a["k"]  , b    )``): the names it reads and the calls it makes stay visible to the rules;
* ``except A, B:`` → ``except A   :`` (which exceptions are caught does not matter to the rules).

Findings, spans and fixes then come from the lowered tree; fixes are written on the original source by
libcst, so the new syntax is kept as it was.
"""

from __future__ import annotations

import ast
import re
from typing import Optional



_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def parse(source: str) -> ast.Module:
    """``ast.parse(source)``; for syntax newer than the running Python, the tree of :func:`lower`."""
    try:
        return ast.parse(source)
    except SyntaxError as exc:
        lowered = lower(source)
        if lowered is None:
            raise
        try:
            return ast.parse(lowered)
        except SyntaxError:
            raise exc from None


def valid(source: str) -> bool:
    """Is ``source`` valid Python (for the running Python, or newer syntax that libcst parses)?"""
    try:
        parse(source)
    except (SyntaxError, ValueError):
        return False
    return True


def _collector():
    """The libcst visitor that finds new syntax (libcst is imported only when a file needs it)."""
    import libcst as cst
    from libcst.metadata import PositionProvider

    class _Collector(cst.CSTVisitor):
        METADATA_DEPENDENCIES = (PositionProvider,)

        def __init__(self) -> None:
            super().__init__()
            #: (kind, node) in document order, outer before inner
            self.edits: list[tuple[str, cst.CSTNode]] = []
            self._stack: list[str] = []

        def visit_ClassDef(self, node: cst.ClassDef) -> None:
            if node.type_parameters is not None:
                self.edits.append(("blank", node.type_parameters))

        def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
            if node.type_parameters is not None:
                self.edits.append(("blank", node.type_parameters))

        def visit_TypeAlias(self, node: cst.TypeAlias) -> None:
            self.edits.append(("alias", node))

        def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
            self._except(node)

        def visit_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
            self._except(node)

        def _except(self, node) -> None:
            t = node.type
            if isinstance(t, cst.Tuple) and not t.lpar and len(t.elements) > 1:
                self.edits.append(("except", t))

        # a string is lowered as a whole when it is not inside another string (or is inside a replacement
        # field's expression, which is code again)
        def _string(self, node: cst.CSTNode) -> bool:
            if not self._stack or self._stack[-1] == "field":
                self.edits.append(("string", node))
            self._stack.append("string")
            return True

        def _field(self, node: cst.CSTNode) -> bool:
            self.edits.append(("field", node))
            self._stack.append("field")
            return True

        def _leave(self, node: cst.CSTNode) -> None:
            self._stack.pop()

        visit_ConcatenatedString = visit_FormattedString = visit_TemplatedString = _string
        leave_ConcatenatedString = leave_FormattedString = leave_TemplatedString = _leave
        visit_FormattedStringExpression = visit_TemplatedStringExpression = _field
        leave_FormattedStringExpression = leave_TemplatedStringExpression = _leave

    return _Collector()


def lower(source: str) -> Optional[str]:
    """``source`` with syntax newer than 3.8's ``ast`` understands rewritten, positions kept; None when
    libcst cannot parse it either (a real syntax error)."""
    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider

    try:
        wrapper = MetadataWrapper(cst.parse_module(source), unsafe_skip_copy=True)
    except Exception:  # a real syntax error (or one libcst cannot handle): ast's error stands
        return None
    collector = _collector()
    wrapper.visit(collector)
    if not collector.edits:
        return None
    pos = wrapper.resolve(PositionProvider)
    lines = _LINE.findall(source)
    # one cell per character: its new text ("" never: a blanked character keeps its UTF-8 width)
    cells = [list(line) for line in lines]

    def put(line: int, col: int, text: str) -> None:
        cells[line - 1][col] = text

    def blank(start, end, keep=()) -> None:
        """Blank the characters from ``start`` to ``end`` (CodePositions), except line ends and the ranges
        in ``keep``."""
        for ln in range(start.line, end.line + 1):
            row = cells[ln - 1]
            a = start.column if ln == start.line else 0
            b = end.column if ln == end.line else len(row)
            for c in range(a, b):
                ch = lines[ln - 1][c]
                if ch in "\r\n" or any(_inside(ln, c, k) for k in keep):
                    continue
                row[c] = " " * len(ch.encode("utf-8"))

    fields: dict[int, list] = {}
    # fields belong to the innermost string that holds them
    strings = [n for kind, n in collector.edits if kind == "string"]
    for kind, node in collector.edits:
        if kind == "field":
            r = pos[node]
            owner = None
            for s in strings:
                rs = pos[s]
                if _before(rs.start, r.start) and _before(r.end, rs.end):
                    owner = s  # the last (innermost) one in document order
            if owner is not None:
                fields.setdefault(id(owner), []).append(node)
    for kind, node in collector.edits:
        r = pos[node]
        if kind == "blank":
            blank(r.start, r.end)
        elif kind == "alias":
            name = pos[node.name]
            blank(r.start, pos[node.value].start)
            text = node.name.value
            for k, ch in enumerate(text):  # the name onto the `type` keyword (it is shorter than `type X`)
                put(r.start.line, r.start.column + k, ch)
            # `=` back (it was blanked with the rest)
            after = pos[node.type_parameters].end if node.type_parameters is not None else name.end
            eq = _find(lines, after, "=")
            if eq is not None:
                put(eq[0], eq[1], "=")
        elif kind == "except":
            first = pos[node.elements[0].value]
            blank(first.end, r.end)
        elif kind == "string":
            own = [n for n in fields.get(id(node), [])]
            keep = [pos[f.expression] for f in own]
            blank(r.start, r.end, keep)
            put(r.start.line, r.start.column, "(")
            put(r.end.line, r.end.column - 1, ")")
            for k, f in enumerate(own):
                if k:
                    fr = pos[f]
                    put(fr.start.line, fr.start.column, ",")
    return "".join("".join(row) for row in cells)


def _before(a, b) -> bool:
    return (a.line, a.column) <= (b.line, b.column)


def _inside(line: int, col: int, r) -> bool:
    return (r.start.line, r.start.column) <= (line, col) < (r.end.line, r.end.column)


def _find(lines: list[str], start, char: str) -> Optional[tuple[int, int]]:
    ln, col = start.line, start.column
    while ln <= len(lines):
        k = lines[ln - 1].find(char, col)
        if k >= 0:
            return ln, k
        ln, col = ln + 1, 0
    return None
