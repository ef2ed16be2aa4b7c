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
    def __init__(self, root: Path, confine: bool = True) -> None:
        self.root = Path(root).resolve()
        self._changes: dict[Path, FileChange] = {}
        #: never write outside ``root`` (through a symlink, or an absolute path elsewhere)
        self.confine = confine
        #: (path, reason) of changes refused: symlinks that lead outside the tree
        self.skipped: list[tuple[Path, str]] = []

    # -- building -----------------------------------------------------------------------------
    def _abs(self, path: str | Path) -> Path:
        p = Path(path)
        return p if p.is_absolute() else self.root / p

    def current(self, path: str | Path) -> bytes | None:
        """The content ``path`` will have after the changes so far (None: absent)."""
        p = self._abs(path)
        if p in self._changes:
            return self._changes[p].new
        real = Path(os.path.realpath(p))
        if real in self._changes:
            return self._changes[real].new
        try:
            return p.read_bytes()
        except FileNotFoundError:
            return None

    def write(self, path: str | Path, new: bytes) -> None:
        self._set(self._abs(path), new)

    def delete(self, path: str | Path) -> None:
        p = self._abs(path)
        if p in self._changes or os.path.lexists(p):
            self._set(p, None)

    def _target(self, p: Path, new: bytes | None) -> Path | None:
        """Where a change to ``p`` really lands: a symlink is written through (the link stays a link) when
        its target is inside the tree; a link that leads outside it is refused (None, in ``skipped``).
        Deleting a link deletes the link itself."""
        if p in self._changes:
            return p
        parent_real = Path(os.path.realpath(p.parent))
        real = parent_real / p.name if new is None else Path(os.path.realpath(p))
        if self.confine and real != self.root and self.root not in real.parents:
            why = f"leads outside {self.root} (to {real}); not changed"
            if (p, why) not in self.skipped:
                self.skipped.append((p, why))
            return None
        if new is not None and real != p and os.path.lexists(p) and not os.path.exists(p):
            self.skipped.append((p, "is a broken symlink; not changed"))
            return None
        return real

    def _set(self, p: Path, new: bytes | None) -> None:
        target = self._target(p, new)
        if target is None:
            return
        p = target
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
    def journal_root(self) -> Path:
        """The folder whose ``.migrate/`` journal covers every change (the root, or the common folder)."""
        paths = [str(c.path.parent) for c in self._changes.values()]
        if all(Path(p) == self.root or self.root in Path(p).parents for p in paths):
            return self.root
        return Path(os.path.commonpath(paths))

    def apply(self) -> None:
        """Write everything or nothing, through the journal (see :mod:`migrate.apply.journal`):
        new and modified files first, deletions last; any exception, Ctrl-C or SIGTERM rolls back,
        a SIGKILL is rolled back by the next migrate command."""
        from migrate.apply.journal import apply_changes, project_lock

        if not self._changes:
            return
        root = self.journal_root()
        with project_lock(root):  # re-entered when `run` already holds it
            apply_changes(root, list(self._changes.values()))


def _text_lines(data: bytes | None) -> list[str] | None:
    if data is None:
        return []
    try:
        return data.decode("utf-8").splitlines(keepends=True)
    except UnicodeDecodeError:
        return None


