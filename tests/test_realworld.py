"""Behaviour preserved on real code: isodate's own test suite passes before and after `check --fix`."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

from conftest import FIXTURES, run_migrate


def suite(root) -> tuple[int, str]:
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
                           str(root / "tests")], cwd=root, env=env, capture_output=True, text=True, timeout=300)
    m = re.search(r"(\d+) passed", proc.stdout)
    return (int(m.group(1)) if m else 0), proc.stdout[-2000:]


def test_isodate_suite_passes_before_and_after_fix(tmp_path):
    root = tmp_path / "isodate"
    shutil.copytree(FIXTURES / "realworld" / "isodate", root)
    before, out = suite(root)
    assert before > 200, out
    proc = run_migrate("check", str(root / "src"), "--fix")
    source = (root / "src" / "isodate" / "isodates.py").read_text()
    assert "with _DATE_REGEX_CACHE_lock:" in source and "import threading" in source, proc.stdout + proc.stderr
    after, out = suite(root)
    assert after == before, out
