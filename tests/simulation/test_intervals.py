"""The network's week-to-week variation: estimated from branches' weeks, and the ranges it gives.

The weeks here come from the mechanism the estimate claims, not from its formula: each week
a branch's customers come in visits of one to several migratable transactions, and a visit's
transactions all go to the device or all to the teller (so a week's rate varies more than a
binomial one); the branch's level takes a random-walk step each week.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from smartcounter.simulation.intervals import (
    bootstrap_level,
    drift_weight,
    forecast,
    network_variation,
    weekly_variation,
)

EXTRA_LEGS = 0.8  # transactions per visit: 1 + Poisson(0.8)
OVERDISPERSION = 1 + EXTRA_LEGS + EXTRA_LEGS / (1 + EXTRA_LEGS)  # E[legs²] / E[legs]


def _branch(
    rng: np.random.Generator, level: float, drift_sd: float, visits: int, weeks: int
) -> tuple[np.ndarray, np.ndarray]:
    """Weekly migrated and migratable transactions of one branch."""
    logit = math.log(level / (1 - level)) + np.cumsum(
        np.concatenate([[0.0], rng.normal(0.0, drift_sd, weeks - 1)])
    )
    p = 1 / (1 + np.exp(-logit))
    migrated, migratable = np.zeros(weeks), np.zeros(weeks)
    for w in range(weeks):
        legs = 1 + rng.poisson(EXTRA_LEGS, rng.poisson(visits))
        went = rng.random(legs.size) < p[w]
        migrated[w], migratable[w] = legs[went].sum(), legs.sum()
    return migrated, migratable


def _network(
    rng: np.random.Generator, branches: int, weeks: int, drift_sd: float
) -> list[tuple[np.ndarray, np.ndarray]]:
    return [
        _branch(rng, rng.uniform(0.6, 0.93), drift_sd, int(rng.integers(60, 500)), weeks)
        for _ in range(branches)
    ]


def _columns(
    network: list[tuple[np.ndarray, np.ndarray]], weeks: slice
) -> tuple[list[str], list[str], list[float], list[float]]:
    b, w, m, n = [], [], [], []
    for i, (migrated, migratable) in enumerate(network):
        for k in range(len(migrated))[weeks]:
            b.append(f"B{i:03}")
            w.append(f"2018-W{k + 1:02}")
            m.append(float(migrated[k]))
            n.append(float(migratable[k]))
    return b, w, m, n


def test_drift_weight_counts_the_steps_between_the_means() -> None:
    assert drift_weight(1, 1, 1) == pytest.approx(1.0)  # next week: one step
    assert drift_weight(1, 1, 3) == pytest.approx(3.0)  # three weeks on: three steps
    # Six weeks, a week's gap, six weeks: (1² + … + 5²)/36 on each side and two whole steps.
    assert drift_weight(6, 6, 2) == pytest.approx(2 * 55 / 36 + 2)
    assert drift_weight(6, 6, 2) > drift_weight(6, 6, 1) > drift_weight(6, 1, 1) - 1


def test_network_variation_recovers_overdispersion_and_drift() -> None:
    rng = np.random.default_rng(5)
    found = network_variation(*_columns(_network(rng, 80, 13, 0.06), slice(None)))
    assert found is not None
    assert found.branches == 80
    assert found.overdispersion == pytest.approx(OVERDISPERSION, rel=0.2)
    assert found.drift == pytest.approx(0.06**2, rel=0.35)


def test_without_drift_none_is_found() -> None:
    rng = np.random.default_rng(6)
    found = network_variation(*_columns(_network(rng, 80, 13, 0.0), slice(None)))
    assert found is not None
    assert found.drift < 0.0006  # a tenth of the one above
    assert found.overdispersion == pytest.approx(OVERDISPERSION, rel=0.2)


def test_too_few_branches_give_no_estimate() -> None:
    rng = np.random.default_rng(7)
    assert network_variation(*_columns(_network(rng, 2, 6, 0.0), slice(None))) is None


def test_ranges_with_the_network_cover_as_stated_where_a_branch_alone_does_not() -> None:
    """Calibrate on six weeks, predict the six after a week's gap: with the network's
    variation the 80 % ranges cover 70–90 % of the outcomes; from each branch's six weeks
    alone they cover too few (six weeks say little about how much a branch moves)."""
    rng = np.random.default_rng(8)
    inside_network, inside_alone = [], []
    for _ in range(6):
        network = _network(rng, 60, 13, 0.06)
        variation_net = network_variation(*_columns(network, slice(0, 6)))
        assert variation_net is not None
        for migrated, migratable in network:
            past_m, past_n = migrated[:6], migratable[:6]
            variation = weekly_variation(past_m, past_n)
            realised = migrated[7:].sum() / migratable[7:].sum()
            with_network = forecast(
                variation.rate, variation, horizon=6, gap=2, network=variation_net
            )
            boot = bootstrap_level(past_m, past_n, 200, rng)
            alone = forecast(variation.rate, variation, parameter_draws=boot, horizon=6)
            inside_network.append(with_network.low <= realised <= with_network.high)
            inside_alone.append(alone.low <= realised <= alone.high)
    coverage = float(np.mean(inside_network))
    assert 0.7 <= coverage <= 0.9, coverage
    assert float(np.mean(inside_alone)) < 0.7
