"""Behaviour estimated from a generated store recovers the behaviour it was generated with.

The network is generated with a behaviour whose acceptance has no hidden customer states
(no unprompted use, habit or follow-up effect, nobody averse), so the true acceptance of
every triage touch is a closed formula of the generator's parameters and each branch's
recorded guidance quality — the truth the estimates' intervals are checked against.
Service times' age factors and patience keep the shipped values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from smartcounter.canonical.tables import AGE_BANDS, CUSTOMER_TIERS
from smartcounter.metrics import Period, open_metrics
from smartcounter.metrics.estimation_api import EstimationMetrics
from smartcounter.metrics.period import weeks_back
from smartcounter.settings import Settings
from smartcounter.simulation.acceptance_model import fit_acceptance
from smartcounter.simulation.behaviour import Behaviour
from smartcounter.simulation.calibrate import calibrate
from smartcounter.simulation.estimated import (
    behaviour_draws,
    behaviour_for,
    next_weeks,
    weekly_counts,
    with_estimates,
)
from smartcounter.simulation.estimation import (
    ASSUMED,
    ESTIMATED,
    MIN_TOUCHES,
    NetworkEstimates,
    describe,
    estimate_behaviour,
    weibull_patience,
)
from smartcounter.simulation.intervals import (
    bootstrap_level,
    forecast,
    weekly_variation,
)
from smartcounter.simulation.scenario import Scenario
from smartcounter.store.layout import Store
from smartcounter.synthetic import NetworkSpec, write_network
from smartcounter.synthetic.writer import TRUTH_DIR, TRUTH_FILE

WEEKS = 6
SPEC = NetworkSpec(
    branches=36, weeks=WEEKS, start=date(2018, 1, 1), seed=4242, source_branches=False
)
CALIBRATION = tuple(weeks_back(f"2018-W{WEEKS:02d}", WEEKS))
OBSERVABLE = replace(
    Behaviour(),
    self_logit=-30.0,
    accept_habit=0.0,
    accept_follow_up=0.0,
    averse=(0.0, 0.0, 0.0, 0.0),
)


@dataclass(frozen=True)
class Generated:
    store: Store
    truth: pl.DataFrame
    estimates: NetworkEstimates


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    root = tmp_path_factory.mktemp("estimation")
    store = Store.open_or_create(root / "store", timezone="Asia/Shanghai")
    summary = write_network(
        root / "generated", SPEC, write_csv=False, store=store, behaviour=OBSERVABLE
    )
    assert summary.rejected == 0
    store = Store.open(root / "store")
    truth = pl.read_csv(root / "generated" / TRUTH_DIR / TRUTH_FILE)
    estimates = estimate_behaviour(store, Settings(), CALIBRATION, behaviour=OBSERVABLE)
    return Generated(store, truth, estimates)


def _true_acceptance(row: dict[str, object], stage: int, age: int, tier: int) -> float:
    """The generator's chance that a noncash visit's touch is accepted, over the weeks."""
    b = OBSERVABLE
    weeks = np.arange(WEEKS)
    quality = np.clip(
        float(row["guidance_quality"]) + float(row["guidance_trend_per_week"]) * weeks, 0.05, 0.98
    )
    elderly = age == AGE_BANDS.index("60+") and bool(row["elderly_support"])
    logit = (
        b.accept_stage[stage - 1]
        + b.accept_age[age]
        + b.accept_tier[tier]
        + b.accept_quality * (quality - 0.6)
        + b.elderly_support * elderly
    )
    return float(np.mean(1.0 / (1.0 + np.exp(-logit))))


def test_acceptance_intervals_cover_the_true_acceptance(generated: Generated) -> None:
    fit = generated.estimates.acceptance
    inside: list[bool] = []
    stages_checked = 0
    for row in generated.truth.iter_rows(named=True):
        branch = generated.estimates.branch(str(row["branch_id"]))
        for stage in (1, 2, 3):
            k = fit.branch_index(branch.branch_id)
            if k is None or fit.touches[k, stage - 1] < MIN_TOUCHES:
                continue
            stages_checked += 1
            for age, band in enumerate(AGE_BANDS):
                for tier, name in enumerate(CUSTOMER_TIERS):
                    p = branch.find(
                        "acceptance", stage=str(stage), age_band=band, customer_tier=name
                    )
                    assert p is not None and p.provenance == ESTIMATED
                    assert p.low is not None and p.high is not None
                    inside.append(p.low <= _true_acceptance(row, stage, age, tier) <= p.high)
    assert stages_checked >= 40
    coverage = float(np.mean(inside))
    assert coverage >= 0.9, f"95% intervals cover {coverage:.1%} of the true acceptances"


def test_shared_effects_recover_the_generators(generated: Generated) -> None:
    fit = generated.estimates.acceptance
    b = OBSERVABLE
    se = np.sqrt(np.diag(fit.cov_beta))
    ref = b.accept_age[1]
    expected = {
        "age:<30": b.accept_age[0] - ref,
        "age:45-59": b.accept_age[2] - ref,
        "tier:affluent": b.accept_tier[1],
        "tier:private": b.accept_tier[2],
        "habit:yes": 0.0,  # the generator's acceptance ignores habit here
        "composite:1": b.composite_accept,
        "composite:2": b.composite_accept,
        "composite:3": b.split_referral,
    }
    for name, truth in expected.items():
        j = fit.design.index(name)
        assert abs(fit.beta[j] - truth) <= 3.5 * se[j], (name, fit.beta[j], se[j], truth)


def test_service_times_recover_the_age_factors(generated: Generated) -> None:
    b = OBSERVABLE
    branch = generated.estimates.branch(str(generated.truth["branch_id"][0]))
    for age, band in enumerate(AGE_BANDS):
        if band == "30-44":
            continue
        p = branch.find("age_duration", age_band=band)
        assert p is not None and p.provenance == ESTIMATED and p.se is not None
        truth = b.age_duration[age] / b.age_duration[1]
        assert abs(p.value - truth) <= max(3 * p.se, 0.02 * truth), (band, p.value, truth)


def test_patience_recovers_the_generators(generated: Generated) -> None:
    fitted = generated.estimates.patience.by_branch
    assert len(fitted) >= 5
    means = np.array([m for m, _, _, _ in fitted.values()])
    ses = np.array([s for _, s, _, _ in fitted.values()])
    truth = OBSERVABLE.stm_patience_s
    pooled = float(np.sum(means / ses**2) / np.sum(1 / ses**2))
    pooled_se = float(1 / math.sqrt(np.sum(1 / ses**2)))
    # The recorded wait includes the walk and greeting before the line: a few percent.
    assert abs(pooled - truth) <= 3 * pooled_se + 0.05 * truth, (pooled, pooled_se)
    inside = np.abs(means - truth) <= 1.96 * ses
    assert inside.mean() >= 0.75


def test_weibull_patience_on_exact_queue_data() -> None:
    # Customers offered waits from an exponential line; patience Weibull(3, mean 20 min).
    rng = np.random.default_rng(5)
    shape, mean = 3.0, 1200.0
    scale = mean / math.gamma(1 + 1 / shape)
    offered = rng.exponential(600.0, 40_000)
    patience = scale * rng.weibull(shape, offered.shape[0])
    served = offered[patience > offered]
    gave_up = int((patience <= offered).sum())
    found = weibull_patience(served, np.ones_like(served), gave_up, shape)
    assert found is not None
    estimate, se = found
    assert abs(estimate - mean) <= 3 * se
    assert se < 0.05 * mean


def test_a_store_without_records_keeps_the_defaults(generated: Generated) -> None:
    empty = estimate_behaviour(generated.store, Settings(), ("2016-W01",), behaviour=OBSERVABLE)
    branch = empty.branch(str(generated.truth["branch_id"][0]))
    acceptance = branch.of("acceptance")
    assert acceptance and all(p.provenance == ASSUMED for p in acceptance)
    assert {p.provenance for p in branch.of("patience_mean_s")} == {ASSUMED}
    # With no records the prior is the shipped behaviour itself.
    fit = empty.acceptance
    assert np.allclose(fit.beta, fit.design.prior_mean)


def test_estimation_cells_add_up_to_the_stores_funnel(generated: Generated) -> None:
    """Every triage touch lands in one acceptance cell: the cells' touches, the touches that
    could not be accepted, and the acceptances (device turn-aways included) match the
    store's funnel per stage."""
    period = Period.of_weeks(list(CALIBRATION))
    with open_metrics(generated.store, Settings()) as metrics:
        cells = EstimationMetrics(metrics).acceptance_cells(period)
        funnel = metrics.funnel(period, ())
        turned_away = metrics.decline_reasons(period, ())
    per_stage = cells.group_by("stage").agg(
        (pl.col("touches") + pl.col("blocked")).sum().alias("all"), pl.col("accepted").sum()
    )
    got = {int(s): (int(a), int(acc)) for s, a, acc in per_stage.iter_rows()}
    device: dict[int, int] = {}
    for s, r, n in turned_away.select("stage", "reason", "count").iter_rows():
        if r in ("device_busy", "device_fault"):
            device[int(s)] = device.get(int(s), 0) + int(n)
    for stage, touches, accepted in funnel.select("stage", "touches", "accepted").iter_rows():
        assert got[int(stage)] == (int(touches), int(accepted) + device.get(int(stage), 0))


def test_a_director_reads_what_was_estimated_and_what_assumed(generated: Generated) -> None:
    branch = generated.estimates.branch(str(generated.truth["branch_id"][0]))
    zh = describe(branch, "zh")
    en = describe(branch, "en")
    assert len(zh) == len(en) >= 5
    assert branch.branch_id in zh[0] and branch.branch_id in en[0]
    assert any("估计值" in line for line in zh) and any("假定值" in line for line in zh)
    assert any("estimated" in line for line in en) and any("Assumed" in line for line in en)


# -- prediction intervals ------------------------------------------------------------------------


def _weeks(
    rng: np.random.Generator, level: float, between_sd: float, n: int, weeks: int
) -> tuple[np.ndarray, np.ndarray]:
    logit = math.log(level / (1 - level))
    p = 1 / (1 + np.exp(-(logit + rng.normal(0, between_sd / (level * (1 - level)), weeks))))
    migratable = rng.poisson(n, weeks).astype(float)
    return rng.binomial(migratable.astype(int), p).astype(float), migratable


def test_weekly_variation_recovers_the_week_to_week_spread() -> None:
    rng = np.random.default_rng(1)
    estimates = []
    for _ in range(400):
        migrated, migratable = _weeks(rng, 0.85, 0.03, 400, 13)
        estimates.append(weekly_variation(migrated, migratable).between_sd)
    assert abs(float(np.median(estimates)) - 0.03) < 0.006


def test_next_weeks_ranges_cover_as_stated() -> None:
    """Branches with a level, week-to-week spread and few transactions: calibrate on six
    weeks, predict the next six; 80 % ranges cover 70–90 % of the outcomes."""
    rng = np.random.default_rng(2)
    inside, widths = [], []
    for _ in range(600):
        level = rng.uniform(0.6, 0.95)
        spread = rng.uniform(0.0, 0.04)
        size = int(rng.integers(150, 1500))
        migrated, migratable = _weeks(rng, level, spread, size, 12)
        past_m, past_n = migrated[:6], migratable[:6]
        variation = weekly_variation(past_m, past_n)
        boot = bootstrap_level(past_m, past_n, 200, rng)
        ahead = forecast(
            variation.rate,
            variation,
            parameter_draws=boot,
            horizon=6,
            level=0.8,
        )
        realised = migrated[6:].sum() / migratable[6:].sum()
        inside.append(ahead.low <= realised <= ahead.high)
        widths.append(ahead.width)
    coverage = float(np.mean(inside))
    assert 0.7 <= coverage <= 0.9, coverage
    assert float(np.median(widths)) < 0.1


def test_monte_carlo_error_stays_out_of_the_range() -> None:
    variation = weekly_variation([850, 880, 860, 900], [1000, 1000, 1000, 1000])
    a = forecast(0.87, variation, parameter_sd=0.01, horizon=4, monte_carlo_se=0.0)
    b = forecast(0.87, variation, parameter_sd=0.01, horizon=4, monte_carlo_se=0.05)
    assert (a.low, a.high) == (b.low, b.high)
    assert b.monte_carlo_se == 0.05
    assert a.week_high - a.week_low > a.high - a.low  # one week moves more than six together


def test_a_branch_at_zero_still_gets_a_range() -> None:
    variation = weekly_variation([0, 0, 0], [300, 280, 310])
    ahead = forecast(variation.rate, variation, horizon=3)
    assert ahead.low <= 0.0 + 1e-9 < ahead.high
    assert ahead.high > 0.001


def test_fit_on_no_cells_returns_the_prior() -> None:
    frame = pl.DataFrame(
        schema={
            "branch_id": pl.String,
            "branch_type": pl.String,
            "week": pl.String,
            "stage": pl.Int64,
            "age_band": pl.String,
            "customer_tier": pl.String,
            "kind": pl.String,
            "habit": pl.String,
            "touches": pl.Int64,
            "accepted": pl.Int64,
            "blocked": pl.Int64,
        }
    )
    fit = fit_acceptance(frame, OBSERVABLE)
    assert fit.branches == ()
    value, low, high, _ = fit.cell("X", "urban", 2, 1, 0)
    assert low < value < high


def test_truth_file_is_where_the_generator_writes_it(tmp_path: Path) -> None:
    # Guards the recovery tests' reading of the truth: the columns they rely on exist.
    spec = NetworkSpec(branches=2, weeks=1, start=date(2018, 1, 1), seed=1, source_branches=False)
    store = Store.open_or_create(tmp_path / "s", timezone="Asia/Shanghai")
    write_network(tmp_path / "g", spec, write_csv=False, store=store)
    truth = pl.read_csv(tmp_path / "g" / TRUTH_DIR / TRUTH_FILE)
    for column in ("guidance_quality", "guidance_trend_per_week", "elderly_support", "branch_type"):
        assert column in truth.columns


# -- the estimates in the simulator --------------------------------------------------------------


def test_the_simulators_behaviour_takes_the_estimates(generated: Generated) -> None:
    branch_id = str(generated.truth["branch_id"][0])
    branch = generated.estimates.branch(branch_id)
    base = Behaviour()  # the shipped one, not the generator's of this store
    b = behaviour_for(generated.estimates, branch, base)
    truth = OBSERVABLE
    # Age and tier shifts are the generator's, within the estimates' uncertainty.
    assert (
        abs((b.accept_age[0] - b.accept_age[1]) - (truth.accept_age[0] - truth.accept_age[1])) < 0.1
    )
    assert (
        abs((b.accept_age[2] - b.accept_age[1]) - (truth.accept_age[2] - truth.accept_age[1])) < 0.1
    )
    assert abs(b.accept_tier[2] - truth.accept_tier[2]) < 0.2
    assert (
        abs(b.age_duration[3] / b.age_duration[1] - truth.age_duration[3] / truth.age_duration[1])
        < 0.03
    )
    draws = behaviour_draws(generated.estimates, branch, base, 5, np.random.default_rng(0))
    assert len({d.accept_tier[1] for d in draws}) == 5


def test_a_what_if_gets_its_next_weeks_range(generated: Generated) -> None:
    settings = Settings()
    fit = generated.estimates.acceptance
    branch_id = fit.branches[int(np.argmax(fit.touches.sum(axis=1)))]
    branch = generated.estimates.branch(branch_id)
    with open_metrics(generated.store, settings) as metrics:
        model = calibrate(generated.store, settings, branch_id, CALIBRATION, metrics=metrics)
        weekly = metrics.rates(["branch", "week"], Period.of_weeks(list(CALIBRATION)))
    model = with_estimates(model, generated.estimates, branch)
    migrated, migratable = weekly_counts(weekly.filter(pl.col("branch_id") == branch_id))
    draws = behaviour_draws(
        generated.estimates, branch, model.behaviour, 3, np.random.default_rng(1)
    )
    ahead = next_weeks(
        model,
        Scenario(triage_rounds=3),
        0.02,
        0.005,
        migrated,
        migratable,
        draws,
        replications=2,
        seed=3,
        horizon=4,
    )
    store_rate = sum(migrated) / sum(migratable)
    assert ahead.draws == 3
    assert ahead.baseline.rate == pytest.approx(store_rate)
    assert ahead.baseline.low < store_rate < ahead.baseline.high
    assert ahead.scenario.rate == pytest.approx(store_rate + 0.02)
    assert ahead.scenario.high - ahead.scenario.low >= ahead.baseline.high - ahead.baseline.low
    # A difference that would take the rate below 0 (no smart counter left) stops at 0.
    gone = next_weeks(
        model,
        Scenario(smart_counters=0),
        -(store_rate + 0.05),
        0.005,
        migrated,
        migratable,
        draws[:2],
        replications=1,
        seed=3,
        horizon=4,
    )
    scenario = gone.scenario
    assert (scenario.rate, scenario.low, scenario.high) == (0.0, 0.0, 0.0)
    assert (scenario.week_low, scenario.week_high) == (0.0, 0.0)
    row = ahead.row(store_rate)
    assert list(row)[:12] == [
        "metric",
        "group",
        "store",
        "baseline",
        "baseline_low",
        "baseline_high",
        "scenario",
        "scenario_low",
        "scenario_high",
        "difference",
        "difference_low",
        "difference_high",
    ]


def test_one_peer_group_is_enough_for_a_branch(generated: Generated) -> None:
    fit = generated.estimates.acceptance
    branch_id = fit.branches[int(np.argmax(fit.touches.sum(axis=1)))]
    group = generated.estimates.branch_types[branch_id]
    alone = estimate_behaviour(
        generated.store, Settings(), CALIBRATION, behaviour=OBSERVABLE, peer_group_of=branch_id
    )
    assert set(alone.acceptance.branch_group) == {group}
    assert branch_id in alone.acceptance.branches
    whole = generated.estimates.branch(branch_id)
    part = alone.branch(branch_id)
    for stage in ("1", "2", "3"):
        a = whole.find("acceptance", stage=stage, age_band="30-44", customer_tier="mass")
        b = part.find("acceptance", stage=stage, age_band="30-44", customer_tier="mass")
        assert a is not None and b is not None and a.se is not None and b.se is not None
        if a.basis == "branch":
            assert abs(a.value - b.value) <= 2 * (a.se + b.se)
