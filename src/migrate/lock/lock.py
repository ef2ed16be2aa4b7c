"""Lock stage: the real uv locks a staging copy of the converted project; uv.lock joins the ChangeSet.

1. Copy the project (without .git, virtualenvs, build folders) to a temporary folder, laid out so that
   relative path dependencies (``../lib``) still point at the real folders, and apply the staged files.
2. Lock with the old lock's versions as temporary ``constraint-dependencies`` (marker-aware: a package
   pinned twice under different markers keeps both; ``extra ==`` terms dropped). Pins uv cannot
   satisfy are dropped (those its error names, a few rounds, then all) and every version that changed
   is reported with the reason (MIG201).
3. Drop the temporary constraints from pyproject.toml and from uv.lock's manifest, checked with
   ``uv lock --check`` (else lock again without them: uv prefers the versions already in uv.lock), so the
   pins survive without leftover constraints.
4. Free-threading readiness of every locked package; each blocker (and sdist-only pin) is moved (unless
   --no-ft-upgrade) to the nearest version at or above the pinned one with target wheels (else the
   nearest below: a downgrade) by a commented ``constraint-dependencies`` entry, and the project is
   locked once more.

uv never runs on the user's tree and never downloads an interpreter: it runs with an installed one
that ``requires-python`` admits (``UV_PYTHON_DOWNLOADS=never``). Any uv failure is a StageError (exit 1,
uv's message shown, nothing written).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, NamedTuple

from packaging.utils import canonicalize_name

from migrate.diagnostics import Diagnostic, StageError

PYPROJECT = "pyproject.toml"
UV_LOCK = "uv.lock"
_IGNORE = {".migrate", ".git", ".hg", ".svn", ".venv", "venv", ".tox", ".nox", "node_modules", "__pycache__", ".mypy_cache",
           ".pytest_cache", ".ruff_cache", "build", "dist", ".eggs"}


def uv_bin() -> str:
    """The uv binary: the ``uv`` package's (a dependency), else one on PATH. Found once, by one thread
    at a time (``find_uv_bin`` reads sysconfig, whose first use is not thread-safe before Python 3.13:
    two projects of a batch starting at once made it fail, and PATH then gave a pyenv shim)."""
    with _UV_BIN_LOCK:
        if _UV_BIN:
            return _UV_BIN[0]
        try:
            from uv import find_uv_bin

            found = find_uv_bin()
        except Exception:
            found = shutil.which("uv")
        if not found:
            raise StageError("uv is not installed", detail="pip install uv")
        _UV_BIN.append(found)
        return found


_UV_BIN: list[str] = []
_UV_BIN_LOCK = threading.Lock()


# -- interpreters ----------------------------------------------------------------------------------
def _candidates() -> tuple[Path, ...]:
    """The interpreters on this machine (looked for once per PATH and pyenv folder: choosing the lock's
    and the oldest one both ask)."""
    return _find_candidates(os.environ.get("PATH", ""), os.environ.get("PYENV_ROOT", ""))


@lru_cache(maxsize=8)
def _find_candidates(path: str, pyenv_root: str) -> tuple[Path, ...]:
    import glob
    import sys

    paths = [Path(sys.executable)]
    root = Path(pyenv_root or Path.home() / ".pyenv")
    paths += [Path(p) for p in sorted(glob.glob(str(root / "versions" / "*" / "bin" / "python3")))]
    for d in path.split(os.pathsep):
        paths += [Path(p) for p in sorted(glob.glob(os.path.join(d, "python3.[0-9]*")))]
    for p in ("/usr/bin/python3", "/usr/local/bin/python3"):
        paths.append(Path(p))
    seen, out = set(), []
    for p in paths:
        if p.is_file() and os.access(p, os.X_OK) and "shims" not in p.parts and str(p) not in seen:
            seen.add(str(p))
            out.append(p)
    return tuple(out)


def _known_version(python: Path) -> str | None:
    """The version when the path tells it for certain (the running interpreter, pyenv's X.Y.Z folders)."""
    import sys

    if python == Path(sys.executable):
        return "%d.%d.%d" % sys.version_info[:3]
    m = re.search(r"/versions/(\d+\.\d+\.\d+)/bin/python3$", str(python))
    return m.group(1) if m else None


def _version(python: Path) -> str | None:
    known = _known_version(python)
    if known:
        return known
    try:
        out = subprocess.run([str(python), "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
                             capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def find_interpreter(requires_python: str | None, prefer: str | None = None) -> tuple[str, str] | None:
    """(path, version) of an installed interpreter ``requires_python`` admits: the preferred minor
    version if present, else the newest."""
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

    spec = SpecifierSet(requires_python or "")
    candidates = _candidates()
    found = []
    # interpreters whose version is known without starting them first; ask the others only if needed
    for probe in (_known_version, _version):
        for p in candidates:
            v = probe(p)
            if v and spec.contains(v, prereleases=True):
                found.append((Version(v), str(p)))
        if found:
            break
    if not found:
        return None
    if prefer:
        same = [f for f in found if f"{f[0].major}.{f[0].minor}" == prefer]
        if same:
            found = same
    v, p = max(found)
    return p, str(v)


def oldest_interpreter(requires_python: str | None) -> tuple[str, str] | None:
    """(path, version) of the oldest installed interpreter ``requires_python`` admits, among those
    whose version is known without starting them (old source distributions build there when they no
    longer build on a new Python)."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import Version

    try:
        spec = SpecifierSet(requires_python or "")
    except InvalidSpecifier:
        return None
    found = [(Version(v), str(p)) for p in _candidates() if (v := _known_version(p)) and spec.contains(v, prereleases=True)]
    if not found:
        return None
    v, p = min(found)
    return p, str(v)


def find_ft_interpreter(target) -> str | None:
    """A free-threaded interpreter for the target: $MIGRATE_FT_PYTHON, else an installed
    ``python3.13t`` (on PATH, in pyenv's or uv's interpreter folders)."""
    import glob

    env = os.environ.get("MIGRATE_FT_PYTHON")
    if env:
        return env
    name = f"python{target.version}t"
    places = [os.path.join(d, name) for d in os.environ.get("PATH", "").split(os.pathsep) if d]
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    places += glob.glob(str(root / "versions" / f"{target.version}*t" / "bin" / name))
    uv_dir = Path(os.environ.get("UV_PYTHON_INSTALL_DIR", Path.home() / ".local" / "share" / "uv" / "python"))
    places += glob.glob(str(uv_dir / f"cpython-{target.version}*freethreaded*" / "bin" / name))
    for p in places:
        if os.path.isfile(p) and os.access(p, os.X_OK) and "shims" not in p:
            return p
    return None


# -- running uv ------------------------------------------------------------------------------------
def _uv_env() -> dict[str, str]:
    """The environment uv runs in: the user's (their UV_PYTHON_DOWNLOADS and uv.toml hold), without
    a virtualenv of ours, and without pyenv-style shim folders on PATH (a shim for a version that is
    not selected makes uv's interpreter search fail instead of moving on)."""
    env = dict(os.environ)
    env["UV_NO_PROGRESS"] = "1"
    env["GIT_OPTIONAL_LOCKS"] = "0"  # a build's `git status` reads the repository, never refreshes its index
    env.pop("VIRTUAL_ENV", None)
    env.pop("UV_PROJECT_ENVIRONMENT", None)
    path = [d for d in env.get("PATH", "").split(os.pathsep) if d and "shims" not in Path(d).parts]
    env["PATH"] = os.pathsep.join(path)
    return env


def python_downloads(root: Path | None) -> tuple[str, str]:
    """(setting, where it comes from) of uv's ``python-downloads``: ``UV_PYTHON_DOWNLOADS``, else
    the project's ``uv.toml`` / ``[tool.uv]``, the user's and the system's ``uv.toml`` (``UV_CONFIG_FILE``
    replaces the files), else uv's default ``automatic``. ``UV_OFFLINE`` forbids downloads too."""
    import tomllib

    value = os.environ.get("UV_PYTHON_DOWNLOADS")
    if value:
        return value.strip().lower(), "UV_PYTHON_DOWNLOADS"
    if os.environ.get("UV_OFFLINE", "").lower() in ("1", "true", "yes", "on"):
        return "never", "UV_OFFLINE"
    files: list[tuple[Path, bool]] = []
    if os.environ.get("UV_CONFIG_FILE"):
        files.append((Path(os.environ["UV_CONFIG_FILE"]), False))
    elif os.environ.get("UV_NO_CONFIG", "").lower() not in ("1", "true", "yes", "on"):
        if root is not None:
            files += [(Path(root) / "uv.toml", False), (Path(root) / PYPROJECT, True)]
        xdg = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
        files.append((Path(xdg) / "uv" / "uv.toml", False))
        for d in (os.environ.get("XDG_CONFIG_DIRS") or "/etc/xdg").split(os.pathsep):
            files.append((Path(d) / "uv" / "uv.toml", False))
        files.append((Path("/etc/uv/uv.toml"), False))
    for f, is_pyproject in files:
        try:
            data = tomllib.loads(f.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if is_pyproject:
            data = data.get("tool", {}).get("uv", {})
        if isinstance(data.get("python-downloads"), str):
            return data["python-downloads"].lower(), str(f)
    return "automatic", "uv's default"


def _suggest_version(requires_python: str | None, prefer: str | None) -> str:
    """The version to name in ``uv python install X``: the target's minor version when admitted,
    else an exact ``==`` version, else the newest admitted minor version."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        spec = SpecifierSet(requires_python or "")
    except InvalidSpecifier:
        return prefer or "3"
    exact = [s.version for s in spec if s.operator == "==" and "*" not in s.version]
    if exact:
        return exact[0]
    minors = [f"3.{m}" for m in range(6, 20) if any(spec.contains(f"3.{m}.{p}", prereleases=True) for p in range(0, 40))]
    if prefer in minors:
        return prefer
    return minors[-1] if minors else (prefer or "3")


def _installed_versions() -> list[str]:
    out = []
    for p in _candidates():
        v = _known_version(p)
        if v:
            out.append(v)
    return sorted(set(out), key=lambda v: tuple(int(x) for x in v.split(".")))


def choose_python(requires_python: str | None, prefer: str | None, root: Path | None) -> tuple[str, str | None]:
    """(``--python`` value, version) for uv: an installed interpreter ``requires_python`` admits (the
    preferred minor version first); else the requirement itself, for uv to find or download as the
    user's configuration allows (version None)."""
    found = find_interpreter(requires_python, prefer=prefer)
    if found is not None:
        return found
    return (requires_python or prefer or "3"), None


def interpreter_failure(lines: list[str], requires_python: str | None, prefer: str | None, root: Path):
    """The error when no interpreter could be found or downloaded: which versions were looked for,
    what is installed, whether downloads are allowed (and by which setting), and how to get one."""
    from migrate.lock.uverrors import UvFailure

    setting, where = python_downloads(root)
    installed = ", ".join(_installed_versions()) or "none"
    allowed = setting == "automatic"
    why = ("uv could not download one" if allowed
           else f"Python downloads are {'manual-only' if setting == 'manual' else 'disabled'} ({where}: {setting})")
    version = _suggest_version(requires_python, prefer)
    return UvFailure(
        f"no Python satisfies requires-python {requires_python!r} (installed: {installed}); {why}",
        lines, "interpreter",
        hint=f"install one with `uv python install {version}` (or allow downloads: python-downloads = "
             f"\"automatic\"), or pass --no-lock and run `uv lock` later")


def _is_url(text: str) -> bool:
    return re.match(r"^[a-z][a-z0-9+.-]*://", text) is not None


def find_links_args(find_links: list[str], root: Path | None = None) -> list[str]:
    """``--find-links`` values for uv running in the staged copy of ``root``: URLs and absolute paths
    as given, relative paths (relative to the current directory) made relative to the project, so that
    uv.lock records them as the user's own ``uv lock`` in the project would."""
    out = []
    for fl in find_links:
        if _is_url(fl) or os.path.isabs(fl):
            out.append(fl)
        elif root is None:
            out.append(str(Path(fl).resolve()))
        else:
            out.append(os.path.relpath(os.path.abspath(fl), Path(root).resolve()))
    return out


def run_uv_lock(cwd: Path, python: str, options, extra: list[str] | None = None,
                root: Path | None = None, log: list | None = None,
                on_start: Callable[[], None] | None = None) -> subprocess.CompletedProcess:
    """``uv lock`` in ``cwd`` with the run options (offline, index URL, find-links); each run is
    appended to ``log`` (its extra arguments and seconds); ``on_start`` is called once uv is started."""
    import time

    start = time.perf_counter()
    from migrate.interrupt import spawn

    # its own process group: a Ctrl-C reaches migrate, which stops uv and rolls back; a uv killed by a
    # signal raises Interrupted (never read as "the pins do not resolve")
    proc = spawn(_uv_lock_cmd(python, options, extra, root), cwd=cwd, env=_uv_env(), timeout=1800,
                 on_start=on_start)
    if log is not None:
        log.append({"args": ["lock", *(extra or [])], "seconds": round(time.perf_counter() - start, 3),
                    "ok": proc.returncode == 0})
    return proc


def _uv_lock_cmd(python: str, options, extra: list[str] | None, root: Path | None) -> list[str]:
    cmd = [uv_bin(), "lock", "--python", python]
    if options.offline:
        cmd.append("--offline")
    if options.index_url:
        cmd += ["--default-index", options.index_url]
    for fl in find_links_args(list(options.find_links), root):
        cmd += ["--find-links", fl]
    return cmd + (extra or [])


def _fix_client(project, options):
    """The index client of the fix lookup and of the readiness check: the project's default index (or
    ``--index-url``, else PyPI), the local ``--find-links`` folders."""
    from migrate.lock.index import IndexClient

    indexes = [i.url for i in project.indexes if i.default] or None
    return IndexClient(index_urls=[options.index_url] if options.index_url else indexes,
                       find_links=[str(Path(f).resolve()) for f in options.find_links if not _is_url(f)],
                       offline=options.offline)


class EarlyLookup:
    """The free-threading fixes the old lock's file names tell (:func:`~migrate.lock.freethreading.preassess`),
    looked up in the background from the start of the run: :func:`prefetch_readiness` starts fetching the
    index pages before the project is read; :meth:`start`, called once it is read, judges the pins
    meanwhile (the project is then converted, staged and its interpreter chosen); the lock stage takes
    :meth:`result` for the same project, pins and requirements, or looks them up itself."""

    def __init__(self, warm=None) -> None:
        self.warm = warm  # the page warm-up Job, or None
        self.job = None
        #: the blockers' dependents' moves (:func:`~migrate.lock.dependents.early_moves`): a Job the
        #: lookup starts once it knows the blockers with no fix, or None
        self.dependents = None
        self.client = None
        self.key: tuple | None = None
        #: the read-ahead of the metadata :func:`_hints` walks (a Job, or None), and what it needs
        self.hint_reads = None
        self.asked: dict[str, set[str]] = {}
        self.plain: dict[str, str | None] = {}

    def start(self, project, target, options) -> None:
        from migrate.lock.pipenvfiles import wants_files, with_index_files  # Pipfile.lock: files from the index

        if not (options.lock and options.ft_upgrade) or not (any(p.files for p in project.pins)
                                                               or wants_files(project.pins)):
            return
        from migrate.interrupt import Job
        from migrate.lock.freethreading import preassess, runnable_pins

        pins, requirements = list(project.pins), _requirements(project)
        client = self.client = _fix_client(project, options)
        self.key = (pins, requirements, target.abi, target.version)
        delay = float(os.environ.get("MIGRATE_TEST_PREASSESS_DELAY") or 0)  # test hook: a slow index

        def lookup() -> list[dict]:
            if self.warm is not None:
                self.warm.join()  # its pages, not a second request for them
            if delay:
                import time

                time.sleep(delay)
            # only the files uv.lock will list for the project's Pythons count, as they will after uv runs
            judged = runnable_pins(with_index_files(pins, client, target.version, project.indexes),
                                   project.requires_python)
            stuck: list[dict] = []
            found = preassess(judged, target.abi, target.version, client, requirements, stuck=stuck,
                              requires_python=project.requires_python)
            if stuck and any(p.requires for p in judged):
                def moves() -> list[dict]:
                    if delay:
                        import time

                        time.sleep(delay)
                    try:
                        return _by_name(early_moves(judged, stuck, target.abi, target.version, client,
                                                    requirements, asked, indexes, exclude={
                                                        canonicalize_name(e["name"]) for e in found}))
                    except Exception:  # only a head start: the search after the lock finds the same
                        if os.environ.get("MIGRATE_TEST_STRICT"):
                            raise
                        return []

                self.dependents = Job(moves)
            if found:  # the versions uv would walk for the pins that give way with them (hints.py)
                from migrate.lock.hints import read_ahead

                moved = _moved_with(found, pins)
                self.hint_reads = Job(lambda: _quietly(lambda: read_ahead(client, pins, found, moved, self.plain)))
            # in uv.lock's order (by name), as fixes found after the first resolution are written
            return _by_name(found)

        from migrate.lock.dependents import early_moves

        asked: dict[str, set[str]] = {}
        for p in pins:
            asked.setdefault(canonicalize_name(p.name), set()).update(p.asked)
        for d in project.all_dependencies():
            asked.setdefault(canonicalize_name(d.name), set()).update(d.extras)
        indexes = {i.url.rstrip("/") for i in project.indexes}
        from migrate.lock.hints import plain_requirements

        self.asked, self.plain = asked, plain_requirements(project)
        self.job = Job(lookup)

    def matches(self, pins, requirements, target) -> bool:
        return self.job is not None and self.key == (pins, requirements, target.abi, target.version)


def _by_name(entries: list[dict]) -> list[dict]:
    return sorted(entries, key=lambda e: canonicalize_name(e["name"]))


def prefetch_readiness(root: Path, target, options) -> EarlyLookup:
    """Start fetching, in the background, the index pages the free-threading fix lookup will need: those
    of the poetry.lock pins whose listed files have no wheel for the target. Called before the project
    is read and converted, so the pages arrive meanwhile (they are kept for the run). Only for a Poetry
    project that names no package source (its own indexes decide where to ask) and a run that may
    reach PyPI; any error leaves the lookup to ask again itself. Returns the :class:`EarlyLookup` to
    :meth:`~EarlyLookup.start` once the project is read."""
    if not (options.lock and options.ft_upgrade) or options.offline or options.index_url:
        return EarlyLookup()
    lock, meta = Path(root) / "poetry.lock", Path(root) / "pyproject.toml"
    try:
        if not lock.is_file() or re.search(r"^\s*\[\[?tool\.poetry\.source", meta.read_text(encoding="utf-8",
                                                                                          errors="replace"), re.M):
            return EarlyLookup()
    except OSError:
        return EarlyLookup()

    def fetch() -> None:
        from migrate.lock.freethreading import classify, judged_pins
        from migrate.lock.index import IndexClient
        from migrate.readers.poetry import read_poetry_lock

        pins = read_poetry_lock(lock)
        judged = judged_pins(pins, target.version)
        wanted = [(p.name, p.index) for p in judged if classify(p.files, target.abi) in ("blocker", "sdist-only")]
        client = IndexClient()
        # the pins that require one of the blockers: if that one has no fix, they may move instead
        # (dependents.early_moves); what their search reads first is read meanwhile, in its own job
        blockers = {canonicalize_name(p.name) for p in judged if classify(p.files, target.abi) == "blocker"}
        requires = {(canonicalize_name(p.name), p.version): set(p.requires) for p in pins}
        dependents = [(p.name, p.version, p.index) for p in judged if canonicalize_name(p.name) not in blockers
                      and requires.get((canonicalize_name(p.name), p.version), set()) & blockers]
        if dependents:
            from migrate.lock.dependents import warm

            # their candidate versions too when they are few (if the blocker has a fix, that was not needed)
            Job(lambda: _quietly(lambda: warm(client, dependents, target.abi, pinned=True,
                                              candidates=len(dependents) <= _EARLY_DEPENDENTS)))
        if len(wanted) > 1:
            client.prefetch(wanted)
        for name, index in wanted[:1]:
            client.files(name, index)

    from migrate.interrupt import Job

    return EarlyLookup(Job(lambda: _quietly(fetch)))


#: pins requiring a blocker whose candidate versions' metadata is read before the blockers' fixes are known
_EARLY_DEPENDENTS = 8


def _quietly(fn) -> None:
    try:
        fn()
    except Exception:  # a warm-up only
        pass


#: seconds the lock stage waits for the fix lookup before it starts uv on the pins alone
SPECULATION_GRACE = 0.2


class _Speculative:
    """The first resolution (``text``: the project with the old pins and the free-threading ``fixes``
    known so far) started while more fixes are still being looked up: when none turn up its answer is
    the first run's; when some do, it is stopped (the metadata it fetched meanwhile stays in uv's cache
    for the run with them)."""

    def __init__(self, stage: Path, text: str, python: str, options, root: Path | None, log: list) -> None:
        from migrate.interrupt import Background

        self.stage, self.log, self.text = stage, log, text
        lock = stage / UV_LOCK
        self.before = lock.read_bytes() if lock.is_file() else None
        (stage / PYPROJECT).write_text(text)
        self.job = Background(_uv_lock_cmd(python, options, None, root), cwd=stage, env=_uv_env(), timeout=1800)

    def result(self) -> subprocess.CompletedProcess:
        import time

        proc = self.job.wait()
        self.log.append({"args": ["lock"], "seconds": round(time.perf_counter() - self.job.started, 3),
                         "ok": proc.returncode == 0})
        return proc

    def stop(self) -> None:
        import time

        if self.job.done():
            try:
                proc = self.job.wait()
            except Exception:
                proc = None
            self.log.append({"args": ["lock"], "seconds": round(time.perf_counter() - self.job.started, 3),
                             "ok": None if proc is None else proc.returncode == 0,
                             "unused": "the free-threading fixes were found meanwhile"})
        else:
            self.job.stop()
            self.log.append({"args": ["lock"], "seconds": round(time.perf_counter() - self.job.started, 3),
                             "ok": None, "stopped": "the free-threading fixes were found meanwhile"})
        lock = self.stage / UV_LOCK  # as it was: a lock half written when uv was stopped is not read
        if self.before is None:
            lock.unlink(missing_ok=True)
        else:
            lock.write_bytes(self.before)


def _initial_text(text: str, pins, fixed=None) -> str:
    """The text :func:`lock_resolving` locks first: ``text`` with the pins as constraints (and the fixes)."""
    return _locked_text(text, pin_requirements(pins, exclude=_own_constraints(text)), fixed)[2]


def _locked_text(text: str, reqs: list[str], fixed: _Fixes | None) -> tuple[str, list[str], str]:
    """(``text`` with the fixes, the temporary pins that hold there — the old pins, and the hints —,
    the text uv locks: both as constraints)."""
    base, now = ((fixed.text(text), _outside(reqs, fixed.moved, fixed.elsewhere) + list(fixed.hints))
                 if fixed is not None else (text, reqs))
    return base, now, (_with_constraints(base, now) if now else base)


class _Fixes(NamedTuple):
    """The free-threading fixes known before resolving, as :func:`lock_resolving` applies them."""

    #: adds the fixes to a project text (constraints for the target's Python, with comments)
    text: Callable[[str], str]
    #: the names whose old pins give way on the target's Python (:func:`_moved_with`)
    moved: set[str]
    #: the marker of every Python but the target's (where those old pins still hold)
    elsewhere: str
    #: temporary pins for the target's Python telling uv where the pins that give way land
    #: (:mod:`migrate.lock.hints`); dropped when uv cannot resolve with them
    hints: tuple[str, ...] = ()


# -- staging ---------------------------------------------------------------------------------------
def stage_project(root: Path, changes, tmp: Path, pyproject_text: str, find_links: list[str] | None = None) -> Path:
    """Copy ``root`` into ``tmp`` with the staged changes applied; returns the copy.

    Relative path dependencies and relative ``--find-links`` folders stay resolvable, whether they
    point at a sibling (``../lib``) or at a folder that contains the project (``../..``, a monorepo's
    root package): ``tmp`` mirrors the common ancestor of the project and every such folder — each
    folder on the way down to the project is a real folder whose other entries are symlinks to the
    real ones, and the project itself is a copy. FIFOs, sockets, devices and unreadable folders are not
    copied. A full temporary folder is bad input (exit 2), not a crash."""
    import errno

    from migrate.diagnostics import MigrateError

    try:
        return _stage_project(root, changes, tmp, pyproject_text, find_links)
    except (OSError, shutil.Error) as exc:
        nospace = (getattr(exc, "errno", None) == errno.ENOSPC
                   or "No space left" in str(exc) or "ENOSPC" in str(exc))
        if nospace:
            raise MigrateError(f"no space left in the temporary folder {Path(tmp).parent}", path=Path(tmp).parent,
                               hint="free some space or point TMPDIR at a larger folder") from None
        raise MigrateError(f"cannot copy the project into the staging folder {tmp}: {exc}", path=root) from None


def _special_or_unreadable(folder: str, names: list[str]) -> list[str]:
    import stat as _stat

    out = []
    for n in names:
        full = os.path.join(folder, n)
        if n in _IGNORE:
            out.append(n)
            continue
        try:
            st = os.lstat(full)
        except OSError:
            out.append(n)
            continue
        if _stat.S_ISLNK(st.st_mode):
            continue  # copied as a link
        if _stat.S_ISDIR(st.st_mode):
            if not os.access(full, os.R_OK | os.X_OK) or os.path.isfile(os.path.join(full, "pyvenv.cfg")):
                out.append(n)
        elif not _stat.S_ISREG(st.st_mode) or not os.access(full, os.R_OK):
            out.append(n)  # FIFO, socket, device, unreadable file
    return out


def _stage_project(root: Path, changes, tmp: Path, pyproject_text: str, find_links: list[str] | None) -> Path:
    root = root.resolve()
    rels = _path_sources(pyproject_text) + [p for p in find_links_args(find_links or [], root)
                                            if not _is_url(p) and not os.path.isabs(p)]
    top = root
    for rel in rels:
        if not os.path.isabs(rel):
            top = Path(os.path.commonpath([top, os.path.normpath(root / rel)]))
    mirror = tmp / (top.name or "root")
    here, there = top, mirror
    for part in root.relative_to(top).parts:
        there.mkdir(parents=True, exist_ok=True)
        try:
            entries = sorted(os.listdir(here))
        except OSError:
            entries = []
        for name in entries:
            if name != part and name != ".migrate":
                os.symlink(here / name, there / name, target_is_directory=(here / name).is_dir())
        here, there = here / part, there / part
    dst = there
    shutil.copytree(root, dst, symlinks=True, ignore=_special_or_unreadable)
    from migrate.lock.vcs import link_repository

    link_repository(root, dst)  # versions from git tags build in the copy (read-only)
    for ch in changes.changes:
        rel = ch.path.relative_to(root) if ch.path.is_relative_to(root) else None
        if rel is None:
            continue
        target = dst / rel
        if ch.new is None:
            target.unlink(missing_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(ch.new)
    return dst


def _path_sources(pyproject_text: str) -> list[str]:
    import tomllib

    data = tomllib.loads(pyproject_text)
    out = []
    for entry in data.get("tool", {}).get("uv", {}).get("sources", {}).values():
        for e in entry if isinstance(entry, list) else [entry]:
            if isinstance(e, dict) and isinstance(e.get("path"), str):
                out.append(e["path"])
    return out


# -- old pins as temporary constraints -------------------------------------------------------------
def pin_requirements(pins, exclude: set[str] = frozenset()) -> list[str]:
    """The temporary ``name==version`` constraints for the old lock's pins.

    A package pinned at one version is pinned unconditionally (its marker only said where it was
    installed; a marker would make uv fork for nothing). A package pinned at several versions keeps
    each pin's marker, so uv forks as the old lock did. Names in ``exclude`` (already constrained by
    the project itself) are left alone."""
    from packaging.version import InvalidVersion, Version

    by_name: dict[str, list] = {}
    for p in pins:
        name = canonicalize_name(p.name)
        if name not in exclude:
            by_name.setdefault(name, []).append(p)
    out: list[str] = []
    for name, group in by_name.items():
        try:
            versions = {Version(p.version) for p in group}
        except InvalidVersion:
            continue  # not a PEP 440 version: nothing uv could pin
        if len(versions) == 1:
            out.append(f"{group[0].name}=={group[0].version}")
        elif all(environment_marker(p.marker) for p in group):
            out += list(dict.fromkeys(_pin_req(p) for p in group))
        else:
            # several versions, not told apart by markers (e.g. Pipfile.lock default vs develop): the first
            out.append(f"{group[0].name}=={group[0].version}")
    return out


def environment_marker(marker: str | None) -> str | None:
    """``marker`` without its ``extra == ...`` terms (they say which extra installed a package, not
    where; in a constraint they would never hold). None when nothing is left."""
    if not marker or ("extra" not in marker and "dependency_groups" not in marker):
        return marker
    from packaging.markers import InvalidMarker, Marker

    try:
        tree = Marker(marker)._markers
    except InvalidMarker:
        return marker

    def term(item) -> str | None:
        if isinstance(item, list):
            inner = walk(item)
            return None if inner is None else f"({inner})"
        lhs, op, rhs = item
        if any(type(x).__name__ == "Variable" and x.value in ("extra", "extras", "dependency_groups")
               for x in (lhs, rhs)):  # which extra or group installed it (pylock-style markers), not where
            return None
        side = lambda x: x.value if type(x).__name__ == "Variable" else f'"{x.value}"'  # noqa: E731
        return f"{side(lhs)} {op.value} {side(rhs)}"

    def walk(items: list) -> str | None:
        from migrate.lock.environments import _alternatives

        out = []
        for group in _alternatives(items):
            parts = [t for t in (term(i) for i in group) if t is not None]
            if not parts:
                return None  # one alternative always holds
            out.append(" and ".join(parts))
        return " or ".join(f"({o})" if " or " in o and len(out) > 1 else o for o in out)

    return walk(tree)


def _req_name(req: str) -> str:
    return canonicalize_name(re.split(r"[\s\[=<>!~;@(]", req, maxsplit=1)[0])


def _names_in(stderr: str, names: set[str]) -> set[str]:
    """The ``names`` that uv's error message mentions."""
    words = {canonicalize_name(w) for w in re.findall(r"[A-Za-z0-9][A-Za-z0-9._-]*", stderr)}
    return names & words


def _own_constraints(text: str) -> set[str]:
    import tomllib

    uv = tomllib.loads(text).get("tool", {}).get("uv", {})
    return {_req_name(str(r)) for r in uv.get("constraint-dependencies", []) if isinstance(r, str)}


@dataclass
class LockRun:
    """What the first resolution left: the pyproject text uv locked (``environments`` narrowed if
    it had to be), the temporary pins still in uv.lock's manifest, the pins given up and why, and
    the environments left out."""

    text: str
    dropped: dict[str, str] = field(default_factory=dict)
    excluded: list = field(default_factory=list)
    #: the interpreter uv ran with (another one when a build failed on the first)
    python: str = ""
    #: the temporary pin requirements uv.lock's manifest holds (``name==version[; marker]``)
    pin_reqs: list[str] = field(default_factory=list)
    #: the free-threading fixes given to :func:`lock_resolving` are in ``text`` and in the lock
    #: (False: there were none, or uv could not resolve with them and they were left for later)
    fixed: bool = False
    #: with ``fixed``: the text without the fixes (as ``text`` would be had there been none)
    unfixed: str = ""
    #: build constraints added for old sdists (:mod:`migrate.lock.buildfix`)
    build_caps: list = field(default_factory=list)
    #: old-lock metadata given to uv for sdists that do not build here (:mod:`migrate.lock.oldmetadata`)
    old_metadata: list = field(default_factory=list)
    #: the hints (:mod:`migrate.lock.hints`) in the resolution that succeeded (in ``pin_reqs`` too)
    hints: list[str] = field(default_factory=list)

    @property
    def pinned(self) -> set[str]:
        """The names of the temporary pins."""
        return {_req_name(r) for r in self.pin_reqs}


def _existing_environments(text: str) -> list[str] | None:
    import tomllib

    envs = tomllib.loads(text).get("tool", {}).get("uv", {}).get("environments")
    if isinstance(envs, str):
        return [envs]
    return [e for e in envs if isinstance(e, str)] if isinstance(envs, list) else None


def lock_resolving(stage: Path, text: str, pins, python: str, options, root: Path | None = None, *,
                   narrow: Callable[[str, list], list | None] | None = None, rounds: int = 3,
                   log: list | None = None, build_python: str | None = None,
                   fixed: _Fixes | None = None,
                   first: tuple[str, subprocess.CompletedProcess] | None = None,
                   on_start: Callable[[], None] | None = None) -> LockRun:
    """The first uv resolution: the project (``text``) with the old lock's ``pins`` as temporary
    ``constraint-dependencies``. One uv run when it succeeds.

    ``fixed`` (:class:`_Fixes`): every run uses the text with the fixes, and the pins of the moved names
    hold only outside the target's Python (there the fix holds, and the hints, if any). When uv fails
    naming a hinted package, it runs again without the hints (a hint only shortens uv's walk:
    :mod:`migrate.lock.hints`); a failure that names none is handled as below, hints kept.
    When uv's error names a moved package, the fixes are left out from then on (the caller applies them
    after); other failures are handled as below with the fixes kept. ``first``: (the text, uv's
    answer) of a first run made already (see :class:`_Speculative`), used when that is the text written
    first. ``on_start`` is called once uv has started (or its answer is there). When it fails:

    * if ``narrow(stderr, excluded)`` names environments to leave out (see
      :mod:`migrate.lock.environments`), ``[tool.uv] environments`` is narrowed and uv runs again;
    * if a source distribution failed to build and ``build_python`` (an older installed interpreter)
      is another one, uv runs again with it (old sdists often build only on older Pythons; the lock
      is universal either way);
    * else pins uv cannot satisfy are given up (those its error names, a few rounds, then all);
    * else uv's error is raised (:class:`~migrate.lock.uverrors.UvFailure`).

    The pins stay in uv.lock's manifest: :func:`finish_pins` takes them out (or a following lock does)."""
    from migrate.lock.buildfix import BuildCaps, with_build_caps
    from migrate.lock.environments import with_environments
    from migrate.lock.oldmetadata import old_metadata, with_dependency_metadata
    from migrate.lock.uverrors import classify, failure

    def rebuilt() -> str:  # the project with what the retries added
        narrowed = with_environments(original, excluded, existing) if excluded else original
        return with_dependency_metadata(with_build_caps(narrowed, caps.active), metas)

    original = text
    existing = _existing_environments(original)
    reqs = pin_requirements(pins, exclude=_own_constraints(text))
    dropped: dict[str, str] = {}
    excluded: list = []
    caps = BuildCaps()
    metas: list = []
    attempt = 0
    last_why = None
    widened = False
    while True:
        base, now, written = _locked_text(text, reqs, fixed)
        (stage / PYPROJECT).write_text(written)
        if first is not None and first[0] == written:
            proc = first[1]
            if on_start is not None:
                on_start()
        else:
            proc = run_uv_lock(stage, python, options, root=root, log=log, on_start=on_start)
        first = on_start = None
        if proc.returncode == 0:
            return LockRun(base, dropped, excluded, python, pin_reqs=now,
                           fixed=fixed is not None, unfixed=text, build_caps=caps.active, old_metadata=metas,
                           hints=list(fixed.hints) if fixed is not None else [])
        if fixed is not None and fixed.hints and _names_in(proc.stderr, {_req_name(h) for h in fixed.hints}):
            fixed = fixed._replace(hints=())  # uv's own walk decides from here
            continue
        kind = classify(proc.stderr)
        if kind == "build" and caps.revise(proc.stderr, original):  # an old sdist today's build tools cannot build
            text = rebuilt()
            continue
        if kind == "build" and build_python and build_python != python:
            python, build_python = build_python, None
            continue
        meta = old_metadata(root, proc.stderr) if kind == "build" else None
        if meta and (meta.name, meta.version) not in {(m.name, m.version) for m in metas}:
            metas.append(meta)  # a pinned sdist that does not build here: what the old lock recorded
            text = rebuilt()
            continue
        names = {_req_name(r) for r in reqs}
        moved = fixed.moved if fixed is not None else set()
        if kind == "interpreter" or (kind in ("network", "build") and not _names_in(proc.stderr, names | moved)):
            break  # nothing in the requirements can help
        if fixed is not None and _names_in(proc.stderr, moved):
            # pinned packages uv names beside a moved one (a dependent that requires its old version,
            # which the old lock did not say: Pipfile.lock lists no dependencies) give way on the
            # target's Python too, once; else the fixes may be what does not resolve, so without them
            # (the caller applies them after); other failures are handled with the fixes kept
            more = _names_in(proc.stderr, names) - moved
            if more and not widened:
                # (pins the hints' walk took as forced: the hints go too)
                widened, fixed = True, fixed._replace(moved=moved | more, hints=())
                continue
            fixed = None
            continue
        new = narrow(proc.stderr, excluded) if narrow is not None and len(excluded) < 6 else None
        if new:
            excluded += new
            text = rebuilt()
            continue
        if reqs:
            why = _first_error(proc.stderr)
            # the same reason again after dropping the pins it named: the pins are not the cause,
            # so one last try without any (a failure then is the project's own)
            named = _names_in(proc.stderr, names) if attempt < rounds and why != last_why else set()
            last_why = why
            attempt += 1
            for name in named or names:
                dropped[name] = why
            reqs = [r for r in reqs if _req_name(r) not in (named or names)]
            if fixed is not None and fixed.hints:
                # a pin the walk took as forced may be gone: what uv passes over is no longer certain
                fixed = fixed._replace(hints=())
            continue
        break
    (stage / PYPROJECT).write_text(text)
    raise failure("uv could not lock the converted project; nothing was written", proc.stderr, stage, root)


def finish_pins(stage: Path, run: LockRun, python: str, options, root: Path | None = None,
                log: list | None = None) -> None:
    """Take the temporary pins out of pyproject.toml and uv.lock's manifest without a new resolution
    (a resolution under extra constraints is a valid resolution without them), confirmed by
    ``uv lock --check``; when uv disagrees, lock again without them (uv keeps the locked versions)."""
    from migrate.lock.uverrors import failure

    (stage / PYPROJECT).write_text(run.text)
    if not run.pinned:
        return
    if _strip_manifest(stage / UV_LOCK, run.pinned, _pinned_versions(run.pin_reqs)) and \
            run_uv_lock(stage, python, options, ["--check"], root=root, log=log).returncode == 0:
        return
    proc = run_uv_lock(stage, python, options, root=root, log=log)
    if proc.returncode != 0:
        raise failure("uv could not re-lock without the temporary pins", proc.stderr, stage, root)


def lock_with_pins(stage: Path, text: str, pins, python: str, options, root: Path | None = None,
                   rounds: int = 3, narrow=None, log: list | None = None) -> LockRun:
    """:func:`lock_resolving` then :func:`finish_pins`: the old lock's pins kept, no trace of them
    left in pyproject.toml or uv.lock. The workspace lock uses this as it is."""
    run = lock_resolving(stage, text, pins, python, options, root, narrow=narrow, rounds=rounds, log=log)
    finish_pins(stage, run, run.python, options, root, log=log)
    return run


def _outside(reqs: list[str], names: set[str], elsewhere: str) -> list[str]:
    """The pin requirements with those of ``names`` restricted to Pythons other than the target's
    (``elsewhere`` is the marker of those; a fix moves the package on the target's)."""
    out = []
    for r in reqs:
        if _req_name(r) not in names:
            out.append(r)
            continue
        req, _, marker = r.partition(";")
        out.append(f"{req.strip()}; ({marker.strip()}) and {elsewhere}" if marker.strip()
                   else f"{req.strip()}; {elsewhere}")
    return out


def _pinned_versions(reqs: list[str]) -> dict[str, set[str]]:
    """{name: {version}} of ``name==version`` pin requirements."""
    out: dict[str, set[str]] = {}
    for r in reqs:
        m = re.match(r"\s*([^=;\s]+)\s*==\s*([^;\s]+)", r)
        if m:
            out.setdefault(canonicalize_name(m.group(1)), set()).add(m.group(2))
    return out


def _strip_manifest(lock: Path, names: set[str], versions: dict[str, set[str]] | None = None) -> bool:
    """Remove the ``[manifest] constraints`` entries for ``names`` from uv.lock, in uv's own layout;
    with ``versions``, only a name's ``==version`` entries for those versions (a free-threading fix of
    the same package stays). False when the file does not look as expected (the caller then lets uv
    re-lock)."""
    import tomllib

    lines = lock.read_text().splitlines(keepends=True)
    try:
        head = lines.index("[manifest]\n")
    except ValueError:
        return not names
    end = next((i for i in range(head + 1, len(lines)) if lines[i].startswith("[")), len(lines))
    body = lines[head + 1:end]
    start = next((i for i, ln in enumerate(body) if ln.startswith("constraints = [")), None)
    if start is None:
        return False
    if body[start].rstrip().endswith("]"):  # uv writes a single entry on one line
        stop = start + 1
        items = [body[start].strip()[len("constraints = ["):-1]]
    else:
        stop = next((i for i in range(start + 1, len(body)) if body[i].rstrip() == "]"), None)
        if stop is None:
            return False
        stop += 1
        items = [ln.strip().rstrip(",") for ln in body[start + 1:stop - 1]]
    keep = []
    for item in items:
        try:
            entry = tomllib.loads(f"x = {item}")["x"]
        except tomllib.TOMLDecodeError:
            return False
        if not isinstance(entry, dict):
            return False
        name = canonicalize_name(str(entry.get("name", "")))
        if name not in names or (versions is not None and not _is_pin(str(entry.get("specifier", "")),
                                                                       versions.get(name, set()))):
            keep.append(item)
    if len(keep) == 1:
        block = [f"constraints = [{keep[0]}]\n"]
    else:
        block = ["constraints = [\n", *(f"    {k},\n" for k in keep), "]\n"] if keep else []
    body = body[:start] + block + body[stop:]
    if all(not ln.strip() for ln in body):
        new = lines[:head] + lines[end:]
    else:
        new = lines[:head + 1] + body + lines[end:]
    lock.write_text("".join(new))
    return True


def _is_pin(specifier: str, versions: set[str]) -> bool:
    """Whether a manifest ``specifier`` is ``==v`` for one of ``versions`` (compared as versions)."""
    from packaging.version import InvalidVersion, Version

    m = re.fullmatch(r"\s*==\s*([^,\s]+)\s*", specifier)
    if not m:
        return False
    for v in versions:
        try:
            if Version(v) == Version(m.group(1)):
                return True
        except InvalidVersion:
            if v == m.group(1):
                return True
    return False


# -- the stage -------------------------------------------------------------------------------------
def _narrower(ctx):
    """The ``narrow`` callback of :func:`lock_resolving` for this project (see
    :mod:`migrate.lock.environments`)."""
    from migrate.lock.environments import (exclusion, failing_markers, old_lock_platforms, old_pins_python_floor,
                                           pinned_platforms)

    project, target = ctx.project, ctx.target
    old = old_lock_platforms(project.root, project.source_format)
    pinned = pinned_platforms(project.pins)
    guessed = any(w.code == "MIG112" for w in project.warnings)  # requires-python is a default, not the project's

    def narrow(stderr: str, already: list) -> list | None:
        markers = failing_markers(stderr)
        if not markers:
            return None
        floor = old_pins_python_floor(stderr, project.pins)  # below it, the old lock never installed
        found = [exclusion(m, target.version, project.requires_python, old, pinned, guessed, floor) for m in markers]
        if any(e is None for e in found):
            return None  # some failing environment is one the project may need: uv's error stands
        seen = {e.marker for e in already}
        return [e for e in found if e.marker not in seen] or None

    return narrow


def lock_stage(ctx) -> None:
    """Lock the converted project (see the module docstring); uv.lock joins ``ctx.changes``. A uv
    failure is recorded in ``ctx.result.lock["failure"]`` (class and uv's lines) and raised."""
    from migrate.lock.uverrors import UvFailure

    try:
        _lock_stage(ctx)
    except UvFailure as exc:
        if exc.kind == "interpreter" and ctx.result.lock.get("interpreter") is None:
            exc = interpreter_failure(exc.lines, ctx.project.requires_python, ctx.target.version, ctx.root)
        if exc.kind == "resolution" and not exc.hint:
            from migrate.lock.siblings import sibling_hint

            exc = type(exc)(exc.message, exc.lines, exc.kind, sibling_hint(exc.stderr, ctx.root), exc.stderr)
        ctx.result.lock["failure"] = exc.to_json()
        raise exc from None


def _lock_stage(ctx) -> None:
    project, options, target = ctx.project, ctx.options, ctx.target
    text = ctx.changes.current(PYPROJECT).decode("utf-8")
    pins = list(project.pins)
    from migrate.lock.freethreading import (assess, mark_off_target, preassess, read_uv_lock, readiness_warnings,
                                            runnable_pins, successor_advice)
    requirements = _requirements(project)
    # the fixes the old lock's file names already tell (poetry.lock lists them; Pipfile.lock's hashes
    # pick them on the index: lock/pipenvfiles.py) are looked up while the project is converted, its
    # interpreter chosen and the project staged (started by pipeline.plan, else here); they go into
    # the first resolution with the pins
    lookup = getattr(ctx, "lookup", None) or EarlyLookup()
    if not lookup.matches(pins, requirements, target):
        lookup = EarlyLookup()
        lookup.start(project, target, options)
    client = lookup.client or _fix_client(project, options)
    early_job = lookup.job
    python, python_version = choose_python(project.requires_python, target.version, ctx.root)
    ft_python = find_ft_interpreter(target) if target.free_threaded else None
    log: list = []
    ctx.result.lock.update({"interpreter": python_version, "interpreter_path": python if python_version else None,
                            "ft_interpreter": ft_python,
                            "ft_interpreter_found": bool(ft_python) if target.free_threaded else None,
                            "uv_runs": log})
    if python_version is None:
        setting, where = python_downloads(ctx.root)
        ctx.result.lock["interpreter_request"] = python
        ctx.result.lock["python_downloads"] = {"setting": setting, "from": where}
    if target.free_threaded and not ft_python:
        ctx.result.warnings.append(Diagnostic(
            "MIG202", f"no free-threaded Python {target} is installed; the lock is universal and was made "
            f"with Python {python_version or python} (set MIGRATE_FT_PYTHON or install {target} to test on it)",
            path=UV_LOCK))
    root = ctx.root

    from migrate.apply.journal import staging_prefix

    with tempfile.TemporaryDirectory(prefix=staging_prefix("migrate-lock-")) as tmp:
        stage = stage_project(root, ctx.changes, Path(tmp), text, list(options.find_links))
        oldest = oldest_interpreter(project.requires_python) if python_version else None
        early, hints, first = _first_resolution(stage, text, pins, python, options, root, log, lookup, target)
        fixed = _fixed(early, pins, target, hints)
        from migrate.lock.indexcache import flush_in_background
        from migrate.readers.constraints import start_deferred_checks

        reading: list = []

        def meanwhile() -> None:
            # while uv resolves (this thread only waits then), started once uv is (before, their threads
            # would hold up this one): the conversions' grid check, the index answers written to disk for
            # the next run, and what the stage reads once the lock is there
            start_deferred_checks()
            flush_in_background()
            if early_job is not None:
                reading.append(_read_ahead(runnable_pins(pins, project.requires_python), target, client,
                                           requirements))

        run = lock_resolving(stage, text, pins, python, options, root, narrow=_narrower(ctx), log=log,
                             build_python=oldest[0] if oldest else None, fixed=fixed, first=first,
                             on_start=meanwhile)
        text, dropped = run.text, run.dropped
        ctx.result.lock["resolution_hints"] = {"given": list(hints), "used": run.hints}
        if run.python != python:
            python = run.python
            ctx.result.lock.update({"interpreter": oldest[1], "interpreter_path": python,
                                    "interpreter_note": f"a source distribution did not build with Python "
                                                        f"{python_version}; locked with {oldest[1]}"})
        for e in run.excluded:
            ctx.result.warnings.append(Diagnostic(
                "MIG210", f"uv could not lock for {e.marker}: {e.reason}; [tool.uv] environments now leaves it "
                f"out (widen by editing or removing `environments` in pyproject.toml, then `uv lock`)",
                path=PYPROJECT, key="tool.uv.environments"))
        ctx.result.lock["excluded_environments"] = [e.to_json() for e in run.excluded]
        for c in run.build_caps:
            ctx.result.warnings.append(Diagnostic(
                "MIG211", f"{c.package} does not build with today's build tools ({c.reason}); "
                f"[tool.uv] build-constraint-dependencies now has {c.requirement!r} (remove it once that "
                f"package is upgraded, then `uv lock`)", path=PYPROJECT, key="tool.uv.build-constraint-dependencies"))
        ctx.result.lock["build_constraints"] = [c.to_json() for c in run.build_caps]
        for m in run.old_metadata:
            ctx.result.warnings.append(Diagnostic(
                "MIG213", f"{m.name} {m.version} does not build here for its metadata ({m.why}); its "
                f"dependencies are taken from poetry.lock as [[tool.uv.dependency-metadata]] (installing it "
                f"still builds it)", path=PYPROJECT, key="tool.uv.dependency-metadata"))
        ctx.result.lock["old_metadata"] = [m.to_json() for m in run.old_metadata]

        # the fixes are looked up either way: --no-ft-upgrade reports them without applying them
        packages = read_uv_lock(stage / UV_LOCK, target.version)
        entries = assess(packages, target.abi, client, requirements)
        if run.fixed:
            on = {canonicalize_name(p.name) for p in packages if p.on_target is not False and not p.local}
            unneeded = [e for e in early if canonicalize_name(e["name"]) not in on]
            if unneeded:  # the target's Python does not install them after all: no fix, no constraint
                early = [e for e in early if e not in unneeded]
                run.text = _fix_text(run.unfixed, early, target) if early else run.unfixed
                text = run.text
                # taken out of uv.lock's manifest with the pins
                run.pin_reqs = run.pin_reqs + [e["fix"] for e in unneeded]
            entries = _with_early_fixes(entries, early)
        from migrate.verify.runtime import lock_stage_check  # runtime facts beat wheel tags (issue 12)

        lock_stage_check(ctx, entries, packages, client, ft_python)
        kept, changed = _settle_early_fixes(entries) if run.fixed else ([], [])
        from migrate.lock.dependents import dependent_moves, dependent_warnings, is_dependent_fix

        dependent_moves(entries, stage / UV_LOCK, target.abi, target.version, client, requirements)
        fixes = [e for e in entries if e.get("fix") and (e["status"] in ("blocker", "sdist-only") or (
            is_dependent_fix(e) and e["status"] not in ("upgraded", "downgraded")))]  # not an early move made
        if early and not run.fixed:
            # uv could not resolve them with the pins: this second resolution tries them again
            # (those uv cannot satisfy are dropped and said so)
            have = {canonicalize_name(e["name"]) for e in fixes}
            fixes += [e for e in early if canonicalize_name(e["name"]) not in have]
        before_fixes: dict[str, list[str]] | None = None
        if changed and options.ft_upgrade:
            # the runtime check moved or took back an early fix: resolve again from the pins (uv.lock
            # would keep the version the early fix chose) with the fixes that stand
            refix = _by_name(kept + fixes)
            again = lock_resolving(stage, run.unfixed, pins, python, options, root, narrow=_narrower(ctx), log=log,
                                   fixed=_fixed(refix, pins, target))
            from migrate.lock.freethreading import moved_status

            before = {canonicalize_name(e["name"]): e["status"] for e in early}  # copies kept their status
            for e in refix:
                if again.fixed:
                    e["status"] = moved_status(e)
                else:
                    e["status"] = before.get(canonicalize_name(e["name"]), e["status"])
                    e["fix"] = f"{e['fix']} (does not resolve with the other requirements)"
            text = again.text
            finish_pins(stage, again, again.python, options, root, log=log)
            packages = read_uv_lock(stage / UV_LOCK, target.version)
            mark_off_target(entries, packages)
        elif fixes and options.ft_upgrade:
            # the second (and last) resolution: the fixes, without the temporary pins (uv keeps
            # the versions uv.lock already has), so no separate `uv lock --check` is needed
            before_fixes = _versions(packages)
            _strip_manifest(stage / UV_LOCK, run.pinned, _pinned_versions(run.pin_reqs))
            text = _apply_fixes(stage, text, fixes, target, python, options, root, log=log,
                                applied=(run.unfixed, early) if run.fixed and early else None)
            packages = read_uv_lock(stage / UV_LOCK, target.version)
            mark_off_target(entries, packages)
        else:
            finish_pins(stage, run, python, options, root, log=log)
        if reading and reading[0] is not None:
            reading[0].join()  # what it read serves successor_advice
        advice = successor_advice(entries, packages, target.abi, client, requirements)
        warnings = readiness_warnings(entries, str(target), target.abi, advice, path=UV_LOCK)
        warnings += dependent_warnings(entries, target.abi, path=UV_LOCK)
        # a package whose import re-enables the GIL is reported as that (MIG245), not as missing wheels
        gil = {e["name"]: e for e in entries if e.get("runtime") == "enables-gil"}
        ctx.result.warnings += [w for w in warnings if not (w.code == "MIG203" and w.key in gil)]
        for e in gil.values():
            ctx.result.warnings.append(Diagnostic(
                "MIG245", f"{e['name']} {e['version']} re-enables the GIL on import ({e['runtime_detail']})"
                + (f"; {e['fix']}" if e.get("fix") else "; no version up to the bound imports with it off"),
                path=UV_LOCK, key=e["name"]))
        ctx.result.lock["target_advice"] = advice
        ctx.result.ft = entries
        lock_bytes = (stage / UV_LOCK).read_bytes()
        final = _versions(packages)

    if text != ctx.changes.current(PYPROJECT).decode("utf-8"):
        ctx.changes.write(PYPROJECT, text.encode("utf-8"))
    ctx.changes.write(UV_LOCK, lock_bytes)
    _report_pins(ctx, pins, final, dropped,
                 {canonicalize_name(e["name"]) for e in entries if e["status"] in ("upgraded", "downgraded")},
                 before_fixes)
    from migrate.lock.summary import package_table

    ctx.result.lock.update(package_table(pins, packages, ctx.result.lock.get("changed_pins", []), entries,
                                         project.requires_python))


def _fixed(early: list[dict], pins, target, hints: tuple[str, ...] = ()) -> _Fixes | None:
    """:func:`lock_resolving`'s ``fixed`` for the fixes known before resolving (None without any)."""
    return _Fixes(lambda t: _fix_text(t, early, target), _moved_with(early, pins),
                  f"python_version != '{target.version}'", tuple(hints)) if early else None


def _hints(text: str, pins, known: list[dict], lookup: EarlyLookup, target) -> tuple[str, ...]:
    """The hints (:mod:`migrate.lock.hints`) for the fixes ``known`` before resolving ``text``."""
    if not known or lookup.client is None or os.environ.get("MIGRATE_TEST_NO_HINTS"):
        return ()
    if os.environ.get("MIGRATE_TEST_HINTS"):  # test hook: hints given as if the walk had found them
        return tuple(os.environ["MIGRATE_TEST_HINTS"].split("|"))
    from migrate.lock.hints import blocked_by, moved_hints

    if blocked_by(text):
        return ()
    if lookup.hint_reads is not None:
        lookup.hint_reads.join()
    own = _own_constraints(text)
    moved = _moved_with(known, pins)
    plain = dict(lookup.plain) | {name: None for name in own}  # the project's own constraint: not modelled
    try:
        return tuple(moved_hints(lookup.client, pins, known, moved,
                                 _outside(pin_requirements(pins, exclude=own), moved, "x"), target.version,
                                 _target_marker(target), plain, lookup.asked))
    except Exception:  # only a shortcut: uv walks the versions itself
        if os.environ.get("MIGRATE_TEST_STRICT"):
            raise
        return ()


def _first_resolution(stage: Path, text: str, pins, python: str, options, root: Path | None, log: list,
                      lookup: EarlyLookup, target) -> tuple[list[dict], tuple[str, ...], tuple | None]:
    """The fixes known before resolving — the blockers' (``lookup.job``), then their dependents' moves
    (``lookup.dependents``) —, the hints for them (:func:`_hints`) and, when uv already resolved exactly
    the first text with them, its answer (``first`` for :func:`lock_resolving`). While each lookup is
    still running (after a moment's grace: starting and stopping uv costs about as much), uv starts on
    what is known so far: its answer is the first run's when nothing more turns up; else it is stopped,
    its downloads cached for the next run."""
    def steps():
        if lookup.job is not None:
            yield lookup.job
            if lookup.dependents is not None:  # started by the first step
                yield lookup.dependents

    spec: _Speculative | None = None
    known: list[dict] = []
    hints: tuple[str, ...] = ()
    if lookup.job is not None:
        _ready_to_lock()  # this thread would wait for the lookups: it prepares what starting uv needs
    try:
        for step in steps():
            if spec is None and not step.wait(SPECULATION_GRACE):
                spec = _Speculative(stage, _initial_text(text, pins, _fixed(known, pins, target, hints)), python,
                                    options, root, log)
            more = step.result()
            if more:
                known = _by_name(known + more)
                hints = _hints(text, pins, known, lookup, target)
                if spec is not None and spec.text != _initial_text(text, pins, _fixed(known, pins, target, hints)):
                    spec.stop()
                    spec = None
    except BaseException:
        if spec is not None:
            spec.stop()
        raise
    return known, hints, ((spec.text, spec.result()) if spec is not None else None)


def _ready_to_lock() -> None:
    """What starting uv needs and takes time the first time: the uv binary's path and the modules of the
    first resolution (imported here, while the fix lookup runs, rather than after it)."""
    import migrate.lock.buildfix  # noqa: F401
    import migrate.lock.environments  # noqa: F401
    import migrate.lock.oldmetadata  # noqa: F401
    import migrate.lock.uverrors  # noqa: F401

    try:
        uv_bin()
    except StageError:
        pass  # said when uv is started


def _read_ahead(pins, target, client, requirements: dict[str, str]):
    """While uv resolves: the next free-threaded target's fix searches for the old lock's blockers (judged
    from its files, as before uv runs), which :func:`~migrate.lock.freethreading.successor_advice` reads
    once the lock is there (kept by the client). The blockers' dependents' metadata is read before uv
    starts (:func:`~migrate.lock.dependents.early_moves`). A Job to join, or None when there is nothing
    to read."""
    from migrate.interrupt import Job
    from migrate.lock.freethreading import classify, has_target_wheels, judged_pins, search_fix, successor
    from migrate.lock.index import IndexUnavailable

    nxt = successor(target.abi) if target.abi.endswith("t") else None
    blockers = [p for p in judged_pins(pins, target.version)
                if classify(p.files, target.abi) == "blocker" and nxt and not has_target_wheels(p.files, nxt)]
    if not blockers:
        return None

    def work() -> None:
        for pkg in blockers:
            try:
                search_fix(pkg.name, nxt, client, requirements.get(canonicalize_name(pkg.name), ""), pkg.index,
                           pkg.version)
            except IndexUnavailable:
                pass

    return Job(work)


def _moved_with(fixes: list[dict], pins) -> set[str]:
    """The names whose pins must give way on the target's Python for ``fixes``: the fixed packages and
    the pinned packages that depend on them (the old lock says which; a dependent often requires the
    exact old version, as pydantic does pydantic-core)."""
    moved = {canonicalize_name(e["name"]) for e in fixes}
    return moved | {canonicalize_name(p.name) for p in pins if moved & set(getattr(p, "requires", ()))}


def _with_early_fixes(entries: list[dict], early: list[dict]) -> list[dict]:
    """The assessed entries of a lock made with the early fixes: each moved package is reported as
    the move from its old pin (as when the fix is applied after the first resolution), not as the
    version it moved to, nor as the old version other Pythons keep."""

    moved: dict[str, dict] = {}
    for e in early:
        e = dict(e)
        # the status stays blocker/sdist-only until the runtime check (if any) has seen the fix:
        # :func:`_settle_early_fixes` then calls it moved, or takes the fix back
        e["early"] = e["fix"]
        moved[canonicalize_name(e["name"])] = e
    out, placed = [], set()
    for e in entries:
        name = canonicalize_name(e["name"])
        if name not in moved:
            out.append(e)
        elif name not in placed:
            placed.add(name)
            out.append(moved[name])
    return out


def _settle_early_fixes(entries: list[dict]) -> tuple[list[dict], list[dict]]:
    """After the runtime check: (early fixes it kept, now marked moved; early entries whose fix it
    changed or took back — their constraint must go, and a changed fix is applied like a late one)."""
    from migrate.lock.freethreading import moved_status

    kept, changed = [], []
    for e in entries:
        applied = e.pop("early", None)
        if applied is None:
            continue
        if e.get("fix") == applied:
            e["status"] = moved_status(e)
            kept.append(e)
        else:
            changed.append(e)
    return kept, changed


def _versions(packages) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for p in packages:
        if not p.local:
            out.setdefault(canonicalize_name(p.name), []).append(p.version)
    return out


def _requirements(project) -> dict[str, str]:
    """Every version range the project itself puts on a package (all groups and extras together)."""
    out: dict[str, list[str]] = {}
    for d in project.all_dependencies():
        if d.specifier:
            out.setdefault(canonicalize_name(d.name), []).append(d.specifier)
    return {name: ",".join(specs) for name, specs in out.items()}


def _apply_fixes(stage: Path, text: str, fixes: list[dict], target, python: str, options, root: Path,
                 log: list | None = None, applied: tuple[str, list[dict]] | None = None) -> str:
    """Constrain each blocker to its fix (for the target's Python version only) and lock again; fixes
    that uv cannot satisfy with the other requirements are dropped (and said so). Returns the text.
    ``applied``: (the text without fixes, the fixes ``text`` already has): every fix is then written in
    name order, as when all of them were known before the first resolution."""
    from migrate.lock.uverrors import failure

    for attempt in range(2):
        if not fixes:
            break
        fixed = _fix_text(applied[0], _by_name(applied[1] + fixes), target) if applied else \
            _fix_text(text, fixes, target)
        (stage / PYPROJECT).write_text(fixed)
        proc = run_uv_lock(stage, python, options, root=root, log=log)
        if proc.returncode == 0:
            from migrate.lock.freethreading import moved_status

            for e in fixes:
                e["status"] = moved_status(e)
            return fixed
        named = _names_in(proc.stderr, {canonicalize_name(e["name"]) for e in fixes}) if attempt == 0 else set()
        why = _first_error(proc.stderr)
        from migrate.lock.uverrors import project_requirements_named  # what the user would widen

        own = project_requirements_named(proc.stderr, _project_name(text), {canonicalize_name(e["name"]) for e in fixes})
        for e in fixes:
            if not named or canonicalize_name(e["name"]) in named:
                e["fix"] = (f"{e['fix']} (does not resolve with the other requirements: "
                            + (f"it conflicts with the project's own {', '.join(own)}: that needs a wider bound or a newer "
                                  "release to allow it)" if own
                               else f"{why})"))
        fixes = [e for e in fixes if named and canonicalize_name(e["name"]) not in named]
    (stage / PYPROJECT).write_text(text)
    proc = run_uv_lock(stage, python, options, root=root, log=log)
    if proc.returncode != 0:
        raise failure("uv could not lock the converted project; nothing was written", proc.stderr, stage, root)
    return text


def _target_marker(target) -> str:
    return f"python_version == '{target.version}'"


def _fix_text(text: str, fixes: list[dict], target) -> str:
    """``text`` with each fix as a constraint for the target's Python only, with a comment saying why."""
    only_target = _target_marker(target)
    comments = {f"{e['fix']}; {only_target}": e.get("fix_reason") or (
        f"free-threading: {e['name']} {e['version']} " + (
            f"ships only an sdist; {e['fix'].split('==')[1]} is the nearest with wheels for {target}"
            if e["status"] == "sdist-only" else
            f"has no {target.abi} wheels; {e['fix'].split('==')[1]} is the nearest that does")) for e in fixes}
    return _with_constraints(text, list(comments), comments=comments)


def _pin_req(pin) -> str:
    req = f"{pin.name}=={pin.version}"
    marker = environment_marker(pin.marker)
    return f"{req}; {marker}" if marker else req


def _project_name(text: str) -> str | None:
    import tomllib

    try:
        return tomllib.loads(text).get("project", {}).get("name")
    except (tomllib.TOMLDecodeError, AttributeError):
        return None


def _first_error(stderr: str) -> str:
    """The line of uv's message that says why (its "Because ..." explanation when there is one)."""
    lines = [ln.strip().lstrip("×╰─▶│ ").strip() for ln in stderr.splitlines() if ln.strip()]
    lines = [ln for ln in lines if ln]
    for needle in ("because", "error", "unsatisfiable"):
        for ln in lines:
            if needle in ln.lower():
                return ln
    return lines[0] if lines else "uv failed"


def _with_constraints(text: str, reqs: list[str], temporary: bool = False,
                      comments: dict[str, str] | None = None) -> str:
    """``text`` with ``reqs`` appended to ``[tool.uv] constraint-dependencies`` (created if absent)."""
    import tomlkit

    doc = tomlkit.parse(text)
    tool = doc.setdefault("tool", tomlkit.table(is_super_table=True))
    created = "uv" not in tool
    uv = tool.setdefault("uv", tomlkit.table())
    arr = uv.get("constraint-dependencies")
    if arr is None:
        arr = tomlkit.array()
        uv["constraint-dependencies"] = arr
        if created:
            uv.add(tomlkit.nl())
    have = {str(x) for x in arr}
    for r in reqs:
        if r not in have:
            arr.add_line(r, indent="    ", comment=(comments or {}).get(r))
    if len(arr) and not arr.as_string().rstrip().endswith("\n]"):
        arr.add_line(indent="")
    return tomlkit.dumps(doc)


def _report_pins(ctx, pins, final: dict[str, list[str]], dropped: dict[str, str], upgraded: set[str],
                 before_fixes: dict[str, list[str]] | None = None) -> None:
    """MIG201 for every old pin whose version is not in the new lock, with the reason. Pins whose marker
    no Python that ``requires-python`` admits can meet (the old lock's environments for older Pythons)
    are not reported."""
    from packaging.version import InvalidVersion, Version

    def has(versions: list[str], v: str) -> bool:
        try:
            return any(Version(v) == Version(n) for n in versions)
        except InvalidVersion:
            return v in versions

    changed: list[dict[str, Any]] = []
    by_name: dict[str, list] = {}
    for p in pins:
        by_name.setdefault(canonicalize_name(p.name), []).append(p)
    requires_python = ctx.project.requires_python
    for name, group in sorted(by_name.items()):
        now_all = final.get(name)
        if not now_all:
            continue  # no longer required
        relevant = [p for p in group if not p.marker or _possible(p.marker, requires_python)] or group
        versions = list(dict.fromkeys(p.version for p in relevant))
        if all(has(now_all, v) for v in versions):
            continue
        now = " / ".join(now_all)
        if name in upgraded:
            why = "moved to a version with free-threaded wheels"
            if any(has(now_all, v) for v in versions):
                why += f" on Python {ctx.target.version}; other versions keep {' / '.join(versions)}"
        elif name in dropped:
            why = f"the old pin does not resolve with the converted requirements: {dropped[name]}"
        elif before_fixes is not None and all(has(before_fixes.get(name, []), v) for v in versions):
            why = (f"moved with the free-threading fixes ({', '.join(sorted(upgraded))}) on Python "
                   f"{ctx.target.version}")
        elif len(versions) > 1:
            marks = "; ".join(f"{p.version} for {p.marker}" for p in relevant)
            why = f"uv does not split the environments as the old lock did ({marks})"
        else:
            why = "uv resolved a different version (the pinned one is not available from the configured sources)"
        changed.append({"name": name, "old": versions, "new": now, "why": why})
        ctx.result.warnings.append(Diagnostic(
            "MIG201", f"{name} {' / '.join(versions)} -> {now}: {why}", path=UV_LOCK, key=name))
    ctx.result.lock["changed_pins"] = changed
    ctx.result.lock["kept_pins"] = sum(1 for n in by_name if n in final) - len(changed)


def _possible(marker: str, requires_python: str | None) -> bool:
    """Whether ``marker`` can hold on some Python that ``requires_python`` admits (on Linux, macOS or
    Windows); True when it cannot be told."""
    from packaging.markers import InvalidMarker, Marker, default_environment
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        m = Marker(marker)
        spec = SpecifierSet(requires_python or "")
    except (InvalidMarker, InvalidSpecifier):
        return True
    told = {"python_version", "python_full_version", "sys_platform", "os_name", "platform_system",
            "implementation_name", "platform_python_implementation"}
    variables = set(re.findall(r"\b(python_version|python_full_version|sys_platform|os_name|platform_system|"
                               r"implementation_name|platform_python_implementation|platform_machine|"
                               r"platform_release|platform_version|implementation_version|extra|"
                               r"dependency_groups|extras)\b", marker))
    if not variables <= told:
        return True
    systems = [("linux", "posix", "Linux"), ("win32", "nt", "Windows"), ("darwin", "posix", "Darwin")]
    for minor in range(0, 30):
        for micro in (0, 99):
            if not spec.contains(f"3.{minor}.{micro}", prereleases=True):
                continue
            for sys_platform, os_name, system in systems:
                env = dict(default_environment(), python_version=f"3.{minor}", python_full_version=f"3.{minor}.{micro}",
                           sys_platform=sys_platform, os_name=os_name, platform_system=system,
                           implementation_name="cpython", platform_python_implementation="CPython", extra="")
                try:
                    if m.evaluate(env):
                        return True
                except Exception:
                    return True
    return False
