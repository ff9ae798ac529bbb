"""The distributed engine: Apache Spark over the same Parquet store, as it is on disk.

``local[2]`` on one machine; a ``spark://host:7077`` (or ``yarn``, ``k8s://…``) master
from the settings for a cluster, whose executors must see the store folder at the same
path (a shared file system).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from smartcounter.metrics.engine import rollup_view, scans
from smartcounter.metrics.rollups import TX_ROLLUP
from smartcounter.settings import SparkSettings
from smartcounter.store.layout import Store
from smartcounter.store.schema import read_schema


def _spark_type(dtype: pa.DataType) -> Any:
    from pyspark.sql import types as st

    if pa.types.is_string(dtype) or pa.types.is_large_string(dtype):
        return st.StringType()
    if pa.types.is_int64(dtype):
        return st.LongType()
    if pa.types.is_int32(dtype):
        return st.IntegerType()
    if pa.types.is_floating(dtype):
        return st.DoubleType()
    if pa.types.is_boolean(dtype):
        return st.BooleanType()
    if pa.types.is_timestamp(dtype):
        return st.TimestampNTZType()
    if pa.types.is_date32(dtype):
        return st.DateType()
    raise TypeError(f"no Spark type for {dtype}")


def spark_schema(schema: pa.Schema) -> Any:
    """The Spark schema of an Arrow schema of the store."""
    from pyspark.sql import types as st

    return st.StructType([st.StructField(f.name, _spark_type(f.type), True) for f in schema])


class SparkEngine:
    """Runs the metrics SQL on a Spark session."""

    name = "spark"

    def __init__(self, store: Store, settings: SparkSettings | None = None) -> None:
        from pyspark.sql import SparkSession

        settings = settings or SparkSettings()
        self.store = store
        builder = (
            SparkSession.builder.master(settings.master)
            .appName("smartcounter")
            # Naive timestamps are local times; UTC keeps Spark from shifting them.
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.shuffle.partitions", str(settings.shuffle_partitions))
            .config("spark.driver.memory", settings.driver_memory)
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.parquet.inferTimestampNTZ.enabled", "true")
        )
        if settings.master.startswith("local"):
            # A local session talks to itself only: keep it on the loopback interface.
            builder = builder.config("spark.driver.host", "127.0.0.1").config(
                "spark.driver.bindAddress", "127.0.0.1"
            )
        for key, value in settings.extra_conf.items():
            builder = builder.config(key, value)
        self._spark = builder.getOrCreate()
        self._spark.sparkContext.setLogLevel("ERROR")

    def run(self, sql: str, weeks: Sequence[str] | None) -> pa.Table:
        """Run ``sql`` with each table a temporary view over only the files it needs."""
        with self.store.reading():
            for scan in scans(weeks):
                if scan.table is TX_ROLLUP:
                    files, computed = rollup_view(self.store, scan)
                    if computed is not None:
                        self._spark.sql(computed).createOrReplaceTempView(scan.table.name)
                        continue
                else:
                    files = self.store.files(scan.table, scan.weeks)
                schema = spark_schema(read_schema(scan.table))
                if files:
                    frame = (
                        self._spark.read.schema(schema)
                        .option("basePath", str(self.store.table_dir(scan.table)))
                        .parquet(*[str(f) for f in files])
                    )
                else:
                    frame = self._spark.createDataFrame([], schema)
                frame.createOrReplaceTempView(scan.table.name)
            result = self._spark.sql(sql)
            return result.toArrow()

    def close(self) -> None:
        self._spark.stop()
