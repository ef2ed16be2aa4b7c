"""GitHub Actions workflows and composite actions.

- ``run:`` scripts go through the command translator;
- ``snok/install-poetry`` / ``abatilo/actions-poetry`` → ``astral-sh/setup-uv`` (their inputs dropped);
  a step whose whole ``run:`` only installs Poetry/Pipenv becomes a setup-uv step;
- ``actions/setup-python`` ``cache: poetry|pipenv`` → removed, setup-uv ``enable-cache: true``;
- ``hashFiles('poetry.lock')``, ``cache-dependency-path`` and ``paths:`` filters → ``uv.lock``;
- ``env:`` Poetry variables renamed (``POETRY_HTTP_BASIC_<NAME>_*`` → ``UV_INDEX_<NAME>_*``) or dropped.
"""

from __future__ import annotations

import re

import yaml

from migrate.repofiles.commands import Note, env_rename
from migrate.repofiles.yamltext import YamlDoc, compose, get, get_pair, lockfile_name, walk

SETUP_UV = "astral-sh/setup-uv@v6"
POETRY_ACTIONS = ("snok/install-poetry", "abatilo/actions-poetry", "Gr1N/setup-poetry", "pipenv/setup-pipenv")


def rewrite(text: str, info) -> tuple[str, list[Note]]:
    root = compose(text)
    doc = YamlDoc(text, info)
    if root is None:
        return text, []
    pinned = _pins_actions(root)
    for path, node, key in walk(root):
        if isinstance(node, yaml.MappingNode):
            steps = get(node, "steps")
            if isinstance(steps, yaml.SequenceNode):
                _job(doc, node, steps, pinned)
            envn = get(node, "env")
            if isinstance(envn, yaml.MappingNode):
                _env(doc, envn, get_pair(node, "env"))
        if isinstance(node, yaml.ScalarNode) and isinstance(node.value, str):
            _lockfile_refs(doc, node, path)
    _paths_filters(doc, root)
    new = doc.result()
    notes = list(doc.notes)
    if new != text:
        new, more = _unused_installer_env(new, info)
        notes += [Note(0, n.code, n.message) for n in more]
    return new, notes


def _unused_installer_env(text: str, info) -> tuple[str, list[Note]]:
    """POETRY_VERSION/POETRY_HOME/PIPENV_VERSION env entries nothing refers to any more: dropped."""
    root = compose(text)
    doc = YamlDoc(text, info)
    for _p, node, key in walk(root):
        if key is not None and key.value == "env" and isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.value in ("POETRY_VERSION", "POETRY_HOME", "PIPENV_VERSION") \
                        and not _referenced_elsewhere(doc, k) and len(node.value) > 1:
                    doc.delete_pair(k, v)
                    doc.notes.append(Note(k.start_mark.index, "MIG315", f"{k.value} dropped: nothing uses it after the rewrite"))
    return doc.result(), doc.notes


def _pins_actions(root) -> bool:
    for _p, n, key in walk(root):
        if key is not None and key.value == "uses" and isinstance(n, yaml.ScalarNode):
            if re.search(r"@[0-9a-f]{40}$", str(n.value)):
                return True
    return False


def _job(doc: YamlDoc, job, steps, pinned: bool) -> None:
    had_cache = False
    setup_uv_steps = []
    has_uv = False
    py_version = None  # the raw python-version of setup-python (e.g. ${{ matrix.python-version }})
    first_uv_step = None
    for step in steps.value:
        if not isinstance(step, yaml.MappingNode):
            continue
        uses = get(step, "uses")
        if isinstance(uses, yaml.ScalarNode) and isinstance(uses.value, str):
            action = uses.value.split("@")[0]
            if action in POETRY_ACTIONS:
                doc.replace(uses.start_mark.index, uses.end_mark.index, SETUP_UV)
                pair = get_pair(step, "with")
                if pair:
                    doc.delete_pair(*pair)
                doc.notes.append(Note(uses.start_mark.index, "MIG311",
                                      f"{uses.value} → {SETUP_UV}" + (" (pin it to a commit SHA like the other actions)" if pinned else "")))
                setup_uv_steps.append(step)
                has_uv = True
            elif action == "astral-sh/setup-uv":
                has_uv = True
            elif action == "actions/setup-python":
                w = get(step, "with")
                pv = get(w, "python-version")
                if isinstance(pv, yaml.ScalarNode) and "\n" not in doc.text[pv.start_mark.index : pv.end_mark.index]:
                    py_version = doc.text[pv.start_mark.index : pv.end_mark.index]
                cache = get(w, "cache")
                if isinstance(cache, yaml.ScalarNode) and cache.value in ("poetry", "pipenv"):
                    had_cache = True
                    pairs = [get_pair(w, "cache")]
                    cdp = get_pair(w, "cache-dependency-path")
                    if cdp:
                        pairs.append(cdp)
                    if len(w.value) == len(pairs):
                        doc.delete_pair(*get_pair(step, "with"))
                    else:
                        for p in pairs:
                            doc.delete_pair(*p)
                    doc.notes.append(Note(cache.start_mark.index, "MIG314",
                                          f"setup-python `cache: {cache.value}` removed: setup-uv caches uv's downloads (`enable-cache: true`, keyed on uv.lock)"))
        w = get(step, "with")
        if isinstance(w, yaml.MappingNode):
            # action inputs that hold a shell command (version-command:, script:, run:)
            for k, v in w.value:
                if isinstance(k, yaml.ScalarNode) and re.search(r"(^|[-_])(command|cmd|script|run)s?$", str(k.value)):
                    doc.shell(v, flavor="ci")
        run = get_pair(step, "run")
        if run:
            res = doc.shell(run[1], flavor="ci")
            if res is not None and res.installs and _only_installs(doc, run[1], res):
                # the step only installed the tool: make it a setup-uv step
                k, v = run
                end = doc.content_end(v)
                doc.edits[:] = [e for e in doc.edits if not (k.start_mark.index <= e.start < v.end_mark.index)]
                doc.replace(k.start_mark.index, end, f"uses: {SETUP_UV}")
                sh = get_pair(step, "shell")
                if sh:
                    doc.delete_pair(*sh)
                doc.notes.append(Note(k.start_mark.index, "MIG311", f"step installing Poetry/Pipenv → `uses: {SETUP_UV}`"))
                setup_uv_steps.append(step)
                has_uv = True
            elif res is not None and res.installs:
                has_uv = True
            elif res is not None and _emptied(doc, run[1]):
                _delete_step(doc, step)
            elif res is not None and res.uses_uv and first_uv_step is None:
                first_uv_step = step
    inputs = []
    if had_cache:
        inputs.append("enable-cache: true")
    if py_version is not None:
        # setup-uv sets UV_PYTHON: uv uses the interpreter the job asked setup-python for
        inputs.append(f"python-version: {py_version}")
    if setup_uv_steps:
        step = setup_uv_steps[0]
        k = get_pair(step, "uses") or get_pair(step, "run")
        col = k[0].start_mark.column
        at = doc.end_of_line(k[1])
        ind = " " * col
        if inputs:
            doc.replace(at, at, f"{ind}with:{doc.nl}" + "".join(f"{ind}  {i}{doc.nl}" for i in inputs))
    elif first_uv_step is not None and not has_uv:
        # uv is used but nothing installs it in this job (Poetry came preinstalled): add setup-uv
        first = first_uv_step.value[0][0]
        s0, _ = doc.line_span(first.start_mark.index)
        head = doc.text[s0 : first.start_mark.index]
        if head.strip() != "-":
            ps = doc.text.rfind("\n", 0, s0 - 1) + 1 if s0 > 0 else 0
            s0 = ps
            head = doc.text[s0 : doc.text.find("-", s0) + 1]
        dash = " " * (len(head) - len(head.lstrip()))
        lines = [f"{dash}- uses: {SETUP_UV}"]
        if inputs:
            lines.append(f"{dash}  with:")
            lines += [f"{dash}    {i}" for i in inputs]
        doc.replace(s0, s0, doc.nl.join(lines) + doc.nl)
        doc.notes.append(Note(first.start_mark.index, "MIG311", f"`uses: {SETUP_UV}` step added: this job now runs uv"))


def _only_installs(doc: YamlDoc, node, res) -> bool:
    """True when every command of the scalar is a tool installer or a PATH line for it."""
    from migrate.repofiles.shellwords import commands

    try:
        cmds = commands(doc.text, start=node.start_mark.index if node.style not in ("|", ">") else doc.text.find("\n", node.start_mark.index) + 1,
                        end=node.end_mark.index, newline_space=node.style == ">")
    except Exception:
        return False
    spans = res.installs
    for c in cmds:
        if any(s <= c.start and c.end <= e for s, e in spans):
            continue
        v = c.values()
        if v[:1] == ["echo"] and any("GITHUB_PATH" in x for x in v) and any(".local/bin" in x or "poetry" in x.lower() for x in v):
            continue
        if v[:1] in (["python"], ["python3"], ["sh"], ["bash"]) and any(s <= c.start <= e + 3 for s, e in spans):
            continue
        return False
    return True


def _env(doc: YamlDoc, envn, pair=None) -> None:
    before = len(doc.edits)
    dropped = 0
    for k, v in envn.value:
        if not isinstance(k, yaml.ScalarNode):
            continue
        new = env_rename(str(k.value), None, doc.info, "ci")
        if new is None:
            if k.value in ("POETRY_VERSION", "POETRY_HOME", "PIPENV_VERSION") and not _referenced_elsewhere(doc, k):
                doc.delete_pair(k, v)
                dropped += 1
                doc.notes.append(Note(k.start_mark.index, "MIG315", f"{k.value} dropped: Poetry/Pipenv installer setting"))
            continue
        if new == "":
            doc.delete_pair(k, v)
            dropped += 1
            doc.notes.append(Note(k.start_mark.index, "MIG315", f"{k.value} dropped: not needed with uv"))
        else:
            doc.replace(k.start_mark.index, k.end_mark.index, new)
            doc.notes.append(Note(k.start_mark.index, "MIG315", f"{k.value} → {new}"))
    if dropped and dropped == len(envn.value) and pair is not None:
        # every variable went: remove `env:` itself (an empty env is not valid)
        del doc.edits[before:]
        doc.delete_pair(*pair)


def _referenced_elsewhere(doc: YamlDoc, k) -> bool:
    name = str(k.value)
    rest = doc.text[: k.start_mark.index] + doc.text[k.end_mark.index :]
    return re.search(rf"(?<![A-Za-z0-9_]){name}(?![A-Za-z0-9_])", rest) is not None


def _lockfile_refs(doc: YamlDoc, node, path) -> None:
    val = node.value
    if "hashFiles(" in val and re.search(r"(poetry|Pipfile)\.lock", val):
        raw = doc.text[node.start_mark.index : node.end_mark.index]
        new = re.sub(r"(['\"])([^'\"]*?)(?:poetry|Pipfile)\.lock\1", lambda m: f"{m.group(1)}{m.group(2)}uv.lock{m.group(1)}", raw)
        if new != raw:
            doc.replace(node.start_mark.index, node.end_mark.index, new)
            doc.notes.append(Note(node.start_mark.index, "MIG314", "cache key hashes uv.lock instead of the old lock file"))
    elif (path and path[-1] == "path" or (len(path) >= 2 and path[-2] == "path")) and re.fullmatch(
        r"~/\.cache/pypoetry(/.*)?|~/\.cache/pipenv(/.*)?|~/\.local/share/virtualenvs(/.*)?", val.strip()
    ):
        raw = doc.text[node.start_mark.index : node.end_mark.index]
        doc.replace(node.start_mark.index, node.end_mark.index, raw.replace(val.strip(), "~/.cache/uv"))
        doc.notes.append(Note(node.start_mark.index, "MIG314", f"cache path {val.strip()} → ~/.cache/uv (uv's cache)"))
    elif path and path[-1] == "cache-dependency-path" or (len(path) >= 2 and path[-2] == "cache-dependency-path"):
        new = lockfile_name(val)
        if new:
            raw = doc.text[node.start_mark.index : node.end_mark.index]
            doc.replace(node.start_mark.index, node.end_mark.index, raw.replace(val, new))
            doc.notes.append(Note(node.start_mark.index, "MIG314", f"cache-dependency-path {val} → {new}"))


def _paths_filters(doc: YamlDoc, root) -> None:
    on = get(root, "on") or get(root, "true")  # PyYAML reads a bare `on:` key as boolean true
    if on is None:
        for k, v in getattr(root, "value", []):
            if isinstance(k, yaml.ScalarNode) and k.value in ("on", "true", True):
                on = v
    if not isinstance(on, yaml.MappingNode):
        return
    for _ev, trig in on.value:
        for key in ("paths", "paths-ignore"):
            seq = get(trig, key)
            if not isinstance(seq, yaml.SequenceNode):
                continue
            existing = {str(n.value) for n in seq.value if isinstance(n, yaml.ScalarNode)}
            for item in seq.value:
                if not isinstance(item, yaml.ScalarNode):
                    continue
                new = lockfile_name(str(item.value))
                if new is None:
                    m = re.fullmatch(r"(.*?)Pipfile", str(item.value))
                    new = m.group(1) + "pyproject.toml" if m else None
                if new is None:
                    continue
                if new in existing:
                    s, e = doc.line_span(item.start_mark.index)
                    if doc.text[s : item.start_mark.index].strip() == "-":
                        doc.replace(s, e, "")
                else:
                    raw = doc.text[item.start_mark.index : item.end_mark.index]
                    doc.replace(item.start_mark.index, item.end_mark.index, raw.replace(str(item.value), new))
                    existing.add(new)
                doc.notes.append(Note(item.start_mark.index, "MIG314", f"paths filter {item.value} → {new}"))


def _emptied(doc: YamlDoc, node) -> bool:
    """The run scalar's only command was dropped (it is now `true` or empty)."""
    for e in doc.edits:
        if e.start <= node.start_mark.index + 1 and e.end >= doc.content_end(node) - 1:
            return e.text.strip() in ("", "true")
    return False


def _delete_step(doc: YamlDoc, step) -> None:
    """Remove a whole step (its `-` line through its last line)."""
    first = step.value[0][0]
    s, _ = doc.line_span(first.start_mark.index)
    before = doc.text[s : first.start_mark.index]
    if before.strip() != "-":
        # `-` alone on the line above
        ps, _ = doc.line_span(s - 1) if s > 0 else (s, s)
        if doc.text[ps:s].strip() != "-":
            return
        s = ps
    e = doc.end_of_line(step)
    doc.edits[:] = [x for x in doc.edits if not (s <= x.start < e)]
    doc.replace(s, e, "")
    doc.notes.append(Note(first.start_mark.index, "MIG312", "step removed: its only command is not needed with uv"))
