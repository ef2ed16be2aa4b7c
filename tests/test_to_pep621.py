"""--to-pep621: exact static fields, moved (removed from setup.py / setup.cfg), the rest stays dynamic."""

from __future__ import annotations

import textwrap
import tomllib

from migrate.pipeline import RunOptions, run
from migrate.to_pep621 import _strip_setup_cfg, _strip_setup_py


def test_setup_cfg_options_and_sections_are_removed_with_their_continuation_lines():
    text = textwrap.dedent("""\
        [metadata]
        name = x
        summary = kept? no: moved
        classifier =
            A :: B
        # a comment stays

        [options]
        install_requires =
            a
            b
        zip_safe = False

        [options.extras_require]
        s = c
    """)
    out = _strip_setup_cfg(text, {"description", "classifiers", "install_requires", "extras_require"})
    assert out == textwrap.dedent("""\
        [metadata]
        name = x
        # a comment stays

        [options]
        zip_safe = False

    """)


def test_setup_py_keywords_are_removed_and_the_rest_is_untouched():
    text = 'from setuptools import setup\n\n# hi\nsetup(\n    name="x",  # keep\n    version="1.0",\n    install_requires=["a"]\n)\n'
    out = _strip_setup_py(text, {"version", "install_requires"})
    assert out == 'from setuptools import setup\n\n# hi\nsetup(\n    name="x",  # keep\n    )\n'
    compile(out, "setup.py", "exec")


def test_opaque_setup_py_moves_nothing(tmp_path):
    (tmp_path / "setup.py").write_text("from setuptools import setup\nsetup(name='x', version='1.0', **extra)\n")
    (tmp_path / "Pipfile").write_text('[requires]\npython_version = "3.11"\n')
    result = run(tmp_path, RunOptions(lock=False, codemods=False, allow_dirty=True, to_pep621=True))
    assert result.exit_code == 0, result.error
    data = tomllib.loads((tmp_path / "pyproject.toml").read_text())
    assert "version" in data["project"]["dynamic"] and "version" not in data["project"]
    assert "version='1.0'" in (tmp_path / "setup.py").read_text()
