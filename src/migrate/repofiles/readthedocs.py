"""``.readthedocs.yaml``: ``build.jobs.<phase>`` and ``build.commands`` run shell commands."""

from __future__ import annotations

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
        # (the translator turns VIRTUAL_ENV into UV_PROJECT_ENVIRONMENT for a Poetry/Pipenv command)
        doc.shell(node, flavor="ci")
    return doc.result(), doc.notes
