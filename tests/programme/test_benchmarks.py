"""Benchmarks (树典型): the steady branch, not the lucky week; and what it does differently."""

from __future__ import annotations

import pytest

from smartcounter.metrics.period import weeks_back
from smartcounter.metrics.programme_api import ProgrammeMetrics
from smartcounter.programme.service import find_benchmarks
from smartcounter.programme.standing import standings
from smartcounter.programme.status import group_bar, steady_leader
from tests.programme.network import Network

WEEKS = weeks_back("2018-W10", 8)
STAGE2 = ((2, None, "accepted", None),)


def _network() -> Network:
    n = Network()
    for b in ("STEADY", "LUCKY", "AVG1", "AVG2", "AVG3", "SMALL"):
        n.branch(b, "urban")
    for w in WEEKS:
        # STEADY: 56 of 60 every week, its hall specialist triaging most customers.
        n.many("STEADY", w, 50, [("card_open", "stm", None, None)], touches=STAGE2)
        n.many("STEADY", w, 6, [("card_open", "stm", None, None)])
        n.rate_week("STEADY", w, 0, 4)
        for b, migrated in (("AVG1", 48), ("AVG2", 47), ("AVG3", 49)):
            n.rate_week(b, w, migrated, 60 - migrated, reason="no_guidance")
        # SMALL: always perfect, but ten customers a week is not enough to call it.
        n.rate_week("SMALL", w, 10, 0)
    # LUCKY: one week with 40 tickets, all at the smart counter.
    n.rate_week("LUCKY", "2018-W10", 40, 0)
    return n


@pytest.fixture(scope="module")
def store(build_once):
    return build_once(_network())


@pytest.fixture
def metrics(store, metrics_of):
    return metrics_of(store)


class TestReliablyBest:
    def test_the_steady_branch_not_the_lucky_week(self, metrics, settings):
        # The week's raw ranking puts a perfect small week first: that is the trap.
        week = metrics.ranking("2018-W10")
        assert week.row(0, named=True)["branch_id"] in ("LUCKY", "SMALL")
        assert week.filter(week["branch_id"] == "LUCKY")["peer_rank"][0] == 1
        report = find_benchmarks(metrics=metrics, settings=settings, week="2018-W10")
        assert [b.standing.branch_id for b in report.benchmarks] == ["STEADY"]
        steady = report.benchmarks[0]
        assert steady.low > steady.standing.peer_mean
        assert steady.standing.weeks_active == 8 and steady.standing.weeks_above_peer == 8

    def test_the_lucky_and_the_small_fail_on_volume_and_steadiness_not_on_rate(
        self, metrics, settings
    ):
        table = standings(ProgrammeMetrics(metrics).standing(WEEKS))
        lucky, small = table["LUCKY"], table["SMALL"]
        assert lucky.rate == 1.0 and small.rate == 1.0
        assert lucky.weeks_active == 1 and lucky.migratable == 40
        assert small.migratable == 80 < settings.programme.benchmarks.min_migratable_per_week * 8
        # Both are pulled towards their group by the shrunk estimate.
        assert lucky.shrunk_rate < 1.0 and small.shrunk_rate < 1.0
        report = find_benchmarks(metrics=metrics, settings=settings, week="2018-W10")
        assert report.groups[0].branches == 6 and report.groups[0].benchmarks == 1

    def test_what_it_does_differently_is_hall_triage(self, metrics, settings):
        report = find_benchmarks(metrics=metrics, settings=settings, week="2018-W10")
        bench = report.benchmarks[0]
        diffs = {d.feature: d for d in bench.differences}
        assert len(diffs) <= 3
        # Hall triage reached 50 of the 54 visits that needed it (6 went on their own),
        # and it is said once, overall or at peak hours.
        assert bench.features["s2_coverage"] == pytest.approx(50 / 54)
        hall = [d for d in bench.differences if d.feature in ("s2_coverage", "peak_hall_coverage")]
        assert (
            len(hall) == 1 and hall[0].value == pytest.approx(50 / 54) and hall[0].peer_value == 0.0
        )
        assert bench.features["loss_no_guidance"] == 0.0
        # The group's median branch: halfway between the three without losses and AVG3's 11 of 60.
        assert bench.peer_features["loss_no_guidance"] == pytest.approx(11 / 120)

    def test_volume_floor_and_steadiness_each_keep_a_branch_out(self, metrics, settings):
        table = standings(ProgrammeMetrics(metrics).standing(WEEKS))
        rule = settings.programme.benchmarks.model_copy(
            update={"per_group": 6, "min_migratable_per_week": 0, "bar_quantile": 0.5}
        )

        def leaders(rule):  # judged on the weeks alone: no target, this week's rate aside
            bar = group_bar(list(table.values()), rule)
            return {b for b, s in table.items() if steady_leader(s, rule, bar, 0.0)}

        # Without the volume floor, 80 of 80 over eight weeks is good evidence too; the
        # one lucky week still is not: it had business in one week of eight.
        assert leaders(rule) == {"STEADY", "SMALL"}
        # Drop the weeks rule as well and nothing tells one lucky week from a benchmark.
        assert "LUCKY" in leaders(rule.model_copy(update={"min_active_share": 0.0}))


class TestTheBar:
    def test_above_an_average_pulled_down_by_laggards_is_not_enough(
        self, build, metrics_of, settings
    ):
        from tests.programme.network import pairing_network

        metrics = metrics_of(build(pairing_network(weeks=tuple(WEEKS))))
        report = find_benchmarks(metrics=metrics, settings=settings, week="2018-W10")
        # F1..F4 (80 %) are surely above the group's mean (75.6 %), but not among its best.
        assert {b.standing.branch_id for b in report.benchmarks} == {"A1", "A2"}
        group = report.groups[0]
        assert group.bar is not None and group.peer_mean is not None and group.bar > group.peer_mean
