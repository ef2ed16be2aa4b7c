"""Build a local folder of small, valid wheels (and sdists) for offline `uv lock --find-links` tests.

    build_wheelhouse(folder, {
        "alpha": {"1.0": ["py3-none-any"], "1.1": ["py3-none-any"]},
        "native": {"1.0": ["cp313-cp313-manylinux_2_17_x86_64"], "1.1": ["cp313-cp313t-manylinux_2_17_x86_64"]},
    }, requires={("alpha", "1.1"): ["native>=1.0"]})

Each wheel holds a tiny module and real METADATA/WHEEL/RECORD files; "sdist" as a tag makes a
``.tar.gz`` with a PKG-INFO instead.
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
                requires_python: str | None = None) -> Path:
    dist = name.replace("-", "_")
    info = f"{dist}-{version}.dist-info"
    metadata = [f"Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    if requires_python:
        metadata.append(f"Requires-Python: {requires_python}")
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
