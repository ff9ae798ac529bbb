"""Each kind of bad value is rejected with a reason, its column, its value and its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ingest.ingest_kit import (
    BRANCHES,
    STAFF,
    TRIAGE_HEADER,
    VISITS_HEADER,
    Ingest,
    ReadRejects,
    TableRows,
    WriteFolder,
    accounted,
    file_report,
    txn,
    txns,
)

# (table, header, good line, bad line, column, value, words of the reason)
CASES = [
    # transactions: every column with a type or a rule
    ("transactions", "ts", "2018-13-05 09:00:00", "not a valid time"),
    ("transactions", "ts", "2018-02-30 09:00:00", "not a valid time"),
    ("transactions", "ts", "yesterday", "not a valid time"),
    ("transactions", "ts", "2018-03-05", "not a valid time"),
    ("transactions", "ts", "2018-03-05 24:00:00", "not a valid time"),
    ("transactions", "ts", "2018-03-05 09:00:60", "not a valid time"),
    ("transactions", "ts", "05/03/2018 09:00:00", "not a valid time"),
    ("transactions", "ts", "2018-03-05 09:00:00+25:00", "not a valid time"),
    ("transactions", "business_code", "nope", "not in the catalogue"),
    ("transactions", "channel", "bus", "not one of stm | teller"),
    ("transactions", "reason", "lazy", "reason code"),
    ("transactions", "duration_s", "abc", "must be a number"),
    ("transactions", "duration_s", "1,5", "must be a number"),
    ("transactions", "duration_s", "inf", "must be a number"),
    ("transactions", "duration_s", "NaN", "must be a number"),
    ("transactions", "duration_s", "-1", "at least 0"),
    ("transactions", "branch_id", "B999", "does not exist"),
    ("transactions", "txn_id", "", "required field txn_id is empty"),
    ("transactions", "branch_id", "", "required field branch_id is empty"),
    ("transactions", "ts", "", "required field ts is empty"),
    ("transactions", "business_code", "", "required field business_code is empty"),
    ("transactions", "channel", "   ", "required field channel is empty"),
]

BRANCH_CASES = [
    ("branch_type", "bank", "not one of urban | office | micro | county"),
    ("staff_count", "0", "at least 1"),
    ("staff_count", "1.5", "whole number"),
    ("staff_count", "many", "whole number"),
    ("smart_counters", "-1", "at least 0"),
    ("teller_windows", "x", "whole number"),
    ("name", "", "required field name is empty"),
]

TRIAGE_CASES = [
    ("stage", "4", "at most 3"),
    ("stage", "0", "at least 1"),
    ("stage", "two", "whole number"),
    ("outcome", "maybe", "not one of accepted | declined"),
    ("reason", "x", "reason code"),
    ("ts", "2018-03-05T25:00:00", "not a valid time"),
    ("visit_id", "", "required field visit_id is empty"),
]

VISIT_CASES = [
    ("issued_at", "soon", "not a valid time"),
    ("called_at", "2018-03-05 9h", "not a valid time"),
    ("intent", "card_eat", "not in the catalogue"),
    ("age_band", "20-30", "not one of <30 | 30-44 | 45-59 | 60+"),
    ("customer_tier", "vip", "not one of mass | affluent | private"),
    ("branch_id", "B404", "does not exist"),
]


def _one_bad_line(
    ingest: Ingest,
    write_folder: WriteFolder,
    read_rejects: ReadRejects,
    files: dict[str, str],
    table: str,
) -> dict[str, str]:
    report = ingest(write_folder(files))
    counts = file_report(report, table)
    assert (counts.read, counts.imported, counts.rejected) == (3, 2, 1)
    assert accounted(counts)
    assert report.rejects_path is not None
    (row,) = read_rejects(report.rejects_path)
    assert row["file"].endswith(f"{table}.csv")
    return row


def _csv_value(value: str) -> str:
    return f'"{value}"' if "," in value else value


class TestTransactionValues:
    @pytest.mark.parametrize(("table", "column", "value", "reason"), CASES)
    def test_rejected_with_reason_column_value_and_line(
        self,
        ingest: Ingest,
        write_folder: WriteFolder,
        read_rejects: ReadRejects,
        table: str,
        column: str,
        value: str,
        reason: str,
    ) -> None:
        bad = {"txn_id": "T2", column: _csv_value(value)}
        body = txns(txn(txn_id="T1"), txn(**bad), txn(txn_id="T3"))
        files = {"branches.csv": BRANCHES, "staff.csv": STAFF, "transactions.csv": body}
        row = _one_bad_line(ingest, write_folder, read_rejects, files, table)
        assert row["line"] == "3"
        assert row["column"] == column
        assert row["value"] == value
        assert reason in row["reason"]

    def test_a_rejected_row_is_not_stored(
        self, ingest: Ingest, write_folder: WriteFolder, store: Path, table_rows: TableRows
    ) -> None:
        body = txns(txn(txn_id="T1"), txn(txn_id="T2", channel="bus"), txn(txn_id="T3"))
        ingest(write_folder({"branches.csv": BRANCHES, "transactions.csv": body}))
        assert table_rows(store, "transactions").get_column("txn_id").to_list() == ["T1", "T3"]

    def test_the_first_failing_column_is_named(
        self, ingest: Ingest, write_folder: WriteFolder, read_rejects: ReadRejects
    ) -> None:
        bad = txn(txn_id="T2", branch_id="B999", channel="bus", duration_s="-5")
        files = {"branches.csv": BRANCHES, "transactions.csv": txns(txn(), bad, txn(txn_id="T3"))}
        row = _one_bad_line(ingest, write_folder, read_rejects, files, "transactions")
        assert row["column"] == "branch_id"

    def test_padded_and_other_case_values_are_read(
        self, ingest: Ingest, write_folder: WriteFolder, store: Path, table_rows: TableRows
    ) -> None:
        row = txn(
            txn_id=" T9 ",
            branch_id="B001 ",
            channel="Teller",
            reason=" Elderly_Unable",
            business_code="CARD_OPEN",
        )
        report = ingest(write_folder({"branches.csv": BRANCHES, "transactions.csv": txns(row)}))
        assert report.rejected == 0
        stored = table_rows(store, "transactions").row(0, named=True)
        assert (stored["txn_id"], stored["branch_id"]) == ("T9", "B001")
        assert (stored["channel"], stored["reason"]) == ("teller", "elderly_unable")
        assert stored["business_code"] == "card_open"


class TestReferenceTableValues:
    @pytest.mark.parametrize(("column", "value", "reason"), BRANCH_CASES)
    def test_branches(
        self,
        ingest: Ingest,
        write_folder: WriteFolder,
        read_rejects: ReadRejects,
        column: str,
        value: str,
        reason: str,
    ) -> None:
        header = "branch_id,name,region,branch_type,staff_count,smart_counters,teller_windows"
        good = {
            "branch_id": "B1",
            "name": "一号",
            "region": "镇江",
            "branch_type": "urban",
            "staff_count": "5",
            "smart_counters": "1",
            "teller_windows": "2",
        }

        def line(branch_id: str, **changes: str) -> str:
            row = {**good, "branch_id": branch_id, **changes}
            return ",".join(row[c] for c in header.split(","))

        body = "\n".join([header, line("B1"), line("B2", **{column: value}), line("B3")]) + "\n"
        row = _one_bad_line(ingest, write_folder, read_rejects, {"branches.csv": body}, "branches")
        assert (row["line"], row["column"], row["value"]) == ("3", column, value)
        assert reason in row["reason"]

    def test_staff_role_and_branch(
        self, ingest: Ingest, write_folder: WriteFolder, read_rejects: ReadRejects
    ) -> None:
        staff = (
            "staff_id,branch_id,name,role\nS1,B001,a,teller\nS2,B001,b,boss\nS3,B404,c,greeter\n"
        )
        report = ingest(write_folder({"branches.csv": BRANCHES, "staff.csv": staff}))
        assert file_report(report, "staff").rejected == 2
        assert report.rejects_path is not None
        rows = read_rejects(report.rejects_path)
        assert [(r["line"], r["column"], r["value"]) for r in rows] == [
            ("3", "role", "boss"),
            ("4", "branch_id", "B404"),
        ]

    @pytest.mark.parametrize("value", ["maybe", "2", "真", "y"])
    def test_business_type_booleans(
        self, ingest: Ingest, write_folder: WriteFolder, read_rejects: ReadRejects, value: str
    ) -> None:
        body = (
            "code,name_zh,migratable,cash\n"
            "a_code,甲,true,false\n"
            f"b_code,乙,{value},false\n"
            "c_code,丙,false,true\n"
        )
        row = _one_bad_line(
            ingest, write_folder, read_rejects, {"business_types.csv": body}, "business_types"
        )
        assert (row["line"], row["column"], row["value"]) == ("3", "migratable", value)
        assert "true/false" in row["reason"]


class TestEventTableValues:
    @pytest.mark.parametrize(("column", "value", "reason"), TRIAGE_CASES)
    def test_triage(
        self,
        ingest: Ingest,
        write_folder: WriteFolder,
        read_rejects: ReadRejects,
        column: str,
        value: str,
        reason: str,
    ) -> None:
        good = {
            "visit_id": "V1",
            "stage": "1",
            "staff_id": "S01",
            "ts": "2018-03-05 09:00:00",
            "outcome": "declined",
            "reason": "customer_declined",
        }

        def line(**changes: str) -> str:
            row = {**good, **changes}
            return ",".join(row[c] for c in TRIAGE_HEADER.strip().split(","))

        bad = line(**{"stage": "2", column: value})
        body = TRIAGE_HEADER + "\n".join([line(stage="1"), bad, line(stage="3")])
        body += "\n"
        files = {"branches.csv": BRANCHES, "staff.csv": STAFF, "triage.csv": body}
        row = _one_bad_line(ingest, write_folder, read_rejects, files, "triage")
        assert (row["line"], row["column"], row["value"]) == ("3", column, value)
        assert reason in row["reason"]

    @pytest.mark.parametrize(("column", "value", "reason"), VISIT_CASES)
    def test_visits(
        self,
        ingest: Ingest,
        write_folder: WriteFolder,
        read_rejects: ReadRejects,
        column: str,
        value: str,
        reason: str,
    ) -> None:
        good = {
            "visit_id": "V1",
            "branch_id": "B001",
            "issued_at": "2018-03-05 09:00:00",
            "ticket_no": "A001",
            "intent": "card_open",
            "customer_id": "C1",
            "age_band": "60+",
            "customer_tier": "mass",
            "called_at": "2018-03-05 09:05:00",
            "finished_at": "2018-03-05T09:15:00",
        }

        def line(visit_id: str, **changes: str) -> str:
            row = {**good, "visit_id": visit_id, **changes}
            return ",".join(row[c] for c in VISITS_HEADER.strip().split(","))

        body = VISITS_HEADER + "\n".join([line("V1"), line("V2", **{column: value}), line("V3")])
        body += "\n"
        files = {"branches.csv": BRANCHES, "visits.csv": body}
        row = _one_bad_line(ingest, write_folder, read_rejects, files, "visits")
        assert (row["line"], row["column"], row["value"]) == ("3", column, value)
        assert reason in row["reason"]
