"""The value formats of data-format.md: both timestamp forms, ISO 8601 offsets, booleans."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from tests.ingest.ingest_kit import (
    BRANCHES,
    Ingest,
    Stored,
    WriteFolder,
    file_report,
    txn,
    txns,
)

# Written → the branch's local time (Asia/Shanghai, UTC+8) it stands for.
TIMES = [
    ("2018-03-05 09:10:11", datetime(2018, 3, 5, 9, 10, 11)),
    ("2018-03-05T09:10:11", datetime(2018, 3, 5, 9, 10, 11)),
    ("2018-03-05T09:10:11.250", datetime(2018, 3, 5, 9, 10, 11, 250000)),
    ("2018-03-05 09:10:11.5", datetime(2018, 3, 5, 9, 10, 11, 500000)),
    ("2018-03-05T09:10", datetime(2018, 3, 5, 9, 10)),
    ("2018-3-5 9:10:11", datetime(2018, 3, 5, 9, 10, 11)),
    ("2018-03-05T09:10:11+08:00", datetime(2018, 3, 5, 9, 10, 11)),
    ("2018-03-05T01:10:11Z", datetime(2018, 3, 5, 9, 10, 11)),
    ("2018-03-05T01:10:11z", datetime(2018, 3, 5, 9, 10, 11)),
    ("2018-03-05T10:10:11+09:00", datetime(2018, 3, 5, 9, 10, 11)),
    ("2018-03-04T20:10:11-0500", datetime(2018, 3, 5, 9, 10, 11)),
    ("2018-03-05T06:40:11+05:30", datetime(2018, 3, 5, 9, 10, 11)),
    ("2018-03-05 01:10:11+00", datetime(2018, 3, 5, 9, 10, 11)),
    ("2018-03-05T09:10:11.123456+08:00", datetime(2018, 3, 5, 9, 10, 11, 123456)),
]


class TestTimestamps:
    @pytest.mark.parametrize(("written", "local"), TIMES)
    def test_one_form_per_file(
        self,
        ingest: Ingest,
        write_folder: WriteFolder,
        stored: Stored,
        written: str,
        local: datetime,
    ) -> None:
        body = txns(txn(ts=written))
        report = ingest(write_folder({"branches.csv": BRANCHES, "transactions.csv": body}))
        assert report.rejected == 0
        assert stored("transactions").get_column("ts").to_list() == [local]

    def test_every_form_in_one_file(
        self, ingest: Ingest, write_folder: WriteFolder, stored: Stored
    ) -> None:
        rows = [txn(txn_id=f"T{i:02d}", ts=w) for i, (w, _) in enumerate(TIMES)]
        report = ingest(write_folder({"branches.csv": BRANCHES, "transactions.csv": txns(*rows)}))
        assert report.rejected == 0
        got = stored("transactions").sort("txn_id").get_column("ts").to_list()
        assert got == [local for _, local in TIMES]

    def test_period_columns_follow_local_time(
        self, ingest: Ingest, write_folder: WriteFolder, stored: Stored
    ) -> None:
        # 2018-03-04 17:30 UTC is Monday 2018-03-05 01:30 in Shanghai: ISO week 10.
        body = txns(txn(ts="2018-03-04T17:30:00Z"), txn(txn_id="T2", ts="2018-12-31 23:59:59"))
        ingest(write_folder({"branches.csv": BRANCHES, "transactions.csv": body}))
        rows = stored("transactions").sort("txn_id")
        assert rows.get_column("day").cast(pl.String).to_list() == ["2018-03-05", "2018-12-31"]
        assert rows.get_column("hour").to_list() == [1, 23]
        assert rows.get_column("month").to_list() == ["2018-03", "2018-12"]
        assert rows.get_column("quarter").to_list() == ["2018-Q1", "2018-Q4"]

    def test_iso_week_partitions(
        self, ingest: Ingest, write_folder: WriteFolder, store: Path
    ) -> None:
        # 2018-12-31 is a Monday of ISO week 2019-W01; 2018-01-01 of 2018-W01.
        body = txns(
            txn(txn_id="T1", ts="2018-12-31 10:00:00"), txn(txn_id="T2", ts="2018-01-01 10:00:00")
        )
        ingest(write_folder({"branches.csv": BRANCHES, "transactions.csv": body}))
        root = store / "tables" / "transactions"
        assert sorted(p.name for p in root.iterdir()) == ["week=2018-W01", "week=2019-W01"]


class TestBooleans:
    @pytest.mark.parametrize(
        ("written", "value"),
        [
            ("true", True),
            ("TRUE", True),
            ("True", True),
            ("1", True),
            ("yes", True),
            ("YES", True),
            ("是", True),
            (" yes ", True),
            ("false", False),
            ("False", False),
            ("0", False),
            ("no", False),
            ("No", False),
            ("否", False),
        ],
    )
    def test_spellings(
        self, ingest: Ingest, write_folder: WriteFolder, stored: Stored, written: str, value: bool
    ) -> None:
        body = f"code,name_zh,migratable,cash\nnew_code,新业务,{written},{written}\n"
        report = ingest(write_folder({"business_types.csv": body}))
        assert file_report(report, "business_types").imported == 1
        row = stored("business_types").filter(pl.col("code") == "new_code").row(0, named=True)
        assert (row["migratable"], row["cash"]) == (value, value)
