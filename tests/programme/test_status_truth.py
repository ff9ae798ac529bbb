"""Honest labels on data the labels did not see: statuses judged on a network's first weeks
hold up against the same branches' later weeks (the generator's practices do not change, so
the later weeks measure each branch's true rate)."""

from __future__ import annotations

from pathlib import Path

import pytest

from smartcounter.metrics import Metrics, Period
from smartcounter.metrics.duckdb_engine import DuckDBEngine
from smartcounter.metrics.period import weeks_back
from smartcounter.programme.status import Status, judge
from smartcounter.settings import load_settings
from smartcounter.store.layout import Store
from tests.programme.test_status import _generated

JUDGED = ("2018-W06", "2018-W07", "2018-W08", "2018-W09", "2018-W10")
LATER = tuple(weeks_back("2018-W26", 16))  # W11..W26: never read by the judgements


@pytest.mark.slow
def test_benchmarks_and_branches_needing_help_are_true_on_later_weeks(tmp_path: Path) -> None:
    store = Store.open(_generated(tmp_path, 26, 2018))
    settings = load_settings(store=tmp_path / "no-config")
    target = settings.bulletin.target_rate
    with Metrics(DuckDBEngine(store)) as m:
        later = {
            r["branch_id"]: r for r in m.rates(["branch"], Period.of_weeks(list(LATER))).to_dicts()
        }
        boards = [judge(metrics=m, settings=settings, week=w) for w in JUDGED]
    benchmarks = [j.branch_id for b in boards for j in b.having(Status.BENCHMARK)]
    partners = [j.branch_id for b in boards for j in b.having(Status.BENCHMARK, Status.ADVANCED)]
    helped = [j.branch_id for b in boards for j in b.having(Status.NEEDS_HELP)]
    assert len(benchmarks) >= 10 and len(helped) >= 10
    # Wrong: the sixteen later weeks put the branch on the other side of the target.
    wrong_benchmarks = [b for b in benchmarks if later[b]["rate"] < target]
    wrong_partners = [b for b in partners if later[b]["rate"] < target]
    wrong_help = [b for b in helped if later[b]["rate"] >= target]
    assert len(wrong_benchmarks) / len(benchmarks) < 0.03, wrong_benchmarks
    assert len(wrong_partners) / len(partners) < 0.03, wrong_partners
    assert wrong_help == []
