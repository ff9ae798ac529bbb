"""``simulate optimise`` as a use case: calibrate the branch, search, and rows for scripts.

The branch is calibrated as ``simulate`` calibrates it (behaviour estimated from the store,
practice fitted on top); the search and its figures are ``optimise.py``'s.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from smartcounter.i18n import Translator
from smartcounter.kit.progress import NullProgress, Progress
from smartcounter.metrics import open_metrics
from smartcounter.settings import Settings
from smartcounter.simulation.calibrate import calibrate
from smartcounter.simulation.estimated import estimate_branch, with_estimates
from smartcounter.simulation.model import BranchModel
from smartcounter.simulation.optimise import (
    ROLES,
    WAIT_QUEUES,
    Evaluation,
    Limits,
    Optimisation,
    Targets,
    expected_evaluations,
    optimise,
    rate_out_of_reach,
    verdict_key,
)
from smartcounter.store.layout import Store

# Columns of ``--format csv|json``: one figure a row.
ROW_COLUMNS = ("section", "scenario", "hour", "metric", "group", "value", "low", "high")


@dataclass(frozen=True)
class Bounds:
    """Upper limits asked for on the command line (None: the defaults of ``limits_for``)."""

    tellers: int | None = None
    specialists: int | None = None
    greeters: int | None = None
    smart_counters: int | None = None
    min_tellers: int = 1  # tellers every hour at least (breaks and back-office work)


def calibrated(
    store: Store, settings: Settings, branch_id: str, weeks: Sequence[str]
) -> BranchModel:
    """The branch's model as ``simulate`` runs it (estimated behaviour, fitted practice)."""
    with open_metrics(store, settings) as metrics:
        estimated = estimate_branch(store, settings, branch_id, weeks, metrics)
        model = calibrate(
            store, settings, branch_id, weeks, metrics=metrics, behaviour=estimated.behaviour
        )
    return with_estimates(model, estimated.network, estimated.branch)


def limits_for(model: BranchModel, bounds: Bounds) -> Limits:
    """At least ``min_tellers`` tellers (and one smart counter where the branch has any)
    every hour; at most every teller window staffed, two specialists and two greeters more
    than the branch has, and one more smart counter (unless ``bounds`` say otherwise)."""
    s = model.staffing
    high = (
        bounds.tellers if bounds.tellers is not None else s.teller_windows,
        bounds.specialists if bounds.specialists is not None else s.specialists + 2,
        bounds.greeters if bounds.greeters is not None else s.greeters + 2,
        bounds.smart_counters if bounds.smart_counters is not None else s.smart_counters + 1,
    )
    low = (max(bounds.min_tellers, 1), 0, 0, min(1, s.smart_counters, high[3]))
    return Limits(low=low, high=(max(high[0], low[0]), high[1], high[2], max(high[3], low[3])))


def run_optimise(
    *,
    store: Store,
    settings: Settings,
    branch_id: str,
    weeks: Sequence[str],
    targets: Targets,
    bounds: Bounds,
    replications: int,
    confirm_replications: int,
    seed: int,
    progress: Progress | None = None,
    label: str = "",
) -> Optimisation:
    """Calibrate ``branch_id`` over ``weeks`` and find its cheapest staffing by hour;
    ``progress`` counts the plans evaluated against ``expected_evaluations``."""
    model = calibrated(store, settings, branch_id, weeks)
    limits = limits_for(model, bounds)
    shown = progress or NullProgress()
    task = shown.start(label, expected_evaluations(model.arrivals.hours, limits))
    try:
        return optimise(
            model,
            targets,
            limits,
            settings.simulation.costs,
            replications=replications,
            confirm_replications=confirm_replications,
            seed=seed,
            confidence=settings.simulation.confidence,
            tick=lambda n: shown.advance(task, n),
        )
    finally:
        shown.finish(task)


def clock(model: BranchModel, hour: int) -> str:
    """The clock hour an opening hour starts at, ``"09"``."""
    return f"{model.arrivals.opening_hour + hour:02d}"


def _number(value: float) -> float | None:
    return None if math.isnan(value) else value


def _evaluation_rows(model: BranchModel, name: str, e: Evaluation) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for h, counts in enumerate(e.profile):
        for role, count in zip(ROLES, counts, strict=True):
            rows.append(("staffing", name, clock(model, h), role, "", float(count), None, None))
    rows.append(("cost", name, "", "cost_per_day", "", e.cost, None, None))
    rows.append(
        (
            "figures",
            name,
            "",
            "migration_rate",
            "",
            e.rate.value,
            _number(e.rate.low),
            _number(e.rate.high),
        )
    )
    for h in range(model.arrivals.hours):
        if h in e.rate_by_hour:
            rate = e.rate_by_hour[h]
            rows.append(
                ("figures", name, clock(model, h), "migration_rate_by_hour", "", rate, None, None)
            )
        for queue in WAIT_QUEUES:
            wait = e.p90.get((queue, h))
            if wait is not None:
                rows.append(
                    (
                        "figures",
                        name,
                        clock(model, h),
                        "wait_p90",
                        queue,
                        wait.value,
                        _number(wait.low),
                        _number(wait.high),
                    )
                )
                rows.append(
                    (
                        "figures",
                        name,
                        clock(model, h),
                        "visits",
                        queue,
                        float(e.visits[(queue, h)]),
                        None,
                        None,
                    )
                )
    return rows


def profile_text(profile: Sequence[Sequence[int]]) -> str:
    """A profile in one string: each hour's tellers/specialists/greeters/smart counters."""
    return " ".join("/".join(str(c) for c in hour) for hour in profile)


def optimise_rows(o: Optimisation) -> list[tuple[object, ...]]:
    """Every figure of ``o`` as ``ROW_COLUMNS`` rows, in a stable order."""
    m, t = o.model, o.targets
    rows: list[tuple[object, ...]] = [
        ("result", "", "", "targets_met", "", float(o.met), None, None),
        ("result", "", "", "target_rate", "", t.rate, None, None),
        ("result", "", "", "max_wait_p90_s", "", t.max_wait_s, None, None),
        ("result", "", "", "candidates", "", float(len(o.candidates)), None, None),
        ("result", "", "", "replications", "", float(o.confirm_replications), None, None),
        (
            "result",
            "",
            "",
            "saving_per_day",
            "",
            o.as_is.cost - o.proposed.cost,
            None,
            None,
        ),
    ]
    rows += _evaluation_rows(m, "as_is", o.as_is)
    rows += _evaluation_rows(m, "proposed", o.proposed)
    for k, e in enumerate(o.front, start=1):
        name = f"front_{k:02d}"
        text = profile_text(e.profile)
        rows += [
            ("front", name, "", "cost_per_day", text, e.cost, None, None),
            ("front", name, "", "migration_rate", text, e.rate.value, None, None),
            ("front", name, "", "wait_p90_worst", text, e.worst_wait(), None, None),
            ("front", name, "", "targets_met", text, float(e.meets(t)), None, None),
        ]
    return rows


def verdict_text(o: Optimisation, t: Translator, *, dashboard: bool = False) -> str:
    """The answer's verdict in words: met (and the saving), or why not — on the dashboards
    with what a director can change there, not the command's options."""
    best = rate_out_of_reach(o)
    key = verdict_key(o)
    if dashboard and not o.met:
        key = key.replace("optimise.", "optimise.dashboard.", 1)
    return t(
        key,
        saving=f"{o.as_is.cost - o.proposed.cost:,.0f}",
        best=f"{(best or 0.0) * 100:.1f}%",
        target=f"{o.targets.rate * 100:.1f}%",
        branch=o.model.branch_id,
        rate=f"{o.proposed.rate.value * 100:.1f}%",
        wait=f"{o.proposed.worst_wait() / 60:.1f}",
        confirm=o.confirm_replications,
    )
