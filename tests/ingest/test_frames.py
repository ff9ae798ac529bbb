"""Rows already in memory (the generator, the lobby's close of day) take the same path."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from smartcounter.canonical.catalogue import load_catalogue
from smartcounter.canonical.tables import BRANCHES, TRANSACTIONS
from smartcounter.i18n import Lang
from smartcounter.ingest.report import ImportReport
from smartcounter.ingest.service import IngestOptions, Source, frame_source, ingest_sources
from smartcounter.store.layout import Store
from tests.ingest.ingest_kit import ReadRejects, Stored


def _import(store: Path, *sources: Source) -> ImportReport:
    return ingest_sources(
        Store.open_or_create(store, timezone="Asia/Shanghai"),
        list(sources),
        catalogue=load_catalogue(),
        options=IngestOptions(lang=Lang.EN),
    )


class TestFrameSource:
    def test_typed_and_text_columns_are_checked_alike(
        self, store: Path, stored: Stored, read_rejects: ReadRejects
    ) -> None:
        branches = pl.DataFrame({"branch_id": ["B1"], "name": ["一"], "branch_type": ["urban"]})
        txns = pl.DataFrame(
            {
                "txn_id": ["T1", "T2", "T3"],
                "branch_id": ["B1", "B1", "B9"],
                "ts": [
                    datetime(2018, 3, 5, 9, 0),
                    datetime(2018, 3, 5, 1, 0, tzinfo=UTC),
                    datetime(2018, 3, 5, 9, 0),
                ],
                "business_code": ["card_open", "cash_deposit", "card_open"],
                "channel": ["stm", "teller", "stm"],
                "duration_s": [60.5, None, 3.0],
            },
            schema_overrides={"ts": pl.Datetime("us", "UTC")},
        )
        report = _import(
            store,
            frame_source("lobby:branches", BRANCHES, branches),
            frame_source("lobby:transactions", TRANSACTIONS, txns),
        )
        files = report.files
        assert [(f.read, f.imported, f.rejected) for f in files] == [(1, 1, 0), (3, 2, 1)]
        rows = stored("transactions").sort("txn_id")
        # A time with a zone becomes the branch's local time.
        assert rows.get_column("ts").to_list() == [
            datetime(2018, 3, 5, 17, 0),
            datetime(2018, 3, 5, 9, 0),
        ]
        assert report.rejects_path is not None
        (reject,) = read_rejects(report.rejects_path)
        assert (reject["file"], reject["line"], reject["column"]) == (
            "lobby:transactions",
            "4",
            "branch_id",
        )

    def test_large_frames_go_in_slices(self, store: Path, stored: Stored) -> None:
        n = 600_000
        branches = pl.DataFrame({"branch_id": ["B1"], "name": ["一"], "branch_type": ["urban"]})
        txns = pl.DataFrame(
            {
                "txn_id": [f"T{i}" for i in range(n)],
                "branch_id": "B1",
                "ts": "2018-03-05 09:00:00",
                "business_code": "card_open",
                "channel": "stm",
            }
        )
        report = _import(
            store,
            frame_source("b", BRANCHES, branches),
            frame_source("t", TRANSACTIONS, txns),
        )
        assert report.files[1].imported == n
        assert stored("transactions").height == n
