"""GitLab CI (``.gitlab-ci.yml`` and included files): ``script``/``before_script``/``after_script``
commands (anchored lists included), ``cache: key: files:`` lock files, ``variables:`` names.

The same walk serves the other YAML CI services whose steps are shell strings under known keys
(Travis ``install``/``script``/…, CircleCI ``run``/``command``, Azure Pipelines ``script``/``bash``,
Bitbucket ``script``): :data:`OTHER_CI_KEYS`."""

from __future__ import annotations

import yaml

from migrate.repofiles.commands import Note, env_rename
from migrate.repofiles.yamltext import YamlDoc, lockfile_name, walk

SCRIPT_KEYS = {"script", "before_script", "after_script"}
OTHER_CI_KEYS = {
    "travis": {"install", "script", "before_install", "before_script", "after_success", "after_failure",
               "after_script", "before_deploy", "after_deploy", "before_cache"},
    "circleci": {"run", "command"},
    "azure": {"script", "bash"},
    "bitbucket": {"script", "after-script"},
}


def rewrite(text: str, info, keys: set[str] | None = None) -> tuple[str, list[Note]]:
    keys = SCRIPT_KEYS if keys is None else keys
    doc = YamlDoc(text, info)
    for root in yaml.compose_all(text, Loader=yaml.SafeLoader):
        if root is not None:
            _one_document(doc, root, text, info, keys)
    return doc.result(), _dedupe(doc.notes)


def _one_document(doc: YamlDoc, root, text: str, info, keys: set[str]) -> None:
    for path, node, key in walk(root):
        if key is not None and key.value == "variables" and isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                new = env_rename(str(k.value), None, info, "ci") if isinstance(k, yaml.ScalarNode) else None
                if new == "":
                    doc.delete_pair(k, v)
                    doc.notes.append(Note(k.start_mark.index, "MIG315", f"{k.value} dropped: not needed with uv"))
                elif new:
                    doc.replace(k.start_mark.index, k.end_mark.index, new)
                    doc.notes.append(Note(k.start_mark.index, "MIG315", f"{k.value} → {new}"))
        if len(path) >= 2 and path[-2] == "files" and "cache" in path and isinstance(node, yaml.ScalarNode):
            new = lockfile_name(str(node.value))
            if new:
                raw = text[node.start_mark.index : node.end_mark.index]
                doc.replace(node.start_mark.index, node.end_mark.index, raw.replace(str(node.value), new))
                doc.notes.append(Note(node.start_mark.index, "MIG314", f"cache key file {node.value} → {new}"))
    # an anchored list reused as a script (`before_script: *x`) is the node of its anchor: find
    # every value of a script key, aliases included, and translate each scalar once
    done: set[int] = set()

    def visit(n, seen: set[int]):
        if id(n) in seen:
            return
        seen.add(id(n))
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                if isinstance(k, yaml.ScalarNode) and k.value in keys:
                    for item in _scalars(v):
                        if id(item) not in done:
                            done.add(id(item))
                            doc.shell(item, flavor="ci")
                visit(v, seen)
        elif isinstance(n, yaml.SequenceNode):
            for v in n.value:
                visit(v, seen)

    visit(root, set())


def _scalars(node):
    if isinstance(node, yaml.ScalarNode):
        yield node
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _scalars(item)


def _dedupe(notes):
    seen = set()
    out = []
    for n in notes:
        k = (n.offset, n.code, n.message)
        if k not in seen:
            seen.add(k)
            out.append(n)
    return out
