"""The interpreter target (``3.13t``, ``3.14t``, ``3.13``) and whether ``requires-python`` admits it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from migrate.diagnostics import MigrateError

_TARGET_RE = re.compile(r"^(?:python|cp)?(3)\.(\d+)(t?)$")


@dataclass(frozen=True)
class Target:
    major: int
    minor: int
    free_threaded: bool

    @classmethod
    def parse(cls, text: str) -> "Target":
        m = _TARGET_RE.match(text.strip())
        if not m:
            raise MigrateError(
                f"invalid target {text!r}", key="--target", hint="use a version like 3.13t, 3.14t or 3.13"
            )
        return cls(int(m.group(1)), int(m.group(2)), bool(m.group(3)))

    @property
    def version(self) -> str:
        return f"{self.major}.{self.minor}"

    def __str__(self) -> str:
        return self.version + ("t" if self.free_threaded else "")

    @property
    def abi(self) -> str:
        """The wheel ABI tag of this interpreter, e.g. ``cp313t``."""
        return f"cp{self.major}{self.minor}" + ("t" if self.free_threaded else "")

    def admitted_by(self, requires_python: str | None) -> bool:
        """True when some release of this minor version satisfies ``requires_python``."""
        if not requires_python:
            return True
        from packaging.specifiers import InvalidSpecifier, SpecifierSet

        try:
            spec = SpecifierSet(requires_python)
        except InvalidSpecifier:
            return True
        return any(spec.contains(f"{self.version}.{micro}", prereleases=True) for micro in range(0, 40))
