"""The network allocation's use case: pick the branches, calibrate each once, run the greedy.

Behaviour is estimated from the store once on the driver (per peer group in a large network,
as ``simulate`` does for one branch); each branch is then calibrated and its first states
simulated in a job of its own, on whatever runner the caller gives (serial, process pool,
Spark), and the greedy re-simulates one branch per step on the same runner.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
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
    StateJob,
    StateOutcomes,
    Weekly,
    can_add,
    greedy,
    simulate_state,
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
    """Calibrate one branch and simulate its first states."""

    store_root: Path
    settings: Settings
    branch_id: str
    weeks: tuple[str, ...]
    replications: int
    seed: int
    behaviour: Behaviour | None = None
    network: NetworkEstimates | None = None
    estimates: BranchEstimates | None = None


@dataclass(frozen=True)
class BranchStart:
    """A calibrated branch and its first states' figures; or why it could not be."""

    branch_id: str
    model: BranchModel | None
    outcomes: dict[Added, Weekly] = field(default_factory=dict)
    error: str = ""


def start_branch(job: BranchJob) -> BranchStart:
    """Calibrate ``job``'s branch (on its own DuckDB connection) and simulate its first states."""
    settings = job.settings.model_copy(update={"engine": "duckdb"})
    try:
        model = calibrate(
            Store.open(job.store_root), settings, job.branch_id, job.weeks, behaviour=job.behaviour
        )
    except CalibrationError as exc:
        return BranchStart(job.branch_id, None, error=str(exc))
    if job.network is not None and job.estimates is not None:
        model = with_estimates(model, job.network, job.estimates)
    outcomes = {
        added: simulate_state(StateJob(model, added, job.replications, job.seed))
        for added in FIRST_STATES
        if all(can_add(model, Added(), r) for r in Resource if added.of(r))
    }
    return BranchStart(job.branch_id, model, outcomes)


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
        jobs.append(
            BranchJob(
                store.root,
                settings,
                b,
                tuple(weeks),
                replications,
                seed,
                behaviour,
                network,
                branch,
            )
        )
    task = progress.start(progress_label, len(jobs))
    starts = runner.map(start_branch, jobs, done=lambda n: progress.advance(task, n))
    progress.finish(task)
    models = {s.branch_id: s.model for s in starts if s.model is not None}
    if not models:
        raise NothingCalibratedError("no branch could be calibrated")
    known = {(s.branch_id, a): w for s in starts for a, w in s.outcomes.items()}
    outcomes = StateOutcomes(models, runner, replications=replications, seed=seed, known=known)
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
        skipped=tuple((s.branch_id, s.error) for s in starts if s.model is None),
        weeks=tuple(weeks),
        budget=budget,
        replications=replications,
        seed=seed,
        runner=runner.name,
        simulated_states=len(known) + outcomes.simulated,
    )
