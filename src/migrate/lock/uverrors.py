"""uv's own words when it fails: trimmed, with the staging path replaced by the project's, classified.

Every lock failure carries the lines uv printed (``error:``, ``cause:``, ``hint:`` and the explanation
under them), never a paraphrase, and one class a batch can be sorted by:

* ``interpreter`` — no Python that ``requires-python`` admits could be found or downloaded;
* ``network``     — an index, a git host or a URL could not be reached (or ``--offline`` forbade it);
* ``build``       — a source distribution or local project had to be built for its metadata and failed;
* ``resolution``  — uv reached every index and found no set of versions that satisfies the requirements;
* ``other``       — none of those (the lines still say what happened).
"""

from __future__ import annotations

import re
from pathlib import Path

from migrate.diagnostics import StageError

CLASSES = ("interpreter", "network", "build", "resolution", "other")

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
#: informational lines uv prints on success too
_NOISE = re.compile(r"^\s*(Using (CPython|PyPy|Python)\b|Resolved \d+ packages?|Updated |Added |Removed |"
                    r"Prepared \d+|Downloading |Downloaded |Building |Built )")

_PATTERNS: list[tuple[str, re.Pattern]] = [
    ("interpreter", re.compile(
        r"No interpreter found|python-downloads|Python downloads are not allowed|"
        r"Failed to inspect Python interpreter|requested interpreter|incompatible with the project's Python requirement|"
        r"No download found for request|cpython-[0-9][^ ]*(install_only|\.tar)|Failed to (download|install) Python|"
        r"Failed to query Python", re.I)),
    ("network", re.compile(
        r"Failed to fetch|error sending request|dns error|failed to lookup address|Could not connect|"
        r"Connection (refused|reset)|timed out|tcp connect error|Could not resolve host|network (connectivity )?"
        r"(is )?disabled|network was disabled|--offline|Git operation failed|failed to clone|"
        r"Failed to download|Request failed after|HTTP status (client|server) error|SSL error|certificate verify|"
        r"Permission denied \(publickey\)|Authentication failed", re.I)),
    ("build", re.compile(
        r"Failed to build|Failed to prepare distributions|build backend|Failed to generate package metadata|"
        r"Failed to parse metadata|usually indicates a problem with the package or the build environment|"
        r"Build backend failed", re.I)),
    ("resolution", re.compile(
        r"No solution found|unsatisfiable|requirements are unsatisfiable|Because |conflicting|"
        r"was not found in the package registry|not found in the provided package locations", re.I)),
]


def classify(stderr: str) -> str:
    """The failure class of uv's message (see the module docstring)."""
    text = _ANSI.sub("", stderr or "")
    for kind, pattern in _PATTERNS:
        if pattern.search(text):
            return kind
    return "other"


def trim(stderr: str, replace: dict[str, str] | None = None, limit: int = 20, width: int = 400) -> list[str]:
    """uv's error lines: colours and progress/info lines removed, ``replace`` applied (the staging
    folder -> the project's folder), at most ``limit`` lines of at most ``width`` characters."""
    text = _ANSI.sub("", stderr or "")
    for old, new in sorted((replace or {}).items(), key=lambda kv: -len(kv[0])):
        if old:
            text = text.replace(old, new)
    lines = [ln.rstrip() for ln in text.splitlines()]
    lines = [ln for ln in lines if ln.strip() and not _NOISE.match(ln)]
    start = next((i for i, ln in enumerate(lines) if re.match(r"\s*(error|×|warning: .*fail)", ln, re.I)), 0)
    lines = lines[start:]
    out = [ln if len(ln) <= width else ln[: width - 1] + "…" for ln in lines[:limit]]
    if len(lines) > limit:
        out.append(f"… ({len(lines) - limit} more lines)")
    return out


class UvFailure(StageError):
    """uv failed: ``message`` is ours, ``lines`` are uv's (trimmed), ``kind`` the class."""

    def __init__(self, message: str, lines: list[str] | None = None, kind: str = "other",
                 hint: str | None = None, stderr: str = "") -> None:
        self.stderr = stderr
        self.lines = list(lines or [])
        self.kind = kind
        self.hint = hint
        detail = "\n".join(self.lines)
        if hint:
            detail = (detail + "\n" if detail else "") + f"hint: {hint}"
        super().__init__(message, detail=detail or None)

    def to_json(self) -> dict:
        return {"class": self.kind, "message": self.message, "uv": self.lines, "hint": self.hint}


def failure(message: str, stderr: str, stage: Path | None = None, root: Path | None = None,
            hint: str | None = None, kind: str | None = None) -> UvFailure:
    """A :class:`UvFailure` from uv's stderr, the staging path shown as the project's path."""
    replace = {}
    if stage is not None and root is not None:
        # the staging copy and the mirrored folders above it (same names) -> the real folders
        s, r = Path(stage), Path(root).resolve()
        replace[str(Path(stage).resolve())] = str(r)
        while s.name and s.name == r.name:
            replace[str(s)] = str(r)
            s, r = s.parent, r.parent
    return UvFailure(message, trim(stderr, replace), kind or classify(stderr), hint, stderr)


# "tinydb:dev depends on coveralls>=3.3.1,<4.0.0", "your project depends on foo>=1", "app[web] depends on x"
_DEPENDS = re.compile(
    r"(?P<subject>your project|[A-Za-z0-9][A-Za-z0-9._-]*(?::[A-Za-z0-9._-]+|\[[A-Za-z0-9._,-]+\])?) depends on "
    r"(?P<req>[A-Za-z0-9][A-Za-z0-9._-]*(?:\[[^\]]*\])?(?:\{[^}]*\})?[^\s]*)")


def project_requirements_named(stderr: str, project: str | None, exclude: set[str] = frozenset()) -> list[str]:
    """The project's own requirements that uv's explanation of an unsatisfiable resolution names, as
    ``coveralls>=3.3.1,<4.0.0 (group dev)``: what the user would have to widen. Requirements on the
    ``exclude`` names (canonical) are left out (the package being moved)."""
    from packaging.utils import canonicalize_name

    own = canonicalize_name(project) if project else None
    out: list[str] = []
    for m in _DEPENDS.finditer(_ANSI.sub("", stderr or "")):
        subject, req = m.group("subject"), m.group("req").rstrip(",.;")
        base = re.split(r"[:\[]", subject, maxsplit=1)[0]
        if subject != "your project" and canonicalize_name(base) != own:
            continue
        name = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", req).group(0)
        if canonicalize_name(name) in exclude:
            continue
        where = ""
        if ":" in subject:
            where = f" (group {subject.split(':', 1)[1]})"
        elif "[" in subject:
            where = f" (extra {subject.split('[', 1)[1].rstrip(']')})"
        item = req + where
        if item not in out:
            out.append(item)
    return out
