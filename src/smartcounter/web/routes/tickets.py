"""Tickets: issue, triage, refer, call, serve, transfer, complete."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from smartcounter.accounts.roles import Actor
from smartcounter.lobby import service
from smartcounter.lobby.context import LobbyContext
from smartcounter.lobby.models import QueueKind, TicketStatus
from smartcounter.lobby.present import Presenter
from smartcounter.lobby.schemas import (
    AuthorisationCreate,
    AuthorisationPublic,
    ReferralCreate,
    TicketComplete,
    TicketCreate,
    TicketPublic,
    TicketTransfer,
    TriageCreate,
)
from smartcounter.web.deps import (
    BranchId,
    ContextDep,
    Issuer,
    PointId,
    PresenterDep,
    Referrer,
    Server,
    SessionDep,
    TicketId,
    Triager,
    UnitOfWorkDep,
    Viewer,
)
from smartcounter.web.routes.idempotent import IdempotencyKey, answer_once

router = APIRouter(prefix="/api/branches/{branch_id}", tags=["tickets"])


class CallNextPublic(BaseModel):
    """The customer called, or none when the queue is empty."""

    ticket: TicketPublic | None


@router.post("/tickets", response_model=TicketPublic, status_code=201)
async def issue_ticket(
    branch_id: BranchId,
    ticket_in: TicketCreate,
    request: Request,
    key: IdempotencyKey,
    work: UnitOfWorkDep,
    ctx: ContextDep,
    actor: Issuer,
    present: PresenterDep,
) -> TicketPublic | JSONResponse:
    """Issue a ticket; routing follows the business catalogue."""
    # The busiest route: the service call and its commit in one trip to the thread pool,
    # so that the queue's counter row is locked as briefly as possible.
    return await work.run(
        _issue,
        ctx=ctx,
        actor=actor,
        branch_id=branch_id,
        ticket_in=ticket_in,
        present=present,
        request=request,
        key=key,
    )


def _issue(
    *,
    session: Session,
    ctx: LobbyContext,
    actor: Actor,
    branch_id: str,
    ticket_in: TicketCreate,
    present: Presenter,
    request: Request,
    key: str | None,
) -> TicketPublic | JSONResponse:
    def run() -> TicketPublic:
        view = service.issue_ticket(
            session=session, ctx=ctx, actor=actor, branch_id=branch_id, ticket_in=ticket_in
        )
        return present.ticket(view)

    return answer_once(session, ctx, request, key, ticket_in, run, status_code=201)


@router.get("/tickets", response_model=list[TicketPublic])
def list_tickets(
    branch_id: BranchId,
    session: SessionDep,
    ctx: ContextDep,
    actor: Viewer,
    present: PresenterDep,
    day: date | None = None,
    status: Annotated[list[TicketStatus] | None, Query(max_length=6)] = None,
    queue: QueueKind | None = None,
    limit: Annotated[int, Query(ge=1, le=2000)] = 500,
) -> list[TicketPublic]:
    """The day's tickets (today by default), oldest first."""
    views = service.list_tickets(
        session=session,
        ctx=ctx,
        actor=actor,
        branch_id=branch_id,
        day=day,
        statuses=status,
        queue=queue,
        limit=limit,
    )
    return [present.ticket(v) for v in views]


@router.get("/tickets/{ticket_id}", response_model=TicketPublic)
def get_ticket(
    branch_id: BranchId,
    ticket_id: TicketId,
    session: SessionDep,
    ctx: ContextDep,
    actor: Viewer,
    present: PresenterDep,
) -> TicketPublic:
    """One ticket with its business, triage, prompts and wait."""
    return present.ticket(
        service.get_ticket(
            session=session, ctx=ctx, actor=actor, branch_id=branch_id, ticket_id=ticket_id
        )
    )


@router.post("/tickets/{ticket_id}/triage", response_model=TicketPublic)
def triage(
    branch_id: BranchId,
    ticket_id: TicketId,
    triage_in: TriageCreate,
    request: Request,
    key: IdempotencyKey,
    session: SessionDep,
    ctx: ContextDep,
    actor: Triager,
    present: PresenterDep,
) -> TicketPublic | JSONResponse:
    """Record a triage round; accepted sends migratable business to the smart counter."""

    def run() -> TicketPublic:
        view = service.record_triage(
            session=session,
            ctx=ctx,
            actor=actor,
            branch_id=branch_id,
            ticket_id=ticket_id,
            triage_in=triage_in,
        )
        return present.ticket(view)

    return answer_once(session, ctx, request, key, triage_in, run)


@router.post("/tickets/{ticket_id}/referrals", response_model=TicketPublic, status_code=201)
def refer(
    branch_id: BranchId,
    ticket_id: TicketId,
    referral_in: ReferralCreate,
    request: Request,
    key: IdempotencyKey,
    session: SessionDep,
    ctx: ContextDep,
    actor: Referrer,
    present: PresenterDep,
) -> TicketPublic | JSONResponse:
    """Refer the customer to the wealth manager: they join the wealth queue."""

    def run() -> TicketPublic:
        view = service.refer(
            session=session,
            ctx=ctx,
            actor=actor,
            branch_id=branch_id,
            ticket_id=ticket_id,
            referral_in=referral_in,
        )
        return present.ticket(view)

    return answer_once(session, ctx, request, key, referral_in, run, status_code=201)


@router.post("/points/{point_id}/call-next", response_model=CallNextPublic)
def call_next(
    branch_id: BranchId,
    point_id: PointId,
    request: Request,
    key: IdempotencyKey,
    session: SessionDep,
    ctx: ContextDep,
    actor: Server,
    present: PresenterDep,
) -> CallNextPublic | JSONResponse:
    """Call the next customer of the point's queue."""

    def run() -> CallNextPublic:
        view = service.call_next(
            session=session, ctx=ctx, actor=actor, branch_id=branch_id, point_id=point_id
        )
        return CallNextPublic(ticket=present.ticket(view) if view else None)

    return answer_once(session, ctx, request, key, None, run)


@router.post("/tickets/{ticket_id}/recall", response_model=TicketPublic)
def recall(
    branch_id: BranchId,
    ticket_id: TicketId,
    request: Request,
    key: IdempotencyKey,
    session: SessionDep,
    ctx: ContextDep,
    actor: Server,
    present: PresenterDep,
) -> TicketPublic | JSONResponse:
    """Call the customer again; too many recalls make a no-show."""

    def run() -> TicketPublic:
        view = service.recall(
            session=session, ctx=ctx, actor=actor, branch_id=branch_id, ticket_id=ticket_id
        )
        return present.ticket(view)

    return answer_once(session, ctx, request, key, None, run)


@router.post("/tickets/{ticket_id}/start", response_model=TicketPublic)
def start(
    branch_id: BranchId,
    ticket_id: TicketId,
    request: Request,
    key: IdempotencyKey,
    session: SessionDep,
    ctx: ContextDep,
    actor: Server,
    present: PresenterDep,
) -> TicketPublic | JSONResponse:
    """The customer is at the point; a smart counter asks for its authorisations."""

    def run() -> TicketPublic:
        view = service.start_service(
            session=session, ctx=ctx, actor=actor, branch_id=branch_id, ticket_id=ticket_id
        )
        return present.ticket(view)

    return answer_once(session, ctx, request, key, None, run)


@router.post("/tickets/{ticket_id}/no-show", response_model=TicketPublic)
def no_show(
    branch_id: BranchId,
    ticket_id: TicketId,
    request: Request,
    key: IdempotencyKey,
    session: SessionDep,
    ctx: ContextDep,
    actor: Server,
    present: PresenterDep,
) -> TicketPublic | JSONResponse:
    """The called customer did not come."""

    def run() -> TicketPublic:
        view = service.mark_no_show(
            session=session, ctx=ctx, actor=actor, branch_id=branch_id, ticket_id=ticket_id
        )
        return present.ticket(view)

    return answer_once(session, ctx, request, key, None, run)


@router.post("/tickets/{ticket_id}/reinstate", response_model=TicketPublic)
def reinstate(
    branch_id: BranchId,
    ticket_id: TicketId,
    request: Request,
    key: IdempotencyKey,
    session: SessionDep,
    ctx: ContextDep,
    actor: Server,
    present: PresenterDep,
) -> TicketPublic | JSONResponse:
    """A no-show came back within the recall time: back in line, still one visit."""

    def run() -> TicketPublic:
        view = service.reinstate_no_show(
            session=session, ctx=ctx, actor=actor, branch_id=branch_id, ticket_id=ticket_id
        )
        return present.ticket(view)

    return answer_once(session, ctx, request, key, None, run)


@router.post("/tickets/{ticket_id}/transfer", response_model=TicketPublic)
def transfer(
    branch_id: BranchId,
    ticket_id: TicketId,
    transfer_in: TicketTransfer,
    request: Request,
    key: IdempotencyKey,
    session: SessionDep,
    ctx: ContextDep,
    actor: Server,
    present: PresenterDep,
) -> TicketPublic | JSONResponse:
    """Send the ticket's current business to another queue."""

    def run() -> TicketPublic:
        view = service.transfer(
            session=session,
            ctx=ctx,
            actor=actor,
            branch_id=branch_id,
            ticket_id=ticket_id,
            transfer_in=transfer_in,
        )
        return present.ticket(view)

    return answer_once(session, ctx, request, key, transfer_in, run)


@router.post("/tickets/{ticket_id}/complete", response_model=TicketPublic)
def complete(
    branch_id: BranchId,
    ticket_id: TicketId,
    complete_in: TicketComplete,
    request: Request,
    key: IdempotencyKey,
    session: SessionDep,
    ctx: ContextDep,
    actor: Server,
    present: PresenterDep,
) -> TicketPublic | JSONResponse:
    """Finish the business at this point and record the transactions."""

    def run() -> TicketPublic:
        view = service.complete(
            session=session,
            ctx=ctx,
            actor=actor,
            branch_id=branch_id,
            ticket_id=ticket_id,
            complete_in=complete_in,
        )
        return present.ticket(view)

    return answer_once(session, ctx, request, key, complete_in, run)


@router.post(
    "/tickets/{ticket_id}/authorisations", response_model=AuthorisationPublic, status_code=201
)
def request_authorisation(
    branch_id: BranchId,
    ticket_id: TicketId,
    authorisation_in: AuthorisationCreate,
    request: Request,
    key: IdempotencyKey,
    session: SessionDep,
    ctx: ContextDep,
    actor: Server,
    present: PresenterDep,
) -> AuthorisationPublic | JSONResponse:
    """Ask the specialist to authorise a smart-counter step."""

    def run() -> AuthorisationPublic:
        authorisation = service.request_authorisation(
            session=session,
            ctx=ctx,
            actor=actor,
            branch_id=branch_id,
            ticket_id=ticket_id,
            authorisation_in=authorisation_in,
        )
        return present.authorisations(
            service.authorisation_views(session=session, branch_id=branch_id, rows=[authorisation])
        )[0]

    return answer_once(session, ctx, request, key, authorisation_in, run, status_code=201)
