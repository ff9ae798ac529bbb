"""The programme's figures agree on DuckDB and Spark (one SQL text, two engines)."""

from __future__ import annotations

import math
from pathlib import Path

import polars as pl
import pytest

from smartcounter.metrics import Metrics, Period
from smartcounter.metrics.duckdb_engine import DuckDBEngine
from smartcounter.metrics.period import weeks_back
from smartcounter.metrics.programme_api import ProgrammeMetrics
from tests.programme.network import import_network, pairing_network

pytestmark = pytest.mark.spark


def _same(a: pl.DataFrame, b: pl.DataFrame) -> None:
    assert a.columns == b.columns
    assert a.height == b.height
    for x, y in zip(a.iter_rows(), b.iter_rows(), strict=True):
        for u, v in zip(x, y, strict=True):
            if isinstance(u, float) and isinstance(v, float):
                assert math.isclose(u, v, rel_tol=1e-9, abs_tol=1e-12), (x, y)
            else:
                assert u == v, (x, y)


def test_duckdb_and_spark_agree(tmp_path: Path):
    from smartcounter.metrics.spark_engine import SparkEngine

    n = pairing_network()
    n.person("L1-S", "L1", "stm_specialist").person("L1-T", "L1", "teller").person(
        "A1-G", "A1", "greeter"
    )
    n.many(
        "L1",
        "2018-W10",
        5,
        [("card_open", "stm", "L1-S", None)],
        touches=((2, "L1-S", "accepted", None),),
        age_band="60+",
    )
    n.many(
        "L1",
        "2018-W10",
        3,
        [("cash_deposit", "teller", "L1-T", None), ("transfer", "stm", "L1-S", None)],
        touches=((3, "L1-T", "accepted", None),),
        hour=14,
    )
    n.many(
        "A1",
        "2018-W09",
        4,
        [("card_open", "teller", None, "customer_declined")],
        touches=((1, "A1-G", "declined", "customer_declined"),),
    )
    store = import_network(n, tmp_path)
    weeks = weeks_back("2018-W10", 4)
    period = Period.of_weeks(weeks)
    queries = [
        lambda pm: pm.standing(weeks),
        lambda pm: pm.mix("business", period),
        lambda pm: pm.mix("age_band", period),
        lambda pm: pm.triage_coverage(period, ["branch"]),
        lambda pm: pm.triage_coverage(period, ["branch", "hour"]),
        lambda pm: pm.staff_figures(Period.quarter("2018-Q1")),
    ]
    with Metrics(DuckDBEngine(store)) as duck:
        expected = [q(ProgrammeMetrics(duck)) for q in queries]
    with Metrics(SparkEngine(store)) as spark:
        got = [q(ProgrammeMetrics(spark)) for q in queries]
    for a, b in zip(expected, got, strict=True):
        _same(a, b)
