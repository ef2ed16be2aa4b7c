"""Pipenv reader: ``Pipfile`` (+ ``Pipfile.lock``, + an existing ``pyproject.toml``) → Project.

Mapping (see the README for the full table):

* ``[packages]`` → ``dependencies``; ``[dev-packages]`` → group ``dev``; any other package category →
  a group of the same (normalised) name. ``"*"`` → no specifier; a bare version → ``==version``.
* package tables: ``version``, ``extras``, ``markers`` and the marker keys (``sys_platform = "== 'linux'"``,
  ``python_version``, ``os_name``, …) are combined into one PEP 508 marker; ``git`` + ``ref`` +
  ``subdirectory``; ``path`` + ``editable``; ``file`` (a URL → ``name @ url``; a local archive → a path
  source); ``index = "name"``.
* ``[[source]]`` → ``[[tool.uv.index]]``: a first source that is not PyPI replaces PyPI (``default``);
  Pipenv (since 2022.3.23) uses the other sources only for packages that name them, so those are
  ``explicit``. ``${VAR}`` in a URL is kept but reported: uv reads index URLs literally (astral-sh/uv#5734).
* ``[requires] python_version = "3.11"`` (meaning 3.11.*) / ``python_full_version = "3.11.4"`` →
  ``requires-python = ">=3.11"`` / ``">=3.11.4"``: Pipenv pins one interpreter, uv needs a range that admits
  it and the newer free-threaded target; a version newer than the target is reported by the writer (MIG001).
  An existing ``[project] requires-python`` wins.
* ``[pipenv] allow_prereleases = true`` → ``[tool.uv] prerelease = "allow"``.
* ``[scripts]`` have no uv equivalent: each is reported (MIG101).
* A Pipenv application is not a package (``[tool.uv] package = false``) unless it already builds
  (``setup.py``/``setup.cfg`` or a ``[build-system]`` table) or installs itself (``x = {path = "."}``).
* The name: an existing ``[project] name``, else ``--name``, else the folder name made valid and normalised.
* A library packaged by setuptools (``setup.py``/``setup.cfg``, no ``[project]``) stays defined by setuptools:
  ``[project]`` gets the real name (read statically, see ``readers/setuptools.py``), ``requires-python`` from
  ``python_requires`` and every other field setuptools provides in ``dynamic``. When the package's own
  requirements live elsewhere (setuptools, or ``[project]`` lists them), Pipfile ``[packages]`` go to the
  dependency group ``packages`` (installed by default, MIG110), never into the wheel's requirements; the
  self-reference ``x = {path = ".", extras = [...]}`` becomes ``name[extras]`` in that group (uv installs
  the project's own extras from a group).
* No Python version anywhere (``python_requires``, ``[requires]``, Pipfile.lock ``_meta.requires``):
  ``requires-python = ">=3.9"`` with MIG112 (uv would otherwise lock for >= the interpreter it runs with).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from migrate.readers import markers
from migrate.diagnostics import MigrateError, describe
from migrate.discover import load_toml, load_toml_fast, read_text
from migrate.model import Dependency, DependencySource, Index, Pin, Project

PIPFILE = "Pipfile"
LOCK = "Pipfile.lock"
_NON_PACKAGE_TABLES = {"source", "requires", "pipenv", "scripts"}
_PACKAGE_KEYS = {
    "version", "extras", "markers", "index", "git", "ref", "subdirectory", "editable", "path", "file",
    "os_name", "sys_platform", "platform_machine", "platform_python_implementation", "platform_release",
    "platform_system", "platform_version", "python_version", "python_full_version", "implementation_name",
    "implementation_version",
}
_MARKER_KEYS = sorted(k for k in _PACKAGE_KEYS if k.startswith(("os_", "sys_", "platform_", "python_", "implementation_")))
_NAME_RE = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?")
_ENV_VAR_RE = re.compile(r"\$(\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)")
#: the dependency group for a package's Pipfile [packages] (the package's requirements are its own)
PACKAGES_GROUP = "packages"
#: requires-python written when nothing names one (admits every supported target, 3.13t and 3.14t)
FALLBACK_REQUIRES_PYTHON = ">=3.9"
_PYPI_RE = re.compile(r"^https?://(pypi\.org|pypi\.python\.org|files\.pythonhosted\.org)(/|$)")


def read_pipenv(root: Path, name: str | None = None) -> Project:
    """Read ``root/Pipfile`` (and ``Pipfile.lock``, and an existing ``pyproject.toml``) into the model."""
    root = Path(root)
    pipfile = root / PIPFILE
    data = load_toml_fast(pipfile, display=PIPFILE)
    project = Project(root=root, source_format="pipenv", metadata_file=pipfile)
    project.old_files.append(PIPFILE)

    pyproject = root / "pyproject.toml"
    existing: dict = {}
    has_build_system = False
    has_project = False
    if pyproject.is_file():
        doc = load_toml(pyproject)
        existing = doc.get("project") or {}
        has_project = "project" in doc
        if not isinstance(existing, dict):
            raise MigrateError("expected a table", path="pyproject.toml", key="project")
        project.existing_project_keys = set(existing.keys())
        if "name" in existing and not isinstance(existing["name"], str):
            raise MigrateError(f"expected a string, got {describe(existing['name'])}", path="pyproject.toml",
                               key="project.name")
        has_build_system = isinstance(doc.get("build-system"), dict)
    setuptools_meta = None if has_project else _setuptools_package(project, root, name, _self_name(root, data))
    if setuptools_meta is None:
        project.name = existing.get("name") or name or _folder_name(root)
        dynamic = existing.get("dynamic")
        if "version" not in existing and not (isinstance(dynamic, list) and "version" in dynamic):
            project.version = "0.1.0"
    builds = has_build_system or (root / "setup.py").is_file() or (root / "setup.cfg").is_file()
    project.package = builds
    # the package's requirements are defined elsewhere (setup.py/setup.cfg, or [project] lists them): the
    # Pipfile's packages must not change what it builds
    own_requirements = builds and (setuptools_meta is not None or "dependencies" in existing
                                   or "dependencies" in (existing.get("dynamic") or []))
    project.keep_build_system = True  # never replace (or invent) a build system for a Pipenv project

    sources = _read_sources(project, data)
    for category, table in data.items():
        if category in _NON_PACKAGE_TABLES:
            continue
        if not isinstance(table, dict):
            raise MigrateError(f"expected a table of packages, got {describe(table)}", path=PIPFILE, key=category)
        deps = [d for n, spec in table.items() for d in _convert(project, sources, str(n), spec, f"{category}.{n}",
                                                                 group_of_package=own_requirements)]
        if category == "packages" and not own_requirements:
            project.dependencies.extend(deps)
        elif deps:
            group = (PACKAGES_GROUP if category == "packages" else "dev" if category == "dev-packages"
                     else _valid_name(category, key=category))
            project.groups.setdefault(group, []).extend(deps)
    if own_requirements and project.groups.get(PACKAGES_GROUP):
        # the package's own requirements stay where its build system has them; what the Pipfile installs
        # on top goes to a group uv installs by default
        project.default_groups = [PACKAGES_GROUP] + (["dev"] if "dev" in project.groups else [])
        project.warn("MIG110", f"the project is a package built from its own metadata: Pipfile [packages] go to "
                     f"the dependency group {PACKAGES_GROUP!r} (installed by default), not into the package's "
                     "requirements", key="packages", path=PIPFILE)
    if "dependencies" in existing and not own_requirements:
        # an existing [project].dependencies stays; Pipfile packages are added to it by the writer
        project.warn("MIG102", "pyproject.toml already lists dependencies; Pipfile [packages] are added to them",
                     key="packages", path=PIPFILE)
    scoped = _scope_group_sources(project)
    _read_requires(project, data)
    _read_pipenv_settings(project, data)
    _read_scripts(project, data)

    lock = root / LOCK
    if lock.is_file():
        project.lock_file = LOCK
        project.old_files.append(LOCK)
        own: dict[str, list[str]] = {}
        for d in project.all_dependencies():
            if d.specifier:
                own.setdefault(canonicalize_name(d.name), []).append(d.specifier)
        project.pins, conflicts = one_version_per_package(_read_lock_entries(lock), own)
        for c in conflicts:
            category, kept = c["kept"]
            dropped = ", ".join(f"{v} in {cat}" for cat, v in c["dropped"])
            why = (f"the Pipfile's own {c['name']}{','.join(c['excluded'])} excludes the other" if c["excluded"]
                   else "as `pipenv install --dev` installs it")
            project.warn("MIG240", f"{c['name']} is pinned at {' / '.join(kept)} in {category} and at {dropped}: uv "
                         f"locks one version for every group, so {category}'s {' / '.join(kept)} is kept ({why})",
                         key=f"{c['dropped'][0][0]}.{c['name']}", path=LOCK)
    _fallback_requires_python(project, lock)
    if (setuptools_meta is not None and project.requires_python and not setuptools_meta.values.get("python_requires")
            and not any(w.code == "MIG112" for w in project.warnings)):
        project.warn("MIG113", f"requires-python = {project.requires_python!r} comes from the Pipfile (setup.py/"
                     "setup.cfg have no python_requires): the built package gains this Requires-Python",
                     key="requires", path=PIPFILE)
    if lock.is_file():
        for pin in [x for x in project.pins if canonicalize_name(x.name) in scoped]:
            # a constraint applies to every group: it would force one group's build onto the other
            project.pins.remove(pin)
            project.warn("MIG102", f"pin {pin.name}=={pin.version} not kept: {pin.name} comes from a different "
                         "index in each of its groups, uv locks each", key=pin.name, path=LOCK)
    return project


def _self_name(root: Path, data: dict) -> str | None:
    """The key of the Pipfile's self-reference (``requests = {path = ".", editable = true}``): Pipenv names it
    after the name setuptools computed when it was added (``e1839a8``-style keys: it could not; None)."""
    for category, table in data.items():
        if category in _NON_PACKAGE_TABLES or not isinstance(table, dict):
            continue
        for key, spec in table.items():
            if isinstance(spec, dict) and isinstance(spec.get("path"), str) and _is_root(root, spec["path"]):
                bare = re.sub(r"\[.*\]$", "", str(key)).strip()
                if _NAME_RE.fullmatch(bare) and not re.fullmatch(r"[0-9a-f]{7}", bare):
                    return bare
    return None


def _setuptools_package(project: Project, root: Path, name: str | None, self_name: str | None = None):
    """setup.py / setup.cfg define the package: [project] names it and lists, in ``dynamic``, every field
    setuptools provides, so setup.py/setup.cfg keep providing them (a static field would shadow them)."""
    from migrate.readers.setuptools import read_setuptools

    meta = read_setuptools(root)
    if meta is None:
        return None
    file = meta.origin.get("name", meta.files[-1])
    if meta.name is None:
        why = "is computed" if meta.computed("name") or meta.opaque else "is not given"
        if not name and self_name:
            project.warn("MIG114", f"the package name {why} in {' / '.join(meta.files)}: took {self_name!r} from the "
                         "Pipfile's self-reference (the name Pipenv got from setuptools); pass --name if it is not",
                         key="name", path=file)
            name = self_name
        if not name:
            raise MigrateError(f"the package name {why} in {' / '.join(meta.files)}; PEP 621 needs a static name",
                               path=file, key="name", hint="pass --name NAME (the name setuptools builds)")
        project.name = name
    else:
        project.name = meta.name.strip()
    project.setuptools_files = list(meta.files)
    python_requires = meta.literal("python_requires")
    exclude = set()
    if isinstance(python_requires, str) and python_requires.strip():
        try:
            SpecifierSet(python_requires.strip())  # validates; the text stays as the author wrote it
            project.requires_python = python_requires.strip()
        except InvalidSpecifier:
            raise MigrateError(f"invalid python_requires {python_requires!r}", path=meta.origin["python_requires"],
                               key="python_requires", hint="use PEP 440, e.g. \">=3.9\"") from None
        exclude.add("requires-python")
    project.dynamic = meta.dynamic(exclude=exclude)
    if "requires-python" in project.dynamic:
        project.warn("MIG111", "python_requires is computed by setup.py: requires-python stays dynamic and uv "
                     "locks for the Python it runs with; write the bound in [project] requires-python",
                     key="python_requires", path=meta.origin.get("python_requires", file))
    return meta


def _lock_python(lock: Path) -> str | None:
    """Pipfile.lock ``_meta.requires.python_version`` / ``python_full_version``."""
    try:
        meta = json.loads(read_text(lock)).get("_meta", {})
        req = meta.get("requires", {}) if isinstance(meta, dict) else {}
    except (ValueError, AttributeError):
        return None
    if not isinstance(req, dict):
        return None
    for key in ("python_full_version", "python_version"):
        v = req.get(key)
        if isinstance(v, str) and re.fullmatch(r"\d+(\.\d+){0,2}", v.strip()):
            return v.strip()
    return None


def _fallback_requires_python(project: Project, lock: Path) -> None:
    """No requires-python from [project], setup.py/setup.cfg or [requires]: Pipfile.lock's ``_meta``, else a
    bound that admits the target (without one, uv locks for >= the interpreter it runs with)."""
    if project.requires_python or {"requires-python"} & (project.existing_project_keys | set(project.dynamic)):
        return
    version = _lock_python(lock) if lock.is_file() else None
    if version:
        project.requires_python = f">={version}"
        return
    project.requires_python = FALLBACK_REQUIRES_PYTHON
    note = " (the built package gains this Requires-Python)" if project.package else ""
    project.warn("MIG112", f"no Python version in setup.py/setup.cfg, [requires] or Pipfile.lock: wrote "
                 f"requires-python = {FALLBACK_REQUIRES_PYTHON!r}{note}; narrow it to what the project supports",
                 key="requires", path=PIPFILE)


def _scope_group_sources(project: Project) -> set[str]:
    """A package taken from different sources in different categories (``[torch_cpu]`` / ``[torch_cu116]``
    with ``index =``): each source applies to its group only and those groups conflict, as uv needs.

    Returns the normalised names of those packages."""
    main = {canonicalize_name(d.name) for d in project.dependencies}
    by_name: dict[str, dict[str, list[Dependency]]] = {}
    for group, items in project.groups.items():
        for d in items:
            if isinstance(d, Dependency) and canonicalize_name(d.name) not in main:
                by_name.setdefault(canonicalize_name(d.name), {}).setdefault(group, []).append(d)
    scoped: set[str] = set()
    for name, groups in by_name.items():
        per_group: dict[str, str | None] = {}
        for group, deps in groups.items():
            found = {json.dumps(d.source.to_toml(), sort_keys=True) if d.source else None for d in deps}
            if len(found) == 1:
                per_group[group] = found.pop()
        if len(per_group) != len(groups) or len(set(per_group.values())) < 2:
            continue  # one source everywhere (nothing to do), or mixed within a group (the writer reports it)
        scoped.add(name)
        for group, deps in groups.items():
            for d in deps:
                if d.source is not None:
                    d.source.group = group
        names = sorted(groups)
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                pair = [{"group": a}, {"group": b}]
                if per_group[a] != per_group[b] and pair not in project.conflicts:
                    project.conflicts.append(pair)
    return scoped


def _valid_name(text: str, *, key: str | None = None) -> str | None:
    """``text`` made a valid PEP 508/735 name (other characters become ``-``), normalised; None if nothing is left."""
    valid = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("._-")
    if valid:
        return canonicalize_name(valid)
    if key is not None:
        raise MigrateError(f"cannot make a dependency group name from {text!r}", path=PIPFILE, key=key,
                           hint="rename the category to letters, digits and '-'")
    return None


def _folder_name(root: Path) -> str:
    """The folder's name as a project name, or a MigrateError asking for ``--name``."""
    folder = root.resolve().name
    valid = _valid_name(folder)
    if valid is None:
        raise MigrateError(f"no project name: the folder name {folder!r} is not a valid one", path=PIPFILE,
                           hint="pass --name NAME")
    return valid


# -- sources ---------------------------------------------------------------------------------------
def _read_sources(project: Project, data: dict) -> dict[str, str | None]:
    """Fill ``project.indexes``; returns source name → uv index name (None: the default index)."""
    sources = data.get("source", [])
    if isinstance(sources, dict):
        sources = [sources]
    if not isinstance(sources, list):
        raise MigrateError("expected an array of tables", path=PIPFILE, key="source")
    names: dict[str, str | None] = {}
    for i, src in enumerate(sources):
        key = f"source[{i}]"
        if not isinstance(src, dict):
            raise MigrateError("expected a table", path=PIPFILE, key=key)
        url = src.get("url")
        if not isinstance(url, str):
            raise MigrateError("a source needs a url (string)", path=PIPFILE, key=f"{key}.url")
        src_name = src.get("name") or f"source-{i}"
        if not isinstance(src_name, str):
            raise MigrateError("expected a string", path=PIPFILE, key=f"{key}.name")
        uv_name = canonicalize_name(src_name)
        if _ENV_VAR_RE.search(url):
            # uv reads index URLs literally (astral-sh/uv#5734); Pipenv expanded them with os.path.expandvars
            env = "UV_INDEX_" + re.sub(r"[^A-Z0-9]", "_", uv_name.upper())
            project.warn("MIG102", f"uv does not expand environment variables in index URLs ({url!r} is kept as "
                         f"written): put the real URL here and pass credentials with {env}_USERNAME / "
                         f"{env}_PASSWORD", key=f"{key}.url", path=PIPFILE)
        if src.get("verify_ssl") is False:
            host = re.sub(r"^https?://([^/]+).*$", r"\1", url)
            project.warn("MIG102", f"verify_ssl = false: add {host!r} to [tool.uv] allow-insecure-host if needed",
                         key=f"{key}.verify_ssl", path=PIPFILE)
        if i == 0:
            # Pipenv installs everything from the first source: it is uv's default index
            names[src_name] = None
            if not _PYPI_RE.match(url):
                project.indexes.append(Index(name=uv_name, url=url, default=True))
            continue
        names[src_name] = uv_name
        # Pipenv uses the other sources only for packages with index = "name"
        project.indexes.append(Index(name=uv_name, url=url, explicit=True))
    # uv searches indexes in order and the default one last
    project.indexes.sort(key=lambda x: x.default)
    return names


# -- packages --------------------------------------------------------------------------------------
def _specifier(project: Project, text: str, key: str) -> str:
    t = text.strip()
    if t in ("", "*"):
        return ""
    if re.match(r"^[0-9]", t):
        t = "==" + t
    try:
        parts = [p.strip().replace(" ", "") for p in t.split(",") if p.strip()]
        SpecifierSet(",".join(parts))  # validates; keeps the user's clause order
        return ",".join(parts)
    except InvalidSpecifier:
        raise MigrateError(f"invalid version specifier {text!r}", path=PIPFILE, key=key,
                           hint="use PEP 440, e.g. \">=1.2,<2\" or \"*\"") from None


def _convert(project: Project, sources: dict, name: str, spec: Any, key: str, *,
             group_of_package: bool = False) -> list[Dependency]:
    m = re.fullmatch(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*\[([^\]]*)\]\s*", name)
    key_extras: tuple[str, ...] = ()
    if m:  # "name[extra]" = "*" is accepted by Pipenv
        name, key_extras = m.group(1), tuple(e.strip() for e in m.group(2).split(",") if e.strip())
    if not _NAME_RE.fullmatch(name):
        raise MigrateError(f"invalid package name {name!r}", path=PIPFILE, key=key,
                           hint="a name has letters, digits, '.', '_', '-' (extras as \"name[extra]\")")
    if isinstance(spec, str):
        return [Dependency(name=name, specifier=_specifier(project, spec, key), extras=key_extras)]
    if not isinstance(spec, dict):
        raise MigrateError(f"expected a version string or a table, got {describe(spec)}", path=PIPFILE, key=key)
    for k in spec:
        if k not in _PACKAGE_KEYS:
            import difflib

            close = difflib.get_close_matches(str(k), sorted(_PACKAGE_KEYS), n=1)
            raise MigrateError("unknown key in a package table", path=PIPFILE, key=f"{key}.{k}",
                               hint=f"did you mean {close[0]!r}?" if close else None)
    dep = Dependency(name=name)
    version = spec.get("version", "*")
    if not isinstance(version, str):
        raise MigrateError(f"expected a string, got {describe(version)}", path=PIPFILE, key=f"{key}.version")
    dep.specifier = _specifier(project, version, f"{key}.version")
    extras = spec.get("extras", [])
    if not isinstance(extras, list) or not all(isinstance(e, str) for e in extras):
        raise MigrateError("expected an array of strings", path=PIPFILE, key=f"{key}.extras")
    dep.extras = key_extras + tuple(e for e in extras if e not in key_extras)
    parts: list[str | None] = []
    if "markers" in spec:
        if not isinstance(spec["markers"], str):
            raise MigrateError("expected a string", path=PIPFILE, key=f"{key}.markers")
        parts.append(spec["markers"])
    for mk in _MARKER_KEYS:
        if mk in spec:
            value = spec[mk]
            if not isinstance(value, str):
                raise MigrateError("expected a string like \"== 'linux'\"", path=PIPFILE, key=f"{key}.{mk}")
            parts.append(_marker_key(mk, value))
    try:
        dep.marker = markers.and_(*parts)
    except ValueError as exc:
        raise MigrateError(str(exc), path=PIPFILE, key=key) from None
    dep.source = _source(project, sources, spec, key)
    if dep.source is not None and dep.source.path is not None and _is_root(project.root, dep.source.path):
        # the project installs itself (`-e .`): that makes it a package, not a dependency
        project.package = True
        if dep.extras and group_of_package and project.name:
            # uv installs the project's own extras when a dependency group names them (astral-sh/uv#7033)
            return [Dependency(name=project.name, extras=dep.extras, marker=dep.marker)]
        if dep.extras:
            flags = " ".join(f"--extra {e}" for e in dep.extras)
            project.warn("MIG102", f"the project installs itself with extras {list(dep.extras)}; uv installs the "
                         f"project without them: run `uv sync {flags}`", key=f"{key}.extras", path=PIPFILE)
        return []
    if "file" in spec or ("git" in spec and re.fullmatch(r"[0-9a-f]{7}", name)):
        if re.fullmatch(r"[0-9a-f]{7}", name):
            project.warn("MIG102", f"{name!r} is Pipenv's placeholder name for an unnamed requirement; "
                         "uv needs the package's real name: rename it in the converted pyproject.toml",
                         key=key, path=PIPFILE)
        if "file" in spec:
            return [_file_dependency(project, dep, spec["file"], key)]
    return [dep]


def _is_root(root: Path, path: str) -> bool:
    return path.strip() in ("", ".", "./") or (root / path).resolve() == root.resolve()


def _marker_key(key: str, value: str) -> str:
    """Pipenv ``sys_platform = "== 'linux'"`` → ``sys_platform == 'linux'``."""
    v = value.strip()
    m = re.match(r"^(===|==|!=|<=|>=|<|>|~=|not in|in)\s*(.+)$", v)
    if not m:
        op, rhs = "==", v
    else:
        op, rhs = m.group(1), m.group(2).strip()
    if not (rhs.startswith(("'", '"')) and rhs.endswith(("'", '"'))):
        rhs = f"'{rhs}'"
    return f"{key} {op} {rhs}"


def _source(project: Project, sources: dict, spec: dict, key: str) -> DependencySource | None:
    kinds = [k for k in ("git", "path", "file", "index") if k in spec]
    if len(kinds) > 1:
        raise MigrateError(f"only one of git, path, file, index may be given (found {', '.join(kinds)})",
                           path=PIPFILE, key=key)
    if not kinds or kinds == ["file"]:
        return None  # a `file` is handled by _file_dependency
    kind = kinds[0]
    value = spec[kind]
    if not isinstance(value, str):
        raise MigrateError("expected a string", path=PIPFILE, key=f"{key}.{kind}")
    src = DependencySource()
    if kind == "git":
        from migrate.readers.poetry import git_url

        src.git = git_url(value)
        if "ref" in spec:
            src.rev = str(spec["ref"])
        if "subdirectory" in spec:
            src.subdirectory = str(spec["subdirectory"])
        if spec.get("editable"):
            project.warn("MIG102", "uv installs git dependencies non-editable; clone it and use a path "
                         "dependency to edit it", key=f"{key}.editable", path=PIPFILE)
    elif kind == "path":
        src.path = value
        if spec.get("editable"):
            src.editable = True
    else:
        if value not in sources:
            raise MigrateError(f"index {value!r} is not a [[source]] name", path=PIPFILE, key=f"{key}.index",
                               hint=f"known: {', '.join(sources) or 'none'}")
        if sources[value] is None:
            return None  # the default index already serves it
        src.index = sources[value]
    return src


def _file_dependency(project: Project, dep: Dependency, value: Any, key: str) -> Dependency:
    if not isinstance(value, str):
        raise MigrateError("expected a string", path=PIPFILE, key=f"{key}.file")
    if re.match(r"^[a-z][a-z0-9+.-]*://", value) and not value.startswith("file://"):
        # the URL is the requirement: PEP 508 `name @ url` (any version specifier cannot apply)
        dep.direct_url = value
        if dep.specifier:
            project.warn("MIG102", f"version {dep.specifier!r} dropped: the file URL decides the version",
                         key=f"{key}.version", path=PIPFILE)
            dep.specifier = ""
    else:
        from migrate.readers.poetry import file_url_path

        path = file_url_path(value) if value.startswith("file:") else value
        dep.source = DependencySource(path=path)
    return dep


# -- [requires], [pipenv], [scripts] -----------------------------------------------------------------
def _read_requires(project: Project, data: dict) -> None:
    req = data.get("requires", {})
    if not isinstance(req, dict):
        raise MigrateError("expected a table", path=PIPFILE, key="requires")
    if "requires-python" in project.existing_project_keys or project.requires_python or (
            "requires-python" in project.dynamic):
        return  # [project] or setup.py/setup.cfg python_requires wins over the Pipfile's interpreter
    full = req.get("python_full_version")
    short = req.get("python_version")
    for k, v in (("python_full_version", full), ("python_version", short)):
        if v is not None and (not isinstance(v, str) or not re.fullmatch(r"\d+(\.\d+){0,2}", v.strip())):
            raise MigrateError(f"expected a Python version like \"3.11\", got {describe(v)}", path=PIPFILE,
                               key=f"requires.{k}")
    version = (full or short or "").strip()
    if version:
        # Pipenv names the interpreter to use; uv needs a range that also admits newer ones (the target)
        project.requires_python = f">={version}"


def _read_pipenv_settings(project: Project, data: dict) -> None:
    settings = data.get("pipenv", {})
    if not isinstance(settings, dict):
        raise MigrateError("expected a table", path=PIPFILE, key="pipenv")
    for k, v in settings.items():
        if k == "allow_prereleases":
            if not isinstance(v, bool):
                raise MigrateError("expected a boolean", path=PIPFILE, key="pipenv.allow_prereleases")
            if v:
                project.prerelease = "allow"
        else:
            project.warn("MIG102", "Pipenv setting with no uv equivalent; dropped with the Pipfile",
                         key=f"pipenv.{k}", path=PIPFILE)


def _read_scripts(project: Project, data: dict) -> None:
    scripts = data.get("scripts", {})
    if not isinstance(scripts, dict):
        raise MigrateError("expected a table", path=PIPFILE, key="scripts")
    for k, v in scripts.items():
        command = v if isinstance(v, str) else " ".join(map(str, v)) if isinstance(v, list) else str(v)
        project.warn("MIG101", f"no uv equivalent for `pipenv run {k}` ({command!r}): run `uv run {command}` "
                     "or use a task runner", key=f"scripts.{k}", path=PIPFILE)


# -- Pipfile.lock ----------------------------------------------------------------------------------
def read_pipfile_lock(path: Path) -> list[Pin]:
    """Every pin of every category (``default``, ``develop``, custom ones), once per name, version and marker."""
    pins: list[Pin] = []
    for _, pin in _read_lock_entries(path):
        if not any(p.name == pin.name and p.version == pin.version and p.marker == pin.marker for p in pins):
            pins.append(pin)
    return pins


def one_version_per_package(entries: list[tuple[str, Pin]], requirements: dict[str, list[str]] | None = None
                            ) -> tuple[list[Pin], list[dict[str, Any]]]:
    """The pins a single uv resolution can keep, and the conflicts given up.

    Pipenv locks each category on its own (``default``, then ``develop`` and custom categories), so one
    Pipfile.lock may pin a package at a different version in each; ``pipenv install --dev`` installs the
    default one (pypa/pipenv#1137). uv locks one version per package for every group (unless conflicts
    are declared), so for each package the pins of the first category that has it are kept — ``default``
    (the runtime), then ``develop``, then the others in file order — and another category's pin at a
    different version is given up (one conflict entry per package: name, kept, dropped, and ``excluded``:
    the project's own requirements that ruled out a higher category's version). A category pinning the
    same version under another marker changes nothing and is kept.

    ``requirements`` ({canonical name: [specifier, ...]}, every group of the Pipfile): a category whose
    version the project's own requirements exclude never wins (uv could not keep that pin anyway)."""
    from packaging.version import InvalidVersion, Version

    order = {"default": 0, "develop": 1}

    def excluded_by(pin: Pin) -> list[str]:
        out = []
        for spec in (requirements or {}).get(canonicalize_name(pin.name), []):
            try:
                if not SpecifierSet(spec).contains(Version(pin.version), prereleases=True):
                    out.append(spec)
            except (InvalidSpecifier, InvalidVersion):
                continue
        return out

    ruled_out = {canonicalize_name(p.name): [] for _, p in entries}
    names_with_admitted = {canonicalize_name(p.name) for _, p in entries if not excluded_by(p)}
    for _, p in entries:
        name = canonicalize_name(p.name)
        if name in names_with_admitted and excluded_by(p):
            ruled_out[name].append(p)
    ranked = sorted(enumerate(entries), key=lambda ie: (ie[1][1] in ruled_out[canonicalize_name(ie[1][1].name)],
                                                        order.get(ie[1][0], 2), ie[0]))
    owner: dict[str, str] = {}
    versions: dict[str, set[str]] = {}
    kept: list[tuple[int, Pin]] = []
    conflicts: dict[str, dict[str, Any]] = {}
    for i, (category, pin) in ranked:
        name = canonicalize_name(pin.name)
        first = owner.setdefault(name, category)
        if category == first:
            versions.setdefault(name, set()).add(pin.version)
        elif pin.version not in versions[name]:
            c = conflicts.setdefault(name, {"name": pin.name, "kept": (first, sorted(versions[name])), "dropped": [],
                                            "excluded": []})
            if pin in ruled_out[name]:
                c["excluded"] += [s for s in excluded_by(pin) if s not in c["excluded"]]
            if (category, pin.version) not in c["dropped"]:
                c["dropped"].append((category, pin.version))
            continue
        if not any(p.name == pin.name and p.version == pin.version and p.marker == pin.marker for _, p in kept):
            kept.append((i, pin))
    return [p for _, p in sorted(kept, key=lambda ip: ip[0])], [conflicts[n] for n in sorted(conflicts)]


def _read_lock_entries(path: Path) -> list[tuple[str, Pin]]:
    """(category, pin) for every versioned entry of Pipfile.lock, in file order."""
    text = read_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MigrateError(f"invalid JSON: {exc.msg}", path=LOCK, line=exc.lineno, column=exc.colno) from None
    if not isinstance(data, dict):
        raise MigrateError("expected a JSON object", path=LOCK)
    if not isinstance(data.get("_meta"), dict):
        raise MigrateError("missing or invalid _meta object", path=LOCK, key="_meta",
                           hint="regenerate it with `pipenv lock` or delete it")
    out: list[tuple[str, Pin]] = []
    for category, entries in data.items():
        if category == "_meta":
            continue
        if not isinstance(entries, dict):
            raise MigrateError(f"expected an object of packages, got {describe(entries)}", path=LOCK, key=category)
        for name, entry in entries.items():
            key = f"{category}.{name}"
            if isinstance(entry, str) and entry.startswith("=="):
                entry = {"version": entry}  # the first Pipfile.lock format (Pipenv 3, 2017): "name": "==1.2.3"
            if not isinstance(entry, dict):
                raise MigrateError(f"expected an object, got {describe(entry)}", path=LOCK, key=key)
            version = entry.get("version")
            if version is None or "path" in entry or "git" in entry:
                continue  # git/path entries (the project itself too) are pinned by ref or path, not by version
            if not isinstance(version, str) or not version.startswith("=="):
                raise MigrateError(f"expected a version like \"==1.2.3\", got {describe(version)}", path=LOCK,
                                   key=f"{key}.version")
            marker = entry.get("markers")
            if marker is not None and not isinstance(marker, str):
                raise MigrateError("expected a string", path=LOCK, key=f"{key}.markers")
            hashes = entry.get("hashes")
            hashes = tuple(h for h in hashes if isinstance(h, str)) if isinstance(hashes, list) else ()
            out.append((str(category), Pin(name=str(name), version=version[2:].strip(), marker=marker or None,
                                           origin=str(entry.get("index")) if entry.get("index") else None,
                                           hashes=hashes)))
    return out
