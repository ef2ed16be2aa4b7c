"""Every corpus project locks: offline against a wheel folder made from its own old lock (in the default
run; see ``corpus_wheels.py``), and, for those whose dependencies are reachable, against PyPI (needs
PyPI: ``pytest -m network``).

Reachable: every dependency comes from PyPI (no git or URL source, no private index, no path
outside the project). Those are migrated with locking, as a user would (the lock against PyPI, the
old lock's pins kept where they resolve), and each must lock. The README's corpus table was measured
with ``migrate batch`` over the same corpus (see "Locking real projects").
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

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
    return foreign_source(project, root, top)


def foreign_source(project, root: Path, top: Path | None = None, placeholders: list[Path] | None = None,
                   stand_ins: bool = False) -> str | None:
    """Why some dependency of ``project`` comes from outside the copied folder ``top`` (a git
    repository, a URL, a path outside it or missing from the metadata-only corpus); None: none does.
    With ``placeholders``, files a path dependency's build reads that the corpus did not copy (its
    README) are added to that list instead (the caller writes them into its copy). With ``stand_ins``,
    git and URL dependencies are no reason (the caller stands local repositories and a local server
    in for them: gitrepos.py, urlproxy.py)."""
    import re

    raw = project.metadata_file.read_text(encoding="utf-8", errors="replace")
    if not stand_ins and re.search(r"git\+|@\s*https?://|\bgit\s*=|\{[^}\n]*\b(url|file)\s*=\s*[\"']https?://", raw):
        return "a git/URL dependency"
    for dep in project.all_dependencies():
        src = dep.source
        if not stand_ins and (dep.direct_url or (src and (src.git or src.url))):
            return f"{dep.name} is a git/URL dependency"
        if src and src.path:
            target = (root / src.path).resolve()
            if not target.is_relative_to((top or root).resolve()):
                return f"{dep.name} is a path dependency outside the repository"
            missing = _missing_files(target)
            if missing and placeholders is not None and target.is_dir() and Path(missing).name != "pyproject.toml":
                placeholders.append(Path(missing))
            elif missing:
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


# -- offline: every project locks against a wheel folder made from its own old lock ------------------------
def _shared(tmp_path_factory, name: str) -> Path:
    """A folder the xdist workers of one run share (each worker has its own base temp folder)."""
    base = tmp_path_factory.getbasetemp()
    return (base.parent if base.name.startswith("popen-gw") else base) / name


@pytest.fixture(scope="session")
def wheel_cache(tmp_path_factory):
    return _shared(tmp_path_factory, "corpus-wheel-cache")


@pytest.fixture(scope="session")
def backend_wheels(tmp_path_factory):
    """Real build backends (setuptools, hatchling, poetry-core, uv-build), packed from this venv: uv
    builds a project whose metadata is dynamic, and path dependencies, to lock them."""
    from backends import backend_wheelhouse

    return backend_wheelhouse(tmp_path_factory.getbasetemp() / "corpus-backends")


@pytest.fixture(scope="session")
def offline_env(tmp_path_factory):
    """uv's cache (empty of PyPI: offline means the wheel folder) and a bytecode cache for the ~70
    ``migrate`` processes (with PYTHONDONTWRITEBYTECODE each one compiles every module again: ~2 s)."""
    return {"UV_CACHE_DIR": str(tmp_path_factory.getbasetemp() / "corpus-uv-cache"), "PYTHONDONTWRITEBYTECODE": "",
            "PYTHONPYCACHEPREFIX": str(_shared(tmp_path_factory, "corpus-pycache"))}


def _project_requirements(project, seen: set[Path] | None = None) -> list[str]:
    """The requirements an index serves (not git/path/URL ones) of the project and of the path
    dependencies it builds (recursively: uv reads their requirements too)."""
    seen = set() if seen is None else seen
    seen.add(project.root.resolve())
    out = []
    for dep in project.all_dependencies():
        src = dep.source
        if src and src.path and not (project.root / src.path).resolve() in seen:
            try:
                sub = read_project((project.root / src.path).resolve(), RunOptions())
            except Exception:
                continue  # not a Poetry/Pipenv project: built from what it says itself
            out += _project_requirements(sub, seen)
        if dep.direct_url or (src and (src.git or src.url or src.path or src.workspace)):
            continue
        out.append(dep.requirement())
    # a Poetry 2 project keeps its own [project] tables (the model only carries what it moves)
    import tomllib

    if project.metadata_file.name == "pyproject.toml":
        data = tomllib.loads(project.metadata_file.read_text(encoding="utf-8"))
        table = data.get("project", {})
        out += table.get("dependencies", [])
        for reqs in [*table.get("optional-dependencies", {}).values(), *data.get("dependency-groups", {}).values()]:
            out += [r for r in reqs if isinstance(r, str)]
    return out


def _unbuildable(project, available: set[str]) -> str | None:
    """Why uv cannot build the project offline to read its metadata: its version is computed at build
    time (``dynamic``) by a build requirement that is not among the ``available`` wheels."""
    import tomllib

    if project.metadata_file.name != "pyproject.toml" or not project.package:
        return None  # not packaged: uv never builds it
    data = tomllib.loads(project.metadata_file.read_text(encoding="utf-8"))
    dynamic = set(data.get("project", {}).get("dynamic", [])) | set(project.dynamic)
    if "version" not in dynamic:
        return None
    from migrate.diagnostics import requirement_name

    missing = [r for r in data.get("build-system", {}).get("requires", [])
               if canonicalize_name(requirement_name(r)) not in available]
    if missing:
        return f"its version is computed at build time and the build needs {', '.join(missing)}"
    return None


@pytest.mark.skipif(not PROJECTS, reason="../shared/corpus is not present")
@pytest.mark.parametrize("top, src", PROJECTS, ids=[p.relative_to(CORPUS).as_posix() for _, p in PROJECTS])
def test_every_corpus_project_locks_offline(tmp_path, top, src, wheel_cache, backend_wheels, offline_env):
    from corpus_wheels import build_folder, complete, locked_dists, simple_index
    from gitrepos import _pyproject, git_dependencies, git_env, make_repositories, unreproducible
    from urlproxy import ArchiveProxy, stand_in_archive, unservable, url_dependencies

    try:
        project = read_project(src, RunOptions())
    except Exception as exc:  # bad input is another test's business
        pytest.skip(f"does not read: {exc}")
    backends = {canonicalize_name(w.name.split("-")[0]) for w in backend_wheels.iterdir()}
    placeholders: list[Path] = []
    why = foreign_source(project, src, top, placeholders, stand_ins=True) or _unbuildable(project, backends)
    gits, urls = git_dependencies(project), url_dependencies(project)
    why = why or unreproducible(gits) or unservable(urls)
    if why:
        pytest.skip(f"not reproducible offline: {why}")
    env = dict(offline_env)
    if gits:  # local repositories stand in for the remote ones (see gitrepos.py: what is real, what is not)
        env.update(git_env(make_repositories(gits, tmp_path / "git")))
    dists = complete(locked_dists(src) or [], _project_requirements(project)
                     + [r for g in gits + urls for r in g.requires])
    wheels = build_folder(tmp_path / "wheels", dists, wheel_cache)
    locked = {canonicalize_name(d.name) for d in dists}
    for wheel in backend_wheels.iterdir():  # unless the lock has its own versions of them
        if canonicalize_name(wheel.name.split("-")[0]) not in locked:
            os.link(wheel, wheels / wheel.name)
    shutil.copytree(top, tmp_path / top.name)
    root = tmp_path / top.name / src.relative_to(top)
    for missing in placeholders:  # in the real repository; the metadata-only corpus did not copy it
        (tmp_path / top.name / missing.relative_to(top)).write_text("placeholder\n")
    if project.indexes:  # the project's own indexes serve the same wheels
        url = simple_index(tmp_path / "simple", wheels)
        meta = root / project.metadata_file.name
        text = meta.read_text(encoding="utf-8")
        for index in project.indexes:
            text = text.replace(f'"{index.url}"', f'"{url}"').replace(f"'{index.url}'", f"'{url}'")
        meta.write_text(text, encoding="utf-8")
    args = ["--offline"]
    with contextlib.ExitStack() as stack:
        if urls:  # uv --offline fetches no URL: every request goes to a local proxy that serves the archives
            routes = {}
            for u in urls:
                text, module = _pyproject(u)
                routes[u.url.split("#")[0]] = stand_in_archive(tmp_path / "archives" / u.name, u.url, text, module)
            proxy = stack.enter_context(ArchiveProxy(routes, tmp_path / "cert"))
            env.update(proxy.env())
            args = ["--index-url", proxy.index_url]
        proc = run_migrate("run", str(root), *args, "--find-links", str(wheels), "--no-codemods",
                           "--allow-dirty", "--format", "json", env=env)
    try:
        report = json.loads(proc.stdout)
    except ValueError:
        raise AssertionError(proc.stdout[-3000:] + proc.stderr[-3000:]) from None
    failure = report.get("lock", {}).get("failure")
    assert proc.returncode == 0 and failure is None, json.dumps(failure or report.get("error"), indent=1)
    assert (root / "uv.lock").is_file()
    # the lock stage's fast reading of uv.lock is tomllib's on every lock uv writes here
    from migrate.lock.freethreading import scan_uv_lock

    lock_text = (root / "uv.lock").read_text(encoding="utf-8")
    assert scan_uv_lock(lock_text) == __import__("tomllib").loads(lock_text)
    if gits:  # each git dependency locked from its (stand-in) repository, at the ref the project names
        import tomllib

        packages = tomllib.loads((root / "uv.lock").read_text(encoding="utf-8"))["package"]
        for g in gits:
            entry = [p for p in packages if canonicalize_name(p["name"]) == canonicalize_name(g.name)]
            assert entry, f"{g.name} is not in uv.lock"
            assert any("git" in p["source"] and p["version"] == g.version for p in entry), (g, entry)
            if g.kind:
                assert any(f"{g.kind}={g.ref}" in p["source"]["git"] for p in entry), (g, entry)
    if urls:  # each URL dependency locked from its (stand-in) archive
        import tomllib

        packages = tomllib.loads((root / "uv.lock").read_text(encoding="utf-8"))["package"]
        for u in urls:
            assert any(canonicalize_name(p["name"]) == canonicalize_name(u.name) and p["version"] == u.version
                       and p["source"].get("url") == u.url for p in packages), (u, packages)
        assert sorted(set(proxy.served)) == sorted(routes)
    # every old pin is kept, unless MIG201 says why (the generic "not available" cannot be the reason:
    # every pinned version is in the folder)
    for changed in report["lock"].get("changed_pins", []):
        assert "not available" not in changed["why"], changed
    codes = {w["code"] for w in report.get("warnings", [])}
    assert not report["lock"].get("changed_pins") or "MIG201" in codes
