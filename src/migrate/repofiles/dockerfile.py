"""Dockerfiles (``Dockerfile*``, ``*.Dockerfile``, ``Containerfile``).

RUN shell-form and exec-form commands, shell-form and exec-form CMD/ENTRYPOINT
(``ENTRYPOINT ["poetry"]`` + ``CMD ["run", "x"]`` → ``ENTRYPOINT ["uv"]``), ``COPY`` of the old
metadata/lock files, ``ENV`` Poetry/Pipenv variables. Instructions are found on logical lines
(backslash continuations); only the characters of a recognised command change."""

from __future__ import annotations

import json
import re

from migrate.repofiles.commands import Note, env_rename, translate_shell
from migrate.repofiles.edits import Edit, apply_edits

_INSTR = re.compile(r"^[ \t]*([A-Za-z]+)[ \t]+", re.M)


def instructions(text: str):
    """(keyword, body start, body end) per instruction, continuations joined."""
    out = []
    i = 0
    n = len(text)
    while i < n:
        e = text.find("\n", i)
        e = n if e < 0 else e
        line = text[i:e]
        if line.strip().startswith("#") or not line.strip():
            i = e + 1
            continue
        m = _INSTR.match(text, i)
        if not m or m.start() != i:
            i = e + 1
            continue
        start = m.end()
        j = i
        while True:
            e = text.find("\n", j)
            e = n if e < 0 else e
            seg = text[j:e].rstrip("\r")
            if seg.rstrip().endswith("\\") and e < n:
                j = e + 1
                continue
            break
        out.append((m.group(1).upper(), start, e))
        i = e + 1
    return out


def rewrite(text: str, info) -> tuple[str, list[Note]]:
    new, notes = _rewrite(text, info)
    if new != text:
        # installer variables (POETRY_VERSION, …) the rewritten commands no longer use
        again, more = _rewrite(new, info)
        for n in more:
            if n.code == "MIG315" and "dropped" in n.message:
                name = n.message.split()[1]
                n.offset = max(text.find(name), 0)
                notes.append(n)
                new = again
    return new, notes


def _rewrite(text: str, info) -> tuple[str, list[Note]]:
    edits: list[Edit] = []
    notes: list[Note] = []
    ins = instructions(text)
    system = bool(re.search(r"POETRY_VIRTUALENVS_CREATE[=\s]+['\"]?(false|0)", text, re.I)) or bool(
        re.search(r"virtualenvs\.create\s+false", text)
    )
    entry_tool = None
    for n, (kw, s, e) in enumerate(ins):
        body = text[s:e]
        if kw in ("RUN", "CMD", "ENTRYPOINT"):
            bs = s
            # RUN flags (--mount=…, --network=…)
            while kw == "RUN":
                m = re.match(r"--\S+[ \t]+", text[bs:e])
                if not m:
                    break
                bs += m.end()
            rest = text[bs:e]
            if rest.lstrip().startswith("["):
                _exec_form(text, kw, bs, e, info, edits, notes, ins, n)
                continue
            res = translate_shell(text, info, flavor="docker", start=bs, end=e, system_env=system)
            if res.uses_uv and bs > s:
                # RUN --mount=type=cache,target=/root/.cache/pypoetry → uv's cache folder
                for m in re.finditer(r"target=((?:/root|\$HOME|~)/\.cache/(?:pypoetry|pipenv))(?=[,\s])", text[s:bs]):
                    a = s + m.start(1)
                    edits.append(Edit(a, s + m.end(1), m.group(1).rsplit("/", 1)[0] + "/uv"))
                    notes.append(Note(a, "MIG314", f"cache mount {m.group(1)} → {m.group(1).rsplit('/', 1)[0]}/uv"))
            if res.text != text:
                tail = len(text) - e
                new = res.text[bs : len(res.text) - tail]
                if new.strip() == "true" and kw == "RUN":
                    # the instruction's only command is not needed any more: drop the instruction
                    ls = text.rfind("\n", 0, s) + 1
                    if e < len(text):
                        edits.append(Edit(ls, e + 1, ""))
                    else:
                        edits.append(Edit(max(ls - 1, 0), e, ""))
                else:
                    edits.append(Edit(bs, e, new))
            notes.extend(res.notes)
        elif kw in ("COPY", "ADD"):
            _copy(text, s, e, edits, notes)
        elif kw in ("ENV", "ARG"):
            _env(text, kw, s, e, info, edits, notes)
    del entry_tool
    new = apply_edits(text, edits)
    # $POETRY_CACHE_DIR etc. follow the renamed ENV/ARG (UV_CACHE_DIR, …)
    for n in notes:
        m = re.match(r"(?:ENV|ARG) ([A-Z0-9_]+) → ([A-Z0-9_]+)$", n.message)
        if m:
            new = re.sub(r"\$(\{?)" + m.group(1) + r"\b", lambda mm: "$" + mm.group(1) + m.group(2), new)
    return new, notes


def _copy(text, s, e, edits, notes):
    body = text[s:e]
    for m in re.finditer(r"(?<![\w./-])((?:[\w./-]*/)?)(poetry\.lock\*?|Pipfile\.lock\*?|Pipfile\*|Pipfile)(?![\w.*-])", body):
        old = m.group(2)
        prefix = m.group(1)
        if old.rstrip("*") in ("poetry.lock", "Pipfile.lock"):
            new = prefix + "uv.lock" + ("*" if old.endswith("*") else "")
        elif old == "Pipfile*":
            new = f"{prefix}pyproject.toml {prefix}uv.lock"
        else:  # Pipfile
            new = prefix + "pyproject.toml"
            if re.search(r"(?<![\w.-])" + re.escape(prefix) + r"pyproject\.toml(?![\w.-])", body):
                new = ""
        a, b = s + m.start(), s + m.end()
        if new == "":
            while a > s and text[a - 1] in " \t":
                a -= 1
        edits.append(Edit(a, b, new))
        notes.append(Note(s + m.start(), "MIG314", f"COPY {old} → {new or '(removed: pyproject.toml is copied already)'}"))


def _env(text, kw, s, e, info, edits, notes):
    body = text[s:e]
    for m in re.finditer(r"(?:(?<=\s)|^)([A-Za-z_][A-Za-z0-9_]*)(=|\s+)", body):
        name = m.group(1)
        if m.group(2) != "=" and m.start() != 0:
            continue
        new = env_rename(name, None, info, "docker")
        if new is None and name in ("POETRY_VERSION", "POETRY_HOME", "PIPENV_VERSION", "POETRY_VIRTUALENVS_CREATE"):
            rest = text[:s] + text[e:]
            if name == "POETRY_VIRTUALENVS_CREATE" or not re.search(rf"\${{?{name}\b", rest):
                new = ""
        if new is None:
            continue
        a = s + m.start()
        if new:
            edits.append(Edit(a, a + len(name), new))
            notes.append(Note(a, "MIG315", f"{kw} {name} → {new}"))
            continue
        if m.group(2) != "=":
            # `ENV NAME value`: the whole instruction
            ls = text.rfind("\n", 0, s) + 1
            le = text.find("\n", e)
            edits.append(Edit(ls, len(text) if le < 0 else le + 1, ""))
        else:
            # NAME=value (quoted or not) within `ENV A=1 B=2`
            vm = re.match(r'"(?:[^"\\]|\\.)*"|\'[^\']*\'|\S*', body[m.end():])
            b = s + m.end() + vm.end()
            pairs = re.findall(r"(?:(?<=\s)|^)[A-Za-z_][A-Za-z0-9_]*=", body)
            if len(pairs) == 1:
                ls = text.rfind("\n", 0, s) + 1
                le = text.find("\n", e)
                edits.append(Edit(ls, len(text) if le < 0 else le + 1, ""))
            else:
                # eat the following whitespace/continuation so the instruction stays well-formed;
                # the last pair takes the continuation before it instead
                if text[b:e].strip() == "":
                    pm = re.search(r"[ \t]*\\\r?\n[ \t]*$|[ \t]+$", text[s:a])
                    edits.append(Edit(s + pm.start() if pm else a, e, ""))
                else:
                    mm = re.match(r"[ \t]*(\\\r?\n[ \t]*)?", text[b:e])
                    edits.append(Edit(a, b + (mm.end() if mm else 0), ""))
        notes.append(Note(a, "MIG315", f"{kw} {name} dropped: not needed with uv"))


def _exec_form(text, kw, s, e, info, edits, notes, ins, n):
    raw = text[s:e]
    try:
        arr = json.loads(re.sub(r"\\\r?\n", " ", raw))
    except ValueError:
        return
    if not (isinstance(arr, list) and arr and all(isinstance(x, str) for x in arr)):
        return
    tool = arr[0].rsplit("/", 1)[-1]
    if tool not in ("poetry", "pipenv"):
        return
    if len(arr) == 1 and kw == "ENTRYPOINT":
        # ENTRYPOINT ["poetry"] + CMD ["run", …]: the CMD holds the sub-command
        cmd = next(((k, a, b) for k, a, b in ins[n + 1 :] if k == "CMD"), None)
        if cmd is not None:
            try:
                carr = json.loads(text[cmd[1] : cmd[2]])
            except ValueError:
                carr = None
            if isinstance(carr, list) and carr[:1] == ["run"]:
                edits.append(Edit(s, e, raw.replace(json.dumps(arr[0]), '"uv"', 1)))
                notes.append(Note(s, "MIG310", f'ENTRYPOINT ["{arr[0]}"] → ["uv"] (the CMD ["run", …] stays valid for uv run)'))
                return
        notes.append(Note(s, "MIG320", f"ENTRYPOINT [\"{arr[0]}\"]: the sub-command comes from elsewhere; left alone"))
        return
    import shlex

    res = translate_shell(shlex.join(arr), info, flavor="docker")
    if res.text == shlex.join(arr):
        for nt in res.notes:
            notes.append(Note(s, nt.code, nt.message))
        return
    try:
        new = shlex.split(res.text)
    except ValueError:
        return
    if any(x in ("|", "&&", ";") for x in new):
        notes.append(Note(s, "MIG321", f"{kw} exec form: the uv equivalent needs a shell; left alone"))
        return
    edits.append(Edit(s, e, json.dumps(new)))
    for nt in res.notes:
        notes.append(Note(s, nt.code, nt.message))
