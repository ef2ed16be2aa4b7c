"""Edit YAML by text spans: PyYAML's composer locates the nodes, the file's own bytes are edited.

Re-dumping YAML would lose comments, quoting, anchors and layout; instead every node keeps its
source span (``start_mark.index`` / ``end_mark.index``) and edits replace only the characters of a
recognised command or value. The result is parsed again by the caller to prove it is still YAML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

import yaml

from migrate.repofiles.commands import Note, Result, translate_shell
from migrate.repofiles.edits import Edit, apply_edits  # noqa: F401 (used here and by the YAML rewriters)
from migrate.repofiles.info import RepoInfo


class _Loader(yaml.SafeLoader):
    pass


def compose(text: str):
    """The root node, or None for an empty document. Raises yaml.YAMLError."""
    return yaml.compose(text, Loader=_Loader)


def parses(text: str) -> bool:
    try:
        list(yaml.safe_load_all(text))
        return True
    except yaml.YAMLError:
        return False


def walk(node, path: tuple = ()) -> Iterator[tuple[tuple, object, object | None]]:
    """(path, node, key node) for every node; aliases are visited once (at their anchor)."""
    seen: set[int] = set()

    def rec(n, p, key):
        if id(n) in seen:
            return
        seen.add(id(n))
        yield p, n, key
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                name = k.value if isinstance(k, yaml.ScalarNode) else "?"
                yield from rec(v, p + (name,), k)
        elif isinstance(n, yaml.SequenceNode):
            for i, v in enumerate(n.value):
                yield from rec(v, p + (i,), None)

    if node is not None:
        yield from rec(node, path, None)


def get(node, key: str):
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return v
    return None


def get_pair(node, key: str):
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return k, v
    return None


@dataclass
class YamlDoc:
    text: str
    info: RepoInfo
    edits: list[Edit] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)

    @property
    def nl(self) -> str:
        return "\r\n" if "\r\n" in self.text else "\n"

    def line_of(self, offset: int) -> int:
        return self.text.count("\n", 0, offset) + 1

    def result(self) -> str:
        return apply_edits(self.text, self.edits)

    def replace(self, start: int, end: int, new: str) -> None:
        self.edits.append(Edit(start, end, new))

    def line_span(self, offset: int) -> tuple[int, int]:
        """[start, end) of the whole line holding ``offset``, newline included."""
        s = self.text.rfind("\n", 0, offset) + 1
        e = self.text.find("\n", offset)
        return s, (len(self.text) if e < 0 else e + 1)

    def content_end(self, node) -> int:
        """Index of the last non-blank character of ``node``'s source, plus one."""
        end = node.end_mark.index
        while end > node.start_mark.index and self.text[end - 1] in " \t\r\n":
            end -= 1
        return end

    def end_of_line(self, node) -> int:
        """Index just after the newline ending the last line of ``node``."""
        return self.line_span(max(self.content_end(node) - 1, node.start_mark.index))[1]

    def delete_pair(self, key, value) -> None:
        """Remove ``key: value`` when it sits on its own line(s)."""
        s, _ = self.line_span(key.start_mark.index)
        e = self.end_of_line(value)
        if self.text[s : key.start_mark.index].strip() not in ("", "-"):
            return
        if self.text[s : key.start_mark.index].strip() == "-":
            return  # first key of a sequence item: leave to the caller
        self.edits.append(Edit(s, e, ""))

    def shell(self, node, flavor: str = "ci", system_env: bool = False) -> Result | None:
        """Translate a scalar that holds shell commands, editing it in place."""
        if not isinstance(node, yaml.ScalarNode) or not isinstance(node.value, str):
            return None
        s, e = node.start_mark.index, node.end_mark.index
        style = node.style
        if style in ("|", ">"):
            nl = self.text.find("\n", s)
            if nl < 0:
                return None
            start, newline_space = nl + 1, style == ">"
        elif style in ('"', "'"):
            inner = self.text[s + 1 : e - 1]
            if "\n" in inner or "\\" in inner or (style == "'" and "''" in inner):
                if _mentions(node.value):
                    self.notes.append(Note(s, "MIG321", "quoted multi-line or escaped YAML string not rewritten; check it by hand"))
                return None
            start, e, newline_space = s + 1, e - 1, False
        else:
            start, newline_space = s, "\n" in self.text[s:e]
        res = translate_shell(self.text, self.info, flavor=flavor, start=start, end=e,
                              newline_space=newline_space, system_env=system_env)
        if res.text != self.text:
            # the translator returns the whole text; keep only the edited region
            tail = len(self.text) - e
            new_region = res.text[start : len(res.text) - tail]
            if style in ('"', "'") and (style in new_region):
                self.notes.append(Note(s, "MIG321", "rewrite would need a quote inside a quoted YAML string; left alone"))
                return None
            ls, _ = self.line_span(node.start_mark.index)
            if new_region.strip() in ("true", "") and self.text[ls : node.start_mark.index].strip() == "-":
                # a list item whose only command was dropped: remove the item
                self.edits.append(Edit(ls, self.end_of_line(node), ""))
            else:
                self.edits.append(Edit(start, e, new_region))
        self.notes.extend(res.notes)
        return res


def _mentions(s: str) -> bool:
    import re

    return re.search(r"(?<![\w./-])(poetry|pipenv)\s+\w", s) is not None


def lockfile_name(value: str) -> str | None:
    """``poetry.lock`` / ``Pipfile.lock`` / ``**/poetry.lock`` → the same with ``uv.lock``; else None."""
    import re

    m = re.fullmatch(r"(.*?)(poetry\.lock|Pipfile\.lock)", value)
    if m:
        return m.group(1) + "uv.lock"
    return None
