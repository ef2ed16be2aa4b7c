"""Which tool does a project use? (``poetry`` | ``pipenv``), and loading its files safely."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from migrate.diagnostics import MigrateError


def read_text(path: Path) -> str:
    """Read a UTF-8 text file, turning every failure into a MigrateError naming the file."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise MigrateError("file not found", path=path) from None
    except IsADirectoryError:
        raise MigrateError("is a directory, expected a file", path=path) from None
    except PermissionError:
        raise MigrateError("cannot read the file (permission denied)", path=path, hint="check its permissions") from None
    except OSError as exc:
        raise MigrateError(f"cannot read the file: {exc.strerror}", path=path) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise MigrateError(
            "not valid UTF-8", path=path, line=line, column=col, hint="save the file as UTF-8"
        ) from None


#: the last tomlkit document parsed per file, handed once to the writer so it need not parse again
_PARSED: dict[Path, tuple[str, object]] = {}


def take_parsed(path: Path, text: str):
    """The document :func:`load_toml` parsed from exactly ``text`` at ``path`` (once), else None."""
    key = Path(path).resolve()
    cached = _PARSED.pop(key, None)
    if cached is not None and cached[0] == text:
        return cached[1]
    return None


def load_toml(path: Path):
    """Parse a TOML file with tomlkit (comments kept). Errors name the file, line and column.

    Callers must not modify the returned document (the writer may take it over)."""
    import tomlkit
    from tomlkit.exceptions import ParseError

    text = read_text(path)
    try:
        doc = tomlkit.parse(text)
        _PARSED[Path(path).resolve()] = (text, doc)
        return doc
    except ParseError as exc:
        raise MigrateError(
            f"invalid TOML: {_toml_reason(exc)}", path=path, line=exc.line, column=exc.col
        ) from None
    except Exception as exc:  # tomlkit raises a few non-ParseError errors on odd input
        raise MigrateError(f"invalid TOML: {exc}", path=path) from None


def load_toml_fast(path: Path, display: str | None = None) -> dict:
    """Parse a TOML file into plain dicts with tomllib (about 10x faster than tomlkit; no comments).

    Errors name ``display`` (default: the path as given)."""
    import re
    import tomllib

    text = read_text(path)
    path = display or path
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
        reason = msg[: m.start()].strip() if m else msg
        raise MigrateError(
            f"invalid TOML: {reason}",
            path=path,
            line=int(m.group(1)) if m else None,
            column=int(m.group(2)) if m else None,
        ) from None


def _toml_reason(exc: Exception) -> str:
    text = str(exc)
    # tomlkit appends " at line L col C"; we print those ourselves
    cut = text.rfind(" at line ")
    return text[:cut] if cut > 0 else text


def is_poetry_pyproject(doc: Any) -> bool:
    tool = doc.get("tool") if hasattr(doc, "get") else None
    return isinstance(tool, dict) and isinstance(tool.get("poetry"), dict) and _poetry_has_metadata(tool["poetry"], doc)


def _poetry_has_metadata(poetry: dict, doc: Any) -> bool:
    """A [tool.poetry] table that still carries something to migrate (not only settings)."""
    meaningful = {
        "name", "version", "description", "dependencies", "dev-dependencies", "group", "extras",
        "scripts", "plugins", "packages", "source", "authors", "readme", "license", "urls",
        "include", "exclude", "homepage", "repository", "documentation", "keywords", "classifiers",
        "maintainers", "package-mode",
    }
    return any(k in poetry for k in meaningful)


def detect(path: Path) -> str:
    """Return ``"poetry"``, ``"pipenv"`` or ``"migrated"`` (already PEP 621, nothing left to move)
    for the project at ``path``, or raise MigrateError."""
    path = Path(path)
    if not path.exists():
        raise MigrateError("path does not exist", path=path)
    if path.is_file():
        if path.name in ("pyproject.toml", "Pipfile"):
            raise MigrateError("expected the project folder, not a file", path=path, hint=f"pass {path.parent or '.'}")
        raise MigrateError("not a project folder", path=path)
    if not os.access(path, os.R_OK | os.X_OK):
        raise MigrateError("cannot read the folder (permission denied)", path=path)
    pyproject = path / "pyproject.toml"
    if pyproject.is_file():
        doc = load_toml_fast(pyproject, display="pyproject.toml")
        if is_poetry_pyproject(doc):
            return "poetry"
    if (path / "Pipfile").is_file():
        return "pipenv"
    if pyproject.is_file():
        if isinstance(doc.get("project"), dict) and "name" in doc["project"]:
            return "migrated"
        raise MigrateError(
            "not a Poetry or Pipenv project: no [tool.poetry] table with metadata and no Pipfile",
            path=pyproject,
            hint="already on uv? then there is nothing to migrate",
        )
    raise MigrateError("not a Poetry or Pipenv project: no pyproject.toml or Pipfile here", path=path)


SKIP_DIRS = frozenset(
    {".migrate", ".git", ".hg", ".svn", ".venv", "venv", "env", ".env", ".tox", ".nox", "node_modules", "__pycache__",
     "build", "dist", ".mypy_cache", ".pytest_cache", ".ruff_cache", "site-packages", ".eggs"}
)


def is_virtualenv(path: Path) -> bool:
    return (path / "pyvenv.cfg").is_file()
