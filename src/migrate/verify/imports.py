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

_INVENTORY = r'''
import importlib.metadata as md, json, os, re, sys, ast
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
dists = []
for d in md.distributions():
    name = d.metadata["Name"]
    if not name:
        continue
    files = [str(f) for f in (d.files or [])]
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
        if re.match(r"^__editable___.*_finder\.py$", f):
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
    dists.append({"name": name, "version": d.version, "modules": sorted(set(mods)), "tags": tags,
                  "direct_url": json.loads(direct) if direct else None, "editable": bool(pth_paths or finder)})
print(json.dumps(dists))
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
    """Every distribution installed in the environment of ``python``."""
    proc = subprocess.run([str(python), "-c", _INVENTORY], capture_output=True, text=True, env=run_env(),
                          timeout=300, cwd=tempfile.gettempdir())
    if proc.returncode != 0:
        raise RuntimeError(f"could not list the installed distributions: {proc.stderr.strip()[-500:]}")
    return [Distribution(**d) for d in json.loads(proc.stdout.strip().splitlines()[-1])]


def import_one(python: Path, module: str, cwd: str | None = None, timeout: float = 120,
               extra_env: dict[str, str] | None = None) -> tuple[str, str | None]:
    """(status, detail) of importing ``module`` alone in a fresh ``python`` (``extra_env`` on top of
    :func:`run_env`: the GIL baseline sets PYTHON_GIL=1)."""
    env = run_env()
    env.update(extra_env or {})
    try:
        # the same import script as a share of modules (_SEQUENCE), with one module
        proc = subprocess.run([str(python), "-c", _SEQUENCE, json.dumps([module])], capture_output=True, text=True,
                              env=env, timeout=timeout, cwd=cwd or tempfile.gettempdir())
    except subprocess.TimeoutExpired:
        return IMPORT_ERROR, f"import did not finish in {timeout:.0f} s"
    marker = proc.stdout.rfind("@@migrate@@")
    if marker < 0:  # the interpreter died (a crash in an extension's init) or printed nothing
        tail = (proc.stderr.strip().splitlines() or [f"exit code {proc.returncode}"])[-1]
        return IMPORT_ERROR, f"the interpreter exited during the import ({tail})"
    data = json.loads(proc.stdout[marker + len("@@migrate@@"):].strip().splitlines()[0])
    return _verdict(data)


def default_jobs() -> int:
    return max(1, min(8, os.cpu_count() or 1))


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
              on_done=None) -> dict[str, tuple[str, str | None]]:
    """Import ``modules`` in order in one fresh interpreter, starting a new one after each module whose
    import turned the GIL on (so every module is imported with the GIL off, and each flip is attributed
    to the module whose import caused it, as importing it alone would). Modules that fail are imported
    again alone (:func:`import_one`), so only failures that happen in isolation count."""
    out: dict[str, tuple[str, str | None]] = {}
    remaining = list(modules)
    while remaining:
        try:
            proc = subprocess.run([str(python), "-c", _SEQUENCE, json.dumps(remaining)], capture_output=True,
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
            out[remaining[0]] = import_one(python, remaining[0], cwd=cwd, timeout=timeout)
            if on_done:
                on_done(remaining[0])
            reported = [remaining[0]]
        remaining = remaining[remaining.index(reported[-1]) + 1:]
    for module, (status, _) in list(out.items()):
        if status == IMPORT_ERROR:
            out[module] = import_one(python, module, cwd=cwd, timeout=timeout)
    return out


def check(python: Path, targets: list[tuple[str, Distribution]], jobs: int | None = None,
          cwd: str | None = None, on_done=None, timeout: float = 120) -> list[ModuleResult]:
    """Import each (module, distribution) with the GIL off and note its status; ``on_done`` is called
    after each (for progress). The modules are split over ``jobs`` interpreters running at once, each
    importing its share in order and restarting after any module that turned the GIL on (see
    :func:`_sequence`): the result per module is the one a fresh interpreter per module gives, at the
    cost of one start-up (and one import of shared dependencies) per share instead of per module."""
    modules = [m for m, _ in targets]
    jobs = max(1, min(jobs or default_jobs(), len(modules) or 1))
    shares = [modules[i::jobs] for i in range(jobs)]
    done: dict[str, tuple[str, str | None]] = {}
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for part in pool.map(lambda share: _sequence(python, share, cwd, timeout, on_done), shares):
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
