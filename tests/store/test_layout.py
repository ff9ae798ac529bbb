"""The store's layout: Parquet partitioned by ISO week and branch bucket, read as it is."""

from __future__ import annotations

import zlib
from pathlib import Path

import duckdb
import polars as pl
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from smartcounter.canonical.catalogue import load_catalogue
from smartcounter.canonical.tables import TRANSACTIONS, TRIAGE
from smartcounter.ingest.service import IngestOptions, ingest_paths
from smartcounter.store.layout import Store, bucket_of
from smartcounter.store.schema import file_schema
from tests.store.conftest import write_export


def _imported(tmp_path: Path, rows: int = 5_000) -> Store:
    export = write_export(tmp_path / "export", rows, seed=1)
    ingest_paths(
        tmp_path / "store",
        [export],
        timezone="Asia/Shanghai",
        catalogue=load_catalogue(),
        options=IngestOptions(),
    )
    return Store.open(tmp_path / "store")


class TestPartitions:
    def test_one_folder_per_week_and_bucket(self, tmp_path: Path) -> None:
        store = _imported(tmp_path)
        top = store.table_dir(TRANSACTIONS)
        weeks = sorted(p.name for p in top.iterdir())
        assert weeks == ["week=2018-W10", "week=2018-W11", "week=2018-W12", "week=2018-W13"]
        for week in weeks:
            buckets = {p.name for p in (top / week).iterdir()}
            assert buckets <= {f"bucket={b}" for b in range(store.meta.buckets)}
        assert store.weeks(TRANSACTIONS) == ["2018-W10", "2018-W11", "2018-W12", "2018-W13"]

    def test_a_week_reads_only_its_files(self, tmp_path: Path) -> None:
        store = _imported(tmp_path)
        files = store.files(TRANSACTIONS, weeks=["2018-W11"])
        assert files and all("week=2018-W11" in str(f) for f in files)
        rows = pl.read_parquet(files, hive_partitioning=False)
        weeks = rows.select(
            pl.format("{}-W{}", pl.col("ts").dt.iso_year(), pl.col("ts").dt.week())
        ).to_series()
        assert set(weeks) == {"2018-W11"}

    def test_a_branch_is_in_its_bucket(self, tmp_path: Path) -> None:
        store = _imported(tmp_path)
        for path in store.files(TRANSACTIONS):
            bucket = int(path.parent.name.split("=")[1])
            branches = pl.read_parquet(path).get_column("branch_id").unique().to_list()
            assert {bucket_of(b, store.meta.buckets) for b in branches} == {bucket}

    def test_bucket_is_crc32_of_the_branch(self) -> None:
        assert bucket_of("B001", 8) == zlib.crc32(b"B001") % 8
        assert bucket_of("丹阳", 8) == zlib.crc32("丹阳".encode()) % 8

    def test_files_hold_exactly_the_file_schema(self, tmp_path: Path) -> None:
        store = _imported(tmp_path)
        for path in store.files(TRANSACTIONS):
            assert pq.read_schema(path).remove_metadata() == file_schema(TRANSACTIONS)


class TestReadersReadItAsItIs:
    def test_duckdb(self, tmp_path: Path) -> None:
        store = _imported(tmp_path)
        pattern = str(store.table_dir(TRANSACTIONS) / "**" / "*.parquet")
        with duckdb.connect() as con:
            ((rows, weeks, buckets),) = con.execute(
                "SELECT count(*), count(DISTINCT week), count(DISTINCT bucket) "
                f"FROM read_parquet('{pattern}', hive_partitioning = true)"
            ).fetchall()
        assert (rows, weeks, buckets) == (5_000, 4, store.meta.buckets)

    def test_arrow_dataset(self, tmp_path: Path) -> None:
        store = _imported(tmp_path)
        dataset = ds.dataset(store.table_dir(TRANSACTIONS), format="parquet", partitioning="hive")
        table = dataset.to_table(filter=ds.field("week") == "2018-W12")
        assert table.num_rows > 0
        assert set(table.column("week").to_pylist()) == {"2018-W12"}

    def test_triage_is_partitioned_by_week_only(self) -> None:
        assert [f.name for f in file_schema(TRIAGE)][-4:] == ["day", "hour", "month", "quarter"]


@pytest.mark.spark
@pytest.mark.slow
class TestSparkReadsItAsItIs:
    def test_spark(self, tmp_path: Path) -> None:
        pyspark_sql = pytest.importorskip("pyspark.sql")
        store = _imported(tmp_path)
        spark = (
            pyspark_sql.SparkSession.builder.master("local[1]")
            .config("spark.ui.enabled", "false")
            .getOrCreate()
        )
        try:
            top = str(store.table_dir(TRANSACTIONS))
            frame = spark.read.option("basePath", top).parquet(top)
            assert frame.count() == 5_000
            weeks = {r["week"] for r in frame.select("week").distinct().collect()}
            assert weeks == {"2018-W10", "2018-W11", "2018-W12", "2018-W13"}
            total = frame.agg({"duration_s": "sum"}).collect()[0][0]
            assert total == pytest.approx(
                pl.read_parquet(store.files(TRANSACTIONS)).get_column("duration_s").sum()
            )
        finally:
            spark.stop()
