"""A dependency the index does not have, but the repository does: say where it is.

Monorepos often require their own packages by version (flet: ``flet-cli = "0.1.0"``, a placeholder set
at release) and provide them as path dependencies only from the repository's root project. Migrating one
package alone then fails with "there is no version of flet-cli==0.1.0"; uv's reason stands, and the hint
names the project in the repository that has that name (and version): lock the folder that uses it as
a path dependency, or add it as a path source.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from packaging.utils import canonicalize_name

_NO_VERSION = re.compile(r"there is no version of (?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s,]+)")
_NOT_FOUND = re.compile(r"(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*) was not found in the (?:package registry|provided package locations)")
_SKIP = {".git", ".venv", "venv", "node_modules", ".tox", ".nox", "build", "dist", "__pycache__", ".migrate"}


def _name_version(pyproject: Path) -> tuple[str | None, str | None]:
    import tomllib

    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8", errors="replace"))
    except (OSError, ValueError):
        return None, None
    for table in (data.get("project"), data.get("tool", {}).get("poetry")):
        if isinstance(table, dict) and isinstance(table.get("name"), str):
            version = table.get("version")
            return table["name"], version if isinstance(version, str) else None
    return None, None


def _projects(top: Path, depth: int = 4):
    for folder, dirs, files in os.walk(top):
        rel = Path(folder).relative_to(top)
        dirs[:] = [d for d in dirs if d not in _SKIP and not d.startswith(".")] if len(rel.parts) < depth else []
        if "pyproject.toml" in files:
            yield Path(folder)


_CONFLICTING_URLS = re.compile(r"conflicting URLs for package `(?P<name>[^`]+)`")
_URL_LINE = re.compile(r"^\s*-\s*(?P<url>file://\S+)(?P<editable>\s+\(editable\))?\s*$", re.M)


def editable_conflict_hint(stderr: str) -> str | None:
    """uv cannot use one local folder both editable and not (Poetry could): the root project pulls a member in
    with ``develop = true`` and another member has it as a plain path dependency (adriangb/python-monorepo).
    A uv workspace makes every member editable."""
    m = _CONFLICTING_URLS.search(stderr or "")
    if not m:
        return None
    urls = [(u.group("url"), bool(u.group("editable"))) for u in _URL_LINE.finditer(stderr[m.end():])]
    if not ({e for _, e in urls} == {True, False} and len({u for u, _ in urls}) == 1):
        return None
    return (f"{m.group('name')} is a path dependency here editable and elsewhere not, which uv cannot install "
            f"together: migrate the repository as one uv workspace (`migrate batch REPO --workspace`), or make "
            f"every path source of {m.group('name')} say the same `editable`")


def sibling_hint(stderr: str, root: Path) -> str | None:
    """A hint naming the project in ``root``'s repository that uv's missing requirement refers to."""
    conflict = editable_conflict_hint(stderr)
    if conflict:
        return conflict
    m = _NO_VERSION.search(stderr or "") or _NOT_FOUND.search(stderr or "")
    if not m:
        return None
    from migrate.lock.vcs import repository_git

    root = Path(root).resolve()
    git = repository_git(root)
    top = git.parent if git is not None else root.parent.parent
    want, version = canonicalize_name(m.group("name")), m.groupdict().get("version")
    for folder in _projects(top):
        if folder == root:
            continue
        name, have = _name_version(folder / "pyproject.toml")
        if name and canonicalize_name(name) == want and (version is None or have == version):
            rel = os.path.relpath(folder, root)
            what = f"{m.group('name')}=={version}" if version else m.group("name")
            return (f"{what} is not on the index, but {rel} is that project: lock the project that has it as a "
                    f"path dependency, or add `{name} = {{ path = \"{rel}\", editable = true }}` under "
                    f"[tool.uv.sources]")
    return None
