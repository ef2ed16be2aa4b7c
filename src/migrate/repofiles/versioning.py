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
        unknown = sorted(k for k in settings if k not in UDV_OPTIONS)
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
