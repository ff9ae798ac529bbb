"""The one status of each branch in a week (标杆 … 无业务): the only place that decides it.

Every output — the bulletin in all its formats and editions, the dashboards, ``ranking``,
``benchmarks``, ``pairs``, ``diagnose`` and ``progress`` — shows the status decided here
and decides nothing itself. Statuses are judged on the whole network and only then
filtered, so a region's bulletin never changes a branch's status.

The rules, in the order they are tried (the first that holds wins):

1. ``no_data`` 无业务: no migratable business in the week.
2. ``too_few`` 数据不足: fewer than ``bulletin.min_migratable`` migratable transactions in the
   week — too few to say anything about the branch.
3. ``benchmark`` 标杆: at or above target this week, and over the benchmark weeks (8 by
   default, or the weeks the store holds, at least 2): enough volume, business in most weeks
   and at or above its peer group in most of them, and *surely* at or above both the target
   and the upper quartile of its group — the lower end of its 95 % interval and of its
   estimate adjusted for size (see below) both there. At most ``per_group`` per peer group,
   the surest first.
4. ``advanced`` 先进: at or above target this week, and over the recent weeks (4 by default)
   surely at or above target (both lower ends at or above it) and meeting the advanced
   rule's criteria.
5. ``at_target`` 达标: at or above target this week.
6. ``needs_help`` 重点帮扶: below target this week, and over the recent weeks surely below
   target (both upper ends below it) and meeting the lagging rule's criteria (by default:
   in the bottom quarter of its peer group and surely below the group's average).
7. ``below_target`` 未达标: this week surely below target (both upper ends below it).
8. ``uncertain`` 待观察: below target this week, but within the week's noise.

"The estimate adjusted for size" is the empirical-Bayes (shrunk) estimate: a branch with
few transactions is pulled towards its peer group's rate, because its own rate is mostly
chance; a large branch keeps its own rate.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import polars as pl

from smartcounter.canonical.tables import TABLES_BY_NAME
from smartcounter.i18n import Translator
from smartcounter.metrics import Metrics, Period
from smartcounter.metrics.period import weeks_back
from smartcounter.metrics.programme_api import ProgrammeMetrics
from smartcounter.metrics.rows import as_int, opt_float
from smartcounter.programme.standing import Criterion, Standing, Verdict, standings
from smartcounter.settings import AdvancedRule, BenchmarkRule, LaggingRule, Settings

# Fewer weeks than this in a window and no multi-week judgement is made on it.
MIN_WINDOW_WEEKS = 2
# How far back "weeks in a row below target" is counted (a longer run is said as this many).
STREAK_HORIZON = 26


class Status(StrEnum):
    """A branch's one status in a week, best first."""

    BENCHMARK = "benchmark"
    ADVANCED = "advanced"
    AT_TARGET = "at_target"
    UNCERTAIN = "uncertain"
    BELOW_TARGET = "below_target"
    NEEDS_HELP = "needs_help"
    TOO_FEW = "too_few"
    NO_DATA = "no_data"

    @property
    def at_or_above_target(self) -> bool:
        """True for the statuses of a branch at or above target this week."""
        return self in (Status.BENCHMARK, Status.ADVANCED, Status.AT_TARGET)

    @property
    def below(self) -> bool:
        """True for the statuses of a branch below target this week."""
        return self in (Status.UNCERTAIN, Status.BELOW_TARGET, Status.NEEDS_HELP)

    @property
    def tone(self) -> str:
        """How a badge shows it: ``good``/``bad`` (``strong`` for the named ones), else neutral."""
        return _TONES[self]

    @property
    def judged(self) -> bool:
        """True when the week had enough business to judge the branch on."""
        return self not in (Status.TOO_FEW, Status.NO_DATA)


_TONES = {
    Status.BENCHMARK: "good strong",
    Status.ADVANCED: "good",
    Status.AT_TARGET: "good",
    Status.UNCERTAIN: "neutral",
    Status.BELOW_TARGET: "bad",
    Status.NEEDS_HELP: "bad strong",
    Status.TOO_FEW: "muted",
    Status.NO_DATA: "muted",
}

# The statuses that may help another branch (a pair's partner), and the one that is helped.
PARTNER_STATUSES = frozenset({Status.BENCHMARK, Status.ADVANCED})
HELPED_STATUS = Status.NEEDS_HELP


def target_rate(settings: Settings) -> float:
    """The target rate every status is judged against."""
    own = settings.programme.lagging.target
    return own if own is not None else settings.bulletin.target_rate


@dataclass(frozen=True)
class WeekFigures:
    """A branch's figures of the week that its status reads (from ``Metrics.ranking``)."""

    migratable: int
    rate: float | None
    ci_low: float | None
    ci_high: float | None
    shrunk_rate: float | None
    shrunk_low: float | None
    shrunk_high: float | None

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> WeekFigures:
        """From a row of ``Metrics.ranking``."""
        return cls(
            migratable=as_int(row.get("migratable")),
            rate=opt_float(row.get("rate")),
            ci_low=opt_float(row.get("ci_low")),
            ci_high=opt_float(row.get("ci_high")),
            shrunk_rate=opt_float(row.get("shrunk_rate")),
            shrunk_low=opt_float(row.get("shrunk_low")),
            shrunk_high=opt_float(row.get("shrunk_high")),
        )


@dataclass(frozen=True)
class Basis:
    """What a multi-week status rests on: the weeks, the rate, and the surer ends of both bounds."""

    weeks: int
    rate: float | None
    low: float | None  # the lower of the Wilson and the size-adjusted lower ends
    high: float | None  # the higher of the two upper ends


def _basis(s: Standing) -> Basis:
    lows = [x for x in (s.ci_low, s.shrunk_low) if x is not None]
    highs = [x for x in (s.ci_high, s.shrunk_high) if x is not None]
    return Basis(s.weeks, s.rate, min(lows) if lows else None, max(highs) if highs else None)


@dataclass(frozen=True)
class Judgement:
    """One branch's status and the evidence it rests on."""

    branch_id: str
    status: Status
    week: WeekFigures
    recent: Standing | None  # over the recent weeks (the lagging rule's)
    steady: Standing | None  # over the benchmark weeks
    verdict: Verdict | None  # why advanced or needing help
    benchmark_rank: int | None  # among its peer group's benchmarks, surest first
    benchmark_low: float | None  # the lower bound it was judged on as a benchmark
    benchmark_high: float | None
    weeks_below_target: int  # weeks in a row below target, ending with this week

    @property
    def basis(self) -> Basis | None:
        """The weeks and bounds a benchmark, advanced or needs-help status rests on."""
        if self.status is Status.BENCHMARK and self.steady is not None:
            return _basis(self.steady)
        if self.status in (Status.ADVANCED, Status.NEEDS_HELP) and self.recent is not None:
            return _basis(self.recent)
        return None


@dataclass(frozen=True)
class GroupBar:
    """What a peer group's benchmarks had to reach, and how many did."""

    branch_type: str
    branches: int
    peer_mean: float | None
    bar: float | None  # the rate a benchmark's lower bound had to reach (and the target)
    benchmarks: int


@dataclass(frozen=True)
class Tally:
    """Statuses counted over some branches: each status, those judged, those at target."""

    counts: Mapping[Status, int]
    judged: int  # with enough business to judge (not too few, not without business)
    at_target: int  # benchmark, advanced or at target
    share_at_target: float | None


@dataclass(frozen=True)
class StatusBoard:
    """Every branch's status of one week, judged network-wide."""

    week: str
    target: float
    min_migratable: int
    benchmark_window: int  # weeks the benchmark rule asks for
    benchmark_weeks: tuple[str, ...]  # weeks it was judged on (those the store holds)
    recent_window: int
    recent_weeks: tuple[str, ...]
    ranking: pl.DataFrame = field(repr=False)  # ``Metrics.ranking(week)``, network-wide
    judgements: Mapping[str, Judgement] = field(repr=False)
    groups: tuple[GroupBar, ...] = ()

    def status(self, branch_id: str) -> Status:
        """The status of ``branch_id`` (``no_data`` for a branch the week does not list)."""
        j = self.judgements.get(branch_id)
        return j.status if j is not None else Status.NO_DATA

    def of(self, branch_id: str) -> Judgement | None:
        """The judgement of ``branch_id``, if the week lists it."""
        return self.judgements.get(branch_id)

    def having(self, *statuses: Status) -> list[Judgement]:
        """The judgements with one of ``statuses``, by branch id."""
        wanted = set(statuses)
        return sorted(
            (j for j in self.judgements.values() if j.status in wanted),
            key=lambda j: j.branch_id,
        )

    def tally(self, branch_ids: Iterable[str] | None = None) -> Tally:
        """How many branches (of ``branch_ids``, default all) have each status, and at target."""
        ids = self.judgements.keys() if branch_ids is None else branch_ids
        counts = dict.fromkeys(Status, 0)
        for bid in ids:
            counts[self.status(bid)] += 1
        judged = sum(n for st, n in counts.items() if st.judged)
        at = sum(n for st, n in counts.items() if st.at_or_above_target)
        return Tally(counts, judged, at, at / judged if judged else None)

    @property
    def benchmarks_judged(self) -> bool:
        """True when the store held enough weeks to judge benchmarks."""
        return len(self.benchmark_weeks) >= MIN_WINDOW_WEEKS

    @property
    def recent_judged(self) -> bool:
        """True when the store held enough weeks to judge advanced and needing help."""
        return len(self.recent_weeks) >= MIN_WINDOW_WEEKS


def status_name(status: Status, t: Translator) -> str:
    """The name of ``status`` in the translator's language (标杆, Benchmark, ...)."""
    return t(f"status.name.{status.value}")


def rule_texts(settings: Settings, t: Translator, pct: Any) -> list[tuple[Status, str, str]]:
    """Each status with its name and its rule in plain words (``pct`` formats a fraction)."""
    rules = settings.programme
    params = {
        "target": pct(target_rate(settings)),
        "least": settings.bulletin.min_migratable,
        "weeks": rules.benchmarks.weeks,
        "recent": rules.lagging.weeks,
        "per_group": rules.benchmarks.per_group,
    }
    return [(s, status_name(s, t), t(f"status.rule.{s.value}", **params)) for s in Status]


def window_note(board: StatusBoard, t: Translator) -> str | None:
    """What the store held of the judging windows, when it held less than they ask for."""
    held, recent = len(board.benchmark_weeks), len(board.recent_weeks)
    if held < MIN_WINDOW_WEEKS:
        return t("status.method.too_young", held=held)
    if held < board.benchmark_window or recent < board.recent_window:
        return t(
            "status.method.young",
            held=held,
            weeks=board.benchmark_window,
            recent_held=recent,
        )
    return None


# -- the rules ------------------------------------------------------------------------------


def _both(a: float | None, b: float | None, ok: Any) -> bool:
    return a is not None and b is not None and bool(ok(a)) and bool(ok(b))


def surely_at_or_above(s: Standing | WeekFigures, target: float) -> bool:
    """Both lower ends (Wilson and size-adjusted) at or above ``target``."""
    return _both(s.ci_low, s.shrunk_low, lambda x: x >= target)


def surely_below(s: Standing | WeekFigures, target: float) -> bool:
    """Both upper ends (Wilson and size-adjusted) below ``target``."""
    return _both(s.ci_high, s.shrunk_high, lambda x: x < target)


def _meets(wanted: set[Criterion], met: list[Criterion], rule: str) -> bool:
    return wanted <= set(met) if rule == "both" else bool(wanted & set(met))


def lagging_verdict(s: Standing, rule: LaggingRule, target: float) -> Verdict | None:
    """Why ``s`` lags under ``rule``, or None: surely below target, and the rule's criteria."""
    _, high = s.bounds(rule.certainty)
    if s.rate is None or high is None or not surely_below(s, target):
        return None
    met: list[Criterion] = [Criterion.BELOW_TARGET]
    if (
        s.peer_percentile is not None
        and s.peer_mean is not None
        and (s.peers or 0) >= 2
        and s.peer_percentile <= rule.quartile
        and high < s.peer_mean
    ):
        met.append(Criterion.BOTTOM_QUARTILE)
    wanted = {
        "below_target": {Criterion.BELOW_TARGET},
        "bottom_quartile": {Criterion.BOTTOM_QUARTILE},
        "either": {Criterion.BELOW_TARGET, Criterion.BOTTOM_QUARTILE},
        "both": {Criterion.BELOW_TARGET, Criterion.BOTTOM_QUARTILE},
    }[rule.rule]
    return (
        Verdict(tuple(met), high, target, s.peer_mean) if _meets(wanted, met, rule.rule) else None
    )


def advanced_verdict(s: Standing, rule: AdvancedRule, target: float) -> Verdict | None:
    """Why ``s`` leads under ``rule``, or None: surely at target, and the rule's criteria."""
    low, _ = s.bounds(rule.certainty)
    if s.rate is None or low is None or not surely_at_or_above(s, target):
        return None
    met: list[Criterion] = [Criterion.ABOVE_TARGET]
    if (
        s.peer_percentile is not None
        and s.peer_mean is not None
        and (s.peers or 0) >= 2
        and s.peer_percentile >= 1 - rule.quartile
        and low > s.peer_mean
    ):
        met.append(Criterion.TOP_QUARTILE)
    wanted = {
        "above_target": {Criterion.ABOVE_TARGET},
        "top_quartile": {Criterion.TOP_QUARTILE},
        "either": {Criterion.ABOVE_TARGET, Criterion.TOP_QUARTILE},
        "both": {Criterion.ABOVE_TARGET, Criterion.TOP_QUARTILE},
    }[rule.rule]
    return Verdict(tuple(met), low, target, s.peer_mean) if _meets(wanted, met, rule.rule) else None


def _low(s: Standing, rule: BenchmarkRule) -> float | None:
    return s.shrunk_low if rule.judge_on == "shrunk" else s.ci_low


def _high(s: Standing, rule: BenchmarkRule) -> float | None:
    return s.shrunk_high if rule.judge_on == "shrunk" else s.ci_high


def has_volume(s: Standing, rule: BenchmarkRule) -> bool:
    """True when ``s`` had enough migratable business over its weeks."""
    return s.rate is not None and s.migratable >= rule.min_migratable_per_week * s.weeks


def group_bar(members: Sequence[Standing], rule: BenchmarkRule) -> float | None:
    """The rate a benchmark's lower bound must reach: a quantile of the group's rates."""
    rates = sorted(s.rate for s in members if s.rate is not None and has_volume(s, rule))
    if not rates or rule.bar_quantile <= 0:
        return None
    # Linear interpolation between order statistics (numpy's default quantile).
    position = rule.bar_quantile * (len(rates) - 1)
    below = math.floor(position)
    above = min(below + 1, len(rates) - 1)
    return rates[below] + (rates[above] - rates[below]) * (position - below)


def steady_leader(s: Standing, rule: BenchmarkRule, bar: float | None, target: float) -> bool:
    """True when ``s`` is steady, has the volume and is surely above its group, bar and target."""
    low = _low(s, rule)
    if s.rate is None or s.peer_mean is None or low is None or not has_volume(s, rule):
        return False
    if s.weeks_active < math.ceil(rule.min_active_share * s.weeks - 1e-9):
        return False
    if s.weeks_above_peer < math.ceil(rule.min_weeks_above_peer_share * s.weeks_active - 1e-9):
        return False
    if bar is not None and low < bar:
        return False
    return low > s.peer_mean and surely_at_or_above(s, target)


# -- the board ------------------------------------------------------------------------------


def _window(metrics: Metrics, week: str, wanted: int) -> tuple[str, ...]:
    held = set(metrics.engine.store.weeks(TABLES_BY_NAME["transactions"]))
    return tuple(w for w in weeks_back(week, wanted) if w in held)


def _standings(metrics: Metrics, weeks: Sequence[str]) -> dict[str, Standing]:
    if not weeks:
        return {}
    return standings(ProgrammeMetrics(metrics).standing(list(weeks)))


def _streaks(metrics: Metrics, week: str, weeks: int, target: float) -> dict[str, int]:
    """Weeks in a row below target ending with ``week``, per branch (a week without data ends it)."""
    span = weeks_back(week, weeks)
    frame = metrics.rates(["branch", "week"], Period.of_weeks(span))
    rates: dict[str, dict[str, float | None]] = defaultdict(dict)
    for r in frame.iter_rows(named=True):
        rates[r["branch_id"]][r["week"]] = opt_float(r["rate"])
    out: dict[str, int] = {}
    for bid, by_week in rates.items():
        n = 0
        for w in reversed(span):
            rate = by_week.get(w)
            if rate is None or rate >= target:
                break
            n += 1
        out[bid] = n
    return out


def _benchmarks(
    steady: Mapping[str, Standing],
    this_week: Mapping[str, WeekFigures],
    rule: BenchmarkRule,
    target: float,
    min_migratable: int,
) -> tuple[dict[str, tuple[int, float, float]], list[GroupBar]]:
    """Per peer group the surest steady leaders: branch id → (rank, low, high)."""
    groups: dict[str, list[Standing]] = defaultdict(list)
    for s in steady.values():
        if s.rate is not None:
            groups[s.branch_type].append(s)
    chosen: dict[str, tuple[int, float, float]] = {}
    bars: list[GroupBar] = []
    for kind in sorted(groups):
        members = groups[kind]
        bar = group_bar(members, rule)
        ok = []
        for s in members:
            wk = this_week.get(s.branch_id)
            if wk is None or wk.rate is None or wk.migratable < min_migratable:
                continue
            if wk.rate >= target and steady_leader(s, rule, bar, target):
                ok.append(s)
        # Surest first: by the lower of the two lower ends, the one the bulletin prints.
        ok.sort(key=lambda s: (-(_basis(s).low or 0.0), s.branch_id))
        for rank, s in enumerate(ok[: rule.per_group], start=1):
            chosen[s.branch_id] = (rank, _low(s, rule) or 0.0, _high(s, rule) or 0.0)
        bars.append(
            GroupBar(
                kind,
                len(members),
                members[0].peer_mean,
                max(bar, target) if bar is not None else target,
                min(len(ok), rule.per_group),
            )
        )
    return chosen, bars


def decide_status(
    *,
    week: WeekFigures,
    target: float,
    min_migratable: int,
    benchmark: bool,
    advanced: Verdict | None,
    lagging: Verdict | None,
) -> Status:
    """The status from the week's figures and the multi-week verdicts (rules 1–8 above)."""
    if week.rate is None or week.migratable == 0:
        return Status.NO_DATA
    if week.migratable < min_migratable:
        return Status.TOO_FEW
    if week.rate >= target:
        if benchmark:
            return Status.BENCHMARK
        return Status.ADVANCED if advanced is not None else Status.AT_TARGET
    if lagging is not None:
        return Status.NEEDS_HELP
    return Status.BELOW_TARGET if surely_below(week, target) else Status.UNCERTAIN


def _verdict(
    status: Status,
    adv: Verdict | None,
    lag: Verdict | None,
    bench: tuple[int, float, float] | None,
    steady: Standing | None,
    target: float,
) -> Verdict | None:
    """Why a partner may help or a branch needs help (what pairs explain themselves with)."""
    if status is Status.NEEDS_HELP:
        return lag
    if status is Status.ADVANCED:
        return adv
    if status is Status.BENCHMARK:
        if adv is not None:
            return adv
        if bench is not None:
            peer_mean = steady.peer_mean if steady is not None else None
            return Verdict((Criterion.ABOVE_TARGET,), bench[1], target, peer_mean)
    return None


def judge(*, metrics: Metrics, settings: Settings, week: str) -> StatusBoard:
    """Every branch's status of ``week``, network-wide (the only place a status is decided)."""
    rules = settings.programme
    target = target_rate(settings)
    least = settings.bulletin.min_migratable
    ranking = metrics.ranking(week)
    this_week = {r["branch_id"]: WeekFigures.of(r) for r in ranking.iter_rows(named=True)}
    bench_weeks = _window(metrics, week, rules.benchmarks.weeks)
    recent_weeks = _window(metrics, week, rules.lagging.weeks)
    steady = _standings(metrics, bench_weeks)
    recent = steady if recent_weeks == bench_weeks else _standings(metrics, recent_weeks)
    judge_steady = len(bench_weeks) >= MIN_WINDOW_WEEKS
    judge_recent = len(recent_weeks) >= MIN_WINDOW_WEEKS
    chosen, bars = (
        _benchmarks(steady, this_week, rules.benchmarks, target, least)
        if judge_steady
        else ({}, [])
    )
    streaks = _streaks(metrics, week, STREAK_HORIZON, target)
    judgements: dict[str, Judgement] = {}
    for bid, wk in this_week.items():
        r = recent.get(bid)
        judged = r is not None and judge_recent
        adv = advanced_verdict(r, rules.advanced, target) if r is not None and judged else None
        lag = lagging_verdict(r, rules.lagging, target) if r is not None and judged else None
        bench = chosen.get(bid)
        status = decide_status(
            week=wk,
            target=target,
            min_migratable=least,
            benchmark=bench is not None,
            advanced=adv,
            lagging=lag,
        )
        verdict = _verdict(status, adv, lag, bench, steady.get(bid), target)
        judgements[bid] = Judgement(
            branch_id=bid,
            status=status,
            week=wk,
            recent=r,
            steady=steady.get(bid),
            verdict=verdict,
            benchmark_rank=bench[0] if bench else None,
            benchmark_low=bench[1] if bench else None,
            benchmark_high=bench[2] if bench else None,
            weeks_below_target=streaks.get(bid, 0),
        )
    return StatusBoard(
        week=week,
        target=target,
        min_migratable=least,
        benchmark_window=rules.benchmarks.weeks,
        benchmark_weeks=bench_weeks,
        recent_window=rules.lagging.weeks,
        recent_weeks=recent_weeks,
        ranking=ranking,
        judgements=judgements,
        groups=tuple(bars),
    )
