"""Wait estimates per queue (提示等待时间): plain functions of the queue's load.

A queue is served by its open points; a slow terminal serves at ``1 / slow_factor`` of its
usual pace, a down one not at all. Customers being served have on average half their
service left; pending authorisations hold the smart-counter queue up.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from smartcounter.lobby.models import TerminalStatus


@dataclass(frozen=True)
class QueueLoad:
    """What a queue's wait depends on at this moment."""

    points: tuple[TerminalStatus, ...]
    busy: int
    mean_service_s: float
    pending_authorisations: int = 0
    authorisation_s: float = 0.0


def capacity(points: Sequence[TerminalStatus], *, slow_factor: float) -> float:
    """Service points' combined pace, in customers served at the usual pace at once."""
    pace = {
        TerminalStatus.OK: 1.0,
        TerminalStatus.SLOW: 1.0 / slow_factor,
        TerminalStatus.DOWN: 0.0,
    }
    return sum(pace[s] for s in points)


def estimate_wait_s(ahead: int, load: QueueLoad, *, slow_factor: float) -> float | None:
    """Seconds until a customer with ``ahead`` customers before them is called; None if never."""
    pace = capacity(load.points, slow_factor=slow_factor)
    if pace <= 0:
        return None
    work = (ahead + 0.5 * load.busy) * load.mean_service_s
    work += load.pending_authorisations * load.authorisation_s
    return work / pace


def minutes(seconds: float | None) -> int | None:
    """Whole minutes to tell a customer, rounded up; None stays unknown."""
    if seconds is None:
        return None
    return max(0, math.ceil(seconds / 60.0))


def mean_or_default(durations: Sequence[float], default: float) -> float:
    """The mean of recent service times, or the configured default before there are any."""
    usable = [d for d in durations if d > 0]
    if not usable:
        return default
    return sum(usable) / len(usable)
