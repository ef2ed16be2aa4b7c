"""What setuptools would build, read without running project code.

A Pipenv library usually keeps its package metadata in ``setup.py`` and/or ``setup.cfg``. This module reads
those files the way setuptools does, as far as that is possible statically:

* ``setup.cfg`` is declarative: ``[metadata]``, ``[options]``, ``[options.extras_require]`` and
  ``[options.entry_points]`` are parsed with :mod:`configparser` and setuptools' own list rules (a value with a
  newline is one item per line, else comma-separated; requirement lists also split on ``;``).
  Directives that need the project's code or files (``attr:``, ``file:``) are *computed*.
* ``setup.py`` is parsed with :mod:`ast`, never executed. The keywords of the ``setup(...)`` call are
  evaluated when they are literals (strings, numbers, lists, tuples, dicts, ``+`` of those) or names bound
  once, at module level, to such literals. Anything else (``open(...).read()``, ``version=get_version()``,
  a name assigned twice) is *computed*. ``setup(**kwargs)`` with unknown ``kwargs`` makes every field
  computed (``opaque``).

The result maps to PEP 621: :meth:`SetuptoolsMetadata.dynamic` names every ``[project]`` field setuptools
provides (so a ``[project]`` table can list them in ``dynamic`` and leave them to setup.py/setup.cfg), and
:meth:`SetuptoolsMetadata.static_fields` converts the literal ones exactly (for ``--to-pep621``).
Values from ``setup.py`` win over ``setup.cfg``, as in setuptools.
"""

from __future__ import annotations

import ast
import configparser
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from migrate.diagnostics import MigrateError

#: setup() keyword → the PEP 621 [project] field(s) it provides
_FIELDS: dict[str, tuple[str, ...]] = {
    "name": ("name",),
    "version": ("version",),
    "description": ("description",),
    "long_description": ("readme",),
    "long_description_content_type": ("readme",),
    "python_requires": ("requires-python",),
    "install_requires": ("dependencies",),
    "extras_require": ("optional-dependencies",),
    "entry_points": ("scripts", "gui-scripts", "entry-points"),
    "author": ("authors",),
    "author_email": ("authors",),
    "maintainer": ("maintainers",),
    "maintainer_email": ("maintainers",),
    "license": ("license",),
    "license_files": ("license-files",),
    "keywords": ("keywords",),
    "classifiers": ("classifiers",),
    "url": ("urls",),
    "project_urls": ("urls",),
    "download_url": ("urls",),
}
#: [metadata] aliases setuptools accepts
_CFG_ALIASES = {"home_page": "url", "summary": "description", "classifier": "classifiers", "platform": "platforms"}
_PEP621_ORDER = ("version", "description", "readme", "requires-python", "license", "license-files", "authors",
                 "maintainers", "keywords", "classifiers", "urls", "scripts", "gui-scripts", "entry-points",
                 "dependencies", "optional-dependencies")


#: dynamic fields setuptools computes even when setup() does not set them (no "No configuration found" error)
_ALWAYS_COMPUTED = {"version", "entry-points", "scripts", "gui-scripts"}


class _Computed:
    """A value setuptools computes at build time (not a literal we can read)."""

    def __init__(self, why: str) -> None:
        self.why = why

    def __repr__(self) -> str:
        return f"<computed: {self.why}>"


@dataclass
class SetuptoolsMetadata:
    """setup() keywords as setuptools would see them: literals, or :class:`_Computed` markers."""

    files: list[str] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    #: setup(**kwargs) we cannot see into: any field may be provided
    opaque: bool = False
    #: where each keyword came from ("setup.py" / "setup.cfg")
    origin: dict[str, str] = field(default_factory=dict)
    #: for an opaque setup() fed from a dict built in setup.py itself (``settings.update(name=…)``,
    #: ``setup(**settings)``): every keyword name setup.py mentions; None when the source is out of sight
    mentioned: set[str] | None = None

    @property
    def name(self) -> str | None:
        value = self.values.get("name")
        return value if isinstance(value, str) and value.strip() else None

    def literal(self, key: str) -> Any:
        """The literal value of a setup() keyword, or None when absent or computed."""
        value = self.values.get(key)
        return None if isinstance(value, _Computed) else value

    def computed(self, key: str) -> bool:
        return isinstance(self.values.get(key), _Computed)

    def dynamic(self, *, exclude: set[str] = frozenset()) -> list[str]:
        """Every PEP 621 field setuptools provides (name never: PEP 621 forbids a dynamic name)."""
        found: set[str] = set()
        keys = _FIELDS if self.opaque else [k for k in self.values if k in _FIELDS]
        if self.opaque and self.mentioned is not None:
            # setuptools fails the build for a dynamic field setup() does not set (except the ones it always
            # computes), and drops one it sets that `dynamic` does not list: list what setup.py mentions
            keys = [k for k in _FIELDS if k in self.values or k in self.mentioned
                    or set(_FIELDS[k]) <= _ALWAYS_COMPUTED]
        for key in keys:
            if key == "entry_points" and not self.opaque and not self.computed(key):
                found.update(_entry_point_fields(self.values[key]))
            else:
                found.update(_FIELDS[key])
        found.discard("name")
        # setuptools reads license_files from setup.py/setup.cfg whatever `dynamic` says ("license-files is not
        # considered in the context of dynamic"), and listing it there fails the build (setuptools 84:
        # KeyError 'license-files'; found on kennethreitz/legit, whose setup() takes a **settings dict)
        found.discard("license-files")
        return [f for f in _PEP621_ORDER if f in found and f not in exclude]

    def static_fields(self) -> tuple[dict[str, Any], list[str]]:
        """(PEP 621 fields converted exactly from literals, PEP 621 fields that must stay dynamic)."""
        static: dict[str, Any] = {}
        for key, convert in _CONVERTERS.items():
            value = self.literal(key)
            if value is None:
                continue
            try:
                converted = convert(value, self)
            except (TypeError, ValueError):
                converted = None
            if converted is not None:
                static.update(converted)
        dynamic = [f for f in self.dynamic() if f not in static]
        return static, dynamic


def _entry_point_fields(value: Any) -> set[str]:
    groups = value.keys() if isinstance(value, dict) else ()
    out = set()
    for g in groups:
        out.add({"console_scripts": "scripts", "gui_scripts": "gui-scripts"}.get(str(g), "entry-points"))
    return out


def read_setuptools(root: Path) -> SetuptoolsMetadata | None:
    """Read ``setup.cfg`` and ``setup.py`` under ``root``; None when neither exists."""
    root = Path(root)
    meta = SetuptoolsMetadata()
    cfg = root / "setup.cfg"
    py = root / "setup.py"
    if not cfg.is_file() and not py.is_file():
        return None
    if cfg.is_file():
        meta.files.append("setup.cfg")
        for key, value in _read_setup_cfg(cfg).items():
            meta.values[key] = value
            meta.origin[key] = "setup.cfg"
    if py.is_file():
        meta.files.append("setup.py")
        values, opaque = _read_setup_py(py)
        meta.opaque = opaque
        if opaque:
            meta.mentioned = _mentioned_keywords(py)
        for key, value in values.items():
            meta.values[key] = value
            meta.origin[key] = "setup.py"
    return meta


# -- setup.cfg -------------------------------------------------------------------------------------
def _cfg_list(value: str, separator: str = ",") -> list[str]:
    parts = value.splitlines() if "\n" in value else value.split(separator)
    return [p.strip() for p in parts if p.strip()]


def _cfg_requirements(value: str) -> list[str]:
    return [line for line in _cfg_list(value, ";") if not line.startswith("#")]


def _read_setup_cfg(path: Path) -> dict[str, Any]:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # keep option names (extras, entry point names) as written
    try:
        parser.read_string(path.read_text(encoding="utf-8"), source=str(path))
    except (configparser.Error, UnicodeDecodeError) as exc:
        raise MigrateError(f"cannot parse setup.cfg: {str(exc).splitlines()[0]}", path="setup.cfg",
                           hint="fix the file so setuptools can read it") from None
    out: dict[str, Any] = {}

    def directive(value: str) -> _Computed | None:
        v = value.strip()
        if v.startswith(("attr:", "file:")):
            return _Computed(f"setup.cfg {v.split(':', 1)[0]}: directive")
        return None

    if parser.has_section("metadata"):
        for raw, value in parser.items("metadata"):
            key = _CFG_ALIASES.get(raw.replace("-", "_"), raw.replace("-", "_"))
            comp = directive(value)
            if comp is not None:
                out[key] = comp
            elif key in ("keywords", "classifiers", "platforms", "provides", "obsoletes", "license_files"):
                out[key] = _cfg_list(value)
            elif key == "project_urls":
                urls = {}
                for line in _cfg_list(value):
                    k, sep, v = line.partition("=")
                    if not sep:
                        raise MigrateError(f"expected 'label = url', got {line!r}", path="setup.cfg",
                                           key="metadata.project_urls")
                    urls[k.strip()] = v.strip()
                out[key] = urls
            else:
                out[key] = value.strip()
    if parser.has_section("options"):
        for raw, value in parser.items("options"):
            key = raw.replace("-", "_")
            if key in ("install_requires", "setup_requires", "tests_require"):
                out[key] = _Computed("setup.cfg file: directive") if directive(value) else _cfg_requirements(value)
            elif key == "python_requires":
                out[key] = value.strip()
            elif key == "entry_points":
                out[key] = _Computed("setup.cfg entry_points file")
            elif key in ("packages", "py_modules", "package_dir"):
                out[key] = value.strip()
    if parser.has_section("options.extras_require"):
        extras: dict[str, Any] = {}
        computed = False
        for k, v in parser.items("options.extras_require"):
            if directive(v):
                computed = True
            extras[k] = _cfg_requirements(v)
        out["extras_require"] = _Computed("setup.cfg file: directive") if computed else extras
    if parser.has_section("options.entry_points"):
        out["entry_points"] = {k: _cfg_list(v) for k, v in parser.items("options.entry_points")}
    return out


# -- setup.py --------------------------------------------------------------------------------------
def _read_setup_py(path: Path) -> tuple[dict[str, Any], bool]:
    """(setup() keywords, opaque). Never runs the file."""
    try:
        text = path.read_bytes().decode("utf-8")
        tree = ast.parse(text, filename=str(path))
    except (SyntaxError, UnicodeDecodeError, ValueError) as exc:
        line = getattr(exc, "lineno", None)
        raise MigrateError(f"cannot parse setup.py: {exc.__class__.__name__}", path="setup.py", line=line,
                           hint="fix the syntax error (setup.py is read, never run)") from None
    call = _find_setup_call(tree)
    if call is None:
        # no setup() call we can see (e.g. built by a helper function): everything is setuptools' business
        return {}, True
    env = _module_literals(tree)
    values: dict[str, Any] = {}
    opaque = False
    for kw in call.keywords:
        if kw.arg is None:
            spread = _eval(kw.value, env)
            if isinstance(spread, dict):
                values.update({str(k): v for k, v in spread.items()})
            else:
                opaque = True
            continue
        values[kw.arg] = _eval(kw.value, env)
    if call.args:
        opaque = True
    return values, opaque


def _mentioned_keywords(path: Path) -> set[str] | None:
    """Keyword names setup.py gives its opaque setup(): keyword arguments, string dict keys and string
    subscripts anywhere in the file — when every ``**spread`` of the setup() call is a name assigned in this
    file (not imported, not a call); else None (what setup() gets is out of sight)."""
    tree = ast.parse(path.read_bytes().decode("utf-8"))
    call = _find_setup_call(tree)
    if call is None or call.args:
        return None
    literal: dict[str, bool] = {}  # name -> every assignment is a dict display or dict(...)
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            is_dict = isinstance(node.value, ast.Dict) or (
                isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Name)
                and node.value.func.id == "dict")
            for t in node.targets:
                if isinstance(t, ast.Name):
                    literal[t.id] = literal.get(t.id, True) and is_dict
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            imported.update((a.asname or a.name).split(".")[0] for a in node.names)
    for kw in call.keywords:
        if kw.arg is None and not (isinstance(kw.value, ast.Name) and literal.get(kw.value.id)
                                   and kw.value.id not in imported):
            return None
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg:
            out.add(node.arg)
        elif isinstance(node, ast.Dict):
            out.update(k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str))
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) \
                and isinstance(node.slice.value, str):
            out.add(node.slice.value)
    return out


def _is_setup(node: ast.Call) -> bool:
    f = node.func
    return (isinstance(f, ast.Name) and f.id == "setup") or (
        isinstance(f, ast.Attribute) and f.attr == "setup" and isinstance(f.value, ast.Name)
        and f.value.id in ("setuptools", "core"))


def _find_setup_call(tree: ast.AST) -> ast.Call | None:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _is_setup(node):
            return node
    return None


def _module_literals(tree: ast.Module) -> dict[str, Any]:
    """Names bound exactly once, by a top-level assignment, to a literal (else: computed)."""
    counts: dict[str, int] = {}
    for node in ast.walk(tree):
        targets: list[ast.AST] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.With, ast.AsyncWith, ast.NamedExpr)):
            targets = [getattr(node, "target", None)] if hasattr(node, "target") else []
        for t in targets:
            for n in ast.walk(t) if t is not None else ():
                if isinstance(n, ast.Name):
                    counts[n.id] = counts.get(n.id, 0) + (2 if isinstance(node, ast.AugAssign) else 1)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                name = (alias.asname or alias.name).split(".")[0]
                counts[name] = counts.get(name, 0) + 2
        # changed in place: reqs.append(...), about["x"] = ..., del d[k], exec(code, about), f(reqs)
        mutated: list[ast.AST] = []
        if isinstance(node, ast.Attribute):
            mutated.append(node.value)
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, (ast.Store, ast.Del)):
            mutated.append(node.value)
        elif isinstance(node, ast.Call) and not _is_setup(node):
            mutated.extend(node.args)
            mutated.extend(kw.value for kw in node.keywords)
        for m in mutated:
            if isinstance(m, ast.Name):
                counts[m.id] = counts.get(m.id, 0) + 2
    env: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if counts.get(name) == 1:
                env[name] = _eval(node.value, env)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            if counts.get(node.target.id) == 1:
                env[node.target.id] = _eval(node.value, env)
    return env


def _eval(node: ast.AST, env: dict[str, Any]) -> Any:
    """A literal value, or a :class:`_Computed` marker. ``env`` holds only names that are bound once and
    never changed in place (see :func:`_module_literals`), so a name's literal is its value at setup()."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        items = [_eval(e, env) for e in node.elts]
        bad = next((i for i in items if isinstance(i, _Computed)), None)
        return bad if bad is not None else list(items)
    if isinstance(node, ast.Dict):
        out = {}
        for k, v in zip(node.keys, node.values):
            if k is None:
                spread = _eval(v, env)
                if not isinstance(spread, dict):
                    return _Computed("dict spread")
                out.update(spread)
                continue
            kv, vv = _eval(k, env), _eval(v, env)
            if isinstance(kv, _Computed):
                return kv
            if isinstance(vv, _Computed):
                return vv
            out[kv] = vv
        return out
    if isinstance(node, ast.Name):
        if node.id in env:
            return env[node.id]
        return _Computed(f"name {node.id!r} is not a literal bound once")
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _eval(node.left, env), _eval(node.right, env)
        if isinstance(left, _Computed):
            return left
        if isinstance(right, _Computed):
            return right
        if type(left) is type(right) and isinstance(left, (str, list)):
            return left + right
        return _Computed("expression")
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict" and not node.args:
        out = {}
        for kw in node.keywords:
            value = _eval(kw.value, env)
            if kw.arg is None or isinstance(value, _Computed):
                return _Computed("dict() call")
            out[kw.arg] = value
        return out
    return _Computed(ast.dump(node)[:40])


# -- exact conversion to PEP 621 (--to-pep621) -----------------------------------------------------
def _lines(value: Any) -> list[str]:
    if isinstance(value, str):
        return [line.strip() for line in value.splitlines() if line.strip() and not line.strip().startswith("#")]
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return [v.strip() for v in value if v.strip()]
    raise TypeError("not a list of strings")


def _requirements(value: Any) -> list[str]:
    from packaging.requirements import Requirement

    out = []
    for line in _lines(value):
        out.append(str(Requirement(line)))  # raises ValueError (InvalidRequirement) when not PEP 508
    return out


def _conv_str(field_name: str):
    def convert(value: Any, meta: SetuptoolsMetadata) -> dict | None:
        if isinstance(value, str) and "\n" not in value.strip():
            return {field_name: value.strip()}
        return None
    return convert


def _conv_version(value: Any, meta: SetuptoolsMetadata) -> dict | None:
    from packaging.version import Version

    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        text = str(value).strip()
        Version(text)
        return {"version": text}
    return None


def _conv_requires_python(value: Any, meta: SetuptoolsMetadata) -> dict | None:
    from packaging.specifiers import SpecifierSet

    if isinstance(value, str):
        return {"requires-python": str(SpecifierSet(value.strip()))}
    return None


def _conv_deps(value: Any, meta: SetuptoolsMetadata) -> dict | None:
    return {"dependencies": _requirements(value)}


def _conv_extras(value: Any, meta: SetuptoolsMetadata) -> dict | None:
    from packaging.utils import canonicalize_name

    if not isinstance(value, dict):
        return None
    out: dict[str, list[str]] = {}
    for extra, reqs in value.items():
        if not isinstance(extra, str) or ":" in extra:
            return None  # "extra:marker" keys: kept in setuptools
        name = canonicalize_name(extra)
        if name in out:
            return None
        out[name] = _requirements(reqs)
    return {"optional-dependencies": out}


_EP_RE = re.compile(r"^\s*([^=\s][^=]*?)\s*=\s*([\w.]+(?:\s*:\s*[\w.]+)?)\s*$")


def _conv_entry_points(value: Any, meta: SetuptoolsMetadata) -> dict | None:
    if not isinstance(value, dict):
        return None
    out: dict[str, Any] = {}
    for group, entries in value.items():
        if isinstance(entries, str):
            entries = _lines(entries)
        if not isinstance(entries, (list, tuple)):
            return None
        points: dict[str, str] = {}
        for entry in entries:
            m = _EP_RE.match(str(entry))
            if not m:
                return None  # e.g. "name = mod:attr [extra]": PEP 621 has no entry point extras
            points[m.group(1)] = re.sub(r"\s+", "", m.group(2))
        target = {"console_scripts": "scripts", "gui_scripts": "gui-scripts"}.get(str(group))
        if target:
            out[target] = points
        else:
            out.setdefault("entry-points", {})[str(group)] = points
    return out


def _conv_classifiers(value: Any, meta: SetuptoolsMetadata) -> dict | None:
    return {"classifiers": _lines(value)}


def _conv_urls(value: Any, meta: SetuptoolsMetadata) -> dict | None:
    # url / download_url / project_urls together: only project_urls alone converts exactly
    if meta.values.get("url") or meta.values.get("download_url"):
        return None
    if isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        return {"urls": dict(value)}
    return None


_CONVERTERS = {
    "version": _conv_version,
    "description": _conv_str("description"),
    "python_requires": _conv_requires_python,
    "install_requires": _conv_deps,
    "extras_require": _conv_extras,
    "entry_points": _conv_entry_points,
    "classifiers": _conv_classifiers,
    "project_urls": _conv_urls,
}
