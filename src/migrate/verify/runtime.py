"""Runtime readiness: does a locked version import on the free-threaded build without enabling the GIL?

Wheel tags cannot tell: a ``cp313t`` wheel whose extension does not declare ``Py_mod_gil`` re-enables the
GIL for the whole process when imported. The lock stage (``migrate run`` with a free-threaded interpreter
available, or ``--verify``) and ``migrate deps --python`` install the locked versions of the packages that
ship target wheels into a scratch environment and import each of their top-level modules alone
(:mod:`migrate.verify.imports`). A package that enables the GIL becomes a blocker; the fix search installs
candidate versions at or above the pinned one that have target wheels, nearest first, at most
``limit`` of them, each in its own scratch environment (the lock's other versions preferred), and takes
the first that imports with the GIL off. Scratch installs use wheels only (``--no-build``): a package
that would need a build is reported as not checked rather than compiled.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

#: candidate versions installed per blocker, at most
LIMIT = 5


class RuntimeCheckError(Exception):
    pass


def _uv_env() -> dict[str, str]:
    env = dict(os.environ)
    for key in ("VIRTUAL_ENV", "PYTHON_GIL", "UV_PROJECT_ENVIRONMENT"):
        env.pop(key, None)
    env["UV_NO_PROGRESS"] = "1"
    env["UV_PYTHON_DOWNLOADS"] = "never"
    return env


def _source_args(options) -> list[str]:
    from migrate.lock.lock import find_links_args

    args = []
    if getattr(options, "offline", False):
        args.append("--offline")
    if getattr(options, "index_url", None):
        args += ["--default-index", options.index_url]
    for fl in find_links_args(list(getattr(options, "find_links", []) or [])):
        args += ["--find-links", fl]
    return args


def scratch_check(ft_python: str, requirements: list[str], names: list[str], options,
                  constraints: list[str] | None = None) -> dict[str, tuple[str, str | None, str]]:
    """Install ``requirements`` into a fresh environment of ``ft_python`` and import the top-level modules
    of the distributions ``names``. Returns {canonical name: (status, detail, installed version)}; the
    status is the worst of its modules (enables-gil > import-error > ok). Raises RuntimeCheckError when
    the install fails."""
    from migrate.lock.lock import uv_bin
    from migrate.verify import imports as imp
    from migrate.verify.env import env_python

    from migrate.apply.journal import staging_prefix
    from migrate.interrupt import spawn  # a cancelled run stops uv; a killed uv is an interruption

    with tempfile.TemporaryDirectory(prefix=staging_prefix("migrate-runtime-")) as tmp:
        venv = Path(tmp) / "env"
        proc = spawn([uv_bin(), "venv", "--python", ft_python, str(venv)], env=_uv_env(), timeout=300)
        if proc.returncode != 0:
            raise RuntimeCheckError(proc.stderr.strip()[-500:])
        python = env_python(venv)
        # wheels only: a scratch check must not compile numpy for ten minutes; what needs a build is
        # reported as not checked. The lock's versions are preferred (as constraints), then dropped if
        # they conflict with a candidate's requirements.
        cmd = [uv_bin(), "pip", "install", "--python", str(python), "--no-build", *_source_args(options),
               *requirements]
        attempts = [constraints, None] if constraints else [None]
        for attempt in attempts:
            full = list(cmd)
            if attempt:
                cfile = Path(tmp) / "constraints.txt"
                cfile.write_text("\n".join(attempt) + "\n")
                full += ["--constraint", str(cfile)]
            proc = spawn(full, env=_uv_env(), timeout=1800)
            if proc.returncode == 0:
                break
        if proc.returncode != 0:
            lines = [ln.strip() for ln in proc.stderr.splitlines() if ln.strip()]
            raise RuntimeCheckError(" ".join(lines[-3:]) or "uv pip install failed")
        wanted = {canonicalize_name(n) for n in names}
        dists = [d for d in imp.inventory(python) if canonicalize_name(d.name) in wanted]
        results = imp.check(python, [(m, d) for m, d in imp.modules_of(dists)])
    rank = {imp.ENABLES_GIL: 2, imp.IMPORT_ERROR: 1, imp.OK: 0}
    out: dict[str, tuple[str, str | None, str]] = {}
    for d in dists:
        mine = [r for r in results if r.distribution == d.name]
        worst = max(mine, key=lambda r: rank.get(r.status, 0), default=None)
        key = canonicalize_name(d.name)
        out[key] = (worst.status, worst.detail, d.version) if worst else (imp.OK, None, d.version)
    return out


def candidates(name: str, current: str, abi: str, client, specifier: str = "", index: str | None = None,
               limit: int = LIMIT) -> list[str]:
    """Versions above ``current`` that ``specifier`` admits, not pre-releases, with ``abi`` wheels:
    nearest first, at most ``limit``."""
    from packaging.specifiers import SpecifierSet
    from packaging.version import InvalidVersion, Version

    from migrate.lock.freethreading import classify

    try:
        floor = Version(current)
    except InvalidVersion:
        return []
    spec = SpecifierSet(specifier or "")
    by_version: dict[Version, list[str]] = {}
    for filename, version in client.files(name, index):
        if version is not None:
            by_version.setdefault(version, []).append(filename)
    out = []
    for version in sorted(by_version):
        if version <= floor or version.is_prerelease or not spec.contains(version):
            continue
        if classify(by_version[version], abi) == "ft-wheels":
            out.append(str(version))
        if len(out) >= limit:
            break
    return out


def check_entries(entries: list[dict[str, Any]], packages, ft_python: str, abi: str, options, client,
                  requirements: dict[str, str] | None = None, fix: bool = True,
                  limit: int = LIMIT) -> dict[str, Any]:
    """Add a ``runtime`` column to the readiness ``entries`` of packages with target wheels (``ok``,
    ``enables-gil``, ``import-error``); a package that enables the GIL becomes a ``blocker`` with
    ``runtime_detail`` and, when ``fix``, the nearest candidate version that imports with the GIL off as
    ``fix`` (``runtime_fix_checked`` lists what was tried). Returns facts for the report."""
    from migrate.verify import imports as imp

    native = [e for e in entries if e["status"] == "ft-wheels"]
    facts: dict[str, Any] = {"interpreter": ft_python, "checked": len(native)}
    if not native:
        if fix and client is not None:
            check_fixes(entries, packages, ft_python, abi, options, client, requirements, limit,
                        _pins(packages))
        return facts
    by_name = {canonicalize_name(p.name): p for p in packages if not getattr(p, "local", False)}
    pins = _pins(packages)
    unchecked: dict[str, str] = {}
    if fix and client is not None:
        check_fixes(entries, packages, ft_python, abi, options, client, requirements, limit, pins)
    try:
        found = scratch_check(ft_python, [f"{e['name']}=={e['version']}" for e in native],
                              [e["name"] for e in native], options, constraints=pins)
    except RuntimeCheckError:
        # one package that cannot be installed here (another platform's, needs a build) must not hide
        # the others: each on its own
        found = {}
        for e in native:
            try:
                found.update(scratch_check(ft_python, [f"{e['name']}=={e['version']}"], [e["name"]], options,
                                           constraints=pins))
            except RuntimeCheckError as exc:
                unchecked[canonicalize_name(e["name"])] = str(exc)
    if unchecked:
        facts["error"] = "; ".join(f"{n}: {why}" for n, why in sorted(unchecked.items()))
    for e in native:
        if canonicalize_name(e["name"]) in unchecked:
            e["runtime"] = "unchecked"
            e["runtime_detail"] = unchecked[canonicalize_name(e["name"])]
            continue
        status, detail, _ = found.get(canonicalize_name(e["name"]), (imp.IMPORT_ERROR, "not installed", ""))
        e["runtime"] = status
        if status == imp.IMPORT_ERROR:
            e["runtime_detail"] = detail
        if status != imp.ENABLES_GIL:
            continue
        e["status"] = "blocker"
        e["runtime_detail"] = detail
        e["fix"] = None
        if not fix or client is None:
            continue
        pkg = by_name.get(canonicalize_name(e["name"]))
        spec = (requirements or {}).get(canonicalize_name(e["name"]), "")
        tried = []
        for version in candidates(e["name"], e["version"], abi, client, spec, pkg.index if pkg else None, limit):
            try:
                others = [p for p in pins if canonicalize_name(p.split("==")[0]) != canonicalize_name(e["name"])]
                res = scratch_check(ft_python, [f"{e['name']}=={version}"], [e["name"]], options,
                                    constraints=others)
                status = res.get(canonicalize_name(e["name"]), (imp.IMPORT_ERROR, "not installed", ""))[0]
            except RuntimeCheckError as exc:
                status = f"install failed: {exc}"
            tried.append({"version": version, "runtime": status})
            if status == imp.OK:
                e["fix"] = f"{e['name']}=={version}"
                e["fix_reason"] = (f"free-threading: {e['name']} {e['version']} re-enables the GIL on import; "
                                   f"{version} is the nearest version that imports with it off")
                break
        e["runtime_fix_checked"] = tried
    return facts


def _pins(packages) -> list[str]:
    """The lock's versions as constraints (a package locked at several versions, per fork, is left free)."""
    counts: dict[str, int] = {}
    for p in packages:
        counts[canonicalize_name(p.name)] = counts.get(canonicalize_name(p.name), 0) + 1
    return [f"{p.name}=={p.version}" for p in packages
            if not getattr(p, "local", False) and counts.get(canonicalize_name(p.name)) == 1]


def check_fixes(entries: list[dict[str, Any]], packages, ft_python: str, abi: str, options, client,
                requirements: dict[str, str] | None, limit: int, pins: list[str]) -> None:
    """A fix chosen by wheel tags (a blocker or sdist-only pin moved to the nearest version with ``abi``
    wheels) is checked at runtime too: its wheel may re-enable the GIL (pandas 2.1 has no cp313t wheels;
    the nearest that has, 2.2.3, turns the GIL on). Such a fix is replaced by the nearest version above it
    that imports with the GIL off (at most ``limit`` tried), or dropped with the reason
    (``runtime_rejected``). Fixes whose wheel is pure Python are not installed: they cannot turn it on."""
    from packaging.version import InvalidVersion, Version

    from migrate.lock.freethreading import classify
    from migrate.verify import imports as imp

    todo = []
    for e in entries:
        if e["status"] not in ("blocker", "sdist-only") or not e.get("fix") or "==" not in e["fix"] \
                or e.get("runtime") == imp.ENABLES_GIL:
            continue
        name, version = e["fix"].split("==", 1)
        pkg = next((p for p in packages if canonicalize_name(p.name) == canonicalize_name(name)), None)
        index = pkg.index if pkg else None
        try:
            files = [f for f, v in client.files(name, index) if v is not None and str(v) == version]
        except Exception:  # noqa: BLE001 — the index's answer was cached by the fix search; if not, check anyway
            files = []
        if files and classify(files, abi) != "ft-wheels":
            continue  # a pure wheel: nothing native to load
        todo.append((e, name, version, index))
    for e, name, version, index in todo:
        others = [p for p in pins if canonicalize_name(p.split("==")[0]) != canonicalize_name(name)]
        spec = (requirements or {}).get(canonicalize_name(name), "")
        tried = []
        chosen = None
        for candidate in [version] + candidates(name, version, abi, client, spec, index, limit - 1):
            try:
                res = scratch_check(ft_python, [f"{name}=={candidate}"], [name], options, constraints=others)
                status, detail, _ = res.get(canonicalize_name(name), (imp.IMPORT_ERROR, "not installed", ""))
            except RuntimeCheckError as exc:
                status, detail = f"install failed: {exc}", None
            tried.append({"version": candidate, "runtime": status}
                         | ({"detail": detail} if status == imp.ENABLES_GIL and detail else {}))
            if status == imp.OK:
                chosen = candidate
                break
            if status != imp.ENABLES_GIL:
                break  # cannot be installed or imported here: the tags' answer stands, unchecked
        e["fix_runtime_checked"] = tried
        if chosen is None and tried and tried[-1]["runtime"] != imp.ENABLES_GIL:
            continue
        if chosen == version:
            continue
        gil = [t["version"] for t in tried if t["runtime"] == imp.ENABLES_GIL]
        said = (f"{name} {', '.join(gil)} {'has' if len(gil) == 1 else 'have'} {abi} wheels but "
                f"re-enable{'s' if len(gil) == 1 else ''} the GIL on import")
        if chosen is None:
            e["fix"] = None
            e.pop("move", None)
            e["runtime_rejected"] = said + (f"; none of the {limit} nearest keeps it off" if len(tried) >= limit
                                            else "; no later version the project admits has wheels for it")
            continue
        e["fix"] = f"{name}=={chosen}"
        why = "ships only an sdist" if e["status"] == "sdist-only" else f"has no {abi} wheels"
        e["fix_reason"] = (f"free-threading: {e['name']} {e['version']} {why}; {', '.join(gil)} "
                           f"re-enable{'s' if len(gil) == 1 else ''} the GIL on import; {chosen} is the nearest "
                           "that imports with it off")
        try:
            old, new = Version(e["version"]), Version(chosen)
            e["move"] = {"to": chosen, "direction": "upgrade" if new >= old else "downgrade",
                         "major": new.major != old.major}
        except InvalidVersion:
            e["move"] = {"to": chosen, "direction": None, "major": False}


def lock_stage_check(ctx, entries: list[dict[str, Any]], packages, client, ft_python: str | None) -> None:
    """The lock stage's call: with a free-threaded interpreter for the target (found by the lock stage,
    or looked for as ``migrate verify`` does when ``--verify`` is given), check ``entries`` at runtime.
    Facts go to ``ctx.result.lock["runtime"]``."""
    target, options = ctx.target, ctx.options
    if not target.free_threaded or not getattr(options, "runtime_check", True):
        return
    if not ft_python and getattr(options, "verify", False):
        from migrate.verify.interpreter import find

        try:
            ft_python = find(str(target), ctx.root, [], allow_install=False).path
        except (LookupError, Exception):
            ft_python = None
    if not ft_python or not target.admitted_by(ctx.project.requires_python):
        return  # nothing to run it on, or the project does not run on the target at all (MIG001)
    from migrate.lock.lock import _requirements

    facts = check_entries(entries, packages, ft_python, target.abi, options, client, _requirements(ctx.project))
    ctx.result.lock["runtime"] = facts
    if facts.get("error"):
        from migrate.diagnostics import Diagnostic

        ctx.result.warnings.append(Diagnostic(
            "MIG246", f"some locked packages with {target.abi} wheels could not be installed on {ft_python} to "
            f"check them at runtime (their wheels' tags are all that was judged): {facts['error']}",
            path="uv.lock"))


def deps_runtime_column(entries: list[dict[str, Any]], packages, python: str, target, root: Path, client,
                        offline: bool, index_url: str | None, find_links: list[str],
                        requirements: dict[str, str] | None = None) -> dict[str, Any]:
    """`migrate deps --python`: the runtime column. ``python`` is a path or a version (found as
    ``migrate verify`` finds it, never downloaded). Raises MigrateError when it is unusable."""
    from types import SimpleNamespace

    from migrate.diagnostics import MigrateError
    from migrate.verify.interpreter import find

    tried: list[str] = []
    try:
        it = find(python, Path(root), tried, allow_install=False)
    except LookupError:
        raise MigrateError(f"no interpreter for {python!r} was found ({'; '.join(tried)})", key="--python")
    if not it.free_threaded:
        raise MigrateError(f"{it.path} is not a free-threaded build", key="--python",
                           hint="give a python3.13t (the runtime column checks the GIL stays off)")
    options = SimpleNamespace(offline=offline, index_url=index_url, find_links=list(find_links))
    return check_entries(entries, packages, it.path, target.abi, options, client, requirements)
