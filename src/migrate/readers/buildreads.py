"""Old metadata files the project's own build reads.

Some setuptools packages compute their requirements from the Pipfile (``ConfigParser().read("Pipfile")``
in setup.py, zappa/Zappa) or read ``poetry.lock`` in a build hook. Deleting such a file breaks every
build of the package, the lock's included (uv builds the project for its metadata). Such a file is kept
and the reason warned (MIG212); the user removes it once the build no longer reads it.
"""

from __future__ import annotations

import re
from pathlib import Path

#: scripts that run when the project is built
BUILD_SCRIPTS = ("setup.py", "build.py", "hatch_build.py")


def read_at_build(root: Path, rel: str) -> str | None:
    """The build script of ``root`` that names the old file ``rel`` in a string literal (None: none)."""
    name = re.escape(Path(rel).name)
    pattern = re.compile(rf"""['"](?:[^'"\n]*[/\\])?{name}['"]""")
    for script in BUILD_SCRIPTS:
        path = Path(root) / script
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if pattern.search(text):
            return script
    return None
