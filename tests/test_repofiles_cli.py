"""`migrate ci`: dry-run writes nothing, apply is all-or-nothing, exit codes, JSON, CRLF kept, translator cases."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from migrate.repofiles.commands import translate_shell
from migrate.repofiles.info import RepoInfo, repo_info


def _migrate(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "migrate", *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def _repo(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.poetry]\nname = "x"\nversion = "0.1.0"\n\n[[tool.poetry.source]]\nname = "corp-pypi"\nurl = "https://example.invalid/simple"\n'
        '\n[tool.poetry.group.docs]\noptional = true\n[tool.poetry.group.docs.dependencies]\nsphinx = "*"\n'
    )
    wf = tmp_path / ".github" / "workflows"
    wf.mkdir(parents=True)
    (wf / "ci.yml").write_bytes(
        b"on: push\r\njobs:\r\n  t:\r\n    runs-on: ubuntu-latest\r\n    env:\r\n      POETRY_HTTP_BASIC_CORP_PYPI_PASSWORD: ${{ secrets.X }}  # token\r\n"
        b"    steps:\r\n      - run: |\r\n          poetry install --with docs\r\n          poetry run pytest  # tests\r\n"
    )
    (tmp_path / "CHANGELOG.md").write_text("- moved to `poetry install`\n")
    return tmp_path


def test_dry_run_writes_nothing_then_apply(tmp_path):
    root = _repo(tmp_path)
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    proc = _migrate("ci", str(root), "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert "+          uv sync --locked --group docs" in proc.stdout
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before
    proc = _migrate("ci", str(root), "--allow-dirty")
    assert proc.returncode == 0, proc.stderr
    new = (root / ".github/workflows/ci.yml").read_bytes()
    assert new.count(b"\r\n") == new.count(b"\n")  # CRLF stays CRLF
    assert b"UV_INDEX_CORP_PYPI_PASSWORD: ${{ secrets.X }}  # token" in new
    assert b"uv run pytest  # tests" in new
    assert (root / "CHANGELOG.md").read_text() == "- moved to `poetry install`\n"
    assert _migrate("ci", str(root)).returncode == 0  # second run: nothing to change
    assert (root / ".github/workflows/ci.yml").read_bytes() == new


def test_json_and_missing_path(tmp_path):
    root = _repo(tmp_path)
    proc = _migrate("ci", str(root), "--dry-run", "--format", "json")
    data = json.loads(proc.stdout)
    assert data["status"] == "would-change"
    codes = {(w["code"], w["key"]) for w in data["warnings"]}
    assert ("MIG310", "line 9") in codes and ("MIG315", "line 6") in codes
    proc = _migrate("ci", str(tmp_path / "nope"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_dirty_git_tree_is_refused(tmp_path):
    root = _repo(tmp_path)
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    before = (root / ".github/workflows/ci.yml").read_bytes()
    proc = _migrate("ci", str(root))
    assert proc.returncode == 2
    assert (root / ".github/workflows/ci.yml").read_bytes() == before


@pytest.mark.parametrize("src,want", [
    ("poetry install --only main,a,b", "uv sync --locked --no-default-groups --group a --group b"),
    ("poetry install --only docs", "uv sync --locked --only-group docs"),
    ("poetry install --without dev --no-root", "uv sync --locked --no-dev --no-install-project"),
    # adriangb/python-monorepo's Dockerfile caches the third-party layer before copying the members
    ("poetry install --only app --no-root --no-directory", "uv sync --frozen --only-group app --no-install-local"),
    ("poetry install --no-directory", "poetry install --no-directory"),  # the package itself: uv would skip it
    ("poetry export -f requirements.txt --without-hashes | pip install -r /dev/stdin",
     "uv export --format requirements.txt --no-dev --no-hashes --no-emit-project | pip install -r /dev/stdin"),
    ("pipenv install --deploy", "uv sync --locked --no-dev"),
    ("pipenv lock -r > req.txt", "uv export --frozen --no-dev --no-emit-project --format requirements.txt --no-hashes > req.txt"),
    ("poetry check --lock && poetry build", "uv lock --check && uv build"),
    ("pip install poetry-dynamic-versioning", "pip install poetry-dynamic-versioning"),
    ("poetry add requests", "poetry add requests"),
    ("poetry install --frobnicate", "poetry install --frobnicate"),
    ("echo 'run poetry install'", "echo 'run poetry install'"),
    ("if ! command -v poetry >/dev/null; then pip install poetry; fi",
     "if ! command -v uv >/dev/null; then pip install uv; fi"),
    ("cat <<EOF > notes.txt && poetry install\npoetry run y\nEOF\n", "cat <<EOF > notes.txt && uv sync --locked\npoetry run y\nEOF\n"),
    ("VIRTUAL_ENV=$READTHEDOCS_VIRTUALENV_PATH poetry install --with docs",
     "UV_PROJECT_ENVIRONMENT=$READTHEDOCS_VIRTUALENV_PATH uv sync --locked --group docs"),
    ("VIRTUAL_ENV=/x python app.py", "VIRTUAL_ENV=/x python app.py"),
    ("python -m venv /opt/venv && . /opt/venv/bin/activate && poetry install",
     "python -m venv /opt/venv && . /opt/venv/bin/activate && uv sync --locked --active"),
    ("bash -c 'poetry run pytest -x'", "bash -c 'uv run pytest -x'"),
    ("poetry run pip install -U pip", "uv pip install -U pip"),
    ("pipenv run pip freeze > req.txt", "uv pip freeze > req.txt"),
    ("poetry publish --build -u __token__ -p $TOKEN", "uv build && uv publish --username __token__ --password $TOKEN"),
    ("poetry version -s", "uv version --short"),
    ("pip install --upgrade pip poetry poetry-plugin-export", "pip install --upgrade pip uv"),
    ("pip install poetry poetry-exec-plugin", "pip install uv poetry-exec-plugin"),
    ("poetry config pypi-token.pypi $TOKEN\npoetry publish", "export UV_PUBLISH_TOKEN=$TOKEN\nuv publish"),
    ("curl -sSL https://install.python-poetry.org | POETRY_HOME=/opt/poetry python && ln -s /opt/poetry/bin/poetry",
     "curl -LsSf https://astral.sh/uv/install.sh | sh"),
])
def test_translator_cases(src, want):
    assert translate_shell(src, RepoInfo(Path("."))).text == want


def test_uv_flags_exist_in_installed_uv():
    """Every uv flag the translator emits is in `uv <cmd> --help` of the installed uv."""
    import re

    import uv

    emitted = {
        "sync": ["--locked", "--frozen", "--no-install-project", "--no-install-local", "--group", "--no-default-groups", "--only-group",
                 "--extra", "--all-extras", "--no-dev", "--no-group", "--active", "--python", "--upgrade",
                 "--upgrade-package", "--compile-bytecode", "--dry-run"],
        "export": ["--format", "--no-dev", "--no-hashes", "--no-emit-project", "--no-emit-local", "--output-file", "--frozen",
                   "--locked", "--group", "--only-dev"],
        "lock": ["--check", "--upgrade"], "build": ["--sdist", "--wheel", "--out-dir"],
        "publish": ["--username", "--password", "--index", "--dry-run"],
        "version": ["--bump", "--short", "--no-sync", "--dry-run"], "run": ["--active", "--python"],
    }
    for cmd, flags in emitted.items():
        out = subprocess.run([uv.find_uv_bin(), cmd, "--help"], capture_output=True, text=True).stdout
        for f in flags:
            assert re.search(rf"(^|\s){re.escape(f)}[\s,=<]", out), f"uv {cmd} {f}"
    out = subprocess.run([uv.find_uv_bin(), "pip", "install", "--help"], capture_output=True, text=True).stdout
    assert "--system" in out and "--requirements" in out


def test_index_names_come_from_metadata(tmp_path):
    root = _repo(tmp_path)
    assert repo_info(root).env_name("CORP_PYPI") == "CORP_PYPI"
    assert repo_info(root).default_groups == []


def test_add_ft_ci_adds_one_job_where_the_tests_run(tmp_path):
    import shutil

    import yaml

    corpus = Path(__file__).resolve().parents[2] / "shared" / "ci-corpus" / "nsidnev__fastapi-realworld-example-app"
    if not corpus.is_dir():
        pytest.skip("ci-corpus not present")
    root = tmp_path / "r"
    shutil.copytree(corpus, root)
    from migrate.repofiles.stage import plan_ci

    res = plan_ci(root, add_ft_ci=True)
    res.changes.apply()
    wf = yaml.safe_load((root / ".github/workflows/tests.yml").read_text())
    job = wf["jobs"]["lint-free-threaded"]
    setup = [s for s in job["steps"] if str(s.get("uses", "")).startswith("astral-sh/setup-uv")][0]
    assert setup["with"]["python-version"] == "3.13t"
    assert job["services"]["postgres"]["image"] == "postgres:11.5-alpine"
    assert job["steps"][-1]["run"].splitlines() == ["uv run alembic upgrade head", "uv run ./scripts/test"]
    assert job["steps"][-1]["env"]["SECRET_KEY"] == "secret_key"
    conduit = yaml.safe_load((root / ".github/workflows/conduit.yml").read_text())
    assert not any(k.endswith("free-threaded") for k in conduit["jobs"])  # one job, in the tests workflow
    assert [w.code for w in res.warnings].count("MIG326") == 1
    # again: the job is there, nothing more is added
    res2 = plan_ci(root, add_ft_ci=True)
    assert ".github/workflows/tests.yml" not in {c.path.relative_to(root.resolve()).as_posix() for c in res2.changes.changes}


def test_tox_in_pyproject_native_and_legacy(tmp_path):
    import tomllib

    from migrate.repofiles import tox

    native = ('[tool.tox.env_run_base]\nallowlist_externals = ["poetry"]\n'
              'commands = [["poetry", "run", "pytest", "{posargs}"]]\n')
    new, notes = tox.rewrite_pyproject(native, RepoInfo(tmp_path))
    env = tomllib.loads(new)["tool"]["tox"]["env_run_base"]
    assert env == {"allowlist_externals": ["uv"], "commands": [["uv", "run", "--active", "pytest", "{posargs}"]]}
    legacy = '[tool.tox]\nlegacy_tox_ini = """\n[testenv]\ncommands = poetry run pytest\n"""\n'
    new, _ = tox.rewrite_pyproject(legacy, RepoInfo(tmp_path))
    assert "commands = uv run --active pytest\n" in tomllib.loads(new)["tool"]["tox"]["legacy_tox_ini"]


def test_poetry_pre_commit_hooks(tmp_path):
    import yaml

    from migrate.repofiles import precommit

    text = ("repos:\n  - repo: https://github.com/python-poetry/poetry\n    rev: '1.8.0'\n    hooks:\n"
            "      - id: poetry-check\n      - id: poetry-lock\n        args: [\"--no-update\"]\n"
            "      - id: poetry-export\n        args: [\"-f\", \"requirements.txt\", \"-o\", \"req.txt\"]\n")
    new, _ = precommit.rewrite(text, RepoInfo(tmp_path))
    repo = yaml.safe_load(new)["repos"][0]
    assert repo["repo"] == "https://github.com/astral-sh/uv-pre-commit"
    assert [h["id"] for h in repo["hooks"]] == ["uv-lock", "uv-export"]
    assert repo["hooks"][1]["args"] == ["--format", "requirements.txt", "--no-dev", "--output-file", "req.txt"]
    # poetry-install has no hook: reported, file unchanged
    text2 = text.replace("poetry-check", "poetry-install")
    assert precommit.rewrite(text2, RepoInfo(tmp_path))[0] == text2


def test_dockerfile_system_install_and_env(tmp_path):
    from migrate.repofiles import dockerfile

    d = ("FROM python:3.12\nENV POETRY_VERSION=1.8.3 \\\n    POETRY_VIRTUALENVS_CREATE=false\n"
         "RUN pip install poetry==$POETRY_VERSION\nCOPY pyproject.toml poetry.lock ./\n"
         "RUN poetry install --only main --no-root\n")
    new, _ = dockerfile.rewrite(d, RepoInfo(tmp_path))
    assert new == ("FROM python:3.12\nRUN pip install uv\nCOPY pyproject.toml uv.lock ./\n"
                   "RUN uv export --locked --no-default-groups --no-hashes --no-emit-project | uv pip install --system -r -\n")


def test_travis_and_pipenv_scripts_reported_with_uv_run_line(tmp_path):
    (tmp_path / "Pipfile").write_text('[packages]\nrequests = "*"\n\n[scripts]\ntests = "pytest -v"\n')
    (tmp_path / ".travis.yml").write_text(
        'language: python\ninstall:\n  - "pip install pipenv"\n  - "pipenv install --dev"\nscript:\n  - "pipenv run tests"\n'
    )
    from migrate.repofiles.stage import plan_ci

    res = plan_ci(tmp_path)
    new = res.changes.current(".travis.yml").decode()
    assert '  - "pip install uv"\n  - "uv sync"\n' in new and '"pipenv run tests"' in new
    msgs = [w.message for w in res.warnings if w.code == "MIG320"]
    assert any("`uv run pytest -v`" in m for m in msgs)


def test_uv_migrate_console_script():
    """`uvx uv-migrate …` / `pipx run uv-migrate …` run the script named like the distribution."""
    import tomllib

    py = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
    assert py["project"]["name"] == "uv-migrate"
    assert py["project"]["scripts"]["uv-migrate"] == py["project"]["scripts"]["migrate"]
    script = Path(sys.executable).parent / "uv-migrate"
    if not script.exists():
        pytest.skip("environment not re-synced since the script was added")
    proc = subprocess.run([str(script), "ci", "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "--add-ft-ci" in proc.stdout


def test_dockerfile_no_directory_layer_before_the_sources(tmp_path):
    from migrate.repofiles import dockerfile

    d = ("FROM python:3.10\nENV POETRY_VIRTUALENVS_CREATE=false\nRUN pip install poetry\n"
         "COPY pyproject.toml poetry.lock ./\nRUN poetry install --only app --no-directory\n"
         "COPY app/ app/\nRUN poetry install --only app\n")
    info = RepoInfo(tmp_path, package=False)  # a virtual root (package-mode = false)
    new, _ = dockerfile.rewrite(d, info)
    assert ("RUN uv export --frozen --only-group app --no-hashes --no-emit-project --no-emit-local | "
            "uv pip install --system -r -\n") in new
    assert "poetry install" not in new  # no Poetry command is left where Poetry is no longer installed


def test_dockerfile_cache_mount_and_multi_stage(tmp_path):
    from migrate.repofiles import dockerfile

    d = ("FROM python:3.12 AS build\nRUN pip install poetry\nCOPY pyproject.toml poetry.lock ./\n"
         "RUN --mount=type=cache,target=/root/.cache/pypoetry poetry install --no-root --only main\n"
         "FROM python:3.12\nCOPY --from=build /app/.venv /app/.venv\nCMD [\"poetry\", \"run\", \"app\"]\n")
    new, notes = dockerfile.rewrite(d, RepoInfo(tmp_path))
    assert new == ("FROM python:3.12 AS build\nRUN pip install uv\nCOPY pyproject.toml uv.lock ./\n"
                   "RUN --mount=type=cache,target=/root/.cache/uv uv sync --locked --no-default-groups --no-install-project\n"
                   "FROM python:3.12\nCOPY --from=build /app/.venv /app/.venv\nCMD [\"uv\", \"run\", \"app\"]\n")
