"""Hints end to end: the real uv, offline, against a local wheel folder (``lock/hints.py``).

``core 2.0`` is GIL-only; ``core 1.9`` has cp313t wheels, so the lock stage moves core to 1.9 on the
target's Python. The old lock's ``frame 3.0`` requires ``core==2.0``: frame gives way there too, and uv
would walk its versions down: 3.1 (needs core >= 2.0), 3.0 (core 2.0), 2.9 (util >= 2, but util is pinned
at 1.0) to 2.8. The hint tells uv ``frame==2.8`` on 3.13 before it starts; the files and the report
are the same as when uv walks alone (``MIGRATE_TEST_NO_HINTS=1``)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from conftest import run_migrate
from projects import poetry_project, wheels_poetry_lock
from wheelhouse import LINUX, build_wheelhouse

GIL = [f"cp310-cp310-{LINUX}", f"cp313-cp313-{LINUX}"]
FT = GIL + [f"cp313-cp313t-{LINUX}"]
PURE = ["py3-none-any"]
SPEC = {
    "core": {"2.0": GIL, "1.9": FT, "1.5": FT},
    "frame": {v: PURE for v in ("3.1", "3.0", "2.9", "2.8", "2.7")},
    "util": {"1.0": PURE, "2.0": PURE},
}
REQUIRES = {
    ("frame", "3.1"): ["core>=2.0", "util"],
    ("frame", "3.0"): ["core==2.0", "util"],
    ("frame", "2.9"): ["core==1.9", "util>=2"],
    ("frame", "2.8"): ["core>=1.5,<2", "util"],
    ("frame", "2.7"): ["core>=1.5,<2", "util"],
}
PINS = {"frame": "3.0", "core": "2.0", "util": "1.0"}
HINT = "frame==2.8; python_version == '3.13'"


@pytest.fixture(scope="module")
def wheels(tmp_path_factory) -> Path:
    return build_wheelhouse(tmp_path_factory.mktemp("hintwheels"), SPEC, REQUIRES)


@pytest.fixture(autouse=True)
def _uv_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "uv-cache"))


def migrate(tmp_path: Path, wheels: Path, hints: bool, *extra: str, deps: dict | None = None,
            requires: dict | None = None, env: dict | None = None) -> tuple[Path, dict]:
    root = poetry_project(tmp_path / ("hints" if hints else "alone"), deps or {"frame": "*", "util": "*"})
    (root / "poetry.lock").write_text(wheels_poetry_lock(wheels, PINS, requires or REQUIRES))
    proc = run_migrate("run", str(root), "--offline", "--find-links", str(wheels), "--no-codemods", "--allow-dirty",
                       "--format", "json", *extra, env=(env or {}) if hints else {"MIGRATE_TEST_NO_HINTS": "1"})
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return root, json.loads(proc.stdout)


def runs(report: dict) -> list[tuple[list[str], bool | None]]:
    return [(r["args"], r.get("ok")) for r in report["lock"]["uv_runs"] if not (r.get("stopped") or r.get("unused"))]


def target_versions(root: Path, name: str) -> dict[str, str]:
    """{version: its resolution-markers} of ``name`` in uv.lock."""
    return {p["version"]: " | ".join(p.get("resolution-markers", [])) for p in
            tomllib.loads((root / "uv.lock").read_text())["package"] if p["name"] == name}


def same_outcome(a: tuple[Path, dict], b: tuple[Path, dict]) -> None:
    (ra, ja), (rb, jb) = a, b
    assert (ra / "pyproject.toml").read_text() == (rb / "pyproject.toml").read_text()
    assert (ra / "uv.lock").read_text() == (rb / "uv.lock").read_text()
    for key in ("ft", "warnings"):
        assert ja[key] == jb[key], key
    for key in ("changed_pins", "kept_pins", "packages", "counts"):
        assert ja["lock"][key] == jb["lock"][key], key


def test_the_hint_is_where_uv_lands_and_nothing_else_differs(tmp_path, wheels):
    hinted, alone = migrate(tmp_path, wheels, True), migrate(tmp_path, wheels, False)
    assert hinted[1]["lock"]["resolution_hints"] == {"given": [HINT], "used": [HINT]}
    assert alone[1]["lock"]["resolution_hints"] == {"given": [], "used": []}
    same_outcome(hinted, alone)
    # where uv landed: 2.8 on the target's Python, the old pin elsewhere; core moved for the target only
    assert set(target_versions(hinted[0], "frame")) == {"2.8", "3.0"}
    assert "3.13" in target_versions(hinted[0], "frame")["2.8"]
    assert set(target_versions(hinted[0], "core")) == {"1.9", "2.0"}
    # one resolution, then `uv lock --check` without the temporary pins: no trace of the hint is left
    assert runs(hinted[1]) == [(["lock"], True), (["lock", "--check"], True)]
    for text in ((hinted[0] / "pyproject.toml").read_text(), (hinted[0] / "uv.lock").read_text()):
        assert "2.8" not in text.split("[[package]]")[0]  # not in the project's tables nor uv.lock's manifest


def test_a_hint_uv_cannot_use_is_dropped_and_uv_walks_alone(tmp_path, wheels):
    """A hint uv cannot resolve with (given by the test hook, as a walk that missed a reason would):
    uv names it, runs again without hints and decides alone."""
    wrong = "frame==2.9; python_version == '3.13'"  # needs util >= 2, pinned at 1.0
    hinted = migrate(tmp_path, wheels, True, env={"MIGRATE_TEST_HINTS": wrong})
    alone = migrate(tmp_path, wheels, False)
    assert hinted[1]["lock"]["resolution_hints"] == {"given": [wrong], "used": []}
    same_outcome(hinted, alone)
    assert set(target_versions(hinted[0], "frame")) == {"2.8", "3.0"}
    assert runs(hinted[1]) == [(["lock"], False), (["lock"], True), (["lock", "--check"], True)]


def test_a_pin_given_up_takes_the_hints_with_it(tmp_path_factory, tmp_path):
    """The walk passed over frame 2.9 because util is pinned at 1.0; but the project asks util >= 2 (the
    old lock is stale), so uv gives that pin up, and then frame 2.9 is where uv lands: the hint (2.8)
    goes with the pin, or the lock would differ from uv's own."""
    wheels = build_wheelhouse(tmp_path_factory.mktemp("hintwheels-stale"), SPEC, REQUIRES)
    deps = {"frame": "*", "util": ">=2"}
    hinted, alone = (migrate(tmp_path, wheels, True, deps=deps), migrate(tmp_path, wheels, False, deps=deps))
    assert hinted[1]["lock"]["resolution_hints"] == {"given": [HINT], "used": []}
    same_outcome(hinted, alone)
    assert set(target_versions(alone[0], "frame")) == {"2.9", "3.0"}  # uv's own once util is free


def test_dry_run_with_a_hint_writes_nothing(tmp_path, wheels):
    from conftest import tree_digest

    root = poetry_project(tmp_path, {"frame": "*", "util": "*"})
    (root / "poetry.lock").write_text(wheels_poetry_lock(wheels, PINS, REQUIRES))
    before = tree_digest(root)
    proc = run_migrate("run", str(root), "--offline", "--find-links", str(wheels), "--no-codemods", "--dry-run",
                       "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["lock"]["resolution_hints"]["used"] == [HINT]
    assert tree_digest(root) == before
