"""Gap diagnosis (会诊): where the lagging branch loses, and at most three practices to take up."""

from __future__ import annotations

import pytest

from smartcounter.i18n import Lang
from smartcounter.programme.practices import Practice
from smartcounter.programme.service import diagnose_pairs, words_for
from tests.programme.network import Network

WEEK = "2018-W10"
STM = [("card_open", "stm", None, None)]


def _teller(reason: str) -> list[tuple[str, str, str | None, str | None]]:
    return [("card_open", "teller", None, reason)]


def _hall(staff: str, outcome: str, reason: str | None = None):
    return ((2, staff, outcome, reason),)


def _diagnose(build, metrics_of, settings, n: Network, lag: str, partner: str):
    metrics = metrics_of(build(n))
    found = diagnose_pairs(
        metrics=metrics,
        settings=settings,
        week=WEEK,
        weeks=1,
        branch_id=lag,
        partner_branch_id=partner,
    )
    return metrics, found[0].diagnosis


class TestNoDedicatedSpecialist:
    """A micro branch like 常州龙锦路: tellers take turns as specialist, nobody triages in the hall."""

    def _network(self) -> Network:
        n = Network().branch("LJ", "micro", "常州", 6).branch("PA", "micro", "常州", 7)
        for sid, role in (
            ("LJ-D", "director"),
            ("LJ-T1", "teller"),
            ("LJ-T2", "teller"),
            ("LJ-W", "wealth_manager"),
        ):
            n.person(sid, "LJ", role)
        for sid, role in (
            ("PA-D", "director"),
            ("PA-S", "stm_specialist"),
            ("PA-L", "lobby_manager"),
            ("PA-T", "teller"),
        ):
            n.person(sid, "PA", role)
        n.many("LJ", WEEK, 10, STM, touches=_hall("LJ-W", "accepted"))
        n.many("LJ", WEEK, 50, STM)
        n.many("LJ", WEEK, 30, _teller("no_guidance"))
        n.many("LJ", WEEK, 10, _teller("device_busy"))
        n.many("PA", WEEK, 70, STM, touches=_hall("PA-S", "accepted"))
        n.many(
            "PA",
            WEEK,
            10,
            _teller("customer_declined"),
            touches=_hall("PA-S", "declined", "customer_declined"),
        )
        n.many("PA", WEEK, 20, STM)
        return n

    def test_recommends_a_specialist_in_the_source_words(self, build, metrics_of, settings):
        metrics, d = _diagnose(build, metrics_of, settings, self._network(), "LJ", "PA")
        assert d.rate == pytest.approx(0.6) and d.partner_rate == pytest.approx(0.9)
        # Hall triage could reach the visits not gone to the smart counter on their own:
        # 10 of LJ's 50, all 80 of PA's.
        s2 = d.stages[1]
        assert (s2.coverage, s2.partner_coverage) == (pytest.approx(0.2), pytest.approx(1.0))
        assert d.reason[0].key == "no_guidance" and d.reason[0].points == pytest.approx(30.0)
        top = d.recommendations[0]
        assert top.practice is Practice.SPECIALIST_STAFFING
        assert top.points == pytest.approx(30.0)  # never guided: 30 of 100 migratable
        zh = words_for(metrics.engine.store, Lang.ZH).recommendation(top, d)
        en = words_for(metrics.engine.store, Lang.EN).recommendation(top, d)
        assert "增加一名大堂经理作为智能柜台服务专员" in zh and "20.0%" in zh and "100.0%" in zh
        assert "add a lobby manager as smart-counter specialist" in en

    def test_findings_name_where_it_loses(self, build, metrics_of, settings):
        metrics, d = _diagnose(build, metrics_of, settings, self._network(), "LJ", "PA")
        words = words_for(metrics.engine.store, Lang.EN)
        findings = words.findings(d)
        assert findings[0] == "gap 30.0 points: business mix 0.0, performance within business 30.0"
        assert 'largest gap by reason: "Not guided" (30.0 points)' in findings
        assert (
            "triage stage 2: covers 20.0% (partner 100.0%), accepted 100.0% (partner 87.5%)"
            in findings
        )


class TestReasonsToPractices:
    def test_cash_elderly_and_catalogue_at_most_three(self, build, metrics_of, settings):
        n = Network().branch("L2").branch("P2")
        n.many("L2", WEEK, 71, STM)
        n.many("L2", WEEK, 20, _teller("with_cash"))
        n.many("L2", WEEK, 5, _teller("elderly_unable"), age_band="60+")
        n.many("L2", WEEK, 3, _teller("not_supported"))
        n.many("L2", WEEK, 1, _teller("customer_declined"))
        n.many("P2", WEEK, 100, STM)
        _, d = _diagnose(build, metrics_of, settings, n, "L2", "P2")
        assert [r.practice for r in d.recommendations] == [
            Practice.CASH_SPLIT,
            Practice.ELDERLY_CARE,
            Practice.FULL_CATALOGUE,
        ]
        assert [r.points for r in d.recommendations] == pytest.approx([20.0, 5.0, 3.0])

    def test_nothing_below_the_floor(self, build, metrics_of, settings):
        n = Network().branch("L2").branch("P2")
        n.many("L2", WEEK, 999, STM)
        n.many("L2", WEEK, 1, _teller("with_cash"))
        n.many("P2", WEEK, 1000, STM)
        _, d = _diagnose(build, metrics_of, settings, n, "L2", "P2")
        assert d.gap_points == pytest.approx(0.1)
        assert d.recommendations == ()


class TestPeakHours:
    def test_specialist_in_the_hall_at_peak_hours(self, build, metrics_of, settings):
        n = Network().branch("L3").branch("P3")
        n.person("L3-S", "L3", "stm_specialist").person("P3-S", "P3", "stm_specialist")
        # Busy at 10 and 11, where the specialist hardly reaches anyone; quiet at 14.
        for hour, touched, on_their_own, at_window in (
            (10, 2, 18, 20),
            (11, 2, 18, 20),
            (14, 6, 0, 6),
        ):
            n.many("L3", WEEK, touched, STM, hour=hour, touches=_hall("L3-S", "accepted"))
            n.many("L3", WEEK, on_their_own, STM, hour=hour)
            n.many("L3", WEEK, at_window, _teller("no_guidance"), hour=hour)
        for hour in (10, 11, 14):
            n.many("P3", WEEK, 32, STM, hour=hour, touches=_hall("P3-S", "accepted"))
            n.many("P3", WEEK, 8, STM, hour=hour)
        metrics, d = _diagnose(build, metrics_of, settings, n, "L3", "P3")
        assert d.peak_hours == (10, 11)
        assert d.hall_at_peak == pytest.approx(4 / 44)
        top = d.recommendations[0]
        assert (top.practice, top.variant) == (Practice.HALL_TRIAGE, "peak")
        zh = words_for(metrics.engine.store, Lang.ZH).recommendation(top, d)
        assert "10:00、11:00" in zh and "在高峰时段安排服务专员在厅堂" in zh
