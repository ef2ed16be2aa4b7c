"""Makefiles: recipe lines (tab-indented, backslash continuations) and variables that hold an
invocation (``POETRY ?= poetry`` used as ``$(POETRY) run …``; ``run := poetry run``)."""

from __future__ import annotations

import re

from migrate.repofiles.commands import Note, translate_shell
from migrate.repofiles.edits import Edit, apply_edits

_ASSIGN = re.compile(r"^(?:(?:export|override)\s+)*([A-Za-z_][A-Za-z0-9_.-]*)\s*(\?=|:=|::=|\+=|=|!=)[ \t]*(.*?)[ \t]*$")


def _logical_lines(text: str):
    i, n = 0, len(text)
    while i < n:
        j = i
        while True:
            e = text.find("\n", j)
            e = n if e < 0 else e
            if text[j:e].rstrip("\r").endswith("\\") and e < n:
                j = e + 1
                continue
            break
        yield i, e
        i = e + 1


def rewrite(text: str, info) -> tuple[str, list[Note]]:
    aliases: dict[str, str] = {}
    lines = list(_logical_lines(text))
    for s, e in lines:
        line = text[s:e]
        if line.startswith("\t"):
            continue
        m = _ASSIGN.match(line.rstrip("\r"))
        lookup = re.fullmatch(r"\$[({]shell\s+(?:command\s+-v|which)\s+(poetry|pipenv)\b[^)}]*[)}]", m.group(3)) if m else None
        if lookup and m.group(2) != "!=":
            aliases[f"$({m.group(1)})"] = lookup.group(1)
            aliases[f"${{{m.group(1)}}}"] = lookup.group(1)
            continue
        if m and m.group(3) in ("poetry", "pipenv") and m.group(2) != "!=":
            aliases[f"$({m.group(1)})"] = m.group(3)
            aliases[f"${{{m.group(1)}}}"] = m.group(3)
    new, notes = _pass(text, info, lines, aliases, keep_alias=True)
    if aliases and any(n.code in ("MIG320", "MIG321") and any(a in n.message for a in aliases) for n in notes):
        new, notes = _pass(text, info, lines, aliases, keep_alias=False)
    return new, notes


def _pass(text, info, lines, aliases, keep_alias):
    edits: list[Edit] = []
    notes: list[Note] = []
    for s, e in lines:
        line = text[s:e]
        if line.startswith("\t"):
            b = s + 1
            while b < e and text[b] in "@-+":  # recipe prefixes: silent, ignore errors, always run
                b += 1
            res = translate_shell(text, info, flavor="make", make=True, aliases=aliases, start=b, end=e,
                                  keep_alias=keep_alias)
            _collect(text, res, b, e, edits, notes)
            if edits and edits[-1].start == b and edits[-1].text.strip() in ("", "true", "@true", "@"):
                # the recipe line's only command is not needed any more: remove the line
                edits[-1] = Edit(s, min(e + 1, len(text)), "")
            continue
        if line.lstrip().startswith("#"):
            continue
        m = _ASSIGN.match(line.rstrip("\r"))
        if not m:
            continue
        name, op, value = m.groups()
        vs = s + m.start(3)
        ve = s + m.end(3)
        if value in ("poetry", "pipenv"):
            if keep_alias:
                edits.append(Edit(vs, ve, "uv"))
                notes.append(Note(vs, "MIG310", f"{name} = {value} → uv (every $({name}) command is rewritten below)"))
            continue
        if re.fullmatch(r"\$[({]shell\s+(?:command\s+-v|which)\s+(poetry|pipenv)\b[^)}]*[)}]", value):
            if keep_alias:
                t = re.search(r"\b(poetry|pipenv)\b", value)
                edits.append(Edit(vs + t.start(), vs + t.end(), "uv"))
                notes.append(Note(vs, "MIG310", f"{name}: looks up uv instead of {t.group(1)} (every $({name}) command is rewritten below)"))
            continue
        if "$(shell " in value or "${shell " in value:
            res = translate_shell(text, info, flavor="make", make=True, aliases=aliases, start=vs, end=ve)
            _collect(text, res, vs, ve, edits, notes)
            continue
        if re.match(r"(poetry|pipenv)\s", value):
            # a command prefix held in a variable: translate it as a command
            res = translate_shell(text, info, flavor="make", make=True, aliases=aliases, start=vs, end=ve, prefix=True)
            _collect(text, res, vs, ve, edits, notes)
    return apply_edits(text, edits), notes


def _collect(text, res, s, e, edits, notes):
    if res.text != text:
        tail = len(text) - e
        edits.append(Edit(s, e, res.text[s : len(res.text) - tail]))
    notes.extend(res.notes)
