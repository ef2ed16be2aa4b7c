"""Local git repositories that stand in for a project's git dependencies, so that a converted project
with ``[tool.uv.sources] x = { git = "https://github.com/...", tag = ... }`` locks offline.

What is real: the converted project's files (nothing in them is rewritten), uv's own git fetch (the git
CLI, with uv's ``--offline`` allowing only ``file://``), the refs the project names (each branch, tag
or rev exists in the stand-in repository under that name, the package sits in its ``subdirectory``),
and the locked package's name, version and requirements (from the old lock; a Pipfile.lock has no
dependency graph, so a Pipenv git package requires nothing).

What is substituted: the repository itself. A ``GIT_CONFIG_GLOBAL`` file passed through the environment
says ``url.<file:// stand-in>.insteadOf <remote URL>``, so git fetches the local repository when uv asks
for the remote one; its commits are new (a commit sha from the old lock cannot be recreated), and the
package's content is a minimal static ``pyproject.toml`` (hatchling) with an empty module. A project that
pins a full commit sha (``rev = "<40 hex>"``) cannot be reproduced: :func:`unreproducible` says so.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name


@dataclass
class GitDep:
    name: str
    url: str  # as the converted project names it (what uv asks git for)
    kind: str | None = None  # "branch", "tag", "rev" (None: the default branch)
    ref: str | None = None
    subdirectory: str | None = None
    version: str = "1.0"
    requires: list[str] = field(default_factory=list)
    extras: list[str] = field(default_factory=list)
    requires_python: str | None = None
    where: str = ""  # the project's key, for messages


_FULL_SHA = re.compile(r"[0-9a-fA-F]{40}")


def locked_source_packages(root: Path, kind: str = "git") -> dict[str, dict]:
    """canonical name -> what the old lock knows of its packages from a ``kind`` source (``git``, or
    ``url`` for an archive URL): version, requirements, extras, Requires-Python."""
    out: dict[str, dict] = {}
    if (root / "poetry.lock").is_file():
        import tomllib

        from migrate.readers.poetry import locked_metadata

        for pkg in tomllib.loads((root / "poetry.lock").read_text(encoding="utf-8")).get("package", []):
            if (pkg.get("source") or {}).get("type") != kind:
                continue
            requires, extras, rp = locked_metadata(pkg)
            out[canonicalize_name(pkg["name"])] = {"version": pkg["version"], "requires": requires,
                                                  "extras": extras, "requires_python": rp}
    elif (root / "Pipfile.lock").is_file():
        data = json.loads((root / "Pipfile.lock").read_text(encoding="utf-8"))
        for section in ("default", "develop"):
            for name, entry in (data.get(section) or {}).items():
                if isinstance(entry, dict) and ("git" if kind == "git" else "file") in entry:
                    version = str(entry.get("version", "")).lstrip("=") or "1.0"
                    out.setdefault(canonicalize_name(name), {"version": version, "requires": [], "extras": [],
                                                             "requires_python": None})
    return out


def _pep508_git(text: str) -> tuple[str, str, str | None, str | None] | None:
    """(name, url, rev, subdirectory) of ``name @ git+URL[@rev][#subdirectory=...]`` (None: not git)."""
    try:
        req = Requirement(text)
    except InvalidRequirement:
        return None
    if not req.url or not req.url.startswith("git+"):
        return None
    url, _, fragment = req.url[4:].partition("#")
    sub = dict(p.split("=", 1) for p in fragment.split("&") if "=" in p).get("subdirectory")
    scheme, sep, rest = url.partition("://")
    rev = None
    if "@" in rest.split("/", 1)[-1]:
        rest, _, rev = rest.rpartition("@")
    return req.name, scheme + sep + rest, rev, sub


def git_dependencies(project) -> list[GitDep]:
    """The git dependencies the converted project will name: the model's (Poetry/Pipenv tables) and a
    Poetry 2 project's own PEP 508 ``name @ git+...`` strings (kept as they are)."""
    locked = locked_source_packages(project.root)
    found: list[GitDep] = []
    for dep in project.all_dependencies():
        src = dep.source
        if src and src.git:
            kind = next((k for k in ("branch", "tag", "rev") if getattr(src, k)), None)
            found.append(GitDep(dep.name, src.git, kind, getattr(src, kind) if kind else None, src.subdirectory,
                                where=dep.name))
    if project.metadata_file.name == "pyproject.toml":
        for text in requirement_texts(project):
            parsed = _pep508_git(text)
            if parsed and not any(canonicalize_name(d.name) == canonicalize_name(parsed[0]) for d in found):
                name, url, rev, sub = parsed
                found.append(GitDep(name, url, "rev" if rev else None, rev, sub, where=name))
    return with_locked(found, locked)


def with_locked(found: list, locked: dict) -> list:
    """``found`` (GitDep-like) with what the old lock says of each (version, requires, extras, Python)."""
    for dep in found:
        info = locked.get(canonicalize_name(dep.name))
        if info:
            dep.version, dep.requires = info["version"], list(info["requires"])
            dep.extras, dep.requires_python = list(info["extras"]), info["requires_python"]
    return found


def unreproducible(deps: list[GitDep]) -> str | None:
    """Why a local repository cannot stand in for one of ``deps`` (None: it can for all)."""
    for dep in deps:
        if dep.ref and _FULL_SHA.fullmatch(dep.ref):
            return (f"{dep.where} pins git commit {dep.ref[:12]}… of {dep.url}: a local repository cannot hold "
                    "a commit with that sha")
    return None


def _pyproject(dep: GitDep) -> tuple[str, str]:
    """A static PEP 621 pyproject.toml for the stand-in package (uv reads it without building), and
    its module's name."""
    deps, optional = [], {}
    for req in dep.requires:
        m = re.match(r"^(?P<base>[^;]+);\s*(?:\((?P<marker>.+)\) and )?extra == \"(?P<extra>[^\"]+)\"$", req)
        if m:
            line = m.group("base").strip() + (f"; {m.group('marker')}" if m.group("marker") else "")
            optional.setdefault(m.group("extra"), []).append(line)
        else:
            deps.append(req)
    for extra in dep.extras:
        optional.setdefault(extra, [])
    module = re.sub(r"[-_.]+", "_", dep.name).lower()
    lines = ["[project]", f"name = {json.dumps(dep.name)}", f"version = {json.dumps(dep.version)}",
             f"dependencies = {json.dumps(deps)}"]
    if dep.requires_python:
        lines.append(f"requires-python = {json.dumps(dep.requires_python)}")
    if optional:
        lines.append("[project.optional-dependencies]")
        lines += [f"{json.dumps(k)} = {json.dumps(v)}" for k, v in optional.items()]
    lines += ["[build-system]", 'requires = ["hatchling"]', 'build-backend = "hatchling.build"',
              "[tool.hatch.build.targets.wheel]", f'packages = ["{module}"]']
    return "\n".join(lines) + "\n", module


def _git(repo: Path, *args: str) -> str:
    env = {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(repo),
           "GIT_AUTHOR_NAME": "stand-in", "GIT_AUTHOR_EMAIL": "stand-in@example.invalid",
           "GIT_COMMITTER_NAME": "stand-in", "GIT_COMMITTER_EMAIL": "stand-in@example.invalid",
           "PATH": "/usr/bin:/bin:/usr/local/bin"}
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout


def _variants(url: str) -> set[str]:
    """The spellings of ``url`` uv may hand to git (with or without a trailing ``/`` and ``.git``)."""
    base = url.rstrip("/")
    bare = base[:-4] if base.endswith(".git") else base
    return {url, base, base + "/", bare, bare + ".git", bare + ".git/"}


def make_repositories(deps: list[GitDep], folder: Path) -> Path:
    """One local repository per git URL of ``deps`` (each ref a commit holding its packages); returns
    the git config file to pass as ``GIT_CONFIG_GLOBAL``."""
    by_url: dict[str, list[GitDep]] = {}
    for dep in deps:
        key = dep.url.rstrip("/")
        key = key[:-4] if key.endswith(".git") else key
        by_url.setdefault(key, []).append(dep)
    config = []
    for key, group in by_url.items():
        repo = folder / hashlib.sha256(key.encode()).hexdigest()[:16]
        repo.mkdir(parents=True)
        _git(repo, "init", "-q", "-b", "stand-in-init")
        refs: dict[tuple[str | None, str | None], list[GitDep]] = {}
        for dep in group:
            refs.setdefault((dep.kind, dep.ref), []).append(dep)
        default_branch = None
        for n, ((kind, ref), members) in enumerate(refs.items()):
            _git(repo, "checkout", "-q", "--orphan", f"stand-in-{n}")
            _git(repo, "rm", "-rqf", "--ignore-unmatch", ".")
            for dep in members:
                where = repo / (dep.subdirectory or "")
                text, module = _pyproject(dep)
                (where / module).mkdir(parents=True, exist_ok=True)
                (where / module / "__init__.py").write_text(f'__version__ = "{dep.version}"\n')
                (where / "pyproject.toml").write_text(text)
            _git(repo, "add", "-A")
            _git(repo, "commit", "-q", "-m", f"stand-in for {', '.join(d.name for d in members)} {kind}={ref}")
            if kind == "tag":
                _git(repo, "tag", ref)
            elif kind in ("branch", "rev"):  # uv tries a rev as a branch, then as a tag
                _git(repo, "branch", ref)
            else:
                default_branch = f"stand-in-{n}"
        if default_branch:  # what a clone without a ref checks out
            _git(repo, "symbolic-ref", "HEAD", f"refs/heads/{default_branch}")
        for variant in sorted(_variants(group[0].url)):
            config.append(f'[url "{repo.resolve().as_uri()}"]\n\tinsteadOf = {variant}\n')
    gitconfig = folder / "gitconfig"
    gitconfig.write_text("".join(config))
    return gitconfig


def git_env(gitconfig: Path) -> dict[str, str]:
    """The environment that points git (run by uv) at the stand-in repositories, and keeps uv from asking
    GitHub's API for a commit first (offline, that answer would only be "not cached")."""
    return {"GIT_CONFIG_GLOBAL": str(gitconfig), "GIT_CONFIG_NOSYSTEM": "1", "UV_NO_GITHUB_FAST_PATH": "1"}


def requirement_texts(project) -> list[str]:
    """The PEP 508 strings of a pyproject's [project] dependencies, extras and dependency groups."""
    import tomllib

    data = tomllib.loads(project.metadata_file.read_text(encoding="utf-8"))
    table = data.get("project", {})
    texts = list(table.get("dependencies", []))
    for reqs in [*table.get("optional-dependencies", {}).values(), *data.get("dependency-groups", {}).values()]:
        texts += [r for r in reqs if isinstance(r, str)]
    return texts
