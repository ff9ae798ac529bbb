"""The allocation's jobs as a Spark job: the branch list as an RDD, each task running the
Python simulator on its share of the branches (``mapPartitions``).

The session is the project's own (``metrics/spark_engine.py``: ``local[2]`` on one machine,
``spark://host:7077`` for a cluster). Executors calibrate the branches themselves, so on a
cluster they must see the store folder at the same path (as for the Spark metrics engine)
and run a Python with smartcounter installed; on a local master the workers run the
driver's own interpreter.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from types import TracebackType
from typing import Any, TypeVar

from smartcounter.settings import SparkSettings

J = TypeVar("J")
R = TypeVar("R")

# Jobs per Spark job, per slot: progress is reported after each Spark job.
_JOBS_PER_SLOT = 4


def _apply(fn: Callable[[J], R], jobs: Iterable[J]) -> list[R]:
    """Run one partition's jobs (on an executor)."""
    return [fn(job) for job in jobs]


class SparkRunner:
    """Jobs as Spark tasks, in slices of a few per slot so that progress can be shown."""

    name = "spark"

    def __init__(self, settings: SparkSettings) -> None:
        from smartcounter.metrics.spark_engine import open_session

        self._session: Any = open_session(settings)
        self._context: Any = self._session.sparkContext
        if settings.master.startswith("local") and "PYSPARK_PYTHON" not in os.environ:
            # The workers must import smartcounter: on this machine they run this very
            # interpreter (Spark's default is whatever ``python3`` is on the PATH).
            self._context.pythonExec = sys.executable
        self._closed = False

    @property
    def slots(self) -> int:
        """Tasks Spark runs at once."""
        return max(int(self._context.defaultParallelism), 1)

    def map(
        self, fn: Callable[[J], R], jobs: Sequence[J], done: Callable[[int], None] | None = None
    ) -> list[R]:
        """``[fn(j) for j in jobs]`` as Spark tasks; results in the jobs' order."""
        out: list[R] = []
        size = self.slots * _JOBS_PER_SLOT
        for start in range(0, len(jobs), size):
            part = list(jobs[start : start + size])
            rdd = self._context.parallelize(part, min(len(part), self.slots))
            out.extend(rdd.mapPartitions(partial(_apply, fn)).collect())
            if done is not None:
                done(len(part))
        return out

    def close(self) -> None:
        """Release the session; the last one stops the Spark application."""
        from smartcounter.metrics.spark_engine import release_session

        if not self._closed:
            self._closed = True
            release_session()

    def __enter__(self) -> SparkRunner:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
