"""The shared command translator: ``poetry …`` / ``pipenv …`` command words → ``uv …``.

Every file kind hands shell text to :func:`translate_shell`, which finds each simple command
(:mod:`.shellwords`), recognises Poetry/Pipenv invocations and tool installs *as a whole*, and returns
the text with in-place edits plus one note per rewritten or reported command. A command with any flag
this module does not know is left alone and reported (MIG321): never guessed.

Mappings follow ``ci-corpus/MAPPING.md`` (uv's docs); every uv flag used here exists in the installed
uv (``tests/test_repofiles_commands.py`` checks them against ``uv <cmd> --help``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from migrate.repofiles.info import RepoInfo
from migrate.repofiles.shellwords import Command, ShellSyntax, Word, commands, quote

TOOLS = ("poetry", "pipenv")
_ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_RESERVED = {"if", "then", "else", "elif", "do", "while", "until", "!", "{"}
_WRAPPERS = {"sudo", "time", "exec", "nohup", "command", "-exec", "-execdir", "xargs", "env"}
POETRY_VERBS = {
    "install", "run", "lock", "check", "export", "build", "publish", "version", "config", "self", "shell",
    "update", "add", "remove", "show", "env", "new", "init", "exec", "poe", "cache", "source", "search",
    "debug", "about", "list", "sync", "dynamic-versioning", "bump", "plugin",
}
PIPENV_VERBS = {
    "install", "run", "lock", "sync", "requirements", "shell", "check", "graph", "update", "clean",
    "uninstall", "upgrade", "verify", "scripts", "open",
}
PIPENV_GLOBAL = {"--python", "--venv", "--py", "--where", "--clear", "--rm", "--three", "--site-packages", "--envs"}
QUIET_FLAGS = {"--no-interaction", "-n", "--no-ansi", "--ansi", "-v", "-vv", "-vvv", "--verbose", "-q", "--quiet"}
EXPORT_PLUGINS = {"poetry-plugin-export"}
UV_INSTALL_SH = "curl -LsSf https://astral.sh/uv/install.sh | sh"


# -- notes -----------------------------------------------------------------------------------
@dataclass
class Note:
    offset: int  # where in the text (→ line number)
    code: str
    message: str


@dataclass
class Result:
    text: str
    notes: list[Note] = field(default_factory=list)
    #: some invocation was rewritten to uv (the caller may need to make uv available)
    uses_uv: bool = False
    #: a tool installer was replaced (the caller may prefer a setup-uv step)
    installs: list[tuple[int, int]] = field(default_factory=list)


class Unknown(Exception):
    """A flag or form we do not translate exactly: leave the command alone and report it."""


class NoEquivalent(Exception):
    def __init__(self, message: str, code: str = "MIG320") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


# -- entry point -----------------------------------------------------------------------------
def translate_shell(
    text: str,
    info: RepoInfo,
    *,
    flavor: str = "shell",
    make: bool = False,
    aliases: dict[str, str] | None = None,
    start: int = 0,
    end: int | None = None,
    system_env: bool = False,
    newline_space: bool = False,
    keep_alias: bool = False,
    prefix: bool = False,
) -> Result:
    """Rewrite the invocations in ``text[start:end]``; offsets in notes are absolute in ``text``.

    ``flavor``: shell | make | docker | ci | docs | tox — decides the few mappings that depend on where a
    command runs (``poetry shell`` in interactive docs vs a script). ``aliases`` maps Make variable
    references (``$(POETRY)``) to the tool they name. ``system_env``: the file installs into the system
    interpreter (``poetry config virtualenvs.create false``, ``pipenv --system``)."""
    end = len(text) if end is None else end
    try:
        cmds = commands(text, make=make, start=start, end=end, newline_space=newline_space)
    except ShellSyntax as exc:
        res = Result(text)
        if _mentions_tool(text[start:end]):
            res.notes.append(Note(start, "MIG321", f"shell text not understood ({exc}); left alone"))
        return res
    tr = _Translator(text, cmds, info, flavor, make, aliases or {}, system_env)
    tr.keep_alias = keep_alias
    tr.prefix = prefix
    tr.lo, tr.hi = start, end
    return tr.run()


def system_env_in(text: str) -> bool:
    """Poetry configured to install into the system interpreter somewhere in the file."""
    return re.search(r"virtualenvs\.create\s+[\"']?(false|0)\b|POETRY_VIRTUALENVS_CREATE\s*[:=]?\s*[\"']?(false|0)\b",
                     text, re.I) is not None


def _mentions_tool(s: str) -> bool:
    return re.search(r"(?<![\w.-])(poetry|pipenv)(?![\w.-])", s) is not None


@dataclass
class _Edit:
    start: int
    end: int
    text: str


class _Translator:
    def __init__(self, text, cmds, info, flavor, make, aliases, system_env) -> None:
        self.t = text
        self.cmds: list[Command] = cmds
        self.info: RepoInfo = info
        self.flavor = flavor
        self.make = make
        self.aliases = aliases
        self.system = system_env or self._detect_system()
        self.active = self.flavor != "docs" and self._detect_active()
        self.edits: list[_Edit] = []
        self.res = Result(text)
        self.skip: set[int] = set()
        self.keep_alias = False
        self.prefix = False
        self.lo = 0
        self.hi = len(text)

    def _detect_system(self) -> bool:
        """The file tells Poetry to install into the interpreter itself (no virtualenv)."""
        return system_env_in(self.t)

    def _detect_active(self) -> bool:
        """The file activates a virtualenv other than the project's .venv before Poetry/Pipenv install
        into it (``. /opt/venv/bin/activate``, ``ENV VIRTUAL_ENV=/opt/venv``): uv needs ``--active``."""
        for m in re.finditer(r"(?:\bsource|(?:^|[;&|(]|\s)\.)\s+[\"']?([^\s\"';&|]+)/bin/activate\b", self.t):
            if m.group(1).rstrip("/") not in (".venv", "./.venv", "$VIRTUAL_ENV", "${VIRTUAL_ENV}"):
                return True
        return re.search(r"(?m)^\s*ENV\s+(?:.*\s)?VIRTUAL_ENV[=\s]", self.t) is not None

    def note(self, off: int, code: str, msg: str) -> None:
        self.res.notes.append(Note(off, code, msg))

    def run(self) -> Result:
        for k, cmd in enumerate(self.cmds):
            if k in self.skip or not cmd.words:
                continue
            try:
                self.command(k, cmd)
            except Unknown as exc:
                self.note(cmd.start, "MIG321", f"`{self.src(cmd)}` not recognised as a whole ({exc}); left alone")
            except NoEquivalent as exc:
                self.note(cmd.start, exc.code, f"`{self.src(cmd)}` left alone: {exc.message}")
        text = self.t
        for e in sorted(self.edits, key=lambda e: e.start, reverse=True):
            text = text[: e.start] + e.text + text[e.end :]
        self.res.text = text
        return self.res

    def src(self, cmd: Command) -> str:
        s = self.t[cmd.start : cmd.end]
        s = re.sub(r"\\\r?\n\s*", "", s)
        s = " ".join(s.split())
        return s if len(s) < 120 else s[:117] + "..."

    # -- classification ----------------------------------------------------------------------
    def tool_of(self, w: Word) -> str | None:
        v = w.value
        if v in self.aliases:
            return self.aliases[v]
        base = v.rsplit("/", 1)[-1]
        if base in TOOLS and (v == base or "/" in v):
            return base
        return None

    def find_tool(self, words: list[Word]) -> tuple[int, str] | None:
        """Index of the tool word (after assignments and wrappers) and the tool."""
        i = 0
        while i < len(words):
            v = words[i].value
            if _ASSIGN.match(v):
                i += 1
                continue
            if v in _WRAPPERS:
                i += 1
                continue
            break
        # python -m poetry
        if i + 2 < len(words) + 1 and i < len(words) and re.fullmatch(r"python[0-9.]*", words[i].value):
            if i + 2 < len(words) and words[i + 1].value == "-m" and words[i + 2].value in TOOLS:
                return i + 2, words[i + 2].value
        if i < len(words):
            tool = self.tool_of(words[i])
            if tool:
                return i, tool
        # a tool run by another command: find … -exec poetry run X, xargs poetry …
        for j in range(1, len(words) - 1):
            tool = self.tool_of(words[j])
            if tool and words[j - 1].value in _WRAPPERS and self._is_verb(tool, words[j + 1].value):
                return j, tool
        return None

    @staticmethod
    def _is_verb(tool: str, v: str) -> bool:
        return v in (POETRY_VERBS if tool == "poetry" else PIPENV_VERBS | PIPENV_GLOBAL)

    # -- one command -------------------------------------------------------------------------
    def command(self, k: int, cmd: Command) -> None:
        n = 0
        while n < len(cmd.words) - 1 and cmd.words[n].value in _RESERVED and not cmd.words[n].redirect:
            n += 1
        if n:
            # `if poetry check …`, `then pip install poetry`: the command after the shell keyword
            cmd = Command(words=cmd.words[n:], sep="", sep_start=-1, sep_end=-1, depth=cmd.depth)
            cmd.keyword = True  # type: ignore[attr-defined]
            self.cmds = list(self.cmds)
            self.cmds[k] = cmd
        words = cmd.words
        if self.shell_c(cmd):
            return
        if len(words) == 2 and words[0].value in ("source", ".") and re.search(r"/\.poetry/env$", words[1].value):
            # the old Poetry installer's PATH file; uv's installer writes $HOME/.local/bin/env
            self.edits.append(_Edit(words[1].start, words[1].end, "$HOME/.local/bin/env"))
            self.note(cmd.start, "MIG311", f"`{self.src(cmd)}` → `{words[0].value} $HOME/.local/bin/env` (uv installer's PATH file)")
            return
        self.env_assignments(cmd)
        if self.installer(k, cmd):
            return
        v = [w.value for w in words]
        if (v[:2] == ["command", "-v"] and len(v) >= 3 and self.tool_of(words[2])) or (
            v[:1] in (["which"], ["hash"], ["type"]) and len(v) >= 2 and self.tool_of(words[1])
        ):
            w = words[2] if v[0] == "command" else words[1]
            if w.value in TOOLS:
                self.edits.append(_Edit(w.start, w.end, "uv"))
                self.note(cmd.start, "MIG310", f"`{self.src(cmd)}`: checks for uv instead")
            return
        found = self.find_tool(words)
        if found is None:
            for j in range(1, len(words) - 1):
                tool = self.tool_of(words[j])
                if tool and self._is_verb(tool, words[j + 1].value):
                    raise Unknown(f"{tool} runs inside `{words[0].value}` (a container or another tool); rewrite it where that runs")
            return
        ti, tool = found
        if ti + 1 >= len(words) and tool == "poetry" and words[ti].value == "poetry":
            # a bare word "poetry" (e.g. `which poetry`, `ENTRYPOINT ["poetry"]` handled elsewhere)
            return
        args = words[ti + 1 :]
        # stop at redirections: they stay as they are
        stop = next((n for n, w in enumerate(args) if w.redirect), len(args))
        tail_redirect = args[stop:]
        args = args[:stop]
        self._args = args
        if tool == "poetry":
            new, code, note = self.poetry(args, k, cmd)
        else:
            new, code, note = self.pipenv(args, k, cmd)
        if new is None:
            return
        if new == "DROP":
            self.drop(k, cmd, note)
            return
        # a tail of original words kept in order stays where it is (edits inside it, e.g. a
        # backtick substitution, survive)
        tail0 = len(args)
        while new and isinstance(new[-1], int) and new[-1] == tail0 - 1:
            new = new[:-1]
            tail0 -= 1
        # assemble: items are str (new text) or int (index into args: keep the original word)
        out: list[str] = []
        prev: int | None = None
        for item in new:
            if isinstance(item, int):
                w = args[item]
                raw = self.t[w.start : w.end]
                if prev is not None and prev == item - 1:
                    out.append(self.t[args[prev].end : w.start] + raw)
                else:
                    out.append((" " if out else "") + raw)
                prev = item
            else:
                if item:
                    out.append((" " if out else "") + item)
                prev = None
        replacement = "".join(out)
        if self.keep_alias and words[ti].value in self.aliases and replacement.startswith("uv"):
            replacement = self.t[words[ti].start : words[ti].end] + replacement[2:]
        first = words[ti].start
        # python -m poetry: replace from the interpreter word
        if ti >= 2 and words[ti - 1].value == "-m" and re.fullmatch(r"python[0-9.]*", words[ti - 2].value):
            first = words[ti - 2].start
        last = args[tail0 - 1].end if tail0 > 0 else words[ti].end
        self.edits.append(_Edit(first, last, replacement))
        self.res.uses_uv = True
        shown = replacement + (" " + " ".join(a.value for a in args[tail0:]) if tail0 < len(args) else "")
        msg = f"`{self.src(cmd)}` → `{' '.join(shown.split())}`"
        if note:
            msg += f" ({note})"
        self.note(cmd.start, code, msg)
        del tail_redirect

    def shell_c(self, cmd: Command) -> bool:
        """`bash -c "poetry version | awk …"`: translate the quoted script in place."""
        v = cmd.values()
        if not v or v[0].rsplit("/", 1)[-1] not in ("sh", "bash", "zsh", "dash") or "-c" not in v:
            return False
        i = v.index("-c") + 1
        if i >= len(v):
            return False
        w = cmd.words[i]
        raw = self.t[w.start : w.end]
        q = raw[:1]
        if q not in ("'", '"') or len(raw) < 2 or raw[-1] != q or q in raw[1:-1].replace("\\" + q, ""):
            return False
        res = translate_shell(self.t, self.info, flavor=self.flavor, make=self.make, aliases=self.aliases,
                              start=w.start + 1, end=w.end - 1, system_env=self.system)
        if res.text != self.t:
            tail = len(self.t) - (w.end - 1)
            new = res.text[w.start + 1 : len(res.text) - tail]
            if q in new:
                self.note(cmd.start, "MIG321", f"`{self.src(cmd)}`: the rewrite would need a {q} inside the {q}-quoted script; left alone")
                return True
            self.edits.append(_Edit(w.start + 1, w.end - 1, new))
            self.res.uses_uv = self.res.uses_uv or res.uses_uv
        for n in res.notes:
            self.note(cmd.start, n.code, n.message)
        return True

    def env_assignments(self, cmd: Command) -> None:
        """``POETRY_X=… cmd`` and ``export POETRY_X=…``: rename or drop the variable."""
        words = cmd.words
        i = 1 if words and words[0].value == "export" else 0
        while i < len(words) and _ASSIGN.match(words[i].value):
            w = words[i]
            name, _, value = w.value.partition("=")
            new = env_rename(name, value, self.info, self.flavor)
            if name == "VIRTUAL_ENV" and self.find_tool(words) is not None:
                # `VIRTUAL_ENV=… poetry install`: Poetry installs into that environment; uv's variable
                # for "this is the project environment" is UV_PROJECT_ENVIRONMENT
                new = "UV_PROJECT_ENVIRONMENT"
            if new is not None:
                if new == "":
                    if len(words) == 1 or (words[0].value == "export" and len(words) == 2):
                        self.drop(self.cmds.index(cmd), cmd, f"{name} is not needed with uv")
                        return
                    self.edits.append(_Edit(*self._del_span(w.start, w.end), ""))
                    self.note(w.start, "MIG315", f"{name} dropped: not needed with uv")
                else:
                    raw = self.t[w.start : w.end]
                    self.edits.append(_Edit(w.start, w.start + len(name), new))
                    self.note(w.start, "MIG315", f"{name} → {new}")
                    del raw
            i += 1

    def _del_span(self, s: int, e: int) -> tuple[int, int]:
        while s > 0 and self.t[s - 1] in " \t":
            s -= 1
        return s, e

    def drop(self, k: int, cmd: Command, why: str | None) -> None:
        """Remove a command that uv does not need, keeping the surrounding shell valid."""
        t = self.t
        nxt = self.cmds[k + 1] if k + 1 < len(self.cmds) else None
        prev = self.cmds[k - 1] if k > 0 else None
        line_start = t.rfind("\n", 0, cmd.start) + 1
        line_end = t.find("\n", cmd.end)
        line_end = len(t) if line_end < 0 else line_end
        before = t[line_start : cmd.start]
        after = t[cmd.end : line_end]
        if getattr(cmd, "keyword", False):
            self.edits.append(_Edit(cmd.start, cmd.end, "true"))
        elif cmd.sep in ("&&", ";") and nxt is not None and nxt.depth == cmd.depth and nxt.start > cmd.sep_end:
            self.edits.append(_Edit(cmd.start, nxt.start, ""))
        elif (
            prev is not None and prev.sep in ("&&", ";") and prev.depth == cmd.depth
            and cmd.sep in ("", "\n", ";", "&&") and prev.sep_end <= cmd.start
            and (cmd.sep != "&&")
        ):
            self.edits.append(_Edit(prev.end, cmd.end, ""))
        elif before.strip() == "" and after.strip() in ("", ";") and self.flavor not in ("docker",):
            end = line_end + 1 if line_end < len(t) else line_end
            start = line_start
            if end == len(t) and line_start > 0 and line_end == len(t):
                start = line_start - 1  # last line without a newline: eat the previous newline
                end = line_end
            self.edits.append(_Edit(max(start, self.lo), min(end, self.hi), ""))
        else:
            self.edits.append(_Edit(cmd.start, cmd.end, "true"))
        self.note(cmd.start, "MIG312", f"`{self.src(cmd)}` removed" + (f": {why}" if why else ""))

    # -- installing the tool -----------------------------------------------------------------
    def installer(self, k: int, cmd: Command) -> bool:
        words = cmd.words
        v = [w.value for w in words]
        # curl … install.python-poetry.org | python -
        if any("install.python-poetry.org" in x or "get-poetry.py" in x or "install-poetry.py" in x for x in v):
            if v and v[0] in ("curl", "wget") and cmd.sep == "|" and k + 1 < len(self.cmds):
                py = self.cmds[k + 1]
                pw = [w for w in py.words if not _ASSIGN.match(w.value)]  # POETRY_HOME=/opt/poetry python
                if pw and re.fullmatch(r"(python[0-9.]*|sh|bash)", pw[0].value.rsplit("/", 1)[-1]):
                    inst = "pip install uv" if self.flavor == "docker" else UV_INSTALL_SH
                    self.edits.append(_Edit(cmd.start, py.end, inst))
                    self.skip.add(k + 1)
                    self.res.installs.append((cmd.start, py.end))
                    self.res.uses_uv = True
                    self.note(cmd.start, "MIG311", "Poetry installer → `" + inst + "`")
                    return True
            self.note(cmd.start, "MIG321", f"`{self.src(cmd)}`: Poetry installer download not recognised as a whole; left alone")
            return True
        # `ln -s /opt/poetry/bin/poetry …`: part of installing Poetry
        if len(v) >= 3 and v[0] == "ln" and any(re.search(r"/bin/(poetry|pipenv)$", x) for x in v[1:]):
            self.drop(k, cmd, "it linked the Poetry/Pipenv executable")
            return True
        # asdf / mise / brew installing the tool: same tool manager, uv instead
        if len(v) >= 3 and v[0] in ("asdf", "mise", "brew", "rtx") and v[-1] not in TOOLS:
            tw = [n for n, x in enumerate(v) if n >= 2 and (x in TOOLS or re.fullmatch(r"(poetry|pipenv)@\S+", x))]
            if tw and v[1] in ("plugin", "install", "global", "local", "set", "use", "upgrade", "reinstall"):
                for n in tw:
                    w = words[n]
                    self.edits.append(_Edit(w.start, w.end, re.sub(r"^(poetry|pipenv)", "uv", v[n])))
                self.res.installs.append((cmd.start, cmd.end))
                self.res.uses_uv = True
                self.note(cmd.start, "MIG311", f"`{self.src(cmd)}`: {v[0]} installs uv instead")
                return True
        if len(v) >= 3 and v[0] in ("asdf", "mise", "brew", "rtx") and any(x in TOOLS for x in v[2:]):
            tw = [n for n, x in enumerate(v) if n >= 2 and x in TOOLS]
            if v[1] in ("plugin", "install", "global", "local", "set", "use", "upgrade", "reinstall") or v[1:3] == ["plugin", "add"]:
                for n in tw:
                    w = words[n]
                    self.edits.append(_Edit(w.start, w.end, "uv"))
                self.res.installs.append((cmd.start, cmd.end))
                self.res.uses_uv = True
                self.note(cmd.start, "MIG311", f"`{self.src(cmd)}`: {v[0]} installs uv instead")
                return True
        # pip / pip3 / python -m pip / pipx install|inject
        i = 0
        while i < len(v) and (_ASSIGN.match(v[i]) or v[i] in ("sudo",)):
            i += 1
        if i < len(v) and re.fullmatch(r"python[0-9.]*", v[i]) and v[i + 1 : i + 3] == ["-m", "pip"]:
            i += 2
        if i >= len(v):
            return False
        prog = v[i].rsplit("/", 1)[-1]
        if prog not in ("pip", "pip3", "pipx") or i + 1 >= len(v):
            return False
        sub = v[i + 1]
        if prog == "pipx" and sub == "inject":
            if len(v) > i + 2 and v[i + 2] in TOOLS:
                pkgs = [x for x in v[i + 3 :] if not x.startswith("-")]
                if pkgs and all(_req_name(p) in EXPORT_PLUGINS for p in pkgs):
                    self.drop(k, cmd, "export is built into uv")
                    return True
                raise NoEquivalent("Poetry plugins have no uv equivalent")
            if any(_req_name(x) in ("nox-poetry", "tox-poetry", "tox-poetry-installer", "tox-pipenv") for x in v):
                self.note(cmd.start, "MIG322", f"`{self.src(cmd)}`: nox-poetry/tox-poetry plugin; left alone (see the noxfile/tox report)")
                return True
            return False
        if sub != "install":
            return False
        tool_words = [n for n in range(i + 2, len(words)) if _req_name(v[n]) in TOOLS]
        if not tool_words:
            return False
        has_uv = any(_req_name(x) == "uv" for x in v[i + 2 :])
        first = True
        for n in tool_words:
            w = words[n]
            if first and not has_uv:
                self.edits.append(_Edit(w.start, w.end, "uv"))
                first = False
            else:
                self.edits.append(_Edit(*self._del_span(w.start, w.end), ""))
        for n in range(i + 2, len(words)):
            if _req_name(v[n]) in EXPORT_PLUGINS:
                self.edits.append(_Edit(*self._del_span(words[n].start, words[n].end), ""))
        # pins of the old tool (poetry==1.1) are dropped with it; other packages stay
        self.res.uses_uv = True
        others = [x for n, x in enumerate(v) if n >= i + 2 and n not in tool_words and not x.startswith("-")
                  and _req_name(x) not in EXPORT_PLUGINS]
        if not others:
            self.res.installs.append((cmd.start, cmd.end))
        plug = [x for x in others if "poetry" in x or "pipenv" in x]
        msg = f"`{self.src(cmd)}`: {', '.join(v[n] for n in tool_words)} → uv"
        if plug:
            msg += f" ({', '.join(plug)} kept: a Poetry plugin, no uv equivalent)"
        self.note(cmd.start, "MIG311", msg)
        return True

    # -- poetry ------------------------------------------------------------------------------
    def poetry(self, args: list[Word], k: int, cmd: Command):
        v = [a.value for a in args]
        if not v:
            raise Unknown("no sub-command")
        if v in (["--version"], ["-V"]):
            return ["uv", "--version"], "MIG310", None
        # global options before the sub-command
        lead: list[int] = []
        i = 0
        while i < len(v) and v[i].startswith("-"):
            if v[i] in QUIET_FLAGS:
                i += 1
                continue
            if v[i] in ("-C", "--directory", "-P", "--project") and i + 1 < len(v):
                lead += ["--directory", i + 1] if v[i] in ("-C", "--directory") else ["--project", i + 1]
                i += 2
                continue
            raise Unknown(f"option {v[i]}")
        if i >= len(v):
            raise Unknown("no sub-command")
        verb, rest = v[i], list(range(i + 1, len(v)))
        P = _Parse(v, rest)
        if verb == "run":
            if not rest and not self.prefix:
                raise Unknown("nothing to run")
            pip = self._pip(v, rest)
            if pip:
                return ["uv", *lead, *pip], "MIG313", "uv's environments have no pip: `uv pip` works on the project's .venv"
            pn = self._pip_note(v, rest)
            return ["uv", *lead, "run", *self._active(), *rest], ("MIG313" if pn else "MIG310"), pn
        if verb == "install":
            return self.install_poetry(P, lead)
        if verb == "lock":
            flags = P.flags({"--no-update": 0, "--check": 0, "--regenerate": 0} | _quiet())
            P.done()
            if "--check" in flags:
                return ["uv", *lead, "lock", "--check"], "MIG310", None
            if "--regenerate" in flags:
                return ["uv", *lead, "lock", "--upgrade"], "MIG313", "re-resolves every package, like --regenerate"
            return ["uv", *lead, "lock"], "MIG310", ("uv keeps locked versions by default" if "--no-update" in flags else None)
        if verb == "check":
            flags = P.flags({"--lock": 0, "--strict": 0} | _quiet())
            P.done()
            if "--lock" in flags:
                return ["uv", *lead, "lock", "--check"], "MIG310", None
            raise NoEquivalent("uv has no pyproject validation; `uv lock --check` checks the lock file")
        if verb == "export":
            return self.export_poetry(P, lead, k, cmd)
        if verb == "build":
            flags = P.flags({"--format": 1, "-f": 1, "--output": 1, "-o": 1, "--clean": 0} | _quiet())
            P.done()
            out: list = ["uv", *lead, "build"]
            fmt = flags.get("--format") or flags.get("-f")
            if fmt:
                if fmt[1] not in ("sdist", "wheel"):
                    raise Unknown(f"--format {fmt[1]}")
                out.append(f"--{fmt[1]}")
            dest = flags.get("--output") or flags.get("-o")
            if dest:
                out += ["--out-dir", dest[1]]
            if "--clean" in flags:
                raise Unknown("--clean")
            return out, "MIG310", None
        if verb == "publish":
            flags = P.flags({"--build": 0, "--username": 1, "-u": 1, "--password": 1, "-p": 1,
                             "--repository": 1, "-r": 1, "--dry-run": 0} | _quiet())
            P.done()
            out = ["uv", *lead, "publish"]
            u = flags.get("--username") or flags.get("-u")
            p = flags.get("--password") or flags.get("-p")
            r = flags.get("--repository") or flags.get("-r")
            if u:
                out += ["--username", u[1]]
            if p:
                out += ["--password", p[1]]
            if "--dry-run" in flags:
                out.append("--dry-run")
            note = None
            if r:
                out += ["--index", r[1]]
                note = "needs a [[tool.uv.index]] with that name and a publish-url"
            if "--build" in flags:
                out = ["uv", *lead, "build", "&&"] + out
            return out, ("MIG313" if note else "MIG310"), note
        if verb == "version":
            flags = P.flags({"--short": 0, "-s": 0, "--dry-run": 0} | _quiet())
            pos = P.positional()
            P.done()
            out = ["uv", *lead, "version"]
            if "--short" in flags or "-s" in flags:
                out.append("--short")
            if "--dry-run" in flags:
                out.append("--dry-run")
            if not pos:
                return out, "MIG310", None
            if len(pos) > 1:
                raise Unknown("several versions")
            val = v[pos[0]]
            if val in ("major", "minor", "patch"):
                out[len(out):] = ["--bump", val, "--no-sync"]
            elif val in ("premajor", "preminor", "prepatch", "prerelease"):
                raise NoEquivalent(f"`poetry version {val}` has no exact `uv version --bump` equivalent")
            else:
                out += [pos[0], "--no-sync"]
            return out, "MIG313", "uv also updates uv.lock; --no-sync keeps the environment as it was"
        if verb == "config":
            return self.config_poetry(P, v, k, cmd)
        if verb == "self":
            if len(rest) >= 2 and v[rest[0]] in ("add", "install") and all(
                _req_name(v[n]) in EXPORT_PLUGINS for n in rest[1:] if not v[n].startswith("-")
            ):
                return "DROP", "MIG312", "export is built into uv"
            raise NoEquivalent("`poetry self` manages Poetry's own plugins; uv has no plugins")
        if verb == "shell":
            P.flags(_quiet())
            P.done()
            if self.flavor == "docs":
                return ["source", ".venv/bin/activate"], "MIG313", "uv has no shell command: activate the project's .venv, or prefix commands with `uv run`"
            raise NoEquivalent("uv has no shell command; run each command with `uv run` instead")
        if verb == "update":
            flags = P.flags({"--lock": 0, "--dry-run": 0} | _quiet())
            pkgs = P.positional()
            P.done()
            out = ["uv", *lead, "lock" if "--lock" in flags else "sync"]
            if pkgs:
                for n in pkgs:
                    out += ["--upgrade-package", n]
            else:
                out.append("--upgrade")
            if "--dry-run" in flags:
                out.append("--dry-run")
            return out, "MIG310", None
        if verb == "show":
            flags = P.flags({"--tree": 0} | _quiet())
            P.done()
            if "--tree" in flags:
                return ["uv", *lead, "tree"], "MIG310", None
            return ["uv", *lead, "pip", "list"], "MIG313", "lists the installed packages of the project environment"
        if verb == "env":
            if [v[n] for n in rest] in (["info", "-e"], ["info", "--executable"]):
                return ["uv", *lead, "python", "find"], "MIG310", None
            if rest and v[rest[0]] == "use" and len(rest) == 2:
                return ["uv", *lead, "venv", "--python", rest[1]], "MIG313", "`uv sync` creates .venv itself; this only matters when the interpreter does"
            raise NoEquivalent("the project environment is .venv (or $UV_PROJECT_ENVIRONMENT)")
        if verb in ("add", "remove"):
            raise NoEquivalent("changes the dependencies (`uv add`/`uv remove` are the equivalents); left for a person to decide", "MIG324")
        if verb == "exec":
            if rest and v[rest[0]] in self.info.exec_commands:
                script = self.info.exec_commands[v[rest[0]]]
                if re.search(r"[;&|<>`$()]", script):
                    raise NoEquivalent(f"`poetry exec {v[rest[0]]}` runs a shell line ({script!r}): run it with `uv run` per command")
                return (["uv", *lead, "run", script.strip(), *rest[1:]], "MIG313",
                        f"poetry-exec-plugin command {v[rest[0]]!r} from [tool.poetry-exec-plugin.commands]")
            raise NoEquivalent("`poetry exec` is the poetry-exec-plugin: run its command with `uv run <command>` (see [tool.poetry-exec-plugin.commands])")
        if verb == "poe":
            return ["uv", *lead, "run", "poe", *rest], "MIG313", "poethepoet must be a dependency (or `uv run --with poethepoet poe …`)"
        if verb == "cache" and rest and v[rest[0]] == "clear" and "--all" in [v[n] for n in rest]:
            return ["uv", "cache", "clean"], "MIG313", "clears uv's whole cache"
        if verb == "dynamic-versioning":
            raise NoEquivalent("poetry-dynamic-versioning is a Poetry plugin; a build backend such as hatch-vcs does this")
        raise NoEquivalent(f"`poetry {verb}` has no exact uv equivalent")

    def _dotenv_note(self) -> str | None:
        return None

    def _active(self) -> list[str]:
        """In tox (or after activating another virtualenv) the packages belong in that active
        environment, as Poetry put them there; uv otherwise uses the project's .venv."""
        return ["--active"] if self.flavor == "tox" or self.active else []

    @staticmethod
    def _pip(v: list[str], rest: list[int]) -> list | None:
        """`poetry run pip install X` → `uv pip install X` (uv's .venv has no pip)."""
        if len(rest) >= 2 and v[rest[0]] in ("pip", "pip3") and v[rest[1]] in (
            "install", "uninstall", "check", "list", "freeze", "show"
        ):
            return ["pip", *rest[1:]]
        if len(rest) >= 2 and v[rest[0]] in ("pip", "pip3") and v[rest[1]] not in ("--version", "-V"):
            raise NoEquivalent(f"uv's environments have no pip and uv has no `pip {v[rest[1]]}`")
        return None

    def _pip_note(self, v: list[str], rest: list[int]) -> str | None:
        if rest and v[rest[0]] in ("pip", "pip3"):
            return "uv's .venv has no pip: `pip` here is whatever pip is on PATH (use `uv pip …`)"
        return None

    def _groups(self, P: "_Parse", export: bool) -> list:
        """--with/--without/--only/-E/--extras/--all-extras → uv flags (shared by install and export)."""
        flags = P.flags({"--with": 1, "--without": 1, "--only": 1, "-E": 1, "--extras": 1, "--all-extras": 0,
                         "--no-dev": 0, "--dev": 0, "--only-root": 0, "--all-groups": 0}, multi=True)
        out: list = []
        only = [g for _, val in flags.get("--only", []) for g in _split(val)]
        with_ = [g for _, val in flags.get("--with", []) for g in _split(val)]
        without = [g for _, val in flags.get("--without", []) for g in _split(val)]
        defaults = set(self.info.default_groups)
        if "--only-root" in flags:
            raise Unknown("--only-root")
        if export:
            # poetry export: only main by default; --dev (old) adds dev
            base_off = "--no-dev" if defaults <= {"dev"} else "--no-default-groups"
            if "--dev" in flags:
                with_.append("dev")
            if only:
                out.append(base_off if "main" in only else None)
                groups = [g for g in only if g != "main"]
                if "main" not in only:
                    out = [f for g in groups for f in ("--only-group", g)]
                else:
                    out = [base_off] + [f for g in groups for f in ("--group", g)]
            else:
                out.append(base_off)
                out += [f for g in with_ for f in ("--group", g)]
                out = [x for x in out if x]
        else:
            if "--dev" in flags:
                raise Unknown("--dev")
            if only:
                groups = [g for g in only if g != "main"]
                if "main" in only:
                    out = ["--no-default-groups"] + [f for g in groups for f in ("--group", g)]
                else:
                    out = [f for g in groups for f in ("--only-group", g)]
                if with_ or without:
                    raise Unknown("--only with --with/--without")
            else:
                for g in with_:
                    if g not in defaults:
                        out += ["--group", g]
                for g in without:
                    out += ["--no-dev"] if g == "dev" else ["--no-group", g]
                if "--no-dev" in flags and "--no-dev" not in out:
                    out.append("--no-dev")
        if "--all-groups" in flags:
            out.append("--all-groups")
        for _, val in flags.get("-E", []) + flags.get("--extras", []):
            for e in _split(val):
                out += ["--extra", e]
        if "--all-extras" in flags:
            out.append("--all-extras")
        return out

    def install_poetry(self, P: "_Parse", lead: list):
        group_flags = self._groups(P, export=False)
        flags = P.flags({"--no-root": 0, "--sync": 0, "--remove-untracked": 0, "--compile": 0, "--dry-run": 0,
                         "--no-cache": 0, "--no-directory": 0} | _quiet())
        P.done()
        # --no-directory (Poetry: skip every directory path dependency, e.g. before the sources are copied
        # into a Docker layer) = uv's --no-install-local / --no-emit-local, which also skip the project
        # itself: the same only when the project is not installed anyway. The lock is used as it is
        # (--frozen): checking it (--locked) reads the path dependencies' metadata, which are not there yet.
        no_dir = "--no-directory" in flags
        if no_dir and self.info.package and "--no-root" not in flags:
            raise Unknown("--no-directory without --no-root (uv's --no-install-local skips the project too)")
        check = "--frozen" if no_dir else "--locked"
        if self.system:
            out: list = ["uv", *lead, "export", check, *group_flags, "--no-hashes"]
            if "--no-root" in flags or not self.info.package:
                out.append("--no-emit-project")
            if no_dir:
                out.append("--no-emit-local")
            out += ["|", "uv", "pip", "install", "--system", "-r", "-"]
            return out, "MIG313", ("Poetry installed into the system interpreter (virtualenvs.create false): the locked "
                                   "requirements go there with `uv pip install --system`")
        out = ["uv", *lead, "sync", check, *self._active(), *group_flags]
        if no_dir:
            out.append("--no-install-local")
        elif "--no-root" in flags:
            out.append("--no-install-project")
        if "--compile" in flags:
            out.append("--compile-bytecode")
        if "--dry-run" in flags:
            out.append("--dry-run")
        if "--no-cache" in flags:
            out.append("--no-cache")
        return out, "MIG310", None

    def export_poetry(self, P: "_Parse", lead: list, k: int, cmd: Command):
        group_flags = self._groups(P, export=True)
        flags = P.flags({"-f": 1, "--format": 1, "-o": 1, "--output": 1, "--without-hashes": 0,
                         "--without-urls": 0, "--with-credentials": 0} | _quiet())
        P.done()
        out: list = ["uv", *lead, "export"]
        fmt = flags.get("-f") or flags.get("--format")
        if fmt:
            if fmt[1] != "requirements.txt":
                raise Unknown(f"--format {fmt[1]}")
            out += ["--format", "requirements.txt"]
        out += group_flags
        if "--without-hashes" in flags:
            out.append("--no-hashes")
        if "--without-urls" in flags or "--with-credentials" in flags:
            raise Unknown("--without-urls/--with-credentials")
        if cmd.sep == "|" and k + 1 < len(self.cmds):
            nxt = self.cmds[k + 1].values()
            if nxt and nxt[0].rsplit("/", 1)[-1] in ("pip", "pip3", "python", "python3", "uv") and "install" in nxt:
                out.append("--no-emit-project")
        o = flags.get("-o") or flags.get("--output")
        if o:
            out += ["--output-file", o[1]]
        return out, "MIG310", None

    def config_poetry(self, P: "_Parse", v: list[str], k: int, cmd: Command):
        flags = P.flags({"--local": 0, "--unset": 0, "--list": 0} | _quiet())
        pos = P.positional()
        P.done()
        if not pos:
            raise NoEquivalent("uv has no config command")
        key = v[pos[0]]
        if key in ("virtualenvs.in-project", "virtualenvs.create", "virtualenvs.prefer-active-python",
                   "experimental.new-installer", "installer.parallel", "installer.max-workers",
                   "virtualenvs.options.always-copy", "installer.modern-installation"):
            why = "uv always uses the project's .venv"
            if key == "virtualenvs.create" and len(pos) > 1 and v[pos[1]].lower() in ("false", "0"):
                why = "the install below goes into the system interpreter with `uv pip install --system`"
            elif not key.startswith("virtualenvs"):
                why = "a Poetry installer setting"
            return "DROP", "MIG312", why
        if key == "virtualenvs.path" or key == "cache-dir":
            raise NoEquivalent("set UV_PROJECT_ENVIRONMENT / UV_CACHE_DIR instead")
        if key.startswith("http-basic.") or key.startswith("pypi-token."):
            return self._credentials(key, [v[n] for n in pos[1:]], pos, "--unset" in flags, cmd)
        raise NoEquivalent(f"Poetry setting {key} has no uv equivalent")

    def _credentials(self, key: str, vals: list[str], pos: list[int], unset: bool, cmd: Command):
        """`poetry config pypi-token.pypi T` / `http-basic.NAME U P` → `export UV_…=…` for the uv
        commands that follow in the same shell (uv persists nothing, so `--unset` is dropped)."""
        name = key.split(".", 1)[1]
        same_shell = self.flavor in ("shell", "ci", "docs") or cmd.sep in ("&&", ";")
        if unset:
            return "DROP", "MIG312", "uv keeps no credentials: nothing to unset"
        if not same_shell:
            raise NoEquivalent("credentials: set UV_PUBLISH_TOKEN / UV_INDEX_<NAME>_USERNAME/_PASSWORD in the "
                               "environment of the uv command (each line here runs in its own shell)")
        if key.startswith("pypi-token."):
            if len(pos) != 2:
                raise Unknown("pypi-token without one value")
            var = "UV_PUBLISH_TOKEN" if name == "pypi" else None
            if var is None:
                raise NoEquivalent(f"token for repository {name}: pass `uv publish --index {name} --token …`")
            return ["export", f"{var}={self._raw(pos[1])}"], "MIG313", "uv publish reads UV_PUBLISH_TOKEN"
        if len(pos) not in (2, 3):
            raise Unknown("http-basic without user/password")
        if name == "pypi":
            user_var, pass_var = "UV_PUBLISH_USERNAME", "UV_PUBLISH_PASSWORD"
        else:
            env = self.info.env_name(name)
            user_var, pass_var = f"UV_INDEX_{env}_USERNAME", f"UV_INDEX_{env}_PASSWORD"
        out = ["export", f"{user_var}={self._raw(pos[1])}"]
        if len(pos) == 3:
            out.append(f"{pass_var}={self._raw(pos[2])}")
        return out, "MIG313", f"uv reads {user_var}/{pass_var} from the environment"

    def _raw(self, i: int) -> str:
        w = self._args[i]
        return self.t[w.start : w.end]

    # -- pipenv ------------------------------------------------------------------------------
    def pipenv(self, args: list[Word], k: int, cmd: Command):
        v = [a.value for a in args]
        if not v:
            raise Unknown("no sub-command")
        if v == ["--version"]:
            return ["uv", "--version"], "MIG310", None
        py: list = []
        i = 0
        while i < len(v) and v[i].startswith("-"):
            if v[i] in ("--python", "--three") or v[i].startswith("--python="):
                if v[i] == "--three":
                    py = ["--python", "3"]
                    i += 1
                elif "=" in v[i]:
                    py = ["--python", quote(v[i].split("=", 1)[1])]
                    i += 1
                else:
                    if i + 1 >= len(v):
                        raise Unknown("--python without a value")
                    py = ["--python", i + 1]
                    i += 2
                continue
            if v[i] == "--clear" and len(v) == 1:
                return ["uv", "cache", "clean"], "MIG310", None
            if v[i] == "--py" and len(v) == 1:
                return ["uv", "python", "find"], "MIG310", None
            if v[i] in ("--venv", "--where", "--rm", "--envs"):
                raise NoEquivalent("the project environment is .venv (or $UV_PROJECT_ENVIRONMENT); uv has no such command")
            if v[i] in QUIET_FLAGS:
                i += 1
                continue
            raise Unknown(f"option {v[i]}")
        if i >= len(v):
            if py:  # `pipenv --python 3.11`: create the environment
                return ["uv", "venv", *py], "MIG310", None
            raise Unknown("no sub-command")
        verb, rest = v[i], list(range(i + 1, len(v)))
        P = _Parse(v, rest)
        if verb == "run":
            if not rest and not self.prefix:
                raise Unknown("nothing to run")
            if rest and v[rest[0]] in self.info.pipenv_scripts:
                raise NoEquivalent(
                    f"`{v[rest[0]]}` is a Pipenv [scripts] entry; uv has no scripts table: use "
                    f"`uv run {self.info.pipenv_scripts[v[rest[0]]].strip()}`"
                )
            pip = self._pip(v, rest)
            if pip:
                # `uv pip --python X` would target interpreter X itself: the project's .venv is meant
                return ["uv", *pip], "MIG313", "uv's environments have no pip: `uv pip` works on the project's .venv"
            note = None
            if self.info.has_dotenv:
                note = "Pipenv loaded .env automatically: add `--env-file .env` if the command needs it"
            return ["uv", "run", *self._active(), *py, *rest], ("MIG313" if note else "MIG310"), note
        if verb in ("install", "sync"):
            flags = P.flags({"--dev": 0, "-d": 0, "--deploy": 0, "--ignore-pipfile": 0, "--system": 0,
                             "--skip-lock": 0, "--categories": 1, "--keep-outdated": 0, "--clear": 0,
                             "--selective-upgrade": 0} | _quiet())
            pkgs = P.positional()
            P.done()
            if pkgs:
                raise NoEquivalent("adds a package (`uv add` is the equivalent); left for a person to decide", "MIG324")
            if "--skip-lock" in flags or "--categories" in flags or "--selective-upgrade" in flags:
                raise Unknown("--skip-lock/--categories")
            dev = "--dev" in flags or "-d" in flags
            frozen = verb == "sync" or "--ignore-pipfile" in flags
            mode = "--frozen" if frozen else ("--locked" if "--deploy" in flags else None)
            if "--system" in flags or self.system:
                out = ["uv", "export", mode or "--locked", *([] if dev else ["--no-dev"]), "--no-emit-project",
                       "--no-hashes", *py, "|", "uv", "pip", "install", "--system", "-r", "-"]
                return out, "MIG313", "Pipenv installed into the system interpreter: the locked requirements go there with `uv pip install --system`"
            out = ["uv", "sync", *([mode] if mode else []), *self._active(), *([] if dev else ["--no-dev"]), *py]
            return out, "MIG310", None
        if verb == "lock":
            flags = P.flags({"-r": 0, "--requirements": 0, "--dev": 0, "-d": 0, "--keep-outdated": 0,
                             "--clear": 0, "--pre": 0, "--dev-only": 0} | _quiet())
            P.done()
            if "-r" in flags or "--requirements" in flags:
                return self._requirements(flags, py)
            if "--pre" in flags or "--dev-only" in flags:
                raise Unknown("--pre/--dev-only")
            return ["uv", "lock", *py], "MIG310", None
        if verb == "requirements":
            flags = P.flags({"--dev": 0, "-d": 0, "--dev-only": 0, "--hash": 0, "--exclude-markers": 0} | _quiet())
            P.done()
            return self._requirements(flags, py)
        if verb == "update":
            flags = P.flags({"--dev": 0, "-d": 0} | _quiet())
            pkgs = P.positional()
            P.done()
            out = ["uv", "sync", *py]
            if pkgs:
                for n in pkgs:
                    out += ["--upgrade-package", n]
            else:
                out.append("--upgrade")
            if not ("--dev" in flags or "-d" in flags):
                out.append("--no-dev")
            return out, "MIG310", None
        if verb == "graph":
            P.flags(_quiet())
            P.done()
            return ["uv", "tree", *py], "MIG310", None
        if verb == "clean":
            P.flags(_quiet())
            P.done()
            return "DROP", "MIG312", "`uv sync` removes packages the lock does not list"
        if verb == "shell":
            P.flags(_quiet())
            P.done()
            if self.flavor == "docs":
                return ["source", ".venv/bin/activate"], "MIG313", "uv has no shell command: activate the project's .venv, or prefix commands with `uv run`"
            raise NoEquivalent("uv has no shell command; run each command with `uv run` instead")
        if verb == "uninstall":
            raise NoEquivalent("changes the dependencies (`uv remove` is the equivalent); left for a person to decide")
        raise NoEquivalent(f"`pipenv {verb}` has no exact uv equivalent")

    def _requirements(self, flags: dict, py: list):
        out = ["uv", "export", "--frozen"]
        if "--dev-only" in flags:
            out.append("--only-dev")
        elif not ("--dev" in flags or "-d" in flags):
            out.append("--no-dev")
        out += ["--no-emit-project", "--format", "requirements.txt"]
        if "--hash" not in flags:
            out.append("--no-hashes")
        if "--exclude-markers" in flags:
            raise Unknown("--exclude-markers")
        return out + py, "MIG310", None


def _quiet() -> dict[str, int]:
    return {f: 0 for f in QUIET_FLAGS}


def _split(val: str) -> list[str]:
    return [x for x in re.split(r"[\s,]+", val) if x]


def _req_name(word: str) -> str:
    m = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*(?:[=<>!~;@].*)?$", word)
    return m.group(1).lower().replace("_", "-") if m else ""


class _Parse:
    """Option parsing over word indices: ``flags`` consumes known options, ``done`` rejects leftovers."""

    def __init__(self, values: list[str], idx: list[int]) -> None:
        self.v = values
        self.left = list(idx)

    def flags(self, spec: dict[str, int], multi: bool = False) -> dict:
        out: dict = {}
        keep: list[int] = []
        n = 0
        left = self.left
        while n < len(left):
            i = left[n]
            word = self.v[i]
            name, eq, val = word.partition("=")
            if word.startswith("--") and eq and name in spec and spec[name] == 1:
                out.setdefault(name, []).append((i, quote(val)))
                n += 1
                continue
            if word in spec:
                if spec[word] == 1:
                    if n + 1 >= len(left):
                        raise Unknown(f"{word} without a value")
                    j = left[n + 1]
                    out.setdefault(word, []).append((i, self.v[j]))
                    n += 2
                    continue
                out.setdefault(word, []).append((i, None))
                n += 1
                continue
            keep.append(i)
            n += 1
        self.left = keep
        if not multi:
            return {k: (v[-1] if v else None) for k, v in out.items()}
        return out

    def positional(self) -> list[int]:
        pos = [i for i in self.left if not self.v[i].startswith("-")]
        self.left = [i for i in self.left if i not in pos]
        return pos

    def done(self) -> None:
        if self.left:
            raise Unknown("option " + " ".join(self.v[i] for i in self.left))


# -- environment variables -------------------------------------------------------------------
def env_rename(name: str, value: str | None, info: RepoInfo, flavor: str) -> str | None:
    """New name for a Poetry/Pipenv environment variable, "" to drop it, None to keep it."""
    if name in ("POETRY_VIRTUALENVS_IN_PROJECT", "PIPENV_VENV_IN_PROJECT", "POETRY_NO_INTERACTION",
                "POETRY_INSTALLER_PARALLEL", "POETRY_VIRTUALENVS_PREFER_ACTIVE_PYTHON",
                "PIPENV_NOSPIN", "PIPENV_HIDE_EMOJIS", "PIPENV_YES", "PIPENV_NO_INHERIT",
                "POETRY_EXPERIMENTAL_NEW_INSTALLER", "POETRY_VIRTUALENVS_OPTIONS_ALWAYS_COPY",
                "POETRY_VIRTUALENVS_CREATE"):
        return ""
    if name in ("POETRY_CACHE_DIR", "PIPENV_CACHE_DIR"):
        return "UV_CACHE_DIR"
    if name == "POETRY_PYPI_TOKEN_PYPI":
        return "UV_PUBLISH_TOKEN"
    if name == "POETRY_HTTP_BASIC_PYPI_USERNAME":
        return "UV_PUBLISH_USERNAME"
    if name == "POETRY_HTTP_BASIC_PYPI_PASSWORD":
        return "UV_PUBLISH_PASSWORD"
    m = re.fullmatch(r"POETRY_HTTP_BASIC_([A-Z0-9_]+)_(USERNAME|PASSWORD)", name)
    if m:
        return f"UV_INDEX_{info.env_name(m.group(1))}_{m.group(2)}"
    if name == "VIRTUAL_ENV" and flavor == "poetry-env":
        return "UV_PROJECT_ENVIRONMENT"
    return None
