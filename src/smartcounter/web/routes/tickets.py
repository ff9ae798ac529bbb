"""Tickets: issue, triage, refer, call, serve, transfer, complete."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from smartcounter.lobby import service
from smartcounter.lobby.models import QueueKind, TicketStatus
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

router = APIRouter(prefix="/api/branches/{branch_id}", tags=["tickets"])


class CallNextPublic(BaseModel):
    """The customer called, or none when the queue is empty."""

    ticket: TicketPublic | None


@router.post("/tickets", response_model=TicketPublic, status_code=201)
async def issue_ticket(
    branch_id: BranchId,
    ticket_in: TicketCreate,
    work: UnitOfWorkDep,
    ctx: ContextDep,
    actor: Issuer,
    present: PresenterDep,
) -> TicketPublic:
    """Issue a ticket; routing follows the business catalogue."""
    # The busiest route: the service call and its commit in one trip to the thread pool,
    # so that the queue's counter row is locked as briefly as possible.
    view = await work.run(
        service.issue_ticket, ctx=ctx, actor=actor, branch_id=branch_id, ticket_in=ticket_in
    )
    return present.ticket(view)


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
    session: SessionDep,
    ctx: ContextDep,
    actor: Triager,
    present: PresenterDep,
) -> TicketPublic:
    """Record a triage round; accepted sends migratable business to the smart counter."""
    view = service.record_triage(
        session=session,
        ctx=ctx,
        actor=actor,
        branch_id=branch_id,
        ticket_id=ticket_id,
        triage_in=triage_in,
    )
    return present.ticket(view)


@router.post("/tickets/{ticket_id}/referrals", response_model=TicketPublic, status_code=201)
def refer(
    branch_id: BranchId,
    ticket_id: TicketId,
    referral_in: ReferralCreate,
    session: SessionDep,
    ctx: ContextDep,
    actor: Referrer,
    present: PresenterDep,
) -> TicketPublic:
    """Refer the customer to the wealth manager."""
    view = service.refer(
        session=session,
        ctx=ctx,
        actor=actor,
        branch_id=branch_id,
        ticket_id=ticket_id,
        referral_in=referral_in,
    )
    return present.ticket(view)


@router.post("/points/{point_id}/call-next", response_model=CallNextPublic)
def call_next(
    branch_id: BranchId,
    point_id: PointId,
    session: SessionDep,
    ctx: ContextDep,
    actor: Server,
    present: PresenterDep,
) -> CallNextPublic:
    """Call the next customer of the point's queue."""
    view = service.call_next(
        session=session, ctx=ctx, actor=actor, branch_id=branch_id, point_id=point_id
    )
    return CallNextPublic(ticket=present.ticket(view) if view else None)


@router.post("/tickets/{ticket_id}/recall", response_model=TicketPublic)
def recall(
    branch_id: BranchId,
    ticket_id: TicketId,
    session: SessionDep,
    ctx: ContextDep,
    actor: Server,
    present: PresenterDep,
) -> TicketPublic:
    """Call the customer again; too many recalls make a no-show."""
    return present.ticket(
        service.recall(
            session=session, ctx=ctx, actor=actor, branch_id=branch_id, ticket_id=ticket_id
        )
    )


@router.post("/tickets/{ticket_id}/start", response_model=TicketPublic)
def start(
    branch_id: BranchId,
    ticket_id: TicketId,
    session: SessionDep,
    ctx: ContextDep,
    actor: Server,
    present: PresenterDep,
) -> TicketPublic:
    """The customer is at the point; a smart counter asks for its authorisations."""
    return present.ticket(
        service.start_service(
            session=session, ctx=ctx, actor=actor, branch_id=branch_id, ticket_id=ticket_id
        )
    )


@router.post("/tickets/{ticket_id}/no-show", response_model=TicketPublic)
def no_show(
    branch_id: BranchId,
    ticket_id: TicketId,
    session: SessionDep,
    ctx: ContextDep,
    actor: Server,
    present: PresenterDep,
) -> TicketPublic:
    """The called customer did not come."""
    return present.ticket(
        service.mark_no_show(
            session=session, ctx=ctx, actor=actor, branch_id=branch_id, ticket_id=ticket_id
        )
    )


@router.post("/tickets/{ticket_id}/transfer", response_model=TicketPublic)
def transfer(
    branch_id: BranchId,
    ticket_id: TicketId,
    transfer_in: TicketTransfer,
    session: SessionDep,
    ctx: ContextDep,
    actor: Server,
    present: PresenterDep,
) -> TicketPublic:
    """Send the ticket's current business to another queue."""
    view = service.transfer(
        session=session,
        ctx=ctx,
        actor=actor,
        branch_id=branch_id,
        ticket_id=ticket_id,
        transfer_in=transfer_in,
    )
    return present.ticket(view)


@router.post("/tickets/{ticket_id}/complete", response_model=TicketPublic)
def complete(
    branch_id: BranchId,
    ticket_id: TicketId,
    complete_in: TicketComplete,
    session: SessionDep,
    ctx: ContextDep,
    actor: Server,
    present: PresenterDep,
) -> TicketPublic:
    """Finish the business at this point and record the transactions."""
    view = service.complete(
        session=session,
        ctx=ctx,
        actor=actor,
        branch_id=branch_id,
        ticket_id=ticket_id,
        complete_in=complete_in,
    )
    return present.ticket(view)


@router.post(
    "/tickets/{ticket_id}/authorisations", response_model=AuthorisationPublic, status_code=201
)
def request_authorisation(
    branch_id: BranchId,
    ticket_id: TicketId,
    authorisation_in: AuthorisationCreate,
    session: SessionDep,
    ctx: ContextDep,
    actor: Server,
    present: PresenterDep,
) -> AuthorisationPublic:
    """Ask the specialist to authorise a smart-counter step."""
    authorisation = service.request_authorisation(
        session=session,
        ctx=ctx,
        actor=actor,
        branch_id=branch_id,
        ticket_id=ticket_id,
        authorisation_in=authorisation_in,
    )
    return present.authorisation(authorisation)
