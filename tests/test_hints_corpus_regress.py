"""What the hints comparison on the real corpus (bench/compare_hints.py) found, reproduced offline.

The shape of the corpus cases (Textualize/textual, MISP/PyMISP, fastapi template): a pinned native
package ``core`` (GIL-only wheels at the pinned 1.0) has a free-threading fix (1.1 has cp313t
wheels); the pinned ``dep 2.0`` requires ``core==1.0`` and so gives way on the target's Python, where
``dep 1.9`` (requiring ``core==1.1``) is the version uv lands on -- the hint (like pydantic with
pydantic-core). Real uv, offline, local wheels; each project migrated with and without hints
(``MIGRATE_TEST_NO_HINTS=1``) and the outputs compared.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from conftest import run_migrate
from projects import poetry_pyproject, wheels_poetry_lock
from wheelhouse import LINUX, build_wheelhouse

GIL = [f"cp310-cp310-{LINUX}", f"cp313-cp313-{LINUX}"]
SPEC = {
    "core": {"1.0": GIL, "1.1": GIL + [f"cp313-cp313t-{LINUX}"]},
    "dep": {"1.8": ["py3-none-any"], "1.9": ["py3-none-any"], "2.0": ["py3-none-any"]},
    "other": {"1.0": ["py3-none-any"], "1.1": ["py3-none-any"]},
    # fastapi template: sqlalchemy gives way with greenlet; the pinned sqlmodel caps it (<2.1)
    "sql": {"1.9": ["py3-none-any"], "2.0": ["py3-none-any"], "2.1": ["py3-none-any"]},
    "cap": {"1.0": ["py3-none-any"]},
}
REQUIRES = {
    ("dep", "1.8"): ["core==1.0"], ("dep", "1.9"): ["core==1.1"], ("dep", "2.0"): ["core==1.0"],
    ("sql", "1.9"): ["core"], ("sql", "2.0"): ["core==1.0"], ("sql", "2.1"): ["core"],
    ("cap", "1.0"): ["sql<2.1"],
}
HINT = "dep==1.9; python_version == '3.13'"


@pytest.fixture(scope="module")
def wheels(tmp_path_factory) -> Path:
    return build_wheelhouse(tmp_path_factory.mktemp("hintwheels"), SPEC, REQUIRES)


def project(root: Path, wheels: Path, deps: str, pins: dict[str, str]) -> Path:
    """A Poetry project and its poetry.lock (Poetry 1.2+ shape: each pin's files and dependencies)."""
    (root / "app").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("")
    (root / "pyproject.toml").write_text(poetry_pyproject(
        deps, description="hints", authors=("Demo <demo@example.org>",),
        after='\n[build-system]\nrequires = ["poetry-core>=1.0.0"]\nbuild-backend = "poetry.core.masonry.api"\n'))
    (root / "poetry.lock").write_text(wheels_poetry_lock(wheels, pins, REQUIRES))
    return root


def both_ways(tmp_path: Path, wheels: Path, deps: str, pins: dict[str, str]) -> dict[str, tuple[dict, Path]]:
    out = {}
    for kind, env in (("hints", {"MIGRATE_TEST_NO_HINTS": ""}), ("none", {"MIGRATE_TEST_NO_HINTS": "1"})):
        root = project(tmp_path / kind / "app", wheels, deps, pins)
        proc = run_migrate("run", str(root), "--offline", "--find-links", str(wheels), "--no-codemods",
                           "--allow-dirty", "--format", "json", env={**env, "UV_CACHE_DIR": str(tmp_path / kind / "uvc"),
                                                                      "MIGRATE_INDEX_CACHE_DIR": str(tmp_path / kind / "ic")})
        assert proc.returncode == 0, proc.stderr + proc.stdout
        out[kind] = (json.loads(proc.stdout), root)
    return out


def assert_same_output(runs: dict[str, tuple[dict, Path]]) -> None:
    (a, ra), (b, rb) = runs["hints"], runs["none"]
    for name in ("pyproject.toml", "uv.lock"):
        assert (ra / name).read_bytes() == (rb / name).read_bytes(), name
    for key in ("ft", "warnings", "status"):
        assert a[key] == b[key], key
    for key in ("changed_pins", "kept_pins", "packages", "counts"):
        assert a["lock"][key] == b["lock"][key], key


def lock_runs(report: dict) -> list[dict]:
    """uv lock runs that resolved (neither stopped nor left unused) and were not ``--check``."""
    return [r for r in report["lock"]["uv_runs"]
            if r["args"] == ["lock"] and not (r.get("stopped") or r.get("unused"))]


def on_target(root: Path, name: str) -> set[str]:
    from migrate.lock.freethreading import read_uv_lock

    return {p.version for p in read_uv_lock(root / "uv.lock", "3.13") if p.on_target and p.name == name}


def test_the_hint_is_uvs_own_choice_and_saves_nothing_but_time(tmp_path, wheels):
    """The control: the hint is given and used, the outputs are identical, and uv resolves once."""
    runs = both_ways(tmp_path, wheels, 'dep = ">=1.8"\n', {"core": "1.0", "dep": "2.0"})
    report, root = runs["hints"]
    assert report["lock"]["resolution_hints"] == {"given": [HINT], "used": [HINT]}
    assert runs["none"][0]["lock"]["resolution_hints"] == {"given": [], "used": []}
    assert on_target(runs["none"][1], "dep") == {"1.9"}  # what the hint said, found by uv alone
    assert_same_output(runs)
    assert len(lock_runs(report)) == 1 and len(lock_runs(runs["none"][0])) == 1


def test_a_failure_that_is_not_the_hints_costs_no_extra_uv_run(tmp_path, wheels):
    """The old lock pins ``other 1.0`` but the project asks ``other >= 1.1`` (the old lock is stale):
    uv fails on that pin, which is given up. The hint had nothing to do with it and was right."""
    runs = both_ways(tmp_path, wheels, 'dep = ">=1.8"\nother = ">=1.1"\n', {"core": "1.0", "dep": "2.0",
                                                                           "other": "1.0"})
    report, root = runs["hints"]
    assert report["lock"]["resolution_hints"]["given"] == [HINT]
    assert on_target(runs["none"][1], "dep") == {"1.9"}  # the hint was uv's own choice
    assert_same_output(runs)
    # no more resolutions with the hint than without (it was 3 against 2: fail, fail again without it)
    assert len(lock_runs(report)) <= len(lock_runs(runs["none"][0]))


def test_a_pin_that_caps_the_candidate_is_read_by_the_walk(tmp_path, wheels):
    """``sql 2.0`` (pinned) requires ``core==1.0`` and gives way with core's fix; ``cap 1.0`` (pinned,
    not moved) requires ``sql<2.1``, so uv lands on sql 1.9 on the target, not 2.1."""
    runs = both_ways(tmp_path, wheels, 'sql = ">=1.8"\ncap = "*"\n', {"core": "1.0", "sql": "2.0", "cap": "1.0"})
    report, root = runs["hints"]
    assert on_target(runs["none"][1], "sql") == {"1.9"}  # uv's own choice
    assert_same_output(runs)
    # the hint was sql==2.1, which uv cannot use (cap 1.0 requires sql<2.1)
    assert report["lock"]["resolution_hints"]["given"] in ([], ["sql==1.9; python_version == '3.13'"])
    assert len(lock_runs(report)) <= len(lock_runs(runs["none"][0]))
