"""The project's version control, seen from the staging copy (read-only).

A project whose version comes from its git tags — uv-dynamic-versioning (what poetry-dynamic-versioning
becomes), hatch-vcs, setuptools-scm, versioningit — cannot be built for its metadata without its
repository: "Unable to detect version control system". The staging copy leaves ``.git`` out (it can be
huge), so it gets a symbolic link named ``.git`` to the repository's own git folder (or ``.git`` file,
for worktrees and submodules), found from the project upwards. The build's git commands read it;
``GIT_OPTIONAL_LOCKS=0`` (set for uv's runs) keeps ``git status`` from refreshing the repository's index,
so nothing in the user's repository is written.
"""

from __future__ import annotations

import os
from pathlib import Path


def repository_git(root: Path) -> Path | None:
    """The ``.git`` folder or file of the repository that holds ``root`` (None: not in one)."""
    for folder in [Path(root).resolve(), *Path(root).resolve().parents]:
        candidate = folder / ".git"
        if candidate.is_dir() or candidate.is_file():
            return candidate
    return None


def link_repository(root: Path, staged: Path) -> Path | None:
    """Give the staged copy of ``root`` a ``.git`` link to the repository's; returns the target."""
    git = repository_git(root)
    link = Path(staged) / ".git"
    if git is None or os.path.lexists(link):
        return None
    try:
        os.symlink(git, link, target_is_directory=git.is_dir())
    except OSError:
        return None
    return git
