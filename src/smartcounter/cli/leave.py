"""Leaving the process when a command is done: at once, without tearing the interpreter down.

When Python exits normally it takes every module apart and frees every object one by one.
After a command that loaded DuckDB, pydantic and the settings that costs 50–100 ms: a fifth
of a ``rates`` run that a bank's script may call hundreds of times. A finished command has
nothing left to do but what ``atexit`` holds (logging's last flush, Spark's stop, the
children of multiprocessing) and the output still in its buffers, so :func:`leave` does
exactly that and ends the process.

Should another Python thread still run, the process leaves the usual way, which waits for
it.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from typing import NoReturn

# Python's own status when standard output cannot be flushed at exit (e.g. ``| head``).
FLUSH_FAILED = 120


def exit_status(code: object) -> int:
    """The process status of ``SystemExit(code)``, as Python gives it: none is 0, a number
    is itself, anything else is printed on standard error and is 1."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def leave(code: object) -> NoReturn:
    """End the process with the status of ``SystemExit(code)``, once ``atexit`` has run and
    standard output and error are flushed."""
    status = exit_status(code)
    if threading.active_count() > 1:
        sys.exit(status)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        if stream is None or stream.closed:  # closed by the command: nothing left in it
            continue
        try:
            stream.flush()
        except OSError:  # a closed pipe (``| head``): what is left cannot be written
            status = status or FLUSH_FAILED
    os._exit(status & 0xFF)  # what the system keeps of any status
