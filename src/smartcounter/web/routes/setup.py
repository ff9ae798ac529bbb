"""Branch set-up: points, prefixes, hours, staff; loading branches from the store."""

from __future__ import annotations

from fastapi import APIRouter

from smartcounter.lobby import setup
from smartcounter.lobby.errors import Conflict
from smartcounter.lobby.models import QueueKind
from smartcounter.lobby.schemas import (
    BranchPublic,
    BranchSummary,
    BranchUpdate,
    CataloguePublic,
    OpeningHoursItem,
    OpeningHoursUpdate,
    PointPublic,
    QueuePrefixUpdate,
    QueueSetupPublic,
    ServicePointCreate,
    ServicePointUpdate,
    SetupLoadPublic,
    StaffCreate,
    StaffPublic,
    StaffUpdate,
    TerminalStatusUpdate,
)
from smartcounter.lobby.service import set_terminal_status
from smartcounter.store.layout import Store, StoreNotFoundError
from smartcounter.web.deps import (
    BoardViewer,
    BranchId,
    ContextDep,
    CurrentActor,
    NetworkAdmin,
    PointId,
    PresenterDep,
    SessionDep,
    SettingsDep,
    SetupEditor,
    StaffIdPath,
    TerminalKeeper,
)

router = APIRouter(prefix="/api", tags=["setup"])


class StoreMissing(Conflict):
    key = "lobby.errors.store_missing"


@router.get("/branches", response_model=list[BranchSummary])
def list_branches(session: SessionDep, actor: CurrentActor) -> list[BranchSummary]:
    """The branches the caller may see."""
    return [
        BranchSummary.model_validate(b, from_attributes=True)
        for b in setup.visible_branches(session=session, actor=actor)
    ]


@router.post("/setup/load-from-store", response_model=SetupLoadPublic)
def load_from_store(
    session: SessionDep, ctx: ContextDep, actor: NetworkAdmin, settings: SettingsDep
) -> SetupLoadPublic:
    """Add the store's branches and staff that the lobby does not know yet."""
    try:
        store = Store.open(settings.store)
    except StoreNotFoundError as exc:
        raise StoreMissing(path=str(settings.store)) from exc
    report = setup.load_from_store(session=session, ctx=ctx, actor=actor, store=store)
    return SetupLoadPublic(**vars(report))


@router.get("/catalogue", response_model=CataloguePublic)
def catalogue(actor: CurrentActor, present: PresenterDep) -> CataloguePublic:
    """The business catalogue and the reason codes, in the caller's language."""
    return present.catalogue()


@router.get("/branches/{branch_id}", response_model=BranchPublic)
def get_branch(
    branch_id: BranchId, session: SessionDep, actor: BoardViewer, present: PresenterDep
) -> BranchPublic:
    """A branch's set-up: queues, points, hours and staff."""
    return present.branch(setup.get_setup(session=session, actor=actor, branch_id=branch_id))


@router.patch("/branches/{branch_id}", response_model=BranchPublic)
def update_branch(
    branch_id: BranchId,
    branch_in: BranchUpdate,
    session: SessionDep,
    ctx: ContextDep,
    actor: SetupEditor,
    present: PresenterDep,
) -> BranchPublic:
    """Rename the branch or change the recalls before a no-show."""
    return present.branch(
        setup.update_branch(
            session=session, ctx=ctx, actor=actor, branch_id=branch_id, branch_in=branch_in
        )
    )


@router.post("/branches/{branch_id}/points", response_model=PointPublic, status_code=201)
def add_point(
    branch_id: BranchId,
    point_in: ServicePointCreate,
    session: SessionDep,
    ctx: ContextDep,
    actor: SetupEditor,
    present: PresenterDep,
) -> PointPublic:
    """Add a teller window, a smart counter or a desk."""
    point = setup.add_point(
        session=session, ctx=ctx, actor=actor, branch_id=branch_id, point_in=point_in
    )
    return present.point(point)


@router.patch("/branches/{branch_id}/points/{point_id}", response_model=PointPublic)
def update_point(
    branch_id: BranchId,
    point_id: PointId,
    point_in: ServicePointUpdate,
    session: SessionDep,
    ctx: ContextDep,
    actor: SetupEditor,
    present: PresenterDep,
) -> PointPublic:
    """Rename a point, or open or close it."""
    point = setup.update_point(
        session=session,
        ctx=ctx,
        actor=actor,
        branch_id=branch_id,
        point_id=point_id,
        point_in=point_in,
    )
    return present.point(point)


@router.put("/branches/{branch_id}/points/{point_id}/status", response_model=PointPublic)
def update_point_status(
    branch_id: BranchId,
    point_id: PointId,
    status_in: TerminalStatusUpdate,
    session: SessionDep,
    ctx: ContextDep,
    actor: TerminalKeeper,
    present: PresenterDep,
) -> PointPublic:
    """Mark a terminal ok, slow or down."""
    point = set_terminal_status(
        session=session,
        ctx=ctx,
        actor=actor,
        branch_id=branch_id,
        point_id=point_id,
        status=status_in.status,
    )
    return present.point(point)


@router.put("/branches/{branch_id}/queues/{queue}/prefix", response_model=QueueSetupPublic)
def update_prefix(
    branch_id: BranchId,
    queue: QueueKind,
    prefix_in: QueuePrefixUpdate,
    session: SessionDep,
    ctx: ContextDep,
    actor: SetupEditor,
    present: PresenterDep,
) -> QueueSetupPublic:
    """Change a queue's ticket prefix (numbers restart daily)."""
    changed = setup.set_prefix(
        session=session, ctx=ctx, actor=actor, branch_id=branch_id, queue=queue, prefix_in=prefix_in
    )
    return QueueSetupPublic(
        kind=changed.kind,
        name=present.t(f"lobby.queue.{changed.kind.value}"),
        prefix=changed.prefix,
    )


@router.put("/branches/{branch_id}/hours", response_model=list[OpeningHoursItem])
def update_hours(
    branch_id: BranchId,
    hours_in: OpeningHoursUpdate,
    session: SessionDep,
    ctx: ContextDep,
    actor: SetupEditor,
) -> list[OpeningHoursItem]:
    """Replace the weekly opening hours."""
    rows = setup.set_hours(
        session=session, ctx=ctx, actor=actor, branch_id=branch_id, hours_in=hours_in
    )
    return [OpeningHoursItem(weekday=h.weekday, opens=h.opens, closes=h.closes) for h in rows]


@router.post("/branches/{branch_id}/staff", response_model=StaffPublic, status_code=201)
def add_staff(
    branch_id: BranchId,
    staff_in: StaffCreate,
    session: SessionDep,
    ctx: ContextDep,
    actor: SetupEditor,
    present: PresenterDep,
) -> StaffPublic:
    """Add a member of staff."""
    return present.staff(
        setup.add_staff(
            session=session, ctx=ctx, actor=actor, branch_id=branch_id, staff_in=staff_in
        )
    )


@router.patch("/branches/{branch_id}/staff/{staff_id}", response_model=StaffPublic)
def update_staff(
    branch_id: BranchId,
    staff_id: StaffIdPath,
    staff_in: StaffUpdate,
    session: SessionDep,
    ctx: ContextDep,
    actor: SetupEditor,
    present: PresenterDep,
) -> StaffPublic:
    """Change a member of staff's role, name or duty."""
    return present.staff(
        setup.update_staff(
            session=session,
            ctx=ctx,
            actor=actor,
            branch_id=branch_id,
            staff_id=staff_id,
            staff_in=staff_in,
        )
    )
