"""Fixtures of the programme tests: hand-made networks in real stores, the DuckDB engine."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from smartcounter.metrics import Metrics
from smartcounter.metrics.duckdb_engine import DuckDBEngine
from smartcounter.settings import Settings, load_settings
from smartcounter.store.layout import Store
from tests.programme.network import Network, import_network


@pytest.fixture
def build(tmp_path: Path) -> Callable[[Network], Store]:
    """Import a hand-made network into a fresh store."""
    count = 0

    def make(network: Network) -> Store:
        nonlocal count
        count += 1
        return import_network(network, tmp_path / f"n{count}")

    return make


@pytest.fixture(scope="module")
def build_once(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Network], Store]:
    """Import a network once for a whole test module (for tests that only read it)."""

    def make(network: Network) -> Store:
        return import_network(network, tmp_path_factory.mktemp("network"))

    return make


@pytest.fixture
def metrics_of() -> Iterator[Callable[[Store], Metrics]]:
    """The metrics API on DuckDB over a store; engines are closed after the test."""
    opened: list[Metrics] = []

    def make(store: Store) -> Metrics:
        m = Metrics(DuckDBEngine(store))
        opened.append(m)
        return m

    yield make
    for m in opened:
        m.close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The shipped defaults (no bank configuration file)."""
    return load_settings(store=tmp_path / "no-config-here")
