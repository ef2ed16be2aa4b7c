"""Poetry reader: ``pyproject.toml`` ([tool.poetry], Poetry 1 and 2 layouts) + ``poetry.lock`` → Project.

Every key of ``[tool.poetry]`` is either converted (and listed in ``Project.consumed_keys`` so the writer
removes it) or kept where it is with a MIG002 warning. A dependency table with a key we do not know is an
error: a typo there would otherwise silently drop a constraint.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from migrate.readers import markers
from migrate.diagnostics import MigrateError, describe, requirement_name
from migrate.discover import load_toml
from migrate.model import (
    BuildConfig,
    Dependency,
    DependencySource,
    FileSpec,
    Index,
    PackageSpec,
    Person,
    Pin,
    Project,
)

PYPROJECT = "pyproject.toml"

#: [tool.poetry] keys we convert
_CONVERTED = {
    "name", "version", "description", "license", "authors", "maintainers", "readme", "homepage",
    "repository", "documentation", "keywords", "classifiers", "urls", "dependencies", "dev-dependencies",
    "group", "extras", "scripts", "plugins", "source", "packages", "include", "exclude", "package-mode",
}
#: [tool.poetry] keys with no uv equivalent: kept, with a warning
_KEPT = {
    "build": "build scripts have no uv/hatchling equivalent; port [tool.poetry.build] to a build hook",
    "requires-poetry": "only meaningful to Poetry",
    "requires-plugins": "Poetry plugins have no uv equivalent",
}
_DEP_KEYS = {
    "version", "python", "platform", "markers", "extras", "optional", "allow-prereleases", "allows-prereleases",
    "source", "git", "branch", "tag", "rev", "subdirectory", "path", "develop", "url",
}
_POETRY_BACKENDS = ("poetry.core.masonry.api", "poetry.masonry.api", "poetry_dynamic_versioning.backend")
_PERSON_RE = re.compile(r"^(?P<name>[^<>]*?)\s*(?:<(?P<email>[^<>]*)>)?\s*$")


class _Ctx:
    """Where we are (for error messages) and the project being filled."""

    def __init__(self, project: Project, file: Path) -> None:
        self.project = project
        self.file = file

    def error(self, key: str, message: str, hint: str | None = None) -> MigrateError:
        return MigrateError(message, path=self.file, key=key, hint=hint)

    def expect(self, value: Any, types: type | tuple[type, ...], key: str) -> Any:
        if not isinstance(value, types):
            names = types.__name__ if isinstance(types, type) else " or ".join(t.__name__ for t in types)
            raise self.error(key, f"expected {_toml_type(names)}, got {describe(value)}")
        return value

    def str_list(self, value: Any, key: str) -> list[str]:
        self.expect(value, list, key)
        for i, item in enumerate(value):
            self.expect(item, str, f"{key}[{i}]")
        return [str(v) for v in value]


def _toml_type(names: str) -> str:
    return names.replace("str", "a string").replace("list", "an array").replace("dict", "a table").replace(
        "bool", "a boolean"
    )


def read_poetry(root: Path) -> Project:
    root = Path(root)
    file = root / PYPROJECT
    doc = load_toml(file)
    poetry = doc["tool"]["poetry"]
    existing = doc.get("project")
    project = Project(root=root, source_format="poetry", metadata_file=file)
    ctx = _Ctx(project, Path(PYPROJECT))
    if existing is not None:
        ctx.expect(existing, dict, "project")
        project.existing_project_keys = set(existing.keys())
        project.dynamic = [str(x) for x in ctx.str_list(existing.get("dynamic", []), "project.dynamic")]
        if "requires-python" in existing:  # Poetry 2: the target check and the lock stage go by it
            project.requires_python = str(ctx.expect(existing["requires-python"], str, "project.requires-python"))

    for key in poetry:
        if key in _KEPT:
            project.warn("MIG002", f"kept under [tool.poetry]: {_KEPT[key]}", key=f"tool.poetry.{key}")
        elif key not in _CONVERTED:
            project.warn("MIG002", "unknown [tool.poetry] key kept as it is", key=f"tool.poetry.{key}")

    def consume(key: str) -> Any:
        if key in poetry:
            project.consumed_keys.append(("tool", "poetry", key))
        return poetry.get(key)

    mode = consume("package-mode")
    if mode is not None:
        project.package = bool(ctx.expect(mode, bool, "tool.poetry.package-mode"))

    _read_metadata(ctx, poetry, consume, existing)
    _read_dependencies(ctx, poetry, consume, existing)
    _read_entry_points(ctx, consume)
    _read_sources(ctx, consume)
    _link_dependency_sources(ctx)
    _read_build(ctx, doc, consume)
    _discover_package(ctx)
    _exclude_symlinked_files(ctx)

    _report_poetry_toml(project, root)
    for key in [k for k in project.dynamic if k in project.existing_project_keys]:
        # PEP 621 forbids a field both static and dynamic; Poetry 2 accepted it (tool.poetry enriched the
        # static value). Without Poetry nothing provides it dynamically, and backends refuse the pair.
        project.dynamic.remove(key)
        project.warn("MIG011", f"[project] defines {key!r} and lists it in dynamic, which PEP 621 forbids "
                     "(Poetry accepted it); removed from dynamic, the static value stands", key="project.dynamic")
    lock = root / "poetry.lock"
    if lock.is_file():
        project.lock_file = "poetry.lock"
        project.old_files.append("poetry.lock")
        project.pins = read_poetry_lock(lock)
    return project


# -- metadata ------------------------------------------------------------------------------------
def _read_metadata(ctx: _Ctx, poetry: dict, consume, existing: dict | None) -> None:
    p = ctx.project

    def take(key: str, pkey: str | None = None) -> Any:
        """Consume tool.poetry.<key>; None when [project] already has <pkey> (Poetry 2 layout)."""
        value = consume(key)
        pkey = pkey or key
        if value is not None and pkey in p.existing_project_keys:
            return None
        return value

    name = take("name")
    p.name = ctx.expect(name, str, "tool.poetry.name") if name is not None else None
    if existing is not None and "name" in existing:
        p.name = str(existing["name"])
    version = take("version")
    if version is not None:
        p.version = str(ctx.expect(version, str, "tool.poetry.version"))
        if "version" in p.dynamic:
            p.dynamic.remove("version")
    desc = take("description")
    if desc is not None:
        p.description = ctx.expect(desc, str, "tool.poetry.description")
    lic = take("license")
    if lic is not None:
        p.license = ctx.expect(lic, str, "tool.poetry.license")
    for key, target in (("authors", p.authors), ("maintainers", p.maintainers)):
        value = take(key)
        if value is not None:
            for i, text in enumerate(ctx.str_list(value, f"tool.poetry.{key}")):
                target.append(_person(text))
    readme = take("readme")
    if readme is not None:
        if isinstance(readme, list):
            files = ctx.str_list(readme, "tool.poetry.readme")
            if files:
                p.readme = files[0]
            if len(files) > 1:
                p.warn(
                    "MIG005",
                    f"PEP 621 allows one readme; using {files[0]!r}, not {', '.join(map(repr, files[1:]))}",
                    key="tool.poetry.readme",
                )
        else:
            p.readme = ctx.expect(readme, str, "tool.poetry.readme")
    for key in ("keywords", "classifiers"):
        value = take(key)
        if value is not None:
            setattr(p, key, ctx.str_list(value, f"tool.poetry.{key}"))
            if key in p.dynamic:
                p.dynamic.remove(key)
    urls: dict[str, str] = {}
    for key, label in (("homepage", "Homepage"), ("repository", "Repository"), ("documentation", "Documentation")):
        value = consume(key)
        if value is not None:
            urls[label] = ctx.expect(value, str, f"tool.poetry.{key}")
    extra = consume("urls")
    if extra is not None:
        ctx.expect(extra, dict, "tool.poetry.urls")
        for label, url in extra.items():
            urls[str(label)] = ctx.expect(url, str, f"tool.poetry.urls.{label}")
    if "urls" not in p.existing_project_keys:
        p.urls = urls


def _person(text: str) -> Person:
    m = _PERSON_RE.match(text.strip())
    if not m:
        return Person(name=text.strip())
    name = (m.group("name") or "").strip() or None
    email = (m.group("email") or "").strip() or None
    return Person(name=name, email=email)


# -- dependencies --------------------------------------------------------------------------------
def _read_dependencies(ctx: _Ctx, poetry: dict, consume, existing: dict | None) -> None:
    from migrate.readers.constraints import ConstraintError, requires_python

    p = ctx.project
    deps_table = consume("dependencies")
    # Poetry 2: [project].dependencies is authoritative unless listed in dynamic; then
    # [tool.poetry.dependencies] only adds sources/constraints-for-locking to those packages.
    # A group named "main" IS Poetry's main group (poetry-core adds its entries, and its `python`, to
    # the package's own dependencies), not a dependency group.
    main_tables: list[tuple[str, Any]] = []
    if deps_table is not None:
        main_tables.append(("tool.poetry.dependencies", deps_table))
    groups_peek = poetry.get("group")
    if isinstance(groups_peek, dict):
        for gname, group in groups_peek.items():
            if _group_name(str(gname)) == "main" and isinstance(group, dict) and "dependencies" in group:
                main_tables.append((f"tool.poetry.group.{gname}.dependencies", group["dependencies"]))
    if main_tables:
        converted: list[Dependency] = []
        for table_key, table in main_tables:
            ctx.expect(table, dict, table_key)
            python = table.get("python")
            if python is not None:
                key = f"{table_key}.python"
                ctx.expect(python, str, key)
                try:
                    conv = requires_python(str(python))
                except ConstraintError as exc:
                    raise ctx.error(key, str(exc)) from None
                if "requires-python" not in p.existing_project_keys:
                    p.requires_python = conv.specifier or None
                    if not conv.exact:
                        p.warn("MIG003", conv.note or "widened", key=key)
            converted += _convert_table(ctx, table, table_key, skip={"python"})
        _place_main_dependencies(ctx, poetry, consume, existing or {}, converted)
    else:
        _read_extras(ctx, consume, [])

    # groups
    legacy = consume("dev-dependencies")
    if legacy is not None:
        ctx.expect(legacy, dict, "tool.poetry.dev-dependencies")
        p.groups.setdefault("dev", []).extend(_convert_table(ctx, legacy, "tool.poetry.dev-dependencies"))
    groups = consume("group")
    non_optional: list[str] = ["dev"] if legacy is not None else []
    if groups is not None:
        ctx.expect(groups, dict, "tool.poetry.group")
        for gname, group in groups.items():
            gkey = f"tool.poetry.group.{gname}"
            ctx.expect(group, dict, gkey)
            for k in group:
                if k not in ("dependencies", "optional", "include-groups"):
                    raise ctx.error(f"{gkey}.{k}", "unknown key in a dependency group",
                                    hint="expected dependencies, optional or include-groups")
            name = _group_name(str(gname))
            if name == "main" and "dependencies" in group:
                continue  # read above, as the main dependencies
            items: list = p.groups.setdefault(name, [])
            for inc in ctx.str_list(group.get("include-groups", []), f"{gkey}.include-groups"):
                items.append({"include-group": _group_name(inc)})
            table = group.get("dependencies", {})
            ctx.expect(table, dict, f"{gkey}.dependencies")
            if "python" in table:
                p.warn("MIG217", "`python` in a dependency group other than main: Poetry ignores it, so it is not "
                       "converted (it is not a package; the project's Python is tool.poetry.dependencies.python)",
                       key=f"{gkey}.dependencies.python")
            items.extend(_convert_table(ctx, table, f"{gkey}.dependencies", skip={"python"}))
            optional = group.get("optional", False)
            ctx.expect(optional, bool, f"{gkey}.optional")
            if not optional and name not in non_optional:
                non_optional.append(name)
    # Poetry installs every non-optional group by default; uv installs "dev" (when it exists) unless
    # tool.uv.default-groups says otherwise.
    uv_default = {"dev"} & set(p.groups)
    if p.groups and set(non_optional) != uv_default:
        p.default_groups = [g for g in p.groups if g in non_optional]


def _place_main_dependencies(ctx: _Ctx, poetry: dict, consume, existing: dict, converted: list[Dependency]) -> None:
    """Where each [tool.poetry.dependencies] entry goes.

    Poetry 1 (no [project]): non-optional → ``dependencies``, optional → the extras that list them.
    Poetry 2: a static ``[project].dependencies`` / ``optional-dependencies`` is the package metadata and
    is kept as it is; a [tool.poetry.dependencies] entry for a package declared there only adds sources
    and constraints that Poetry applied when locking. uv's equivalent of a lock-only constraint is
    ``[tool.uv] constraint-dependencies``, so that is where its version/markers go.
    """
    p = ctx.project
    owns_main = "dependencies" in p.existing_project_keys
    owns_extras = "optional-dependencies" in p.existing_project_keys
    declared_main = {canonicalize_name(requirement_name(r)) for r in existing.get("dependencies", [])} if owns_main else set()
    declared_extra: set[str] = set()
    if owns_extras:
        for reqs in existing.get("optional-dependencies", {}).values():
            declared_extra |= {canonicalize_name(requirement_name(r)) for r in reqs}
    for dep in converted:
        name = canonicalize_name(dep.name)
        owned = (owns_extras and dep.optional) or (owns_main and not dep.optional)
        if not owned:
            if not dep.optional:
                p.dependencies.append(dep)
            continue
        if name in (declared_extra if dep.optional else declared_main):
            if dep.specifier or dep.marker:
                p.constraints.append(Dependency(name=dep.name, specifier=dep.specifier, marker=dep.marker))
            if dep.source is not None or dep.allow_prereleases:
                dep.source_only = True
                p.dependencies.append(dep)
        else:
            where = "optional-dependencies" if dep.optional else "dependencies"
            p.warn(
                "MIG008",
                f"{dep.name!r} is only in [tool.poetry.dependencies], not in [project] {where}, which is kept "
                "as it is; add it there if the package needs it",
                key=f"tool.poetry.dependencies.{dep.name}",
            )
    if owns_extras:
        if "extras" in poetry:
            p.warn("MIG008", "kept: [project.optional-dependencies] already defines the extras",
                   key="tool.poetry.extras")
    else:
        _read_extras(ctx, consume, converted)
    if not owns_main and "dependencies" in p.dynamic:
        p.dynamic.remove("dependencies")
    if not owns_extras and "optional-dependencies" in p.dynamic and p.optional_dependencies:
        p.dynamic.remove("optional-dependencies")


def _group_name(name: str) -> str:
    return canonicalize_name(name)


def _read_extras(ctx: _Ctx, consume, deps: list[Dependency]) -> None:
    """Poetry extras list dependency names (any main dependency; usually the optional ones)."""
    p = ctx.project
    extras = consume("extras")
    by_name: dict[str, list[Dependency]] = {}
    for d in deps:
        by_name.setdefault(canonicalize_name(d.name), []).append(d)
    used: set[str] = set()
    optional_names = {canonicalize_name(d.name) for d in deps if d.optional}
    if extras is not None:
        ctx.expect(extras, dict, "tool.poetry.extras")
        if "optional-dependencies" in p.existing_project_keys:
            return
        for extra, names in extras.items():
            key = f"tool.poetry.extras.{extra}"
            out: list[Dependency] = []
            for item in ctx.str_list(names, key):
                # "pkg" or "pkg[extra]" (Poetry accepts a requirement-ish name here)
                base = canonicalize_name(requirement_name(item))
                if base not in by_name:
                    p.warn("MIG005", f"{item!r} is not a dependency of the project; Poetry ignores it, "
                           "so it is left out of the extra", key=key)
                    continue
                out.extend(by_name[base])
                used.add(base)
            p.optional_dependencies[canonicalize_name(str(extra))] = out
    for name in sorted(optional_names - used):
        p.warn(
            "MIG005",
            "optional dependency is in no extra, so nothing installs it; not converted "
            "(add it to an extra in [project.optional-dependencies] if it is needed)",
            key=f"tool.poetry.dependencies.{name}",
        )


def _convert_table(ctx: _Ctx, table: dict, key: str, skip: set[str] = frozenset()) -> list[Dependency]:
    out: list[Dependency] = []
    for name, spec in table.items():
        if name in skip:
            continue
        out.extend(_convert_dependency(ctx, str(name), spec, f"{key}.{name}"))
    _attach_comments(table, out)
    return out


def _attach_comments(table: Any, deps: list[Dependency]) -> None:
    """Carry comments of the TOML table over to the converted requirements (writer puts them back)."""
    body = getattr(getattr(table, "value", None), "body", None)
    if body is None:
        return
    from tomlkit.items import Comment

    first_by_name: dict[str, Dependency] = {}
    for d in deps:
        first_by_name.setdefault(d.name, d)
    pending: list[str] = []
    for k, item in body:
        if k is None:
            if isinstance(item, Comment):
                pending.append(item.as_string().strip())
            continue
        dep = first_by_name.get(str(k.key) if hasattr(k, "key") else str(k))
        if dep is None:
            pending = []
            continue
        dep.leading_comments = pending
        pending = []
        try:
            comment = item.trivia.comment.strip()
        except (AttributeError, RuntimeError):
            comment = ""
        if comment:
            dep.trailing_comment = comment


def _convert_dependency(ctx: _Ctx, name: str, spec: Any, key: str) -> list[Dependency]:
    from migrate.readers.constraints import ConstraintError, convert_constraint

    if isinstance(spec, list):
        if not spec:
            raise ctx.error(key, "empty list of constraints")
        out: list[Dependency] = []
        for i, entry in enumerate(spec):
            if not isinstance(entry, (dict, str)):
                raise ctx.error(f"{key}[{i}]", f"expected a table or a string, got {describe(entry)}")
            out.extend(_convert_dependency(ctx, name, entry, f"{key}[{i}]"))
        if len(out) > 1 and any(d.source for d in out):
            for d in out:
                if d.source is not None:
                    d.source.marker = d.marker
        return out
    if isinstance(spec, str):
        spec = {"version": spec}
    if not isinstance(spec, dict):
        raise ctx.error(key, f"expected a version string, a table or an array of tables, got {describe(spec)}")
    for k in spec:
        if k not in _DEP_KEYS:
            close = _close_match(str(k), _DEP_KEYS)
            raise ctx.error(
                f"{key}.{k}",
                "unknown key in a dependency table",
                hint=f"did you mean {close!r}?" if close else "see Poetry's dependency specification",
            )
    dep = Dependency(name=name)
    version = spec.get("version")
    if version is not None:
        ctx.expect(version, str, f"{key}.version")
        try:
            conv = convert_constraint(str(version))
        except ConstraintError as exc:
            raise ctx.error(f"{key}.version" if "version" in spec and len(spec) > 1 else key, str(exc)) from None
        dep.specifier = conv.specifier
        if not conv.exact:
            ctx.project.warn("MIG003", conv.note or f"{version!r} widened to {conv.specifier!r}", key=key)
    extras = spec.get("extras")
    if extras is not None:
        dep.extras = tuple(ctx.str_list(extras, f"{key}.extras"))
    dep.marker = _markers(ctx, spec, key)
    optional = spec.get("optional", False)
    ctx.expect(optional, bool, f"{key}.optional")
    dep.optional = optional
    for pk in ("allow-prereleases", "allows-prereleases"):
        if pk in spec:
            dep.allow_prereleases = bool(ctx.expect(spec[pk], bool, f"{key}.{pk}"))
    dep.source = _dep_source(ctx, spec, key)
    if dep.source is not None and dep.specifier and (dep.source.git or dep.source.path or dep.source.url):
        ctx.project.warn("MIG005", "a version together with a git/path/url source: the source wins", key=key)
    return [dep]


def _markers(ctx: _Ctx, spec: dict, key: str) -> str | None:
    from migrate.readers.constraints import (
        ConstraintError,
        normalize_marker,
        platform_to_marker,
        python_constraint_to_marker,
    )

    parts: list[str | None] = []
    try:
        if "markers" in spec:
            parts.append(normalize_marker(str(ctx.expect(spec["markers"], str, f"{key}.markers"))))
        if "python" in spec:
            parts.append(python_constraint_to_marker(str(ctx.expect(spec["python"], str, f"{key}.python"))))
        if "platform" in spec:
            parts.append(platform_to_marker(str(ctx.expect(spec["platform"], str, f"{key}.platform"))))
    except ConstraintError as exc:
        raise ctx.error(key, str(exc)) from None
    try:
        return markers.and_(*parts)
    except ValueError as exc:
        raise ctx.error(key, str(exc)) from None


def _dep_source(ctx: _Ctx, spec: dict, key: str) -> DependencySource | None:
    kinds = [k for k in ("git", "path", "url", "source") if k in spec]
    if not kinds:
        for k in ("branch", "tag", "rev", "subdirectory", "develop"):
            if k in spec:
                raise ctx.error(f"{key}.{k}", f"{k!r} needs a git{'/path' if k in ('develop', 'subdirectory') else ''} source")
        return None
    if len(kinds) > 1:
        raise ctx.error(key, f"a dependency can have only one of git, path, url, source (found {', '.join(kinds)})")
    kind = kinds[0]
    value = str(ctx.expect(spec[kind], str, f"{key}.{kind}"))
    src = DependencySource()
    if kind == "git":
        src.git = git_url(value)
        refs = [k for k in ("branch", "tag", "rev") if k in spec]
        if len(refs) > 1:
            raise ctx.error(key, "only one of branch, tag, rev may be given")
        for k in refs:
            setattr(src, k, str(ctx.expect(spec[k], str, f"{key}.{k}")))
        if "subdirectory" in spec:
            src.subdirectory = str(ctx.expect(spec["subdirectory"], str, f"{key}.subdirectory"))
        if ctx.expect(spec.get("develop", False), bool, f"{key}.develop"):
            ctx.project.warn("MIG216", "Poetry installs this git dependency editable (develop = true); uv installs "
                             "git dependencies non-editable: clone it and use a path dependency to edit it",
                             key=f"{key}.develop")
    elif kind == "path":
        src.path = value
        develop = spec.get("develop")
        if develop is not None:
            if ctx.expect(develop, bool, f"{key}.develop"):
                src.editable = True
    elif kind == "url":
        local = file_url_path(value)
        if local is not None:  # uv refuses file:// in a url source ("URL scheme is not allowed"): a path
            src.path = local
        else:
            src.url = value
    else:
        src.index = value
    for k in ("branch", "tag", "rev"):
        if k in spec and kind != "git":
            raise ctx.error(f"{key}.{k}", f"{k!r} only applies to git dependencies")
    if "develop" in spec and kind not in ("path", "git"):
        raise ctx.error(f"{key}.develop", "'develop' only applies to path dependencies")
    return src


def file_url_path(url: str) -> str | None:
    """The local path a ``file:`` URL names (percent-escapes decoded); None for any other URL."""
    from urllib.parse import urlparse
    from urllib.request import url2pathname

    if not url.strip().lower().startswith("file:"):
        return None
    parsed = urlparse(url.strip())
    if parsed.netloc not in ("", "localhost"):  # `file://./dist/x.tar.gz`: a relative path, as Pipenv reads it
        return url2pathname(url.strip()[len("file://"):])
    return url2pathname(parsed.path)


def git_url(url: str) -> str:
    """Poetry accepts scp-like ``git@host:org/repo.git``; uv wants a URL (``ssh://git@host/org/repo.git``)."""
    url = url.strip()
    if url.startswith("git+"):
        url = url[4:]
    m = re.match(r"^(?P<user>[\w.-]+)@(?P<host>[\w.-]+):(?!//)(?P<path>.+)$", url)
    if m:
        return f"ssh://{m.group('user')}@{m.group('host')}/{m.group('path')}"
    return url


def _close_match(word: str, options) -> str | None:
    import difflib

    match = difflib.get_close_matches(word, sorted(options), n=1, cutoff=0.6)
    return match[0] if match else None


# -- scripts, plugins ----------------------------------------------------------------------------
def _read_entry_points(ctx: _Ctx, consume) -> None:
    p = ctx.project
    scripts = consume("scripts")
    if scripts is not None:
        ctx.expect(scripts, dict, "tool.poetry.scripts")
        kept: dict = {}
        for name, value in scripts.items():
            key = f"tool.poetry.scripts.{name}"
            if isinstance(value, str):
                p.scripts[str(name)] = value
                continue
            ctx.expect(value, dict, key)
            if "callable" in value:  # Poetry 1 form, optionally with extras
                ref = str(ctx.expect(value["callable"], str, f"{key}.callable"))
                extras = value.get("extras")
                if extras:
                    ref += " [" + ",".join(ctx.str_list(extras, f"{key}.extras")) + "]"
                p.scripts[str(name)] = ref
            elif value.get("type", "console") == "console" and "reference" in value:
                p.scripts[str(name)] = str(ctx.expect(value["reference"], str, f"{key}.reference"))
            else:
                kept[str(name)] = value
                p.warn(
                    "MIG002",
                    "script of type 'file' has no PEP 621 equivalent; kept under [tool.poetry.scripts] "
                    "(hatchling: use [tool.hatch.build.targets.wheel.shared-scripts])",
                    key=key,
                )
        if kept:
            p.consumed_keys.remove(("tool", "poetry", "scripts"))
            for name in scripts:
                if str(name) not in kept:
                    p.consumed_keys.append(("tool", "poetry", "scripts", str(name)))
        if "scripts" in p.existing_project_keys:
            p.scripts = {}
    plugins = consume("plugins")
    if plugins is not None:
        ctx.expect(plugins, dict, "tool.poetry.plugins")
        for group, entries in plugins.items():
            ctx.expect(entries, dict, f"tool.poetry.plugins.{group}")
            points = {}
            for n, ref in entries.items():
                points[str(n)] = str(ctx.expect(ref, str, f"tool.poetry.plugins.{group}.{n}"))
            if group == "console_scripts":
                p.scripts.update(points)
            elif group == "gui_scripts":
                p.gui_scripts.update(points)
            else:
                p.entry_points[str(group)] = points


# -- sources -------------------------------------------------------------------------------------
def _read_sources(ctx: _Ctx, consume) -> None:
    """Poetry sources → uv indexes, searched in Poetry's order.

    Poetry searches the legacy ``default`` source, then the ``primary`` sources in the order written (PyPI
    among them only when it is listed; when no primary or default source exists PyPI is the implicit
    primary), then ``secondary`` and ``supplemental`` sources — a supplemental one only for packages the
    earlier sources do not have; ``explicit`` sources only for packages that name them.
    uv searches ``[[tool.uv.index]]`` in the order written, the ``default = true`` index last (PyPI when no
    index is the default), each package on the first index that has it; ``explicit = true`` indexes only
    for packages pinned to them in ``[tool.uv.sources]``. So the searched sources are written in Poetry's
    order and the last one searched becomes uv's default — PyPI itself when that is PyPI, else that index
    with ``default = true`` (which also keeps PyPI out where Poetry did not use it). PyPI searched before a
    later source is written as an index of its own (``pypi``)."""
    p = ctx.project
    sources = consume("source")
    if sources is None:
        return
    ctx.expect(sources, list, "tool.poetry.source")
    classes: dict[str, list[Index]] = {"default": [], "primary": [], "secondary": [], "supplemental": []}
    explicit: list[Index] = []
    pypi = Index(name="pypi", url=PYPI_SIMPLE)
    for i, src in enumerate(sources):
        key = f"tool.poetry.source[{i}]"
        ctx.expect(src, dict, key)
        name = str(ctx.expect(src.get("name"), str, f"{key}.name"))
        priority = src.get("priority")
        if priority is None:
            if src.get("default"):
                priority = "default"
            elif src.get("secondary"):
                priority = "secondary"
            else:
                priority = "primary"
        priority = str(ctx.expect(priority, str, f"{key}.priority"))
        if priority not in ("default", "primary", "secondary", "supplemental", "explicit"):
            raise ctx.error(f"{key}.priority", f"unknown source priority {priority!r}",
                            hint="expected primary, supplemental or explicit")
        url = src.get("url")
        if canonicalize_name(name) == "pypi" and url is None:
            idx = pypi
        elif url is None:
            raise ctx.error(f"{key}.url", f"source {name!r} has no url")
        else:
            idx = Index(name=name, url=str(ctx.expect(url, str, f"{key}.url")))
        if priority == "explicit":
            idx.explicit = True
            explicit.append(idx)
            continue
        classes[priority].append(idx)
        if priority in ("supplemental", "secondary"):
            idx.note = priority
            p.warn(
                "MIG004",
                f"{priority} source {name!r}: uv searches it after the sources before it, as Poetry does, but "
                "takes a package from the first index that has it at all (Poetry goes on to this source "
                "when the earlier ones have no compatible version)",
                key=key,
            )
    if not (classes["default"] or classes["primary"] or pypi.explicit):
        classes["primary"].append(pypi)  # PyPI is Poetry's implicit primary source
    searched = [idx for cls in classes.values() for idx in cls]
    taken = {idx.name.lower() for idx in searched + explicit if idx is not pypi}
    while pypi.name in taken:
        pypi.name = "pypi-org" if pypi.name == "pypi" else pypi.name + "-1"
    if searched and searched[-1] is pypi:
        searched.pop()  # uv's own default index
    elif searched:
        searched[-1].default = True
    p.indexes = searched + explicit


PYPI_SIMPLE = "https://pypi.org/simple"


def _link_dependency_sources(ctx: _Ctx) -> None:
    """Every ``source = "name"`` of a dependency → the uv index it means.

    Poetry looks source names up case-insensitively, and ``pypi`` always names PyPI, even when no
    ``[[tool.poetry.source]]`` lists it; uv refuses a ``[tool.uv.sources]`` entry naming an index that no
    ``[[tool.uv.index]]`` declares ("references an undeclared index"). So the name is written as the index
    is declared, and a PyPI pin becomes either nothing (uv searches PyPI for it anyway: no other index is
    searched for unpinned packages) or an explicit ``pypi`` index (another index would be searched first,
    so the package is pinned to PyPI as Poetry pinned it). A name no source defines is an error, as in
    Poetry ("Repository … does not exist")."""
    p = ctx.project
    declared = {idx.name.lower(): idx for idx in p.indexes}
    for dep in p.all_dependencies():
        src = dep.source
        if src is None or src.index is None:
            continue
        wanted = src.index.lower()
        if wanted in declared:
            src.index = declared[wanted].name
        elif canonicalize_name(wanted) == "pypi":
            if any(not idx.explicit for idx in p.indexes):
                pypi = Index(name="pypi", url=PYPI_SIMPLE, explicit=True)
                last = len(p.indexes) - 1 if p.indexes and p.indexes[-1].default else len(p.indexes)
                p.indexes.insert(last, pypi)
                declared["pypi"] = pypi
                src.index = pypi.name
            else:
                dep.source = None
        else:
            names = ", ".join(repr(idx.name) for idx in p.indexes) or "none"
            raise MigrateError(f"dependency {dep.name!r} names source {src.index!r}, which no "
                               f"[[tool.poetry.source]] defines (defined: {names})", path=ctx.file,
                               key="tool.poetry.source",
                               hint="add the source, or correct the name in the dependency's `source`")


# -- build ---------------------------------------------------------------------------------------
def _read_build(ctx: _Ctx, doc: Any, consume) -> None:
    p = ctx.project
    build = BuildConfig()
    packages = consume("packages")
    if packages is not None:
        ctx.expect(packages, list, "tool.poetry.packages")
        for i, entry in enumerate(packages):
            key = f"tool.poetry.packages[{i}]"
            ctx.expect(entry, dict, key)
            include = str(ctx.expect(entry.get("include"), str, f"{key}.include"))
            spec = PackageSpec(include=include)
            if "from" in entry:
                spec.from_ = str(ctx.expect(entry["from"], str, f"{key}.from"))
            if "to" in entry:
                spec.to = str(ctx.expect(entry["to"], str, f"{key}.to"))
            if "format" in entry:
                fmt = entry["format"]
                spec.formats = tuple([fmt] if isinstance(fmt, str) else ctx.str_list(fmt, f"{key}.format"))
            build.packages.append(spec)
    for key in ("include", "exclude"):
        value = consume(key)
        if value is None:
            continue
        ctx.expect(value, list, f"tool.poetry.{key}")
        for i, entry in enumerate(value):
            ikey = f"tool.poetry.{key}[{i}]"
            if isinstance(entry, str):
                getattr(build, key).append(FileSpec(entry))
            else:
                ctx.expect(entry, dict, ikey)
                path = str(ctx.expect(entry.get("path"), str, f"{ikey}.path"))
                fmt = entry.get("format", [])
                fmts = tuple([fmt] if isinstance(fmt, str) else ctx.str_list(fmt, f"{ikey}.format"))
                getattr(build, key).append(FileSpec(path, fmts))
    # An include without format: poetry-core 2 puts it in the sdist only, poetry-core 1 in both.
    # An exclude without format applies to both.
    core1 = _builds_with_poetry_core_1(doc)
    build.include = [f if f.formats else FileSpec(f.path, ("sdist", "wheel") if core1 else ("sdist",))
                     for f in build.include]
    build.exclude = [f if f.formats else FileSpec(f.path, ("sdist", "wheel")) for f in build.exclude]
    p.build = build
    bs = doc.get("build-system")
    backend = str(bs.get("build-backend", "")) if isinstance(bs, dict) else ""
    if isinstance(bs, dict) and backend and backend not in _POETRY_BACKENDS:
        p.keep_build_system = True  # maturin, setuptools, ...: not ours to replace
    if backend == "poetry_dynamic_versioning.backend" or _dynamic_versioning(doc):
        p.warn(
            "MIG007",
            "poetry-dynamic-versioning has no uv equivalent; the static version is written "
            "(hatchling users: consider hatch-vcs)",
            key="tool.poetry-dynamic-versioning",
        )


def _discover_package(ctx: _Ctx) -> None:
    """Without ``packages``, Poetry ships what poetry-core's own discovery finds: ``<name>/``, ``<name>.py``,
    ``src/<name>/`` or ``src/<name>.py`` (``<name>`` = the project name as a module name; a folder needs no
    ``__init__.py``, so namespace packages count). That becomes an explicit package entry, so every backend
    ships the same files. Nothing found: Poetry could not build or install the project either, so it is
    not packaged (``tool.uv.package = false``) rather than left unbuildable."""
    p = ctx.project
    if not p.package or p.keep_build_system or p.build is None or p.build.packages or not p.name:
        return
    from poetry.core.masonry.utils.module import Module, ModuleOrPackageNotFoundError

    try:
        module = Module(p.name, str(p.root))
    except ModuleOrPackageNotFoundError:
        p.package = False
        p.warn("MIG012", f"no package or module named {_module_name(p.name)!r} (or under src/) and no "
               "tool.poetry.packages: Poetry could not build it, so it is not packaged (tool.uv.package = "
               "false); add [tool.poetry] packages before migrating if it should be", key="tool.poetry.packages")
        return
    except ValueError as exc:  # both <name>/ and <name>.py
        raise ctx.error("tool.poetry.name", str(exc), hint="list the package in tool.poetry.packages") from None
    for inc in module.includes:
        include = str(getattr(inc, "_include", None) or inc.package)
        p.build.packages.append(PackageSpec(include=include, from_=str(inc.source) if inc.source else None,
                                            discovered=True))


def _exclude_symlinked_files(ctx: _Ctx) -> None:
    """poetry-core leaves a symlinked file inside a package out of the wheel (measured: a package holding
    ``b/README.md -> ../a/README.md`` ships only ``a/README.md``; ucb-bar/hammer's
    ``hammer/lvs/pegasus/README.md``); hatchling and uv_build follow the link and ship it. Each such file is
    excluded from the wheel, so it holds the same files."""
    import os

    p = ctx.project
    if not p.package or p.keep_build_system or p.build is None:
        return
    found: list[str] = []
    for spec in p.build.packages:
        if (spec.formats and "wheel" not in spec.formats) or any(c in spec.include for c in "*?["):
            continue
        base = p.root / (spec.from_ or "") / spec.include
        if not base.is_dir() or base.is_symlink():
            continue
        for dirpath, dirnames, filenames in os.walk(base):  # symlinked folders are not entered
            dirnames[:] = [d for d in dirnames if d not in ("__pycache__", ".git")]
            for name in filenames:
                path = Path(dirpath) / name
                if path.is_symlink() and path.is_file():
                    found.append(path.relative_to(p.root).as_posix())
    if not found:
        return
    found.sort()
    have = {f.path for f in p.build.exclude}
    p.build.exclude += [FileSpec(rel, ("wheel",)) for rel in found if rel not in have]
    p.warn("MIG218", f"{len(found)} symlinked file(s) inside the packages ({', '.join(found[:3])}"
           f"{', …' if len(found) > 3 else ''}): poetry-core leaves them out of the wheel, hatchling and uv_build "
           "would follow the link, so they are excluded from the wheel", key="tool.poetry.packages")


def _module_name(name: str) -> str:
    from poetry.core.utils.helpers import module_name

    return module_name(name)


def _builds_with_poetry_core_1(doc: Any) -> bool:
    """True when [build-system] requires a poetry-core (or poetry) that admits no 2.x release."""
    from packaging.requirements import InvalidRequirement, Requirement

    bs = doc.get("build-system")
    requires = bs.get("requires", []) if isinstance(bs, dict) else []
    for text in requires if isinstance(requires, list) else []:
        try:
            req = Requirement(str(text))
        except InvalidRequirement:
            continue
        if canonicalize_name(req.name) in ("poetry-core", "poetry"):
            return bool(str(req.specifier)) and not any(
                req.specifier.contains(f"2.{m}.0", prereleases=True) for m in range(0, 10)
            )
    return False


def _dynamic_versioning(doc: Any) -> bool:
    tool = doc.get("tool", {})
    pdv = tool.get("poetry-dynamic-versioning") if isinstance(tool, dict) else None
    return isinstance(pdv, dict) and bool(pdv.get("enable", False))


def _report_poetry_toml(project: Project, root: Path) -> None:
    """poetry.toml holds Poetry's own settings (virtualenvs, repositories, ...): kept and reported."""
    path = root / "poetry.toml"
    if not path.is_file():
        return
    from migrate.discover import load_toml_fast

    data = load_toml_fast(path)
    keys: list[str] = []

    def walk(prefix: str, table: dict) -> None:
        for k, v in table.items():
            if isinstance(v, dict) and v:
                walk(f"{prefix}{k}.", v)
            else:
                keys.append(f"{prefix}{k}")

    walk("", data)
    for key in keys:
        hint = {
            "virtualenvs.in-project": "uv always uses .venv in the project",
            "virtualenvs.create": "with uv, set UV_PROJECT_ENVIRONMENT to use an existing environment",
            "virtualenvs.prefer-active-python": "uv: use `uv python pin` / .python-version",
        }.get(key, "Poetry setting with no uv equivalent")
        project.warn("MIG002", f"poetry.toml is kept: {hint}", key=key, path="poetry.toml")


# -- poetry.lock ---------------------------------------------------------------------------------
_LOCK_FIELD = re.compile(r'^(name|version|markers|type|url) = (".*")$', re.M)
_LOCK_GROUP_MARKERS = re.compile(r'^markers = (\{.*\})$', re.M)


def _scan_poetry_lock(text: str) -> list[dict] | None:
    """The [[package]] fields we need, by a line scan (poetry.lock files reach megabytes; a full TOML
    parse costs ~40 ms each). None when the file is not in Poetry's own canonical layout."""
    import json
    import tomllib

    out = []
    for chunk in ("\n" + text).split("\n[[package]]\n")[1:]:
        head, _, rest = chunk.partition("\n[package.source]\n")
        fields = {}
        first = head.split("\n\n", 1)[0]
        for m in _LOCK_FIELD.finditer(first):
            fields[m.group(1)] = m.group(2)
        if "name" not in fields or "version" not in fields:
            return None
        per_group = _LOCK_GROUP_MARKERS.search(first)  # lock format 2.1: {main = "...", dev = "..."}
        if per_group is None and "\nmarkers = {" in head:
            return None
        try:
            pkg = {k: json.loads(v) for k, v in fields.items() if k in ("name", "version", "markers")}
            if per_group is not None:
                if "markers" in pkg:
                    return None
                pkg["markers"] = tomllib.loads(f"m = {per_group.group(1)}")["m"]
            if rest:
                src = {m.group(1): json.loads(m.group(2)) for m in _LOCK_FIELD.finditer(rest.split("\n\n", 1)[0])}
                pkg["source"] = src
        except (ValueError, tomllib.TOMLDecodeError):
            return None
        out.append(pkg)
    return out or None


def read_poetry_lock(path: Path) -> list[Pin]:
    """Pinned versions from poetry.lock (one per [[package]]; markers kept where the lock has them)."""
    from migrate.discover import load_toml_fast, read_text

    text = read_text(path)
    scanned = _scan_poetry_lock(text)
    files = lock_files(text)
    requires = lock_requires(text)
    asked = lock_asked_extras(text)
    doc = {"package": scanned} if scanned is not None else load_toml_fast(path, display=path.name)
    packages = doc.get("package", [])
    if not isinstance(packages, list):
        raise MigrateError("expected an array of tables", path=path.name, key="package")
    pins: list[Pin] = []
    for i, pkg in enumerate(packages):
        if not isinstance(pkg, dict) or not isinstance(pkg.get("name"), str) or not isinstance(
            pkg.get("version"), str
        ):
            raise MigrateError("each [[package]] needs a string name and version", path=path.name,
                               key=f"package[{i}]")
        source = pkg.get("source")
        origin = None
        if isinstance(source, dict):
            stype = source.get("type")
            if stype in ("directory", "file"):
                continue  # path dependencies: their version is whatever is on disk
            origin = str(source.get("url") or "") or None
            if stype == "git":
                continue  # the git source pins the revision; a version constraint adds nothing
        marker = pkg.get("markers")
        if isinstance(marker, dict):  # lock format 2.1: markers per group
            marker = markers.or_(*[str(m) for m in marker.values()]) if marker else None
        pins.append(Pin(name=str(pkg["name"]), version=str(pkg["version"]),
                        marker=str(marker) if marker else None, origin=origin,
                        files=tuple(files.get((canonicalize_name(str(pkg["name"])), str(pkg["version"])), ())),
                        requires=tuple(requires.get((canonicalize_name(str(pkg["name"])), str(pkg["version"])), ())),
                        asked=tuple(sorted(asked.get(canonicalize_name(str(pkg["name"])), ())))))
    return pins


_FILE = re.compile(r'\{\s*file\s*=\s*"([^"]+)"')
_FILES_KEY = re.compile(r'^"?([A-Za-z0-9][A-Za-z0-9._-]*)"?\s*=\s*\[', re.M)


_DEP_KEY = re.compile(r'^"?([A-Za-z0-9][A-Za-z0-9._-]*)"?\s*=', re.M)


def lock_requires(text: str) -> dict[tuple[str, str], list[str]]:
    """{(canonical name, version): canonical names in its ``[package.dependencies]``} (a line scan)."""
    body = text.partition("\n[metadata")[0]
    out: dict[tuple[str, str], list[str]] = {}
    for chunk in ("\n" + body).split("\n[[package]]\n")[1:]:
        name = re.search(r'^name = "(.*)"$', chunk, re.M)
        version = re.search(r'^version = "(.*)"$', chunk, re.M)
        deps = _dependency_items(chunk)
        if name and version and deps:
            out[(canonicalize_name(name.group(1)), version.group(1))] = [canonicalize_name(n) for n, _ in deps]
    return out


_DEP_TABLE = re.compile(r'^\[package\.dependencies(?:\.(?:"([^"\n]+)"|([^\]\n]+)))?\]\n(.*?)(?=^\[|\Z)', re.M | re.S)
_EXTRAS = re.compile(r'extras\s*=\s*\[([^\]]*)\]')


def _dependency_items(chunk: str) -> list[tuple[str, str]]:
    """(name, its value's text) for each dependency of one ``[[package]]`` of poetry.lock: the keys of
    ``[package.dependencies]`` and, as Poetry 1.0/1.1 wrote them, ``[package.dependencies.NAME]`` tables."""
    out: list[tuple[str, str]] = []
    for table in _DEP_TABLE.finditer(chunk):
        sub, body = table.group(1) or table.group(2), table.group(3)
        if sub is not None:
            out.append((sub.strip(), body))
            continue
        keys = list(_DEP_KEY.finditer(body))
        out += [(m.group(1), body[m.end():keys[i + 1].start() if i + 1 < len(keys) else len(body)])
                for i, m in enumerate(keys)]
    return out


def lock_asked_extras(text: str) -> dict[str, set[str]]:
    """{canonical name: the extras some locked package asks of it} (its ``extras = [...]`` in other
    packages' dependencies), a line scan like :func:`lock_requires`."""
    body = text.partition("\n[metadata")[0]
    out: dict[str, set[str]] = {}
    for chunk in ("\n" + body).split("\n[[package]]\n")[1:]:
        for name, value in _dependency_items(chunk):
            for found in _EXTRAS.finditer(value):
                names = re.findall(r'"([^"]+)"', found.group(1))
                if names:
                    out.setdefault(canonicalize_name(name), set()).update(names)
    return out


def lock_files(text: str) -> dict[tuple[str, str], list[str]]:
    """{(canonical name, version): artefact file names} from a poetry.lock's text: each package's
    ``files`` (lock format 2) or the ``[metadata.files]`` table (format 1, by name). A line scan, like
    :func:`_scan_poetry_lock`; a package whose files cannot be found this way has none."""
    body, _, meta = text.partition("\n[metadata")
    out: dict[tuple[str, str], list[str]] = {}
    by_name: dict[str, list[tuple[str, str]]] = {}
    for chunk in ("\n" + body).split("\n[[package]]\n")[1:]:
        name = re.search(r'^name = "(.*)"$', chunk, re.M)
        version = re.search(r'^version = "(.*)"$', chunk, re.M)
        if not name or not version:
            continue
        key = (canonicalize_name(name.group(1)), version.group(1))
        out[key] = _FILE.findall(chunk)
        by_name.setdefault(key[0], []).append(key)
    files_table = meta.find("[metadata.files]")
    if files_table >= 0:
        section = meta[files_table:].split("\n[", 1)[0]
        starts = list(_FILES_KEY.finditer(section))
        for i, m in enumerate(starts):
            end = starts[i + 1].start() if i + 1 < len(starts) else len(section)
            names = _FILE.findall(section[m.end():end])
            for key in by_name.get(canonicalize_name(m.group(1)), []):
                if not out.get(key):
                    out[key] = names
    return out
def locked_metadata(pkg: dict) -> tuple[list[str], list[str], str | None]:
    """A poetry.lock ``[[package]]`` as package metadata: (``Requires-Dist`` lines, ``Provides-Extra``
    names, ``Requires-Python``). ``[package.dependencies]`` are Poetry dependency tables, converted like
    the project's own (constraints, ``python``/``platform``/``markers``, extras); the optional ones are
    required only by the ``[package.extras]`` that name them (``extra == "x"``)."""
    from packaging.requirements import InvalidRequirement, Requirement

    from migrate.readers.constraints import ConstraintError, requires_python

    name = str(pkg.get("name", "?"))
    ctx = _Ctx(Project(root=Path("."), source_format="poetry", metadata_file=Path("poetry.lock")), Path("poetry.lock"))
    deps: dict[str, list[Dependency]] = {}
    for dep_name, spec in (pkg.get("dependencies") or {}).items():
        if isinstance(spec, dict):  # keys poetry.lock may carry that a pyproject table does not
            spec = {k: v for k, v in spec.items() if k in _DEP_KEYS}
        deps[canonicalize_name(dep_name)] = _convert_dependency(ctx, str(dep_name), spec, f"{name}.{dep_name}")
    requires = [d.requirement() for group in deps.values() for d in group if not d.optional and not d.source]
    extras: list[str] = []
    for extra, entries in (pkg.get("extras") or {}).items():
        extras.append(str(extra))
        when = f'extra == "{extra}"'
        for entry in entries if isinstance(entries, list) else []:
            m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?", str(entry))
            own = deps.get(canonicalize_name(m.group(1))) if m else None
            if own:  # the dependency table says it in full (constraint, markers, extras)
                for d in own:
                    requires.append(f"{d.requirement().split(';')[0]}; "
                                    + (f"({d.marker}) and {when}" if d.marker else when))
                continue
            try:
                req = Requirement(str(entry))
            except InvalidRequirement:
                continue
            base = str(req).split(";")[0]
            requires.append(f"{base}; " + (f"({req.marker}) and {when}" if req.marker else when))
    python = pkg.get("python-versions")
    rp = None
    if isinstance(python, str) and python.strip() not in ("", "*"):
        try:
            rp = requires_python(python).specifier or None
        except ConstraintError:
            rp = None
    return list(dict.fromkeys(requires)), extras, rp
