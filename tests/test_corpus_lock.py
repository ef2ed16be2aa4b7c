"""Every corpus project whose dependencies are reachable locks (needs PyPI: ``pytest -m network``).

Reachable: every dependency comes from PyPI (no git or URL source, no private index, no path
outside the project). Those are migrated with locking, as a user would (the lock against PyPI, the
old lock's pins kept where they resolve), and each must lock. The README's corpus table was measured
with ``migrate batch`` over the same corpus (see "Locking real projects").
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import CORPUS, run_migrate

from migrate.pipeline import RunOptions, read_project

PYPI = ("https://pypi.org/simple", "https://pypi.python.org/simple", "https://pypi.org/simple/",
        "https://pypi.python.org/simple/")


def _projects() -> list[tuple[Path, Path]]:
    """(folder to copy, project inside it): single projects, and each project of a monorepo (copied
    whole, so that its path dependencies resolve)."""
    if not CORPUS.is_dir():
        return []
    from migrate.batch import discover_projects

    out = []
    for kind in ("poetry", "pipenv"):
        out += [(p, p) for p in sorted((CORPUS / kind).iterdir()) if p.is_dir()]
    for repo in sorted((CORPUS / "monorepo").iterdir()):
        if repo.is_dir():
            out += [(repo, p) for p in discover_projects(repo)]
    return out


def unreachable(root: Path, top: Path | None = None) -> str | None:
    """Why a project's dependencies cannot all be fetched from PyPI here (None: they can)."""
    try:
        project = read_project(root, RunOptions())
    except Exception as exc:  # bad input is another test's business
        return f"does not read: {exc}"
    for index in project.indexes:
        if index.url.rstrip("/") + "/" not in PYPI and index.url not in PYPI:
            return f"index {index.url}"
    import re

    raw = project.metadata_file.read_text(encoding="utf-8", errors="replace")
    if re.search(r"git\+|@\s*https?://|\bgit\s*=|\{[^}\n]*\b(url|file)\s*=\s*[\"']https?://", raw):
        return "a git/URL dependency"
    for dep in project.all_dependencies():
        src = dep.source
        if dep.direct_url or (src and (src.git or src.url)):
            return f"{dep.name} is a git/URL dependency"
        if src and src.path:
            target = (root / src.path).resolve()
            if not target.is_relative_to((top or root).resolve()):
                return f"{dep.name} is a path dependency outside the repository"
            missing = _missing_files(target)
            if missing:
                return f"{dep.name} ({src.path}) may not build from the corpus copy: {missing} is not in it"
    return None


def _missing_files(folder: Path) -> str | None:
    """What a path dependency needs to build that the corpus (metadata only) does not hold."""
    import tomllib

    if not folder.is_dir():
        return str(folder)
    try:
        data = tomllib.loads((folder / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None if (folder / "setup.py").is_file() else str(folder / "pyproject.toml")
    readme = data.get("tool", {}).get("poetry", {}).get("readme") or data.get("project", {}).get("readme")
    for r in [readme] if isinstance(readme, str) else (readme if isinstance(readme, list) else []):
        if isinstance(r, str) and not (folder / r).is_file():
            return str(folder / r)
    return None


#: reachable projects that do not lock, and why (each one checked by hand; strict: a fix shows up)
KNOWN = {
    "poetry/zauberzeug__nicegui": "the version comes from git tags (poetry-dynamic-versioning; the corpus has no "
                                  ".git): at the placeholder 0.0.0 the extra nicegui[highcharts] -> "
                                  "nicegui-highcharts>=3.3 -> nicegui>=3.0 cannot hold",
}
FLET = ("the flet packages require each other at the placeholder version 0.1.0 (set at release), which is not on "
        "PyPI (or is an unrelated old release): Poetry cannot lock them one by one either (packages/flet's "
        "poetry.lock is stale: its content-hash is not that of its pyproject.toml). The repository is locked at "
        "sdk/python, whose path dependencies provide them (it locks when the packages' README.md files exist)")


PROJECTS = _projects()


@pytest.mark.network
@pytest.mark.skipif(not PROJECTS, reason="../shared/corpus is not present")
@pytest.mark.parametrize("top, src", PROJECTS, ids=[p.relative_to(CORPUS).as_posix() for _, p in PROJECTS])
def test_every_reachable_corpus_project_locks(tmp_path, top, src):
    why = unreachable(src, top)
    if why:
        pytest.skip(f"dependencies not reachable from here: {why}")
    rel = src.relative_to(CORPUS).as_posix()
    known = KNOWN.get(rel) or (FLET if "flet-dev__flet" in rel else None)
    shutil.copytree(top, tmp_path / top.name)
    root = tmp_path / top.name / src.relative_to(top)
    proc = run_migrate("run", str(root), "--dry-run", "--no-codemods", "--format", "json")
    report = json.loads(proc.stdout)
    failure = report["lock"].get("failure")
    if known:
        assert failure is not None, f"now locks: remove it from KNOWN ({known})"
        pytest.xfail(known)
    assert proc.returncode == 0 and failure is None, json.dumps(failure or report.get("error"), indent=1)
    assert report["lock"]["counts"]["locked"] > 0
    runs = report["lock"]["uv_runs"]
    assert sum(1 for r in runs if r["ok"]) <= 3, runs  # pins, then --check or the free-threading fixes
