"""Accounts and access: users, logins, device tokens; plain functions that never commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from smartcounter.accounts import audit
from smartcounter.accounts import repository as repo
from smartcounter.accounts.models import DeviceToken, User, UserSession
from smartcounter.accounts.passwords import hash_password, needs_rehash, verify_password
from smartcounter.accounts.roles import (
    DIRECTOR_ASSIGNABLE,
    Actor,
    Permission,
    Role,
    device_actor,
    user_actor,
)
from smartcounter.accounts.schemas import DeviceCreate, UserCreate, UserPreferences
from smartcounter.accounts.tokens import new_token, token_hash
from smartcounter.lobby import repository as lobby_repo
from smartcounter.lobby.errors import (
    BranchNotFound,
    DuplicateValue,
    Forbidden,
    NotAuthenticated,
    NotFound,
    StaffNotFound,
)


class InvalidLogin(NotAuthenticated):
    """Wrong username or password (never says which)."""

    key = "lobby.errors.invalid_login"


class DeviceNotFound(NotFound):
    key = "lobby.errors.device_not_found"


@dataclass
class OpenedSession:
    """A login: the token for the cookie (shown once) and its record."""

    token: str
    record: UserSession
    user: User


def actor_of_user(user: User) -> Actor:
    """The actor a logged-in user acts as."""
    return user_actor(
        user_id=user.id,
        username=user.username,
        role=user.role,
        branch_id=user.branch_id,
        staff_id=user.staff_id,
    )


def actor_of_device(device: DeviceToken) -> Actor:
    """The actor a kiosk or display acts as."""
    return device_actor(
        device_id=device.id, name=device.name, kind=device.kind, branch_id=device.branch_id
    )


def create_user(
    *,
    session: Session,
    actor: Actor,
    branch_id: str | None,
    user_in: UserCreate,
    now: datetime,
) -> User:
    """Create a user of ``branch_id`` (None: a centre analyst, who sees every branch)."""
    if branch_id is None or user_in.role is Role.CENTRE_ANALYST:
        actor.require(Permission.ALL_BRANCHES)
        actor.require(Permission.USERS)
        if user_in.role is not Role.CENTRE_ANALYST:
            raise Forbidden(role=user_in.role.value)
        branch_id = None
    else:
        actor.require(Permission.USERS, branch_id)
        if lobby_repo.get_branch(session, branch_id) is None:
            raise BranchNotFound(branch_id=branch_id)
        if (
            user_in.role not in DIRECTOR_ASSIGNABLE
            and Permission.ALL_BRANCHES not in actor.permissions
        ):
            raise Forbidden(role=user_in.role.value)
    if user_in.staff_id is not None:
        member = lobby_repo.get_staff(session, user_in.staff_id)
        if member is None or member.branch_id != branch_id:
            raise StaffNotFound(staff_id=user_in.staff_id)
    if repo.user_by_name(session, user_in.username) is not None:
        raise DuplicateValue(field="username", value=user_in.username)
    user = User(
        username=user_in.username,
        password_hash=hash_password(user_in.password),
        role=user_in.role,
        branch_id=branch_id,
        staff_id=user_in.staff_id,
        display_name=user_in.display_name,
        active=True,
        created_at=now,
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="user.create",
        at=now,
        branch_id=branch_id,
        target=user.username,
        detail={"role": user.role.value},
    )
    return user


def set_password(*, session: Session, user: User, password: str) -> None:
    """Replace a user's password."""
    user.password_hash = hash_password(password)
    session.flush()


def authenticate(*, session: Session, username: str, password: str, now: datetime) -> User:
    """The user with this username and password; InvalidLogin otherwise."""
    user = repo.user_by_name(session, username)
    if not verify_password(user.password_hash if user else None, password) or user is None:
        raise InvalidLogin()
    if not user.active:
        raise InvalidLogin()
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = now
    return user


def open_session(*, session: Session, user: User, now: datetime, hours: float) -> OpenedSession:
    """Start a login session for ``user``."""
    token = new_token()
    record = UserSession(
        token_hash=token_hash(token),
        user_id=user.id,
        created_at=now,
        expires_at=now + timedelta(hours=hours),
        revoked=False,
    )
    session.add(record)
    audit.record(
        session,
        actor=actor_of_user(user),
        action="user.login",
        at=now,
        branch_id=user.branch_id,
        target=user.username,
    )
    session.flush()
    return OpenedSession(token=token, record=record, user=user)


def resolve_session(
    *, session: Session, token: str, now: datetime
) -> tuple[UserSession, User] | None:
    """The live session and user of a cookie token, or None."""
    return repo.live_session(session, token_hash(token), now)


def close_session(*, session: Session, token: str, now: datetime) -> None:
    """Log out: the token stops working."""
    record = repo.session_by_hash(session, token_hash(token))
    if record is not None:
        record.revoked = True
        record.expires_at = min(record.expires_at, now)


def set_preferences(*, session: Session, user: User, prefs_in: UserPreferences) -> User:
    """Save a user's language preference."""
    if prefs_in.lang is not None:
        user.lang = prefs_in.lang
    session.flush()
    return user


def list_users(*, session: Session, actor: Actor, branch_id: str) -> Sequence[User]:
    """The users of a branch."""
    actor.require(Permission.USERS, branch_id)
    return repo.users_of(session, branch_id)


def create_device(
    *,
    session: Session,
    actor: Actor,
    branch_id: str,
    device_in: DeviceCreate,
    now: datetime,
) -> tuple[DeviceToken, str]:
    """Make an API token for a kiosk or display; the token is shown once, stored hashed."""
    actor.require(Permission.DEVICES, branch_id)
    if lobby_repo.get_branch(session, branch_id) is None:
        raise BranchNotFound(branch_id=branch_id)
    token = new_token()
    device = DeviceToken(
        token_hash=token_hash(token),
        branch_id=branch_id,
        kind=device_in.kind,
        name=device_in.name,
        created_at=now,
        created_by=actor.label,
    )
    session.add(device)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="device.create",
        at=now,
        branch_id=branch_id,
        target=device_in.name,
        detail={"kind": device_in.kind.value},
    )
    return device, token


def resolve_device(*, session: Session, token: str) -> DeviceToken | None:
    """The live device of an API token, or None."""
    return repo.device_by_hash(session, token_hash(token))


def list_devices(*, session: Session, actor: Actor, branch_id: str) -> Sequence[DeviceToken]:
    """The devices of a branch."""
    actor.require(Permission.DEVICES, branch_id)
    return repo.devices_of(session, branch_id)


def revoke_device(
    *, session: Session, actor: Actor, branch_id: str, device_id: int, now: datetime
) -> DeviceToken:
    """Stop a device's token from working."""
    actor.require(Permission.DEVICES, branch_id)
    device = repo.get_device(session, branch_id, device_id)
    if device is None:
        raise DeviceNotFound(device_id=device_id)
    device.revoked_at = device.revoked_at or now
    audit.record(
        session,
        actor=actor,
        action="device.revoke",
        at=now,
        branch_id=branch_id,
        target=device.name,
    )
    session.flush()
    return device
