"""Queries of accounts and access."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from smartcounter.accounts.models import DeviceToken, User, UserSession
from smartcounter.organisation import Staff


def user_by_name(session: Session, username: str) -> User | None:
    return session.scalars(sa.select(User).where(User.username == username)).first()


def user_by_staff(session: Session, staff_id: str) -> User | None:
    return session.scalars(sa.select(User).where(User.staff_id == staff_id)).first()


def any_staff(session: Session) -> bool:
    """True when the database knows any member of staff (loaded from the store or added)."""
    return session.scalar(sa.select(sa.exists().where(Staff.staff_id.is_not(None)))) is True


def revoke_sessions(session: Session, user_id: int) -> None:
    """End every login session of a user (disabled, or their password reset)."""
    session.execute(
        sa.update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked.is_(False))
        .values(revoked=True)
    )


def get_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def users_of(session: Session, branch_id: str | None) -> Sequence[User]:
    """The users of a branch, by name; every user when ``branch_id`` is None."""
    query = sa.select(User).order_by(User.username)
    if branch_id is not None:
        query = query.where(User.branch_id == branch_id)
    return session.scalars(query).all()


def live_session(
    session: Session, token_hash: str, now: datetime
) -> tuple[UserSession, User] | None:
    query = (
        sa.select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(
            UserSession.token_hash == token_hash,
            UserSession.revoked.is_(False),
            UserSession.expires_at > now,
            User.active.is_(True),
        )
    )
    row = session.execute(query).first()
    return (row[0], row[1]) if row is not None else None


def session_by_hash(session: Session, token_hash: str) -> UserSession | None:
    return session.scalars(
        sa.select(UserSession).where(UserSession.token_hash == token_hash)
    ).first()


def device_by_hash(session: Session, token_hash: str) -> DeviceToken | None:
    query = sa.select(DeviceToken).where(
        DeviceToken.token_hash == token_hash, DeviceToken.revoked_at.is_(None)
    )
    return session.scalars(query).first()


def devices_of(session: Session, branch_id: str) -> Sequence[DeviceToken]:
    query = (
        sa.select(DeviceToken).where(DeviceToken.branch_id == branch_id).order_by(DeviceToken.id)
    )
    return session.scalars(query).all()


def get_device(session: Session, branch_id: str, device_id: int) -> DeviceToken | None:
    device = session.get(DeviceToken, device_id)
    return device if device is not None and device.branch_id == branch_id else None


def purge_sessions(session: Session, now: datetime) -> None:
    session.execute(sa.delete(UserSession).where(UserSession.expires_at <= now))
