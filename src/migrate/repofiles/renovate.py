"""Renovate config: the ``poetry``/``pipenv`` managers → ``pep621`` (reads [project], updates uv.lock).

The file may be JSON5 (comments, trailing commas), so only the quoted manager names inside
``enabledManagers`` / ``matchManagers`` arrays are edited, in place."""

from __future__ import annotations

import re

from migrate.repofiles.commands import Note

_ARRAY = re.compile(r'("?(enabledManagers|matchManagers)"?\s*:\s*\[)([^\]]*)\]')


def rewrite(text: str, info) -> tuple[str, list[Note]]:
    notes: list[Note] = []
    out = []
    pos = 0
    for m in _ARRAY.finditer(text):
        body = m.group(3)
        names = re.findall(r'["\']([^"\']+)["\']', body)
        new_body = body
        if any(n in ("poetry", "pipenv") for n in names):
            has = "pep621" in names
            def sub(mm, _has=[has]):
                if _has[0]:
                    return mm.group(0)  # keep the array valid: drop handled below
                _has[0] = True
                return f"{mm.group(1)}pep621{mm.group(1)}"
            new_body = re.sub(r'(["\'])(?:poetry|pipenv)\1', sub, body)
            # a second old manager (or pep621 already there): remove that element with its comma
            new_body = re.sub(r'\s*(["\'])(?:poetry|pipenv)\1\s*,', "", new_body)
            new_body = re.sub(r',\s*(["\'])(?:poetry|pipenv)\1', "", new_body)
            notes.append(Note(m.start(), "MIG316", f"{m.group(2)}: poetry/pipenv manager → pep621 (Renovate's manager for [project] and uv.lock)"))
        out.append(text[pos : m.start(3)] + new_body)
        pos = m.end(3)
    out.append(text[pos:])
    return "".join(out), notes
