"""Recent calls for the calling display: every call and recall of the day, whatever became of it.

The board's ``calling`` lists tickets still at a point; the display also wants the calls
just made (a customer served in a minute is still one the hall heard called). Calls are
read from the lobby's event log, which keeps each call and recall until close of day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise

import sqlalchemy as sa
from sqlalchemy.orm import Session

from smartcounter.lobby.context import LobbyContext
from smartcounter.lobby.models import LobbyEvent, ServicePoint

CALL_EVENT = "call"
MAX_CALLS = 50


@dataclass(frozen=True)
class Call:
    """One call of a number to a service point; ``repeat`` when it is called there again."""

    event_id: int
    ticket_no: str
    point_code: str
    point_name: str
    at: datetime
    repeat: bool


def recent_calls(
    session: Session, ctx: LobbyContext, branch_id: str, limit: int = 10
) -> list[Call]:
    """Today's last ``limit`` calls of ``branch_id``, newest first."""
    since = ctx.day_start_utc(ctx.today())
    today = sa.and_(
        LobbyEvent.branch_id == branch_id,
        LobbyEvent.kind == CALL_EVENT,
        LobbyEvent.created_at >= since,
        LobbyEvent.ticket_no.is_not(None),
    )
    events = session.scalars(
        sa.select(LobbyEvent).where(today).order_by(LobbyEvent.id.desc()).limit(limit)
    ).all()
    if not events:
        return []
    numbers = {e.ticket_no for e in events}
    # Each number's calls of the day, oldest first: a call is a repeat when the number's
    # call before it was to the same point (a recall of that leg). A split ticket's next
    # leg, called at another point, is a first call there.
    earlier: dict[str | None, list[tuple[int, str | None]]] = {}
    for number, event_id, code in session.execute(
        sa.select(LobbyEvent.ticket_no, LobbyEvent.id, LobbyEvent.point_code)
        .where(today, LobbyEvent.ticket_no.in_(numbers))
        .order_by(LobbyEvent.id)
    ):
        earlier.setdefault(number, []).append((event_id, code))
    previous_point: dict[int, str | None] = {}
    for calls in earlier.values():
        for (_, code), (event_id, _) in pairwise(calls):
            previous_point[event_id] = code
    names = dict(
        session.execute(
            sa.select(ServicePoint.code, ServicePoint.name).where(
                ServicePoint.branch_id == branch_id,
                ServicePoint.code.in_({e.point_code for e in events if e.point_code}),
            )
        ).all()
    )
    return [
        Call(
            event_id=e.id,
            ticket_no=e.ticket_no or "",
            point_code=e.point_code or "",
            point_name=names.get(e.point_code or "", e.point_code or ""),
            at=ctx.local(e.created_at),
            repeat=e.id in previous_point and previous_point[e.id] == e.point_code,
        )
        for e in events
    ]
