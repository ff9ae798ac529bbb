"""Managing accounts: who manages whom, one staff member per account, disable, reset, roles."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from testkit import SYSTEM, staff_actor

from smartcounter.accounts import service as accounts
from smartcounter.accounts.errors import (
    AnalystHasNoBranch,
    OwnAccount,
    PasswordTooShort,
    StaffAlreadyLinked,
    StaffRequired,
    UserNotFound,
    WrongPassword,
)
from smartcounter.accounts.models import User, UserSession
from smartcounter.accounts.roles import Actor, Role
from smartcounter.accounts.schemas import UserCreate
from smartcounter.lobby.context import LobbyContext
from smartcounter.lobby.errors import Forbidden, StaffNotFound
from smartcounter.lobby.models import Staff

PASSWORD = "counter-2026"


@pytest.fixture
def staff(session: Session, branch: str) -> None:
    """Staff of B1 (S1..S4) and of B2 (T1)."""
    for staff_id, branch_id, role in (
        ("S1", "B1", "teller"),
        ("S2", "B1", "greeter"),
        ("S3", "B1", "director"),
        ("S4", "B1", "teller"),
        ("T1", "B2", "teller"),
    ):
        session.add(Staff(staff_id=staff_id, branch_id=branch_id, role=role))
    session.flush()


def add(
    session: Session,
    ctx: LobbyContext,
    username: str,
    role: Role,
    *,
    branch_id: str | None = "B1",
    staff_id: str | None = None,
    actor: Actor = SYSTEM,
) -> User:
    return accounts.create_user(
        session=session,
        actor=actor,
        branch_id=branch_id,
        user_in=UserCreate(username=username, password=PASSWORD, role=role, staff_id=staff_id),
        now=ctx.now(),
    )


class TestStaffLinks:
    def test_every_branch_account_names_a_member_of_its_branch(
        self, session: Session, ctx: LobbyContext, staff: None
    ) -> None:
        with pytest.raises(StaffRequired):
            add(session, ctx, "greeter.li", Role.GREETER)
        with pytest.raises(StaffNotFound):
            add(session, ctx, "greeter.li", Role.GREETER, staff_id="T1")  # B2's
        with pytest.raises(StaffNotFound):
            add(session, ctx, "greeter.li", Role.GREETER, staff_id="NOBODY")
        assert add(session, ctx, "greeter.li", Role.GREETER, staff_id="S2").staff_id == "S2"

    def test_one_member_of_staff_has_one_account(
        self, session: Session, ctx: LobbyContext, staff: None
    ) -> None:
        add(session, ctx, "teller.a", Role.TELLER, staff_id="S1")
        with pytest.raises(StaffAlreadyLinked) as refused:
            add(session, ctx, "teller.b", Role.TELLER, staff_id="S1")
        assert refused.value.params == {"staff_id": "S1", "username": "teller.a"}

    def test_the_database_refuses_a_second_link_too(
        self, session: Session, ctx: LobbyContext, staff: None
    ) -> None:
        first = add(session, ctx, "teller.a", Role.TELLER, staff_id="S1")
        with pytest.raises(sa.exc.IntegrityError), session.begin_nested():
            session.execute(
                sa.insert(User).values(
                    username="sneaky",
                    password_hash=first.password_hash,
                    role=Role.TELLER,
                    branch_id="B1",
                    staff_id="S1",
                    active=True,
                    created_at=ctx.now(),
                )
            )

    def test_without_a_staff_list_any_id_links_once(
        self, session: Session, ctx: LobbyContext, branch: str
    ) -> None:
        add(session, ctx, "teller.a", Role.TELLER, staff_id="X-01")
        with pytest.raises(StaffAlreadyLinked):
            add(session, ctx, "teller.b", Role.TELLER, staff_id="X-01")

    def test_a_centre_analyst_has_no_branch_and_no_staff(
        self, session: Session, ctx: LobbyContext, staff: None
    ) -> None:
        with pytest.raises(AnalystHasNoBranch):
            add(session, ctx, "ana", Role.CENTRE_ANALYST, branch_id=None, staff_id="S1")
        assert add(session, ctx, "ana", Role.CENTRE_ANALYST, branch_id=None).branch_id is None


class TestWhoManagesWhom:
    def test_a_director_manages_their_branch_staff_only(
        self, session: Session, ctx: LobbyContext, staff: None
    ) -> None:
        director = staff_actor(Role.DIRECTOR, user_id=999)
        add(session, ctx, "teller.a", Role.TELLER, staff_id="S1", actor=director)
        with pytest.raises(Forbidden):
            add(session, ctx, "ana", Role.CENTRE_ANALYST, branch_id=None, actor=director)
        with pytest.raises(Forbidden):
            add(session, ctx, "boss", Role.DIRECTOR, staff_id="S3", actor=director)
        add(session, ctx, "teller.z", Role.TELLER, branch_id="B2", staff_id="T1")
        with pytest.raises(UserNotFound):
            accounts.set_active(
                session=session, actor=director, username="teller.z", active=False, now=ctx.now()
            )
        assert [u.username for u in accounts.list_accounts(session=session, actor=director)] == [
            "teller.a"
        ]

    def test_a_director_cannot_touch_another_director(
        self, session: Session, ctx: LobbyContext, staff: None
    ) -> None:
        add(session, ctx, "boss", Role.DIRECTOR, staff_id="S3")
        director = staff_actor(Role.DIRECTOR, user_id=999)
        with pytest.raises(Forbidden):
            accounts.reset_password(
                session=session, actor=director, username="boss", password="x" * 12, now=ctx.now()
            )

    def test_nobody_disables_or_demotes_themselves(
        self, session: Session, ctx: LobbyContext, staff: None
    ) -> None:
        boss = add(session, ctx, "boss", Role.DIRECTOR, staff_id="S3")
        me = accounts.actor_of_user(boss)
        add(session, ctx, "teller.a", Role.TELLER, staff_id="S1")
        with pytest.raises(OwnAccount):
            accounts.set_active(
                session=session, actor=me, username="boss", active=False, now=ctx.now()
            )


class TestChanges:
    def test_disabling_ends_sessions_and_logins(
        self, session: Session, ctx: LobbyContext, staff: None
    ) -> None:
        user = add(session, ctx, "teller.a", Role.TELLER, staff_id="S1")
        opened = accounts.open_session(session=session, user=user, now=ctx.now(), hours=8)
        accounts.set_active(
            session=session, actor=SYSTEM, username="teller.a", active=False, now=ctx.now()
        )
        assert accounts.resolve_session(session=session, token=opened.token, now=ctx.now()) is None
        with pytest.raises(accounts.InvalidLogin):
            accounts.authenticate(
                session=session, username="teller.a", password=PASSWORD, now=ctx.now()
            )
        accounts.set_active(
            session=session, actor=SYSTEM, username="teller.a", active=True, now=ctx.now()
        )
        assert accounts.authenticate(
            session=session, username="teller.a", password=PASSWORD, now=ctx.now()
        )

    def test_a_reset_follows_the_policy_and_ends_sessions(
        self, session: Session, ctx: LobbyContext, staff: None
    ) -> None:
        user = add(session, ctx, "teller.a", Role.TELLER, staff_id="S1")
        accounts.open_session(session=session, user=user, now=ctx.now(), hours=8)
        with pytest.raises(PasswordTooShort):
            accounts.reset_password(
                session=session, actor=SYSTEM, username="teller.a", password="a1", now=ctx.now()
            )
        accounts.reset_password(
            session=session,
            actor=SYSTEM,
            username="teller.a",
            password="new-secret-42",
            now=ctx.now(),
        )
        live = session.scalar(
            sa.select(sa.func.count())
            .select_from(UserSession)
            .where(UserSession.user_id == user.id, UserSession.revoked.is_(False))
        )
        assert live == 0

    def test_set_role_keeps_or_moves_the_staff_link(
        self, session: Session, ctx: LobbyContext, staff: None
    ) -> None:
        add(session, ctx, "greeter.li", Role.GREETER, staff_id="S2")
        user = accounts.set_role(
            session=session, actor=SYSTEM, username="greeter.li", role=Role.TELLER, now=ctx.now()
        )
        assert (user.role, user.branch_id, user.staff_id) == (Role.TELLER, "B1", "S2")
        with pytest.raises(StaffRequired):
            accounts.set_role(
                session=session,
                actor=SYSTEM,
                username="greeter.li",
                role=Role.TELLER,
                branch_id="B2",
                now=ctx.now(),
            )
        moved = accounts.set_role(
            session=session,
            actor=SYSTEM,
            username="greeter.li",
            role=Role.TELLER,
            branch_id="B2",
            staff_id="T1",
            now=ctx.now(),
        )
        assert (moved.branch_id, moved.staff_id) == ("B2", "T1")

    def test_own_password_needs_the_current_one(
        self, session: Session, ctx: LobbyContext, staff: None
    ) -> None:
        user = add(session, ctx, "teller.a", Role.TELLER, staff_id="S1")
        with pytest.raises(WrongPassword):
            accounts.change_password(
                session=session,
                user=user,
                old="not-it-123",
                new="another-77x",
                confirm="another-77x",
                now=ctx.now(),
            )
        accounts.change_password(
            session=session,
            user=user,
            old=PASSWORD,
            new="another-77x",
            confirm="another-77x",
            now=ctx.now(),
        )
        assert accounts.authenticate(
            session=session, username="teller.a", password="another-77x", now=ctx.now()
        )
