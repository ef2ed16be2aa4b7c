"""Poetry's default package discovery (poetry-core's own Module) made explicit for hatchling / uv_build."""

from __future__ import annotations

import textwrap
import tomllib
from pathlib import Path

import pytest

from migrate.pipeline import RunOptions, run
from migrate.readers.poetry import read_poetry

POETRY = """
    [tool.poetry]
    name = "{name}"
    version = "1.0"
    description = ""
    authors = []

    [tool.poetry.dependencies]
    python = "^3.9"

    [build-system]
    requires = ["poetry-core"]
    build-backend = "poetry.core.masonry.api"
"""


def project(root: Path, name: str, files: list[str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(textwrap.dedent(POETRY.format(name=name)))
    for rel in files:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("")
    return root


def migrated(root: Path, backend: str) -> tuple[dict, list]:
    result = run(root, RunOptions(lock=False, codemods=False, allow_dirty=True, build_backend=backend))
    assert result.exit_code == 0, result.error
    return tomllib.loads((root / "pyproject.toml").read_text()), result.warnings


@pytest.mark.parametrize("files,include,from_", [
    (["my_app/__init__.py"], "my_app", None),
    (["src/my_app/__init__.py"], "my_app", "src"),
    (["src/my_app/core/__init__.py"], "my_app", "src"),  # namespace package: no src/my_app/__init__.py
    (["my_app.py"], "my_app.py", None),
    (["src/my_app.py"], "my_app.py", "src"),
])
def test_discovery_is_poetrys(tmp_path, files, include, from_):
    p = read_poetry(project(tmp_path, "My-App", files))
    (spec,) = p.build.packages
    assert (spec.include, spec.from_, spec.discovered) == (include, from_, True) and p.package


def test_no_package_found_is_not_packaged(tmp_path):
    # fastapi-realworld-example-app: the code is in app/, no packages, name "fastapi-realworld-example-app"
    root = project(tmp_path, "fastapi-realworld-example-app", ["app/__init__.py", "app/main.py"])
    p = read_poetry(root)
    assert p.package is False and [w.code for w in p.warnings] == ["MIG012"]
    data, _ = migrated(root, "hatchling")
    assert data["tool"]["uv"]["package"] is False and "build-system" not in data


@pytest.mark.parametrize("files,backend,config", [
    # the backend finds it by itself: nothing written
    (["src/my_app/__init__.py"], "hatchling", None),
    (["my_app/__init__.py"], "hatchling", None),
    (["my_app.py"], "hatchling", None),
    (["src/my_app/__init__.py"], "uv", None),
    # it would not: explicit configuration
    (["src/my_app/core/__init__.py"], "hatchling", {"packages": ["src/my_app"]}),
    (["src/my_app.py"], "hatchling", {"only-include": ["src/my_app.py"], "sources": {"src/": ""}}),
    (["my_app/__init__.py"], "uv", {"module-name": "my_app", "module-root": ""}),
    (["src/my_app/core/__init__.py"], "uv", {"module-name": "my_app", "module-root": "src", "namespace": True}),
])
def test_explicit_config_only_where_the_backend_differs(tmp_path, files, backend, config):
    data, _ = migrated(project(tmp_path, "my-app", files), backend)
    tool = data.get("tool", {})
    found = tool.get("hatch", {}).get("build", {}).get("targets", {}).get("wheel") if backend == "hatchling" \
        else tool.get("uv", {}).get("build-backend")
    assert found == config


def test_uv_build_cannot_build_a_single_module_so_hatchling_is_written(tmp_path):
    data, warnings = migrated(project(tmp_path, "my-app", ["my_app.py"]), "uv")
    assert data["build-system"]["build-backend"] == "hatchling.build"
    assert any(w.code == "MIG007" and "single-file module" in w.message for w in warnings)


def test_invalid_url_keys_of_an_existing_project_are_repaired(tmp_path):
    # chia-blockchain: a Poetry 2 [project] with homepage = ...
    root = tmp_path / "p"
    root.mkdir()
    (root / "chia").mkdir()
    (root / "chia" / "__init__.py").write_text("")
    (root / "pyproject.toml").write_text(textwrap.dedent("""
        [project]
        name = "chia"
        version = "2.0"
        requires-python = ">=3.9"
        homepage = "https://chia.net"
        repository = "https://github.com/Chia-Network/chia-blockchain"
        dependencies = ["aiohttp>=3"]

        [project.urls]
        Repository = "https://example.org/kept"

        [tool.poetry]
        packages = [{ include = "chia" }]

        [build-system]
        requires = ["poetry-core>=2"]
        build-backend = "poetry.core.masonry.api"
    """))
    data, warnings = migrated(root, "hatchling")
    from validate_pyproject.api import Validator

    Validator()(data)
    assert data["project"]["urls"] == {"Repository": "https://example.org/kept", "Homepage": "https://chia.net"}
    assert "homepage" not in data["project"] and "repository" not in data["project"]
    assert sorted(w.key for w in warnings if w.code == "MIG011") == ["project.homepage", "project.repository"]
