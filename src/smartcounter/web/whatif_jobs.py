"""What-ifs the dashboards run in the background: one at a time, polled until done.

A what-if takes seconds (calibration, then both sides' replications on every core), longer
than a request should wait: the page submits it, gets a job id at once, and asks for the
job until it is done. One worker runs the jobs in turn (the simulation already uses every
core); at most ``MAX_WAITING`` wait, and finished jobs are kept ``KEEP_SECONDS``.
A job belongs to the user who started it and to its branch: no one else can read it.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from smartcounter.views.whatif import WhatIfView

log = logging.getLogger(__name__)
MAX_WAITING = 4
KEEP_SECONDS = 3600.0
State = Literal["queued", "running", "done", "failed"]


class TooManyJobsError(RuntimeError):
    """More what-ifs are waiting than the server takes."""


@dataclass
class Job:
    """A what-if on its way: who asked, for which branch, and how far it is."""

    job_id: str
    owner: str
    branch_id: str
    created: float
    state: State = "queued"
    started: float | None = None
    finished: float | None = None
    view: WhatIfView | None = None
    error_key: str | None = None
    error_params: dict[str, object] = field(default_factory=dict)

    def elapsed(self, now: float) -> float:
        """Seconds since the job started (0 while it waits)."""
        if self.started is None:
            return 0.0
        return (self.finished or now) - self.started


class JobFailedError(Exception):
    """A what-if that cannot run; ``key`` and ``params`` name the message to show."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


class WhatIfJobs:
    """The server's what-if jobs and the one thread that runs them."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="whatif")

    def submit(self, owner: str, branch_id: str, work: Callable[[], WhatIfView]) -> Job:
        """Queue ``work`` for ``owner``'s what-if at ``branch_id``; TooManyJobsError when full."""
        now = self._clock()
        with self._lock:
            self._forget(now)
            waiting = sum(j.state in ("queued", "running") for j in self._jobs.values())
            if waiting >= MAX_WAITING:
                raise TooManyJobsError()
            job = Job(uuid.uuid4().hex, owner, branch_id, now)
            self._jobs[job.job_id] = job
        self._pool.submit(self._run, job, work)
        return job

    def get(self, job_id: str, owner: str, branch_id: str) -> Job | None:
        """The job, if ``owner`` started it for ``branch_id`` and it is still kept."""
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None or job.owner != owner or job.branch_id != branch_id:
            return None
        return job

    def ahead(self, job: Job) -> int:
        """How many jobs run or wait before ``job`` (0 once it runs)."""
        if job.state != "queued":
            return 0
        with self._lock:
            return sum(
                j.state in ("queued", "running") and j.created < job.created
                for j in self._jobs.values()
            )

    def now(self) -> float:
        """The jobs' clock."""
        return self._clock()

    def _run(self, job: Job, work: Callable[[], WhatIfView]) -> None:
        job.started, job.state = self._clock(), "running"
        try:
            job.view = work()
            job.state = "done"
        except JobFailedError as exc:
            job.error_key, job.error_params, job.state = exc.key, exc.params, "failed"
        except Exception as exc:  # any failure is the job's answer, and the log's
            log.exception("what-if %s at %s failed", job.job_id, job.branch_id)
            job.error_key, job.error_params = "whatif.page.failed", {"message": type(exc).__name__}
            job.state = "failed"
        finally:
            job.finished = self._clock()

    def _forget(self, now: float) -> None:
        for key in [
            k
            for k, j in self._jobs.items()
            if j.finished is not None and now - j.finished > KEEP_SECONDS
        ]:
            del self._jobs[key]


JOBS = WhatIfJobs()
