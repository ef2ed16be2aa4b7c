"""Free-threading readiness: wheel-tag classification, the newest fixing version, the index client
(PEP 691 JSON and PEP 503 HTML served from a local HTTP server, --find-links folders) and lock readers."""

from __future__ import annotations

import json
import os
import platform
import sys
from pathlib import Path

import pytest

from localhttp import QuietHandler, base_url, reply, serve
from wheelhouse import LINUX

from migrate.deps import read_pipfile_lock, read_poetry_lock
from migrate.lock.freethreading import (
    LockedPackage,
    assess,
    classify,
    find_fix,
    read_uv_lock,
)
from migrate.lock.index import IndexClient, parse_simple_html

# real numpy file names (PyPI): 2.4.x ships cp313t wheels, 2.5.x only cp314t ones
NUMPY = {
    "2.3.5": ["numpy-2.3.5-cp313-cp313-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl",
              "numpy-2.3.5-cp313-cp313t-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl", "numpy-2.3.5.tar.gz"],
    "2.4.0": ["numpy-2.4.0-cp313-cp313-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl",
              "numpy-2.4.0-cp313-cp313t-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl",
              "numpy-2.4.0-cp314-cp314t-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl", "numpy-2.4.0.tar.gz"],
    "2.4.1": ["numpy-2.4.1-cp313-cp313-win_amd64.whl", "numpy-2.4.1-cp313-cp313t-win_amd64.whl",
              "numpy-2.4.1-cp313-cp313t-macosx_14_0_arm64.whl", "numpy-2.4.1.tar.gz"],
    "2.5.0": ["numpy-2.5.0-cp313-cp313-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl",
              "numpy-2.5.0-cp314-cp314t-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl", "numpy-2.5.0.tar.gz"],
    "2.5.1rc1": ["numpy-2.5.1rc1-cp313-cp313t-win_amd64.whl"],
}


@pytest.fixture(scope="module")
def index(wheels):
    """A local simple index: /json/<name>/ answers PEP 691 JSON, /html/<name>/ PEP 503 HTML (with one
    yanked file and percent-encoded links)."""
    files: dict[str, list[str]] = {"numpy": [f for v in NUMPY.values() for f in v]}
    for p in sorted(wheels.iterdir()):
        files.setdefault(p.name.split("-")[0], []).append(p.name)
    files["numpy"].append("numpy-2.4.2-cp313-cp313t-win_amd64.whl")  # yanked below

    class Handler(QuietHandler):
        def do_GET(self):  # noqa: N802
            kind, name = self.path.strip("/").split("/")
            names = files.get(name)
            if names is None:
                self.send_error(404)
                return
            yanked = {"numpy-2.4.2-cp313-cp313t-win_amd64.whl"}
            if kind == "json":
                body = json.dumps({"meta": {"api-version": "1.1"}, "name": name, "files": [
                    {"filename": f, "url": f"../../files/{f}", "hashes": {}, "yanked": f in yanked} for f in names]})
                ctype = "application/vnd.pypi.simple.v1+json"
            else:
                mark = {f: ' data-yanked=""' if f in yanked else "" for f in names}
                links = "".join(f"<a href='../../files/{f.replace('+', '%2B')}#sha256=00'{mark[f]}>{f}</a><br/>"
                                for f in names)
                body = f"<!DOCTYPE html><html><body>{links}</body></html>"
                ctype = "text/html"
            reply(self, body.encode(), ctype)

    server = serve(Handler)
    yield base_url(server)
    server.shutdown()


@pytest.mark.parametrize("files, abi, status", [
    (["a-1-py3-none-any.whl"], "cp313t", "pure"),
    (["a-1-py2.py3-none-any.whl", "a-1.tar.gz"], "cp313t", "pure"),
    ([f"a-1-cp313-cp313t-{LINUX}.whl", f"a-1-cp313-cp313-{LINUX}.whl"], "cp313t", "ft-wheels"),
    ([f"a-1-cp313-cp313-{LINUX}.whl", f"a-1-cp312-abi3-{LINUX}.whl"], "cp313t", "blocker"),  # no abi3 on 3.13t
    ([f"a-1-cp313-cp313-{LINUX}.whl"], "cp313", "ft-wheels"),  # a GIL target: its own ABI
    (["a-1.tar.gz"], "cp313t", "sdist-only"),
    (["a-1.zip"], "cp313t", "sdist-only"),
    # ABI-independent platform binaries: installable on 3.13t, but not everywhere (so not "pure")
    ([f"a-1-py3-none-{LINUX}.whl"], "cp313t", "ft-wheels"),
    ([f"a-1-cp314-cp314t-{LINUX}.whl"], "cp313t", "blocker"),
    ([f"a-1-cp314-cp314t-{LINUX}.whl"], "cp314t", "ft-wheels"),
    ([f"a-1-cp313-cp313t-{LINUX}.manylinux_2_28_x86_64.whl"], "cp313t", "ft-wheels"),  # compressed tag set
    ([], "cp313t", "unknown"),
    (["not a wheel.whl"], "cp313t", "unknown"),
])
def test_classify_by_wheel_file_names(files, abi, status):
    assert classify(files, abi) == status


class Files:
    def __init__(self, files: dict[str, list[str]]):
        self._files = files

    def files(self, name, index=None):
        from migrate.lock.freethreading import version_of

        return [(f, version_of(f)) for f in self._files.get(name, [])]


def test_numpy_case_newest_with_target_wheels_is_not_the_newest():
    client = Files({"numpy": [f for v in NUMPY.values() for f in v]})
    assert find_fix("numpy", "cp313t", client) == "2.4.1"  # not 2.5.0 (cp314t only), not the pre-release
    assert find_fix("numpy", "cp314t", client) == "2.5.0"
    assert find_fix("numpy", "cp313t", client, ">=2.3,<2.4.1") == "2.4.0"  # the project's own range
    assert find_fix("numpy", "cp313t", client, ">=2.5") is None
    assert find_fix("numpy", "cp312t", client) is None


def test_pure_release_is_a_fix_only_when_newer():
    client = Files({"fast": ["fast-0.0.1-py3-none-any.whl", f"fast-1.0-cp313-cp313-{LINUX}.whl",
                             f"fast-2.0-cp313-cp313-{LINUX}.whl", "fast-3.0-py3-none-any.whl"]})
    assert find_fix("fast", "cp313t", client, current="2.0") == "3.0"
    assert find_fix("fast", "cp313t", client, "<3", current="2.0") is None  # not the 0.0.1 placeholder


def test_find_fix_in_a_find_links_folder(wheels):
    client = IndexClient(find_links=[str(wheels)], offline=True)
    assert find_fix("nativeft", "cp313t", client) == "1.1"
    assert find_fix("nativeft", "cp314t", client) == "1.2"
    assert find_fix("NativeFT", "cp313t", client, "<1.1") is None
    assert find_fix("nofix", "cp313t", client) is None
    assert IndexClient(offline=True).files("nativeft") == []  # offline: no index is asked
    from migrate.lock.freethreading import readiness_warnings

    entries = assess([LockedPackage("nofix", "3.0", [f"nofix-3.0-cp313-cp313-{LINUX}.whl"])], "cp313t", client)
    assert [str(w) for w in readiness_warnings(entries, "3.13t", "cp313t")] == [
        "MIG203 uv.lock: nofix: nofix 3.0 has no cp313t wheels; no version with them was found "
        "(offline: local folders only)"]


@pytest.mark.parametrize("kind", ["json", "html"])
def test_index_client_reads_pep691_and_pep503(index, kind):
    client = IndexClient(index_urls=[f"{index}/{kind}"])
    names = [f for f, _ in client.files("numpy")]
    assert "numpy-2.4.0.tar.gz" in names and "numpy-2.4.2-cp313-cp313t-win_amd64.whl" not in names  # yanked
    assert find_fix("numpy", "cp313t", client) == "2.4.1"
    assert find_fix("nativeft", "cp313t", client) == "1.1"
    assert client.files("does-not-exist") == []


def test_assess_asks_the_lock_registry_for_files_and_fixes(index, wheels):
    client = IndexClient(index_urls=["http://127.0.0.1:9/unused"])  # the lock's own registry wins
    packages = [LockedPackage("numpy", "2.5.0", NUMPY["2.5.0"], f"{index}/json"),
                LockedPackage("alpha", "1.0", [], str(wheels)),
                LockedPackage("app", "0.1", [], None, local=True)]
    assert assess(packages, "cp313t", client, {"numpy": ">=2"}) == [
        {"name": "numpy", "version": "2.5.0", "status": "blocker", "fix": "numpy==2.4.1",
         "move": {"to": "2.4.1", "direction": "downgrade", "major": False}},
        {"name": "alpha", "version": "1.0", "status": "pure", "fix": None}]


def test_parse_simple_html_quoting_and_yanked():
    body = ('<a href="https://x/a-1.0%2Blocal-py3-none-any.whl#sha256=1">a</a>'
            "<A HREF='b/a-1.1.tar.gz' data-requires-python='&gt;=3.8'>b</A>"
            '<a data-yanked="bad" href="a-0.9.tar.gz">c</a>')
    assert parse_simple_html(body) == ["a-1.0+local-py3-none-any.whl", "a-1.1.tar.gz"]


def test_lock_readers(tmp_path):
    (tmp_path / "wheels").mkdir()
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "uv.lock").write_text(f'''
version = 1
requires-python = ">=3.10"

[[package]]
name = "app"
version = "0.1.0"
source = {{ editable = "." }}

[[package]]
name = "beta"
version = "0.5"
source = {{ registry = "../wheels" }}
wheels = [{{ path = "beta-0.5-py3-none-any.whl" }}]

[[package]]
name = "numpy"
version = "2.5.0"
source = {{ registry = "https://pypi.org/simple" }}
sdist = {{ url = "https://files.example/numpy-2.5.0.tar.gz", hash = "sha256:00", size = 1 }}
wheels = [{{ url = "https://files.example/numpy-2.5.0-cp314-cp314t-{LINUX}.whl", hash = "sha256:00" }}]
''')
    app, beta, numpy = read_uv_lock(tmp_path / "p" / "uv.lock")
    assert app.local and not beta.local and beta.index == str(tmp_path / "wheels")
    assert beta.files == ["beta-0.5-py3-none-any.whl"]
    assert numpy.index == "https://pypi.org/simple"
    assert numpy.files == [f"numpy-2.5.0-cp314-cp314t-{LINUX}.whl", "numpy-2.5.0.tar.gz"]

    (tmp_path / "poetry.lock").write_text('''
[[package]]
name = "numpy"
version = "2.4.1"
description = ""
optional = false
python-versions = ">=3.11"
files = [{file = "numpy-2.4.1-cp313-cp313t-win_amd64.whl", hash = "sha256:00"}]

[[package]]
name = "mylib"
version = "0.1"
description = ""
optional = false
python-versions = "*"
files = []

[package.source]
type = "directory"
url = "../mylib"

[[package]]
name = "private"
version = "1.0"
description = ""
optional = false
python-versions = "*"
files = []

[package.source]
type = "legacy"
url = "https://pkgs.example/simple"
reference = "corp"
''')
    numpy, mylib, private = read_poetry_lock(tmp_path / "poetry.lock")
    assert (numpy.files, numpy.local, mylib.local) == (["numpy-2.4.1-cp313-cp313t-win_amd64.whl"], False, True)
    assert private.index == "https://pkgs.example/simple"

    (tmp_path / "Pipfile.lock").write_text(json.dumps({
        "_meta": {"pipfile-spec": 6, "sources": []},
        "default": {"numpy": {"version": "==2.4.1", "hashes": []}},
        "develop": {"numpy": {"version": "==2.4.1"}, "pytest": {"version": "==8.0.0"}}}))
    assert [(p.name, p.version) for p in read_pipfile_lock(tmp_path / "Pipfile.lock")] == [
        ("numpy", "2.4.1"), ("pytest", "8.0.0")]


@pytest.mark.network
def test_numpy_on_pypi_newest_with_cp313t_is_not_the_newest():
    """The real case on PyPI: numpy 2.5.x has cp314t but no cp313t wheels; 2.4.x has cp313t."""
    client = IndexClient()
    fix = find_fix("numpy", "cp313t", client)
    assert fix is not None and fix.startswith("2.4.")
    assert find_fix("numpy", "cp314t", client) is not None
    # issue 12's real cases: the nearest version at or above the pin, not the newest
    assert find_fix("bcrypt", "cp313t", client, current="3.2.0").startswith("4.")
    assert find_fix("lazy-object-proxy", "cp313t", client, current="1.9.0") == "1.11.0"
    assert find_fix("greenlet", "cp313t", client, current="0.4.13").startswith("3.")


# -- issue 12: what "pure" means, the nearest fix, index failures, caching, target advice ---------------
@pytest.mark.parametrize("files, status", [
    # real file names reported "pure" before: any none-ABI wheel counted, whatever its Python or platform
    (["pydantic_core-2.14.5-cp311-none-win32.whl", "pydantic_core-2.14.5-cp311-none-win_amd64.whl",
      "pydantic_core-2.14.5-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
      "pydantic_core-2.14.5.tar.gz"], "blocker"),
    (["orjson-3.8.12-cp311-none-win_amd64.whl", f"orjson-3.8.12-cp311-cp311-{LINUX}.whl"], "blocker"),
    (["coverage-6.2-pp36.pp37.pp38-none-any.whl", f"coverage-6.2-cp310-cp310-{LINUX}.whl",
      "coverage-6.2.tar.gz"], "blocker"),
    (["a-1-pp36-none-any.whl"], "blocker"),
    (["a-1-py2-none-any.whl", "a-1.tar.gz"], "blocker"),  # Python 2 only
    (["a-1-py313-none-any.whl"], "pure"),
    (["a-1-py30-none-any.whl"], "pure"),
    (["a-1-cp313-none-any.whl"], "pure"),  # packaging's tag set for cp313t has it
    (["a-1-cp312-none-any.whl"], "blocker"),  # an interpreter-specific tag of another CPython
    (["a-1-py3-none-win_amd64.whl"], "ft-wheels"),  # ABI-independent binaries on one platform
    # a GIL build without its ABI tag (orjson 3.10.6 on Windows): 3.13t installs it, but it is no evidence
    (["orjson-3.10.6-cp313-none-win_amd64.whl", f"orjson-3.10.6-cp313-cp313-{LINUX}.whl"], "blocker"),
    (["a-1-cp313-cp313t-win_amd64.whl", "a-1-pp310-none-any.whl"], "ft-wheels"),
    (["a-1-cp313-cp313t-macosx_11_0_arm64.whl"], "ft-wheels"),
    ([f"a-1-cp313-abi3-{LINUX}.whl"], "blocker"),
])
def test_pure_means_every_cpython_of_the_target_installs_it(files, status):
    assert classify(files, "cp313t") == status


def test_gil_target_accepts_abi3_and_rejects_free_threaded_only_wheels():
    assert classify(["a-1-cp313-none-win_amd64.whl"], "cp313") == "ft-wheels"
    assert classify([f"a-1-cp39-abi3-{LINUX}.whl"], "cp313") == "ft-wheels"
    assert classify([f"a-1-cp313-cp313t-{LINUX}.whl"], "cp313") == "blocker"


def _files(spec: dict[str, list[str]], name: str) -> list[str]:
    return [f"{name}-{v}-{tag}.whl" if tag != "sdist" else f"{name}-{v}.tar.gz" for v, tags in spec.items()
            for tag in tags]


# lazy-object-proxy: PyPy pp…-none-any wheels beside cp313t ones (1.11.0, 1.12.0), none before
LAZY = {"1.9.0": [f"cp311-cp311-{LINUX}", "pp39-none-any", "sdist"],
        "1.10.0": [f"cp312-cp312-{LINUX}", "pp310-none-any", "sdist"],
        "1.11.0": [f"cp313-cp313t-{LINUX}", f"cp313-cp313-{LINUX}", "pp310-none-any", "sdist"],
        "1.12.0": [f"cp313-cp313t-{LINUX}", "cp314-cp314t-win_amd64", "pp311-none-any", "sdist"]}
# bcrypt: abi3 wheels only up to 4.2, 4.3.0 adds cp313t, 5.0.0 the newest
BCRYPT = {"3.2.0": [f"cp36-abi3-{LINUX}", "sdist"], "3.2.2": [f"cp36-abi3-{LINUX}", "sdist"],
          "4.0.1": [f"cp36-abi3-{LINUX}", "sdist"], "4.2.1": [f"cp39-abi3-{LINUX}", "sdist"],
          "4.3.0": [f"cp39-abi3-{LINUX}", f"cp313-cp313t-{LINUX}", "sdist"],
          "5.0.0": [f"cp39-abi3-{LINUX}", f"cp313-cp313t-{LINUX}", f"cp314-cp314t-{LINUX}", "sdist"]}
GREENLET = {"0.4.13": ["sdist"], "3.0.3": [f"cp312-cp312-{LINUX}", "sdist"],
            "3.1.0": [f"cp313-cp313t-{LINUX}", "sdist"], "3.2.0": [f"cp313-cp313t-{LINUX}", "sdist"]}
COVERAGE = {"6.5.0": [f"cp311-cp311-{LINUX}", "pp37.pp38.pp39-none-any", "sdist"],
            "7.5.0": [f"cp313-cp313-{LINUX}", "sdist"], "7.6.0": [f"cp313-cp313t-{LINUX}", "sdist"],
            "7.8.0": [f"cp313-cp313t-{LINUX}", "sdist"]}


def test_lazy_object_proxy_target_wheels_count_beside_pypy_wheels():
    client = Files({"lazy-object-proxy": _files(LAZY, "lazy_object_proxy")})
    assert classify(_files({"1.9.0": LAZY["1.9.0"]}, "lazy_object_proxy"), "cp313t") == "blocker"
    assert find_fix("lazy-object-proxy", "cp313t", client, current="1.9.0") == "1.11.0"


def test_target_wheels_are_checked_before_pure():
    """A version with a pure fallback AND target wheels is a fix even below the pin (a downgrade); a
    pure-only version below the pin is not."""
    client = Files({"speedy": ["speedy-1.0-py3-none-any.whl", f"speedy-1.0-cp313-cp313t-{LINUX}.whl",
                               "speedy-1.5-py3-none-any.whl", f"speedy-2.0-cp313-cp313-{LINUX}.whl"]})
    assert find_fix("speedy", "cp313t", client, current="2.0") == "1.0"


def test_nearest_version_at_or_above_the_pin_and_the_jump():
    from migrate.lock.freethreading import Fix, search_fix

    client = Files({"bcrypt": _files(BCRYPT, "bcrypt")})
    assert search_fix("bcrypt", "cp313t", client, current="3.2.0").fix == Fix("4.3.0", "upgrade", True)
    assert search_fix("bcrypt", "cp313t", client, current="4.2.1").fix == Fix("4.3.0", "upgrade", False)
    assert find_fix("bcrypt", "cp313t", client) == "5.0.0"  # no pin to stay near: the newest
    numpy = Files({"numpy": [f for v in NUMPY.values() for f in v]})
    # nothing at or above 2.5.0 has cp313t wheels: the nearest older one, a downgrade
    assert search_fix("numpy", "cp313t", numpy, current="2.5.0").fix == Fix("2.4.1", "downgrade", False)
    assert search_fix("numpy", "cp313t", numpy, current="2.3.5").fix == Fix("2.3.5", "upgrade", False)


def test_assess_moves_sdist_only_pins_and_flags_major_jumps():
    client = Files({"greenlet": _files(GREENLET, "greenlet"), "bcrypt": _files(BCRYPT, "bcrypt")})
    packages = [LockedPackage("greenlet", "0.4.13", ["greenlet-0.4.13.tar.gz"]),
                LockedPackage("bcrypt", "3.2.0", _files({"3.2.0": BCRYPT["3.2.0"]}, "bcrypt"))]
    greenlet, bcrypt = assess(packages, "cp313t", client)
    assert greenlet == {"name": "greenlet", "version": "0.4.13", "status": "sdist-only", "fix": "greenlet==3.1.0",
                        "move": {"to": "3.1.0", "direction": "upgrade", "major": True}}
    assert bcrypt["fix"] == "bcrypt==4.3.0" and bcrypt["move"]["major"]
    from migrate.lock.freethreading import readiness_warnings

    codes = [(w.code, w.key) for w in readiness_warnings([greenlet, bcrypt], "3.13t", "cp313t")]
    assert codes == [("MIG204", "greenlet"), ("MIG231", "greenlet"), ("MIG203", "bcrypt"), ("MIG231", "bcrypt")]


def test_the_projects_own_constraint_is_named_when_it_excludes_every_fix():
    from migrate.lock.freethreading import readiness_warnings

    client = Files({"coverage": _files(COVERAGE, "coverage")})
    (entry,) = assess([LockedPackage("coverage", "6.5.0", _files({"6.5.0": COVERAGE["6.5.0"]}, "coverage"))],
                      "cp313t", client, {"coverage": ">=6.3.3,<7.0.0"})
    assert entry["status"] == "blocker" and entry["fix"] is None
    assert entry["excluded"] == {"constraint": ">=6.3.3,<7.0.0", "first": "7.6.0"}
    texts = {w.code: w.message for w in readiness_warnings([entry], "3.13t", "cp313t")}
    assert "7.6.0" in texts["MIG233"] and "coverage>=6.3.3,<7.0.0" in texts["MIG233"]
    assert "no version with them was found" not in texts["MIG203"]


def test_downgrade_is_called_one():
    from migrate.lock.freethreading import moved_status, readiness_warnings

    client = Files({"numpy": [f for v in NUMPY.values() for f in v]})
    (entry,) = assess([LockedPackage("numpy", "2.5.0", NUMPY["2.5.0"])], "cp313t", client)
    assert moved_status(entry) == "downgraded"
    assert ("MIG232", "numpy") in {(w.code, w.key) for w in readiness_warnings([entry], "3.13t", "cp313t")}


def test_successor_target_advice_counts_blockers_with_its_wheels():
    from migrate.lock.freethreading import readiness_warnings, successor_advice

    client = Files({"later": ["later-1.0-cp313-cp313-win_amd64.whl", "later-1.1-cp314-cp314t-win_amd64.whl"],
                    "never": ["never-1.0-cp313-cp313-win_amd64.whl"],
                    "here": ["here-2.0-cp313-cp313-win_amd64.whl", "here-2.0-cp314-cp314t-win_amd64.whl"]})
    packages = [LockedPackage("later", "1.0", ["later-1.0-cp313-cp313-win_amd64.whl"]),
                LockedPackage("never", "1.0", ["never-1.0-cp313-cp313-win_amd64.whl"]),
                LockedPackage("here", "2.0", ["here-2.0-cp313-cp313-win_amd64.whl",
                                              "here-2.0-cp314-cp314t-win_amd64.whl"])]
    entries = assess(packages, "cp313t", client)
    assert [e["status"] for e in entries] == ["blocker"] * 3
    advice = successor_advice(entries, packages, "cp313t", client)
    assert advice == {"target": "3.14t", "blockers": 3, "ready": 2, "versions": {"later": "1.1", "here": "2.0"}}
    (w,) = [w for w in readiness_warnings(entries, "3.13t", "cp313t", advice) if w.code == "MIG235"]
    assert w.message == "with --target 3.14t, 2 of 3 blockers have free-threaded wheels"
    assert successor_advice(entries, packages, "cp313", client) is None  # a GIL target: no such advice
    entries[0]["fix"] = "later==9.0"  # a blocker with a fix for the target is not left
    assert successor_advice(entries, packages, "cp313t", client)["blockers"] == 2
    entries[0]["fix"] = "later==9.0 (does not resolve with the other requirements: ...)"  # but this one is
    assert successor_advice(entries, packages, "cp313t", client)["blockers"] == 3


class _Counting:
    """A local PEP 691 index that counts requests, answers slowly, and can be told to fail."""

    def __init__(self, pages: dict[str, list[str]], delay: float = 0.0):
        import time

        self.pages, self.delay, self.hits, self.fail = pages, delay, [], 0
        outer = self

        class Handler(QuietHandler):
            def do_GET(self):  # noqa: N802
                name = self.path.strip("/").split("/")[-1]
                outer.hits.append(name)
                time.sleep(outer.delay)
                if outer.fail:
                    outer.fail -= 1
                    self.send_error(503)
                    return
                if name not in outer.pages:
                    self.send_error(404)
                    return
                data = json.dumps({"meta": {"api-version": "1.1"}, "name": name, "files": [
                    {"filename": f, "url": f, "hashes": {}} for f in outer.pages[name]]}).encode()
                reply(self, data, "application/vnd.pypi.simple.v1+json")

        self.server = serve(Handler)
        self.url = f"{base_url(self.server)}/simple"

    def close(self):
        self.server.shutdown()


@pytest.fixture
def counting():
    servers = []

    def make(pages, delay=0.0):
        servers.append(_Counting(pages, delay))
        return servers[-1]

    yield make
    for s in servers:
        s.close()


def test_index_answers_are_cached_across_clients_and_threads(counting):
    from concurrent.futures import ThreadPoolExecutor

    srv = counting({"bcrypt": _files(BCRYPT, "bcrypt")}, delay=0.2)
    clients = [IndexClient(index_urls=[srv.url]) for _ in range(3)]  # e.g. three projects of a batch
    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(lambda i: find_fix("bcrypt", "cp313t", clients[i % 3], current="3.2.0"),
                                range(12)))
    assert answers == ["4.3.0"] * 12 and srv.hits == ["bcrypt"]
    assert IndexClient(index_urls=[srv.url]).files("nothing-here") == [] and srv.hits == ["bcrypt", "nothing-here"]


def test_unreachable_index_is_an_error_not_an_empty_answer(counting):
    import socket

    from migrate.lock.freethreading import readiness_warnings
    from migrate.lock.index import IndexUnavailable

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/simple"
    client = IndexClient(index_urls=[dead], timeout=5)
    with pytest.raises(IndexUnavailable, match="cannot reach the index"):
        find_fix("bcrypt", "cp313t", client, current="3.2.0")
    entries = assess([LockedPackage("bcrypt", "3.2.0", _files({"3.2.0": BCRYPT["3.2.0"]}, "bcrypt")),
                      LockedPackage("requests", "2.31.0", [])], "cp313t", client)
    assert [(e["status"], e["fix"], bool(e.get("error"))) for e in entries] == [
        ("blocker", None, True), ("unknown", None, True)]
    texts = [str(w) for w in readiness_warnings(entries, "3.13t", "cp313t")]
    assert not any("no version with them was found" in t for t in texts)
    assert any(t.startswith("MIG230") and "bcrypt, requests" in t for t in texts)

    # a server error is not remembered as "no files": the next client gets the real answer
    srv = counting({"bcrypt": _files(BCRYPT, "bcrypt")})
    srv.fail = 3  # the first answer and its two retries
    with pytest.raises(IndexUnavailable, match="HTTP 503"):
        IndexClient(index_urls=[srv.url]).files("bcrypt")
    assert find_fix("bcrypt", "cp313t", IndexClient(index_urls=[srv.url]), current="3.2.0") == "4.3.0"
    srv.fail = 1  # one passing failure is retried
    assert [f for f, _ in IndexClient(index_urls=[srv.url]).files("greenlet")] == []
    assert srv.hits[-2:] == ["greenlet", "greenlet"]


def test_readiness_is_a_leaf():
    """freethreading and index know wheels, indexes and interpreter tags only: no command, pipeline or
    lock stage import anywhere in them (the old freethreading → pipeline → lock → freethreading circle)."""
    import ast

    from conftest import REPO

    allowed = {"migrate.diagnostics", "migrate.discover", "migrate.lock.index", "migrate.lock.indexcache"}
    for module in ("freethreading", "index", "indexcache"):
        tree = ast.parse((REPO / "src" / "migrate" / "lock" / f"{module}.py").read_text())
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert {m for m in imported if m.startswith("migrate")} <= allowed, module


FORKED_LOCK = '''
version = 1
requires-python = ">=3.10"
resolution-markers = ["python_full_version == '3.13.*'", "python_full_version != '3.13.*'"]

[[package]]
name = "app"
version = "0.1.0"
source = { virtual = "." }
dependencies = [
    { name = "bcrypt", version = "3.2.0", source = { registry = "https://pypi.org/simple" }, marker = "python_full_version != '3.13.*'" },
    { name = "bcrypt", version = "4.3.0", source = { registry = "https://pypi.org/simple" }, marker = "python_full_version == '3.13.*'" },
    { name = "tomli", marker = "python_full_version < '3.11'" },
    { name = "pywin32", marker = "sys_platform == 'win32'" },
]

[package.optional-dependencies]
fast = [{ name = "speedups" }]

[[package]]
name = "bcrypt"
version = "3.2.0"
source = { registry = "https://pypi.org/simple" }
resolution-markers = ["python_full_version != '3.13.*'"]
dependencies = [{ name = "cffi" }]
wheels = [{ url = "https://x/bcrypt-3.2.0-cp36-abi3-manylinux_2_17_x86_64.whl", hash = "sha256:0" }]

[[package]]
name = "bcrypt"
version = "4.3.0"
source = { registry = "https://pypi.org/simple" }
resolution-markers = ["python_full_version == '3.13.*'"]
wheels = [{ url = "https://x/bcrypt-4.3.0-cp313-cp313t-manylinux_2_17_x86_64.whl", hash = "sha256:0" }]

[[package]]
name = "cffi"
version = "2.1.1"
source = { registry = "https://pypi.org/simple" }
wheels = [{ url = "https://x/cffi-2.1.1-cp313-cp313-manylinux_2_17_x86_64.whl", hash = "sha256:0" }]

[[package]]
name = "tomli"
version = "2.0.1"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://x/tomli-2.0.1.tar.gz", hash = "sha256:0" }

[[package]]
name = "pywin32"
version = "311"
source = { registry = "https://pypi.org/simple" }
wheels = [{ url = "https://x/pywin32-311-cp313-cp313-win_amd64.whl", hash = "sha256:0" }]

[[package]]
name = "speedups"
version = "1.0"
source = { registry = "https://pypi.org/simple" }
wheels = [{ url = "https://x/speedups-1.0-cp313-cp313-manylinux_2_17_x86_64.whl", hash = "sha256:0" }]
'''


def test_packages_the_target_python_never_installs_are_not_blockers(tmp_path):
    """A universal uv.lock keeps other Pythons' forks: cffi is needed only by bcrypt 3.2.0, which only
    Pythons other than 3.13 install once bcrypt moved; tomli only below 3.11. Platform markers and
    extras still count (pywin32 on Windows, an optional native dependency)."""
    from migrate.lock.freethreading import mark_off_target

    (tmp_path / "uv.lock").write_text(FORKED_LOCK)
    packages = read_uv_lock(tmp_path / "uv.lock", "3.13")
    assert {(p.name, p.version): p.on_target for p in packages} == {
        ("app", "0.1.0"): True, ("bcrypt", "3.2.0"): False, ("bcrypt", "4.3.0"): True, ("cffi", "2.1.1"): False,
        ("tomli", "2.0.1"): False, ("pywin32", "311"): True, ("speedups", "1.0"): True}
    assert {p.on_target for p in read_uv_lock(tmp_path / "uv.lock")} == {None}  # no Python asked: unknown
    status = {(e["name"], e["version"]): e["status"] for e in assess(packages, "cp313t", None)}
    assert status == {("bcrypt", "3.2.0"): "not-on-target", ("bcrypt", "4.3.0"): "ft-wheels",
                      ("cffi", "2.1.1"): "not-on-target", ("tomli", "2.0.1"): "not-on-target",
                      ("pywin32", "311"): "blocker", ("speedups", "1.0"): "blocker"}
    # the lock stage: assessed before the move (cffi a blocker then), marked once bcrypt moved
    entries = [{"name": "cffi", "version": "2.1.1", "status": "blocker", "fix": None},
               {"name": "pywin32", "version": "311", "status": "blocker", "fix": None}]
    mark_off_target(entries, packages)
    assert [e["status"] for e in entries] == ["not-on-target", "blocker"]


@pytest.mark.skipif(not os.environ.get("MIGRATE_FT_PYTHON"), reason="MIGRATE_FT_PYTHON (a free-threaded "
                    "CPython) is not set")
@pytest.mark.skipif(platform.machine() != "x86_64" or sys.platform != "linux", reason="wheels are built for x86_64 Linux")
def test_classify_agrees_with_real_uv_on_a_free_threaded_python(tmp_path):
    """Each wheel alone in a folder: uv installs it into a 3.13t environment exactly when classify says
    pure or ft-wheels — except a ``cp313-none-<platform>`` wheel, which uv installs but which is a GIL
    build without its ABI tag (orjson 3.10.6), so it is no evidence of free-threading support."""
    import subprocess

    from migrate.lock.lock import uv_bin

    from wheelhouse import build_wheel

    tags = ["py3-none-any", "py313-none-any", "cp313-none-any", "cp3-none-any", "cp312-none-any", "pp310-none-any",
            "py2-none-any", f"cp313-cp313t-{LINUX}", f"cp313-cp313-{LINUX}", f"cp39-abi3-{LINUX}",
            f"py3-none-{LINUX}", f"cp313-none-{LINUX}"]  # this machine's platform or any
    env = dict(os.environ, UV_NO_PROGRESS="1", UV_PYTHON_DOWNLOADS="never")
    venv = tmp_path / "venv"
    subprocess.run([uv_bin(), "venv", "-q", "--python", os.environ["MIGRATE_FT_PYTHON"], str(venv)], check=True,
                   env=env)
    for i, tag in enumerate(tags):
        folder = tmp_path / f"w{i}"
        folder.mkdir()
        wheel = build_wheel(folder, f"pkg{i}", "1.0", tag)
        proc = subprocess.run([uv_bin(), "pip", "install", "--dry-run", "--offline", "--no-index", "--find-links",
                               str(folder), "--python", str(venv / "bin" / "python"), f"pkg{i}"],
                              capture_output=True, text=True, env=env)
        installs = proc.returncode == 0
        status = classify([wheel.name], "cp313t")
        expected = installs and tag != f"cp313-none-{LINUX}"
        assert (status in ("pure", "ft-wheels")) == expected, (tag, status, proc.stderr[-300:])


def test_a_temporary_dns_failure_is_tried_again_a_missing_name_is_not(counting, monkeypatch):
    import socket
    import urllib.error

    import migrate.lock.index as index
    from migrate.lock.index import IndexUnavailable

    srv = counting({"bcrypt": _files(BCRYPT, "bcrypt")})
    real = index._opener()
    calls = []

    class Flaky:
        def __init__(self, errno, failures):
            self.errno, self.failures = errno, failures

        def open(self, req, timeout=None):
            calls.append(req.full_url)
            if len(calls) <= self.failures:
                raise urllib.error.URLError(socket.gaierror(self.errno, "name resolution"))
            return real.open(req, timeout=timeout)

    monkeypatch.setattr(index, "_opener", lambda: Flaky(socket.EAI_AGAIN, 1))
    assert len(IndexClient(index_urls=[srv.url]).files("bcrypt")) == len(_files(BCRYPT, "bcrypt"))
    assert len(calls) == 2 and srv.hits == ["bcrypt"]
    calls.clear()
    monkeypatch.setattr(index, "_opener", lambda: Flaky(socket.EAI_NONAME, 1))
    index.PAGES.clear()
    with pytest.raises(IndexUnavailable, match="cannot reach the index"):
        IndexClient(index_urls=[srv.url]).files("bcrypt")
    assert len(calls) == 1


def test_preassess_lets_the_index_files_of_the_pinned_version_decide(tmp_path):
    """The old lock lists only GIL wheels for 1.0 (a blocker), but the index at hand has a cp313t wheel
    for 1.0 too: no early fix (uv.lock will list the index's files, and the late check would agree)."""
    from migrate.lock.freethreading import preassess
    from migrate.model import Pin
    from wheelhouse import build_wheelhouse

    spec = {"nat": {"1.0": ["cp313-cp313-manylinux_2_17_x86_64", "cp313-cp313t-manylinux_2_17_x86_64"],
                    "1.1": ["cp313-cp313t-manylinux_2_17_x86_64"]},
            "gil": {"1.0": ["cp313-cp313-manylinux_2_17_x86_64"], "1.1": ["cp313-cp313t-manylinux_2_17_x86_64"]}}
    folder = build_wheelhouse(tmp_path / "w", spec, {})
    client = IndexClient(find_links=[str(folder)], offline=True)
    old = ("{n}-1.0-cp313-cp313-manylinux_2_17_x86_64.whl", "{n}-1.0.tar.gz")
    pins = [Pin(n, "1.0", files=tuple(f.format(n=n) for f in old)) for n in ("nat", "gil")]
    found = preassess(pins, "cp313t", "3.13", client)
    assert [(e["name"], e["fix"]) for e in found] == [("gil", "gil==1.1")]
    # a pin whose marker cannot hold on the target's Python is not looked at
    assert preassess([Pin("gil", "1.0", "python_version < '3.8'", files=pins[1].files)], "cp313t", "3.13",
                     client) == []


def test_the_fix_lookups_pages_are_fetched_while_the_project_is_read(tmp_path, counting, monkeypatch):
    """`run` starts fetching the pages of the pins the old lock shows as blockers before it reads the
    project: only those pages, only from the index the lookup will ask, never with sources of its own."""
    import migrate.lock.index as index
    from migrate.lock.lock import prefetch_readiness
    from migrate.pipeline import RunOptions
    from migrate.target import Target

    srv = counting({"bcrypt": _files(BCRYPT, "bcrypt"), "gilonly": ["gilonly-1.0-cp313-cp313-win_amd64.whl"]})
    monkeypatch.setattr(index, "PYPI", srv.url)
    index.PAGES.clear()
    root = tmp_path / "app"
    root.mkdir()
    (root / "pyproject.toml").write_text('[tool.poetry]\nname = "app"\n')
    lock = ""
    for name, version, files in [("bcrypt", "3.2.0", ["bcrypt-3.2.0-cp36-abi3-manylinux2014_x86_64.whl"]),
                                 ("gilonly", "1.0", ["gilonly-1.0-cp313-cp313-win_amd64.whl"]),
                                 ("pure", "1.0", ["pure-1.0-py3-none-any.whl"]),
                                 ("oldpy", "1.0", ["oldpy-1.0-cp37-cp37m-win32.whl"])]:
        marker = 'markers = "python_version < \\"3.8\\""\n' if name == "oldpy" else ""
        lock += (f'[[package]]\nname = "{name}"\nversion = "{version}"\n{marker}files = [\n'
                 + "".join(f'    {{file = "{f}", hash = "sha256:00"}},\n' for f in files) + "]\n\n")
    (root / "poetry.lock").write_text(lock + '[metadata]\nlock-version = "2.0"\n')
    target = Target.parse("3.13t")
    lookup = prefetch_readiness(root, target, RunOptions())
    assert lookup.warm is not None
    lookup.warm.result()
    assert sorted(srv.hits) == ["bcrypt", "gilonly"]  # not the pure one, not one for Python < 3.8
    assert prefetch_readiness(root, target, RunOptions(offline=True)).warm is None
    assert prefetch_readiness(root, target, RunOptions(index_url=srv.url)).warm is None
    (root / "pyproject.toml").write_text('[tool.poetry]\nname = "app"\n\n[[tool.poetry.source]]\nname = "x"\n')
    assert prefetch_readiness(root, target, RunOptions()).warm is None
    index.PAGES.clear()
