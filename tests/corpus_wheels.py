"""A local wheel folder that stands in for the index a corpus project's old lock was made against.

Every package+version of the old lock becomes a small pure wheel (``tests/wheelhouse.py``) whose
METADATA carries what the lock knows of it: poetry.lock's ``[package.dependencies]`` and
``[package.extras]`` as ``Requires-Dist``/``Provides-Extra`` (converted by our Poetry reader,
:func:`migrate.readers.poetry.locked_metadata`) and ``python-versions`` as ``Requires-Python``.
Pipfile.lock has no dependency graph: its packages become wheels without requirements. A requirement
(the project's own, or a locked package's) that no locked version satisfies gets one more version that
does, as the index would have had (a stale lock, a package the lock never needed). Projects without
a lock get one such version per requirement.

Wheels are built once per (name, version, metadata) in a shared cache folder and hard-linked into
each project's folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from wheelhouse import build_wheel


@dataclass(frozen=True)
class Dist:
    name: str
    version: str
    requires: tuple[str, ...] = ()
    extras: tuple[str, ...] = ()
    requires_python: str | None = None

    def key(self) -> str:
        data = json.dumps([self.name, self.version, self.requires, self.extras, self.requires_python])
        return hashlib.sha256(data.encode()).hexdigest()[:20]


def _poetry_lock_dists(lock: Path) -> list[Dist]:
    import tomllib

    from migrate.readers.poetry import locked_metadata

    out = []
    for pkg in tomllib.loads(lock.read_text(encoding="utf-8")).get("package", []):
        source = pkg.get("source") or {}
        if source.get("type") in ("git", "directory", "file", "url"):
            continue  # built from their source, not taken from an index
        requires, extras, rp = locked_metadata(pkg)
        out.append(Dist(pkg["name"], pkg["version"], tuple(requires), tuple(extras), rp))
    return out


def _pipfile_lock_dists(lock: Path) -> list[Dist]:
    from migrate.readers.pipenv import read_pipfile_lock

    return [Dist(p.name, p.version) for p in read_pipfile_lock(lock)]


def locked_dists(root: Path) -> list[Dist] | None:
    """The old lock's packages (None: the project has no lock)."""
    if (root / "poetry.lock").is_file():
        return _poetry_lock_dists(root / "poetry.lock")
    if (root / "Pipfile.lock").is_file():
        return _pipfile_lock_dists(root / "Pipfile.lock")
    return None


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def version_for(spec: SpecifierSet) -> str:
    """A version ``spec`` admits (the newest of a few candidates built from its own bounds)."""
    candidates: set[Version] = {Version("1.0"), Version("0.1"), Version("2024.1")}
    for clause in spec:
        v = _version(clause.version.rstrip(".*").rstrip("."))
        if v is None:
            continue
        rel = list(v.release)
        candidates.add(v)
        candidates.add(Version(".".join(map(str, rel + [1]))))
        candidates.add(Version(".".join(map(str, rel + [0, 1]))))  # just above it (">2,<2.1")
        for i in range(len(rel)):
            bumped = rel[:i] + [rel[i] + 1]
            candidates.add(Version(".".join(map(str, bumped))))
            candidates.add(Version(".".join(map(str, bumped + [0] * (len(rel) - i - 1) + [1]))))
            if rel[i] > 0:
                lower = rel[:i] + [rel[i] - 1] + [99] * (len(rel) - i - 1)
                candidates.add(Version(".".join(map(str, lower))))
                candidates.add(Version(".".join(map(str, lower + [1]))))
    good = [v for v in candidates if spec.contains(v, prereleases=True)]
    final = [v for v in good if not v.is_prerelease]
    if not (final or good):
        raise ValueError(f"no version found for {spec}")
    return str(max(final or good))


def _satisfied(name: str, spec: SpecifierSet, dists: dict[str, list[Dist]]) -> bool:
    for d in dists.get(name, []):
        v = _version(d.version)
        if v is None or spec.contains(v, prereleases=True):
            return True
    return False


def complete(dists: list[Dist], requirements: list[str]) -> list[Dist]:
    """``dists`` plus one version for every requirement (``requirements`` and the non-extra
    ``Requires-Dist`` of ``dists``) that no version in them satisfies."""
    by_name: dict[str, list[Dist]] = {}
    for d in dists:
        by_name.setdefault(canonicalize_name(d.name), []).append(d)
    wanted = list(requirements)
    for d in dists:
        wanted += [r for r in d.requires if "extra ==" not in r]
    # the extras something asks for bring their requirements (a lock leaves out what no environment
    # it locked for needed; uv's universal lock may still look at them)
    asked: dict[str, set[str]] = {}
    for text in wanted:
        try:
            req = Requirement(text)
        except InvalidRequirement:
            continue
        asked.setdefault(canonicalize_name(req.name), set()).update(canonicalize_name(e) for e in req.extras)
    for d in dists:
        extras = asked.get(canonicalize_name(d.name), set())
        for r in d.requires:
            m = re.search(r"extra == \"([^\"]+)\"", r)
            if m and canonicalize_name(m.group(1)) in extras:
                wanted.append(r.split(";")[0])
    out = list(dists)
    # every requirement on a name, so that a new version satisfies all of them where one can (the index
    # has 1.4.x for both "<2" and ">=1.4", not only 1.0 and 2024.1)
    together: dict[str, list[SpecifierSet]] = {}
    for text in wanted:
        try:
            req = Requirement(text)
        except InvalidRequirement:
            continue
        if not req.url:
            together.setdefault(canonicalize_name(req.name), []).append(req.specifier)
    for text in wanted:
        try:
            req = Requirement(text)
        except InvalidRequirement:
            continue
        if req.url:
            continue
        name = canonicalize_name(req.name)
        if _satisfied(name, req.specifier, by_name):
            continue
        spec = req.specifier
        try:
            version = version_for(spec)
        except ValueError:
            continue  # admits nothing: uv will say so
        for other in together[name]:  # each other requirement it can satisfy too (in the order seen)
            try:
                version = version_for(spec & other)
                spec &= other
            except ValueError:
                pass
        try:
            extra = Dist(req.name, version, extras=tuple(sorted(req.extras)))
        except ValueError:
            continue
        by_name.setdefault(name, []).append(extra)
        out.append(extra)
    return out


def build_folder(folder: Path, dists: list[Dist], cache: Path) -> Path:
    """``folder`` with one wheel per dist (hard links into ``cache``)."""
    folder.mkdir(parents=True, exist_ok=True)
    seen = set()
    for d in dists:
        ident = (canonicalize_name(d.name), d.version)
        if ident in seen:
            continue  # one lock may list a package+version twice (per-marker entries)
        seen.add(ident)
        where = cache / d.key()
        if not where.is_dir():
            tmp = cache / f"{d.key()}.{os.getpid()}.tmp"
            tmp.mkdir(parents=True, exist_ok=True)
            build_wheel(tmp, _dist_name(d.name), d.version, "py3-none-any", list(d.requires), d.requires_python,
                        list(d.extras))
            try:
                tmp.rename(where)
            except OSError:  # another worker built it first
                for f in tmp.iterdir():
                    f.unlink()
                tmp.rmdir()
        for wheel in where.iterdir():
            try:
                os.link(wheel, folder / wheel.name)
            except FileExistsError:
                pass
    return folder


def _dist_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name)


def simple_index(folder: Path, wheels: Path) -> str:
    """A PEP 503 index in ``folder`` over the wheels in ``wheels``; returns its ``file://`` URL (for
    the project's own named indexes, which uv does not fill from ``--find-links``)."""
    by_name: dict[str, list[Path]] = {}
    for wheel in sorted(wheels.iterdir()):
        by_name.setdefault(canonicalize_name(wheel.name.split("-")[0]), []).append(wheel)
    for name, files in by_name.items():
        (folder / name).mkdir(parents=True, exist_ok=True)
        links = "".join(f'<a href="{f.resolve().as_uri()}">{f.name}</a>\n' for f in files)
        (folder / name / "index.html").write_text(f"<!DOCTYPE html>\n<html><body>\n{links}</body></html>\n")
    (folder / "index.html").write_text("<!DOCTYPE html>\n<html><body>\n" + "".join(
        f'<a href="{n}/">{n}</a>\n' for n in by_name) + "</body></html>\n")
    return folder.resolve().as_uri() + "/"
