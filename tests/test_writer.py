"""The writer edits pyproject.toml with tomlkit: comments, order and unrelated tables survive."""

from __future__ import annotations

import textwrap
import tomllib
from pathlib import Path

import pytest
from validate_pyproject.api import Validator

from migrate.pipeline import RunOptions, run

VALIDATE = Validator()


def migrate(tmp_path: Path, body: str, **opts) -> tuple[str, dict]:
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent(body).lstrip())
    options = RunOptions(lock=False, codemods=False, allow_dirty=True, **opts)
    result = run(tmp_path, options)
    assert result.exit_code == 0, result.error
    text = (tmp_path / "pyproject.toml").read_text()
    data = tomllib.loads(text)
    VALIDATE(data)
    return text, data


def test_comments_key_order_and_unrelated_tables_survive(tmp_path):
    text, data = migrate(tmp_path, """
        # top comment stays on top
        [tool.poetry]
        name = "demo"
        version = "0.1.0"
        description = "x"
        authors = []

        [tool.poetry.dependencies]
        python = "^3.10"
        # HTTP client
        requests = "^2.31"  # proxy fix

        [tool.black]
        line-length = 99  # keep me

        [tool.poetry.group.dev.dependencies]
        pytest = "^8"  # tests

        [tool.isort]
        profile = "black"
        """)
    assert text.startswith("# top comment stays on top\n[project]\n")
    assert "    # HTTP client\n    \"requests>=2.31,<3.0\", # proxy fix\n" in text
    assert "\"pytest>=8,<9\", # tests" in text
    assert "line-length = 99  # keep me" in text
    assert text.index("[tool.black]") < text.index("[tool.isort]")
    assert "poetry" not in data.get("tool", {})
    assert data["project"]["dependencies"] == ["requests>=2.31,<3.0"]
    assert data["dependency-groups"] == {"dev": ["pytest>=8,<9"]}
    assert data["project"]["requires-python"] == ">=3.10,<4.0"


def test_full_conversion(tmp_path):
    _, data = migrate(tmp_path, """
        [tool.poetry]
        name = "full"
        version = "1.2.3"
        description = "Full"
        authors = ["Ada <ada@example.org>"]
        license = "Apache-2.0"
        readme = "README.md"
        keywords = ["k"]
        homepage = "https://example.org"
        packages = [{ include = "full", from = "src" }]

        [tool.poetry.dependencies]
        python = ">=3.10,<4"
        click = { version = "^8.1", extras = ["x"] }
        lib = { path = "../lib", develop = true }
        gitdep = { git = "https://github.com/o/g.git", tag = "v1" }
        pre = { version = "^1.0", allow-prereleases = true }
        priv = { version = "*", source = "internal" }
        rich = { version = "^13", optional = true }

        [tool.poetry.extras]
        pretty = ["rich"]

        [tool.poetry.group.test.dependencies]
        pytest = "^8"

        [tool.poetry.scripts]
        full = "full.cli:main"

        [tool.poetry.plugins."full.ext"]
        a = "full.ext:A"

        [[tool.poetry.source]]
        name = "internal"
        url = "https://pkgs.example.org/simple/"
        priority = "explicit"

        [build-system]
        requires = ["poetry-core>=1.0.0"]
        build-backend = "poetry.core.masonry.api"
        """)
    proj = data["project"]
    assert proj["license"] == "Apache-2.0"
    assert proj["authors"] == [{"name": "Ada", "email": "ada@example.org"}]
    assert proj["urls"] == {"Homepage": "https://example.org"}
    assert proj["scripts"] == {"full": "full.cli:main"}
    assert proj["entry-points"] == {"full.ext": {"a": "full.ext:A"}}
    assert proj["optional-dependencies"] == {"pretty": ["rich>=13,<14"]}
    assert "click[x]>=8.1,<9.0" in proj["dependencies"]
    assert "lib" in proj["dependencies"] and "gitdep" in proj["dependencies"]
    uv = data["tool"]["uv"]
    assert uv["sources"]["lib"] == {"path": "../lib", "editable": True}
    assert uv["sources"]["gitdep"] == {"git": "https://github.com/o/g.git", "tag": "v1"}
    assert uv["sources"]["priv"] == {"index": "internal"}
    assert uv["index"] == [{"name": "internal", "url": "https://pkgs.example.org/simple/", "explicit": True}]
    assert uv["prerelease-package"] == {"pre": "allow"}
    assert uv["default-groups"] == ["test"]
    assert data["build-system"] == {"requires": ["hatchling>=1.27"], "build-backend": "hatchling.build"}
    assert data["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"] == ["src/full"]
    assert data["dependency-groups"] == {"test": ["pytest>=8,<9"]}


def test_uv_build_backend(tmp_path):
    _, data = migrate(tmp_path, """
        [tool.poetry]
        name = "b"
        version = "1"
        description = ""
        authors = []
        packages = [{ include = "b_pkg", from = "src" }]
        include = [{ path = "CHANGES.md", format = "sdist" }]
        [tool.poetry.dependencies]
        python = "^3.10"
        [build-system]
        requires = ["poetry-core"]
        build-backend = "poetry.core.masonry.api"
        """, build_backend="uv")
    assert data["build-system"]["build-backend"] == "uv_build"
    bb = data["tool"]["uv"]["build-backend"]
    assert bb == {"module-name": "b_pkg", "module-root": "src", "source-include": ["CHANGES.md"]}


def test_keep_backend_keeps_poetry_build_config(tmp_path):
    text, data = migrate(tmp_path, """
        [tool.poetry]
        name = "k"
        version = "1"
        description = ""
        authors = []
        packages = [{ include = "k" }]
        [build-system]
        requires = ["poetry-core>=2"]
        build-backend = "poetry.core.masonry.api"
        """, build_backend="keep")
    assert data["build-system"]["build-backend"] == "poetry.core.masonry.api"
    assert data["tool"]["poetry"]["packages"] == [{"include": "k"}]


def test_package_mode_false(tmp_path):
    _, data = migrate(tmp_path, """
        [tool.poetry]
        package-mode = false
        [tool.poetry.dependencies]
        python = "^3.11"
        flask = "^3"
        [build-system]
        requires = ["poetry-core"]
        build-backend = "poetry.core.masonry.api"
        """)
    assert "build-system" not in data
    assert data["tool"]["uv"]["package"] is False
    assert data["project"]["dependencies"] == ["flask>=3,<4"]
    assert data["project"]["name"]  # from the folder name


def test_non_poetry_backend_is_kept(tmp_path):
    _, data = migrate(tmp_path, """
        [tool.poetry]
        name = "m"
        version = "1"
        description = ""
        authors = []
        [build-system]
        requires = ["maturin>=1.5"]
        build-backend = "maturin"
        """)
    assert data["build-system"] == {"requires": ["maturin>=1.5"], "build-backend": "maturin"}


@pytest.mark.parametrize("core,expected", [("poetry-core>=1.0,<2", ["x.txt"]), ("poetry-core>=2", [])])
def test_include_default_format_follows_poetry_core_version(tmp_path, core, expected):
    (tmp_path / "inc").mkdir()
    (tmp_path / "inc" / "__init__.py").write_text("")
    (tmp_path / "x.txt").write_text("x")  # an include matching no file is left out (MIG014)
    _, data = migrate(tmp_path, f"""
        [tool.poetry]
        name = "inc"
        version = "1"
        description = ""
        authors = []
        include = ["x.txt"]
        [build-system]
        requires = ["{core}"]
        build-backend = "poetry.core.masonry.api"
        """)
    targets = data["tool"]["hatch"]["build"]["targets"]
    assert targets["sdist"]["artifacts"] == ["x.txt"]
    assert list(targets.get("wheel", {}).get("force-include", {})) == expected
