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
from datetime import date
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
    share_states,
    weekly_practice,
)
from smartcounter.store.layout import Store
from smartcounter.synthetic import NetworkSpec
from smartcounter.synthetic.changes import PracticeChange as GeneratedChange
from smartcounter.synthetic.writer import TRUTH_BY_WEEK_FILE, TRUTH_DIR
from tests.simulation.changed_network import write_changed_network

SPEC = NetworkSpec(branches=16, weeks=13, start=date(2018, 1, 1), seed=11)
WEEKS = ("2018-W06", "2018-W07", "2018-W08")
CASH_SPLIT = GeneratedChange("CZ-LJL", "2018-W07", (("cash_split", True),))
# The truth's columns that ``changes.py`` can see, by its key.
TRUTH_COLUMNS = {
    "cash_split": "cash_split",
    "backup_teller": "backup_teller",
    "tellers": "tellers",
    "greeters": "greeters",
    "specialists": "stm_specialists",
    "triage_rounds": "triage_rounds",
}
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


def truth_steps(path: Path) -> set[tuple[str, str, str]]:
    """(branch, week, key) of every week a truth column differs from the week before."""
    truth = pl.read_csv(path).sort("branch_id", "week")
    out = set()
    for key, column in TRUTH_COLUMNS.items():
        moved = truth.filter(
            (pl.col(column) != pl.col(column).shift(1).over("branch_id")).fill_null(False)
        )
        out |= {(b, w, key) for b, w in moved.select("branch_id", "week").iter_rows()}
    return out


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
