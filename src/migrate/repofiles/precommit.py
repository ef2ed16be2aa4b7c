"""``.pre-commit-config.yaml``: python-poetry hooks → astral-sh/uv-pre-commit; local hooks'
``entry: poetry run X`` → ``uv run X``; ``additional_dependencies`` pins of poetry → uv; lock-file
excludes → uv.lock."""

from __future__ import annotations

import re

import yaml

from migrate.repofiles.commands import Note
from migrate.repofiles.yamltext import YamlDoc, compose, get, get_pair

UV_PRE_COMMIT = "https://github.com/astral-sh/uv-pre-commit"
HOOK_MAP = {"poetry-check": None, "poetry-lock": "uv-lock", "poetry-export": "uv-export", "poetry-install": None}


def rewrite(text: str, info) -> tuple[str, list[Note]]:
    root = compose(text)
    doc = YamlDoc(text, info)
    repos = get(root, "repos")
    if not isinstance(repos, yaml.SequenceNode):
        return text, []
    for repo in repos.value:
        url = get(repo, "repo")
        hooks = get(repo, "hooks")
        if isinstance(url, yaml.ScalarNode) and re.search(r"github\.com/python-poetry/poetry(\.git)?$", str(url.value)):
            _poetry_repo(doc, repo, url, hooks)
            continue
        if not isinstance(hooks, yaml.SequenceNode):
            continue
        for hook in hooks.value:
            entry = get(hook, "entry")
            if isinstance(entry, yaml.ScalarNode):
                res = doc.shell(entry, flavor="ci")
                if res is not None and res.uses_uv:
                    deps = get(hook, "additional_dependencies")
                    if isinstance(deps, yaml.SequenceNode):
                        for d in deps.value:
                            if isinstance(d, yaml.ScalarNode) and re.fullmatch(r"(poetry|pipenv)\s*([=<>!~].*)?", str(d.value)):
                                raw = text[d.start_mark.index : d.end_mark.index]
                                doc.replace(d.start_mark.index, d.end_mark.index, raw.replace(str(d.value), "uv"))
                                doc.notes.append(Note(d.start_mark.index, "MIG317", f"additional_dependencies {d.value} → uv (the hook now runs uv)"))
            for key in ("exclude", "files"):
                v = get(hook, key)
                if isinstance(v, yaml.ScalarNode) and re.search(r"(poetry|Pipfile)\\?\.lock", str(v.value)):
                    raw = text[v.start_mark.index : v.end_mark.index]
                    new = re.sub(r"(poetry|Pipfile)(\\\\?\.lock)", r"uv\2", raw)
                    doc.replace(v.start_mark.index, v.end_mark.index, new)
                    doc.notes.append(Note(v.start_mark.index, "MIG317", f"hook {key} pattern names uv.lock instead of the old lock file"))
    return doc.result(), doc.notes


def _poetry_repo(doc: YamlDoc, repo, url, hooks) -> None:
    ids = []
    if isinstance(hooks, yaml.SequenceNode):
        for h in hooks.value:
            hid = get(h, "id")
            if isinstance(hid, yaml.ScalarNode):
                ids.append((h, hid))
    if not ids or any(HOOK_MAP.get(str(hid.value)) is None for _h, hid in ids) or any(
        len(h.value) > 1 and get(h, "args") is not None for h, _ in ids
    ):
        doc.notes.append(Note(url.start_mark.index, "MIG320",
                              "python-poetry hooks without an exact uv-pre-commit equivalent (poetry-check, poetry-install, or args): "
                              f"use {UV_PRE_COMMIT} (uv-lock, uv-export) by hand"))
        return
    raw = doc.text[url.start_mark.index : url.end_mark.index]
    doc.replace(url.start_mark.index, url.end_mark.index, raw.replace(str(url.value), UV_PRE_COMMIT))
    rev = get_pair(repo, "rev")
    if rev:
        doc.notes.append(Note(rev[1].start_mark.index, "MIG317", f"rev {rev[1].value} is Poetry's: set it to a uv-pre-commit release (`pre-commit autoupdate`)"))
    for _h, hid in ids:
        new = HOOK_MAP[str(hid.value)]
        r = doc.text[hid.start_mark.index : hid.end_mark.index]
        doc.replace(hid.start_mark.index, hid.end_mark.index, r.replace(str(hid.value), new))
        doc.notes.append(Note(hid.start_mark.index, "MIG317", f"hook {hid.value} → {new} ({UV_PRE_COMMIT})"))
