"""Demo accounts for one branch of the demo store, so ``smartcounter demo`` can offer a login."""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from typing import Protocol

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


# Whom a demo login stands for when the branch has nobody of its role (free of another
# login): the lobby manager greets at the door in a branch without greeters, else an
# account manager does.
_STAND_INS: dict[Role, tuple[str, ...]] = {Role.GREETER: ("lobby_manager", "account_manager")}
# The staff roles whose work the lobby credits to the member (triage, authorisations,
# service at a window, the branch): a login of another role stands for one of them only
# when nobody else is free, for its work would be counted as theirs.
_FRONT_LINE = frozenset(role.value for role in DEMO_ROLES if role is not Role.CENTRE_ANALYST)


class _Member(Protocol):
    @property
    def staff_id(self) -> str: ...
    @property
    def role(self) -> str: ...


def _pick(free: list[_Member], round_: int, role: Role) -> _Member | None:
    """The first of ``free`` who may stand for a login of ``role`` in ``round_``: of its
    own role; then its stand-ins, in their order; then of no front-line role; then anyone."""
    if round_ == 1:
        for wanted in _STAND_INS.get(role, ()):
            found = next((m for m in free if m.role == wanted), None)
            if found is not None:
                return found
        return None
    if round_ == 0:
        return next((m for m in free if m.role == role.value), None)
    if round_ == 2:
        return next((m for m in free if m.role not in _FRONT_LINE), None)
    return next(iter(free), None)


def link_staff(
    branch_id: str, members: Sequence[_Member], roles: Sequence[Role], taken: set[str]
) -> dict[Role, str]:
    """The member of staff each demo login of ``roles`` stands for, each member at most once.

    Chosen in rounds over all the logins, so that no login takes a member another needs:
    first a member of the login's own role, then its stand-in, then a member of a role no
    demo login has (account or wealth manager), and only then anyone left. A branch
    without a free member gives a made-up id (the database then knows no staff).
    """
    free = [m for m in members if m.staff_id not in taken]
    linked: dict[Role, str] = {}
    for round_ in range(4):
        for role in roles:
            member = None if role in linked else _pick(free, round_, role)
            if member is not None:
                linked[role] = member.staff_id
                free.remove(member)
    return {role: linked.get(role, f"{branch_id}-{role.value}") for role in roles}


def _username(role: Role, slug: str) -> str:
    return "analyst" if role is Role.CENTRE_ANALYST else f"{role.value}-{slug}"


def _unlinked(session: Session, slug: str) -> list[Role]:
    """The branch logins without a member of staff yet: new ones, and old demo stores'."""
    roles: list[Role] = []
    for role in DEMO_ROLES:
        existing = repo.user_by_name(session, _username(role, slug))
        if role is not Role.CENTRE_ANALYST and (existing is None or existing.staff_id is None):
            roles.append(role)
    return roles


def _links(session: Session, branch_id: str, slug: str) -> dict[Role, str]:
    # Staff already linked to an account (a demo run before, or the bank's own) stay so.
    taken = {u.staff_id for u in repo.users_of(session, None) if u.staff_id}
    members = lobby_repo.staff(session, branch_id)
    return link_staff(branch_id, members, _unlinked(session, slug), taken)


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
            links = _links(session, branch_id, slug)
            for role in DEMO_ROLES:
                username = _username(role, slug)
                password = _password()
                existing = repo.user_by_name(session, username)
                if existing is None:
                    create_user(
                        session=session,
                        actor=actor,
                        branch_id=None if role is Role.CENTRE_ANALYST else branch_id,
                        user_in=UserCreate(
                            username=username,
                            password=password,
                            role=role,
                            staff_id=links.get(role),
                        ),
                        now=ctx.now(),
                        policy=PasswordPolicy.of(settings.lobby),
                    )
                else:
                    set_password(session=session, user=existing, password=password)
                    if role in links:
                        # Demo stores seeded before every login had a member of staff.
                        existing.staff_id = links[role]
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
