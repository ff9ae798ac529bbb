"""Which weeks the store holds: the latest, and the latest that has ended (``--week last``)."""

from __future__ import annotations

from datetime import date

from smartcounter.canonical.tables import TABLES_BY_NAME
from smartcounter.metrics.period import week_end
from smartcounter.store.layout import Store

# What ``--week`` takes, besides an ISO week, for the latest week that has ended.
LAST = "last"


def latest_week(store: Store) -> str | None:
    """The last ISO week for which the store holds transactions."""
    weeks = store.weeks(TABLES_BY_NAME["transactions"])
    return weeks[-1] if weeks else None


def last_complete_week(store: Store, today: date) -> str | None:
    """The latest week of the store that ended before ``today`` (None: none has)."""
    weeks = store.weeks(TABLES_BY_NAME["transactions"])
    complete = [w for w in weeks if week_end(w) < today]
    return complete[-1] if complete else None
