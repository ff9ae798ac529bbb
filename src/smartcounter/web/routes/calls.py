"""The calling display's recent calls (read only)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from smartcounter.lobby.calls import MAX_CALLS, recent_calls
from smartcounter.web.deps import BoardViewer, BranchId, ContextDep, SessionDep

router = APIRouter(prefix="/api/branches/{branch_id}", tags=["lobby"])


class CallPublic(BaseModel):
    """One call of a number: ``repeat`` when it is a recall."""

    id: int
    ticket_no: str
    point_code: str
    point_name: str
    called_at: datetime
    repeat: bool


@router.get("/calls", response_model=list[CallPublic])
def calls(
    branch_id: BranchId,
    session: SessionDep,
    ctx: ContextDep,
    actor: BoardViewer,
    limit: Annotated[int, Query(ge=1, le=MAX_CALLS)] = 10,
) -> list[CallPublic]:
    """Today's last calls and recalls, newest first, whatever the tickets' state now."""
    return [
        CallPublic(
            id=c.event_id,
            ticket_no=c.ticket_no,
            point_code=c.point_code,
            point_name=c.point_name,
            called_at=c.at,
            repeat=c.repeat,
        )
        for c in recent_calls(session, ctx, branch_id, limit)
    ]
