"""Find the repository's CI/Docker/Make/… files, rewrite each with its kind's module, validate, stage."""

from __future__ import annotations

import fnmatch
import os
import re
from pathlib import Path

from migrate.diagnostics import Diagnostic
from migrate.repofiles.info import RepoInfo, repo_info

SKIP_DIRS = {".git", ".hg", ".venv", "venv", "node_modules", "__pycache__", ".tox", ".nox", ".mypy_cache",
             ".pytest_cache", ".ruff_cache", "site-packages", "build", "dist", ".eggs"}
HISTORY = re.compile(r"^(CHANGELOG|CHANGES|HISTORY|NEWS|RELEASE[-_ ]?NOTES|RELEASES)", re.I)


def kind_of(rel: str, path: Path) -> str | None:
    """The file kind for a path relative to the repository root (None: not ours)."""
    parts = rel.split("/")
    name = parts[-1]
    low = name.lower()
    if len(parts) >= 3 and parts[0] == ".github" and parts[1] == "workflows" and low.endswith((".yml", ".yaml")):
        return "github-workflow"
    if parts[0] == ".github" and low in ("action.yml", "action.yaml"):
        return "github-action"
    if rel in (".github/dependabot.yml", ".github/dependabot.yaml"):
        return "dependabot"
    if low in (".gitlab-ci.yml", ".gitlab-ci.yaml") or low.endswith((".gitlab-ci.yml", ".gitlab-ci.yaml")) or (
        parts[0] == ".gitlab" and "ci" in parts[:-1] and low.endswith((".yml", ".yaml"))
    ):
        return "gitlab-ci"
    if rel == ".travis.yml":
        return "travis"
    if rel in (".circleci/config.yml", ".circleci/config.yaml"):
        return "circleci"
    if low in ("azure-pipelines.yml", "azure-pipelines.yaml") and len(parts) <= 2:
        return "azure"
    if rel in ("bitbucket-pipelines.yml", "bitbucket-pipelines.yaml"):
        return "bitbucket"
    if low in ("renovate.json", "renovate.json5", ".renovaterc", ".renovaterc.json", ".renovaterc.json5"):
        return "renovate"
    if low in (".readthedocs.yml", ".readthedocs.yaml"):
        return "readthedocs"
    if low in (".pre-commit-config.yaml", ".pre-commit-config.yml"):
        return "pre-commit"
    if low == "tox.ini":
        return "tox"
    if rel == "pyproject.toml":
        return "pyproject-tox"
    if low == "noxfile.py":
        return "noxfile"
    if low.startswith(("dockerfile", "containerfile")) or low.endswith((".dockerfile", ".containerfile")):
        return "dockerfile"
    if low in ("makefile", "gnumakefile") or low.endswith(".mk"):
        return "makefile"
    if low.endswith((".sh", ".bash")):
        return "shell"
    if low.endswith((".md", ".rst", ".markdown")) and not HISTORY.match(name):
        if len(parts) == 1 and re.match(r"(README|CONTRIBUTING|DEVELOP|HACKING|INSTALL)", name, re.I):
            return "docs"
        if parts[0] in ("docs", "doc") or (len(parts) == 2 and parts[0] == ".github"):
            return "docs"
        return None
    if "." not in name and not low.startswith("."):
        try:
            with open(path, "rb") as fh:
                head = fh.read(64)
        except OSError:
            return None
        if re.match(rb"#!\s*\S*/(env\s+)?(ba|da|z)?sh\b", head):
            return "shell"
    return None


def discover(root: Path) -> list[tuple[str, str]]:
    """(relative path, kind) for every file of a known kind under ``root``, sorted."""
    root = Path(root)
    out: list[tuple[str, str]] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.endswith(".egg-info"))
        for f in sorted(filenames):
            p = Path(dirpath) / f
            if p.is_symlink():
                continue
            rel = p.relative_to(root).as_posix()
            kind = kind_of(rel, p)
            if kind:
                out.append((rel, kind))
    return out


#: file kind -> (module of migrate.repofiles, its rewrite function), imported when a file of that kind is met
_REWRITERS = {
    "github-workflow": ("github_actions", "rewrite"), "github-action": ("github_actions", "rewrite"),
    "gitlab-ci": ("gitlab", "rewrite"), "readthedocs": ("readthedocs", "rewrite"),
    "pre-commit": ("precommit", "rewrite"), "dependabot": ("dependabot", "rewrite"),
    "renovate": ("renovate", "rewrite"), "dockerfile": ("dockerfile", "rewrite"),
    "makefile": ("makefile", "rewrite"), "shell": ("shell", "rewrite"), "tox": ("tox", "rewrite"),
    "pyproject-tox": ("tox", "rewrite_pyproject"), "noxfile": ("nox", "rewrite"),
}


def rewrite_file(kind: str, text: str, info: RepoInfo, *, rel: str = "", add_ft_ci: bool = False):
    """(new text, notes) for one file; raises ValueError if the file cannot be parsed as its kind."""
    import importlib

    if kind in ("travis", "circleci", "azure", "bitbucket"):
        from migrate.repofiles import gitlab

        return gitlab.rewrite(text, info, keys=gitlab.OTHER_CI_KEYS[kind])
    if kind == "docs":
        from migrate.repofiles import docs

        return docs.rewrite(text, info, rst=rel.lower().endswith(".rst"))
    if kind not in _REWRITERS:
        return text, []
    module, function = _REWRITERS[kind]
    return getattr(importlib.import_module(f"migrate.repofiles.{module}"), function)(text, info)


def validate(kind: str, old: str, new: str) -> str | None:
    """None if ``new`` still parses as its kind (when ``old`` did); else why not."""
    if kind in ("github-workflow", "github-action", "gitlab-ci", "readthedocs", "pre-commit", "dependabot",
                "travis", "circleci", "azure", "bitbucket"):
        from migrate.repofiles.yamltext import parses

        if parses(old) and not parses(new):
            return "the rewritten YAML does not parse"
    elif kind == "pyproject-tox":
        import tomllib

        try:
            tomllib.loads(new)
        except tomllib.TOMLDecodeError as exc:
            return f"the rewritten TOML does not parse: {exc}"
    elif kind == "tox":
        import configparser

        cp = configparser.ConfigParser(interpolation=None, strict=False)
        try:
            cp.read_string(new)
        except configparser.Error as exc:
            return f"the rewritten INI does not parse: {exc}"
    elif kind == "shell":
        from migrate.repofiles.shell import bash_n

        if bash_n(old) is None and (err := bash_n(new)) is not None:
            return f"bash -n fails on the rewritten script: {err}"
    elif kind == "makefile":
        old_tabs = sum(1 for l in old.splitlines() if l.startswith("\t"))
        new_tabs = sum(1 for l in new.splitlines() if l.startswith("\t"))
        if new_tabs > old_tabs:
            return "a recipe line changed its tab"
    return None


def plan_files(root: Path, info: RepoInfo, changes, *, add_ft_ci: bool = False, target: str = "3.13t") -> list[Diagnostic]:
    """Rewrite every discovered file into ``changes``; return the diagnostics (code, file, line)."""
    diags: list[Diagnostic] = []
    ft_added = False
    for rel, kind in discover(root):
        data = changes.current(rel)
        if data is None:
            continue
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        try:
            new, notes = rewrite_file(kind, text, info, rel=rel, add_ft_ci=add_ft_ci)
        except Exception as exc:  # a file we cannot parse as its kind: leave it, say so
            if re.search(r"\b(poetry|pipenv)\b", text):
                diags.append(Diagnostic("MIG325", f"not rewritten: cannot parse it as {kind} ({type(exc).__name__}: {exc})", rel, None))
            continue
        if new != text:
            problem = validate(kind, text, new)
            if problem:
                diags.append(Diagnostic("MIG325", f"not rewritten: {problem}", rel, None))
                continue
            changes.write(rel, new.encode("utf-8"))
        for n in sorted(notes, key=lambda n: n.offset):
            line = text.count("\n", 0, n.offset) + 1
            diags.append(Diagnostic(n.code, n.message, rel, f"line {line}"))
    if add_ft_ci:
        ft_added = _add_ft_ci(root, changes, target, diags)
    if add_ft_ci and not ft_added:
        diags.append(Diagnostic("MIG326", "--add-ft-ci: no GitHub Actions job with a recognisable test command "
                                "(uv run pytest/tox/nox, make test); nothing added", None, None))
    return diags


def _add_ft_ci(root: Path, changes, target: str, diags: list[Diagnostic]) -> bool:
    """Add one free-threaded job, to the workflow whose tests are recognised best (test*.yml first)."""
    from migrate.repofiles.ftci import add_ft_job
    from migrate.repofiles.yamltext import parses

    best = None
    for rel, kind in discover(root):
        if kind != "github-workflow":
            continue
        data = changes.current(rel)
        try:
            text = data.decode("utf-8")
            new, notes, score = add_ft_job(text, target)
        except Exception:
            continue
        if score and parses(new):
            score = score * 2 + ("test" in rel.rsplit("/", 1)[-1].lower())
            if best is None or score > best[0]:
                best = (score, rel, new, notes)
    if best is None:
        return False
    _s, rel, new, notes = best
    changes.write(rel, new.encode("utf-8"))
    for n in notes:
        diags.append(Diagnostic(n.code, n.message, rel, None))
    return True


def repo_files_stage(ctx) -> None:
    """The stage of ``migrate run`` (after codemods): uses the model's groups and index names."""
    info = repo_info(ctx.root, ctx.project)
    ctx.result.warnings.extend(plan_files(ctx.root, info, ctx.changes, add_ft_ci=ctx.options.add_ft_ci,
                                          target=ctx.options.target))


def versioning_stage(ctx) -> None:
    """Right after the writer (before the lock, which must see the dynamic version): item 6."""
    from migrate.repofiles.versioning import convert_versioning

    if ctx.options.build_backend == "keep":
        return
    diags = convert_versioning(ctx.root, ctx.changes)
    if any(d.code == "MIG330" for d in diags):
        # the writer's "no uv equivalent, static version written" no longer holds
        ctx.project.warnings[:] = [w for w in ctx.project.warnings
                                   if not (w.code == "MIG007" and "dynamic-versioning" in (w.key or "") + w.message)]
    ctx.result.warnings.extend(diags)


def plan_ci(path: Path, *, add_ft_ci: bool = False):
    """``migrate ci``: only this stage, on a migrated or never-migrated repository."""
    from migrate.apply.changeset import ChangeSet
    from migrate.pipeline import RunResult

    path = Path(path)
    result = RunResult(path=path)
    info = repo_info(path)
    result.source_format = info.tool
    changes = ChangeSet(path)
    result.warnings.extend(plan_files(path, info, changes, add_ft_ci=add_ft_ci))
    result.changes = changes
    result.status = "would-change" if changes else "unchanged"
    return result
