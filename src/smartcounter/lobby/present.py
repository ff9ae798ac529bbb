"""Turn service results into the ``*Public`` schemas, in the reader's language and time zone."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from smartcounter.canonical.catalogue import REASONS
from smartcounter.i18n import Translator
from smartcounter.lobby.close_day import CloseDayResult
from smartcounter.lobby.context import LobbyContext
from smartcounter.lobby.models import (
    Authorisation,
    DayClosure,
    ServicePoint,
    Staff,
    Ticket,
    TicketItem,
)
from smartcounter.lobby.schemas import (
    AuthorisationPublic,
    BoardPublic,
    BranchPublic,
    BusinessTypePublic,
    CallingPublic,
    CataloguePublic,
    CloseDayPublic,
    ClosurePublic,
    ExpiredTicketPublic,
    ImportCountsPublic,
    ItemPublic,
    LobbyPublic,
    OpeningHoursItem,
    PointPublic,
    PointWithTicketPublic,
    PromptPublic,
    QueuePublic,
    QueueSetupPublic,
    ReasonPublic,
    StaffPublic,
    TicketPublic,
    TouchPublic,
)
from smartcounter.lobby.service import AuthorisationView, BoardView, LobbyView, TicketView
from smartcounter.lobby.serving import recallable_until
from smartcounter.lobby.setup import BranchSetup
from smartcounter.lobby.waits import minutes


class Presenter:
    """Builds public schemas with one translator and one time zone."""

    def __init__(self, ctx: LobbyContext, t: Translator) -> None:
        self.ctx = ctx
        self.t = t

    def _time(self, moment: datetime | None) -> datetime | None:
        return self.ctx.local(moment) if moment is not None else None

    def business_name(self, code: str) -> str:
        business = self.ctx.catalogue.get(code)
        return business.name(self.t.lang.value) if business else code

    def reason_name(self, code: str | None) -> str | None:
        if code is None:
            return None
        reason = REASONS.get(code)
        return reason.name(self.t.lang.value) if reason else code

    def item(self, item: TicketItem) -> ItemPublic:
        business = self.ctx.catalogue.get(item.business_code)
        return ItemPublic(
            business_code=item.business_code,
            name=self.business_name(item.business_code),
            route=item.route,
            status=item.status,
            migratable=bool(business and business.migratable),
            cash=bool(business and business.cash),
            needs_authorisation=item.business_code in self.ctx.rules.routing.authorisation_required,
            reason=item.reason,
            reason_name=self.reason_name(item.reason),
        )

    def authorisation(
        self,
        authorisation: Authorisation,
        ticket: Ticket | None = None,
        point_code: str | None = None,
    ) -> AuthorisationPublic:
        end = authorisation.decided_at or self.ctx.now()
        requested = self._time(authorisation.requested_at)
        assert requested is not None
        return AuthorisationPublic(
            id=authorisation.id,
            ticket_id=authorisation.ticket_id,
            ticket_no=ticket.ticket_no if ticket else None,
            business_code=authorisation.business_code,
            business_name=self.business_name(authorisation.business_code),
            status=authorisation.status,
            point_code=point_code,
            requested_at=requested,
            decided_at=self._time(authorisation.decided_at),
            decided_by=authorisation.decided_by,
            waiting_s=max(0.0, (end - authorisation.requested_at).total_seconds()),
        )

    def ticket(self, view: TicketView) -> TicketPublic:
        ticket = view.ticket
        issued = self._time(ticket.issued_at)
        assert issued is not None
        point_code = view.point.code if view.point else None
        return TicketPublic(
            id=ticket.id,
            visit_id=ticket.visit_id,
            ticket_no=ticket.ticket_no,
            queue=ticket.queue,
            queue_name=self.t(f"lobby.queue.{ticket.queue.value}"),
            status=ticket.status,
            status_name=self.t(f"lobby.status.{ticket.status.value}"),
            position=view.position,
            wait_minutes=minutes(view.wait_s),
            point_id=ticket.point_id,
            point_code=point_code,
            point_name=view.point.name if view.point else None,
            customer_id=ticket.customer_mask,
            customer_masked=ticket.customer_mask,
            age_band=ticket.age_band,
            customer_tier=ticket.customer_tier,
            has_mobile_banking=ticket.has_mobile_banking,
            follow_up=ticket.follow_up,
            issued_at=issued,
            called_at=self._time(ticket.called_at),
            finished_at=self._time(ticket.finished_at),
            recalls=ticket.recalls,
            items=[self.item(i) for i in view.items],
            prompts=[
                PromptPublic(rule=p.rule_id, action=p.action, text=p.text(self.t))
                for p in view.prompts
            ],
            touches=[
                TouchPublic(
                    stage=x.stage,
                    outcome=x.outcome,
                    reason=x.reason,
                    staff_id=x.staff_id,
                    ts=self.ctx.local(x.ts),
                )
                for x in view.touches
            ],
            authorisations=[self.authorisation(a, ticket, point_code) for a in view.authorisations],
            referrals=len(view.referrals),
            notices=[self.t(n) for n in view.notices],
            triage_done=sorted({x.stage for x in view.touches}),
            recallable_until=self._time(recallable_until(self.ctx, ticket)),
        )

    def point(self, point: ServicePoint) -> PointPublic:
        return PointPublic(
            id=point.id,
            kind=point.kind,
            code=point.code,
            name=point.name,
            status=point.status,
            status_name=self.t(f"lobby.terminal.{point.status.value}"),
            active=point.active,
        )

    def board(self, view: BoardView) -> BoardPublic:
        now = self._time(view.now)
        assert now is not None
        return BoardPublic(
            branch_id=view.branch.branch_id,
            branch_name=view.branch.name,
            now=now,
            calling=[
                CallingPublic(
                    ticket_no=ticket.ticket_no,
                    point_code=point.code,
                    point_name=point.name,
                    called_at=self._time(ticket.last_called_at),
                    recalls=ticket.recalls,
                )
                for ticket, point in view.calling
            ],
            queues=[
                QueuePublic(
                    kind=q.kind,
                    name=self.t(f"lobby.queue.{q.kind.value}"),
                    prefix=q.prefix,
                    waiting=q.waiting,
                    wait_minutes=minutes(q.wait_s),
                    notices=[self.t(n) for n in q.notices],
                )
                for q in view.queues
            ],
            points=[self.point(p) for p in view.points],
        )

    def lobby(self, view: LobbyView) -> LobbyPublic:
        at_point = {v.ticket.point_id: v for v in view.at_points if v.ticket.point_id is not None}
        codes = {p.id: p.code for p in view.board.points}
        return LobbyPublic(
            board=self.board(view.board),
            waiting=[self.ticket(v) for v in view.waiting],
            points=[
                PointWithTicketPublic(
                    point=self.point(p),
                    ticket=self.ticket(at_point[p.id]) if p.id in at_point else None,
                )
                for p in view.board.points
            ],
            authorisations=[
                self.authorisation(
                    a,
                    view.tickets_by_id.get(a.ticket_id),
                    codes.get(a.point_id) if a.point_id else None,
                )
                for a in view.authorisations
            ],
        )

    def staff(self, member: Staff) -> StaffPublic:
        return StaffPublic(
            staff_id=member.staff_id,
            name=member.name,
            role=member.role,
            role_name=self.t(f"lobby.role.{member.role}"),
            on_duty=member.on_duty,
        )

    def branch(self, setup: BranchSetup) -> BranchPublic:
        branch = setup.branch
        return BranchPublic(
            branch_id=branch.branch_id,
            name=branch.name,
            region=branch.region,
            branch_type=branch.branch_type,
            staff_count=branch.staff_count,
            no_show_after=branch.no_show_after or self.ctx.settings.no_show_after,
            queues=[
                QueueSetupPublic(
                    kind=q.kind, name=self.t(f"lobby.queue.{q.kind.value}"), prefix=q.prefix
                )
                for q in setup.queues
            ],
            points=[self.point(p) for p in setup.points],
            hours=[
                OpeningHoursItem(weekday=h.weekday, opens=h.opens, closes=h.closes)
                for h in setup.hours
            ],
            staff=[self.staff(s) for s in setup.staff],
        )

    def closure(self, closure: DayClosure) -> ClosurePublic:
        closed = self._time(closure.closed_at)
        assert closed is not None
        return ClosurePublic(
            branch_id=closure.branch_id,
            day=closure.day,
            closed_at=closed,
            closed_by=closure.closed_by,
            visits=closure.visits,
            transactions=closure.transactions,
            triage=closure.triage,
            migratable=closure.migratable,
            migrated=closure.migrated,
        )

    def close_day(self, result: CloseDayResult) -> CloseDayPublic:
        return CloseDayPublic(
            day=result.day,
            closures=[self.closure(c) for c in result.closures],
            imports=[
                ImportCountsPublic(
                    table=f.table,
                    read=f.read,
                    imported=f.imported,
                    updated=f.updated,
                    skipped=f.skipped,
                    rejected=f.rejected,
                )
                for f in result.report.files
            ],
            rejects=result.report.rejects_path,
            expired=result.expired,
            expired_tickets=[
                ExpiredTicketPublic(
                    branch_id=e.branch_id,
                    ticket_no=e.ticket_no,
                    visit_id=e.visit_id,
                    status=e.status,
                    status_name=self.t(f"lobby.status.{e.status.value}"),
                    customer_masked=e.customer_mask,
                )
                for e in result.expired_tickets
            ],
        )

    def catalogue(self) -> CataloguePublic:
        lang = self.t.lang.value
        required = self.ctx.rules.routing.authorisation_required
        return CataloguePublic(
            business=[
                BusinessTypePublic(
                    code=b.code,
                    name=b.name(lang),
                    migratable=b.migratable,
                    cash=b.cash,
                    needs_authorisation=b.code in required,
                )
                for b in self.ctx.catalogue.values()
            ],
            reasons=[ReasonPublic(code=r.code, name=r.name(lang)) for r in REASONS.values()],
        )

    def authorisations(self, views: Sequence[AuthorisationView]) -> list[AuthorisationPublic]:
        """Authorisations with their ticket numbers and the smart counters waiting."""
        return [
            self.authorisation(v.authorisation, v.ticket, v.point.code if v.point else None)
            for v in views
        ]
