"""Poetry projects written by the tests: the pyproject.toml and poetry.lock shapes many test files need.

    root = poetry_project(tmp_path, {"plain": "*"}, {"plain": "1.0"})       # tmp_path/app, both files
    text = poetry_pyproject({"requests": "^2.31"}, name="p", description="d")  # the text only
    lock = poetry_lock({"native": ("1.0", ["native-1.0-cp38-cp38-win32.whl"])})

Every file is what ``poetry`` itself would accept: ``[tool.poetry]`` with name, version, description and
authors, then ``[tool.poetry.dependencies]`` with ``python`` first.
"""

from __future__ import annotations

from pathlib import Path


def _lines(deps: str | dict[str, str]) -> str:
    if isinstance(deps, dict):
        return "".join(f'{k} = "{v}"\n' for k, v in deps.items())
    return deps if not deps or deps.endswith("\n") else deps + "\n"


def poetry_pyproject(deps: str | dict[str, str] = "", *, name: str = "app", version: str = "0.1.0",
                     description: str = "", python: str = "^3.10", package_mode: bool | None = None,
                     after: str = "", authors: tuple[str, ...] = ()) -> str:
    """A Poetry pyproject.toml: ``deps`` (a dict of name -> constraint string, or TOML lines) go under
    ``[tool.poetry.dependencies]`` after ``python``; ``after`` (more tables) follows them."""
    mode = "" if package_mode is None else f"package-mode = {str(package_mode).lower()}\n"
    listed = ", ".join(f'"{a}"' for a in authors)
    return (f'[tool.poetry]\nname = "{name}"\nversion = "{version}"\ndescription = "{description}"\n'
            f'authors = [{listed}]\n{mode}\n[tool.poetry.dependencies]\npython = "{python}"\n{_lines(deps)}{after}')


PDV_BUILD = ('[build-system]\nrequires = ["poetry-core>=1.0.0", "poetry-dynamic-versioning>=1.0.0,<2.0.0"]\n'
             'build-backend = "poetry_dynamic_versioning.backend"\n')


def pdv_pyproject(settings: str = "", **fields) -> str:
    """A Poetry project whose version comes from git through poetry-dynamic-versioning (enabled, ``vcs =
    "git"``, then ``settings`` lines) and its build backend; ``fields`` as for :func:`poetry_pyproject`."""
    table = f'\n[tool.poetry-dynamic-versioning]\nenable = true\nvcs = "git"\n{settings}\n'
    return poetry_pyproject(after=table + PDV_BUILD, **fields)


def poetry_lock(pins: dict[str, str | tuple[str, list[str]]], python: str = "^3.10") -> str:
    """A poetry.lock pinning ``pins`` (name -> version, or (version, file names)); a pin given as a
    version alone lists its ``py3-none-any`` wheel."""
    out = []
    for name, pin in pins.items():
        version, files = (pin, [f"{name}-{pin}-py3-none-any.whl"]) if isinstance(pin, str) else pin
        listed = "".join(f'    {{file = "{f}", hash = "sha256:00"}},\n' for f in files)
        out.append(f'[[package]]\nname = "{name}"\nversion = "{version}"\ndescription = ""\noptional = false\n'
                   f'python-versions = "*"\nfiles = [\n{listed}]\n\n')
    return "".join(out) + f'[metadata]\nlock-version = "2.0"\npython-versions = "{python}"\ncontent-hash = "0"\n'


def wheels_poetry_lock(wheels: Path, pins: dict[str, str], requires: dict[tuple[str, str], list[str]] | None = None, *,
                       with_files: bool = True, python: str = "^3.10") -> str:
    """A poetry.lock pinning ``pins`` (name -> version) from a local wheel folder (``tests/wheelhouse.py``):
    each pin with its wheels' file names and sha256 hashes, as Poetry writes them (or ``files = []``
    without ``with_files``: readiness is then known only after uv resolves), and the dependencies
    ``requires`` gives it ((name, version) -> Requires-Dist lines, as its wheel says; none: no
    dependency table)."""
    import hashlib
    import json

    from packaging.requirements import Requirement

    chunks = []
    for name, version in sorted(pins.items()):
        files = sorted(Path(wheels).glob(f"{name}-{version}-*.whl")) if with_files else []
        listed = "".join(f'    {{file = "{f.name}", hash = "sha256:{hashlib.sha256(f.read_bytes()).hexdigest()}"}},\n'
                         for f in files)
        chunk = (f'[[package]]\nname = "{name}"\nversion = "{version}"\ndescription = ""\noptional = false\n'
                 f'python-versions = "*"\nfiles = [\n{listed}]\n')
        deps = [Requirement(r) for r in (requires or {}).get((name, version), [])]
        if deps:
            chunk += "\n[package.dependencies]\n" + "".join(
                f'{r.name} = {{version = "{r.specifier or "*"}"'
                + (f", markers = {json.dumps(str(r.marker))}" if r.marker else "") + "}\n" for r in deps)
        chunks.append(chunk)
    return ("\n".join(chunks) + f'\n[metadata]\nlock-version = "2.0"\npython-versions = "{python}"\n'
            'content-hash = "0"\n')


def poetry_project(tmp_path: Path, deps: str | dict[str, str] = "", pins: dict | None = None, *,
                   python: str = "^3.10", extra: str = "", folder: str = "app", package_mode: bool | None = False,
                   **fields: str) -> Path:
    """``tmp_path/folder`` (made, with its parents, if missing) with a Poetry pyproject.toml
    (:func:`poetry_pyproject`: ``extra`` is what follows the dependencies, ``fields`` its ``name``,
    ``version``, ``description``) and, when ``pins`` are given, a poetry.lock (:func:`poetry_lock`)."""
    root = Path(tmp_path) / folder
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(poetry_pyproject(deps, python=python, package_mode=package_mode, after=extra,
                                                          **fields))
    if pins is not None:
        (root / "poetry.lock").write_text(poetry_lock(pins, python))
    return root


def metadata_backend(name: str, version: str, check: str, imports: str = "") -> str:
    """The source of an in-tree PEP 517 backend (``backend-path = ["."]``) that gives ``name`` ``version``'s
    metadata (no dependencies) unless ``check`` stops it: the body of its ``_check()`` (indented four
    spaces), called before each hook. It never builds a wheel (locking does not need one)."""
    return f'''\
import os, sys
{imports}
def _check():
{check}
def get_requires_for_build_wheel(config_settings=None):
    _check()
    return []

def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    _check()
    info = os.path.join(metadata_directory, "{name}-{version}.dist-info")
    os.makedirs(info)
    with open(os.path.join(info, "METADATA"), "w") as f:
        f.write("Metadata-Version: 2.1\\nName: {name}\\nVersion: {version}\\n")
    return "{name}-{version}.dist-info"

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    raise RuntimeError("not needed to lock")
'''


def poetry_folder(folder: Path, name: str, deps: str = "") -> Path:
    """A Poetry project ``name`` 1.0.0 (a package: no ``package-mode``) in ``folder``, made if missing:
    the members of the batch tests' trees."""
    return poetry_project(folder, deps, folder=".", package_mode=None, name=name, version="1.0.0")
