"""``python -m smartcounter …``: the ``smartcounter`` command (e.g. under ``-X importtime``)."""

from __future__ import annotations

from smartcounter.cli.app import main

if __name__ == "__main__":
    main(prog_name="smartcounter")
