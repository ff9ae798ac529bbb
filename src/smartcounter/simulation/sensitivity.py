"""Sensitivity: how much a what-if's answer moves when each assumed behaviour figure moves.

The figures are those the store cannot tell: what ``estimation.describe`` lists as assumed
(touch times, walking, the teller's re-promotion, the wait for an authoriser, unprompted
use, patience where give-ups were too few) and the shipped priors calibration does not
estimate (how much guidance quality, habit and a follow-up raise acceptance, aversion to
machines and how staff win it over, the elderly support, the split referral, device
congestion and authorisation speeds). Each is moved down and up by ``step`` (e.g. 20 %)
on the calibrated model, the others left as they are, and the what-if is simulated again
on the same random numbers as at base: how much the *effect* depends on a figure, at the
branch's calibrated practice.

That first pass leaves the branch as it was fitted, so at either end the model no longer
matches the store's funnel. With ``recalibrate`` the largest swings are checked again the
honest way: the branch is calibrated anew to the same store figures with the figure moved
(practice re-fitted around it), and the what-if run on that model. A figure the store's
funnel pins down then swings little, one it cannot tell swings as much or more. Figures of
the lobby's timing and patience are not part of what calibration takes, and are not
re-checked.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import polars as pl

from smartcounter.kit.progress import NullProgress, Progress
from smartcounter.simulation.behaviour import Behaviour
from smartcounter.simulation.estimation import ASSUMED, BranchEstimates
from smartcounter.simulation.model import BranchModel, Timing
from smartcounter.simulation.runner import what_if
from smartcounter.simulation.scenario import Scenario

RESULT_COLUMNS = (
    "parameter",
    "value",
    "difference_low",
    "difference_base",
    "difference_high",
    "swing",
    "wait_stm_low",
    "wait_stm_base",
    "wait_stm_high",
    "wait_teller_low",
    "wait_teller_base",
    "wait_teller_high",
    "difference_low_recalibrated",
    "difference_high_recalibrated",
    "swing_recalibrated",
    "practice_refitted",
)

Perturb = Callable[[BranchModel, float], BranchModel]
# The branch calibrated anew to the store's figures with the customers' behaviour given.
Recalibrate = Callable[[Behaviour], BranchModel]


def _with_behaviour(model: BranchModel, b: Behaviour) -> BranchModel:
    t = model.timing
    timing = Timing.of(
        b,
        walk_s=t.walk_s,
        repromotion_s=t.repromotion_s,
        authorisation_s=t.authorisation_s,
        slow_factor=t.slow_factor,
    )
    return replace(model, behaviour=b, timing=timing)


def _scaled(value: object, factor: float) -> object:
    if isinstance(value, tuple):
        return tuple(_scaled(v, factor) for v in value)
    return float(value) * factor  # type: ignore[arg-type]


def _behaviour_field(name: str) -> tuple[Callable[[BranchModel], float], Perturb]:
    def value(m: BranchModel) -> float:
        v = getattr(m.behaviour, name)
        return float(np.mean(v)) if isinstance(v, tuple) else float(v)

    def perturb(m: BranchModel, factor: float) -> BranchModel:
        changed: dict[str, Any] = {name: _scaled(getattr(m.behaviour, name), factor)}
        return _with_behaviour(m, replace(m.behaviour, **changed))

    return value, perturb


def _per_hour(name: str) -> tuple[Callable[[BranchModel], float], Perturb]:
    """A touch time given as touches per hour: a longer touch is fewer per hour."""

    def value(m: BranchModel) -> float:
        return 3600.0 / float(getattr(m.behaviour, name))

    def perturb(m: BranchModel, factor: float) -> BranchModel:
        changed: dict[str, Any] = {name: float(getattr(m.behaviour, name)) / factor}
        return _with_behaviour(m, replace(m.behaviour, **changed))

    return value, perturb


def _timing_field(name: str) -> tuple[Callable[[BranchModel], float], Perturb]:
    def value(m: BranchModel) -> float:
        return float(getattr(m.timing, name))

    def perturb(m: BranchModel, factor: float) -> BranchModel:
        return replace(m, timing=replace(m.timing, **{name: getattr(m.timing, name) * factor}))

    return value, perturb


def _practice_field(name: str) -> tuple[Callable[[BranchModel], float], Perturb]:
    def value(m: BranchModel) -> float:
        return float(getattr(m.practice, name))

    def perturb(m: BranchModel, factor: float) -> BranchModel:
        scaled = getattr(m.practice, name) * factor
        return replace(m, practice=replace(m.practice, **{name: scaled}))

    return value, perturb


def _unprompted() -> tuple[Callable[[BranchModel], float], Perturb]:
    """Unprompted use as a probability (moved by ``step``), held on the logit scale."""

    def value(m: BranchModel) -> float:
        return 1.0 / (1.0 + math.exp(-m.behaviour.self_logit))

    def perturb(m: BranchModel, factor: float) -> BranchModel:
        p = min(max(value(m) * factor, 1e-6), 1 - 1e-6)
        return _with_behaviour(m, replace(m.behaviour, self_logit=math.log(p / (1 - p))))

    return value, perturb


# The figures ``estimation.describe`` reports as assumed, by the name it gives them.
DESCRIBED: dict[str, tuple[Callable[[BranchModel], float], Perturb]] = {
    "greeter_touch_s": _per_hour("greeter_per_hour"),
    "hall_touch_s": _per_hour("hall_staff_per_hour"),
    "walk_s": _timing_field("walk_s"),
    "repromotion_s": _timing_field("repromotion_s"),
    "authorisation_wait_s": _behaviour_field("auth_wait_s"),
    "unprompted_use": _unprompted(),
    "patience_mean_s": _practice_field("patience_s"),
    "patience_shape": _practice_field("patience_shape"),
}
# Shipped priors that calibration neither estimates nor fits (behaviour.py's names).
PRIORS: tuple[str, ...] = (
    "accept_quality",
    "accept_habit",
    "accept_follow_up",
    "self_habit",
    "averse",
    "averse_accept",
    "averse_support",
    "elderly_support",
    "split_referral_coverage",
    "self_split_without_practice",
    "busy_threshold",
    "busy_slope",
    "auth_backup",
    "auth_tellers",
    "hall_delay_s",
    "teller_per_hour",
)


def assumed_parameters(
    estimates: BranchEstimates | None,
) -> dict[str, tuple[Callable[[BranchModel], float], Perturb]]:
    """The figures to move: the assumed ones of ``estimates`` (all of ``DESCRIBED`` without
    estimates), then the shipped priors."""
    if estimates is None:
        names = list(DESCRIBED)
    else:
        assumed = {p.name for p in estimates.parameters if p.provenance == ASSUMED}
        names = [n for n in DESCRIBED if n in assumed]
    out = {n: DESCRIBED[n] for n in names}
    out.update({n: _behaviour_field(n) for n in PRIORS})
    return out


@dataclass(frozen=True)
class Swing:
    """The what-if's differences with one figure moved down, at base and moved up."""

    parameter: str
    value: float
    rate: tuple[float, float, float]  # migration rate difference at -step, base, +step
    wait_stm: tuple[float, float, float]  # mean wait differences (seconds)
    wait_teller: tuple[float, float, float]
    recalibrated: tuple[float, float] | None = None  # rate differences at -step, +step
    # Whether calibrating anew moved the fitted practice at either end (None: not checked);
    # when it did not, the store's funnel does not pin the figure within calibration's
    # tolerance and the re-calibrated swing is the first pass's.
    refitted: bool | None = None

    @property
    def swing(self) -> float:
        """How far the rate difference moves between the two ends (rate, not pp)."""
        return abs(self.rate[2] - self.rate[0])

    @property
    def swing_recalibrated(self) -> float:
        """The swing with the branch calibrated anew at each end (nan: not re-checked)."""
        if self.recalibrated is None:
            return math.nan
        return abs(self.recalibrated[1] - self.recalibrated[0])

    def row(self) -> dict[str, object]:
        """A row of ``RESULT_COLUMNS``."""
        return {
            "parameter": self.parameter,
            "value": self.value,
            "difference_low": self.rate[0],
            "difference_base": self.rate[1],
            "difference_high": self.rate[2],
            "swing": self.swing,
            "wait_stm_low": self.wait_stm[0],
            "wait_stm_base": self.wait_stm[1],
            "wait_stm_high": self.wait_stm[2],
            "wait_teller_low": self.wait_teller[0],
            "wait_teller_base": self.wait_teller[1],
            "wait_teller_high": self.wait_teller[2],
            "difference_low_recalibrated": self.recalibrated[0] if self.recalibrated else math.nan,
            "difference_high_recalibrated": self.recalibrated[1] if self.recalibrated else math.nan,
            "swing_recalibrated": self.swing_recalibrated,
            "practice_refitted": self.refitted,
        }


def differences(comparison: pl.DataFrame) -> tuple[float, float, float]:
    """The what-if's differences: migration rate, mean wait at the smart counter and teller."""

    def pick(metric: str, group: str) -> float:
        row = comparison.filter((pl.col("metric") == metric) & (pl.col("group") == group))
        if row.height == 0 or row["difference"][0] is None:
            return math.nan
        return float(row["difference"][0])

    return pick("migration_rate", ""), pick("wait_mean", "stm"), pick("wait_mean", "teller")


def sensitivity(
    model: BranchModel,
    scenario: Scenario,
    *,
    estimates: BranchEstimates | None,
    step: float,
    replications: int,
    seed: int,
    progress: Progress | None = None,
    label: str = "",
    parameters: Sequence[str] | None = None,
    recalibrate: Recalibrate | None = None,
    recalibrate_top: int = 0,
) -> list[Swing]:
    """Each assumed figure's swing of the what-if, largest first (common random numbers);
    with ``recalibrate``, the ``recalibrate_top`` largest swings of behaviour figures are
    checked again on the branch calibrated anew at each end."""
    bar = progress or NullProgress()
    table = assumed_parameters(estimates)
    if parameters is not None:
        table = {n: table[n] for n in parameters if n in table}

    def run(m: BranchModel) -> tuple[float, float, float]:
        result = what_if(m, scenario, replications, np.random.default_rng(seed))
        return differences(result.comparison)

    checked = recalibrate_top if recalibrate is not None else 0
    task = bar.start(label, 1 + 2 * len(table) + 2 * checked)
    base = run(model)
    bar.advance(task, 1)
    out = []
    for name, (value, perturb) in table.items():
        low = run(perturb(model, 1.0 - step))
        bar.advance(task, 1)
        high = run(perturb(model, 1.0 + step))
        bar.advance(task, 1)
        out.append(
            Swing(
                name,
                value(model),
                (low[0], base[0], high[0]),
                (low[1], base[1], high[1]),
                (low[2], base[2], high[2]),
            )
        )
    ranked = sorted(out, key=lambda s: (-s.swing if math.isfinite(s.swing) else 0.0, s.parameter))
    if recalibrate is not None and checked > 0:
        movable = [s for s in ranked if s.parameter not in _NOT_CALIBRATED][:checked]
        for swing in movable:
            _, perturb = table[swing.parameter]
            ends, moved = [], False
            for factor in (1.0 - step, 1.0 + step):
                fresh = recalibrate(perturb(model, factor).behaviour)
                moved = moved or fresh.practice != model.practice
                ends.append(run(fresh)[0])
                bar.advance(task, 1)
            ranked[ranked.index(swing)] = replace(
                swing, recalibrated=(ends[0], ends[1]), refitted=moved
            )
        bar.advance(task, 2 * (checked - len(movable)))
    bar.finish(task)
    return ranked


# Moved on the model's timing or practice, not its behaviour: calibration does not take them.
_NOT_CALIBRATED = frozenset({"walk_s", "repromotion_s", "patience_mean_s", "patience_shape"})
