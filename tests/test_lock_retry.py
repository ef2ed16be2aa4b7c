"""Lock stage: a lock wherever one is possible, uv's own reason when not, a summary you can review.

Real uv, offline, against local wheel folders built here: a dependency that only fails on PyPy, one
that only fails above the target's Python version, one that fails for the target itself (never
narrowed), interpreters that are not installed with downloads forbidden or allowed by configuration.
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path

import pytest

from conftest import run_migrate, tree_digest
from projects import metadata_backend, poetry_project
from wheelhouse import build_wheelhouse

from migrate.lock.environments import exclusion, failing_markers, negate
from migrate.lock.lock import python_downloads
from migrate.lock.uverrors import classify, trim


@pytest.fixture(autouse=True)
def _uv_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "uv-cache"))
    monkeypatch.delenv("UV_PYTHON_DOWNLOADS", raising=False)


@pytest.fixture(scope="module")
def wheels(tmp_path_factory) -> Path:
    """``splitdep`` 1.0 only; ``onpypy`` needs splitdep>=2 on PyPy, ``on314`` on Python >= 3.14,
    ``on313`` on Python 3.13 (the target); ``plain`` needs nothing."""
    return build_wheelhouse(tmp_path_factory.mktemp("retry-wheels"), {
        "splitdep": {"1.0": ["py3-none-any"]},
        "onpypy": {"1.0": ["py3-none-any"], "1.1": ["py3-none-any"]},
        "on314": {"1.0": ["py3-none-any"]},
        "on313": {"1.0": ["py3-none-any"]},
        "plain": {"1.0": ["py3-none-any"], "2.0": ["py3-none-any"]},
    }, {
        ("onpypy", "1.0"): ["splitdep>=2; platform_python_implementation == 'PyPy'"],
        ("onpypy", "1.1"): ["splitdep>=2; platform_python_implementation == 'PyPy'"],
        ("on314", "1.0"): ["splitdep>=2; python_version >= '3.14'"],
        ("on313", "1.0"): ["splitdep>=2; python_version == '3.13'"],
    })


def migrate(root: Path, wheels: Path, *extra: str, env: dict | None = None, offline: bool = True):
    args = ["run", str(root), "--find-links", str(wheels), "--no-codemods", "--format", "json", *extra]
    if offline:
        args.insert(2, "--offline")
    return run_migrate(*args, env=env)


# -- retry rules -------------------------------------------------------------------------------------
@pytest.mark.parametrize("dep, excluded, environment", [
    ("onpypy", "platform_python_implementation == 'PyPy'", "platform_python_implementation != 'PyPy'"),
    ("on314", "python_full_version >= '3.14'", "python_full_version < '3.14'"),
])
def test_a_split_the_project_does_not_target_is_left_out_and_said(tmp_path, wheels, dep, excluded, environment):
    root = poetry_project(tmp_path, {dep: "*", "plain": "*"}, {dep: "1.0", "plain": "1.0"})
    proc = migrate(root, wheels)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    report = json.loads(proc.stdout)
    text = (root / "pyproject.toml").read_text()
    uv = tomllib.loads(text)["tool"]["uv"]
    assert uv["environments"] == [environment]
    assert "# migrate: uv could not lock for " + excluded in text  # written with a comment
    assert "widen by editing or removing `environments`" in text
    warning = [w for w in report["warnings"] if w["code"] == "MIG210"]
    assert len(warning) == 1 and excluded in warning[0]["message"] and "widen" in warning[0]["message"]
    assert report["lock"]["excluded_environments"][0]["marker"] == excluded
    # nothing dropped: every dependency and every old pin is still there
    lock = tomllib.loads((root / "uv.lock").read_text())
    versions = {p["name"]: p["version"] for p in lock["package"]}
    assert versions[dep] == "1.0" and versions["plain"] == "1.0"
    assert lock["resolution-markers"] == [environment] or lock.get("supported-markers") == [environment]
    assert set(tomllib.loads(text)["project"]["dependencies"]) == {dep, "plain"}


def test_a_failure_for_the_target_itself_is_never_narrowed(tmp_path, wheels):
    root = poetry_project(tmp_path, {"on313": "*"}, {"on313": "1.0"})
    before = tree_digest(root)
    proc = migrate(root, wheels)
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    failure = report["lock"]["failure"]
    assert failure["class"] == "resolution"
    assert any("No solution found" in line for line in failure["uv"])  # uv's own words
    assert any("on313" in line for line in failure["uv"])
    assert "migrate-lock-" not in proc.stdout  # the staging folder never shows
    assert tree_digest(root) == before


def test_text_output_shows_uv_lines_and_the_class(tmp_path, wheels):
    root = poetry_project(tmp_path, {"on313": "*"}, {})
    proc = run_migrate("run", str(root), "--offline", "--find-links", str(wheels), "--no-codemods")
    assert proc.returncode == 1
    assert "failed [resolution]" in proc.stderr and "No solution found" in proc.stderr
    assert "migrate-lock-" not in proc.stderr


# -- interpreters --------------------------------------------------------------------------------------
MISSING = "==3.12.5"  # pyenv/uv/the system have other 3.12s, not this one


def _installed(version: str) -> bool:
    from migrate.lock.lock import find_interpreter

    return find_interpreter(version) is not None


@pytest.mark.skipif(_installed(MISSING), reason=f"an interpreter {MISSING} is installed here")
@pytest.mark.parametrize("how", ["env", "uv.toml", "pyproject"])
def test_downloads_forbidden_by_configuration_names_versions_and_the_install_command(tmp_path, wheels, how):
    root = poetry_project(tmp_path, {"plain": "*"}, {"plain": "1.0"}, python="3.12.5",
                          extra='\n[tool.uv]\npython-downloads = "never"\n' if how == "pyproject" else "")
    env = {"UV_PYTHON_DOWNLOADS": "never"} if how == "env" else {}
    if how == "uv.toml":
        (root / "uv.toml").write_text('python-downloads = "never"\n')
    before = tree_digest(root)
    proc = migrate(root, wheels, env=env)
    assert proc.returncode == 1, proc.stdout
    failure = json.loads(proc.stdout)["lock"]["failure"]
    assert failure["class"] == "interpreter"
    assert "'==3.12.5'" in failure["message"] and "disabled" in failure["message"]
    where = {"env": "UV_PYTHON_DOWNLOADS", "uv.toml": "uv.toml", "pyproject": "pyproject.toml"}[how]
    assert where in failure["message"]
    assert "uv python install 3.12.5" in failure["hint"]
    assert failure["uv"], "uv's own lines are shown"
    assert tree_digest(root) == before


@pytest.mark.skipif(_installed(MISSING), reason=f"an interpreter {MISSING} is installed here")
def test_downloads_allowed_lets_uv_try_to_download(tmp_path, wheels):
    """No installed 3.12.5 and downloads allowed (uv's default): uv itself goes for a download — here
    from a mirror folder that does not exist, so it fails, and says where it looked."""
    root = poetry_project(tmp_path, {"plain": "*"}, {"plain": "1.0"}, python="3.12.5")
    mirror = tmp_path / "no-mirror"
    proc = migrate(root, wheels, offline=False,
                   env={"UV_PYTHON_INSTALL_MIRROR": mirror.as_uri(), "UV_NO_CONFIG": "1"})
    assert proc.returncode == 1, proc.stdout
    failure = json.loads(proc.stdout)["lock"]["failure"]
    assert failure["class"] == "interpreter", failure
    assert "uv could not download one" in failure["message"]
    assert any("no-mirror" in line for line in failure["uv"]), failure["uv"]  # the download was attempted
    assert "uv python install 3.12.5" in failure["hint"]


def test_python_downloads_setting_precedence(tmp_path, monkeypatch):
    monkeypatch.delenv("UV_PYTHON_DOWNLOADS", raising=False)
    monkeypatch.delenv("UV_CONFIG_FILE", raising=False)
    monkeypatch.delenv("UV_OFFLINE", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.setenv("XDG_CONFIG_DIRS", str(tmp_path / "sys"))
    assert python_downloads(tmp_path)[0] in ("automatic", "never", "manual")  # /etc/uv may say something
    (tmp_path / "cfg" / "uv").mkdir(parents=True)
    (tmp_path / "cfg" / "uv" / "uv.toml").write_text('python-downloads = "manual"\n')
    assert python_downloads(tmp_path) == ("manual", str(tmp_path / "cfg" / "uv" / "uv.toml"))
    (tmp_path / "uv.toml").write_text('python-downloads = "never"\n')
    assert python_downloads(tmp_path) == ("never", str(tmp_path / "uv.toml"))  # project over user
    monkeypatch.setenv("UV_PYTHON_DOWNLOADS", "automatic")
    assert python_downloads(tmp_path) == ("automatic", "UV_PYTHON_DOWNLOADS")  # environment over files


# -- uv runs and the summary -------------------------------------------------------------------------
def test_common_case_runs_uv_at_most_twice_and_leaves_no_pins(tmp_path, wheels):
    root = poetry_project(tmp_path, {"plain": "*"}, {"plain": "1.0"})
    proc = migrate(root, wheels)
    assert proc.returncode == 0, proc.stderr
    lock = json.loads(proc.stdout)["lock"]
    assert [r["args"] for r in lock["uv_runs"]] == [["lock"], ["lock", "--check"]]
    assert "constraint-dependencies" not in (root / "pyproject.toml").read_text()
    assert "constraints" not in tomllib.loads((root / "uv.lock").read_text()).get("manifest", {})


def test_json_carries_the_package_table(tmp_path, wheels):
    # plain pinned at 1.0 (kept), onpypy absent from the old lock (added), gone pinned (removed),
    # splitdep pinned at a version that does not exist (changed, with the reason)
    root = poetry_project(tmp_path, {"plain": "*", "on314": "*", "splitdep": "*"},
                          {"plain": "1.0", "gone": "3.0", "splitdep": "0.9"})
    proc = migrate(root, wheels)
    assert proc.returncode == 0, proc.stderr
    lock = json.loads(proc.stdout)["lock"]
    rows = {r["name"]: r for r in lock["packages"]}
    assert (rows["plain"]["status"], rows["plain"]["old"], rows["plain"]["new"]) == ("kept", ["1.0"], ["1.0"])
    assert (rows["on314"]["status"], rows["on314"]["old"]) == ("added", None)
    assert (rows["gone"]["status"], rows["gone"]["new"]) == ("removed", None)
    assert rows["splitdep"]["status"] == "changed" and rows["splitdep"]["new"] == ["1.0"]
    assert "0.9" in str(rows["splitdep"]["old"]) and rows["splitdep"]["reason"]
    assert lock["counts"] == {"changed": 1, "added": 1, "removed": 1, "kept": 1, "ft_moves": 0, "locked": 3}


def test_dry_run_summarises_lock_files(tmp_path, wheels):
    root = poetry_project(tmp_path, {"plain": "*"}, {"plain": "1.0"})
    size = (root / "poetry.lock").stat().st_size
    proc = run_migrate("run", str(root), "--dry-run", "--offline", "--find-links", str(wheels), "--no-codemods")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert f"poetry.lock: deleted ({size:,} bytes" in out
    assert "uv.lock (new): 1 packages locked — 1 kept, 0 changed, 0 added, 0 removed" in out
    assert "  kept     plain  1.0" in out
    assert "+++ b/uv.lock" not in out and "[[package]]" not in out  # no raw lock diff
    assert "--- a/pyproject.toml" in out  # other files are still diffed
    raw = run_migrate("run", str(root), "--dry-run", "--offline", "--find-links", str(wheels), "--no-codemods",
                      "--lock-diff")
    assert "+++ b/uv.lock" in raw.stdout and "-[[package]]" in raw.stdout  # both locks, line by line


# -- units -------------------------------------------------------------------------------------------
def test_failing_markers_from_uv_messages():
    split = ("error: No solution found when resolving dependencies for split (markers: python_full_version >= "
             "'3.14' and sys_platform == 'win32')\n  cause: Because ...")
    assert failing_markers(split) == ["python_full_version >= '3.14' and sys_platform == 'win32'"]
    cond = ("error: No solution found when resolving dependencies\n  cause: Because only x{platform_python_"
            "implementation == 'PyPy'}==1.0 is available and all versions of y depend on x{platform_python_"
            "implementation == 'PyPy'}>=2, ...")
    assert failing_markers(cond) == ["platform_python_implementation == 'PyPy'"]
    assert failing_markers("error: No solution found when resolving dependencies\n  cause: Because x>=2 ...") == []


@pytest.mark.parametrize("marker, ok", [
    ("platform_python_implementation == 'PyPy'", True),
    ("implementation_name == 'pypy'", True),
    ("platform_python_implementation == 'CPython'", False),
    ("python_full_version >= '3.14'", True),
    ("python_version >= '3.14' and sys_platform == 'linux'", True),  # a part of an excludable region
    ("python_full_version >= '3.13.2'", False),  # the target 3.13 itself
    ("python_version < '3.12'", False),
    ("sys_platform == 'emscripten'", True),
    ("sys_platform == 'win32'", True),  # the old lock had linux wheels only
    ("sys_platform == 'linux'", False),
    ("sys_platform == 'darwin' or python_version < '3.11'", False),  # one part is needed
])
def test_which_environments_may_be_left_out(marker, ok):
    assert (exclusion(marker, "3.13", ">=3.10", {"linux", "any"}, set()) is not None) is ok
    if ok:
        assert negate(marker)


def test_a_python_split_is_kept_when_nothing_else_would_be_left():
    assert exclusion("python_full_version >= '3.14'", "3.13", ">=3.14", set(), set()) is None


def test_a_platform_is_kept_when_a_pin_names_it_or_the_old_lock_built_for_it():
    assert exclusion("sys_platform == 'win32'", "3.13", ">=3.10", {"linux", "win"}, set()) is None
    assert exclusion("sys_platform == 'win32'", "3.13", ">=3.10", {"linux"}, {"win32"}) is None
    assert exclusion("sys_platform == 'win32'", "3.13", ">=3.10", set(), set()) is None  # nothing known


@pytest.mark.parametrize("stderr, kind", [
    ("error: No solution found when resolving dependencies:\n  ╰─▶ Because foo==9 was not found", "resolution"),
    ("error: Failed to fetch: `https://pypi.org/simple/foo/`\n  Caused by: dns error", "network"),
    ("error: Git operation failed\n  Caused by: failed to clone into: /x", "network"),
    ("error: Failed to build `foo==1.0`\n  Caused by: The build backend returned an error", "build"),
    ("error: No interpreter found for Python ==3.12.5 in managed installations or search path", "interpreter"),
    ("error: something new", "other"),
])
def test_classify(stderr, kind):
    assert classify(stderr) == kind


def test_trim_replaces_the_staging_path_and_drops_noise():
    stderr = ("Using CPython 3.12.1 interpreter at: /x\nResolved 3 packages in 1ms\n"
              "error: Failed to build `app @ file:///tmp/migrate-lock-abc/app`\n" + "  line\n" * 30)
    lines = trim(stderr, {"/tmp/migrate-lock-abc/app": "/home/u/app"})
    assert lines[0] == "error: Failed to build `app @ file:///home/u/app`"
    assert len(lines) == 21 and lines[-1].startswith("…")


def test_batch_table_is_plain_and_whole_when_stderr_is_not_a_terminal(tmp_path, wheels):
    long = "a-project-with-a-really-long-folder-name-that-would-not-fit-in-eighty-columns"
    root = poetry_project(tmp_path, {"plain": "*"}, {"plain": "1.0"})
    (tmp_path / "repos").mkdir()
    root.rename(tmp_path / "repos" / long)
    proc = run_migrate("batch", str(tmp_path / "repos"), "--offline", "--find-links", str(wheels), "--no-codemods",
                       "--dry-run", env={"COLUMNS": "60"})
    assert proc.returncode == 0, proc.stderr
    assert "…" not in proc.stderr
    row = next(line for line in proc.stderr.splitlines() if line.startswith(long))
    assert row.split()[1:3] == ["poetry", "would-change"]
    header = next(line for line in proc.stderr.splitlines() if line.startswith("project"))
    assert header.split() == ["project", "format", "status", "warnings", "blockers", "fixes", "time"]


def test_batch_report_carries_the_failure_class_and_uv_lines(tmp_path, wheels):
    (tmp_path / "repos").mkdir()
    ok = poetry_project(tmp_path, {"plain": "*"}, {"plain": "1.0"})
    ok.rename(tmp_path / "repos" / "ok")
    bad = poetry_project(tmp_path, {"on313": "*"}, {})
    bad.rename(tmp_path / "repos" / "bad")
    report = tmp_path / "report.json"
    proc = run_migrate("batch", str(tmp_path / "repos"), "--offline", "--find-links", str(wheels), "--no-codemods",
                       "--dry-run", "--report", str(report), "--jobs", "2")
    assert proc.returncode == 1
    records = {r["path"]: r for r in json.loads(report.read_text())["projects"]}
    assert records["bad"]["error_class"] == "resolution", (records["bad"], proc.stderr)
    assert any("No solution found" in line for line in records["bad"]["uv"])
    assert records["ok"]["error_class"] is None and records["ok"]["status"] == "would-change"
    assert "bad [resolution]:" in proc.stderr and "(1 resolution)" in proc.stderr


def test_normal_output_shows_the_lock_summary_without_kept_rows(tmp_path, wheels):
    root = poetry_project(tmp_path, {"plain": "*", "on314": "*"}, {"plain": "1.0"})
    proc = run_migrate("run", str(root), "--offline", "--find-links", str(wheels), "--no-codemods", "--allow-dirty")
    assert proc.returncode == 0, proc.stderr
    assert "uv.lock (new): 2 packages locked — 1 kept, 0 changed, 1 added, 0 removed" in proc.stderr
    assert "  added    on314" in proc.stderr and "kept     plain" not in proc.stderr


BACKEND = metadata_backend("oldpkg", "1.0", """\
    if sys.version_info >= (3, 12):
        raise RuntimeError("oldpkg does not build on Python >= 3.12 (it imports distutils)")
""")


def test_an_sdist_that_only_builds_on_an_older_python_locks_with_one(tmp_path, wheels):
    import io
    import tarfile

    from packaging.version import Version

    from migrate.lock.lock import find_interpreter, oldest_interpreter

    oldest = oldest_interpreter(">=3.10")
    newest = find_interpreter(">=3.10", prefer="3.13")
    if not oldest or Version(oldest[1]) >= Version("3.12") or Version(newest[1]) < Version("3.12"):
        pytest.skip("needs an installed Python < 3.12 and one >= 3.12")
    folder = tmp_path / "sdists"
    folder.mkdir()
    files = {"oldpkg-1.0/PKG-INFO": "Metadata-Version: 2.1\nName: oldpkg\nVersion: 1.0\n",
             "oldpkg-1.0/pyproject.toml": '[build-system]\nrequires = []\nbuild-backend = "backend"\n'
                                          'backend-path = ["."]\n',
             "oldpkg-1.0/backend.py": BACKEND}
    with tarfile.open(folder / "oldpkg-1.0.tar.gz", "w:gz") as tf:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    root = poetry_project(tmp_path, {"oldpkg": "*", "plain": "*"}, {"oldpkg": "1.0", "plain": "1.0"})
    proc = run_migrate("run", str(root), "--offline", "--find-links", str(wheels), "--find-links", str(folder),
                       "--no-codemods", "--format", "json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lock = json.loads(proc.stdout)["lock"]
    assert lock["interpreter"] == oldest[1] and "did not build" in lock["interpreter_note"]
    versions = {p["name"]: p["version"] for p in tomllib.loads((root / "uv.lock").read_text())["package"]}
    assert versions["oldpkg"] == "1.0" and versions["plain"] == "1.0"  # the pins are kept, nothing dropped


def test_a_path_dependency_on_a_folder_that_contains_the_project_locks(tmp_path, wheels):
    """A monorepo's root package used by a project below it (``path = "../.."``)."""
    mono = tmp_path / "mono"
    mono.mkdir()
    (mono / "pyproject.toml").write_text('[project]\nname = "rootpkg"\nversion = "1.0"\ndependencies = ["plain"]\n\n'
                                         '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n')
    app = poetry_project(tmp_path, {"plain": "*", "rootpkg": '{ path = "../..", develop = true }'.replace('"', "'")},
                         {"plain": "1.0"})
    text = (app / "pyproject.toml").read_text().replace("rootpkg = \"{ path = '../..', develop = true }\"",
                                                        'rootpkg = { path = "../..", develop = true }')
    (mono / "envs").mkdir()
    (app / "pyproject.toml").write_text(text)
    app.rename(mono / "envs" / "app")
    root = mono / "envs" / "app"
    proc = migrate(root, wheels)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lock = tomllib.loads((root / "uv.lock").read_text())
    sources = {p["name"]: p["source"] for p in lock["package"]}
    assert sources["rootpkg"] == {"editable": "../../"}
