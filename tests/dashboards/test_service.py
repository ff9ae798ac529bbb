"""The dashboards' services on a generated network: every figure is the metrics API's."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from smartcounter.accounts.models import AuditEntry
from smartcounter.accounts.roles import Role, system_actor, user_actor
from smartcounter.dashboards import service
from smartcounter.dashboards.errors import (
    BadQuarter,
    BranchNotInStore,
    NoData,
    NotScorable,
    RepeatedStaff,
    UnknownStaff,
    WeekNotFound,
)
from smartcounter.dashboards.schemas import DirectorScoresIn
from smartcounter.i18n import Lang, Translator
from smartcounter.lobby.errors import Forbidden
from smartcounter.metrics import Metrics, Period, open_metrics
from smartcounter.programme import service as programme
from smartcounter.programme.service import programme_section
from smartcounter.programme.status import HELPED_STATUS, PARTNER_STATUSES, judge
from smartcounter.scorecard.director_scores import load_scores
from smartcounter.scorecard.service import scorecards
from smartcounter.settings import Settings
from smartcounter.store.layout import Store
from smartcounter.store.reading import read_table
from tests.dashboards.kit import BRANCH_A, BRANCH_B, LATEST, QUARTER
from tests.store_database_kit import open_database_of, save_pairs_of

ANALYST = user_actor(
    user_id=1, username="analyst", role=Role.CENTRE_ANALYST, branch_id=None, staff_id=None
)
NOW = datetime(2018, 3, 20, 2, 0, 0)


def director_of(branch_id: str, staff_id: str | None = None) -> object:
    return user_actor(
        user_id=2,
        username=f"director-{branch_id}",
        role=Role.DIRECTOR,
        branch_id=branch_id,
        staff_id=staff_id or f"{branch_id}-S01",
    )


def teller_of(branch_id: str) -> object:
    return user_actor(
        user_id=3, username="teller", role=Role.TELLER, branch_id=branch_id, staff_id=None
    )


def staff_of(store: Store, branch_id: str, role: str) -> list[str]:
    staff = read_table(store, "staff")
    return sorted(
        staff.filter((pl.col("branch_id") == branch_id) & (pl.col("role") == role))[
            "staff_id"
        ].to_list()
    )


@pytest.fixture
def session(store_copy: Store) -> Iterator[Session]:
    """The store copy's own database (the audit log, the scores), migrated."""
    database = open_database_of(store_copy)
    with database.new_session() as opened:
        yield opened
    database.dispose()


class TestWeek:
    def test_the_latest_week_with_data_is_the_default(self, store: Store) -> None:
        week, weeks = service.choose_week(store, None)
        assert week == LATEST
        assert weeks == ["2018-W09", "2018-W10", LATEST]

    def test_a_week_without_data_is_not_found(self, store: Store) -> None:
        with pytest.raises(WeekNotFound):
            service.choose_week(store, "2018-W30")

    def test_an_empty_store_has_no_data(self, tmp_path: Path) -> None:
        empty = Store.create(tmp_path / "empty", timezone="Asia/Shanghai")
        with pytest.raises(NoData):
            service.choose_week(empty, None)
        with pytest.raises(NoData):
            service.open_store(Settings(store=tmp_path / "nothing-here"))

    def test_quarters_follow_the_weeks(self) -> None:
        assert service.quarter_of("2018-W10") == QUARTER
        # 2018-W13 runs from 26 March to 1 April: its Thursday is in Q1, its Sunday in Q2.
        assert service.quarter_of("2018-W13") == QUARTER
        assert service.quarters_of(["2018-W13"]) == ["2018-Q1", "2018-Q2"]


class TestNetworkDashboard:
    def test_the_headline_is_the_metrics_api(
        self, store: Store, settings: Settings, metrics: Metrics
    ) -> None:
        view = service.network_dashboard(
            store=store, settings=settings, actor=ANALYST, lang="zh", metrics=metrics
        )
        wow = metrics.week_over_week(LATEST, []).to_dicts()[0]
        attained = metrics.attainment(
            settings.bulletin.target_rate, Period.week(LATEST), []
        ).to_dicts()[0]
        h = view.headline
        assert view.week == LATEST and view.previous_week == "2018-W10"
        assert (h.rate.migratable, h.rate.migrated) == (wow["migratable"], wow["migrated"])
        assert (h.rate.rate, h.rate.ci_low, h.rate.ci_high) == (
            wow["rate"],
            wow["ci_low"],
            wow["ci_high"],
        )
        assert (h.previous_rate, h.change_pp) == (wow["previous_rate"], wow["change_pp"])
        assert h.branches_reporting == attained["branches"] == 12
        assert (h.at_target, h.share_at_target, h.shortfall) == (
            attained["at_target"],
            attained["share_at_target"],
            attained["shortfall"],
        )

    def test_every_branch_of_the_ranking_is_listed_with_its_figures(
        self, store: Store, settings: Settings, metrics: Metrics
    ) -> None:
        view = service.network_dashboard(
            store=store, settings=settings, actor=ANALYST, lang="zh", metrics=metrics
        )
        ranking = {r["branch_id"]: r for r in metrics.ranking(LATEST).iter_rows(named=True)}
        shown = {r.branch_id: r for g in view.peer_groups for r in g.rows}
        assert set(shown) == set(ranking)
        for branch_id, row in shown.items():
            r = ranking[branch_id]
            assert row.rate.rate == r["rate"]
            assert (row.rate.ci_low, row.rate.ci_high) == (r["ci_low"], r["ci_high"])
            assert (row.shrunk_rate, row.shrunk_low, row.shrunk_high) == (
                r["shrunk_rate"],
                r["shrunk_low"],
                r["shrunk_high"],
            )
            assert (row.peer_rank, row.network_rank, row.change_pp) == (
                r["peer_rank"],
                r["network_rank"],
                r["change_pp"],
            )
            assert row.branch_type == r["branch_type"]

    def test_groups_are_listed_best_first_with_their_week(
        self, store: Store, settings: Settings, metrics: Metrics
    ) -> None:
        view = service.network_dashboard(
            store=store, settings=settings, actor=ANALYST, lang="en", metrics=metrics
        )
        by_type = {
            r["branch_type"]: r
            for r in metrics.week_over_week(LATEST, ["branch_type"]).iter_rows(named=True)
        }
        assert [g.branch_type for g in view.peer_groups] == ["urban", "office", "micro", "county"]
        for g in view.peer_groups:
            assert g.rate.rate == by_type[g.branch_type]["rate"]
            ranks = [r.peer_rank for r in g.rows]
            assert ranks == sorted(ranks)
        assert view.peer_groups[0].label == Translator(Lang.EN)("bulletin.group.urban")

    def test_the_trend_is_the_network_and_each_peer_group(
        self, store: Store, settings: Settings, metrics: Metrics
    ) -> None:
        view = service.network_dashboard(
            store=store, settings=settings, actor=ANALYST, lang="zh", metrics=metrics
        )
        assert len(view.trend_weeks) == settings.bulletin.trend_weeks
        assert view.trend_weeks[-1] == LATEST
        whole = {r["week"]: r["rate"] for r in metrics.trend(LATEST, 8).iter_rows(named=True)}
        assert [p.rate for p in view.trend[0].points] == [whole.get(w) for w in view.trend_weeks]
        assert [s.key for s in view.trend[1:]] == ["urban", "office", "micro", "county"]
        # Weeks before the data began are undefined, never 0.
        assert view.trend[0].points[0].rate is None

    def test_filters_keep_the_ranks_of_the_whole_network(
        self, store: Store, settings: Settings, metrics: Metrics
    ) -> None:
        full = service.network_dashboard(
            store=store, settings=settings, actor=ANALYST, lang="zh", metrics=metrics
        )
        region = "无锡"
        view = service.network_dashboard(
            store=store,
            settings=settings,
            actor=ANALYST,
            lang="zh",
            region=region,
            group="urban",
            metrics=metrics,
        )
        assert [g.branch_type for g in view.peer_groups] == ["urban", "office", "micro", "county"]
        assert [g.rate for g in view.peer_groups] == [g.rate for g in full.peer_groups]
        assert all(not g.rows for g in view.peer_groups[1:])
        rows = view.peer_groups[0].rows
        assert rows and all(r.region == region for r in rows)
        ranks = {r.branch_id: r.network_rank for g in full.peer_groups for r in g.rows}
        assert all(r.network_rank == ranks[r.branch_id] for r in rows)
        assert region in view.regions and len(view.groups) == 4
        assert view.headline == full.headline

    def test_benchmarks_and_pairs_are_the_programmes(
        self, store: Store, settings: Settings, metrics: Metrics
    ) -> None:
        view = service.network_dashboard(
            store=store, settings=settings, actor=ANALYST, lang="zh", metrics=metrics
        )
        section = programme_section(
            store=store, settings=settings, week=LATEST, lang="zh", metrics=metrics
        )
        assert [(b.branch_id, b.low) for b in view.benchmarks] == [
            (b.branch_id, b.low) for b in section.benchmarks
        ]
        assert [(p.branch_id, p.partner_branch_id, p.gap_points) for p in view.pairs] == [
            (p.branch_id, p.partner_branch_id, p.gap_points) for p in section.pairs
        ]
        assert view.pairs, "the generated network has lagging branches"
        pair = next(p for p in view.pairs if p.branch_id == BRANCH_A)
        board = judge(metrics=metrics, settings=settings, week=LATEST)
        assert board.status(pair.partner_branch_id) in PARTNER_STATUSES
        assert not pair.saved and pair.recommendations
        assert view.pairs_saved is False and view.programme_notes

    def test_the_bulletin_links_cover_both_languages(
        self, store: Store, settings: Settings, metrics: Metrics
    ) -> None:
        view = service.network_dashboard(
            store=store, settings=settings, actor=ANALYST, lang="en", metrics=metrics
        )
        assert [(b.lang, b.format) for b in view.bulletin] == [
            ("en", "html"),
            ("en", "xlsx"),
            ("en", "pdf"),
            ("zh", "html"),
            ("zh", "xlsx"),
            ("zh", "pdf"),
        ]
        assert view.bulletin[0].url == f"/api/bulletins/{LATEST}/html?lang=en"

    def test_only_the_centre_sees_the_network(self, store: Store, settings: Settings) -> None:
        for actor in (director_of(BRANCH_A), teller_of(BRANCH_A)):
            with pytest.raises(Forbidden):
                service.network_dashboard(
                    store=store,
                    settings=settings,
                    actor=actor,  # type: ignore[arg-type]
                    lang="zh",
                )


class TestBranchDashboard:
    def test_the_week_is_the_metrics_api(
        self, store: Store, settings: Settings, metrics: Metrics
    ) -> None:
        view = service.branch_dashboard(
            store=store,
            settings=settings,
            actor=director_of(BRANCH_A),  # type: ignore[arg-type]
            branch_id=BRANCH_A,
            lang="zh",
            metrics=metrics,
        )
        r = metrics.ranking(LATEST).filter(pl.col("branch_id") == BRANCH_A).to_dicts()[0]
        w = view.this_week
        assert w is not None
        assert (w.rate.rate, w.rate.ci_low, w.rate.ci_high) == (
            r["rate"],
            r["ci_low"],
            r["ci_high"],
        )
        assert (w.peer_rank, w.peers, w.network_rank) == (
            r["peer_rank"],
            r["peers"],
            r["network_rank"],
        )
        assert (w.shrunk_rate, w.change_pp) == (r["shrunk_rate"], r["change_pp"])
        assert w.network_ranked == 12
        tickets = (
            metrics.daily_tickets(["branch"], Period.week(LATEST))
            .filter(pl.col("branch_id") == BRANCH_A)
            .to_dicts()[0]
        )
        assert (w.tickets, w.daily_tickets) == (tickets["tickets"], tickets["daily_tickets"])
        assert view.branch.branch_id == BRANCH_A and view.branch.branch_type == "urban"

    def test_paretos_funnel_and_depth_are_the_metrics_api(
        self, store: Store, settings: Settings, metrics: Metrics
    ) -> None:
        view = service.branch_dashboard(
            store=store,
            settings=settings,
            actor=ANALYST,
            branch_id=BRANCH_A,
            lang="zh",
            metrics=metrics,
        )
        period = Period.week(LATEST)
        assert [p.dimension for p in view.unmigrated] == ["business", "reason", "hour", "age_band"]
        for p in view.unmigrated:
            frame = metrics.unmigrated(p.dimension, period, ["branch"]).filter(
                pl.col("branch_id") == BRANCH_A
            )
            assert [(r.value, r.count, r.cumulative_share) for r in p.rows] == [
                (str(v), c, s)
                for v, c, s in zip(
                    frame["value"], frame["count"], frame["cumulative_share"], strict=True
                )
            ]
        funnel = metrics.funnel(period, ["branch"]).filter(pl.col("branch_id") == BRANCH_A)
        by_stage = {r["stage"]: r for r in funnel.iter_rows(named=True)}
        for s in view.funnel:
            assert s.touches == by_stage[s.stage]["touches"]
            assert s.acceptance_rate == by_stage[s.stage]["acceptance_rate"]
        depth = metrics.triage_depth(period, ["branch"]).filter(pl.col("branch_id") == BRANCH_A)
        assert sum(d.visits for d in view.depth) == depth["visits"].sum()

    def test_the_trend_is_the_branch_its_group_and_the_network(
        self, store: Store, settings: Settings, metrics: Metrics
    ) -> None:
        view = service.branch_dashboard(
            store=store,
            settings=settings,
            actor=ANALYST,
            branch_id=BRANCH_A,
            lang="zh",
            metrics=metrics,
        )
        assert [s.key for s in view.trend] == [BRANCH_A, "urban", "all"]
        own = metrics.trend(LATEST, 8, ["branch"]).filter(pl.col("branch_id") == BRANCH_A)
        rates = dict(zip(own["week"], own["rate"], strict=True))
        assert [p.rate for p in view.trend[0].points] == [rates.get(w) for w in view.trend_weeks]

    def test_each_side_of_a_pair_sees_it(
        self, store: Store, settings: Settings, metrics: Metrics
    ) -> None:
        lagging = service.branch_dashboard(
            store=store,
            settings=settings,
            actor=ANALYST,
            branch_id=BRANCH_A,
            lang="zh",
            metrics=metrics,
        )
        [(side, pair)] = [(p.side, p.pair) for p in lagging.pairs]
        assert side == "lagging"
        partner = service.branch_dashboard(
            store=store,
            settings=settings,
            actor=ANALYST,
            branch_id=pair.partner_branch_id,
            lang="zh",
            metrics=metrics,
        )
        assert [(p.side, p.pair.branch_id) for p in partner.pairs] == [("partner", BRANCH_A)]

    def test_the_quarters_scorecards_are_the_scorecard_services(
        self, store: Store, settings: Settings, metrics: Metrics
    ) -> None:
        view = service.branch_dashboard(
            store=store,
            settings=settings,
            actor=director_of(BRANCH_A),  # type: ignore[arg-type]
            branch_id=BRANCH_A,
            lang="zh",
            metrics=metrics,
        )
        cards = scorecards(
            metrics=metrics, quarter=QUARTER, weights=settings.scorecard, branch_id=BRANCH_A
        )
        assert view.quarter == QUARTER and view.quarters == [QUARTER]
        assert [(s.staff_id, s.score, s.migration) for s in view.scorecards] == [
            (c.figures.staff_id, c.score, c.parts.migration) for c in cards
        ]
        assert view.can_score
        scorable = {s.staff_id for s in view.scorecards if s.scorable}
        directors = set(staff_of(store, BRANCH_A, "director"))
        assert scorable and not scorable & directors

    def test_an_analyst_sees_but_does_not_score(self, store: Store, settings: Settings) -> None:
        view = service.branch_dashboard(
            store=store, settings=settings, actor=ANALYST, branch_id=BRANCH_A, lang="zh"
        )
        assert not view.can_score and not any(s.scorable for s in view.scorecards)

    def test_a_director_sees_only_their_branch_and_a_teller_none(
        self, store: Store, settings: Settings
    ) -> None:
        for actor in (director_of(BRANCH_B), teller_of(BRANCH_A)):
            with pytest.raises(Forbidden):
                service.branch_dashboard(
                    store=store,
                    settings=settings,
                    actor=actor,  # type: ignore[arg-type]
                    branch_id=BRANCH_A,
                    lang="zh",
                )

    def test_unknown_branch_week_and_quarter_are_refused(
        self, store: Store, settings: Settings
    ) -> None:
        system = system_actor()
        with pytest.raises(BranchNotInStore):
            service.branch_dashboard(
                store=store, settings=settings, actor=system, branch_id="NOPE", lang="zh"
            )
        with pytest.raises(WeekNotFound):
            service.branch_dashboard(
                store=store,
                settings=settings,
                actor=system,
                branch_id=BRANCH_A,
                lang="zh",
                week="2017-W01",
            )
        with pytest.raises(BadQuarter):
            service.branch_dashboard(
                store=store,
                settings=settings,
                actor=system,
                branch_id=BRANCH_A,
                lang="zh",
                quarter="2018-Q5",
            )


class TestDirectorScores:
    def test_entered_scores_are_the_scorecards_director_part(
        self, store_copy: Store, settings: Settings, session: Session
    ) -> None:
        director = staff_of(store_copy, BRANCH_A, "director")[0]
        teller = staff_of(store_copy, BRANCH_A, "teller")[0]
        actor = director_of(BRANCH_A, director)
        saved = service.enter_director_scores(
            session=session,
            store=store_copy,
            actor=actor,  # type: ignore[arg-type]
            branch_id=BRANCH_A,
            quarter=QUARTER,
            scores_in=DirectorScoresIn.model_validate(
                {"scores": [{"staff_id": teller, "score": 87.5, "note": "主动引导"}]}
            ),
            now=NOW,
        )
        session.commit()
        assert (saved.new, saved.replaced) == (1, 0)
        stored = load_scores(store_copy)[(teller, QUARTER)]
        assert (stored.score, stored.note) == (87.5, "主动引导")
        local = settings.model_copy(update={"store": store_copy.root})
        view = service.branch_dashboard(
            store=store_copy,
            settings=local,
            actor=actor,  # type: ignore[arg-type]
            branch_id=BRANCH_A,
            lang="zh",
        )
        row = next(s for s in view.scorecards if s.staff_id == teller)
        assert (row.director, row.director_note) == (87.5, "主动引导")
        entry = session.scalars(sa.select(AuditEntry)).one()
        assert (entry.action, entry.target, entry.branch_id) == (
            "scorecard.director_score",
            teller,
            BRANCH_A,
        )
        assert entry.actor == f"user:director-{BRANCH_A}"
        assert '"score": 87.5' in (entry.detail or "")

    def test_a_second_entry_replaces_the_first_and_remembers_it(
        self, store_copy: Store, session: Session
    ) -> None:
        teller = staff_of(store_copy, BRANCH_A, "teller")[0]
        actor = director_of(BRANCH_A, staff_of(store_copy, BRANCH_A, "director")[0])
        for score in (60.0, 75.0):
            result = service.enter_director_scores(
                session=session,
                store=store_copy,
                actor=actor,  # type: ignore[arg-type]
                branch_id=BRANCH_A,
                quarter=QUARTER,
                scores_in=DirectorScoresIn.model_validate(
                    {"scores": [{"staff_id": teller, "score": score}]}
                ),
                now=NOW,
            )
        assert (result.new, result.replaced) == (0, 1)
        assert load_scores(session)[(teller, QUARTER)].score == 75.0
        last = session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert last is not None and '"previous": 60.0' in (last.detail or "")

    @pytest.mark.parametrize(
        ("who", "error"),
        [
            ("other_branch", UnknownStaff),
            ("unknown", UnknownStaff),
            ("self", NotScorable),
            ("repeated", RepeatedStaff),
        ],
    )
    def test_what_a_director_may_not_score_is_refused_and_nothing_saved(
        self, store_copy: Store, session: Session, who: str, error: type[Exception]
    ) -> None:
        director = staff_of(store_copy, BRANCH_A, "director")[0]
        teller = staff_of(store_copy, BRANCH_A, "teller")[0]
        staff = {
            "other_branch": [staff_of(store_copy, BRANCH_B, "teller")[0]],
            "unknown": ["NOBODY"],
            "self": [director],
            "repeated": [teller, teller],
        }[who]
        with pytest.raises(error):
            service.enter_director_scores(
                session=session,
                store=store_copy,
                actor=director_of(BRANCH_A, director),  # type: ignore[arg-type]
                branch_id=BRANCH_A,
                quarter=QUARTER,
                scores_in=DirectorScoresIn.model_validate(
                    {"scores": [{"staff_id": s, "score": 50} for s in staff]}
                ),
                now=NOW,
            )
        assert load_scores(store_copy) == {}
        assert session.scalars(sa.select(AuditEntry)).all() == []

    def test_scores_outside_0_to_100_do_not_validate(self) -> None:
        from pydantic import ValidationError

        for bad in (-1, 100.5, float("nan"), "x"):
            with pytest.raises(ValidationError):
                DirectorScoresIn.model_validate({"scores": [{"staff_id": "S1", "score": bad}]})
        assert DirectorScoresIn.model_validate({"scores": [{"staff_id": "S1", "score": 0}]})
        assert DirectorScoresIn.model_validate({"scores": [{"staff_id": "S1", "score": 100}]})

    def test_only_the_branchs_director_may_score(self, store_copy: Store, session: Session) -> None:
        teller = staff_of(store_copy, BRANCH_A, "teller")[0]
        for actor in (ANALYST, director_of(BRANCH_B), teller_of(BRANCH_A)):
            with pytest.raises(Forbidden):
                service.enter_director_scores(
                    session=session,
                    store=store_copy,
                    actor=actor,  # type: ignore[arg-type]
                    branch_id=BRANCH_A,
                    quarter=QUARTER,
                    scores_in=DirectorScoresIn.model_validate(
                        {"scores": [{"staff_id": teller, "score": 50}]}
                    ),
                    now=NOW,
                )

    @pytest.mark.parametrize("quarter", ["2018-13", "2018-Q5", "0000-Q1"])
    def test_a_bad_quarter_is_refused(
        self, store_copy: Store, session: Session, quarter: str
    ) -> None:
        teller = staff_of(store_copy, BRANCH_A, "teller")[0]
        with pytest.raises(BadQuarter):
            service.enter_director_scores(
                session=session,
                store=store_copy,
                actor=director_of(BRANCH_A),  # type: ignore[arg-type]
                branch_id=BRANCH_A,
                quarter=quarter,
                scores_in=DirectorScoresIn.model_validate(
                    {"scores": [{"staff_id": teller, "score": 50}]}
                ),
                now=NOW,
            )


class TestSavedPairs:
    def test_a_saved_pair_shows_its_gap_week_by_week_since_it_started(
        self, store_copy: Store, settings: Settings
    ) -> None:
        local = settings.model_copy(update={"store": store_copy.root})
        with open_metrics(store_copy, local) as m:
            report = programme.propose_pairs(metrics=m, settings=local, week="2018-W10")
            saved = save_pairs_of(store_copy, report)
            board = judge(metrics=m, settings=local, week=LATEST)
            tracked = {p.pair.pair_id: p for p in programme.track_progress(metrics=m, week=LATEST)}
            view = service.network_dashboard(
                store=store_copy, settings=local, actor=ANALYST, lang="zh", metrics=m
            )
            branch = service.branch_dashboard(
                store=store_copy,
                settings=local,
                actor=ANALYST,
                branch_id=BRANCH_A,
                lang="zh",
                metrics=m,
            )
        assert saved and view.pairs_saved and view.pair_weeks == local.programme.lagging.weeks
        # The week's pairs are the saved ones that still pair a branch needing help with a
        # benchmark or advanced partner; the others are listed for the centre to review.
        holding = {
            p.pair_id
            for p in saved
            if board.status(p.branch_id) is HELPED_STATUS
            and board.status(p.partner_branch_id) in PARTNER_STATUSES
        }
        assert {p.pair_id for p in view.pairs if p.saved} == holding
        if holding != {p.pair_id for p in saved}:
            assert any("复核" in note for note in view.programme_notes)
        # A branch that came to need help after the pairs were saved gets a proposed pair
        # (not saved), and a note says so.
        proposed = [p for p in view.pairs if not p.saved]
        assert all(p.pair_id is None for p in proposed)
        if proposed:
            assert any("新建议" in note for note in view.programme_notes)
        for pair in (p for p in view.pairs if p.saved):
            assert pair.start_week == "2018-W10"
            assert pair.pair_id is not None
            progress = tracked[pair.pair_id]
            assert [(p.week, p.gap_points) for p in pair.progress] == [
                (p.week, p.gap_points) for p in progress.points
            ]
            latest = progress.latest
            assert latest is not None and pair.change_points == latest.change_points
        assert [p.pair.saved for p in branch.pairs] == ([True] if branch.pairs else [])


class TestKeptViews:
    def test_the_programme_is_worked_out_again_only_when_the_data_changes(
        self, store_copy: Store, settings: Settings, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        local = settings.model_copy(update={"store": store_copy.root})
        # Other tests' pages may have kept this data's views already: start without them.
        shutil.rmtree(store_copy.root / "dashboards", ignore_errors=True)
        calls: list[str] = []
        real = programme.programme_section

        def counted(**kwargs: object) -> programme.ProgrammeSection:
            calls.append(str(kwargs["week"]))
            return real(**kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(programme, "programme_section", counted)

        def show() -> list[tuple[str, bool]]:
            view = service.network_dashboard(
                store=store_copy, settings=local, actor=ANALYST, lang="zh"
            )
            return [(p.branch_id, p.saved) for p in view.pairs]

        first = show()
        assert show() == first and len(calls) == 1
        service.branch_dashboard(
            store=store_copy, settings=local, actor=ANALYST, branch_id=BRANCH_A, lang="zh"
        )
        assert len(calls) == 1
        with open_metrics(store_copy, local) as m:
            report = programme.propose_pairs(metrics=m, settings=local, week=LATEST)
            save_pairs_of(store_copy, report)
        after = show()
        assert len(calls) == 2 and all(saved for _, saved in after)
        stricter = local.model_copy(
            update={"bulletin": local.bulletin.model_copy(update={"target_rate": 0.95})}
        )
        service.network_dashboard(store=store_copy, settings=stricter, actor=ANALYST, lang="zh")
        assert len(calls) == 3

    def test_scores_entered_show_at_once_though_the_figures_are_kept(
        self, store_copy: Store, settings: Settings, session: Session
    ) -> None:
        local = settings.model_copy(update={"store": store_copy.root})
        director = staff_of(store_copy, BRANCH_A, "director")[0]
        teller = staff_of(store_copy, BRANCH_A, "teller")[0]
        actor = director_of(BRANCH_A, director)

        def teller_row() -> object:
            view = service.branch_dashboard(
                store=store_copy,
                settings=local,
                actor=actor,  # type: ignore[arg-type]
                branch_id=BRANCH_A,
                lang="zh",
            )
            return next(s for s in view.scorecards if s.staff_id == teller)

        before = teller_row()
        assert before.director is None  # type: ignore[attr-defined]
        service.enter_director_scores(
            session=session,
            store=store_copy,
            actor=actor,  # type: ignore[arg-type]
            branch_id=BRANCH_A,
            quarter=QUARTER,
            scores_in=DirectorScoresIn.model_validate(
                {"scores": [{"staff_id": teller, "score": 64}]}
            ),
            now=NOW,
        )
        session.commit()
        assert teller_row().director == 64  # type: ignore[attr-defined]
