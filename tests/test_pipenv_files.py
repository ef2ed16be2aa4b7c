"""Pipfile.lock pins judged before uv runs: their files come from the index page (PEP 691 JSON /
PEP 503 HTML, served here by a local index; or a --find-links folder), picked by the lock's hashes. A
Pipenv project whose pin has no cp313t wheel (a newer version does) then locks in ONE resolution, with
the same result as the two resolutions it needed before."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tomllib
from pathlib import Path

import pytest

from conftest import FIXTURES, run_migrate
from localhttp import QuietHandler, base_url, reply, serve
from wheelhouse import LINUX, build_wheel, demo_wheelhouse

from migrate.lock.index import PAGES, IndexClient
from migrate.lock.pipenvfiles import likely_native, wants_files, with_index_files
from migrate.model import Index, Pin

#: the fixture's pins (lock-pipenv): name -> version
PINNED = {"anative": "1.0", "alpha": "1.1", "beta": "0.5", "ftready": "1.0", "nativeft": "1.0", "sdonly": "1.0"}


@pytest.fixture(scope="module")
def wheels(tmp_path_factory) -> Path:
    """The demo wheels, nativeft 1.0 with a third wheel (cp312): a native package ships several, and a
    pin with exactly two hashes is taken for a pure wheel and its sdist (not looked up before uv runs)."""
    folder = demo_wheelhouse(tmp_path_factory.mktemp("wheels"))
    build_wheel(folder, "nativeft", "1.0", f"cp312-cp312-{LINUX}")
    # a develop pin whose fix sorts before nativeft's (the fixes are written in name order either way)
    for version, tags in (("1.0", ["cp310-cp310", "cp312-cp312", "cp313-cp313"]),
                          ("1.1", ["cp310-cp310", "cp313-cp313", "cp313-cp313t"])):
        for tag in tags:
            build_wheel(folder, "anative", version, f"{tag}-{LINUX}")
    return folder


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class LocalIndex:
    """A PEP 503/691 simple index over a wheel folder: /simple/<name>/ (JSON or HTML as ``kind`` says,
    with each file's sha256) and /files/<file> (the bytes). Counts the project pages asked for."""

    def __init__(self, folder: Path, kind: str) -> None:
        self.asked: list[str] = []
        files: dict[str, list[Path]] = {}
        for p in sorted(folder.iterdir()):
            files.setdefault(p.name.split("-")[0].replace("_", "-"), []).append(p)
        outer = self

        class Handler(QuietHandler):
            def do_GET(self):  # noqa: N802
                parts = self.path.strip("/").split("/")
                if parts[0] == "files" and len(parts) == 2 and (folder / parts[1]).is_file():
                    self._send((folder / parts[1]).read_bytes(), "application/octet-stream")
                    return
                if parts[0] != "simple" or len(parts) != 2 or parts[1] not in files:
                    self.send_error(404)
                    return
                outer.asked.append(parts[1])
                names = files[parts[1]]
                if kind == "json":
                    body = json.dumps({"meta": {"api-version": "1.1"}, "name": parts[1], "files": [
                        {"filename": p.name, "url": f"../../files/{p.name}", "hashes": {"sha256": sha256(p)},
                         "size": p.stat().st_size}
                        for p in names]})
                    self._send(body.encode(), "application/vnd.pypi.simple.v1+json")
                else:
                    links = "".join(f'<a href="../../files/{p.name}#sha256={sha256(p)}">{p.name}</a><br/>'
                                    for p in names)
                    self._send(f"<!DOCTYPE html><html><body>{links}</body></html>".encode(), "text/html")

            def do_HEAD(self):  # noqa: N802 (uv asks whether range requests work: they do not here)
                self.head_only = True
                self.do_GET()

            def _send(self, data: bytes, ctype: str) -> None:
                reply(self, data, ctype, body=not getattr(self, "head_only", False))

        self.server = serve(Handler)
        self.url = f"{base_url(self.server)}/simple"

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture(scope="module", params=["json", "html"])
def index(request, wheels):
    served = LocalIndex(wheels, request.param)
    yield served
    served.close()


def pipenv_project(tmp_path: Path, wheels: Path, hashes: bool = True, extra_hashes: dict | None = None) -> Path:
    """The lock-pipenv fixture with Pipfile.lock hashes: the real sha256 of every file of each pinned
    version (as `pipenv lock` writes them), or ones no file has (``hashes=False``)."""
    root = tmp_path / "app"
    shutil.copytree(FIXTURES / "lock-pipenv", root)
    lock = json.loads((root / "Pipfile.lock").read_text())
    lock["develop"]["anative"] = {"hashes": [], "index": "pypi", "version": "==1.0"}
    (root / "Pipfile").write_text((root / "Pipfile").read_text().replace('sdonly = "*"', 'sdonly = "*"\nanative = "*"'))
    for category in ("default", "develop"):
        for name, entry in lock[category].items():
            files = sorted(wheels.glob(f"{name}-{PINNED[name]}[-.]*"))
            assert files, name
            entry["hashes"] = ([f"sha256:{sha256(f)}" for f in files] if hashes else ["sha256:" + "0" * 64])
            entry["hashes"] += (extra_hashes or {}).get(name, [])
    (root / "Pipfile.lock").write_text(json.dumps(lock, indent=4) + "\n")
    return root


def migrate(root: Path, *args: str, env: dict | None = None):
    proc = run_migrate("run", str(root), "--no-codemods", "--format", "json", "--allow-dirty", *args, env=env)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return json.loads(proc.stdout)


def resolutions(report: dict) -> list[list[str]]:
    """uv's runs whose answer counts (a run started while the fixes were looked up and stopped when
    they turned up is not one)."""
    return [r["args"] for r in report["lock"]["uv_runs"] if "stopped" not in r and "unused" not in r]


def test_pipenv_fixes_known_before_uv_need_one_resolution_and_give_the_same_result(tmp_path, wheels, index):
    """Against a local index: with the lock's hashes matching the index's files, nativeft 1.0 (no cp313t
    wheel) is found a blocker before uv runs and its fix (1.1) joins the first resolution. With hashes
    that match nothing, the fix is found after it and applied by a second. Same files either way."""
    cache = {"UV_CACHE_DIR": str(tmp_path / "uv-cache")}
    early = pipenv_project(tmp_path / "early", wheels)
    late = pipenv_project(tmp_path / "late", wheels, hashes=False)
    reports = {root: migrate(root, "--index-url", index.url, env=cache) for root in (early, late)}
    assert resolutions(reports[early]) == [["lock"], ["lock", "--check"]]
    assert resolutions(reports[late]) == [["lock"], ["lock"]]
    assert (early / "pyproject.toml").read_text() == (late / "pyproject.toml").read_text()
    assert (early / "uv.lock").read_text() == (late / "uv.lock").read_text()
    for key in ("ft", "warnings"):
        assert reports[early][key] == reports[late][key], key
    for key in ("changed_pins", "kept_pins", "packages", "counts"):
        assert reports[early]["lock"][key] == reports[late]["lock"][key], key
    # the pins held (newer versions exist) and the blocker moved on 3.13 only
    versions: dict[str, set[str]] = {}
    for p in tomllib.loads((early / "uv.lock").read_text())["package"]:
        versions.setdefault(p["name"], set()).add(p["version"])
    assert {n: versions[n] for n in PINNED} == {**{n: {v} for n, v in PINNED.items()}, "nativeft": {"1.0", "1.1"},
                                                "anative": {"1.0", "1.1"}}
    assert {e["name"]: (e["status"], e["fix"]) for e in reports[early]["ft"]}["nativeft"] == ("upgraded", "nativeft==1.1")
    assert tomllib.loads((early / "pyproject.toml").read_text())["tool"]["uv"]["constraint-dependencies"] == [
        "anative==1.1; python_version == '3.13'", "nativeft==1.1; python_version == '3.13'"]


def test_find_links_folder_files_are_hashed_too(tmp_path, wheels):
    """Offline with a --find-links folder: the folder's files are hashed to match the lock's."""
    early = pipenv_project(tmp_path / "early", wheels)
    report = migrate(early, "--offline", "--find-links", str(wheels), env={"UV_CACHE_DIR": str(tmp_path / "c")})
    assert resolutions(report) == [["lock"], ["lock", "--check"]]
    assert {e["name"]: e["status"] for e in report["ft"]}["nativeft"] == "upgraded"


def _pin(name: str, version: str, wheels: Path, **kw) -> Pin:
    files = sorted(wheels.glob(f"{name}-{version}[-.]*"))
    return Pin(name, version, hashes=tuple(f"sha256:{sha256(f)}" for f in files), **kw)


def test_only_the_locked_files_are_taken(wheels, tmp_path):
    """A file the lock has no hash for (uploaded after `pipenv lock`) is not a locked file; a pin whose
    hashes match nothing, whose marker never holds on the target, or with no hashes keeps no files."""
    folder = tmp_path / "folder"
    shutil.copytree(wheels, folder)
    nativeft = _pin("nativeft", "1.0", folder)
    later = folder / "nativeft-1.0-cp313-cp313t-manylinux_2_17_x86_64.whl"
    later.write_bytes((folder / "nativeft-1.0-cp313-cp313-manylinux_2_17_x86_64.whl").read_bytes() + b"\0")
    pins = [nativeft, Pin("alpha", "1.1", hashes=("sha256:" + "1" * 64,)),
            _pin("beta", "0.5", folder, marker="python_version < '3.9'"), Pin("ftready", "1.0"),
            _pin("sdonly", "1.0", folder, marker="('dev' in dependency_groups) and (python_version >= '3.8')")]
    assert wants_files(pins) and not wants_files([Pin("x", "1", files=("x-1.tar.gz",))])
    client = IndexClient(find_links=[str(folder)], offline=True)
    out = with_index_files(pins, client, "3.13")
    assert out[0].files == ("nativeft-1.0-cp310-cp310-manylinux_2_17_x86_64.whl",
                            "nativeft-1.0-cp312-cp312-manylinux_2_17_x86_64.whl",
                            "nativeft-1.0-cp313-cp313-manylinux_2_17_x86_64.whl")
    assert later.name not in out[0].files
    assert out[1:4] == pins[1:4] and [p.files for p in out[1:4]] == [(), (), ()]
    assert out[4].files == ("sdonly-1.0.tar.gz",)


def test_a_pin_from_an_explicit_index_is_looked_up_there(wheels):
    """Pipfile.lock's `index = "private"` names a [[source]] used only for its packages: the pin's files
    come from that index (its URL becomes the pin's origin, which the readiness lookup then asks)."""
    private = LocalIndex(wheels, "json")
    try:
        PAGES.clear()
        pin = _pin("nativeft", "1.0", wheels, origin="private")
        other = _pin("alpha", "1.1", wheels, origin="pypi")
        client = IndexClient(index_urls=["http://127.0.0.1:9/simple"])  # nothing listens there
        out = with_index_files([pin, other], client, "3.13",
                               [Index("private", private.url, explicit=True)])
        assert out[0].origin == private.url and len(out[0].files) == 3
        assert out[1] is other  # its index (the default) could not answer: left for after uv runs
        assert private.asked == ["nativeft"]
    finally:
        private.close()
        PAGES.clear()


def test_a_pin_with_two_hashes_is_left_for_after_the_first_resolution(tmp_path, wheels):
    """Two hashes are almost always a pure wheel and its sdist: such a pin's page is not fetched before
    uv runs. When it is a blocker after all, uv.lock shows it and a second resolution moves it."""
    two = Pin("nativeft", "1.0", hashes=tuple(f"sha256:{sha256(f)}" for f in sorted(wheels.glob("nativeft-1.0-*"))[:2]))
    assert not likely_native(two) and not wants_files([two])
    client = IndexClient(find_links=[str(wheels)], offline=True)
    assert with_index_files([two], client, "3.13") == [two] and not with_index_files([two], client, "3.13")[0].files
    root = pipenv_project(tmp_path / "app", wheels)
    lock = json.loads((root / "Pipfile.lock").read_text())
    lock["default"]["nativeft"]["hashes"] = list(two.hashes)
    (root / "Pipfile.lock").write_text(json.dumps(lock, indent=4) + "\n")
    report = migrate(root, "--offline", "--find-links", str(wheels), env={"UV_CACHE_DIR": str(tmp_path / "c")})
    assert resolutions(report) == [["lock"], ["lock"]]
    assert {e["name"]: e["status"] for e in report["ft"]}["nativeft"] == "upgraded"


def test_a_pin_that_requires_the_old_version_of_a_fixed_package_gives_way_on_the_target(tmp_path, wheels):
    """Pipfile.lock does not say which pins depend on which: `dep 1.0` requires `nativeft==1.0`, whose fix
    is 1.1. The first resolution with the fix fails naming dep; dep's pin then gives way on the target's
    Python too (as poetry.lock's dependencies tell at once) and the fix stays: no third resolution, and
    the result is the two-run path's."""
    folder = tmp_path / "wheels"
    shutil.copytree(wheels, folder)
    build_wheel(folder, "dep", "1.0", "py3-none-any", ["nativeft==1.0"])
    build_wheel(folder, "dep", "1.1", "py3-none-any", ["nativeft==1.1"])
    roots = {}
    for side in ("early", "late"):
        root = pipenv_project(tmp_path / side, folder, hashes=side == "early")
        pipfile = root / "Pipfile"
        pipfile.write_text(pipfile.read_text().replace('nativeft = "*"', 'dep = "*"'))
        lock = json.loads((root / "Pipfile.lock").read_text())
        lock["default"]["dep"] = {"hashes": [f"sha256:{sha256(folder / 'dep-1.0-py3-none-any.whl')}" if side == "early"
                                             else "sha256:" + "0" * 64], "index": "pypi", "version": "==1.0"}
        (root / "Pipfile.lock").write_text(json.dumps(lock, indent=4) + "\n")
        roots[side] = (root, migrate(root, "--offline", "--find-links", str(folder),
                                     env={"UV_CACHE_DIR": str(tmp_path / f"cache-{side}")}))
    (early, report), (late, late_report) = roots["early"], roots["late"]
    assert [(r["args"], r["ok"]) for r in report["lock"]["uv_runs"] if "stopped" not in r] == [
        (["lock"], False), (["lock"], True), (["lock", "--check"], True)]
    assert resolutions(late_report) == [["lock"], ["lock"]]
    versions: dict[str, set[str]] = {}
    for p in tomllib.loads((early / "uv.lock").read_text())["package"]:
        versions.setdefault(p["name"], set()).add(p["version"])
    assert versions["dep"] == {"1.0", "1.1"} and versions["nativeft"] == {"1.0", "1.1"}
    assert (early / "uv.lock").read_text() == (late / "uv.lock").read_text()
    assert (early / "pyproject.toml").read_text() == (late / "pyproject.toml").read_text()
    assert report["lock"]["changed_pins"] == late_report["lock"]["changed_pins"] == []
