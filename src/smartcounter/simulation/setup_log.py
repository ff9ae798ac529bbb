"""Smart counters added or taken out of service, dated from the lobby service's set-up log.

The store's records do not say how many smart counters a branch had in a week (a
transaction names no device); the lobby service logs every terminal added
(``point.add``) and opened or closed (``point.update`` with ``active``) in its audit log.
Walking the log back from the terminals active now gives each week's count; a week whose
count differs from the week before is a change of ``smart_counters`` from that week.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from smartcounter.accounts.models import AuditEntry
from smartcounter.lobby.models import QueueKind, ServicePoint
from smartcounter.metrics.period import week_of
from smartcounter.simulation.changes import PracticeChange

KEY = "smart_counters"


def smart_counter_changes(
    session: Session,
    weeks: Sequence[str],
    *,
    timezone: str,
    branches: Sequence[str] | None = None,
) -> list[PracticeChange]:
    """Changes of the number of active smart counters over ``weeks`` (sorted), per branch."""
    if not weeks:
        return []
    points = session.execute(
        sa.select(ServicePoint.branch_id, ServicePoint.code, ServicePoint.kind, ServicePoint.active)
    ).all()
    kind_of: dict[tuple[str, str | None], QueueKind] = {(b, c): k for b, c, k, _ in points}
    active_now: dict[str, int] = {}
    for b, _, k, active in points:
        if k == QueueKind.STM and active:
            active_now[b] = active_now.get(b, 0) + 1
    entries = session.execute(
        sa.select(
            AuditEntry.branch_id,
            AuditEntry.target,
            AuditEntry.action,
            AuditEntry.ts,
            AuditEntry.detail,
        )
        .where(AuditEntry.action.in_(("point.add", "point.update")))
        .order_by(AuditEntry.ts, AuditEntry.id)
    ).all()
    zone = ZoneInfo(timezone)
    deltas: dict[str, list[tuple[str, int]]] = {}  # branch -> (week, +1/-1)
    for branch, code, action, ts, detail in entries:
        if branch is None or (branches is not None and branch not in branches):
            continue
        fields = json.loads(detail) if detail else {}
        if action == "point.add":
            step = 1 if fields.get("kind") == QueueKind.STM.value else 0
        elif "active" in fields and kind_of.get((branch, code)) == QueueKind.STM:
            step = 1 if fields["active"] else -1
        else:
            step = 0
        if step:
            local = ts.replace(tzinfo=UTC).astimezone(zone) if ts.tzinfo is None else ts
            deltas.setdefault(branch, []).append((week_of(local.date()), step))
    out: list[PracticeChange] = []
    for branch, moves in sorted(deltas.items()):
        counts = [_count_at_end(active_now.get(branch, 0), moves, w) for w in weeks]
        for i in range(1, len(weeks)):
            if counts[i] != counts[i - 1]:
                out.append(PracticeChange(branch, weeks[i], ((KEY, counts[i - 1], counts[i]),)))
    return out


def _count_at_end(now: int, moves: list[tuple[str, int]], week: str) -> int:
    """Active smart counters at the end of ``week``: now, less what changed after it."""
    return now - sum(step for when, step in moves if when > week)
