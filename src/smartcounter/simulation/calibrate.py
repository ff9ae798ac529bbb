"""Calibrate a branch's lobby model from the store, read through the metrics API.

Read directly: arrivals per weekday and hour, the visit profiles (age band, tier, how many
migratable, cash and other transactions), business mixes, service times per channel and
business (the network's where the branch has too few), staffing (staff table) and devices
(branches table), which business the devices do not do, whether cash visits are split,
whether tellers help authorise, and device faults (shrunk towards a prior).

Fitted (``fit.py``): the practice the store shows only through its results — how many
customers each triage stage tries to reach, how well it guides, how many customers already
have the smart-counter habit, and how patient they are at the device — until the
simulated triage funnel matches the store's. Behaviour itself — how acceptance varies with
age, tier and a cash visit's split, decline reasons, older customers' extra time — is the
one given (``simulate`` estimates it from the store's records, ``estimation.py``), else the
shipped defaults.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Any

import numpy as np
import polars as pl

from smartcounter.canonical.catalogue import Catalogue, load_catalogue
from smartcounter.canonical.tables import AGE_BANDS, CUSTOMER_TIERS
from smartcounter.metrics import Metrics, Period, open_metrics
from smartcounter.metrics.programme_api import ProgrammeMetrics
from smartcounter.metrics.simulation_api import SimulationMetrics
from smartcounter.metrics.simulation_sql import QUANTILE_STEPS
from smartcounter.settings import Settings, SimulationSettings
from smartcounter.simulation.behaviour import Behaviour
from smartcounter.simulation.distributions import Empirical, Lognormal, ServiceDistribution
from smartcounter.simulation.fit import Moments, fit, funnel_moments, proportions, share
from smartcounter.simulation.model import (
    CASH_LEG,
    KINDS,
    MIGRATABLE,
    OTHER_LEG,
    Arrivals,
    BranchModel,
    CustomerMix,
    Observed,
    Practice,
    ServiceTimes,
    Staffing,
    Timing,
)
from smartcounter.store.layout import Store
from smartcounter.store.reading import read_table

# How much a business mix of one age band leans on its kind's mix over all ages.
_MIX_PRIOR = 2.0
_DURATION_SPREAD = 0.3  # log-spread of service times the store cannot tell


class CalibrationError(ValueError):
    """The store cannot calibrate the branch (unknown branch, no visits in the weeks)."""


def calibrate(
    store: Store,
    settings: Settings,
    branch_id: str,
    weeks: Sequence[str],
    *,
    metrics: Metrics | None = None,
    behaviour: Behaviour | None = None,
) -> BranchModel:
    """The lobby model of ``branch_id`` over ``weeks``, fitted to the store's funnel.

    ``behaviour``: the customers' behaviour (e.g. estimated for the branch,
    ``estimated.behaviour_for``); the shipped defaults without it.
    """
    if metrics is None:
        with open_metrics(store, settings) as opened:
            return calibrate(store, settings, branch_id, weeks, metrics=opened, behaviour=behaviour)
    sim = settings.simulation
    period = Period.of_weeks(list(weeks))
    catalogue = load_catalogue(settings.catalogue)
    first, target = _first_guess(
        store, settings, metrics, branch_id, period, catalogue, behaviour or Behaviour()
    )
    fitted, simulated = fit(first, target, sim)
    return replace(fitted, observed=replace(first.observed, fitted=proportions(simulated)))


def _first_guess(
    store: Store,
    settings: Settings,
    metrics: Metrics,
    branch_id: str,
    period: Period,
    catalogue: Catalogue,
    behaviour: Behaviour,
) -> tuple[BranchModel, Moments]:
    """The model read from the store, practice from the funnel directly; and that funnel."""
    sim = settings.simulation
    branch = branch_row(store, branch_id)
    figures = SimulationMetrics(metrics)
    arrivals_frame = figures.arrivals(period, branch_id)
    if arrivals_frame.height == 0:
        raise CalibrationError(f"{branch_id}: no tickets in {', '.join(period.weeks or ())}")
    codes = tuple(catalogue)
    migratable = np.array([catalogue[c].migratable for c in codes], dtype=bool)
    cash = np.array([catalogue[c].cash and not catalogue[c].migratable for c in codes])
    arrivals = _arrivals(arrivals_frame)
    mix = _mix(
        figures.visit_mix(period, branch_id),
        figures.business_mix(period, branch_id),
        codes,
        migratable,
        cash,
    )
    ages = np.bincount(mix.age, weights=mix.weight, minlength=len(AGE_BANDS))
    service = _service(
        figures.service_times(period, branch_id),
        figures.service_times(period),
        codes,
        migratable,
        behaviour,
        sim.min_service_samples,
        ages,
    )
    staffing = staffing_of(store, branch_id, branch)
    paths = figures.visit_paths(period, branch_id)
    moments = funnel_moments(paths)
    practice = _practice(
        settings,
        staffing,
        moments,
        paths,
        figures.business_outcomes(period, branch_id),
        figures.authorisers(period, branch_id),
        figures.device_days(period, branch_id),
    )
    observed = _observed(metrics, figures, branch_id, period, arrivals_frame, moments)
    model = BranchModel(
        branch_id=branch_id,
        name=str(branch.get("name") or branch_id),
        branch_type=str(branch.get("branch_type") or ""),
        weeks=tuple(period.weeks or ()),
        codes=codes,
        migratable=migratable,
        arrivals=arrivals,
        mix=mix,
        service=service,
        staffing=staffing,
        practice=practice,
        timing=Timing.of(
            behaviour,
            walk_s=sim.walk_seconds,
            repromotion_s=sim.repromotion_seconds,
            authorisation_s=settings.lobby.authorisation_seconds,
            slow_factor=settings.lobby.slow_factor,
        ),
        behaviour=behaviour,
        new_stage_coverage=_peer_coverage(metrics, period, branch_id, sim),
        observed=observed,
    )
    return model, moments


# -- reading -----------------------------------------------------------------------------------


def branch_row(store: Store, branch_id: str) -> dict[str, Any]:
    """The branch's row of branches.csv; CalibrationError for an unknown branch."""
    rows = read_table(store, "branches").filter(pl.col("branch_id") == branch_id)
    if rows.height == 0:
        raise CalibrationError(f"unknown branch {branch_id!r}")
    return rows.row(0, named=True)


def staffing_of(store: Store, branch_id: str, branch: dict[str, Any]) -> Staffing:
    """The branch's staff and devices as the store has them (staff.csv, branches.csv)."""
    staff = read_table(store, "staff").filter(pl.col("branch_id") == branch_id)
    roles = dict(staff.group_by("role").len().iter_rows())
    tellers = int(roles.get("teller", 0))
    windows = branch.get("teller_windows")
    devices = branch.get("smart_counters")
    return Staffing(
        greeters=int(roles.get("greeter", 0)),
        lobby_managers=int(roles.get("lobby_manager", 0)),
        specialists=int(roles.get("stm_specialist", 0)),
        tellers=max(tellers, 1),
        wealth_managers=int(roles.get("wealth_manager", 0)),
        smart_counters=int(devices) if devices is not None else 1,
        teller_windows=max(int(windows) if windows is not None else tellers, 1),
    )


def _arrivals(frame: pl.DataFrame) -> Arrivals:
    """Mean tickets per weekday and hour over the days the branch opened on that weekday."""
    days = frame.with_columns(
        pl.col("day")
        .map_elements(lambda d: date.fromisoformat(d).weekday(), pl.Int64)
        .alias("weekday")
    )
    first, last = int(days["hour"].min()), int(days["hour"].max())  # type: ignore[arg-type]
    rates = np.zeros((7, last - first + 1))
    open_days = days.group_by("weekday").agg(pl.col("day").n_unique().alias("days"))
    opened = dict(open_days.iter_rows())
    for weekday, hour, tickets in (
        days.group_by("weekday", "hour").agg(pl.col("tickets").sum()).iter_rows()
    ):
        rates[weekday, hour - first] = tickets / opened[weekday]
    return Arrivals(opening_hour=first, rates=rates)


def _mix(
    visits: pl.DataFrame,
    business: pl.DataFrame,
    codes: tuple[str, ...],
    migratable: np.ndarray,
    cash: np.ndarray,
) -> CustomerMix:
    known = visits.filter(pl.col("age_band").is_in(AGE_BANDS))
    rows = known if known.height else visits.with_columns(pl.lit("30-44").alias("age_band"))
    age = np.array([AGE_BANDS.index(a) for a in rows["age_band"]], dtype=np.int64)
    tier_names = rows["customer_tier"].to_list()
    tier = np.array(
        [CUSTOMER_TIERS.index(t) if t in CUSTOMER_TIERS else 0 for t in tier_names],
        dtype=np.int64,
    )
    weight = rows["visits"].to_numpy().astype(float)
    index = {c: i for i, c in enumerate(codes)}
    classes = np.where(migratable, MIGRATABLE, np.where(cash, CASH_LEG, OTHER_LEG))
    counts = np.zeros((len(KINDS), len(AGE_BANDS), len(codes)))
    for kind, age_band, code, n in business.iter_rows():
        if age_band in AGE_BANDS and code in index:
            counts[KINDS.index(kind), AGE_BANDS.index(age_band), index[code]] += n
    mix: dict[tuple[int, int, int], tuple[np.ndarray, np.ndarray]] = {}
    for k in range(len(KINDS)):
        for cl in (MIGRATABLE, CASH_LEG, OTHER_LEG):
            members = np.flatnonzero(classes == cl)
            pooled = counts[k][:, members].sum(axis=0)
            if pooled.sum() == 0:
                pooled = counts[:, :, members].sum(axis=(0, 1))
            if pooled.sum() == 0:
                pooled = np.ones(members.shape[0])
            prior = pooled / pooled.sum()
            for a in range(len(AGE_BANDS)):
                w = counts[k, a, members] + _MIX_PRIOR * prior
                keep = w > 0
                mix[(k, a, cl)] = (members[keep], np.cumsum(w[keep]) / w[keep].sum())
    return CustomerMix(
        age=age,
        tier=tier,
        migratable=rows["migratable"].to_numpy().astype(np.int64),
        cash=rows["cash"].to_numpy().astype(np.int64),
        other=rows["other"].to_numpy().astype(np.int64),
        weight=weight / weight.sum(),
        codes=mix,
    )


def _service(
    branch: pl.DataFrame,
    network: pl.DataFrame,
    codes: tuple[str, ...],
    migratable: np.ndarray,
    behaviour: Behaviour,
    min_samples: int,
    ages: np.ndarray,
) -> ServiceTimes:
    """Each code's time at each channel: the branch's, else the network's, else the behaviour's."""
    q = np.arange(QUANTILE_STEPS + 1) / QUANTILE_STEPS

    def quantiles(frame: pl.DataFrame) -> dict[tuple[str, str], tuple[int, np.ndarray]]:
        out = {}
        for (channel, code), part in frame.group_by("channel", "business_code"):
            ordered = part.sort("k")
            if ordered.height == QUANTILE_STEPS + 1:
                n = int(ordered["n"][0])
                out[(str(channel), str(code))] = (n, ordered["duration_s"].to_numpy())
        return out

    own, wide = quantiles(branch), quantiles(network)

    def distribution(channel: str, code: str, fallback: float) -> ServiceDistribution:
        for source in (own, wide):
            found = source.get((channel, code))
            if found is not None and found[0] >= min_samples:
                return Empirical(q, np.maximum(found[1], 1.0))
        return Lognormal(max(fallback, 30.0), _DURATION_SPREAD)

    stm: dict[str, ServiceDistribution] = {}
    teller: dict[str, ServiceDistribution] = {}
    for k, code in enumerate(codes):
        at_stm, at_teller = behaviour.durations.get(code, (240.0, 240.0))
        teller[code] = distribution("teller", code, at_teller)
        if migratable[k]:
            stm[code] = distribution("stm", code, at_stm)
    # Stored times mix the branch's ages; the simulator draws them per customer's age.
    factor = np.asarray(behaviour.age_duration)
    mean = float(np.dot(ages / max(ages.sum(), 1e-9), factor)) or 1.0
    return ServiceTimes(stm=stm, teller=teller, age_factor=tuple(float(f / mean) for f in factor))


def _practice(
    settings: Settings,
    staffing: Staffing,
    moments: Moments,
    paths: pl.DataFrame,
    outcomes: pl.DataFrame,
    authorisers: pl.DataFrame,
    device_days: pl.DataFrame,
) -> Practice:
    """What the store shows of the practice directly; coverage as observed, a first guess."""
    # Imported here: the lobby's rules bring its database models, which calibration
    # needs for nothing else.
    from smartcounter.lobby.prompts import load_rules

    sim = settings.simulation
    rules = load_rules(settings.lobby.rules)
    not_at_stm = frozenset(
        str(code)
        for code, n, at_stm, unsupported in outcomes.iter_rows()
        if n > 0 and at_stm == 0 and unsupported / n >= sim.not_supported_share
    )
    composite = paths.filter(pl.col("kind") == "composite")
    split_visits = float(composite.filter(pl.col("d") == pl.col("m"))["visits"].sum())
    total_composite = float(composite["visits"].sum())
    cash_split = bool(total_composite) and split_visits / total_composite >= sim.cash_split_share
    by_role = dict(authorisers.iter_rows())
    stm_total = sum(by_role.values())
    backup = (
        (staffing.specialists + staffing.lobby_managers) > 0
        and stm_total > 0
        and by_role.get("teller", 0) / stm_total >= sim.backup_share
    )
    open_days, fault_days = device_days.row(0) if device_days.height else (0, 0)
    # Faults are rare: a few weeks of one branch say little, so shrink towards the prior.
    seen = float(open_days or 0) * max(staffing.smart_counters, 1) + sim.fault_prior_days
    fault_rate = (float(fault_days or 0) + sim.fault_rate * sim.fault_prior_days) / seen
    coverage = tuple(
        share(moments.get(f"T{s}")) if _practised(moments, s) else 0.0 for s in (1, 2, 3)
    )
    return Practice(
        coverage=(coverage[0], coverage[1], coverage[2]),
        cash_split=cash_split,
        backup_teller=backup,
        not_at_stm=not_at_stm,
        authorisation_required=frozenset(rules.routing.authorisation_required),
        patience_s=sim.patience_minutes * 60.0,
        patience_shape=sim.patience_shape,
        fault_rate=fault_rate,
        slow_share=sim.slow_share,
    )


def _observed(
    metrics: Metrics,
    figures: SimulationMetrics,
    branch_id: str,
    period: Period,
    arrivals: pl.DataFrame,
    moments: Moments,
) -> Observed:
    rates = metrics.rates(["branch"], period).filter(pl.col("branch_id") == branch_id)
    rate = rates.row(0, named=True) if rates.height else {}
    reasons = metrics.unmigrated("reason", period, ["branch"]).filter(
        pl.col("branch_id") == branch_id
    )
    waits = {
        str(q): (mean, p90) for q, _, mean, p90 in figures.waits(period, branch_id).iter_rows()
    }
    days = arrivals["day"].n_unique()
    return Observed(
        migratable=int(rate.get("migratable") or 0),
        migrated=int(rate.get("migrated") or 0),
        rate=rate.get("rate"),
        ci_low=rate.get("ci_low"),
        ci_high=rate.get("ci_high"),
        daily_tickets=float(arrivals["tickets"].sum()) / days if days else None,
        waits=waits,
        reasons={str(r["value"]): float(r["share"]) for r in reasons.iter_rows(named=True)},
        moments=proportions(moments),
    )


def _peer_coverage(
    metrics: Metrics, period: Period, branch_id: str, sim: SimulationSettings
) -> tuple[float, float, float]:
    """Median coverage of each stage over the other branches that practise it."""
    frame = ProgrammeMetrics(metrics).triage_coverage(period, ("branch",))
    others = frame.filter(pl.col("branch_id") != branch_id)
    out = []
    for s in (1, 2, 3):
        practising = others.filter(pl.col(f"s{s}_coverage") > 0.05)[f"s{s}_coverage"]
        median = practising.median() if practising.len() else None
        out.append(float(median) if isinstance(median, float) else sim.new_stage_coverage[s - 1])
    return (out[0], out[1], out[2])


def _practised(moments: Moments, stage: int) -> bool:
    touches, eligible = moments.get(f"T{stage}", (0.0, 0.0))
    return touches >= 3 and eligible > 0 and touches / eligible >= 0.02
