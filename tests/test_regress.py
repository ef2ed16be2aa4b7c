"""Named regression fixtures (real projects copied from the corpus, see each SOURCE.md): the converted
pyproject.toml and the warning codes must stay exactly as reviewed. Regenerate after an intended change
with `UPDATE_GOLDEN=1 uv run pytest tests/test_regress.py` and review the diff."""

from __future__ import annotations

import json
import os
import shutil
import tomllib

import pytest
from validate_pyproject.api import Validator

from conftest import FIXTURES

from migrate.pipeline import RunOptions, run

CASES = sorted(p.name for p in (FIXTURES / "regress").iterdir() if p.is_dir())


@pytest.mark.parametrize("name", CASES)
def test_regression_fixture(tmp_path, name):
    case = FIXTURES / "regress" / name
    root = tmp_path / name
    shutil.copytree(case / "input", root)
    result = run(root, RunOptions(lock=False, codemods=False, allow_dirty=True))
    assert result.exit_code == 0, result.error
    text = (root / "pyproject.toml").read_text(encoding="utf-8")
    warnings = sorted({f"{w.code} {w.key}" for w in result.warnings})
    golden_toml, golden_warn = case / "expected.pyproject.toml", case / "expected.warnings.json"
    if os.environ.get("UPDATE_GOLDEN"):
        golden_toml.write_text(text, encoding="utf-8")
        golden_warn.write_text(json.dumps(warnings, indent=1) + "\n")
    assert text == golden_toml.read_text(encoding="utf-8")
    assert warnings == json.loads(golden_warn.read_text())
    # always valid, even where the original [project] was not (chia's homepage: repaired, MIG011)
    Validator()(tomllib.loads(text))
