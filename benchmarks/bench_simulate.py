"""Lobby simulation speed: microseconds per simulated customer, side by side.

* fast engine: the compiled lobby queues (``smartcounter.simulation.queues``), the core the
  synthetic generator runs for every branch-day — one thread, and replications on every
  core;
* SimPy reference: the same model written plainly in SimPy (``tests/simulation/
  lobby_reference.py``), on the same kind of lobby days (a subset: it is slow);
* full what-if (``smartcounter simulate``): a source branch calibrated from a small
  generated store, simulated as it is and with one more smart counter on the same streams,
  compared (paired differences): customers drawn, triage decided, queues on the compiled
  engine (``simulation/engine.py``) — against the former pure-Python event loop with staff
  as servers (``tests/simulation/event_engine_reference.py``) doing the same what-if.

Both queue engines run the same random lobby days (Poisson arrivals, a smart-counter and a
window route, patience, device faults); the check that they agree is in the tests. Times
are CPU seconds of this process (the machine is shared; wall time only for the parallel
line). The last line is read by scripts:

    fast engine X µs/customer, SimPy reference Y µs/customer, ratio Z×

    python benchmarks/bench_simulate.py [--days 4000] [--reference-days 300] [--no-full] [--what-if-replications 100]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from smartcounter.simulation.queues import (  # noqa: E402
    Routes,
    simulate_queues,
    simulate_replications,
)
from tests.simulation.lobby_reference import draw_routes, simulate_reference  # noqa: E402

LOBBY = {"per_hour": 16.0, "windows": 3, "devices": 2, "patience_mean_s": 900.0}


def _timed(fn, *args):  # type: ignore[no-untyped-def]
    """(result, CPU seconds of this process): a shared, busy machine inflates wall time."""
    started = time.process_time()
    out = fn(*args)
    return out, time.process_time() - started


def _wall(fn, *args):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - started


def _customers(routes: list[Routes]) -> int:
    return sum(int(r.arrival.shape[0]) for r in routes)


def full_what_if_us(replications: int) -> tuple[float, float, int]:
    """µs per simulated customer of a what-if on CZ-LJL: (compiled queues, Python loop, n)."""
    from smartcounter.settings import Settings
    from smartcounter.simulation import Scenario
    from smartcounter.simulation.calibrate import calibrate
    from smartcounter.simulation.results import compare
    from smartcounter.simulation.runner import run_streams
    from smartcounter.store.layout import Store
    from smartcounter.synthetic import NetworkSpec, write_network
    from tests.simulation.event_engine_reference import run_python_streams

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        store = Store.open_or_create(root / "store", timezone="Asia/Shanghai")
        spec = NetworkSpec(branches=6, weeks=2, start=date(2018, 3, 5), seed=20180305)
        write_network(root / "out", spec, write_csv=False, store=store)
        store = Store.open(root / "store")
        model = calibrate(store, Settings(), "CZ-LJL", ("2018-W10", "2018-W11"))
    changed = Scenario(smart_counters=2).apply(model)

    def what_if(run, streams):  # type: ignore[no-untyped-def]
        baseline, scenario = run(model, streams), run(changed, streams)
        compare(baseline, scenario)
        return baseline.visits.height + scenario.visits.height

    what_if(run_streams, np.random.default_rng(0).spawn(2))  # warm up
    what_if(run_python_streams, np.random.default_rng(0).spawn(2))
    customers, fast = _timed(what_if, run_streams, np.random.default_rng(1).spawn(replications))
    same, slow = _timed(what_if, run_python_streams, np.random.default_rng(1).spawn(replications))
    assert same == customers  # the same customers on both
    return fast / customers * 1e6, slow / customers * 1e6, customers


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--days", type=int, default=4000, help="lobby days for the fast engine")
    parser.add_argument(
        "--reference-days", type=int, default=300, help="lobby days for the SimPy reference"
    )
    parser.add_argument("--no-full", action="store_true", help="skip the full what-if")
    parser.add_argument(
        "--what-if-replications", type=int, default=100, help="weeks per side of the what-if"
    )
    args = parser.parse_args()

    # The same lobby, drawn in chunks of 100 days (a replication each).
    chunks = [
        draw_routes(np.random.default_rng(k), days=100, **LOBBY)  # type: ignore[arg-type]
        for k in range(max(args.days // 100, 1))
    ]
    simulate_queues(chunks[0])  # compile (or load the compiled code) before timing
    _, one_thread = _timed(lambda: [simulate_queues(c) for c in chunks])
    cores = os.cpu_count() or 1
    _, one_wall = _wall(simulate_replications, chunks, 1)
    _, all_cores = _wall(simulate_replications, chunks, cores)
    customers = _customers(chunks)
    fast_us = one_thread / customers * 1e6
    fast_parallel_us = all_cores / customers * 1e6

    reference = [
        draw_routes(np.random.default_rng(10_000 + k), days=100, **LOBBY)  # type: ignore[arg-type]
        for k in range(max(args.reference_days // 100, 1))
    ]
    _, simpy_seconds = _timed(lambda: [simulate_reference(r) for r in reference])
    simpy_us = simpy_seconds / _customers(reference) * 1e6

    print(f"lobby: {LOBBY}, about {customers / (len(chunks) * 100):.0f} customers a day")
    print(
        f"fast engine (compiled queues), 1 thread:   {fast_us:8.3f} µs/customer "
        f"({customers:,} customers in {one_thread:.2f} s CPU)"
    )
    print(
        f"fast engine, replications on {cores} cores:    {fast_parallel_us:8.3f} µs/customer "
        f"(wall clock {all_cores:.2f} s against {one_wall:.2f} s on one thread: "
        f"{one_wall / all_cores:.2f}x)"
    )
    print(
        f"SimPy reference (same model):              {simpy_us:8.3f} µs/customer "
        f"({_customers(reference):,} customers in {simpy_seconds:.2f} s)"
    )
    if not args.no_full:
        fast_full, python_full, n = full_what_if_us(args.what_if_replications)
        print(
            f"full what-if (simulate), compiled queues:  {fast_full:8.3f} µs/customer "
            f"({n:,} simulated customers: as is and with one more smart counter)"
        )
        print(
            f"full what-if, former Python event loop:    {python_full:8.3f} µs/customer "
            f"(ratio {python_full / fast_full:.1f}x)"
        )
    print(
        f"fast engine {fast_us:.3f} µs/customer, SimPy reference {simpy_us:.3f} µs/customer, "
        f"ratio {simpy_us / fast_us:.0f}×"
    )


if __name__ == "__main__":
    main()
