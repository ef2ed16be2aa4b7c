from conftest import run_migrate


def test_help_lists_every_command():
    proc = run_migrate("--help")
    assert proc.returncode == 0
    for cmd in ("run", "check", "deps", "batch"):
        assert cmd in proc.stdout


def test_python_dash_m_version_of_run_help():
    proc = run_migrate("run", "--help")
    assert proc.returncode == 0
    assert "--dry-run" in proc.stdout
