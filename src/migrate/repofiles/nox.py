"""``noxfile.py``: Python code, so only reported (MIG322) — nox-poetry sessions and Poetry calls."""

from __future__ import annotations

import re

from migrate.repofiles.commands import Note


def rewrite(text: str, info) -> tuple[str, list[Note]]:
    notes: list[Note] = []
    for m in re.finditer(r"^[ \t]*(from nox_poetry import[^\n]*|import nox_poetry[^\n]*)", text, re.M):
        notes.append(Note(m.start(1), "MIG322",
                          "nox-poetry sessions: use plain nox sessions that run "
                          "`session.run_install(\"uv\", \"sync\", \"--locked\", env={\"UV_PROJECT_ENVIRONMENT\": session.virtualenv.location})` "
                          "(or nox's venv_backend=\"uv\"); left alone"))
    for m in re.finditer(r"""session\.run(?:_always|_install)?\(\s*["'](poetry|pipenv)["']""", text):
        notes.append(Note(m.start(), "MIG322", f"session runs {m.group(1)}: run uv instead (see MAPPING); left alone"))
    return text, notes
