"""Dated practice changes: ``generate … --change BRANCH@WEEK:KEY=VALUE``.

Generated twice with the same seed, with and without a change, through the real import
and ``rates --by branch,week``: every other branch's weeks are the same, the changed
branch's weeks before the change are the same, and from the change on its rate steps up.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from smartcounter.cli.app import app
from smartcounter.synthetic.writer import TRUTH_BY_WEEK_FILE, TRUTH_DIR

BASE = ["--branches", "12", "--weeks", "13", "--start", "2018-01-01", "--seed", "11"]
CHANGE = "CZ-LJL@2018-W07:cash_split=true"


def _run(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["--lang", "en", *args])
    return result.exit_code, result.output


def _rates(root: Path, changes: list[str]) -> pl.DataFrame:
    store = root / "store"
    extra = [a for c in changes for a in ("--change", c)]
    code, out = _run(["generate", str(root / "csv"), *BASE, *extra, "--store", str(store)])
    assert code == 0, out
    period = ["--from", "2018-01-01", "--to", "2018-04-01"]
    code, out = _run(
        ["--store", str(store), "rates", "--by", "branch,week", *period, "--format", "json"]
    )
    assert code == 0, out
    return pl.DataFrame(json.loads(out)).select("branch_id", "week", "migratable", "migrated")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[pl.DataFrame, pl.DataFrame, Path]:
    base = _rates(tmp_path_factory.mktemp("base"), [])
    changed_root = tmp_path_factory.mktemp("changed")
    changed = _rates(changed_root, [CHANGE])
    return base, changed, changed_root


def test_the_step_shows_for_the_changed_branch_only(
    runs: tuple[pl.DataFrame, pl.DataFrame, Path],
) -> None:
    base, changed, _ = runs
    both = base.join(changed, on=["branch_id", "week"], suffix="_c")
    assert both.height == base.height == changed.height
    same = (pl.col("migratable") == pl.col("migratable_c")) & (
        pl.col("migrated") == pl.col("migrated_c")
    )
    others = both.filter(pl.col("branch_id") != "CZ-LJL")
    assert others.height > 100 and others.select(same.all()).item()
    cz = both.filter(pl.col("branch_id") == "CZ-LJL")
    before = cz.filter(pl.col("week") < "2018-W07")
    after = cz.filter(pl.col("week") >= "2018-W07")
    assert before.height == 6 and before.select(same.all()).item()
    assert after.height == 7 and not after.select(same.all()).item()

    def rate(frame: pl.DataFrame, suffix: str) -> float:
        return float(frame[f"migrated{suffix}"].sum() / frame[f"migratable{suffix}"].sum())

    # Splitting cash visits moves their non-cash part to the smart counter: a clear step
    # against the same customers without the change (week-to-week noise is larger).
    assert rate(after, "_c") - rate(after, "") > 0.03


def test_truth_records_each_weeks_practice(runs: tuple[pl.DataFrame, pl.DataFrame, Path]) -> None:
    _, _, root = runs
    truth = pl.read_csv(root / "csv" / TRUTH_DIR / TRUTH_BY_WEEK_FILE)
    assert truth.height == 12 * 13
    cz = truth.filter(pl.col("branch_id") == "CZ-LJL").sort("week")
    assert cz["cash_split"].to_list() == [False] * 6 + [True] * 7
    others = truth.filter(pl.col("branch_id") != "CZ-LJL")
    assert (
        others.group_by("branch_id").agg(pl.col("cash_split").n_unique())["cash_split"].max() == 1
    )


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ("CZ-LJL@2018-W07:cash_split=maybe", "true or false"),
        ("NOPE@2018-W07:tellers=2", "no branch NOPE"),
        ("CZ-LJL@2019-W07:tellers=2", "not in the run"),
        ("CZ-LJL@2018-W07:windows=2", "unknown key"),
        ("CZ-LJL@2018-W07:tellers=0", "from 1 to 20"),
        ("CZ-LJL:tellers=2", "BRANCH@YYYY-Www"),
    ],
)
def test_bad_changes_exit_2_naming_the_option(tmp_path: Path, change: str, says: str) -> None:
    code, out = _run(["generate", str(tmp_path / "out"), *BASE, "--change", change])
    assert code == 2
    assert "--change" in out and says in out
    assert not (tmp_path / "out").exists()


def test_truth_records_a_changed_number_of_smart_counters(tmp_path: Path) -> None:
    """The branch's devices and windows in the truth are the week's, not the first week's."""
    small = ["--branches", "12", "--weeks", "2", "--start", "2018-01-01", "--seed", "11"]
    change = "NJ0001@2018-W02:smart_counters=4,tellers=3"
    code, out = _run(["generate", str(tmp_path / "out"), *small, "--change", change])
    assert code == 0, out
    truth = pl.read_csv(tmp_path / "out" / TRUTH_DIR / TRUTH_BY_WEEK_FILE)
    nj = truth.filter(pl.col("branch_id") == "NJ0001").sort("week")
    first, second = nj.row(0, named=True), nj.row(1, named=True)
    assert second["smart_counters"] == 4 != first["smart_counters"]
    assert second["tellers"] == 3


def test_a_change_in_the_first_week(tmp_path: Path) -> None:
    """A change from the run's first week on: the branch works so from the start."""
    small = ["--branches", "12", "--weeks", "2", "--start", "2018-01-01", "--seed", "11"]
    change = "NJ0001@2018-W01:smart_counters=4,cash_split=true"
    code, out = _run(["generate", str(tmp_path / "out"), *small, "--change", change])
    assert code == 0, out
    truth = pl.read_csv(tmp_path / "out" / TRUTH_DIR / TRUTH_BY_WEEK_FILE)
    nj = truth.filter(pl.col("branch_id") == "NJ0001")
    assert nj.get_column("smart_counters").to_list() == [4, 4]
    staff = pl.read_csv(tmp_path / "out" / "staff.csv")
    assert staff.filter(pl.col("branch_id") == "NJ0001").height > 0
