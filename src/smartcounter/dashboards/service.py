"""The dashboards' services: view models from the metrics, programme and scorecard APIs.

Plain functions with keyword-only arguments, called by the web routes and the tests alike.
No figure of metrics.md is computed here: rates, intervals, ranks, shrunk estimates,
attainment, Paretos and funnels come from the metrics API, benchmarks and pairs from the
programme, scorecards from the scorecard package. What this module adds is the choice of
week and quarter, the role's scope, and labels in the language.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
from pydantic import TypeAdapter
from sqlalchemy.orm import Session

from smartcounter.accounts import audit
from smartcounter.accounts.roles import Actor, Permission
from smartcounter.canonical.tables import BRANCH_TYPES, TABLES_BY_NAME
from smartcounter.dashboards import bulletins
from smartcounter.dashboards.cache import ViewCache
from smartcounter.dashboards.errors import (
    BadQuarter,
    BranchNotInStore,
    NoData,
    NotScorable,
    RepeatedStaff,
    UnknownStaff,
    WeekNotFound,
)
from smartcounter.dashboards.schemas import (
    BenchmarkView,
    BranchDashboard,
    BranchInfo,
    BranchPair,
    BranchWeek,
    Choice,
    DirectorScoresIn,
    DirectorScoresSaved,
    NetworkDashboard,
    NetworkHeadline,
    PairView,
    PeerGroupView,
    ProgrammeView,
    ProgressPoint,
    RankingRow,
    ScorecardWeights,
    StaffScorecard,
)
from smartcounter.i18n import Lang, Translator
from smartcounter.metrics import Metrics, Period, open_engine
from smartcounter.metrics.period import (
    parse_quarter,
    quarter_of_day,
    quarter_of_week,
    shift_week,
    week_end,
    week_start,
    weeks_back,
)
from smartcounter.metrics.rows import as_int, by_key, opt_float, opt_int
from smartcounter.metrics.shared_results import SharedResults
from smartcounter.programme import service as programme
from smartcounter.programme.repository import ProgrammeError
from smartcounter.programme.status import Status, StatusBoard, judge, status_name
from smartcounter.scorecard.director_scores import DirectorScore, load_scores, save_scores
from smartcounter.scorecard.figures import StaffFigures, staff_figures
from smartcounter.scorecard.service import family_weights, scorecards
from smartcounter.settings import Settings
from smartcounter.store.layout import Store, StoreNotFoundError
from smartcounter.store.reading import read_table
from smartcounter.views import Labels, pareto_of, rate_of, series_of, triage_of

# The un-migrated Paretos a director sees (metrics.md, Un-migrated business).
BRANCH_DIMENSIONS = ("business", "reason", "hour", "age_band")
STAGES = (1, 2, 3)
DEPTHS = (0, 1, 2, 3)
PROGRAMME = TypeAdapter(ProgrammeView)
STAFF = TypeAdapter(list[StaffFigures])


logger = logging.getLogger(__name__)

# -- the store and the week ---------------------------------------------------------------


def open_store(settings: Settings) -> Store:
    """The settings' store; NoData when there is none yet."""
    try:
        return Store.open(Path(settings.store))
    except StoreNotFoundError as exc:
        raise NoData() from exc


def data_weeks(store: Store) -> list[str]:
    """The ISO weeks the store holds transactions for, oldest first."""
    return store.weeks(TABLES_BY_NAME["transactions"])


def choose_week(store: Store, week: str | None) -> tuple[str, list[str]]:
    """``week`` (default: the latest with data) and every week with data."""
    weeks = data_weeks(store)
    if not weeks:
        raise NoData()
    if week is None:
        return weeks[-1], weeks
    if week not in weeks:
        raise WeekNotFound(week=week)
    return week, weeks


def quarter_of(week: str) -> str:
    """The calendar quarter of ``week`` (ISO weeks belong where their Thursday is)."""
    return quarter_of_week(week)


def quarters_of(weeks: Iterable[str]) -> list[str]:
    """Every quarter holding a day of ``weeks``, oldest first."""
    found: set[str] = set()
    for week in weeks:
        for day in (week_start(week), week_end(week)):
            found.add(quarter_of_day(day))
    return sorted(found)


def shared_metrics(store: Store, settings: Settings) -> Metrics:
    """The metrics API whose answers every page and worker shares while the data is unchanged
    (``metrics.shared_results``): a dashboard is then mostly a lookup."""
    if not settings.share_figures:
        return Metrics(open_engine(store, settings))
    return Metrics(SharedResults(store, lambda: open_engine(store, settings), settings.engine))


@contextmanager
def _metrics_of(store: Store, settings: Settings, metrics: Metrics | None) -> Iterator[Metrics]:
    if metrics is not None:
        yield metrics
        return
    with shared_metrics(store, settings) as opened:
        yield opened


# -- conversions --------------------------------------------------------------------------


def _one(frame: pl.DataFrame) -> dict[str, Any]:
    rows = frame.to_dicts()
    return rows[0] if rows else {}


def _of_branch(frame: pl.DataFrame, branch_id: str) -> pl.DataFrame:
    if frame.is_empty():
        return frame
    return frame.filter(pl.col("branch_id") == branch_id)


def _group_order(types: Iterable[str]) -> list[str]:
    present = set(types)
    return [t for t in BRANCH_TYPES if t in present] + sorted(present - set(BRANCH_TYPES))


def _ranking_row(
    r: Mapping[str, Any], labels: Labels, t: Translator, board: StatusBoard
) -> RankingRow:
    status = board.status(r["branch_id"])
    return RankingRow(
        branch_id=r["branch_id"],
        name=r["name"] or r["branch_id"],
        region=r["region"],
        branch_type=r["branch_type"],
        group=labels.group(r["branch_type"]),
        rate=rate_of(r),
        shrunk_rate=opt_float(r["shrunk_rate"]),
        shrunk_low=opt_float(r["shrunk_low"]),
        shrunk_high=opt_float(r["shrunk_high"]),
        peer_rank=opt_int(r["peer_rank"]),
        peers=opt_int(r["peers"]),
        network_rank=opt_int(r["network_rank"]),
        previous_rate=opt_float(r["previous_rate"]),
        change_pp=opt_float(r["change_pp"]),
        standing=status.value,
        standing_label=status_name(status, t),
    )


# -- the programme: benchmarks and pairs ------------------------------------------------


def _programme(
    *,
    store: Store,
    settings: Settings,
    week: str,
    lang: Lang,
    metrics: Metrics,
    cache: ViewCache,
    board: StatusBoard,
) -> ProgrammeView:
    """The programme's week: benchmarks, pairs and their progress (kept while data is unchanged)."""

    def build() -> ProgrammeView:
        try:
            section = programme.programme_section(
                store=store,
                settings=settings,
                week=week,
                lang=lang,
                metrics=metrics,
                board=board,
            )
            tracked = programme.track_progress(metrics=metrics, week=week)
        except ProgrammeError:
            # A pair whose branch has no business in the span: the rest of the page shows.
            return ProgrammeView(
                available=False,
                benchmark_weeks=[],
                benchmarks=[],
                pairs_saved=False,
                pairs=[],
                notes=[Translator(lang)("dashboards.programme.unavailable")],
            )
        changes = {
            p.pair.pair_id: (p.latest.change_points if p.latest is not None else None)
            for p in tracked
        }
        return ProgrammeView(
            available=True,
            benchmark_weeks=list(section.benchmark_weeks),
            benchmarks=[_benchmark_view(b) for b in section.benchmarks],
            pairs_saved=section.pairs_saved,
            pairs=[_pair_view(p, changes) for p in section.pairs],
            notes=list(section.notes),
        )

    return cache.get(f"programme-{week}-{lang.value}", PROGRAMME, build)


def _board(cache: ViewCache, metrics: Metrics, settings: Settings, week: str) -> StatusBoard:
    """The week's status board (kept in this process while the data and settings are
    unchanged: every page of the week reads the same one)."""
    return cache.in_memory(
        f"board-{week}", lambda: judge(metrics=metrics, settings=settings, week=week)
    )


def _staff_figures(*, metrics: Metrics, quarter: str, cache: ViewCache) -> list[StaffFigures]:
    """Every staff member's figures of ``quarter`` (kept while the data is unchanged)."""
    return cache.get(
        f"staff-{quarter}",
        STAFF,
        lambda: staff_figures(metrics=metrics, period=Period.quarter(quarter)),
    )


def _pair_view(entry: programme.PairEntry, changes: Mapping[int, float | None]) -> PairView:
    return PairView(
        pair_id=entry.pair_id,
        saved=entry.pair_id is not None,
        branch_id=entry.branch_id,
        name=entry.name,
        region=entry.region,
        partner_branch_id=entry.partner_branch_id,
        partner_name=entry.partner_name,
        start_week=entry.start_week,
        rate=entry.rate,
        partner_rate=entry.partner_rate,
        gap_points=entry.gap_points,
        mix_points=entry.mix_points,
        performance_points=entry.performance_points,
        baseline_gap_points=entry.baseline_gap_points,
        change_points=changes.get(entry.pair_id) if entry.pair_id is not None else None,
        why=list(entry.why),
        findings=list(entry.findings),
        recommendations=list(entry.recommendations),
        progress=[
            ProgressPoint(
                week=p.week, rate=p.rate, partner_rate=p.partner_rate, gap_points=p.gap_points
            )
            for p in entry.progress
        ],
    )


def _benchmark_view(b: programme.BenchmarkEntry) -> BenchmarkView:
    return BenchmarkView(
        branch_id=b.branch_id,
        name=b.name,
        region=b.region,
        branch_type=b.branch_type,
        group=b.group,
        rank=b.rank,
        rate=b.rate,
        low=b.low,
        high=b.high,
        peer_mean=b.peer_mean,
        lead_points=None if b.peer_mean is None else 100.0 * (b.low - b.peer_mean),
        differences=list(b.differences),
    )


# -- the centre analyst's dashboard -------------------------------------------------------


def network_dashboard(
    *,
    store: Store,
    settings: Settings,
    actor: Actor,
    lang: Lang | str,
    week: str | None = None,
    region: str | None = None,
    group: str | None = None,
    metrics: Metrics | None = None,
) -> NetworkDashboard:
    """Every branch in ``week`` (default: the latest): headline, trend, rankings, programme."""
    actor.require(Permission.NETWORK_DASHBOARD)
    language = Lang(lang)
    t = Translator(language)
    chosen, weeks = choose_week(store, week)
    config = settings.bulletin
    target = config.target_rate
    period = Period.week(chosen)
    trend_weeks = weeks_back(chosen, config.trend_weeks)
    labels = Labels(store, language)
    cache = ViewCache(store, settings)
    with _metrics_of(store, settings, metrics) as m:
        board = _board(cache, m, settings, chosen)
        ranking = board.ranking
        wow = _one(m.week_over_week(chosen, []))
        attained = _one(m.attainment(target, period, []))
        group_wow = by_key(m.week_over_week(chosen, ["branch_type"]), "branch_type")
        whole = m.trend(chosen, config.trend_weeks, [])
        by_group = m.trend(chosen, config.trend_weeks, ["branch_type"])
        plan = _programme(
            store=store,
            settings=settings,
            week=chosen,
            lang=language,
            metrics=m,
            cache=cache,
            board=board,
        )
    rows = [_ranking_row(r, labels, t, board) for r in ranking.iter_rows(named=True)]
    kinds = _group_order(r.branch_type for r in rows)
    groups_trend = {kind: by_group.filter(pl.col("branch_type") == kind) for kind in kinds}
    peer_groups = []
    for kind in kinds:
        # Every group keeps its own figures; the filters only choose the branches listed.
        listed = group is None or kind == group
        members = sorted(
            (
                r
                for r in rows
                if listed and r.branch_type == kind and (region is None or r.region == region)
            ),
            key=lambda r: (r.peer_rank is None, r.peer_rank or 0, r.branch_id),
        )
        w = group_wow.get(kind, {})
        tally = board.tally(r.branch_id for r in rows if r.branch_type == kind)
        peer_groups.append(
            PeerGroupView(
                branch_type=kind,
                label=labels.group(kind),
                rate=rate_of(w),
                change_pp=opt_float(w.get("change_pp")),
                branches_reporting=tally.judged,
                at_target=tally.at_target,
                share_at_target=tally.share_at_target,
                rows=members,
            )
        )
    return NetworkDashboard(
        week=chosen,
        previous_week=shift_week(chosen, -1),
        weeks=weeks,
        trend_weeks=trend_weeks,
        target=target,
        min_migratable=config.min_migratable,
        region=region,
        group=group,
        regions=sorted({r.region for r in rows if r.region}),
        groups=[Choice(value=kind, label=labels.group(kind)) for kind in kinds],
        headline=NetworkHeadline(
            rate=rate_of(wow),
            previous_rate=opt_float(wow.get("previous_rate")),
            change_pp=opt_float(wow.get("change_pp")),
            branches_listed=len(rows),
            branches_reporting=board.tally().judged,
            at_target=board.tally().at_target,
            share_at_target=board.tally().share_at_target,
            shortfall=as_int(attained.get("shortfall")),
        ),
        trend=[
            series_of("all", t("dashboards.network.network"), whole, trend_weeks),
            *(
                series_of(kind, labels.group(kind), frame, trend_weeks)
                for kind, frame in groups_trend.items()
            ),
        ],
        peer_groups=peer_groups,
        benchmark_weeks=plan.benchmark_weeks,
        benchmarks=plan.benchmarks,
        pair_weeks=settings.programme.lagging.weeks,
        pairs_saved=plan.pairs_saved,
        pairs=plan.pairs,
        programme_notes=plan.notes,
        bulletin=bulletins.links(store, chosen, language),
    )


# -- the branch director's dashboard ------------------------------------------------------


def _branch_info(store: Store, branch_id: str, labels: Labels) -> BranchInfo:
    found = read_table(store, "branches").filter(pl.col("branch_id") == branch_id).to_dicts()
    if not found:
        raise BranchNotInStore(branch_id=branch_id)
    b = found[0]
    return BranchInfo(
        branch_id=branch_id,
        name=b.get("name") or branch_id,
        region=b.get("region"),
        branch_type=b["branch_type"],
        group=labels.group(b["branch_type"]),
        staff_count=opt_int(b.get("staff_count")),
        smart_counters=opt_int(b.get("smart_counters")),
    )


def _branch_week(
    ranked: Mapping[str, Any],
    tickets: Mapping[str, Any],
    attained: Mapping[str, Any] | None,
    network_ranked: int,
    status: Status,
    t: Translator,
) -> BranchWeek:
    return BranchWeek(
        rate=rate_of(ranked),
        previous_rate=opt_float(ranked.get("previous_rate")),
        change_pp=opt_float(ranked.get("change_pp")),
        shrunk_rate=opt_float(ranked.get("shrunk_rate")),
        shrunk_low=opt_float(ranked.get("shrunk_low")),
        shrunk_high=opt_float(ranked.get("shrunk_high")),
        peer_rank=opt_int(ranked.get("peer_rank")),
        peers=opt_int(ranked.get("peers")),
        network_rank=opt_int(ranked.get("network_rank")),
        network_ranked=network_ranked,
        standing=status.value,
        standing_label=status_name(status, t),
        at_target=status.at_or_above_target if status.judged else None,
        shortfall=None if attained is None else int(attained["shortfall"]),
        tickets=as_int(tickets.get("tickets")),
        daily_tickets=opt_float(tickets.get("daily_tickets")),
    )


def may_score(actor: Actor, branch_id: str, staff_id: str, role: str | None) -> bool:
    """True when ``actor`` may enter the director's score of this staff member.

    Nobody scores themselves, and the director's score is of the branch's staff, so no
    director is scored on the page (the centre may still import one).
    """
    return (
        actor.can(Permission.STAFF_SCORE, branch_id)
        and staff_id != actor.staff_id
        and role != "director"
    )


def branch_dashboard(
    *,
    store: Store,
    settings: Settings,
    actor: Actor,
    branch_id: str,
    lang: Lang | str,
    week: str | None = None,
    quarter: str | None = None,
    metrics: Metrics | None = None,
) -> BranchDashboard:
    """One branch in ``week`` (default: the latest) and its staff in ``quarter`` (default: the week's)."""
    actor.require(Permission.BRANCH_DASHBOARD, branch_id)
    language = Lang(lang)
    t = Translator(language)
    chosen, weeks = choose_week(store, week)
    if quarter is not None:
        try:
            parse_quarter(quarter)
        except ValueError as exc:  # year 0 comes as a bare ValueError, not a PeriodError
            raise BadQuarter(quarter=quarter) from exc
    shown_quarter = quarter.strip() if quarter else quarter_of(chosen)
    config = settings.bulletin
    target = config.target_rate
    period = Period.week(chosen)
    trend_weeks = weeks_back(chosen, config.trend_weeks)
    labels = Labels(store, language)
    info = _branch_info(store, branch_id, labels)
    cache = ViewCache(store, settings)
    by = ["branch"]
    with _metrics_of(store, settings, metrics) as m:
        board = _board(cache, m, settings, chosen)
        ranking = board.ranking
        network_ranked = int(ranking["network_rank"].is_not_null().sum())
        ranked = _one(_of_branch(ranking, branch_id))
        tickets = _one(_of_branch(m.daily_tickets(by, period), branch_id))
        attained_rows = _of_branch(m.attainment(target, period, by), branch_id).to_dicts()
        own_trend = _of_branch(m.trend(chosen, config.trend_weeks, by), branch_id)
        group_trend = m.trend(chosen, config.trend_weeks, ["branch_type"]).filter(
            pl.col("branch_type") == info.branch_type
        )
        whole = m.trend(chosen, config.trend_weeks, [])
        paretos = [
            pareto_of(
                dim, _of_branch(m.unmigrated(dim, period, by), branch_id), labels, network=False
            )
            for dim in BRANCH_DIMENSIONS
        ]
        triage = triage_of(
            _of_branch(m.funnel(period, by), branch_id),
            _of_branch(m.decline_reasons(period, by), branch_id),
            _of_branch(m.triage_depth(period, by), branch_id),
            labels,
        )
        plan = _programme(
            store=store,
            settings=settings,
            week=chosen,
            lang=language,
            metrics=m,
            cache=cache,
            board=board,
        )
        everyone = _staff_figures(metrics=m, quarter=shown_quarter, cache=cache)
        cards = scorecards(
            metrics=m,
            quarter=shown_quarter,
            weights=settings.scorecard,
            branch_id=branch_id,
            figures=[f for f in everyone if f.branch_id == branch_id],
        )
    this_week = None
    if ranked and ranked.get("rate") is not None:
        this_week = _branch_week(
            ranked,
            tickets,
            attained_rows[0] if attained_rows else None,
            network_ranked,
            board.status(branch_id),
            t,
        )
    pairs: list[BranchPair] = []
    for pair in plan.pairs:
        if branch_id == pair.branch_id:
            pairs.append(BranchPair(side="lagging", pair=pair))
        elif branch_id == pair.partner_branch_id:
            pairs.append(BranchPair(side="partner", pair=pair))
    weights = settings.scorecard
    return BranchDashboard(
        week=chosen,
        previous_week=shift_week(chosen, -1),
        weeks=weeks,
        trend_weeks=trend_weeks,
        target=target,
        branch=info,
        this_week=this_week,
        trend=[
            series_of(branch_id, info.name, own_trend, trend_weeks),
            series_of(info.branch_type, info.group, group_trend, trend_weeks),
            series_of("all", t("dashboards.network.network"), whole, trend_weeks),
        ],
        unmigrated=paretos,
        funnel=list(triage.stages),
        depth=list(triage.depth),
        pair_weeks=settings.programme.lagging.weeks,
        pairs_saved=plan.pairs_saved,
        pairs=pairs,
        programme_notes=[] if plan.available else plan.notes,
        quarter=shown_quarter,
        quarters=sorted({*quarters_of(weeks), shown_quarter}),
        # Each role has its own weights now; the one caption shows their average share.
        weights=ScorecardWeights(**family_weights(weights, [c.role for c in cards])),
        scorecards=[
            StaffScorecard(
                staff_id=c.figures.staff_id,
                name=c.figures.name or c.figures.staff_id,
                role=c.figures.role,
                role_label=t(f"bulletin.role.{c.figures.role}") if c.figures.role else "",
                transactions=c.figures.transactions,
                migratable=c.figures.migratable,
                touches=c.figures.touches,
                acceptance_rate=c.figures.acceptance_rate,
                migration=c.parts.migration,
                triage_acceptance=c.parts.triage_acceptance,
                triage_coverage=c.parts.triage_coverage,
                director=c.parts.director,
                director_note=c.director_note,
                score=c.score,
                scorable=may_score(actor, branch_id, c.figures.staff_id, c.figures.role),
            )
            for c in cards
        ],
        can_score=actor.can(Permission.STAFF_SCORE, branch_id),
    )


# -- the director's own score ---------------------------------------------------------------


def enter_director_scores(
    *,
    session: Session,
    store: Store,
    actor: Actor,
    branch_id: str,
    quarter: str,
    scores_in: DirectorScoresIn,
    now: datetime,
) -> DirectorScoresSaved:
    """Save the director's quarterly scores of the branch's staff, each in the audit log.

    Saved through the scorecard package's own storage, so ``smartcounter scorecard`` and
    the scorecards on the page show them. The audit entries join the request's unit of
    work and are written before the scores: if saving the scores fails, the request rolls
    back and no entry claims a score that was not saved.
    """
    actor.require(Permission.STAFF_SCORE, branch_id)
    try:
        parse_quarter(quarter)
    except ValueError as exc:  # year 0 comes as a bare ValueError, not a PeriodError
        raise BadQuarter(quarter=quarter) from exc
    staff = {
        r["staff_id"]: (r["branch_id"], r.get("role"))
        for r in read_table(store, "staff").iter_rows(named=True)
    }
    seen: set[str] = set()
    for item in scores_in.scores:
        if item.staff_id in seen:
            raise RepeatedStaff(staff_id=item.staff_id)
        seen.add(item.staff_id)
        member = staff.get(item.staff_id)
        if member is None or member[0] != branch_id:
            raise UnknownStaff(staff_id=item.staff_id, branch_id=branch_id)
        if not may_score(actor, branch_id, item.staff_id, member[1]):
            raise NotScorable(staff_id=item.staff_id)
    before = load_scores(session)
    entered_at = now.replace(tzinfo=UTC).isoformat(timespec="seconds")
    scores = []
    for item in scores_in.scores:
        previous = before.get((item.staff_id, quarter))
        note = item.note or None
        audit.record(
            session,
            actor=actor,
            action="scorecard.director_score",
            at=now,
            branch_id=branch_id,
            target=item.staff_id,
            detail={
                "quarter": quarter,
                "score": item.score,
                "previous": None if previous is None else previous.score,
                "note": note,
            },
        )
        scores.append(DirectorScore(item.staff_id, quarter, item.score, note, entered_at))
    session.flush()
    new, replaced = save_scores(session=session, store=store, scores=scores)
    return DirectorScoresSaved(quarter=quarter, branch_id=branch_id, new=new, replaced=replaced)


# -- working the figures out before anyone asks -------------------------------------------------


def warm_dashboards(store: Store, settings: Settings) -> int:
    """Work out the latest week's figures for every dashboard, so that the first page after
    an import or a start is a lookup; returns the answers computed (0: all were kept).

    Every branch's page reads the same network-wide answers, so one branch page and the
    network page make them all.
    """
    from smartcounter.accounts.roles import system_actor

    if not settings.share_figures:
        return 0
    try:
        branches = read_table(store, "branches")["branch_id"].sort().to_list()
        choose_week(store, None)
    except (NoData, StoreNotFoundError):
        return 0
    actor = system_actor("warm-up")
    with shared_metrics(store, settings) as metrics:
        network_dashboard(
            store=store, settings=settings, actor=actor, lang=settings.lang, metrics=metrics
        )
        if branches:
            branch_dashboard(
                store=store,
                settings=settings,
                actor=actor,
                branch_id=branches[0],
                lang=settings.lang,
                metrics=metrics,
            )
        engine = metrics.engine
        return engine.computed if isinstance(engine, SharedResults) else 0


def warm_in_background(store: Store, settings: Settings) -> None:
    """``warm_dashboards`` in a thread of its own (after a close of day in the web app):
    pages asked for meanwhile wait for the same answers rather than work them out again."""
    import threading

    def warm() -> None:
        try:
            warm_dashboards(store, settings)
        except Exception:  # a page works its figures out itself then
            logger.exception("working the dashboards' figures out failed")

    threading.Thread(target=warm, name="warm-dashboards", daemon=True).start()
