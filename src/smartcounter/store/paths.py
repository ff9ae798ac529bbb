"""Where the store lives by default: no data library needed to say it (the settings and
the command line's ``--help`` ask before any store is opened)."""

from __future__ import annotations

import os
from pathlib import Path


def default_store_path() -> Path:
    """The per-user data folder's store (XDG_DATA_HOME, else ~/.local/share)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "smartcounter" / "store"
