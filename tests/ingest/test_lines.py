"""A rejected row is named by the line it starts on; the header is line 1.

Blank lines are no rows but still lines; a quoted value may hold line breaks, so one
row may span several lines.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from smartcounter.canonical.tables import TRANSACTIONS
from smartcounter.ingest.sources import (
    REC,
    ReadTally,
    SourceFile,
    line_map,
    open_file,
    read_batches,
)
from tests.ingest.ingest_kit import (
    BRANCHES,
    TXN_HEADER,
    Ingest,
    ReadRejects,
    Stored,
    WriteFolder,
    accounted,
    file_report,
    txn,
)


def _rejects(
    ingest: Ingest, write_folder: WriteFolder, read_rejects: ReadRejects, body: str | bytes
) -> list[tuple[str, str, str]]:
    report = ingest(write_folder({"branches.csv": BRANCHES, "transactions.csv": body}))
    assert accounted(file_report(report, "transactions"))
    if report.rejects_path is None:
        return []
    return [(r["line"], r["column"], r["value"]) for r in read_rejects(report.rejects_path)]


class TestLineNumbers:
    def test_header_is_line_one(
        self, ingest: Ingest, write_folder: WriteFolder, read_rejects: ReadRejects
    ) -> None:
        body = TXN_HEADER + txn(channel="bus") + "\n"
        assert _rejects(ingest, write_folder, read_rejects, body) == [("2", "channel", "bus")]

    def test_blank_lines_count_as_lines_not_rows(
        self, ingest: Ingest, write_folder: WriteFolder, read_rejects: ReadRejects
    ) -> None:
        body = (
            TXN_HEADER
            + "\n"  # line 2
            + txn(txn_id="T1")  # line 3
            + "\n\n\n"  # lines 4-5 blank
            + txn(txn_id="T2", channel="bus")  # line 6
            + "\n"
            + txn(txn_id="T3", channel="car")  # line 7
            + "\n\n"
        )
        report = ingest(write_folder({"branches.csv": BRANCHES, "transactions.csv": body}))
        counts = file_report(report, "transactions")
        assert (counts.read, counts.imported, counts.rejected) == (3, 1, 2)
        assert _rejects(ingest, write_folder, read_rejects, body) == [
            ("6", "channel", "bus"),
            ("7", "channel", "car"),
        ]

    def test_quoted_values_over_several_lines(
        self, ingest: Ingest, write_folder: WriteFolder, read_rejects: ReadRejects
    ) -> None:
        body = (
            TXN_HEADER
            + txn(txn_id="T1", customer_id='"first\nsecond\nthird"')  # lines 2-4
            + "\n"
            + txn(txn_id="T2", channel="bus")  # line 5
            + "\n"
            + txn(txn_id="T3", customer_id='"a ""quoted""\n\nvalue"', channel="car")  # 6-8
            + "\n"
            + txn(txn_id="T4", duration_s="x")  # line 9
            + "\n"
        )
        assert _rejects(ingest, write_folder, read_rejects, body) == [
            ("5", "channel", "bus"),
            ("6", "channel", "car"),
            ("9", "duration_s", "x"),
        ]

    def test_a_multi_line_value_is_stored_whole(
        self, ingest: Ingest, write_folder: WriteFolder, stored: Stored
    ) -> None:
        body = TXN_HEADER + txn(customer_id='"line one\r\nline two, with a comma"') + "\n"
        ingest(write_folder({"branches.csv": BRANCHES, "transactions.csv": body}))
        (value,) = stored("transactions").get_column("customer_id").to_list()
        assert value == "line one\r\nline two, with a comma"

    def test_a_stray_quote_inside_a_value(
        self, ingest: Ingest, write_folder: WriteFolder, read_rejects: ReadRejects
    ) -> None:
        # A quote in the middle of an unquoted value is just a character; it must not
        # throw the line count of the rows after it off.
        body = (
            TXN_HEADER
            + txn(txn_id="T1", customer_id='12"3')
            + "\n\n"
            + txn(txn_id="T2", customer_id='"x\ny"')
            + "\n"
            + txn(txn_id="T3", channel="bus")  # line 6
            + "\n"
        )
        assert _rejects(ingest, write_folder, read_rejects, body) == [("6", "channel", "bus")]

    def test_windows_line_breaks(
        self, ingest: Ingest, write_folder: WriteFolder, read_rejects: ReadRejects
    ) -> None:
        lines = [TXN_HEADER.strip(), txn(txn_id="T1"), "", txn(txn_id="T2", channel="bus")]
        body = "\r\n".join(lines) + "\r\n"
        assert _rejects(ingest, write_folder, read_rejects, body) == [("4", "channel", "bus")]

    def test_blank_lines_and_multi_line_values_together_in_a_large_file(
        self, ingest: Ingest, write_folder: WriteFolder, read_rejects: ReadRejects
    ) -> None:
        # Large enough for several read blocks: numbering must carry across them.
        parts = [TXN_HEADER]
        line = 2
        expected = []
        for i in range(60_000):
            if i % 997 == 0:
                parts.append("\n")
                line += 1
            if i % 1499 == 0:
                parts.append(txn(txn_id=f"T{i}", customer_id='"two\nlines"') + "\n")
                line += 2
                continue
            if i % 7919 == 0:
                parts.append(txn(txn_id=f"T{i}", channel="bus") + "\n")
                expected.append((str(line), "channel", "bus"))
                line += 1
                continue
            parts.append(txn(txn_id=f"T{i}") + "\n")
            line += 1
        body = "".join(parts)
        assert _rejects(ingest, write_folder, read_rejects, body) == expected


class TestMalformedRows:
    def test_too_many_and_too_few_fields(
        self, ingest: Ingest, write_folder: WriteFolder, read_rejects: ReadRejects
    ) -> None:
        body = (
            TXN_HEADER
            + txn(txn_id="T1")
            + "\n"
            + txn(txn_id="T2")
            + ",extra\n"  # line 3: 11 fields
            + "\n"
            + "T3,B001,2018-03-05 09:00:00\n"  # line 5: 3 fields
            + txn(txn_id="T4")
            + "\n"
        )
        report = ingest(write_folder({"branches.csv": BRANCHES, "transactions.csv": body}))
        counts = file_report(report, "transactions")
        assert (counts.read, counts.imported, counts.rejected) == (4, 2, 2)
        assert report.rejects_path is not None
        rows = read_rejects(report.rejects_path)
        assert [(r["line"], r["column"]) for r in rows] == [("3", ""), ("5", "")]
        assert "11 fields" in rows[0]["reason"]
        assert "3 fields" in rows[1]["reason"]
        assert rows[1]["value"] == "T3,B001,2018-03-05 09:00:00"

    def test_a_quote_never_closed(
        self, ingest: Ingest, write_folder: WriteFolder, read_rejects: ReadRejects
    ) -> None:
        body = (
            TXN_HEADER
            + txn(txn_id="T1")
            + "\n"
            + txn(txn_id="T2", customer_id='"open')
            + "\n"
            + txn(txn_id="T3")
            + "\n"
        )
        report = ingest(write_folder({"branches.csv": BRANCHES, "transactions.csv": body}))
        counts = file_report(report, "transactions")
        assert counts.imported == 1
        assert accounted(counts)
        assert report.rejects_path is not None
        (row,) = read_rejects(report.rejects_path)
        assert row["line"] == "3"
        assert "quote" in row["reason"]

    def test_a_quote_never_closed_in_the_last_column_swallows_no_row_silently(
        self, ingest: Ingest, write_folder: WriteFolder, read_rejects: ReadRejects, stored: Stored
    ) -> None:
        # The open quote runs to the end of the file: the parser reads T3 and T4 as one
        # row whose last value holds T4's line. T3 is rejected for it, not stored so.
        header = "txn_id,branch_id,ts,business_code,channel,customer_id\n"
        body = (
            header
            + 'T1,B001,2018-03-05 09:00:00,card_open,stm,ab"c\n'  # a stray quote: a character
            + 'T2,B001,2018-03-05 09:00:00,card_open,stm,"a\nb"\n'  # a value over two lines
            + 'T3,B001,2018-03-05 09:00:00,card_open,stm,"never closed\n'  # line 5
            + "T4,B001,2018-03-05 09:00:00,card_open,stm,x\n"
        )
        report = ingest(write_folder({"branches.csv": BRANCHES, "transactions.csv": body}))
        counts = file_report(report, "transactions")
        assert (counts.read, counts.imported, counts.rejected) == (3, 2, 1)
        assert report.rejects_path is not None
        (row,) = read_rejects(report.rejects_path)
        assert row["line"] == "5" and "never closed" in row["reason"]
        assert "T4" in row["value"]
        rows = stored("transactions").sort("txn_id")
        assert rows.get_column("customer_id").to_list() == ['ab"c', "a\nb"]


class TestConflictLines:
    def test_a_conflict_names_the_line_of_the_first_row(
        self, ingest: Ingest, write_folder: WriteFolder, read_rejects: ReadRejects
    ) -> None:
        body = (
            TXN_HEADER
            + "\n"
            + txn(txn_id="T1", customer_id='"x\ny"')  # lines 3-4
            + "\n\n"
            + txn(txn_id="T1", channel="teller")  # line 6
            + "\n"
        )
        report = ingest(write_folder({"branches.csv": BRANCHES, "transactions.csv": body}))
        assert report.rejects_path is not None
        (row,) = read_rejects(report.rejects_path)
        assert (row["line"], row["column"], row["value"]) == ("6", "txn_id", "T1")
        assert "line 3 of" in row["reason"]
        assert row["reason"].rstrip().endswith("with other content")


class TestReadingInBlocks:
    def test_record_numbers_carry_across_blocks(self, tmp_path: Path) -> None:
        # Small blocks, many of them, with bad rows, blank lines and multi-line values
        # everywhere: every row's line must come out as written.
        parts = [TXN_HEADER]
        line = 2
        good_lines: dict[str, int] = {}
        bad_lines: list[int] = []
        for i in range(20_000):
            if i % 101 == 0:
                parts.append("\n")
                line += 1
            if i % 151 == 0:
                parts.append(txn(txn_id=f"T{i}") + ",extra\n")
                bad_lines.append(line)
                line += 1
                continue
            if i % 173 == 0:
                parts.append(txn(txn_id=f"T{i}", customer_id='"a\nb\nc"') + "\n")
                good_lines[f"T{i}"] = line
                line += 3
                continue
            parts.append(txn(txn_id=f"T{i}") + "\n")
            good_lines[f"T{i}"] = line
            line += 1
        path = tmp_path / "transactions.csv"
        path.write_text("".join(parts), encoding="utf-8")
        opened = open_file(SourceFile(path, TRANSACTIONS), tmp_path / "scratch")
        tally = ReadTally()
        ids: list[str] = []
        recs: list[int] = []
        bad_recs: list[int] = []
        for batch in read_batches(opened, tally, block_size=1 << 14):
            ids += batch.frame.get_column("txn_id").to_list()
            recs += batch.frame.get_column(REC).to_list()
            bad_recs += [b.rec for b in batch.bad]
        mapping = line_map(opened, tally)
        assert tally.records == 1 + len(good_lines) + len(bad_lines)
        found = dict(zip(ids, mapping.lines(np.array(recs)).tolist(), strict=True))
        assert found == good_lines
        assert sorted(mapping.lines(np.array(bad_recs)).tolist()) == bad_lines
