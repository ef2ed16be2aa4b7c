"""`migrate ci` over every repository folder of ../shared/ci-corpus (49 real files, 18 repositories).

Per file: it still parses as its kind; no Poetry/Pipenv invocation is left unless it was reported
(on that line); files the stage does not change are byte-identical; the output equals the reviewed
golden file in fixtures/ci-golden/."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from migrate.repofiles.stage import discover, plan_ci
from migrate.repofiles.shellwords import ShellSyntax, commands

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "ci-corpus"
GOLDEN = REPO / "fixtures" / "ci-golden"
DIRS = sorted(p.name for p in CORPUS.iterdir() if p.is_dir()) if CORPUS.is_dir() else []
pytestmark = pytest.mark.skipif(not DIRS, reason="../shared/ci-corpus not present")

VERBS = r"(install|run|lock|sync|export|build|publish|version|config|self|shell|update|check|requirements|exec|env|show|add|graph|clean|--python|--version)"


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _invocation_lines(text: str, kind: str) -> list[str]:
    """Lines that still call poetry/pipenv as a command (comments and prose excluded)."""
    out = []
    for line in text.splitlines():
        body = line.strip()
        if not body or body.startswith("#") or re.match(r"^(- )?(@?echo|printf|name:|description\s*=)", body):
            continue
        if kind in ("docs", "noxfile", "renovate", "dependabot"):
            continue
        if re.search(rf"(?<![\w./-])(poetry|pipenv)\s+{VERBS}\b", body) or re.search(r"\bpython3? -m (poetry|pipenv)\b", body):
            out.append(body)
    return out


@pytest.mark.parametrize("name", DIRS)
def test_corpus_folder(tmp_path, name):
    src = CORPUS / name
    work = tmp_path / name
    shutil.copytree(src, work, symlinks=True)
    before = _files(work)
    result = plan_ci(work)
    changed = {c.path.relative_to(work.resolve()).as_posix(): c.new for c in result.changes.changes}
    result.changes.apply()
    after = _files(work)
    kinds = dict(discover(work))
    reported: dict[str, set[str]] = {}
    for w in result.warnings:
        line = int(w.key.split()[-1]) if w.key else 0
        old = before[w.path].decode().splitlines()
        if 0 < line <= len(old):
            reported.setdefault(w.path, set()).add(old[line - 1].strip())
    for rel, data in before.items():
        if rel not in changed:
            assert after[rel] == data, f"{rel} changed although the stage did not rewrite it"
            continue
        new = after[rel].decode()
        kind = kinds.get(rel)
        # still parses as its kind
        if rel.endswith((".yml", ".yaml")):
            list(yaml.safe_load_all(new))
        elif kind == "tox":
            configparser.ConfigParser(interpolation=None, strict=False).read_string(new)
        elif kind == "shell":
            assert subprocess.run(["bash", "-n", str(work / rel)], capture_output=True).returncode == 0
        elif kind == "makefile":
            old_rc = _make_n(src / rel)
            assert _make_n(work / rel) == old_rc, f"make -n {rel}"
        # line endings and the final newline kept
        assert (b"\r\n" in data) == (b"\r\n" in after[rel])
        assert data.endswith(b"\n") == after[rel].endswith(b"\n")
        # nothing left unless reported
        for line in _invocation_lines(new, kind):
            assert line in reported.get(rel, set()), f"{rel}: unreported invocation left: {line}"
        # the reviewed golden output
        golden = GOLDEN / name / rel
        assert golden.is_file(), f"no golden file for {name}/{rel}"
        assert after[rel] == golden.read_bytes(), f"{name}/{rel} differs from fixtures/ci-golden"


def test_second_run_changes_nothing(tmp_path):
    for name in DIRS:
        work = tmp_path / name
        shutil.copytree(CORPUS / name, work)
        plan_ci(work).changes.apply()
        again = plan_ci(work)
        assert not again.changes, f"{name}: a second `migrate ci` would change {[str(c.path) for c in again.changes.changes]}"


def _make_n(path: Path) -> int:
    proc = subprocess.run(["make", "-n", "-f", str(path), "--no-print-directory", "-s"], cwd=path.parent,
                          capture_output=True, timeout=60)
    # make -n on a Makefile's default target: a syntax error is 2 with "missing separator"
    return 2 if b"missing separator" in proc.stderr or b"*** " in proc.stderr and b"Stop" in proc.stderr and b"No rule" not in proc.stderr else 0


def test_golden_covers_at_least_15_files():
    assert len([p for p in GOLDEN.rglob("*") if p.is_file() and p.name != "README.md"]) >= 15


def test_untouched_kinds_stay_identical(tmp_path):
    """A constraints file pinning poetry and a README telling users to `pipenv install` the library stay."""
    for name, rel in (("cjolowicz__cookiecutter-hypermodern-python-instance", ".github/workflows/constraints.txt"),
                      ("kennethreitz__responder", "README.md"),
                      ("cjolowicz__cookiecutter-hypermodern-python-instance", "noxfile.py")):
        work = tmp_path / name
        if not work.exists():
            shutil.copytree(CORPUS / name, work)
        result = plan_ci(work)
        assert rel not in {c.path.relative_to(work.resolve()).as_posix() for c in result.changes.changes}
