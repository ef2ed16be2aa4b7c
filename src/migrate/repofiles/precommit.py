"""``.pre-commit-config.yaml``: python-poetry hooks → astral-sh/uv-pre-commit; local hooks'
``entry: poetry run X`` → ``uv run X``; ``additional_dependencies`` pins of poetry → uv; lock-file
excludes → uv.lock."""

from __future__ import annotations

import re

import yaml

from migrate.repofiles.commands import Note
from migrate.repofiles.yamltext import YamlDoc, compose, get, get_pair

UV_PRE_COMMIT = "https://github.com/astral-sh/uv-pre-commit"
HOOK_MAP = {"poetry-check": "uv-lock", "poetry-lock": "uv-lock", "poetry-export": "uv-export", "poetry-install": None}


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


def _uv_version() -> str | None:
    """uv-pre-commit tags follow uv's releases: use the installed uv's version as the rev."""
    try:
        from importlib.metadata import version

        return version("uv")
    except Exception:
        return None


def _poetry_repo(doc: YamlDoc, repo, url, hooks) -> None:
    """python-poetry's own hooks: poetry-check/poetry-lock → uv-lock, poetry-export → uv-export."""
    import json
    import shlex

    from migrate.repofiles.commands import translate_shell

    ids = []
    if isinstance(hooks, yaml.SequenceNode):
        for h in hooks.value:
            hid = get(h, "id")
            if isinstance(hid, yaml.ScalarNode):
                ids.append((h, hid))
    unknown = [str(hid.value) for _h, hid in ids if HOOK_MAP.get(str(hid.value)) is None]
    if not ids or unknown:
        doc.notes.append(Note(url.start_mark.index, "MIG320",
                              f"python-poetry hooks without a uv-pre-commit equivalent ({', '.join(unknown) or 'none'}; "
                              f"poetry-install: run `uv sync`): left alone; {UV_PRE_COMMIT} has uv-lock and uv-export"))
        return
    # poetry-export args → uv-export args (through the command translator)
    new_args = {}
    for h, hid in ids:
        args = get(h, "args")
        if args is None:
            continue
        if not isinstance(args, yaml.SequenceNode) or not all(isinstance(a, yaml.ScalarNode) for a in args.value):
            doc.notes.append(Note(hid.start_mark.index, "MIG321", f"hook {hid.value}: args not understood; left alone"))
            return
        vals = [str(a.value) for a in args.value]
        if hid.value == "poetry-export":
            res = translate_shell(shlex.join(["poetry", "export", *vals]), doc.info, flavor="ci")
            words = shlex.split(res.text)
            if words[:2] != ["uv", "export"]:
                doc.notes.append(Note(hid.start_mark.index, "MIG321", f"hook poetry-export args {vals} not understood; left alone"))
                return
            new_args[id(h)] = (args, words[2:])
        elif all(v in ("--no-update", "--check", "--lock", "--strict") for v in vals):
            new_args[id(h)] = (args, None)  # uv lock keeps versions and checks by itself
        else:
            doc.notes.append(Note(hid.start_mark.index, "MIG321", f"hook {hid.value} args {vals} not understood; left alone"))
            return
    raw = doc.text[url.start_mark.index : url.end_mark.index]
    doc.replace(url.start_mark.index, url.end_mark.index, raw.replace(str(url.value), UV_PRE_COMMIT))
    rev = get_pair(repo, "rev")
    uvv = _uv_version()
    if rev and uvv:
        rraw = doc.text[rev[1].start_mark.index : rev[1].end_mark.index]
        doc.replace(rev[1].start_mark.index, rev[1].end_mark.index, rraw.replace(str(rev[1].value), uvv))
        doc.notes.append(Note(rev[1].start_mark.index, "MIG317", f"rev {rev[1].value} (Poetry's) → {uvv} (uv-pre-commit follows uv's releases)"))
    seen_lock = False
    for h, hid in ids:
        new = HOOK_MAP[str(hid.value)]
        if new == "uv-lock" and seen_lock:
            # poetry-check and poetry-lock both become uv-lock: keep one
            s0, _ = doc.line_span(hid.start_mark.index)
            doc.replace(s0, doc.end_of_line(h), "")
            doc.notes.append(Note(hid.start_mark.index, "MIG317", f"hook {hid.value} removed: uv-lock above covers it"))
            continue
        seen_lock = seen_lock or new == "uv-lock"
        r = doc.text[hid.start_mark.index : hid.end_mark.index]
        doc.replace(hid.start_mark.index, hid.end_mark.index, r.replace(str(hid.value), new))
        doc.notes.append(Note(hid.start_mark.index, "MIG317", f"hook {hid.value} → {new} ({UV_PRE_COMMIT})"))
        if id(h) in new_args:
            args, vals = new_args[id(h)]
            k = get_pair(h, "args")[0]
            if vals is None:
                doc.delete_pair(k, args)
            else:
                doc.replace(args.start_mark.index, args.end_mark.index, json.dumps(vals))
