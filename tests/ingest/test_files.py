"""Whole files: unusable ones change nothing, extra columns, encodings, the catalogue file."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from smartcounter.ingest.sources import UnusableFileError
from tests.ingest.ingest_kit import (
    BRANCHES,
    STAFF,
    TXN_HEADER,
    Ingest,
    ReadRejects,
    Snapshot,
    Stored,
    TableRows,
    WriteFolder,
    file_report,
    txn,
    txns,
)

GOOD = {"branches.csv": BRANCHES, "staff.csv": STAFF, "transactions.csv": txns(txn())}


class TestUnusableFiles:
    @pytest.mark.parametrize(
        ("name", "body", "key"),
        [
            (
                "transactions.csv",
                "txn_id,branch_id,ts,channel\nT1,B001,2018-03-05 09:00:00,stm\n",
                "unusable.missing_columns",
            ),
            ("transactions.csv", b"", "unusable.empty_file"),
            (
                "transactions.csv",
                b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00",
                "unusable.binary",
            ),
            (
                "transactions.csv",
                "\ufefftxn_id,branch_id\nT1,B001\n".encode("utf-16-le"),
                "unusable.utf16",
            ),
            (
                "transactions.csv",
                TXN_HEADER.encode() + b"T1,B\xff\xfe\x80\x81\n",
                "unusable.undecodable",
            ),
            (
                "branches.csv",
                "branch_id,name,branch_type,name\nB1,a,urban,b\n",
                "unusable.duplicate_columns",
            ),
        ],
    )
    def test_an_unusable_file_changes_nothing(
        self,
        ingest: Ingest,
        write_folder: WriteFolder,
        store: Path,
        store_snapshot: Snapshot,
        name: str,
        body: str | bytes,
        key: str,
    ) -> None:
        ingest(write_folder(GOOD))
        before = store_snapshot(store)
        files: dict[str, str | bytes] = {"branches.csv": BRANCHES, name: body}
        with pytest.raises(UnusableFileError) as caught:
            ingest(write_folder(files))
        assert caught.value.key == key
        assert store_snapshot(store) == before

    def test_a_missing_required_column_is_named(
        self, ingest: Ingest, write_folder: WriteFolder, store: Path
    ) -> None:
        body = "txn_id,branch_id,ts,channel\nT1,B001,2018-03-05 09:00:00,stm\n"
        with pytest.raises(UnusableFileError) as caught:
            ingest(write_folder({"branches.csv": BRANCHES, "transactions.csv": body}))
        assert caught.value.params == {"columns": "business_code"}
        assert not store.exists()

    def test_an_unusable_file_stops_the_good_ones_too(
        self, ingest: Ingest, write_folder: WriteFolder, store: Path
    ) -> None:
        files = {**GOOD, "staff.csv": "staff_id,name\nS1,x\n"}
        with pytest.raises(UnusableFileError):
            ingest(write_folder(files))
        assert not store.exists()

    def test_a_header_alone_is_an_empty_table(
        self, ingest: Ingest, write_folder: WriteFolder
    ) -> None:
        report = ingest(write_folder({"branches.csv": BRANCHES, "transactions.csv": TXN_HEADER}))
        counts = file_report(report, "transactions")
        assert (counts.read, counts.imported, counts.rejected) == (0, 0, 0)
        # … also without a line break after it, as a script joining the names writes it.
        bare = TXN_HEADER.rstrip("\n")
        report = ingest(write_folder({"branches.csv": BRANCHES, "transactions.csv": bare}))
        counts = file_report(report, "transactions")
        assert (counts.read, counts.imported, counts.rejected) == (0, 0, 0)

    def test_other_files_in_the_folder_are_left_alone(
        self, ingest: Ingest, write_folder: WriteFolder
    ) -> None:
        files = {**GOOD, "README.txt": "notes", "summary.xlsx": b"PK\x03\x04"}
        report = ingest(write_folder(files))
        assert report.rejected == 0
        assert sum("README.txt" in note for note in report.notes) == 1

    def test_a_file_whose_name_names_no_table(
        self, ingest: Ingest, write_folder: WriteFolder
    ) -> None:
        folder = write_folder({"txns.csv": txns(txn())})
        with pytest.raises(UnusableFileError) as caught:
            ingest(folder / "txns.csv")
        assert caught.value.key == "unusable.unknown_table"


class TestExtraColumns:
    def test_unknown_columns_are_ignored_and_said_so_once(
        self, ingest: Ingest, write_folder: WriteFolder, stored: Stored
    ) -> None:
        header = TXN_HEADER.strip() + ",remark,operator\n"
        rows = "".join(txn(txn_id=f"T{i}") + ",备注,op7\n" for i in range(50))
        report = ingest(write_folder({"branches.csv": BRANCHES, "transactions.csv": header + rows}))
        assert file_report(report, "transactions").imported == 50
        notes = [n for n in report.notes if "remark" in n]
        assert len(notes) == 1
        assert "operator" in notes[0]
        assert "remark" not in stored("transactions").columns

    def test_column_order_is_free_and_names_ignore_case(
        self, ingest: Ingest, write_folder: WriteFolder, stored: Stored
    ) -> None:
        body = (
            "Channel, TS ,Business_Code,BRANCH_ID,txn_id\n"
            "teller,2018-03-05 09:00:00,cash_deposit,B002,T7\n"
        )
        report = ingest(write_folder({"branches.csv": BRANCHES, "transactions.csv": body}))
        assert report.rejected == 0
        row = stored("transactions").row(0, named=True)
        assert (row["txn_id"], row["branch_id"], row["channel"]) == ("T7", "B002", "teller")
        assert row["staff_id"] is None


class TestExcelHabits:
    def test_quoted_header_crlf_bom_and_a_trailing_comma(
        self, ingest: Ingest, write_folder: WriteFolder, stored: Stored
    ) -> None:
        header = ",".join(f'"{c}"' for c in TXN_HEADER.strip().split(",")) + ","
        rows = [txn(txn_id="T1") + ",", txn(txn_id="T2", channel="Teller") + ","]
        body = "\r\n".join([header, *rows]) + "\r\n"
        report = ingest(
            write_folder({"branches.csv": BRANCHES, "transactions.csv": body}, bom=True)
        )
        counts = file_report(report, "transactions")
        assert (counts.read, counts.imported, counts.rejected) == (2, 2, 0)
        assert not [n for n in report.notes if "ignored unknown columns" in n]
        assert stored("transactions").get_column("channel").to_list() == ["stm", "teller"]


class TestEncodings:
    @pytest.mark.parametrize(
        ("encoding", "bom"), [("gb18030", False), ("utf-8", True), ("gbk", False)]
    )
    def test_same_store_as_utf8(
        self,
        ingest: Ingest,
        write_folder: WriteFolder,
        tmp_path: Path,
        table_rows: TableRows,
        encoding: str,
        bom: bool,
    ) -> None:
        files = {
            "branches.csv": BRANCHES + "B003,扬中·三茅支行（新区）,镇江,micro,3,1,1\n",
            "staff.csv": STAFF + "S04,B003,欧阳娜娜,greeter\n",
            "transactions.csv": txns(
                txn(txn_id="T1", customer_id="客户甲"),
                txn(
                    txn_id="T2", customer_id='"王, 先生"', channel="teller", reason="elderly_unable"
                ),
                txn(txn_id="T3", branch_id="B003", staff_id="S04"),
            ),
        }
        plain = tmp_path / "plain"
        other = tmp_path / "other"
        assert ingest(write_folder(files), target=plain).rejected == 0
        report = ingest(write_folder(files, encoding=encoding, bom=bom), target=other)
        assert report.rejected == 0
        for table in ("branches", "staff", "transactions", "business_types"):
            assert table_rows(other, table).equals(table_rows(plain, table)), table


class TestCatalogueFile:
    def test_overrides_a_default_entry_and_adds_a_code(
        self, ingest: Ingest, write_folder: WriteFolder, stored: Stored
    ) -> None:
        catalogue = (
            "code,name_zh,name_en,migratable,cash\n"
            "passbook,存折业务（可迁）,Passbook,是,否\n"  # default says: not migratable
            "ecny_wallet,数字人民币钱包,e-CNY wallet,TRUE,False\n"  # a new code
        )
        folder = write_folder(
            {
                "business_types.csv": catalogue,
                "branches.csv": BRANCHES,
                "transactions.csv": txns(
                    txn(txn_id="T1", business_code="ecny_wallet"),
                    txn(txn_id="T2", business_code="passbook"),
                ),
            }
        )
        report = ingest(folder)
        counts = file_report(report, "business_types")
        assert (counts.read, counts.updated, counts.imported) == (2, 1, 1)
        assert file_report(report, "transactions").imported == 2
        types = stored("business_types")
        passbook = types.filter(pl.col("code") == "passbook").row(0, named=True)
        assert (passbook["name_zh"], passbook["migratable"], passbook["cash"]) == (
            "存折业务（可迁）",
            True,
            False,
        )
        assert types.filter(pl.col("code") == "ecny_wallet").height == 1
        # Every other default entry is still there.
        assert types.height == 20
        assert types.filter(pl.col("code") == "cash_deposit").get_column("cash").to_list() == [True]

    def test_cash_defaults_to_false(
        self, ingest: Ingest, write_folder: WriteFolder, stored: Stored
    ) -> None:
        catalogue = "code,name_zh,migratable\nnew_code,新业务,yes\n"
        ingest(write_folder({"business_types.csv": catalogue}))
        types = stored("business_types")
        assert types.filter(pl.col("code") == "new_code").get_column("cash").to_list() == [False]

    def test_a_code_used_before_it_is_defined_is_rejected(
        self, ingest: Ingest, write_folder: WriteFolder, read_rejects: ReadRejects
    ) -> None:
        report = ingest(
            write_folder(
                {
                    "branches.csv": BRANCHES,
                    "transactions.csv": txns(txn(business_code="ecny_wallet")),
                }
            )
        )
        assert report.rejects_path is not None
        (row,) = read_rejects(report.rejects_path)
        assert (row["column"], row["value"]) == ("business_code", "ecny_wallet")
        assert "business_types.csv" in row["reason"]
