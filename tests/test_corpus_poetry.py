"""Every Poetry project of ../shared/corpus converts: no crash, valid pyproject, no dependency lost."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from validate_pyproject.api import Validator

from conftest import CORPUS

from migrate.pipeline import RunOptions, run

VALIDATE = Validator()


def _poetry_projects() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    out = []
    for pyproject in sorted(CORPUS.glob("poetry/**/pyproject.toml")) + sorted(CORPUS.glob("monorepo/**/pyproject.toml")):
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        if isinstance(data.get("tool", {}).get("poetry"), dict):
            out.append(pyproject.parent)
    return out


PROJECTS = _poetry_projects()


def _original_names(data: dict) -> set[str]:
    poetry = data["tool"]["poetry"]
    names: set[str] = set()
    tables = [poetry.get("dependencies", {}), poetry.get("dev-dependencies", {})]
    tables += [g.get("dependencies", {}) for g in poetry.get("group", {}).values()]
    for table in tables:
        names |= {canonicalize_name(n) for n in table if n != "python"}
    for req in data.get("project", {}).get("dependencies", []):
        names.add(canonicalize_name(Requirement(req).name))
    return names


def _result_names(data: dict) -> set[str]:
    reqs = list(data.get("project", {}).get("dependencies", []))
    for extra in data.get("project", {}).get("optional-dependencies", {}).values():
        reqs += extra
    for group in data.get("dependency-groups", {}).values():
        reqs += [r for r in group if isinstance(r, str)]
    return {canonicalize_name(Requirement(r).name) for r in reqs}


@pytest.mark.skipif(not PROJECTS, reason="../shared/corpus is not present")
@pytest.mark.parametrize("src", PROJECTS, ids=[str(p.relative_to(CORPUS)) for p in PROJECTS])
def test_corpus_project_converts(tmp_path, src):
    # copy the whole repository folder so path dependencies (../x) still resolve
    top = CORPUS / src.relative_to(CORPUS).parts[0] / src.relative_to(CORPUS).parts[1]
    dst_top = tmp_path / top.name
    shutil.copytree(top, dst_top)
    dst = dst_top / src.relative_to(top)
    original = tomllib.loads((src / "pyproject.toml").read_text(encoding="utf-8"))

    result = run(dst, RunOptions(lock=False, codemods=False, allow_dirty=True))
    assert result.exit_code == 0, result.error
    converted = tomllib.loads((dst / "pyproject.toml").read_text(encoding="utf-8"))
    # always valid output: keys that were already invalid in an existing [project] are repaired (MIG011)
    VALIDATE(converted)
    lost = _original_names(original) - _result_names(converted)
    # a dependency may only be missing when a warning says why (e.g. optional and in no extra)
    warned = {w.key.rsplit(".", 1)[-1] for w in result.warnings if w.key}
    assert {n for n in lost if n not in {canonicalize_name(w) for w in warned}} == set()
    # whatever stays under [tool.poetry] is reported, never silently left behind
    left = converted.get("tool", {}).get("poetry", {})
    reported = {w.key for w in result.warnings if w.key}
    for key in left:
        assert any(r == f"tool.poetry.{key}" or r.startswith(f"tool.poetry.{key}.") for r in reported), key
