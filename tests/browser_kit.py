"""Debian's Chromium for the browser tests: where it is, how it is started, the skip mark."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
# Headless, as the project's tests run it: no sandbox in a container, no GPU, no network
# beyond the test's own server.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's Chromium is not installed"
)


def launch(playwright: Any, *extra_args: str) -> Any:
    """Debian's Chromium, headless, with ``extra_args`` after the usual flags."""
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, *extra_args]
    )
