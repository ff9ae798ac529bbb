"""``Metrics.attainment`` (branches at the target and the shortfall): by hand, on both engines."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from smartcounter.canonical.catalogue import load_catalogue
from smartcounter.ingest.service import IngestOptions, ingest_paths
from smartcounter.metrics import Metrics, Period, UnknownKeyError, open_metrics
from smartcounter.settings import load_settings
from smartcounter.store.layout import Store

BRANCHES = """branch_id,name,region,branch_type,staff_count,smart_counters,teller_windows
B1,一号支行,镇江,urban,8,1,3
B2,二号支行,镇江,urban,6,1,2
B3,三号支行,常州,county,7,2,2
B4,四号支行,常州,county,9,1,3
B5,五号支行,南通,office,12,2,4
"""


def _txns(branch: str, migratable: int, migrated: int, other: int = 0) -> list[str]:
    rows = []
    for i in range(migratable):
        channel = "stm" if i < migrated else "teller"
        rows.append(f"{branch}-{i},{branch},2018-03-06 10:00:00,transfer,{channel}")
    rows += [
        f"{branch}-c{i},{branch},2018-03-06 11:00:00,cash_deposit,teller" for i in range(other)
    ]
    return rows


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    base = tmp_path_factory.mktemp("attainment")
    src = base / "csv"
    src.mkdir()
    (src / "branches.csv").write_text(BRANCHES, encoding="utf-8")
    rows = [
        *_txns("B1", 10, 9),  # 90 % exactly: at a 90 % target
        *_txns("B2", 10, 8),  # one short
        *_txns("B3", 3, 0),  # 2.7 short: three
        *_txns("B4", 0, 0, other=5),  # nothing migratable: not counted
        *_txns("B5", 100, 90),  # 0.9 x 100 is 90.00000000000001 in floating point: still at target
    ]
    (src / "transactions.csv").write_text(
        "txn_id,branch_id,ts,business_code,channel\n" + "\n".join(rows) + "\n", encoding="utf-8"
    )
    root = base / "store"
    ingest_paths(
        root, [src], timezone="Asia/Shanghai", catalogue=load_catalogue(), options=IngestOptions()
    )
    return Store.open(root)


@pytest.fixture(scope="module", params=["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def metrics(request: pytest.FixtureRequest, store: Store) -> Iterator[Metrics]:
    m = open_metrics(store, load_settings(store=store.root), request.param)
    yield m
    m.close()


WEEK = Period.week("2018-W10")


class TestAttainment:
    def test_network(self, metrics: Metrics) -> None:
        row = metrics.attainment(0.9, WEEK).row(0, named=True)
        assert (row["branches"], row["at_target"], row["shortfall"]) == (4, 2, 4)
        assert row["share_at_target"] == pytest.approx(0.5)

    def test_per_branch(self, metrics: Metrics) -> None:
        frame = metrics.attainment(0.9, WEEK, ["branch"])
        got = {
            r["branch_id"]: (r["at_target"], r["shortfall"]) for r in frame.iter_rows(named=True)
        }
        assert got == {"B1": (1, 0), "B2": (0, 1), "B3": (0, 3), "B5": (1, 0)}

    def test_per_peer_group_and_region(self, metrics: Metrics) -> None:
        frame = metrics.attainment(0.95, WEEK, ["region", "branch_type"])
        got = {
            (r["region"], r["branch_type"]): (r["branches"], r["at_target"], r["shortfall"])
            for r in frame.iter_rows(named=True)
        }
        # At 95 %: B1 needs 1 (9.5), B2 needs 2, B3 needs 3 (2.85), B5 needs 5.
        assert got == {
            ("镇江", "urban"): (2, 0, 3),
            ("常州", "county"): (1, 0, 3),
            ("南通", "office"): (1, 0, 5),
        }

    def test_no_business_no_branches(self, metrics: Metrics) -> None:
        row = metrics.attainment(0.9, Period.week("2018-W20")).row(0, named=True)
        assert row["branches"] == 0 and row["share_at_target"] is None

    def test_only_branch_level_keys(self, metrics: Metrics) -> None:
        with pytest.raises(UnknownKeyError):
            metrics.attainment(0.9, WEEK, ["hour"])


def test_a_target_outside_zero_to_one_is_refused(store: Store, tmp_path: Path) -> None:
    with open_metrics(store, load_settings(store=store.root)) as m, pytest.raises(ValueError):
        m.attainment(1.5, WEEK)
