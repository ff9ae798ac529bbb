"""Migration rate, Wilson interval, undefined rates and periods on hand-made data."""

from __future__ import annotations

import math

import pytest

from smartcounter.metrics import Period
from tests.metrics.conftest import BRANCHES, txns

Z = 1.959964


def wilson(k: int, n: int) -> tuple[float, float]:
    """The 95 % Wilson score interval, written out from its textbook formula."""
    p = k / n
    centre = (p + Z**2 / (2 * n)) / (1 + Z**2 / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n**2)) / (1 + Z**2 / n)
    return centre - half, centre + half


class TestRate:
    def test_counts_rate_and_interval(self, build_store, metrics_of):
        store = build_store(
            {
                "branches.csv": BRANCHES,
                "transactions.csv": txns(
                    "T1,B1,2018-03-05 09:00:00,card_open,stm,,,,,",
                    "T2,B1,2018-03-06 10:00:00,password_reset,stm,,,,,",
                    "T3,B1,2018-03-07 11:00:00,transfer,teller,,,,customer_declined,",
                    "T4,B1,2018-03-07 11:05:00,cash_deposit,teller,,,,,",
                ),
            }
        )
        frame = metrics_of(store).rates(["branch"], Period.week("2018-W10"))
        row = frame.row(0, named=True)
        # 3 migratable (the cash deposit is in neither count), 2 at a smart counter.
        assert (row["branch_id"], row["migratable"], row["migrated"]) == ("B1", 3, 2)
        assert row["rate"] == pytest.approx(2 / 3, abs=1e-12)
        low, high = wilson(2, 3)
        assert row["ci_low"] == pytest.approx(low, abs=1e-12)
        assert row["ci_high"] == pytest.approx(high, abs=1e-12)
        # The published value for 2 of 3 at 95 %: [0.2077, 0.9385].
        assert round(row["ci_low"], 4) == 0.2077 and round(row["ci_high"], 4) == 0.9385

    def test_all_migrated_interval_stays_inside_zero_one(self, build_store, metrics_of):
        store = build_store(
            {
                "branches.csv": BRANCHES,
                "transactions.csv": txns("T1,B1,2018-03-05 09:00:00,card_open,stm,,,,,"),
            }
        )
        row = metrics_of(store).rates(["branch"]).row(0, named=True)
        assert row["rate"] == 1.0
        assert row["ci_high"] == 1.0
        assert row["ci_low"] == pytest.approx(wilson(1, 1)[0], abs=1e-12)

    def test_all_or_none_migrated_gives_bounds_of_exactly_one_and_zero(
        self, build_store, metrics_of
    ):
        # n of n: the upper bound is 1 exactly (rounding gave 0.9999999999999999 at 4 of 4).
        rows = [f"T{i},B1,2018-03-05 09:00:00,card_open,stm,,,,," for i in range(4)]
        rows += [f"T{10 + i},B2,2018-03-05 09:00:00,card_open,teller,,,,," for i in range(3)]
        rows += [f"T{20 + i},B3,2018-03-05 09:00:00,card_open,stm,,,,," for i in range(7)]
        store = build_store({"branches.csv": BRANCHES, "transactions.csv": txns(*rows)})
        got = {r["branch_id"]: r for r in metrics_of(store).rates(["branch"]).iter_rows(named=True)}
        assert got["B1"]["ci_high"] == 1.0 and got["B3"]["ci_high"] == 1.0
        assert got["B2"]["ci_low"] == 0.0
        assert got["B1"]["ci_low"] == pytest.approx(wilson(4, 4)[0], abs=1e-12)
        assert got["B2"]["ci_high"] == pytest.approx(wilson(0, 3)[1], abs=1e-12)

    def test_only_non_migratable_business_gives_an_undefined_rate(self, build_store, metrics_of):
        store = build_store(
            {
                "branches.csv": BRANCHES,
                "transactions.csv": txns(
                    "T1,B1,2018-03-05 09:00:00,card_open,stm,,,,,",
                    "T2,B2,2018-03-05 09:00:00,cash_deposit,teller,,,,,",
                    "T3,B2,2018-03-06 09:00:00,passbook,teller,,,,,",
                ),
            }
        )
        frame = metrics_of(store).rates(["branch", "week"])
        b2 = frame.filter(frame["branch_id"] == "B2").row(0, named=True)
        assert (b2["migratable"], b2["migrated"]) == (0, 0)
        assert b2["rate"] is None and b2["ci_low"] is None and b2["ci_high"] is None


class TestPeriods:
    @pytest.fixture
    def store(self, build_store):
        return build_store(
            {
                "branches.csv": BRANCHES,
                "transactions.csv": txns(
                    "T1,B1,2018-03-11 23:59:59,card_open,stm,,,,,",
                    "T2,B1,2018-03-12 00:00:00,card_open,teller,,,,no_guidance,",
                    "T3,B1,2018-12-31 10:00:00,card_open,stm,,,,,",
                    "T4,B1,2021-01-03 10:00:00,card_open,stm,,,,,",
                    "T5,B1,2018-03-05 00:00:00,transfer,teller,,,,other,",
                ),
            }
        )

    def test_sunday_night_and_monday_morning_fall_in_their_iso_weeks(self, store, metrics_of):
        frame = metrics_of(store).rates(["week"])
        by_week = {r["week"]: (r["migratable"], r["migrated"]) for r in frame.iter_rows(named=True)}
        assert by_week["2018-W10"] == (2, 1)  # Monday 00:00 and Sunday 23:59:59
        assert by_week["2018-W11"] == (1, 0)
        assert by_week["2019-W01"] == (1, 1)  # 31 Dec 2018 is in ISO 2019-W01
        assert by_week["2020-W53"] == (1, 1)  # 3 Jan 2021 closes ISO 2020-W53

    def test_date_range_is_inclusive_local_dates(self, store, metrics_of):
        m = metrics_of(store)
        from datetime import date

        frame = m.rates(["day"], Period.dates(date(2018, 3, 11), date(2018, 3, 12)))
        assert frame["day"].to_list() == ["2018-03-11", "2018-03-12"]
        assert frame["migratable"].to_list() == [1, 1]

    def test_month_and_hour_keys(self, store, metrics_of):
        m = metrics_of(store)
        months = m.rates(["month"])
        assert months["month"].to_list() == ["2018-03", "2018-12", "2021-01"]
        hours = m.rates(["hour"], Period.week("2018-W10"))
        assert hours["hour"].to_list() == [0, 23]


class TestCatalogueOverride:
    def test_a_code_made_non_migratable_leaves_both_counts(self, build_store, metrics_of):
        files = {
            "branches.csv": BRANCHES,
            "transactions.csv": txns(
                "T1,B1,2018-03-05 09:00:00,transfer,teller,,,,,",
                "T2,B1,2018-03-05 09:00:00,card_open,stm,,,,,",
            ),
        }
        before = metrics_of(build_store(files)).rates(["branch"]).row(0, named=True)
        assert (before["migratable"], before["migrated"]) == (2, 1)
        files["business_types.csv"] = "code,name_zh,migratable,cash\ntransfer,转账汇款,否,否\n"
        after = metrics_of(build_store(files)).rates(["branch"]).row(0, named=True)
        assert (after["migratable"], after["migrated"]) == (1, 1)
        assert after["rate"] == 1.0


class TestGrouping:
    def test_region_and_type_keys_and_sorting_follow_the_keys(self, build_store, metrics_of):
        store = build_store(
            {
                "branches.csv": BRANCHES,
                "transactions.csv": txns(
                    "T1,B5,2018-03-05 09:00:00,card_open,stm,,,,,",
                    "T2,B3,2018-03-05 09:00:00,card_open,teller,,,,,",
                    "T3,B1,2018-03-05 09:00:00,card_open,stm,,,,,",
                ),
            }
        )
        frame = metrics_of(store).rates(["region", "branch_type"])
        assert frame.select("region", "branch_type").rows() == [
            ("南通", "county"),
            ("常州", "urban"),
            ("镇江", "urban"),
        ]
        assert frame.columns == [
            "region",
            "branch_type",
            "migratable",
            "migrated",
            "rate",
            "ci_low",
            "ci_high",
        ]
