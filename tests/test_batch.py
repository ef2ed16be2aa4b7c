"""`migrate batch`: discovery, parallel runs, the broken project untouched, report, workspace."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from conftest import run_migrate, tree_digest
from projects import poetry_folder as poetry
from wheelhouse import build_wheelhouse

from migrate.batch import discover_projects

pytestmark = pytest.mark.usefixtures("shared_uv_cache")


def fixture_tree(root: Path) -> Path:
    poetry(root / "svc-a", "svc-a", 'alpha = "^1.0"')
    (root / "svc-b").mkdir()
    (root / "svc-b" / "Pipfile").write_text('[packages]\nalpha = "*"\n[requires]\npython_version = "3.12"\n')
    poetry(root / "svc-b" / "plugins" / "inner", "inner")  # nested project
    broken = root / "broken"
    broken.mkdir()
    (broken / "pyproject.toml").write_text('[tool.poetry]\nname = "broken"\n[tool.poetry.dependencies]\n'
                                           'x = { verison = "1" }\n')
    for skipped in (".venv/lib", "node_modules/pkg", ".git/x", "build/y"):
        (root / skipped).mkdir(parents=True)
        (root / skipped / "Pipfile").write_text('[packages]\nx = "*"\n')
    (root / "outside").mkdir()
    return root


def test_discovery_skips_noise_and_finds_nested(tmp_path):
    root = fixture_tree(tmp_path / "mono")
    (root / "link").symlink_to(tmp_path / "mono" / "svc-a")  # never followed
    found = [p.relative_to(root).as_posix() for p in discover_projects(root)]
    assert found == ["broken", "svc-a", "svc-b", "svc-b/plugins/inner"]


def test_batch_migrates_all_but_the_broken_one(tmp_path):
    root = fixture_tree(tmp_path / "mono")
    broken_before = tree_digest(root / "broken")
    report = tmp_path / "report.json"
    proc = run_migrate("batch", str(root), "--no-lock", "--no-codemods", "--jobs", "2", "--report", str(report))
    assert proc.returncode == 1  # one project failed
    assert tree_digest(root / "broken") == broken_before
    data = json.loads(report.read_text())
    by = {p["path"]: p for p in data["projects"]}
    assert {k: v["status"] for k, v in by.items()} == {
        "broken": "error", "svc-a": "migrated", "svc-b": "migrated", "svc-b/plugins/inner": "migrated"}
    assert "verison" in by["broken"]["error"]
    assert {"path": "svc-b/pyproject.toml", "action": "create"} in by["svc-b"]["changes"]
    assert by["svc-a"]["format"] == "poetry" and by["svc-b"]["format"] == "pipenv"
    assert "[project]" in (root / "svc-a" / "pyproject.toml").read_text()
    assert not (root / "svc-b" / "Pipfile").exists()
    assert "[project]" in (root / "svc-b" / "plugins" / "inner" / "pyproject.toml").read_text()
    assert "broken" in proc.stderr and "migrated" in proc.stderr  # the summary table


def test_batch_dry_run_is_one_diff_and_writes_nothing(tmp_path):
    root = fixture_tree(tmp_path / "mono")
    before = tree_digest(root)
    proc = run_migrate("batch", str(root), "--dry-run", "--no-lock", "--no-codemods")
    assert tree_digest(root) == before
    assert "+++ b/svc-a/pyproject.toml" in proc.stdout and "--- a/svc-b/Pipfile" in proc.stdout


def test_fail_fast_and_json(tmp_path):
    root = fixture_tree(tmp_path / "mono")
    proc = run_migrate("batch", str(root), "--no-lock", "--no-codemods", "--jobs", "1", "--fail-fast",
                       "--format", "json", "--dry-run")
    data = json.loads(proc.stdout)
    statuses = [p["status"] for p in data["projects"]]
    assert statuses[0] == "error" and set(statuses[1:]) == {"skipped"}
    assert proc.returncode == 1


def test_bad_usage(tmp_path):
    assert run_migrate("batch", str(tmp_path / "nope")).returncode == 2
    assert run_migrate("batch", str(tmp_path), "--jobs", "0").returncode == 2


def test_workspace_links_path_dependencies_and_locks_once(tmp_path):
    wheels = build_wheelhouse(tmp_path / "wheels", {"alpha": {"1.0": ["py3-none-any"], "1.1": ["py3-none-any"]}})
    root = tmp_path / "mono"
    poetry(root / "libs" / "core", "core", 'alpha = "^1.0"')
    poetry(root / "apps" / "web", "web", 'core = { path = "../../libs/core", develop = true }')
    poetry(root / "solo", "solo", 'alpha = "*"')
    (root / "libs" / "core" / "poetry.lock").write_text(
        '[[package]]\nname = "alpha"\nversion = "1.0"\ndescription = ""\noptional = false\n'
        'python-versions = "*"\nfiles = []\n\n[metadata]\nlock-version = "2.0"\npython-versions = "^3.10"\n'
        'content-hash = "x"\n')
    proc = run_migrate("batch", str(root), "--workspace", "--offline", "--find-links", str(wheels),
                       "--no-codemods", "--format", "json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    ws = tomllib.loads((root / "pyproject.toml").read_text())
    assert ws["tool"]["uv"]["workspace"]["members"] == ["apps/web", "libs/core"]
    web = tomllib.loads((root / "apps" / "web" / "pyproject.toml").read_text())
    assert web["tool"]["uv"]["sources"]["core"] == {"workspace": True}
    lock = tomllib.loads((root / "uv.lock").read_text())
    names = {p["name"]: p.get("version") for p in lock["package"]}
    assert names["alpha"] == "1.0" and "core" in names and "web" in names  # the old pin is kept
    assert not (root / "apps" / "web" / "uv.lock").exists() and not (root / "libs" / "core" / "uv.lock").exists()
    assert (root / "solo" / "uv.lock").exists()  # not linked: migrated and locked on its own
    assert "solo" not in ws["tool"]["uv"]["workspace"]["members"]


MONOREPOS = sorted(p for p in (Path(__file__).parent.parent.parent / "shared" / "corpus" / "monorepo").glob("*")
                   if p.is_dir())


@pytest.mark.skipif(not MONOREPOS, reason="../shared/corpus is not present")
@pytest.mark.parametrize("src", MONOREPOS, ids=[p.name for p in MONOREPOS])
def test_corpus_monorepo_becomes_a_workspace(tmp_path, src):
    import shutil

    from validate_pyproject.api import Validator

    root = tmp_path / src.name
    shutil.copytree(src, root)
    proc = run_migrate("batch", str(root), "--workspace", "--no-lock", "--no-codemods", "--format", "json")
    data = json.loads(proc.stdout)
    assert all(p["status"] == "migrated" for p in data["projects"]), data
    members = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["uv"]["workspace"]["members"]
    assert members
    member_dirs = {(root / m).resolve() for m in members} | {root.resolve()}
    for m in members:
        doc = tomllib.loads((root / m / "pyproject.toml").read_text())
        Validator()(doc)
        for name, entry in doc.get("tool", {}).get("uv", {}).get("sources", {}).items():
            if isinstance(entry, dict) and "path" in entry:
                # a path source left as a path must not point at another member
                assert (root / m / entry["path"]).resolve() not in member_dirs, (m, name)
