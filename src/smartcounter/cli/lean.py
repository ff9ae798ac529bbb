"""A lean start for the command line, and the way back to how Python runs a process.

While the command line loads its modules and reads its options, two things of Python's
cost a short command a tenth of its time and give it nothing:

* the cyclic garbage collector, which walks every new object every few hundred: loading
  modules makes no garbage worth looking for;
* pydantic's search for plugins, which reads the metadata of every installed package.

:func:`start_lean` turns both off; :func:`as_usual` turns both back on, once a command that
may run long starts (cli/app.py), or a short one opens Spark, whose objects refer to each
other in cycles. A variable ``PYDANTIC_DISABLE_PLUGINS`` that the user set is left alone.
"""

from __future__ import annotations

import gc
import os

PLUGINS_VARIABLE = "PYDANTIC_DISABLE_PLUGINS"
_set_by_us: list[bool] = []


def start_lean() -> None:
    """No cyclic garbage collection, no pydantic plugin search (unless the user set it)."""
    if PLUGINS_VARIABLE not in os.environ:
        os.environ[PLUGINS_VARIABLE] = "__all__"
        _set_by_us.append(True)
    gc.disable()


def as_usual() -> None:
    """Python's usual process from here on: what was loaded until now is kept to the end
    and never examined again (``gc.freeze``), new objects are collected, and processes
    started from here (a web server's workers) see the environment as the user left it."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()
    if _set_by_us:
        _set_by_us.clear()
        os.environ.pop(PLUGINS_VARIABLE, None)
