"""Free-threading readiness: wheel-tag classification, the newest fixing version, the index client
(PEP 691 JSON and PEP 503 HTML served from a local HTTP server, --find-links folders) and lock readers."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from wheelhouse import LINUX, demo_wheelhouse

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
def wheels(tmp_path_factory) -> Path:
    return demo_wheelhouse(tmp_path_factory.mktemp("wheels"))


@pytest.fixture(scope="module")
def index(wheels):
    """A local simple index: /json/<name>/ answers PEP 691 JSON, /html/<name>/ PEP 503 HTML (with one
    yanked file and percent-encoded links)."""
    files: dict[str, list[str]] = {"numpy": [f for v in NUMPY.values() for f in v]}
    for p in sorted(wheels.iterdir()):
        files.setdefault(p.name.split("-")[0], []).append(p.name)
    files["numpy"].append("numpy-2.4.2-cp313-cp313t-win_amd64.whl")  # yanked below

    class Handler(BaseHTTPRequestHandler):
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
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
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
