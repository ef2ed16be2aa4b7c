"""Pipfile.lock categories that pin one package at different versions (pypa/pipenv's own lock pins
packaging 26.3 in default and 26.2 in develop): uv locks one version per package for every group, so
the default (runtime) pin is kept, said once per package (MIG240), and no other pin is given up."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest

from conftest import run_migrate

from migrate.readers.pipenv import read_pipenv, read_pipfile_lock

META = {"hash": {"sha256": "0" * 64}, "pipfile-spec": 6, "requires": {"python_version": "3.12"}, "sources": [
    {"name": "pypi", "url": "https://pypi.org/simple", "verify_ssl": True}]}


def entry(version: str, marker: str | None = None) -> dict:
    e = {"hashes": ["sha256:" + "0" * 64], "index": "pypi", "version": f"=={version}"}
    if marker:
        e["markers"] = marker
    return e


def write(root: Path, pipfile: str, lock: dict) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "Pipfile").write_text(textwrap.dedent(pipfile))
    (root / "Pipfile.lock").write_text(json.dumps({"_meta": META, **lock}, indent=4))
    return root


PIPFILE = """
    [packages]
    alpha = "*"

    [dev-packages]
    sdonly = "*"

    [requires]
    python_version = "3.12"
    """

LOCK = {
    # alpha: default 1.0, develop 1.1, both with overlapping markers (as pylock-style Pipfile.locks write them)
    "default": {"alpha": entry("1.0", "python_version >= '3.8'"), "beta": entry("0.5", "python_version >= '3.9'")},
    "develop": {"alpha": entry("1.1", "('dev' in dependency_groups) and (python_version >= '3.9')"),
                "beta": entry("0.5", "('dev' in dependency_groups) and (python_version >= '3.8')"),
                "sdonly": entry("1.0")},
    "docs": {"alpha": entry("2.0"), "beta": entry("0.6")},
}


def _pins(project) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for p in project.pins:
        out.setdefault(p.name, set()).add(p.version)
    return out


def test_the_default_pin_wins_and_each_conflict_is_said_once(tmp_path):
    project = read_pipenv(write(tmp_path / "app", PIPFILE, LOCK))
    assert _pins(project) == {"alpha": {"1.0"}, "beta": {"0.5"}, "sdonly": {"1.0"}}
    mig240 = [w for w in project.warnings if w.code == "MIG240"]
    assert [(w.key, w.path) for w in mig240] == [("develop.alpha", "Pipfile.lock"), ("docs.beta", "Pipfile.lock")]
    assert "alpha is pinned at 1.0 in default and at 1.1 in develop, 2.0 in docs" in mig240[0].message
    assert "default's 1.0 is kept" in mig240[0].message
    # the same version under another marker is no conflict: both markers stay (one pin for uv)
    assert sorted(p.marker for p in project.pins if p.name == "beta") == [
        "('dev' in dependency_groups) and (python_version >= '3.8')", "python_version >= '3.9'"]
    # `migrate deps` still sees every category's pins
    assert {(p.name, p.version) for p in read_pipfile_lock(tmp_path / "app" / "Pipfile.lock")} >= {
        ("alpha", "1.0"), ("alpha", "1.1"), ("alpha", "2.0")}


def test_a_pin_the_projects_own_requirement_excludes_never_wins(tmp_path):
    """pypa/pipenv: [dev-packages] exceptiongroup = "==1.1.0" while default pins 1.3.1 (a dependency of
    pytest there): develop's 1.1.0 is the one uv can keep."""
    pipfile = PIPFILE.replace('sdonly = "*"', 'sdonly = "*"\nalpha = "==1.1"')
    project = read_pipenv(write(tmp_path / "app", pipfile, LOCK))
    assert _pins(project)["alpha"] == {"1.1"}
    (w,) = [w for w in project.warnings if w.code == "MIG240" and w.key.endswith(".alpha")]
    assert "develop's 1.1 is kept (the Pipfile's own alpha==1.1 excludes the other)" in w.message
    assert w.key == "default.alpha"


def test_no_conflict_no_warning(tmp_path):
    lock = {"default": {"alpha": entry("1.0")}, "develop": {"alpha": entry("1.0", "python_version >= '3.9'")}}
    project = read_pipenv(write(tmp_path / "app", PIPFILE, lock))
    assert not [w for w in project.warnings if w.code == "MIG240"]
    assert _pins(project) == {"alpha": {"1.0"}}


def test_conflicting_categories_lock_with_every_other_pin_kept(tmp_path, wheels, monkeypatch):
    """Before, both alpha pins went to uv with overlapping markers: uv could satisfy neither and every
    pin its errors named was given up (MIG201 for each). Now alpha keeps default's 1.0 and nothing else moves."""
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))
    root = write(tmp_path / "app", PIPFILE, LOCK)
    proc = run_migrate("run", str(root), "--offline", "--find-links", str(wheels), "--no-codemods", "--format",
                       "json", "--allow-dirty")
    assert proc.returncode == 0, proc.stderr + proc.stdout
    report = json.loads(proc.stdout)
    import tomllib

    locked = {}
    for p in tomllib.loads((root / "uv.lock").read_text())["package"]:
        locked.setdefault(p["name"], set()).add(p["version"])
    # newer versions exist (alpha 1.1/2.0, beta 0.6, sdonly 1.1): the pins held
    assert {n: locked[n] for n in ("alpha", "beta", "sdonly")} == {"alpha": {"1.0"}, "beta": {"0.5"}, "sdonly": {"1.0"}}
    assert report["lock"]["changed_pins"] == []
    assert not [w for w in report["warnings"] if w["code"] == "MIG201"]
    assert [w["key"] for w in report["warnings"] if w["code"] == "MIG240"] == ["develop.alpha", "docs.beta"]
    assert [r["ok"] for r in report["lock"]["uv_runs"] if r["args"] == ["lock"]] == [True]
