"""Writer: the model → PEP 621 ``[project]``, PEP 735 ``[dependency-groups]``, ``[tool.uv]`` and
``[build-system]``, edited into the existing ``pyproject.toml`` with tomlkit (comments, key order and
unrelated tables survive). Also stages ``.python-version`` and the deletion of replaced files.
"""

from __future__ import annotations

import re
from typing import Any

import tomlkit
from packaging.utils import canonicalize_name
from tomlkit.items import AoT, Array, InlineTable, Table

from migrate.diagnostics import Diagnostic, MigrateError, requirement_name
from migrate.model import BuildConfig, Dependency, Project

PYPROJECT = "pyproject.toml"
PYTHON_VERSION = ".python-version"
HATCHLING_REQUIRES = "hatchling>=1.27"  # PEP 639 license expressions
_PROJECT_ORDER = (
    "name", "version", "description", "readme", "requires-python", "license", "license-files", "authors",
    "maintainers", "keywords", "classifiers", "dynamic", "dependencies",
)
_POETRY_BACKENDS = ("poetry.core.masonry.api", "poetry.masonry.api", "poetry_dynamic_versioning.backend")


def write_stage(ctx) -> None:
    """Stage pyproject.toml, .python-version and deletions for ``ctx.project``."""
    project: Project = ctx.project
    options = ctx.options
    old = ctx.changes.current(PYPROJECT)
    if old is None:
        doc = tomlkit.document()
    else:
        from migrate.discover import take_parsed

        text = old.decode("utf-8")
        doc = take_parsed(ctx.root / PYPROJECT, text) or tomlkit.parse(text)
    text = render_pyproject(doc, project, build_backend=options.build_backend, warnings=ctx.result.warnings)
    if old is not None and b"\r\n" in old and old.count(b"\r\n") == old.count(b"\n"):
        text = text.replace("\r\n", "\n").replace("\n", "\r\n")  # a CRLF file stays CRLF throughout
    ctx.changes.write(PYPROJECT, text.encode("utf-8"))

    if ctx.target.admitted_by(project.requires_python):
        ctx.changes.write(PYTHON_VERSION, f"{ctx.target}\n".encode())
    else:
        bound = project.requires_python
        message = (
            f"requires-python {bound!r} excludes the target {ctx.target}: .python-version was not written. "
            f"Widen the upper bound in [project] requires-python to admit {ctx.target.version}"
        )
        if options.strict_target:
            raise MigrateError(message, path=PYPROJECT, key="project.requires-python",
                               hint="or drop --strict-target to migrate anyway")
        ctx.result.warnings.append(
            Diagnostic("MIG001", message, path=PYPROJECT, key="project.requires-python")
        )
    if not options.keep_old_files:
        from migrate.readers.buildreads import read_at_build

        for rel in project.old_files:
            script = read_at_build(ctx.root, rel) if rel != PYPROJECT else None
            if script:  # deleting it would break the build
                ctx.result.warnings.append(Diagnostic(
                    "MIG212", f"{rel} is kept: {script} reads it when the package is built (remove it once "
                    f"{script} no longer does)", path=rel))
            elif rel != PYPROJECT:
                ctx.changes.delete(rel)


# ------------------------------------------------------------------------------------------------
def render_pyproject(doc: Any, project: Project, *, build_backend: str = "hatchling",
                     warnings: list | None = None) -> str:
    warnings = warnings if warnings is not None else []
    keep_poetry_build = build_backend == "keep" and _is_poetry_backend(doc)
    consumed = [k for k in project.consumed_keys
                if not (keep_poetry_build and k[:3] in (("tool", "poetry", "packages"),
                                                          ("tool", "poetry", "include"),
                                                          ("tool", "poetry", "exclude")))]
    new_project = "project" not in doc
    proj = doc["project"] if not new_project else tomlkit.table()
    _fill_project(proj, project, warnings)
    _repair_project_keys(proj, warnings)
    groups = _dependency_groups(doc, project)
    _remove_keys(doc, consumed)
    _write_build_system(doc, project, build_backend, warnings)
    _write_setuptools_build_system(doc, project)
    _write_tool_uv(doc, project)
    if new_project:
        doc = _with_leading_tables(doc, [("project", proj)] + ([("dependency-groups", groups)] if groups else []))
    elif groups is not None and "dependency-groups" not in doc:
        doc = _insert_after(doc, "project", "dependency-groups", groups)
    return tomlkit.dumps(doc).rstrip("\n") + "\n"


def _with_leading_tables(doc: Any, tables: list[tuple[str, Any]]) -> Any:
    """Insert ``tables`` after the leading comments and a leading [build-system], before the rest."""
    from tomlkit.items import Comment, Whitespace

    idx = 0
    body = doc.body
    while idx < len(body) and body[idx][0] is None and isinstance(body[idx][1], (Comment, Whitespace)):
        idx += 1
    if idx < len(body) and body[idx][0] is not None and str(body[idx][0]) == "build-system":
        idx += 1
    if idx >= len(body):
        for key, value in tables:
            doc.append(key, value)
        return doc
    for key, value in reversed(tables):
        doc._insert_at(idx, key, value)  # tomlkit has no public positional insert
    return doc


def _insert_after(doc: Any, after: str, key: str, value: Any) -> Any:
    body = doc.body
    for i, (k, _) in enumerate(body):
        if k is not None and str(k) == after:
            if i + 1 >= len(body):
                doc.append(key, value)
            else:
                doc._insert_at(i + 1, key, value)
            return doc
    doc.append(key, value)
    return doc


def _blank_after(table: Table) -> Table:
    """End a table we created with a blank line, so the next header stands apart."""
    table.add(tomlkit.nl())
    return table


# -- [project] -----------------------------------------------------------------------------------
def _fill_project(proj: Table, p: Project, warnings: list) -> None:
    existing = set(proj.keys())
    values: dict[str, Any] = {}
    if p.name:
        values["name"] = p.name
    elif "name" not in existing:
        values["name"] = canonicalize_name(p.root.resolve().name)
        warnings.append(Diagnostic("MIG005", f"no project name given; using the folder name {values['name']!r}",
                                   path=PYPROJECT, key="project.name"))
    if p.version:
        values["version"] = p.version
    elif "version" not in existing and "version" not in p.dynamic:
        values["version"] = "0.0.0"
        warnings.append(Diagnostic("MIG005", "no version given; wrote 0.0.0 (PEP 621 requires one)",
                                   path=PYPROJECT, key="project.version"))
    if p.description:
        values["description"] = p.description
    if p.readme:
        values["readme"] = p.readme
    if p.requires_python:
        values["requires-python"] = p.requires_python
    if p.license:
        values["license"] = _license(p)
    if p.authors:
        values["authors"] = _people(p.authors)
    if p.maintainers:
        values["maintainers"] = _people(p.maintainers)
    if p.keywords:
        values["keywords"] = p.keywords
    if p.classifiers:
        values["classifiers"] = _multiline(p.classifiers)
    if "dynamic" in existing:
        dyn = [d for d in p.dynamic]
        if dyn:
            proj["dynamic"] = dyn
        else:
            del proj["dynamic"]
    elif p.dynamic:
        values["dynamic"] = list(p.dynamic)  # e.g. fields setup.py/setup.cfg provide
    deps = [d for d in p.dependencies if not d.source_only]
    if "dependencies" in existing:
        # keep the existing list; add what it does not name yet
        have = {canonicalize_name(requirement_name(str(r))) for r in proj["dependencies"]}
        for d in deps:
            if canonicalize_name(d.name) not in have:
                proj["dependencies"].append(_quote_style(d.requirement()))
    elif "dependencies" not in p.dynamic:
        values["dependencies"] = _requirements(deps)
    for key in _PROJECT_ORDER:
        if key in values and key not in existing:
            proj[key] = values[key]
    if not existing:
        _blank_after(proj)
    # sub-tables
    if p.optional_dependencies and "optional-dependencies" not in existing:
        t = tomlkit.table()
        for extra, deps in p.optional_dependencies.items():
            t[extra] = _requirements(deps)
        proj["optional-dependencies"] = _blank_after(t)
    if p.urls and "urls" not in existing:
        t = tomlkit.table()
        for k, v in p.urls.items():
            t[k] = v
        proj["urls"] = _blank_after(t)
    for key, entries in (("scripts", p.scripts), ("gui-scripts", p.gui_scripts)):
        if entries and key not in existing:
            t = tomlkit.table()
            for k, v in entries.items():
                t[k] = v
            proj[key] = _blank_after(t)
    if p.entry_points and "entry-points" not in existing:
        ep = tomlkit.table(is_super_table=True)
        for group, points in p.entry_points.items():
            t = tomlkit.table()
            for k, v in points.items():
                t[k] = v
            ep[group] = _blank_after(t)
        proj["entry-points"] = ep


#: keys Poetry had and PEP 621 does not: their [project.urls] label
_URL_KEYS = {"homepage": "Homepage", "repository": "Repository", "documentation": "Documentation"}


def _repair_project_keys(proj: Table, warnings: list) -> None:
    """``homepage``/``repository``/``documentation`` in an existing [project] (written by hand in Poetry's
    style; validate-pyproject rejects them) → ``[project.urls]``, an existing label kept."""
    bad = [k for k in list(proj.keys()) if k in _URL_KEYS]
    if not bad:
        return
    if "urls" not in proj:
        proj["urls"] = _blank_after(tomlkit.table())
    urls = proj["urls"]
    have = {str(k).lower() for k in urls.keys()}
    for key in bad:
        value = proj[key]
        del proj[key]
        label = _URL_KEYS[key]
        if not isinstance(value, str):
            warnings.append(Diagnostic("MIG011", f"[project] {key} is not a PEP 621 key and not a URL string; "
                                       "removed", path=PYPROJECT, key=f"project.{key}"))
        elif label.lower() in have:
            warnings.append(Diagnostic("MIG011", f"[project] {key} is not a PEP 621 key; removed ([project.urls] "
                                       f"already has {label!r})", path=PYPROJECT, key=f"project.{key}"))
        else:
            urls[label] = str(value)
            have.add(label.lower())
            warnings.append(Diagnostic("MIG011", f"[project] {key} is not a PEP 621 key; moved to "
                                       f"[project.urls] {label}", path=PYPROJECT, key=f"project.{key}"))


def _license(p: Project) -> Any:
    lic = p.license
    if isinstance(lic, dict):
        return lic
    has_classifier = any(c.startswith("License ::") for c in p.classifiers)
    if not has_classifier:
        try:
            from packaging.licenses import canonicalize_license_expression

            return str(canonicalize_license_expression(str(lic)))
        except Exception:
            pass
    t = tomlkit.inline_table()
    t["text"] = str(lic)
    return t


def _people(people) -> Array:
    arr = tomlkit.array()
    for person in people:
        t = tomlkit.inline_table()
        t.update(person.to_toml())
        arr.append(t)
    return arr


def _multiline(items: list[str]) -> Array:
    return _lines_array([(item, None, None) for item in items])


def _lines_array(lines: list[tuple[Any, str | None, str | None]]) -> Array:
    """A multi-line array, one ``(value, trailing comment, or a comment-only line when value is None)``
    per line, built in one pass: the same text as ``Array.add_line`` per line, which re-indexes the
    whole array on every call (quadratic: 20,000 classifiers took 19 s)."""
    from tomlkit.items import Comment, Trivia, Whitespace, item as to_item

    if not lines:
        return tomlkit.array()
    values: list = []
    for value, comment, comment_only in lines:
        values.append(Whitespace("\n    "))
        if value is None:
            text = f"# {comment_only}" if comment_only else "#"  # a bare "#" line stays one
            values.append(Comment(Trivia(indent="", comment=text, trail="")))
            continue
        values.append(_fast_item(value) if type(value) is str else to_item(value))
        values.append(Whitespace(","))
        if comment:
            values.append(Comment(Trivia(indent=" ", comment=f"# {comment}", trail="")))
    values.append(Whitespace("\n"))
    return Array(values, Trivia())


_PLAIN = re.compile(r'[^"\\\x00-\x1f\x7f]*\Z')


def _fast_item(value: str):
    """A basic string item without tomlkit's per-character escaping when nothing needs escaping (the
    same text ``tomlkit.item`` makes; it costs most of the writer's time on 20,000-item arrays)."""
    from tomlkit.items import String, StringType, Trivia, item as to_item

    if _PLAIN.match(value):
        return String(StringType.SLB, value, value, Trivia())
    return to_item(value)


def _quote_style(req: str) -> str:
    """Marker strings in single quotes (as uv writes them), so TOML needs no escaping."""
    return req.replace('"', "'") if "'" not in req else req


def _requirements(deps: list) -> Array:
    lines: list[tuple[Any, str | None, str | None]] = []
    for d in deps:
        if isinstance(d, dict):
            t = tomlkit.inline_table()
            t.update(d)
            lines.append((t, None, None))
            continue
        for c in d.leading_comments:
            lines.append((None, None, c.lstrip("#").strip()))
        comment = d.trailing_comment.lstrip("#").strip() if d.trailing_comment else None
        lines.append((_quote_style(d.requirement()), comment, None))
    return _lines_array(lines)


# -- [dependency-groups] -------------------------------------------------------------------------
def _dependency_groups(doc: Any, p: Project) -> Table | None:
    if not p.groups:
        return None
    existing = doc.get("dependency-groups")
    table = existing if existing is not None else tomlkit.table()
    for name, items in p.groups.items():
        if name in table:
            current = table[name]
            have = {str(x) for x in current}
            for d in items:
                text = _quote_style(d.requirement()) if isinstance(d, Dependency) else None
                if text is None:
                    current.append(d)
                elif text not in have:
                    current.append(text)
        else:
            table[name] = _requirements(items)
    return None if existing is not None else _blank_after(table)


# -- removing converted keys ---------------------------------------------------------------------
def _remove_keys(doc: Any, paths: list[tuple[str, ...]]) -> None:
    for path in paths:
        parent = doc
        for part in path[:-1]:
            if not isinstance(parent, dict) or part not in parent:
                parent = None
                break
            parent = parent[part]
        if isinstance(parent, dict) and path[-1] in parent:
            del parent[path[-1]]
    # drop tables left empty by the removal, innermost first
    for path in sorted({p[:n] for p in paths for n in range(1, len(p))}, key=len, reverse=True):
        parent = doc
        for part in path[:-1]:
            parent = parent.get(part) if isinstance(parent, dict) else None
        if isinstance(parent, dict) and isinstance(parent.get(path[-1]), dict) and not parent[path[-1]]:
            del parent[path[-1]]


# -- [build-system] + backend config -------------------------------------------------------------
def _is_poetry_backend(doc: Any) -> bool:
    bs = doc.get("build-system")
    return isinstance(bs, dict) and str(bs.get("build-backend", "")) in _POETRY_BACKENDS or (
        isinstance(bs, dict) and "build-backend" not in bs and any("poetry" in str(r) for r in bs.get("requires", []))
    )


def _write_build_system(doc: Any, p: Project, backend: str, warnings: list) -> None:
    if backend == "keep" or p.keep_build_system:
        return
    if not p.package:
        if _is_poetry_backend(doc):
            del doc["build-system"]
        return
    if "build-system" in doc and not _is_poetry_backend(doc):
        return
    if backend == "uv" and p.build is not None:
        limit = _uv_build_limit(p, p.build)
        if limit:
            warnings.append(Diagnostic("MIG007", f"uv_build cannot build this package ({limit}); hatchling is "
                                       "written instead, so the wheel keeps its files", path=PYPROJECT,
                                       key="build-system"))
            backend = "hatchling"
    bs = tomlkit.table()
    if backend == "uv":
        bs["requires"] = [_uv_build_requirement()]
        bs["build-backend"] = "uv_build"
    else:
        bs["requires"] = [HATCHLING_REQUIRES]
        bs["build-backend"] = "hatchling.build"
    if "build-system" in doc:
        old = doc["build-system"]
        for k in list(old.keys()):
            if k not in ("requires", "build-backend"):
                continue
            del old[k]
        for k, v in bs.items():
            old[k] = v
    else:
        doc.add("build-system", _blank_after(bs))
    if p.build is not None:
        build = _without_backend_defaults(p, p.build, backend)
        if backend == "uv":
            _uv_build_config(doc, p, build, warnings)
        else:
            _hatch_config(doc, p, build, warnings)


def _uv_build_limit(p: Project, build: BuildConfig) -> str | None:
    """Why uv_build cannot ship what Poetry ships, or None."""
    wheel = [s for s in build.packages if not s.formats or "wheel" in s.formats]
    for spec in wheel:
        path = f"{spec.from_.rstrip('/')}/{spec.include}" if spec.from_ else spec.include
        if spec.include.endswith(".py") or (p.root / path).is_file():
            return f"{path} is a single-file module (astral-sh/uv#16766)"
        if _has_glob(spec.include):
            return f"packages glob {spec.include!r}"
        if spec.to:
            return f"packages 'to = {spec.to}'"
    if len({s.from_ or "" for s in wheel}) > 1:
        return "packages from several folders"
    extra = [f.path for f in build.include if "wheel" in f.formats]
    if extra:
        return f"files outside the package in the wheel ({', '.join(extra)})"
    return None


def _backend_default(p: Project, backend: str) -> str | None:
    """The package the backend finds by itself (path relative to the root), or None.

    hatchling: ``src/<name>/__init__.py``, ``<name>/__init__.py``, ``<name>.py`` in that order; uv_build:
    ``src/<name>/__init__.py`` only (module-root "src")."""
    if not p.name:
        return None
    name = canonicalize_name(p.name).replace("-", "_")
    candidates = [f"src/{name}", name, f"{name}.py"] if backend != "uv" else [f"src/{name}"]
    for rel in candidates:
        path = p.root / rel
        if (rel.endswith(".py") and path.is_file()) or (path / "__init__.py").is_file():
            return rel
    return None


def _without_backend_defaults(p: Project, build: BuildConfig, backend: str) -> BuildConfig:
    """Drop the package Poetry's discovery found when the backend's own defaults find exactly that one:
    explicit configuration only where the backends would differ."""
    discovered = [s for s in build.packages if s.discovered]
    if not discovered:
        return build
    paths = [f"{s.from_.rstrip('/')}/{s.include}" if s.from_ else s.include for s in discovered]
    if len(paths) == 1 and paths[0] == _backend_default(p, backend):
        return BuildConfig(packages=[s for s in build.packages if not s.discovered], include=build.include,
                           exclude=build.exclude)
    return build


SETUPTOOLS_REQUIRES = "setuptools>=61.0"  # reads [project] (PEP 621)


def _write_setuptools_build_system(doc: Any, p: Project) -> None:
    """A package built by setuptools from setup.py/setup.cfg, with no [build-system]: name setuptools, which
    reads a [project] table from 61.0 on. The ``__legacy__`` backend is what pip and uv use without a
    [build-system] table (setup.py runs with its own folder on sys.path, so ``from mypkg import __version__``
    keeps working)."""
    if not p.setuptools_files or not p.package or "build-system" in doc:
        return
    bs = tomlkit.table()
    bs["requires"] = [SETUPTOOLS_REQUIRES]
    bs["build-backend"] = "setuptools.build_meta:__legacy__" if "setup.py" in p.setuptools_files \
        else "setuptools.build_meta"
    doc.add("build-system", _blank_after(bs))


def _uv_build_requirement() -> str:
    from importlib.metadata import version

    try:
        v = version("uv").split(".")
        major, minor = int(v[0]), int(v[1])
    except Exception:
        major, minor = 0, 9
    return f"uv_build>={major}.{minor}.0,<{major}.{minor + 1}"


def _tool(doc: Any) -> Table:
    if "tool" not in doc:
        doc.add("tool", tomlkit.table(is_super_table=True))
    return doc["tool"]


def _sub(table: Any, *keys: str) -> Table:
    for k in keys:
        if k not in table:
            table[k] = tomlkit.table(is_super_table=True) if k in ("hatch", "build", "targets") else tomlkit.table()
        table = table[k]
    return table


def _finish(table: Table) -> None:
    """Blank line after a table we filled (and only when it does not end with one already)."""
    body = table.value.body
    if body and not (body[-1][0] is None and "\n" in body[-1][1].as_string()):
        table.add(tomlkit.nl())


def _has_glob(path: str) -> bool:
    return any(ch in path for ch in "*?[")


def _static_prefix(glob: str) -> str:
    """The folders of a glob before its first wildcard part (``data/*.txt`` → ``data``)."""
    parts = []
    for part in glob.strip("/").split("/")[:-1]:
        if _has_glob(part):
            break
        parts.append(part)
    return "/".join(parts)


def _hatch_config(doc: Any, p: Project, build: BuildConfig, warnings: list) -> None:
    """Poetry ``packages``/``include``/``exclude`` → hatchling's wheel/sdist target options."""
    wheel_paths: list[str] = []
    sdist_extra: list[str] = []
    sources: dict[str, str] = {}
    has_file = False
    for spec in build.packages:
        path = f"{spec.from_.rstrip('/')}/{spec.include}" if spec.from_ else spec.include
        in_wheel = not spec.formats or "wheel" in spec.formats
        if not in_wheel:
            sdist_extra.append(path)
            continue
        wheel_paths.append(path)
        if spec.include.endswith(".py") or _has_glob(spec.include) or (p.root / path).is_file():
            has_file = True
        if spec.to:
            sources[path] = f"{spec.to.rstrip('/')}/{spec.include}"
    wheel_include: list[str] = []
    wheel_artifacts: list[str] = []
    force: dict[str, str] = {}
    wheel_patterns: list[str] = []
    for f in build.include:
        fmts = f.formats
        if "sdist" in fmts:
            sdist_extra.append(f.path)
        if "wheel" in fmts:
            inside = any(f.path == w or f.path.startswith(w.rstrip("/") + "/") for w in wheel_paths)
            if inside:
                wheel_artifacts.append(f.path)
            elif not _has_glob(f.path):
                if not (p.root / f.path).exists():
                    # Poetry skips an include that matches nothing; hatchling's force-include fails the build
                    warnings.append(Diagnostic(
                        "MIG014", f"include {f.path!r} matches no file (Poetry ignores it): not written to the "
                        "wheel's force-include, where hatchling would fail the build", path=PYPROJECT,
                        key="tool.hatch.build.targets.wheel.force-include"))
                    continue
                force[f.path] = f.path
            else:
                prefix = _static_prefix(f.path)
                if prefix:
                    # only-include walks the glob's folder (hatchling applies no include patterns there, only
                    # excludes): exclude the folder but the files the glob names (gitignore-style, anchored)
                    if prefix not in wheel_include:
                        wheel_include.append(prefix)
                        wheel_patterns.append(f"/{prefix}/**")
                    wheel_patterns.append("!/" + f.path.lstrip("/"))
                    continue
                # a glob at the root (``*.md``): hatchling's only-include takes paths, not globs, so the files it
                # matches now are listed (what Poetry puts in the wheel today; a new match must be added by hand)
                matched = sorted(m.relative_to(p.root).as_posix() for m in p.root.glob(f.path.lstrip("/"))
                                 if ".git" not in m.relative_to(p.root).parts)
                wheel_include.extend(m for m in matched if m not in wheel_include)
                warnings.append(Diagnostic(
                    "MIG007", f"wheel include glob {f.path!r} outside the packages: hatchling's only-include takes "
                    f"paths, so the {len(matched)} it matches now are listed ({', '.join(matched[:5])}"
                    f"{', …' if len(matched) > 5 else ''}); add a new matching file by hand",
                    path=PYPROJECT, key="tool.hatch.build.targets.wheel.only-include"))
    if has_file or sources or wheel_include:
        # only-include keeps the "from" folder in the wheel path unless sources strips it
        for spec in build.packages:
            if spec.from_ and not spec.to and (not spec.formats or "wheel" in spec.formats):
                sources.setdefault(spec.from_.rstrip("/") + "/", "")
    excludes = [f.path for f in build.exclude if "wheel" in f.formats]
    sdist_excludes = [f.path for f in build.exclude if "sdist" in f.formats]
    if not (wheel_paths or sdist_extra or force or excludes or sdist_excludes or wheel_include):
        return
    targets = _sub(_tool(doc), "hatch", "build", "targets")
    if wheel_paths or force or wheel_include or wheel_artifacts or excludes:
        wheel = _sub(targets, "wheel")
        if wheel_paths and not sources and not has_file and not wheel_include:
            wheel["packages"] = wheel_paths
        elif wheel_paths or wheel_include:
            wheel["only-include"] = wheel_paths + wheel_include
            if sources:
                src = tomlkit.inline_table()
                src.update(sources)
                wheel["sources"] = src
        if wheel_artifacts:
            wheel["artifacts"] = wheel_artifacts
        if excludes or wheel_patterns:
            wheel["exclude"] = wheel_patterns + excludes
        _finish(wheel)
        if force:
            fi = tomlkit.table()
            fi.update(force)
            wheel["force-include"] = _blank_after(fi)
    if sdist_extra or sdist_excludes:
        sdist = _sub(targets, "sdist")
        if sdist_extra:
            # hatchling's sdist already holds every file not ignored by git; artifacts adds ignored ones
            sdist["artifacts"] = sdist_extra
        if sdist_excludes:
            sdist["exclude"] = sdist_excludes
        _finish(sdist)


def _uv_build_config(doc: Any, p: Project, build: BuildConfig, warnings: list) -> None:
    cfg: dict[str, Any] = {}
    roots = {spec.from_ or "" for spec in build.packages if not spec.formats or "wheel" in spec.formats}
    modules = [spec.include for spec in build.packages if not spec.formats or "wheel" in spec.formats]
    if len(roots) > 1 or any(spec.to for spec in build.packages) or any(_has_glob(m) for m in modules):
        warnings.append(Diagnostic(
            "MIG007", "packages from several roots, with 'to' or with globs cannot be expressed for uv_build; "
            "use --build-backend hatchling", path=PYPROJECT, key="tool.uv.build-backend"))
    if modules:
        names = [m[:-3] if m.endswith(".py") else m.replace("/", ".") for m in modules]
        cfg["module-name"] = names[0] if len(names) == 1 else names
        cfg["module-root"] = next(iter(roots)) if roots else ""
        root = p.root / cfg["module-root"]
        if any((root / m).is_dir() and not (root / m / "__init__.py").is_file() for m in modules):
            cfg["namespace"] = True  # a folder without __init__.py (PEP 420): uv_build ships it whole
    elif p.name:
        name = canonicalize_name(p.name).replace("-", "_")
        if (p.root / name).is_dir() and not (p.root / "src" / name).is_dir():
            cfg["module-root"] = ""
    src_inc = [f.path for f in build.include if "sdist" in f.formats]
    if src_inc:
        cfg["source-include"] = src_inc
    if any("wheel" in f.formats for f in build.include):
        warnings.append(Diagnostic("MIG007", "uv_build cannot add extra files to the wheel; use hatchling",
                                   path=PYPROJECT, key="tool.uv.build-backend"))
    if any("sdist" in f.formats for f in build.exclude):
        cfg["source-exclude"] = [f.path for f in build.exclude if "sdist" in f.formats]
    if any("wheel" in f.formats for f in build.exclude):
        cfg["wheel-exclude"] = [f.path for f in build.exclude if "wheel" in f.formats]
    if cfg:
        bb = _sub(_tool(doc), "uv", "build-backend")
        for k, v in cfg.items():
            bb[k] = v
        _finish(bb)


# -- [tool.uv] -----------------------------------------------------------------------------------
def _write_tool_uv(doc: Any, p: Project) -> None:
    settings: dict[str, Any] = {}
    if not p.package:
        settings["package"] = False
    elif "build-system" not in doc:
        settings["package"] = True  # uv builds it with setuptools' legacy backend (setup.py)
    if p.default_groups is not None:
        settings["default-groups"] = p.default_groups
    if p.prerelease:
        settings["prerelease"] = p.prerelease
    if p.conflicts:
        settings["conflicts"] = p.conflicts
    if p.constraints:
        settings["constraint-dependencies"] = _requirements(p.constraints)
    pre = sorted({canonicalize_name(d.name) for d in p.all_dependencies() if d.allow_prereleases})
    names = index_names([idx.name for idx in p.indexes])
    for old, new in names.items():
        if old != new:
            p.warn("MIG115", f"index {old!r} is written as {new!r}: uv index names may only contain letters, "
                   "digits, '-', '_' and '.'", key="tool.uv.index", path=PYPROJECT)
    sources = _sources(p, names)
    if not (settings or pre or sources or p.indexes):
        return
    uv = _sub(_tool(doc), "uv")
    for k, v in settings.items():
        uv[k] = v
    if pre:
        t = tomlkit.inline_table()
        for name in pre:
            t[name] = "allow"
        uv["prerelease-package"] = t
    if settings or pre:
        _finish(uv)
    if sources:
        st = uv["sources"] if "sources" in uv else tomlkit.table()
        for name, entries in sources.items():
            if len(entries) == 1:
                st[name] = _inline(entries[0])
            else:
                arr = tomlkit.array()
                for e in entries:
                    arr.append(_inline(e))
                st[name] = arr
        if "sources" not in uv:
            uv["sources"] = _blank_after(st)
    if p.indexes:
        aot = uv["index"] if "index" in uv else AoT([])
        for idx in p.indexes:
            t = tomlkit.table()
            t.update(idx.to_toml())
            t["name"] = names.get(idx.name, idx.name)
            aot.append(_blank_after(t))
        if "index" not in uv:
            uv["index"] = aot


def _inline(entry: dict) -> InlineTable:
    t = tomlkit.inline_table()
    t.update({k: _quote_style(v) if k == "marker" else v for k, v in entry.items()})
    return t


def index_names(names: list[str]) -> dict[str, str]:
    """Each index name → the name written to ``[[tool.uv.index]]``: uv accepts only letters, digits,
    ``-``, ``_`` and ``.``; every other run of characters becomes one ``-``. Stable (the same names give
    the same result) and unique (a clash gets ``-2``, ``-3``, ...; valid names are never renamed)."""
    out: dict[str, str] = {}
    taken = {n.lower() for n in names if _INDEX_NAME.fullmatch(n)}
    for name in names:
        if name in out:
            continue
        if _INDEX_NAME.fullmatch(name):
            out[name] = name
            continue
        base = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "index"
        new, n = base, 1
        while new.lower() in taken:
            n += 1
            new = f"{base}-{n}"
        taken.add(new.lower())
        out[name] = new
    return out


_INDEX_NAME = re.compile(r"[A-Za-z0-9._-]+")


def _sources(p: Project, names: dict[str, str] | None = None) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for d in p.all_dependencies():
        if d.source is None:
            continue
        entry = d.source.to_toml()
        if "index" in entry and names:
            entry["index"] = names.get(entry["index"], entry["index"])
        name = d.name
        key = next((k for k in out if canonicalize_name(k) == canonicalize_name(name)), name)
        current = out.setdefault(key, [])
        if entry not in current:
            current.append(entry)
    for name, entries in out.items():
        if len(entries) > 1 and not all("marker" in e or "group" in e for e in entries):
            # the same package from different sources without markers: uv allows one; keep the first
            p.warn("MIG005", f"different sources for {name!r} in different groups; kept the first",
                   key=f"tool.uv.sources.{name}")
            del entries[1:]
    return out
