"""Poetry versioning plugins → a hatchling version source (issue 11, item 6).

``poetry-dynamic-versioning`` (``[tool.poetry-dynamic-versioning] enable = true``) becomes
``uv-dynamic-versioning``: the same dunamai-based tool for hatchling, which reads the same option names,
so the settings (``vcs``, ``style``, ``pattern``, ``format``, ``latest-tag``, ``fallback-version``, …) carry
over unchanged into ``[tool.uv-dynamic-versioning]``. ``poetry-version-plugin`` with ``source = "init"``
becomes hatchling's own ``[tool.hatch.version] path = ".../__init__.py"``; ``source = "git-tag"`` becomes
uv-dynamic-versioning. Only when the written build backend is hatchling; otherwise (and for options
uv-dynamic-versioning does not have) the plugin is reported (MIG331). Runs on the staged
``pyproject.toml`` of ``migrate run`` after the writer, editing it with tomlkit."""

from __future__ import annotations

from pathlib import Path

from migrate.diagnostics import Diagnostic

PDV = "poetry-dynamic-versioning"
PVP = "poetry-version-plugin"
#: options uv-dynamic-versioning reads with the same name and meaning as poetry-dynamic-versioning
UDV_OPTIONS = {
    "vcs", "metadata", "tagged-metadata", "dirty", "pattern", "pattern-prefix", "format", "format-jinja",
    "format-jinja-imports", "style", "latest-tag", "strict", "tag-dir", "tag-branch", "full-commit",
    "ignore-untracked", "commit-length", "commit-prefix", "escape-with-backslash", "bump", "fallback-version",
}
UDV_REQ = "uv-dynamic-versioning"


def convert_versioning(root: Path, changes) -> list[Diagnostic]:
    import tomlkit

    data = changes.current("pyproject.toml")
    if data is None:
        return []
    try:
        doc = tomlkit.parse(data.decode("utf-8"))
    except Exception:
        return []
    tool = doc.get("tool")
    if not isinstance(tool, dict) or not (PDV in tool or PVP in tool):
        return []
    out: list[Diagnostic] = []
    bs = doc.get("build-system")
    hatch = isinstance(bs, dict) and bs.get("build-backend") == "hatchling.build"
    name = PDV if PDV in tool else PVP
    cfg = tool[name]
    if not hatch:
        return [Diagnostic("MIG331", f"[tool.{name}] is a Poetry plugin: with a hatchling backend it becomes "
                           "uv-dynamic-versioning; left as it is", "pyproject.toml", f"tool.{name}")]
    proj = doc.get("project")
    if not isinstance(proj, dict):
        return []
    if name == PDV:
        if not cfg.get("enable", False):
            return [Diagnostic("MIG331", "poetry-dynamic-versioning is not enabled (enable = false): version kept static",
                               "pyproject.toml", f"tool.{name}.enable")]
        settings = {k: v for k, v in cfg.items() if k != "enable"}
        hook, sub_diags = _substitution(root, cfg.get("substitution"))
        out.extend(sub_diags)
        unknown = sorted(k for k in settings if k not in UDV_OPTIONS and k != "substitution")
        carried = {k: settings[k] for k in settings if k in UDV_OPTIONS}
        _dynamic_version(proj)
        _require(bs, UDV_REQ)
        _source(doc, source=UDV_REQ)
        # the same table under its new name: comments and layout come along
        for k in [k for k in cfg if k not in UDV_OPTIONS]:
            del cfg[k]
        del tool[name]
        if carried:
            tool["uv-dynamic-versioning"] = cfg
        if hook is not None:
            path, pattern = hook
            t = _table(doc, "tool", "hatch", "build", "hooks", "version")
            t["path"] = path
            t["pattern"] = pattern
            t.add(tomlkit.nl())
            out.append(Diagnostic(
                "MIG013", f"poetry-dynamic-versioning wrote the version into {path} during a build and restored "
                "the file after it; hatchling's version build hook [tool.hatch.build.hooks.version] writes it there "
                "on every build (and editable install) and leaves it changed: do not commit that change, or read "
                "the version with importlib.metadata.version() instead", "pyproject.toml",
                "tool.hatch.build.hooks.version"))
        out.append(Diagnostic("MIG330", "poetry-dynamic-versioning → uv-dynamic-versioning (hatchling version source)"
                              + (f"; settings carried over: {', '.join(carried)}" if carried else ""),
                              "pyproject.toml", "tool.uv-dynamic-versioning"))
        if unknown:
            out.append(Diagnostic("MIG331", f"poetry-dynamic-versioning options without an uv-dynamic-versioning "
                                  f"equivalent dropped: {', '.join(unknown)} (e.g. `substitution`: set __version__ "
                                  "from importlib.metadata instead)", "pyproject.toml", "tool.uv-dynamic-versioning"))
    else:
        source = str(cfg.get("source", ""))
        if source == "init":
            init = _init_file(root, str(proj.get("name", "")))
            if init is None:
                return [Diagnostic("MIG331", "poetry-version-plugin source = \"init\": package __init__.py not found; "
                                   "set [tool.hatch.version] path by hand", "pyproject.toml", f"tool.{name}")]
            _dynamic_version(proj)
            _source(doc, path=init)
            msg = f"poetry-version-plugin (source = \"init\") → [tool.hatch.version] path = \"{init}\""
        elif source == "git-tag":
            _dynamic_version(proj)
            _require(bs, UDV_REQ)
            _source(doc, source=UDV_REQ)
            msg = ("poetry-version-plugin (source = \"git-tag\") → uv-dynamic-versioning; between tags it gives a "
                   "dev version where the plugin kept the static one")
        else:
            return [Diagnostic("MIG331", f"poetry-version-plugin source {source!r} not recognised; left as it is",
                               "pyproject.toml", f"tool.{name}.source")]
        del tool[name]
        out.append(Diagnostic("MIG330", msg, "pyproject.toml", "tool.hatch.version"))
    changes.write("pyproject.toml", tomlkit.dumps(doc).encode("utf-8"))
    return out


#: poetry-dynamic-versioning's defaults (``[tool.poetry-dynamic-versioning.substitution]``): substitution is on
#: whenever the plugin is enabled, in these files, with these patterns (group 1 + version + group 2)
PDV_FILES = ["*.py", "*/__init__.py", "*/__version__.py", "*/_version.py"]
PDV_PATTERNS = [r"(^__version__\s*(?::.*?)?=\s*['\"])[^'\"]*(['\"])",
                {"value": r"(^__version_tuple__\s*(?::.*?)?=\s*\()[^)]*(\))", "mode": "tuple"}]


def _substitution(root: Path, sub) -> tuple[tuple[str, str] | None, list[Diagnostic]]:
    """poetry-dynamic-versioning's substitution → one hatchling version build hook ``(path, pattern)``.

    The files and patterns are resolved the way the plugin resolves them (globs from the project folder, and
    from each of ``folders``); what it would really change is what counts. One file with one match of a
    plain (``str``) pattern maps exactly onto hatchling's hook (one file, one ``version`` group); several files,
    several matches or a ``tuple`` pattern cannot: reported (MIG331) and left out."""
    import re

    sub = sub if isinstance(sub, dict) else {}
    files = list(sub.get("files", PDV_FILES))
    patterns = list(sub.get("patterns", PDV_PATTERNS))
    scopes = [(root, files, patterns)]
    for folder in sub.get("folders", []) or []:
        if isinstance(folder, dict) and folder.get("path"):
            scopes.append((root / str(folder["path"]), list(folder.get("files", files)),
                           list(folder.get("patterns", patterns))))
    hits: dict[str, list[tuple[str, str, int]]] = {}  # file -> (pattern, mode, matches)
    seen: set[Path] = set()
    for base, globs, pats in scopes:
        for glob in globs:
            for path in sorted(base.glob(str(glob))):
                resolved = path.resolve()
                if resolved in seen or not path.is_file():
                    continue
                seen.add(resolved)
                try:
                    text = path.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError):
                    continue
                for pat in pats:
                    value, mode = (pat.get("value", ""), pat.get("mode", "str")) if isinstance(pat, dict) \
                        else (str(pat), "str")
                    try:
                        n = len(re.findall(str(value), text, flags=re.MULTILINE))
                    except re.error:
                        continue
                    if n:
                        rel = path.resolve().relative_to(root.resolve()).as_posix()
                        hits.setdefault(rel, []).append((str(value), str(mode), n))
    if not hits:
        return None, []  # the plugin would change nothing either
    where = ", ".join(sorted(hits))
    if len(hits) == 1:
        (rel, found), = hits.items()
        if len(found) == 1 and found[0][1] == "str" and found[0][2] == 1:
            pattern = _hatch_pattern(found[0][0])
            if pattern is not None:
                return (rel, pattern), []
    return None, [Diagnostic("MIG331", f"poetry-dynamic-versioning substitutes the version into {where} at build "
                             "time; hatchling's version build hook writes one match in one file, so this is not "
                             "converted: read the version with importlib.metadata.version() instead",
                             "pyproject.toml", "tool.poetry-dynamic-versioning.substitution")]


def _hatch_pattern(value: str) -> str | None:
    """``(PREFIX)OLD(SUFFIX)`` (the plugin writes group 1, the version, group 2) → the same regex with the
    version as hatchling's named group: ``(?:PREFIX)(?P<version>OLD)(?:SUFFIX)``. None for another shape."""
    groups = _top_level_groups(value)
    if groups is None or len(groups) < 2:
        return None
    (s1, e1), (s2, e2) = groups[0], groups[-1]
    capturing = [g for g in groups if not value.startswith("(?", g[0])]
    if s1 != 0 or e2 != len(value) or capturing != [groups[0], groups[-1]] or value.startswith("(?", s1) \
            or value.startswith("(?", s2):
        return None
    middle = value[e1:s2]
    if "(" in middle.replace("\\(", ""):
        return None
    return f"(?:{value[s1 + 1:e1 - 1]})(?P<version>{middle})(?:{value[s2 + 1:e2 - 1]})"


def _top_level_groups(value: str) -> list[tuple[int, int]] | None:
    """Spans of the top-level parenthesised groups of a regex (escapes and character classes skipped)."""
    spans, depth, start, i, in_class = [], 0, 0, 0, False
    while i < len(value):
        ch = value[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            if value[i + 1:i + 2] == "]":
                i += 1
        elif ch == "(":
            if depth == 0:
                start = i
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                return None
            if depth == 0:
                spans.append((start, i + 1))
        i += 1
    return spans if depth == 0 else None


def _dynamic_version(proj) -> None:
    import tomlkit

    if "version" in proj:
        del proj["version"]
    dyn = proj.get("dynamic")
    if dyn is None:
        arr = tomlkit.array()
        arr.append("version")
        proj["dynamic"] = arr
    elif "version" not in dyn:
        dyn.append("version")


def _require(bs, req: str) -> None:
    reqs = bs.get("requires")
    if reqs is not None and not any(str(r).split("[")[0].split(">")[0].split("=")[0].strip() == req for r in reqs):
        reqs.append(req)


def _source(doc, **kv) -> None:
    import tomlkit

    t = _table(doc, "tool", "hatch", "version")
    for k, v in kv.items():
        t[k] = v
    t.add(tomlkit.nl())


def _table(doc, *keys: str):
    import tomlkit

    t = doc
    for k in keys:
        if k not in t:
            t[k] = tomlkit.table(is_super_table=k in ("tool", "hatch"))
        t = t[k]
    return t


def _init_file(root: Path, name: str) -> str | None:
    mod = name.replace("-", "_").replace(".", "_").lower()
    for cand in (f"src/{mod}/__init__.py", f"{mod}/__init__.py"):
        if (Path(root) / cand).is_file():
            return cand
    return None
