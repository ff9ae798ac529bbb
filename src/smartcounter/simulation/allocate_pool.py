"""Runners of the allocation's jobs on this machine: one after another, or on a process pool.

The pool's workers are started fresh (``spawn``), not forked: the parent has threads of its
own (the compiled queue engine's, Polars', DuckDB's) that a fork would copy mid-flight.
Each worker runs whole jobs — calibrating a branch, simulating a state — and inside a job
the queues still run on every core (``engine.run_lobbies``); the pool keeps both cores busy
through the parts of a job that are plain Python (drawing customers, the records, SQL).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from types import TracebackType
from typing import TypeVar

J = TypeVar("J")
R = TypeVar("R")


class SerialRunner:
    """Every job in this process, one after another."""

    name = "serial"

    def map(
        self, fn: Callable[[J], R], jobs: Sequence[J], done: Callable[[int], None] | None = None
    ) -> list[R]:
        """``[fn(j) for j in jobs]``, saying after each job that it is done."""
        out = []
        for job in jobs:
            out.append(fn(job))
            if done is not None:
                done(1)
        return out


class PoolRunner:
    """Jobs on a pool of worker processes (one per core by default), kept for its lifetime."""

    name = "pool"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        self._pool = ProcessPoolExecutor(
            max_workers=self.workers, mp_context=multiprocessing.get_context("spawn")
        )

    def map(
        self, fn: Callable[[J], R], jobs: Sequence[J], done: Callable[[int], None] | None = None
    ) -> list[R]:
        """``[fn(j) for j in jobs]`` on the workers; results in the jobs' order."""
        if len(jobs) == 1:  # not worth the trip to a worker
            return SerialRunner().map(fn, jobs, done)
        futures: dict[Future[R], int] = {self._pool.submit(fn, j): i for i, j in enumerate(jobs)}
        results: dict[int, R] = {}
        for future in as_completed(futures):
            results[futures[future]] = future.result()
            if done is not None:
                done(1)
        return [results[i] for i in range(len(jobs))]

    def close(self) -> None:
        """Stop the workers."""
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> PoolRunner:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
