"""Run one stage of a pipeline in a background thread, so that two stages share the cores.

The heavy work of each stage (CSV parsing in Arrow, checks in Polars, Parquet encoding)
runs outside the GIL, so a reader thread and a writer thread overlap with the main one.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, TypeVar

T = TypeVar("T")

_DONE = object()


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def prefetch(items: Iterator[T], depth: int = 2) -> Iterator[T]:
    """Yield ``items``, produced up to ``depth`` ahead in a background thread."""
    slots: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                slots.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(item):
                    return
            put(_DONE)
        except BaseException as exc:  # handed to the consumer, raised there
            put(_Failed(exc))

    worker = threading.Thread(target=produce, name="smartcounter-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item = slots.get()
            if item is _DONE:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        worker.join()


class SerialWorker(Generic[T]):
    """One background thread running submitted jobs in order; errors surface on ``wait``."""

    def __init__(self, max_pending: int = 2) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="smartcounter-writer")
        self._pending: list[Future[T]] = []
        self._max_pending = max_pending
        self.results: list[T] = []

    def submit(self, job: Callable[[], T]) -> None:
        """Queue ``job``; block while ``max_pending`` jobs wait, to bound memory."""
        self._pending.append(self._pool.submit(job))
        while len(self._pending) > self._max_pending:
            self.results.append(self._pending.pop(0).result())

    def wait(self) -> list[T]:
        """Wait for every job; return all results in submission order."""
        while self._pending:
            self.results.append(self._pending.pop(0).result())
        return self.results

    def close(self) -> None:
        """Stop the thread (after the running job), dropping jobs not started."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._pending.clear()
