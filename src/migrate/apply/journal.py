"""The apply journal: every change to the user's tree survives Ctrl-C, SIGTERM, SIGKILL and power loss.

Layout (one hidden folder in the tree, removed when the apply ends)::

    ROOT/.migrate/OWNER           marks the folder as migrate's (written first)
    ROOT/.migrate/old/N           a copy of every file to be replaced or deleted
    ROOT/.migrate/new/N           the new content of every file to be created or replaced
    ROOT/.migrate/journal.json    every step (path, action, hashes, mode, owner); written last, atomically:
                                  it is the commit point of the preparation
    ROOT/.migrate/done/N          step N was performed (an empty file: created atomically)

Order: new and modified files are swapped in first (``os.replace`` from ``new/N``), deletions come last,
so at every instant the old or the new metadata exists. Rolling back does not trust the ``done`` markers:
it compares every file with the hashes in the journal, so a step whose system call returned just before
a KeyboardInterrupt (the marker not yet written) is still undone. A file that is neither the old nor the
new content was changed by someone else and is left alone (reported), never overwritten.

Any later ``migrate`` command finds a leftover ``.migrate/`` and rolls it back (or, with
``migrate recover --forward``, finishes it); a folder without ``journal.json`` never touched the tree
and is removed.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import shutil
import stat
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from migrate import interrupt
from migrate.diagnostics import MigrateError

JOURNAL_DIR = ".migrate"
JOURNAL = "journal.json"
OWNER = "OWNER"
_OWNER_TEXT = b"migrate apply journal: safe to remove only with `migrate recover`\n"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_umask() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    old = os.umask(0o022)  # module import happens in the main thread
    os.umask(old)
    return old


UMASK = _read_umask()


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_file(path: Path, data: bytes, mode: int = 0o600) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_json_atomic(path: Path, obj) -> None:
    tmp = path.with_name(path.name + ".tmp")
    _write_file(tmp, json.dumps(obj, indent=1).encode("utf-8"))
    os.replace(tmp, path)
    _fsync_dir(path.parent)


# -- the per-project lock ------------------------------------------------------------------------
def lock_wait_seconds() -> float:
    try:
        return float(os.environ.get("MIGRATE_LOCK_WAIT", "5"))
    except ValueError:
        return 5.0


_held = threading.local()


@contextmanager
def project_lock(root: Path, wait: float | None = None) -> Iterator[None]:
    """An advisory lock (``fcntl.flock`` on the folder itself) held while migrate changes ``root``.

    A second migrate on the same tree waits ``wait`` seconds (``MIGRATE_LOCK_WAIT``, default 5), then
    fails with exit 2. Locks are per open file description, so threads of one batch exclude each other
    too; the thread that holds a folder's lock may take it again (``run`` holds it, the apply re-enters)."""
    wait = lock_wait_seconds() if wait is None else wait
    try:
        fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        raise MigrateError(f"cannot open the folder: {exc.strerror}", path=root) from None
    st = os.fstat(fd)
    key = (st.st_dev, st.st_ino)
    held = getattr(_held, "keys", None)
    if held is None:
        held = _held.keys = set()
    if key in held:
        os.close(fd)
        yield
        return
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise MigrateError(
                        "another migrate is working on this folder", path=root,
                        hint="wait for it to finish and run again (MIGRATE_LOCK_WAIT sets how long to wait)",
                    ) from None
                interrupt.check()
                time.sleep(0.05)
            except OSError as exc:  # file systems without flock: no lock rather than no migrate
                if exc.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.EINVAL):
                    break
                raise
        held.add(key)
        try:
            yield
        finally:
            held.discard(key)
    finally:
        os.close(fd)  # releases the lock


# -- apply -----------------------------------------------------------------------------------------
@dataclass
class Step:
    index: int
    path: Path
    action: str  # create | modify | delete
    old_sha: str | None
    new_sha: str | None
    mode: int | None = None
    uid: int | None = None
    gid: int | None = None
    link: str | None = None  # the old file was a symlink to this (delete of a link)

    def to_json(self, root: Path) -> dict:
        try:
            rel = self.path.relative_to(root).as_posix()
        except ValueError:
            rel = str(self.path)
        return {"index": self.index, "path": rel, "action": self.action, "old_sha": self.old_sha,
                "new_sha": self.new_sha, "mode": self.mode, "uid": self.uid, "gid": self.gid, "link": self.link}

    @classmethod
    def from_json(cls, root: Path, data: dict) -> "Step":
        p = Path(data["path"])
        return cls(int(data["index"]), p if p.is_absolute() else root / p, data["action"], data.get("old_sha"),
                   data.get("new_sha"), data.get("mode"), data.get("uid"), data.get("gid"), data.get("link"))


def ordered(changes) -> list:
    """Apply order: creations and modifications first, deletions last (each group in path order)."""
    return sorted(changes, key=lambda c: (c.new is None, str(c.path)))


def _step_delay() -> float:
    # test hook: slow the apply down so a test can kill it between steps (never set by users)
    try:
        return float(os.environ.get("MIGRATE_TEST_STEP_DELAY", "0"))
    except ValueError:
        return 0.0


def apply_changes(root: Path, changes) -> None:
    """Apply ``changes`` (FileChange list) under ``root`` through a journal: all or nothing."""
    root = Path(root)
    jdir = root / JOURNAL_DIR
    if os.path.lexists(jdir):
        recover(root)
        if os.path.lexists(jdir):
            raise MigrateError(f"a folder named {JOURNAL_DIR} is in the way and is not migrate's journal",
                               path=jdir, hint="move it away")
    steps: list[Step] = []
    try:
        os.mkdir(jdir, 0o700)
    except OSError as exc:
        raise OSError(exc.errno, f"cannot create the journal folder: {exc.strerror}", str(jdir)) from None
    try:
        _write_file(jdir / OWNER, _OWNER_TEXT)
        for sub in ("old", "new", "done"):
            os.mkdir(jdir / sub, 0o700)
        # 1. copies of every old file, new contents beside them; check nobody changed the tree meanwhile
        for i, c in enumerate(ordered(changes)):
            interrupt.check()
            step = _prepare(jdir, i, c)
            steps.append(step)
        _write_json_atomic(jdir / JOURNAL, {"version": 1, "state": "applying", "pid": os.getpid(),
                                            "root": str(root), "steps": [s.to_json(root) for s in steps]})
    except BaseException:
        with interrupt.critical():
            _remove_journal(jdir)
        raise
    # 2. the tree changes now; any exception from here on rolls every step back
    delay = _step_delay()
    try:
        for step in steps:
            interrupt.check()
            if delay:
                time.sleep(delay)
            _perform(jdir, step)
            _mark_done(jdir, step)
        _write_json_atomic(jdir / JOURNAL, {"version": 1, "state": "committed", "pid": os.getpid(),
                                            "root": str(root), "steps": [s.to_json(root) for s in steps]})
        interrupt.COMMITTED.set()
    except BaseException:
        with interrupt.critical():
            rollback(root, steps)
            _remove_journal(jdir)
        raise
    with interrupt.critical():
        _remove_journal(jdir)


def _prepare(jdir: Path, i: int, c) -> Step:
    p = c.path
    old_sha = new_sha = None
    mode = uid = gid = None
    link = None
    if c.old is not None:
        try:
            st = os.lstat(p)
        except FileNotFoundError:
            raise MigrateError("the file was removed while migrate was running; nothing was changed",
                               path=p, hint="run migrate again") from None
        if stat.S_ISLNK(st.st_mode):
            link = os.readlink(p)
        elif not stat.S_ISREG(st.st_mode):
            raise MigrateError("not a regular file; nothing was changed", path=p)
        data = p.read_bytes()
        if data != c.old:
            raise MigrateError("the file changed while migrate was running; nothing was changed",
                               path=p, hint="run migrate again")
        if link is None:
            mode, uid, gid = stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid
        else:
            real = os.stat(p)
            mode, uid, gid = stat.S_IMODE(real.st_mode), real.st_uid, real.st_gid
        old_sha = _sha(data)
        _write_file(jdir / "old" / str(i), data)
    elif os.path.lexists(p):
        raise MigrateError("the file appeared while migrate was running; nothing was changed",
                           path=p, hint="run migrate again")
    if c.new is not None:
        new_sha = _sha(c.new)
        staged = jdir / "new" / str(i)
        if mode is None:  # a new file: the umask decides, the folder's owner owns it
            mode = 0o666 & ~UMASK
            try:
                pst = os.stat(_existing_parent(p))
                uid, gid = pst.st_uid, pst.st_gid
            except OSError:
                pass
        _write_file(staged, c.new)
        _set_meta(staged, mode, uid, gid, jdir / "old" / str(i) if c.old is not None else None, p)
    action = "create" if c.old is None else "delete" if c.new is None else "modify"
    return Step(i, p, action, old_sha, new_sha, mode, uid, gid, link)


def _existing_parent(p: Path) -> Path:
    parent = p.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    return parent


def _set_meta(path: Path, mode: int | None, uid: int | None, gid: int | None, xattr_from: Path | None = None,
              original: Path | None = None) -> None:
    if mode is not None:
        os.chmod(path, mode)
    if uid is not None and gid is not None:
        st = os.stat(path)
        if (st.st_uid, st.st_gid) != (uid, gid):
            try:
                os.chown(path, uid if os.geteuid() == 0 else -1, gid)
            except OSError:
                pass
    src = original if original is not None and os.path.exists(original) else None
    if src is not None and hasattr(os, "listxattr"):
        try:
            for name in os.listxattr(src):
                try:
                    os.setxattr(path, name, os.getxattr(src, name))
                except OSError:
                    pass
        except OSError:
            pass


def _mark_done(jdir: Path, step: Step) -> None:
    fd = os.open(jdir / "done" / str(step.index), os.O_WRONLY | os.O_CREAT, 0o600)
    os.close(fd)


def _perform(jdir: Path, step: Step) -> None:
    p = step.path
    if step.action == "delete":
        os.unlink(p)
        return
    p.parent.mkdir(parents=True, exist_ok=True)
    staged = jdir / "new" / str(step.index)
    try:
        os.replace(staged, p)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        # another file system inside the tree: a temporary beside the target, then the atomic swap
        tmp = _sibling_tmp(p)
        shutil.copyfile(staged, tmp)
        _set_meta(tmp, step.mode, step.uid, step.gid)
        os.replace(tmp, p)
        os.unlink(staged)


def _sibling_tmp(p: Path) -> Path:
    return p.with_name(f".{p.name}.migrate-tmp")


def _current(p: Path, link: str | None = None) -> tuple[bool, str | None]:
    """(exists, sha256 of its bytes or of 'link:' + target when the file was a symlink)."""
    try:
        st = os.lstat(p)
    except FileNotFoundError:
        return False, None
    if link is not None and stat.S_ISLNK(st.st_mode):
        return True, "link:" + os.readlink(p)
    try:
        return True, _sha(p.read_bytes())
    except OSError:
        return True, None


@dataclass
class Outcome:
    restored: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)
    finished: list[Path] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)


def rollback(root: Path, steps: list[Step], jdir: Path | None = None) -> Outcome:
    """Put every step's file back to its old content (compared by hash; idempotent)."""
    jdir = jdir or Path(root) / JOURNAL_DIR
    out = Outcome()
    for step in reversed(steps):
        p = step.path
        exists, cur = _current(p, step.link)
        old_id = ("link:" + step.link) if step.link is not None else step.old_sha
        tmp = _sibling_tmp(p)
        if os.path.lexists(tmp) and step.new_sha and _current(tmp)[1] == step.new_sha:
            os.unlink(tmp)
        if step.action == "create":
            if exists and cur == step.new_sha:
                os.unlink(p)
                out.removed.append(p)
                _prune_empty_parents(p.parent, root)
            elif exists:
                out.conflicts.append(f"{p}: created meanwhile by someone else; left alone")
            continue
        if exists and cur == old_id:
            continue
        if exists and cur != step.new_sha:
            out.conflicts.append(f"{p}: changed by someone else meanwhile; left alone")
            continue
        backup = jdir / "old" / str(step.index)
        if step.link is not None:
            tmp_link = jdir / f"link-{step.index}"
            if os.path.lexists(tmp_link):
                os.unlink(tmp_link)
            os.symlink(step.link, tmp_link)
            os.replace(tmp_link, p)
        else:
            if not backup.exists():
                out.conflicts.append(f"{p}: the copy of the old file is missing from the journal")
                continue
            tmp_copy = jdir / f"restore-{step.index}"
            shutil.copyfile(backup, tmp_copy)
            _set_meta(tmp_copy, step.mode, step.uid, step.gid)
            p.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp_copy, p)
        out.restored.append(p)
    return out


def roll_forward(root: Path, steps: list[Step], jdir: Path) -> Outcome:
    out = Outcome()
    for step in steps:
        p = step.path
        exists, cur = _current(p, step.link)
        if step.action == "delete":
            old_id = ("link:" + step.link) if step.link is not None else step.old_sha
            if exists and cur == old_id:
                os.unlink(p)
                out.finished.append(p)
            elif exists:
                out.conflicts.append(f"{p}: changed by someone else meanwhile; left alone")
            continue
        if exists and cur == step.new_sha:
            continue
        staged = jdir / "new" / str(step.index)
        if not staged.exists() or _sha(staged.read_bytes()) != step.new_sha:
            out.conflicts.append(f"{p}: the new content is missing from the journal; left as it is")
            continue
        if exists and cur != step.old_sha:
            out.conflicts.append(f"{p}: changed by someone else meanwhile; left alone")
            continue
        _perform(jdir, step)
        out.finished.append(p)
    return out


def _prune_empty_parents(folder: Path, root: Path) -> None:
    root = Path(root)
    while folder != root and root in folder.parents:
        try:
            os.rmdir(folder)
        except OSError:
            return
        folder = folder.parent


def _remove_journal(jdir: Path) -> None:
    """Remove the journal folder in an order that is safe to cut anywhere: the journal first (so a
    half-removed folder never looks like something to roll back), the OWNER mark last (so what is left
    is recognised as ours), then the empty folder."""
    if not os.path.lexists(jdir):
        return
    for name in (JOURNAL, JOURNAL + ".tmp"):
        try:
            os.unlink(jdir / name)
        except FileNotFoundError:
            pass
    for entry in sorted(os.listdir(jdir)):
        if entry == OWNER:
            continue
        full = jdir / entry
        if full.is_dir() and not full.is_symlink():
            shutil.rmtree(full, ignore_errors=True)
        else:
            try:
                os.unlink(full)
            except FileNotFoundError:
                pass
    try:
        os.unlink(jdir / OWNER)
    except FileNotFoundError:
        pass
    try:
        os.rmdir(jdir)
    except OSError:
        shutil.rmtree(jdir, ignore_errors=True)


# -- recovery --------------------------------------------------------------------------------------
@dataclass
class Recovery:
    root: Path
    action: str  # rolled-back | finished | cleaned
    outcome: Outcome

    def describe(self) -> str:
        o = self.outcome
        if self.action == "cleaned":
            text = f"{self.root}: removed the leftovers of an interrupted migrate run (the files were never changed)"
        elif self.action == "finished":
            text = (f"{self.root}: finished an interrupted migrate run "
                    f"({len(o.finished)} file(s) written or removed)")
        else:
            text = (f"{self.root}: rolled back an interrupted migrate run "
                    f"({len(o.restored)} file(s) restored, {len(o.removed)} new file(s) removed)")
        for c in o.conflicts:
            text += f"\n  warning: {c}"
        return text


def is_journal_dir(jdir: Path) -> bool:
    return jdir.is_dir() and not jdir.is_symlink() and (jdir / OWNER).is_file()


def recover(root: Path, forward: bool = False) -> Recovery | None:
    """Finish a leftover journal under ``root``: roll it back (default) or forward. None: none found.

    The caller must hold :func:`project_lock` on ``root`` (or know nobody else runs)."""
    root = Path(root)
    jdir = root / JOURNAL_DIR
    if not is_journal_dir(jdir):
        try:  # killed between creating the folder and marking it: an empty folder of ours
            if jdir.is_dir() and not jdir.is_symlink() and not os.listdir(jdir):
                os.rmdir(jdir)
                return Recovery(root, "cleaned", Outcome())
        except OSError:
            pass
        return None
    with interrupt.critical():
        try:
            data = json.loads((jdir / JOURNAL).read_bytes())
        except FileNotFoundError:
            _remove_journal(jdir)
            return Recovery(root, "cleaned", Outcome())
        except (OSError, ValueError) as exc:
            raise MigrateError(f"the journal of an interrupted run cannot be read: {exc}", path=jdir / JOURNAL,
                               hint="restore the files from version control, then remove the folder") from None
        steps = [Step.from_json(root, s) for s in data.get("steps", [])]
        if data.get("state") == "committed":
            _remove_journal(jdir)
            return Recovery(root, "finished", Outcome(finished=[]))
        if forward:
            outcome = roll_forward(root, steps, jdir)
            action = "finished"
        else:
            outcome = rollback(root, steps, jdir)
            action = "rolled-back"
        if outcome.conflicts and forward:
            # keep the journal: nothing more can be done automatically
            return Recovery(root, action, outcome)
        _remove_journal(jdir)
        return Recovery(root, action, outcome)


def recover_under_lock(root: Path, forward: bool = False, wait: float = 0.0) -> Recovery | None:
    """:func:`recover` if no live migrate holds ``root``; a live one's journal is left alone."""
    root = Path(root)
    if not os.path.lexists(root / JOURNAL_DIR):
        return None
    try:
        with project_lock(root, wait=wait):
            return recover(root, forward)
    except MigrateError as exc:
        if "another migrate" in exc.message:
            return None
        raise


def candidate_roots(paths: list[Path]) -> list[Path]:
    """Every folder that may hold a leftover journal for a command on ``paths``: each path (or its
    folder) and its ancestors."""
    seen: list[Path] = []
    for p in paths:
        try:
            p = Path(os.path.abspath(p))
        except OSError:
            continue
        if not p.is_dir():
            p = p.parent
        for folder in [p, *p.parents]:
            if folder not in seen:
                seen.append(folder)
    return seen


def recover_all(paths: list[Path], forward: bool = False) -> list[Recovery]:
    out = []
    for folder in candidate_roots(paths):
        try:
            if not os.path.lexists(folder / JOURNAL_DIR):
                continue
        except OSError:
            continue
        rec = recover_under_lock(folder, forward)
        if rec is not None:
            out.append(rec)
    return out


# -- stale staging folders -------------------------------------------------------------------------
STAGING_PREFIXES = ("migrate-lock-", "migrate-ws-", "migrate-runtime-")


def staging_prefix(kind: str) -> str:
    """Prefix for a staging folder in $TMPDIR that names its owner process (so leftovers can be found)."""
    return f"{kind}{os.getpid()}-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale_staging(tmpdir: str | None = None) -> list[Path]:
    """Remove staging folders left in $TMPDIR by migrate processes that no longer run."""
    import tempfile

    base = Path(tmpdir or tempfile.gettempdir())
    removed = []
    try:
        entries = list(os.scandir(base))
    except OSError:
        return removed
    for entry in entries:
        name = entry.name
        prefix = next((p for p in STAGING_PREFIXES if name.startswith(p)), None)
        if prefix is None:
            continue
        pid_text = name[len(prefix):].split("-", 1)[0]
        if not pid_text.isdigit() or _alive(int(pid_text)):
            continue
        try:
            if entry.is_dir(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_uid == os.geteuid():
                shutil.rmtree(entry.path, ignore_errors=True)
                removed.append(Path(entry.path))
        except OSError:
            continue
    return removed


def _journals_below(root: Path) -> list[Path]:
    from migrate.discover import SKIP_DIRS

    found = []
    for dirpath, dirnames, _files in os.walk(root, followlinks=False, onerror=lambda _e: None):
        if JOURNAL_DIR in dirnames:
            found.append(Path(dirpath))
        dirnames[:] = [n for n in dirnames if n not in SKIP_DIRS and n != JOURNAL_DIR]
    return found


def recover_tree(path: Path, forward: bool = False, out=None) -> int:
    """``migrate recover``: every leftover journal at ``path``, above it and below it; stale staging
    folders. Exit code: 0 done (or nothing to do), 1 a file needs a look, 2 bad path."""
    import sys

    out = out or sys.stdout
    path = Path(path)
    if not path.is_dir():
        sys.stderr.write(f"error: {path}: {'not a folder' if path.exists() else 'path does not exist'}\n")
        return 2
    folders = [f for f in candidate_roots([path]) if os.path.lexists(f / JOURNAL_DIR)]
    folders += [f for f in _journals_below(path) if f not in folders]
    code = 0
    done = []
    for folder in folders:
        try:
            with project_lock(folder, wait=lock_wait_seconds()):
                rec = recover(folder, forward)
        except MigrateError as exc:
            sys.stderr.write(f"error: {exc}\n")
            code = 2
            continue
        if rec is None:
            if os.path.lexists(folder / JOURNAL_DIR):
                sys.stderr.write(f"warning: {folder / JOURNAL_DIR}: not migrate's journal; left alone\n")
            continue
        done.append(rec)
        out.write(rec.describe() + "\n")
        if rec.outcome.conflicts:
            code = max(code, 1)
    stale = clean_stale_staging()
    for s in stale:
        out.write(f"removed the stale staging folder {s}\n")
    if not done and not stale:
        out.write("nothing to recover\n")
    return code
