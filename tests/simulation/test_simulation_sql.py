"""The simulator's calibration figures on a hand-made store, worked by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from smartcounter.canonical.catalogue import load_catalogue
from smartcounter.ingest.service import IngestOptions, ingest_paths
from smartcounter.metrics import Metrics, Period
from smartcounter.metrics.duckdb_engine import DuckDBEngine
from smartcounter.metrics.simulation_api import SimulationMetrics
from smartcounter.store.layout import Store

FILES = {
    "branches.csv": """branch_id,name,region,branch_type,staff_count,smart_counters,teller_windows
B1,一号支行,镇江,urban,3,1,2
B2,二号支行,镇江,urban,1,1,1
""",
    "staff.csv": """staff_id,branch_id,name,role
S1,B1,甲,teller
S2,B1,乙,stm_specialist
S3,B1,丙,greeter
S9,B2,丁,teller
""",
    "visits.csv": """visit_id,branch_id,issued_at,ticket_no,intent,customer_id,age_band,customer_tier,called_at,finished_at
V1,B1,2018-03-05 09:10:00,B001,card_open,C1,<30,mass,2018-03-05 09:12:00,2018-03-05 09:20:00
V2,B1,2018-03-05 09:40:00,A001,cash_deposit,C2,60+,mass,2018-03-05 09:50:00,2018-03-05 09:58:00
V3,B1,2018-03-05 10:05:00,B002,password_reset,C3,30-44,affluent,2018-03-05 10:06:00,2018-03-05 10:12:00
V4,B1,2018-03-06 11:00:00,A002,fx_remittance,C4,45-59,mass,2018-03-06 11:30:00,2018-03-06 11:40:00
V5,B1,2018-03-07 14:00:00,A003,card_replace,C5,30-44,mass,2018-03-07 14:05:00,2018-03-07 14:15:00
V9,B2,2018-03-05 09:00:00,A001,transfer,C9,<30,mass,2018-03-05 09:01:00,2018-03-05 09:05:00
""",
    "transactions.csv": """txn_id,branch_id,ts,business_code,channel,staff_id,visit_id,customer_id,reason,duration_s
T1,B1,2018-03-05 09:12:00,card_open,stm,S2,V1,C1,,300
T2,B1,2018-03-05 09:17:00,transfer,stm,S2,V1,C1,,100
T3,B1,2018-03-05 09:50:00,cash_deposit,teller,S1,V2,C2,,120
T4,B1,2018-03-05 09:53:00,transfer,teller,S1,V2,C2,with_cash,200
T5,B1,2018-03-05 10:06:00,password_reset,stm,S1,V3,C3,,150
T7,B1,2018-03-05 10:09:00,transfer,stm,S2,V3,C3,,50
T6,B1,2018-03-06 11:30:00,fx_remittance,teller,S1,V4,C4,not_supported,400
T8,B1,2018-03-07 14:05:00,card_replace,teller,S1,V5,C5,device_fault,300
T9,B2,2018-03-05 09:01:00,transfer,teller,S9,V9,C9,no_guidance,180
""",
    "triage.csv": """visit_id,stage,staff_id,ts,outcome,reason
V1,1,S3,2018-03-05 09:10:30,accepted,
V2,1,S3,2018-03-05 09:40:30,declined,with_cash
V4,1,S3,2018-03-06 11:00:30,declined,not_supported
V4,3,S1,2018-03-06 11:30:10,declined,not_supported
""",
}
W10 = Period.week("2018-W10")


@pytest.fixture(scope="module")
def figures(tmp_path_factory: pytest.TempPathFactory):
    src = tmp_path_factory.mktemp("sim-sql")
    for name, text in FILES.items():
        (src / name).write_text(text, encoding="utf-8")
    root = Path(src) / "store"
    report = ingest_paths(
        root, [src], timezone="Asia/Shanghai", catalogue=load_catalogue(), options=IngestOptions()
    )
    assert report.rejected == 0, report
    metrics = Metrics(DuckDBEngine(Store.open(root)))
    yield SimulationMetrics(metrics)
    metrics.close()


def rows(frame, *columns: str) -> list[tuple]:
    return [tuple(r) for r in frame.select(columns).iter_rows()]


class TestArrivals:
    def test_tickets_per_date_and_hour(self, figures) -> None:
        got = rows(figures.arrivals(W10, "B1"), "day", "hour", "tickets")
        assert got == [
            ("2018-03-05", 9, 2),
            ("2018-03-05", 10, 1),
            ("2018-03-06", 11, 1),
            ("2018-03-07", 14, 1),
        ]

    def test_every_branch_together_without_a_branch(self, figures) -> None:
        assert figures.arrivals(W10)["tickets"].sum() == 6


class TestCustomers:
    def test_visit_profiles(self, figures) -> None:
        got = rows(
            figures.visit_mix(W10, "B1"),
            "age_band",
            "customer_tier",
            "migratable",
            "cash",
            "other",
            "visits",
        )
        assert got == [
            ("30-44", "affluent", 2, 0, 0, 1),
            ("30-44", "mass", 1, 0, 0, 1),
            ("45-59", "mass", 1, 0, 0, 1),
            ("60+", "mass", 1, 1, 0, 1),
            ("<30", "mass", 2, 0, 0, 1),
        ]

    def test_business_by_visit_kind_and_age(self, figures) -> None:
        got = rows(
            figures.business_mix(W10, "B1"), "kind", "age_band", "business_code", "transactions"
        )
        assert ("composite", "60+", "cash_deposit", 1) in got
        assert ("composite", "60+", "transfer", 1) in got
        assert ("noncash", "30-44", "transfer", 1) in got
        assert sum(r[3] for r in got) == 8


class TestServiceTimes:
    def test_nearest_rank_quantiles(self, figures) -> None:
        frame = figures.service_times(W10, "B1")
        transfer = frame.filter(
            (frame["channel"] == "stm") & (frame["business_code"] == "transfer")
        )
        by_k = dict(zip(transfer["k"].to_list(), transfer["duration_s"].to_list(), strict=True))
        assert transfer["n"][0] == 2
        assert (by_k[0], by_k[10], by_k[11], by_k[20]) == (50.0, 50.0, 100.0, 100.0)
        assert transfer.height == 21

    def test_network_times_pool_branches(self, figures) -> None:
        frame = figures.service_times(W10)
        teller = frame.filter(
            (frame["channel"] == "teller") & (frame["business_code"] == "transfer")
        )
        assert teller["n"][0] == 2 and teller["duration_s"].min() == 180.0


class TestFunnel:
    def test_visit_paths(self, figures) -> None:
        got = rows(
            figures.visit_paths(W10, "B1"),
            "age_band",
            "kind",
            "m",
            "d",
            "t1",
            "a1",
            "t2",
            "a2",
            "t3",
            "a3",
            "busy",
            "fault",
            "visits",
        )
        assert sorted(got) == sorted(
            [
                ("<30", "noncash", 2, 2, 1, 1, 0, 0, 0, 0, 0, 0, 1),
                ("60+", "composite", 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1),
                ("30-44", "noncash", 2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 1),
                ("45-59", "noncash", 1, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1),
                ("30-44", "noncash", 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1),
            ]
        )

    def test_business_outcomes(self, figures) -> None:
        got = {
            r[0]: r[1:]
            for r in rows(
                figures.business_outcomes(W10, "B1"),
                "business_code",
                "transactions",
                "at_stm",
                "not_supported",
            )
        }
        assert got["transfer"] == (3, 2, 0)
        assert got["fx_remittance"] == (1, 0, 1)
        assert "cash_deposit" not in got


class TestWaitsAndDevices:
    def test_waits_by_first_queue(self, figures) -> None:
        got = {
            r[0]: r[1:]
            for r in rows(figures.waits(W10, "B1"), "queue", "visits", "mean_wait_s", "p90_wait_s")
        }
        assert got["stm"] == (2, 90.0, 120.0)
        assert got["teller"] == (3, (600 + 1800 + 300) / 3, 1800.0)

    def test_waits_by_first_queue_and_ticket_hour(self, figures) -> None:
        got = rows(figures.waits_by_hour(W10, "B1"), "queue", "hour", "visits", "mean_wait_s")
        assert got == [
            ("stm", 9, 1, 120.0),
            ("stm", 10, 1, 60.0),
            ("teller", 9, 1, 600.0),
            ("teller", 11, 1, 1800.0),
            ("teller", 14, 1, 300.0),
        ]

    def test_who_authorises(self, figures) -> None:
        got = dict(rows(figures.authorisers(W10, "B1"), "role", "transactions"))
        assert got == {"stm_specialist": 3, "teller": 1}

    def test_open_days_and_fault_days(self, figures) -> None:
        assert rows(figures.device_days(W10, "B1"), "open_days", "fault_days") == [(3, 1)]
