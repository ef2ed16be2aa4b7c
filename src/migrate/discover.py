"""Which tool does a project use? (``poetry`` | ``pipenv``), and loading its files safely."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from migrate.diagnostics import MigrateError


def file_kind(path: Path) -> str | None:
    """None for a regular file (or a symlink to one); else what it is ("a directory", "a FIFO (named
    pipe)", "a symlink loop", ...). Raises FileNotFoundError when nothing is there."""
    import errno
    import stat

    try:
        st = os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a symlink loop"
        if exc.errno == errno.ENOENT and os.path.lexists(path):
            return "a broken symlink"
        if isinstance(exc, FileNotFoundError):
            raise
        return None  # permission problems are reported when reading
    mode = st.st_mode
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device file"
    return "not a regular file"


def require_regular(path: Path) -> None:
    """MigrateError (exit 2) when ``path`` exists but is no regular file; nothing is read from it."""
    try:
        kind = file_kind(path)
    except FileNotFoundError:
        return
    if kind is not None:
        what = "is a directory" if kind == "a directory" else f"is {kind}"
        raise MigrateError(f"{what}, expected a file", path=path, hint="move it away or replace it with the file")


def read_text(path: Path) -> str:
    """Read a UTF-8 text file, turning every failure into a MigrateError naming the file."""
    try:
        kind = file_kind(path)
    except FileNotFoundError:
        raise MigrateError("file not found", path=path) from None
    if kind is not None:
        raise MigrateError(f"{'is a directory' if kind == 'a directory' else 'is ' + kind}, expected a file",
                           path=path)
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
    _check_toml_text(text, path)
    try:
        doc = tomlkit.parse(text)
        _PARSED[Path(path).resolve()] = (text, doc)
        return doc
    except RecursionError:
        raise MigrateError("invalid TOML: arrays or tables nested too deeply", path=path) from None
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
    _check_toml_text(text, path)
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise MigrateError("invalid TOML: arrays or tables nested too deeply", path=path) from None
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


def _check_toml_text(text: str, path) -> None:
    if text.startswith("\ufeff"):
        raise MigrateError("the file starts with a UTF-8 BOM (byte order mark), which TOML does not allow",
                           path=path, line=1, column=1, hint="save it as UTF-8 without a BOM")


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
    for name in ("pyproject.toml", "Pipfile", "poetry.lock", "Pipfile.lock"):
        require_regular(path / name)
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
