"""Tables of accounts and access: users, login sessions, device tokens, the audit log."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from smartcounter.accounts.roles import DeviceKind, Role
from smartcounter.database import ID_LENGTH, Base


class User(Base):
    """A person who logs in; lobby staff belong to one branch, an analyst to none."""

    __tablename__ = "users"
    # One account per member of staff: two logins never act as the same person.
    __table_args__ = (sa.Index("uq_users_staff_id", "staff_id", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[Role]
    branch_id: Mapped[str | None] = mapped_column(
        sa.ForeignKey("branches.branch_id", ondelete="CASCADE"), index=True
    )
    staff_id: Mapped[str | None] = mapped_column(sa.String(ID_LENGTH))
    display_name: Mapped[str | None] = mapped_column(sa.String(200))
    lang: Mapped[str | None] = mapped_column(sa.String(8))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    last_login_at: Mapped[datetime | None]


class UserSession(Base):
    """A login; the cookie holds a random token, the table only its SHA-256."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked: Mapped[bool] = mapped_column(default=False)


class DeviceToken(Base):
    """An API token of a kiosk or calling display, bound to one branch."""

    __tablename__ = "device_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    branch_id: Mapped[str] = mapped_column(
        sa.ForeignKey("branches.branch_id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[DeviceKind]
    name: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[datetime]
    created_by: Mapped[str | None] = mapped_column(sa.String(100))
    revoked_at: Mapped[datetime | None]


class AuditEntry(Base):
    """Who did what, where and when."""

    __tablename__ = "audit_log"
    __table_args__ = (sa.Index("ix_audit_log_branch_ts", "branch_id", "ts"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ts: Mapped[datetime]
    actor: Mapped[str] = mapped_column(sa.String(100))
    user_id: Mapped[int | None]
    branch_id: Mapped[str | None] = mapped_column(sa.String(ID_LENGTH))
    action: Mapped[str] = mapped_column(sa.String(64))
    target: Mapped[str | None] = mapped_column(sa.String(200))
    detail: Mapped[str | None] = mapped_column(sa.Text)


class LoginThrottle(Base):
    """Recent failed logins of one account name or one client address, and its lockout.

    Kept in the database, not in a worker's memory, so that the count holds across
    workers and restarts.
    """

    __tablename__ = "login_throttle"

    scope: Mapped[str] = mapped_column(sa.String(16), primary_key=True)  # "user" or "address"
    key: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    first_failure_at: Mapped[datetime | None]
    locked_until: Mapped[datetime | None]
