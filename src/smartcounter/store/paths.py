"""Where the store and the settings file live: no data library needed to say it (the
settings and the command line's ``--help`` ask before any store is opened)."""

from __future__ import annotations

import os
from pathlib import Path


def default_store_path() -> Path:
    """The per-user data folder's store (XDG_DATA_HOME, else ~/.local/share)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "smartcounter" / "store"


CONFIG_FILE_NAME = "smartcounter.toml"


def config_file(store: Path | str | None) -> Path:
    """The config file: ``SMARTCOUNTER_CONFIG``, else ``smartcounter.toml`` in the store folder.

    The store is the one given (a command-line override), else ``SMARTCOUNTER_STORE``, else
    the default store. The file need not exist: without it, environment and defaults rule.
    """
    explicit = os.environ.get("SMARTCOUNTER_CONFIG")
    if explicit:
        return Path(explicit)
    folder = store or os.environ.get("SMARTCOUNTER_STORE") or default_store_path()
    return Path(folder) / CONFIG_FILE_NAME
