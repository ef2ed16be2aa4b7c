"""Pipenv projects end to end: `migrate run` (writer included) on fixtures and the whole Pipenv corpus,
--dry-run, --format json, --keep-old-files, bad input (exit 2, tree byte-identical), an offline lock."""

from __future__ import annotations

import json
import shutil
import textwrap
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from validate_pyproject.api import Validator

from conftest import CORPUS, FIXTURES, run_migrate, tree_digest
from wheelhouse import build_wheelhouse

from migrate.pipeline import RunOptions, run

VALIDATE = Validator()
NOT_PACKAGES = {"source", "requires", "pipenv", "scripts"}


def copy(src: Path, tmp_path: Path) -> Path:
    dst = tmp_path / src.name
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("SOURCE.md"))
    return dst


def migrate(root: Path, **kw) -> dict:
    """Run in-process (fast) and return the written pyproject.toml, validated."""
    result = run(root, RunOptions(lock=False, codemods=False, allow_dirty=True, **kw))
    assert result.exit_code == 0, result.error
    doc = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    VALIDATE(doc)
    return doc


def requirement_names(doc: dict) -> set[str]:
    reqs = list(doc["project"].get("dependencies", []))
    for group in doc.get("dependency-groups", {}).values():
        reqs += [r for r in group if isinstance(r, str)]
    return {canonicalize_name(Requirement(r).name) for r in reqs}


def assert_every_package_kept(pipfile: dict, doc: dict, root: Path) -> None:
    names = requirement_names(doc)
    for category, table in pipfile.items():
        if category in NOT_PACKAGES:
            continue
        for name, spec in table.items():
            if isinstance(spec, dict) and "path" in spec and (root / spec["path"]).resolve() == root.resolve():
                continue  # the project itself
            assert canonicalize_name(name.split("[")[0]) in names, f"{category}.{name} lost"


# -- named fixtures --------------------------------------------------------------------------------------------
PIPENV_FIXTURES = sorted(p for p in FIXTURES.glob("pipenv-*") if (p / "Pipfile").is_file())


@pytest.mark.parametrize("src", PIPENV_FIXTURES, ids=[p.name for p in PIPENV_FIXTURES])
def test_fixture_converts_validates_and_keeps_every_package(tmp_path, src):
    assert (src / "SOURCE.md").is_file()
    root = copy(src, tmp_path)
    pipfile = tomllib.loads((root / "Pipfile").read_text())
    doc = migrate(root)
    assert_every_package_kept(pipfile, doc, root)
    assert not (root / "Pipfile").exists() and not (root / "Pipfile.lock").exists()


def test_handmade_fixture_output(tmp_path):
    root = copy(FIXTURES / "pipenv-handmade", tmp_path)
    doc = migrate(root)
    project, uv = doc["project"], doc["tool"]["uv"]
    assert project["name"] == "pipenv-handmade" and project["requires-python"] == ">=3.10"
    assert "build-system" not in doc and uv["package"] is False and uv["prerelease"] == "allow"
    assert uv["index"] == [
        {"name": "pypi", "url": "https://pypi.org/simple", "explicit": True},
        {"name": "private-repo", "url": "https://${PRIVATE_USER}:${PRIVATE_TOKEN}@private.example.org/simple",
         "explicit": True},
        {"name": "mirror", "url": "https://mirror.example.org/simple", "default": True},
    ]
    assert uv["sources"] == {
        "internal-lib": {"index": "private-repo"},
        "public-lib": {"index": "pypi"},
        "toolkit": {"git": "https://github.com/example/toolkit.git", "subdirectory": "python", "rev": "v1.2.0"},
        "sibling": {"path": "../sibling", "editable": True},
        "vendored": {"path": "./vendor/vendored-1.0.tar.gz"},
    }
    deps = {canonicalize_name(Requirement(r).name): Requirement(r) for r in project["dependencies"]}
    assert deps["remote-wheel"].url == "https://files.example.org/remote_wheel-2.0-py3-none-any.whl"
    assert str(deps["httpx"].specifier) == ">=0.27" and deps["httpx"].extras == {"http2", "brotli"}
    assert deps["uvloop"].marker.evaluate({"implementation_name": "cpython", "os_name": "posix",
                                           "platform_machine": "x86_64"})
    assert not deps["uvloop"].marker.evaluate({"implementation_name": "cpython", "os_name": "nt",
                                               "platform_machine": "x86_64"})
    assert doc["dependency-groups"] == {"dev": ["pytest>=8", "pytest-cov"], "docs-build": ["sphinx==7.2.6"]}
    assert (root / ".python-version").read_text().strip() == "3.13t"


def test_existing_pyproject_is_merged_and_keeps_its_build_system(tmp_path):
    root = copy(FIXTURES / "pipenv-handmade-existing", tmp_path)
    before = (root / "pyproject.toml").read_text()
    doc = migrate(root)
    text = (root / "pyproject.toml").read_text()
    assert text.startswith("# Tooling configuration that must survive the migration.\n")
    assert "line-length = 100  # keep this comment" in text and 'addopts = "-q"' in text
    assert doc["build-system"] == tomllib.loads(before)["build-system"]
    assert doc["project"]["name"] == "Existing_App" and doc["project"]["version"] == "2.1.0"
    assert doc["project"]["requires-python"] == ">=3.9"  # the existing one wins over [requires]
    assert doc["project"]["dependencies"] == ["attrs>=23"] and doc["dependency-groups"] == {"dev": ["pytest"]}
    assert doc.get("tool", {}).get("uv", {}).get("package", True) is True


def test_polycraft_groups_get_their_packages(tmp_path):
    root = copy(FIXTURES / "pipenv-polycraft", tmp_path)
    doc = migrate(root)
    assert doc["dependency-groups"] == {"torch-cpu": ["torch", "torchvision"],
                                        "torch-cu116": ["torch", "torchvision"]}
    assert doc["tool"]["uv"]["package"] is True and doc["project"]["dependencies"] == []
    uv = doc["tool"]["uv"]
    assert uv["conflicts"] == [[{"group": "torch-cpu"}, {"group": "torch-cu116"}]]
    for name in ("torch", "torchvision"):
        assert uv["sources"][name] == [{"index": "pytorch-cpu", "group": "torch-cpu"},
                                       {"index": "pytorch-cu116", "group": "torch-cu116"}]


# -- CLI: dry-run, json, keep-old-files ----------------------------------------------------------------------------
def small(tmp_path: Path, requires: str = "3.12") -> Path:
    root = tmp_path / "small-app"
    root.mkdir()
    (root / "Pipfile").write_text(textwrap.dedent(f"""\
        [packages]
        requests = "*"
        [dev-packages]
        pytest = ">=8"
        [requires]
        python_version = "{requires}"
        [scripts]
        serve = "python -m http.server"
        """))
    (root / "Pipfile.lock").write_text(json.dumps({"_meta": {"pipfile-spec": 6},
                                                   "default": {"requests": {"version": "==2.31.0"}}}))
    return root


def test_dry_run_shows_the_diff_and_writes_nothing(tmp_path):
    root = small(tmp_path)
    before = tree_digest(root)
    proc = run_migrate("run", str(root), "--dry-run", "--no-lock", "--no-codemods")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "+++ b/pyproject.toml" in out and '+dependencies = [\n+    "requests",\n+]' in out
    assert "--- a/Pipfile\n+++ /dev/null" in out and "Pipfile.lock: deleted (" in out  # the lock: one line
    assert tree_digest(root) == before


def test_dry_run_json(tmp_path):
    root = small(tmp_path)
    before = tree_digest(root)
    proc = run_migrate("run", str(root), "--dry-run", "--no-lock", "--no-codemods", "--format", "json")
    data = json.loads(proc.stdout)
    assert proc.returncode == 0 and data["status"] == "would-change" and data["source_format"] == "pipenv"
    assert tree_digest(root) == before


def test_format_json(tmp_path):
    root = small(tmp_path)
    proc = run_migrate("run", str(root), "--format", "json", "--no-lock", "--no-codemods")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["source_format"] == "pipenv" and data["status"] == "migrated" and data["project"] == "small-app"
    assert {c["path"]: c["action"] for c in data["changes"]} == {
        "pyproject.toml": "create", "Pipfile": "delete", "Pipfile.lock": "delete", ".python-version": "create"}
    assert [(w["code"], w["path"], w["key"]) for w in data["warnings"]] == [("MIG101", "Pipfile", "scripts.serve")]
    doc = tomllib.loads((root / "pyproject.toml").read_text())
    VALIDATE(doc)
    assert doc["project"]["dependencies"] == ["requests"] and doc["dependency-groups"] == {"dev": ["pytest>=8"]}


def test_keep_old_files(tmp_path):
    root = small(tmp_path)
    old = {p: (root / p).read_bytes() for p in ("Pipfile", "Pipfile.lock")}
    assert run_migrate("run", str(root), "--no-lock", "--no-codemods", "--keep-old-files").returncode == 0
    assert {p: (root / p).read_bytes() for p in old} == old and (root / "pyproject.toml").is_file()


def test_requires_python_that_excludes_the_target_is_reported(tmp_path):
    root = small(tmp_path, requires="3.14")
    proc = run_migrate("run", str(root), "--no-lock", "--no-codemods", "--format", "json")
    data = json.loads(proc.stdout)
    assert proc.returncode == 0 and "MIG001" in {w["code"] for w in data["warnings"]}
    assert not (root / ".python-version").exists()
    assert tomllib.loads((root / "pyproject.toml").read_text())["project"]["requires-python"] == ">=3.14"
    (tmp_path / "strict").mkdir()
    root2 = small(tmp_path / "strict", requires="3.14")
    before = tree_digest(root2)
    assert run_migrate("run", str(root2), "--no-lock", "--no-codemods", "--strict-target").returncode == 2
    assert tree_digest(root2) == before


# -- bad input: exit 2, a clear message, nothing written ----------------------------------------------------------
BAD = [
    ("[packages\nx = '*'\n", None, "Pipfile:1", "invalid TOML"),
    ("[packages]\nx = '>>1'\n", None, "Pipfile: packages.x", "invalid version specifier"),
    ("[packages]\nx = { verison = '1' }\n", None, "Pipfile: packages.x.verison", "did you mean 'version'"),
    ("[packages]\nx = { version = '*', index = 'nope' }\n", None, "Pipfile: packages.x.index", "not a [[source]]"),
    ("[packages]\nx = '*'\n", "{not json", "Pipfile.lock:1:2", "invalid JSON"),
    ("[packages]\nx = '*'\n", {"default": {}}, "Pipfile.lock: _meta", "_meta"),
    ("[packages]\nx = '*'\n", {"_meta": {}, "default": []}, "Pipfile.lock: default", "expected an object"),
    ("[packages]\nx = '*'\n", {"_meta": {}, "default": {"x": {"version": 1}}}, "Pipfile.lock: default.x.version",
     "expected a version"),
]


@pytest.mark.parametrize("pip,lock,where,fragment", BAD, ids=[b[3] for b in BAD])
def test_bad_input_exits_2_and_writes_nothing(tmp_path, pip, lock, where, fragment):
    root = tmp_path / "bad"
    root.mkdir()
    (root / "Pipfile").write_text(pip)
    (root / "pyproject.toml").write_text("[tool.black]\nline-length = 88\n")
    if lock is not None:
        (root / "Pipfile.lock").write_text(lock if isinstance(lock, str) else json.dumps(lock))
    before = tree_digest(root)
    proc = run_migrate("run", str(root), "--no-lock", "--no-codemods")
    assert proc.returncode == 2 and where in proc.stderr and fragment in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    assert tree_digest(root) == before
    proc = run_migrate("run", str(root), "--no-lock", "--no-codemods", "--format", "json")
    assert proc.returncode == 2 and json.loads(proc.stdout)["status"] == "error"
    assert tree_digest(root) == before


# -- offline lock: Pipfile.lock pins survive in uv.lock, custom categories included ------------------------------
def test_offline_lock_keeps_pins_of_every_category(tmp_path):
    wheels = build_wheelhouse(tmp_path / "wheels", {
        "alpha": {"1.0": ["py3-none-any"], "1.1": ["py3-none-any"]},
        "beta": {"0.5": ["py3-none-any"], "0.6": ["py3-none-any"]},
        "gamma": {"2.0": ["py3-none-any"], "2.1": ["py3-none-any"]},
    })
    root = tmp_path / "locked-app"
    root.mkdir()
    (root / "Pipfile").write_text('[packages]\nalpha = "*"\n[dev-packages]\nbeta = "*"\n[docs]\ngamma = ">=2"\n'
                                  '[requires]\npython_version = "3.11"\n')
    (root / "Pipfile.lock").write_text(json.dumps({
        "_meta": {"pipfile-spec": 6},
        "default": {"alpha": {"version": "==1.0"}},
        "develop": {"beta": {"version": "==0.5"}},
        "docs": {"gamma": {"version": "==2.0", "markers": "python_version >= '3.8'"}},
    }))
    proc = run_migrate("run", str(root), "--offline", "--find-links", str(wheels), "--no-codemods",
                       env={"UV_CACHE_DIR": str(tmp_path / "uv-cache")})
    assert proc.returncode == 0, proc.stderr
    lock = tomllib.loads((root / "uv.lock").read_text())
    versions = {p["name"]: p.get("version") for p in lock["package"]}
    assert (versions["alpha"], versions["beta"], versions["gamma"]) == ("1.0", "0.5", "2.0")
    assert "constraint-dependencies" not in (root / "pyproject.toml").read_text()


def simple_index(folder: Path, wheels: list[Path]) -> str:
    """A PEP 503 index in ``folder`` (one page per project) linking ``wheels``; returns its file:// URL."""
    for wheel in wheels:
        page = folder / canonicalize_name(wheel.name.split("-")[0])
        page.mkdir(parents=True, exist_ok=True)
        (page / "index.html").write_text(f'<html><body><a href="{wheel.as_uri()}">{wheel.name}</a></body></html>')
    return folder.as_uri()


def test_offline_lock_same_package_from_a_different_index_per_category(tmp_path):
    """The pytorch pattern ([torch_cpu] / [torch_cu116] with index =): uv needs group-scoped sources
    and conflicting groups; each group locks its own build."""
    from wheelhouse import build_wheel

    (tmp_path / "w").mkdir()
    cpu = simple_index(tmp_path / "cpu", [build_wheel(tmp_path / "w", "torch", "1.0+cpu", "py3-none-any")])
    cuda = simple_index(tmp_path / "cuda", [build_wheel(tmp_path / "w", "torch", "1.0+cu116", "py3-none-any")])
    root = tmp_path / "torch-app"
    root.mkdir()
    (root / "Pipfile").write_text(textwrap.dedent(f"""\
        [[source]]
        url = "https://pypi.org/simple"
        name = "pypi"
        [[source]]
        url = "{cpu}"
        name = "pytorch_cpu"
        [[source]]
        url = "{cuda}"
        name = "pytorch_cu116"
        [torch_cpu]
        torch = {{index = "pytorch_cpu"}}
        [torch_cu116]
        torch = {{index = "pytorch_cu116"}}
        [requires]
        python_version = "3.11"
        """))
    (root / "Pipfile.lock").write_text(json.dumps({"_meta": {}, "torch_cpu": {"torch": {"version": "==1.0+cpu"}}}))
    proc = run_migrate("run", str(root), "--offline", "--no-codemods", "--format", "json",
                       env={"UV_CACHE_DIR": str(tmp_path / "uv-cache")})
    assert proc.returncode == 0, proc.stderr
    assert ("MIG102", "torch") in {(w["code"], w["key"]) for w in json.loads(proc.stdout)["warnings"]}
    doc = tomllib.loads((root / "pyproject.toml").read_text())
    VALIDATE(doc)
    assert doc["tool"]["uv"]["conflicts"] == [[{"group": "torch-cpu"}, {"group": "torch-cu116"}]]
    assert doc["tool"]["uv"]["sources"]["torch"] == [{"index": "pytorch-cpu", "group": "torch-cpu"},
                                                     {"index": "pytorch-cu116", "group": "torch-cu116"}]
    lock = tomllib.loads((root / "uv.lock").read_text())
    assert sorted(p["version"] for p in lock["package"] if p["name"] == "torch") == ["1.0+cpu", "1.0+cu116"]


# -- the real corpus ------------------------------------------------------------------------------------------------
PIPENV = sorted(p.parent for p in CORPUS.glob("pipenv/*/Pipfile")) if CORPUS.is_dir() else []


@pytest.mark.skipif(not PIPENV, reason="../shared/corpus is not present")
@pytest.mark.parametrize("src", PIPENV, ids=[p.name for p in PIPENV])
def test_corpus_pipenv_project_converts(tmp_path, src):
    root = copy(src, tmp_path)
    pipfile = tomllib.loads((src / "Pipfile").read_text(encoding="utf-8"))
    doc = migrate(root)
    assert_every_package_kept(pipfile, doc, root)
    if (src / "Pipfile.lock").is_file():
        assert not (root / "Pipfile.lock").exists()
