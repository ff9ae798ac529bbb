"""The compiled lobby queues (``queues.py``, what the generator runs) against queueing theory
and against their readable SimPy reference (``lobby_reference.py``)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import ks_2samp

from smartcounter.simulation.queues import (
    FAULT,
    GAVE_UP,
    SERVED,
    QueueTimes,
    Routes,
    simulate_queues,
    simulate_replications,
)
from smartcounter.simulation.results import t_interval
from tests.simulation.lobby_reference import draw_routes, simulate_reference

HOURS = 200.0  # one long day per replication
WARM_UP_S = 20 * 3600.0
REPLICATIONS = 12


def erlang_c(arrival_rate: float, service_rate: float, servers: int) -> tuple[float, float]:
    """Probability of waiting and mean wait in queue of an M/M/c queue."""
    a = arrival_rate / service_rate
    rho = a / servers
    top = a**servers / math.factorial(servers) / (1 - rho)
    p_wait = top / (sum(a**k / math.factorial(k) for k in range(servers)) + top)
    return p_wait, p_wait / (servers * service_rate - arrival_rate)


def erlang_a_abandonment(lam: float, mu: float, theta: float, servers: int) -> float:
    """Share who give up in an M/M/c+M queue (Erlang A), from its birth-death chain."""
    weights = [1.0]
    n = 0
    while weights[-1] > 1e-14 or n < servers:
        n += 1
        weights.append(weights[-1] * lam / (min(n, servers) * mu + max(n - servers, 0) * theta))
    total = sum(weights)
    return sum(w * max(k - servers, 0) * theta for k, w in enumerate(weights)) / total / lam


def _long_days(
    rng: np.random.Generator,
    per_hour: float,
    mean_s: float,
    servers: int,
    *,
    at_stm: bool,
    patience_s: float = 1e12,
) -> Routes:
    """REPLICATIONS long days of Poisson arrivals, exponential service, one queue."""
    counts = rng.poisson(per_hour * HOURS, REPLICATIONS)
    n = int(counts.sum())
    arrival = np.concatenate([np.sort(rng.uniform(0.0, HOURS * 3600.0, c)) for c in counts])
    service = rng.exponential(mean_s, n)
    return Routes(
        day_start=np.concatenate([[0], np.cumsum(counts)]),
        windows=np.full(REPLICATIONS, servers),
        devices=np.full(REPLICATIONS, servers if at_stm else 0),
        down_start=np.full((REPLICATIONS, 1), -1.0),
        down_end=np.full((REPLICATIONS, 1), -1.0),
        arrival=arrival,
        stm_first=np.full(n, at_stm),
        stm_delay=np.zeros(n),
        teller_s=np.zeros(n) if at_stm else service,
        stm_s=service if at_stm else np.zeros(n),
        back_s=np.zeros(n),
        patience=rng.exponential(patience_s, n) if patience_s < 1e12 else np.full(n, 1e12),
    )


def _per_day(routes: Routes, values: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Mean of ``values`` per day over the customers in ``keep``."""
    day = np.repeat(np.arange(routes.day_start.shape[0] - 1), np.diff(routes.day_start))
    sums = np.bincount(day[keep], weights=values[keep], minlength=REPLICATIONS)
    counts = np.bincount(day[keep], minlength=REPLICATIONS)
    return np.asarray(sums / counts)


CASES = [
    pytest.param(6.0, 300.0, 1, id="M/M/1 rho 0.5"),
    pytest.param(30.0, 300.0, 3, id="M/M/3 rho 0.83"),
    pytest.param(40.0, 300.0, 4, id="M/M/4 rho 0.83"),
]


class TestErlangC:
    @pytest.mark.parametrize(("per_hour", "mean_s", "servers"), CASES)
    @pytest.mark.parametrize("at_stm", [False, True], ids=["windows", "smart counters"])
    def test_mean_wait_and_share_who_wait(
        self, per_hour: float, mean_s: float, servers: int, at_stm: bool
    ) -> None:
        routes = _long_days(np.random.default_rng(21), per_hour, mean_s, servers, at_stm=at_stm)
        q = simulate_queues(routes)
        call, join = (q.stm_call, q.stm_join) if at_stm else (q.teller_call, routes.arrival)
        wait = call - join
        steady = routes.arrival >= WARM_UP_S
        p_wait, mean_wait = erlang_c(per_hour / 3600, 1 / mean_s, servers)
        _, low, high = t_interval(_per_day(routes, wait, steady))
        assert low <= mean_wait <= high, (low, mean_wait, high)
        _, low, high = t_interval(_per_day(routes, (wait > 0).astype(float), steady))
        assert low <= p_wait <= high, (low, p_wait, high)

    def test_utilisation_is_the_offered_load_per_server(self) -> None:
        routes = _long_days(np.random.default_rng(4), 30.0, 300.0, 3, at_stm=False)
        q = simulate_queues(routes)
        ends = np.maximum.reduceat(q.finished, routes.day_start[:-1])
        utilisation = q.teller_busy_s / (3 * ends)
        _, low, high = t_interval(utilisation)
        assert low <= 30.0 * 300.0 / 3600 / 3 <= high


class TestErlangA:
    @pytest.mark.parametrize(
        ("per_hour", "mean_s", "servers", "patience_s"),
        [(12.0, 300.0, 1, 600.0), (40.0, 300.0, 3, 300.0), (60.0, 330.0, 4, 900.0)],
    )
    def test_share_who_give_up(
        self, per_hour: float, mean_s: float, servers: int, patience_s: float
    ) -> None:
        routes = _long_days(
            np.random.default_rng(8), per_hour, mean_s, servers, at_stm=True, patience_s=patience_s
        )
        q = simulate_queues(routes)
        steady = routes.arrival >= WARM_UP_S
        gave_up = (q.outcome == GAVE_UP).astype(float)
        _, low, high = t_interval(_per_day(routes, gave_up, steady))
        expected = erlang_a_abandonment(per_hour / 3600, 1 / mean_s, 1 / patience_s, servers)
        assert low <= expected <= high, (low, expected, high)
        # Those who gave up went to a window instead.
        assert (q.back_call[q.outcome == GAVE_UP] >= 0).all()


class TestLittlesLaw:
    def test_line_seen_at_random_moments_is_arrival_rate_times_wait(self) -> None:
        per_hour = 30.0
        routes = _long_days(np.random.default_rng(5), per_hour, 300.0, 3, at_stm=False)
        q = simulate_queues(routes)
        rng = np.random.default_rng(6)
        lengths, waits = [], []
        for d in range(REPLICATIONS):
            first, last = routes.day_start[d], routes.day_start[d + 1]
            join, call = routes.arrival[first:last], q.teller_call[first:last]
            moments = rng.uniform(WARM_UP_S, HOURS * 3600.0, 400)
            in_line = (join[None, :] <= moments[:, None]) & (call[None, :] > moments[:, None])
            lengths.append(in_line.sum(axis=1).mean())
            waits.append((call - join)[join >= WARM_UP_S].mean())
        _, low, high = t_interval(np.asarray(lengths) - per_hour / 3600 * np.asarray(waits))
        assert low <= 0.0 <= high


def _figures(routes: Routes, q: QueueTimes) -> dict[str, np.ndarray]:
    """Per day: mean waits at the windows and the smart counter, give-ups, device use."""
    days = routes.day_start.shape[0] - 1
    day = np.repeat(np.arange(days), np.diff(routes.day_start))

    def mean(values: np.ndarray, keep: np.ndarray) -> np.ndarray:
        counts = np.bincount(day[keep], minlength=days)
        return np.asarray(
            np.bincount(day[keep], weights=values[keep], minlength=days) / np.maximum(counts, 1)
        )

    at_stm = q.stm_join >= 0
    first_window = q.teller_call >= 0
    return {
        "teller_wait": mean(q.teller_call - routes.arrival, first_window),
        "stm_wait": mean(np.where(q.stm_call >= 0, q.stm_call, q.finished) - q.stm_join, at_stm),
        "gave_up": mean((q.outcome == GAVE_UP).astype(float), at_stm),
        "fault": mean((q.outcome == FAULT).astype(float), at_stm),
        "stm_use": q.stm_busy_s / (routes.devices * 8 * 3600.0),
        "teller_use": q.teller_busy_s / (routes.windows * 8 * 3600.0),
    }


LOBBY = {
    "per_hour": 16.0,
    "windows": 2,
    "devices": 2,
    "patience_mean_s": 420.0,
    "fault_chance": 0.4,
}


class TestAgainstTheSimPyReference:
    def test_same_customers_same_times(self) -> None:
        routes = draw_routes(np.random.default_rng(2), days=40, **LOBBY)  # type: ignore[arg-type]
        fast, slow = simulate_queues(routes), simulate_reference(routes)
        assert np.array_equal(fast.outcome, slow.outcome)
        assert (fast.outcome == GAVE_UP).sum() > 20 and (fast.outcome == SERVED).sum() > 500
        for name in ("teller_call", "stm_call", "stm_join", "back_call", "back_join", "finished"):
            np.testing.assert_allclose(getattr(fast, name), getattr(slow, name), atol=1e-6)
        np.testing.assert_allclose(fast.stm_busy_s, slow.stm_busy_s, rtol=1e-9)
        np.testing.assert_allclose(fast.teller_busy_s, slow.teller_busy_s, rtol=1e-9)

    def test_independent_runs_agree_in_distribution(self) -> None:
        # Two-sample Kolmogorov-Smirnov per figure: 300 lobby days each, independent draws.
        fast_routes = draw_routes(np.random.default_rng(31), days=300, **LOBBY)  # type: ignore[arg-type]
        slow_routes = draw_routes(np.random.default_rng(32), days=300, **LOBBY)  # type: ignore[arg-type]
        fast = _figures(fast_routes, simulate_queues(fast_routes))
        slow = _figures(slow_routes, simulate_reference(slow_routes))
        assert fast["gave_up"].mean() > 0.01 and fast["fault"].mean() > 0.001
        for name in fast:
            assert ks_2samp(fast[name], slow[name]).pvalue > 0.01, name

    def test_replications_on_two_threads_equal_one_at_a_time(self) -> None:
        routes = [draw_routes(np.random.default_rng(k), days=3, **LOBBY) for k in range(8)]  # type: ignore[arg-type]
        together = simulate_replications(routes, workers=2)
        for r, q in zip(routes, together, strict=True):
            alone = simulate_queues(r)
            assert np.array_equal(alone.finished, q.finished)
            assert np.array_equal(alone.outcome, q.outcome)
