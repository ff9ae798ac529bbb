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

Six weeks of one branch say little about how much it moves: a branch whose six weeks sat
close together can move 3 pp the next six. With the other branches' weeks at hand,
``network_variation`` estimates how weekly rates move across the network (the variance of a
week's rate as a multiple of the binomial one — transactions come in visits, and a visit's
transactions go to the device or the teller together —, a variance the same for every
branch, and a drift of the level from week to week), and the branch's own spread is shrunk
towards what the network says for a branch of its size (``PRIOR_WEEKS``). The range then
also widens with how far ahead the weeks lie (the drift), and the calibration level's
uncertainty is the same week-to-week variance over the calibration weeks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import t as student_t

_EPS = 0.005  # rates this close to 0 or 1 are widened on the logit scale as if this far
PRIOR_WEEKS = 8  # the network's variance weighs as much as this many of the branch's own weeks
_MIN_BRANCHES = 3  # fewer branches with two weeks or more: no network estimate
_MIN_PAIRS = 20


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


@dataclass(frozen=True)
class NetworkVariation:
    """How branches' weekly rates move across the network, on the logit scale.

    A week's logit rate is the branch's level plus noise of variance
    ``overdispersion × binomial + extra``; the level takes a random-walk step of variance
    ``drift`` each week. Estimated from every pair of weeks of every branch
    (``network_variation``).
    """

    overdispersion: float  # a week's variance as a multiple of the binomial one
    extra: float  # variance beyond that, the same for every branch (logit scale)
    drift: float  # variance of the level's step from one week to the next (logit scale)
    branches: int
    pairs: int

    def week_variance(self, binomial: float, rate: float) -> float:
        """Variance of one week's rate (rate units) of a branch at ``rate`` whose weeks have
        binomial variance ``binomial`` (rate units)."""
        scale = _scale(rate)
        return self.overdispersion * binomial + self.extra * scale**2


def network_variation(
    branch: Sequence[str],
    week: Sequence[str],
    migrated: Sequence[float],
    migratable: Sequence[float],
) -> NetworkVariation | None:
    """Fit ``NetworkVariation`` to branches' weekly counts (one entry per branch and week).

    For each branch and pair of its weeks ``ℓ`` apart, the squared difference of their logit
    rates has expectation ``overdispersion × (v₁ + v₂) + 2 × extra + ℓ × drift`` (``v``: each
    week's binomial variance on the logit scale). The three are fitted by non-negative least
    squares, weighted by the inverse square of each pair's expectation (a squared normal's
    variance) and refitted twice. ``None`` when fewer than three branches have two weeks.
    """
    from scipy.optimize import nnls

    weeks = sorted(set(week))
    position = {w: i for i, w in enumerate(weeks)}
    by_branch: dict[str, list[tuple[int, float, float]]] = {}
    for b, w, mig, able in zip(branch, week, migrated, migratable, strict=True):
        if able and able > 0:
            by_branch.setdefault(b, []).append((position[w], float(mig), float(able)))
    diffs: list[float] = []
    sums: list[float] = []
    lags: list[float] = []
    used = 0
    for rows in by_branch.values():
        if len(rows) < 2:
            continue
        used += 1
        rows.sort()
        t = np.array([r[0] for r in rows], dtype=float)
        m = np.array([r[1] for r in rows])
        n = np.array([r[2] for r in rows])
        p = (m.sum() + 0.5) / (n.sum() + 1.0)
        y = np.log((m + 0.5) / (n - m + 0.5))
        v = 1.0 / (n * p * (1 - p))
        i, j = np.triu_indices(len(rows), 1)
        diffs.extend(((y[j] - y[i]) ** 2).tolist())
        sums.extend((v[i] + v[j]).tolist())
        lags.extend((t[j] - t[i]).tolist())
    if used < _MIN_BRANCHES or len(diffs) < _MIN_PAIRS:
        return None
    d2 = np.asarray(diffs)
    x = np.column_stack([np.asarray(sums), np.full(d2.size, 2.0), np.asarray(lags)])
    coef = np.array([1.0, 0.0, 0.0])
    for _ in range(3):
        expected = np.maximum(x @ coef, 1e-6)
        w = 1.0 / expected
        coef, _ = nnls(x * w[:, None], d2 * w)
    return NetworkVariation(
        overdispersion=float(coef[0]),
        extra=float(coef[1]),
        drift=float(coef[2]),
        branches=used,
        pairs=int(d2.size),
    )


def drift_weight(calibration: int, horizon: int, gap: int = 1) -> float:
    """How many weekly drift steps separate the mean of the ``horizon`` weeks starting
    ``gap`` weeks after the ``calibration`` weeks from the calibration weeks' mean:
    ``Σₛ (Σ_{t≥s} aₜ)²`` with ``aₜ`` −1/calibration on the calibration weeks and 1/horizon on
    the weeks ahead (a random walk's variance of that difference, per unit of step)."""
    k, h, g = max(int(calibration), 1), max(int(horizon), 1), max(int(gap), 1)
    a = np.zeros(k + g - 1 + h)
    a[:k] = -1.0 / k
    a[k + g - 1 :] = 1.0 / h
    tail = np.cumsum(a[::-1])[::-1]  # Σ_{t≥s} aₜ for each s
    return float(np.sum(tail[1:] ** 2))


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
    network: NetworkVariation | None = None,
    gap: int = 1,
) -> RateForecast:
    """The expected range of the next ``horizon`` weeks' rate around the prediction ``rate``.

    Parameter uncertainty is ``parameter_sd`` or the spread of ``parameter_draws`` (rates
    predicted under parameter draws; both given: their variances add).

    With ``network``, the branch's week-to-week variance is shrunk towards the network's,
    the uncertainty of the calibration level (its mean over ``variation.weeks`` weeks) is
    added here — ``parameter_sd`` then carries only what the level does not (a what-if's
    effect) —, and the level's drift over the ``gap`` weeks to the first week ahead and
    the ``horizon`` weeks after it.
    """
    horizon = max(int(horizon), 1)
    var_param = parameter_sd**2
    if parameter_draws is not None:
        draws = np.asarray(parameter_draws, dtype=float)
        draws = draws[np.isfinite(draws)]
        if draws.size > 1:
            var_param += float(np.var(draws, ddof=1))
    week_sd = variation.week_sd if math.isfinite(variation.week_sd) else 0.0
    df = max(variation.weeks - 1, 1)
    var_week = week_sd**2
    var_ahead = var_week / horizon
    var_one = var_week
    if network is not None and variation.weeks > 0 and math.isfinite(variation.rate):
        own_df = max(variation.weeks - 1, 0)
        prior = network.week_variance(variation.binomial_sd**2, variation.rate)
        var_week = (own_df * week_sd**2 + PRIOR_WEEKS * prior) / (own_df + PRIOR_WEEKS)
        week_sd = math.sqrt(var_week)
        df = own_df + PRIOR_WEEKS
        k = variation.weeks
        drift = network.drift * _scale(variation.rate) ** 2
        var_ahead = var_week * (1 / k + 1 / horizon) + drift * drift_weight(k, horizon, gap)
        var_one = var_week * (1 / k + 1) + drift * drift_weight(k, 1, gap)
    if not math.isfinite(rate):
        nan = math.nan
        return RateForecast(
            nan, nan, nan, nan, nan, horizon, level, math.sqrt(var_param), week_sd, monte_carlo_se
        )
    q = float(student_t.ppf(0.5 + level / 2, df))
    p = min(max(rate, _EPS), 1 - _EPS)
    scale = p * (1 - p)
    centre = math.log(p / (1 - p))

    def band(variance: float) -> tuple[float, float]:
        half = q * math.sqrt(variance) / scale
        # A prediction at (or next to) 0 or 1 stays inside its own range.
        return min(_expit(centre - half), rate), max(_expit(centre + half), rate)

    low, high = band(var_param + var_ahead)
    week_low, week_high = band(var_param + var_one)
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


def _scale(rate: float) -> float:
    """d rate / d logit at ``rate`` (kept off 0 and 1)."""
    p = min(max(rate, _EPS), 1 - _EPS)
    return p * (1 - p)


def _expit(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))
