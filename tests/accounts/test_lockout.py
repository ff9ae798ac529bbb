"""Logins: lockout per account and per address (counted in the database), and their audit."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from testkit import SYSTEM, make_context

from smartcounter.accounts import service as accounts
from smartcounter.accounts.errors import InvalidLogin, LoginLocked
from smartcounter.accounts.models import AuditEntry, LoginThrottle, User
from smartcounter.accounts.roles import Role
from smartcounter.accounts.schemas import UserCreate
from smartcounter.lobby.context import LobbyContext, ManualClock
from smartcounter.lobby.models import Staff

PASSWORD = "counter-2026"


@pytest.fixture
def limited(clock: ManualClock) -> LobbyContext:
    """A context whose lockout is short enough to see end (3 failures in 15 min → 2 min)."""
    return make_context(
        clock,
        login_max_failures=3,
        login_address_max_failures=5,
        login_failure_window_minutes=15,
        login_lockout_minutes=2,
    )


def teller(session: Session, ctx: LobbyContext, username: str = "teller.wu") -> User:
    session.add(Staff(staff_id=f"B1-{username}", branch_id="B1", role="teller"))
    session.flush()
    return accounts.create_user(
        session=session,
        actor=SYSTEM,
        branch_id="B1",
        user_in=UserCreate(
            username=username, password=PASSWORD, role=Role.TELLER, staff_id=f"B1-{username}"
        ),
        now=ctx.now(),
    )


def attempt(
    session: Session, ctx: LobbyContext, username: str, password: str, client: str = "10.0.0.7"
) -> User:
    return accounts.log_in(
        session=session, ctx=ctx, username=username, password=password, client=client
    )


def failures(session: Session, username: str, client: str, ctx: LobbyContext, n: int) -> None:
    for _ in range(n):
        with pytest.raises((InvalidLogin, LoginLocked)):
            attempt(session, ctx, username, "wrong-password-1", client)


class TestAccountLockout:
    def test_the_right_password_is_refused_while_locked_and_accepted_after(
        self, session: Session, limited: LobbyContext, clock: ManualClock, branch: str
    ) -> None:
        teller(session, limited)
        failures(session, "teller.wu", "10.0.0.7", limited, 2)
        assert attempt(session, limited, "teller.wu", PASSWORD).username == "teller.wu"
        failures(session, "teller.wu", "10.0.0.7", limited, 3)
        with pytest.raises(LoginLocked) as locked:
            attempt(session, limited, "teller.wu", PASSWORD)
        # 10:00 Shanghai plus the 2-minute lockout, in local time.
        assert locked.value.params == {"until": "10:02", "minutes": 2}
        clock.advance(119)
        with pytest.raises(LoginLocked):
            attempt(session, limited, "teller.wu", PASSWORD)
        clock.advance(1)
        assert attempt(session, limited, "teller.wu", PASSWORD).username == "teller.wu"

    def test_a_good_login_starts_the_count_again(
        self, session: Session, limited: LobbyContext, branch: str
    ) -> None:
        teller(session, limited)
        # From three addresses: an address's count does not start again on a good login
        # (or one known account would let an address guess at all the others).
        for client in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
            failures(session, "teller.wu", client, limited, 2)
            attempt(session, limited, "teller.wu", PASSWORD, client)

    def test_failures_older_than_the_window_do_not_count(
        self, session: Session, limited: LobbyContext, clock: ManualClock, branch: str
    ) -> None:
        teller(session, limited)
        failures(session, "teller.wu", "10.0.0.1", limited, 2)
        clock.advance(15 * 60)
        failures(session, "teller.wu", "10.0.0.2", limited, 2)
        assert attempt(session, limited, "teller.wu", PASSWORD, "10.0.0.3")

    def test_an_unknown_account_locks_the_same_way(
        self, session: Session, limited: LobbyContext, branch: str
    ) -> None:
        failures(session, "nobody", "10.0.0.7", limited, 3)
        with pytest.raises(LoginLocked) as locked:
            attempt(session, limited, "nobody", PASSWORD, "10.0.0.8")
        assert locked.value.key == "accounts.errors.locked"

    def test_the_default_is_ten_failures(
        self, session: Session, ctx: LobbyContext, clock: ManualClock, branch: str
    ) -> None:
        teller(session, ctx)
        failures(session, "teller.wu", "10.0.0.7", ctx, 9)
        assert attempt(session, ctx, "teller.wu", PASSWORD, "10.0.0.6")
        failures(session, "teller.wu", "10.0.0.8", ctx, 10)
        with pytest.raises(LoginLocked) as locked:
            attempt(session, ctx, "teller.wu", PASSWORD, "10.0.0.9")
        assert locked.value.params == {"until": "10:15", "minutes": 15}
        clock.advance(15 * 60)
        assert attempt(session, ctx, "teller.wu", PASSWORD, "10.0.0.9")

    def test_a_password_reset_lifts_the_lockout(
        self, session: Session, limited: LobbyContext, branch: str
    ) -> None:
        teller(session, limited)
        failures(session, "teller.wu", "10.0.0.7", limited, 3)
        accounts.reset_password(
            session=session,
            actor=SYSTEM,
            username="teller.wu",
            password="fresh-start-9",
            now=limited.now(),
        )
        assert attempt(session, limited, "teller.wu", "fresh-start-9", "10.0.0.8")


class TestAddressLockout:
    def test_many_accounts_tried_from_one_address_lock_the_address(
        self, session: Session, limited: LobbyContext, branch: str
    ) -> None:
        teller(session, limited)
        for name in ("a1", "a2", "a3", "a4", "a5"):
            failures(session, name, "10.9.9.9", limited, 1)
        with pytest.raises(LoginLocked):
            attempt(session, limited, "teller.wu", PASSWORD, "10.9.9.9")
        assert attempt(session, limited, "teller.wu", PASSWORD, "10.0.0.1")

    def test_counts_are_rows_of_the_database(
        self, session: Session, limited: LobbyContext, branch: str
    ) -> None:
        failures(session, "teller.wu", "10.0.0.7", limited, 2)
        rows = session.execute(
            sa.select(LoginThrottle.scope, LoginThrottle.key, LoginThrottle.failures)
        ).all()
        assert sorted(rows) == [("address", "10.0.0.7", 2), ("user", "teller.wu", 2)]


class TestLoginAudit:
    def test_failed_and_successful_logins_name_the_address(
        self, session: Session, limited: LobbyContext, branch: str
    ) -> None:
        user = teller(session, limited)
        failures(session, "teller.wu", "10.0.0.7", limited, 1)
        failures(session, "ghost", "10.0.0.8", limited, 1)
        attempt(session, limited, "teller.wu", PASSWORD, "10.0.0.9")
        accounts.open_session(
            session=session, user=user, now=limited.now(), hours=1, client="10.0.0.9"
        )
        failures(session, "teller.wu", "10.0.0.7", limited, 3)  # the third locks
        entries = session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.action.in_(["user.login", "user.login_failed"]))
            .order_by(AuditEntry.id)
        ).all()
        seen = [(e.action, e.target, json.loads(e.detail or "{}")) for e in entries]
        assert seen[0] == (
            "user.login_failed",
            "teller.wu",
            {"client": "10.0.0.7", "reason": "wrong_password"},
        )
        assert seen[1] == (
            "user.login_failed",
            "ghost",
            {"client": "10.0.0.8", "reason": "unknown_user"},
        )
        assert seen[2] == ("user.login", "teller.wu", {"client": "10.0.0.9"})
        assert [s[0] for s in seen[3:]] == ["user.login_failed"] * 3
        assert entries[0].branch_id == "B1" and entries[1].branch_id is None
        with pytest.raises(LoginLocked):
            attempt(session, limited, "teller.wu", PASSWORD, "10.0.0.7")
        last = session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert last is not None and json.loads(last.detail or "{}")["reason"] == "locked"
