"""What to type after `migrate run`: the exact commands to get the target interpreter and sync, and a
note when pyenv shims would get in the way.

``.python-version`` = ``3.13t`` makes plain ``uv sync`` look for (or download) a free-threaded CPython.
When one is already on this machine (``$MIGRATE_FT_PYTHON``, on PATH, in pyenv's or uv's interpreter
folders) the command names it (``uv sync --python /path/to/python3.13t``); otherwise it is
``uv python install 3.13t`` first. pyenv's shims read the same ``.python-version``: with the shims on
PATH and no such pyenv version, ``python``, ``pip`` and a pip-installed ``uv`` fail in that folder
("version `3.13t' is not installed") — said as note MIG236.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def _python_version(root: Path, changes=None) -> str | None:
    """The first version in the project's ``.python-version`` (as staged in ``changes`` when given)."""
    path = root / ".python-version"
    data = changes.current(".python-version") if changes is not None else (
        path.read_bytes() if path.is_file() else None)
    if not data:
        return None
    lines = [ln.strip() for ln in data.decode("utf-8", "replace").splitlines()
             if ln.strip() and not ln.strip().startswith("#")]
    return lines[0] if lines else None


def pyenv_shims(path_env: str | None = None) -> str | None:
    """The pyenv shims folder on PATH (pyenv-win and pyenv-virtualenv included), or None."""
    for d in (path_env if path_env is not None else os.environ.get("PATH", "")).split(os.pathsep):
        parts = Path(d).parts
        if parts and parts[-1] == "shims" and any("pyenv" in p for p in parts):
            return d
    return None


def _pyenv_has(version: str) -> bool:
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    return (root / "versions" / version).is_dir()


def next_steps(root: Path, target, changes=None, ft_python: str | None = None) -> dict[str, Any]:
    """{"commands": [...], "notes": [{code, message}]} for a project migrated to ``target``."""
    root = Path(root)
    pinned = _python_version(root, changes)
    commands: list[str] = []
    notes: list[dict[str, str]] = []
    if target.free_threaded and pinned == str(target):
        if ft_python is None:
            from migrate.lock.lock import find_ft_interpreter

            ft_python = find_ft_interpreter(target)
        if ft_python:
            commands.append(f"uv sync --python {ft_python}")
        else:
            commands += [f"uv python install {target}", "uv sync"]
    else:
        commands.append("uv sync")
    prove = None
    if target.free_threaded and pinned == str(target):
        # then prove it: sync, GIL check of every module and the tests on the free-threaded build
        try:
            rel = os.path.relpath(root)
        except ValueError:  # another drive (Windows)
            rel = str(root)
        where = rel if not rel.startswith("..") else str(root)
        prove = f"migrate verify {where}" + (f" --python {ft_python}" if ft_python else "")
    shims = pyenv_shims()
    if pinned and shims and not os.environ.get("PYENV_VERSION") and not _pyenv_has(pinned):
        notes.append({"code": "MIG236", "message": (
            f"pyenv shims are on PATH ({shims}) and read .python-version ({pinned}), which pyenv has not "
            f"installed: `python`, `pip` and a pip-installed `uv` will fail in this folder. Run a uv that is not "
            "a pyenv shim (the standalone installer or `pipx install uv`), or `pyenv install` a free-threaded "
            "version of that name, or set PYENV_VERSION for this shell")})
    out: dict[str, Any] = {"commands": commands, "notes": notes}
    if prove:
        out["verify"] = prove
    return out
