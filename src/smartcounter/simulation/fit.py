"""Fit a branch's practice to the store's triage funnel (simulated method of moments).

The store shows the practice only through its results: the share of customers each triage
stage reached and won over, how many went to the smart counter unprompted, how many gave
up on a busy device. ``funnel_moments`` computes these from the store's ``visit_paths``
figure and from simulated visits alike. Habits and guidance quality are then solved in
expectation over a large sample of the branch's customers (no simulation noise); coverage
and patience, which depend on how busy staff and devices are, by rounds of simulation on
fixed random streams, each moving a parameter by the gap between store and simulation.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import polars as pl

from smartcounter.canonical.tables import AGE_BANDS
from smartcounter.settings import SimulationSettings
from smartcounter.simulation.behaviour import Behaviour
from smartcounter.simulation.customers import DayCustomers, draw_week
from smartcounter.simulation.decisions import Chances, CodeFacts, chances
from smartcounter.simulation.model import NONCASH, Arrivals, BranchModel, Practice
from smartcounter.simulation.runner import run_streams

PATH_COLUMNS = ("age_band", "kind", "m", "d", "t1", "a1", "t2", "a2", "t3", "a3", "busy", "fault")
MIN_TOUCHES = 5  # fewer touches at a stage say too little about its acceptance
_HABIT_PRIOR = 20.0  # visits' worth of weight the pooled habit share has in each age band
_SAMPLE_VISITS = 20_000  # customers drawn to solve habits and quality in expectation

Moments = dict[str, tuple[float, float]]  # name -> (count, denominator)


def paths_of(visits: pl.DataFrame) -> pl.DataFrame:
    """Simulated visits in the shape of the store's ``visit_paths`` figure."""
    return (
        visits.filter(pl.col("m") > 0)
        .rename({"age": "age_band"})
        .group_by(list(PATH_COLUMNS))
        .agg(pl.len().alias("visits"))
    )


def funnel_moments(paths: pl.DataFrame) -> Moments:
    """The funnel of a ``visit_paths`` frame: counts and denominators of each share.

    ``T`` / ``A`` per stage: touched among the visits the stage could reach (as the
    triage-coverage figure judges them) and accepted among the touched; stage 3 on visits
    without cash (a split cash visit's referral is the behaviour's, not the practice's).
    ``S`` per age band: visits nobody touched that went to the smart counter (or were turned
    away there) among the visits the greeter did not touch — customers who went unprompted.
    ``B``: visits with business lost to a busy device.
    """
    if paths.height == 0:
        return {}
    f = {c: paths[c].to_numpy() for c in PATH_COLUMNS if c not in ("age_band", "kind")}
    v = paths["visits"].to_numpy().astype(float)
    noncash = (paths["kind"] == "noncash").to_numpy()
    ages = paths["age_band"].to_numpy()
    out: Moments = {}
    eligible = {
        1: np.ones(v.shape[0], dtype=bool),
        2: (f["a1"] == 0) & ((f["d"] < f["m"]) | (f["t2"] == 1)),
        3: noncash & ((f["d"] < f["m"]) | (f["t3"] == 1)),
    }
    for s in (1, 2, 3):
        e = eligible[s]
        touched = e & (f[f"t{s}"] == 1)
        out[f"T{s}"] = (float(v[touched].sum()), float(v[e].sum()))
        out[f"A{s}"] = (float(v[touched & (f[f"a{s}"] == 1)].sum()), float(v[touched].sum()))
    untouched = (f["t1"] == 0) & (f["t2"] == 0) & (f["t3"] == 0)
    went = (f["d"] > 0) | (f["busy"] == 1) | (f["fault"] == 1)
    base = noncash & (f["t1"] == 0)
    for a in AGE_BANDS:
        rows = base & (ages == a)
        out[f"S{a}"] = (float(v[rows & untouched & went].sum()), float(v[rows].sum()))
    out["B"] = (float(v[f["busy"] == 1].sum()), float(v.sum()))
    return out


def proportions(moments: Moments) -> dict[str, float]:
    return {k: x / n for k, (x, n) in moments.items() if n > 0}


def share(moment: tuple[float, float] | None) -> float:
    if moment is None or moment[1] <= 0:
        return 0.0
    return moment[0] / moment[1]


def _logit(moment: tuple[float, float]) -> float:
    x, n = moment
    return math.log((x + 0.5) / (n - x + 0.5))


def fit(
    model: BranchModel, target: Moments, settings: SimulationSettings
) -> tuple[BranchModel, Moments]:
    """Fit the practice to the store's funnel ``target``; also return the simulated funnel.

    Habits and guidance quality are solved in expectation over a large sample of the
    branch's customers (no simulation noise); coverage and patience, which depend on how
    busy staff and devices are, by rounds of simulation on fixed streams.
    """
    rng = np.random.default_rng(settings.seed)
    sample_rng, streams_rng = rng.spawn(2)
    model = replace(
        model, practice=fit_behaviour(model, _sample(model, sample_rng, _SAMPLE_VISITS), target)
    )
    weeks = max(len(model.weeks), 1)
    per_week = target.get("T1", (0.0, 0.0))[1] / weeks
    needed = math.ceil(settings.calibration_visits / per_week) if per_week > 0 else 1
    streams = streams_rng.spawn(max(settings.calibration_replications, needed))
    simulated: Moments = {}
    for round_ in range(settings.calibration_rounds):
        result = run_streams(model, streams)
        simulated = funnel_moments(paths_of(result.visits))
        if round_ < settings.calibration_rounds - 1:
            model = replace(model, practice=_adjust(model, target, simulated))
    return model, simulated


def _sample(model: BranchModel, rng: np.random.Generator, visits: int) -> DayCustomers:
    """Many weeks of the branch's customers at once (arrival times do not matter here)."""
    weekly = model.arrivals.rates.sum(axis=0)
    weeks = max(1, math.ceil(visits / max(float(weekly.sum()), 1.0)))
    rates = np.zeros_like(model.arrivals.rates)
    rates[0] = weekly * weeks
    scaled = replace(model, arrivals=Arrivals(model.arrivals.opening_hour, rates))
    return draw_week(scaled, (0,), rng)


def fit_behaviour(model: BranchModel, c: DayCustomers, target: Moments) -> Practice:
    """Habit shares and guidance quality per stage that reproduce the store's funnel on average.

    Unprompted use (``S`` by age band) is linear in the habit share; acceptance at each
    stage (``A``) rises with quality. Both are averaged over the customers' habit and
    aversion exactly, and over their business by the sample, with touches at stages 1 and 2
    as frequent as the store shows (``T``).
    """
    b, p = model.behaviour, model.practice
    facts = CodeFacts.of(model)
    ones, zeros = np.ones(len(c), dtype=bool), np.zeros(len(c), dtype=bool)
    ch = {
        (hab, av): chances(model, facts, c, ones if hab else zeros, ones if av else zeros)
        for hab in (0, 1)
        for av in (0, 1)
    }
    averse = np.asarray(b.averse)[c.age]
    w_av = {0: 1.0 - averse, 1: averse}
    reach = ch[(0, 0)].reach
    noncash = c.kind == NONCASH
    # Unprompted use without and with the habit, per customer.
    use = [sum(w_av[av] * ch[(hab, av)].unprompted for av in (0, 1)) * reach for hab in (0, 1)]
    habit = _solve_habit(c.age, noncash, use, target)
    w_hab = {0: 1.0 - np.asarray(habit)[c.age], 1: np.asarray(habit)[c.age]}
    weight = {k: w_hab[k[0]] * w_av[k[1]] for k in ch}
    mig = ch[(0, 0)].mig
    quality = list(p.quality)
    # Who is still to be won over before each stage, per latent state.
    left = {k: weight[k] * mig for k in ch}
    touch = (share(target.get("T1")), share(target.get("T2")))
    for k in ch:
        left[k] = left[k] * (1.0 - ch[k].unprompted)
    for s in (1, 2, 3):
        obs = target.get(f"A{s}")
        rows = noncash if s == 3 else mig
        if p.coverage[s - 1] > 0 and obs is not None and obs[1] >= MIN_TOUCHES:
            quality[s - 1] = _solve_quality(b, ch, weight, left, rows, s, obs, p.quality[s - 1])
        if s < 3:
            for k in ch:
                shift = quality[s - 1] - p.quality[s - 1]
                accepted = ch[k].accept(s, shift, b.accept_quality)
                left[k] = left[k] * (1.0 - touch[s - 1] * accepted)
    return replace(p, habit=tuple(habit), quality=(quality[0], quality[1], quality[2]))


def _solve_habit(
    age: np.ndarray, noncash: np.ndarray, use: list[np.ndarray], target: Moments
) -> list[float]:
    """Habit share per age band from unprompted use ``S`` (linear in the share)."""

    def solve(rows: np.ndarray, went: float, base: float) -> float | None:
        if base < 5 or not rows.any():
            return None
        without, with_habit = float(use[0][rows].mean()), float(use[1][rows].mean())
        if with_habit - without <= 1e-9:
            return None
        return float(np.clip((went / base - without) / (with_habit - without), 0.0, 1.0))

    pooled_obs = [target.get(f"S{a}", (0.0, 0.0)) for a in AGE_BANDS]
    pooled = solve(noncash, sum(o[0] for o in pooled_obs), sum(o[1] for o in pooled_obs))
    out = []
    for k, a in enumerate(AGE_BANDS):
        went, base = target.get(f"S{a}", (0.0, 0.0))
        own = solve(noncash & (age == k), went, base)
        if own is None or pooled is None:
            out.append(own if own is not None else (pooled or 0.0))
        else:
            # A band with few visits leans on all bands together.
            out.append((base * own + _HABIT_PRIOR * pooled) / (base + _HABIT_PRIOR))
    return out


def _solve_quality(
    b: Behaviour,
    ch: dict[tuple[int, int], Chances],
    weight: dict[tuple[int, int], np.ndarray],
    left: dict[tuple[int, int], np.ndarray],
    rows: np.ndarray,
    stage: int,
    observed: tuple[float, float],
    current: float,
) -> float:
    """The quality at which the customers touched at ``stage`` accept as often as observed."""
    goal = observed[0] / observed[1]

    def acceptance(q: float) -> float:
        num = den = 0.0
        for k in ch:
            accepted = ch[k].accept(stage, q - current, b.accept_quality)
            if stage == 1:
                # A customer already heading for the smart counter says yes to the greeter.
                w = weight[k] * rows
                accepted = ch[k].unprompted + (1.0 - ch[k].unprompted) * accepted
            else:
                w = left[k] * rows
            num += float(np.sum(w * accepted))
            den += float(np.sum(w))
        return num / den if den > 0 else 0.0

    low, high = -1.0, 2.0
    for _ in range(40):
        mid = (low + high) / 2
        if acceptance(mid) < goal:
            low = mid
        else:
            high = mid
    return (low + high) / 2


def _adjust(model: BranchModel, target: Moments, simulated: Moments) -> Practice:
    """Move coverage and patience by the gap between the store's and the simulated funnel."""
    p = model.practice
    coverage = list(p.coverage)
    for k, s in enumerate((1, 2, 3)):
        t_obs, t_sim = target.get(f"T{s}"), simulated.get(f"T{s}")
        if coverage[k] > 0 and t_obs and t_sim and t_obs[1] > 0 and t_sim[1] > 0:
            step = _logit(t_obs) - _logit(t_sim)
            coverage[k] = float(np.clip(_expit(_raw_logit(coverage[k]) + step), 0.01, 0.999))
    patience = p.patience_s
    b_obs, b_sim = target.get("B"), simulated.get("B")
    if b_obs and b_sim and b_obs[1] > 0 and b_sim[1] > 0:
        # Fewer customers lost to a busy device than simulated: they are more patient. With
        # Weibull patience of shape k, losses fall about as patience to the power -k.
        step = (_logit(b_sim) - _logit(b_obs)) / p.patience_shape
        patience = float(np.clip(patience * math.exp(np.clip(step, -1.0, 1.0)), 60.0, 4 * 3600.0))
    return replace(p, coverage=(coverage[0], coverage[1], coverage[2]), patience_s=patience)


def _raw_logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def _expit(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))
