"""The network allocation's use case: pick the branches, calibrate each once, run the greedy.

Behaviour is estimated from the store once on the driver (per peer group in a large network,
as ``simulate`` does for one branch); then, on whatever runner the caller gives (serial,
process pool, Spark), each branch is calibrated in a job of its own, every branch's first
states (as it is, one more device, one more specialist) are simulated in one batch, and the
greedy re-simulates one branch per step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from smartcounter.kit.progress import NullProgress, Progress
from smartcounter.metrics import Metrics, open_metrics
from smartcounter.settings import Settings
from smartcounter.simulation.allocate import (
    Added,
    Allocation,
    Resource,
    Runner,
    StateOutcomes,
    can_add,
    greedy,
)
from smartcounter.simulation.behaviour import Behaviour
from smartcounter.simulation.calibrate import CalibrationError, calibrate
from smartcounter.simulation.estimated import WHOLE_NETWORK_UP_TO, behaviour_for, with_estimates
from smartcounter.simulation.estimation import (
    BranchEstimates,
    NetworkEstimates,
    estimate_behaviour,
)
from smartcounter.simulation.model import BranchModel
from smartcounter.store.layout import Store
from smartcounter.store.reading import read_table

# The states simulated for each branch as soon as it is calibrated.
FIRST_STATES = (Added(), Added(1, 0), Added(0, 1))


class AllocationError(ValueError):
    """No branch to allocate to: none matches the filter."""


class NothingCalibratedError(AllocationError):
    """None of the branches could be calibrated (no tickets in the weeks)."""


@dataclass(frozen=True)
class BranchJob:
    """Calibrate one branch."""

    store_root: Path
    settings: Settings
    branch_id: str
    weeks: tuple[str, ...]
    behaviour: Behaviour | None = None


@dataclass(frozen=True)
class Calibrated:
    """A calibrated branch, or why it could not be."""

    branch_id: str
    model: BranchModel | None
    error: str = ""


def calibrate_branch(job: BranchJob) -> Calibrated:
    """Calibrate ``job``'s branch on a DuckDB connection of its own (runs in any worker)."""
    settings = job.settings.model_copy(update={"engine": "duckdb"})
    try:
        model = calibrate(
            Store.open(job.store_root), settings, job.branch_id, job.weeks, behaviour=job.behaviour
        )
    except CalibrationError as exc:
        return Calibrated(job.branch_id, None, str(exc))
    return Calibrated(job.branch_id, model)


@dataclass(frozen=True)
class BranchInfo:
    """What the report says about a branch besides its figures."""

    branch_id: str
    name: str
    branch_type: str
    region: str
    smart_counters: int
    specialists: int


@dataclass(frozen=True)
class AllocationReport:
    """The allocation with what it ran on."""

    allocation: Allocation
    branches: dict[str, BranchInfo]
    skipped: tuple[tuple[str, str], ...]  # (branch, why it could not be calibrated)
    weeks: tuple[str, ...]
    budget: Added
    replications: int
    seed: int
    runner: str
    simulated_states: int


def select_branches(
    store: Store, *, branch_type: str | None = None, region: str | None = None
) -> pl.DataFrame:
    """The store's branches of ``branch_type`` or in ``region`` (all without a filter)."""
    branches = read_table(store, "branches").sort("branch_id")
    if branch_type is not None:
        branches = branches.filter(pl.col("branch_type") == branch_type)
    if region is not None:
        branches = branches.filter(pl.col("region") == region)
    return branches


def _estimates(
    store: Store,
    settings: Settings,
    weeks: Sequence[str],
    metrics: Metrics,
    branches: pl.DataFrame,
    network_size: int,
) -> dict[str, tuple[NetworkEstimates, BranchEstimates]]:
    """Each branch's estimated behaviour: one fit of the network, or one per peer group."""
    fits: dict[str, NetworkEstimates] = {}
    out = {}
    for b, group in branches.select("branch_id", "branch_type").iter_rows():
        key = group if network_size > WHOLE_NETWORK_UP_TO else ""
        if key not in fits:
            fits[key] = estimate_behaviour(
                store, settings, weeks, metrics=metrics, peer_group_of=b if key else None
            )
        out[b] = (fits[key], fits[key].branch(b))
    return out


def _possible(model: BranchModel, added: Added) -> bool:
    return all(can_add(model, Added(), r) for r in Resource if added.of(r))


def run_allocation(
    *,
    store: Store,
    settings: Settings,
    weeks: Sequence[str],
    budget: Added,
    replications: int,
    seed: int,
    runner: Runner,
    branch_type: str | None = None,
    region: str | None = None,
    estimate: bool = True,
    progress: Progress | None = None,
    progress_label: str = "",
    states_label: str = "",
) -> AllocationReport:
    """Calibrate the chosen branches over ``weeks`` and hand out ``budget`` greedily."""
    progress = progress or NullProgress()
    chosen = select_branches(store, branch_type=branch_type, region=region)
    if chosen.height == 0:
        raise AllocationError("no branch matches")
    network_size = read_table(store, "branches").height
    estimates: dict[str, tuple[NetworkEstimates, BranchEstimates]] = {}
    if estimate:
        with open_metrics(store, settings) as metrics:
            estimates = _estimates(store, settings, weeks, metrics, chosen, network_size)
    jobs = []
    for b in chosen.get_column("branch_id").to_list():
        network, branch = estimates.get(b, (None, None))
        behaviour = behaviour_for(network, branch, Behaviour()) if network and branch else None
        jobs.append(BranchJob(store.root, settings, b, tuple(weeks), behaviour))
    task = progress.start(progress_label, len(jobs))
    done = runner.map(calibrate_branch, jobs, done=lambda n: progress.advance(task, n))
    progress.finish(task)
    models = {}
    for c in done:
        if c.model is not None:
            network, branch = estimates.get(c.branch_id, (None, None))
            fitted = with_estimates(c.model, network, branch) if network and branch else c.model
            models[c.branch_id] = fitted
    if not models:
        raise NothingCalibratedError("no branch could be calibrated")
    outcomes = StateOutcomes(models, runner, replications=replications, seed=seed)
    # Each branch as it is and with one more unit of each kind, all branches at once.
    first = [(b, a) for b in models for a in FIRST_STATES if _possible(models[b], a)]
    task = progress.start(states_label, len(first))
    outcomes.ensure(first, done=lambda n: progress.advance(task, n))
    progress.finish(task)
    allocation = greedy(outcomes, budget, confidence=settings.simulation.confidence)
    info = {
        r["branch_id"]: BranchInfo(
            r["branch_id"],
            str(r.get("name") or r["branch_id"]),
            str(r.get("branch_type") or ""),
            str(r.get("region") or ""),
            models[r["branch_id"]].staffing.smart_counters,
            models[r["branch_id"]].staffing.specialists,
        )
        for r in chosen.iter_rows(named=True)
        if r["branch_id"] in models
    }
    return AllocationReport(
        allocation=allocation,
        branches=info,
        skipped=tuple((c.branch_id, c.error) for c in done if c.model is None),
        weeks=tuple(weeks),
        budget=budget,
        replications=replications,
        seed=seed,
        runner=runner.name,
        simulated_states=outcomes.simulated,
    )
