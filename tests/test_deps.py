"""`migrate deps`: readiness of poetry.lock / Pipfile.lock before migrating and uv.lock after, offline."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import FIXTURES, run_migrate

pytestmark = pytest.mark.usefixtures("shared_uv_cache")


def deps(root: Path, wheels: Path, *extra: str):
    proc = run_migrate("deps", str(root), "--offline", "--find-links", str(wheels), "--format", "json", *extra)
    data = json.loads(proc.stdout)
    return proc.returncode, data, {e["name"]: (e["version"], e["status"], e["fix"]) for e in data.get("packages", [])}


def test_poetry_lock_before_migrating(tmp_path, wheels):
    root = tmp_path / "app"
    shutil.copytree(FIXTURES / "lock-poetry", root)
    code, data, ft = deps(root, wheels)
    assert code == 1 and data["lock"] == "poetry.lock" and data["target"] == "3.13t"
    assert ft == {"alpha": ("1.0", "pure", None), "beta": ("0.5", "pure", None),
                  "ftready": ("1.0", "ft-wheels", None), "nativeft": ("1.0", "blocker", "nativeft==1.1"),
                  "nofix": ("3.0", "blocker", None), "sdonly": ("1.0", "sdist-only", None)}
    code, data, ft = deps(root, wheels, "--target", "3.14t")
    assert ft["nativeft"] == ("1.0", "blocker", "nativeft==1.2")  # the newest, which has cp314t
    assert ft["ftready"] == ("1.0", "blocker", "ftready==2.0")  # 1.0 has cp313t only
    code, data, ft = deps(root, wheels, "--target", "3.13")
    assert code == 0 and ft["nativeft"][1] == "ft-wheels"  # a GIL target needs cp313 wheels only


def test_fix_respects_the_projects_own_range(tmp_path, wheels):
    root = tmp_path / "app"
    shutil.copytree(FIXTURES / "lock-poetry", root)
    text = (root / "pyproject.toml").read_text().replace('nativeft = ">=1.0"', 'nativeft = "<1.1"')
    (root / "pyproject.toml").write_text(text)
    code, _, ft = deps(root, wheels)
    assert code == 1 and ft["nativeft"] == ("1.0", "blocker", None)


def test_pipfile_lock_file_names_come_from_the_index(tmp_path, wheels):
    root = tmp_path / "papp"
    shutil.copytree(FIXTURES / "lock-pipenv", root)
    code, data, ft = deps(root, wheels)
    assert code == 1 and data["lock"] == "Pipfile.lock"
    assert ft == {"alpha": ("1.1", "pure", None), "beta": ("0.5", "pure", None),
                  "ftready": ("1.0", "ft-wheels", None), "nativeft": ("1.0", "blocker", "nativeft==1.1"),
                  "sdonly": ("1.0", "sdist-only", None)}
    code, _, ft = deps(root, tmp_path / "empty")  # no file names anywhere: unknown, not a guess
    assert code == 0 and {s for _, s, _ in ft.values()} == {"unknown"}


def test_uv_lock_after_migrating_and_text_output(tmp_path, wheels):
    root = tmp_path / "app"
    shutil.copytree(FIXTURES / "lock-poetry", root)
    proc = run_migrate("run", str(root), "--offline", "--find-links", str(wheels), "--no-codemods")
    assert proc.returncode == 0, proc.stderr
    code, data, ft = deps(root, wheels)
    assert data["lock"] == "uv.lock" and "app" not in ft and "lockdemo" not in ft  # the project itself
    # uv.lock holds both nativeft versions: 1.1 (3.13) is ready, 1.0 (other Pythons) still reported
    assert code == 1 and ft["nofix"] == ("3.0", "blocker", None) and ft["ftready"][1] == "ft-wheels"
    text = run_migrate("deps", str(root), "--offline", "--find-links", str(wheels))
    assert text.returncode == 1 and "nofix" in text.stdout and "blocker" in text.stdout
    assert "Free-threading readiness for 3.13t (uv.lock)" in text.stdout


def test_ready_project_exits_0(tmp_path, wheels):
    root = tmp_path / "ok"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "ok"\nversion = "1"\ndependencies = ["alpha"]\n')
    (root / "uv.lock").write_text('version = 1\nrequires-python = ">=3.10"\n\n[[package]]\nname = "alpha"\n'
                                  'version = "2.0"\nsource = { registry = "https://pypi.org/simple" }\n'
                                  'wheels = [{ url = "https://x/alpha-2.0-py3-none-any.whl", hash = "sha256:0" }]\n')
    code, _, ft = deps(root, wheels)
    assert code == 0 and ft == {"alpha": ("2.0", "pure", None)}


@pytest.mark.parametrize("args, message", [((), "no uv.lock"), (("--target", "3.13x"), "invalid target")])
def test_bad_input_exits_2(tmp_path, args, message):
    proc = run_migrate("deps", str(tmp_path), *args)
    assert proc.returncode == 2 and message in proc.stderr


def test_unreachable_index_exits_1_and_says_so(tmp_path):
    import socket

    root = tmp_path / "papp"
    shutil.copytree(FIXTURES / "lock-pipenv", root)
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/simple"
    proc = run_migrate("deps", str(root), "--index-url", dead, "--format", "json")
    data = json.loads(proc.stdout)
    assert proc.returncode == 1
    assert all(e["status"] == "unknown" and "cannot reach the index" in e["error"] for e in data["packages"])
    assert [w["code"] for w in data["warnings"]] == ["MIG230"]
    text = run_migrate("deps", str(root), "--index-url", dead)
    assert text.returncode == 1 and "MIG230" in text.stderr and "no version with them" not in text.stderr


def test_run_moves_to_the_nearest_version_and_calls_a_downgrade_one(tmp_path, wheels):
    """nativeft pinned at 1.2 (cp314t wheels only): the nearest with cp313t wheels is 1.1, below the pin
    (a downgrade); sdonly 1.0 has no wheels, 1.2 has cp313t ones, 1.3 too (the nearest is 1.2)."""
    from wheelhouse import LINUX, build_sdist, build_wheel

    house = tmp_path / "wheels"
    shutil.copytree(wheels, house)
    for version in ("1.2", "1.3"):
        build_sdist(house, "sdonly", version, ["beta"])
        for tag in (f"cp310-cp310-{LINUX}", f"cp313-cp313-{LINUX}", f"cp313-cp313t-{LINUX}"):
            build_wheel(house, "sdonly", version, tag, ["beta"])
    root = tmp_path / "app"
    shutil.copytree(FIXTURES / "lock-poetry", root)
    lock = (root / "poetry.lock").read_text()
    lock = lock.replace('name = "nativeft"\nversion = "1.0"', 'name = "nativeft"\nversion = "1.2"')
    (root / "poetry.lock").write_text(lock.replace("nativeft-1.0-", "nativeft-1.2-"))
    proc = run_migrate("run", str(root), "--offline", "--find-links", str(house), "--no-codemods",
                       "--allow-dirty", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    ft = {e["name"]: (e["version"], e["status"], e["fix"]) for e in report["ft"]}
    assert ft["nativeft"] == ("1.2", "downgraded", "nativeft==1.1")
    assert ft["sdonly"] == ("1.0", "upgraded", "sdonly==1.2")
    codes = {(w["code"], w["key"]) for w in report["warnings"]}
    assert ("MIG232", "nativeft") in codes and ("MIG204", "sdonly") not in codes  # moved: it has wheels now
    text = (root / "pyproject.toml").read_text()
    assert "nativeft==1.1; python_version == '3.13'" in text and "sdonly==1.2; python_version == '3.13'" in text
    assert "# free-threading: sdonly 1.0 ships only an sdist; 1.2 is the nearest with wheels for 3.13t" in text
    assert report["next"]["commands"][-1].startswith("uv sync")
