"""The README stays true: every warning code, every command and every option is documented."""

from __future__ import annotations

import re

from conftest import REPO, run_migrate

from migrate.diagnostics import WARNING_CODES

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_every_warning_code_is_documented():
    missing = [code for code in WARNING_CODES if f"`{code}`" not in README]
    assert missing == []


def test_every_option_of_every_command_is_documented():
    for command in ("run", "check", "deps", "batch", "verify"):
        help_text = run_migrate(command, "--help").stdout
        options = set(re.findall(r"(--[a-z][a-z-]+)", help_text)) - {"--help"}
        missing = sorted(o for o in options if o not in README)
        assert missing == [], f"{command}: {missing}"


def test_two_setup_commands_are_shown():
    assert "uv run migrate run fixtures/demo --dry-run" in README
    assert "uv run pytest" in README
    ci = (REPO / ".ci" / "run").read_text()
    assert "uv run pytest" in ci or '"${UV[@]}" run pytest' in ci
