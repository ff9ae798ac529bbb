"""The weekly bulletin computed on a Spark standalone cluster equals DuckDB's.

The test starts a real cluster from the installed pyspark — one master and two workers of
one core each, on 127.0.0.1, free ports — and runs ``smartcounter bulletin --engine spark
--spark-master spark://127.0.0.1:PORT`` against a small generated store, then the same
bulletin on DuckDB, and compares the two ``bulletin.json`` files: every count and status
equal, every fraction to 1e-9. The master's own status page must show the application and
both workers' logs must show tasks run, so the figures came from the cluster's executors
reading the store's Parquet themselves (a local path here; on a bank's cluster, a shared
mount at the same path on every machine — see the README).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.spark, pytest.mark.slow]

WEEK = "2018-W11"


@dataclass
class Cluster:
    """A running standalone cluster: its master URL, status page and worker folders."""

    master: str
    status_url: str
    worker_dirs: list[Path]


def free_ports(n: int) -> list[int]:
    """``n`` distinct ports free now: all held open until all are chosen, so none repeats."""
    with contextlib.ExitStack() as held:
        socks = [held.enter_context(socket.socket()) for _ in range(n)]
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in socks]


def status(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=5) as answer:
        body: dict[str, Any] = json.load(answer)
        return body


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    """End the processes this test started: each is the leader of its own session."""
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    pyspark = pytest.importorskip("pyspark")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("Spark needs Java")
    home = Path(pyspark.__file__).parent
    spark_class = home / "bin" / "spark-class"
    root = tmp_path_factory.mktemp("cluster")
    env = {**os.environ, "SPARK_HOME": str(home), "SPARK_LOCAL_IP": "127.0.0.1"}
    port, ui, *worker_uis = free_ports(4)
    master = f"spark://127.0.0.1:{port}"
    procs: list[subprocess.Popen[bytes]] = []

    def start(name: str, *args: str) -> None:
        log = (root / f"{name}.log").open("wb")
        procs.append(
            subprocess.Popen(
                [str(spark_class), *args],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )

    try:
        start(
            "master",
            "org.apache.spark.deploy.master.Master",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--webui-port",
            str(ui),
        )
        worker_dirs = [root / "worker1", root / "worker2"]
        for i, (work, worker_ui) in enumerate(zip(worker_dirs, worker_uis, strict=True), 1):
            work.mkdir()
            start(
                f"worker{i}",
                "org.apache.spark.deploy.worker.Worker",
                master,
                "--host",
                "127.0.0.1",
                "--cores",
                "1",
                "--memory",
                "1g",
                "--webui-port",
                str(worker_ui),
                "--work-dir",
                str(work),
            )
        url = f"http://127.0.0.1:{ui}/json/"
        deadline = time.monotonic() + 180
        last: object = None
        while True:
            for proc in procs:
                assert proc.poll() is None, (root / "master.log").read_text(errors="replace")
            try:
                if status(url).get("aliveworkers") == 2:
                    break
            except (OSError, ValueError) as error:
                # Not up yet; a master still starting may answer with its HTML page.
                last = error
            assert time.monotonic() < deadline, f"the workers did not join the master: {last!r}"
            time.sleep(1)
        yield Cluster(master=master, status_url=url, worker_dirs=worker_dirs)
    finally:
        stop(procs)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from smartcounter.store.layout import Store
    from smartcounter.synthetic import NetworkSpec, write_network

    root = tmp_path_factory.mktemp("cluster-store")
    opened = Store.open_or_create(root / "store", timezone="Asia/Shanghai")
    spec = NetworkSpec(branches=8, weeks=2, start=date(2018, 3, 5), seed=3, source_branches=False)
    assert write_network(root / "csv", spec, write_csv=False, store=opened).rejected == 0
    return root / "store"


def bulletin(store: Path, out: Path, *engine: str) -> dict[str, Any]:
    """``smartcounter bulletin`` as a process of its own; its bulletin.json."""
    env = {
        **os.environ,
        # A cluster's executors connect back to the driver: here it listens on loopback.
        "SMARTCOUNTER_SPARK__EXTRA_CONF": json.dumps(
            {
                "spark.driver.host": "127.0.0.1",
                "spark.driver.bindAddress": "127.0.0.1",
                "spark.executor.memory": "512m",
                "spark.locality.wait": "0s",
            }
        ),
        "SMARTCOUNTER_SPARK__SHUFFLE_PARTITIONS": "2",
    }
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from smartcounter.cli.app import main; main()",
            "--store",
            str(store),
            "bulletin",
            "--week",
            WEEK,
            "--out",
            str(out),
            *engine,
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    body: dict[str, Any] = json.loads((out / "bulletin.json").read_text("utf-8"))
    return body


def differences(a: Any, b: Any, where: str = "") -> list[str]:
    """Where two bulletin.json bodies differ: exactly for all but fractions (1e-9)."""
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return [f"{where}: keys {sorted(a)} vs {sorted(b)}"]
        return [
            d for k in a if k != "generated_at" for d in differences(a[k], b[k], f"{where}.{k}")
        ]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{where}: {len(a)} vs {len(b)} items"]
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in differences(x, y, f"{where}[{i}]")
        ]
    if isinstance(a, float) and isinstance(b, float):
        return [] if math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) else [f"{where}: {a} vs {b}"]
    return [] if a == b and type(a) is type(b) else [f"{where}: {a!r} vs {b!r}"]


def test_the_bulletin_on_a_standalone_cluster_equals_duckdbs(
    cluster: Cluster, store: Path, tmp_path: Path
) -> None:
    on_cluster = bulletin(
        store, tmp_path / "spark", "--engine", "spark", "--spark-master", cluster.master
    )
    on_duckdb = bulletin(store, tmp_path / "duckdb", "--engine", "duckdb")

    assert on_cluster["week"] == WEEK
    assert len(on_cluster["branches"]) == 8
    assert sum(b["migratable"] for b in on_cluster["branches"]) > 0
    assert differences(on_duckdb, on_cluster) == []

    # It ran on the cluster: the master knows the finished application, and the
    # executors of both workers ran tasks over the store's files.
    apps = status(cluster.status_url)["completedapps"]
    assert [a["name"] for a in apps] == ["smartcounter"]
    for work in cluster.worker_dirs:
        logs = list(work.glob("app-*/*/stderr"))
        assert logs, f"no executor ran on {work.name}"
        assert any("Finished task" in log.read_text(errors="replace") for log in logs)


def test_engines_open_at_once_share_spark_without_sharing_views(store: Path) -> None:
    # The web application's requests each open an engine: on Spark they run side by side
    # on one application, each reading its own weeks, and one closing stops no other.
    pytest.importorskip("pyspark")
    from concurrent.futures import ThreadPoolExecutor

    import polars as pl

    from smartcounter.metrics import Metrics, Period
    from smartcounter.metrics.duckdb_engine import DuckDBEngine
    from smartcounter.metrics.spark_engine import SparkEngine
    from smartcounter.settings import SparkSettings
    from smartcounter.store.layout import Store

    opened = Store.open(store)
    settings = SparkSettings(master="local[2]", shuffle_partitions=2)
    weeks = ("2018-W10", "2018-W11")
    with Metrics(DuckDBEngine(opened)) as duck:
        expected = {w: duck.rates(["branch"], Period.week(w)) for w in weeks}
    first, second = Metrics(SparkEngine(opened, settings)), Metrics(SparkEngine(opened, settings))
    try:

        def answers(metrics: Metrics, week: str) -> list[pl.DataFrame]:
            return [metrics.rates(["branch"], Period.week(week)) for _ in range(3)]

        with ThreadPoolExecutor(2) as pool:
            got = dict(
                zip(
                    weeks,
                    pool.map(answers, (first, second), weeks),
                    strict=True,
                )
            )
        for week in weeks:
            for frame in got[week]:
                assert frame.select("branch_id", "migratable", "migrated").equals(
                    expected[week].select("branch_id", "migratable", "migrated")
                ), week
        first.close()
        after = second.rates(["branch"], Period.week("2018-W10"))
        assert after["migrated"].to_list() == expected["2018-W10"]["migrated"].to_list()
    finally:
        first.close()
        second.close()
