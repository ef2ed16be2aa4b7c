"""poetry.lock [[package]] → package metadata (Requires-Dist, Provides-Extra, Requires-Python), as the
offline corpus test's wheels carry it."""

from __future__ import annotations

import tomllib

from packaging.requirements import Requirement

from migrate.readers.poetry import locked_metadata

LOCK = '''
[[package]]
name = "aiohttp"
version = "3.9.0"
python-versions = ">=3.8"

[package.dependencies]
aiosignal = ">=1.1.2"
async-timeout = {version = ">=4.0,<5.0", markers = "python_version < \\"3.11\\""}
Brotli = {version = "*", optional = true, markers = "platform_python_implementation == \\"CPython\\""}
aiodns = {version = "^3.0", optional = true}
typing-extensions = {version = "^4.0", python = "<3.8"}
cchardet = [
    {version = "^2.1", platform = "linux"},
    {version = "^2.0", platform = "win32"},
]

[package.extras]
speedups = ["Brotli ; platform_python_implementation == \\"CPython\\"", "aiodns (>=3.0)", "cffi (>=1.0)"]
'''


def test_dependencies_extras_and_python_versions():
    pkg = tomllib.loads(LOCK)["package"][0]
    requires, extras, python = locked_metadata(pkg)
    reqs = [Requirement(r) for r in requires]
    assert python == ">=3.8"
    assert extras == ["speedups"]
    plain = {str(r) for r in reqs if r.marker is None or "extra" not in str(r.marker)}
    assert plain == {
        "aiosignal>=1.1.2",
        'async-timeout<5.0,>=4.0; python_version < "3.11"',
        'typing-extensions<5.0,>=4.0; python_version < "3.8"',
        'cchardet<3.0,>=2.1; sys_platform == "linux"',
        'cchardet<3.0,>=2.0; sys_platform == "win32"',
    }
    speedups = {r.name: r for r in reqs if r.marker is not None and "extra" in str(r.marker)}
    assert set(speedups) == {"Brotli", "aiodns", "cffi"}
    env = {"extra": "speedups", "platform_python_implementation": "CPython"}
    assert all(r.marker.evaluate(env) for r in speedups.values())
    assert not speedups["Brotli"].marker.evaluate({"extra": "speedups", "platform_python_implementation": "PyPy"})
    assert not speedups["aiodns"].marker.evaluate({"extra": ""})
    assert str(speedups["aiodns"].specifier) == "<4.0,>=3.0"  # the dependency table's ^3.0, not the extras list
    assert str(speedups["cffi"].specifier) == ">=1.0"  # only in the extras list
    # an optional dependency is required only through its extra
    assert not any(r.name == "aiodns" and (r.marker is None or "extra" not in str(r.marker)) for r in reqs)


def test_no_python_versions_or_star_means_none():
    assert locked_metadata({"name": "x", "version": "1", "python-versions": "*"})[2] is None
    assert locked_metadata({"name": "x", "version": "1"}) == ([], [], None)
