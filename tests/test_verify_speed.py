"""What makes `migrate verify` fast must not change what it proves.

- the inventory read here from the environment's site-packages equals the one the environment's own
  interpreter makes (real ``uv sync`` of local wheels and of an editable project built by a real in-tree
  PEP 517 backend, offline);
- the import check keeps bytecode only under the folder it is given (the throw-away environment), never in
  the project or the interpreter's own library, and nothing at all without that folder;
- importing some modules first in an interpreter of their own (``lead``) gives the same result per module,
  a GIL flip still attributed to the module that caused it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from wheelhouse import build_wheel, gil_wheelhouse

from migrate.lock.lock import find_interpreter, uv_bin
from migrate.verify import imports as imp
from migrate.verify.env import env_python, sync

FT = os.environ.get("MIGRATE_FT_PYTHON")

BACKEND = r'''
"""A PEP 517 backend in the project's tree (no build requirements, works offline): the editable wheel
is a .pth file naming src/, as hatchling's and uv_build's are."""
import base64, hashlib, os, zipfile

NAME, VERSION = "edapp", "0.1.0"


def _line(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def _wheel(directory, files):
    info = f"{NAME}-{VERSION}.dist-info"
    files = dict(files)
    files[f"{info}/METADATA"] = f"Metadata-Version: 2.1\nName: {NAME}\nVersion: {VERSION}\n".encode()
    files[f"{info}/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: inline\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    record = [_line(p, d) for p, d in files.items()] + [f"{info}/RECORD,,"]
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    name = f"{NAME}-{VERSION}-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(directory, name), "w") as zf:
        for p, d in files.items():
            zf.writestr(p, d)
    return name


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    with open("src/edapp/__init__.py", "rb") as f:
        return _wheel(wheel_directory, {"edapp/__init__.py": f.read()})


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    return _wheel(wheel_directory, {"_edapp.pth": (os.path.abspath("src") + "\n").encode()})
'''


def _single_module_wheel(folder: Path) -> None:
    """A wheel with a top-level .py module and a top_level.txt (the other two ways modules are found)."""
    import zipfile

    from wheelhouse import _record_line

    info = "solo-2.0.dist-info"
    files = {"solo.py": b"X = 1\n", "solo_extra/__init__.py": b"",
             f"{info}/METADATA": b"Metadata-Version: 2.1\nName: solo\nVersion: 2.0\n",
             f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: t\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
             f"{info}/top_level.txt": b"solo\nsolo_extra\n"}
    record = [_record_line(p, d) for p, d in files.items()] + [f"{info}/RECORD,,"]
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    with zipfile.ZipFile(folder / "solo-2.0-py3-none-any.whl", "w") as zf:
        for p, d in files.items():
            zf.writestr(p, d)


@pytest.fixture(autouse=True)
def _uv_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "uv-cache"))
    monkeypatch.setenv("UV_PYTHON_DOWNLOADS", "never")


def _interpreters() -> list[str]:
    found = find_interpreter(">=3.10")
    out = [found[0]] if found else []
    if FT:
        out.append(FT)
    return out


@pytest.fixture(scope="module")
def synced_env(tmp_path_factory) -> dict[str, tuple[Path, Path]]:
    """{interpreter: (project, environment python)}: an editable project (.pth) with two wheel
    dependencies, synced for real with each interpreter available."""
    base = tmp_path_factory.mktemp("inventory")
    wheels = base / "wheels"
    wheels.mkdir()
    build_wheel(wheels, "alpha-pkg", "1.0", "py3-none-any")
    _single_module_wheel(wheels)
    out = {}
    for i, python in enumerate(_interpreters()):
        root = base / f"edapp{i}"
        (root / "src" / "edapp").mkdir(parents=True)
        (root / "src" / "edapp" / "__init__.py").write_text("VALUE = 1\n")
        (root / "backend.py").write_text(BACKEND)
        (root / "pyproject.toml").write_text(
            '[project]\nname = "edapp"\nversion = "0.1.0"\nrequires-python = ">=3.10"\n'
            'dependencies = ["alpha-pkg", "solo"]\n\n'
            '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n')
        proc = subprocess.run([uv_bin(), "lock", "--offline", "--find-links", str(wheels), "--python", python],
                              cwd=root, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        synced = sync(root, python, root.parent / f"env{i}", extra=["--offline", "--find-links", str(wheels)])
        assert synced.ok, synced.error
        out[python] = (root, env_python(Path(synced.environment)))
    if not out:
        pytest.skip("no Python >= 3.10 interpreter found")
    return out


def test_inventory_read_here_equals_the_environment_interpreters_own(synced_env):
    for python, (root, env_py) in synced_env.items():
        site = imp.site_packages(env_py)
        assert site is not None and site.parent.parent.parent == env_py.parent.parent, python
        here = sorted(imp.inventory(env_py), key=lambda d: d.name)
        there = sorted(imp._inventory_in(env_py), key=lambda d: d.name)
        assert here == there, python
        by = {d.name: d for d in here}
        assert set(by) == {"alpha-pkg", "solo", "edapp"}
        assert by["alpha-pkg"].modules == ["alpha_pkg"] and by["alpha-pkg"].tags == ["py3-none-any"]
        assert by["solo"].modules == ["solo", "solo_extra"] and by["solo"].version == "2.0"
        # the editable project: its modules come from the folder its .pth file names
        assert by["edapp"].editable and by["edapp"].modules == ["edapp"]
        assert by["edapp"].direct_url["dir_info"] == {"editable": True}
        assert str(root / "src") in imp.path_entries(site)


def test_scan_reads_name_version_and_files_as_importlib_metadata_does(synced_env):
    """The scan reads METADATA's header lines and RECORD itself (no email parser, no path object per
    file): the same as ``d.metadata``, ``d.version``, ``d.files`` on every distribution here — the synced
    environments and the one running these tests (real wheels from PyPI)."""
    import importlib.metadata as md
    import sysconfig

    namespace: dict = {"__name__": "scan_test"}
    exec(compile(imp._INVENTORY, "<inventory>", "exec"), namespace)
    folders = [sysconfig.get_path("purelib")]
    for _root, env_py in synced_env.values():
        folders += imp.path_entries(imp.site_packages(env_py))
    seen = 0
    for d in md.distributions(path=folders):
        assert namespace["headers"](d) == {"Name": d.metadata["Name"], "Version": d.version}, d._path
        assert namespace["record"](d) == [str(f) for f in (d.files or [])], d._path
        seen += 1
    assert seen > 20


def test_inventory_falls_back_to_the_interpreter_outside_a_virtual_environment():
    # the interpreter running the tests is not inside a folder with pyvenv.cfg beside bin/: no site folder
    # guess is made; the answer comes from the interpreter itself
    base = Path(sys.base_prefix) / "bin" / "python3"
    if not base.exists():
        pytest.skip("no base interpreter at bin/python3")
    assert imp.site_packages(base) is None
    names = {d.name.lower() for d in imp.inventory(base)}
    assert names == {d.name.lower() for d in imp._inventory_in(base)}


def _pycs(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*.pyc")}


def test_import_check_keeps_bytecode_only_in_the_folder_it_is_given(synced_env, monkeypatch):
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")  # as on the machines here: the check writes anyway
    python = next(iter(synced_env))
    root, env_py = synced_env[python]
    env = env_py.parent.parent
    (root / "own_mod.py").write_text("import json\n")  # a module of the project's own tree
    stdlib = Path(subprocess.run([str(env_py), "-c", "import sysconfig; print(sysconfig.get_path('stdlib'))"],
                                 capture_output=True, text=True, check=True).stdout.strip())
    for p in _pycs(env):
        p.unlink()
    stdlib_before = _pycs(stdlib)
    dists = imp.inventory(env_py)
    targets = imp.modules_of(dists) + [("own_mod", dists[0])]

    results = imp.check(env_py, targets, jobs=1, cwd=str(root))
    assert {r.status for r in results} == {imp.OK}
    assert _pycs(env) == set() and _pycs(root) == set()  # nothing written without the folder

    results = imp.check(env_py, targets, jobs=2, cwd=str(root), bytecode_under=str(env))
    assert {r.module: r.status for r in results} == {m: imp.OK for m, _ in targets}
    written = {p.relative_to(env).parts[-3:] for p in _pycs(env)}
    tag = json.loads(subprocess.run([str(env_py), "-c", "import sys, json; print(json.dumps(sys.implementation.cache_tag))"],
                                    capture_output=True, text=True, check=True).stdout)
    for package in ("alpha_pkg", "solo_extra"):
        assert (package, "__pycache__", f"__init__.{tag}.pyc") in written
    assert ("site-packages", "__pycache__", f"solo.{tag}.pyc") in written
    assert _pycs(root) == set()  # not the project's own modules (edapp via .pth, own_mod)
    assert _pycs(stdlib) == stdlib_before
    # a later interpreter reads that bytecode: the result is the same
    again = imp.check(env_py, targets, jobs=1, cwd=str(root), bytecode_under=str(env))
    assert [r.to_json() for r in again] == [r.to_json() for r in results]


def test_default_jobs_leave_a_cpu_to_the_test_run(monkeypatch):
    monkeypatch.setattr(imp, "cpus", lambda: 2)
    assert imp.default_jobs() == 2 and imp.default_jobs(busy=1) == 1 and imp.default_jobs(busy=3) == 1
    monkeypatch.setattr(imp, "cpus", lambda: 16)
    assert imp.default_jobs(busy=1) == 8


@pytest.mark.skipif(not FT or shutil.which("gcc") is None, reason="needs MIGRATE_FT_PYTHON and gcc")
def test_lead_modules_first_keep_the_flip_attributed(tmp_path):
    wheels = gil_wheelhouse(tmp_path / "wheels", FT, {"speedy": {"1.0": False}, "calm": {"1.0": True}})
    build_wheel(wheels, "plain", "1.0", "py3-none-any")
    root = tmp_path / "app"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "app"\nversion = "0.1.0"\nrequires-python = ">=3.13"\n'
                                         'dependencies = ["calm", "speedy", "plain"]\n[tool.uv]\npackage = false\n')
    proc = subprocess.run([uv_bin(), "lock", "--offline", "--find-links", str(wheels), "--python", FT], cwd=root,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    synced = sync(root, FT, tmp_path / "env", extra=["--offline", "--find-links", str(wheels)])
    assert synced.ok, synced.error
    env_py = env_python(Path(synced.environment))
    targets = imp.modules_of(imp.inventory(env_py))
    assert [m for m, _ in targets] == ["calm", "plain", "speedy"]
    plain = [r.to_json() for r in imp.check(env_py, targets, jobs=1)]
    order: list[str] = []
    for lead in (["speedy"], ["speedy", "calm"], ["plain"]):
        order.clear()
        got = imp.check(env_py, targets, jobs=1, lead=lead, on_done=order.append, bytecode_under=synced.environment)
        assert [r.to_json() for r in got] == plain, lead  # same result per module, in the targets' order
        assert set(order) == {"calm", "plain", "speedy"}
    by = {r["module"]: r for r in plain}
    assert by["speedy"]["status"] == imp.ENABLES_GIL and "speedy._speed" in by["speedy"]["detail"]
    assert by["calm"]["status"] == imp.OK and by["plain"]["status"] == imp.OK


def _wheel_from_installed(name: str, folder: Path) -> None:
    """A wheel of the distribution ``name`` installed here, rebuilt from its RECORD (the real files:
    pytest and what it needs, offline)."""
    import importlib.metadata as md
    import zipfile

    from wheelhouse import _record_line

    d = md.distribution(name)
    info = next(str(f).split("/")[0] for f in d.files if str(f).endswith(".dist-info/METADATA"))
    files = {}
    for f in d.files:
        rel = str(f)
        if rel.startswith("..") or "__pycache__" in rel or rel.endswith(".pyc") or rel in (
                f"{info}/RECORD", f"{info}/INSTALLER", f"{info}/REQUESTED", f"{info}/direct_url.json"):
            continue
        files[rel] = Path(f.locate()).read_bytes()
    record = [_record_line(p, data) for p, data in files.items()] + [f"{info}/RECORD,,"]
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    dist = info[:-len(".dist-info")]
    with zipfile.ZipFile(folder / f"{dist}-py3-none-any.whl", "w") as zf:
        for p, data in files.items():
            zf.writestr(p, data)


@pytest.mark.skipif(not FT, reason="needs MIGRATE_FT_PYTHON")
def test_verify_with_pytest_runs_the_tests_after_pytest_is_imported(tmp_path):
    """The whole schedule with a real pytest: pytest's modules imported first, the free-threaded test run
    started from the import check's progress, the rest imported beside it; every module checked, the tests
    counted, the project tree untouched by the import check's bytecode."""
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    for name in ("pytest", "pluggy", "iniconfig", "packaging", "pygments"):
        _wheel_from_installed(name, wheels)
    build_wheel(wheels, "alpha-pkg", "1.0", "py3-none-any")
    root = tmp_path / "app"
    (root / "tests").mkdir(parents=True)
    (root / "app.py").write_text("import alpha_pkg\nVALUE = 2\n")
    (root / "tests" / "test_app.py").write_text(
        "import app\n\ndef test_value():\n    assert app.VALUE == 2\n\ndef test_other():\n    assert app.alpha_pkg\n")
    (root / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "0.1.0"\nrequires-python = ">=3.13"\ndependencies = ["alpha-pkg"]\n\n'
        '[dependency-groups]\ndev = ["pytest"]\n\n[tool.uv]\npackage = false\nenvironments = ["sys_platform == \'linux\'"]\n')
    proc = subprocess.run([uv_bin(), "lock", "--offline", "--find-links", str(wheels), "--python", FT], cwd=root,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    from conftest import run_migrate, tree_digest

    before = tree_digest(root)
    proc = run_migrate("verify", str(root), "--python", FT, "--format", "json",
                       env={"UV_OFFLINE": "1", "UV_FIND_LINKS": str(wheels), "PYTHONDONTWRITEBYTECODE": "1"})
    report = json.loads(proc.stdout)
    statuses = {r["module"]: r["status"] for r in report["imports"]}
    assert {"pytest", "_pytest", "pluggy", "iniconfig", "packaging", "pygments", "alpha_pkg", "app"} <= set(statuses)
    assert set(statuses.values()) == {"ok"}, report["imports"]
    assert report["tests"]["ft"]["passed"] == 2 and report["tests"]["ft"]["failed"] == 0
    assert report["verdict"] == "ready" and proc.returncode == 0, report["reasons"]
    assert tree_digest(root) == before  # (PYTHONDONTWRITEBYTECODE=1 for the tests, as the user set it)
