"""Recent calls for the calling display: every call and recall of the day, whatever became of it.

The board's ``calling`` lists tickets still at a point; the display also wants the calls
just made (a customer served in a minute is still one the hall heard called). Calls are
read from the lobby's event log, which keeps each call and recall until close of day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from smartcounter.lobby.context import LobbyContext
from smartcounter.lobby.models import LobbyEvent, ServicePoint

CALL_EVENT = "call"
MAX_CALLS = 50


@dataclass(frozen=True)
class Call:
    """One call of a number to a service point; ``repeat`` when the number was called before."""

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
    first_call = dict(
        session.execute(
            sa.select(LobbyEvent.ticket_no, sa.func.min(LobbyEvent.id))
            .where(today, LobbyEvent.ticket_no.in_(numbers))
            .group_by(LobbyEvent.ticket_no)
        ).all()
    )
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
            repeat=e.id != first_call.get(e.ticket_no),
        )
        for e in events
    ]
