"""Fixtures of the scorecard tests: hand-made networks in real stores."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from smartcounter.store.layout import Store
from tests.programme.network import Network, import_network


@pytest.fixture
def build(tmp_path: Path) -> Callable[[Network], Store]:
    """Import a hand-made network into a fresh store."""

    def make(network: Network) -> Store:
        return import_network(network, tmp_path / "network")

    return make
