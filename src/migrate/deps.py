"""`migrate deps [PATH]`: free-threading readiness of a project's locked dependencies.

Reads uv.lock after migrating, or poetry.lock / Pipfile.lock before (Pipfile.lock has hashes only: the
file names come from the index), and the version ranges the project itself sets, then asks
:mod:`migrate.lock.freethreading` (a leaf that knows wheels and indexes only) for each package's status
and the nearest fixing version. Exit 0: ready; 1: a blocker remains or the index could not answer;
2: bad input.
"""

from __future__ import annotations

import sys
from pathlib import Path

from packaging.utils import canonicalize_name

from migrate.diagnostics import MigrateError
from migrate.lock.freethreading import LockedPackage, _filename, read_uv_lock

__all__ = ["deps_command", "read_lock", "read_pipfile_lock", "read_poetry_lock", "project_requirements"]


def read_poetry_lock(path: Path) -> list[LockedPackage]:
    """Packages of a poetry.lock (``files`` names every artefact; legacy sources give the index)."""
    from migrate.discover import load_toml_fast

    data = load_toml_fast(path, display=path.name)
    out = []
    for pkg in data.get("package", []):
        if not isinstance(pkg, dict) or "name" not in pkg:
            continue
        source = pkg.get("source") if isinstance(pkg.get("source"), dict) else {}
        local = source.get("type") in ("directory", "file", "git", "url")
        files = [str(f["file"]) for f in pkg.get("files", []) if isinstance(f, dict) and "file" in f]
        index = source.get("url") if source.get("type") == "legacy" else None
        out.append(LockedPackage(str(pkg["name"]), str(pkg.get("version", "")), files, index, local))
    return out


def read_pipfile_lock(path: Path) -> list[LockedPackage]:
    """Packages of a Pipfile.lock (hashes only: the file names come from the index)."""
    from migrate.readers.pipenv import read_pipfile_lock as pins

    seen: set[tuple[str, str]] = set()
    out = []
    for pin in pins(path):
        if (pin.name, pin.version) not in seen:
            seen.add((pin.name, pin.version))
            out.append(LockedPackage(pin.name, pin.version, [], None, False))
    return out


def read_lock(root: Path, python: str | None = None) -> tuple[str, list[LockedPackage]]:
    """The project's lock: uv.lock first (with ``python``: which packages that Python installs), else
    poetry.lock, else Pipfile.lock."""
    if (root / "uv.lock").is_file():
        return "uv.lock", read_uv_lock(root / "uv.lock", python)
    for name, reader in (("poetry.lock", read_poetry_lock), ("Pipfile.lock", read_pipfile_lock)):
        if (root / name).is_file():
            return name, reader(root / name)
    raise MigrateError("no uv.lock, poetry.lock or Pipfile.lock here", path=root,
                       hint="run `migrate run` (or `uv lock`) first")


def project_requirements(root: Path) -> dict[str, str]:
    """The version ranges the project itself sets per package (PEP 621 / PEP 735 tables, or the Poetry or
    Pipenv metadata read through the model), all groups together; empty when there is nothing readable."""
    from packaging.requirements import InvalidRequirement, Requirement

    from migrate.discover import detect

    out: dict[str, list[str]] = {}
    try:
        fmt = detect(root)
        if fmt in ("poetry", "pipenv"):
            from migrate.pipeline import RunOptions, read_project

            project = read_project(root, RunOptions(), fmt)
            for d in project.all_dependencies():
                if d.specifier:
                    out.setdefault(canonicalize_name(d.name), []).append(d.specifier)
            return {name: ",".join(specs) for name, specs in out.items()}
        import tomllib

        data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    except (MigrateError, OSError, ValueError):
        return {}
    project = data.get("project", {}) if isinstance(data.get("project"), dict) else {}
    reqs = list(project.get("dependencies", []) or [])
    for extra in (project.get("optional-dependencies") or {}).values():
        reqs += list(extra or [])
    for group in (data.get("dependency-groups") or {}).values():
        reqs += [r for r in group or [] if isinstance(r, str)]
    for text in reqs:
        try:
            req = Requirement(str(text))
        except InvalidRequirement:
            continue
        if str(req.specifier):
            out.setdefault(canonicalize_name(req.name), []).append(str(req.specifier))
    return {name: ",".join(specs) for name, specs in out.items()}


def deps_command(path: Path, target: str, offline: bool, index_url: str | None, find_links: list[str],
                 fmt: str, python: str | None = None) -> int:
    """`migrate deps`: print the readiness table (or JSON) and the warnings; 1 when a blocker remains or
    the index could not answer, 2 on bad input."""
    from migrate.lock.freethreading import assess, readiness_warnings, successor_advice
    from migrate.lock.index import IndexClient
    from migrate.report import print_json
    from migrate.target import Target

    try:
        tgt = Target.parse(target)
        root = Path(path)
        if not root.is_dir():
            raise MigrateError("not a folder", path=root)
        lock_name, packages = read_lock(root, tgt.version)
    except MigrateError as exc:
        if fmt == "json":
            print_json({"error": str(exc)})
        else:
            sys.stderr.write(f"error: {exc}\n")
        return 2
    client = IndexClient(index_urls=[index_url] if index_url else None, find_links=find_links, offline=offline)
    requirements = project_requirements(root)
    entries = assess(packages, tgt.abi, client, requirements)
    if python:  # the runtime column (issue 12): import the locked versions on a free-threaded build
        from migrate.verify.runtime import deps_runtime_column

        try:
            deps_runtime_column(entries, packages, python, tgt, root, client, offline, index_url, find_links,
                                requirements)
        except MigrateError as exc:
            sys.stderr.write(f"error: {exc}\n")
            return 2
    if lock_name == "uv.lock":  # a blocker's dependent that could move instead (reported, not applied)
        from migrate.lock.dependents import dependent_moves

        dependent_moves(entries, root / "uv.lock", tgt.abi, tgt.version, client, requirements)
    advice = successor_advice(entries, packages, tgt.abi, client, requirements)
    warnings = readiness_warnings(entries, str(tgt), tgt.abi, advice, path=lock_name)
    if lock_name == "uv.lock":
        from migrate.lock.dependents import dependent_warnings

        warnings += dependent_warnings(entries, tgt.abi, path=lock_name)
    blockers = [e for e in entries if e["status"] == "blocker"]
    errors = [e for e in entries if e.get("error")]
    if fmt == "json":
        print_json({"lock": lock_name, "target": str(tgt), "packages": entries, "advice": advice,
                    "warnings": [w.to_json() for w in warnings]})
    else:
        from migrate.report import print_ft_table, print_warnings

        print_ft_table(entries, lock_name, str(tgt))
        print_warnings(warnings)
    return 1 if blockers or errors else 0
