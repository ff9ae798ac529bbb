"""The generated files: canonical, importable, consistent, and the same for the same seed."""

from __future__ import annotations

import filecmp
import re
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from smartcounter.canonical.catalogue import REASON_CODES, load_catalogue
from smartcounter.canonical.tables import BRANCHES, STAFF, TRANSACTIONS, TRIAGE, VISITS, Table
from smartcounter.cli.app import app
from smartcounter.store.layout import Store
from smartcounter.synthetic import NetworkSpec, write_network
from smartcounter.synthetic.writer import TRUTH_DIR, TRUTH_FILE

FILES = ("branches.csv", "staff.csv", "visits.csv", "transactions.csv", "triage.csv")


def _read(folder: Path, table: Table) -> pl.DataFrame:
    return pl.read_csv(folder / table.file_name, infer_schema=False)


class TestDeterminism:
    def test_same_seed_same_bytes_whatever_the_flush_size(self, tmp_path: Path) -> None:
        spec = NetworkSpec(branches=70, weeks=2, start=date(2018, 3, 5), seed=11)
        write_network(tmp_path / "a", spec)
        write_network(tmp_path / "b", spec, flush_rows=3_000)
        for name in (*FILES, f"{TRUTH_DIR}/{TRUTH_FILE}"):
            assert filecmp.cmp(tmp_path / "a" / name, tmp_path / "b" / name, shallow=False), name

    def test_another_seed_other_rows(self, tmp_path: Path) -> None:
        write_network(
            tmp_path / "a", NetworkSpec(branches=5, weeks=1, start=date(2018, 3, 5), seed=1)
        )
        write_network(
            tmp_path / "b", NetworkSpec(branches=5, weeks=1, start=date(2018, 3, 5), seed=2)
        )
        assert not filecmp.cmp(
            tmp_path / "a" / "transactions.csv", tmp_path / "b" / "transactions.csv", shallow=False
        )


class TestCanonicalFiles:
    def test_exactly_the_canonical_columns(self, w10_dir: Path) -> None:
        for table in (BRANCHES, STAFF, VISITS, TRANSACTIONS, TRIAGE):
            header = (w10_dir / table.file_name).read_text("utf-8").splitlines()[0]
            assert header.split(",") == list(table.column_names)

    def test_truth_is_outside_the_import_folder(self, w10_dir: Path) -> None:
        truth = pl.read_csv(w10_dir / TRUTH_DIR / TRUTH_FILE)
        assert truth.height == 8
        assert {
            "dedicated_specialist",
            "triage_rounds",
            "cash_split",
            "guidance_quality",
            "elderly_share",
        } <= set(truth.columns)
        lyg = truth.filter(pl.col("branch_id") == "LYG-DHCZ").row(0, named=True)
        assert lyg["triage_rounds"] == 3 and lyg["cash_split"] and lyg["backup_teller"]

    def test_every_file_imports_without_a_reject(
        self, w10_import: tuple[Store, dict[str, object]]
    ) -> None:
        _, report = w10_import
        files = report["files"]
        assert isinstance(files, list) and len(files) == 5
        for f in files:
            assert f["rejected"] == 0 and f["unresolved"] == 0, f
            assert f["read"] == f["imported"] > 0, f
        assert report["rejects"] is None

    def test_store_option_imports_through_ingest(self, tmp_path: Path) -> None:
        store_dir = tmp_path / "store"
        args = ["--lang", "en", "generate", str(tmp_path / "out"), "--branches", "6"]
        result = CliRunner().invoke(
            app, [*args, "--weeks", "1", "--start", "2018-03-05", "--store", str(store_dir)]
        )
        assert result.exit_code == 0, result.output
        imported = re.search(r": (\d+) rows, 0 rejected", result.stdout)
        assert imported is not None and int(imported.group(1)) > 1_000
        assert not (tmp_path / "out" / "transactions.csv").exists()
        assert (tmp_path / "out" / TRUTH_DIR / TRUTH_FILE).exists()
        assert Store.open(store_dir).files(TRANSACTIONS, weeks=["2018-W10"])

    def test_store_in_chunks_of_weeks(self, tmp_path: Path) -> None:
        store = Store.open_or_create(tmp_path / "store", timezone="Asia/Shanghai")
        spec = NetworkSpec(branches=5, weeks=3, start=date(2018, 3, 5), seed=4)
        summary = write_network(
            tmp_path / "out", spec, write_csv=False, store=store, store_chunk_rows=1
        )
        assert len(summary.imports) == 3  # one import per week
        assert summary.rejected == 0
        imported = {
            f.table: f.imported for report in summary.imports for f in report.files if f.imported
        }
        assert (
            sum(f.imported for r in summary.imports for f in r.files if f.table == "transactions")
            == summary.transactions
        )
        assert imported["branches"] == 5
        assert Store.open(tmp_path / "store").weeks(TRANSACTIONS) == [
            "2018-W10",
            "2018-W11",
            "2018-W12",
        ]

    def test_cli_writes_the_files(self, tmp_path: Path) -> None:
        args = [
            "--lang",
            "en",
            "generate",
            str(tmp_path),
            "--branches",
            "3",
            "--weeks",
            "1",
            "--start",
            "2018-06-04",
        ]
        result = CliRunner().invoke(app, [*args, "--seed", "5"])
        assert result.exit_code == 0, result.output
        assert "not in it" in result.stdout  # W10 2018 is outside the period: no source branches
        branches = _read(tmp_path, BRANCHES)
        assert branches.height == 3
        assert all(re.fullmatch(r"[A-Z]{2,3}\d{4}", b) for b in branches["branch_id"])

    def test_bad_start_is_a_usage_error(self, tmp_path: Path) -> None:
        result = CliRunner().invoke(
            app, ["--lang", "en", "generate", str(tmp_path), "--start", "March"]
        )
        assert result.exit_code == 2


@pytest.fixture(scope="module")
def tables(w10_dir: Path) -> dict[str, pl.DataFrame]:
    """The W10 network's files, all columns as text."""
    return {t.name: _read(w10_dir, t) for t in (BRANCHES, STAFF, VISITS, TRANSACTIONS, TRIAGE)}


class TestConsistency:
    def test_references_exist(self, tables: dict[str, pl.DataFrame]) -> None:
        tx, visits = tables["transactions"], tables["visits"]
        assert tx.join(tables["branches"], on="branch_id", how="anti").is_empty()
        assert tx.join(visits, on="visit_id", how="anti").is_empty()
        assert tx.join(tables["staff"], on="staff_id", how="anti").is_empty()
        assert tables["triage"].join(visits, on="visit_id", how="anti").is_empty()
        assert tables["triage"].join(tables["staff"], on="staff_id", how="anti").is_empty()

    def test_triage_stages_ordered_in_time(self, tables: dict[str, pl.DataFrame]) -> None:
        triage = tables["triage"].with_columns(pl.col("stage").cast(pl.Int64))
        assert triage["stage"].is_between(1, 3).all()
        assert triage.select(pl.struct("visit_id", "stage").is_unique().all()).item()
        ordered = triage.sort("visit_id", "stage").with_columns(
            pl.col("ts").shift(1).over("visit_id").alias("before")
        )
        assert ordered.filter(pl.col("before") > pl.col("ts")).is_empty()
        assert set(triage["outcome"]) <= {"accepted", "declined"}
        assert triage.filter(
            (pl.col("outcome") == "accepted") & pl.col("reason").is_not_null()
        ).is_empty()
        assert triage.filter(
            (pl.col("outcome") == "declined") & pl.col("reason").is_null()
        ).is_empty()

    def test_reasons_only_for_migratable_business_at_a_teller(
        self, tables: dict[str, pl.DataFrame]
    ) -> None:
        migratable = sorted(load_catalogue().migratable_codes)
        tx = tables["transactions"].with_columns(
            pl.col("business_code").is_in(migratable).alias("mig")
        )
        at_teller = tx.filter(pl.col("mig") & (pl.col("channel") == "teller"))
        assert at_teller.height > 0 and at_teller["reason"].is_not_null().all()
        assert set(at_teller["reason"]) <= set(REASON_CODES)
        assert (
            tx.filter(~(pl.col("mig") & (pl.col("channel") == "teller")))["reason"].is_null().all()
        )
        # Only migratable business goes to the smart counter.
        assert tx.filter((pl.col("channel") == "stm") & ~pl.col("mig")).is_empty()

    def test_times_and_tickets(self, tables: dict[str, pl.DataFrame]) -> None:
        visits = tables["visits"]
        assert (visits["called_at"] >= visits["issued_at"]).all()
        assert (visits["finished_at"] >= visits["called_at"]).all()
        assert visits["ticket_no"].str.contains(r"^[ABV]\d{3,}$").all()
        # Daily reset: per branch, day and queue, numbers run 1..n.
        numbered = visits.with_columns(
            pl.col("issued_at").str.slice(0, 10).alias("day"),
            pl.col("ticket_no").str.slice(0, 1).alias("queue"),
            pl.col("ticket_no").str.slice(1).cast(pl.Int64).alias("n"),
        )
        runs = numbered.group_by("branch_id", "day", "queue").agg(
            pl.col("n").min().alias("lo"), pl.col("n").max().alias("hi"), pl.len()
        )
        assert (runs["lo"] == 1).all() and (runs["hi"] == runs["len"]).all()
        hours = visits["issued_at"].str.slice(11, 2).cast(pl.Int64)
        assert hours.is_between(9, 16).all()
        joined = tables["transactions"].join(
            visits.select("visit_id", "issued_at", "finished_at"), on="visit_id"
        )
        assert (
            (joined["ts"] >= joined["issued_at"]) & (joined["ts"] <= joined["finished_at"])
        ).all()

    def test_staff_roles_serve_their_part(self, tables: dict[str, pl.DataFrame]) -> None:
        tx = tables["transactions"].join(tables["staff"].select("staff_id", "role"), on="staff_id")
        assert set(tx.filter(pl.col("channel") == "teller")["role"]) == {"teller"}
        stm_roles = set(tx.filter(pl.col("channel") == "stm")["role"])
        assert stm_roles <= {"stm_specialist", "lobby_manager", "teller"}
        # 常州龙锦路 has no specialist: its two tellers take turns authorising.
        lj = tx.filter((pl.col("branch_id") == "CZ-LJL") & (pl.col("channel") == "stm"))
        assert set(lj["role"]) == {"teller"}
