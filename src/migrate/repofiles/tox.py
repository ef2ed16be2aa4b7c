"""tox.ini: ``commands``/``commands_pre``/``commands_post`` lines and ``allowlist_externals``.

tox runs each command line itself (no shell), inside its own environment; Poetry installed into
that active environment, so the uv commands get ``--active`` (uv otherwise uses the project's .venv)."""

from __future__ import annotations

import re

from migrate.repofiles.commands import Note, translate_shell
from migrate.repofiles.edits import Edit, apply_edits

CMD_KEYS = {"commands", "commands_pre", "commands_post"}
EXT_KEYS = {"allowlist_externals", "whitelist_externals"}


def rewrite(text: str, info) -> tuple[str, list[Note]]:
    edits: list[Edit] = []
    notes: list[Note] = []
    tool_deps: list[tuple[int, int, str]] = []
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
        elif key == "deps":
            m = re.fullmatch(r"(poetry|pipenv)\s*(?:[=<>!~]=?\s*[\w.*]+\s*,?\s*)*", text[vs:e].strip())
            if m:
                tool_deps.append((vs, e, m.group(1)))
    if tool_deps and any(n.code in ("MIG310", "MIG313") for n in notes):
        # the tool tox installed into its environment for the commands: now uv
        for vs, e, tool in tool_deps:
            edits.append(Edit(vs, e, "uv"))
            notes.append(Note(vs, "MIG311", f"deps: {tool} → uv (the commands of this tox env now run uv)"))
    return apply_edits(text, edits), notes


def rewrite_pyproject(text: str, info) -> tuple[str, list[Note]]:
    """tox configured in pyproject.toml: ``legacy_tox_ini = '''…'''`` (an INI string) or the native
    ``[tool.tox]`` tables (``commands = [["poetry", "run", "pytest"]]``)."""
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return text, []
    tox = data.get("tool", {}).get("tox") if isinstance(data.get("tool"), dict) else None
    if not isinstance(tox, dict):
        return text, []
    m = re.search(r"legacy_tox_ini\s*=\s*('''|\"\"\")", text)
    if m:
        q = m.group(1)
        start = m.end()
        end = text.find(q, start)
        inner = text[start:end]
        if end < 0 or (q == '"""' and "\\" in inner):
            return text, [Note(m.start(), "MIG321", "legacy_tox_ini with escapes: not rewritten; check it by hand")]
        new_inner, notes = rewrite(inner, info)
        for n in notes:
            n.offset += start
        return text[:start] + new_inner + text[end:], notes
    return _native(text, info)


def _native(text: str, info) -> tuple[str, list[Note]]:
    import shlex

    import tomlkit

    doc = tomlkit.parse(text)
    notes: list[Note] = []
    changed = False

    def visit(table, path):
        nonlocal changed
        for key in list(table.keys()):
            val = table[key]
            if isinstance(val, dict):
                visit(val, path + (key,))
            elif key in CMD_KEYS and isinstance(val, list):
                for i, cmd in enumerate(val):
                    if not (isinstance(cmd, list) and cmd and all(isinstance(x, str) for x in cmd)):
                        continue
                    line = shlex.join(str(x) for x in cmd)
                    res = translate_shell(line, info, flavor="tox")
                    where = ".".join(path + (key,))
                    for n in res.notes:
                        notes.append(Note(_offset(text, where), n.code, f"{where}: {n.message}"))
                    if res.text != line:
                        words = shlex.split(res.text)
                        if any(w in ("|", "&&", ";") for w in words):
                            notes.append(Note(_offset(text, where), "MIG321", f"{where}: the uv equivalent needs a shell; left alone"))
                            continue
                        arr = tomlkit.array()
                        arr.extend(words)
                        val[i] = arr
                        changed = True
            elif key in EXT_KEYS and isinstance(val, list):
                for i, x in enumerate(val):
                    if str(x) in ("poetry", "pipenv"):
                        val[i] = "uv"
                        changed = True
                        notes.append(Note(_offset(text, ".".join(path + (key,))), "MIG310", f"{key}: {x} → uv"))

    tool = doc.get("tool", {})
    if "tox" in tool:
        visit(tool["tox"], ("tool", "tox"))
    return (tomlkit.dumps(doc) if changed else text), notes


def _offset(text: str, dotted: str) -> int:
    """Best-effort position of a table key for line numbers."""
    parts = dotted.split(".")
    header = ".".join(parts[:-1])
    i = text.find(f"[{header}]")
    m = re.compile(rf"(?m)^\s*{re.escape(parts[-1])}\s*=").search(text, max(i, 0))
    return m.start() + (len(m.group(0)) - len(m.group(0).lstrip())) if m else max(i, 0)
