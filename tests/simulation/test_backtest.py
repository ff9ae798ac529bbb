"""Back-test (``simulate validate``): changes found in the store, predicted from the weeks before.

A network of 16 branches over 13 weeks with a dated change at every branch
(``changed_network.py``), CZ-LJL's being the cash split from 2018-W07: the detector finds
exactly the changes the generator's truth records (``_truth/branch_practices_by_week.csv``);
the back-test predicts CZ-LJL's rate after its change within 3 pp and inside the range; a
few changes of every kind are back-tested here (the run over 40 branches that gives the
coverage figure is ``benchmarks/bench_backtest.py``).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from smartcounter.cli.app import app
from smartcounter.metrics import open_metrics
from smartcounter.settings import Settings
from smartcounter.simulation.backtest import Backtest, backtest
from smartcounter.simulation.changes import (
    PracticeChange,
    count_steps,
    find_changes,
    merge_changes,
    share_states,
    weekly_practice,
)
from smartcounter.simulation.estimated import EstimateCache, estimate_branch
from smartcounter.store.layout import Store
from smartcounter.synthetic import NetworkSpec
from smartcounter.synthetic.changes import PracticeChange as GeneratedChange
from smartcounter.synthetic.writer import TRUTH_BY_WEEK_FILE, TRUTH_DIR
from tests.simulation.changed_network import truth_steps, write_changed_network

SPEC = NetworkSpec(branches=16, weeks=13, start=date(2018, 1, 1), seed=11)
WEEKS = ("2018-W06", "2018-W07", "2018-W08")
CASH_SPLIT = GeneratedChange("CZ-LJL", "2018-W07", (("cash_split", True),))
REPLICATIONS = 8


@pytest.fixture(scope="module")
def changed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, Path]:
    root = tmp_path_factory.mktemp("changed")
    store, _ = write_changed_network(root, SPEC, WEEKS, given=(CASH_SPLIT,))
    return store, root / "generated" / TRUTH_DIR / TRUTH_BY_WEEK_FILE


@pytest.fixture(scope="module")
def found(changed: tuple[Store, Path]) -> list[PracticeChange]:
    settings = Settings()
    with open_metrics(changed[0], settings) as metrics:
        return find_changes(metrics, settings)


@pytest.fixture(scope="module")
def tested(changed: tuple[Store, Path], found: list[PracticeChange]) -> Backtest:
    """CZ-LJL's change and the first change of each other kind."""
    picked = [c for c in found if c.branch_id == "CZ-LJL"]
    kinds = {c.steps[0][0] for c in picked}
    for c in found:
        if c.steps[0][0] not in kinds:
            picked.append(c)
            kinds.add(c.steps[0][0])
    return backtest(
        store=changed[0], settings=Settings(), changes=picked, replications=REPLICATIONS
    )


class TestDetector:
    def test_it_finds_the_changes_the_generator_made(
        self, changed: tuple[Store, Path], found: list[PracticeChange]
    ) -> None:
        """Exactly, week included; a backup teller only where tellers then authorise at the
        smart counter (a dedicated specialist may never need them), from the first week
        they do."""
        truth = truth_steps(changed[1])
        seen = {(c.branch_id, c.week, key) for c in found for key, _, _ in c.steps}
        assert len(truth) >= SPEC.branches
        exact = {s for s in truth if s[2] != "backup_teller"}
        assert {s for s in seen if s[2] != "backup_teller"} == exact
        with open_metrics(changed[0], Settings()) as metrics:
            helped = weekly_practice(metrics).filter(pl.col("stm_by_teller") > 0)
        first = dict(helped.group_by("branch_id").agg(pl.col("week").min()).iter_rows())
        backups = {s for s in truth if s[2] == "backup_teller"}
        expected = {(b, max(w, first[b]), k) for b, w, k in backups if first.get(b, "") >= w}
        assert len(expected) >= 2
        assert {s for s in seen if s[2] == "backup_teller"} == expected

    def test_the_cash_split_is_found_with_its_week_and_sides(
        self, found: list[PracticeChange]
    ) -> None:
        cz = [c for c in found if c.branch_id == "CZ-LJL"]
        assert [(c.week, c.steps) for c in cz] == [("2018-W07", (("cash_split", False, True),))]
        assert cz[0].label == "cash_split=true"
        assert cz[0].scenario().cash_split is True

    def test_a_week_at_another_level_is_no_change(self) -> None:
        assert count_steps([3, 3, 3, 2, 3, 3, 4, 4, 4]) == [(6, 3, 4)]
        assert count_steps([1, 1]) == []

    def test_a_share_wobbling_at_its_threshold_stays_as_it_was(self) -> None:
        wobble = share_states([30, 25, 33, 28, 31], [100] * 5, 0.3)
        assert len(set(wobble)) == 1
        step = share_states([0, 1, 0, 0, 3, 40, 45, 38], [100] * 8, 0.3)
        assert step == [0, 0, 0, 0, 0, 1, 1, 1]

    def test_a_practice_absent_before_starts_in_the_week_it_first_shows(self) -> None:
        assert share_states([0, 0, 0, 0, 2, 4, 24, 2, 13], [400] * 9, 0.005) == [0] * 4 + [1] * 5
        # A busy fortnight is no practice.
        assert share_states([0, 0, 0, 0, 12, 10, 0, 0, 0], [600] * 9, 0.005, min_weeks=3) == [0] * 9


class TestBacktest:
    def test_the_cash_split_at_cz_ljl_is_predicted_within_3_pp_inside_its_range(
        self, tested: Backtest
    ) -> None:
        cz = next(o for o in tested.outcomes if o.change.branch_id == "CZ-LJL")
        assert cz.calibration_weeks == tuple(f"2018-W0{k}" for k in range(1, 7))
        assert cz.realised_weeks == tuple(f"2018-W{k:02d}" for k in range(8, 14))
        assert abs(cz.error_pp) <= 3.0, cz
        assert cz.inside, cz

    def test_every_kind_of_change_is_predicted_within_3_pp(self, tested: Backtest) -> None:
        assert {o.change.steps[0][0] for o in tested.outcomes} >= {
            "cash_split",
            "tellers",
            "greeters",
        }
        assert not tested.skipped
        assert tested.mean_absolute_error_pp <= 3.0
        assert all(abs(o.error_pp) <= 4.0 for o in tested.outcomes), tested.table()
        assert tested.coverage >= 0.5, tested.table()

    def test_a_change_without_weeks_after_it_is_skipped(self, changed: tuple[Store, Path]) -> None:
        late = PracticeChange("CZ-LJL", "2018-W13", (("tellers", 2, 3),))
        early = PracticeChange("CZ-LJL", "2018-W02", (("tellers", 2, 3),))
        result = backtest(
            store=changed[0], settings=Settings(), changes=[late, early], replications=2
        )
        assert result.outcomes == ()
        assert [s.reason for s in result.skipped] == ["no_weeks_after", "too_few_weeks_before"]

    def test_changes_over_the_same_weeks_share_the_network_estimates(
        self, changed: tuple[Store, Path]
    ) -> None:
        """A back-test estimates the network's behaviour once per calibration weeks: the
        second branch gets the first one's estimates, the same as estimated afresh."""
        settings = Settings()
        weeks = [f"2018-W0{k}" for k in range(1, 7)]
        cache: EstimateCache = {}
        with open_metrics(changed[0], settings) as metrics:
            first = estimate_branch(changed[0], settings, "CZ-LJL", weeks, metrics, cache)
            second = estimate_branch(changed[0], settings, "NT-KFQ", weeks, metrics, cache)
            fresh = estimate_branch(changed[0], settings, "NT-KFQ", weeks, metrics)
        assert list(cache) == [(tuple(weeks), None)]
        assert second.network is first.network
        assert second.behaviour == fresh.behaviour
        assert repr(second.branch.parameters) == repr(fresh.branch.parameters)  # nan == nan


class TestCommand:
    def test_json_has_the_changes_and_the_summary(self, changed: tuple[Store, Path]) -> None:
        args = ["--store", str(changed[0].root), "simulate", "validate", "--branch", "CZ-LJL"]
        result = CliRunner().invoke(
            app, [*args, "--replications", "4", "--format", "json"], catch_exceptions=False
        )
        assert result.exit_code == 0, result.output
        out = json.loads(result.stdout)
        assert list(out) == ["changes", "skipped", "summary"]
        assert list(out["changes"][0]) == [
            "branch_id",
            "week",
            "change",
            "calibration_weeks",
            "realised_weeks",
            "predicted",
            "predicted_low",
            "predicted_high",
            "realised",
            "error_pp",
            "inside",
        ]
        assert out["summary"]["changes"] == 1
        assert out["changes"][0]["change"] == "cash_split=true"

    def test_the_table_speaks_chinese_by_default_and_english_on_request(
        self, changed: tuple[Store, Path]
    ) -> None:
        args = ["--store", str(changed[0].root), "simulate", "validate", "--branch", "CZ-LJL"]
        zh = CliRunner().invoke(app, [*args, "--replications", "2"])
        en = CliRunner().invoke(app, ["--lang", "en", *args, "--replications", "2"])
        assert zh.exit_code == en.exit_code == 0, zh.output + en.output
        assert "平均绝对误差" in zh.stdout and "CZ-LJL" in zh.stdout
        assert "mean absolute error" in en.stdout

    def test_a_level_out_of_range_is_a_usage_error(self, changed: tuple[Store, Path]) -> None:
        args = ["--store", str(changed[0].root), "simulate", "validate", "--level", "1.5"]
        assert CliRunner().invoke(app, args).exit_code == 2


@pytest.fixture(scope="module")
def lobby_log(
    changed: tuple[Store, Path], tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, list[PracticeChange]]:
    """A lobby database loaded from the store, in whose set-up log CZ-LJL gets a second
    smart counter in 2018-W07 and NT-KFQ closes one of its three in W09: its URL, and the
    changes ``setup_log.py`` reads from it."""
    from smartcounter.accounts.roles import system_actor
    from smartcounter.database import open_database
    from smartcounter.lobby.context import ManualClock, build_context
    from smartcounter.lobby.models import QueueKind, ServicePoint
    from smartcounter.lobby.schemas import ServicePointCreate, ServicePointUpdate
    from smartcounter.lobby.setup import add_point, load_from_store, update_point
    from smartcounter.simulation.setup_log import smart_counter_changes

    store = changed[0]
    url = f"sqlite:///{tmp_path_factory.mktemp('lobby') / 'lobby.db'}"
    settings = Settings(store=store.root, database_url=url)
    clock = ManualClock(datetime(2017, 12, 31, 1, 0))
    ctx = build_context(settings, clock=clock)
    actor = system_actor("test")
    database = open_database(settings)
    try:
        with database.unit_of_work() as session:
            load_from_store(session=session, ctx=ctx, actor=actor, store=store)
            # Tuesday of 2018-W07, 10:00 in Shanghai.
            clock.current = datetime(2018, 2, 13, 2, 0)
            point = ServicePointCreate(kind=QueueKind.STM, code="S9", name="STM 9")
            add_point(session=session, ctx=ctx, actor=actor, branch_id="CZ-LJL", point_in=point)
            # Sunday of 2018-W09, 23:30 in Shanghai (15:30 UTC): W09 where the branch is.
            clock.current = datetime(2018, 3, 4, 15, 30)
            first = (
                session.query(ServicePoint)
                .filter_by(branch_id="NT-KFQ", kind=QueueKind.STM)
                .order_by(ServicePoint.id)
                .first()
            )
            assert first is not None
            update_point(
                session=session,
                ctx=ctx,
                actor=actor,
                branch_id="NT-KFQ",
                point_id=first.id,
                point_in=ServicePointUpdate(active=False),
            )
        with database.unit_of_work(write=False) as session:
            found = smart_counter_changes(
                session, store.weeks("transactions"), timezone=settings.timezone
            )
    finally:
        database.dispose()
    return url, found


class TestSetupLog:
    """Smart counters dated from the lobby service's set-up log (``setup_log.py``)."""

    def test_a_terminal_added_or_closed_is_a_change_from_its_week(
        self, lobby_log: tuple[str, list[PracticeChange]]
    ) -> None:
        _, found = lobby_log
        assert [(c.branch_id, c.week, c.steps) for c in found] == [
            ("CZ-LJL", "2018-W07", (("smart_counters", 1, 2),)),
            ("NT-KFQ", "2018-W09", (("smart_counters", 3, 2),)),
        ]
        assert found[0].as_is().smart_counters == 1
        assert found[0].scenario().smart_counters == 2

    def test_changes_of_one_week_are_one_change(self) -> None:
        a = PracticeChange("B", "2018-W07", (("cash_split", False, True),))
        b = PracticeChange("B", "2018-W07", (("smart_counters", 1, 2),))
        (one,) = merge_changes([a], [b])
        assert one.label == "cash_split=true,smart_counters=2"
        assert one.scenario().smart_counters == 2 and one.scenario().cash_split is True
        assert one.as_is().smart_counters == 1 and one.as_is().cash_split is None

    def test_validate_reads_the_log_of_the_configured_lobby(
        self, changed: tuple[Store, Path], lobby_log: tuple[str, list[PracticeChange]]
    ) -> None:
        url, _ = lobby_log
        args = ["--store", str(changed[0].root), "simulate", "validate", "--branch", "NT-KFQ"]
        result = CliRunner().invoke(
            app,
            [*args, "--replications", "2", "--format", "json"],
            env={"SMARTCOUNTER_DATABASE_URL": url},
            catch_exceptions=False,
        )
        assert result.exit_code == 0, result.output
        rows = json.loads(result.stdout)["changes"]
        assert ("2018-W09", "smart_counters=2") in {(r["week"], r["change"]) for r in rows}
