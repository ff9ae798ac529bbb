"""What-ifs the dashboards run in the background, polled until done, kept in the store folder.

A what-if takes seconds (calibration, then both sides' replications on every core), longer
than a request should wait: the page submits it, gets a job id at once, and asks for the
job until it is done. Each job is a small JSON file in ``dashboards/whatif/`` of the store
folder, so that whichever worker of the web app a poll reaches reads it (``serve
--workers N``), and a restart forgets nothing. The worker that took the job runs it on its
one what-if thread (the simulation already uses every core) and writes its state, then its
result in both languages. At most ``MAX_WAITING`` wait or run at once; finished jobs are
kept ``KEEP_SECONDS``. A job names the worker that holds it (host and process id): once that
process is gone — a worker restarted or killed, the job queued or half run — the job is
failed at the next look (a poll, or a new submission, which then finds room again); a job of
another host's worker, whose life this one cannot see, is failed once it has waited or run
``STALE_SECONDS``. A job belongs to the user who started it and to its branch.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ValidationError

from smartcounter.kit.progress import Progress

log = logging.getLogger(__name__)

FOLDER = "dashboards/whatif"
MAX_WAITING = 4
KEEP_SECONDS = 3600.0
STALE_SECONDS = 1800.0
PROGRESS_EVERY_S = 1.0  # a running job's count of steps is written at most this often
State = Literal["queued", "running", "done", "failed"]
# One what-if at a time in each worker process.
_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="whatif")


class TooManyJobsError(RuntimeError):
    """More what-ifs are waiting than the server takes."""


class JobFailedError(Exception):
    """A what-if that cannot run; ``key`` and ``params`` name the message to show."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


class Job(BaseModel):
    """A what-if on its way: who asked, for which branch, how far it is, and its answer."""

    job_id: str
    owner: str
    branch_id: str
    created: float  # seconds since the epoch
    state: State = "queued"
    started: float | None = None
    finished: float | None = None
    html: dict[str, str] = {}  # the result by language, once done
    error_key: str | None = None
    error_params: dict[str, str | int | float] = {}
    worker: str = ""  # host:pid of the process that holds the job ("": unknown)
    kind: str = "whatif"  # what the job works out: whatif or optimise
    done: int = 0  # steps done of ``total`` (0 of 0: no count, only the time)
    total: int = 0

    def elapsed(self, now: float) -> float:
        """Seconds since the job started (0 while it waits)."""
        if self.started is None:
            return 0.0
        return max((self.finished or now) - self.started, 0.0)


class WhatIfJobs:
    """The what-if jobs kept in ``folder`` (a store's ``dashboards/whatif``)."""

    def __init__(self, folder: Path, clock: Callable[[], float] = time.time) -> None:
        self.folder = folder
        self._clock = clock

    def now(self) -> float:
        """The jobs' clock (seconds since the epoch)."""
        return self._clock()

    def submit(
        self,
        owner: str,
        branch_id: str,
        work: Callable[[Progress], dict[str, str]],
        *,
        kind: str = "whatif",
    ) -> Job:
        """Queue ``work`` (the result's HTML by language) for ``owner``'s job at ``branch_id``;
        TooManyJobsError when as many wait or run as the server takes. ``work`` is given a
        progress (``kit.progress``) that counts its steps into the job for pollers to see."""
        now = self.now()
        jobs = [self._settled(j, now) for j in self._all()]
        self._forget(jobs, now)
        if sum(j.state in ("queued", "running") for j in jobs) >= MAX_WAITING:
            raise TooManyJobsError()
        job = Job(
            job_id=uuid.uuid4().hex,
            owner=owner,
            branch_id=branch_id,
            created=now,
            worker=this_worker(),
            kind=kind,
        )
        self.save(job)
        _POOL.submit(self._run, job, work)
        return job

    def get(self, job_id: str, owner: str, branch_id: str) -> Job | None:
        """The job, if ``owner`` started it for ``branch_id`` and it is still kept."""
        job = self._read(self.folder / f"{job_id}.json")
        if job is None or job.owner != owner or job.branch_id != branch_id:
            return None
        return self._settled(job, self.now())

    def _settled(self, job: Job, now: float) -> Job:
        """``job``, failed (and written so) if the worker holding it has stopped."""
        if job.state not in ("queued", "running") or not _abandoned(job, now):
            return job
        job.state, job.error_key, job.finished = "failed", "whatif.page.stale", now
        self.save(job)
        return job

    def ahead(self, job: Job) -> int:
        """How many jobs wait or run before ``job`` (0 once it runs)."""
        if job.state != "queued":
            return 0
        return sum(
            j.state in ("queued", "running") and j.created < job.created for j in self._all()
        )

    def _run(self, job: Job, work: Callable[[Progress], dict[str, str]]) -> None:
        current = self._read(self.folder / f"{job.job_id}.json")
        if current is not None and current.state != "queued":
            return  # failed meanwhile (its wait outlived STALE_SECONDS)
        job.started, job.state = self.now(), "running"
        self.save(job)
        try:
            job.html = work(_JobProgress(self, job))
            job.state = "done"
        except JobFailedError as exc:
            job.error_key, job.state = exc.key, "failed"
            job.error_params = {k: str(v) for k, v in exc.params.items()}
        except Exception as exc:  # any failure is the job's answer, and the log's
            log.exception("what-if %s at %s failed", job.job_id, job.branch_id)
            job.error_key, job.error_params = "whatif.page.failed", {"message": type(exc).__name__}
            job.state = "failed"
        job.finished = self.now()
        self.save(job)

    def save(self, job: Job) -> None:
        """Write ``job`` whole (readers see the old state or the new, never half)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{job.job_id}.json"
        temporary = path.with_suffix(f".{uuid.uuid4().hex}.tmp")
        temporary.write_text(job.model_dump_json(), encoding="utf-8")
        temporary.replace(path)

    def _read(self, path: Path) -> Job | None:
        try:
            return Job.model_validate_json(path.read_text("utf-8"))
        except (FileNotFoundError, ValidationError):
            return None

    def _all(self) -> list[Job]:
        if not self.folder.is_dir():
            return []
        return [j for p in self.folder.glob("*.json") if (j := self._read(p)) is not None]

    def _forget(self, jobs: list[Job], now: float) -> None:
        """Remove the jobs finished more than ``KEEP_SECONDS`` ago."""
        for job in jobs:
            if job.finished is not None and now - job.finished > KEEP_SECONDS:
                with contextlib.suppress(FileNotFoundError):
                    (self.folder / f"{job.job_id}.json").unlink()


class _JobProgress:
    """A job's count of steps (``kit.progress.Progress``), written for pollers at most every
    ``PROGRESS_EVERY_S``."""

    def __init__(self, jobs: WhatIfJobs, job: Job) -> None:
        self.jobs, self.job = jobs, job
        self.written = jobs.now()

    def start(self, label: str, total: int) -> int:
        self.job.done, self.job.total = 0, max(int(total), 0)
        self._write(force=True)
        return 0

    def advance(self, task: int, amount: int) -> None:
        done = self.job.done + amount
        self.job.done = min(done, self.job.total) if self.job.total else done
        self._write()

    def finish(self, task: int) -> None:
        if self.job.total:
            self.job.done = self.job.total

    def _write(self, force: bool = False) -> None:
        now = self.jobs.now()
        if force or now - self.written >= PROGRESS_EVERY_S:
            self.written = now
            self.jobs.save(self.job)


def this_worker() -> str:
    """This process as a job's holder: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _abandoned(job: Job, now: float) -> bool:
    """Whether ``job`` (queued or running) has lost its worker."""
    since = job.started if job.started is not None else job.created
    if now - since > STALE_SECONDS:
        return True
    host, _, pid = job.worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine's worker (or unknown): only time tells
    return not _running(int(pid))


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process by that number
    return True
