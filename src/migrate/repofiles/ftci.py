"""``--add-ft-ci``: a GitHub Actions job that runs the repository's test command on the free-threaded
target (``3.13t``) with setup-uv, next to the job that already runs the tests.

The job copies what the tests need from that job — ``runs-on`` (unless it comes from a matrix), job
``env``/``services``/``defaults``, the ``uv sync`` line (same groups/extras) and the test step with its
``env`` — and installs the interpreter with ``astral-sh/setup-uv`` ``python-version: 3.13t``. The file is
edited by appending text at the end of ``jobs:``; nothing else changes."""

from __future__ import annotations

import re

import yaml

from migrate.repofiles.commands import Note
from migrate.repofiles.yamltext import compose, get

TEST_RE = re.compile(r"\buv run\b.*\b(pytest|py\.test|unittest|tox|nox|ward|trial)\b|\bmake\s+(test|tests|check)\b")
SETUP_UV = "astral-sh/setup-uv@v6"


def add_ft_job(text: str, target: str = "3.13t") -> tuple[str, list[Note], int]:
    """(new text, notes, score): score 2 when the test command is recognised (pytest, tox, nox, make
    test), 1 when only the step's name says "test", 0 when nothing was added."""
    root = compose(text)
    jobs = get(root, "jobs")
    if not isinstance(jobs, yaml.MappingNode) or not jobs.value:
        return text, [], 0
    names = {str(k.value) for k, _ in jobs.value}
    for key, job in jobs.value:
        steps = get(job, "steps")
        if not isinstance(steps, yaml.SequenceNode):
            continue
        test_step = sync_line = None
        score = 0
        for step in steps.value:
            run = get(step, "run")
            if not isinstance(run, yaml.ScalarNode):
                continue
            sname = get(step, "name")
            named_test = isinstance(sname, yaml.ScalarNode) and re.search(r"\btests?\b", str(sname.value), re.I)
            for line in str(run.value).splitlines():
                line = line.strip()
                if sync_line is None and re.match(r"uv sync\b", line) and "${{" not in line:
                    sync_line = line
                if "${{ matrix" in str(run.value):
                    continue
                if TEST_RE.search(line) and score < 2:
                    test_step, score = (step, line), 2
                elif named_test and line.startswith("uv run") and score < 1:
                    test_step, score = (step, line), 1
        if test_step is None:
            continue
        name = f"{key.value}-free-threaded"
        if name in names:
            return text, [], 0
        nl = "\r\n" if "\r\n" in text else "\n"
        ind = " " * key.start_mark.column
        i2 = ind + "  "
        out = [f"{ind}{name}:", f"{i2}name: tests on {target} (free-threaded)"]
        runs_on = get(job, "runs-on")
        ro = str(runs_on.value) if isinstance(runs_on, yaml.ScalarNode) else ""
        out.append(f"{i2}runs-on: {ro if ro and '${{' not in ro else 'ubuntu-latest'}")
        for k in ("defaults", "env", "services"):
            block = _block(text, job, k)
            if block:
                out.append(block)
        out.append(f"{i2}steps:")
        out.append(f"{i2}  - uses: actions/checkout@v4")
        out.append(f"{i2}  - uses: {SETUP_UV}")
        out.append(f"{i2}    with:")
        out.append(f"{i2}      python-version: \"{target}\"")
        out.append(f"{i2}      enable-cache: true")
        out.append(f"{i2}  - run: {sync_line or 'uv sync --locked'}")
        step, line = test_step
        out += _step_lines(text, step, f"{i2}  ")
        end = _end_of_line(text, jobs)
        prefix = "" if text[:end].endswith(("\n",)) else nl
        new = text[:end] + prefix + nl + nl.join(out) + nl + text[end:]
        return new, [Note(end, "MIG326", f"job `{name}` added: the tests of job `{key.value}` on {target} with setup-uv")], score
    return text, [], 0


def _step_lines(text: str, step, indent: str) -> list[str]:
    """The step's own source lines (its `-` line through its last line), re-indented under ``indent``."""
    first = step.value[0][0]
    s = text.rfind("\n", 0, first.start_mark.index) + 1
    head = text[s : first.start_mark.index]
    if head.strip() != "-":
        ps = text.rfind("\n", 0, s - 1) + 1 if s > 0 else 0
        if text[ps:s].strip() == "-":
            s = ps
    e = _end_of_line(text, step)
    lines = text[s:e].replace("\r\n", "\n").rstrip("\n").split("\n")
    base = len(lines[0]) - len(lines[0].lstrip())
    return [(indent + l[base:]) if l.strip() else "" for l in lines]


def _block(text: str, mapping, key: str) -> str | None:
    """The source text of ``key: value`` in a block mapping (whole lines, without the final newline)."""
    for k, v in mapping.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            s = text.rfind("\n", 0, k.start_mark.index) + 1
            if text[s : k.start_mark.index].strip():
                return None  # `- env:` on a sequence-item line: not copied
            e = _end_of_line(text, v)
            return text[s:e].rstrip("\r\n").replace("\r\n", "\n")
    return None


def _end_of_line(text: str, node) -> int:
    end = node.end_mark.index
    while end > node.start_mark.index and text[end - 1] in " \t\r\n":
        end -= 1
    nl = text.find("\n", end)
    return len(text) if nl < 0 else nl + 1
