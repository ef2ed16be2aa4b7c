"""The rewritten Makefile, shell and tox commands of real corpus files run with the real uv.

A migrated fixture project (PEP 621 + dependency groups + extras, ``package = false``) is locked offline
against a local wheel folder whose wheels provide fake console tools (pytest, flake8, ruff, …) that
record their arguments. Then the rewritten files run for real: ``make <target>`` with the rewritten
Makefile, the rewritten shell script with bash, and each rewritten tox command line inside a tox-like
active environment. Each fake tool must have been reached through ``uv run``."""

from __future__ import annotations

import base64
import hashlib
import os
import shlex
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from migrate.repofiles.stage import plan_ci

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "ci-corpus"
pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/ci-corpus not present")

TOOLS = ["pytest", "py.test", "flake8", "ruff", "mypy", "coverage", "codespell", "pre-commit", "black", "isort",
         "lint-imports", "ty", "shellcheck"]


def _wheel(folder: Path, name: str, scripts: list[str]) -> None:
    dist = name.replace("-", "_")
    info = f"{dist}-1.0.dist-info"
    body = (
        "import os, sys\n"
        "def main():\n"
        "    log = os.environ.get('FAKE_TOOL_LOG')\n"
        "    if log:\n"
        "        with open(log, 'a') as fh:\n"
        "            fh.write(' '.join([os.path.basename(sys.argv[0])] + sys.argv[1:]) + '\\n')\n"
        "    return 0\n"
    )
    files = {
        f"{dist}/__init__.py": body.encode(),
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n".encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        f"{info}/entry_points.txt": ("[console_scripts]\n" + "".join(f"{s} = {dist}:main\n" for s in scripts)).encode(),
    }
    rec = []
    for p, d in files.items():
        dg = base64.urlsafe_b64encode(hashlib.sha256(d).digest()).rstrip(b"=").decode()
        rec.append(f"{p},sha256={dg},{len(d)}")
    files[f"{info}/RECORD"] = ("\n".join(rec + [f"{info}/RECORD,,"]) + "\n").encode()
    with zipfile.ZipFile(folder / f"{dist}-1.0-py3-none-any.whl", "w") as zf:
        for p, d in files.items():
            zf.writestr(p, d)


PYPROJECT = """\
[project]
name = "fixture-app"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = ["fake-core"]

[project.optional-dependencies]
syntax = ["fake-syntax"]
all = ["fake-syntax"]
redis = ["fake-syntax"]
datamasking = ["fake-syntax"]

[dependency-groups]
dev = ["fake-tools"]
lint = ["fake-tools"]
format = ["fake-tools"]
charm-libs = ["fake-core"]
unit = ["fake-tools"]
integration = ["fake-tools"]

[tool.uv]
package = false
"""


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    import uv

    base = tmp_path_factory.mktemp("uvrun")
    wheels = base / "wheels"
    wheels.mkdir()
    _wheel(wheels, "fake-tools", TOOLS)
    _wheel(wheels, "fake-core", [])
    _wheel(wheels, "fake-syntax", [])
    bindir = base / "bin"
    bindir.mkdir()
    (bindir / "uv").symlink_to(uv.find_uv_bin())
    e = dict(os.environ)
    e.update(
        PATH=f"{bindir}{os.pathsep}{e['PATH']}",
        UV_OFFLINE="1",
        UV_FIND_LINKS=str(wheels),
        UV_NO_INDEX="1",
        UV_PYTHON_DOWNLOADS="never",
        UV_PYTHON=shutil.which("python3") or "python3",
        FAKE_TOOL_LOG=str(base / "tools.log"),
    )
    for k in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT"):
        e.pop(k, None)
    return base, e


def _project(base: Path, env: dict, name: str) -> Path:
    proj = base / name
    proj.mkdir()
    (proj / "pyproject.toml").write_text(PYPROJECT)
    subprocess.run(["uv", "lock"], cwd=proj, env=env, check=True, capture_output=True, timeout=300)
    return proj


def _rewritten(name: str, rel: str, tmp_path: Path) -> str:
    work = tmp_path / "corpus" / name
    shutil.copytree(CORPUS / name, work)
    result = plan_ci(work)
    result.changes.apply()
    text = (work / rel).read_text()
    assert "poetry run" not in text and "pipenv run" not in text or rel == "Makefile"
    return text


def _log(env) -> list[str]:
    p = Path(env["FAKE_TOOL_LOG"])
    lines = p.read_text().splitlines() if p.exists() else []
    p.unlink(missing_ok=True)
    return lines


def _make(proj: Path, env: dict, *targets: str) -> subprocess.CompletedProcess:
    return subprocess.run(["make", *targets], cwd=proj, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_requests_makefile_targets_run_with_uv(env, tmp_path):
    base, e = env
    proj = _project(base, e, "requests")
    (proj / "Makefile").write_text(_rewritten("psf__requests", "Makefile", tmp_path))
    proc = _make(proj, e, "ci", "flake8", "coverage")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    log = _log(e)
    assert log[0].startswith("py.test -n 8 --boxed") and log[1].startswith("flake8 --ignore=E501") and log[2].startswith("py.test --cov-config")


@pytest.mark.slow
def test_wemake_makefile_variable_runs_uv(env, tmp_path):
    base, e = env
    proj = _project(base, e, "wemake")
    (proj / "Makefile").write_text(_rewritten("wemake-services__wemake-python-styleguide", "Makefile", tmp_path))
    proc = _make(proj, e, "format", "type-check", "unit", "package")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _log(e) == ["ruff format", "ruff check", "mypy wemake_python_styleguide scripts", "pytest"]


@pytest.mark.slow
def test_textual_makefile_run_variable_and_install(env, tmp_path):
    base, e = env
    proj = _project(base, e, "textual")
    text = _rewritten("Textualize__textual", "Makefile", tmp_path)
    assert text.startswith("run := uv run\n")
    (proj / "Makefile").write_text(text)
    proc = _make(proj, e, "setup")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (proj / ".venv" / "lib").exists()
    proc = _make(proj, e, "test")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert any(l.startswith("pytest") for l in _log(e))


@pytest.mark.slow
def test_postcreate_shell_script_runs_with_uv(env, tmp_path):
    base, e = env
    proj = _project(base, e, "devcontainer")
    script = proj / "postCreate.sh"
    script.write_text(_rewritten("fpgmaas__cookiecutter-poetry", ".devcontainer/postCreateCommand.sh", tmp_path))
    proc = subprocess.run(["bash", str(script)], cwd=proj, env=e, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _log(e) == ["pre-commit install --install-hooks"]


@pytest.mark.slow
def test_entrypoint_shell_script_runs_with_uv(env, tmp_path):
    base, e = env
    proj = _project(base, e, "entrypoint")
    (proj / "manage.py").write_text("import sys\nopen('manage.log', 'a').write(' '.join(sys.argv[1:]) + '\\n')\n")
    script = proj / "entrypoint.sh"
    script.write_text(_rewritten("mauahuma__ProyectoSigloXXI", "api/entrypoint.sh", tmp_path))
    proc = subprocess.run(["bash", str(script)], cwd=proj, env=e, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (proj / "manage.log").read_text().splitlines() == [
        "makemigrations", "migrate", "createsuperuser --no-input", "runserver 0.0.0.0:8000"]


def _tox_commands(ini: str, section: str) -> list[str]:
    import configparser

    cp = configparser.ConfigParser(interpolation=None, strict=False)
    cp.read_string(ini)
    out = []
    for key in ("commands_pre", "commands"):
        raw = cp.get(section, key, fallback="")
        raw = raw.replace("\\\n", " ")
        out += [l.strip() for l in raw.splitlines() if l.strip()]
    return out


@pytest.mark.slow
@pytest.mark.parametrize("name,section,expect", [
    ("canonical__postgresql-operator", "testenv:unit", ["coverage run", "coverage report", "coverage xml"]),
    ("canonical__postgresql-operator", "testenv:format", ["ruff check --fix", "ruff format"]),
    ("meltano__meltano", "testenv:lint", ["black --check --diff", "isort --check-only --diff", "flake8 --statistics"]),
])
def test_tox_commands_run_in_an_active_env(env, tmp_path, name, section, expect):
    """As tox does: its own virtualenv is active, each command line runs without a shell."""
    base, e = env
    proj = _project(base, e, f"tox-{name}-{section.split(':')[1]}")
    ini = _rewritten(name, "tox.ini", tmp_path)
    toxenv = proj / ".tox" / "env"
    subprocess.run(["uv", "venv", str(toxenv)], cwd=proj, env=e, check=True, capture_output=True)
    te = dict(e, VIRTUAL_ENV=str(toxenv))
    for line in _tox_commands(ini, section):
        line = line.replace("{posargs: src/ tests/}", "src/ tests/").replace("{posargs}", "")
        line = line.replace("{[vars]all_path}", "src").replace("{[vars]src_path}", "src").replace(
            "{[vars]scripts_path}", "scripts").replace("{[vars]tests_path}", "tests")
        argv = shlex.split(line)
        assert argv[0] == "uv", line
        proc = subprocess.run(argv, cwd=proj, env=te, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, f"{line}\n{proc.stdout}{proc.stderr}"
    log = _log(e)
    for want, got in zip(expect, log):
        assert got.startswith(want), (want, got)
    # Poetry installed into tox's environment: so does uv (--active), not into .venv
    assert list(toxenv.glob("lib/python*/site-packages/fake_tools"))
