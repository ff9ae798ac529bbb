"""The ids an import keeps on disk while it reconciles come back exactly, by position."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal

from smartcounter.ingest.id_spill import IdSpill


def _triage_ids(first: int, n: int) -> pl.DataFrame:
    """Ids of triage rows (visit, stage, time): text, integer and timestamp together."""
    return pl.DataFrame(
        {
            "visit_id": [f"DY-XSK-20180305-A{i:04d}-长" for i in range(first, first + n)],
            "stage": [1 + i % 3 for i in range(first, first + n)],
            "ts": [datetime(2018, 3, 5, 9, i % 60, i % 60) for i in range(first, first + n)],
        },
        schema={"visit_id": pl.String, "stage": pl.Int64, "ts": pl.Datetime("us")},
    )


def test_ids_come_back_in_the_order_asked_with_their_types(tmp_path: Path) -> None:
    spill = IdSpill(tmp_path / "ids.arrow")
    batches = [_triage_ids(0, 5), _triage_ids(5, 0), _triage_ids(5, 7)]
    for batch in batches:
        spill.add(batch)
    spill.close()
    every = pl.concat(batches)
    assert spill.rows == every.height == 12
    wanted = pl.Series("_i", [11, 0, 6, 6, 3], dtype=pl.UInt32)
    assert_frame_equal(spill.gather(wanted), every[wanted.to_list()])
    # Every id in order (a store holding the rows' weeks: all are compared) is read whole.
    assert_frame_equal(spill.gather(pl.Series("_i", range(12), dtype=pl.UInt32)), every)
    backwards = pl.Series("_i", list(range(11, -1, -1)), dtype=pl.UInt32)
    assert_frame_equal(spill.gather(backwards), every.reverse())


def test_rows_get_their_ids_in_front(tmp_path: Path) -> None:
    spill = IdSpill(tmp_path / "ids.arrow")
    spill.add(_triage_ids(0, 4))
    spill.close()
    rows = pl.DataFrame({"_k": [7, 9], "_i": [3, 1]}, schema={"_k": pl.UInt64, "_i": pl.UInt32})
    attached = spill.attach(rows, "_i")
    assert attached.columns == ["visit_id", "stage", "ts", "_k", "_i"]
    assert attached["visit_id"].to_list() == [
        "DY-XSK-20180305-A0003-长",
        "DY-XSK-20180305-A0001-长",
    ]


def test_nothing_asked_or_nothing_written_gives_no_rows_of_the_ids_types(
    tmp_path: Path,
) -> None:
    spill = IdSpill(tmp_path / "ids.arrow")
    spill.add(_triage_ids(0, 0))
    spill.close()
    assert not (tmp_path / "ids.arrow").exists()
    none = spill.gather(pl.Series("_i", [], dtype=pl.UInt32))
    assert none.schema == _triage_ids(0, 0).schema
    assert none.height == 0
