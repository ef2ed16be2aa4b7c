"""Lock stage end to end: the real uv, offline, against a local wheel folder built by the tests."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import textwrap
import tomllib
from pathlib import Path

import pytest

from conftest import FIXTURES, run_migrate, tree_digest
from wheelhouse import demo_wheelhouse

from migrate.lock.lock import _strip_manifest, find_interpreter, pin_requirements, uv_bin
from migrate.model import Pin


@pytest.fixture(scope="module")
def wheels(tmp_path_factory) -> Path:
    return demo_wheelhouse(tmp_path_factory.mktemp("wheels"))


@pytest.fixture(autouse=True)
def _uv_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "uv-cache"))


def project(tmp_path: Path, fixture: str) -> Path:
    root = tmp_path / "app"
    shutil.copytree(FIXTURES / fixture, root)
    return root


def migrate(root: Path, wheels: Path, *extra: str, cwd: Path | None = None):
    return run_migrate("run", str(root), "--offline", "--find-links", str(wheels), "--no-codemods",
                       "--format", "json", *extra, cwd=cwd)


def uv_lock_check(root: Path, *find_links: str) -> subprocess.CompletedProcess:
    """`uv lock --check` as the user would run it in the migrated tree (an installed GIL Python)."""
    python, _ = find_interpreter(">=3.10")
    args = [a for fl in find_links for a in ("--find-links", fl)]
    return subprocess.run([uv_bin(), "lock", "--check", "--offline", "--python", python, *args], cwd=root,
                          capture_output=True, text=True, env=dict(os.environ, UV_PYTHON_DOWNLOADS="never"))


def test_poetry_project_keeps_pins_and_upgrades_the_blocker(tmp_path, wheels):
    root = project(tmp_path, "lock-poetry")
    proc = migrate(root, wheels)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    report = json.loads(proc.stdout)
    versions = locked(root)
    # every pin kept although newer versions exist (alpha 1.1/2.0, beta 0.6, ftready 2.0, sdonly 1.1)
    assert {n: versions[n] for n in ("alpha", "beta", "ftready", "sdonly", "nofix")} == {
        "alpha": {"1.0"}, "beta": {"0.5"}, "ftready": {"1.0"}, "sdonly": {"1.0"}, "nofix": {"3.0"}}
    # the blocker moves to the newest version with cp313t wheels (1.1, not the newest 1.2) on 3.13 only
    assert versions["nativeft"] == {"1.0", "1.1"}
    ft = {e["name"]: (e["version"], e["status"], e["fix"]) for e in report["ft"]}
    assert ft == {
        "alpha": ("1.0", "pure", None), "beta": ("0.5", "pure", None), "ftready": ("1.0", "ft-wheels", None),
        "nativeft": ("1.0", "upgraded", "nativeft==1.1"), "nofix": ("3.0", "blocker", None),
        "sdonly": ("1.0", "sdist-only", None)}
    text = (root / "pyproject.toml").read_text()
    # only the free-threading fix stays, with its reason: the temporary pins are gone everywhere
    assert tomllib.loads(text)["tool"]["uv"]["constraint-dependencies"] == ["nativeft==1.1; python_version == '3.13'"]
    assert "# free-threading: nativeft 1.0 has no cp313t wheels; 1.1 is the nearest that does" in text
    manifest = tomllib.loads((root / "uv.lock").read_text()).get("manifest", {})
    assert [c["name"] for c in manifest.get("constraints", [])] == ["nativeft"]
    check = uv_lock_check(root, str(wheels))
    assert check.returncode == 0, check.stderr  # uv agrees the lock is up to date
    assert (root / ".python-version").read_text().strip() == "3.13t"
    assert {c["path"] for c in report["changes"]} >= {"uv.lock", "pyproject.toml", "poetry.lock"}
    codes = {(w["code"], w.get("key")) for w in report["warnings"]}
    assert {("MIG203", "nofix"), ("MIG204", "sdonly")} <= codes
    lock = report["lock"]
    assert lock["kept_pins"] == 6 and lock["changed_pins"] == []  # nativeft 1.0 stays for other Pythons
    assert lock["interpreter"] and lock["ft_interpreter_found"] is bool(os.environ.get("MIGRATE_FT_PYTHON"))


def test_pipenv_project_keeps_pipfile_lock_pins(tmp_path, wheels):
    root = project(tmp_path, "lock-pipenv")
    proc = migrate(root, wheels)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    versions = locked(root)
    assert {n: versions[n] for n in ("alpha", "beta", "ftready", "sdonly", "nativeft")} == {
        "alpha": {"1.1"}, "beta": {"0.5"}, "ftready": {"1.0"}, "sdonly": {"1.0"}, "nativeft": {"1.0", "1.1"}}
    report = json.loads(proc.stdout)
    assert {e["name"]: e["status"] for e in report["ft"]}["nativeft"] == "upgraded"
    assert report["lock"]["changed_pins"] == []
    assert not (root / "Pipfile.lock").exists() and not (root / "Pipfile").exists()
    assert uv_lock_check(root, str(wheels)).returncode == 0


def test_relative_find_links_and_path_dependency_stay_relative(tmp_path, wheels):
    work = tmp_path / "work"
    shutil.copytree(wheels, work / "wheels")
    lib = work / "lib"
    (lib / "lib").mkdir(parents=True)
    (lib / "lib" / "__init__.py").write_text("")
    (lib / "pyproject.toml").write_text(textwrap.dedent("""
        [project]
        name = "lib"
        version = "0.3"
        dependencies = ["beta>=0.5"]

        [build-system]
        requires = ["flit_core>=3.2"]
        build-backend = "flit_core.buildapi"
        """))
    root = work / "app"
    (root / ".venv").mkdir(parents=True)
    (root / ".venv" / "pyvenv.cfg").write_text("home = /nowhere\n")
    (root / "pyproject.toml").write_text(textwrap.dedent("""
        [tool.poetry]
        name = "app"
        version = "0.1.0"
        description = ""
        authors = []

        [tool.poetry.dependencies]
        python = "^3.10"
        alpha = "^1.0"
        lib = { path = "../lib", develop = true }
        """))
    proc = run_migrate("run", "app", "--offline", "--find-links", "wheels", "--no-codemods", "--format", "json",
                       cwd=work)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    lock = tomllib.loads((root / "uv.lock").read_text())
    sources = {p["name"]: p["source"] for p in lock["package"]}
    assert sources["alpha"] == {"registry": "../wheels"} and sources["lib"] == {"editable": "../lib"}
    assert uv_lock_check(root, "../wheels").returncode == 0
    assert (root / ".venv" / "pyvenv.cfg").read_text() == "home = /nowhere\n"  # not copied, not touched


def test_no_ft_upgrade_only_reports(tmp_path, wheels):
    root = project(tmp_path, "lock-poetry")
    proc = migrate(root, wheels, "--no-ft-upgrade")
    assert proc.returncode == 0, proc.stderr
    assert locked(root)["nativeft"] == {"1.0"}
    assert "constraint-dependencies" not in tomllib.loads((root / "pyproject.toml").read_text()).get("tool", {}).get("uv", {})
    ft = {e["name"]: e for e in json.loads(proc.stdout)["ft"]}
    assert ft["nativeft"]["status"] == "blocker" and ft["nativeft"]["fix"] == "nativeft==1.1"
    assert "manifest" not in tomllib.loads((root / "uv.lock").read_text())


def locked(root: Path) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for p in tomllib.loads((root / "uv.lock").read_text())["package"]:
        out.setdefault(p["name"], set()).add(p.get("version"))
    return out


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_pins_that_no_longer_resolve_are_reported(tmp_path, wheels):
    root = project(tmp_path, "lock-poetry")
    edit(root / "pyproject.toml", 'alpha = "^1.0"', 'alpha = ">=1.1"')
    proc = migrate(root, wheels, "--no-ft-upgrade")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    versions = locked(root)
    assert versions["alpha"] == {"2.0"}
    # only the pin uv named is dropped: the others are still kept (beta 0.5 via sdonly)
    assert versions["beta"] == {"0.5"} and versions["nativeft"] == {"1.0"} and versions["ftready"] == {"1.0"}
    (changed,) = report["lock"]["changed_pins"]
    assert changed["name"] == "alpha" and changed["old"] == ["1.0"]
    assert "does not resolve" in changed["why"] and "alpha" in changed["why"].split(":", 1)[1]
    assert any(w["code"] == "MIG201" and w["key"] == "alpha" for w in report["warnings"])


def test_uv_failure_exits_1_and_writes_nothing(tmp_path, wheels):
    root = project(tmp_path, "lock-poetry")
    edit(root / "pyproject.toml", 'alpha = "^1.0"', 'missing-pkg = "^9"')
    before = tree_digest(root)
    proc = run_migrate("run", str(root), "--offline", "--find-links", str(wheels), "--no-codemods")
    assert proc.returncode == 1
    assert "missing-pkg" in proc.stderr and "left exactly as it was" in proc.stderr
    assert tree_digest(root) == before


def test_dry_run_shows_uv_lock_as_created(tmp_path, wheels):
    root = project(tmp_path, "lock-poetry")
    before = tree_digest(root)
    proc = run_migrate("run", str(root), "--dry-run", "--offline", "--find-links", str(wheels), "--no-codemods",
                       "--lock-diff")
    assert proc.returncode == 0, proc.stderr
    assert "--- /dev/null\n+++ b/uv.lock" in proc.stdout  # --lock-diff: the raw diff
    assert "+nativeft==1.1" not in proc.stdout and "nativeft==1.1; python_version == '3.13'" in proc.stdout
    assert tree_digest(root) == before


def test_no_lock_skips_the_stage(tmp_path, wheels):
    root = project(tmp_path, "lock-poetry")
    proc = migrate(root, wheels, "--no-lock")
    assert proc.returncode == 0, proc.stderr
    assert not (root / "uv.lock").exists() and json.loads(proc.stdout)["ft"] == []


def test_one_package_pinned_twice_under_markers_keeps_both(tmp_path, wheels):
    root = project(tmp_path, "lock-poetry")
    edit(root / "poetry.lock", 'name = "alpha"\nversion = "1.0"\ndescription = ""\noptional = false\n',
         'name = "alpha"\nversion = "1.0"\ndescription = ""\noptional = false\n'
         'markers = "python_version < \\"3.12\\""\n')
    with (root / "poetry.lock").open("a") as f:
        f.write(textwrap.dedent('''
            [[package]]
            name = "alpha"
            version = "1.1"
            description = ""
            optional = false
            python-versions = "*"
            markers = "python_version >= \\"3.12\\""
            files = []
            '''))
    proc = migrate(root, wheels, "--no-ft-upgrade")
    assert proc.returncode == 0, proc.stderr + proc.stdout
    assert locked(root)["alpha"] == {"1.0", "1.1"}  # uv forks on the markers, as the old lock did
    assert json.loads(proc.stdout)["lock"]["changed_pins"] == []
    assert uv_lock_check(root, str(wheels)).returncode == 0


def test_pin_requirements_markers_only_where_a_package_has_several_versions():
    pins = [Pin("a", "1.0", 'sys_platform == "win32"'), Pin("b", "1.0", 'python_version < "3.12"'),
            Pin("b", "2.0", 'python_version >= "3.12"'), Pin("c", "1.0"), Pin("c", "2.0", "extra == 'x'"),
            Pin("d", "1.0"), Pin("D", "1.0.0", 'os_name == "nt"'), Pin("e", "not-a-version"), Pin("f", "3")]
    assert pin_requirements(pins, exclude={"f"}) == [
        "a==1.0", 'b==1.0; python_version < "3.12"', 'b==2.0; python_version >= "3.12"', "c==1.0", "d==1.0"]


def test_pin_markers_lose_their_extra_terms():
    from migrate.lock.lock import environment_marker

    pins = [Pin("o", "1.23", 'python_version == "3.10" and extra == "fastembed"'),
            Pin("o", "1.26", 'python_version >= "3.11" and (extra == "fastembed" or extra == "gpu")'),
            Pin("p", "1.0", 'extra == "a"'), Pin("p", "2.0", 'extra == "b"')]
    assert pin_requirements(pins) == ['o==1.23; python_version == "3.10"', 'o==1.26; python_version >= "3.11"',
                                      "p==1.0"]
    assert environment_marker('sys_platform == "win32" or python_version < "3.9" and extra == "a"') == \
        'sys_platform == "win32" or python_version < "3.9"'
    assert environment_marker('"win32" == sys_platform and extra == "a"') == '"win32" == sys_platform'


def test_strip_manifest_keeps_the_projects_own_constraints(tmp_path):
    lock = tmp_path / "uv.lock"
    head = 'version = 1\nrevision = 3\nrequires-python = ">=3.10"\n\n'
    pkg = '[[package]]\nname = "a"\nversion = "1.0"\n'
    lock.write_text(head + '[manifest]\nconstraints = [\n    { name = "a", specifier = "==1.0" },\n'
                    '    { name = "b", marker = "python_full_version < \'3.12\'", specifier = "==2.0" },\n'
                    '    { name = "c", specifier = "<3" },\n]\n\n' + pkg)
    assert _strip_manifest(lock, {"a", "b"})
    assert lock.read_text() == head + '[manifest]\nconstraints = [{ name = "c", specifier = "<3" }]\n\n' + pkg
    assert _strip_manifest(lock, {"c"})
    assert lock.read_text() == head + pkg
    lock.write_text(head + '[manifest]\nconstraints = [{ name = "a", specifier = "==1.0" }]\n'
                    'overrides = [{ name = "z", specifier = "==1" }]\n\n' + pkg)
    assert _strip_manifest(lock, {"a"})
    assert lock.read_text() == head + '[manifest]\noverrides = [{ name = "z", specifier = "==1" }]\n\n' + pkg
    assert not _strip_manifest(lock, {"a"})  # nothing of ours there: the caller lets uv re-lock


@pytest.mark.parametrize("marker, requires_python, possible", [
    ('python_version < "3.10"', ">=3.10", False),
    ('python_version < "3.10"', ">=3.9", True),
    ('python_full_version < "3.10.2"', ">=3.10", True),
    ('sys_platform == "win32" and python_version >= "3.12"', ">=3.10,<3.12", False),
    ('sys_platform == "win32"', ">=3.10", True),
    ('platform_machine == "arm64"', None, True),
    ("extra == 'x'", ">=3.10", True),
])
def test_pins_for_environments_outside_requires_python_are_not_reported(marker, requires_python, possible):
    from migrate.lock.lock import _possible

    assert _possible(marker, requires_python) is possible


def _without_files(lock: Path) -> None:
    """poetry.lock as Pipfile.lock-like input: no file names (readiness is known only after uv runs)."""
    import re

    lock.write_text(re.sub(r"files = \[\n(?:    \{[^\n]*\},\n)*\]", "files = []", lock.read_text()))


def test_fixes_known_from_the_old_lock_need_one_resolution_and_give_the_same_result(tmp_path, wheels):
    """poetry.lock names each pin's files: the blocker's fix goes into the first uv resolution with the
    pins (one resolution, then `uv lock --check` after taking the pins out). Without the file names the
    fix is found after the first resolution and applied by a second. Both must give the same files."""
    early, late = project(tmp_path / "early", "lock-poetry"), project(tmp_path / "late", "lock-poetry")
    _without_files(late / "poetry.lock")
    assert "files = []" in (late / "poetry.lock").read_text()
    reports = {}
    for root in (early, late):
        proc = migrate(root, wheels, "--allow-dirty")
        assert proc.returncode == 0, proc.stderr + proc.stdout
        reports[root] = json.loads(proc.stdout)
    assert [r["args"] for r in reports[early]["lock"]["uv_runs"]] == [["lock"], ["lock", "--check"]]
    assert [r["args"] for r in reports[late]["lock"]["uv_runs"]] == [["lock"], ["lock"]]
    assert (early / "pyproject.toml").read_text() == (late / "pyproject.toml").read_text()
    assert (early / "uv.lock").read_text() == (late / "uv.lock").read_text()
    for key in ("ft", "warnings"):
        assert reports[early][key] == reports[late][key]
    for key in ("changed_pins", "kept_pins", "packages", "counts"):
        assert reports[early]["lock"][key] == reports[late]["lock"][key], key
    assert uv_lock_check(early, str(wheels)).returncode == 0


def test_the_fix_lookup_started_before_the_lock_stage_is_the_one_used(tmp_path, wheels, monkeypatch):
    """`plan` starts judging the old lock's pins as soon as the project is read (the lookup runs while it
    is converted and staged); the lock stage takes that answer instead of asking again, unless the
    pins or the project's requirements changed in between (then it looks them up itself)."""
    import migrate.lock.freethreading as ft
    import migrate.lock.lock as lk
    from migrate.pipeline import RunOptions, plan

    calls = []
    real = ft.preassess

    def counted(pins, *args, **kwargs):
        calls.append(len(pins))
        return real(pins, *args, **kwargs)

    monkeypatch.setattr(ft, "preassess", counted)
    options = RunOptions(offline=True, find_links=[str(wheels)], codemods=False, allow_dirty=True)
    root = project(tmp_path / "a", "lock-poetry")
    result = plan(root, options)
    assert result.exit_code == 0, result.error
    assert len(calls) == 1 and [r["args"] for r in result.lock["uv_runs"]] == [["lock"], ["lock", "--check"]]
    fixed = result.changes.current("pyproject.toml")

    # the pins change after the lookup started: the stage's own lookup, the same answer
    start = lk.EarlyLookup.start

    def start_then_change(self, project, target, options):
        start(self, project, target, options)
        project.pins = list(project.pins)[::-1]

    monkeypatch.setattr(lk.EarlyLookup, "start", start_then_change)
    calls.clear()
    again = plan(project(tmp_path / "b", "lock-poetry"), options)
    assert again.exit_code == 0, again.error
    assert len(calls) == 2
    assert again.changes.current("pyproject.toml") == fixed


def test_an_early_fix_uv_cannot_resolve_is_tried_after_the_first_resolution(tmp_path, wheels):
    """The project's own constraint excludes the fix's version on every Python: the first resolution
    with the fix fails, the pins are locked without it, and the fix is then said not to resolve."""
    root = project(tmp_path, "lock-poetry")
    pp = root / "pyproject.toml"
    pp.write_text(pp.read_text() + '\n[tool.uv]\nconstraint-dependencies = ["nativeft<1.1"]\n')
    proc = migrate(root, wheels, "--allow-dirty")
    assert proc.returncode == 0, proc.stderr + proc.stdout
    report = json.loads(proc.stdout)
    assert locked(root)["nativeft"] == {"1.0"}
    entry = next(e for e in report["ft"] if e["name"] == "nativeft")
    assert entry["status"] == "blocker" and "does not resolve" in entry["fix"]
    assert tomllib.loads(pp.read_text())["tool"]["uv"]["constraint-dependencies"] == ["nativeft<1.1"]
    assert uv_lock_check(root, str(wheels)).returncode == 0


def _drop_nativeft(root: Path, ready_in_old_lock: bool) -> None:
    edit(root / "pyproject.toml", 'nativeft = ">=1.0"\n', "")
    if ready_in_old_lock:  # the old lock says nativeft 1.0 had cp313t wheels: no fix is looked for
        lock = root / "poetry.lock"
        lock.write_text(lock.read_text().replace('{file = "nativeft-1.0-cp313-cp313-', '{file = "nativeft-1.0-cp313-cp313t-'))


def test_a_slow_fix_lookup_runs_uv_meanwhile_and_stops_it_when_fixes_turn_up(tmp_path, wheels):
    """While the fixes are looked up, uv resolves the pins alone; when a fix turns up that run is
    stopped and the run with the fix gives exactly what a lookup that finished first gives."""
    slow, quick = project(tmp_path / "slow", "lock-poetry"), project(tmp_path / "quick", "lock-poetry")
    # the first uv run is slow (30 s before it starts): it is still running when the lookup ends at 3 s
    wrapper = tmp_path / "slow-first-uv"
    wrapper.write_text(f'#!/bin/sh\nif mkdir "{tmp_path}/first" 2>/dev/null; then sleep 30; fi\nexec "$@"\n')
    wrapper.chmod(0o755)
    slow_env = {"MIGRATE_TEST_PREASSESS_DELAY": "3", "MIGRATE_TEST_SPAWN_WRAPPER": str(wrapper)}
    procs = {root: run_migrate("run", str(root), "--offline", "--find-links", str(wheels), "--no-codemods",
                               "--format", "json", "--allow-dirty", env=slow_env if root == slow else None)
             for root in (slow, quick)}
    for root, proc in procs.items():
        assert proc.returncode == 0, proc.stderr + proc.stdout
    runs = json.loads(procs[slow].stdout)["lock"]["uv_runs"]
    assert runs[0]["ok"] is None and "stopped" in runs[0] and runs[0]["seconds"] < 25
    assert [r["args"] for r in runs[1:]] == [["lock"], ["lock", "--check"]]
    assert (slow / "uv.lock").read_text() == (quick / "uv.lock").read_text()
    assert (slow / "pyproject.toml").read_text() == (quick / "pyproject.toml").read_text()
    assert not list((slow).glob("**/*.tmp"))


def test_a_slow_fix_lookup_that_finds_none_keeps_the_run_made_meanwhile(tmp_path, wheels):
    root = project(tmp_path, "lock-poetry")
    _drop_nativeft(root, ready_in_old_lock=True)
    proc = run_migrate("run", str(root), "--offline", "--find-links", str(wheels), "--no-codemods", "--format",
                       "json", "--allow-dirty", env={"MIGRATE_TEST_PREASSESS_DELAY": "2"})
    assert proc.returncode == 0, proc.stderr + proc.stdout
    runs = json.loads(proc.stdout)["lock"]["uv_runs"]
    assert [(r["args"], r["ok"]) for r in runs] == [(["lock"], True), (["lock", "--check"], True)]
    assert "nativeft" not in locked(root)
    assert "constraint-dependencies" not in (root / "pyproject.toml").read_text()
    assert uv_lock_check(root, str(wheels)).returncode == 0


def test_an_early_fix_for_a_package_no_longer_required_leaves_no_constraint(tmp_path, wheels):
    """The old lock pins nativeft (a blocker with a fix) but the project no longer requires it: the fix
    joins the first resolution, then goes with the pins — nothing of it in pyproject.toml or uv.lock."""
    root = project(tmp_path, "lock-poetry")
    _drop_nativeft(root, ready_in_old_lock=False)
    proc = migrate(root, wheels, "--allow-dirty")
    assert proc.returncode == 0, proc.stderr + proc.stdout
    report = json.loads(proc.stdout)
    assert [r["args"] for r in report["lock"]["uv_runs"]] == [["lock"], ["lock", "--check"]]
    assert "nativeft" not in locked(root)
    assert "constraint-dependencies" not in (root / "pyproject.toml").read_text()
    assert "manifest" not in tomllib.loads((root / "uv.lock").read_text())
    assert "nativeft" not in {e["name"] for e in report["ft"]}
    assert uv_lock_check(root, str(wheels)).returncode == 0


def test_a_pin_that_no_longer_resolves_is_dropped_with_the_early_fixes_kept(tmp_path, wheels):
    """The converted project now needs alpha>=1.1 (the old lock pinned 1.0): uv's error names alpha, not
    a package the fixes move, so the alpha pin goes and the fixes stay — no third resolution for them."""
    root = project(tmp_path, "lock-poetry")
    edit(root / "pyproject.toml", 'alpha = "^1.0"', 'alpha = "^1.1"')
    proc = migrate(root, wheels, "--allow-dirty")
    assert proc.returncode == 0, proc.stderr + proc.stdout
    report = json.loads(proc.stdout)
    assert [(r["args"], r["ok"]) for r in report["lock"]["uv_runs"]] == [
        (["lock"], False), (["lock"], True), (["lock", "--check"], True)]
    assert locked(root)["alpha"] == {"1.1"} and locked(root)["nativeft"] == {"1.0", "1.1"}
    assert {e["name"]: e["status"] for e in report["ft"]}["nativeft"] == "upgraded"
    assert [c["name"] for c in report["lock"]["changed_pins"]] == ["alpha"]
    assert uv_lock_check(root, str(wheels)).returncode == 0


@pytest.mark.parametrize("sig,code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_while_uv_runs_beside_the_fix_lookup_stops_both_and_changes_nothing(tmp_path, wheels, sig, code):
    import sys
    import time

    root = project(tmp_path, "lock-poetry")
    before = tree_digest(root)
    pids = tmp_path / "uv-pids"
    wrapper = tmp_path / "slow-uv"  # each uv run notes its pid, then takes 60 s
    wrapper.write_text(f'#!/bin/sh\necho $$ >> "{pids}"\nsleep 60\nexec "$@"\n')
    wrapper.chmod(0o755)
    env = dict(os.environ, NO_COLOR="1", MIGRATE_TEST_PREASSESS_DELAY="60", MIGRATE_TEST_SPAWN_WRAPPER=str(wrapper))
    proc = subprocess.Popen([sys.executable, "-m", "migrate", "run", str(root), "--offline", "--find-links",
                             str(wheels), "--no-codemods"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    deadline = time.monotonic() + 60
    while not pids.exists() and time.monotonic() < deadline:  # the speculative uv run has started
        time.sleep(0.05)
    assert pids.exists(), proc.communicate()
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == code, err
    assert "Traceback" not in err
    assert tree_digest(root) == before
    for pid in pids.read_text().split():
        with pytest.raises(ProcessLookupError):  # the uv process group was killed
            os.kill(int(pid), 0)
