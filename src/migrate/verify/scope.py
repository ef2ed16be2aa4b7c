"""Which part of the project needs a locked distribution: its own dependencies (``runtime``: what users of
the package install, extras included) or only its dependency groups (``dev``: tests, linters, docs).

A module that re-enables the GIL, does not import or was built from source matters differently in the
two cases: in ``dev`` only, the package itself still runs without the GIL for its users; its test run does
not (and the verdict says so). Read from ``uv.lock``: the project's ``dependencies`` and
``optional-dependencies`` are walked for ``runtime``, its ``dev-dependencies`` (groups) for the rest.
"""

from __future__ import annotations

from pathlib import Path

from packaging.utils import canonicalize_name

RUNTIME = "runtime"
DEV = "dev"

_LOCAL = ("virtual", "editable", "directory", "path")


def _names(entries) -> list[str]:
    return [canonicalize_name(str(d["name"])) for d in entries or [] if isinstance(d, dict) and "name" in d]


def scopes(lock_path: Path, project: str | None) -> dict[str, str]:
    """{canonical distribution name: ``runtime`` | ``dev``} for every package reachable from the project
    (and its workspace members); empty when the lock cannot be read or has no local project."""
    from migrate.discover import load_toml_fast

    try:
        data = load_toml_fast(Path(lock_path), display=Path(lock_path).name)
    except Exception:  # noqa: BLE001 — an unreadable lock only means no scope is told
        return {}
    packages = [p for p in data.get("package", []) if isinstance(p, dict) and "name" in p]
    deps: dict[str, list[str]] = {}
    for p in packages:
        name = canonicalize_name(str(p["name"]))
        out = deps.setdefault(name, [])
        out += _names(p.get("dependencies"))
        for extra in (p.get("optional-dependencies") or {}).values():
            out += _names(extra)
    roots = [p for p in packages if isinstance(p.get("source"), dict) and any(k in p["source"] for k in _LOCAL)]
    if project:
        own = [p for p in roots if canonicalize_name(str(p["name"])) == canonicalize_name(project)]
        roots = own or roots
    if not roots:
        return {}

    def closure(start: list[str]) -> set[str]:
        seen: set[str] = set()
        todo = list(start)
        while todo:
            n = todo.pop()
            if n in seen:
                continue
            seen.add(n)
            todo += deps.get(n, [])
        return seen

    runtime = closure([canonicalize_name(str(p["name"])) for p in roots])
    dev_start = [n for p in roots for group in (p.get("dev-dependencies") or {}).values() for n in _names(group)]
    dev = closure(dev_start) - runtime
    return {**{n: DEV for n in dev}, **{n: RUNTIME for n in runtime}}
