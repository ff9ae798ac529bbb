"""A week's figures are worked out once and shared: by pages, by workers, by restarts.

``SharedResults`` keeps an engine's answers in the store folder while the data is
unchanged. What must hold: the kept answers are the engine's answers; a new import makes
them be worked out again; many asking at once make one computation; and once the
dashboards were warmed, every branch's dashboard is a lookup (no query at all).
"""

from __future__ import annotations

import threading
from pathlib import Path

import polars as pl
import pytest

from smartcounter.accounts.roles import system_actor
from smartcounter.canonical.catalogue import load_catalogue
from smartcounter.dashboards import service
from smartcounter.ingest.service import IngestOptions, ingest_paths
from smartcounter.metrics import Metrics, Period
from smartcounter.metrics import shared_results as shared
from smartcounter.metrics.duckdb_engine import DuckDBEngine
from smartcounter.metrics.shared_results import SharedResults
from smartcounter.settings import Settings
from smartcounter.store.layout import Store
from smartcounter.store.reading import read_table

WEEK = "2018-W10"


@pytest.fixture(autouse=True)
def _forget() -> None:
    """Each test starts with nothing kept in this process (the store folder decides)."""
    shared._memory.clear()


def _shared(store: Store) -> SharedResults:
    return SharedResults(store, lambda: DuckDBEngine(store), "duckdb")


def test_kept_answers_are_the_engines_answers(store_copy: Store) -> None:
    with Metrics(DuckDBEngine(store_copy)) as direct:
        expected = direct.ranking(WEEK), direct.unmigrated("business", Period.week(WEEK))
    first = _shared(store_copy)
    with Metrics(first) as m:
        got = m.ranking(WEEK), m.unmigrated("business", Period.week(WEEK))
    assert first.computed == 2
    shared._memory.clear()  # as another worker: only the store folder has them
    second = _shared(store_copy)
    with Metrics(second) as m:
        again = m.ranking(WEEK), m.unmigrated("business", Period.week(WEEK))
    assert second.computed == 0
    for a, b, c in zip(expected, got, again, strict=True):
        assert a.equals(b) and a.equals(c)


def test_an_import_makes_them_be_worked_out_again(store_copy: Store, tmp_path: Path) -> None:
    with Metrics(_shared(store_copy)) as m:
        before = m.rates(["branch"], Period.week(WEEK))
    branch = before["branch_id"][0]
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "transactions.csv").write_text(
        "txn_id,branch_id,ts,business_code,channel,staff_id,visit_id,customer_id,reason,"
        "duration_s\n"
        f"LATE-1,{branch},2018-03-06 10:00:00,online_banking_signup,stm,,,,,60\n",
        encoding="utf-8",
    )
    report = ingest_paths(
        store_copy.root,
        [extra],
        timezone="Asia/Shanghai",
        catalogue=load_catalogue(),
        options=IngestOptions(),
    )
    assert report.rejected == 0
    after_import = _shared(Store.open(store_copy.root))
    with Metrics(after_import) as m:
        after = m.rates(["branch"], Period.week(WEEK))
    assert after_import.computed == 1
    row = pl.col("branch_id") == branch
    assert after.filter(row)["migrated"][0] == before.filter(row)["migrated"][0] + 1


def test_many_asking_at_once_make_one_computation(store_copy: Store) -> None:
    engines = [_shared(store_copy) for _ in range(8)]
    answers: list[pl.DataFrame] = []
    start = threading.Barrier(len(engines))

    def ask(engine: SharedResults) -> None:
        start.wait()
        answers.append(Metrics(engine).trend(WEEK, 8, ["branch"]))

    threads = [threading.Thread(target=ask, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(e.computed for e in engines) == 1
    assert len(answers) == 8 and all(a.equals(answers[0]) for a in answers)
    for e in engines:
        e.close()


def test_after_warming_every_branch_dashboard_is_a_lookup(
    store_copy: Store, settings: Settings
) -> None:
    local = settings.model_copy(update={"store": store_copy.root})
    assert service.warm_dashboards(store_copy, local) > 0
    assert service.warm_dashboards(store_copy, local) == 0
    shared._memory.clear()
    branches = read_table(store_copy, "branches")["branch_id"].to_list()
    for branch in branches[:: max(1, len(branches) // 5)]:
        with service.shared_metrics(store_copy, local) as m:
            view = service.branch_dashboard(
                store=store_copy,
                settings=local,
                actor=system_actor(),
                branch_id=branch,
                lang="zh",
                metrics=m,
            )
            assert isinstance(m.engine, SharedResults)
            assert m.engine.computed == 0, branch
        assert view.branch.branch_id == branch
