"""Failed logins counted per account name and per client address, and the lockouts they cause.

The counts live in the database (``login_throttle``) so that every worker sees the same
ones. Each failure is one conditional UPDATE (or an INSERT for the first): two workers
counting at once never lose a failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from smartcounter.accounts.models import LoginThrottle
from smartcounter.settings import LobbySettings

USER = "user"
ADDRESS = "address"
KEY_LENGTH = 200
UNKNOWN_ADDRESS = "unknown"


@dataclass(frozen=True)
class LoginLimits:
    """How many failures within what time lock an account or an address out, for how long."""

    max_failures: int
    address_max_failures: int
    window: timedelta
    lockout: timedelta

    @classmethod
    def of(cls, settings: LobbySettings) -> LoginLimits:
        """The limits the settings configure (``[lobby] login_*``)."""
        return cls(
            max_failures=settings.login_max_failures,
            address_max_failures=settings.login_address_max_failures,
            window=timedelta(minutes=settings.login_failure_window_minutes),
            lockout=timedelta(minutes=settings.login_lockout_minutes),
        )


def _keys(username: str, client: str | None, limits: LoginLimits) -> list[tuple[str, str, int]]:
    # Names are counted case-blind: "Alice" and "alice" are one account to an attacker.
    return [
        (USER, username.casefold()[:KEY_LENGTH], limits.max_failures),
        (ADDRESS, (client or UNKNOWN_ADDRESS)[:KEY_LENGTH], limits.address_max_failures),
    ]


def locked_until(
    session: Session, *, username: str, client: str | None, now: datetime, limits: LoginLimits
) -> datetime | None:
    """When the lockout of this account name or this address ends; None when neither is locked."""
    pairs = [(scope, key) for scope, key, _limit in _keys(username, client, limits)]
    query = sa.select(sa.func.max(LoginThrottle.locked_until)).where(
        sa.tuple_(LoginThrottle.scope, LoginThrottle.key).in_(pairs),
        LoginThrottle.locked_until > now,
    )
    until: datetime | None = session.scalar(query)
    return until


def _count(session: Session, scope: str, key: str, now: datetime, window: timedelta) -> int:
    """Add one failure to ``(scope, key)``; the count within the window after it."""
    table = LoginThrottle.__table__
    assert isinstance(table, sa.Table)
    stale = sa.or_(table.c.first_failure_at.is_(None), table.c.first_failure_at <= now - window)
    update = (
        sa.update(table)
        .where(table.c.scope == scope, table.c.key == key)
        .values(
            failures=sa.case((stale, 1), else_=table.c.failures + 1),
            first_failure_at=sa.case((stale, now), else_=table.c.first_failure_at),
        )
        .returning(table.c.failures)
    )
    for _attempt in range(2):
        counted = session.execute(update).scalar()
        if counted is not None:
            return int(counted)
        try:
            with session.begin_nested():
                session.execute(
                    sa.insert(table).values(
                        scope=scope, key=key, failures=1, first_failure_at=now, locked_until=None
                    )
                )
            return 1
        except IntegrityError:
            continue  # another worker inserted it first: count on its row
    raise RuntimeError("login_throttle row vanished twice")  # pragma: no cover


def record_failure(
    session: Session, *, username: str, client: str | None, now: datetime, limits: LoginLimits
) -> datetime | None:
    """Count a failed login; when the lockout it starts ends, or None if it starts none."""
    table = LoginThrottle.__table__
    assert isinstance(table, sa.Table)
    # Rows with nothing left to say (no recent failure, no lockout) go: the table stays
    # as small as the attacks of the last few minutes.
    session.execute(
        sa.delete(table).where(
            sa.or_(table.c.locked_until.is_(None), table.c.locked_until <= now),
            sa.or_(
                table.c.first_failure_at.is_(None),
                table.c.first_failure_at <= now - limits.window,
            ),
        )
    )
    until: datetime | None = None
    for scope, key, limit in _keys(username, client, limits):
        if _count(session, scope, key, now, limits.window) >= limit:
            until = now + limits.lockout
            # The count starts again: after the lockout, a full set of tries, not one.
            session.execute(
                sa.update(table)
                .where(table.c.scope == scope, table.c.key == key)
                .values(failures=0, first_failure_at=None, locked_until=until)
            )
    return until


def clear_account(session: Session, *, username: str) -> None:
    """Forget an account's failures and lockout (a good login, a password reset)."""
    session.execute(
        sa.delete(LoginThrottle).where(
            LoginThrottle.scope == USER, LoginThrottle.key == username.casefold()[:KEY_LENGTH]
        )
    )
