"""A blocker's dependent moves instead: the real uv, offline, against a local wheel folder.

``tool 2.0`` requires ``blocker`` (GIL-only native wheels in every version, like ast-serialize for
mypy >= 2); ``tool 1.9`` does not. The lock moves tool to 1.9 for the target's Python only."""

from __future__ import annotations

import json
import os
import textwrap
import tomllib
from pathlib import Path

import pytest

from conftest import run_migrate, tree_digest
from projects import wheels_poetry_lock
from wheelhouse import LINUX, build_wheelhouse

from migrate.lock.dependents import _candidates, requires_any, requires_dist
from migrate.lock.index import IndexClient

GIL = [f"cp310-cp310-{LINUX}", f"cp313-cp313-{LINUX}"]
SPEC = {
    "tool": {"1.8": ["py3-none-any"], "1.9": ["py3-none-any"], "2.0": ["py3-none-any"]},
    "blocker": {"1.0": GIL, "1.1": GIL},
    "helper": {"1.0": ["py3-none-any"]},
    # every version requires the blocker: nothing to move to
    "stuck": {"1.0": ["py3-none-any"], "1.1": ["py3-none-any"]},
    # requires it only with its extra "fast" from 2.0 on
    "ext": {"1.0": ["py3-none-any"], "2.0": ["py3-none-any"]},
    # a blocker with a fix: 1.1 has cp313t wheels
    "wheelfix": {"1.0": GIL, "1.1": GIL + [f"cp313-cp313t-{LINUX}"]},
}
REQUIRES = {
    ("tool", "1.8"): ["helper"], ("tool", "1.9"): ["helper", "blocker>=1.0; python_version < '3.11'"],
    ("tool", "2.0"): ["helper", "blocker>=1.0"],
    ("stuck", "1.0"): ["blocker"], ("stuck", "1.1"): ["blocker"],
    ("ext", "2.0"): ['blocker; extra == "fast"'],
}


@pytest.fixture(scope="module")
def wheels(tmp_path_factory) -> Path:
    return build_wheelhouse(tmp_path_factory.mktemp("depwheels"), SPEC, REQUIRES)


@pytest.fixture(autouse=True)
def _uv_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "uv-cache"))


def poetry_project(tmp_path: Path, dev: str) -> Path:
    root = tmp_path / "app"
    (root / "app").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("")
    (root / "pyproject.toml").write_text(textwrap.dedent(f"""\
        [tool.poetry]
        name = "app"
        version = "0.1.0"
        description = "dependents"
        authors = ["Demo <demo@example.org>"]

        [tool.poetry.dependencies]
        python = "^3.10"
        helper = "*"

        [tool.poetry.group.dev.dependencies]
        {dev}

        [build-system]
        requires = ["poetry-core>=1.0.0"]
        build-backend = "poetry.core.masonry.api"
        """))
    return root


def migrate(root: Path, wheels: Path, *extra: str):
    return run_migrate("run", str(root), "--offline", "--find-links", str(wheels), "--no-codemods",
                       "--format", "json", *extra)


def locked(root: Path) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for p in tomllib.loads((root / "uv.lock").read_text())["package"]:
        out.setdefault(p["name"], set()).add(p["version"])
    return out


def target_resolution(root: Path, python: str = "3.13") -> set[tuple[str, str]]:
    from migrate.lock.freethreading import read_uv_lock

    return {(p.name, p.version) for p in read_uv_lock(root / "uv.lock", python) if p.on_target and not p.local}


def test_the_dependent_moves_down_and_the_blocker_leaves_the_targets_resolution(tmp_path, wheels):
    root = poetry_project(tmp_path, 'tool = ">=1.8"')
    proc = migrate(root, wheels)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    report = json.loads(proc.stdout)
    # tool 2.0 stays for the other Pythons (3.10-3.12 have blocker wheels), 1.9 for the target
    assert locked(root)["tool"] == {"1.9", "2.0"}
    on = target_resolution(root)
    assert ("tool", "1.9") in on and ("tool", "2.0") not in on
    assert not any(n == "blocker" for n, _ in on)  # the blocker left the target's resolution
    assert any(n == "blocker" for n, _ in target_resolution(root, "3.12"))  # and stays for the others
    text = (root / "pyproject.toml").read_text()
    assert tomllib.loads(text)["tool"]["uv"]["constraint-dependencies"] == ["tool==1.9; python_version == '3.13'"]
    assert "# free-threading: tool 2.0 requires blocker, which has no cp313t build in any version; 1.9 is " \
           "the newest without it" in text
    ft = {e["name"]: e for e in report["ft"]}
    assert (ft["tool"]["status"], ft["tool"]["fix"], ft["tool"]["groups"]) == ("downgraded", "tool==1.9",
                                                                              ["group dev"])
    assert ft["blocker"]["status"] == "not-on-target" and ft["blocker"]["dependents"] == ["tool 2.0"]
    warnings = {w["code"]: w["message"] for w in report["warnings"]}
    assert "MIG247" in warnings and "MIG203" not in warnings and "MIG232" not in warnings
    assert warnings["MIG247"] == ("tool 2.0 requires blocker, which has no cp313t build in any version: tool "
                                  "moved to 1.9 on the target (the nearest version without it) (required "
                                  "from: group dev); it is a major version change: check its changelog")


def test_the_projects_own_constraint_excluding_the_move_is_named(tmp_path, wheels):
    root = poetry_project(tmp_path, 'tool = ">=2.0"')
    proc = migrate(root, wheels)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    report = json.loads(proc.stdout)
    assert locked(root)["tool"] == {"2.0"}
    assert ("blocker", "1.1") in target_resolution(root)
    assert "constraint-dependencies" not in tomllib.loads((root / "pyproject.toml").read_text()).get(
        "tool", {}).get("uv", {})
    warnings = {w["code"]: w["message"] for w in report["warnings"]}
    assert warnings["MIG248"] == ("tool 2.0 requires blocker, which has no cp313t build in any version; the "
                                  "project requires tool>=2.0, which excludes every version without it; 1.9 "
                                  "would work: widen the requirement (required from: group dev)")
    assert "MIG203" in warnings  # the blocker itself stays reported


def test_a_dependent_whose_every_version_requires_the_blocker_is_reported(tmp_path, wheels):
    root = poetry_project(tmp_path, 'stuck = "*"')
    proc = migrate(root, wheels)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    warnings = {w["code"]: w["message"] for w in json.loads(proc.stdout)["warnings"]}
    assert warnings["MIG249"].startswith("stuck 1.1 requires blocker, which has no cp313t build in any "
                                         "version, and no other version of stuck with ready files drops it")


def test_no_ft_upgrade_reports_the_move_without_making_it(tmp_path, wheels):
    root = poetry_project(tmp_path, 'tool = ">=1.8"')
    proc = migrate(root, wheels, "--no-ft-upgrade")
    assert proc.returncode == 0, proc.stderr + proc.stdout
    assert locked(root)["tool"] == {"2.0"}
    warnings = {w["code"]: w["message"] for w in json.loads(proc.stdout)["warnings"]}
    assert "tool would move to 1.9 on the target" in warnings["MIG247"]


def test_deps_on_the_uv_lock_names_the_dependent_that_would_move(tmp_path, wheels):
    root = poetry_project(tmp_path, 'tool = ">=1.8"')
    assert migrate(root, wheels, "--no-ft-upgrade").returncode == 0
    proc = run_migrate("deps", str(root), "--offline", "--find-links", str(wheels), "--format", "json")
    assert proc.returncode == 1, proc.stderr  # the blocker is still in this lock
    report = json.loads(proc.stdout)
    tool = next(e for e in report["packages"] if e["name"] == "tool")
    assert (tool["version"], tool["fix"], tool["for_blocker"]) == ("2.0", "tool==1.9", ["blocker"])
    assert any(w["code"] == "MIG247" and "tool would move to 1.9" in w["message"] for w in report["warnings"])


def test_dry_run_writes_nothing(tmp_path, wheels):
    root = poetry_project(tmp_path, 'tool = ">=1.8"')
    digest = tree_digest(root)
    proc = run_migrate("run", str(root), "--dry-run", "--offline", "--find-links", str(wheels), "--no-codemods")
    assert proc.returncode == 0, proc.stderr + proc.stdout
    assert "tool==1.9; python_version == '3.13'" in proc.stdout
    assert tree_digest(root) == digest


def test_requires_dist_reads_local_wheels_and_markers_decide(wheels):
    client = IndexClient(find_links=[str(wheels)], offline=True)
    assert requires_dist(client, "tool", "2.0") == ["helper", "blocker>=1.0"]
    assert requires_dist(client, "tool", "3.0") is None  # no such version: unknown, not "no requirements"
    reqs = requires_dist(client, "tool", "1.9")
    assert requires_any(reqs, {"blocker"}, "3.13", set()) == set()
    assert requires_any(reqs, {"blocker"}, "3.10", set()) == {"blocker"}
    assert requires_any(['blocker; extra == "fast"'], {"blocker"}, "3.13", set()) == set()
    assert requires_any(['blocker; extra == "fast"'], {"blocker"}, "3.13", {"fast"}) == {"blocker"}


def test_candidates_go_down_from_the_locked_version_first_then_up():
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

    by_version = {Version(v): [] for v in ("1.0", "1.5", "2.0", "2.1rc1", "2.5", "3.0")}
    assert [str(v) for v in _candidates(by_version, Version("2.0"), SpecifierSet("<3"))] == \
        ["2.0", "1.5", "1.0", "2.5"]


@pytest.mark.skipif(not os.environ.get("MIGRATE_NETWORK_TESTS"), reason="set MIGRATE_NETWORK_TESTS=1 (reads PyPI)")
def test_pypi_metadata_of_mypy():
    client = IndexClient()
    assert any(r.startswith("ast-serialize") for r in requires_dist(client, "mypy", "2.0.0"))
    assert not any(r.startswith("ast-serialize") for r in requires_dist(client, "mypy", "1.19.1"))


def test_a_wheel_without_a_metadata_file_is_read_for_its_requirements(wheels):
    from migrate.lock.dependents import _wheel_requires

    data = next(wheels.glob("tool-2.0-*.whl")).read_bytes()
    assert _wheel_requires(data) == ["helper", "blocker>=1.0"]
    assert _wheel_requires(b"not a zip") is None



def test_warnings_name_several_blockers_and_a_capped_search():
    from migrate.lock.dependents import dependent_warnings

    entries = [
        {"name": "mypy", "version": "2.1.0", "status": "downgraded", "fix": "mypy==1.18.2",
         "move": {"to": "1.18.2", "direction": "downgrade", "major": True},
         "for_blocker": ["ast-serialize", "librt"], "groups": ["main"]},
        {"name": "pre-commit", "version": "4.6.0", "status": "pure", "fix": None, "for_blocker": ["pyyaml"],
         "groups": ["group dev"], "dependent_tried": 12},
    ]
    first, second = (w.message for w in dependent_warnings(entries, "cp313t"))
    assert first.startswith("mypy 2.1.0 requires ast-serialize and librt, which have no cp313t build in any "
                            "version: mypy moved to 1.18.2 on the target")
    assert "(required from: the project's dependencies)" in first
    assert second == ("pre-commit 4.6.0 requires pyyaml, which has no cp313t build in any version, and none of "
                      "the 12 nearest versions of pre-commit with ready files drops it (required from: group dev)")


def test_unread_metadata_is_not_called_no_version(tmp_path):
    """Versions whose metadata cannot be read (no wheel to open here) are unknown, not 'requires it'."""
    from packaging.specifiers import SpecifierSet

    from migrate.lock.dependents import _search, dependent_warnings

    class Listing:  # an index listing versions whose files are not here to read
        find_links: list = []
        offline = True

        def files(self, name, index=None):
            from packaging.version import Version
            return [(f"{name}-{v}-py3-none-any.whl", Version(v)) for v in ("1.0", "1.1", "2.0")]

    found, unknown, capped, read = _search(Listing(), "tool", "2.0", None, {"blocker"}, "3.13", "cp313t", set(),
                                           SpecifierSet(""))
    assert (found, unknown, capped, read) == (None, 2, False, 0)
    (w,) = dependent_warnings([{"name": "tool", "version": "2.0", "status": "pure", "fix": None,
                                "for_blocker": ["blocker"], "dependent_unknown": 2, "dependent_read": 0}], "cp313t")
    assert "whether another version of tool drops it is not known (2 versions' metadata could not be read)" \
        in w.message


def test_read_ahead_keeps_what_the_search_reads_first(wheels, monkeypatch):
    """The lock stage reads the dependents' metadata while uv resolves (``warm``); the search after it
    reads nothing again (local folder here: the same cache serves an index)."""
    import migrate.lock.dependents as dep

    monkeypatch.setattr(dep, "_REQUIRES", {})
    client = IndexClient(find_links=[str(wheels)], offline=False, index_urls=["http://127.0.0.1:9/simple"])
    monkeypatch.setattr(client, "index_urls", [])  # the folder only
    dep.warm(client, [("tool", "2.0", None)], "cp313t")
    kept = dict(dep._REQUIRES)
    assert {(k[0], k[1]) for k in kept} == {("tool", "1.9"), ("tool", "1.8")}  # down from 2.0 first
    reads = []
    real = dep._local_requires
    monkeypatch.setattr(dep, "_local_requires", lambda *a: reads.append(a) or real(*a))
    from packaging.specifiers import SpecifierSet

    found, _, _, _ = dep._search(client, "tool", "2.0", None, {"blocker"}, "3.13", "cp313t", set(), SpecifierSet(""))
    assert str(found) == "1.9" and not reads  # 1.9 requires the blocker only below 3.11


def poetry_lock(root: Path, wheels: Path, pins: dict[str, str], with_files: bool = True, graph: bool = True) -> None:
    """poetry.lock pinning ``pins`` (name -> version), each with its wheels' file names and hashes (as
    Poetry writes them) or none, and its dependencies as the wheel's Requires-Dist says (``graph``)."""
    (root / "poetry.lock").write_text(wheels_poetry_lock(wheels, pins, REQUIRES if graph else None, with_files=with_files))


@pytest.mark.parametrize("dev, pins, delay", [
    # the blocker leaves the target's resolution with the move
    ('tool = ">=1.8"', {"tool": "2.0", "blocker": "1.1", "helper": "1.0"}, ""),
    # and stays on it for a dependent that cannot move (its MIG249 is found from the lock either way)
    ('tool = ">=1.8"\nstuck = "*"', {"tool": "2.0", "blocker": "1.1", "helper": "1.0", "stuck": "1.1"}, ""),
    # required only through an extra the project asks for
    ('ext = {version = ">=1.0", extras = ["fast"]}', {"ext": "2.0", "blocker": "1.1", "helper": "1.0"}, ""),
    # beside a blocker's fix (the fixes are written in name order either way)
    ('tool = ">=1.8"\nwheelfix = "*"', {"tool": "2.0", "blocker": "1.1", "helper": "1.0", "wheelfix": "1.0"}, ""),
    # the same, the late run knowing the blocker's fix early (the old lock lists files) but not who requires
    # the blocker (no dependencies listed): the fix in the first resolution, the move in the second
    ('tool = ">=1.8"\nwheelfix = "*"', {"tool": "2.0", "blocker": "1.1", "helper": "1.0", "wheelfix": "1.0"},
     "no-graph"),
    # a slow index: uv starts on the pins alone, then on the blocker's fixes (none), and is stopped when
    # the move turns up
    ('tool = ">=1.8"', {"tool": "2.0", "blocker": "1.1", "helper": "1.0"}, "1"),
])
def test_a_dependents_move_known_from_the_old_lock_needs_one_resolution_and_gives_the_same_result(
        tmp_path, wheels, monkeypatch, dev, pins, delay):
    """poetry.lock names each pin's files and dependencies: the blocker with no fix and the pin that
    requires it are known before uv runs, so the dependent's move goes into the first resolution (then
    `uv lock --check` after taking the pins out). Without the file names it is found from the first lock
    and applied by a second. Both give the same files, report and warnings."""
    no_graph = delay == "no-graph"
    monkeypatch.setenv("MIGRATE_TEST_PREASSESS_DELAY", "" if no_graph else delay)
    roots = {}
    for kind in ("early", "late"):
        root = roots[kind] = poetry_project(tmp_path / kind, dev)
        poetry_lock(root, wheels, pins, with_files=kind == "early" or no_graph, graph=kind == "early" or not no_graph)
    reports = {}
    for kind, root in roots.items():
        proc = migrate(root, wheels, "--allow-dirty")
        assert proc.returncode == 0, proc.stderr + proc.stdout
        reports[kind] = json.loads(proc.stdout)
    runs = {kind: [r["args"] for r in reports[kind]["lock"]["uv_runs"] if not (r.get("stopped") or r.get("unused"))]
            for kind in roots}
    assert runs == {"early": [["lock"], ["lock", "--check"]], "late": [["lock"], ["lock"]]}
    unused = [r for r in reports["early"]["lock"]["uv_runs"] if r.get("stopped") or r.get("unused")]
    assert len(unused) == (1 if delay == "1" else 0)  # the run on the pins alone; no blocker has a fix to add
    early, late = roots["early"], roots["late"]
    assert (early / "pyproject.toml").read_text() == (late / "pyproject.toml").read_text()
    assert (early / "uv.lock").read_text() == (late / "uv.lock").read_text()
    moved, old, new = ("ext", "2.0", "1.0") if "ext" in pins else ("tool", "2.0", "1.9")
    assert (moved, new) in target_resolution(early) and locked(early)[moved] == {new, old}
    for key in ("ft", "warnings"):
        assert reports["early"][key] == reports["late"][key], key
    for key in ("changed_pins", "kept_pins", "packages", "counts"):
        assert reports["early"]["lock"][key] == reports["late"]["lock"][key], key
    ft = {e["name"]: e for e in reports["early"]["ft"]}
    assert ft[moved]["status"] == "downgraded" and ft[moved]["groups"] == ["group dev"]
    assert ft["blocker"]["dependents"] == (["stuck 1.1", f"tool {old}"] if "stuck" in pins else [f"{moved} {old}"])
    assert ft["blocker"]["status"] == ("blocker" if "stuck" in pins else "not-on-target")
    assert "blocker_entries" not in json.dumps(reports["early"])


def test_the_page_the_index_client_read_serves_the_metadata_search(monkeypatch, tmp_path):
    """A dependent's project page is read once: the search finds its wheels' URLs in the entries the index
    client kept when it read the file names, and asks the index only for the version's metadata."""
    import migrate.lock.dependents as dep
    from migrate.lock.index import PAGES
    from test_pipenv_files import LocalIndex

    monkeypatch.setattr(dep, "_PAGES", {})
    monkeypatch.setattr(dep, "_REQUIRES", {})
    monkeypatch.setenv("MIGRATE_INDEX_CACHE_TTL", "0")
    PAGES.clear()
    folder = build_wheelhouse(tmp_path / "w", {"tool": SPEC["tool"], "helper": SPEC["helper"]}, REQUIRES)
    served = LocalIndex(folder, "json")
    try:
        client = IndexClient(index_urls=[served.url])
        assert {str(v) for _, v in client.files("tool")} == {"1.8", "1.9", "2.0"}
        assert requires_dist(client, "tool", "2.0") == ["helper", "blocker>=1.0"]
        assert served.asked == ["tool"]
    finally:
        served.close()
        PAGES.clear()


def test_a_failing_early_search_leaves_the_move_to_the_search_after_the_lock(tmp_path, wheels, monkeypatch):
    """The search before uv runs is a head start: if it fails for a reason of its own, the run goes on as
    without it (two resolutions) and makes the same move."""
    import migrate.lock.dependents as dep
    from migrate.pipeline import RunOptions, plan

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the early search")

    monkeypatch.setattr(dep, "early_moves", broken)
    monkeypatch.delenv("MIGRATE_TEST_STRICT", raising=False)
    options = RunOptions(offline=True, find_links=[str(wheels)], codemods=False, allow_dirty=True)
    roots = [poetry_project(tmp_path / name, 'tool = ">=1.8"') for name in ("a", "b")]
    for root in roots:
        poetry_lock(root, wheels, {"tool": "2.0", "blocker": "1.1", "helper": "1.0"})
    result = plan(roots[0], options)
    assert result.exit_code == 0, result.error
    assert [r["args"] for r in result.lock["uv_runs"] if not (r.get("stopped") or r.get("unused"))] == \
        [["lock"], ["lock"]]
    assert "tool==1.9; python_version == '3.13'" in result.changes.current("pyproject.toml").decode()
    monkeypatch.setenv("MIGRATE_TEST_STRICT", "1")  # the tests' setting: the failure is raised
    with pytest.raises(RuntimeError):
        plan(roots[1], options)


def test_early_moves_from_the_old_locks_pins(wheels):
    """The search before uv runs, on its own: a pin requiring a blocker with no fix moves (the blocker's
    entry kept for the lock's report); a package with a fix of its own, a pin from an index the project
    does not name, or one asked for no extra that brings the blocker, does not."""
    from migrate.lock.dependents import early_moves
    from migrate.model import Pin

    client = IndexClient(find_links=[str(wheels)], offline=True)

    def pin(name, version, requires=()):
        files = tuple(sorted(p.name for p in wheels.glob(f"{name}-{version}-*.whl")))
        return Pin(name, version, files=files, requires=tuple(requires))

    pins = [pin("tool", "2.0", ["helper", "blocker"]), pin("blocker", "1.1"), pin("helper", "1.0"),
            pin("ext", "2.0", ["blocker"])]
    stuck = [{"name": "blocker", "version": "1.1", "status": "blocker", "fix": None, "searched": "offline"}]
    (tool,) = early_moves(pins, stuck, "cp313t", "3.13", client)
    assert (tool["name"], tool["fix"], tool["for_blocker"], tool["move"]["direction"]) == \
        ("tool", "tool==1.9", ["blocker"], "downgrade")
    assert tool["blocker_entries"] == stuck and tool["blocker_entries"][0] is not stuck[0]
    assert early_moves(pins, stuck, "cp313t", "3.13", client, exclude={"tool"}) == []
    moved = early_moves(pins, stuck, "cp313t", "3.13", client, asked={"ext": {"fast"}})
    assert sorted(e["fix"] for e in moved) == ["ext==1.0", "tool==1.9"]
    elsewhere = [Pin(p.name, p.version, origin="https://other.example/simple", files=p.files, requires=p.requires)
                 for p in pins]
    assert early_moves(elsewhere, stuck, "cp313t", "3.13", client) == []
    assert early_moves(elsewhere, stuck, "cp313t", "3.13", client, indexes={"https://other.example/simple"})


@pytest.mark.parametrize("text", [
    "Metadata-Version: 2.1\nName: a\nVersion: 1\nRequires-Dist: b>=1\nRequires-Dist: c; extra == \"x\"\n\n"
    "Requires-Dist: not-a-header (the description)\n",
    "Metadata-Version: 2.1\r\nName: a\r\nRequires-Dist: b\r\nrequires-dist: c\r\n\r\nbody\r\n",
    "Metadata-Version: 2.1\nName: a\nRequires-Dist: b;\n  python_version < \"3.8\"\nSummary: x\n",  # folded
    "Metadata-Version: 2.1\nName: a\nVersion: 1\n",
    "Metadata-Version: 2.1\nRequires-Dist:   spaced  \nDescription-Content-Type: text/markdown\n\n# b\n",
])
def test_requires_dist_lines_are_read_as_the_email_parser_reads_them(text):
    import email.parser

    from migrate.lock.dependents import _parse_metadata

    expected = [str(r) for r in email.parser.Parser().parsestr(text, headersonly=True).get_all("Requires-Dist") or []]
    assert _parse_metadata(text) == [r.strip() for r in expected]


def test_a_wheels_metadata_is_read_from_its_zip_directory_as_zipfile_reads_it(wheels, tmp_path):
    """The METADATA member is found from the zip's central directory without zipfile's per-entry walk:
    the same bytes as zipfile gives, for deflated and stored members; a nested or doubled METADATA, or a
    damaged archive, is left to zipfile (None)."""
    import io
    import zipfile

    from migrate.lock.dependents import _metadata_member, _wheel_requires

    def zipfile_reads(data: bytes) -> bytes:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            (name,) = [n for n in zf.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")]
            return zf.read(name)

    built = sorted(wheels.glob("*.whl"))
    assert built and all(_metadata_member(p.read_bytes()) == zipfile_reads(p.read_bytes()) for p in built)

    def archive(members: dict[str, str], method=zipfile.ZIP_DEFLATED) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=method) as zf:
            for name, text in members.items():
                zf.writestr(name, text)
        return buffer.getvalue()

    meta = "Metadata-Version: 2.1\nName: a\nVersion: 1\nRequires-Dist: b\n"
    stored = archive({"a/__init__.py": "", "a-1.dist-info/METADATA": meta, "a-1.dist-info/RECORD": ""},
                     zipfile.ZIP_STORED)
    assert _metadata_member(stored) == meta.encode() and _wheel_requires(stored) == ["b"]
    nested = archive({"a/vendored/x-1.dist-info/METADATA": "Requires-Dist: no\n", "a-1.dist-info/METADATA": meta})
    assert _metadata_member(nested) == meta.encode()
    doubled = archive({"a-1.dist-info/METADATA": meta, "b-1.dist-info/METADATA": meta})
    assert _metadata_member(doubled) is None
    assert _metadata_member(b"not a zip") is None and _metadata_member(stored[: len(stored) // 2]) is None
