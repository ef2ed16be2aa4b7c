"""Offline build backends and the wheel oracle.

Tests never use the network, but building a wheel with ``uv build`` needs the build backends (setuptools,
hatchling, poetry-core, uv_build) in an isolated build environment. They are in the dev dependency group, so
``uv sync`` installs them into the test venv; :func:`backend_wheelhouse` packs those *installed*
distributions back into wheels (files listed in each RECORD, console scripts such as uv_build's
``uv-build`` binary back under ``.data/scripts``), and ``uv build --no-index --find-links`` builds with
them — real PEP 517 builds with build isolation, exactly as a user's ``uv build`` would, without a
download and without relying on what happens to be in uv's cache.

:func:`wheel_facts` reads what the oracle compares: name, version, Requires-Python, Requires-Dist,
Provides-Extra (normalised, order-free), entry points and the list of files outside ``.dist-info``.
"""

from __future__ import annotations

import base64
import configparser
import hashlib
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from email.parser import Parser
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

BACKENDS = ("setuptools", "hatchling", "poetry-core", "uv-build")
_SKIP_INFO = {"INSTALLER", "REQUESTED", "direct_url.json", "RECORD", "uv_cache.json"}


def _closure(names) -> list:
    seen: dict[str, object] = {}
    todo = list(names)
    while todo:
        name = canonicalize_name(todo.pop())
        if name in seen:
            continue
        try:
            dist = distribution(name)
        except PackageNotFoundError:
            continue
        seen[name] = dist
        for text in dist.requires or []:
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return list(seen.values())


def _record(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def repack(dist, folder: Path) -> Path:
    """One installed distribution → a wheel in ``folder`` (tag from its WHEEL file)."""
    name = canonicalize_name(dist.metadata["Name"]).replace("-", "_")
    version = dist.version
    info = f"{name}-{version}.dist-info"
    data_dir = f"{name}-{version}.data"
    wheel_text = dist.read_text("WHEEL") or ""
    tags = [line.split(":", 1)[1].strip() for line in wheel_text.splitlines() if line.startswith("Tag:")]
    scripts = Path(sysconfig.get_path("scripts")).resolve()
    entries: dict[str, bytes] = {}
    for f in dist.files or []:
        rel = str(f)
        if "__pycache__" in f.parts or rel.endswith(".pyc"):
            continue
        src = Path(dist.locate_file(f)).resolve()
        if not src.is_file():
            continue
        if f.parts and f.parts[0].endswith(".dist-info"):
            if f.name in _SKIP_INFO:
                continue
            arc = f"{info}/{f.name}" if len(f.parts) == 2 else f"{info}/{'/'.join(f.parts[1:])}"
        elif rel.startswith(".."):
            if src.parent != scripts:
                continue
            if (dist.read_text("entry_points.txt") or "").find(f"\n{src.name} =") >= 0:
                continue  # a generated console-script wrapper: the installer writes it again
            arc = f"{data_dir}/scripts/{src.name}"
        else:
            arc = rel
        entries[arc] = src.read_bytes()
    tag = tags[0] if tags else "py3-none-any"
    path = Path(folder) / f"{name}-{version}-{tag}.whl"
    record = [_record(a, d) for a, d in entries.items()] + [f"{info}/RECORD,,"]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for arc, data in entries.items():
            zi = zipfile.ZipInfo(arc, date_time=(2020, 1, 1, 0, 0, 0))
            zi.external_attr = (0o755 if "/scripts/" in arc else 0o644) << 16
            zf.writestr(zi, data, zipfile.ZIP_DEFLATED)
        zf.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
    return path


def backend_wheelhouse(folder: Path) -> Path:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for dist in _closure(BACKENDS):
        repack(dist, folder)
    return folder


def uv_build_wheel(project: Path, wheelhouse: Path, out: Path) -> Path:
    """Build one wheel of ``project`` (a copy of it, so build artefacts stay out of the tree) with the
    real uv, offline, build backends only from ``wheelhouse``."""
    from uv import find_uv_bin

    work = out / "src"
    shutil.copytree(project, work, ignore=shutil.ignore_patterns(".venv", "dist", "build", "*.egg-info"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "VIRTUAL_ENV"))}
    env["UV_PYTHON_DOWNLOADS"] = "never"
    proc = subprocess.run(
        [find_uv_bin(), "build", "--wheel", "--offline", "--no-index", "--find-links", str(wheelhouse),
         "--python", sys.executable,
         "--out-dir", str(out / "dist"), str(work)],
        capture_output=True, text=True, env=env, timeout=600)
    if proc.returncode != 0:
        raise AssertionError(f"uv build failed for {project}:\n{proc.stderr[-4000:]}")
    (wheel,) = (out / "dist").glob("*.whl")
    return wheel


def wheel_facts(wheel: Path) -> dict:
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
        meta = Parser().parsestr(zf.read(f"{info}/METADATA").decode())
        ep_text = zf.read(f"{info}/entry_points.txt").decode() if f"{info}/entry_points.txt" in names else ""
    eps = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    eps.optionxform = str
    eps.read_string(ep_text)
    return {
        "name": canonicalize_name(meta["Name"]),
        "version": meta["Version"],
        "requires-python": _python_set(meta.get("Requires-Python")),
        "requires-dist": sorted(_requirement(r) for r in meta.get_all("Requires-Dist") or []),
        "provides-extra": sorted(canonicalize_name(e) for e in meta.get_all("Provides-Extra") or []),
        "entry-points": {s: {k: v.replace(" ", "") for k, v in eps.items(s)} for s in eps.sections()},
        "files": sorted(n for n in names if not n.split("/")[0].endswith(".dist-info") and not n.endswith("/")),
    }


#: environments a marker is evaluated in: equal truth tables = the same requirement
_PYTHONS = [f"3.{m}.{p}" for m in range(6, 16) for p in (0, 1, 9)]
_PLATFORMS = [("linux", "posix", "Linux"), ("win32", "nt", "Windows"), ("darwin", "posix", "Darwin")]
_EXTRAS = ["", "pandas", "pg", "socks", "all", "pretty", "fast", "test"]


def _python_set(text: str | None) -> str | None:
    """Requires-Python as the set of versions it admits (``>=3.8, <4.0`` == ``<4.0,>=3.8``)."""
    if text is None:
        return None
    from packaging.specifiers import SpecifierSet

    spec = SpecifierSet(text)
    return "admits " + ",".join(v for v in _PYTHONS if spec.contains(v, prereleases=True))


def _requirement(text: str) -> str:
    """A requirement with its marker replaced by its truth table over Python versions × platforms × extras
    (so ``python_version < "3.11"`` and ``python_full_version < "3.11"`` compare equal)."""
    req = Requirement(text)
    marker = req.marker
    req.marker = None
    if marker is None:
        return str(req)
    table = []
    for v in _PYTHONS:
        for sys_platform, os_name, system in _PLATFORMS:
            for extra in _EXTRAS:
                env = {"python_version": ".".join(v.split(".")[:2]), "python_full_version": v,
                       "sys_platform": sys_platform, "os_name": os_name, "platform_system": system,
                       "extra": extra}
                table.append("1" if marker.evaluate(env) else "0")
    return f"{req}; <marker truth table {hashlib.sha256(''.join(table).encode()).hexdigest()[:12]}>"
