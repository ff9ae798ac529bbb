"""A file read in many batches, checked several at a time, reads as if row by row in order."""

from __future__ import annotations

from tests.ingest.ingest_kit import (
    BRANCHES,
    Ingest,
    ReadRejects,
    Stored,
    WriteFolder,
    accounted,
    file_report,
    txn,
    txns,
)

ROWS = 100_000  # some 10 MB: several of the reader's blocks, checked at once


def test_counts_rejects_and_first_rows_follow_the_file_order(
    ingest: Ingest, write_folder: WriteFolder, read_rejects: ReadRejects, stored: Stored
) -> None:
    lines = []
    expected: list[tuple[str, str, str]] = []
    for i in range(ROWS):
        line = i + 2  # the header is line 1
        if i % 9_001 == 4:
            lines.append(txn(txn_id=f"T{i}", channel="bus"))
            expected.append((str(line), "channel", "bus"))
        elif i == ROWS - 3:
            # The first row's id again, other content, in a later batch: a conflict
            # naming the first row's line.
            lines.append(txn(txn_id="T0", channel="teller"))
            expected.append((str(line), "txn_id", "T0"))
        elif i == ROWS - 2:
            lines.append(txn(txn_id="T1"))  # the second row again, alike: skipped
        else:
            lines.append(txn(txn_id=f"T{i}"))
    report = ingest(write_folder({"branches.csv": BRANCHES, "transactions.csv": txns(*lines)}))
    counts = file_report(report, "transactions")
    assert accounted(counts)
    assert (counts.read, counts.skipped, counts.rejected) == (ROWS, 1, len(expected))
    assert counts.imported == ROWS - 1 - len(expected)
    assert report.rejects_path is not None
    rows = read_rejects(report.rejects_path)
    assert [(r["line"], r["column"], r["value"]) for r in rows] == expected
    assert "line 2 of" in rows[-1]["reason"]
    kept = stored("transactions")
    assert kept.height == counts.imported
    first = kept.filter(kept.get_column("txn_id") == "T0")
    assert first.get_column("channel").to_list() == ["stm"]
