"""The format-neutral project model.

Readers (``poetry``, ``pipenv``) fill a :class:`Project`; everything downstream (writer, lock,
free-threading, batch) reads only this model and never asks which tool the project came from.
Requirements are PEP 508 pieces (name, PEP 440 specifier, extras, marker); anything that PEP 508
cannot say (git/path/index sources) is a :class:`DependencySource`, written to ``[tool.uv.sources]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from migrate.diagnostics import Diagnostic

SourceFormat = Literal["poetry", "pipenv"]


@dataclass
class DependencySource:
    """One ``[tool.uv.sources]`` entry (a table; several with markers make a list)."""

    git: str | None = None
    branch: str | None = None
    tag: str | None = None
    rev: str | None = None
    subdirectory: str | None = None
    path: str | None = None
    editable: bool | None = None
    url: str | None = None
    index: str | None = None
    workspace: bool = False
    marker: str | None = None
    #: the dependency group this entry applies to (uv ``group``), when a package comes from different
    #: sources in different groups (those groups are then listed in ``Project.conflicts``)
    group: str | None = None

    def to_toml(self) -> dict[str, Any]:
        """The uv sources table, keys in uv's documented order."""
        out: dict[str, Any] = {}
        if self.workspace:
            out["workspace"] = True
        for key in ("git", "subdirectory", "branch", "tag", "rev", "path", "url", "index"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.editable is not None and self.path is not None:
            out["editable"] = self.editable
        if self.marker:
            out["marker"] = self.marker
        if self.group:
            out["group"] = self.group
        return out


@dataclass
class Dependency:
    """One requirement. ``specifier`` is a PEP 440 specifier set (``""`` means any version)."""

    name: str
    specifier: str = ""
    extras: tuple[str, ...] = ()
    marker: str | None = None
    source: DependencySource | None = None
    #: a direct URL written into the PEP 508 string itself (``name @ url``), for formats where
    #: the URL is the requirement (e.g. a wheel/sdist ``url``/``file``); else use ``source``.
    direct_url: str | None = None
    allow_prereleases: bool = False
    #: only in extras (Poetry ``optional = true``); never written to ``dependencies``
    optional: bool = False
    #: contributes only its ``source``/prerelease setting: the requirement itself already lives in an
    #: existing ``[project]`` table that is kept as it is
    source_only: bool = False
    #: comments of the original metadata: whole lines before the entry, and the end-of-line one
    leading_comments: list[str] = field(default_factory=list)
    trailing_comment: str | None = None

    def requirement(self) -> str:
        """The PEP 508 requirement string."""
        text = self.name
        if self.extras:
            text += "[" + ",".join(sorted(set(self.extras))) + "]"
        if self.direct_url:
            text += f" @ {self.direct_url}"
            if self.marker:
                text += " "
        elif self.specifier:
            text += self.specifier
        if self.marker:
            text += f"; {self.marker}"
        return text


@dataclass
class Index:
    """A package index. ``default`` replaces PyPI; ``explicit`` means only packages pinned to it use it."""

    name: str
    url: str
    default: bool = False
    explicit: bool = False
    #: a Poetry/Pipenv setting we could not express, kept for the report
    note: str | None = None

    def to_toml(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "url": self.url}
        if self.default:
            out["default"] = True
        if self.explicit:
            out["explicit"] = True
        return out


@dataclass
class Person:
    name: str | None = None
    email: str | None = None

    def to_toml(self) -> dict[str, str]:
        out = {}
        if self.name:
            out["name"] = self.name
        if self.email:
            out["email"] = self.email
        return out


@dataclass
class PackageSpec:
    """One Poetry-style ``packages`` entry: import package ``include`` found under ``from``."""

    include: str
    from_: str | None = None
    to: str | None = None
    formats: tuple[str, ...] = ()
    #: not written in the old metadata: what Poetry's default discovery ships (see readers/poetry.py)
    discovered: bool = False


@dataclass
class FileSpec:
    """An ``include``/``exclude`` glob, optionally limited to sdist or wheel."""

    path: str
    formats: tuple[str, ...] = ()


@dataclass
class BuildConfig:
    packages: list[PackageSpec] = field(default_factory=list)
    include: list[FileSpec] = field(default_factory=list)
    exclude: list[FileSpec] = field(default_factory=list)


@dataclass
class Pin:
    """A version the old lock file pinned (kept by the lock stage)."""

    name: str
    version: str
    marker: str | None = None
    #: where the old lock got it from, when it says (index URL, git URL, path)
    origin: str | None = None
    #: the artefact file names the old lock lists for this version (poetry.lock does; Pipfile.lock
    #: has only hashes): free-threading readiness is judged from them before uv runs
    files: tuple[str, ...] = ()
    #: the names this version depends on, as the old lock says (poetry.lock does)
    requires: tuple[str, ...] = ()
    #: the artefact hashes the old lock lists (``sha256:...``; Pipfile.lock does): they pick the locked
    #: files from the index's page before uv runs (:mod:`migrate.lock.pipenvfiles`)
    hashes: tuple[str, ...] = field(default=(), compare=False)
    #: the extras other locked packages ask of it, as the old lock says (poetry.lock does)
    asked: tuple[str, ...] = ()


GroupItem = Dependency | dict  # dict: {"include-group": "name"} (PEP 735)


@dataclass
class Project:
    root: Path
    source_format: SourceFormat
    #: the metadata file the model was read from (pyproject.toml or Pipfile)
    metadata_file: Path
    name: str | None = None
    version: str | None = None
    #: fields listed in [project] dynamic (e.g. version from a plugin)
    dynamic: list[str] = field(default_factory=list)
    description: str | None = None
    readme: str | dict | None = None
    license: str | dict | None = None
    license_files: list[str] | None = None
    authors: list[Person] = field(default_factory=list)
    maintainers: list[Person] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    classifiers: list[str] = field(default_factory=list)
    urls: dict[str, str] = field(default_factory=dict)
    requires_python: str | None = None

    dependencies: list[Dependency] = field(default_factory=list)
    optional_dependencies: dict[str, list[Dependency]] = field(default_factory=dict)
    groups: dict[str, list[GroupItem]] = field(default_factory=dict)
    #: groups installed by default (``tool.uv.default-groups``); None = uv's default (["dev"])
    default_groups: list[str] | None = None

    #: groups/extras that cannot be installed together (``[tool.uv] conflicts``), e.g.
    #: ``[[{"group": "torch-cpu"}, {"group": "torch-cu116"}]]``
    conflicts: list[list[dict[str, str]]] = field(default_factory=list)

    #: lock-time constraints (``[tool.uv] constraint-dependencies``): narrow the resolution without
    #: changing the package metadata
    constraints: list[Dependency] = field(default_factory=list)

    indexes: list[Index] = field(default_factory=list)
    scripts: dict[str, str] = field(default_factory=dict)
    gui_scripts: dict[str, str] = field(default_factory=dict)
    entry_points: dict[str, dict[str, str]] = field(default_factory=dict)

    build: BuildConfig | None = None
    #: False for applications that are not built/installed (uv ``package = false``)
    package: bool = True
    #: the project already has a build system that must stay (e.g. setup.py, custom backend)
    keep_build_system: bool = False
    #: setup.py / setup.cfg that define the package (setuptools builds it; [project] lists their fields as dynamic)
    setuptools_files: list[str] = field(default_factory=list)
    #: uv's prerelease strategy for the whole project ("allow", "if-necessary-or-explicit", ...)
    prerelease: str | None = None

    #: versions the old lock file pinned
    pins: list[Pin] = field(default_factory=list)
    #: the old lock file, relative to root, if one was read
    lock_file: str | None = None

    #: keys of the existing pyproject.toml that were converted and must be removed, as paths
    #: like ("tool", "poetry", "dependencies"); a table left empty is removed too.
    consumed_keys: list[tuple[str, ...]] = field(default_factory=list)
    #: files (relative to root) that the migration replaces and deletes unless --keep-old-files
    old_files: list[str] = field(default_factory=list)
    #: top-level [project] keys already present in the existing pyproject.toml (kept as they are)
    existing_project_keys: set[str] = field(default_factory=set)

    warnings: list[Diagnostic] = field(default_factory=list)

    def warn(self, code: str, message: str, *, key: str | None = None, path: str | None = None) -> None:
        self.warnings.append(
            Diagnostic(code=code, message=message, path=path or self.metadata_file.name, key=key)
        )

    def all_dependencies(self) -> list[Dependency]:
        out = list(self.dependencies)
        for deps in self.optional_dependencies.values():
            out.extend(deps)
        for items in self.groups.values():
            out.extend(d for d in items if isinstance(d, Dependency))
        return out
