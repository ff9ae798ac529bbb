"""Demo logins stand for members of staff of their own role, on the demo's generated branches."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest

from smartcounter.accounts import repository as repo
from smartcounter.accounts.demo import DEMO_ROLES, link_staff, seed_demo
from smartcounter.accounts.roles import Role
from smartcounter.canonical.catalogue import load_catalogue
from smartcounter.canonical.tables import BRANCHES, STAFF
from smartcounter.ingest.service import IngestOptions, frame_source, ingest_sources
from smartcounter.lobby import repository as lobby_repo
from smartcounter.lobby.database import open_database
from smartcounter.settings import Settings
from smartcounter.store.layout import Store
from smartcounter.synthetic import NetworkSpec, build_network
from smartcounter.synthetic.writer import staff_frame

LOGINS = [r for r in DEMO_ROLES if r is not Role.CENTRE_ANALYST]
FRONT_LINE = {r.value for r in LOGINS}
STAND_INS = {Role.GREETER: {"lobby_manager", "account_manager"}}
LOBBY_BRANCH = "DY-XSK"


@dataclass(frozen=True)
class Member:
    staff_id: str
    branch_id: str
    role: str


@pytest.fixture(scope="module")
def staff() -> pl.DataFrame:
    """The staff of the demo's network (``smartcounter demo``'s defaults)."""
    return build_network(NetworkSpec()).staff


def _members(staff: pl.DataFrame, branch_id: str) -> list[Member]:
    rows = staff.filter(pl.col("branch_id") == branch_id).sort("staff_id")
    return [Member(r["staff_id"], r["branch_id"], r["role"]) for r in rows.iter_rows(named=True)]


def _check(role: Role, linked: Member, left: list[Member]) -> None:
    """No better member than ``linked`` was ``left`` free for a login of ``role``."""
    if linked.role == role.value:
        return
    assert all(m.role != role.value for m in left), (role, linked)
    if linked.role in STAND_INS.get(role, set()):
        return
    assert all(m.role not in STAND_INS.get(role, set()) for m in left), (role, linked)
    if linked.role not in FRONT_LINE:
        return
    assert all(m.role in FRONT_LINE for m in left), (role, linked)


class TestLinkStaff:
    def test_every_generated_branch_links_logins_to_their_own_roles(
        self, staff: pl.DataFrame
    ) -> None:
        branches = staff.get_column("branch_id").unique().to_list()
        assert len(branches) == NetworkSpec().branches
        for branch_id in branches:
            members = _members(staff, branch_id)
            links = link_staff(branch_id, members, LOGINS, set())
            assert len(set(links.values())) == len(LOGINS), branch_id
            by_id = {m.staff_id: m for m in members}
            left = [m for m in members if m.staff_id not in links.values()]
            for role, staff_id in links.items():
                if staff_id not in by_id:  # fewer staff than logins: a made-up id
                    assert not left and staff_id == f"{branch_id}-{role.value}"
                    continue
                _check(role, by_id[staff_id], left)

    def test_the_demo_branch_greeter_is_not_the_specialist(self, staff: pl.DataFrame) -> None:
        members = _members(staff, LOBBY_BRANCH)
        roles = {m.staff_id: m.role for m in members}
        links = link_staff(LOBBY_BRANCH, members, LOGINS, set())
        assert {role: roles[links[role]] for role in LOGINS} == {
            Role.DIRECTOR: "director",
            Role.LOBBY_MANAGER: "lobby_manager",
            Role.GREETER: "account_manager",  # no greeter, the lobby manager is taken
            Role.STM_SPECIALIST: "stm_specialist",
            Role.TELLER: "teller",
        }

    def test_staff_linked_already_are_left_alone(self) -> None:
        members = [Member("S1", "B", "greeter"), Member("S2", "B", "teller")]
        assert link_staff("B", members, [Role.GREETER], {"S1"}) == {Role.GREETER: "S2"}
        assert link_staff("B", [], [Role.TELLER], set()) == {Role.TELLER: "B-teller"}


class TestSeedDemo:
    def test_the_demo_logins_of_the_lobby_branch_are_their_roles(
        self, staff: pl.DataFrame, tmp_path: Path
    ) -> None:
        store = Store.open_or_create(tmp_path / "store", timezone="Asia/Shanghai")
        branches = pl.DataFrame(
            {"branch_id": [LOBBY_BRANCH], "name": ["丹阳新市口支行"], "branch_type": ["urban"]}
        )
        network = build_network(NetworkSpec())
        ours = staff_frame(network).filter(pl.col("branch_id") == LOBBY_BRANCH)
        ingest_sources(
            store,
            [frame_source("b", BRANCHES, branches), frame_source("s", STAFF, ours)],
            catalogue=load_catalogue(),
            options=IngestOptions(),
        )
        settings = Settings(store=store.root)
        seed_demo(store, LOBBY_BRANCH, settings=settings)
        database = open_database(settings)
        try:
            with database.unit_of_work(write=False) as session:
                roles = {m.staff_id: m.role for m in lobby_repo.staff(session, LOBBY_BRANCH)}
                linked = {
                    u.username: roles[u.staff_id]
                    for u in repo.users_of(session, None)
                    if u.staff_id is not None
                }
        finally:
            database.dispose()
        assert linked == {
            "director-dy-xsk": "director",
            "lobby_manager-dy-xsk": "lobby_manager",
            "greeter-dy-xsk": "account_manager",
            "stm_specialist-dy-xsk": "stm_specialist",
            "teller-dy-xsk": "teller",
        }
