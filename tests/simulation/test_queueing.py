"""The engine against queueing theory: an M/M/c lobby's waits are Erlang C's, Little's law holds."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from smartcounter.simulation import simulate
from smartcounter.simulation.results import t_interval
from tests.simulation.conftest import mmc_model

HOURS = 200  # one long day per replication
WARM_UP_S = 20 * 3600.0  # the day starts empty; judge the steady state after this
REPLICATIONS = 10


def erlang_c(arrival_rate: float, service_rate: float, servers: int) -> tuple[float, float]:
    """Probability of waiting and mean wait in queue of an M/M/c queue."""
    a = arrival_rate / service_rate
    rho = a / servers
    top = a**servers / math.factorial(servers) / (1 - rho)
    p_wait = top / (sum(a**k / math.factorial(k) for k in range(servers)) + top)
    return p_wait, p_wait / (servers * service_rate - arrival_rate)


CASES = [  # (arrivals per hour, mean service s, servers): utilisation 0.5 … 0.7
    pytest.param(6.0, 300.0, 1, id="M/M/1"),
    pytest.param(25.0, 300.0, 3, id="M/M/3"),
    pytest.param(40.0, 300.0, 5, id="M/M/5"),
]


_WAITS: dict[tuple[float, float, int], pl.DataFrame] = {}


def _steady_waits(per_hour: float, mean_s: float, servers: int) -> pl.DataFrame:
    """Teller waits after the warm-up, simulated once per case."""
    key = (per_hour, mean_s, servers)
    if key not in _WAITS:
        model = mmc_model(per_hour, mean_s, servers, HOURS)
        result = simulate(model, None, REPLICATIONS, np.random.default_rng(11))
        _WAITS[key] = result.waits.filter(
            (pl.col("queue") == "teller") & (pl.col("joined_s") >= WARM_UP_S)
        )
    return _WAITS[key]


class TestErlangC:
    @pytest.mark.parametrize(("per_hour", "mean_s", "servers"), CASES)
    def test_mean_wait_is_within_the_interval_around_erlang_c(
        self, per_hour: float, mean_s: float, servers: int
    ) -> None:
        waits = _steady_waits(per_hour, mean_s, servers)
        per_replication = waits.group_by("replication").agg(pl.col("wait_s").mean())
        mean, low, high = t_interval(per_replication["wait_s"].to_numpy())
        _, expected = erlang_c(per_hour / 3600, 1 / mean_s, servers)
        assert low <= expected <= high, (mean, low, high, expected)

    @pytest.mark.parametrize(("per_hour", "mean_s", "servers"), CASES)
    def test_share_who_wait_is_erlang_c_probability(
        self, per_hour: float, mean_s: float, servers: int
    ) -> None:
        waits = _steady_waits(per_hour, mean_s, servers)
        per_replication = waits.group_by("replication").agg((pl.col("wait_s") > 0).mean())
        _, low, high = t_interval(per_replication["wait_s"].to_numpy())
        expected, _ = erlang_c(per_hour / 3600, 1 / mean_s, servers)
        assert low <= expected <= high

    def test_utilisation_is_the_offered_load_per_server(self) -> None:
        result = simulate(
            mmc_model(25.0, 300.0, 3, HOURS), None, REPLICATIONS, np.random.default_rng(3)
        )
        row = result.summary().filter(pl.col("metric") == "utilisation").row(0, named=True)
        assert row["group"] == "teller"
        assert row["low"] <= 25.0 * 300.0 / 3600 / 3 <= row["high"]


class TestLittlesLaw:
    def test_queue_length_over_time_equals_arrival_rate_times_wait(self) -> None:
        per_hour, mean_s, servers = 25.0, 300.0, 3
        result = simulate(
            mmc_model(per_hour, mean_s, servers, HOURS),
            None,
            REPLICATIONS,
            np.random.default_rng(5),
        )
        # L = λ W with L the time-average queue length over the day.
        lengths = result.lines.filter(pl.col("queue") == "teller").sort("replication")
        mean_length = lengths["area_s"].to_numpy() / (HOURS * 3600.0)
        _, low, high = t_interval(mean_length)
        _, wait = erlang_c(per_hour / 3600, 1 / mean_s, servers)
        assert low <= per_hour / 3600 * wait * 1.0 <= high * 1.02

    def test_every_second_waited_is_a_second_someone_stood_in_line(self, source_models) -> None:
        # A sample-path identity: the area under each queue's length equals the waits of
        # everyone who stood in it (served, moved on or gave up), in a lobby with triage,
        # authorisations, devices and people leaving queues.
        result = simulate(source_models["CZ-LJL"], None, 6, np.random.default_rng(8))
        waited = result.waits.group_by("replication", "day", "queue").agg(pl.col("wait_s").sum())
        area = result.lines.join(waited, on=["replication", "day", "queue"], how="left")
        for row in area.iter_rows(named=True):
            assert row["area_s"] == pytest.approx(row["wait_s"] or 0.0, rel=1e-9, abs=1e-6)
