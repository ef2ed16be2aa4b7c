"""Free-threading readiness of locked dependencies, from wheel file names.

For every locked package: ``pure`` (a ``py3-none-any`` wheel, or an ABI-independent ``none`` wheel),
``ft-wheels`` (a wheel for the target ABI, e.g. ``cp313t``), ``sdist-only`` (builds from source), or
``blocker`` (native wheels, none for the target ABI). abi3 wheels do not count: the free-threaded build
cannot load the limited API. For a blocker, :func:`find_fix` asks the package's index (PEP 691 JSON or
PEP 503 HTML, or a ``--find-links`` folder) for the newest version that the project's requirements admit
and that ships target wheels.

Works on ``uv.lock`` and, before migrating, on ``poetry.lock`` (its ``files`` lists name every artefact)
and ``Pipfile.lock`` (hashes only: the file names come from the index).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from migrate.diagnostics import MigrateError

STATUSES = ("pure", "ft-wheels", "sdist-only", "blocker", "upgraded", "unknown")


@dataclass
class LockedPackage:
    name: str
    version: str
    files: list[str] = field(default_factory=list)
    #: the package's index URL, when the lock names it
    index: str | None = None
    #: local/virtual/git packages have no wheels to judge
    local: bool = False


def classify(files: list[str], abi: str) -> str:
    """Status of one package version from its artefact file names (see module docstring)."""
    wheels = []
    has_sdist = False
    for f in files:
        if f.endswith(".whl"):
            try:
                wheels.append(parse_wheel_filename(f)[3])
            except InvalidWheelFilename:
                continue
        elif f.endswith((".tar.gz", ".zip", ".tar.bz2", ".tgz")):
            has_sdist = True
    if not wheels:
        return "sdist-only" if has_sdist else "unknown"
    tags = [t for tagset in wheels for t in tagset]
    if any(t.abi == "none" and t.platform == "any" for t in tags):
        return "pure"
    if any(t.abi == abi for t in tags):
        return "ft-wheels"
    if any(t.abi == "none" for t in tags):
        return "pure"  # platform-specific but ABI-independent (e.g. py3-none-manylinux binaries)
    return "blocker"


def _filename(entry: dict) -> str | None:
    for key in ("filename", "url", "path"):
        value = entry.get(key)
        if isinstance(value, str) and value:
            return value.rsplit("/", 1)[-1].split("#", 1)[0]
    return None


# -- lock readers ----------------------------------------------------------------------------------
def read_uv_lock(path: Path) -> list[LockedPackage]:
    """Packages of a uv.lock; a registry that is a local folder (``--find-links``) is made absolute."""
    from migrate.discover import load_toml_fast

    data = load_toml_fast(path, display=path.name)
    out = []
    for pkg in data.get("package", []):
        if not isinstance(pkg, dict) or "name" not in pkg:
            continue
        source = pkg.get("source", {}) if isinstance(pkg.get("source"), dict) else {}
        local = any(k in source for k in ("virtual", "editable", "directory", "path", "git"))
        files = [f for f in (_filename(w) for w in pkg.get("wheels", []) if isinstance(w, dict)) if f]
        sdist = pkg.get("sdist")
        if isinstance(sdist, dict) and _filename(sdist):
            files.append(_filename(sdist))
        index = source.get("registry") if isinstance(source.get("registry"), str) else None
        if index and "://" not in index:
            index = str((path.parent / index).resolve())
        out.append(LockedPackage(str(pkg["name"]), str(pkg.get("version", "")), files, index, local))
    return out


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


def read_lock(root: Path) -> tuple[str, list[LockedPackage]]:
    """The project's lock: uv.lock first, else poetry.lock, else Pipfile.lock."""
    for name, reader in (("uv.lock", read_uv_lock), ("poetry.lock", read_poetry_lock),
                         ("Pipfile.lock", read_pipfile_lock)):
        if (root / name).is_file():
            return name, reader(root / name)
    raise MigrateError("no uv.lock, poetry.lock or Pipfile.lock here", path=root,
                       hint="run `migrate run` (or `uv lock`) first")


# -- the report ------------------------------------------------------------------------------------
def assess(packages: list[LockedPackage], abi: str, client, requirements: dict[str, str] | None = None,
           fix: bool = True) -> list[dict[str, Any]]:
    """One entry per locked package: {name, version, status, fix}."""
    packages = [p for p in packages if not p.local]
    if client is not None and hasattr(client, "prefetch"):
        client.prefetch([(p.name, p.index) for p in packages if not p.files])
    out = []
    for pkg in packages:
        files = pkg.files
        if not files and client is not None:
            files = [f for f, v in client.files(pkg.name, pkg.index) if v == _norm(pkg.version)]
        out.append({"name": pkg.name, "version": pkg.version, "status": classify(files, abi), "fix": None})
    if fix and client is not None:
        blockers = [(pkg, e) for pkg, e in zip(packages, out) if e["status"] == "blocker"]
        if hasattr(client, "prefetch"):
            client.prefetch([(pkg.name, pkg.index) for pkg, _ in blockers])
        for pkg, entry in blockers:
            spec = (requirements or {}).get(canonicalize_name(pkg.name), "")
            better = find_fix(pkg.name, abi, client, spec, pkg.index, pkg.version)
            if better is not None and _norm(better) != _norm(pkg.version):
                entry["fix"] = f"{pkg.name}=={better}"
    return out


def _norm(version: str) -> Version | None:
    try:
        return Version(version)
    except InvalidVersion:
        return None


def find_fix(name: str, abi: str, client, specifier: str = "", index: str | None = None,
             current: str | None = None) -> str | None:
    """The newest version (admitted by ``specifier``, not a pre-release) with a wheel for ``abi``, or None.

    A pure-Python version counts too, but only newer than ``current``: an old pure release of a package
    that is native now (``0.0.1`` placeholders) is not a fix."""
    from packaging.specifiers import SpecifierSet

    spec = SpecifierSet(specifier or "")
    floor = _norm(current) if current else None
    by_version: dict[Version, list[str]] = {}
    for filename, version in client.files(name, index):
        if version is not None:
            by_version.setdefault(version, []).append(filename)
    for version in sorted(by_version, reverse=True):
        if version.is_prerelease or not spec.contains(version):
            continue
        status = classify(by_version[version], abi)
        if status == "ft-wheels" or (status == "pure" and floor is not None and version > floor):
            return str(version)
    return None


def version_of(filename: str) -> Version | None:
    try:
        if filename.endswith(".whl"):
            return parse_wheel_filename(filename)[1]
        return parse_sdist_filename(filename)[1]
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None


def name_of(filename: str) -> str | None:
    try:
        if filename.endswith(".whl"):
            return parse_wheel_filename(filename)[0]
        return parse_sdist_filename(filename)[0]
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None


def project_requirements(root: Path) -> dict[str, str]:
    """The version ranges the project itself sets per package (PEP 621 / PEP 735 tables, or the Poetry or
    Pipenv metadata read through the model), all groups together; empty when there is nothing readable."""
    from packaging.requirements import InvalidRequirement, Requirement

    from migrate.discover import detect

    out: dict[str, list[str]] = {}
    try:
        fmt = detect(root)
        if fmt in ("poetry", "pipenv"):
            from migrate.lock.lock import _requirements
            from migrate.pipeline import RunOptions, read_project

            return _requirements(read_project(root, RunOptions(), fmt))
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


# -- `migrate deps` ----------------------------------------------------------------------------------
def deps_command(path: Path, target: str, offline: bool, index_url: str | None, find_links: list[str],
                 fmt: str, python: str | None = None) -> int:
    """`migrate deps`: print the readiness table (or JSON); 1 when a blocker remains, 2 on bad input."""
    from migrate.lock.index import IndexClient
    from migrate.report import print_json
    from migrate.target import Target

    try:
        tgt = Target.parse(target)
        root = Path(path)
        if not root.is_dir():
            raise MigrateError("not a folder", path=root)
        lock_name, packages = read_lock(root)
    except MigrateError as exc:
        if fmt == "json":
            print_json({"error": str(exc)})
        else:
            sys.stderr.write(f"error: {exc}\n")
        return 2
    client = IndexClient(index_urls=[index_url] if index_url else None, find_links=find_links, offline=offline)
    entries = assess(packages, tgt.abi, client, project_requirements(root))
    if python:  # the runtime column (issue 12): import the locked versions on a free-threaded build
        from migrate.verify.runtime import deps_runtime_column

        try:
            deps_runtime_column(entries, packages, python, tgt, root, client, offline, index_url, find_links,
                                project_requirements(root))
        except MigrateError as exc:
            sys.stderr.write(f"error: {exc}\n")
            return 2
    blockers = [e for e in entries if e["status"] == "blocker"]
    if fmt == "json":
        print_json({"lock": lock_name, "target": str(tgt), "packages": entries})
    else:
        from migrate.report import print_ft_table

        print_ft_table(entries, lock_name, str(tgt))
    return 1 if blockers else 0
