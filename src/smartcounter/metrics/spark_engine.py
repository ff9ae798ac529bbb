"""The distributed engine: Apache Spark over the same Parquet store, as it is on disk.

``local[2]`` on one machine; a ``spark://host:7077`` (or ``yarn``, ``k8s://…``) master
from the settings for a cluster, whose executors must see the store folder at the same
path (a shared file system). Engines opened at the same time in one process (the web
application's requests) share one Spark application, each with a session of its own.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from smartcounter.metrics.engine import views_for
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


# One Spark application per process, shared by every engine of the process (the web
# application's requests, a bulletin's figures); each engine has a session of its own on
# it — its own temporary views and SQL settings — so that engines running at the same time
# never read each other's views. The application stops when the last engine closes.
_LOCK = threading.Lock()
_SHARED: dict[str, Any] = {"root": None, "key": None, "users": 0}


def _session_conf(settings: SparkSettings) -> dict[str, str]:
    """The SQL settings every session of ours runs with."""
    conf = {
        # Naive timestamps are local times; UTC keeps Spark from shifting them.
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": str(settings.shuffle_partitions),
        "spark.sql.parquet.inferTimestampNTZ.enabled": "true",
    }
    conf.update({k: v for k, v in settings.extra_conf.items() if k.startswith("spark.sql.")})
    return conf


def _build(settings: SparkSettings) -> Any:
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.master(settings.master)
        .appName("smartcounter")
        .config("spark.driver.memory", settings.driver_memory)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
    )
    for key, value in _session_conf(settings).items():
        builder = builder.config(key, value)
    if settings.master.startswith("local"):
        # A local session talks to itself only: keep it on the loopback interface.
        builder = builder.config("spark.driver.host", "127.0.0.1").config(
            "spark.driver.bindAddress", "127.0.0.1"
        )
    for key, value in settings.extra_conf.items():
        builder = builder.config(key, value)
    root = builder.getOrCreate()
    root.sparkContext.setLogLevel("ERROR")
    return root


def _started(settings: SparkSettings) -> Any:
    """``_build``, or SparkUnavailable naming the master when Spark does not start."""
    from smartcounter.errors import SparkUnavailable

    try:
        return _build(settings)
    except Exception as exc:  # py4j's and pyspark's errors have no common base of their own
        raise SparkUnavailable(master=settings.master, detail=_first_line(exc)) from exc


def _first_line(exc: Exception) -> str:
    """What went wrong in one line: the JVM's own exception where there is one."""
    text = str(exc)
    java = getattr(exc, "java_exception", None)
    if java is not None:
        with contextlib.suppress(Exception):  # the JVM may be gone already
            text = str(java.toString())
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0][:300].rstrip(" .。") if lines else type(exc).__name__


def open_session(settings: SparkSettings) -> Any:
    """A new session on the process's Spark application (started on first use)."""
    key = (
        settings.master,
        settings.shuffle_partitions,
        settings.driver_memory,
        tuple(sorted(settings.extra_conf.items())),
    )
    with _LOCK:
        root = _SHARED["root"]
        if root is not None and _SHARED["key"] != key:
            if _SHARED["users"]:
                raise RuntimeError(
                    f"Spark is in use with other settings (master {_SHARED['key'][0]}); "
                    "one process runs one Spark application"
                )
            root.stop()
            root = None
        if root is None:
            root = _started(settings)
            _SHARED.update(root=root, key=key)
        _SHARED["users"] += 1
        session = root.newSession()
    for name, value in _session_conf(settings).items():
        session.conf.set(name, value)
    return session


def release_session() -> None:
    """Give back a session of ``open_session``; the last one stops the Spark application."""
    with _LOCK:
        _SHARED["users"] -= 1
        if _SHARED["users"] <= 0 and _SHARED["root"] is not None:
            _SHARED["root"].stop()
            _SHARED.update(root=None, key=None, users=0)


class SparkEngine:
    """Runs the metrics SQL on a Spark session of its own (see ``open_session``)."""

    name = "spark"

    def __init__(self, store: Store, settings: SparkSettings | None = None) -> None:
        self.store = store
        self._spark = open_session(settings or SparkSettings())
        self._closed = False

    def run(self, sql: str, weeks: Sequence[str] | None) -> pa.Table:
        """Run ``sql`` with each table a temporary view over only the files it needs."""
        with self.store.reading():
            for scan, files, computed in views_for(self.store, sql, weeks):
                if computed is not None:
                    self._spark.sql(computed).createOrReplaceTempView(scan.table.name)
                    continue
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
        """Release this engine's session; the last one stops the Spark application."""
        if not self._closed:
            self._closed = True
            release_session()
