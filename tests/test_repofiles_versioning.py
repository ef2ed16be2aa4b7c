"""Item 6: Poetry versioning plugins → hatchling version sources, settings carried over."""

from __future__ import annotations

import tomllib
from pathlib import Path

from projects import pdv_pyproject

from migrate import pipeline

PDV = pdv_pyproject('style = "pep440"\npattern = "default-unprefixed"\nfallback-version = "0.0.0"\n'
                    'substitution = { files = ["pdv_demo/__init__.py"] }\n',
                    name="pdv-demo", version="0.0.0", description="x", authors=("A <a@b.c>",), python="^3.11")


def _plan(root: Path, **kw):
    opts = pipeline.RunOptions(lock=False, codemods=False, dry_run=True, **kw)
    res = pipeline.plan(root, opts)
    assert res.exit_code == 0, res.error
    data = res.changes.current("pyproject.toml")
    return res, tomllib.loads(data.decode())


def test_dynamic_versioning_to_uv_dynamic_versioning(tmp_path):
    (tmp_path / "pyproject.toml").write_text(PDV)
    (tmp_path / "pdv_demo").mkdir()
    (tmp_path / "pdv_demo" / "__init__.py").write_text("")
    res, doc = _plan(tmp_path)
    assert "version" not in doc["project"] and "version" in doc["project"]["dynamic"]
    assert doc["tool"]["hatch"]["version"] == {"source": "uv-dynamic-versioning"}
    assert doc["tool"]["uv-dynamic-versioning"] == {
        "vcs": "git", "style": "pep440", "pattern": "default-unprefixed", "fallback-version": "0.0.0"}
    assert "poetry-dynamic-versioning" not in doc["tool"]
    assert "uv-dynamic-versioning" in doc["build-system"]["requires"]
    assert doc["build-system"]["build-backend"] == "hatchling.build"
    codes = [w.code for w in res.warnings]
    # substitution: the file has no `__version__` for the plugin to change, so nothing is lost (no MIG331);
    # the cases it does change: tests/test_versioning_substitution.py
    assert "MIG330" in codes and "MIG331" not in codes


def test_not_enabled_or_other_backend_is_only_reported(tmp_path):
    (tmp_path / "pyproject.toml").write_text(PDV.replace("enable = true", "enable = false"))
    res, doc = _plan(tmp_path)
    assert doc["project"]["version"] == "0.0.0" and "MIG331" in [w.code for w in res.warnings]
    (tmp_path / "pyproject.toml").write_text(PDV)
    res, doc = _plan(tmp_path, build_backend="uv")
    assert doc["project"]["version"] == "0.0.0" and "MIG331" in [w.code for w in res.warnings]


def test_version_plugin_init_source(tmp_path):
    text = PDV.split("[tool.poetry-dynamic-versioning]")[0] + '[tool.poetry-version-plugin]\nsource = "init"\n'
    (tmp_path / "pyproject.toml").write_text(text)
    (tmp_path / "src" / "pdv_demo").mkdir(parents=True)
    (tmp_path / "src" / "pdv_demo" / "__init__.py").write_text('__version__ = "1.2.3"\n')
    res, doc = _plan(tmp_path)
    assert doc["tool"]["hatch"]["version"] == {"path": "src/pdv_demo/__init__.py"}
    assert "version" in doc["project"]["dynamic"]
