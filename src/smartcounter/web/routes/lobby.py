"""The lobby as a whole: the public board, the tablet's view, authorisations, live events."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse

from smartcounter.lobby import service
from smartcounter.lobby.models import AuthorisationStatus
from smartcounter.lobby.schemas import (
    AuthorisationDecision,
    AuthorisationPublic,
    BoardPublic,
    LobbyPublic,
)
from smartcounter.web.deps import (
    AuthorisationId,
    Authoriser,
    BoardViewer,
    BranchId,
    ContextDep,
    DatabaseDep,
    PresenterDep,
    SessionDep,
    SettingsDep,
    Viewer,
)
from smartcounter.web.events import event_stream
from smartcounter.web.routes.idempotent import IdempotencyKey, answer_once

router = APIRouter(prefix="/api/branches/{branch_id}", tags=["lobby"])


@router.get("/board", response_model=BoardPublic)
def board(
    branch_id: BranchId,
    session: SessionDep,
    ctx: ContextDep,
    actor: BoardViewer,
    present: PresenterDep,
) -> BoardPublic:
    """The calling display's board: numbers called, queues, waits and notices."""
    return present.board(service.board(session=session, ctx=ctx, actor=actor, branch_id=branch_id))


@router.get("/lobby", response_model=LobbyPublic)
def lobby(
    branch_id: BranchId, session: SessionDep, ctx: ContextDep, actor: Viewer, present: PresenterDep
) -> LobbyPublic:
    """The lobby tablet's view: waiting customers with prompts, points, authorisations."""
    return present.lobby(service.lobby(session=session, ctx=ctx, actor=actor, branch_id=branch_id))


@router.get("/authorisations", response_model=list[AuthorisationPublic])
def list_authorisations(
    branch_id: BranchId,
    session: SessionDep,
    actor: Viewer,
    present: PresenterDep,
    status: AuthorisationStatus | None = AuthorisationStatus.PENDING,
) -> list[AuthorisationPublic]:
    """The authorisation queue (pending by default)."""
    rows = service.list_authorisations(
        session=session, actor=actor, branch_id=branch_id, status=status
    )
    return present.authorisations(
        service.authorisation_views(session=session, branch_id=branch_id, rows=rows)
    )


@router.post("/authorisations/{authorisation_id}/decision", response_model=AuthorisationPublic)
def decide(
    branch_id: BranchId,
    authorisation_id: AuthorisationId,
    decision_in: AuthorisationDecision,
    request: Request,
    key: IdempotencyKey,
    session: SessionDep,
    ctx: ContextDep,
    actor: Authoriser,
    present: PresenterDep,
) -> AuthorisationPublic | JSONResponse:
    """Approve or reject a smart-counter step."""

    def run() -> AuthorisationPublic:
        authorisation = service.decide_authorisation(
            session=session,
            ctx=ctx,
            actor=actor,
            branch_id=branch_id,
            authorisation_id=authorisation_id,
            approve=decision_in.approve,
        )
        return present.authorisations(
            service.authorisation_views(session=session, branch_id=branch_id, rows=[authorisation])
        )[0]

    return answer_once(session, ctx, request, key, decision_in, run)


@router.get(
    "/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "Server-sent events"}},
)
def events(
    branch_id: BranchId,
    request: Request,
    actor: BoardViewer,
    database: DatabaseDep,
    ctx: ContextDep,
    settings: SettingsDep,
    seconds: Annotated[int, Query(ge=1, le=3600)] = 300,
) -> StreamingResponse:
    """Server-sent events: ``change`` whenever the branch's lobby changes.

    The stream ends after ``seconds``; browsers reconnect by themselves.
    """
    stream = event_stream(
        request=request,
        database=database,
        ctx=ctx,
        branch_id=branch_id,
        seconds=seconds,
        poll_s=settings.lobby.events_poll_seconds,
        heartbeat_s=settings.lobby.events_heartbeat_seconds,
    )
    return StreamingResponse(
        stream,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
