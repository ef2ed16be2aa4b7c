"""What every rule is: a stable code, a one-line message, examples, and a check on one statement."""

from __future__ import annotations

import ast
import textwrap
from typing import ClassVar

from codemods._analysis import Finding, FunctionContext


def src(text: str) -> str:
    """A table example: dedented, without the leading newline."""
    return textwrap.dedent(text).lstrip("\n")


class Rule:
    CODE: ClassVar[str]
    MESSAGE: ClassVar[str]
    #: how the fix works: "lock", "double-checked", "pop" (or "setdefault", per finding) — or None: reported.
    #: ``codemods._plan`` may change it per finding ("publish", or a whole-check "lock") or turn it off
    FIX: ClassVar[str | None]
    #: code that must not be reported
    VALID: ClassVar[list[str]]
    #: (code, expected code after --fix, or None when the rule only reports)
    INVALID: ClassVar[list[tuple[str, str | None]]]
    #: code reported as a note (severity "info", never fixed): equal-value memoisation and the like
    INFO: ClassVar[list[str]] = []

    def check(self, body: list[ast.stmt], i: int, ctx: FunctionContext) -> Finding | None:
        raise NotImplementedError

    def finding(self, node: ast.stmt, state: str, *, span: tuple[int, int] | None = None, calls: bool = False,
                owner: str | None = None, fixable: bool = True, fix: str | None = None,
                severity: str = "warning", **fmt: str) -> Finding:
        return Finding(
            code=self.CODE,
            message=self.MESSAGE.format(state=state, **{"message_suffix": "", **fmt}),
            line=node.lineno,
            column=node.col_offset + 1,
            state=state,
            fixable=self.FIX is not None and fixable and severity != "info",
            span=span or (node.lineno, node.end_lineno or node.lineno),
            fix=fix or self.FIX,
            calls=calls,
            owner=owner,
            end_line=node.end_lineno,
            severity=severity,
        )
