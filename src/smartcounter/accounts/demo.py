"""Demo accounts for one branch of the demo store, so ``smartcounter demo`` can offer a login."""

from __future__ import annotations

import re
import secrets

from sqlalchemy.orm import Session

from smartcounter.accounts import repository as repo
from smartcounter.accounts.policy import PasswordPolicy
from smartcounter.accounts.roles import DeviceKind, Role, system_actor
from smartcounter.accounts.schemas import DeviceCreate, UserCreate
from smartcounter.accounts.service import create_device, create_user, set_password
from smartcounter.lobby import repository as lobby_repo
from smartcounter.lobby.context import build_context
from smartcounter.lobby.database import open_database
from smartcounter.lobby.setup import load_from_store
from smartcounter.settings import Settings, load_settings
from smartcounter.store.layout import Store

DEMO_ROLES: tuple[Role, ...] = (
    Role.DIRECTOR,
    Role.LOBBY_MANAGER,
    Role.GREETER,
    Role.STM_SPECIALIST,
    Role.TELLER,
    Role.CENTRE_ANALYST,
)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "branch"


def _password() -> str:
    # Letters and digits whatever the random part holds: the password policy wants both.
    return "demo-" + secrets.token_urlsafe(12) + f"{secrets.randbelow(100):02d}"


# Whom a demo login stands for when the branch has nobody of its role: the lobby
# manager greets at the door in a branch without greeters; then anyone not yet linked.
_STAND_INS: dict[Role, tuple[str, ...]] = {Role.GREETER: ("lobby_manager",)}


def _staff_for(session: Session, branch_id: str, role: Role, taken: set[str]) -> str:
    """The member of staff a demo login of ``role`` is linked to, each one at most once.

    The store's staff of that role first, then a stand-in of the branch's staff; a
    branch without any staff gets a made-up id (the database then knows no staff).
    """
    members = [m for m in lobby_repo.staff(session, branch_id) if m.staff_id not in taken]
    for wanted in (role.value, *_STAND_INS.get(role, ())):
        for member in members:
            if member.role == wanted:
                return member.staff_id
    if members:
        return members[0].staff_id
    return f"{branch_id}-{role.value}"


def seed_demo(
    store: Store, branch_id: str, *, settings: Settings | None = None
) -> list[tuple[str, str, str]]:
    """Load the store's branches into the lobby and give ``branch_id`` one login per role.

    Returns ``(role, username, password)``; run again, it resets the same users'
    passwords and returns the new ones. The lobby database is the one the settings name
    (by default ``lobby.sqlite3`` in the store folder).
    """
    settings = settings or load_settings(store=store.root)
    settings = settings.model_copy(update={"store": store.root})
    database = open_database(settings)
    ctx = build_context(settings)
    actor = system_actor("demo")
    out: list[tuple[str, str, str]] = []
    try:
        with database.unit_of_work() as session:
            load_from_store(session=session, ctx=ctx, actor=actor, store=store)
            if lobby_repo.get_branch(session, branch_id) is None:
                raise KeyError(f"branch {branch_id!r} is not in the store")
            slug = _slug(branch_id)
            # Staff already linked to an account (a demo run before, or the bank's own).
            taken = {u.staff_id for u in repo.users_of(session, None) if u.staff_id}
            for role in DEMO_ROLES:
                username = "analyst" if role is Role.CENTRE_ANALYST else f"{role.value}-{slug}"
                password = _password()
                existing = repo.user_by_name(session, username)
                if existing is None:
                    staff_id = None
                    if role is not Role.CENTRE_ANALYST:
                        staff_id = _staff_for(session, branch_id, role, taken)
                        taken.add(staff_id)
                    create_user(
                        session=session,
                        actor=actor,
                        branch_id=None if role is Role.CENTRE_ANALYST else branch_id,
                        user_in=UserCreate(
                            username=username, password=password, role=role, staff_id=staff_id
                        ),
                        now=ctx.now(),
                        policy=PasswordPolicy.of(settings.lobby),
                    )
                else:
                    set_password(session=session, user=existing, password=password)
                    if existing.staff_id is None and role is not Role.CENTRE_ANALYST:
                        # Demo stores seeded before every login had a member of staff.
                        existing.staff_id = _staff_for(session, branch_id, role, taken)
                        taken.add(existing.staff_id)
                out.append((role.value, username, password))
    finally:
        database.dispose()
    return out


def demo_device_links(
    store: Store, branch_id: str, *, settings: Settings | None = None
) -> list[tuple[str, str]]:
    """A new kiosk and calling-display token for ``branch_id``: ``(kind, path to open)``."""
    settings = settings or load_settings(store=store.root)
    settings = settings.model_copy(update={"store": store.root})
    database = open_database(settings)
    ctx = build_context(settings)
    out: list[tuple[str, str]] = []
    try:
        with database.unit_of_work() as session:
            for kind in (DeviceKind.KIOSK, DeviceKind.DISPLAY):
                _device, token = create_device(
                    session=session,
                    actor=system_actor("demo"),
                    branch_id=branch_id,
                    device_in=DeviceCreate(kind=kind, name=f"demo {kind.value}"),
                    now=ctx.now(),
                )
                out.append((kind.value, f"/devices/activate?token={token}"))
    finally:
        database.dispose()
    return out
