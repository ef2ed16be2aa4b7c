"""Sync ``uv.lock`` into an environment: a throw-away one by default, the project's own with ``--in-place``.

``uv sync --frozen`` (the lock as it is, never re-resolved) with the chosen interpreter. The user's uv
configuration (indexes, caches, downloads) applies; only the environment location is ours
(``UV_PROJECT_ENVIRONMENT``). Which packages uv built from source is read from its output ("Built ...")
and, because a cached build prints nothing, also from the installed wheel tags (see ``imports``).
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

_BUILT = re.compile(r"^\s*Built (?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?:==(?P<version>\S+)| @ (?P<url>\S+))?", re.M)


@dataclass
class SyncResult:
    ok: bool
    environment: str
    python: str
    seconds: float
    command: list[str]
    built: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    in_place: bool = False
    #: the package uv could not build (see :func:`failed_build`), when that is why the sync failed
    failed_build: dict | None = None

    def to_json(self) -> dict:
        return {"ok": self.ok, "environment": self.environment, "in_place": self.in_place,
                "seconds": round(self.seconds, 3), "command": " ".join(self.command),
                "built_from_source": [{"name": n, "version": v} for n, v in sorted(self.built.items())],
                "error": self.error, "failed_build": self.failed_build}


def env_python(environment: Path) -> Path:
    for rel in ("bin/python", "Scripts/python.exe"):
        if (environment / rel).exists():
            return environment / rel
    return environment / "bin" / "python"


def sync(root: Path, python: str, environment: Path | None, extra: list[str] | None = None,
         timeout: float = 1800, say=None) -> SyncResult:
    """``uv sync --frozen`` of ``root`` into ``environment`` (None: the project's own, ``--in-place``).
    ``say`` gets uv's progress lines (a package being built from source can take minutes)."""
    import threading

    from migrate.lock.lock import uv_bin

    env = dict(os.environ)
    env.pop("VIRTUAL_ENV", None)
    env.pop("PYTHON_GIL", None)
    env["UV_NO_PROGRESS"] = "1"
    if environment is not None:
        env["UV_PROJECT_ENVIRONMENT"] = str(environment)
    cmd = [uv_bin(), "sync", "--frozen", "--python", python, *(extra or [])]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    lines = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if say and line.strip().startswith(("Building", "Built", "Downloading", "Prepared", "Installed")):
                say(f"uv sync: {line.strip()}")
        proc.wait()
    finally:
        timer.cancel()
    if proc.returncode != 0 and time.perf_counter() - start >= timeout:
        return SyncResult(False, str(environment or ""), python, time.perf_counter() - start, cmd,
                          error=f"uv sync did not finish in {timeout:.0f} s")
    output = "".join(lines)
    seconds = time.perf_counter() - start
    in_place = environment is None
    if environment is None:
        environment = Path(env.get("UV_PROJECT_ENVIRONMENT") or Path(root) / ".venv")
        if not environment.is_absolute():
            environment = Path(root) / environment
    # "Built name==1.0" (an sdist from an index) or "Built name @ git+..." (a git or path source)
    built = {m.group("name"): m.group("version") or m.group("url") or "" for m in _BUILT.finditer(output)}
    if proc.returncode != 0:
        return SyncResult(False, str(environment), python, seconds, cmd, built, error=_explain(output),
                          in_place=in_place, failed_build=failed_build(output))
    return SyncResult(True, str(environment), python, seconds, cmd, built, in_place=in_place)


# "error: Failed to download and build `argon2-cffi-bindings==21.2.0`", "× Failed to build `x @ file://..`"
_FAILED_BUILD = re.compile(r"Failed to (?:download and )?build `(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)"
                           r"(?:==(?P<version>[^`\s]+)| @ [^`]+)?`")
# the line of a build's output that says why: a Python exception, a compiler or tool error
_WHY = re.compile(r"^\s*(?:[A-Za-z_][\w.]*(?:Error|Exception)|error|Error|fatal error)\b.*:\s*\S")
_INCLUDED = re.compile(r"^\s*(?:hint|help): (`[^`]+` \(v[^)]+\) was included because .*)$")


def failed_build(output: str) -> dict | None:
    """What uv could not build, from its output: ``{name, version, for_build_of, why, included_because}``.
    uv names the package it was installing first and, when a build requirement of it failed, that one
    next (argon2-cffi-bindings, then cffi): the first is what the project needs, ``for_build_of`` the chain."""
    found = [(m.group("name"), m.group("version")) for m in _FAILED_BUILD.finditer(output)]
    if not found:
        return None
    lines = output.splitlines()
    why = [ln.strip() for ln in lines if _WHY.match(ln) and not ln.lstrip().startswith(("error: Failed to",
                                                                                        "cause:"))]
    included = next((m.group(1) for m in map(_INCLUDED.match, lines) if m), None)
    name, version = found[0]
    return {"name": name, "version": version, "build_requirement": [f"{n}{'==' + v if v else ''}"
                                                                    for n, v in found[1:]],
            "why": why[-1] if why else None, "included_because": included}


def _explain(output: str) -> str:
    """uv's reason, short: for a failed build the package, why (the build's last error line) and why it is
    in the lock; otherwise uv's error lines. The last lines of uv's output follow."""
    lines = [ln.rstrip() for ln in output.splitlines() if ln.strip()]
    keep = [ln for ln in lines if not ln.lstrip().startswith(("Using ", "Resolved ", "Prepared ", "Creating ",
                                                              "Building ", "Downloading "))]
    tail = "\n".join(keep[-15:]) or "uv sync failed"
    fb = failed_build(output)
    if fb is None:
        head = next((ln.strip() for ln in lines if ln.lstrip().startswith(("error:", "×"))), None)
        return f"{head}\n{tail}" if head and head not in tail else tail
    what = f"{fb['name']} {fb['version']}" if fb["version"] else fb["name"]
    head = f"could not build {what} from source"
    if fb["build_requirement"]:
        head += f" (its build requirement {', '.join(fb['build_requirement'])} failed)"
    if fb["why"]:
        head += f": {fb['why']}"
    if fb["included_because"]:
        head += f"\n{fb['included_because']}"
    return f"{head}\n--- uv's last lines:\n{tail}"
