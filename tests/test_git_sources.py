"""Git and path dependencies convert and lock, offline: each kind of Poetry/Pipenv git reference against a
real local git repository (``file://``), locked by the real uv (its own git fetch), and editable path
dependencies. Every ref holds a different version of the package, so a ref that is dropped or
misread locks the wrong version and the test fails."""

from __future__ import annotations

import json
import textwrap
import tomllib
from pathlib import Path

import pytest

from conftest import run_migrate
from projects import poetry_project
from gitrepos import GitDep, _git, _pyproject
from wheelhouse import build_wheel

pytestmark = pytest.mark.usefixtures("shared_uv_cache")


@pytest.fixture(scope="module")
def wheels(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("wheels")
    build_wheel(folder, "helper", "1.0", "py3-none-any")
    build_wheel(folder, "fastlib", "2.0", "py3-none-any")
    return folder


def _commit(repo: Path, packages: list[GitDep], message: str) -> str:
    """A commit holding ``packages`` (each in its subdirectory), on top of the current one."""
    for dep in packages:
        where = repo / (dep.subdirectory or "")
        text, module = _pyproject(dep)
        (where / module).mkdir(parents=True, exist_ok=True)
        (where / module / "__init__.py").write_text("")
        (where / "pyproject.toml").write_text(text)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", message)
    return _git(repo, "rev-parse", "HEAD").strip()


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> tuple[str, dict[str, str]]:
    """A repository whose history gives each ref its own version of ``lib``:

    1.0 (commit ``first``) → 1.1 tagged ``v1.1`` → 2.0 on branch ``main`` (HEAD); branch ``dev`` from
    1.1 holds 3.0.dev1. ``tools/cli`` holds the package ``lib-cli`` (4.0) at HEAD. ``lib`` 1.1 has an extra
    ``fast`` (requires ``fastlib``) and requires ``helper``."""
    repo = tmp_path_factory.mktemp("lib-repo")
    _git(repo, "init", "-q", "-b", "main")
    shas = {"first": _commit(repo, [GitDep("lib", "", version="1.0")], "1.0")}
    shas["v1.1"] = _commit(repo, [GitDep("lib", "", version="1.1", requires=["helper>=1", 'fastlib; extra == "fast"'],
                                         extras=["fast"])], "1.1")
    _git(repo, "tag", "v1.1")
    _git(repo, "branch", "dev")
    shas["main"] = _commit(repo, [GitDep("lib", "", version="2.0"),
                                  GitDep("lib-cli", "", subdirectory="tools/cli", version="4.0")], "2.0")
    _git(repo, "checkout", "-q", "dev")
    shas["dev"] = _commit(repo, [GitDep("lib", "", version="3.0.dev1")], "3.0.dev1")
    _git(repo, "checkout", "-q", "main")
    return repo.resolve().as_uri(), shas


def _poetry(root: Path, deps: str, dev: str = "") -> Path:
    dev = f"\n[tool.poetry.group.dev.dependencies]\n{dev}\n" if dev else ""
    return poetry_project(root, deps + "\n", folder=".", authors=("A <a@example.com>",), extra=dev)


def _migrate(root: Path, wheels: Path) -> dict:
    proc = run_migrate("run", str(root), "--offline", "--find-links", str(wheels), "--no-codemods", "--allow-dirty",
                       "--format", "json")
    report = json.loads(proc.stdout)
    assert proc.returncode == 0, json.dumps(report.get("lock", {}).get("failure") or report.get("error"), indent=1)
    return report


def _locked(root: Path) -> dict[str, dict]:
    return {p["name"]: p for p in tomllib.loads((root / "uv.lock").read_text())["package"]}


@pytest.mark.parametrize("spec, version, ref", [
    ('branch = "dev"', "3.0.dev1", "branch=dev"),
    ('tag = "v1.1"', "1.1", "tag=v1.1"),
    ('rev = "v1.1"', "1.1", "rev=v1.1"),  # Poetry's rev may name a tag (or branch); uv's rev too
    (None, "2.0", None),  # the default branch
])
def test_poetry_git_reference_locks_that_reference(tmp_path, wheels, repo, spec, version, ref):
    url, shas = repo
    extra = f", {spec}" if spec else ""
    root = _poetry(tmp_path / "app", f'lib = {{ git = "{url}"{extra} }}')
    _migrate(root, wheels)
    data = tomllib.loads((root / "pyproject.toml").read_text())
    source = data["tool"]["uv"]["sources"]["lib"]
    assert source["git"] == url
    if spec:
        key, value = spec.split(" = ")
        assert source[key] == value.strip('"')
    lib = _locked(root)["lib"]
    assert lib["version"] == version
    git = lib["source"]["git"]
    assert git.endswith("#" + shas["dev" if spec and "dev" in spec else "v1.1" if spec else "main"])
    assert (ref is None and "?" not in git) or f"?{ref}#" in git


def test_poetry_git_rev_as_commit_sha(tmp_path, wheels, repo):
    url, shas = repo
    root = _poetry(tmp_path / "app", f'lib = {{ git = "{url}", rev = "{shas["first"]}" }}')
    _migrate(root, wheels)
    assert tomllib.loads((root / "pyproject.toml").read_text())["tool"]["uv"]["sources"]["lib"]["rev"] == shas["first"]
    lib = _locked(root)["lib"]
    assert lib["version"] == "1.0" and lib["source"]["git"].endswith("#" + shas["first"])


def test_poetry_git_subdirectory(tmp_path, wheels, repo):
    url, shas = repo
    root = _poetry(tmp_path / "app", f'lib-cli = {{ git = "{url}", subdirectory = "tools/cli" }}')
    _migrate(root, wheels)
    assert tomllib.loads((root / "pyproject.toml").read_text())["tool"]["uv"]["sources"]["lib-cli"] == {
        "git": url, "subdirectory": "tools/cli"}
    cli = _locked(root)["lib-cli"]
    assert cli["version"] == "4.0"
    assert cli["source"]["git"].startswith(f"{url}?subdirectory=tools%2Fcli#{shas['main']}")


def test_poetry_scp_like_git_url_locks_through_git(tmp_path, wheels, repo):
    """``git@github.com:org/lib.git`` (Poetry accepts it, uv does not) becomes ``ssh://git@github.com/org/
    lib.git``; git, run by uv, fetches it (redirected to the local repository by ``url.insteadOf`` in a
    ``GIT_CONFIG_GLOBAL`` file, as the corpus test does for remote repositories)."""
    url, shas = repo
    root = _poetry(tmp_path / "app", 'lib = { git = "git@github.com:example/lib.git", tag = "v1.1" }')
    config = tmp_path / "gitconfig"
    config.write_text(f'[url "{url}"]\n\tinsteadOf = ssh://git@github.com/example/lib.git\n')
    proc = run_migrate("run", str(root), "--offline", "--find-links", str(wheels), "--no-codemods", "--allow-dirty",
                       "--format", "json", env={"GIT_CONFIG_GLOBAL": str(config), "UV_NO_GITHUB_FAST_PATH": "1"})
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert tomllib.loads((root / "pyproject.toml").read_text())["tool"]["uv"]["sources"]["lib"] == {
        "git": "ssh://git@github.com/example/lib.git", "tag": "v1.1"}
    lib = _locked(root)["lib"]
    assert lib["version"] == "1.1"
    assert lib["source"]["git"] == f"ssh://git@github.com/example/lib.git?tag=v1.1#{shas['v1.1']}"


def test_poetry_git_dependency_with_extras_locks_the_extra_requirements(tmp_path, wheels, repo):
    url, _ = repo
    root = _poetry(tmp_path / "app", f'lib = {{ git = "{url}", tag = "v1.1", extras = ["fast"] }}')
    _migrate(root, wheels)
    data = tomllib.loads((root / "pyproject.toml").read_text())
    assert "lib[fast]" in data["project"]["dependencies"]
    locked = _locked(root)
    assert locked["lib"]["version"] == "1.1"
    assert {"fastlib", "helper"} <= set(locked)
    assert [d["name"] for d in locked["lib"]["optional-dependencies"]["fast"]] == ["fastlib"]


def test_poetry_git_dependency_in_a_dev_group(tmp_path, wheels, repo):
    url, _ = repo
    root = _poetry(tmp_path / "app", 'helper = "^1.0"', dev=f'lib = {{ git = "{url}", branch = "dev" }}')
    _migrate(root, wheels)
    data = tomllib.loads((root / "pyproject.toml").read_text())
    assert data["dependency-groups"]["dev"] == ["lib"]
    assert data["tool"]["uv"]["sources"]["lib"] == {"git": url, "branch": "dev"}
    app = _locked(root)["app"]
    assert [d["name"] for d in app["dev-dependencies"]["dev"]] == ["lib"]
    assert _locked(root)["lib"]["version"] == "3.0.dev1"


@pytest.mark.parametrize("ref, version", [("v1.1", "1.1"), ("dev", "3.0.dev1"), ("first", "1.0")])
def test_pipenv_git_ref(tmp_path, wheels, repo, ref, version):
    url, shas = repo
    ref = shas[ref] if ref == "first" else ref
    root = tmp_path / "app"
    root.mkdir()
    (root / "Pipfile").write_text(textwrap.dedent(f"""\
        [packages]
        lib = {{ git = "git+{url}", ref = "{ref}" }}

        [requires]
        python_version = "3.11"
        """))
    _migrate(root, wheels)
    data = tomllib.loads((root / "pyproject.toml").read_text())
    assert data["tool"]["uv"]["sources"]["lib"] == {"git": url, "rev": ref}
    lib = _locked(root)["lib"]
    assert lib["version"] == version and f"?rev={ref}#" in lib["source"]["git"]


def _local_package(folder: Path, name: str, version: str) -> None:
    text, module = _pyproject(GitDep(name, "", version=version))
    (folder / module).mkdir(parents=True)
    (folder / module / "__init__.py").write_text("")
    (folder / "pyproject.toml").write_text(text)


def test_poetry_editable_path_dependency(tmp_path, wheels):
    _local_package(tmp_path / "libs" / "util", "util", "0.3")
    root = _poetry(tmp_path / "app", 'util = { path = "../libs/util", develop = true }')
    _migrate(root, wheels)
    assert tomllib.loads((root / "pyproject.toml").read_text())["tool"]["uv"]["sources"]["util"] == {
        "path": "../libs/util", "editable": True}
    util = _locked(root)["util"]
    assert util["version"] == "0.3" and util["source"] == {"editable": "../libs/util"}


def test_pipenv_editable_path_dependency(tmp_path, wheels):
    root = tmp_path / "app"
    _local_package(root / "util", "util", "0.3")
    (root / "Pipfile").write_text(textwrap.dedent("""\
        [packages]
        util = { path = "./util", editable = true }

        [requires]
        python_version = "3.11"
        """))
    _migrate(root, wheels)
    source = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["uv"]["sources"]["util"]
    assert source["editable"] is True and source["path"] in ("util", "./util")
    util = _locked(root)["util"]
    assert util["version"] == "0.3" and util["source"] == {"editable": "util"}


def test_poetry_git_rev_as_short_sha(tmp_path, wheels, repo):
    """Poetry's ``rev`` may be an abbreviated commit; uv's ``rev`` takes it (it fetches branches and tags and
    finds the commit among them)."""
    url, shas = repo
    short = shas["v1.1"][:10]
    root = _poetry(tmp_path / "app", f'lib = {{ git = "{url}", rev = "{short}" }}')
    _migrate(root, wheels)
    lib = _locked(root)["lib"]
    assert lib["version"] == "1.1" and lib["source"]["git"] == f"{url}?rev={short}#{shas['v1.1']}"


def test_poetry_editable_git_dependency_is_locked_non_editable_with_a_warning(tmp_path, wheels, repo):
    url, shas = repo
    root = _poetry(tmp_path / "app", f'lib = {{ git = "{url}", tag = "v1.1", develop = true }}')
    report = _migrate(root, wheels)
    assert tomllib.loads((root / "pyproject.toml").read_text())["tool"]["uv"]["sources"]["lib"] == {
        "git": url, "tag": "v1.1"}
    warned = [w for w in report["warnings"] if w["code"] == "MIG216"]
    assert len(warned) == 1 and warned[0]["key"].endswith("lib.develop"), report["warnings"]
    assert _locked(root)["lib"]["version"] == "1.1"
    # develop = false says what uv does anyway: no warning
    root = _poetry(tmp_path / "app2", f'lib = {{ git = "{url}", tag = "v1.1", develop = false }}')
    assert not [w for w in _migrate(root, wheels)["warnings"] if w["code"] == "MIG216"]


@pytest.fixture()
def local_wheel(tmp_path) -> Path:
    folder = tmp_path / "my wheels"  # a space: the file:// URL spells it %20
    folder.mkdir()
    return build_wheel(folder, "lib", "1.5", "py3-none-any")


def test_poetry_url_dependency_to_a_local_file_becomes_a_path_source(tmp_path, wheels, local_wheel):
    """uv refuses ``file://`` in a ``url`` source ("URL scheme is not allowed"); a path source names the
    same archive."""
    root = _poetry(tmp_path / "app", f'lib = {{ url = "{local_wheel.as_uri()}" }}')
    _migrate(root, wheels)
    assert tomllib.loads((root / "pyproject.toml").read_text())["tool"]["uv"]["sources"]["lib"] == {
        "path": str(local_wheel)}
    lib = _locked(root)["lib"]
    assert lib["version"] == "1.5" and lib["source"] == {"path": str(local_wheel)}


def test_pipenv_file_url_with_escapes_becomes_a_path_source(tmp_path, wheels, local_wheel):
    root = tmp_path / "app"
    root.mkdir()
    assert "%20" in local_wheel.as_uri()
    (root / "Pipfile").write_text(f'[packages]\nlib = {{ file = "{local_wheel.as_uri()}" }}\n\n'
                                  '[requires]\npython_version = "3.11"\n')
    _migrate(root, wheels)
    assert tomllib.loads((root / "pyproject.toml").read_text())["tool"]["uv"]["sources"]["lib"] == {
        "path": str(local_wheel)}
    assert _locked(root)["lib"]["version"] == "1.5"


@pytest.mark.parametrize("kind", ["poetry", "pipenv"])
def test_remote_archive_url_dependency_locks_from_that_url(tmp_path, wheels, kind):
    """Poetry ``{ url = "https://…/v1.2.zip" }`` and Pipenv ``{ file = "https://…" }`` lock from the URL they
    name. uv --offline fetches no URL, so uv runs online with every request sent to a local proxy that
    answers for that URL's host only (tests/urlproxy.py)."""
    from urlproxy import ArchiveProxy, stand_in_archive

    url = "https://github.com/example/lib/archive/refs/tags/v1.2.zip"
    text, module = _pyproject(GitDep("lib", "", version="1.2", requires=["helper>=1"]))
    archive = stand_in_archive(tmp_path / "archive", url, text, module)
    root = tmp_path / "app"
    if kind == "poetry":
        _poetry(root, f'lib = {{ url = "{url}" }}')
    else:
        root.mkdir()
        (root / "Pipfile").write_text(f'[packages]\nlib = {{ file = "{url}" }}\n\n[requires]\npython_version = "3.11"\n')
    with ArchiveProxy({url: archive}, tmp_path / "cert") as proxy:
        proc = run_migrate("run", str(root), "--index-url", proxy.index_url, "--find-links", str(wheels),
                           "--no-codemods", "--allow-dirty", "--format", "json", env=proxy.env())
        served = list(proxy.served)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    data = tomllib.loads((root / "pyproject.toml").read_text())
    if kind == "poetry":
        assert data["tool"]["uv"]["sources"]["lib"] == {"url": url}
    else:
        assert data["project"]["dependencies"] == [f"lib @ {url}"]
    locked = _locked(root)
    assert locked["lib"]["version"] == "1.2" and locked["lib"]["source"] == {"url": url}
    assert locked["helper"]["version"] == "1.0"
    assert set(served) == {url}
