"""``--to-pep621``: move setuptools metadata (setup.py / setup.cfg) into static ``[project]`` fields.

Only values that convert *exactly* move (see :meth:`SetuptoolsMetadata.static_fields`): literal versions,
descriptions, ``python_requires``, PEP 508 ``install_requires`` / ``extras_require`` (no ``"extra:marker"``
keys), entry points without extras, classifiers, ``project_urls`` alone. Each moved keyword is removed from
where it was written — setup.cfg lines (its option and continuation lines, or the whole
``[options.extras_require]`` / ``[options.entry_points]`` section) and setup.py ``setup()`` keyword arguments
(libcst, the rest of the file untouched) — so there is one source of truth. Everything else stays in
``dynamic`` and with setuptools (MIG010 names it).
"""

from __future__ import annotations

import re

from packaging.requirements import Requirement

from migrate.model import Dependency, Project

#: PEP 621 field → the setup() keyword it came from
_KEYWORD = {
    "version": "version", "description": "description", "requires-python": "python_requires",
    "dependencies": "install_requires", "optional-dependencies": "extras_require", "scripts": "entry_points",
    "gui-scripts": "entry_points", "entry-points": "entry_points", "classifiers": "classifiers",
    "urls": "project_urls",
}
#: setup.cfg: keyword → (section, option) or a whole section
_CFG_PLACE = {
    "version": ("metadata", "version"), "description": ("metadata", "description"),
    "classifiers": ("metadata", "classifiers"), "project_urls": ("metadata", "project_urls"),
    "python_requires": ("options", "python_requires"), "install_requires": ("options", "install_requires"),
    "extras_require": ("options.extras_require", None), "entry_points": ("options.entry_points", None),
}
_CFG_ALIASES = {"description": ("description", "summary"), "classifiers": ("classifiers", "classifier")}


def to_pep621_stage(ctx) -> None:
    """Fill the model with the exact static fields and stage the edited setup.py / setup.cfg."""
    project: Project = ctx.project
    if not project.setuptools_files:
        return
    from migrate.readers.setuptools import read_setuptools

    meta = read_setuptools(project.root)
    if meta is None:
        return
    static, dynamic = meta.static_fields()
    if meta.opaque:
        # setup(**kwargs) may pass any of them again: moving is not exact
        static = {}
        dynamic = meta.dynamic()
    _fill(project, static)
    project.dynamic = [f for f in dynamic if not (f == "requires-python" and project.requires_python)]
    from migrate.readers.setuptools import _FIELDS

    for f in project.dynamic:
        file = next((meta.origin[k] for k, fields in _FIELDS.items() if f in fields and k in meta.origin),
                    meta.files[-1])
        project.warn("MIG010", f"{f} stays with setuptools (dynamic): its value in {file} is computed or has no "
                     "exact PEP 621 form", key=f"project.{f}", path=file)
    keywords = {_KEYWORD[f] for f in static if f in _KEYWORD}
    if "urls" in static:
        keywords.add("project_urls")
    for file in meta.files:
        moved = {k for k in keywords if meta.origin.get(k) == file}
        if not moved:
            continue
        old = ctx.changes.current(file)
        if old is None:
            continue
        text = old.decode("utf-8")
        new = _strip_setup_cfg(text, moved) if file == "setup.cfg" else _strip_setup_py(text, moved)
        if new != text:
            ctx.changes.write(file, new.encode("utf-8"))


def _dependency(text: str) -> Dependency:
    req = Requirement(text)
    dep = Dependency(name=req.name, specifier=str(req.specifier), extras=tuple(sorted(req.extras)),
                     marker=str(req.marker) if req.marker else None)
    if req.url:
        dep.direct_url = req.url
    return dep


def _fill(p: Project, static: dict) -> None:
    if "version" in static:
        p.version = static["version"]
    if "description" in static:
        p.description = static["description"]
    if "requires-python" in static:
        p.requires_python = static["requires-python"]
    if "dependencies" in static:
        p.dependencies = [_dependency(r) for r in static["dependencies"]] + p.dependencies
    if "optional-dependencies" in static:
        for extra, reqs in static["optional-dependencies"].items():
            p.optional_dependencies[extra] = [_dependency(r) for r in reqs]
    if "scripts" in static:
        p.scripts.update(static["scripts"])
    if "gui-scripts" in static:
        p.gui_scripts.update(static["gui-scripts"])
    if "entry-points" in static:
        for group, points in static["entry-points"].items():
            p.entry_points.setdefault(group, {}).update(points)
    if "classifiers" in static:
        p.classifiers = list(static["classifiers"])
    if "urls" in static:
        p.urls.update(static["urls"])


# -- setup.cfg -------------------------------------------------------------------------------------
_SECTION_RE = re.compile(r"^\[([^\]]+)\]\s*$")
_OPTION_RE = re.compile(r"^([A-Za-z0-9_.\-]+)\s*[=:]")


def _strip_setup_cfg(text: str, keywords: set[str]) -> str:
    """Remove the options (with their continuation lines) and whole sections the keywords name."""
    drop_options: set[tuple[str, str]] = set()
    drop_sections: set[str] = set()
    for kw in keywords:
        section, option = _CFG_PLACE[kw]
        if option is None:
            drop_sections.add(section)
        else:
            for name in _CFG_ALIASES.get(option, (option,)):
                drop_options.add((section, name))
                drop_options.add((section, name.replace("_", "-")))
    out: list[str] = []
    section = None
    skipping = False
    for line in text.splitlines(keepends=True):
        m = _SECTION_RE.match(line)
        if m:
            section = m.group(1).strip()
            skipping = False
            if section in drop_sections:
                skipping = True
                continue
            out.append(line)
            continue
        if section in drop_sections:
            continue
        if skipping:
            if line[:1] in (" ", "\t") and line.strip():
                continue  # continuation line of a dropped option
            skipping = False
        om = _OPTION_RE.match(line)
        if om and (section, om.group(1)) in drop_options:
            skipping = True
            continue
        out.append(line)
    # a section left with nothing but blank lines goes too
    return _drop_empty_sections("".join(out))


def _drop_empty_sections(text: str) -> str:
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    i = 0
    while i < len(lines):
        if _SECTION_RE.match(lines[i]):
            j = i + 1
            while j < len(lines) and not lines[j].strip():
                j += 1
            if j >= len(lines) or _SECTION_RE.match(lines[j]):
                i = j
                continue
        out.append(lines[i])
        i += 1
    return "".join(out)


# -- setup.py --------------------------------------------------------------------------------------
def _strip_setup_py(text: str, keywords: set[str]) -> str:
    """Remove keyword arguments of the setup() call (libcst: formatting and comments elsewhere survive)."""
    import libcst as cst

    class Strip(cst.CSTTransformer):
        done = False

        def leave_Call(self, original, updated):
            f = updated.func
            is_setup = (isinstance(f, cst.Name) and f.value == "setup") or (
                isinstance(f, cst.Attribute) and f.attr.value == "setup")
            if not is_setup or self.done:
                return updated
            self.done = True
            # each kept argument keeps its own comma (and the comment after it): a trailing comma is valid
            args = [a for a in updated.args if not (a.keyword is not None and a.keyword.value in keywords)]
            return updated.with_changes(args=args)

    module = cst.parse_module(text)
    return module.visit(Strip()).code
