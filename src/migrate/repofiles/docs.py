"""README / CONTRIBUTING / docs: command snippets in Markdown fences and reST code blocks.

Only code blocks whose language is a shell (or none, or console with ``$`` prompts) are read; prose,
links and history stay. A snippet that installs *this* project's dependencies or runs its tools is an
instruction for working on this repository and is rewritten; ``poetry add X`` / ``pipenv install X``
tell users of other projects how to add a library and stay (reported as MIG324)."""

from __future__ import annotations

import re

from migrate.repofiles.commands import Note, translate_shell
from migrate.repofiles.edits import Edit, apply_edits

SHELL_LANGS = {"", "sh", "bash", "shell", "console", "zsh", "shell-session", "shellsession", "text", "none"}
PROMPT = re.compile(r"^([ \t]*(?:\$|>|%|❯|➜|λ|\(\.?venv\)\s*\$)[ \t]+)")


def _blocks_md(text: str):
    fence = re.compile(r"^([ \t]*)(```+|~~~+)[ \t]*([\w+-]*)[^\n]*\n", re.M)
    pos = 0
    while True:
        m = fence.search(text, pos)
        if not m:
            return
        close = re.compile(r"^[ \t]*" + re.escape(m.group(2)) + r"[ \t]*$", re.M)
        c = close.search(text, m.end())
        if not c:
            return
        yield m.group(3).lower(), m.end(), c.start()
        pos = c.end()


def _blocks_rst(text: str):
    lines = text.splitlines(keepends=True)
    offs = []
    o = 0
    for l in lines:
        offs.append(o)
        o += len(l)
    i = 0
    while i < len(lines):
        l = lines[i]
        m = re.match(r"^([ \t]*)\.\. (?:code-block|code|sourcecode)::[ \t]*([\w+-]*)", l)
        lit = l.rstrip().endswith("::") and not l.lstrip().startswith("..")
        if m or lit:
            lang = m.group(2).lower() if m else ""
            base = len(l) - len(l.lstrip())
            j = i + 1
            while j < len(lines) and (not lines[j].strip() or (len(lines[j]) - len(lines[j].lstrip()) > base and lines[j].lstrip().startswith(":"))):
                j += 1
            k = j
            while k < len(lines) and (not lines[k].strip() or len(lines[k]) - len(lines[k].lstrip()) > base):
                k += 1
            if j < k:
                yield lang, offs[j], offs[k] if k < len(lines) else len(text)
            i = k
            continue
        i += 1


def rewrite(text: str, info, rst: bool = False) -> tuple[str, list[Note]]:
    edits: list[Edit] = []
    notes: list[Note] = []
    for lang, s, e in (_blocks_rst(text) if rst else _blocks_md(text)):
        if lang not in SHELL_LANGS:
            continue
        block = text[s:e]
        prompted = any(PROMPT.match(l) for l in block.splitlines())
        pos = s
        for line in block.splitlines(keepends=True):
            ls, le = pos, pos + len(line.rstrip("\r\n"))
            pos += len(line)
            if prompted:
                m = PROMPT.match(line)
                if not m:
                    continue  # output of a command
                ls += m.end()
            res = translate_shell(text, info, flavor="docs", start=ls, end=le)
            if res.text != text:
                tail = len(text) - le
                edits.append(Edit(ls, le, res.text[ls : len(res.text) - tail]))
            notes.extend(res.notes)
    return apply_edits(text, edits), notes
