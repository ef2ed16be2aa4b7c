"""``.github/dependabot.yml``: ``package-ecosystem: pip`` for the project's own directory → ``uv``.

Only the entry whose ``directory`` is the project root, or a sub-folder holding a Poetry/Pipenv/uv
project, changes; ``pip`` entries for other folders (docs/requirements.txt, constraints files) stay."""

from __future__ import annotations

import yaml

from migrate.repofiles.commands import Note
from migrate.repofiles.yamltext import YamlDoc, compose, get


def rewrite(text: str, info) -> tuple[str, list[Note]]:
    root = compose(text)
    doc = YamlDoc(text, info)
    updates = get(root, "updates")
    if not isinstance(updates, yaml.SequenceNode):
        return text, []
    for entry in updates.value:
        eco = get(entry, "ecosystem") or get(entry, "package-ecosystem")
        d = get(entry, "directory")
        dirs = [d] if isinstance(d, yaml.ScalarNode) else []
        if dirs == [] and isinstance(get(entry, "directories"), yaml.SequenceNode):
            dirs = get(entry, "directories").value
        if not (isinstance(eco, yaml.ScalarNode) and eco.value in ("pip", "pipenv", "poetry")):
            continue
        names = [str(x.value).strip() for x in dirs if isinstance(x, yaml.ScalarNode)]
        if names and all(n.rstrip("/") in ("", ".") or _is_project(info.root, n) for n in names):
            raw = text[eco.start_mark.index : eco.end_mark.index]
            doc.replace(eco.start_mark.index, eco.end_mark.index, raw.replace(str(eco.value), "uv"))
            doc.notes.append(Note(eco.start_mark.index, "MIG316", f"package-ecosystem {eco.value} → uv for the project root (uv.lock)"))
            vs = get(entry, "versioning-strategy")
            if isinstance(vs, yaml.ScalarNode) and vs.value not in ("auto", "lockfile-only", "increase", "increase-if-necessary"):
                doc.notes.append(Note(vs.start_mark.index, "MIG320", f"versioning-strategy {vs.value}: check that Dependabot's uv support accepts it"))
    return doc.result(), doc.notes


def _is_project(root, directory: str) -> bool:
    """A sub-folder that holds a Poetry, Pipenv or uv project (a monorepo member)."""
    from pathlib import Path

    d = Path(root) / directory.strip("/")
    if (d / "Pipfile").is_file() or (d / "poetry.lock").is_file() or (d / "uv.lock").is_file():
        return True
    try:
        text = (d / "pyproject.toml").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return "[tool.poetry" in text or "[tool.uv" in text
