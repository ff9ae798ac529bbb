"""The content model: every figure is the metrics API's; naming follows the stated rule."""

from __future__ import annotations

import pytest

from smartcounter.bulletin.content import BulletinContent, build_content, region_key
from smartcounter.bulletin.errors import NoDataError, UnknownRegionError
from smartcounter.bulletin.formats import Formats
from smartcounter.bulletin.words import Words, surest_first
from smartcounter.canonical.tables import TABLES_BY_NAME
from smartcounter.i18n import Lang
from smartcounter.metrics import Metrics, Period
from smartcounter.metrics.period import shift_week
from smartcounter.programme.status import Status, judge
from smartcounter.settings import Settings
from smartcounter.store.layout import Store
from tests.bulletin.conftest import GENERATED, SOURCE_BRANCHES, WEEK, WEEKS


@pytest.fixture(scope="module")
def content(metrics: Metrics, store: Store, settings: Settings) -> BulletinContent:
    return build_content(
        metrics,
        store,
        settings.bulletin,
        board=judge(metrics=metrics, settings=settings, week=WEEK),
        lang=Lang.ZH,
        region=None,
        generated_at=GENERATED,
    )


class TestFiguresAreTheApis:
    def test_headline(self, content: BulletinContent, metrics: Metrics, settings: Settings) -> None:
        wow = metrics.week_over_week(WEEK, []).row(0, named=True)
        attained = metrics.attainment(settings.bulletin.target_rate, Period.week(WEEK)).row(
            0, named=True
        )
        h = content.headline
        assert (h.rate.rate, h.rate.ci_low, h.rate.ci_high) == (
            wow["rate"],
            wow["ci_low"],
            wow["ci_high"],
        )
        assert h.change_pp == wow["change_pp"]
        assert h.shortfall == attained["shortfall"]
        # Counts of branches are counts of the status model's statuses.
        board = judge(metrics=metrics, settings=settings, week=WEEK)
        tally = board.tally()
        assert (h.at_target, h.branches_reporting) == (tally.at_target, tally.judged)
        assert h.at_target == sum(1 for r in content.branches if r.status.at_or_above_target)

    def test_every_branch_row_is_its_ranking_row(
        self, content: BulletinContent, metrics: Metrics
    ) -> None:
        ranking = {r["branch_id"]: r for r in metrics.ranking(WEEK).iter_rows(named=True)}
        assert {r.branch_id for r in content.branches} == set(ranking)
        for row in content.branches:
            api = ranking[row.branch_id]
            assert (
                row.rate.rate,
                row.peer_rank,
                row.network_rank,
                row.shrunk_rate,
                row.change_pp,
            ) == (
                api["rate"],
                api["peer_rank"],
                api["network_rank"],
                api["shrunk_rate"],
                api["change_pp"],
            )

    def test_paretos_are_the_apis(self, content: BulletinContent, metrics: Metrics) -> None:
        for pareto in content.unmigrated:
            api = metrics.unmigrated(pareto.dimension, Period.week(WEEK))
            assert [r.value for r in pareto.rows] == [str(v) for v in api["value"].to_list()]
            assert [r.cumulative_share for r in pareto.rows] == api["cumulative_share"].to_list()

    def test_branch_page_funnel_is_the_apis(
        self, content: BulletinContent, metrics: Metrics
    ) -> None:
        funnel = metrics.funnel(Period.week(WEEK), ["branch"]).filter(branch_id="CZ-LJL")
        page = next(p for p in content.pages if p.row.branch_id == "CZ-LJL")
        assert [s.touches for s in page.triage.stages] == funnel["touches"].to_list()

    def test_trend_has_the_network_and_each_peer_group_over_eight_weeks(
        self, content: BulletinContent
    ) -> None:
        assert [s.key for s in content.trend] == ["all", "urban", "office", "micro", "county"]
        assert all(len(s.points) == 8 for s in content.trend)
        assert content.trend_weeks[-1] == WEEK


class TestNaming:
    def test_benchmarks_and_branches_needing_help_are_sure(self, content: BulletinContent) -> None:
        target = content.target
        for group in content.groups:
            for r in group.benchmarks:
                assert r.rate.ci_low is not None and r.rate.ci_low >= target
                assert r.rate.migratable >= content.min_migratable
            for r in group.needs_help:
                assert r.rate.ci_high is not None and r.rate.ci_high < target

    def test_the_named_lists_are_the_statuses(self, content: BulletinContent) -> None:
        for group in content.groups:
            named = {r.branch_id for r in group.benchmarks}
            assert named == {r.branch_id for r in group.rows if r.status is Status.BENCHMARK}
            helped = {r.branch_id for r in group.needs_help}
            assert helped == {r.branch_id for r in group.rows if r.status is Status.NEEDS_HELP}

    def test_movers_are_sorted_and_large_enough(self, content: BulletinContent) -> None:
        ups = [m.row.change_pp for m in content.movers_up]
        downs = [m.row.change_pp for m in content.movers_down]
        assert ups == sorted(ups, reverse=True) and all(c is not None and c > 0 for c in ups)
        assert downs == sorted(downs) and all(c is not None and c < 0 for c in downs)
        assert all(m.row.rate.migratable >= content.min_migratable for m in content.movers_up)
        # "Beyond noise" is a two-sample test of the two weeks' counts at 95 %.
        for m in (*content.movers_up, *content.movers_down):
            r = m.row
            n1, x1 = r.rate.migratable, r.rate.migrated
            n0, x0 = r.previous_migratable, r.previous_migrated
            p = (x1 + x0) / (n1 + n0)
            z = abs(x1 / n1 - x0 / n0) / (p * (1 - p) * (1 / n1 + 1 / n0)) ** 0.5
            assert m.beyond_noise == (z > 1.959964), r.branch_id

    def test_the_headline_names_the_surest_first(self, content: BulletinContent) -> None:
        words = Words(content, Formats(Lang.ZH))
        helped = [r for g in content.groups for r in g.needs_help]
        assert len(helped) >= 2, "the test network has branches needing help"
        ordered = surest_first(helped)
        highs = [r.basis.high for r in ordered if r.basis is not None]
        assert highs == sorted(highs) and len(highs) == len(helped)
        # The headline lists them in that order, across peer groups.
        said = "".join(words.key_messages())
        shown = [r.name for r in ordered if r.name in said]
        assert shown == [r.name for r in ordered][: len(shown)] and len(shown) >= 2
        assert [said.index(name) for name in shown] == sorted(said.index(n) for n in shown)

    def test_every_branch_has_a_page_and_below_target_ones_a_line(
        self, content: BulletinContent
    ) -> None:
        assert {p.row.branch_id for p in content.pages} == {r.branch_id for r in content.branches}
        below = {b.row.branch_id for b in content.below_target}
        assert below == {r.branch_id for r in content.branches if r.status.below}
        assert set(SOURCE_BRANCHES) <= {p.row.branch_id for p in content.pages}


def content_network(metrics: Metrics, store: Store, settings: Settings) -> list:
    c = build_content(
        metrics,
        store,
        settings.bulletin,
        board=judge(metrics=metrics, settings=settings, week=WEEK),
        lang=Lang.ZH,
        region=None,
        generated_at=GENERATED,
    )
    return list(c.branches)


class TestScope:
    def test_a_region_keeps_only_its_branches_and_its_own_figures(
        self, metrics: Metrics, store: Store, settings: Settings
    ) -> None:
        c = build_content(
            metrics,
            store,
            settings.bulletin,
            board=judge(metrics=metrics, settings=settings, week=WEEK),
            lang=Lang.EN,
            region="镇江",
            generated_at=GENERATED,
        )
        assert {r.region for r in c.branches} == {"镇江"}
        # A region's bulletin shows each branch's network-wide status.
        whole = {r.branch_id: r.status for r in content_network(metrics, store, settings)}
        assert all(r.status is whole[r.branch_id] for r in c.branches)
        api = metrics.week_over_week(WEEK, ["region"]).filter(region="镇江").row(0, named=True)
        assert c.headline.rate.rate == api["rate"]

    def test_an_unknown_region_is_refused(
        self, metrics: Metrics, store: Store, settings: Settings
    ) -> None:
        with pytest.raises(UnknownRegionError):
            build_content(
                metrics,
                store,
                settings.bulletin,
                board=judge(metrics=metrics, settings=settings, week=WEEK),
                lang=Lang.ZH,
                region="火星",
                generated_at=GENERATED,
            )

    def test_a_week_without_data_is_refused(
        self, metrics: Metrics, store: Store, settings: Settings
    ) -> None:
        with pytest.raises(NoDataError):
            build_content(
                metrics,
                store,
                settings.bulletin,
                board=judge(metrics=metrics, settings=settings, week="2019-W10"),
                lang=Lang.ZH,
                region=None,
                generated_at=GENERATED,
            )


class TestIssueAndOrder:
    def test_issuer_number_and_region_order_come_from_the_settings(
        self, metrics: Metrics, store: Store, settings: Settings
    ) -> None:
        config = settings.bulletin.model_copy(
            update={
                "issuer": "江苏分行个人金融部渠道管理中心",
                "first_issue_week": "2018-W01",
                "region_order": ["镇江", "常州"],
            }
        )
        c = build_content(
            metrics,
            store,
            config,
            board=judge(metrics=metrics, settings=settings, week=WEEK),
            lang=Lang.ZH,
            region=None,
            generated_at=GENERATED,
        )
        assert c.issue.issuer == "江苏分行个人金融部渠道管理中心"
        assert c.issue.number == 10 and c.issue.issued.isoformat() == "2018-03-12"
        order = ["镇江", "常州"]
        for kind in {p.row.branch_type for p in c.pages}:
            regions = [p.row.region for p in c.pages if p.row.branch_type == kind]
            assert regions == sorted(regions, key=lambda r: region_key(r, order))
        first = next(p.row.region for p in c.pages if p.row.branch_type == "urban")
        assert first in order

    def test_month_and_quarter_to_date_are_the_apis(
        self, content: BulletinContent, metrics: Metrics
    ) -> None:
        from datetime import date

        assert content.month_start == date(2018, 3, 1) and content.quarter_start == date(2018, 1, 1)
        month = metrics.rates([], Period.dates(date(2018, 3, 1), content.week_end)).row(
            0, named=True
        )
        assert content.headline.month_rate.rate == month["rate"]
        row = next(r for r in content.branches if r.branch_id == "CZ-LJL")
        quarter = metrics.rates(
            ["branch"], Period.dates(date(2018, 1, 1), content.week_end)
        ).filter(branch_id="CZ-LJL")
        assert row.quarter_rate is not None and row.quarter_rate.rate == quarter["rate"][0]


class TestTheFirstWeek:
    """The store's first week: nothing to judge over weeks, nothing to compare with."""

    @pytest.fixture(scope="class")
    def first(self, metrics: Metrics, store: Store, settings: Settings) -> BulletinContent:
        week = shift_week(WEEK, -(WEEKS - 1))
        assert store.weeks(TABLES_BY_NAME["transactions"])[0] == week
        return build_content(
            metrics,
            store,
            settings.bulletin,
            board=judge(metrics=metrics, settings=settings, week=week),
            lang=Lang.ZH,
            region=None,
            generated_at=GENERATED,
        )

    def test_it_says_why_no_one_is_named(self, first: BulletinContent) -> None:
        assert not first.benchmarks_judged and not first.recent_judged
        words = Words(first, Formats(Lang.ZH))
        said = "".join(words.key_messages())
        assert "数据中只有1周，本期不判断标杆、先进和重点帮扶" in said
        assert "本周没有标杆网点" not in said
        # Once, not once per peer group.
        assert words.benchmark_notes() == ["数据中只有1周，至少需要2周才能判断标杆，本期不判断。"]
        assert words.no_help() == "数据中只有1周，至少需要2周才能判断重点帮扶，本期不判断。"
        assert words.no_movers() == "上周没有数据，无从比较。"

    def test_a_later_week_says_its_own_reasons(self, content: BulletinContent) -> None:
        words = Words(content, Formats(Lang.EN))
        assert content.benchmarks_judged
        assert words.no_help() == "No branch needs help this week."
        least = content.min_migratable
        assert words.no_movers() == (
            f"No branch with at least {least} migratable transactions and a figure for last week."
        )


class TestAPartialWeek:
    def test_a_full_week_is_not_partial(self, content: BulletinContent) -> None:
        h = content.headline
        assert (h.days, h.previous_days, h.partial) == (7, 7, False)
        assert h.last_day == content.week_end

    def test_fewer_days_than_the_week_before_is_said_first(self, content: BulletinContent) -> None:
        import dataclasses
        from datetime import timedelta

        last = content.week_start + timedelta(days=1)
        cut = dataclasses.replace(content.headline, days=2, last_day=last)
        assert cut.partial
        said = Words(dataclasses.replace(content, headline=cut), Formats(Lang.ZH)).key_messages()
        assert said[0].startswith("请注意：本周数据只到2018年3月6日，有业务的只有2天（上周7天）")
