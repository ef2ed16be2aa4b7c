"""``.readthedocs.yaml``: ``build.jobs.<phase>`` and ``build.commands`` run shell commands."""

from __future__ import annotations

import re

import yaml

from migrate.repofiles.commands import Note
from migrate.repofiles.yamltext import YamlDoc, compose, get, walk


def rewrite(text: str, info) -> tuple[str, list[Note]]:
    root = compose(text)
    doc = YamlDoc(text, info)
    build = get(root, "build")
    if build is None:
        return text, []
    targets = []
    jobs = get(build, "jobs")
    if isinstance(jobs, yaml.MappingNode):
        for _k, v in jobs.value:
            if isinstance(v, yaml.SequenceNode):
                targets.extend(v.value)
    cmds = get(build, "commands")
    if isinstance(cmds, yaml.SequenceNode):
        targets.extend(cmds.value)
    for node in targets:
        if not isinstance(node, yaml.ScalarNode):
            continue
        # RTD's documented Poetry recipe: VIRTUAL_ENV=$READTHEDOCS_VIRTUALENV_PATH poetry install …
        raw = text[node.start_mark.index : node.end_mark.index]
        m = re.search(r"\bVIRTUAL_ENV=(\S+)\s+(?=poetry\s)", raw)
        res = doc.shell(node, flavor="ci")
        if m and res is not None and res.uses_uv:
            s = node.start_mark.index + m.start()
            doc.replace(s, s + len("VIRTUAL_ENV"), "UV_PROJECT_ENVIRONMENT")
            doc.notes.append(Note(s, "MIG313", "VIRTUAL_ENV → UV_PROJECT_ENVIRONMENT: uv syncs into Read the Docs' environment"))
    return doc.result(), doc.notes
