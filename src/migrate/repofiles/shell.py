"""Shell scripts (``*.sh``, ``*.bash``, files with a shell shebang): every command line."""

from __future__ import annotations

import shutil
import subprocess

from migrate.repofiles.commands import Note, translate_shell


def rewrite(text: str, info) -> tuple[str, list[Note]]:
    res = translate_shell(text, info, flavor="shell")
    return res.text, res.notes


def bash_n(text: str) -> str | None:
    """None if ``bash -n`` accepts the script (or bash is missing), else its message."""
    bash = shutil.which("bash")
    if bash is None:
        return None
    proc = subprocess.run([bash, "-n"], input=text.encode("utf-8"), capture_output=True, timeout=30)
    return None if proc.returncode == 0 else proc.stderr.decode("utf-8", "replace").strip()
