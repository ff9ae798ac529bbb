"""Branch set-up: service points, staff on duty, opening hours, ticket prefixes.

Branches and staff come from the analytics store (``branches`` and ``staff`` tables);
everything the lobby adds to them is edited here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import time

import polars as pl
from sqlalchemy.orm import Session

from smartcounter.accounts import audit
from smartcounter.accounts.roles import Actor, Permission
from smartcounter.i18n import Translator
from smartcounter.lobby import repository as repo
from smartcounter.lobby.context import LobbyContext
from smartcounter.lobby.errors import (
    BranchNotFound,
    DuplicateValue,
    ServicePointNotFound,
    StaffNotFound,
)
from smartcounter.lobby.models import (
    Branch,
    OpeningHours,
    Queue,
    QueueKind,
    ServicePoint,
    Staff,
    TerminalStatus,
)
from smartcounter.lobby.schemas import (
    BranchUpdate,
    OpeningHoursUpdate,
    QueuePrefixUpdate,
    ServicePointCreate,
    ServicePointUpdate,
    StaffCreate,
    StaffUpdate,
)
from smartcounter.store.layout import Store
from smartcounter.store.reading import read_table

DEFAULT_PREFIXES = {QueueKind.TELLER: "A", QueueKind.STM: "B", QueueKind.WEALTH: "V"}
WEEKDAY_HOURS = (time(9, 0), time(17, 0))
WEEKEND_HOURS = (time(9, 30), time(16, 0))


@dataclass
class BranchSetup:
    """A branch with its queues, points, hours and staff."""

    branch: Branch
    queues: list[Queue]
    points: list[ServicePoint]
    hours: list[OpeningHours]
    staff: list[Staff]


@dataclass
class LoadReport:
    """What loading the store's branches and staff changed."""

    branches_added: int = 0
    branches_updated: int = 0
    staff_added: int = 0
    staff_updated: int = 0


def _branch(session: Session, actor: Actor, branch_id: str, permission: Permission) -> Branch:
    actor.require(permission, branch_id)
    branch = repo.get_branch(session, branch_id)
    if branch is None:
        raise BranchNotFound(branch_id=branch_id)
    return branch


def _audit(
    session: Session,
    ctx: LobbyContext,
    actor: Actor,
    action: str,
    branch_id: str | None,
    target: str | None,
    **detail: object,
) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        at=ctx.now(),
        branch_id=branch_id,
        target=target,
        detail=dict(detail) or None,
    )


def add_branch(
    *,
    session: Session,
    ctx: LobbyContext,
    actor: Actor,
    branch_id: str,
    name: str,
    branch_type: str,
    region: str | None = None,
    staff_count: int | None = None,
    teller_windows: int = 2,
    smart_counters: int = 1,
) -> Branch:
    """Add a branch with the default set-up: queues A/B/V, its windows and terminals, hours."""
    actor.require(Permission.ALL_BRANCHES)
    if repo.get_branch(session, branch_id) is not None:
        raise DuplicateValue(field="branch_id", value=branch_id)
    t = Translator(ctx.lang)
    branch = Branch(
        branch_id=branch_id,
        name=name,
        region=region,
        branch_type=branch_type,
        staff_count=staff_count,
        created_at=ctx.now(),
    )
    session.add(branch)
    session.flush()
    for kind, prefix in DEFAULT_PREFIXES.items():
        session.add(Queue(branch_id=branch_id, kind=kind, prefix=prefix))
    for n in range(1, max(1, teller_windows) + 1):
        session.add(
            _new_point(branch_id, QueueKind.TELLER, f"W{n}", t("lobby.setup.window_name", n=n))
        )
    for n in range(1, smart_counters + 1):
        session.add(_new_point(branch_id, QueueKind.STM, f"S{n}", t("lobby.setup.stm_name", n=n)))
    session.add(_new_point(branch_id, QueueKind.WEALTH, "V1", t("lobby.setup.wealth_name")))
    for weekday in range(7):
        opens, closes = WEEKDAY_HOURS if weekday < 5 else WEEKEND_HOURS
        session.add(OpeningHours(branch_id=branch_id, weekday=weekday, opens=opens, closes=closes))
    _audit(session, ctx, actor, "branch.add", branch_id, branch_id, name=name)
    session.flush()
    return branch


def _new_point(branch_id: str, kind: QueueKind, code: str, name: str) -> ServicePoint:
    return ServicePoint(
        branch_id=branch_id, kind=kind, code=code, name=name, status=TerminalStatus.OK, active=True
    )


def _int_or(value: object, default: int) -> int:
    return int(value) if isinstance(value, int) else default


def load_from_store(
    *,
    session: Session,
    ctx: LobbyContext,
    actor: Actor,
    store: Store,
    branch_id: str | None = None,
) -> LoadReport:
    """Add the store's branches and staff that the lobby lacks; refresh their descriptions
    (of ``branch_id`` only, if given).

    Set-up made in the lobby (points, prefixes, hours, who is on duty) is left as it is.
    """
    actor.require(Permission.ALL_BRANCHES)
    report = LoadReport()
    branches = read_table(store, "branches")
    if branch_id is not None and not branches.is_empty():
        branches = branches.filter(pl.col("branch_id") == branch_id)
    for row in branches.iter_rows(named=True):
        existing = repo.get_branch(session, row["branch_id"])
        if existing is None:
            add_branch(
                session=session,
                ctx=ctx,
                actor=actor,
                branch_id=row["branch_id"],
                name=row["name"],
                branch_type=row["branch_type"],
                region=row.get("region"),
                staff_count=row.get("staff_count"),
                teller_windows=_int_or(row.get("teller_windows"), 2),
                smart_counters=_int_or(row.get("smart_counters"), 1),
            )
            report.branches_added += 1
            continue
        fresh = (row["name"], row.get("region"), row["branch_type"], row.get("staff_count"))
        current = (existing.name, existing.region, existing.branch_type, existing.staff_count)
        if fresh != current:
            existing.name, existing.region, existing.branch_type, existing.staff_count = fresh
            report.branches_updated += 1
    known = {b.branch_id for b in repo.list_branches(session)}
    staff = read_table(store, "staff")
    if not staff.is_empty():
        staff = staff.filter(pl.col("branch_id").is_in(list(known)))
        if branch_id is not None:
            staff = staff.filter(pl.col("branch_id") == branch_id)
    for row in staff.iter_rows(named=True):
        member = repo.get_staff(session, row["staff_id"])
        if member is None:
            session.add(
                Staff(
                    staff_id=row["staff_id"],
                    branch_id=row["branch_id"],
                    name=row.get("name"),
                    role=row["role"],
                    on_duty=True,
                )
            )
            report.staff_added += 1
        elif (member.branch_id, member.name, member.role) != (
            row["branch_id"],
            row.get("name"),
            row["role"],
        ):
            member.branch_id, member.name, member.role = (
                row["branch_id"],
                row.get("name"),
                row["role"],
            )
            report.staff_updated += 1
    _audit(
        session,
        ctx,
        actor,
        "setup.load",
        None,
        str(store.root),
        branches_added=report.branches_added,
        staff_added=report.staff_added,
    )
    session.flush()
    return report


def visible_branches(*, session: Session, actor: Actor) -> Sequence[Branch]:
    """The branches this actor may see: their own, or all for a centre analyst."""
    if actor.branch_id is None:
        return repo.list_branches(session)
    return repo.list_branches(session, [actor.branch_id])


def get_setup(*, session: Session, actor: Actor, branch_id: str) -> BranchSetup:
    """A branch's whole set-up."""
    branch = _branch(session, actor, branch_id, Permission.BOARD)
    return BranchSetup(
        branch=branch,
        queues=list(repo.queues(session, branch_id)),
        points=list(repo.points(session, branch_id)),
        hours=list(repo.hours(session, branch_id)),
        staff=list(repo.staff(session, branch_id)),
    )


def update_branch(
    *, session: Session, ctx: LobbyContext, actor: Actor, branch_id: str, branch_in: BranchUpdate
) -> BranchSetup:
    """Rename a branch or change how many recalls make a no-show."""
    branch = _branch(session, actor, branch_id, Permission.SETUP)
    changes = branch_in.model_dump(exclude_unset=True)
    if changes.get("name") is not None:
        branch.name = changes["name"]
    if "no_show_after" in changes:
        branch.no_show_after = changes["no_show_after"]
    _audit(session, ctx, actor, "branch.update", branch_id, branch_id, **changes)
    session.flush()
    return get_setup(session=session, actor=actor, branch_id=branch_id)


def add_point(
    *,
    session: Session,
    ctx: LobbyContext,
    actor: Actor,
    branch_id: str,
    point_in: ServicePointCreate,
) -> ServicePoint:
    """Add a teller window, a smart-counter terminal or a desk."""
    _branch(session, actor, branch_id, Permission.SETUP)
    if any(p.code == point_in.code for p in repo.points(session, branch_id)):
        raise DuplicateValue(field="code", value=point_in.code)
    point = _new_point(branch_id, point_in.kind, point_in.code, point_in.name)
    session.add(point)
    ctx.setup_changed(branch_id)
    repo.add_event(session, branch_id=branch_id, kind="setup", at=ctx.now(), point_code=point.code)
    _audit(session, ctx, actor, "point.add", branch_id, point_in.code, kind=point_in.kind.value)
    session.flush()
    return point


def update_point(
    *,
    session: Session,
    ctx: LobbyContext,
    actor: Actor,
    branch_id: str,
    point_id: int,
    point_in: ServicePointUpdate,
) -> ServicePoint:
    """Rename a point, or open or close it."""
    _branch(session, actor, branch_id, Permission.SETUP)
    point = repo.get_point(session, branch_id, point_id)
    if point is None:
        raise ServicePointNotFound(point_id=point_id)
    changes = point_in.model_dump(exclude_unset=True)
    if changes.get("name") is not None:
        point.name = changes["name"]
    if changes.get("active") is not None:
        point.active = changes["active"]
        ctx.setup_changed(branch_id)
    repo.add_event(session, branch_id=branch_id, kind="setup", at=ctx.now(), point_code=point.code)
    _audit(session, ctx, actor, "point.update", branch_id, point.code, **changes)
    session.flush()
    return point


def set_prefix(
    *,
    session: Session,
    ctx: LobbyContext,
    actor: Actor,
    branch_id: str,
    queue: QueueKind,
    prefix_in: QueuePrefixUpdate,
) -> Queue:
    """Change the letter in front of a queue's numbers (from the next ticket on)."""
    _branch(session, actor, branch_id, Permission.SETUP)
    target = repo.queue_of(session, branch_id, queue)
    if target is None:
        raise BranchNotFound(branch_id=branch_id)
    if any(
        q.prefix == prefix_in.prefix and q.id != target.id for q in repo.queues(session, branch_id)
    ):
        raise DuplicateValue(field="prefix", value=prefix_in.prefix)
    target.prefix = prefix_in.prefix
    ctx.setup_changed(branch_id)
    _audit(session, ctx, actor, "queue.prefix", branch_id, queue.value, prefix=prefix_in.prefix)
    session.flush()
    return target


def set_hours(
    *,
    session: Session,
    ctx: LobbyContext,
    actor: Actor,
    branch_id: str,
    hours_in: OpeningHoursUpdate,
) -> list[OpeningHours]:
    """Replace the branch's weekly opening hours."""
    _branch(session, actor, branch_id, Permission.SETUP)
    rows = [
        OpeningHours(branch_id=branch_id, weekday=d.weekday, opens=d.opens, closes=d.closes)
        for d in hours_in.days
    ]
    repo.replace_hours(session, branch_id, rows)
    _audit(session, ctx, actor, "branch.hours", branch_id, branch_id, days=len(rows))
    session.flush()
    return list(repo.hours(session, branch_id))


def add_staff(
    *, session: Session, ctx: LobbyContext, actor: Actor, branch_id: str, staff_in: StaffCreate
) -> Staff:
    """Add a member of staff to the branch."""
    _branch(session, actor, branch_id, Permission.SETUP)
    if repo.get_staff(session, staff_in.staff_id) is not None:
        raise DuplicateValue(field="staff_id", value=staff_in.staff_id)
    member = Staff(
        staff_id=staff_in.staff_id,
        branch_id=branch_id,
        name=staff_in.name,
        role=staff_in.role,
        on_duty=staff_in.on_duty,
    )
    session.add(member)
    _audit(session, ctx, actor, "staff.add", branch_id, staff_in.staff_id, role=staff_in.role)
    session.flush()
    return member


def update_staff(
    *,
    session: Session,
    ctx: LobbyContext,
    actor: Actor,
    branch_id: str,
    staff_id: str,
    staff_in: StaffUpdate,
) -> Staff:
    """Change a member of staff's role, name or whether they are on duty."""
    _branch(session, actor, branch_id, Permission.SETUP)
    member = repo.get_staff(session, staff_id)
    if member is None or member.branch_id != branch_id:
        raise StaffNotFound(staff_id=staff_id)
    changes = staff_in.model_dump(exclude_unset=True)
    for key in ("name", "role", "on_duty"):
        if changes.get(key) is not None:
            setattr(member, key, changes[key])
    _audit(session, ctx, actor, "staff.update", branch_id, staff_id, **changes)
    session.flush()
    return member
