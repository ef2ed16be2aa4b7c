"""A source distribution uv cannot build here: its metadata from the old lock.

To lock, uv needs each candidate's dependencies; for a version that ships only an sdist it builds the
sdist's metadata. Some sdists cannot build on this machine — ``systemd-python`` needs the libsystemd
headers, other C extensions a compiler or a library — although Poetry locked them: ``poetry.lock``
records each package's dependencies, extras and Python range. When uv fails to build exactly the
version the old lock pinned, that recorded metadata is given to uv as
``[[tool.uv.dependency-metadata]]`` (uv's own mechanism for "do not build this to resolve"), written
with a comment and warned as MIG213. It applies to that version only; installing the package still
builds it, as it did under Poetry. Pipfile.lock records no dependencies: nothing to take from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from packaging.utils import canonicalize_name

_FAILED = re.compile(r"Failed to (?:download and )?build `(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^`\s]+)`")
#: an extras entry in poetry.lock: ``Name[extras] (specifier) ; marker``
_EXTRA_REQ = re.compile(r"^\s*(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?P<extras>\[[^\]]*\])?\s*"
                        r"(?:\((?P<spec>[^)]*)\))?\s*(?:;\s*(?P<marker>.+))?$")


@dataclass
class OldMetadata:
    name: str
    version: str
    requires_dist: list[str] = field(default_factory=list)
    requires_python: str | None = None
    provides_extras: list[str] = field(default_factory=list)
    why: str = ""  # uv's reason the build failed

    def to_json(self) -> dict:
        return {"name": self.name, "version": self.version, "requires-dist": self.requires_dist,
                "requires-python": self.requires_python, "provides-extras": self.provides_extras}


def failed_build(stderr: str) -> tuple[str, str] | None:
    """(name, version) of the registry distribution uv's error says failed to build."""
    m = _FAILED.search(stderr or "")
    return (m.group("name"), m.group("version")) if m else None


def _reason(stderr: str) -> str:
    from migrate.lock.uverrors import trim

    lines = [ln.strip() for ln in trim(stderr, limit=200) if ln.strip()]
    skip = re.compile(r"^(error:|cause:|hint:|\[stderr\]|\[stdout\]|Traceback|File |×|╰|│)", re.I)
    body = [ln for ln in lines if not skip.match(ln)]
    return body[0][:200] if body else "the build failed"


def _requirement(name: str, spec) -> list[str] | None:
    """PEP 508 requirements for one poetry.lock ``[package.dependencies]`` entry (a list for a
    multiple-constraint entry); None when it cannot be converted exactly."""
    from migrate.readers.constraints import ConstraintError, convert_constraint, normalize_marker, \
        python_constraint_to_marker
    from migrate.readers.markers import and_

    out = []
    for entry in spec if isinstance(spec, list) else [spec]:
        if isinstance(entry, str):
            entry = {"version": entry}
        if not isinstance(entry, dict) or entry.get("optional"):
            continue  # optional: listed under its extra
        try:
            conv = convert_constraint(str(entry.get("version", "*")))
            marker = and_(normalize_marker(str(entry["markers"])) if entry.get("markers") else None,
                          python_constraint_to_marker(str(entry["python"])) if entry.get("python") else None)
        except (ConstraintError, ValueError):
            return None
        if not conv.exact:
            return None
        extras = entry.get("extras") or []
        req = name + (f"[{','.join(sorted(map(str, extras)))}]" if extras else "") + conv.specifier
        out.append(req + (f" ; {marker}" if marker else ""))
    return out


def _extra_requirement(text: str, extra: str) -> str | None:
    m = _EXTRA_REQ.match(str(text))
    if not m:
        return None
    from migrate.readers.markers import and_

    spec = (m.group("spec") or "").strip()
    marker = and_(m.group("marker").strip() if m.group("marker") else None, f'extra == "{extra}"')
    return f"{m.group('name')}{m.group('extras') or ''}{spec} ; {marker}"


def old_metadata(root: Path | None, stderr: str) -> OldMetadata | None:
    """The metadata poetry.lock recorded for the distribution uv's error says failed to build (None:
    no poetry.lock, not that version, or something not convertible exactly)."""
    failed = failed_build(stderr)
    lock = Path(root) / "poetry.lock" if root is not None else None
    if failed is None or lock is None or not lock.is_file():
        return None
    import tomllib

    try:
        data = tomllib.loads(lock.read_text(encoding="utf-8", errors="replace"))
    except (OSError, ValueError):
        return None
    name, version = canonicalize_name(failed[0]), failed[1]
    for pkg in data.get("package", []):
        if not isinstance(pkg, dict) or canonicalize_name(str(pkg.get("name", ""))) != name \
                or str(pkg.get("version")) != version or isinstance(pkg.get("source"), dict):
            continue
        reqs: list[str] = []
        for dep, spec in (pkg.get("dependencies") or {}).items():
            got = _requirement(str(dep), spec)
            if got is None:
                return None
            reqs += got
        extras = []
        for extra, items in (pkg.get("extras") or {}).items():
            extras.append(str(extra))
            for item in items if isinstance(items, list) else []:
                got = _extra_requirement(str(item), str(extra))
                if got is None:
                    return None
                reqs.append(got)
        python = str(pkg.get("python-versions") or "*").strip()
        requires_python = None
        if python not in ("*", ""):
            from migrate.readers.constraints import ConstraintError, requires_python as conv_python

            try:
                requires_python = conv_python(python).specifier or None
            except (ConstraintError, ValueError):
                return None
        return OldMetadata(str(pkg["name"]), version, reqs, requires_python, extras, _reason(stderr))
    return None


def with_dependency_metadata(text: str, metas: list[OldMetadata]) -> str:
    """``text`` (pyproject.toml) with one ``[[tool.uv.dependency-metadata]]`` per entry, commented."""
    if not metas:
        return text
    import tomlkit

    doc = tomlkit.parse(text)
    tool = doc.setdefault("tool", tomlkit.table(is_super_table=True))
    uv = tool.setdefault("uv", tomlkit.table())
    aot = uv.get("dependency-metadata")
    if aot is None:
        aot = tomlkit.aot()
        uv["dependency-metadata"] = aot
    have = {(canonicalize_name(str(t.get("name", ""))), str(t.get("version"))) for t in aot}
    for meta in metas:
        if (canonicalize_name(meta.name), meta.version) in have:
            continue
        table = tomlkit.table()
        table.add(tomlkit.comment(f"migrate: {meta.name} {meta.version} did not build here for its metadata "
                                  f"({meta.why}); taken from poetry.lock"))
        table["name"] = meta.name
        table["version"] = meta.version
        arr = tomlkit.array()
        for r in meta.requires_dist:
            arr.add_line(r, indent="    ")
        if meta.requires_dist:
            arr.add_line(indent="")
        table["requires-dist"] = arr
        if meta.requires_python:
            table["requires-python"] = meta.requires_python
        if meta.provides_extras:
            table["provides-extras"] = meta.provides_extras
        aot.append(table)
    return tomlkit.dumps(doc)
