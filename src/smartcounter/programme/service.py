"""The programme's services: benchmarks, pairs, diagnoses, progress, and the bulletin section.

Plain functions with keyword-only arguments, called alike by the command line, the
bulletin and (later) the web pages. Figures come from the metrics API only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from smartcounter.i18n import Lang, Translator
from smartcounter.metrics import Metrics, Period, open_metrics
from smartcounter.metrics.programme_api import ProgrammeMetrics
from smartcounter.programme import repository
from smartcounter.programme.benchmarks import Benchmark, PeerGroupSummary, pick_benchmarks
from smartcounter.programme.diagnosis import Diagnosis, diagnose
from smartcounter.programme.pairing import Candidate, ProposedPair, propose
from smartcounter.programme.profiles import BranchProfile, build_profiles
from smartcounter.programme.progress import PairProgress, progress
from smartcounter.programme.render import Words
from smartcounter.programme.repository import PairCreate, ProgrammeError, SavedPair
from smartcounter.programme.standing import Standing, advanced, lagging, span, standings
from smartcounter.settings import Settings
from smartcounter.store.layout import Store
from smartcounter.store.reading import read_table


def target_rate(settings: Settings) -> float:
    """The target rate the lagging and advanced rules compare with."""
    own = settings.programme.lagging.target
    return own if own is not None else settings.bulletin.target_rate


@dataclass(frozen=True)
class Landscape:
    """Every branch over a span: standing, profile, and which lag or lead."""

    week: str
    weeks: tuple[str, ...]
    target: float
    standings: dict[str, Standing]
    profiles: dict[str, BranchProfile]
    lagging: list[Candidate]
    advanced: list[Candidate]


def landscape(
    *, metrics: Metrics, settings: Settings, week: str, weeks: int | None = None
) -> Landscape:
    """Judge every branch over the ``weeks`` (default: the lagging rule's) ending with ``week``."""
    rules = settings.programme
    span_weeks = span(week, weeks or rules.lagging.weeks)
    table = standings(ProgrammeMetrics(metrics).standing(span_weeks))
    profiles = build_profiles(metrics=metrics, period=Period.of_weeks(span_weeks))
    target = target_rate(settings)
    lag: list[Candidate] = []
    adv: list[Candidate] = []
    for s in table.values():
        verdict = lagging(s, rules.lagging, target)
        if verdict is not None:
            lag.append(Candidate(s, verdict))
            continue
        verdict = advanced(s, rules.advanced, target)
        if verdict is not None:
            adv.append(Candidate(s, verdict))
    return Landscape(week, tuple(span_weeks), target, table, profiles, lag, adv)


@dataclass(frozen=True)
class BenchmarkReport:
    """The benchmarks of a week and how many branches each group had."""

    week: str
    weeks: tuple[str, ...]
    benchmarks: list[Benchmark]
    groups: list[PeerGroupSummary]


def find_benchmarks(
    *, metrics: Metrics, settings: Settings, week: str, weeks: int | None = None
) -> BenchmarkReport:
    """Per peer group, the reliably-best branches over the weeks ending with ``week``."""
    rule = settings.programme.benchmarks
    span_weeks = span(week, weeks or rule.weeks)
    table = standings(ProgrammeMetrics(metrics).standing(span_weeks))
    profiles = build_profiles(metrics=metrics, period=Period.of_weeks(span_weeks))
    found, groups = pick_benchmarks(
        standings=table,
        profiles=profiles,
        rule=rule,
        peak_hours=settings.programme.diagnosis.peak_hours,
    )
    return BenchmarkReport(week, tuple(span_weeks), found, groups)


@dataclass(frozen=True)
class PairingReport:
    """Pairs kept from earlier weeks, new pairs proposed, lagging branches left unpaired."""

    landscape: Landscape
    kept: list[SavedPair]
    proposed: list[ProposedPair]
    unpaired: list[Candidate]


def propose_pairs(
    *,
    metrics: Metrics,
    settings: Settings,
    week: str,
    weeks: int | None = None,
    cap: int | None = None,
) -> PairingReport:
    """Keep the active pairs of ``week`` and pair every other lagging branch optimally."""
    land = landscape(metrics=metrics, settings=settings, week=week, weeks=weeks)
    kept = repository.active_pairs(metrics.engine.store, week)
    paired = {p.branch_id for p in kept}
    taken = Counter(p.partner_branch_id for p in kept)
    pairing = settings.programme.pairing
    if cap is not None:
        pairing = pairing.model_copy(update={"cap": cap})
    helpers = [c for c in land.advanced if c.standing.branch_id not in paired]
    proposed, unpaired = propose(
        lagging=[c for c in land.lagging if c.standing.branch_id not in paired],
        advanced=helpers,
        profiles=land.profiles,
        settings=pairing,
        taken=taken,
    )
    proposed.sort(key=lambda p: p.lagging.standing.branch_id)
    return PairingReport(land, kept, proposed, unpaired)


def save_pairs(
    *, store: Store, report: PairingReport, wait_seconds: float = 300.0
) -> list[SavedPair]:
    """Save the proposed pairs of ``report``, starting in its week."""
    items = [
        PairCreate(
            branch_id=p.lagging.standing.branch_id,
            partner_branch_id=p.partner.standing.branch_id,
            start_week=report.landscape.week,
            similarity=round(p.similarity.total, 4),
            baseline_rate=p.lagging.standing.rate,
            baseline_partner_rate=p.partner.standing.rate,
            why=p.why,
        )
        for p in report.proposed
    ]
    return repository.add_pairs(store=store, pairs_in=items, wait_seconds=wait_seconds)


def end_pair(
    *,
    store: Store,
    week: str,
    pair_id: int | None = None,
    branch_id: str | None = None,
    note: str | None = None,
    wait_seconds: float = 300.0,
) -> SavedPair:
    """End an active pair with ``week`` (its last week)."""
    return repository.end_pair(
        store=store,
        week=week,
        pair_id=pair_id,
        branch_id=branch_id,
        note=note,
        wait_seconds=wait_seconds,
    )


@dataclass(frozen=True)
class PairDiagnosis:
    """A pair (saved or proposed) and its diagnosis."""

    pair_id: int | None
    start_week: str | None
    lagging: Standing
    partner: Standing
    diagnosis: Diagnosis


def diagnose_pairs(
    *,
    metrics: Metrics,
    settings: Settings,
    week: str,
    weeks: int | None = None,
    branch_id: str | None = None,
    partner_branch_id: str | None = None,
    report: PairingReport | None = None,
) -> list[PairDiagnosis]:
    """Diagnose the pairs of ``week``: one given pair, else the saved ones, else the proposed.

    ``report``: this week's pairing, when the caller has it already (saves the figures).
    """
    if report is not None:
        land = report.landscape
    else:
        land = landscape(metrics=metrics, settings=settings, week=week, weeks=weeks)
    wanted: list[tuple[int | None, str | None, str, str]] = []
    if branch_id is not None and partner_branch_id is not None:
        wanted.append((None, None, branch_id, partner_branch_id))
    else:
        saved = repository.active_pairs(metrics.engine.store, week)
        if saved:
            wanted = [(p.pair_id, p.start_week, p.branch_id, p.partner_branch_id) for p in saved]
        else:
            if report is None:
                report = propose_pairs(metrics=metrics, settings=settings, week=week, weeks=weeks)
            wanted = [
                (None, None, p.lagging.standing.branch_id, p.partner.standing.branch_id)
                for p in report.proposed
            ]
        if branch_id is not None:
            wanted = [w for w in wanted if branch_id in (w[2], w[3])]
    out: list[PairDiagnosis] = []
    for pair_id, start, lag_id, partner_id in wanted:
        lag, partner = land.profiles.get(lag_id), land.profiles.get(partner_id)
        if lag is None or partner is None:
            missing = lag_id if lag is None else partner_id
            raise ProgrammeError(
                f"{missing}: no migratable business in {land.weeks[0]}..{land.weeks[-1]}"
            )
        out.append(
            PairDiagnosis(
                pair_id=pair_id,
                start_week=start,
                lagging=land.standings[lag_id],
                partner=land.standings[partner_id],
                diagnosis=diagnose(lag, partner, settings.programme.diagnosis),
            )
        )
    return out


def track_progress(
    *, metrics: Metrics, week: str, pair_id: int | None = None, include_ended: bool = False
) -> list[PairProgress]:
    """Each saved pair's gap per week since its start (ended pairs too if asked)."""
    pairs = repository.load_pairs(metrics.engine.store)
    pairs = [p for p in pairs if p.start_week <= week and (include_ended or p.active_in(week))]
    if pair_id is not None:
        pairs = [p for p in pairs if p.pair_id == pair_id]
    return progress(metrics=metrics, pairs=pairs, week=week)


def words_for(store: Store, lang: Lang) -> Words:
    """Words in ``lang`` with the store's business names."""
    names: dict[str, str] = {}
    for row in read_table(store, "business_types").iter_rows(named=True):
        names[row["code"]] = (
            (row.get("name_en") or row["name_zh"]) if lang is Lang.EN else row["name_zh"]
        )
    return Words(Translator(lang), names)


# -- the bulletin's section ---------------------------------------------------------------


@dataclass(frozen=True)
class BenchmarkEntry:
    """A benchmark as the bulletin lists it."""

    branch_id: str
    name: str
    branch_type: str
    region: str | None
    group: str  # the peer group's name in the language
    rate: float | None
    low: float
    high: float
    peer_mean: float | None
    rank: int
    differences: tuple[str, ...]


@dataclass(frozen=True)
class ProgressWeek:
    """One week of a pair's gap."""

    week: str
    rate: float | None
    partner_rate: float | None
    gap_points: float | None


@dataclass(frozen=True)
class PairEntry:
    """A pair as the bulletin lists it: who, why, diagnosis, recommendations, progress."""

    pair_id: int | None  # None: proposed this week, not saved
    branch_id: str
    name: str
    region: str | None
    partner_branch_id: str
    partner_name: str
    start_week: str | None
    rate: float
    partner_rate: float
    gap_points: float
    mix_points: float
    performance_points: float
    why: tuple[str, ...]
    findings: tuple[str, ...]
    recommendations: tuple[str, ...]
    practices: tuple[str, ...]
    baseline_gap_points: float | None
    progress: tuple[ProgressWeek, ...]


@dataclass(frozen=True)
class ProgrammeSection:
    """The bulletin's "benchmarks, pairs, diagnoses and progress" section, in one language."""

    week: str
    lang: Lang
    title: str
    benchmark_weeks: tuple[str, ...]
    benchmarks: tuple[BenchmarkEntry, ...]
    pairs_saved: bool  # False: no saved pairs, these are this week's proposals
    pairs: tuple[PairEntry, ...]
    unpaired: tuple[str, ...]  # lagging branches no advanced branch was left for (ids)
    notes: tuple[str, ...]


@contextmanager
def _metrics_of(store: Store, settings: Settings, metrics: Metrics | None) -> Iterator[Metrics]:
    if metrics is not None:
        yield metrics
        return
    with open_metrics(store, settings) as opened:
        yield opened


def programme_section(
    *, store: Store, settings: Settings, week: str, lang: Lang | str, metrics: Metrics | None = None
) -> ProgrammeSection:
    """The bulletin's programme section for ``week`` in ``lang``, as typed data."""
    language = Lang(lang)
    words = words_for(store, language)
    t = words.t
    with _metrics_of(store, settings, metrics) as m:
        report = find_benchmarks(metrics=m, settings=settings, week=week)
        benches = tuple(
            BenchmarkEntry(
                branch_id=b.standing.branch_id,
                name=b.standing.name,
                branch_type=b.standing.branch_type,
                region=b.standing.region,
                group=words.group(b.standing.branch_type),
                rate=b.standing.rate,
                low=b.low,
                high=b.high,
                peer_mean=b.standing.peer_mean,
                rank=b.rank,
                differences=tuple(words.difference(d) for d in b.differences),
            )
            for b in report.benchmarks
        )
        saved = repository.active_pairs(store, week)
        pairing = propose_pairs(metrics=m, settings=settings, week=week)
        diagnoses = diagnose_pairs(metrics=m, settings=settings, week=week, report=pairing)
        progress_by_id = {p.pair.pair_id: p for p in track_progress(metrics=m, week=week)}
    why_by_branch = {p.branch_id: p.why for p in saved}
    why_by_branch.update(
        {p.lagging.standing.branch_id: p.why for p in pairing.proposed} if not saved else {}
    )
    entries: list[PairEntry] = []
    for d in diagnoses:
        dg = d.diagnosis
        prog = progress_by_id.get(d.pair_id) if d.pair_id is not None else None
        entries.append(
            PairEntry(
                pair_id=d.pair_id,
                branch_id=dg.branch_id,
                name=d.lagging.name,
                region=d.lagging.region,
                partner_branch_id=dg.partner_branch_id,
                partner_name=d.partner.name,
                start_week=d.start_week,
                rate=dg.rate,
                partner_rate=dg.partner_rate,
                gap_points=dg.gap_points,
                mix_points=dg.mix_points,
                performance_points=dg.performance_points,
                why=tuple(words.why(w) for w in why_by_branch.get(dg.branch_id, ())),
                findings=tuple(words.findings(dg)),
                recommendations=tuple(words.recommendation(r, dg) for r in dg.recommendations),
                practices=tuple(r.practice.value for r in dg.recommendations),
                baseline_gap_points=prog.baseline_points if prog else None,
                progress=tuple(
                    ProgressWeek(p.week, p.rate, p.partner_rate, p.gap_points)
                    for p in (prog.points if prog else ())
                ),
            )
        )
    notes: list[str] = []
    if not saved:
        notes.append(t("programme.section.proposed_note"))
    elif pairing.proposed:
        notes.append(t("programme.section.new_laggards_note", count=len(pairing.proposed)))
    if pairing.unpaired:
        notes.append(t("programme.section.unpaired_note", count=len(pairing.unpaired)))
    return ProgrammeSection(
        week=week,
        lang=language,
        title=t("programme.section.title"),
        benchmark_weeks=report.weeks,
        benchmarks=benches,
        pairs_saved=bool(saved),
        pairs=tuple(entries),
        unpaired=tuple(c.standing.branch_id for c in pairing.unpaired),
        notes=tuple(notes),
    )
