"""staff.csv's ``email`` column: checked like any value, a malformed one rejects its row."""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl

from smartcounter.store.layout import Store
from smartcounter.store.reading import read_table
from tests.conftest import RunCli, WriteFolder

BRANCHES = "branch_id,name,region,branch_type\nB1,一支行,南京,urban\n"


class TestStaffEmail:
    def test_a_malformed_address_is_a_row_level_reject_naming_file_line_and_column(
        self, run_cli: RunCli, write_folder: WriteFolder, tmp_path: Path
    ) -> None:
        staff = (
            "staff_id,branch_id,name,role,email\n"
            "S1,B1,王芳,director,wang.fang@branch.example.cn\n"
            "S2,B1,李强,lobby_manager,li qiang@branch\n"
            "S3,B1,张伟,teller,\n"
        )
        folder = write_folder({"branches.csv": BRANCHES, "staff.csv": staff})
        store = tmp_path / "store"
        result = run_cli("--store", store, "ingest", folder)
        assert result.exit_code == 3  # some rows rejected (cli.md)
        (rejects,) = (store / "rejects").glob("*.csv")
        with rejects.open(encoding="utf-8") as f:
            (row,) = list(csv.DictReader(f))
        assert row["file"].endswith("staff.csv") and row["line"] == "3"
        assert row["column"] == "email" and row["value"] == "li qiang@branch"
        assert "电子邮件" in row["reason"]
        kept = read_table(Store.open(store), "staff").sort("staff_id")
        assert kept.get_column("staff_id").to_list() == ["S1", "S3"]
        assert kept.get_column("email").to_list() == ["wang.fang@branch.example.cn", None]

    def test_the_column_is_optional(
        self, run_cli: RunCli, write_folder: WriteFolder, tmp_path: Path
    ) -> None:
        staff = "staff_id,branch_id,name,role\nS1,B1,王芳,director\n"
        folder = write_folder({"branches.csv": BRANCHES, "staff.csv": staff})
        result = run_cli("--store", tmp_path / "store", "ingest", folder)
        assert result.exit_code == 0, result.stderr

    def test_a_store_written_before_the_column_takes_it(
        self, run_cli: RunCli, write_folder: WriteFolder, tmp_path: Path
    ) -> None:
        staff = "staff_id,branch_id,name,role\nS1,B1,王芳,director\nS2,B1,李强,teller\n"
        store = tmp_path / "store"
        folder = write_folder({"branches.csv": BRANCHES, "staff.csv": staff})
        assert run_cli("--store", store, "ingest", folder).exit_code == 0
        # As an older version wrote it: the staff file without the column.
        for stored in (store / "tables" / "staff").rglob("*.parquet"):
            pl.read_parquet(stored).drop("email").write_parquet(stored)
        with_address = (
            "staff_id,branch_id,name,role,email\nS1,B1,王芳,director,wf@bank.example.cn\n"
        )
        folder = write_folder({"staff.csv": with_address})
        result = run_cli("--store", store, "ingest", folder)
        assert result.exit_code == 0, result.stderr
        kept = read_table(Store.open(store), "staff").sort("staff_id")
        assert kept.get_column("email").to_list() == ["wf@bank.example.cn", None]
