"""Hand-made stores for the metrics tests: CSV text in, the real import, a real store out."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from smartcounter.canonical.catalogue import load_catalogue
from smartcounter.ingest.service import IngestOptions, ingest_paths
from smartcounter.metrics import Metrics
from smartcounter.metrics.duckdb_engine import DuckDBEngine
from smartcounter.store.layout import Store

BRANCHES = """branch_id,name,region,branch_type,staff_count,smart_counters,teller_windows
B1,一号支行,镇江,urban,8,1,3
B2,二号支行,镇江,urban,6,1,2
B3,三号支行,常州,urban,7,2,2
B4,四号支行,常州,urban,9,1,3
B5,五号支行,南通,county,12,2,4
"""

TXN_HEADER = (
    "txn_id,branch_id,ts,business_code,channel,staff_id,visit_id,customer_id,reason,duration_s\n"
)

StoreBuilder = Callable[..., Store]


@pytest.fixture
def build_store(tmp_path: Path) -> StoreBuilder:
    """Import the given canonical files (name → CSV text) into a fresh store."""
    count = 0

    def build(files: dict[str, str]) -> Store:
        nonlocal count
        count += 1
        src = tmp_path / f"src{count}"
        src.mkdir()
        for name, text in files.items():
            (src / name).write_text(text, encoding="utf-8")
        root = tmp_path / f"store{count}"
        report = ingest_paths(
            root,
            [src],
            timezone="Asia/Shanghai",
            catalogue=load_catalogue(),
            options=IngestOptions(),
        )
        assert report.rejected == 0, report
        return Store.open(root)

    return build


@pytest.fixture
def metrics_of() -> Iterator[Callable[[Store], Metrics]]:
    """The metrics API on DuckDB over a store; engines are closed after the test."""
    opened: list[Metrics] = []

    def make(store: Store) -> Metrics:
        m = Metrics(DuckDBEngine(store))
        opened.append(m)
        return m

    yield make
    for m in opened:
        m.close()


def txns(*rows: str) -> str:
    """A transactions.csv from rows written as CSV lines."""
    return TXN_HEADER + "".join(r + "\n" for r in rows)
