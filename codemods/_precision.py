"""Module-wide facts for precision and the newer rules, computed from the ``ast`` alone (so both fact
engines agree on them by construction), each on first use:

* which functions only run at import time beyond ``import_only``: bodies of decorators used in the module
  (and what a decorator factory returns), metaclass hooks, ``__init_subclass__``/``__set_name__``;
* which functions are only ever called under a lock in the module, or say so by name (``_x_locked``);
* which ``async def`` bodies hand work to threads (otherwise they run on one event loop);
* which stored values are a pure function of the key (equal-value memoisation: an info note);
* which classes have evidence that their instances are shared between threads (FT008);
* module-level generators and class-level containers (FT009, FT012).
"""

from __future__ import annotations

import ast
from functools import cached_property
from typing import Iterator, Optional

#: calls whose result is equal for equal arguments (and that have no effect that matters when repeated):
#: the stored value is then "equal-value", whichever thread stores it
PURE_CALLS = frozenset({
    "re.compile", "re.escape", "importlib.import_module", "__import__", "builtins.__import__",
    "importlib.metadata.version", "importlib.metadata.metadata", "importlib.metadata.distribution",
    "importlib.metadata.entry_points", "importlib.metadata.requires", "importlib.metadata.files",
    "importlib.metadata.distributions", "importlib.metadata.packages_distributions",
    "importlib_metadata.version", "importlib_metadata.metadata", "importlib_metadata.distribution",
    "importlib_metadata.entry_points", "pkg_resources.get_distribution", "pkg_resources.iter_entry_points",
    "importlib.util.find_spec", "importlib.resources.files", "sysconfig.get_config_var", "sysconfig.get_paths",
    "sysconfig.get_path", "sysconfig.get_platform", "platform.system", "platform.machine", "platform.python_version",
    "platform.python_implementation", "platform.platform", "platform.release", "platform.uname",
    "platform.mac_ver", "platform.win32_ver", "platform.libc_ver", "platform.architecture", "platform.node",
    "shutil.which", "os.cpu_count", "os.getenv", "os.environ.get", "os.path.join", "os.path.abspath",
    "os.path.expanduser", "os.path.dirname", "os.path.normpath", "os.path.realpath", "os.fspath",
    "locale.getpreferredencoding", "locale.getlocale", "sys.getfilesystemencoding", "sys.getdefaultencoding",
    "codecs.lookup", "unicodedata.normalize", "string.Template", "struct.Struct", "operator.attrgetter",
    "operator.itemgetter", "inspect.signature", "inspect.getfullargspec", "typing.get_type_hints",
    "typing.get_origin", "typing.get_args", "functools.partial", "textwrap.dedent", "json.loads",
    "ctypes.util.find_library", "getpass.getuser", "socket.gethostname", "mimetypes.guess_type",
    "pathlib.Path", "fnmatch.translate", "encodings.search_function", "keyword.iskeyword",
    "urllib.parse.urlparse", "urllib.parse.urlsplit", "urllib.parse.quote", "urllib.parse.unquote",
    "email.utils.parseaddr", "datetime.timedelta", "decimal.Decimal", "fractions.Fraction", "uuid.UUID",
    "ipaddress.ip_address", "ipaddress.ip_network", "zoneinfo.ZoneInfo",
} | {f"builtins.{b}" for b in (
    "len", "str", "repr", "int", "float", "bool", "bytes", "tuple", "frozenset", "hash", "abs", "min", "max",
    "sum", "sorted", "round", "divmod", "ord", "chr", "hex", "oct", "bin", "format", "isinstance", "issubclass",
    "getattr", "hasattr", "type", "id", "callable", "range", "enumerate", "zip", "map", "filter", "reversed",
    "any", "all", "slice", "complex", "ascii", "vars", "dir")})
#: methods of values (strings, numbers, tuples, compiled patterns) that compute without effects
PURE_METHODS = frozenset({
    "lower", "upper", "strip", "lstrip", "rstrip", "split", "rsplit", "splitlines", "join", "replace", "format",
    "encode", "decode", "startswith", "endswith", "partition", "rpartition", "casefold", "title", "capitalize",
    "zfill", "ljust", "rjust", "center", "expandtabs", "translate", "maketrans", "removeprefix", "removesuffix",
    "match", "fullmatch", "search", "findall", "sub", "subn", "group", "groups", "groupdict", "get", "keys",
    "values", "items", "copy", "count", "index", "find", "rfind", "isidentifier", "isdigit", "isalpha",
    "isalnum", "isspace", "isupper", "islower", "bit_length", "to_bytes", "from_bytes", "hex", "fromhex",
    "with_suffix", "with_name", "joinpath", "resolve", "absolute", "as_posix", "exists", "is_file", "is_dir",
})
#: calls that hand work to another thread (an ``async def`` that makes one is not confined to its loop)
THREAD_HANDOFF = frozenset({"run_in_executor", "to_thread", "submit", "map_async", "apply_async", "Thread",
                            "start_new_thread", "Timer", "ThreadPoolExecutor", "run_coroutine_threadsafe",
                            "call_soon_threadsafe"})
#: method names that say "the caller holds the lock"
_LOCKED_SUFFIXES = ("_locked", "_lock_held", "_unlocked", "_nolock", "_no_lock", "_with_lock")
_IMPORT_TIME_HOOKS = frozenset({"__init_subclass__", "__set_name__", "__class_getitem__"})
_METACLASS_HOOKS = frozenset({"__new__", "__init__", "__prepare__"})
_METACLASS_BASES = frozenset({"type", "ABCMeta", "EnumMeta", "EnumType"})
_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)


def _name_of(expr: ast.AST) -> str:
    """``f`` of ``f(...)``, ``x.f(...)``; "" otherwise."""
    if isinstance(expr, ast.Call):
        expr = expr.func
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute):
        return expr.attr
    return ""


def _dotted(expr: ast.AST) -> Optional[str]:
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute):
        inner = _dotted(expr.value)
        return f"{inner}.{expr.attr}" if inner else None
    return None


def header_exprs(stmt: ast.stmt) -> list[ast.AST]:
    """The expressions a statement evaluates itself (not those of the statements in its bodies)."""
    if isinstance(stmt, (ast.If, ast.While)):
        return [stmt.test]
    if isinstance(stmt, (ast.For, ast.AsyncFor)):
        return [stmt.iter, stmt.target]
    if isinstance(stmt, (ast.With, ast.AsyncWith)):
        return [i.context_expr for i in stmt.items]
    if isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
        return [h.type for h in stmt.handlers if h.type is not None]
    if isinstance(stmt, ast.Match):
        return [stmt.subject] + [c.guard for c in stmt.cases if c.guard is not None]
    if isinstance(stmt, _FUNCS):
        a = stmt.args
        return [*stmt.decorator_list, *a.defaults, *(d for d in a.kw_defaults if d is not None)]
    if isinstance(stmt, ast.ClassDef):
        return [*stmt.decorator_list, *stmt.bases, *(k.value for k in stmt.keywords)]
    return [stmt]


def walk_no_scopes(node: ast.AST) -> Iterator[ast.AST]:
    """``ast.walk`` that does not enter lambdas, nested functions or classes."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        if n is not node and isinstance(n, (ast.Lambda, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        stack.extend(ast.iter_child_nodes(n))


def own_statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements at any depth of one scope's body (nested def/class yielded, not entered)."""
    for stmt in body:
        yield stmt
        if isinstance(stmt, (*_FUNCS, ast.ClassDef)):
            continue
        for attr in ("body", "orelse", "finalbody"):
            sub = getattr(stmt, attr, None)
            if isinstance(sub, list) and sub and isinstance(sub[0], ast.stmt):
                yield from own_statements(sub)
        for h in getattr(stmt, "handlers", None) or ():
            yield from own_statements(h.body)
        for case in getattr(stmt, "cases", None) or ():
            yield from own_statements(case.body)


class ModuleExtra:
    """Facts about one module from its ``ast`` (see the module docstring)."""

    def __init__(self, tree: ast.Module, facts, contexts: list) -> None:
        self.tree = tree
        self.facts = facts
        self.contexts = contexts

    # -- names and purity ------------------------------------------------------------------------------
    @cached_property
    def aliases(self) -> dict[str, str]:
        """Module-level import names -> qualified names (``import re as r`` -> ``r: re``)."""
        out: dict[str, str] = {}
        for stmt in own_statements(self.tree.body):
            if isinstance(stmt, ast.Import):
                for a in stmt.names:
                    out[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
            elif isinstance(stmt, ast.ImportFrom) and stmt.module and stmt.level == 0:
                for a in stmt.names:
                    out[a.asname or a.name] = f"{stmt.module}.{a.name}"
        return out

    def qname(self, expr: ast.AST) -> Optional[str]:
        dotted = _dotted(expr)
        if dotted is None:
            return None
        head, _, rest = dotted.partition(".")
        if head in self.aliases:
            base = self.aliases[head]
        elif head in self.module_defs:
            return dotted
        else:
            import builtins

            base = f"builtins.{head}" if hasattr(builtins, head) else head
        return f"{base}.{rest}" if rest else base

    @cached_property
    def module_defs(self) -> dict[str, ast.AST]:
        return {s.name: s for s in self.tree.body if isinstance(s, (*_FUNCS, ast.ClassDef))}

    def pure(self, expr: ast.AST, state: str) -> bool:
        """Is ``expr`` a value that equal inputs make equal, without effects: constants, names (not the
        state itself), operators, subscripts/attributes of those, displays, and calls of :data:`PURE_CALLS`
        or pure methods (``s.lower()``, ``pattern.match(x)``)?"""
        for n in ast.walk(expr):
            if isinstance(n, (ast.Yield, ast.YieldFrom, ast.Await, ast.NamedExpr, ast.Lambda)):
                return False
            if isinstance(n, ast.Name) and (n.id == state or n.id in self.thread_locals):
                return False
            if isinstance(n, ast.Call):
                from codemods._plan import blocking_call

                q = self.qname(n.func)
                if q in PURE_CALLS or (isinstance(n.func, ast.Name) and n.func.id in self.value_functions):
                    continue
                if blocking_call([n]) in ("I/O", "a database call"):
                    return False  # `requests.get`, `Model.objects.get`: effects, fresh objects
                if q in _BUILDERS:
                    continue  # a new container (its contents are checked as any other part of the value)
                if isinstance(n.func, ast.Attribute) and n.func.attr in PURE_METHODS and not (
                        isinstance(n.func.value, ast.Name) and n.func.value.id == state):
                    continue
                return False
        return True

    @property
    def thread_locals(self) -> set[str]:
        return self.facts.info.locals_ if self.facts is not None else set()

    @cached_property
    def value_functions(self) -> set[str]:
        """Module-level functions whose result is equal for equal arguments: memoised
        (``@functools.cache``/``lru_cache``, or a getter returning a module-level cache entry/global it
        fills), returning only constants, or computing without effects outside their locals from such
        calls (checked to a fixpoint)."""
        fns = {n: d for n, d in self.module_defs.items() if isinstance(d, ast.FunctionDef)}
        ok: set[str] = set()
        changed = True
        while changed:
            changed = False
            for name, fn in fns.items():
                if name not in ok and self._value_function(fn, ok):
                    ok.add(name)
                    changed = True
        return ok

    def _value_function(self, fn: ast.FunctionDef, ok: set[str]) -> bool:
        if any(self.qname(d.func if isinstance(d, ast.Call) else d) in _MEMO_DECORATORS for d in fn.decorator_list):
            return True
        if fn.decorator_list:
            return False
        returns = [r for r in walk_no_scopes(fn) if isinstance(r, ast.Return)]
        if returns and all(isinstance(r.value, ast.Constant) for r in returns):
            return True
        last = fn.body[-1] if fn.body else None
        if (isinstance(last, ast.Return) and last.value is not None and len(fn.body) > 1
                and _memo_read(last.value, fn)):
            return True
        args = fn.args
        local = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs + [args.vararg, args.kwarg] if a}
        for n in walk_no_scopes(fn):
            if isinstance(n, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.For, ast.comprehension, ast.With)):
                targets = (n.targets if isinstance(n, ast.Assign) else [n.target] if hasattr(n, "target")
                           else [i.optional_vars for i in n.items if i.optional_vars is not None])
                for t in targets:
                    local.update(x.id for x in ast.walk(t) if isinstance(x, ast.Name) and isinstance(x.ctx, ast.Store))
            elif isinstance(n, (ast.Import, ast.ImportFrom)):
                local.update((a.asname or a.name).split(".")[0] for a in n.names)
        thread_locals = self.thread_locals
        for n in walk_no_scopes(fn):
            if isinstance(n, (ast.Global, ast.Nonlocal, ast.Delete, ast.Await)):
                return False
            if isinstance(n, ast.Name) and n.id in thread_locals:
                return False  # per-thread state: two threads get different answers
            if isinstance(n, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
                for t in (n.targets if isinstance(n, ast.Assign) else [n.target]):
                    root = t
                    while isinstance(root, (ast.Attribute, ast.Subscript)):
                        root = root.value
                    if not (isinstance(root, ast.Name) and root.id in local):
                        return False
            if isinstance(n, ast.Call):
                f = n.func
                q = self.qname(f)
                if q in PURE_CALLS or q in _BUILDERS or (isinstance(f, ast.Name) and f.id in ok):
                    continue
                if isinstance(f, ast.Attribute):
                    root = f.value
                    while isinstance(root, (ast.Attribute, ast.Subscript, ast.Call)):
                        root = root.func if isinstance(root, ast.Call) else root.value
                    if f.attr in PURE_METHODS or (isinstance(root, ast.Name) and root.id in local
                                                  and f.attr not in ("write", "send", "sendall", "close")):
                        continue
                return False
        return True

    def mutated_in_place(self, name: str, item: bool) -> bool:
        """Does any function mutate the value stored in ``name`` (``item``: the values ``name[k]``)
        in place: item/attribute stores into it, mutating method calls on it?"""
        from codemods._analysis import MUTATING_METHODS

        def is_state(e: ast.AST) -> bool:
            if item:
                return isinstance(e, ast.Subscript) and isinstance(e.value, ast.Name) and e.value.id == name
            return isinstance(e, ast.Name) and e.id == name

        for fn in (f for f in ast.walk(self.tree) if isinstance(f, _FUNCS)):
            for n in walk_no_scopes(fn):
                if isinstance(n, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
                    for t in (getattr(n, "targets", None) or [n.target]):
                        if isinstance(t, (ast.Subscript, ast.Attribute)) and is_state(t.value):
                            return True
                if (isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                        and n.func.attr in MUTATING_METHODS and is_state(n.func.value)):
                    return True
        return False

    # -- functions that never race --------------------------------------------------------------------
    @cached_property
    def _uses(self) -> dict[str, list[tuple[str, bool]]]:
        """name -> every use of it in the module as (how, locked): how is "call" (``f()``/``x.f()``),
        "decorator" (``@f``), "decorator-call" (``@f(...)``), "module" (a direct call at module level or
        in a class body) or "ref" (any other use, e.g. passed as a callback)."""
        uses: dict[str, list[tuple[str, bool]]] = {}

        def scan(exprs, locked: bool, module: bool) -> None:
            for e in exprs:
                called = set()
                for n in walk_no_scopes(e):
                    if isinstance(n, ast.Lambda) and n is not e:
                        scan([n.body], False, False)
                        continue
                    if isinstance(n, ast.Call):
                        called.add(id(n.func))
                    if isinstance(n, (ast.Name, ast.Attribute)) and isinstance(n.ctx, ast.Load):
                        name = n.id if isinstance(n, ast.Name) else n.attr
                        how = ("module" if module else "call") if id(n) in called else "ref"
                        uses.setdefault(name, []).append((how, locked))

        def module_body(body: list[ast.stmt]) -> None:
            for stmt in own_statements(body):
                if isinstance(stmt, (*_FUNCS, ast.ClassDef)):
                    for d in stmt.decorator_list:
                        target = d.func if isinstance(d, ast.Call) else d
                        name = _name_of(target)
                        if name:
                            uses.setdefault(name, []).append(
                                ("decorator-call" if isinstance(d, ast.Call) else "decorator", False))
                        if isinstance(d, ast.Call):
                            scan([*d.args, *(k.value for k in d.keywords)], False, True)
                        if isinstance(target, ast.Attribute):
                            scan([target.value], False, True)
                    rest = header_exprs(stmt)[len(stmt.decorator_list):]
                    scan(rest, False, True)
                    if isinstance(stmt, ast.ClassDef):
                        module_body(stmt.body)
                    else:
                        function_body(stmt)
                else:
                    scan(header_exprs(stmt), False, True)

        def function_body(fn) -> None:
            from codemods._analysis import blocks

            for body, flags in blocks(fn, self.facts):
                for stmt, locked in zip(body, flags):
                    if isinstance(stmt, (*_FUNCS, ast.ClassDef)):
                        for d in stmt.decorator_list:
                            scan([d], locked, False)
                        scan(header_exprs(stmt)[len(stmt.decorator_list):], locked, False)
                        if isinstance(stmt, ast.ClassDef):
                            for s in stmt.body:
                                if isinstance(s, _FUNCS):
                                    function_body(s)
                                else:
                                    scan(header_exprs(s), False, False)
                        else:
                            function_body(stmt)
                        continue
                    scan(header_exprs(stmt), locked, False)

        module_body(self.tree.body)
        return uses

    @cached_property
    def returned_names(self) -> dict[str, set[str]]:
        """Module-level function -> names of nested functions it returns (``return deco``)."""
        out: dict[str, set[str]] = {}
        for name, d in self.module_defs.items():
            if isinstance(d, _FUNCS):
                nested = {s.name for s in own_statements(d.body) if isinstance(s, _FUNCS)}
                out[name] = {r.value.id for r in own_statements(d.body) if isinstance(r, ast.Return)
                             and isinstance(r.value, ast.Name) and r.value.id in nested}
        return out

    @cached_property
    def import_time_functions(self) -> set[tuple[int, int]]:
        """(line, column) of functions whose bodies run only while the module (or a class) is being
        defined: decorators (``@d``: ``d``'s body; ``@f(...)``: ``f``'s body and the function it returns),
        metaclass ``__new__``/``__init__``/``__prepare__``, ``__init_subclass__``, ``__set_name__``."""
        out: set[tuple[int, int]] = set()
        for name, d in self.module_defs.items():
            uses = self._uses.get(name, [])
            kinds = {how for how, _ in uses}
            if isinstance(d, ast.ClassDef):
                # instantiated only at module level or in class bodies: its constructor runs at import time
                if not d.decorator_list and self._built_at_import_only(d):
                    out.update((s.lineno, s.col_offset) for s in d.body
                               if isinstance(s, _FUNCS) and s.name in ("__init__", "__new__", "__post_init__"))
                continue
            if d.decorator_list:
                continue
            if not kinds or not kinds <= {"decorator", "decorator-call", "module"}:
                continue
            if not kinds & {"decorator", "decorator-call"}:
                continue  # only called at module level: the existing import-time rule decides (private names)
            out.add((d.lineno, d.col_offset))
            if kinds == {"decorator-call"} or kinds == {"decorator-call", "module"}:
                for s in own_statements(d.body):
                    if isinstance(s, _FUNCS) and s.name in self.returned_names.get(name, ()):
                        out.add((s.lineno, s.col_offset))
        for cls in (s for s in ast.walk(self.tree) if isinstance(s, ast.ClassDef)):
            meta = any(_name_of(b) in _METACLASS_BASES or _name_of(b) in self.metaclasses for b in cls.bases)
            for s in cls.body:
                if isinstance(s, _FUNCS) and (s.name in _IMPORT_TIME_HOOKS or (meta and s.name in _METACLASS_HOOKS)):
                    out.add((s.lineno, s.col_offset))
        return out

    def _built_at_import_only(self, cls: ast.ClassDef) -> bool:
        """Is every use of the class's name outside its own body a direct call at module level or in a
        class body (``EOF = Tok("eof")``, ``tokens = [Tok("ws")]``)? At least one such call."""
        name = cls.name
        calls = 0

        def visit(node: ast.AST, import_time: bool) -> bool:
            nonlocal calls
            if node is cls:
                return True
            if isinstance(node, (*_FUNCS, ast.Lambda)):
                inner = [*node.decorator_list, *node.args.defaults] if not isinstance(node, ast.Lambda) else []
                return all(visit(c, import_time) for c in inner) and all(
                    visit(c, False) for c in ((node.body if isinstance(node.body, list) else [node.body])))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name:
                if not import_time:
                    return False
                calls += 1
                return all(visit(c, import_time) for c in [*node.args, *node.keywords])
            if isinstance(node, ast.Name) and node.id == name:
                return False  # any other use: a base class, passed around, called at run time
            if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
                return all(visit(c, False) for c in ast.iter_child_nodes(node))
            return all(visit(c, import_time) for c in ast.iter_child_nodes(node))

        return all(visit(s, True) for s in self.tree.body) and calls > 0

    @cached_property
    def metaclasses(self) -> set[str]:
        names: set[str] = set()
        classes = [s for s in ast.walk(self.tree) if isinstance(s, ast.ClassDef)]
        changed = True
        while changed:
            changed = False
            for c in classes:
                if c.name not in names and any(_name_of(b) in _METACLASS_BASES | names for b in c.bases):
                    names.add(c.name)
                    changed = True
        return names

    def locked_only(self, fn) -> bool:
        """Is every call of this function in the module made under a lock (and there is one), or does its
        name say the caller holds the lock (``_evict_locked``)?"""
        if fn.name.endswith(_LOCKED_SUFFIXES) or fn.name.startswith(("_locked_", "locked_")):
            return True
        if fn.name.startswith("__") and fn.name.endswith("__"):
            return False
        uses = self._uses.get(fn.name, [])
        return bool(uses) and all(how == "call" and locked for how, locked in uses)

    @cached_property
    def sharing(self) -> "InstanceSharing":
        return InstanceSharing(self)

    @cached_property
    def class_containers(self) -> "ClassContainers":
        return ClassContainers(self)

    #: is this function context one that only runs at import time (set by ``analyze_tree``)
    import_only = None

    @cached_property
    def removers(self) -> dict[str, set[str]]:
        return removers(self)

    @cached_property
    def generators(self) -> set[str]:
        return module_generators(self.tree)

    #: report ``self.x += 1`` without evidence of sharing (FT008 selected by name)
    all_instances = False

    # -- async --------------------------------------------------------------------------------------------
    @staticmethod
    def hands_to_threads(fn) -> bool:
        """Does this ``async def`` hand work to threads (``run_in_executor``, ``to_thread``, ``submit``…)?"""
        return any(isinstance(n, ast.Call) and _name_of(n) in THREAD_HANDOFF for n in ast.walk(fn))


_MUTABLE_DISPLAYS = (ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp)
_MUTABLE_BUILDERS = frozenset({"builtins.dict", "builtins.list", "builtins.set", "builtins.bytearray",
                               "collections.OrderedDict", "collections.defaultdict"})
_BUILDERS = _MUTABLE_BUILDERS | {"builtins.frozenset", "builtins.tuple", "builtins.sorted"}
_MEMO_DECORATORS = frozenset({"functools.cache", "functools.lru_cache", "functools.cached_property"})
#: calls that only tell the user something (a once-only warning is harmless when two threads both warn)
_NOTICE_CALLS = frozenset({"warn", "warning", "info", "debug", "log", "print", "showwarning"})


def _memo_read(value: ast.AST, fn) -> bool:
    """``return _cache[k]`` / ``return _inst`` after the function filled that module state itself."""
    target = value.value if isinstance(value, ast.Subscript) else value
    if not isinstance(target, ast.Name):
        return False
    name = target.id
    declared = {g for n in walk_no_scopes(fn) if isinstance(n, ast.Global) for g in n.names}
    a = fn.args
    params = {x.arg for x in a.posonlyargs + a.args + a.kwonlyargs + [a.vararg, a.kwarg] if x}
    rebound = {t.id for n in walk_no_scopes(fn) if isinstance(n, ast.Assign) for t in n.targets
               if isinstance(t, ast.Name)}
    if (isinstance(value, ast.Name) and name not in declared) or name in params or (
            isinstance(value, ast.Subscript) and name in rebound - declared):
        return False  # a local, not module state
    for n in walk_no_scopes(fn):
        if isinstance(n, ast.Assign):
            for t in n.targets:
                if (isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) and t.value.id == name) or (
                        isinstance(t, ast.Name) and t.id == name and isinstance(value, ast.Name)):
                    return True
    return False


def _fresh_mutable(value: ast.AST, extra: Optional[ModuleExtra] = None) -> bool:
    """Is the stored value a new mutable object (``[]``, ``{}``, ``dict(...)``), whose identity matters
    once shared (unless nobody mutates it: a lookup table built twice is two equal tables)?"""
    if isinstance(value, ast.Tuple):
        return any(_fresh_mutable(e, extra) for e in value.elts)
    return isinstance(value, _MUTABLE_DISPLAYS) or (
        extra is not None and isinstance(value, ast.Call) and extra.qname(value.func) in _MUTABLE_BUILDERS)


def equal_value_body(stmts: list[ast.stmt], state: str, extra: ModuleExtra, item: bool) -> bool:
    """Equal-value memoisation: ``stmts`` (the act of a check-then-act or lazy initialisation) only
    import, compute pure values into locals and store pure values into ``state`` (``state[k] = v`` when
    ``item``, else ``state = v``), and return. Both racing threads then store equal values: nothing is
    lost but a little work, so a lock on every hit is not worth it."""
    if _notice_once(stmts, state, item):
        return True
    stored = False
    for stmt in stmts:
        if isinstance(stmt, (ast.Import, ast.ImportFrom, ast.Pass)):
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue
        if isinstance(stmt, ast.Return):
            continue
        if isinstance(stmt, ast.Try) and not stmt.finalbody:
            inner = stmt.body + stmt.orelse + [s for h in stmt.handlers for s in h.body]
            if not equal_value_body(inner, state, extra, item) and not all(
                    isinstance(s, (ast.Import, ast.ImportFrom, ast.Pass, ast.Raise, ast.Return)) for s in inner):
                return False
            stored = stored or any(_stores(s, state, item) for s in ast.walk(stmt))
            continue
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            if not extra.pure(stmt.value, state):
                return False
            for t in targets:
                if _stores(t, state, item):
                    if _fresh_mutable(stmt.value):
                        return False  # `[]`, `{}`: a container to fill, whichever thread's wins matters
                    if _fresh_mutable(stmt.value, extra) and extra.mutated_in_place(state, item):
                        return False  # a computed table that is then changed in place: likewise
                    stored = True
                elif not isinstance(t, (ast.Name, ast.Tuple)) or (
                        isinstance(t, ast.Tuple) and not all(isinstance(e, ast.Name) for e in t.elts)):
                    return False  # stores into something else (an attribute, another container)
            continue
        return False
    return stored


def _stores(node: ast.AST, state: str, item: bool) -> bool:
    if item:
        return (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == state
                and isinstance(node.ctx, ast.Store))
    return isinstance(node, ast.Name) and node.id == state and isinstance(node.ctx, ast.Store)


_THREAD_QNAMES = frozenset({"threading.Thread", "threading.Timer", "multiprocessing.dummy.Process"})
_LOCK_CTORS = frozenset({"Lock", "RLock", "Condition"})


class InstanceSharing:
    """FT008 evidence, per class of the module: why its instances are shared between threads, if the code
    says so. Without evidence ``self.x += 1`` is not reported (unless FT008 is selected by name)."""

    def __init__(self, extra: ModuleExtra) -> None:
        self.extra = extra
        self.reasons: dict[str, str] = {}
        self._scan()

    def _note(self, cls: Optional[str], why: str) -> None:
        if cls and cls in self.classes:
            self.reasons.setdefault(cls, why)

    def _scan(self) -> None:
        from codemods._analysis import lockish

        tree, extra = self.extra.tree, self.extra
        self.classes = {c.name: c for c in ast.walk(tree) if isinstance(c, ast.ClassDef)}
        for name, c in self.classes.items():
            if any(extra.qname(b) in _THREAD_QNAMES for b in c.bases):
                self._note(name, "a threading.Thread subclass, run() shares the instance with its starter")
            for fn in (s for s in c.body if isinstance(s, _FUNCS)):
                for n in ast.walk(fn):
                    # the class owns a lock: its authors expect instances to be shared
                    if (isinstance(n, ast.Assign) and isinstance(n.value, ast.Call)
                            and _name_of(n.value) in _LOCK_CTORS
                            and any(isinstance(t, ast.Attribute) and _is_self(t.value) for t in n.targets)):
                        self._note(name, "the class owns a lock but mutates outside it")
                    elif isinstance(n, (ast.With, ast.AsyncWith)) and any(
                            isinstance(i.context_expr, ast.Attribute) and _is_self(i.context_expr.value)
                            and lockish(i.context_expr.attr) for i in n.items):
                        self._note(name, "the class owns a lock but mutates outside it")
                    # handed to a thread or an executor
                    elif isinstance(n, ast.Call) and _name_of(n) in THREAD_HANDOFF:
                        args = [*n.args, *(k.value for k in n.keywords)]
                        if any(_is_self(a) or (isinstance(a, ast.Attribute) and _is_self(a.value))
                               or (isinstance(a, ast.Tuple) and any(_is_self(e) for e in a.elts)) for a in args):
                            self._note(name, "the instance or its method is handed to a thread/executor")
                    # a singleton: stored in a class attribute
                    elif isinstance(n, ast.Assign) and any(
                            isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name)
                            and t.value.id in ("cls", name) for t in n.targets) and _builds(n.value, name, True):
                        self._note(name, "a singleton stored in a class attribute")
        for stmt in own_statements(tree.body):  # module-level instances, and globals set in functions
            if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
                for cls in self.classes:
                    if _builds(stmt.value, cls):
                        self._note(cls, "an instance is stored in a module global")
        for fn in (s for s in ast.walk(tree) if isinstance(s, _FUNCS)):
            glob = {n for s in own_statements(fn.body) if isinstance(s, ast.Global) for n in s.names}
            for s in own_statements(fn.body):
                if isinstance(s, ast.Assign) and any(isinstance(t, ast.Name) and t.id in glob for t in s.targets):
                    for cls in self.classes:
                        if _builds(s.value, cls):
                            self._note(cls, "an instance is stored in a module global")
                if isinstance(s, ast.Expr) or isinstance(s, ast.Assign):
                    for n in ast.walk(s):
                        if isinstance(n, ast.Call) and _name_of(n) in THREAD_HANDOFF:
                            for a in [*n.args, *(k.value for k in n.keywords)]:
                                if isinstance(a, ast.Attribute) and isinstance(a.value, ast.Call):
                                    self._note(_name_of(a.value), "the instance or its method is handed to a "
                                                                  "thread/executor")


def _is_self(expr: ast.AST) -> bool:
    return isinstance(expr, ast.Name) and expr.id == "self"


def _builds(value: ast.AST, cls: str, inside: bool = False) -> bool:
    """``Cls(...)``; ``inside`` the class also ``cls(...)`` and ``super().__new__(cls)``."""
    if not isinstance(value, ast.Call):
        return False
    f = value.func
    if isinstance(f, ast.Name) and (f.id == cls or (inside and f.id == "cls")):
        return True
    return inside and isinstance(f, ast.Attribute) and f.attr == "__new__"


_ITER_HELPERS = frozenset({"sum", "min", "max", "any", "all", "enumerate", "zip", "map", "filter", "reversed",
                           "iter", "next"})
_VIEWS = frozenset({"keys", "values", "items"})
_CLASS_OWNERS = ("self", "cls", "type(self)", "self.__class__")


def iterated(exprs: list[ast.AST]) -> Iterator[ast.AST]:
    """Expressions iterated step by step (in Python, or by a C helper that iterates generically) in
    ``exprs``: the first iterable of comprehensions and generator expressions, arguments of ``sum``,
    ``any``, ``max``, ``enumerate``… — not ``list(d)``/``sorted(d)``/``d.copy()`` (one atomic copy)."""
    for e in exprs:
        for n in walk_no_scopes(e):
            if isinstance(n, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
                yield n.generators[0].iter
            elif isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in _ITER_HELPERS:
                yield from n.args


def unview(expr: ast.AST) -> ast.AST:
    """``d.items()`` / ``d.keys()`` / ``d.values()`` -> ``d`` (a live view iterates the dict itself)."""
    if (isinstance(expr, ast.Call) and not expr.args and isinstance(expr.func, ast.Attribute)
            and expr.func.attr in _VIEWS):
        return expr.func.value
    return expr


class ClassContainers:
    """Dicts/sets/deques bound in the body of a top-level class (shared by every instance), and which
    functions of the module mutate them."""

    def __init__(self, extra: ModuleExtra) -> None:
        from codemods._analysis import ITER_CHECKED_QNAMES, MUTATING_METHODS

        self.attrs: dict[str, set[str]] = {}
        shadowed: dict[str, set[str]] = {}
        for c in extra.tree.body:
            if not isinstance(c, ast.ClassDef):
                continue
            for s in c.body:
                if isinstance(s, (ast.Assign, ast.AnnAssign)) and s.value is not None:
                    v = s.value
                    if isinstance(v, (ast.Dict, ast.Set, ast.DictComp, ast.SetComp)) or (
                            isinstance(v, ast.Call) and extra.qname(v.func) in ITER_CHECKED_QNAMES):
                        for t in (s.targets if isinstance(s, ast.Assign) else [s.target]):
                            if isinstance(t, ast.Name):
                                self.attrs.setdefault(c.name, set()).add(t.id)
            for n in ast.walk(c):  # `self.x = {}` makes a per-instance container: not the class's
                if isinstance(n, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                    for t in (n.targets if isinstance(n, ast.Assign) else [n.target]):
                        if isinstance(t, ast.Attribute) and _is_self(t.value):
                            shadowed.setdefault(c.name, set()).add(t.attr)
        for cls, names in shadowed.items():
            if cls in self.attrs:
                self.attrs[cls] -= names
        self.writers: dict[tuple[str, str], set[int]] = {}
        for c in extra.tree.body:
            for fn in (s for s in ast.walk(c) if isinstance(s, _FUNCS)):
                owner_cls = c.name if isinstance(c, ast.ClassDef) else None
                for n in walk_no_scopes(fn):
                    target = None
                    if (isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                            and n.func.attr in MUTATING_METHODS):
                        target = n.func.value
                    elif isinstance(n, (ast.Assign, ast.AugAssign, ast.Delete)):
                        for t in getattr(n, "targets", None) or [n.target]:
                            if isinstance(t, ast.Subscript):
                                target = t.value
                    key = self.resolve(target, owner_cls) if target is not None else None
                    if key:
                        self.writers.setdefault(key, set()).add(id(fn))

    def resolve(self, expr: ast.AST, cls: Optional[str]) -> Optional[tuple[str, str]]:
        """(class, attribute) when ``expr`` is a class-level container (``Cls.x``, ``self.x``, ``cls.x``)."""
        if not isinstance(expr, ast.Attribute):
            return None
        owner = ast.unparse(expr.value)
        name = owner if owner in self.attrs else cls if owner in _CLASS_OWNERS else None
        if name and expr.attr in self.attrs.get(name, ()):
            return name, expr.attr
        return None


_REMOVERS = frozenset({"pop", "popitem", "clear", "remove", "discard", "popleft"})


def removed_from(node: ast.AST) -> Optional[tuple[str, ast.AST]]:
    """(container name, the statement or call) when ``node`` removes items from a named container:
    ``del d[k]``, ``d.pop(...)``, ``d.popitem()``, ``d.clear()``, ``s.remove(x)``/``discard``."""
    if isinstance(node, ast.Delete):
        for t in node.targets:
            if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name):
                return t.value.id, node
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _REMOVERS
            and isinstance(node.func.value, ast.Name)):
        return node.func.value.id, node
    return None


def removers(extra: ModuleExtra) -> dict[str, set[str]]:
    """Module-level container -> names of the functions (that can run in threads) removing items from it."""
    from codemods._analysis import own_nodes, shared

    out: dict[str, set[str]] = {}
    for ctx in extra.contexts:
        if extra.import_only is not None and extra.import_only(ctx):
            continue
        for node in own_nodes(ctx.fn):
            r = removed_from(node)
            if r and r[0] in ctx.info.containers and shared(r[0], ctx):
                out.setdefault(r[0], set()).add(ctx.fn.name)
    return out


def guarded_by_keyerror(fn) -> set[int]:
    """ids of the statements of ``fn`` inside a ``try`` that catches KeyError (or LookupError, Exception,
    a bare ``except``)."""
    out: set[int] = set()
    for t in own_statements(fn.body):
        if isinstance(t, ast.Try) and any(
                h.type is None or any(_name_of(x) in ("KeyError", "LookupError", "Exception", "BaseException")
                                      for x in (h.type.elts if isinstance(h.type, ast.Tuple) else [h.type]))
                for h in t.handlers):
            out.update(id(s) for s in own_statements(t.body))
    return out


def generator_functions(tree: ast.Module) -> set[str]:
    """Module-level functions whose own body yields (calling one makes a generator)."""
    out = set()
    for s in tree.body:
        if isinstance(s, ast.FunctionDef) and any(isinstance(n, (ast.Yield, ast.YieldFrom))
                                                  for n in walk_no_scopes(s)):
            out.add(s.name)
    return out


def module_generators(tree: ast.Module) -> set[str]:
    """Module-level names bound to a generator object: ``g = gen()`` for a module-level generator
    function, ``g = (x for x in ...)``, ``g = iter((...))`` of one."""
    gens = generator_functions(tree)
    out = set()
    for s in tree.body:
        if isinstance(s, (ast.Assign, ast.AnnAssign)) and s.value is not None:
            v = s.value
            if isinstance(v, ast.Call) and isinstance(v.func, ast.Name) and v.func.id == "iter" and v.args:
                v = v.args[0]
            if isinstance(v, ast.GeneratorExp) or (isinstance(v, ast.Call) and isinstance(v.func, ast.Name)
                                                   and v.func.id in gens):
                for t in (s.targets if isinstance(s, ast.Assign) else [s.target]):
                    if isinstance(t, ast.Name):
                        out.add(t.id)
    return out


def _notice_once(stmts: list[ast.stmt], state: str, item: bool) -> bool:
    """A once-only notice: ``if not _warned: _warned = True; warnings.warn(...)`` — the state becomes a
    constant and the only effects are warnings/log lines (two racing threads may both warn: harmless)."""
    stored = False
    for stmt in own_statements(stmts):
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            if any(_stores(t, state, item) for t in targets):
                if not isinstance(stmt.value, ast.Constant):
                    return False
                stored = True
            elif not all(isinstance(t, ast.Name) for t in targets):
                return False
        elif isinstance(stmt, ast.AugAssign):
            if not isinstance(stmt.target, ast.Name) or stmt.target.id == state:
                return False
        elif isinstance(stmt, ast.Expr):
            if not (isinstance(stmt.value, ast.Call) and _name_of(stmt.value) in _NOTICE_CALLS):
                return False
        elif not isinstance(stmt, (ast.If, ast.Pass, ast.Import, ast.ImportFrom)):
            return False
    return stored
