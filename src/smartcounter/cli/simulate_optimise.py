"""``smartcounter simulate optimise``: registered on the ``simulate`` group (see ``cli/simulate.py``)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add ``simulate optimise`` to the ``simulate`` group."""
