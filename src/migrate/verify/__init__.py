"""Verify: prove a migrated project on a real free-threaded interpreter.

``interpreter`` finds the target (and a GIL baseline), ``env`` syncs ``uv.lock`` into a throw-away
environment, ``imports`` imports every top-level module one at a time in fresh subprocesses and notes
which one re-enables the GIL, ``testrun`` runs the project's tests on both builds, ``runtime`` checks
candidate versions for the lock stage and the ``deps`` command, ``command`` is ``migrate verify``.
"""
