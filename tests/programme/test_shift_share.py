"""Shift-share decomposition: mix part + performance part = the gap, exactly."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartcounter.metrics.period import weeks_back
from smartcounter.programme.diagnosis import diagnose
from smartcounter.programme.profiles import Counts
from smartcounter.programme.service import diagnose_pairs
from smartcounter.programme.shift_share import decompose, loss_points
from tests.programme.network import Network

# The lagging branch does mostly transfers, well; the partner mostly card openings, better.
LAGGING = {"card_open": Counts(10, 5), "transfer": Counts(30, 27)}  # 32 / 40 = 0.80
PARTNER = {"card_open": Counts(40, 36), "transfer": Counts(10, 10)}  # 46 / 50 = 0.92


class TestByHand:
    def test_parts_worked_out_by_hand(self):
        result = decompose(LAGGING, PARTNER)
        # w_L = (1/4, 3/4), p_L = (1/2, 9/10); w_A = (4/5, 1/5), p_A = (9/10, 1).
        # mix  = (4/5 − 1/4)(9/10 + 1/2)/2 + (1/5 − 3/4)(1 + 9/10)/2 = 0.385 − 0.5225 = −0.1375
        # perf = (9/10 − 1/2)(4/5 + 1/4)/2 + (1 − 9/10)(1/5 + 3/4)/2 = 0.21 + 0.0475 = 0.2575
        assert result.gap == Fraction(3, 25)
        assert result.mix == Fraction(-11, 80)
        assert result.performance == Fraction(103, 400)
        assert result.mix + result.performance == result.gap  # exactly, not approximately

    def test_a_business_one_branch_does_not_do_is_all_mix(self):
        result = decompose(
            {"card_open": Counts(10, 5)},
            {"card_open": Counts(10, 9), "fx_remittance": Counts(10, 10)},
        )
        fx = next(b for b in result.businesses if b.business_code == "fx_remittance")
        assert fx.performance == 0 and fx.rate is None
        assert fx.mix == Fraction(1, 2) * 1  # weight 1/2 at the partner, rate 1 on both sides
        assert result.mix + result.performance == result.gap

    def test_swapping_the_branches_flips_every_sign(self):
        ab, ba = decompose(LAGGING, PARTNER), decompose(PARTNER, LAGGING)
        assert (ab.gap, ab.mix, ab.performance) == (-ba.gap, -ba.mix, -ba.performance)

    def test_loss_points_by_any_breakdown_add_up_to_the_gap(self):
        lag = {"elderly_unable": 5, "with_cash": 3}  # 8 of 40 not migrated
        partner = {"elderly_unable": 1, "customer_declined": 3}  # 4 of 50
        parts = loss_points(lag, 40, partner, 50)
        assert sum(parts.values()) == Fraction(3, 25)
        assert parts["with_cash"] == Fraction(3, 40)


counts = st.builds(
    lambda n, k: Counts(n, min(k, n)),
    st.integers(min_value=0, max_value=500),
    st.integers(min_value=0, max_value=500),
)
branch = st.dictionaries(st.sampled_from(["a", "b", "c", "d", "e"]), counts, min_size=1).filter(
    lambda d: sum(c.migratable for c in d.values()) > 0
)


class TestAlwaysExact:
    @settings(max_examples=200, deadline=None)
    @given(branch, branch)
    def test_mix_plus_performance_is_the_gap(self, lag, partner):
        result = decompose(lag, partner)
        assert result.mix + result.performance == result.gap
        assert sum((b.mix + b.performance for b in result.businesses), Fraction(0)) == result.gap


class TestOnAStore:
    def test_diagnosis_of_a_pair_from_the_store(self, build, metrics_of, settings):
        n = Network().branch("L").branch("A")
        week = "2018-W10"
        n.rate_week(
            "L", week, 5, 5, business="card_open", reason="elderly_unable", age_band="60+", hour=9
        )
        n.rate_week("L", week, 27, 3, business="transfer", reason="with_cash", hour=11)
        n.rate_week("A", week, 36, 4, business="card_open", reason="customer_declined", hour=9)
        n.rate_week("A", week, 10, 0, business="transfer")
        metrics = metrics_of(build(n))
        found = diagnose_pairs(
            metrics=metrics,
            settings=settings,
            week=week,
            weeks=1,
            branch_id="L",
            partner_branch_id="A",
        )
        d = found[0].diagnosis
        assert d.gap_points == pytest.approx(12.0)
        assert d.mix_points == pytest.approx(-13.75)
        assert d.performance_points == pytest.approx(25.75)
        assert d.exact.mix + d.exact.performance == d.exact.gap
        for parts in (d.reason, d.age_band, d.hour):
            assert sum(p.points for p in parts) == pytest.approx(d.gap_points)
        assert d.business[0].business_code == "card_open"  # where it loses within business
        assert d.reason[0].key == "elderly_unable"
        assert d.age_band[0].key == "60+"

    def test_profiles_feed_the_same_numbers(self, build, metrics_of, settings):
        from smartcounter.metrics import Period
        from smartcounter.programme.profiles import build_profiles

        n = Network().branch("L").branch("A")
        n.rate_week("L", "2018-W10", 32, 8)
        n.rate_week("A", "2018-W10", 46, 4)
        profiles = build_profiles(
            metrics=metrics_of(build(n)), period=Period.of_weeks(weeks_back("2018-W10", 1))
        )
        d = diagnose(profiles["L"], profiles["A"], settings.programme.diagnosis)
        assert d.gap_points == pytest.approx(12.0) and d.mix_points == 0.0
