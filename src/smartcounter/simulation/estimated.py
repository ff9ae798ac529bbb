"""The estimated behaviour inside the simulator, and what-ifs with their next-weeks range.

``behaviour_for`` turns a branch's estimates (``estimation.py``) into the simulator's
``Behaviour``: how acceptance varies with age (the branch's own older customers included),
tier and a cash visit's split; the decline reasons by age; how much longer older customers
take. Practice — how many customers each stage reaches, guidance quality, habits — is still
fitted to the branch's funnel by calibration, now on top of the estimated behaviour.

``next_weeks`` gives a what-if its *expected range of next weeks' rate*: the store's level
over the calibration weeks (bootstrapped over weeks) plus the simulated effect, whose
uncertainty comes from posterior draws of the behaviour pushed through the simulation on
common random numbers, plus the branch's week-to-week variation (``intervals.py``). The
Monte-Carlo error of the main run stays in its own rows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import polars as pl
from scipy.stats import t as student_t

from smartcounter.canonical.tables import AGE_BANDS
from smartcounter.metrics import Metrics, Period
from smartcounter.settings import Settings
from smartcounter.simulation.acceptance_model import AcceptanceFit
from smartcounter.simulation.behaviour import Behaviour
from smartcounter.simulation.changes import PracticeChange
from smartcounter.simulation.estimation import (
    ESTIMATED,
    BranchEstimates,
    NetworkEstimates,
    estimate_behaviour,
)
from smartcounter.simulation.intervals import (
    NetworkVariation,
    RateForecast,
    WeeklyVariation,
    bootstrap_level,
    forecast,
    network_variation,
    weekly_variation,
)
from smartcounter.simulation.model import BranchModel
from smartcounter.simulation.runner import what_if
from smartcounter.simulation.scenario import Scenario
from smartcounter.store.layout import Store

NEXT_WEEKS_METRIC = "migration_rate_next_weeks"
RANGE_LEVEL = 0.8
_REF_AGE = AGE_BANDS.index("30-44")
_ELDERLY = AGE_BANDS.index("60+")


def _effects(fit: AcceptanceFit, vector: np.ndarray) -> dict[str, float]:
    names = fit.design.names
    p = len(names)
    out = {n: float(vector[i]) for i, n in enumerate(names)}
    out["elderly_branch"] = float(vector[p + 3])
    return out


def behaviour_for(
    estimates: NetworkEstimates,
    branch: BranchEstimates,
    base: Behaviour,
    vector: np.ndarray | None = None,
) -> Behaviour:
    """``base`` with the branch's estimated behaviour (at the posterior mode, or ``vector``:
    a draw of the acceptance model's shared effects and the branch's offsets)."""
    fit = estimates.acceptance
    changes: dict[str, object] = {}
    if fit.branches:  # the store had triage records: acceptance shifts are estimated
        if vector is None:
            vector, _ = fit.joint(branch.branch_id)
        e = _effects(fit, vector)
        ref = base.accept_age[_REF_AGE]
        ages = [ref] * len(AGE_BANDS)
        for a, band in enumerate(AGE_BANDS):
            if a != _REF_AGE:
                ages[a] = ref + e[f"age:{band}"]
        ages[_ELDERLY] += e["elderly_branch"]
        changes["accept_age"] = tuple(ages)
        changes["accept_tier"] = (0.0, e["tier:affluent"], e["tier:private"])
        changes["composite_accept"] = (e["composite:1"] + e["composite:2"]) / 2
        changes["split_referral"] = e["composite:3"]
    changes.update(_decline_weights(branch, base))
    durations = _age_durations(branch, base)
    if durations is not None:
        changes["age_duration"] = durations
    return replace(base, **changes)  # type: ignore[arg-type]


def _decline_weights(branch: BranchEstimates, base: Behaviour) -> dict[str, object]:
    """Decline weights by age from the branch's reason shares (relative to "declined")."""
    shares = {
        (p.label("age_band"), p.label("reason")): p
        for p in branch.of("decline_share")
        if p.provenance == ESTIMATED
    }
    if not shares:
        return {}
    elderly = list(base.decline_elderly)
    id_check: list[tuple[float, float]] = []
    other: list[tuple[float, float]] = []
    for a, band in enumerate(AGE_BANDS):
        declined = shares.get((band, "customer_declined"))
        if declined is None or declined.value <= 0:
            continue
        weight = float(max(declined.n, 1))
        for reason, into in (("id_check", id_check), ("other", other)):
            found = shares.get((band, reason))
            if found is not None:
                into.append((found.value / declined.value, weight))
        found = shares.get((band, "elderly_unable"))
        if found is not None:
            elderly[a] = found.value / declined.value
    out: dict[str, object] = {"decline_declined": 1.0, "decline_elderly": tuple(elderly)}
    for name, values in (("decline_id_check", id_check), ("decline_other", other)):
        if values:
            total = sum(w for _, w in values)
            out[name] = sum(v * w for v, w in values) / total
    return out


def _age_durations(branch: BranchEstimates, base: Behaviour) -> tuple[float, ...] | None:
    ref = base.age_duration[_REF_AGE]
    out = list(base.age_duration)
    found = False
    for a, band in enumerate(AGE_BANDS):
        p = branch.find("age_duration", age_band=band)
        if p is not None and p.provenance == ESTIMATED:
            out[a] = round(ref * p.value, 4)
            found = True
    return tuple(out) if found else None


def with_estimates(
    model: BranchModel, estimates: NetworkEstimates, branch: BranchEstimates
) -> BranchModel:
    """``model`` with the estimated patience (where give-ups were enough to measure it)."""
    patience = branch.find("patience_mean_s")
    if patience is None or patience.provenance != ESTIMATED:
        return model
    return replace(model, practice=replace(model.practice, patience_s=patience.value))


def behaviour_draws(
    estimates: NetworkEstimates,
    branch: BranchEstimates,
    base: Behaviour,
    count: int,
    rng: np.random.Generator,
) -> list[Behaviour]:
    """``count`` behaviours drawn from the acceptance model's posterior for the branch."""
    if not estimates.acceptance.branches or count <= 0:
        return []
    vectors = estimates.acceptance.draws(branch.branch_id, count, rng)
    return [behaviour_for(estimates, branch, base, v) for v in vectors]


@dataclass(frozen=True)
class NextWeeks:
    """The expected range of next weeks' rate, as is and under the scenario."""

    baseline: RateForecast
    scenario: RateForecast
    effect: float
    effect_sd: float  # from the behaviour's uncertainty (posterior draws)
    effect_low: float
    effect_high: float
    level: float
    draws: int
    variation: WeeklyVariation  # the branch's calibration weeks
    network: NetworkVariation | None  # how the network's weekly rates move (None: unknown)
    level_sd: float  # the calibration level's sd by bootstrap (used without ``network``)

    def scenario_range(
        self, horizon: int, gap: int = 1, level: float | None = None
    ) -> RateForecast:
        """The scenario's range for ``horizon`` weeks starting ``gap`` weeks after the
        calibration weeks (a back-test compares the weeks after a change has settled)."""
        return _range(
            self.scenario.rate,
            self.variation,
            self.network,
            self.level_sd,
            self.effect_sd,
            horizon=horizon,
            gap=gap,
            level=self.level if level is None else level,
            monte_carlo_se=self.scenario.monte_carlo_se,
        )

    def row(self, store_rate: float | None) -> dict[str, object]:
        """The range as a row of ``simulate``'s table."""
        return {
            "metric": NEXT_WEEKS_METRIC,
            "group": "",
            "store": store_rate,
            "baseline": self.baseline.rate,
            "baseline_low": self.baseline.low,
            "baseline_high": self.baseline.high,
            "scenario": self.scenario.rate,
            "scenario_low": self.scenario.low,
            "scenario_high": self.scenario.high,
            "difference": self.effect,
            "difference_low": self.effect_low,
            "difference_high": self.effect_high,
        }


def weekly_counts(rates: pl.DataFrame) -> tuple[list[float], list[float]]:
    """Migrated and migratable per week from a ``rates --by week`` frame of one branch."""
    rows = rates.sort("week")
    return (
        [float(v or 0) for v in rows["migrated"].to_list()],
        [float(v or 0) for v in rows["migratable"].to_list()],
    )


def network_variation_of(
    weekly: pl.DataFrame, changes: Sequence[PracticeChange] = ()
) -> NetworkVariation | None:
    """``NetworkVariation`` from a ``rates --by branch,week`` frame of every branch, leaving
    out branches whose practice changed inside those weeks (a step, not variation)."""
    weeks = weekly["week"].unique().sort().to_list()
    stepped = {c.branch_id for c in changes if weeks and weeks[0] < c.week <= weeks[-1]}
    rows = weekly.filter((pl.col("migratable") > 0) & ~pl.col("branch_id").is_in(list(stepped)))
    return network_variation(
        rows["branch_id"].to_list(),
        rows["week"].to_list(),
        [float(v or 0) for v in rows["migrated"].to_list()],
        [float(v) for v in rows["migratable"].to_list()],
    )


def _range(
    rate: float,
    variation: WeeklyVariation,
    network: NetworkVariation | None,
    level_sd: float,
    effect_sd: float,
    *,
    horizon: int,
    gap: int,
    level: float,
    monte_carlo_se: float = 0.0,
) -> RateForecast:
    # With the network's variation the level's uncertainty comes from it (``forecast``);
    # without, from the bootstrap over the branch's own weeks.
    parameter_sd = effect_sd if network is not None else math.hypot(level_sd, effect_sd)
    return forecast(
        rate,
        variation,
        parameter_sd=parameter_sd,
        horizon=horizon,
        level=level,
        monte_carlo_se=monte_carlo_se,
        network=network,
        gap=gap,
    )


def next_weeks(
    model: BranchModel,
    scenario: Scenario,
    effect: float,
    effect_mc_se: float,
    migrated: Sequence[float],
    migratable: Sequence[float],
    behaviours: Sequence[Behaviour],
    *,
    replications: int,
    seed: int,
    horizon: int,
    level: float = RANGE_LEVEL,
    network: NetworkVariation | None = None,
    mc_df: int | None = None,
) -> NextWeeks:
    """The range of the next ``horizon`` weeks' rate as is and under ``scenario``.

    ``effect`` is the main run's simulated difference (``effect_mc_se`` its Monte-Carlo
    error); each behaviour draw is simulated as is and under the scenario on the same
    streams, the spread of its differences being the effect's parameter uncertainty.
    ``network``: how the network's weekly rates move (``network_variation_of``); ``mc_df``:
    the degrees of freedom of ``effect_mc_se`` (the main run's weeks less one).
    """
    rng = np.random.default_rng(seed)
    variation = weekly_variation(migrated, migratable)
    boot = bootstrap_level(migrated, migratable, 400, rng)
    boot = boot[np.isfinite(boot)]
    level_sd = float(np.std(boot, ddof=1)) if boot.size > 1 else 0.0
    effects = []
    for b in behaviours:
        drawn = replace(model, behaviour=b)
        result = what_if(drawn, scenario, replications, np.random.default_rng(seed))
        row = result.comparison.filter(pl.col("metric") == "migration_rate")
        if row.height and row["difference"][0] is not None:
            effects.append(float(row["difference"][0]))
    effect_sd = float(np.std(effects, ddof=1)) if len(effects) > 1 else 0.0
    base = _range(
        variation.rate, variation, network, level_sd, 0.0, horizon=horizon, gap=1, level=level
    )
    moved = variation.rate + effect
    changed = _range(
        # A rate: the store's level moved by the simulated difference, kept within 0–100 %
        # (a what-if that removes the smart counters takes the rate to 0, not below it).
        min(1.0, max(0.0, moved)),
        variation,
        network,
        level_sd,
        effect_sd,
        horizon=horizon,
        gap=1,
        level=level,
        monte_carlo_se=effect_mc_se,
    )
    if not 0.0 < moved < 1.0:  # at a bound there is nothing left to vary: the bound itself
        edge = changed.rate
        changed = replace(changed, low=edge, high=edge, week_low=edge, week_high=edge)
    # The difference's range holds the simulation's noise too: on few simulated weeks that
    # noise is large and known from few, hence Student's t on the main run's weeks.
    q = float(student_t.ppf(0.5 + level / 2, mc_df)) if mc_df else _normal_quantile(level)
    half = q * math.sqrt(effect_sd**2 + effect_mc_se**2)
    return NextWeeks(
        baseline=base,
        scenario=changed,
        effect=effect,
        effect_sd=effect_sd,
        effect_low=effect - half,
        effect_high=effect + half,
        level=level,
        draws=len(effects),
        variation=variation,
        network=network,
        level_sd=level_sd,
    )


def _normal_quantile(level: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(0.5 + level / 2))


# -- the what-if's use of it ---------------------------------------------------------------------

BEHAVIOUR_ESTIMATED = "behaviour_estimated"
BEHAVIOUR_ASSUMED = "behaviour_assumed"
DRAWS = 8  # posterior draws of the behaviour pushed through the simulation
_DRAW_REPLICATIONS = 8
WHOLE_NETWORK_UP_TO = 150  # branches fitted together; larger networks fit one peer group


@dataclass(frozen=True)
class EstimatedBranch:
    """A branch's estimated behaviour, as the simulator uses it."""

    network: NetworkEstimates
    branch: BranchEstimates
    behaviour: Behaviour


# Network estimates by calibration weeks (and, in a large network, the branch whose peer
# group was fitted): what-ifs over the same weeks of one store share them (a back-test).
EstimateCache = dict[tuple[tuple[str, ...], str | None], NetworkEstimates]


def estimate_branch(
    store: Store,
    settings: Settings,
    branch_id: str,
    weeks: Sequence[str],
    metrics: Metrics,
    cache: EstimateCache | None = None,
) -> EstimatedBranch:
    """The branch's behaviour estimated from the store's records over ``weeks`` (in a network
    of more than ``WHOLE_NETWORK_UP_TO`` branches, from its peer group's alone); ``cache``
    keeps the network's estimates for the next branch over the same weeks."""
    branches = metrics.engine.run("SELECT COUNT(*) AS n FROM branches", None).column(0)[0]
    large = int(branches.as_py() or 0) > WHOLE_NETWORK_UP_TO
    key = (tuple(weeks), branch_id if large else None)
    network = cache.get(key) if cache is not None else None
    if network is None:
        network = estimate_behaviour(
            store, settings, weeks, metrics=metrics, peer_group_of=branch_id if large else None
        )
        if cache is not None:
            cache[key] = network
    branch = network.branch(branch_id)
    return EstimatedBranch(network, branch, behaviour_for(network, branch, Behaviour()))


def next_weeks_of(
    model: BranchModel,
    scenario: Scenario,
    comparison: pl.DataFrame,
    estimated: EstimatedBranch,
    metrics: Metrics,
    *,
    replications: int,
    seed: int,
    confidence: float,
    known_changes: Sequence[PracticeChange] = (),
) -> NextWeeks | None:
    """The next-weeks range of a what-if whose main run gave ``comparison`` (branches with
    ``known_changes`` inside the calibration weeks are left out of the network's variation,
    beside those whose rate visibly stepped)."""
    row = comparison.filter(pl.col("metric") == "migration_rate")
    if row.height == 0 or row["difference"][0] is None:
        return None
    r = row.row(0, named=True)
    mc_se = 0.0
    if r["difference_low"] is not None and r["difference_high"] is not None and replications > 1:
        t = float(student_t.ppf((1 + confidence) / 2, replications - 1))
        mc_se = (float(r["difference_high"]) - float(r["difference_low"])) / (2 * t)
    weekly = metrics.rates(["branch", "week"], Period.of_weeks(list(model.weeks)))
    migrated, migratable = weekly_counts(weekly.filter(pl.col("branch_id") == model.branch_id))
    if sum(migratable) <= 0:
        return None
    draws = behaviour_draws(
        estimated.network,
        estimated.branch,
        model.behaviour,
        DRAWS,
        np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(7,))),
    )
    return next_weeks(
        model,
        scenario,
        float(r["difference"]),
        mc_se,
        migrated,
        migratable,
        draws,
        replications=min(replications, _DRAW_REPLICATIONS),
        seed=seed,
        horizon=max(len(model.weeks), 1),
        network=network_variation_of(weekly, known_changes),
        mc_df=max(replications - 1, 1),
    )


def behaviour_rows(branch: BranchEstimates) -> list[dict[str, object]]:
    """Each behaviour figure as a row of ``simulate``'s table: ``behaviour_estimated`` or
    ``behaviour_assumed``, the group naming the figure (``acceptance/stage=1/age_band=60+/…``),
    the value in ``store``, ``baseline`` and ``scenario``, its interval beside them."""
    rows = []
    for p in branch.parameters:
        group = "/".join([p.name, *(f"{k}={v}" for k, v in p.labels)])
        rows.append(
            {
                "metric": BEHAVIOUR_ESTIMATED if p.provenance == ESTIMATED else BEHAVIOUR_ASSUMED,
                "group": group,
                "store": p.value,
                "baseline": p.value,
                "baseline_low": p.low,
                "baseline_high": p.high,
                "scenario": p.value,
                "scenario_low": p.low,
                "scenario_high": p.high,
                "difference": None,
                "difference_low": None,
                "difference_high": None,
            }
        )
    return rows


def with_rows(table: pl.DataFrame, rows: Sequence[dict[str, object]]) -> pl.DataFrame:
    """``table`` with ``rows`` appended (its columns; absent ones empty)."""
    if not rows:
        return table
    extra = pl.DataFrame(
        [{c: r.get(c) for c in table.columns} for r in rows],
        schema=table.schema,
        orient="row",
    )
    return pl.concat([table, extra], how="vertical")
