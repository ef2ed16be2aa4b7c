"""`migrate batch --workspace`: projects that depend on each other by path become one uv workspace.

Every project is planned without a lock. Projects joined by path dependencies (in either direction)
become members: their member-to-member ``[tool.uv.sources]`` path entries turn into
``{ workspace = true }``, ROOT's ``pyproject.toml`` gets ``[tool.uv.workspace] members`` (created as a
virtual root when there is none), and one ``uv.lock`` is made at ROOT (old pins of every member kept,
as in the single-project lock stage). The whole workspace is one ChangeSet: all or nothing. Projects
with no path link to another are migrated on their own, as without ``--workspace``.
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import tomlkit

from migrate.apply.changeset import ChangeSet
from migrate.diagnostics import Diagnostic, StageError


def _path_links(project: Path, text: str, projects: set[Path]) -> dict[str, Path]:
    """source name -> member folder, for path sources of ``text`` that point at another project."""
    doc = tomlkit.parse(text)
    out = {}
    sources = doc.get("tool", {}).get("uv", {}).get("sources", {})
    for name, entry in sources.items():
        if isinstance(entry, dict) and isinstance(entry.get("path"), str):
            target = (project / entry["path"]).resolve()
            if target in projects and target != project.resolve():
                out[name] = target
    return out


def run_workspace(root: Path, projects: list[Path], options) -> dict[Path, Any]:
    from migrate import pipeline

    root = Path(root)
    planned = {p: pipeline.plan(p, replace(options, lock=False, dry_run=True)) for p in projects}
    ok = {p.resolve(): p for p in projects if planned[p].exit_code == 0 and planned[p].changes is not None
          and planned[p].status != "unchanged"}
    links: dict[Path, dict[str, Path]] = {}
    for real, p in ok.items():
        text = planned[p].changes.current("pyproject.toml")
        links[real] = _path_links(real, text.decode("utf-8"), set(ok)) if text else {}
    members = {real for real, targets in links.items() if targets} | {t for ts in links.values() for t in ts.values()}
    results: dict[Path, Any] = {}
    # projects outside the workspace: on their own
    for p in projects:
        if p.resolve() not in members:
            results[p] = pipeline.run(p, options) if planned[p].exit_code == 0 else planned[p]
    if not members:
        return results
    member_paths = [ok[m] for m in sorted(members)]
    combined = ChangeSet(root)
    for p in member_paths:
        res = planned[p]
        text = res.changes.current("pyproject.toml").decode("utf-8")
        doc = tomlkit.parse(text)
        sources = doc["tool"]["uv"]["sources"] if links.get(p.resolve()) else None
        for name in links.get(p.resolve(), {}):
            t = tomlkit.inline_table()
            t["workspace"] = True
            sources[name] = t
        res.changes.write("pyproject.toml", tomlkit.dumps(doc).encode("utf-8"))
        combined.merge(res.changes)
    rel_members = sorted(m.relative_to(root.resolve()).as_posix() for m in members)
    top = root.resolve()  # ChangeSet paths: a relative ROOT (`migrate batch poetry`) joined to it again was ROOT/ROOT
    root_text = combined.current(top / "pyproject.toml")
    doc = tomlkit.parse(root_text.decode("utf-8")) if root_text else tomlkit.document()
    tool = doc.setdefault("tool", tomlkit.table(is_super_table=True))
    uv = tool.setdefault("uv", tomlkit.table(is_super_table=True))
    ws = uv.setdefault("workspace", tomlkit.table())
    existing = [str(m) for m in ws.get("members", [])]
    ws["members"] = sorted(set(existing) | {m for m in rel_members if m != "."})
    combined.write(top / "pyproject.toml", tomlkit.dumps(doc).encode("utf-8"))
    try:
        if options.lock:
            _lock_workspace(top, combined, [planned[p] for p in member_paths], options)
        if not options.dry_run:
            combined.apply()
        status = "would-change" if options.dry_run else "migrated"
        for p in member_paths:
            planned[p].status = status
            planned[p].lock["workspace"] = str(root)
    except StageError as exc:
        for p in member_paths:
            planned[p].status, planned[p].exit_code = "failed", 1
            planned[p].error = f"workspace lock failed: {exc.message}"
            planned[p].error_detail = exc.detail
            if hasattr(exc, "to_json"):
                planned[p].lock["failure"] = exc.to_json()
    except OSError as exc:
        for p in member_paths:
            planned[p].status, planned[p].exit_code = "failed", 1
            planned[p].error = f"could not write the workspace, nothing was changed: {exc}"
    for p in member_paths:
        planned[p].changes = _subset(combined, p)
        results[p] = planned[p]
    if root.resolve() not in members:
        from migrate.pipeline import RunResult

        ws_result = RunResult(path=root, source_format="workspace", project_name="(workspace root)")
        ws_result.status = planned[member_paths[0]].status
        ws_result.exit_code = planned[member_paths[0]].exit_code
        ws_result.error = planned[member_paths[0]].error
        ws_result.changes = _subset(combined, root, only_top=True)
        results[root] = ws_result
    return results


def _subset(changes: ChangeSet, folder: Path, only_top: bool = False) -> ChangeSet:
    out = ChangeSet(changes.root)
    base = Path(folder).resolve()
    for ch in changes.changes:
        if (ch.path.parent == base) if only_top else ch.path.is_relative_to(base):
            out._changes[ch.path] = ch
    return out


def _lock_workspace(root: Path, combined: ChangeSet, members: list, options) -> None:
    """One uv.lock at ROOT with every member's old pins kept: the lock stage's own routine
    (:func:`migrate.lock.lock.lock_with_pins`: pins as temporary constraints, dropped where uv cannot
    satisfy them, then taken out again and checked with ``uv lock --check``)."""
    from migrate.lock.lock import choose_python, lock_with_pins, stage_project
    from migrate.target import Target

    specs = [m.lock.get("requires_python") or _requires_python(m) for m in members]
    spec = ",".join(s for s in specs if s)
    python, _ = choose_python(spec or None, Target.parse(options.target).version, root)
    pins = [pin for m in members for pin in m.pins]
    text = combined.current(root / "pyproject.toml").decode("utf-8")
    from migrate.apply.journal import staging_prefix

    with tempfile.TemporaryDirectory(prefix=staging_prefix("migrate-ws-")) as tmp:
        stage = stage_project(root, combined, Path(tmp), text, list(options.find_links))
        run = lock_with_pins(stage, text, pins, python, options, root)
        if run.dropped:
            names = ", ".join(sorted(run.dropped))
            for m in members:
                m.warnings.append(Diagnostic("MIG201", f"old pins do not resolve together in the workspace; "
                                             f"locked without them: {names}", path="uv.lock"))
        combined.write(root / "uv.lock", (stage / "uv.lock").read_bytes())


def _requires_python(result) -> str | None:
    import tomllib

    data = result.changes.current("pyproject.toml")
    return tomllib.loads(data.decode("utf-8")).get("project", {}).get("requires-python") if data else None
