"""``python -m smartcounter …``: the ``smartcounter`` command (e.g. under ``-X importtime``)."""

from __future__ import annotations

from smartcounter.cli.app import app

if __name__ == "__main__":
    app(prog_name="smartcounter")
