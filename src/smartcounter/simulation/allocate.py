"""Where new smart counters and specialists gain the most: a greedy allocation over branches.

Each branch is calibrated once. A branch's *state* is what it has been given so far (devices,
specialists); every state of a branch is simulated on the branch's own random streams, so
the gain of one more unit is a paired difference (the same customers with and without it).
The greedy gives each unit, one at a time, to the branch where it gains the most migrated
transactions per week, then re-simulates only that branch in its new state; the gains of
every other branch stay as they were computed.

A state's figures depend only on the branch's model, the state, the replications and the
seed — never on where the simulation ran — so a serial run, the process pool
(``allocate_pool.py``) and Spark (``allocate_spark.py``) give the same allocation.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, TypeVar

import numpy as np

from smartcounter.simulation.model import BranchModel
from smartcounter.simulation.results import t_interval
from smartcounter.simulation.runner import DEVICE_SLOTS, run_streams
from smartcounter.simulation.scenario import Scenario

J = TypeVar("J")
R = TypeVar("R")


class Runner(Protocol):
    """Runs one function over many jobs (serially, on a process pool, on Spark)."""

    name: str

    def map(
        self, fn: Callable[[J], R], jobs: Sequence[J], done: Callable[[int], None] | None = None
    ) -> list[R]:
        """``[fn(j) for j in jobs]`` in order; ``done(n)`` after each ``n`` more finish."""
        ...


class Resource(StrEnum):
    """What the channel centre hands out."""

    DEVICE = "device"
    SPECIALIST = "specialist"


@dataclass(frozen=True, order=True)
class Added:
    """Units given to a branch so far."""

    devices: int = 0
    specialists: int = 0

    def plus(self, resource: Resource, count: int = 1) -> Added:
        """This state with ``count`` more of ``resource``."""
        if resource is Resource.DEVICE:
            return Added(self.devices + count, self.specialists)
        return Added(self.devices, self.specialists + count)

    def of(self, resource: Resource) -> int:
        """How many of ``resource`` were added."""
        return self.devices if resource is Resource.DEVICE else self.specialists


def scenario_of(model: BranchModel, added: Added) -> Scenario:
    """The what-if of a branch with ``added`` units on top of its own staffing."""
    return Scenario(
        smart_counters=model.staffing.smart_counters + added.devices,
        specialists=model.staffing.specialists + added.specialists,
    )


def can_add(model: BranchModel, added: Added, resource: Resource) -> bool:
    """False where one more unit cannot be simulated (device faults are drawn for a fixed
    number of device slots)."""
    if resource is Resource.DEVICE:
        return model.staffing.smart_counters + added.devices < DEVICE_SLOTS
    return True


def branch_streams(seed: int, branch_id: str, replications: int) -> list[np.random.Generator]:
    """The branch's replication streams: from the seed and the branch id alone, so a branch
    draws the same customers whatever other branches are in the run and wherever it runs."""
    key = zlib.crc32(branch_id.encode("utf-8"))
    root = np.random.SeedSequence(seed, spawn_key=(key,))
    return np.random.default_rng(root).spawn(replications)


@dataclass(frozen=True)
class Weekly:
    """Migrated and migratable transactions in each simulated week (one replication each)."""

    migrated: tuple[int, ...]
    migratable: tuple[int, ...]

    @property
    def mean_migrated(self) -> float:
        return float(np.mean(self.migrated))

    @property
    def mean_migratable(self) -> float:
        return float(np.mean(self.migratable))

    @property
    def rate(self) -> float | None:
        """Migrated over migratable, over all the simulated weeks."""
        total = sum(self.migratable)
        return sum(self.migrated) / total if total else None


@dataclass(frozen=True)
class StateJob:
    """Simulate one branch in one state."""

    model: BranchModel
    added: Added
    replications: int
    seed: int


def simulate_state(job: StateJob) -> Weekly:
    """The weekly figures of ``job``'s branch in its state (runs in any worker)."""
    model = scenario_of(job.model, job.added).apply(job.model)
    streams = branch_streams(job.seed, job.model.branch_id, job.replications)
    rates = run_streams(model, streams).migration_rates().sort("replication")
    return Weekly(
        migrated=tuple(int(v) for v in rates.get_column("migrated")),
        migratable=tuple(int(v) for v in rates.get_column("migratable")),
    )


class StateOutcomes:
    """Every simulated state of every branch, simulating missing ones in one batch."""

    def __init__(
        self,
        models: Mapping[str, BranchModel],
        runner: Runner,
        *,
        replications: int,
        seed: int,
    ) -> None:
        self.models = dict(models)
        self.runner = runner
        self.replications = replications
        self.seed = seed
        self._known: dict[tuple[str, Added], Weekly] = {}
        self.simulated = 0

    def ensure(
        self, wanted: Sequence[tuple[str, Added]], done: Callable[[int], None] | None = None
    ) -> None:
        """Simulate the states of ``wanted`` not simulated yet (together, on the runner);
        ``done(n)`` as ``n`` more finish."""
        missing = list(dict.fromkeys(w for w in wanted if w not in self._known))
        if not missing:
            return
        jobs = [StateJob(self.models[b], a, self.replications, self.seed) for b, a in missing]
        for key, weekly in zip(missing, self.runner.map(simulate_state, jobs, done), strict=True):
            self._known[key] = weekly
        self.simulated += len(missing)

    def has(self, branch_id: str, added: Added) -> bool:
        """True when the state has been simulated."""
        return (branch_id, added) in self._known

    def get(self, branch_id: str, added: Added) -> Weekly:
        """The figures of a branch's state (simulated now if need be)."""
        self.ensure([(branch_id, added)])
        return self._known[(branch_id, added)]


@dataclass(frozen=True)
class Gain:
    """Migrated transactions per week gained, with its interval (paired over weeks)."""

    mean: float
    low: float
    high: float

    @classmethod
    def between(cls, before: Weekly, after: Weekly, confidence: float) -> Gain:
        diff = np.asarray(after.migrated, dtype=float) - np.asarray(before.migrated, dtype=float)
        mean, low, high = t_interval(diff, confidence)
        return cls(mean, low, high)


@dataclass(frozen=True)
class Step:
    """One unit handed out: where, what, what it gains, and the rates it leads to."""

    step: int
    branch_id: str
    resource: Resource
    gain: Gain
    rate_before: float | None
    rate_after: float | None
    network_rate_after: float | None


@dataclass(frozen=True)
class BranchResult:
    """A branch's share of the allocation and what the first unit of each kind would gain."""

    branch_id: str
    added: Added
    gain: Gain
    rate_before: float | None
    rate_after: float | None
    migrated_before: float
    migrated_after: float
    first_device: Gain | None
    first_specialist: Gain | None


@dataclass(frozen=True)
class Allocation:
    """The greedy's steps, each branch's result, and the network before and after."""

    steps: tuple[Step, ...]
    branches: tuple[BranchResult, ...]  # largest gain first
    network_rate_before: float | None
    network_rate_after: float | None
    migrated_before: float
    migrated_after: float
    migratable: float
    unspent: Added  # units no branch could take


def network_rate(outcomes: StateOutcomes, states: Mapping[str, Added]) -> float | None:
    """The network's rate with each branch in its state: mean migrated over mean migratable,
    summed over branches (per week)."""
    weekly = [outcomes.get(b, a) for b, a in states.items()]
    migratable = sum(w.mean_migratable for w in weekly)
    return sum(w.mean_migrated for w in weekly) / migratable if migratable else None


def greedy(
    outcomes: StateOutcomes,
    budget: Added,
    *,
    confidence: float = 0.95,
    on_step: Callable[[Step], None] | None = None,
) -> Allocation:
    """Hand out ``budget`` one unit at a time to the branch and kind that gain the most.

    Of equal gains, the one to a branch given fewer units of that kind wins, then the branch
    first in id order, then a device before a specialist.
    """
    branches = sorted(outcomes.models)
    states = {b: Added() for b in branches}
    left = budget

    def candidates(b: str) -> list[tuple[str, Added]]:
        return [
            (b, states[b].plus(r))
            for r in Resource
            if left.of(r) > 0 and can_add(outcomes.models[b], states[b], r)
        ]

    outcomes.ensure([(b, states[b]) for b in branches])
    outcomes.ensure([c for b in branches for c in candidates(b)])
    steps: list[Step] = []
    while left.devices + left.specialists > 0:
        best: tuple[tuple[float, int], str, Resource] | None = None
        for b in branches:
            here = outcomes.get(b, states[b])
            for r in Resource:
                if left.of(r) == 0 or not can_add(outcomes.models[b], states[b], r):
                    continue
                there = outcomes.get(b, states[b].plus(r))
                # Equal gains (none at all, often) go to the branch given fewer such units.
                key = (there.mean_migrated - here.mean_migrated, -states[b].of(r))
                if best is None or key > best[0]:
                    best = (key, b, r)
        if best is None:
            break  # no branch can take what is left
        _, b, r = best
        before = outcomes.get(b, states[b])
        states[b] = states[b].plus(r)
        left = left.plus(r, -1)
        after = outcomes.get(b, states[b])
        outcomes.ensure(candidates(b))  # only the changed branch is simulated again
        step = Step(
            step=len(steps) + 1,
            branch_id=b,
            resource=r,
            gain=Gain.between(before, after, confidence),
            rate_before=before.rate,
            rate_after=after.rate,
            network_rate_after=network_rate(outcomes, states),
        )
        steps.append(step)
        if on_step is not None:
            on_step(step)
    return _allocation(outcomes, states, steps, left, confidence)


def _allocation(
    outcomes: StateOutcomes,
    states: Mapping[str, Added],
    steps: Sequence[Step],
    left: Added,
    confidence: float,
) -> Allocation:
    results = []
    for b, added in states.items():
        base, final = outcomes.get(b, Added()), outcomes.get(b, added)
        first = {
            r: Gain.between(base, outcomes.get(b, Added().plus(r)), confidence)
            for r in Resource
            if outcomes.has(b, Added().plus(r))
        }
        results.append(
            BranchResult(
                branch_id=b,
                added=added,
                gain=Gain.between(base, final, confidence),
                rate_before=base.rate,
                rate_after=final.rate,
                migrated_before=base.mean_migrated,
                migrated_after=final.mean_migrated,
                first_device=first.get(Resource.DEVICE),
                first_specialist=first.get(Resource.SPECIALIST),
            )
        )
    results.sort(key=lambda r: (-r.gain.mean, -_first_best(r), r.branch_id))
    baseline = {b: Added() for b in states}
    return Allocation(
        steps=tuple(steps),
        branches=tuple(results),
        network_rate_before=network_rate(outcomes, baseline),
        network_rate_after=network_rate(outcomes, states),
        migrated_before=sum(r.migrated_before for r in results),
        migrated_after=sum(r.migrated_after for r in results),
        migratable=sum(outcomes.get(b, Added()).mean_migratable for b in states),
        unspent=left,
    )


def _first_best(r: BranchResult) -> float:
    gains = [g.mean for g in (r.first_device, r.first_specialist) if g is not None]
    return max(gains, default=0.0)
