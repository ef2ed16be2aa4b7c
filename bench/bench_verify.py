"""`migrate verify` (sync + per-module import check + one test run) against its peer: plain
`uv sync --frozen` into a fresh environment + `python -m pytest`, on the same free-threaded interpreter,
same project, same warm uv cache, in the same run. Goal: ratio <= 1.5.

The project is mid-size and real: ~20 distributions from PyPI (pure and native with cp313t wheels:
markupsafe, charset-normalizer, ...; PyYAML 6.0.4 has no cp313t wheel: uv builds it once, then takes
it from its cache, and verify reports it as built from source) and 60 tests. Needs PyPI once (for
`uv lock` and the cache) and $MIGRATE_FT_PYTHON (or an installed python3.13t).

Ours runs in a fresh Python process (verify() without the GIL-build baseline, which the command line always
looks for), so our own start-up and imports count. Wall time depends on the other load of the machine (the
import check uses a second CPU while the tests run): the CPU seconds of each side (process + children) are
printed too, and the load average.

    uv run python bench/bench_verify.py [ROUNDS]
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

DEPS = ["attrs", "click", "rich", "requests", "pyyaml", "jinja2", "markupsafe", "charset-normalizer",
        "packaging", "idna", "certifi", "urllib3", "pygments", "markdown-it-py", "mdurl", "tomli-w",
        "python-dateutil", "six"]

TESTS = '''
import json, re
import pytest
import yaml, jinja2, markupsafe, click, attrs, packaging.version, dateutil.parser, rich.text


@pytest.mark.parametrize("n", range(20))
def test_yaml_round_trip(n):
    data = {"n": n, "items": list(range(n))}
    assert yaml.safe_load(yaml.safe_dump(data)) == data


@pytest.mark.parametrize("n", range(20))
def test_template(n):
    assert jinja2.Template("{{ x|e }}").render(x="<%d>" % n) == "&lt;%d&gt;" % n


@pytest.mark.parametrize("v", ["1.0", "2.0rc1", "1!3.0", "0.9.post1"] * 5)
def test_versions(v):
    assert str(packaging.version.Version(v)) == v
'''


def ft_python() -> str:
    sys.path.insert(0, str(REPO / "src"))
    from migrate.verify.interpreter import find

    return find("3.13t", REPO, [], allow_install=False).path


def make_project(root: Path, python: str) -> None:
    root.mkdir()
    (root / "pyproject.toml").write_text(
        '[project]\nname = "benchapp"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n'
        f"dependencies = {DEPS!r}\n\n[dependency-groups]\ndev = [\"pytest\"]\n\n[tool.uv]\npackage = false\n"
        .replace("'", '"'))
    (root / "benchapp").mkdir()
    (root / "benchapp" / "__init__.py").write_text("import yaml, jinja2\n")
    (root / "tests").mkdir()
    (root / "tests" / "test_app.py").write_text(TESTS)
    subprocess.run([uv(), "lock", "--python", python], cwd=root, check=True, capture_output=True)


def uv() -> str:
    from migrate.lock.lock import uv_bin

    return uv_bin()


def cpu() -> float:
    """CPU seconds used so far by this process and its finished children (load-independent)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def peer(root: Path, python: str) -> float:
    env = dict(os.environ, UV_NO_PROGRESS="1")
    env.pop("PYTHON_GIL", None)
    with tempfile.TemporaryDirectory() as tmp:
        env["UV_PROJECT_ENVIRONMENT"] = str(Path(tmp) / "env")
        start = time.perf_counter()
        subprocess.run([uv(), "sync", "--frozen", "--python", python], cwd=root, env=env, check=True,
                       capture_output=True)
        subprocess.run([str(Path(tmp) / "env" / "bin" / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                       cwd=root, env=env, check=True, capture_output=True)
        return time.perf_counter() - start


_OURS = """
import json, sys
from pathlib import Path
from migrate.verify.command import VerifyOptions, verify
report = verify(Path(sys.argv[1]), VerifyOptions(python=sys.argv[2], tests=True, baseline=sys.argv[3] == "1"))
print(json.dumps(report.to_json()))
"""


def ours(root: Path, python: str, baseline: bool) -> tuple[float, dict]:
    """`migrate verify` as a user runs it: a fresh process, so our own start-up and imports count (the
    command line has no switch for "no GIL baseline", hence verify() in a fresh interpreter)."""
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _OURS, str(root), python, "1" if baseline else "0"],
                          capture_output=True, text=True, check=True, env=dict(os.environ, PYTHONPATH=str(REPO / "src")))
    return time.perf_counter() - start, json.loads(proc.stdout)


def main() -> int:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    try:
        python = ft_python()
    except LookupError as exc:
        print("no free-threaded interpreter:", exc)
        return 0
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "benchapp"
        make_project(root, python)
        peer(root, python)  # warm the uv cache for both
        p_times, o_times, full_times, p_cpu, o_cpu = [], [], [], [], []
        report = None
        for _ in range(rounds):
            c = cpu()
            p_times.append(peer(root, python))
            p_cpu.append(cpu() - c)
            c = cpu()
            t, report = ours(root, python, baseline=False)
            o_cpu.append(cpu() - c)
            o_times.append(t)
        t_full, full = ours(root, python, baseline=True)
        full_times.append(t_full)
    p, o = statistics.median(p_times), statistics.median(o_times)
    print(f"project: {len(DEPS)} dependencies, {len(report['imports'])} modules imported one at a time, "
          f"{report['tests']['ft']['passed']} tests; interpreter {python}; {os.cpu_count()} CPUs")
    print(f"peer  uv sync --frozen + pytest            median {p:6.2f} s  {['%.2f' % x for x in p_times]}"
          f"  CPU {['%.2f' % x for x in p_cpu]}")
    print(f"ours  migrate verify (imports + 1 test run) median {o:6.2f} s  {['%.2f' % x for x in o_times]}"
          f"  CPU {['%.2f' % x for x in o_cpu]}")
    ratios = [a / b for a, b in zip(o_times, p_times)]
    print(f"ratio ours/peer: {o / p:.2f}x wall (goal <= 1.5x; per round {['%.2f' % r for r in ratios]}); "
          f"CPU seconds {statistics.median(o_cpu):.2f} vs {statistics.median(p_cpu):.2f} = "
          f"{statistics.median(o_cpu) / statistics.median(p_cpu):.2f}x; load average {load_before:.1f} at the "
          f"start, {os.getloadavg()[0]:.1f} at the end")
    print(f"  of which (last round): uv sync {report['sync']['seconds']:.2f} s, test run "
          f"{report['tests']['ft']['seconds']:.2f} s (import check at the same time)")
    print(f"with the GIL-build baseline run too: {t_full:.2f} s ({t_full / p:.2f}x; {full['baseline_note']})")
    print(f"verdict on the bench project: {report['verdict']} {report['reasons']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
