"""setuptools reader: setup.cfg (configparser) and setup.py (ast, never run) → what setuptools would build."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from migrate.diagnostics import MigrateError
from migrate.readers.pipenv import FALLBACK_REQUIRES_PYTHON, PACKAGES_GROUP, read_pipenv
from migrate.readers.setuptools import read_setuptools


def write(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(textwrap.dedent(text))
    return root


SETUP_PY = '''
    import os
    from setuptools import setup, find_packages

    here = os.path.abspath(os.path.dirname(__file__))
    about = {}
    with open(os.path.join(here, "pkg", "__version__.py")) as f:
        exec(f.read(), about)

    REQUIRED = ["requests>=2.0", "click"]
    EXTRAS = {"socks": ["PySocks>=1.5.6, !=1.5.7"], "fast": ["ujson"]}

    setup(
        name="my-lib",
        version=about["__version__"],
        description="A library",
        long_description=open("README.md").read(),
        python_requires=">=3.8",
        install_requires=REQUIRED + ["attrs"],
        extras_require=EXTRAS,
        entry_points={"console_scripts": ["my-lib = pkg.cli:main"]},
        packages=find_packages(exclude=["tests"]),
        classifiers=["Programming Language :: Python :: 3"],
    )
'''


def test_setup_py_literals_and_computed_values(tmp_path):
    meta = read_setuptools(write(tmp_path, {"setup.py": SETUP_PY}))
    assert meta.name == "my-lib" and not meta.opaque
    assert meta.computed("version") and meta.computed("long_description") and meta.computed("packages")
    assert meta.literal("install_requires") == ["requests>=2.0", "click", "attrs"]
    assert meta.literal("extras_require") == {"socks": ["PySocks>=1.5.6, !=1.5.7"], "fast": ["ujson"]}
    assert meta.dynamic(exclude={"requires-python"}) == [
        "version", "description", "readme", "classifiers", "scripts", "dependencies", "optional-dependencies"]


def test_static_fields_convert_exactly_and_leave_the_rest_dynamic(tmp_path):
    meta = read_setuptools(write(tmp_path, {"setup.py": SETUP_PY}))
    static, dynamic = meta.static_fields()
    assert static == {
        "description": "A library",
        "requires-python": ">=3.8",
        "dependencies": ["requests>=2.0", "click", "attrs"],
        "optional-dependencies": {"socks": ["PySocks!=1.5.7,>=1.5.6"], "fast": ["ujson"]},
        "scripts": {"my-lib": "pkg.cli:main"},
        "classifiers": ["Programming Language :: Python :: 3"],
    }
    assert dynamic == ["version", "readme"]


@pytest.mark.parametrize("body,why", [
    ("setup(**kwargs)", "opaque"),
    ("def build():\n    pass\nbuild()", "opaque"),
])
def test_setup_py_we_cannot_see_into_is_opaque(tmp_path, body, why):
    meta = read_setuptools(write(tmp_path, {"setup.py": "from setuptools import setup\nkwargs = get()\n" + body}))
    assert meta.opaque and meta.name is None
    assert "version" in meta.dynamic() and "dependencies" in meta.dynamic() and "name" not in meta.dynamic()


def test_a_name_bound_twice_is_computed(tmp_path):
    meta = read_setuptools(write(tmp_path, {"setup.py": """
        from setuptools import setup
        reqs = ["a"]
        if True:
            reqs = ["b"]
        setup(name="x", install_requires=reqs, version="1.0")
    """}))
    assert meta.computed("install_requires") and meta.literal("version") == "1.0"


def test_setup_py_is_never_run(tmp_path):
    root = write(tmp_path, {"setup.py": "open('RAN', 'w').write('x')\nfrom setuptools import setup\nsetup(name='x')\n"})
    read_setuptools(root)
    assert not (root / "RAN").exists()


SETUP_CFG = """
    [metadata]
    name = cfg-lib
    version = attr: cfg_lib.__version__
    summary = Configured
    long_description = file: README.rst
    keywords = one, two
    project_urls =
        Source = https://example.org/src
        Tracker = https://example.org/issues

    [options]
    package_dir =
        = src
    packages = find:
    python_requires = >=3.9
    install_requires =
        requests>=2
        importlib-metadata; python_version < "3.10"
        # a comment

    [options.packages.find]
    where = src

    [options.extras_require]
    socks = pysocks
    all =
        pysocks
        ujson

    [options.entry_points]
    console_scripts =
        cfg-lib = cfg_lib.cli:main
    my.plugins =
        one = cfg_lib.plugins:One
"""


def test_setup_cfg_follows_setuptools_list_rules(tmp_path):
    meta = read_setuptools(write(tmp_path, {"setup.cfg": SETUP_CFG}))
    assert meta.name == "cfg-lib" and meta.computed("version") and meta.computed("long_description")
    assert meta.literal("description") == "Configured"  # summary is an alias
    assert meta.literal("keywords") == ["one", "two"]
    assert meta.literal("install_requires") == ["requests>=2", 'importlib-metadata; python_version < "3.10"']
    assert meta.literal("extras_require") == {"socks": ["pysocks"], "all": ["pysocks", "ujson"]}
    static, dynamic = meta.static_fields()
    assert static["urls"] == {"Source": "https://example.org/src", "Tracker": "https://example.org/issues"}
    assert static["entry-points"] == {"my.plugins": {"one": "cfg_lib.plugins:One"}}
    assert static["scripts"] == {"cfg-lib": "cfg_lib.cli:main"}
    assert dynamic == ["version", "readme", "keywords"]


def test_setup_py_wins_over_setup_cfg(tmp_path):
    root = write(tmp_path, {"setup.cfg": "[metadata]\nname = a\nversion = 1.0\n",
                            "setup.py": "from setuptools import setup\nsetup(version='2.0')\n"})
    meta = read_setuptools(root)
    assert (meta.name, meta.literal("version")) == ("a", "2.0") and meta.origin["version"] == "setup.py"


def test_bad_setup_files_are_errors_naming_the_file(tmp_path):
    with pytest.raises(MigrateError) as exc:
        read_setuptools(write(tmp_path / "a", {"setup.py": "setup(name='x'\n"}))
    assert exc.value.path == "setup.py" and exc.value.line
    with pytest.raises(MigrateError) as exc:
        read_setuptools(write(tmp_path / "b", {"setup.cfg": "[metadata\nname = x\n"}))
    assert exc.value.path == "setup.cfg"


# -- the Pipenv reader on a setuptools-packaged library -------------------------------------------------
PIPFILE = """
    [packages]
    my-lib = {path = ".", editable = true, extras = ["socks"]}
    requests = "*"

    [dev-packages]
    pytest = "*"
"""


def test_pipenv_library_keeps_its_setuptools_metadata(tmp_path):
    root = write(tmp_path / "folder-name", {"setup.py": SETUP_PY, "Pipfile": PIPFILE})
    p = read_pipenv(root)
    assert p.name == "my-lib" and p.version is None and p.package
    assert p.requires_python == ">=3.8"  # python_requires, static; everything else stays setup.py's
    assert p.dynamic == ["version", "description", "readme", "classifiers", "scripts", "dependencies",
                         "optional-dependencies"]
    assert p.dependencies == [] and p.setuptools_files == ["setup.py"]
    assert [d.requirement() for d in p.groups[PACKAGES_GROUP]] == ["my-lib[socks]", "requests"]
    assert p.default_groups == [PACKAGES_GROUP, "dev"]
    assert {w.code for w in p.warnings} == {"MIG110"}


def test_computed_name_needs_the_name_option(tmp_path):
    pipfile = '[packages]\ne1839a8 = {path = ".", editable = true}\n'  # Pipenv's placeholder: no name
    root = write(tmp_path / "x", {"setup.py": "from setuptools import setup\nsetup(name=NAME)\n", "Pipfile": pipfile})
    with pytest.raises(MigrateError) as exc:
        read_pipenv(root)
    assert (exc.value.path, exc.value.key) == ("setup.py", "name") and "--name" in exc.value.hint
    assert read_pipenv(root, name="given").name == "given"


def test_computed_name_from_the_pipfile_self_reference(tmp_path):
    # psf/requests: name=about["__title__"], Pipfile `"requests" = {path = ".", editable = true, extras = ["socks"]}`
    root = write(tmp_path / "x", {"setup.py": "from setuptools import setup\nsetup(name=NAME)\n",
                                  "Pipfile": PIPFILE.replace("my-lib", "the-lib")})
    p = read_pipenv(root)
    assert p.name == "the-lib" and [w.key for w in p.warnings if w.code == "MIG114"] == ["name"]
    assert read_pipenv(root, name="given").name == "given"


def test_requires_python_from_the_lock_meta_or_a_default(tmp_path):
    setup = "from setuptools import setup\nsetup(name='x', version='1')\n"
    root = write(tmp_path / "a", {"setup.py": setup, "Pipfile": '[packages]\nrequests = "*"\n'})
    lock = {"_meta": {"hash": {}, "pipfile-spec": 6, "requires": {"python_version": "3.10"}, "sources": []},
            "default": {}, "develop": {}}
    (root / "Pipfile.lock").write_text(json.dumps(lock))
    p = read_pipenv(root)
    assert p.requires_python == ">=3.10" and {w.code for w in p.warnings} == {"MIG110", "MIG113"}
    (root / "Pipfile.lock").unlink()
    p = read_pipenv(root)
    assert p.requires_python == FALLBACK_REQUIRES_PYTHON
    (w,) = [w for w in p.warnings if w.code == "MIG112"]
    assert "gains this Requires-Python" in w.message


def test_computed_python_requires_stays_dynamic(tmp_path):
    root = write(tmp_path / "a", {"setup.py": "from setuptools import setup\nsetup(name='x', python_requires=PR)\n",
                                  "Pipfile": '[requires]\npython_version = "3.11"\n'})
    p = read_pipenv(root)
    assert p.requires_python is None and "requires-python" in p.dynamic
    assert "MIG111" in {w.code for w in p.warnings}


@pytest.mark.parametrize("change", ["reqs.append('b')", "reqs[0] = 'b'", "extend(reqs)", "del reqs[0]"])
def test_a_name_changed_in_place_is_computed(tmp_path, change):
    meta = read_setuptools(write(tmp_path, {"setup.py": f"""
        from setuptools import setup
        reqs = ["a"]
        {change}
        setup(name="x", install_requires=reqs)
    """}))
    assert meta.computed("install_requires") and meta.static_fields()[0] == {}


def test_written_pyproject_is_valid_and_leaves_setup_py_alone(tmp_path):
    import tomllib

    from validate_pyproject.api import Validator

    from migrate.pipeline import RunOptions, run

    root = write(tmp_path / "lib", {"setup.py": SETUP_PY, "Pipfile": PIPFILE})
    before = (root / "setup.py").read_bytes()
    result = run(root, RunOptions(lock=False, codemods=False, allow_dirty=True))
    assert result.exit_code == 0, result.error
    data = tomllib.loads((root / "pyproject.toml").read_text())
    Validator()(data)
    assert data["build-system"] == {"requires": ["setuptools>=61.0"],
                                    "build-backend": "setuptools.build_meta:__legacy__"}
    assert data["project"] == {"name": "my-lib", "requires-python": ">=3.8", "dynamic": [
        "version", "description", "readme", "classifiers", "scripts", "dependencies", "optional-dependencies"]}
    assert data["dependency-groups"] == {"packages": ["my-lib[socks]", "requests"], "dev": ["pytest"]}
    assert data["tool"]["uv"] == {"default-groups": ["packages", "dev"]}
    assert (root / "setup.py").read_bytes() == before and not (root / "Pipfile").exists()


def test_setup_cfg_alone_gets_the_standard_setuptools_backend(tmp_path):
    import tomllib

    from migrate.pipeline import RunOptions, run

    root = write(tmp_path / "lib", {"setup.cfg": SETUP_CFG, "Pipfile": '[packages]\ncfg-lib = {path = "."}\n'})
    result = run(root, RunOptions(lock=False, codemods=False, allow_dirty=True))
    assert result.exit_code == 0, result.error
    data = tomllib.loads((root / "pyproject.toml").read_text())
    assert data["build-system"]["build-backend"] == "setuptools.build_meta"
    assert data["project"]["requires-python"] == ">=3.9" and "dependency-groups" not in data
