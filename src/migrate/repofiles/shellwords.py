"""A small shell lexer that keeps source offsets.

Rewriting a command in place needs to know where each word *is* in the file, not only what it says
(``shlex`` gives the latter). :func:`commands` splits shell text into simple commands — at ``&&``,
``||``, ``;``, ``|``, ``&``, newlines, parentheses, and inside ``$(…)`` / backticks — and gives every
word its unquoted value and its ``[start, end)`` span in the original text. Quoting, backslash-newline
continuations, ``${…}`` (including GitHub's ``${{ … }}``) and comments are honoured; in ``make`` mode
``$(VAR)`` is a Make variable reference and ``$$`` a literal ``$``.

Anything the lexer does not understand (an unterminated quote, a heredoc) makes :func:`commands` raise
:class:`ShellSyntax`; callers then leave the text alone and report it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import re

_REDIRECT = re.compile(r"(?:\d*(?:>>|>&|<&|>\||<>|>|<)|&>>|&>)(?:\d+|-)?(?=[^\d]|$)")
_HEREDOC = re.compile(r"<<(-?)[ \t]*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\2")
OPERATORS = ("&&", "||", ";;", ";", "|&", "|", "&", "(", ")", "\n")
REDIRECT_CHARS = "<>"


class ShellSyntax(ValueError):
    pass


@dataclass
class Word:
    value: str  # unquoted (variables left as written)
    start: int
    end: int
    #: a redirection operator (``>``, ``2>&1``, ``<``…); its target is the next word
    redirect: bool = False

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Word({self.value!r}@{self.start}:{self.end})"


@dataclass
class Command:
    words: list[Word] = field(default_factory=list)
    #: the operator that ended this command ("" at the end of the text)
    sep: str = ""
    sep_start: int = -1
    sep_end: int = -1
    #: nesting depth: 0 top level, >0 inside $(…) or backticks
    depth: int = 0

    @property
    def start(self) -> int:
        return self.words[0].start

    @property
    def end(self) -> int:
        return self.words[-1].end

    def values(self) -> list[str]:
        return [w.value for w in self.words]


def commands(
    text: str, *, make: bool = False, start: int = 0, end: int | None = None, newline_space: bool = False
) -> list[Command]:
    """Every simple command in ``text[start:end]`` (nested substitutions included, after their parent).

    ``newline_space``: line breaks are spaces (a folded or plain multi-line YAML scalar)."""
    lexer = _Lexer(text, make)
    lexer.nl_space = newline_space
    out: list[Command] = []
    lexer.run(start, len(text) if end is None else end, 0, out, closer=None)
    return out


class _Lexer:
    def __init__(self, text: str, make: bool) -> None:
        self.t = text
        self.make = make
        self.nl_space = False
        self.pending: list[tuple[str, bool]] = []

    def run(self, i: int, end: int, depth: int, out: list[Command], closer: str | None) -> int:
        """Lex from ``i`` until ``end`` or the ``closer`` (")" or "`"); return the index after it."""
        t = self.t
        cur = Command(depth=depth)
        nested: list[Command] = []
        paren = 0

        def finish(sep: str, s: int, e: int) -> None:
            nonlocal cur
            if cur.words:
                cur.sep, cur.sep_start, cur.sep_end = sep, s, e
                out.append(cur)
            out.extend(nested)
            nested.clear()
            cur = Command(depth=depth)

        while i < end:
            c = t[i]
            if closer == "`" and c == "`":
                finish("", i, i)
                return i + 1
            if closer == ")" and c == ")" and paren == 0:
                finish("", i, i)
                return i + 1
            if c == "\\" and t.startswith("\n", i + 1):
                i += 2
                continue
            if c == "\\" and t.startswith("\r\n", i + 1):
                i += 3
                continue
            if c in " \t\r" or (c == "\n" and self.nl_space):
                i += 1
                continue
            if c == "#":
                while i < end and t[i] != "\n":
                    i += 1
                continue
            if t.startswith("<<", i) and not t.startswith("<<<", i):
                m = _HEREDOC.match(t, i)
                if not m or self.nl_space:
                    raise ShellSyntax("heredoc")
                self.pending.append((m.group(3), bool(m.group(1))))
                cur.words.append(Word(m.group(0), i, m.end(), redirect=True))
                i = m.end()
                continue
            m = _REDIRECT.match(t, i)
            if m:
                cur.words.append(Word(m.group(0), i, m.end(), redirect=True))
                i = m.end()
                continue
            op = next((o for o in OPERATORS if t.startswith(o, i)), None)
            if op is not None:
                if op == "(":
                    paren += 1
                elif op == ")":
                    paren -= 1
                finish(op, i, i + len(op))
                i += len(op)
                if op == "\n" and self.pending:
                    i = self._skip_heredocs(i, end)
                continue
            i = self.word(i, end, depth, cur, nested, closer)
        finish("", end, end)
        if closer is not None:
            raise ShellSyntax(f"unterminated {closer!r}")
        return end

    def _skip_heredocs(self, i: int, end: int) -> int:
        """Skip the bodies of the heredocs opened on the line just ended (their text is data)."""
        t = self.t
        while self.pending:
            delim, dash = self.pending.pop(0)
            while True:
                if i >= end:
                    raise ShellSyntax(f"unterminated heredoc {delim!r}")
                e = t.find("\n", i, end)
                e = end if e < 0 else e
                line = t[i:e].rstrip("\r")
                i = e + 1
                if (line.lstrip("\t") if dash else line) == delim:
                    break
        return min(i, end)

    def word(self, i: int, end: int, depth: int, cur: Command, nested: list[Command], closer: str | None = None) -> int:
        t = self.t
        start = i
        val: list[str] = []
        while i < end:
            c = t[i]
            if c in " \t\r\n;&|()<>" or (c == "`"):
                if c == "`" and closer == "`":
                    break
                if c == "`":
                    j = self.run(i + 1, end, depth + 1, nested, closer="`")
                    val.append(t[i:j])
                    i = j
                    continue
                break
            if c == "\\":
                if t.startswith("\n", i + 1):
                    i += 2
                    continue
                if t.startswith("\r\n", i + 1):
                    i += 3
                    continue
                val.append(t[i + 1 : i + 2])
                i += 2
                continue
            if c == "'":
                j = t.find("'", i + 1, end)
                if j < 0:
                    raise ShellSyntax("unterminated single quote")
                val.append(t[i + 1 : j])
                i = j + 1
                continue
            if c == '"':
                i = self.dquote(i + 1, end, depth, val, nested)
                continue
            if c == "$":
                i = self.dollar(i, end, depth, val, nested)
                continue
            val.append(c)
            i += 1
        cur.words.append(Word("".join(val), start, i))
        return i

    def dquote(self, i: int, end: int, depth: int, val: list[str], nested: list[Command]) -> int:
        t = self.t
        while i < end:
            c = t[i]
            if c == '"':
                return i + 1
            if c == "\\" and i + 1 < end:
                nxt = t[i + 1]
                if nxt == "\n":
                    i += 2
                    continue
                val.append(nxt if nxt in '$`"\\' else c + nxt)
                i += 2
                continue
            if c == "$":
                i = self.dollar(i, end, depth, val, nested)
                continue
            if c == "`":
                j = self.run(i + 1, end, depth + 1, nested, closer="`")
                val.append(t[i:j])
                i = j
                continue
            val.append(c)
            i += 1
        raise ShellSyntax("unterminated double quote")

    def dollar(self, i: int, end: int, depth: int, val: list[str], nested: list[Command]) -> int:
        t = self.t
        if self.make:
            if t.startswith("$$", i):
                # a literal $ for the shell: $$( … ) is a shell command substitution
                if t.startswith("$$(", i) and not t.startswith("$$((", i):
                    j = self.run(i + 3, end, depth + 1, nested, closer=")")
                    val.append(t[i:j])
                    return j
                val.append("$")
                return i + 2
            if t.startswith("$(shell ", i) or t.startswith("${shell ", i):
                # Make's $(shell …): its text is a shell command line
                j = _balanced(t, i + 1, end)
                nested.extend(commands(t, make=True, start=i + 8, end=j - 1))
                val.append(t[i:j])
                return j
            if t.startswith("$(", i) or t.startswith("${", i):
                j = _balanced(t, i + 1, end)
                val.append(t[i:j])
                return j
            val.append(t[i : i + 2])
            return i + 2
        if t.startswith("$((", i):
            j = _balanced(t, i + 1, end)
            val.append(t[i:j])
            return j
        if t.startswith("$(", i):
            j = self.run(i + 2, end, depth + 1, nested, closer=")")
            val.append(t[i:j])
            return j
        if t.startswith("${", i):
            j = _balanced(t, i + 1, end)
            val.append(t[i:j])
            return j
        val.append("$")
        return i + 1


def _balanced(t: str, i: int, end: int) -> int:
    """``t[i]`` is an opening ( or {; return the index after its match."""
    open_, close = t[i], ")" if t[i] == "(" else "}"
    level = 0
    while i < end:
        if t[i] == open_:
            level += 1
        elif t[i] == close:
            level -= 1
            if level == 0:
                return i + 1
        i += 1
    raise ShellSyntax(f"unbalanced {open_!r}")


def quote(word: str) -> str:
    """Quote a word for the shell only when it needs it."""
    import shlex

    if word and all(ch.isalnum() or ch in "@%+=:,./-_$[]{}" for ch in word):
        return word
    return shlex.quote(word)
