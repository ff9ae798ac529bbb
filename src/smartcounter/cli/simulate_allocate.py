"""``smartcounter simulate allocate``: registered on the ``simulate`` group (see ``cli/simulate.py``)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add ``simulate allocate`` to the ``simulate`` group."""
