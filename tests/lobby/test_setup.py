"""Branch set-up: loaded from the store's branches and staff, then edited in the lobby."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy.orm import Session
from testkit import SYSTEM, staff_actor

from smartcounter.accounts.roles import Role
from smartcounter.canonical.catalogue import load_catalogue
from smartcounter.canonical.tables import BRANCHES, STAFF
from smartcounter.ingest.service import IngestOptions, frame_source, ingest_sources
from smartcounter.lobby import repository as repo
from smartcounter.lobby import setup
from smartcounter.lobby.context import LobbyContext
from smartcounter.lobby.errors import DuplicateValue, Forbidden
from smartcounter.lobby.models import QueueKind
from smartcounter.lobby.schemas import (
    OpeningHoursItem,
    OpeningHoursUpdate,
    ServicePointCreate,
    ServicePointUpdate,
    StaffUpdate,
)
from smartcounter.store.layout import Store


def a_store(root: Path) -> Store:
    store = Store.open_or_create(root, timezone="Asia/Shanghai")
    branches = pl.DataFrame(
        {
            "branch_id": ["NT01", "CZ01"],
            "name": ["南通经济技术开发区支行营业部", "常州龙锦路支行"],
            "region": ["南通", "常州"],
            "branch_type": ["office", "micro"],
            "staff_count": ["11", "6"],
            "smart_counters": ["2", "1"],
            "teller_windows": ["3", "2"],
        }
    )
    staff = pl.DataFrame(
        {
            "staff_id": ["NT01-01", "NT01-02"],
            "branch_id": ["NT01", "NT01"],
            "name": ["王芳", "李强"],
            "role": ["stm_specialist", "teller"],
        }
    )
    ingest_sources(
        store,
        [frame_source("b", BRANCHES, branches), frame_source("s", STAFF, staff)],
        catalogue=load_catalogue(),
        options=IngestOptions(),
    )
    return store


class TestLoadFromStore:
    def test_branches_and_staff_arrive_with_a_default_set_up(
        self, session: Session, ctx: LobbyContext, tmp_path: Path
    ) -> None:
        store = a_store(tmp_path / "store")
        report = setup.load_from_store(session=session, ctx=ctx, actor=SYSTEM, store=store)
        assert (report.branches_added, report.staff_added) == (2, 2)
        nt = setup.get_setup(session=session, actor=SYSTEM, branch_id="NT01")
        kinds = [p.kind for p in nt.points]
        assert kinds.count(QueueKind.STM) == 2 and kinds.count(QueueKind.TELLER) == 3
        assert {q.kind: q.prefix for q in nt.queues} == {
            QueueKind.TELLER: "A",
            QueueKind.STM: "B",
            QueueKind.WEALTH: "V",
        }
        assert len(nt.hours) == 7
        assert {s.staff_id for s in nt.staff} == {"NT01-01", "NT01-02"}
        again = setup.load_from_store(session=session, ctx=ctx, actor=SYSTEM, store=store)
        assert (again.branches_added, again.branches_updated, again.staff_added) == (0, 0, 0)

    def test_only_an_analyst_loads_the_network(
        self, session: Session, ctx: LobbyContext, tmp_path: Path
    ) -> None:
        store = a_store(tmp_path / "store")
        with pytest.raises(Forbidden):
            setup.load_from_store(
                session=session, ctx=ctx, actor=staff_actor(Role.DIRECTOR, "NT01"), store=store
            )


class TestEditing:
    def test_director_edits_points_hours_and_duty(
        self, session: Session, ctx: LobbyContext, branch: str
    ) -> None:
        director = staff_actor(Role.DIRECTOR)
        point = setup.add_point(
            session=session,
            ctx=ctx,
            actor=director,
            branch_id="B1",
            point_in=ServicePointCreate(kind=QueueKind.STM, code="S2", name="智能柜台2"),
        )
        with pytest.raises(DuplicateValue):
            setup.add_point(
                session=session,
                ctx=ctx,
                actor=director,
                branch_id="B1",
                point_in=ServicePointCreate(kind=QueueKind.STM, code="S2", name="again"),
            )
        setup.update_point(
            session=session,
            ctx=ctx,
            actor=director,
            branch_id="B1",
            point_id=point.id,
            point_in=ServicePointUpdate(active=False),
        )
        assert repo.get_point(session, "B1", point.id).active is False  # type: ignore[union-attr]
        hours = setup.set_hours(
            session=session,
            ctx=ctx,
            actor=director,
            branch_id="B1",
            hours_in=OpeningHoursUpdate(
                days=[OpeningHoursItem(weekday=0, opens=time(8, 30), closes=time(17, 30))]
            ),
        )
        assert [(h.weekday, h.opens) for h in hours] == [(0, time(8, 30))]
        from smartcounter.lobby.schemas import StaffCreate

        setup.add_staff(
            session=session,
            ctx=ctx,
            actor=director,
            branch_id="B1",
            staff_in=StaffCreate(staff_id="B1-9", role="teller"),
        )
        member = setup.update_staff(
            session=session,
            ctx=ctx,
            actor=director,
            branch_id="B1",
            staff_id="B1-9",
            staff_in=StaffUpdate(on_duty=False),
        )
        assert member.on_duty is False

    def test_a_teller_cannot_change_the_set_up(
        self, session: Session, ctx: LobbyContext, branch: str
    ) -> None:
        with pytest.raises(Forbidden):
            setup.add_point(
                session=session,
                ctx=ctx,
                actor=staff_actor(Role.TELLER),
                branch_id="B1",
                point_in=ServicePointCreate(kind=QueueKind.TELLER, code="W9", name="x"),
            )

    def test_a_director_of_another_branch_cannot_either(
        self, session: Session, ctx: LobbyContext, branch: str
    ) -> None:
        with pytest.raises(Forbidden):
            setup.add_point(
                session=session,
                ctx=ctx,
                actor=staff_actor(Role.DIRECTOR, "B2"),
                branch_id="B1",
                point_in=ServicePointCreate(kind=QueueKind.TELLER, code="W9", name="x"),
            )
