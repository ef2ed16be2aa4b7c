"""The end of a ``migrate`` process (``cli.entry``): Python's exit without its teardown."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_the_fast_exit_joins_threads_runs_exit_handlers_and_flushes_output(tmp_path):
    handler, thread = tmp_path / "handler", tmp_path / "thread"
    code = textwrap.dedent(f"""\
        import atexit, sys, threading, time
        from concurrent.futures import ThreadPoolExecutor
        from migrate.cli import _fast_exit

        atexit.register(lambda: open({str(handler)!r}, "w").write("ran"))
        def late():
            time.sleep(0.3)
            open({str(thread)!r}, "w").write("done")
        threading.Thread(target=late).start()          # not a daemon: the exit waits for it
        ThreadPoolExecutor(2).submit(time.sleep, 0.1)  # a pool never shut down: wound down as at exit
        sys.stdout.write("buffered, not flushed")
        sys.stderr.write("said")
        _fast_exit(3)
        """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 3
    assert (proc.stdout, proc.stderr) == ("buffered, not flushed", "said")
    assert handler.read_text() == "ran" and thread.read_text() == "done"


def test_python_m_migrate_keeps_its_exit_codes_and_messages(tmp_path):
    ok = subprocess.run([sys.executable, "-m", "migrate", "--help"], capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0 and "Usage" in ok.stdout
    bad = subprocess.run([sys.executable, "-m", "migrate", "run", str(tmp_path / "missing")], capture_output=True,
                         text=True, timeout=60)
    assert bad.returncode == 2 and "does not exist" in bad.stderr and "Traceback" not in bad.stderr
    usage = subprocess.run([sys.executable, "-m", "migrate", "--no-such-option"], capture_output=True, text=True,
                           timeout=60)
    assert usage.returncode == 2 and "No such option" in usage.stderr
