"""tox.ini: ``commands``/``commands_pre``/``commands_post`` lines and ``allowlist_externals``.

tox runs each command line itself (no shell), inside its own environment; Poetry installed into
that active environment, so the uv commands get ``--active`` (uv otherwise uses the project's .venv)."""

from __future__ import annotations

import re

from migrate.repofiles.commands import Note, translate_shell
from migrate.repofiles.yamltext import Edit, apply_edits

CMD_KEYS = {"commands", "commands_pre", "commands_post"}
EXT_KEYS = {"allowlist_externals", "whitelist_externals"}


def rewrite(text: str, info) -> tuple[str, list[Note]]:
    edits: list[Edit] = []
    notes: list[Note] = []
    key = None
    pos = 0
    for line in text.splitlines(keepends=True):
        s, e = pos, pos + len(line.rstrip("\r\n"))
        pos += len(line)
        body = line.rstrip("\r\n")
        if body.startswith("["):
            key = None
            if re.match(r"\[tox:?\]|\[tox\]", body) is None and "poetry" in body and "testenv" not in body:
                pass
            continue
        if not body.strip() or body.lstrip().startswith(("#", ";")):
            continue
        m = re.match(r"^([A-Za-z_][\w-]*)\s*[=:]\s*(.*)$", body)
        if m and not body[0].isspace():
            key = m.group(1)
            vs = s + m.start(2)
        elif body[0].isspace() and key:
            vs = s + len(body) - len(body.lstrip())
        else:
            key = None
            continue
        if vs >= e:
            continue
        if key in EXT_KEYS:
            for w in re.finditer(r"(?<![\w./{-])(poetry|pipenv)(?![\w.-])", text[vs:e]):
                edits.append(Edit(vs + w.start(), vs + w.end(), "uv"))
                notes.append(Note(vs + w.start(), "MIG310", f"{key}: {w.group(1)} → uv"))
        elif key in CMD_KEYS:
            res = translate_shell(text, info, flavor="tox", start=vs, end=e)
            if res.text != text:
                tail = len(text) - e
                edits.append(Edit(vs, e, res.text[vs : len(res.text) - tail]))
            notes.extend(res.notes)
        elif key in ("deps", "requires") and re.search(r"\btox-(poetry|pipenv)|tox-poetry-installer", text[vs:e]):
            notes.append(Note(vs, "MIG323", "tox plugin for Poetry/Pipenv: no uv equivalent in uv's docs (tox-uv is a third-party plugin); left alone"))
    return apply_edits(text, edits), notes
