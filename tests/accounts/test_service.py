"""Accounts: argon2 passwords, login sessions, device tokens, who may create whom, the audit log."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from testkit import SYSTEM, staff_actor

from smartcounter.accounts import audit
from smartcounter.accounts import service as accounts
from smartcounter.accounts.models import AuditEntry, DeviceToken, User
from smartcounter.accounts.passwords import hash_password, verify_password
from smartcounter.accounts.roles import DeviceKind, Permission, Role
from smartcounter.accounts.schemas import DeviceCreate, UserCreate
from smartcounter.lobby import service
from smartcounter.lobby.context import LobbyContext, ManualClock
from smartcounter.lobby.errors import DuplicateValue, Forbidden
from smartcounter.lobby.models import Staff
from smartcounter.lobby.schemas import TicketCreate


def new_user(
    session: Session,
    ctx: LobbyContext,
    username: str,
    role: Role,
    branch_id: str | None = "B1",
    actor=SYSTEM,
) -> User:  # type: ignore[no-untyped-def]
    staff_id = None
    if branch_id is not None:
        # Every branch account is one member of its branch's staff.
        staff_id = f"{branch_id}-{username}"
        if session.get(Staff, staff_id) is None:
            session.add(Staff(staff_id=staff_id, branch_id=branch_id, role=role.value))
            session.flush()
    return accounts.create_user(
        session=session,
        actor=actor,
        branch_id=branch_id,
        user_in=UserCreate(
            username=username, password="s3cret-pass-1", role=role, staff_id=staff_id
        ),
        now=ctx.now(),
    )


class TestPasswords:
    def test_argon2id_and_verification(self) -> None:
        hashed = hash_password("s3cret-pass-1")
        assert hashed.startswith("$argon2id$")
        assert verify_password(hashed, "s3cret-pass-1")
        assert not verify_password(hashed, "wrong")
        assert not verify_password(None, "anything")
        assert not verify_password("not-a-hash", "anything")


class TestLogin:
    def test_right_password_opens_a_session_that_expires(
        self, session: Session, ctx: LobbyContext, clock: ManualClock, branch: str
    ) -> None:
        user = new_user(session, ctx, "alice", Role.GREETER)
        assert user.password_hash != "s3cret-pass-1"
        found = accounts.authenticate(
            session=session, username="alice", password="s3cret-pass-1", now=ctx.now()
        )
        opened = accounts.open_session(session=session, user=found, now=ctx.now(), hours=8)
        resolved = accounts.resolve_session(session=session, token=opened.token, now=ctx.now())
        assert resolved is not None and resolved[1].id == user.id
        later = ctx.now() + timedelta(hours=8, seconds=1)
        assert accounts.resolve_session(session=session, token=opened.token, now=later) is None

    def test_logout_ends_the_session(
        self, session: Session, ctx: LobbyContext, branch: str
    ) -> None:
        user = new_user(session, ctx, "bob", Role.TELLER)
        opened = accounts.open_session(session=session, user=user, now=ctx.now(), hours=8)
        accounts.close_session(session=session, token=opened.token, now=ctx.now())
        assert accounts.resolve_session(session=session, token=opened.token, now=ctx.now()) is None

    @pytest.mark.parametrize(
        ("username", "password"), [("carol", "wrong"), ("nobody", "s3cret-pass-1")]
    )
    def test_wrong_login_says_nothing_about_which_part(
        self, session: Session, ctx: LobbyContext, branch: str, username: str, password: str
    ) -> None:
        new_user(session, ctx, "carol", Role.TELLER)
        with pytest.raises(accounts.InvalidLogin):
            accounts.authenticate(
                session=session, username=username, password=password, now=ctx.now()
            )

    def test_a_deactivated_user_cannot_log_in(
        self, session: Session, ctx: LobbyContext, branch: str
    ) -> None:
        user = new_user(session, ctx, "dave", Role.TELLER)
        user.active = False
        with pytest.raises(accounts.InvalidLogin):
            accounts.authenticate(
                session=session, username="dave", password="s3cret-pass-1", now=ctx.now()
            )


class TestWhoMayCreateWhom:
    def test_a_director_creates_staff_of_their_branch_only(
        self, session: Session, ctx: LobbyContext, branch: str
    ) -> None:
        director = staff_actor(Role.DIRECTOR)
        new_user(session, ctx, "t1", Role.TELLER, actor=director)
        with pytest.raises(Forbidden):
            new_user(session, ctx, "d2", Role.DIRECTOR, actor=director)
        with pytest.raises(Forbidden):
            new_user(session, ctx, "t2", Role.TELLER, branch_id="B2", actor=director)
        with pytest.raises(Forbidden):
            new_user(session, ctx, "a1", Role.CENTRE_ANALYST, branch_id=None, actor=director)
        with pytest.raises(DuplicateValue):
            new_user(session, ctx, "t1", Role.TELLER, actor=director)

    def test_an_analyst_sees_all_branches(
        self, session: Session, ctx: LobbyContext, branch: str
    ) -> None:
        analyst = accounts.actor_of_user(
            new_user(session, ctx, "ana", Role.CENTRE_ANALYST, branch_id=None)
        )
        assert analyst.branch_id is None and analyst.can(Permission.VIEW, "B2")
        teller = accounts.actor_of_user(new_user(session, ctx, "tel", Role.TELLER))
        assert teller.can(Permission.SERVE, "B1") and not teller.can(Permission.SERVE, "B2")
        assert not teller.can(Permission.SETUP, "B1")


class TestDevices:
    def test_tokens_are_stored_hashed_and_can_be_revoked(
        self, session: Session, ctx: LobbyContext, branch: str
    ) -> None:
        device, token = accounts.create_device(
            session=session,
            actor=staff_actor(Role.DIRECTOR),
            branch_id="B1",
            device_in=DeviceCreate(kind=DeviceKind.KIOSK, name="门口取号机"),
            now=ctx.now(),
        )
        stored = session.scalars(sa.select(DeviceToken.token_hash)).all()
        assert token not in stored and device.token_hash in stored
        found = accounts.resolve_device(session=session, token=token)
        assert found is not None
        actor = accounts.actor_of_device(found)
        assert actor.can(Permission.ISSUE, "B1") and not actor.can(Permission.VIEW, "B1")
        accounts.revoke_device(
            session=session,
            actor=staff_actor(Role.DIRECTOR),
            branch_id="B1",
            device_id=device.id,
            now=ctx.now(),
        )
        assert accounts.resolve_device(session=session, token=token) is None


class TestAudit:
    def test_changes_name_who_made_them(
        self, session: Session, ctx: LobbyContext, branch: str
    ) -> None:
        greeter = staff_actor(Role.GREETER)
        service.issue_ticket(
            session=session,
            ctx=ctx,
            actor=greeter,
            branch_id="B1",
            ticket_in=TicketCreate(business=["card_open"]),
        )
        (entry,) = [e for e in audit.entries(session, branch_id="B1") if e.action == "ticket.issue"]
        assert (entry.actor, entry.target) == (greeter.label, "B001")
        assert audit.entries(session, branch_id="B2") == [] or all(
            e.branch_id == "B2" for e in audit.entries(session, branch_id="B2")
        )
        assert session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) >= 1


class TestDemo:
    def test_seed_demo_gives_one_login_per_role(self, tmp_path: Path) -> None:
        import polars as pl

        from smartcounter.accounts.demo import demo_device_links, seed_demo
        from smartcounter.canonical.catalogue import load_catalogue
        from smartcounter.canonical.tables import BRANCHES
        from smartcounter.ingest.service import IngestOptions, frame_source, ingest_sources
        from smartcounter.settings import Settings
        from smartcounter.store.layout import Store

        store = Store.open_or_create(tmp_path / "store", timezone="Asia/Shanghai")
        branches = pl.DataFrame(
            {"branch_id": ["ZJ001"], "name": ["丹阳新市口支行"], "branch_type": ["urban"]}
        )
        ingest_sources(
            store,
            [frame_source("b", BRANCHES, branches)],
            catalogue=load_catalogue(),
            options=IngestOptions(),
        )
        settings = Settings(store=store.root)
        logins = seed_demo(store, "ZJ001", settings=settings)
        assert {role for role, _u, _p in logins} == {
            "director",
            "lobby_manager",
            "greeter",
            "stm_specialist",
            "teller",
            "centre_analyst",
        }
        again = seed_demo(store, "ZJ001", settings=settings)
        assert [u for _r, u, _p in again] == [u for _r, u, _p in logins]
        from smartcounter.lobby.database import open_database

        database = open_database(settings)
        with database.unit_of_work() as session:
            for _role, username, password in again:
                accounts.authenticate(
                    session=session, username=username, password=password, now=ctx_now()
                )
        database.dispose()
        links = demo_device_links(store, "ZJ001", settings=settings)
        assert [k for k, _ in links] == ["kiosk", "display"]


def ctx_now():  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    return datetime.now(UTC).replace(tzinfo=None)
