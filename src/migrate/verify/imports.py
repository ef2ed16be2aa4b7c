"""Import every top-level module of an environment, one at a time, each in a fresh interpreter.

The inventory (run once, inside the environment) lists each installed distribution with its version,
the wheel tags it was installed from, and its top-level modules — from ``top_level.txt``, else from
``RECORD`` (packages, ``.py`` modules, extension modules); an editable install (the project itself)
contributes the modules found on the paths its ``.pth`` file adds. Then every module is imported with the
GIL off in fresh interpreters (see :func:`check`: a few at once, a new interpreter after every GIL flip,
failures re-checked alone in their own) with ``PYTHON_GIL`` unset, noting whether ``sys._is_gil_enabled()``
went from False to True and the RuntimeWarning that names the extension that did it.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

#: statuses of one module
OK, ENABLES_GIL, IMPORT_ERROR, BUILT = "ok", "enables-gil", "import-error", "built-from-source"

#: top-level names that are never the distribution's importable API (test folders, build scripts)
SKIP = {"test", "tests", "testing", "docs", "doc", "examples", "example", "benchmarks", "bench", "setup",
        "conftest", "noxfile", "fabfile", "tasks", "__pycache__", "_virtualenv", "scripts", "tools"}

#: the scan of the installed distributions: run inside the environment's interpreter (as a script), or
#: here on the environment's site-packages folder (:func:`inventory`); one copy of the code for both
_INVENTORY = r'''
import importlib.metadata as md, json, os, re, sys, ast, csv, pathlib
SUFFIXES = (".so", ".pyd")
def ident(n):
    return n.isidentifier()
def from_paths(paths):
    out = []
    for p in paths:
        if not os.path.isdir(p):
            continue
        for entry in sorted(os.listdir(p)):
            full = os.path.join(p, entry)
            if entry.endswith(".py") and ident(entry[:-3]):
                out.append(entry[:-3])
            elif entry.endswith(SUFFIXES) and ident(entry.split(".")[0]):
                out.append(entry.split(".")[0])
            elif os.path.isdir(full) and ident(entry) and os.path.isfile(os.path.join(full, "__init__.py")):
                out.append(entry)
    return out
EDITABLE_FINDER = re.compile(r"^__editable___.*_finder\.py$")
def headers(d):
    # Name and Version from the metadata's header lines (what d.metadata[...] gives, the first of each,
    # without an email parser per distribution)
    text = d.read_text("METADATA") or d.read_text("PKG-INFO") or ""
    out = {}
    for line in text.splitlines():
        if not line.strip():
            break
        key, sep, value = line.partition(":")
        if sep and key in ("Name", "Version") and key not in out:
            out[key] = value.strip()
    if "Name" not in out or "Version" not in out:
        meta = d.metadata
        out = {"Name": meta["Name"], "Version": meta["Version"]}
    return out
def record(d):
    # str() of each of d.files, read straight from RECORD (no path object per file); d.files itself for
    # what is not a plain .dist-info RECORD
    text = d.read_text("RECORD")
    if text is None:
        return [str(f) for f in (d.files or [])]
    out = []
    for row in csv.reader(text.splitlines()):
        if not row:
            continue
        name = row[0]
        if "//" in name or "/./" in name or name.startswith("./") or name.endswith(("/", "/.")) or name in ("", "."):
            name = str(pathlib.PurePosixPath(name))
        out.append(name)
    return out
def scan(distributions):
    dists = []
    for d in distributions:
        head = headers(d)
        name = head["Name"]
        if not name:
            continue
        files = record(d)
        mods, pth_paths, finder = [], [], False
        top = d.read_text("top_level.txt")
        if top:
            mods = [m.strip() for m in top.splitlines() if m.strip() and ident(m.strip().split("/")[0])]
            mods = [m.split("/")[0] for m in mods]
        else:
            for f in files:
                parts = f.split("/")
                first = parts[0]
                if first.endswith((".dist-info", ".data")) or first in ("..", "") or first.startswith("__editable__"):
                    continue
                if len(parts) > 1:
                    if ident(first):
                        mods.append(first)
                elif first.endswith(".py") and ident(first[:-3]):
                    mods.append(first[:-3])
                elif first.endswith(SUFFIXES) and ident(first.split(".")[0]):
                    mods.append(first.split(".")[0])
        site = str(d.locate_file(""))
        for f in files:
            if f.endswith(".pth") and "/" not in f:
                try:
                    lines = open(os.path.join(site, f), encoding="utf-8").read().splitlines()
                except OSError:
                    continue
                for line in lines:
                    line = line.strip()
                    if line and not line.startswith(("#", "import ")):
                        pth_paths.append(line if os.path.isabs(line) else os.path.join(site, line))
            if EDITABLE_FINDER.match(f):
                try:
                    tree = ast.parse(open(os.path.join(site, f), encoding="utf-8").read())
                    for node in tree.body:
                        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "MAPPING":
                            mods += list(ast.literal_eval(node.value))
                            finder = True
                except (OSError, SyntaxError, ValueError):
                    pass
        if not mods and pth_paths:
            mods = from_paths(pth_paths)
        tags = []
        wheel = d.read_text("WHEEL") or ""
        for line in wheel.splitlines():
            if line.startswith("Tag:"):
                tags.append(line.split(":", 1)[1].strip())
        direct = d.read_text("direct_url.json")
        dists.append({"name": name, "version": head["Version"], "modules": sorted(set(mods)), "tags": tags,
                      "direct_url": json.loads(direct) if direct else None, "editable": bool(pth_paths or finder)})
    return dists
if __name__ == "__main__":
    # not the working directory ("" first on sys.path with -c): only what the environment itself has
    print(json.dumps(scan(md.distributions(path=[p for p in sys.path if p]))))
'''


@dataclass
class Distribution:
    name: str
    version: str
    modules: list[str]
    tags: list[str]
    direct_url: dict | None
    editable: bool


@dataclass
class ModuleResult:
    module: str
    distribution: str
    version: str
    status: str
    detail: str | None = None

    def to_json(self) -> dict:
        return asdict(self)


def run_env() -> dict[str, str]:
    """The environment for running the interpreter under test: PYTHON_GIL unset (so a re-enabled GIL
    shows), no inherited PYTHONPATH or virtualenv."""
    env = dict(os.environ)
    for key in ("PYTHON_GIL", "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONWARNINGS"):
        env.pop(key, None)
    return env


def inventory(python: Path) -> list[Distribution]:
    """Every distribution installed in the environment of ``python``: read here from the environment's
    site-packages folder (and the folders its ``.pth`` files add, as the interpreter's start-up does) when
    ``python`` is a virtual environment's, else by running the scan in ``python`` (one interpreter
    start-up, about a third of a second on a free-threaded build that compiles importlib.metadata)."""
    site = site_packages(python)
    if site is not None:
        try:
            return _inventory_here(site)
        except Exception:  # noqa: BLE001 - whatever it is, the interpreter itself gives the answer or the error
            pass
    return _inventory_in(python)


def site_packages(python: Path) -> Path | None:
    """The site-packages folder of the virtual environment ``python`` belongs to (``bin/python`` or
    ``Scripts/python.exe`` beside its ``pyvenv.cfg``), None when that is not exactly one folder."""
    env = Path(python).parent.parent
    if not (env / "pyvenv.cfg").is_file():
        return None
    found = {p.resolve(): p for p in (*env.glob("lib/python3*/site-packages"), env / "Lib" / "site-packages")
             if p.is_dir()}
    return next(iter(found.values())) if len(found) == 1 else None


def path_entries(site: Path) -> list[str]:
    """``site`` and the existing folders its ``.pth`` files add, in the order ``site.py`` adds them."""
    out = [str(site)]
    for pth in sorted(site.glob("*.pth")):
        try:
            lines = pth.read_text(encoding="utf-8-sig").splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        for line in lines:
            line = line.rstrip()
            if not line or line.startswith(("#", "import ", "import\t")):
                continue
            folder = os.path.abspath(os.path.join(site, line))
            if os.path.isdir(folder) and folder not in out:
                out.append(folder)
    return out


def _inventory_here(site: Path) -> list[Distribution]:
    import importlib.metadata as md

    namespace: dict = {"__name__": "migrate_inventory"}
    exec(compile(_INVENTORY, "<migrate inventory>", "exec"), namespace)  # noqa: S102 - our own scan, above
    return [Distribution(**d) for d in namespace["scan"](md.distributions(path=path_entries(site)))]


def _inventory_in(python: Path) -> list[Distribution]:
    proc = subprocess.run([str(python), "-c", _INVENTORY], capture_output=True, text=True, env=run_env(),
                          timeout=300, cwd=tempfile.gettempdir())
    if proc.returncode != 0:
        raise RuntimeError(f"could not list the installed distributions: {proc.stderr.strip()[-500:]}")
    return [Distribution(**d) for d in json.loads(proc.stdout.strip().splitlines()[-1])]


def import_one(python: Path, module: str, cwd: str | None = None, timeout: float = 120,
               extra_env: dict[str, str] | None = None, bytecode_under: str | None = None) -> tuple[str, str | None]:
    """(status, detail) of importing ``module`` alone in a fresh ``python`` (``extra_env`` on top of
    :func:`run_env`: the GIL baseline sets PYTHON_GIL=1; ``bytecode_under``: see :func:`check`)."""
    env = run_env()
    env.update(extra_env or {})
    try:
        # the same import script as a share of modules (_SEQUENCE), with one module
        proc = subprocess.run([str(python), "-c", _SEQUENCE, json.dumps([module]), *_bytecode_arg(bytecode_under)],
                              capture_output=True, text=True, env=env, timeout=timeout,
                              cwd=cwd or tempfile.gettempdir())
    except subprocess.TimeoutExpired:
        return IMPORT_ERROR, f"import did not finish in {timeout:.0f} s"
    marker = proc.stdout.rfind("@@migrate@@")
    if marker < 0:  # the interpreter died (a crash in an extension's init) or printed nothing
        tail = (proc.stderr.strip().splitlines() or [f"exit code {proc.returncode}"])[-1]
        return IMPORT_ERROR, f"the interpreter exited during the import ({tail})"
    data = json.loads(proc.stdout[marker + len("@@migrate@@"):].strip().splitlines()[0])
    return _verdict(data)


def _bytecode_arg(folder: str | None) -> list[str]:
    return [str(folder)] if folder else []


def cpus() -> int:
    """CPUs this process may run on (its affinity mask where the system has one)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def default_jobs(busy: int = 0) -> int:
    """Import-check interpreters to run at once: one per CPU left over by ``busy`` other processes
    (a test run going on at the same time), at least one, at most eight."""
    return max(1, min(8, cpus() - busy))


def _verdict(data: dict) -> tuple[str, str | None]:
    import re

    if data.get("died"):
        return IMPORT_ERROR, f"the interpreter died during the import ({data['died']})"
    if data["error"]:
        return IMPORT_ERROR, data["error"]
    if data["after"] and not data["before"]:
        named = [m for w in data["warnings"] for m in re.findall(r"to load module '([^']+)'", w)]
        if named:
            return ENABLES_GIL, f"extension {named[0]} does not declare Py_mod_gil: loading it enabled the GIL"
        return ENABLES_GIL, (data["warnings"] or ["sys._is_gil_enabled() became True"])[0]
    return OK, None


_SEQUENCE = r'''
import json, sys, warnings, importlib
gil = getattr(sys, "_is_gil_enabled", lambda: True)
if len(sys.argv) > 2:
    # keep the bytecode of what is compiled under this folder (the throw-away environment), so the test
    # run, which imports much the same, reads it instead of compiling it again; nothing is written anywhere
    # else (the project's tree, the interpreter's own library), whatever PYTHONDONTWRITEBYTECODE says
    import importlib._bootstrap_external as bootstrap, os
    roots = tuple({os.path.join(r, "") for r in (sys.argv[2], os.path.realpath(sys.argv[2]))})
    write = bootstrap.SourceFileLoader._cache_bytecode
    def cache_bytecode(self, source_path, bytecode_path, data):
        if not source_path.startswith(roots):
            raise NotImplementedError  # importlib's own way of saying "no bytecode cache here"
        return write(self, source_path, bytecode_path, data)
    bootstrap.SourceFileLoader._cache_bytecode = cache_bytecode
    sys.dont_write_bytecode = False
for name in json.loads(sys.argv[1]):
    before = gil()
    error = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            importlib.import_module(name)
        except BaseException as exc:
            error = "%s: %s" % (type(exc).__name__, str(exc).splitlines()[0] if str(exc) else "")
    msgs = [str(x.message) for x in caught
            if issubclass(x.category, RuntimeWarning) and "global interpreter lock" in str(x.message)]
    after = gil()
    sys.__stdout__.write("\n@@migrate@@" + json.dumps({"module": name, "before": before, "after": after,
                                                       "error": error, "warnings": msgs}) + "\n")
    sys.__stdout__.flush()
    if after and not before:
        break  # the GIL is on now: the next module needs a fresh interpreter
'''


def _sequence(python: Path, modules: list[str], cwd: str | None, timeout: float,
              on_done=None, bytecode_under: str | None = None) -> dict[str, tuple[str, str | None]]:
    """Import ``modules`` in order in one fresh interpreter, starting a new one after each module whose
    import turned the GIL on (so every module is imported with the GIL off, and each flip is attributed
    to the module whose import caused it, as importing it alone would). Modules that fail are imported
    again alone (:func:`import_one`), so only failures that happen in isolation count."""
    out: dict[str, tuple[str, str | None]] = {}
    remaining = list(modules)
    while remaining:
        try:
            proc = subprocess.run([str(python), "-c", _SEQUENCE, json.dumps(remaining),
                                   *_bytecode_arg(bytecode_under)], capture_output=True,
                                  text=True, env=run_env(), timeout=timeout * len(remaining),
                                  cwd=cwd or tempfile.gettempdir())
            stdout = proc.stdout
        except subprocess.TimeoutExpired as exc:
            stdout = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        reported = []
        for chunk in stdout.split("@@migrate@@")[1:]:
            try:
                data = json.loads(chunk.strip().splitlines()[0])
            except (ValueError, IndexError):
                continue
            reported.append(data["module"])
            out[data["module"]] = _verdict(data)
            if on_done:
                on_done(data["module"])
        if not reported:  # the interpreter died on the first module: that one alone, then go on
            out[remaining[0]] = import_one(python, remaining[0], cwd=cwd, timeout=timeout,
                                           bytecode_under=bytecode_under)
            if on_done:
                on_done(remaining[0])
            reported = [remaining[0]]
        remaining = remaining[remaining.index(reported[-1]) + 1:]
    for module, (status, _) in list(out.items()):
        if status == IMPORT_ERROR:
            out[module] = import_one(python, module, cwd=cwd, timeout=timeout, bytecode_under=bytecode_under)
    return out


def check(python: Path, targets: list[tuple[str, Distribution]], jobs: int | None = None,
          cwd: str | None = None, on_done=None, timeout: float = 120,
          bytecode_under: str | None = None, lead: list[str] | tuple[str, ...] = ()) -> list[ModuleResult]:
    """Import each (module, distribution) with the GIL off and note its status; ``on_done`` is called
    after each (for progress). The modules are split over ``jobs`` interpreters running at once, each
    importing its share in order and restarting after any module that turned the GIL on (see
    :func:`_sequence`): the result per module is the one a fresh interpreter per module gives, at the
    cost of one start-up (and one import of shared dependencies) per share instead of per module.

    ``bytecode_under``: a throw-away folder (the environment) under which the compiled bytecode of the
    imported modules is kept for later interpreters; None: nothing is written. ``lead``: modules imported
    first, in an interpreter of their own beside the ``jobs`` others, which ends after them (the test
    runner's, so that the test run, started once they are done, finds their bytecode and takes that CPU)."""
    lead = [m for m, _ in targets if m in set(lead)]
    modules = [m for m, _ in targets if m not in set(lead)]
    jobs = max(1, min(jobs or default_jobs(), len(modules) or 1))
    shares = [share for share in ([lead] + [modules[i::jobs] for i in range(jobs)]) if share]
    done: dict[str, tuple[str, str | None]] = {}
    with ThreadPoolExecutor(max_workers=len(shares) or 1) as pool:
        for part in pool.map(lambda share: _sequence(python, share, cwd, timeout, on_done, bytecode_under), shares):
            done.update(part)
    return [ModuleResult(m, d.name, d.version, *done[m]) for m, d in targets]


def modules_of(dists: list[Distribution]) -> list[tuple[str, Distribution]]:
    """(module, distribution) pairs to import: every top-level module once, test/build folders skipped."""
    seen: set[str] = set()
    out = []
    for d in sorted(dists, key=lambda d: d.name.lower()):
        for m in d.modules:
            if m in SKIP or m in seen or not m.isidentifier():
                continue
            seen.add(m)
            out.append((m, d))
    return out
