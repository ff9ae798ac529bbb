"""The bulletin's content: one typed model built from the metrics API, and nothing else.

This is the only module of the bulletin that calls the metrics API; every format renders
the ``BulletinContent`` it returns. No figure of metrics.md is computed here: rates,
intervals, ranks, shrunk estimates, Paretos, funnels and attainment all come from the
API. What this module adds is judgement on top of them — which branches may be named as
benchmarks or as needing help, which changes are movers — and labels in the language.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

import polars as pl

from smartcounter.bulletin.errors import NoDataError, UnknownRegionError
from smartcounter.bulletin.formats import capital
from smartcounter.bulletin.sections import Section
from smartcounter.canonical.tables import BRANCH_TYPES
from smartcounter.i18n import Lang, Translator
from smartcounter.metrics import Metrics, Period
from smartcounter.metrics.period import (
    parse_quarter,
    quarter_of_day,
    shift_week,
    week_end,
    week_start,
    week_thursday,
    weeks_back,
)
from smartcounter.metrics.rows import as_int, by_key, opt_float, opt_int
from smartcounter.programme.status import Basis, Status, StatusBoard
from smartcounter.settings import BulletinSettings
from smartcounter.store.layout import Store
from smartcounter.views import (
    Labels,
    Pareto,
    ParetoRow,
    Rate,
    Series,
    Triage,
    pareto_of,
    rate_of,
    series_of,
    triage_of,
)

# Un-migrated business by these, network-wide (staff by role: a network bulletin names no
# teller) and on a branch's page (where the director reads their own staff by name).
DIMENSIONS = ("business", "reason", "role", "hour", "age_band", "customer_tier")
BRANCH_DIMENSIONS = ("business", "reason", "staff", "hour", "age_band")


@dataclass(frozen=True)
class BranchRow:
    """One branch of the week's ranking, with its tickets, attainment and standing."""

    branch_id: str
    name: str
    region: str | None
    branch_type: str
    staff_count: int | None
    smart_counters: int | None
    rate: Rate
    shrunk_rate: float | None
    shrunk_low: float | None
    shrunk_high: float | None
    peer_rank: int | None
    peers: int | None
    network_rank: int | None
    previous_rate: float | None
    change_pp: float | None
    previous_peer_rank: int | None  # last week's rank in the peer group
    previous_migratable: int  # last week's counts, for how sure a change is
    previous_migrated: int
    tickets: int
    daily_tickets: float | None
    shortfall: int | None
    status: Status  # the status model's, judged network-wide
    weeks_below_target: int  # weeks in a row below target, ending with this week
    benchmark_rank: int | None
    basis: Basis | None = None  # the weeks and bounds a multi-week status rests on
    month_rate: Rate | None = None  # from the first of the week's month to the week's end
    quarter_rate: Rate | None = None  # from the first of its quarter to the week's end

    @property
    def rank_change(self) -> int | None:
        """Places gained in the peer group since last week (negative: lost)."""
        if self.peer_rank is None or self.previous_peer_rank is None:
            return None
        return self.previous_peer_rank - self.peer_rank


@dataclass(frozen=True)
class Headline:
    """The week in a few figures for the scope (network or region)."""

    rate: Rate
    previous_rate: float | None
    change_pp: float | None
    visit_rate: Rate | None
    branches_listed: int
    branches_reporting: int  # with enough migratable business to be judged
    at_target: int  # statuses benchmark, advanced, at target
    share_at_target: float | None
    statuses: Mapping[Status, int]
    month_rate: Rate  # month to date (to the week's Sunday)
    quarter_rate: Rate  # quarter to date
    shortfall: int
    tickets: int
    daily_tickets: float | None
    # Days with business this week and the week before (None: no business then), and the
    # week's last such day: a week holding fewer days than the one before is partial.
    days: int = 0
    previous_days: int | None = None
    last_day: date | None = None

    @property
    def partial(self) -> bool:
        """Fewer days of business than the week before: the data may end mid-week."""
        return self.previous_days is not None and self.days < self.previous_days


@dataclass(frozen=True)
class PeerGroup:
    """A peer group (branch type): its rate, its ranking and whom it may name."""

    branch_type: str
    label: str
    rate: Rate
    previous_rate: float | None
    change_pp: float | None
    branches_reporting: int
    at_target: int
    share_at_target: float | None
    rows: tuple[BranchRow, ...]
    benchmarks: tuple[BranchRow, ...]  # status benchmark, surest first
    needs_help: tuple[BranchRow, ...]  # status needs help, lowest rate first


@dataclass(frozen=True)
class Mover:
    """A branch whose rate moved most since last week; ``beyond_noise`` when last
    week's rate lies outside this week's 95 % interval."""

    row: BranchRow
    beyond_noise: bool


@dataclass(frozen=True)
class BelowTarget:
    """A branch below target with the head of its un-migrated Paretos."""

    row: BranchRow
    top_business: ParetoRow | None
    top_reason: ParetoRow | None


@dataclass(frozen=True)
class BranchPage:
    """Everything of one branch: for its page, in the words of its director."""

    row: BranchRow
    trend: Series
    unmigrated: tuple[Pareto, ...]
    triage: Triage


@dataclass(frozen=True)
class Issue:
    """The issuing block: who issues the bulletin, its number, the day it is issued."""

    issuer: str
    number: int
    year: int
    issued: date


@dataclass(frozen=True)
class PairLink:
    """A pair the bulletin names: the branch needing help, its partner, since when."""

    pair_id: int | None  # None: proposed this week, not yet confirmed
    branch_id: str
    partner_branch_id: str
    start_week: str | None  # None: proposed, starts in the week it is confirmed


@dataclass(frozen=True)
class BulletinContent:
    """The whole bulletin of one week and scope, in one language."""

    week: str
    previous_week: str
    week_start: date
    week_end: date
    trend_weeks: tuple[str, ...]
    lang: Lang
    region: str | None
    target: float
    min_migratable: int
    benchmark_weeks: tuple[str, ...]  # the weeks benchmarks were judged on
    benchmark_window: int  # the weeks the rule asks for
    recent_weeks: tuple[str, ...]  # the weeks advanced and needing help were judged on
    recent_window: int
    benchmarks_judged: bool  # the store held enough weeks to judge benchmarks
    recent_judged: bool  # … to judge advanced and needing help
    # "To date": from the first of the month (quarter) the week mostly falls in, to the week's
    # Sunday or the month's last day, whichever comes first.
    month_start: date
    quarter_start: date
    to_date_end: date
    issue: Issue
    generated_at: datetime
    network_ranked: int
    headline: Headline
    groups: tuple[PeerGroup, ...]
    branches: tuple[BranchRow, ...]
    movers_up: tuple[Mover, ...]
    movers_down: tuple[Mover, ...]
    unmigrated: tuple[Pareto, ...]
    below_target: tuple[BelowTarget, ...]
    triage: Triage
    trend: tuple[Series, ...]
    pages: tuple[BranchPage, ...]
    sections: tuple[Section, ...] = ()
    pairs: tuple[PairLink, ...] = ()
    # The status rules in plain words (status code, name, rule), and the notes on them.
    status_rules: tuple[tuple[str, str, str], ...] = ()
    status_notes: tuple[str, ...] = ()

    def with_sections(
        self, sections: Sequence[Section], pairs: Sequence[PairLink] = ()
    ) -> BulletinContent:
        """The same content with the given extra sections (and the pairs they name)."""
        return replace(self, sections=tuple(sections), pairs=tuple(pairs))


# -- conversions ----------------------------------------------------------------------


def _split(frame: pl.DataFrame, column: str) -> dict[Any, pl.DataFrame]:
    if frame.is_empty():
        return {}
    return {key[0]: part for key, part in frame.partition_by(column, as_dict=True).items()}


def _one(frame: pl.DataFrame) -> dict[str, Any]:
    rows = frame.to_dicts()
    return rows[0] if rows else {}


def _group_order(types: Iterable[str]) -> list[str]:
    present = set(types)
    known = [t for t in BRANCH_TYPES if t in present]
    return known + sorted(present - set(BRANCH_TYPES))


# -- the builder ----------------------------------------------------------------------
class _Builder:
    """Calls the metrics API once per figure and frames the answers as the model."""

    def __init__(
        self,
        metrics: Metrics,
        store: Store,
        config: BulletinSettings,
        board: StatusBoard,
        lang: Lang,
        region: str | None,
    ) -> None:
        # The month (and quarter) the week mostly falls in: its Thursday's, as ISO weeks do.
        thursday = week_thursday(board.week)
        self.month_start = thursday.replace(day=1)
        self.quarter_start = parse_quarter(quarter_of_day(thursday))[0]
        following = (self.month_start + timedelta(days=32)).replace(day=1)
        self.to_date_end = min(week_end(board.week), following - timedelta(days=1))
        self.m = metrics
        self.config = config
        self.board = board
        week = board.week
        self.week = week
        self.period = Period.week(week)
        self.lang = lang
        self.t = Translator(lang)
        self.region = region
        self.scope: list[str] = ["region"] if region else []
        self.labels = Labels(store, lang)
        self.trend_weeks = tuple(weeks_back(week, config.trend_weeks))

    def in_scope(self, frame: pl.DataFrame) -> pl.DataFrame:
        """The rows of the bulletin's region (all rows for the whole network)."""
        if self.region is None:
            return frame
        return frame.filter(pl.col("region") == self.region)

    def build(self, generated_at: datetime) -> BulletinContent:
        board = self.board
        ranking = board.ranking
        if self.region is not None and self.region not in set(ranking["region"].to_list()):
            raise UnknownRegionError(region=self.region, week=self.week)
        self.labels.branch_names = dict(
            zip(ranking["branch_id"].to_list(), ranking["name"].to_list(), strict=True)
        )
        network_ranked = int(ranking["network_rank"].is_not_null().sum())
        rows = self._branch_rows(self.in_scope(ranking))
        headline = self._headline(rows)
        if headline.rate.migratable == 0 and headline.tickets == 0:
            raise NoDataError(week=self.week, region=self.region or "")
        pages = self._pages(rows)
        below = tuple(
            BelowTarget(
                row=p.row,
                top_business=p.unmigrated[0].rows[0] if p.unmigrated[0].rows else None,
                top_reason=p.unmigrated[1].rows[0] if p.unmigrated[1].rows else None,
            )
            for p in sorted(pages, key=_weakest_first)
            if p.row.status.below
        )
        up, down = self._movers(rows)
        return BulletinContent(
            week=self.week,
            previous_week=shift_week(self.week, -1),
            week_start=week_start(self.week),
            week_end=week_end(self.week),
            trend_weeks=self.trend_weeks,
            lang=self.lang,
            region=self.region,
            target=board.target,
            min_migratable=board.min_migratable,
            benchmark_weeks=board.benchmark_weeks,
            benchmark_window=board.benchmark_window,
            recent_weeks=board.recent_weeks,
            recent_window=board.recent_window,
            benchmarks_judged=board.benchmarks_judged,
            recent_judged=board.recent_judged,
            month_start=self.month_start,
            quarter_start=self.quarter_start,
            to_date_end=self.to_date_end,
            issue=self._issue(),
            generated_at=generated_at,
            network_ranked=network_ranked,
            headline=headline,
            groups=self._groups(rows),
            branches=tuple(rows),
            movers_up=up,
            movers_down=down,
            unmigrated=tuple(
                self._pareto(dim, self.in_scope(self.m.unmigrated(dim, self.period, self.scope)))
                for dim in DIMENSIONS
            ),
            below_target=below,
            triage=self._triage(
                self.in_scope(self.m.funnel(self.period, self.scope)),
                self.in_scope(self.m.decline_reasons(self.period, self.scope)),
                self.in_scope(self.m.triage_depth(self.period, self.scope)),
            ),
            trend=self._trends(),
            pages=pages,
        )

    # -- rankings ----------------------------------------------------------------------
    def _branch_rows(self, ranking: pl.DataFrame) -> list[BranchRow]:
        target = self.board.target
        tickets = by_key(self.m.daily_tickets(["branch"], self.period), "branch_id")
        attained = by_key(self.m.attainment(target, self.period, ["branch"]), "branch_id")
        previous = by_key(self.m.ranking(shift_week(self.week, -1)), "branch_id")
        month, quarter = (by_key(f, "branch_id") for f in self._to_date(["branch"]))
        out = []
        for r in ranking.iter_rows(named=True):
            bid = r["branch_id"]
            tk = tickets.get(bid, {})
            at = attained.get(bid)
            judged = self.board.of(bid)
            out.append(
                BranchRow(
                    branch_id=bid,
                    name=r["name"] or bid,
                    region=r["region"],
                    branch_type=r["branch_type"],
                    staff_count=opt_int(r["staff_count"]),
                    smart_counters=opt_int(r["smart_counters"]),
                    rate=rate_of(r),
                    shrunk_rate=opt_float(r["shrunk_rate"]),
                    shrunk_low=opt_float(r["shrunk_low"]),
                    shrunk_high=opt_float(r["shrunk_high"]),
                    peer_rank=opt_int(r["peer_rank"]),
                    peers=opt_int(r["peers"]),
                    network_rank=opt_int(r["network_rank"]),
                    previous_rate=opt_float(r["previous_rate"]),
                    change_pp=opt_float(r["change_pp"]),
                    previous_peer_rank=opt_int(previous.get(bid, {}).get("peer_rank")),
                    previous_migratable=as_int(previous.get(bid, {}).get("migratable")),
                    previous_migrated=as_int(previous.get(bid, {}).get("migrated")),
                    tickets=as_int(tk.get("tickets")),
                    daily_tickets=opt_float(tk.get("daily_tickets")),
                    shortfall=None if at is None else int(at["shortfall"]),
                    status=self.board.status(bid),
                    weeks_below_target=judged.weeks_below_target if judged else 0,
                    benchmark_rank=judged.benchmark_rank if judged else None,
                    basis=judged.basis if judged else None,
                    month_rate=rate_of(month[bid]) if bid in month else None,
                    quarter_rate=rate_of(quarter[bid]) if bid in quarter else None,
                )
            )
        return out

    def _issue(self) -> Issue:
        first = self.config.first_issue_week
        if first is not None:
            number = (week_start(self.week) - week_start(first)).days // 7 + 1
        else:
            number = int(self.week.split("-W")[1])
        return Issue(
            issuer=self.config.issuer or self.t("bulletin.issuer"),
            number=number,
            year=week_end(self.week).year,
            # Issued the Monday after its week, as the centre does (every Monday, last week).
            issued=week_end(self.week) + timedelta(days=1),
        )

    def _to_date(self, by: list[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
        """Rates from the first of the month, and of the quarter, to the week's Sunday."""
        end = self.to_date_end
        return (
            self.m.rates(by, Period.dates(self.month_start, end)),
            self.m.rates(by, Period.dates(self.quarter_start, end)),
        )

    def _days(self, week: str) -> list[date]:
        """The days of ``week`` with business in the bulletin's scope."""
        frame = self.in_scope(self.m.rates(["day", *self.scope], Period.week(week)))
        return [
            d if isinstance(d, date) else date.fromisoformat(str(d))
            for d in frame["day"].to_list()
            if d is not None
        ]

    def _headline(self, rows: Sequence[BranchRow]) -> Headline:
        target = self.board.target
        wow = _one(self.in_scope(self.m.week_over_week(self.week, self.scope)))
        visits = _one(self.in_scope(self.m.visit_rates(self.scope, self.period)))
        attained = _one(self.in_scope(self.m.attainment(target, self.period, self.scope)))
        tickets = _one(self.in_scope(self.m.daily_tickets(self.scope, self.period)))
        visit_rate = None
        if as_int(visits.get("visits_migratable")) > 0:
            visit_rate = Rate(
                migratable=as_int(visits["visits_migratable"]),
                migrated=as_int(visits["visits_migrated"]),
                rate=opt_float(visits["rate"]),
                ci_low=opt_float(visits["ci_low"]),
                ci_high=opt_float(visits["ci_high"]),
            )
        tally = self.board.tally(r.branch_id for r in rows)
        month, quarter = (_one(self.in_scope(f)) for f in self._to_date(self.scope))
        days = self._days(self.week)
        previous = self._days(shift_week(self.week, -1))
        return Headline(
            days=len(days),
            previous_days=len(previous) or None,
            last_day=max(days) if days else None,
            rate=rate_of(wow),
            previous_rate=opt_float(wow.get("previous_rate")),
            change_pp=opt_float(wow.get("change_pp")),
            visit_rate=visit_rate,
            branches_listed=len(rows),
            branches_reporting=tally.judged,
            at_target=tally.at_target,
            share_at_target=tally.share_at_target,
            statuses=tally.counts,
            month_rate=rate_of(month),
            quarter_rate=rate_of(quarter),
            shortfall=as_int(attained.get("shortfall")),
            tickets=as_int(tickets.get("tickets")),
            daily_tickets=opt_float(tickets.get("daily_tickets")),
        )

    def _groups(self, rows: list[BranchRow]) -> tuple[PeerGroup, ...]:
        by = [*self.scope, "branch_type"]
        wow = by_key(self.in_scope(self.m.week_over_week(self.week, by)), "branch_type")
        out = []
        for kind in _group_order(r.branch_type for r in rows):
            members = sorted(
                (r for r in rows if r.branch_type == kind),
                key=lambda r: (r.peer_rank is None, r.peer_rank or 0, r.branch_id),
            )
            benchmarks = sorted(
                (r for r in members if r.status is Status.BENCHMARK),
                key=lambda r: (r.benchmark_rank or 0, r.branch_id),
            )
            helped = sorted(
                (r for r in members if r.status is Status.NEEDS_HELP),
                key=lambda r: (r.rate.rate or 0.0, r.branch_id),
            )
            tally = self.board.tally(r.branch_id for r in members)
            w = wow.get(kind, {})
            out.append(
                PeerGroup(
                    branch_type=kind,
                    label=self.labels.group(kind),
                    rate=rate_of(w),
                    previous_rate=opt_float(w.get("previous_rate")),
                    change_pp=opt_float(w.get("change_pp")),
                    branches_reporting=tally.judged,
                    at_target=tally.at_target,
                    share_at_target=tally.share_at_target,
                    rows=tuple(members),
                    benchmarks=tuple(benchmarks),
                    needs_help=tuple(helped),
                )
            )
        return tuple(out)

    def _movers(self, rows: list[BranchRow]) -> tuple[tuple[Mover, ...], tuple[Mover, ...]]:
        moved = [
            r
            for r in rows
            if r.change_pp is not None and r.rate.migratable >= self.board.min_migratable
        ]

        def mover(r: BranchRow) -> Mover:
            return Mover(row=r, beyond_noise=_beyond_noise(r))

        ups = sorted(
            (r for r in moved if (r.change_pp or 0) > 0),
            key=lambda r: (-(r.change_pp or 0), r.branch_id),
        )
        downs = sorted(
            (r for r in moved if (r.change_pp or 0) < 0),
            key=lambda r: ((r.change_pp or 0), r.branch_id),
        )
        n = self.config.movers
        return tuple(mover(r) for r in ups[:n]), tuple(mover(r) for r in downs[:n])

    # -- un-migrated, triage, trend ----------------------------------------------------
    def _pareto(self, dimension: str, frame: pl.DataFrame, *, network: bool = True) -> Pareto:
        return pareto_of(dimension, frame, self.labels, network=network)

    def _triage(self, funnel: pl.DataFrame, declines: pl.DataFrame, depth: pl.DataFrame) -> Triage:
        return triage_of(funnel, declines, depth, self.labels)

    def _series(self, key: str, label: str, frame: pl.DataFrame | None) -> Series:
        return series_of(key, label, frame, self.trend_weeks)

    def _trends(self) -> tuple[Series, ...]:
        n = self.config.trend_weeks
        whole = self.in_scope(self.m.trend(self.week, n, self.scope))
        scope_label = self.region or capital(self.t("bulletin.scope.network"))
        out = [self._series("all", scope_label, whole)]
        groups = _split(
            self.in_scope(self.m.trend(self.week, n, [*self.scope, "branch_type"])), "branch_type"
        )
        for kind in _group_order(groups):
            out.append(self._series(kind, self.labels.group(kind), groups[kind]))
        return tuple(out)

    def _pages(self, rows: list[BranchRow]) -> tuple[BranchPage, ...]:
        by = ["branch"]
        trends = _split(self.m.trend(self.week, self.config.trend_weeks, by), "branch_id")
        paretos = {
            dim: _split(self.m.unmigrated(dim, self.period, by), "branch_id")
            for dim in BRANCH_DIMENSIONS
        }
        funnels = _split(self.m.funnel(self.period, by), "branch_id")
        declines = _split(self.m.decline_reasons(self.period, by), "branch_id")
        depths = _split(self.m.triage_depth(self.period, by), "branch_id")
        pages = []
        regions = self.config.region_order
        for r in sorted(rows, key=lambda row: _page_order(row, regions)):
            bid = r.branch_id
            pages.append(
                BranchPage(
                    row=r,
                    trend=self._series(bid, r.name, trends.get(bid)),
                    unmigrated=tuple(
                        self._pareto(dim, paretos[dim].get(bid, _EMPTY_PARETO), network=False)
                        for dim in BRANCH_DIMENSIONS
                    ),
                    triage=self._triage(
                        funnels.get(bid, _EMPTY_FUNNEL),
                        declines.get(bid, _EMPTY_DECLINES),
                        depths.get(bid, _EMPTY_DEPTH),
                    ),
                )
            )
        return tuple(pages)


_EMPTY_PARETO = pl.DataFrame(
    schema={
        "value": pl.String,
        "count": pl.Int64,
        "share": pl.Float64,
        "cumulative_share": pl.Float64,
    }
)
_EMPTY_FUNNEL = pl.DataFrame(schema={"stage": pl.Int64})
_EMPTY_DECLINES = pl.DataFrame(schema={"stage": pl.Int64, "reason": pl.String})
_EMPTY_DEPTH = pl.DataFrame(schema={"depth": pl.Int64})


def region_key(region: str | None, order: Sequence[str]) -> tuple[int, str]:
    """Where ``region`` sorts: the configured order first, then the others by name."""
    if region in order:
        return (order.index(region), "")
    return (len(order), region or "")


Z_95 = 1.959964


def _beyond_noise(r: BranchRow) -> bool:
    """True when this week's and last week's rates differ by more than chance (a two-sample
    test of proportions on the two weeks' counts, 95 %): a mover is named only then."""
    n1, x1, n0, x0 = r.rate.migratable, r.rate.migrated, r.previous_migratable, r.previous_migrated
    if n1 == 0 or n0 == 0:
        return False
    pooled = (x1 + x0) / (n1 + n0)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
    if spread == 0:
        return False
    return abs(x1 / n1 - x0 / n0) / spread > Z_95


def _page_order(row: BranchRow, regions: Sequence[str]) -> tuple[int, tuple[int, str], str]:
    kinds = list(BRANCH_TYPES)
    kind = kinds.index(row.branch_type) if row.branch_type in kinds else len(kinds)
    return (kind, region_key(row.region, regions), row.branch_id)


def _weakest_first(page: BranchPage) -> tuple[float, str]:
    rate = page.row.rate.rate
    return (rate if rate is not None else 2.0, page.row.branch_id)


def build_content(
    metrics: Metrics,
    store: Store,
    config: BulletinSettings,
    *,
    board: StatusBoard,
    lang: Lang,
    region: str | None,
    generated_at: datetime,
) -> BulletinContent:
    """Build the bulletin's content of ``board.week`` (and ``region``) from the metrics API.

    ``board``: the week's statuses, judged network-wide by the status model.
    """
    return _Builder(metrics, store, config, board, lang, region).build(generated_at)
