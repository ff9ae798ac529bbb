"""Ranking, week over week, un-migrated Pareto, funnel, daily tickets, visit rate — by hand."""

from __future__ import annotations

import pytest

from smartcounter.metrics import Period
from tests.metrics.conftest import BRANCHES, txns


def _branch_rows(branch: str, week_day: str, stm: int, teller: int, start: int) -> list[str]:
    rows = []
    for i in range(stm):
        rows.append(f"T{start + i},{branch},{week_day} 09:00:00,card_open,stm,,,,,")
    for i in range(teller):
        rows.append(
            f"T{start + stm + i},{branch},{week_day} 10:00:00,card_open,teller,,,,elderly_unable,"
        )
    return rows


class TestRanking:
    @pytest.fixture
    def store(self, build_store):
        rows = (
            _branch_rows("B1", "2018-03-05", 9, 1, 100)  # 0.9
            + _branch_rows("B2", "2018-03-05", 4, 1, 200)  # 0.8
            + _branch_rows("B3", "2018-03-05", 8, 2, 300)  # 0.8 — a tie with B2
            + _branch_rows("B4", "2018-03-05", 1, 1, 400)  # 0.5
            + ["T500,B5,2018-03-05 09:00:00,cash_deposit,teller,,,,,"]  # undefined
            + _branch_rows("B1", "2018-02-26", 1, 1, 600)  # last week 0.5
        )
        # B6: a branch of the network without any transaction in either week.
        branches = BRANCHES + "B6,六号支行,南通,county,5,1,2\n"
        return build_store({"branches.csv": branches, "transactions.csv": txns(*rows)})

    def test_ties_share_the_better_rank_and_undefined_is_listed_unranked(self, store, metrics_of):
        frame = metrics_of(store).ranking("2018-W10")
        ranks = {
            r["branch_id"]: (r["peer_rank"], r["network_rank"]) for r in frame.iter_rows(named=True)
        }
        assert ranks == {
            "B1": (1, 1),
            "B2": (2, 2),
            "B3": (2, 2),
            "B4": (4, 4),
            "B5": (None, None),
            "B6": (None, None),
        }
        for branch in ("B5", "B6"):  # only non-migratable business; none at all
            row = frame.filter(frame["branch_id"] == branch).row(0, named=True)
            assert row["rate"] is None and row["migratable"] == 0, row

    def test_change_from_last_week_in_points(self, store, metrics_of):
        frame = metrics_of(store).ranking("2018-W10")
        b1 = frame.filter(frame["branch_id"] == "B1").row(0, named=True)
        assert b1["previous_rate"] == 0.5
        assert b1["change_pp"] == pytest.approx(40.0, abs=1e-9)
        b2 = frame.filter(frame["branch_id"] == "B2").row(0, named=True)
        assert b2["previous_rate"] is None and b2["change_pp"] is None

    def test_shrunk_estimate_pulls_small_branches_towards_the_group(self, store, metrics_of):
        frame = metrics_of(store).ranking("2018-W10")
        urban = frame.filter(frame["branch_type"] == "urban")
        mean = urban["prior_mean"][0]
        assert mean == pytest.approx((0.9 + 0.8 + 0.8 + 0.5) / 4, abs=1e-12)
        for row in urban.iter_rows(named=True):
            lo, hi = sorted((row["rate"], mean))
            assert lo - 1e-12 <= row["shrunk_rate"] <= hi + 1e-12
            assert row["shrunk_low"] < row["shrunk_rate"] < row["shrunk_high"]
        # B2 (4 of 5) moves further towards the mean than B3 (8 of 10): fewer transactions.
        b2, b3 = (urban.filter(urban["branch_id"] == b).row(0, named=True) for b in ("B2", "B3"))
        assert abs(b2["shrunk_rate"] - 0.8) > abs(b3["shrunk_rate"] - 0.8)


class TestWeekOverWeek:
    def test_missing_previous_week_leaves_the_change_undefined(self, build_store, metrics_of):
        rows = (
            _branch_rows("B1", "2018-03-05", 3, 1, 100)  # W10 0.75
            + _branch_rows("B1", "2018-03-12", 1, 1, 200)  # W11 0.5
            + _branch_rows("B2", "2018-03-12", 1, 0, 300)  # W11 only
        )
        store = build_store({"branches.csv": BRANCHES, "transactions.csv": txns(*rows)})
        frame = metrics_of(store).week_over_week("2018-W11")
        got = {
            r["branch_id"]: (r["rate"], r["previous_rate"], r["change_pp"])
            for r in frame.iter_rows(named=True)
        }
        assert got["B1"][0] == 0.5 and got["B1"][1] == 0.75
        assert got["B1"][2] == pytest.approx(-25.0, abs=1e-9)
        assert got["B2"] == (1.0, None, None)

    def test_a_group_without_a_value_is_compared_with_itself(self, build_store, metrics_of):
        # No staff recorded (an empty key) in both weeks: one row, not one per week.
        rows = _branch_rows("B1", "2018-03-05", 3, 1, 100) + _branch_rows(
            "B1", "2018-03-12", 1, 1, 200
        )
        store = build_store({"branches.csv": BRANCHES, "transactions.csv": txns(*rows)})
        frame = metrics_of(store).week_over_week("2018-W11", ["staff"])
        (row,) = frame.iter_rows(named=True)
        assert row["staff_id"] is None and row["previous_rate"] == 0.75
        assert row["change_pp"] == pytest.approx(-25.0, abs=1e-9)


class TestUnmigrated:
    def test_pareto_counts_shares_and_cumulative_shares(self, build_store, metrics_of):
        rows = [
            "T1,B1,2018-03-05 09:00:00,card_open,teller,,,,elderly_unable,",
            "T2,B1,2018-03-05 09:00:00,card_open,teller,,,,elderly_unable,",
            "T3,B1,2018-03-05 10:00:00,transfer,teller,,,,elderly_unable,",
            "T4,B1,2018-03-05 10:00:00,transfer,teller,,,,device_busy,",
            "T5,B1,2018-03-05 11:00:00,transfer,teller,,,,,",
            "T6,B1,2018-03-05 11:00:00,card_open,stm,,,,,",
            "T7,B1,2018-03-05 11:00:00,cash_deposit,teller,,,,,",
        ]
        store = build_store({"branches.csv": BRANCHES, "transactions.csv": txns(*rows)})
        m = metrics_of(store)
        by_reason = m.unmigrated("reason", Period.week("2018-W10"))
        assert by_reason.select("value", "count").rows() == [
            ("elderly_unable", 3),
            ("device_busy", 1),
            ("unknown", 1),
        ]
        assert by_reason["share"].to_list() == pytest.approx([0.6, 0.2, 0.2])
        assert by_reason["cumulative_share"].to_list() == pytest.approx([0.6, 0.8, 1.0])
        by_business = m.unmigrated("business", Period.week("2018-W10"))
        assert by_business.select("value", "count").rows() == [("transfer", 3), ("card_open", 2)]
        by_hour = m.unmigrated("hour", by=["branch"])
        assert by_hour.select("branch_id", "value", "count").rows() == [
            ("B1", "10", 2),
            ("B1", "9", 2),
            ("B1", "11", 1),
        ]


VISITS = """visit_id,branch_id,issued_at,ticket_no,intent,customer_id,age_band,customer_tier
V1,B1,2018-03-05 09:00:00,A001,card_open,C1,60+,mass
V2,B1,2018-03-05 09:10:00,A002,card_open,C2,<30,affluent
V3,B1,2018-03-06 09:00:00,A001,transfer,C3,30-44,mass
V4,B1,2018-03-06 09:30:00,A002,cash_deposit,C4,45-59,mass
V5,B2,2018-03-06 09:30:00,A001,card_open,C5,60+,private
"""

TRIAGE = """visit_id,stage,staff_id,ts,outcome,reason
V1,1,S1,2018-03-05 09:00:30,declined,elderly_unable
V1,2,S2,2018-03-05 09:05:00,declined,customer_declined
V1,3,S3,2018-03-05 09:20:00,declined,elderly_unable
V2,1,S1,2018-03-05 09:10:30,accepted,
V3,1,S1,2018-03-06 09:00:30,declined,customer_declined
V3,2,S2,2018-03-06 09:02:00,accepted,
"""


class TestVisitsAndTriage:
    @pytest.fixture
    def store(self, build_store):
        rows = [
            "T1,B1,2018-03-05 09:20:00,card_open,teller,S3,V1,C1,elderly_unable,",
            "T2,B1,2018-03-05 09:12:00,card_open,stm,S2,V2,C2,,",
            "T3,B1,2018-03-05 09:14:00,mobile_banking_signup,stm,S2,V2,C2,,",
            "T4,B1,2018-03-06 09:05:00,transfer,stm,S2,V3,C3,,",
            "T5,B1,2018-03-06 09:06:00,statement_print,teller,S3,V3,C3,customer_declined,",
            "T6,B1,2018-03-06 09:40:00,cash_deposit,teller,S3,V4,C4,,",
            "T7,B2,2018-03-06 09:40:00,card_open,teller,,V5,C5,,",
        ]
        return build_store(
            {
                "branches.csv": BRANCHES,
                "visits.csv": VISITS,
                "triage.csv": TRIAGE,
                "transactions.csv": txns(*rows),
            }
        )

    def test_visit_based_rate(self, store, metrics_of):
        frame = metrics_of(store).visit_rates(["branch"], Period.week("2018-W10"))
        b1 = frame.filter(frame["branch_id"] == "B1").row(0, named=True)
        # V1 none at the smart counter, V2 all, V3 one of two, V4 nothing migratable.
        assert (b1["visits_migratable"], b1["visits_migrated"]) == (3, 1)

    def test_a_visit_split_between_staff_is_migrated_under_neither(self, store, metrics_of):
        frame = metrics_of(store).visit_rates(["staff"], Period.week("2018-W10"))
        got = {
            r["staff_id"]: (r["visits_migratable"], r["visits_migrated"])
            for r in frame.iter_rows(named=True)
        }
        # V3: a smart counter (S2) for one business, a teller (S3) for the other.
        assert got["S2"] == (2, 1)  # V2 migrated, V3 not
        assert got["S3"] == (2, 0)  # V1, V3

    def test_daily_tickets(self, store, metrics_of):
        frame = metrics_of(store).daily_tickets(["branch"], Period.week("2018-W10"))
        got = {
            r["branch_id"]: (r["tickets"], r["open_days"], r["daily_tickets"])
            for r in frame.iter_rows(named=True)
        }
        assert got == {"B1": (4, 2, 2.0), "B2": (1, 1, 1.0)}
        network = metrics_of(store).daily_tickets([], Period.week("2018-W10")).row(0, named=True)
        assert network["daily_tickets"] == pytest.approx(5 / 3)  # 5 tickets over 3 branch-days

    def test_daily_tickets_of_part_of_the_day_are_divided_by_the_branchs_days(
        self, store, metrics_of
    ):
        frame = metrics_of(store).daily_tickets(["branch", "age_band"], Period.week("2018-W10"))
        got = {
            (r["branch_id"], r["age_band"]): (r["tickets"], r["open_days"])
            for r in frame.iter_rows(named=True)
        }
        # B1 issued tickets on two days: one 60+ customer on one of them is 1 ÷ 2.
        assert got[("B1", "60+")] == (1, 2) and got[("B1", "<30")] == (1, 2)
        assert got[("B2", "60+")] == (1, 1)
        network = metrics_of(store).daily_tickets(["age_band"], Period.week("2018-W10"))
        sixty = network.filter(network["age_band"] == "60+").row(0, named=True)
        assert (sixty["tickets"], sixty["open_days"]) == (2, 3)  # three branch-days
        assert sixty["daily_tickets"] == pytest.approx(2 / 3)

    def test_funnel_per_stage(self, store, metrics_of):
        frame = metrics_of(store).funnel(Period.week("2018-W10"))
        assert frame.select("stage", "touches", "accepted", "declined").rows() == [
            (1, 3, 1, 2),
            (2, 2, 1, 1),
            (3, 1, 0, 1),
        ]
        assert frame["acceptance_rate"].to_list() == pytest.approx([1 / 3, 0.5, 0.0])

    def test_funnel_lists_every_stage_of_every_group(self, store, metrics_of):
        frame = metrics_of(store).funnel(Period.week("2018-W10"), ["staff"])
        rows = frame.select("staff_id", "stage", "touches", "accepted", "declined").rows()
        assert rows == [
            ("S1", 1, 3, 1, 2),
            ("S1", 2, 0, 0, 0),
            ("S1", 3, 0, 0, 0),
            ("S2", 1, 0, 0, 0),
            ("S2", 2, 2, 1, 1),
            ("S2", 3, 0, 0, 0),
            ("S3", 1, 0, 0, 0),
            ("S3", 2, 0, 0, 0),
            ("S3", 3, 1, 0, 1),
        ]
        # No touches: no acceptance rate (not 0 %).
        assert frame["acceptance_rate"].to_list()[:3] == [pytest.approx(1 / 3), None, None]

    def test_a_period_without_triage_has_no_funnel(self, store, metrics_of):
        assert metrics_of(store).funnel(Period.week("2018-W11")).is_empty()

    def test_decline_reasons_and_depth(self, store, metrics_of):
        m = metrics_of(store)
        reasons = m.decline_reasons(Period.week("2018-W10"))
        assert reasons.select("stage", "reason", "count").rows() == [
            (1, "customer_declined", 1),
            (1, "elderly_unable", 1),
            (2, "customer_declined", 1),
            (3, "elderly_unable", 1),
        ]
        depth = m.triage_depth(Period.week("2018-W10"), ["branch"])
        assert depth.select("branch_id", "depth", "visits").rows() == [
            ("B1", 0, 1),
            ("B1", 1, 1),
            ("B1", 2, 1),
            ("B1", 3, 1),
            ("B2", 0, 1),
        ]

    def test_unmigrated_by_age_band_comes_from_the_ticket(self, store, metrics_of):
        frame = metrics_of(store).unmigrated("age_band", Period.week("2018-W10"))
        assert frame.select("value", "count").rows() == [("60+", 2), ("30-44", 1)]
