"""The simulator's migration rate is the store's: simulated legs go through the metrics' SQL."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from smartcounter.metrics.simulation_api import simulated_rates
from smartcounter.simulation import simulate
from smartcounter.simulation.model import BranchModel


def test_rate_per_replication_counts_migratable_transactions_done_at_a_smart_counter(
    source_models: dict[str, BranchModel],
) -> None:
    result = simulate(source_models["CZ-LJL"], None, 4, np.random.default_rng(3))
    rates = result.migration_rates().sort("replication")
    assert rates.height == 4
    # The same count done by hand on the legs: migratable business, and of it what a
    # smart counter did.
    by_hand = (
        result.legs.group_by("replication")
        .agg(
            pl.col("migratable").sum().alias("m"),
            (pl.col("migratable") & (pl.col("channel") == "stm")).sum().alias("d"),
        )
        .sort("replication")
    )
    assert rates["migratable"].to_list() == by_hand["m"].to_list()
    assert rates["migrated"].to_list() == by_hand["d"].to_list()
    assert 0.5 < float(rates["rate"].mean()) < 1.0
    summary = result.summary().filter(pl.col("metric") == "migration_rate")
    assert summary["mean"].item() == pytest.approx(rates["rate"].mean(), rel=1e-12)


def test_the_sql_follows_the_catalogue() -> None:
    tx = pl.DataFrame(
        {
            "week": ["R00000"] * 4 + ["R00001"] * 2,
            "visit_id": ["a", "a", "b", "c", "d", "d"],
            "business_code": ["transfer", "transfer", "cash_deposit", "card_open"] * 1
            + ["transfer", "cash_deposit"],
            "channel": ["stm", "teller", "teller", "stm", "teller", "teller"],
        }
    )
    types = pl.DataFrame(
        {"code": ["transfer", "card_open", "cash_deposit"], "migratable": [True, True, False]}
    )
    rates = simulated_rates(tx, types)
    assert rates.select("week", "migratable", "migrated").rows() == [
        ("R00000", 3, 2),
        ("R00001", 1, 0),
    ]
