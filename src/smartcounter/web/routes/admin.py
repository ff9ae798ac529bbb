"""The director's and the analyst's side: close of day, audit log, users, devices."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from smartcounter.accounts import audit
from smartcounter.accounts import service as accounts
from smartcounter.accounts.models import DeviceToken
from smartcounter.accounts.policy import PasswordPolicy
from smartcounter.accounts.schemas import (
    AuditEntryPublic,
    DeviceCreate,
    DeviceCreated,
    DevicePublic,
    UserCreate,
    UserPublic,
)
from smartcounter.dashboards.service import warm_in_background
from smartcounter.ingest.service import IngestOptions
from smartcounter.lobby import repository as repo
from smartcounter.lobby.close_day import close_day
from smartcounter.lobby.schemas import CloseDayCreate, CloseDayPublic, ClosurePublic
from smartcounter.store.layout import Store
from smartcounter.web.deps import (
    Auditor,
    BranchId,
    ContextDep,
    DayCloser,
    DeviceId,
    DeviceManager,
    LangDep,
    PresenterDep,
    SessionDep,
    SettingsDep,
    TranslatorDep,
    UserManager,
)
from smartcounter.web.routes.auth import user_public

router = APIRouter(prefix="/api/branches/{branch_id}", tags=["admin"])

# A close of day waits this long for another import to finish before giving up (503).
CLOSE_DAY_WAIT_S = 60.0


@router.post("/close-day", response_model=CloseDayPublic)
def close(
    branch_id: BranchId,
    close_in: CloseDayCreate,
    session: SessionDep,
    ctx: ContextDep,
    actor: DayCloser,
    settings: SettingsDep,
    lang: LangDep,
    present: PresenterDep,
) -> CloseDayPublic:
    """Close the day (today by default): import its visits, transactions and triage into the store."""
    store = Store.open_or_create(settings.store, timezone=settings.timezone)
    result = close_day(
        session=session,
        ctx=ctx,
        actor=actor,
        store=store,
        day=close_in.day or ctx.today(),
        branch_ids=[branch_id],
        options=IngestOptions(lang=lang, wait_seconds=CLOSE_DAY_WAIT_S),
        confirm=close_in.confirm,
    )
    # The day's figures changed: have the dashboards' ones ready before they are asked for.
    warm_in_background(store, settings)
    return present.close_day(result)


@router.get("/closures", response_model=list[ClosurePublic])
def closures(
    branch_id: BranchId, session: SessionDep, actor: DayCloser, present: PresenterDep
) -> list[ClosurePublic]:
    """The branch's closed days, newest first."""
    return [present.closure(c) for c in repo.closures(session, branch_id)]


@router.get("/audit", response_model=list[AuditEntryPublic])
def audit_log(
    branch_id: BranchId,
    session: SessionDep,
    actor: Auditor,
    ctx: ContextDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    before_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
) -> list[AuditEntryPublic]:
    """Who did what in the branch, newest first."""
    rows = audit.entries(session, branch_id=branch_id, limit=limit, before_id=before_id)
    return [
        AuditEntryPublic(
            id=e.id,
            ts=ctx.local(e.ts),
            actor=e.actor,
            branch_id=e.branch_id,
            action=e.action,
            target=e.target,
            detail=e.detail,
        )
        for e in rows
    ]


@router.get("/users", response_model=list[UserPublic])
def list_users(
    branch_id: BranchId, session: SessionDep, actor: UserManager, t: TranslatorDep
) -> list[UserPublic]:
    """The branch's users."""
    return [
        user_public(u, t)
        for u in accounts.list_users(session=session, actor=actor, branch_id=branch_id)
    ]


@router.post("/users", response_model=UserPublic, status_code=201)
def create_user(
    branch_id: BranchId,
    user_in: UserCreate,
    session: SessionDep,
    ctx: ContextDep,
    actor: UserManager,
    t: TranslatorDep,
) -> UserPublic:
    """Create a user of the branch."""
    user = accounts.create_user(
        session=session,
        actor=actor,
        branch_id=branch_id,
        user_in=user_in,
        now=ctx.now(),
        policy=PasswordPolicy.of(ctx.settings),
    )
    return user_public(user, t)


def _device(device: DeviceToken, ctx: ContextDep) -> DevicePublic:
    return DevicePublic(
        id=device.id,
        kind=device.kind,
        name=device.name,
        branch_id=device.branch_id,
        created_at=ctx.local(device.created_at),
        revoked=device.revoked_at is not None,
    )


@router.get("/devices", response_model=list[DevicePublic])
def list_devices(
    branch_id: BranchId, session: SessionDep, ctx: ContextDep, actor: DeviceManager
) -> list[DevicePublic]:
    """The branch's kiosks and displays."""
    return [
        _device(d, ctx)
        for d in accounts.list_devices(session=session, actor=actor, branch_id=branch_id)
    ]


@router.post("/devices", response_model=DeviceCreated, status_code=201)
def create_device(
    branch_id: BranchId,
    device_in: DeviceCreate,
    request: Request,
    session: SessionDep,
    ctx: ContextDep,
    actor: DeviceManager,
) -> DeviceCreated:
    """Make a kiosk or display token (shown once) and the link that activates the device."""
    device, token = accounts.create_device(
        session=session, actor=actor, branch_id=branch_id, device_in=device_in, now=ctx.now()
    )
    return DeviceCreated(
        **_device(device, ctx).model_dump(),
        token=token,
        activate_url=f"/devices/activate?token={token}",
    )


@router.delete("/devices/{device_id}", response_model=DevicePublic)
def revoke_device(
    branch_id: BranchId,
    device_id: DeviceId,
    session: SessionDep,
    ctx: ContextDep,
    actor: DeviceManager,
) -> DevicePublic:
    """Stop a device's token from working."""
    device = accounts.revoke_device(
        session=session, actor=actor, branch_id=branch_id, device_id=device_id, now=ctx.now()
    )
    return _device(device, ctx)
