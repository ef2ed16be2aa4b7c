"""Build a local folder of small, valid wheels (and sdists) for offline `uv lock --find-links` tests.

    build_wheelhouse(folder, {
        "alpha": {"1.0": ["py3-none-any"], "1.1": ["py3-none-any"]},
        "native": {"1.0": ["cp313-cp313-manylinux_2_17_x86_64"], "1.1": ["cp313-cp313t-manylinux_2_17_x86_64"]},
    }, requires={("alpha", "1.1"): ["native>=1.0"]})

Each wheel holds a tiny module and real METADATA/WHEEL/RECORD files; "sdist" as a tag makes a
``.tar.gz`` with a static PKG-INFO (Metadata 2.2, nothing dynamic) that uv reads offline without
building. :func:`demo_wheelhouse` builds the mixed folder the lock/readiness tests use.
"""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
import zipfile
from pathlib import Path


def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def build_wheel(folder: Path, name: str, version: str, tag: str, requires: list[str] | None = None,
                requires_python: str | None = None, extras: list[str] | None = None) -> Path:
    dist = name.replace("-", "_")
    info = f"{dist}-{version}.dist-info"
    metadata = [f"Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    if requires_python:
        metadata.append(f"Requires-Python: {requires_python}")
    metadata += [f"Provides-Extra: {e}" for e in extras or []]
    metadata += [f"Requires-Dist: {r}" for r in requires or []]
    files = {
        f"{dist}/__init__.py": f"__version__ = {version!r}\n".encode(),
        f"{info}/METADATA": ("\n".join(metadata) + "\n").encode(),
        f"{info}/WHEEL": (f"Wheel-Version: 1.0\nGenerator: wheelhouse\nRoot-Is-Purelib: "
                          f"{'true' if tag.endswith('none-any') else 'false'}\nTag: {tag}\n").encode(),
    }
    record = [_record_line(p, d) for p, d in files.items()] + [f"{info}/RECORD,,"]
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    path = Path(folder) / f"{dist}-{version}-{tag}.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for p, d in files.items():
            zf.writestr(p, d)
    return path


def build_sdist(folder: Path, name: str, version: str, requires: list[str] | None = None) -> Path:
    dist = name.replace("-", "_")
    base = f"{dist}-{version}"
    pkg_info = "\n".join([f"Metadata-Version: 2.2", f"Name: {name}", f"Version: {version}"]
                         + [f"Requires-Dist: {r}" for r in requires or []]) + "\n"
    path = Path(folder) / f"{base}.tar.gz"
    with tarfile.open(path, "w:gz") as tf:
        for rel, data in ((f"{base}/PKG-INFO", pkg_info.encode()),
                          (f"{base}/pyproject.toml", b'[build-system]\nrequires = []\nbuild-backend = "x"\n')):
            ti = tarfile.TarInfo(rel)
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))
    return path


def build_wheelhouse(folder: Path, spec: dict[str, dict[str, list[str]]],
                     requires: dict[tuple[str, str], list[str]] | None = None) -> Path:
    """``spec``: name -> version -> tags (``"sdist"`` for an sdist); ``requires``: (name, version) ->
    Requires-Dist lines. Returns ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, versions in spec.items():
        for version, tags in versions.items():
            deps = (requires or {}).get((name, version))
            for tag in tags:
                if tag == "sdist":
                    build_sdist(folder, name, version, deps)
                else:
                    build_wheel(folder, name, version, tag, deps)
    return folder


LINUX = "manylinux_2_17_x86_64"


def _gil(*versions: str) -> list[str]:
    return [f"cp{v}-cp{v}-{LINUX}" for v in versions]


#: one package of each free-threading status, several versions each (see demo_wheelhouse). Native
#: packages ship GIL wheels for 3.10 and 3.13 as real ones do (uv needs a wheel for some Python of each fork).
DEMO_SPEC: dict[str, dict[str, list[str]]] = {
    "alpha": {"1.0": ["py3-none-any"], "1.1": ["py3-none-any"], "2.0": ["py3-none-any"]},
    "beta": {"0.5": ["py3-none-any"], "0.6": ["py3-none-any"]},
    # like numpy: 1.0 has only GIL wheels, 1.1 adds cp313t, 1.2 (the newest) has cp314t but no cp313t
    "nativeft": {"1.0": _gil("310", "313"), "1.1": _gil("310", "313") + [f"cp313-cp313t-{LINUX}"],
                 "1.2": _gil("310", "313") + [f"cp314-cp314t-{LINUX}"]},
    # GIL wheels and abi3 (which the free-threaded build cannot load) in every version
    "nofix": {"2.0": _gil("310", "313"), "3.0": _gil("310", "313") + [f"cp310-abi3-{LINUX}"]},
    "ftready": {"1.0": _gil("310", "313") + [f"cp313-cp313t-{LINUX}"],
                "2.0": _gil("310", "313") + [f"cp313-cp313t-{LINUX}", f"cp314-cp314t-{LINUX}"]},
    "sdonly": {"1.0": ["sdist"], "1.1": ["sdist"]},
}
DEMO_REQUIRES: dict[tuple[str, str], list[str]] = {
    ("alpha", "1.0"): ["beta>=0.5"], ("alpha", "1.1"): ["beta>=0.5"], ("sdonly", "1.0"): ["beta"],
}


def demo_wheelhouse(folder: Path) -> Path:
    """A folder with pure (alpha, beta), free-threading-ready (ftready), blocker (nativeft: fixed by 1.1
    for 3.13t and 1.2 for 3.14t; nofix: no fix) and sdist-only (sdonly) packages."""
    return build_wheelhouse(folder, DEMO_SPEC, DEMO_REQUIRES)


# -- real C extensions for the free-threaded interpreter (verify and runtime-readiness tests) ----------
_EXT_C = r"""
#include <Python.h>
static PyModuleDef_Slot slots[] = {
#ifdef DECLARE_NOGIL
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL}};
static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, .m_name = "%(dist)s._speed", .m_size = 0,
                                 .m_slots = slots};
PyMODINIT_FUNC PyInit__speed(void) { return PyModuleDef_Init(&def); }
"""


def _ft_facts(ft_python: str) -> dict:
    import json
    import subprocess

    code = ("import sys, sysconfig, json; print(json.dumps({'include': sysconfig.get_paths()['include'], "
            "'suffix': sysconfig.get_config_var('EXT_SUFFIX'), 'v': '%d%d' % sys.version_info[:2]}))")
    return json.loads(subprocess.run([ft_python, "-c", code], capture_output=True, text=True, check=True).stdout)


def build_ext_wheel(folder: Path, name: str, version: str, ft_python: str, declares_nogil: bool,
                    requires: list[str] | None = None) -> Path:
    """A real ``cpXYt`` wheel: package ``name`` whose ``__init__`` imports the C extension ``name._speed``,
    compiled with gcc against ``ft_python``'s headers. ``declares_nogil`` puts ``Py_mod_gil =
    Py_MOD_GIL_NOT_USED`` in the module's slots; without it, importing re-enables the GIL."""
    import subprocess
    import tempfile

    facts = _ft_facts(ft_python)
    dist = name.replace("-", "_")
    info = f"{dist}-{version}.dist-info"
    tag = f"cp{facts['v']}-cp{facts['v']}t-{LINUX}"
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp, "speed.c")
        src.write_text(_EXT_C % {"dist": dist})
        out = Path(tmp, "speed.so")
        cmd = ["gcc", "-shared", "-fPIC", "-O0", f"-I{facts['include']}", str(src), "-o", str(out)]
        if declares_nogil:
            cmd.insert(1, "-DDECLARE_NOGIL")
        subprocess.run(cmd, check=True, capture_output=True)
        so = out.read_bytes()
    metadata = [f"Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    metadata += [f"Requires-Dist: {r}" for r in requires or []]
    files = {
        f"{dist}/__init__.py": f"from . import _speed\n__version__ = {version!r}\n".encode(),
        f"{dist}/_speed{facts['suffix']}": so,
        f"{info}/METADATA": ("\n".join(metadata) + "\n").encode(),
        f"{info}/WHEEL": f"Wheel-Version: 1.0\nGenerator: wheelhouse\nRoot-Is-Purelib: false\nTag: {tag}\n".encode(),
        f"{info}/top_level.txt": f"{dist}\n".encode(),
    }
    record = [_record_line(p, d) for p, d in files.items()] + [f"{info}/RECORD,,"]
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    path = Path(folder) / f"{dist}-{version}-{tag}.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for p, d in files.items():
            zf.writestr(p, d)
    return path


def gil_wheelhouse(folder: Path, ft_python: str, spec: dict[str, dict[str, bool]]) -> Path:
    """``spec``: name -> version -> declares Py_mod_gil. Each version gets a real free-threaded wheel
    (:func:`build_ext_wheel`) and, like real packages, GIL wheels for 3.10 and 3.13 (pure stand-ins)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, versions in spec.items():
        for version, declares in versions.items():
            build_ext_wheel(folder, name, version, ft_python, declares)
            for tag in _gil("310", "313"):
                build_wheel(folder, name, version, tag)
    return folder
