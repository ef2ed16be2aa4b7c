"""Interruption: SIGINT/SIGTERM handling, cancellation of worker threads and uv children.

* :func:`install_handlers` (called by ``cli.main``) makes SIGINT raise :class:`KeyboardInterrupt` and
  SIGTERM raise :class:`Terminated` in the main thread, and sets :data:`CANCEL` so worker threads
  (``migrate batch``) stop at their next check, and kills every uv child still running.
* Code that must not be cut in half (a rollback) runs inside :func:`critical`: a signal that arrives
  then is remembered and raised when the block ends.
* Worker threads call :func:`check` between steps; a cancelled worker raises :class:`Interrupted`.
* :func:`spawn` runs a child process (uv) in its own process group so a terminal Ctrl-C reaches only
  migrate, which stops the child itself; a child that died from a signal, or ran while cancelled, is an
  interruption — never a result.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from contextlib import contextmanager
from typing import Any

#: set when the user interrupted the run: every worker stops at its next check
CANCEL = threading.Event()
#: the interruption was already reported to the user (batch prints its own summary)
REPORTED = threading.Event()
#: a journal of this process reached its commit point: an interruption after it changes nothing back
COMMITTED = threading.Event()

_lock = threading.RLock()  # re-entrant: the signal handler may run while the main thread holds it
_children: set[subprocess.Popen] = set()
_critical = threading.local()
_pending: list[int] = []


class Interrupted(BaseException):
    """The run was interrupted (a signal, or the batch was cancelled). Not an ``Exception``: nothing
    that catches ordinary errors may swallow it."""

    def __init__(self, signum: int = signal.SIGINT) -> None:
        self.signum = signum
        super().__init__(signal.Signals(signum).name)

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


class Terminated(Interrupted):
    """SIGTERM in the main thread."""

    def __init__(self) -> None:
        super().__init__(signal.SIGTERM)


def exit_code_for(exc: BaseException) -> int:
    if isinstance(exc, Interrupted):
        return exc.exit_code
    return 130  # KeyboardInterrupt


def _in_critical() -> bool:
    return getattr(_critical, "depth", 0) > 0


def _raise_for(signum: int) -> None:
    if signum == signal.SIGTERM:
        raise Terminated()
    raise Interrupted(signal.SIGINT)  # not KeyboardInterrupt: typer would swallow that silently


def _handler(signum: int, frame: Any) -> None:
    CANCEL.set()
    kill_children()
    if _in_critical():
        _pending.append(signum)
        return
    _raise_for(signum)


def install_handlers() -> None:
    """SIGINT → KeyboardInterrupt, SIGTERM → Terminated; both cancel workers and stop uv children."""
    if threading.current_thread() is not threading.main_thread():
        return
    signal.signal(signal.SIGINT, _handler)
    signal.signal(signal.SIGTERM, _handler)


@contextmanager
def critical():
    """Defer SIGINT/SIGTERM until the block ends (the block itself then finishes)."""
    _critical.depth = getattr(_critical, "depth", 0) + 1
    try:
        yield
    finally:
        _critical.depth -= 1
        if _critical.depth == 0 and _pending and threading.current_thread() is threading.main_thread():
            signum = _pending[0]
            _pending.clear()
            _raise_for(signum)


def check() -> None:
    """Raise :class:`Interrupted` if the run was cancelled (call between steps in worker threads)."""
    if CANCEL.is_set():
        raise Interrupted()


def kill_children() -> None:
    with _lock:
        children = list(_children)
    for proc in children:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError, OSError):
            try:
                proc.kill()
            except OSError:
                pass


class Stopped(Exception):
    """A :class:`Background` child was stopped by its owner (its answer is no longer wanted)."""


class Job:
    """``fn()`` in a daemon thread (an interrupted run does not wait for it at exit); :meth:`result`
    waits in slices, so a signal is handled meanwhile (and, with ``cancellable``, a cancelled batch
    stops the wait), and raises what ``fn`` raised."""

    def __init__(self, fn, cancellable: bool = True) -> None:
        self._out: list = []
        self._cancellable = cancellable

        def work() -> None:
            try:
                self._out.append((fn(), None))
            except BaseException as exc:  # handed to the caller
                self._out.append((None, exc))

        self._thread = threading.Thread(target=work, daemon=True)
        self._thread.start()

    def done(self) -> bool:
        return not self._thread.is_alive()

    def join(self) -> None:
        while self._thread.is_alive():
            self._thread.join(0.1)
            if self._cancellable:
                check()

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the end (a cancelled run stops the wait); True when ended."""
        end = time.monotonic() + timeout
        while self._thread.is_alive() and (left := end - time.monotonic()) > 0:
            self._thread.join(min(0.1, left))
            if self._cancellable:
                check()
        return not self._thread.is_alive()

    def result(self) -> Any:
        self.join()
        value, error = self._out[0]
        if error is not None:
            raise error
        return value


class Background:
    """:func:`spawn` in a :class:`Job`: the child runs while the caller does other work; :meth:`wait`
    gives its result (or raises what :func:`spawn` raised), :meth:`stop` kills it and waits for it to end."""

    def __init__(self, cmd: list[str], *, cwd=None, env=None, timeout: float | None = None) -> None:
        self._stop = threading.Event()
        self.started = time.perf_counter()
        # spawn itself stops the child when the run is cancelled
        self._job = Job(lambda: spawn(cmd, cwd=cwd, env=env, timeout=timeout, stop=self._stop), cancellable=False)

    def done(self) -> bool:
        return self._job.done()

    def wait(self) -> subprocess.CompletedProcess:
        return self._job.result()

    def stop(self) -> None:
        """Kill the child and wait for the thread; its answer or error is dropped (an interruption is
        the main thread's to raise, with its own signal)."""
        self._stop.set()
        self._job.join()


def spawn(cmd: list[str], *, cwd=None, env=None, timeout: float | None = None,
          stop: threading.Event | None = None, on_start=None) -> subprocess.CompletedProcess:
    """Like ``subprocess.run(cmd, capture_output=True, text=True)``, but the child is stopped when the run
    is cancelled, and a child killed by a signal raises :class:`Interrupted` instead of returning. When
    ``stop`` is set, the child is killed and :class:`Stopped` raised. ``on_start()`` is called once the
    child runs (work to do meanwhile)."""
    check()
    wrapper = os.environ.get("MIGRATE_TEST_SPAWN_WRAPPER")  # test hook: a slow or dying child
    if wrapper:
        cmd = [wrapper, *cmd]
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    with _lock:
        _children.add(proc)
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        out: list[str] = []
        err: list[str] = []

        def pump(stream, sink):
            sink.append(stream.read())

        def reap() -> None:
            proc.wait()
            exited.set()

        # the end of the child wakes this thread at once (Popen.wait with a timeout polls, up to 50 ms
        # late); a cancelled run, a stop or the deadline is noticed within a slice
        exited = threading.Event()
        readers = [threading.Thread(target=pump, args=(proc.stdout, out), daemon=True),
                   threading.Thread(target=pump, args=(proc.stderr, err), daemon=True),
                   threading.Thread(target=reap, daemon=True)]
        for t in readers:
            t.start()
        if on_start is not None:
            on_start()
        while True:
            if exited.wait(0.05):
                proc.wait()
                break
            if CANCEL.is_set():
                kill_children()
                proc.wait()
                raise Interrupted()
            if stop is not None and stop.is_set():
                _kill(proc)
                proc.wait()
                raise Stopped()
            if deadline is not None and time.monotonic() > deadline:
                _kill(proc)
                proc.wait()
                raise subprocess.TimeoutExpired(cmd, timeout or 0)
        for t in readers:
            t.join()
    except BaseException:
        _kill(proc)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        raise
    finally:
        with _lock:
            _children.discard(proc)
        for stream in (proc.stdout, proc.stderr):
            try:
                stream.close()
            except (OSError, AttributeError):
                pass
    if proc.returncode < 0 or CANCEL.is_set():
        # killed by a signal (Ctrl-C reached it, the OOM killer, kill -9): not a uv answer
        raise Interrupted(-proc.returncode if proc.returncode < 0 and -proc.returncode in (2, 15) else signal.SIGINT)
    return subprocess.CompletedProcess(cmd, proc.returncode, "".join(out), "".join(err))


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        try:
            proc.kill()
        except OSError:
            pass
