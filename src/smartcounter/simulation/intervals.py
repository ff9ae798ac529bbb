"""Prediction intervals for a branch's migration rate in the weeks ahead.

Three sources of spread, kept apart:

- **what we do not know about the branch** (parameter uncertainty): how sure the level
  the model is calibrated to is (a bootstrap over the calibration weeks) and how sure a
  what-if's effect is (the estimated behaviour's posterior draws pushed through the
  simulation) — ``parameter_sd``;
- **how much the branch's rate moves from week to week** beyond anything the model
  explains: the spread of its weekly rates over the calibration weeks, split into the
  binomial part (few transactions) and the rest — ``week_sd``;
- **the simulation's own noise** (Monte-Carlo error, smaller with more replications),
  reported beside the range, never inside it.

The expected range of the next ``horizon`` weeks' rate (all their transactions together)
has variance ``parameter_sd² + week_sd² / horizon``; the range for any one of those weeks
``parameter_sd² + week_sd²``. Intervals are built on the logit scale (rates stay inside
0–1) with Student-t quantiles on the calibration weeks' degrees of freedom, since the
week-to-week spread comes from a handful of weeks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import t as student_t

_EPS = 0.005  # rates this close to 0 or 1 are widened on the logit scale as if this far


@dataclass(frozen=True)
class WeeklyVariation:
    """A branch's weekly rates over the calibration weeks, and how much they move."""

    weeks: int
    rate: float  # all weeks' transactions together
    mean_migratable: float  # per week
    between_sd: float  # week-to-week sd beyond the binomial one
    binomial_sd: float  # sd of one week's rate from its number of transactions alone

    @property
    def week_sd(self) -> float:
        """Sd of one future week's rate around the branch's level."""
        return math.sqrt(self.between_sd**2 + self.binomial_sd**2)


def weekly_variation(migrated: Sequence[float], migratable: Sequence[float]) -> WeeklyVariation:
    """Level and week-to-week spread from each calibration week's counts (weeks without
    migratable business are left out)."""
    m = np.asarray(migrated, dtype=float)
    n = np.asarray(migratable, dtype=float)
    keep = n > 0
    m, n = m[keep], n[keep]
    if n.size == 0:
        return WeeklyVariation(0, math.nan, 0.0, math.nan, math.nan)
    rate = float(m.sum() / n.sum())
    # Binomial spread at a rate nudged off 0 and 1 (a branch at 0 % still moves).
    smoothed = (float(m.sum()) + 0.5) / (float(n.sum()) + 1.0)
    binomial = smoothed * (1 - smoothed)
    mean_n = float(n.mean())
    if n.size < 2:
        return WeeklyVariation(1, rate, mean_n, math.nan, math.sqrt(binomial / mean_n))
    r = m / n
    # Moment estimate: weighted spread of the weekly rates minus what their sizes explain.
    observed = float(np.sum(n * (r - rate) ** 2) / (n.size - 1))  # ≈ binomial + n̄·between²
    between2 = max((observed - binomial) / mean_n, 0.0)
    return WeeklyVariation(
        int(n.size), rate, mean_n, math.sqrt(between2), math.sqrt(binomial / mean_n)
    )


def bootstrap_level(
    migrated: Sequence[float],
    migratable: Sequence[float],
    draws: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """The calibration level (all weeks' rate) recomputed on weeks drawn with replacement."""
    m = np.asarray(migrated, dtype=float)
    n = np.asarray(migratable, dtype=float)
    keep = n > 0
    m, n = m[keep], n[keep]
    if n.size == 0:
        return np.full(draws, math.nan)
    pick = rng.integers(0, n.size, size=(draws, n.size))
    return np.asarray(m[pick].sum(axis=1) / n[pick].sum(axis=1))


@dataclass(frozen=True)
class RateForecast:
    """The expected range of a branch's rate over the next weeks, and what makes it up."""

    rate: float  # the prediction
    low: float  # range of the next ``horizon`` weeks' rate (their transactions together)
    high: float
    week_low: float  # range of any one of those weeks
    week_high: float
    horizon: int
    level: float  # e.g. 0.8 for an 80 % range
    parameter_sd: float
    week_sd: float
    monte_carlo_se: float  # the simulation's noise, reported separately

    @property
    def width(self) -> float:
        """Width of the horizon's range."""
        return self.high - self.low


def forecast(
    rate: float,
    variation: WeeklyVariation,
    *,
    parameter_sd: float = 0.0,
    parameter_draws: Sequence[float] | None = None,
    horizon: int = 1,
    level: float = 0.8,
    monte_carlo_se: float = 0.0,
) -> RateForecast:
    """The expected range of the next ``horizon`` weeks' rate around the prediction ``rate``.

    Parameter uncertainty is ``parameter_sd`` or the spread of ``parameter_draws`` (rates
    predicted under parameter draws; both given: their variances add).
    """
    horizon = max(int(horizon), 1)
    var_param = parameter_sd**2
    if parameter_draws is not None:
        draws = np.asarray(parameter_draws, dtype=float)
        draws = draws[np.isfinite(draws)]
        if draws.size > 1:
            var_param += float(np.var(draws, ddof=1))
    week_sd = variation.week_sd if math.isfinite(variation.week_sd) else 0.0
    if not math.isfinite(rate):
        nan = math.nan
        return RateForecast(
            nan, nan, nan, nan, nan, horizon, level, math.sqrt(var_param), week_sd, monte_carlo_se
        )
    df = max(variation.weeks - 1, 1)
    q = float(student_t.ppf(0.5 + level / 2, df))
    p = min(max(rate, _EPS), 1 - _EPS)
    scale = p * (1 - p)
    centre = math.log(p / (1 - p))

    def band(variance: float) -> tuple[float, float]:
        half = q * math.sqrt(variance) / scale
        # A prediction at (or next to) 0 or 1 stays inside its own range.
        return min(_expit(centre - half), rate), max(_expit(centre + half), rate)

    low, high = band(var_param + week_sd**2 / horizon)
    week_low, week_high = band(var_param + week_sd**2)
    return RateForecast(
        rate=rate,
        low=low,
        high=high,
        week_low=week_low,
        week_high=week_high,
        horizon=horizon,
        level=level,
        parameter_sd=math.sqrt(var_param),
        week_sd=week_sd,
        monte_carlo_se=monte_carlo_se,
    )


def _expit(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))
