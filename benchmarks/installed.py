"""The package as an installation has it: every module compiled to bytecode.

Installing from a wheel compiles each module once (pip does); an editable install run with
``PYTHONDONTWRITEBYTECODE`` set would compile the package's modules again on every run of
the command line (40–100 ms of a ``rates`` run), which no installed copy pays. Benchmarks
that time whole commands call :func:`compile_package` first. A module changed since is simply
compiled again in memory: Python checks each file's time against its bytecode's.
"""

from __future__ import annotations

import compileall
from pathlib import Path

import smartcounter


def compile_package() -> None:
    """Write the bytecode of every module of ``smartcounter`` that lacks a current one."""
    compileall.compile_dir(Path(smartcounter.__file__).parent, quiet=1)
