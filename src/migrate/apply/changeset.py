"""The ChangeSet: the only thing that writes to the user's tree.

Every stage contributes ``path -> new bytes`` (``None`` = delete). Nothing touches disk until
:meth:`ChangeSet.apply`, which writes every new file to a temporary sibling first and only then
``os.replace``\\ s them in; any failure (including Ctrl-C) restores every file it had already
replaced, so the tree is byte-for-byte what it was.
"""

from __future__ import annotations

import difflib
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass
class FileChange:
    path: Path  # absolute
    old: bytes | None  # None: the file does not exist yet
    new: bytes | None  # None: delete

    @property
    def action(self) -> str:
        if self.old is None:
            return "create"
        if self.new is None:
            return "delete"
        return "modify"


class ChangeSet:
    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        self._changes: dict[Path, FileChange] = {}

    # -- building -----------------------------------------------------------------------------
    def _abs(self, path: str | Path) -> Path:
        p = Path(path)
        return p if p.is_absolute() else self.root / p

    def current(self, path: str | Path) -> bytes | None:
        """The content ``path`` will have after the changes so far (None: absent)."""
        p = self._abs(path)
        if p in self._changes:
            return self._changes[p].new
        try:
            return p.read_bytes()
        except FileNotFoundError:
            return None

    def write(self, path: str | Path, new: bytes) -> None:
        self._set(self._abs(path), new)

    def delete(self, path: str | Path) -> None:
        p = self._abs(path)
        if p in self._changes or p.exists():
            self._set(p, None)

    def _set(self, p: Path, new: bytes | None) -> None:
        if p in self._changes:
            old = self._changes[p].old
        else:
            try:
                old = p.read_bytes()
            except FileNotFoundError:
                old = None
        if old == new:
            self._changes.pop(p, None)
        else:
            self._changes[p] = FileChange(p, old, new)

    def merge(self, other: "ChangeSet") -> None:
        for ch in other.changes:
            self._set(ch.path, ch.new)

    @property
    def changes(self) -> list[FileChange]:
        return sorted(self._changes.values(), key=lambda c: str(c.path))

    def __bool__(self) -> bool:
        return bool(self._changes)

    def __len__(self) -> int:
        return len(self._changes)

    def relpath(self, change: FileChange, base: Path | None = None) -> str:
        base = base or self.root
        try:
            return change.path.relative_to(base).as_posix()
        except ValueError:
            return str(change.path)

    def summary(self, base: Path | None = None) -> list[dict[str, str]]:
        return [{"path": self.relpath(c, base), "action": c.action} for c in self.changes]

    # -- showing ------------------------------------------------------------------------------
    def diff(self, base: Path | None = None, render=None) -> str:
        """A unified diff of every change (``git diff`` style paths, ``/dev/null`` for create/delete).
        ``render(change, relpath)`` may return the text to show instead of a file's diff (lock files
        as a summary, see :mod:`migrate.lock.summary`)."""
        out: list[str] = []
        for c in self.changes:
            rel = self.relpath(c, base)
            shown = render(c, rel) if render is not None else None
            if shown is not None:
                out.append(shown)
                continue
            a = f"a/{rel}" if c.old is not None else "/dev/null"
            b = f"b/{rel}" if c.new is not None else "/dev/null"
            old_lines = _text_lines(c.old)
            new_lines = _text_lines(c.new)
            if old_lines is None or new_lines is None:
                out.append(f"Binary files {a} and {b} differ\n")
                continue
            body = list(difflib.unified_diff(old_lines, new_lines, a, b))
            for line in body:
                out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
        return "".join(out)

    # -- applying -----------------------------------------------------------------------------
    def apply(self) -> None:
        """Write everything or nothing."""
        changes = self.changes
        staged: list[tuple[FileChange, Path | None]] = []
        try:
            # 1. every new content goes to a temporary sibling (disk full fails here, harmlessly)
            for c in changes:
                if c.new is None:
                    staged.append((c, None))
                    continue
                c.path.parent.mkdir(parents=True, exist_ok=True)
                staged.append((c, _write_temp(c.path, c.new)))
        except BaseException:
            for _, tmp in staged:
                if tmp is not None:
                    _unlink_quiet(tmp)
            raise
        done: list[FileChange] = []
        try:
            # 2. swap them in; each os.replace is atomic
            for c, tmp in staged:
                if tmp is None:
                    os.unlink(c.path)
                else:
                    os.replace(tmp, c.path)
                done.append(c)
        except BaseException:
            for c, tmp in staged:
                if tmp is not None and c not in done:
                    _unlink_quiet(tmp)
            for c in reversed(done):
                _restore(c)
            raise


def _text_lines(data: bytes | None) -> list[str] | None:
    if data is None:
        return []
    try:
        return data.decode("utf-8").splitlines(keepends=True)
    except UnicodeDecodeError:
        return None


def _write_temp(target: Path, data: bytes) -> Path:
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".migrate-tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            mode = stat.S_IMODE(target.stat().st_mode)
        except FileNotFoundError:
            mode = 0o644
        os.chmod(name, mode)
    except BaseException:
        _unlink_quiet(Path(name))
        raise
    return Path(name)


def _restore(c: FileChange) -> None:
    if c.old is None:
        _unlink_quiet(c.path)
    else:
        tmp = _write_temp(c.path, c.old)
        os.replace(tmp, c.path)


def _unlink_quiet(p: Path) -> None:
    try:
        os.unlink(p)
    except FileNotFoundError:
        pass
