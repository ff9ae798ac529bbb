"""Fixtures of the lobby tests (testkit.py), loaded by path like the other suites do."""

import importlib.util
import sys
from pathlib import Path

_path = Path(__file__).resolve().parent.parent / "lobby" / "testkit.py"
if "testkit" not in sys.modules:
    _spec = importlib.util.spec_from_file_location("testkit", _path)
    assert _spec is not None and _spec.loader is not None
    sys.modules["testkit"] = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(sys.modules["testkit"])

from testkit import *  # noqa: E402, F403
