"""Fixtures of the dashboard tests: one small generated network, copied where a test writes.

Generating the network takes seconds, so it is made once per session and only read; a
test that saves scores or builds bulletins works on its own copy of the store.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from smartcounter.metrics import Metrics, open_metrics
from smartcounter.settings import Settings
from smartcounter.store.layout import Store
from smartcounter.synthetic import write_network
from tests.dashboards.kit import SPEC, Site, build_site, make_settings


@pytest.fixture(scope="session")
def network_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated network's store (12 branches, 2018-W09..W11).

    Its data is never written to; the dashboards keep their views in it, as they would.
    """
    base = tmp_path_factory.mktemp("dash-network")
    root = base / "store"
    store = Store.open_or_create(root, timezone="Asia/Shanghai")
    write_network(base / "out", SPEC, write_csv=False, store=store)
    return root


@pytest.fixture(scope="session")
def store(network_root: Path) -> Store:
    """The generated network's store, for tests that only read."""
    return Store.open(network_root)


@pytest.fixture(scope="session")
def settings(network_root: Path) -> Settings:
    return make_settings(network_root)


@pytest.fixture
def metrics(store: Store, settings: Settings) -> Iterator[Metrics]:
    """The metrics API over the network: the figures the dashboards must show."""
    with open_metrics(store, settings) as opened:
        yield opened


@pytest.fixture
def store_copy(network_root: Path, tmp_path: Path) -> Store:
    """A copy of the network's store that the test may write to."""
    root = tmp_path / "store"
    shutil.copytree(network_root, root)
    return Store.open(root)


@pytest.fixture(scope="module")
def site(network_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Site:
    """The web app over a copy of the network, shared by a module's read-only tests."""
    root = tmp_path_factory.mktemp("dash-site") / "store"
    shutil.copytree(network_root, root)
    return build_site(root)


@pytest.fixture
def own_site(network_root: Path, tmp_path: Path) -> Site:
    """The web app over a fresh copy of the network, for a test that writes."""
    root = tmp_path / "store"
    shutil.copytree(network_root, root)
    return build_site(root)
