"""Find the interpreter to verify on, and a GIL build to compare with.

Order for the target (``--python`` first when given): a path is used as it is; a version (``3.13t``, or
the project's ``.python-version``) is looked up as ``$MIGRATE_FT_PYTHON``, installed interpreters (PATH,
pyenv, uv's managed ones, found by ``uv python find``), then ``uv python install`` — which downloads only
when the user's uv configuration allows it (``UV_PYTHON_DOWNLOADS``, ``python-downloads`` in uv.toml):
that setting is respected, never overridden. Every step taken is recorded, so the report can say what
was used or why nothing was found.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path

from migrate.diagnostics import MigrateError

_PROBE = (
    "import sys, sysconfig, json; print(json.dumps({'version': '%d.%d.%d' % sys.version_info[:3], "
    "'free_threaded': bool(sysconfig.get_config_var('Py_GIL_DISABLED')), 'executable': sys.executable, "
    "'implementation': sys.implementation.name}))"
)


@dataclass
class Interpreter:
    path: str
    version: str
    free_threaded: bool
    #: how it was found: --python, MIGRATE_FT_PYTHON, installed, uv python find, uv python install
    source: str
    #: extra environment for running it (the GIL baseline on a free-threaded build: PYTHON_GIL=1)
    env: dict[str, str] = field(default_factory=dict)
    label: str = ""

    @property
    def minor(self) -> str:
        return ".".join(self.version.split(".")[:2])

    def to_json(self) -> dict:
        return asdict(self)


def probe(path: str, source: str) -> Interpreter | None:
    """Start ``path`` once and ask what it is; None when it does not run or is not CPython."""
    try:
        proc = subprocess.run([path, "-c", _PROBE], capture_output=True, text=True, timeout=30,
                              env=_clean_env())
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    try:
        data = json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None
    if data.get("implementation") != "cpython":
        return None
    label = f"CPython {data['version']}{'t (free-threaded)' if data['free_threaded'] else ' (GIL)'}"
    return Interpreter(path, data["version"], bool(data["free_threaded"]), source, label=label)


def _clean_env() -> dict[str, str]:
    env = dict(os.environ)
    for key in ("PYTHON_GIL", "PYTHONHOME", "PYTHONPATH", "VIRTUAL_ENV"):
        env.pop(key, None)
    return env


def parse_request(text: str) -> tuple[str, bool] | None:
    """``3.13t`` -> ("3.13", True); ``3.13`` -> ("3.13", False); a path or anything else -> None."""
    import re

    m = re.match(r"^(?:python|cpython-?)?(3\.\d+)(?:\.\d+)?(t|\+freethreaded)?$", text.strip())
    if not m:
        return None
    return m.group(1), bool(m.group(2))


def project_target(root: Path) -> str | None:
    """The first request in ``.python-version`` (what ``migrate run`` wrote), if any."""
    path = Path(root) / ".python-version"
    try:
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                return line
    except OSError:
        return None
    return None


def _uv(args: list[str], timeout: float) -> subprocess.CompletedProcess | None:
    from migrate.lock.lock import uv_bin

    env = _clean_env()
    env["UV_NO_PROGRESS"] = "1"
    try:
        return subprocess.run([uv_bin(), *args], capture_output=True, text=True, timeout=timeout, env=env)
    except (OSError, subprocess.TimeoutExpired):
        return None


def _installed(version: str, free_threaded: bool) -> list[str]:
    """Installed interpreters named for ``version`` (PATH, pyenv, uv's managed folder, the cache of
    ``build-free-threaded-python.sh``)."""
    import glob

    name = f"python{version}{'t' if free_threaded else ''}"
    places = [os.path.join(d, name) for d in os.environ.get("PATH", "").split(os.pathsep) if d]
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    suffix = "t" if free_threaded else ""
    places += sorted(glob.glob(str(pyenv / "versions" / f"{version}.*{suffix}" / "bin" / name)), reverse=True)
    uv_dir = Path(os.environ.get("UV_PYTHON_INSTALL_DIR", Path.home() / ".local" / "share" / "uv" / "python"))
    pattern = f"cpython-{version}.*{'freethreaded' if free_threaded else ''}*"
    places += sorted(glob.glob(str(uv_dir / pattern / "bin" / name)), reverse=True)
    if free_threaded:  # where ../shared/tools/build-free-threaded-python.sh caches its build
        cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "uv-migrate"
        places += sorted(glob.glob(str(cache / f"cpython-{version}.*t" / "bin" / name)), reverse=True)
    return [p for p in dict.fromkeys(places)
            if os.path.isfile(p) and os.access(p, os.X_OK) and "shims" not in Path(p).parts]


def find(request: str | None, root: Path, tried: list[str], allow_install: bool = True) -> Interpreter:
    """The interpreter for ``request`` (``--python``), else the project's target. Raises MigrateError
    (exit 2) for an unusable explicit path or request; LookupError (with ``tried`` filled) when nothing
    was found."""
    explicit = request is not None
    wanted = request or project_target(root) or "3.13t"
    parsed = parse_request(wanted)
    if parsed is None:
        if explicit or os.sep in wanted:
            path = os.path.expanduser(wanted)
            found = probe(path, "--python" if explicit else ".python-version")
            if found is None:
                raise MigrateError(f"{wanted} is not a CPython interpreter that runs", key="--python",
                                   hint="give the path of python3.13t or a version like 3.13t")
            return found
        raise MigrateError(f"cannot read the interpreter request {wanted!r}", path=Path(root) / ".python-version",
                           hint="write a version like 3.13t, or pass --python")
    version, free_threaded = parsed
    where = "--python" if explicit else (".python-version" if project_target(root) else "default target")
    tried.append(f"wanted {version}{'t' if free_threaded else ''} ({where})")

    def ok(it: Interpreter | None) -> bool:
        return it is not None and it.minor == version and it.free_threaded == free_threaded

    env_path = os.environ.get("MIGRATE_FT_PYTHON")
    if env_path and free_threaded:
        it = probe(env_path, "MIGRATE_FT_PYTHON")
        if ok(it):
            return it
        tried.append(f"MIGRATE_FT_PYTHON={env_path}: not a free-threaded {version}")
    for path in _installed(version, free_threaded):
        it = probe(path, "installed")
        if ok(it):
            return it
    tried.append(f"no python{version}{'t' if free_threaded else ''} on PATH, in pyenv or in uv's folder")
    uv_request = f"{version}{'t' if free_threaded else ''}"
    proc = _uv(["python", "find", uv_request], timeout=60)
    if proc is not None and proc.returncode == 0 and proc.stdout.strip():
        it = probe(proc.stdout.strip().splitlines()[-1], "uv python find")
        if ok(it):
            return it
    tried.append(f"`uv python find {uv_request}` found none")
    if allow_install:
        proc = _uv(["python", "install", uv_request], timeout=600)
        if proc is not None and proc.returncode == 0:
            found = _uv(["python", "find", uv_request], timeout=60)
            if found is not None and found.returncode == 0 and found.stdout.strip():
                it = probe(found.stdout.strip().splitlines()[-1], "uv python install")
                if ok(it):
                    return it
        why = "timed out" if proc is None else _last_line(proc.stderr or proc.stdout)
        tried.append(f"`uv python install {uv_request}` did not provide one ({why})")
    raise LookupError("; ".join(tried))


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip()]
    return lines[-1] if lines else "no output"


def gil_baseline(ft: Interpreter) -> tuple[Interpreter | None, str]:
    """A GIL build to compare the tests with, and a sentence saying which and why.

    A CPython of the same minor version with the GIL, when one is installed (found without downloading);
    else the free-threaded build itself with ``PYTHON_GIL=1``: same version, same wheels, the GIL forced
    on — the only difference is the GIL, which is what the comparison is about."""
    for path in _installed(ft.minor, False):
        it = probe(path, "installed")
        if it is not None and it.minor == ft.minor and not it.free_threaded:
            return it, f"GIL build {it.label} at {it.path}"
    proc = _uv(["python", "find", ft.minor], timeout=60)  # `find` never downloads
    if proc is not None and proc.returncode == 0 and proc.stdout.strip():
        it = probe(proc.stdout.strip().splitlines()[-1], "uv python find")
        if it is not None and it.minor == ft.minor and not it.free_threaded:
            return it, f"GIL build {it.label} at {it.path}"
    if ft.free_threaded:
        base = Interpreter(ft.path, ft.version, True, "PYTHON_GIL=1", env={"PYTHON_GIL": "1"},
                           label=f"CPython {ft.version}t with PYTHON_GIL=1")
        return base, (f"no GIL build of CPython {ft.minor} is installed: the baseline is the free-threaded "
                      f"build with the GIL forced on (PYTHON_GIL=1)")
    return None, "the target is a GIL build: no separate baseline"
