"""``smartcounter --help`` lists every command without loading any of them or a data library."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("polars", "duckdb", "pyarrow", "fastapi", "sqlalchemy", "scipy", "jinja2", "pyspark")

PROBE = f"""
import sys
from smartcounter.cli.app import main
sys.argv = ["smartcounter", "--help"]
try:
    main()
except SystemExit:
    pass
print("LOADED=" + ",".join(m for m in {HEAVY!r} if m in sys.modules))
"""


def test_help_lists_every_command_and_loads_no_data_library() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True
    ).stdout
    from smartcounter.cli.app import COMMANDS

    for name in COMMANDS:
        assert f"  {name}" in out
    assert out.strip().splitlines()[-1] == "LOADED="
