"""Repo files stage: every other file of the repository that runs Poetry or Pipenv → uv.

One module per file kind (``github_actions``, ``gitlab``, ``dockerfile``, ``makefile``, ``shell``,
``tox``, ``nox``, ``precommit``, ``dependabot``, ``renovate``, ``readthedocs``, ``docs``), one shared
command translator (``commands``). Entry points: :func:`repo_files_stage` (a stage of ``migrate run``)
and :func:`plan_ci` (``migrate ci``).
"""

from migrate.repofiles.stage import discover, plan_ci, repo_files_stage, rewrite_file

__all__ = ["discover", "plan_ci", "repo_files_stage", "rewrite_file"]
