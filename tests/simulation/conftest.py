"""Lobbies for the simulator's tests: an M/M/c lobby built by hand, and a generated store.

The store holds the four branches of the source text and four generic ones over 2018-W07
… W10, imported through the real ingest path; the four are calibrated once per session.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from smartcounter.metrics import Metrics, open_metrics
from smartcounter.settings import Settings
from smartcounter.simulation import BranchModel
from smartcounter.simulation.behaviour import Behaviour
from smartcounter.simulation.calibrate import calibrate
from smartcounter.simulation.distributions import Exponential
from smartcounter.simulation.model import (
    CASH,
    CASH_LEG,
    Arrivals,
    CustomerMix,
    Practice,
    ServiceTimes,
    Staffing,
    Timing,
)
from smartcounter.store.layout import Store
from smartcounter.synthetic import NetworkSpec, write_network

WEEKS = ("2018-W07", "2018-W08", "2018-W09", "2018-W10")
SOURCE = ("DY-XSK", "NT-KFQ", "CZ-LJL", "LYG-DHCZ")
SPEC = NetworkSpec(branches=8, weeks=4, start=date(2018, 2, 12), seed=20180305)


def mmc_model(
    arrivals_per_hour: float, mean_service_s: float, servers: int, hours: int
) -> BranchModel:
    """An M/M/c lobby: Poisson arrivals all day Monday, cash business only, ``servers`` tellers."""
    rates = np.zeros((7, hours))
    rates[0, :] = arrivals_per_hour
    return BranchModel(
        branch_id="MMC",
        name="M/M/c",
        branch_type="urban",
        weeks=(),
        codes=("cash_deposit",),
        migratable=np.array([False]),
        arrivals=Arrivals(opening_hour=0, rates=rates),
        mix=CustomerMix(
            age=np.array([1]),
            tier=np.array([0]),
            migratable=np.array([0]),
            cash=np.array([1]),
            other=np.array([0]),
            weight=np.array([1.0]),
            codes={(CASH, 1, CASH_LEG): (np.array([0]), np.array([1.0]))},
        ),
        service=ServiceTimes(stm={}, teller={"cash_deposit": Exponential(mean_service_s)}),
        staffing=Staffing(tellers=servers, teller_windows=servers, smart_counters=0),
        practice=Practice(),
        timing=Timing.of(Behaviour()),
    )


@pytest.fixture(scope="session")
def network_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """The generated network imported into a store."""
    root = tmp_path_factory.mktemp("simulation")
    store = Store.open_or_create(root / "store", timezone="Asia/Shanghai")
    summary = write_network(root / "generated", SPEC, write_csv=False, store=store)
    assert summary.rejected == 0
    return Store.open(root / "store")


@pytest.fixture(scope="session")
def settings() -> Settings:
    """Default settings (the simulator's defaults included)."""
    return Settings()


@pytest.fixture(scope="session")
def network_metrics(network_store: Store, settings: Settings) -> Iterator[Metrics]:
    """The metrics API over the generated store."""
    with open_metrics(network_store, settings) as metrics:
        yield metrics


@pytest.fixture(scope="session")
def source_models(
    network_store: Store, settings: Settings, network_metrics: Metrics
) -> dict[str, BranchModel]:
    """The four source branches calibrated on W07 … W10."""
    return {
        b: calibrate(network_store, settings, b, WEEKS, metrics=network_metrics) for b in SOURCE
    }


@pytest.fixture
def store_path(network_store: Store) -> Path:
    """The generated store's folder."""
    return network_store.root
