"""Accounts and access: users, logins, device tokens; plain functions that never commit."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.orm import Session

from smartcounter import organisation as lobby_repo
from smartcounter.accounts import audit, lockout
from smartcounter.accounts import repository as repo
from smartcounter.accounts.errors import (
    AnalystHasNoBranch,
    BranchRequired,
    InvalidLogin,
    LoginLocked,
    OwnAccount,
    StaffAlreadyLinked,
    StaffRequired,
    UserNotFound,
    WrongPassword,
)
from smartcounter.accounts.lockout import LoginLimits
from smartcounter.accounts.models import DeviceToken, User, UserSession
from smartcounter.accounts.passwords import hash_password, needs_rehash, verify_password
from smartcounter.accounts.policy import DEFAULT_POLICY, PasswordPolicy
from smartcounter.accounts.roles import (
    DIRECTOR_ASSIGNABLE,
    Actor,
    ActorKind,
    Permission,
    Role,
    device_actor,
    user_actor,
)
from smartcounter.accounts.schemas import DeviceCreate, UserCreate, UserPreferences
from smartcounter.accounts.tokens import new_token, token_hash
from smartcounter.errors import (
    BranchNotFound,
    DuplicateValue,
    Forbidden,
    NotFound,
    StaffNotFound,
)
from smartcounter.settings import LobbySettings


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


def _require_manager(actor: Actor, *, branch_id: str | None, role: Role) -> None:
    """Raise Forbidden unless ``actor`` may manage an account of ``role`` in ``branch_id``.

    The centre manages every account; a director only the staff of their own branch,
    never a director or a centre analyst.
    """
    if branch_id is None or role is Role.CENTRE_ANALYST:
        actor.require(Permission.ALL_BRANCHES)
        actor.require(Permission.USERS)
        return
    actor.require(Permission.USERS, branch_id)
    if role not in DIRECTOR_ASSIGNABLE and Permission.ALL_BRANCHES not in actor.permissions:
        raise Forbidden(role=role.value)


def _check_placement(
    session: Session,
    *,
    role: Role,
    branch_id: str | None,
    staff_id: str | None,
    user_id: int | None = None,
) -> None:
    """Raise unless ``role`` fits ``branch_id`` and ``staff_id`` (of user ``user_id``, if any).

    A centre analyst has neither; everyone else belongs to a branch and is exactly one
    member of its staff, linked to no other account. A staff id the database does not
    know is refused once it knows any staff (a bank that has not loaded its staff list
    yet may still name them).
    """
    if role is Role.CENTRE_ANALYST:
        if branch_id is not None or staff_id is not None:
            raise AnalystHasNoBranch()
        return
    if branch_id is None:
        raise BranchRequired(role=role.value)
    if lobby_repo.get_branch(session, branch_id) is None:
        raise BranchNotFound(branch_id=branch_id)
    if staff_id is None:
        raise StaffRequired(role=role.value)
    member = lobby_repo.get_staff(session, staff_id)
    unknown = member is None and repo.any_staff(session)
    if unknown or (member is not None and member.branch_id != branch_id):
        raise StaffNotFound(staff_id=staff_id)
    holder = repo.user_by_staff(session, staff_id)
    if holder is not None and holder.id != user_id:
        raise StaffAlreadyLinked(staff_id=staff_id, username=holder.username)


def create_user(
    *,
    session: Session,
    actor: Actor,
    branch_id: str | None,
    user_in: UserCreate,
    now: datetime,
    policy: PasswordPolicy = DEFAULT_POLICY,
    confirm: str | None = None,
) -> User:
    """Create a user of ``branch_id`` (None: a centre analyst, who sees every branch).

    ``confirm``, when given, is the password typed a second time.
    """
    _require_manager(actor, branch_id=branch_id, role=user_in.role)
    if repo.user_by_name(session, user_in.username) is not None:
        raise DuplicateValue(field="username", value=user_in.username)
    _check_placement(session, role=user_in.role, branch_id=branch_id, staff_id=user_in.staff_id)
    policy.check(user_in.password, username=user_in.username, confirm=confirm)
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
        detail={"role": user.role.value, "staff_id": user.staff_id},
    )
    return user


def staff_role_if_other(session: Session, user: User) -> str | None:
    """The role the staff list gives the account's member of staff, when it is not the
    account's own: allowed (people cover for each other), but worth a word to whoever
    made the account, in case the staff id was mistyped."""
    if user.staff_id is None:
        return None
    member = lobby_repo.get_staff(session, user.staff_id)
    if member is None or member.role == user.role.value:
        return None
    return member.role


def set_password(*, session: Session, user: User, password: str) -> None:
    """Replace a user's password (no policy, no audit: the demo's generated passwords)."""
    user.password_hash = hash_password(password)
    session.flush()


def list_accounts(*, session: Session, actor: Actor) -> Sequence[User]:
    """The accounts ``actor`` manages: every one for the centre, else their branch's."""
    if actor.can(Permission.ALL_BRANCHES) and actor.can(Permission.USERS):
        return repo.users_of(session, None)
    if actor.branch_id is None:
        raise Forbidden(permission=Permission.USERS.value)
    actor.require(Permission.USERS, actor.branch_id)
    return repo.users_of(session, actor.branch_id)


def managed_user(*, session: Session, actor: Actor, username: str) -> User:
    """The account ``username`` if ``actor`` may manage it (never their own).

    UserNotFound for an account outside the actor's branch (for them it might as well not
    exist); Forbidden for one they see but may not manage (another director).
    """
    user = repo.user_by_name(session, username)
    if user is None:
        raise UserNotFound(username=username)
    outside = actor.branch_id is not None and user.branch_id != actor.branch_id
    if outside or not actor.can(Permission.USERS):
        raise UserNotFound(username=username)
    # Nobody disables, demotes or resets themselves: their own password they change
    # with the current one, and the last manager cannot lock everyone out.
    if actor.user_id is not None and actor.user_id == user.id:
        raise OwnAccount()
    _require_manager(actor, branch_id=user.branch_id, role=user.role)
    return user


def set_active(
    *, session: Session, actor: Actor, username: str, active: bool, now: datetime
) -> User:
    """Enable or disable an account; disabling ends its login sessions at once."""
    user = managed_user(session=session, actor=actor, username=username)
    user.active = active
    if not active:
        repo.revoke_sessions(session, user.id)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="user.enable" if active else "user.disable",
        at=now,
        branch_id=user.branch_id,
        target=user.username,
    )
    return user


def reset_password(
    *,
    session: Session,
    actor: Actor,
    username: str,
    password: str,
    now: datetime,
    policy: PasswordPolicy = DEFAULT_POLICY,
    confirm: str | None = None,
) -> User:
    """Give an account a new password: its sessions end and its lockout is lifted."""
    user = managed_user(session=session, actor=actor, username=username)
    policy.check(password, username=user.username, confirm=confirm)
    user.password_hash = hash_password(password)
    repo.revoke_sessions(session, user.id)
    lockout.clear_account(session, username=user.username)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="user.password_reset",
        at=now,
        branch_id=user.branch_id,
        target=user.username,
    )
    return user


def set_role(
    *,
    session: Session,
    actor: Actor,
    username: str,
    role: Role,
    now: datetime,
    branch_id: str | None = None,
    staff_id: str | None = None,
) -> User:
    """Change an account's role (and, when given, its branch and member of staff).

    Without ``branch_id`` a branch role stays in the account's branch; without
    ``staff_id`` the account keeps its member of staff while it stays in that branch.
    """
    user = managed_user(session=session, actor=actor, username=username)
    new_branch = branch_id
    if new_branch is None and role is not Role.CENTRE_ANALYST:
        new_branch = user.branch_id
    new_staff = staff_id
    if new_staff is None and role is not Role.CENTRE_ANALYST and new_branch == user.branch_id:
        new_staff = user.staff_id
    _require_manager(actor, branch_id=new_branch, role=role)
    _check_placement(session, role=role, branch_id=new_branch, staff_id=new_staff, user_id=user.id)
    before = {"role": user.role.value, "branch_id": user.branch_id, "staff_id": user.staff_id}
    user.role, user.branch_id, user.staff_id = role, new_branch, new_staff
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="user.set_role",
        at=now,
        branch_id=new_branch or before["branch_id"],
        target=user.username,
        detail={
            "before": before,
            "after": {"role": role.value, "branch_id": new_branch, "staff_id": new_staff},
        },
    )
    return user


def change_password(
    *,
    session: Session,
    user: User,
    old: str,
    new: str,
    confirm: str,
    now: datetime,
    policy: PasswordPolicy = DEFAULT_POLICY,
) -> User:
    """A user changes their own password, giving the current one first."""
    if not verify_password(user.password_hash, old):
        raise WrongPassword()
    policy.check(new, username=user.username, confirm=confirm)
    user.password_hash = hash_password(new)
    session.flush()
    audit.record(
        session,
        actor=actor_of_user(user),
        action="user.password_change",
        at=now,
        branch_id=user.branch_id,
        target=user.username,
    )
    return user


def _check_login(session: Session, username: str, password: str) -> tuple[User | None, str]:
    """The user these credentials name, and why they fail ("" when they do not)."""
    user = repo.user_by_name(session, username)
    # Verified even without a user: an unknown name takes as long as a wrong password.
    if not verify_password(user.password_hash if user else None, password) or user is None:
        return user, "unknown_user" if user is None else "wrong_password"
    if not user.active:
        return user, "disabled"
    return user, ""


def authenticate(*, session: Session, username: str, password: str, now: datetime) -> User:
    """The user with this username and password; InvalidLogin otherwise (nothing counted)."""
    user, failure = _check_login(session, username, password)
    if failure or user is None:
        raise InvalidLogin()
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = now
    return user


class LoginContext(Protocol):
    """What a login needs of the service's context (the lobby's ``LobbyContext`` has it)."""

    @property
    def settings(self) -> LobbySettings: ...

    def now(self) -> datetime: ...

    def local(self, utc: datetime) -> datetime: ...


# Who the audit log says tried a login that failed: nobody known yet.
_LOGIN = Actor(kind=ActorKind.SYSTEM, name="login", permissions=frozenset())


def log_in(
    *, session: Session, ctx: LoginContext, username: str, password: str, client: str | None
) -> User:
    """A login attempt from ``client``: counted, locked out after too many failures, audited.

    Raises InvalidLogin, or LoginLocked saying when to try again (the same whether the
    account exists or not). A failure is written to ``session``: the caller commits it
    although the attempt failed.
    """
    now = ctx.now()
    limits = LoginLimits.of(ctx.settings)
    until = lockout.locked_until(session, username=username, client=client, now=now, limits=limits)
    if until is None:
        user, failure = _check_login(session, username, password)
        if user is not None and not failure:
            lockout.clear_account(session, username=username)
            if needs_rehash(user.password_hash):
                user.password_hash = hash_password(password)
            user.last_login_at = now
            return user
        until = lockout.record_failure(
            session, username=username, client=client, now=now, limits=limits
        )
    else:
        # Locked: the password is not even checked, so guessing on gains nothing.
        user, failure = repo.user_by_name(session, username), "locked"
    audit.record(
        session,
        actor=_LOGIN,
        action="user.login_failed",
        at=now,
        branch_id=user.branch_id if user is not None else None,
        target=username[:200],
        detail={"client": client, "reason": failure},
    )
    if until is not None:
        left = max(until - now, timedelta(0))
        raise LoginLocked(
            until=ctx.local(until).strftime("%H:%M"),
            minutes=max(1, math.ceil(left.total_seconds() / 60)),
        )
    raise InvalidLogin()


def open_session(
    *, session: Session, user: User, now: datetime, hours: float, client: str | None = None
) -> OpenedSession:
    """Start a login session for ``user`` (from ``client``, for the audit log)."""
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
        detail={"client": client} if client else None,
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
