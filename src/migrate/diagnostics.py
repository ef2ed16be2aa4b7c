"""Errors and warnings with stable codes.

Code ranges (each code's meaning never changes once released):

* ``MIG0xx`` — metadata conversion (any input format)
* ``MIG1xx`` — Pipenv-specific conversion notes
* ``MIG2xx`` — lock stage and free-threading readiness of dependencies
* ``MIG3xx`` — batch / workspace (MIG301) and repo files: CI, Docker, Make, tox, bots, docs (MIG310–MIG399)
* ``MIG3xx`` — batch / workspace
* ``MIG5xx`` — safety: journal recovery, symlinks, git, unreadable or special files
* ``FT0xx``  — thread-safety codemod rules (see ``codemods/``)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

#: Every warning code the tool can emit, with a one-line summary (used by the README and tests).
WARNING_CODES: dict[str, str] = {
    "MIG001": "requires-python excludes the target interpreter; .python-version not written",
    "MIG002": "key has no uv equivalent; kept where it was",
    "MIG003": "constraint could not be expressed exactly in PEP 440; widened",
    "MIG004": "Poetry source/index setting converted with a change in meaning",
    "MIG005": "dependency converted with a caveat (see message)",
    "MIG006": "old lock file kept or not found",
    "MIG007": "build configuration could not be mapped to the chosen backend",
    "MIG008": "value taken from an existing [project] table instead of [tool.poetry]",
    "MIG010": "setuptools metadata not converted exactly by --to-pep621; left to setup.py/setup.cfg (dynamic)",
    "MIG011": "invalid key in an existing [project] table repaired",
    "MIG012": "no package found the way Poetry finds one; the project is not packaged (tool.uv.package = false)",
    "MIG013": "poetry-dynamic-versioning's version substitution became hatchling's version build hook (edits the file in place at build)",
    "MIG014": "Poetry include path matches no file (Poetry ignores it): not written as a hatchling force-include",
    "MIG101": "Pipenv [scripts] entry has no uv equivalent",
    "MIG102": "Pipenv setting has no uv equivalent",
    "MIG110": "Pipfile [packages] of a package go to a default dependency group, not into its requirements",
    "MIG111": "python_requires is computed by setup.py; requires-python stays dynamic",
    "MIG112": "no Python version found; a default requires-python was written",
    "MIG113": "requires-python of a setuptools package taken from the Pipfile; the wheel gains Requires-Python",
    "MIG114": "setuptools computes the package name; taken from the Pipfile's self-reference",
    "MIG115": "index name renamed to one uv accepts (letters, digits, '-', '_', '.')",
    "MIG201": "locked version changed from the old lock",
    "MIG202": "no free-threaded interpreter found for the target",
    "MIG203": "dependency has no wheels for the free-threaded target",
    "MIG204": "dependency only ships an sdist (builds from source)",
    "MIG230": "package index did not answer: readiness unknown, nothing moved",
    "MIG231": "free-threading fix crosses a major version",
    "MIG232": "free-threading fix is a downgrade (no newer version has target wheels)",
    "MIG233": "the project's own requirement excludes every version with target wheels",
    "MIG235": "blockers left for the target: how many the next free-threaded target has wheels for",
    "MIG236": "pyenv shims on PATH read .python-version (note in the next steps)",
    "MIG240": "Pipfile.lock pins a package at different versions in two categories: the default one is kept",
    "MIG245": "dependency re-enables the GIL on import on the free-threaded target (runtime check)",
    "MIG246": "runtime check of the locked packages could not run (scratch install failed)",
    "MIG247": "a blocker's dependent moves to a version that does not require it",
    "MIG248": "the project's own requirement excludes every version of a blocker's dependent without it",
    "MIG249": "every version of a blocker's dependent requires the blocker",
    "MIG210": "lock environments narrowed: uv could not lock for an environment the project does not target",
    "MIG211": "build constraint added: an old source distribution does not build with today's build tools",
    "MIG212": "old metadata file kept: the project's build script reads it",
    "MIG213": "sdist does not build here for its metadata: its dependencies are taken from poetry.lock",
    "MIG216": "git dependency installed editable by Poetry (develop = true); uv installs git dependencies non-editable",
    "MIG217": "`python` in a Poetry dependency group other than main: ignored by Poetry, not converted",
    "MIG218": "symlinked file inside a package: left out of the wheel, as poetry-core does",
    "MIG301": "project skipped in batch",
    "MIG310": "Poetry/Pipenv command rewritten to its uv equivalent",
    "MIG311": "Poetry/Pipenv installation replaced by uv's (setup-uv, pip/pipx install uv, uv installer)",
    "MIG312": "command, step or instruction removed: not needed with uv",
    "MIG313": "command rewritten with a caveat (see message)",
    "MIG314": "lock-file reference rewritten (cache keys, paths filters, COPY, setup-python cache)",
    "MIG315": "Poetry/Pipenv environment variable renamed or dropped",
    "MIG316": "dependency bot rewritten (dependabot pip → uv, renovate poetry/pipenv → pep621)",
    "MIG317": "pre-commit hook rewritten (uv-pre-commit, uv run, uv.lock)",
    "MIG320": "invocation left alone: no exact uv equivalent (what to do is in the message)",
    "MIG321": "invocation left alone: not recognised as a whole (unknown flag or shell form)",
    "MIG322": "nox-poetry session or plugin: reported, not rewritten",
    "MIG323": "tox plugin for Poetry/Pipenv: reported, not rewritten",
    "MIG324": "stale reference kept (adds a package, or a user-facing install instruction)",
    "MIG325": "file not rewritten: it could not be parsed, or the rewrite would not parse",
    "MIG326": "--add-ft-ci: free-threaded CI job added (or none added: no test command found)",
    "MIG330": "Poetry versioning plugin converted to a hatchling version source (settings carried over)",
    "MIG331": "Poetry versioning plugin not converted (backend not hatchling, not enabled, or option without equivalent)",
    "MIG501": "an interrupted earlier run was rolled back (or finished) before this one",
    "MIG502": "symlink leads outside the tree (or is broken): not changed",
    "MIG503": "file to be changed is ignored by git",
    "MIG504": "folder could not be read: skipped",
    "MIG505": "special file (FIFO, socket, device) or symlink loop: skipped",
    "FT000": "Python source not checked for thread-safety (syntax error, unreadable or unfixable)",
}


@dataclass(frozen=True)
class Diagnostic:
    """A warning: something the user should look at. Never fatal."""

    code: str
    message: str
    path: str | None = None
    key: str | None = None

    def to_json(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        where = self.path or ""
        if self.key:
            where = f"{where}: {self.key}" if where else self.key
        return f"{self.code} {where + ': ' if where else ''}{self.message}"


class MigrateError(Exception):
    """Bad input or usage. Exit code 2; nothing has been written.

    The message names the file and the key (or line/column) and says what to do.
    """

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        key: str | None = None,
        line: int | None = None,
        column: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.path = str(path) if path is not None else None
        self.key = key
        self.line = line
        self.column = column
        self.hint = hint
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.path or ""
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        if self.key:
            where = f"{where}: {self.key}" if where else self.key
        text = f"{where}: {self.message}" if where else self.message
        if self.hint:
            text += f" ({self.hint})"
        return text

    def to_json(self) -> dict:
        return {
            "message": self.message,
            "path": self.path,
            "key": self.key,
            "line": self.line,
            "column": self.column,
            "hint": self.hint,
        }


class StageError(Exception):
    """A stage failed on valid input (uv failed, disk full, ...). Exit code 1; the tree is unchanged."""

    exit_code = 1

    def __init__(self, message: str, *, detail: str | None = None) -> None:
        self.message = message
        self.detail = detail
        super().__init__(message)


def describe(value: object) -> str:
    """How a TOML/JSON value is named in error messages ("string 'x'", "number 3", "an array")."""
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, str):
        return f"string {value!r}"
    if isinstance(value, (int, float)):
        return f"number {value}"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


def requirement_name(req: object) -> str:
    """The distribution name at the start of a PEP 508 requirement string (no validation)."""
    import re

    m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", str(req))
    return m.group(1) if m else str(req)
