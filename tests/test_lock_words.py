"""One word for one fact: a pin is judged from the files uv.lock will list for it.

uv lists in uv.lock only the files that can run on a Python the project's ``requires-python`` admits
(:func:`migrate.lock.freethreading.uv_lock_files`); the old lock lists every file. A pin whose only wheels
are for Pythons the project excludes (cp38 wheels and an sdist, ``requires-python >= 3.10``) ships only
an sdist as far as the project is concerned: it is ``sdist-only`` (MIG204) whether it is judged from
poetry.lock before uv runs or from uv.lock after, never a ``blocker`` (MIG203) in one and not the other.
Real uv, offline, against local wheels.
"""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from pathlib import Path

import pytest

from conftest import run_migrate
from projects import poetry_project
from wheelhouse import build_wheelhouse

from migrate.lock.freethreading import classify, judged_pins, runnable_pins, uv_lock_files
from migrate.lock.lock import uv_bin
from migrate.model import Pin

pytestmark = pytest.mark.usefixtures("shared_uv_cache")

LINUX = "manylinux_2_17_x86_64"


# -- the filter: what uv keeps ----------------------------------------------------------------------
@pytest.mark.parametrize("tag, kept", [
    ("cp38-cp38-" + LINUX, False),        # below the lower bound: only Python 3.8 loads it
    ("cp38-cp38m-win32", False),
    ("cp310-cp310-" + LINUX, True),
    ("cp37-abi3-" + LINUX, True),         # the stable ABI: every later CPython loads it
    ("py2.py3-none-any", True),           # py3 runs anywhere
    ("py2-none-any", False),              # Python 2 never
    ("cp27-cp27mu-" + LINUX, False),
    ("cp313-cp313t-" + LINUX, True),      # the free-threaded build of an admitted Python
    ("cp314-cp314t-" + LINUX, False),     # above the upper bound (< 3.14)
    ("cp39-none-" + LINUX, False),        # cpXY-none is for that Python only
    ("py38-none-any", True),              # pyXY is a floor
    ("py314-none-any", False),            # ... above the upper bound
    ("pp38-pypy38_pp73-" + LINUX, False),
    ("pp310-pypy310_pp73-" + LINUX, True),
    ("cp310.cp38-cp310.cp38-" + LINUX, True),  # compressed: kept when one of its tags is
])
def test_a_wheel_stays_when_a_python_the_project_admits_can_run_it(tag, kept):
    name = f"pkg-1.0-{tag}.whl"
    assert uv_lock_files([name], ">=3.10,<3.14") == ([name] if kept else [])


def test_bounds_are_read_as_uv_reads_them():
    files = ["p-1-cp310-cp310-win32.whl", "p-1-cp312-cp312-win32.whl", "p-1-py312-none-any.whl"]
    assert uv_lock_files(files, ">=3.10.4,<3.12") == files[:1]   # a patch lower bound counts as its minor
    assert uv_lock_files(files, ">=3.10,<3.12.1") == files       # 3.12.0 is admitted
    assert uv_lock_files(files, "==3.12.*") == files[1:]
    assert uv_lock_files(files, "~=3.11.2") == []
    assert uv_lock_files(files, ">3.10,!=3.12.*") == files        # holes are not looked at
    assert uv_lock_files(files, None) == files
    assert uv_lock_files(["p-1.0.tar.gz", "p-1.0.zip", "odd.whl"], ">=3.10") == ["p-1.0.tar.gz", "p-1.0.zip",
                                                                                 "odd.whl"]


@pytest.mark.parametrize("files, status", [
    (["n-1.0-cp38-cp38-" + LINUX + ".whl", "n-1.0.tar.gz"], "sdist-only"),    # cp38 only + sdist
    (["n-1.0-cp37-abi3-" + LINUX + ".whl", "n-1.0.tar.gz"], "blocker"),       # abi3: kept, not for 3.13t
    (["n-1.0-py2.py3-none-any.whl"], "pure"),
    (["n-1.0-cp313-cp313t-" + LINUX + ".whl", "n-1.0-cp38-cp38-" + LINUX + ".whl"], "ft-wheels"),
    (["n-1.0.tar.gz"], "sdist-only"),                                         # a pure sdist
])
def test_pins_are_judged_on_the_files_uv_lock_keeps(files, status):
    pins = [Pin("n", "1.0", files=tuple(files))]
    judged = judged_pins(runnable_pins(pins, ">=3.10,<4.0"), "3.13")
    assert [classify(p.files, "cp313t") for p in judged] == [status]


def test_a_pin_with_no_file_uv_would_keep_is_left_to_uv():
    pins = [Pin("n", "1.0", files=("n-1.0-cp38-cp38-win32.whl",)), Pin("m", "2.0")]
    out = runnable_pins(pins, ">=3.10")
    assert out[0].files == () and out[1] is pins[1]
    assert judged_pins(out, "3.13") == []  # nothing to judge before uv runs


def test_the_filter_keeps_what_the_real_uv_lists_in_uv_lock(tmp_path):
    """The same file names through uv itself: what it writes to uv.lock is what the filter keeps."""
    tags = ["cp38-cp38-" + LINUX, "cp37-abi3-" + LINUX, "py2.py3-none-any", "py2-none-any", "cp313-cp313t-" + LINUX,
            "cp39-none-" + LINUX, "py38-none-any", "py312-none-any", "cp310-cp310-" + LINUX,
            "pp38-pypy38_pp73-" + LINUX, "pp310-pypy310_pp73-" + LINUX, "cp314-cp314-" + LINUX, "cp38-cp38m-win32"]
    wheels = build_wheelhouse(tmp_path / "wheels", {"many": {"1.0": tags + ["sdist"]}})
    names = sorted(p.name for p in wheels.iterdir())
    root = tmp_path / "p"
    root.mkdir()
    for spec in (">=3.10.2,<3.14", ">=3.10,<3.12", ">=3.10,<3.12.1", ">3.10", ">=3.8,!=3.9.*"):
        (root / "pyproject.toml").write_text(f'[project]\nname = "p"\nversion = "0"\nrequires-python = "{spec}"\n'
                                             'dependencies = ["many"]\n')
        proc = subprocess.run([uv_bin(), "lock", "--offline", "--no-index", "--find-links", str(wheels)], cwd=root,
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        listed = sorted(set(re.findall(r"many-1\.0[^\"/]*?\.(?:whl|tar\.gz)", (root / "uv.lock").read_text())))
        assert listed == sorted(uv_lock_files(names, spec)), spec


# -- both paths, one word -----------------------------------------------------------------------------
def _without_files(lock: Path) -> None:
    lock.write_text(re.sub(r"files = \[\n(?:    \{[^\n]*\},\n)*\]", "files = []", lock.read_text()))


def test_an_old_python_only_pin_is_sdist_only_before_and_after_uv_runs(tmp_path):
    """``oldnative`` 1.0 has cp38 wheels and an sdist; the project is ``^3.10``. Judged from poetry.lock
    (its fix joins the first resolution) or from uv.lock (the fix needs a second): the same status, the
    same words in the pyproject comment and the warnings, the same lock."""
    wheels = build_wheelhouse(tmp_path / "wheels", {
        "oldnative": {"1.0": ["cp38-cp38-" + LINUX, "sdist"],
                      "1.1": ["cp313-cp313t-" + LINUX, "cp313-cp313-" + LINUX, "sdist"]},
        "plain": {"1.0": ["py3-none-any"]},
    })
    pins = {"oldnative": ("1.0", ["oldnative-1.0-cp38-cp38-" + LINUX + ".whl", "oldnative-1.0.tar.gz"]),
            "plain": "1.0"}
    deps = {"oldnative": "^1.0", "plain": "*"}
    early = poetry_project(tmp_path / "early", deps, pins)
    late = poetry_project(tmp_path / "late", deps, pins)
    _without_files(late / "poetry.lock")
    reports = {}
    for root in (early, late):
        proc = run_migrate("run", str(root), "--offline", "--find-links", str(wheels), "--no-codemods",
                           "--format", "json")
        assert proc.returncode == 0, proc.stderr + proc.stdout
        reports[root] = json.loads(proc.stdout)
    # the early path really judged it early: one resolution, then the check
    assert [r["args"] for r in reports[early]["lock"]["uv_runs"]] == [["lock"], ["lock", "--check"]]
    assert [r["args"] for r in reports[late]["lock"]["uv_runs"]] == [["lock"], ["lock"]]
    text = (early / "pyproject.toml").read_text()
    assert text == (late / "pyproject.toml").read_text()
    assert "# free-threading: oldnative 1.0 ships only an sdist; 1.1 is the nearest with wheels for 3.13t" in text
    assert tomllib.loads(text)["tool"]["uv"]["constraint-dependencies"] == ["oldnative==1.1; python_version == '3.13'"]
    assert (early / "uv.lock").read_text() == (late / "uv.lock").read_text()
    for key in ("ft", "warnings"):
        assert reports[early][key] == reports[late][key], key
    for key in ("changed_pins", "kept_pins", "packages", "counts"):
        assert reports[early]["lock"][key] == reports[late]["lock"][key], key
    assert not any(w["code"] == "MIG203" for w in reports[early]["warnings"])
