"""The programme's services: benchmarks, pairs, diagnoses, progress, and the bulletin section.

Plain functions with keyword-only arguments, called alike by the command line, the
bulletin and (later) the web pages. Figures come from the metrics API only.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from smartcounter.accounts.roles import Actor
from smartcounter.i18n import Lang, Translator
from smartcounter.metrics import Metrics, Period, open_metrics
from smartcounter.programme import repository
from smartcounter.programme.benchmarks import Benchmark, describe
from smartcounter.programme.diagnosis import Diagnosis, diagnose
from smartcounter.programme.pairing import Candidate, ProposedPair, propose
from smartcounter.programme.profiles import BranchProfile, build_profiles
from smartcounter.programme.progress import PairProgress, progress
from smartcounter.programme.render import Words
from smartcounter.programme.repository import PairCreate, ProgrammeError, SavedPair
from smartcounter.programme.standing import Standing
from smartcounter.programme.status import (
    HELPED_STATUS,
    PARTNER_STATUSES,
    GroupBar,
    Status,
    StatusBoard,
    judge,
)
from smartcounter.settings import Settings
from smartcounter.store.layout import Store
from smartcounter.store.reading import read_table


@dataclass(frozen=True)
class Landscape:
    """The week's statuses, with the recent weeks' standings and profiles pairing reads."""

    board: StatusBoard
    profiles: dict[str, BranchProfile]

    @property
    def week(self) -> str:
        """The week judged."""
        return self.board.week

    @property
    def weeks(self) -> tuple[str, ...]:
        """The recent weeks the pairing figures cover (those the store holds)."""
        return self.board.recent_weeks or (self.board.week,)

    @property
    def standings(self) -> dict[str, Standing]:
        """Each branch's standing over the recent weeks."""
        out: dict[str, Standing] = {}
        for bid, j in self.board.judgements.items():
            standing = j.recent or j.steady
            if standing is not None:
                out[bid] = standing
        return out

    def candidates(self, *statuses: Status) -> list[Candidate]:
        """The branches with one of ``statuses``, as pairing candidates."""
        out = []
        for j in self.board.having(*statuses):
            standing = j.recent or j.steady
            if standing is not None and j.verdict is not None:
                out.append(Candidate(standing, j.verdict))
        return out


def with_windows(settings: Settings, weeks: int | None) -> Settings:
    """``settings`` with both judging windows set to ``weeks`` (the commands' ``--weeks``)."""
    if weeks is None:
        return settings
    p = settings.programme
    programme = p.model_copy(
        update={
            "benchmarks": p.benchmarks.model_copy(update={"weeks": weeks}),
            "lagging": p.lagging.model_copy(update={"weeks": weeks}),
        }
    )
    return settings.model_copy(update={"programme": programme})


def landscape(
    *, metrics: Metrics, settings: Settings, week: str, weeks: int | None = None
) -> Landscape:
    """The week's statuses and the profiles of the recent weeks."""
    board = judge(metrics=metrics, settings=with_windows(settings, weeks), week=week)
    span_weeks = list(board.recent_weeks or (week,))
    profiles = build_profiles(metrics=metrics, period=Period.of_weeks(span_weeks))
    return Landscape(board, profiles)


@dataclass(frozen=True)
class BenchmarkReport:
    """The benchmarks of a week, what they do differently, and each group's bar."""

    board: StatusBoard
    benchmarks: list[Benchmark]

    @property
    def week(self) -> str:
        """The week judged."""
        return self.board.week

    @property
    def weeks(self) -> tuple[str, ...]:
        """The weeks the benchmarks were judged on (those of the window the store holds)."""
        return self.board.benchmark_weeks

    @property
    def groups(self) -> tuple[GroupBar, ...]:
        """Per peer group: branches, mean, the bar and how many benchmarks."""
        return self.board.groups


def find_benchmarks(
    *,
    metrics: Metrics,
    settings: Settings,
    week: str,
    weeks: int | None = None,
    board: StatusBoard | None = None,
) -> BenchmarkReport:
    """The week's ``benchmark`` branches (the status model's), with what they do differently."""
    if board is None:
        board = judge(metrics=metrics, settings=with_windows(settings, weeks), week=week)
    steady = {bid: j.steady for bid, j in board.judgements.items() if j.steady is not None}
    members: dict[str, list[Standing]] = defaultdict(list)
    for s in steady.values():
        members[s.branch_type].append(s)
    chosen = [
        (j.steady, j.benchmark_rank or 0, j.benchmark_low or 0.0, j.benchmark_high or 0.0)
        for j in board.having(Status.BENCHMARK)
        if j.steady is not None
    ]
    chosen.sort(key=lambda c: (c[0].branch_type, c[1], c[0].branch_id))
    profiles = (
        build_profiles(metrics=metrics, period=Period.of_weeks(list(board.benchmark_weeks)))
        if chosen
        else {}
    )
    found = describe(
        chosen=chosen,
        members=members,
        profiles=profiles,
        peak_hours=settings.programme.diagnosis.peak_hours,
    )
    return BenchmarkReport(board, found)


class Unpaired(StrEnum):
    """Why a branch needing help has no partner this week."""

    NO_PARTNERS = "no_partners"  # no benchmark or advanced branch in the network this week
    PARTNERS_TAKEN = "partners_taken"  # every partner already helps as many as it may
    NO_PROFILE = "no_profile"  # no business in the recent weeks to compare on


@dataclass(frozen=True)
class PairingReport:
    """The week's pairs: saved ones that still hold, new proposals, and who is left and why.

    Every pair here is a ``needs_help`` branch with a ``benchmark`` or ``advanced`` partner.
    Saved pairs that no longer are (the branch has improved, or the partner slipped) are in
    ``to_review``: the centre ends them, or re-pairs the branch.
    """

    landscape: Landscape
    kept: list[SavedPair]
    proposed: list[ProposedPair]
    unpaired: list[tuple[Candidate, Unpaired]]
    to_review: list[SavedPair]


def _pair_holds(board: StatusBoard, pair: SavedPair) -> bool:
    return (
        board.status(pair.branch_id) is HELPED_STATUS
        and board.status(pair.partner_branch_id) in PARTNER_STATUSES
    )


def propose_pairs(
    *,
    metrics: Metrics,
    settings: Settings,
    week: str,
    weeks: int | None = None,
    cap: int | None = None,
    land: Landscape | None = None,
) -> PairingReport:
    """Keep the saved pairs that still hold and pair every other branch needing help."""
    if land is None:
        land = landscape(metrics=metrics, settings=settings, week=week, weeks=weeks)
    board = land.board
    saved = repository.active_pairs(metrics.engine.store, week)
    kept = [p for p in saved if _pair_holds(board, p)]
    to_review = [p for p in saved if not _pair_holds(board, p)]
    # A pair waiting for review is still in force until it is ended: its branch gets no
    # second partner, and its partner's place stays taken (the cap holds).
    paired = {p.branch_id for p in saved}
    taken = Counter(p.partner_branch_id for p in saved)
    pairing = settings.programme.pairing
    if cap is not None:
        pairing = pairing.model_copy(update={"cap": cap})
    helpers = land.candidates(*PARTNER_STATUSES)
    needing = [c for c in land.candidates(HELPED_STATUS) if c.standing.branch_id not in paired]
    # Fewer partner places than branches needing help: the furthest behind are helped first.
    places = sum(max(0, pairing.cap - taken.get(h.standing.branch_id, 0)) for h in helpers)
    needing.sort(key=lambda c: (c.standing.rate or 0.0, c.standing.branch_id))
    waiting = needing[places:]
    proposed, left = propose(
        lagging=needing[:places],
        advanced=helpers,
        profiles=land.profiles,
        settings=pairing,
        taken=taken,
    )
    proposed.sort(key=lambda p: p.lagging.standing.branch_id)
    unpaired: list[tuple[Candidate, Unpaired]] = []
    for c in [*left, *waiting]:
        if c.standing.branch_id not in land.profiles:
            why = Unpaired.NO_PROFILE
        elif not helpers:
            why = Unpaired.NO_PARTNERS
        else:
            why = Unpaired.PARTNERS_TAKEN
        unpaired.append((c, why))
    return PairingReport(land, kept, proposed, unpaired, to_review)


def save_pairs(
    *, session: Session, store: Store, report: PairingReport, actor: Actor, now: datetime
) -> list[SavedPair]:
    """Save the proposed pairs of ``report``, starting in its week (the caller commits)."""
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
    return repository.add_pairs(session=session, store=store, pairs_in=items, actor=actor, now=now)


def end_pair(
    *,
    session: Session,
    store: Store,
    week: str,
    actor: Actor,
    now: datetime,
    pair_id: int | None = None,
    branch_id: str | None = None,
    note: str | None = None,
) -> SavedPair:
    """End an active pair with ``week`` (its last week; the caller commits)."""
    return repository.end_pair(
        session=session,
        store=store,
        week=week,
        actor=actor,
        now=now,
        pair_id=pair_id,
        branch_id=branch_id,
        note=note,
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
    """Diagnose the pairs of ``week``: one given pair, else the week's pairs (saved and new).

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
        if report is None:
            report = propose_pairs(metrics=metrics, settings=settings, week=week, land=land)
        wanted = [(p.pair_id, p.start_week, p.branch_id, p.partner_branch_id) for p in report.kept]
        wanted += [
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
                f"{missing}: no migratable business in {land.weeks[0]}..{land.weeks[-1]}",
                "programme.cli.no_business",
                branch=missing,
                first=land.weeks[0],
                last=land.weeks[-1],
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
    start_week: str | None  # the week the pair started; None: proposed, not yet confirmed
    week_rate: float | None  # the bulletin week's rates and gap
    partner_week_rate: float | None
    week_gap_points: float | None
    rate: float  # over the recent weeks the diagnosis reads (``recent_weeks``)
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
class UnpairedEntry:
    """A branch needing help that has no partner this week, and why."""

    branch_id: str
    name: str
    region: str | None
    why: Unpaired


@dataclass(frozen=True)
class ProgrammeSection:
    """The bulletin's "benchmarks, pairs, diagnoses and progress" section, in one language."""

    week: str
    lang: Lang
    title: str
    benchmark_weeks: tuple[str, ...]
    recent_weeks: tuple[str, ...]
    benchmarks: tuple[BenchmarkEntry, ...]
    pairs_saved: bool  # False: no saved pairs, these are this week's proposals
    pairs: tuple[PairEntry, ...]
    unpaired: tuple[UnpairedEntry, ...]  # branches needing help left without a partner
    notes: tuple[str, ...]


@contextmanager
def _metrics_of(store: Store, settings: Settings, metrics: Metrics | None) -> Iterator[Metrics]:
    if metrics is not None:
        yield metrics
        return
    with open_metrics(store, settings) as opened:
        yield opened


def programme_section(
    *,
    store: Store,
    settings: Settings,
    week: str,
    lang: Lang | str,
    metrics: Metrics | None = None,
    board: StatusBoard | None = None,
) -> ProgrammeSection:
    """The bulletin's programme section for ``week`` in ``lang``, as typed data.

    ``board``: the week's statuses when the caller has them (the bulletin does), so the
    section names exactly the branches the rest of the bulletin calls benchmarks and needing
    help.
    """
    language = Lang(lang)
    words = words_for(store, language)
    t = words.t
    with _metrics_of(store, settings, metrics) as m:
        if board is None:
            board = judge(metrics=m, settings=settings, week=week)
        report = find_benchmarks(metrics=m, settings=settings, week=week, board=board)
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
        land = Landscape(
            board,
            build_profiles(metrics=m, period=Period.of_weeks(list(board.recent_weeks or (week,)))),
        )
        pairing = propose_pairs(metrics=m, settings=settings, week=week, land=land)
        diagnoses = diagnose_pairs(metrics=m, settings=settings, week=week, report=pairing)
        progress_by_id = {p.pair.pair_id: p for p in track_progress(metrics=m, week=week)}
    why_by_branch = {p.branch_id: p.why for p in pairing.kept}
    why_by_branch.update({p.lagging.standing.branch_id: p.why for p in pairing.proposed})
    entries: list[PairEntry] = []
    for d in diagnoses:
        dg = d.diagnosis
        prog = progress_by_id.get(d.pair_id) if d.pair_id is not None else None
        gap_now = _gap_points(board, dg.branch_id, dg.partner_branch_id)
        entries.append(
            PairEntry(
                pair_id=d.pair_id,
                branch_id=dg.branch_id,
                name=d.lagging.name,
                region=d.lagging.region,
                partner_branch_id=dg.partner_branch_id,
                partner_name=d.partner.name,
                start_week=d.start_week,
                week_rate=board.judgements[dg.branch_id].week.rate,
                partner_week_rate=board.judgements[dg.partner_branch_id].week.rate,
                week_gap_points=gap_now,
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
    if not pairing.kept and pairing.proposed:
        notes.append(t("programme.section.proposed_note"))
    elif pairing.proposed:
        notes.append(t("programme.section.new_laggards_note", count=len(pairing.proposed)))
    if pairing.to_review:
        notes.append(t("programme.section.review_note", count=len(pairing.to_review)))
    return ProgrammeSection(
        week=week,
        lang=language,
        title=t("programme.section.title"),
        benchmark_weeks=report.weeks,
        recent_weeks=board.recent_weeks,
        benchmarks=benches,
        pairs_saved=bool(pairing.kept),
        pairs=tuple(entries),
        unpaired=tuple(
            UnpairedEntry(
                c.standing.branch_id,
                c.standing.name or c.standing.branch_id,
                c.standing.region,
                why,
            )
            for c, why in pairing.unpaired
        ),
        notes=tuple(notes),
    )


def _gap_points(board: StatusBoard, branch_id: str, partner_id: str) -> float | None:
    a, b = board.of(branch_id), board.of(partner_id)
    if a is None or b is None or a.week.rate is None or b.week.rate is None:
        return None
    return 100 * (b.week.rate - a.week.rate)
