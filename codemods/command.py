"""The rules as a libcst codemod command, for ``python -m libcst.tool codemod``:

    python -m libcst.tool codemod --no-format command.FreeThreadingCommand src/

(``.libcst.codemod.yaml`` at the repository root lists ``codemods`` as a command module.)
"""

from __future__ import annotations

import argparse

import libcst as cst
from libcst.codemod import Codemod, CodemodContext, SkipFile


class FreeThreadingCommand(Codemod):
    DESCRIPTION = "Wrap unsafe shared-state mutations in locks (uv-migrate rules FT001-FT012)."

    def __init__(self, context: CodemodContext, select: str | None = None, ignore: str | None = None) -> None:
        super().__init__(context)
        self.select = {c.strip() for c in select.split(",")} if select else None
        self.ignore = {c.strip() for c in ignore.split(",")} if ignore else None

    @staticmethod
    def add_args(arg_parser: argparse.ArgumentParser) -> None:
        arg_parser.add_argument("--select", default=None, help="only these rule codes (comma-separated)")
        arg_parser.add_argument("--ignore", default=None, help="skip these rule codes (comma-separated)")

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        from codemods import fix

        new, applied = fix(tree.code, self.select, self.ignore)
        if not applied:
            raise SkipFile("no fixable thread-safety finding")
        return cst.parse_module(new)
