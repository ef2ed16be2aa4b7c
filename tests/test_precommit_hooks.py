"""`.pre-commit-hooks.yaml`: the hooks run `migrate check` the way pre-commit does (entry + the staged
file names), report (exit 1 while warnings remain) or fix (opt-in)."""

from __future__ import annotations

import shlex
import subprocess
import sys

from conftest import REPO

try:
    import yaml
except ImportError:  # on 3.13 the dev environment has PyYAML's free-threading fork
    import yaml_ft as yaml

HOOKS = {h["id"]: h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
UNSAFE = "counts = {}\n\n\ndef hit(k):\n    counts[k] += 1\n"
CLEAN = "def f(x):\n    return x + 1\n"


def run_hook(hook_id: str, *files) -> subprocess.CompletedProcess:
    hook = HOOKS[hook_id]
    argv = shlex.split(hook["entry"])
    assert argv[0] == "migrate"  # the console script the package installs
    return subprocess.run([sys.executable, "-m", "migrate", *argv[1:], *map(str, files)],
                          capture_output=True, text=True)


def test_hooks_are_declared_for_python_files():
    assert set(HOOKS) == {"migrate-check", "migrate-check-fix"}
    for hook in HOOKS.values():
        assert hook["language"] == "python" and "python" in hook["types_or"] and hook["name"]
    assert "--fix" not in HOOKS["migrate-check"]["entry"] and "--fix" in HOOKS["migrate-check-fix"]["entry"]


def test_report_hook_fails_on_findings_and_passes_clean_files(tmp_path):
    (tmp_path / "a.py").write_text(UNSAFE)
    (tmp_path / "b.py").write_text(CLEAN)
    proc = run_hook("migrate-check", tmp_path / "a.py", tmp_path / "b.py")
    assert proc.returncode == 1 and "FT002 [*]" in proc.stdout
    assert (tmp_path / "a.py").read_text() == UNSAFE  # the report hook never writes
    assert run_hook("migrate-check", tmp_path / "b.py").returncode == 0


def test_fix_hook_rewrites_the_files(tmp_path):
    (tmp_path / "a.py").write_text(UNSAFE)
    proc = run_hook("migrate-check-fix", tmp_path / "a.py")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "with _counts_lock:" in (tmp_path / "a.py").read_text()
    assert run_hook("migrate-check", tmp_path / "a.py").returncode == 0
