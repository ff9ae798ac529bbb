"""Replications: independent random streams, one simulated week (or some of its days) each.

Each replication's customers and choices are drawn here, then the queues of all
replications run together on the compiled engine, on every core (``engine.run_lobbies``).

Replication streams are spawned from the caller's generator, so the same seed gives the
same records, and asking for 8 replications at once or 4 and then 4 more from the same
generator gives the same 8. Within a replication, customers and device faults have their
own streams derived from the replication's seed (never spawned from it, so that a baseline
and a what-if run on the same streams draw the same customers).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from smartcounter.simulation.customers import DayCustomers, draw_faults, draw_week
from smartcounter.simulation.decisions import CodeFacts
from smartcounter.simulation.engine import (
    LobbySetup,
    Records,
    join_customers,
    plan_lobby,
    run_lobbies,
)
from smartcounter.simulation.model import BranchModel
from smartcounter.simulation.results import SimulationResult, compare
from smartcounter.simulation.scenario import Scenario

# Fault draws are made for this many device slots whatever a branch has (common numbers).
DEVICE_SLOTS = 16
_CUSTOMERS, _FAULTS = 0, 1


def _stream(seq: np.random.SeedSequence, purpose: int) -> np.random.Generator:
    return np.random.default_rng(
        np.random.SeedSequence(seq.entropy, spawn_key=(*seq.spawn_key, purpose))
    )


def run_streams(
    model: BranchModel,
    streams: Sequence[np.random.Generator],
    weekdays: Sequence[int] | None = None,
) -> SimulationResult:
    """Simulate ``model`` once per stream; a replication is named by its stream's spawn key."""
    days = tuple(weekdays) if weekdays is not None else model.arrivals.open_weekdays
    facts = CodeFacts.of(model)
    records = Records()
    setup = LobbySetup.of(model)
    weeks: list[DayCustomers] = []
    week_faults: list[list[tuple[int, float, float]]] = []
    names: list[int] = []
    for stream in streams:
        seq = stream.bit_generator.seed_seq
        assert isinstance(seq, np.random.SeedSequence)
        replication = int(seq.spawn_key[-1]) if seq.spawn_key else 0
        customers = draw_week(model, days, _stream(seq, _CUSTOMERS))
        faults = draw_faults(
            len(days),
            DEVICE_SLOTS,
            model.practice.fault_rate,
            model.arrivals.hours,
            model.behaviour.fault_hours,
            _stream(seq, _FAULTS),
        )
        # Days without customers have no span; their faults do not matter.
        open_days = {w for w, _, _ in customers.spans()}
        kept = [f for w, f in zip(days, faults, strict=True) if w in open_days]
        weeks.append(customers)
        week_faults.extend(kept)
        names.append(replication)
    # All replications' queues at once: one plan, its days cut into one part per core.
    customers, spans, day_rep = join_customers(weeks)
    replications = np.asarray(names, dtype=np.int64)[day_rep]
    plan = plan_lobby(
        model, facts, customers, week_faults, replication=replications, setup=setup, spans=spans
    )
    run_lobbies([plan], records)
    return SimulationResult.of(records, model, len(days))


def simulate(
    model: BranchModel,
    scenario: Scenario | None,
    replications: int,
    rng: np.random.Generator,
    *,
    weekdays: Sequence[int] | None = None,
) -> SimulationResult:
    """Simulate ``replications`` weeks (or ``weekdays`` only) of ``model`` under ``scenario``."""
    resolved = scenario.apply(model) if scenario is not None else model
    return run_streams(resolved, rng.spawn(replications), weekdays)


@dataclass(frozen=True)
class WhatIf:
    """A baseline and a scenario simulated on the same streams, and their comparison."""

    baseline: SimulationResult
    scenario: SimulationResult
    comparison: pl.DataFrame  # see results.compare


def what_if(
    model: BranchModel,
    scenario: Scenario,
    replications: int,
    rng: np.random.Generator,
    *,
    weekdays: Sequence[int] | None = None,
    confidence: float = 0.95,
) -> WhatIf:
    """Simulate ``model`` as it is and under ``scenario`` with common random numbers."""
    streams = rng.spawn(replications)
    baseline = run_streams(model, streams, weekdays)
    changed = run_streams(scenario.apply(model), streams, weekdays)
    return WhatIf(baseline, changed, compare(baseline, changed, confidence))
