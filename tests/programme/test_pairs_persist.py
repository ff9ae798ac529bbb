"""Pairs persist from week to week until the centre ends them; progress since the start.

The commands keep them in the store's database: SQLite in the store folder, or PostgreSQL
when ``SMARTCOUNTER_DATABASE_URL`` names it.
"""

from __future__ import annotations

import getpass
import json

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from smartcounter.accounts.models import AuditEntry
from smartcounter.accounts.roles import system_actor
from smartcounter.cli.app import app
from smartcounter.lobby.context import SystemClock
from smartcounter.programme.repository import (
    PAIRS_PATH,
    PairCreate,
    PairExistsError,
    add_pairs,
    load_pairs,
)
from smartcounter.settings import load_settings
from smartcounter.store_database import store_unit_of_work
from tests.programme.network import pairing_network
from tests.store_database_kit import backend, open_database_of

__all__ = ["backend"]  # the fixture, used by name


def run(*args: str):
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


@pytest.fixture
def store(build, backend):
    n = pairing_network()
    # After the pairs start, L1 catches up (75 %, then 90 %) while its partner stays at 95 %.
    for week, migrated in (("2018-W11", 45), ("2018-W12", 54)):
        n.rate_week("L1", week, migrated, 60 - migrated)
        n.rate_week("L2", week, 36, 24)
        for b in ("A1", "A2"):
            n.rate_week(b, week, 57, 3)
        for f in ("F1", "F2", "F3", "F4"):
            n.rate_week(f, week, 48, 12)
    return build(n)


def _json(result) -> list[dict]:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


class TestSavedPairs:
    def test_save_then_kept_next_week(self, store):
        root = str(store.root)
        rows = _json(
            run("--store", root, "pairs", "--week", "2018-W10", "--save", "--format", "json")
        )
        assert {(r["branch_id"], r["partner_branch_id"]) for r in rows} == {
            ("L1", "A2"),
            ("L2", "A1"),
        }
        assert all(isinstance(r["pair_id"], int) and r["start_week"] == "2018-W10" for r in rows)
        saved = load_pairs(store)
        assert {p.start_week for p in saved} == {"2018-W10"}
        assert {p.end_week for p in saved} == {None}
        assert not (store.root / PAIRS_PATH).exists()
        # A week later: the same pairs, kept (not proposed again), still starting in W10.
        later = _json(run("--store", root, "pairs", "--week", "2018-W11", "--format", "json"))
        kept = [r for r in later if r["pair_id"] is not None]
        assert {(r["branch_id"], r["partner_branch_id"], r["start_week"]) for r in kept} == {
            ("L1", "A2", "2018-W10"),
            ("L2", "A1", "2018-W10"),
        }
        assert all(r["partner_branch_id"] is None or r["pair_id"] is not None for r in later)

    def test_end_a_pair_and_list(self, store):
        root = str(store.root)
        _json(run("--store", root, "pairs", "--week", "2018-W10", "--save", "--format", "json"))
        result = run(
            "--store", root, "pairs", "end", "L1", "--week", "2018-W11", "--note", "caught up"
        )
        assert result.exit_code == 0, result.output
        active = _json(
            run("--store", root, "pairs", "list", "--week", "2018-W12", "--format", "json")
        )
        assert [r["branch_id"] for r in active] == ["L2"]
        everything = _json(run("--store", root, "pairs", "list", "--all", "--format", "json"))
        ended = next(r for r in everything if r["branch_id"] == "L1")
        assert (ended["end_week"], ended["note"]) == ("2018-W11", "caught up")
        assert run("--store", root, "pairs", "end", "L1", "--week", "2018-W12").exit_code == 2
        by_id = _json(
            run(
                "--store",
                root,
                "pairs",
                "end",
                "--pair",
                "2",
                "--week",
                "2018-W12",
                "--format",
                "json",
            )
        )
        assert [(r["pair_id"], r["branch_id"], r["end_week"]) for r in by_id] == [
            (2, "L2", "2018-W12")
        ]

    def test_the_audit_log_names_the_os_user(self, store):
        root = str(store.root)
        _json(run("--store", root, "pairs", "--week", "2018-W10", "--save", "--format", "json"))
        run("--store", root, "pairs", "end", "L1", "--week", "2018-W11")
        database = open_database_of(store)
        try:
            with database.unit_of_work(write=False) as session:
                entries = session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()
        finally:
            database.dispose()
        assert [(e.action, e.branch_id) for e in entries] == [
            ("programme.pair_saved", "L1"),
            ("programme.pair_saved", "L2"),
            ("programme.pair_ended", "L1"),
        ]
        assert {e.actor for e in entries} == {f"system:{getpass.getuser()}"}

    def test_a_refused_save_changes_nothing(self, store):
        root = str(store.root)
        _json(run("--store", root, "pairs", "--week", "2018-W10", "--save", "--format", "json"))
        before = load_pairs(store)
        # W09 is before the saved pairs start: saving its proposals would overlap them.
        result = run("--store", root, "pairs", "--week", "2018-W09", "--save")
        assert result.exit_code == 2
        assert load_pairs(store) == before

    def test_a_branch_cannot_have_two_active_pairs(self, store):
        item = PairCreate("L1", "A2", "2018-W10", 0.7, 0.6, 0.95, ())
        settings = load_settings(store=store.root)

        def save(*items):
            with store_unit_of_work(settings, store) as session:
                add_pairs(
                    session=session,
                    store=store,
                    pairs_in=items,
                    actor=system_actor("tester"),
                    now=SystemClock().now(),
                )

        save(item)
        with pytest.raises(PairExistsError):
            save(PairCreate("L1", "A1", "2018-W11", 0.9, 0.6, 0.95, ()))
        assert len(load_pairs(store)) == 1


class TestProgress:
    def test_gap_week_by_week_since_the_start(self, store):
        root = str(store.root)
        _json(run("--store", root, "pairs", "--week", "2018-W10", "--save", "--format", "json"))
        rows = _json(run("--store", root, "progress", "--week", "2018-W12", "--format", "json"))
        l1 = [r for r in rows if r["branch_id"] == "L1"]
        assert [r["week"] for r in l1] == ["2018-W10", "2018-W11", "2018-W12"]
        assert [round(r["gap_pp"], 6) for r in l1] == [35.0, 20.0, 5.0]
        assert l1[0]["baseline_gap_pp"] == pytest.approx(35.0)
        assert [round(r["change_pp"], 6) for r in l1] == [0.0, -15.0, -30.0]

    def test_an_ended_pair_stops_at_its_end_week(self, store):
        root = str(store.root)
        _json(run("--store", root, "pairs", "--week", "2018-W10", "--save", "--format", "json"))
        run("--store", root, "pairs", "end", "L1", "--week", "2018-W11")
        rows = _json(
            run("--store", root, "progress", "--week", "2018-W12", "--all", "--format", "json")
        )
        assert [r["week"] for r in rows if r["branch_id"] == "L1"] == ["2018-W10", "2018-W11"]
        rows = _json(run("--store", root, "progress", "--week", "2018-W12", "--format", "json"))
        assert {r["branch_id"] for r in rows} == {"L2"}


def test_a_pair_under_review_keeps_its_partners_place(build, backend):
    """Three laggards, two partners, a cap of one: L1 and L2 are paired in W08, L3 waits.
    L1 then catches up (its pair is to be reviewed): its partner stays L1's until the pair
    is ended, so L3 still waits rather than a partner helping two branches."""
    from tests.programme.network import Network

    weeks = [f"2018-W{w:02d}" for w in range(5, 13)]
    n = Network()
    for b, staff in (("L1", 8), ("L2", 8), ("L3", 8), ("A1", 8), ("A2", 8)):
        n.branch(b, region="镇江", staff_count=staff)
    for f in ("F1", "F2", "F3", "F4"):
        n.branch(f, region="徐州", staff_count=8)
    for i, w in enumerate(weeks):
        n.rate_week("L1", w, 36 if i < 4 else 57, 24 if i < 4 else 3)
        for b in ("L2", "L3"):
            n.rate_week(b, w, 36, 24)
        for b in ("A1", "A2"):
            n.rate_week(b, w, 57, 3)
        for f in ("F1", "F2", "F3", "F4"):
            n.rate_week(f, w, 48, 12)
    root = str(build(n).root)
    saved = _json(run("--store", root, "pairs", "--week", "2018-W08", "--save", "--format", "json"))
    first = {r["branch_id"]: r["partner_branch_id"] for r in saved if r["partner_branch_id"]}
    assert set(first) == {"L1", "L2"}
    later = _json(run("--store", root, "pairs", "--week", "2018-W12", "--format", "json"))
    # L1's pair is not listed as kept (it is to be reviewed), yet its partner is still
    # taken: L3 may be helped by another (L1 itself, now advanced), never by that one.
    l3 = [r["partner_branch_id"] for r in later if r["branch_id"] == "L3"]
    assert l3 and first["L1"] not in l3 and first["L2"] not in l3, later
