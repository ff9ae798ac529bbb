"""``smartcounter simulate validate``: registered on the ``simulate`` group (see ``cli/simulate.py``)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add ``simulate validate`` to the ``simulate`` group."""
