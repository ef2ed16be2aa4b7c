"""What the repo-files stage needs to know about the project: tool, groups, index names, plugins.

Built from the :class:`~migrate.model.Project` when ``migrate run`` has one, otherwise read straight
from ``pyproject.toml`` / ``Pipfile`` — so ``migrate ci`` works on a repository whose metadata was
already migrated, and on one never migrated (then the files themselves say Poetry or Pipenv).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class RepoInfo:
    root: Path
    #: "poetry" | "pipenv" | None (unknown: each file says which tool it uses)
    tool: str | None = None
    groups: set[str] = field(default_factory=set)
    #: groups uv installs by default (uv: ["dev"] unless tool.uv.default-groups says otherwise)
    default_groups: list[str] = field(default_factory=lambda: ["dev"])
    #: Poetry source / Pipenv source name (as used in env vars, upper-cased) -> uv index name
    indexes: dict[str, str] = field(default_factory=dict)
    #: poetry-exec-plugin commands: name -> shell command
    exec_commands: dict[str, str] = field(default_factory=dict)
    #: Pipenv [scripts]: name -> command
    pipenv_scripts: dict[str, str] = field(default_factory=dict)
    #: the project is not a package (uv ``package = false``)
    package: bool = True
    #: the repository has a .env file (Pipenv loads it automatically)
    has_dotenv: bool = False

    def env_name(self, source: str) -> str:
        """The UV_INDEX_<NAME>_ part for a Poetry/Pipenv source name (uv's rule: upper-case, non-alphanumerics → _)."""
        name = self.indexes.get(_env_key(source), source)
        return _env_key(name)


def _env_key(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", name).upper()


def _load_toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}


def repo_info(root: Path, project=None) -> RepoInfo:
    root = Path(root)
    info = RepoInfo(root=root)
    info.has_dotenv = (root / ".env").is_file()
    py = _load_toml(root / "pyproject.toml")
    tool = py.get("tool", {}) if isinstance(py.get("tool"), dict) else {}
    poetry = tool.get("poetry") if isinstance(tool.get("poetry"), dict) else {}
    uv = tool.get("uv") if isinstance(tool.get("uv"), dict) else {}
    pipfile = _load_toml(root / "Pipfile")
    if poetry or (root / "poetry.lock").exists():
        info.tool = "poetry"
    elif pipfile or (root / "Pipfile.lock").exists():
        info.tool = "pipenv"

    # groups: the migrated form first, then the Poetry/Pipenv form
    dg = py.get("dependency-groups")
    if isinstance(dg, dict):
        info.groups.update(dg)
    if isinstance(poetry.get("group"), dict):
        info.groups.update(poetry["group"])
        info.default_groups = [
            g for g, spec in poetry["group"].items() if not (isinstance(spec, dict) and spec.get("optional"))
        ]
    if "dev-dependencies" in poetry or "dev-packages" in pipfile:
        info.groups.add("dev")
        if "dev" not in info.default_groups:
            info.default_groups.append("dev")
    if isinstance(uv.get("default-groups"), list):
        info.default_groups = [str(g) for g in uv["default-groups"]]
    if uv.get("package") is False or poetry.get("package-mode") is False:
        info.package = False

    # index names: the uv name the metadata stage wrote, keyed by the env-var form of the old name
    for src in poetry.get("source", []) if isinstance(poetry.get("source"), list) else []:
        if isinstance(src, dict) and isinstance(src.get("name"), str):
            info.indexes[_env_key(src["name"])] = src["name"]
    for idx in uv.get("index", []) if isinstance(uv.get("index"), list) else []:
        if isinstance(idx, dict) and isinstance(idx.get("name"), str):
            info.indexes[_env_key(idx["name"])] = idx["name"]
    for src in pipfile.get("source", []) if isinstance(pipfile.get("source"), list) else []:
        if isinstance(src, dict) and isinstance(src.get("name"), str):
            info.indexes.setdefault(_env_key(src["name"]), src["name"])

    execp = tool.get("poetry-exec-plugin", {})
    if isinstance(execp, dict) and isinstance(execp.get("commands"), dict):
        info.exec_commands = {str(k): str(v) for k, v in execp["commands"].items()}
    if isinstance(pipfile.get("scripts"), dict):
        info.pipenv_scripts = {str(k): str(v) for k, v in pipfile["scripts"].items()}

    if project is not None:  # the model is the truth when the metadata stage ran
        info.tool = info.tool or getattr(project, "source_format", None)
        info.groups.update(project.groups)
        if project.default_groups is not None:
            info.default_groups = list(project.default_groups)
        for idx in project.indexes:
            info.indexes.setdefault(_env_key(idx.name), idx.name)
        info.package = project.package
    return info
