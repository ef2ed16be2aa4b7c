"""Index names uv rejects (RasaHQ's "internal repository mirroring ...") are written as valid, stable,
unique names, and [tool.uv.sources] follows the rename (MIG115)."""

from __future__ import annotations

import json
import subprocess
import tomllib

from conftest import run_migrate
from projects import poetry_pyproject

from migrate.lock.lock import uv_bin
from migrate.writer import index_names

PYPROJECT = poetry_pyproject(
    'alpha = {version = "^1.0", source = "my private index"}\nbeta = {version = "*", source = "my/private index"}\n',
    name="demo", version="1.0", authors=("A <a@example.com>",), package_mode=False, after='''
[[tool.poetry.source]]
name = "my private index"
url = "https://example.com/one/simple/"
priority = "explicit"

[[tool.poetry.source]]
name = "my/private index"
url = "https://example.com/two/simple/"
priority = "explicit"

[[tool.poetry.source]]
name = "my-private-index"
url = "https://example.com/three/simple/"
priority = "supplemental"
''')


def test_valid_names_are_kept_and_others_made_valid_and_unique():
    names = index_names(["my private index", "my/private index", "my-private-index", "ok.name_1", "  "])
    assert names == {"my private index": "my-private-index-2", "my/private index": "my-private-index-3",
                     "my-private-index": "my-private-index", "ok.name_1": "ok.name_1", "  ": "index"}
    assert index_names(["a b", "c"]) == index_names(["a b", "c"])  # stable


def test_written_indexes_are_valid_for_uv_and_sources_follow(tmp_path):
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    proc = run_migrate("run", str(tmp_path), "--no-lock", "--no-codemods", "--allow-dirty", "--format", "json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    codes = [w["code"] for w in json.loads(proc.stdout)["warnings"]]
    assert codes.count("MIG115") == 2
    uv = tomllib.loads((tmp_path / "pyproject.toml").read_text())["tool"]["uv"]
    by_url = {i["url"]: i["name"] for i in uv["index"]}
    assert by_url == {"https://example.com/one/simple/": "my-private-index-2",
                      "https://example.com/two/simple/": "my-private-index-3",
                      "https://example.com/three/simple/": "my-private-index",
                      "https://pypi.org/simple": "pypi"}  # the supplemental source is searched after PyPI
    assert uv["sources"] == {"alpha": {"index": "my-private-index-2"}, "beta": {"index": "my-private-index-3"}}
    # uv itself reads the settings (an invalid name fails while parsing, before any resolution)
    check = subprocess.run([uv_bin(), "lock", "--offline", "--no-index"], cwd=tmp_path, capture_output=True,
                           text=True, env={"UV_CACHE_DIR": str(tmp_path / "c"), "PATH": "/usr/bin:/bin"})
    assert "Index names may only contain" not in check.stderr
    assert "Failed to parse" not in check.stderr, check.stderr
