"""The programme's chapter of the weekly bulletin, through the bulletin's section hook.

The bulletin finds ``bulletin_sections`` here (``bulletin.sections.default_providers``) and
renders what it returns in every format. The content itself is ``programme_section`` (typed
data, the service); this module only lays it out as the bulletin's tables and paragraphs.
With a region, the chapter keeps the region's benchmarks and pairs (peer groups and pairing
stay network-wide: a region's branch may be helped by another region's).
"""

from __future__ import annotations

from collections.abc import Sequence

from smartcounter.bulletin.sections import (
    Cell,
    CellKind,
    Column,
    Section,
    SectionContext,
    SectionTable,
)
from smartcounter.metrics import PeriodError, UnknownKeyError
from smartcounter.programme.repository import ProgrammeError
from smartcounter.programme.service import ProgrammeSection, Unpaired, programme_section


def bulletin_sections(context: SectionContext) -> Sequence[Section]:
    """The programme's chapter for the bulletin of ``context.week``; none without data."""
    return programme_chapter(context)[1]


def programme_chapter(
    context: SectionContext,
) -> tuple[ProgrammeSection | None, list[Section]]:
    """The programme's section of the bulletin's scope as data, and laid out as its chapter."""
    try:
        section = programme_section(
            store=context.store,
            settings=context.settings,
            week=context.week,
            lang=context.lang,
            metrics=context.metrics,
            board=context.board,
        )
    except (ProgrammeError, UnknownKeyError, PeriodError):
        # A bulletin without the chapter beats no bulletin; the commands say what is wrong.
        return None, []
    if context.region is not None:
        section = _in_region(section, context.region)
    if not (section.benchmarks or section.pairs or section.notes or section.unpaired):
        return section, []
    return section, [lay_out(section, context)]


def _in_region(section: ProgrammeSection, region: str) -> ProgrammeSection:
    from dataclasses import replace

    return replace(
        section,
        benchmarks=tuple(b for b in section.benchmarks if b.region == region),
        pairs=tuple(p for p in section.pairs if p.region == region),
        unpaired=tuple(u for u in section.unpaired if u.region == region),
    )


def lay_out(section: ProgrammeSection, context: SectionContext) -> Section:
    """The bulletin chapter of ``section``: benchmarks, pairs with diagnoses, progress."""
    t = context.t
    tables = [
        SectionTable(
            sheet=t("bulletin.sheet.practices"),
            title=t(
                "programme.bulletin.benchmarks",
                first=section.benchmark_weeks[0],
                last=section.benchmark_weeks[-1],
            ),
            columns=(
                Column(t("programme.bulletin.branch")),
                Column(t("programme.bulletin.group")),
                Column(
                    t("programme.bulletin.window_rate", weeks=len(section.benchmark_weeks)),
                    CellKind.RATE,
                ),
                Column(t("programme.bulletin.low"), CellKind.RATE),
                Column(t("programme.bulletin.high"), CellKind.RATE),
                Column(t("programme.bulletin.peer_mean"), CellKind.RATE),
                Column(t("programme.bulletin.differences")),
            ),
            rows=tuple(
                (b.name, b.group, b.rate, b.low, b.high, b.peer_mean, _join(b.differences, context))
                for b in section.benchmarks
            ),
            note=t("programme.bulletin.benchmarks_note"),
        )
    ]
    if section.pairs:
        recent = _span(section.recent_weeks, section.week)
        # Before the centre confirms a pair there is no start and no gap at pairing to show.
        confirmed = any(p.pair_id is not None for p in section.pairs)
        columns = [
            Column(t("programme.bulletin.lagging")),
            Column(t("programme.bulletin.partner")),
            Column(t("programme.bulletin.since")),
            Column(t("programme.bulletin.week_rate"), CellKind.RATE),
            Column(t("programme.bulletin.partner_week_rate"), CellKind.RATE),
            Column(t("programme.bulletin.gap_now"), CellKind.DECIMAL),
        ]
        if confirmed:
            columns += [
                Column(t("programme.bulletin.gap_then"), CellKind.DECIMAL),
                Column(t("programme.bulletin.change"), CellKind.POINTS),
            ]
        rows = []
        for p in section.pairs:
            row: list[Cell] = [
                p.name,
                p.partner_name,
                p.start_week or t("programme.bulletin.proposed"),
                p.week_rate,
                p.partner_week_rate,
                p.week_gap_points,
            ]
            if confirmed:
                row += [p.baseline_gap_points, _change(p.week_gap_points, p.baseline_gap_points)]
            rows.append(tuple(row))
        tables.append(
            SectionTable(
                sheet=t("bulletin.sheet.pairs"),
                title=t("programme.bulletin.pairs", week=section.week),
                columns=tuple(columns),
                rows=tuple(rows),
                note=t(
                    "programme.bulletin.pairs_note"
                    if confirmed
                    else "programme.bulletin.pairs_note_proposed"
                ),
            )
        )
        tables.append(
            SectionTable(
                sheet=t("bulletin.sheet.diagnosis"),
                title=t("programme.bulletin.diagnosis", span=recent),
                columns=(
                    Column(t("programme.bulletin.lagging")),
                    Column(t("programme.bulletin.rate"), CellKind.RATE),
                    Column(t("programme.bulletin.partner_rate"), CellKind.RATE),
                    Column(t("programme.bulletin.gap"), CellKind.DECIMAL),
                    Column(t("programme.bulletin.mix"), CellKind.DECIMAL),
                    Column(t("programme.bulletin.performance"), CellKind.DECIMAL),
                ),
                rows=tuple(
                    (
                        p.name,
                        p.rate,
                        p.partner_rate,
                        p.gap_points,
                        p.mix_points,
                        p.performance_points,
                    )
                    for p in section.pairs
                ),
                note=t("programme.bulletin.diagnosis_note"),
            )
        )
        tables.append(
            SectionTable(
                sheet=t("bulletin.sheet.actions"),
                title=t("programme.bulletin.actions"),
                columns=(
                    Column(t("programme.bulletin.lagging")),
                    Column(t("programme.bulletin.action_no"), CellKind.COUNT),
                    Column(t("programme.bulletin.action")),
                ),
                rows=tuple(
                    (p.name, i, r)
                    for p in section.pairs
                    for i, r in enumerate(p.recommendations, start=1)
                ),
            )
        )
    progress_rows = tuple(
        (p.name, p.partner_name, w.week, w.rate, w.partner_rate, w.gap_points)
        for p in section.pairs
        for w in p.progress
    )
    if progress_rows:
        tables.append(
            SectionTable(
                sheet=t("bulletin.sheet.progress"),
                title=t("programme.bulletin.progress"),
                columns=(
                    Column(t("programme.bulletin.lagging")),
                    Column(t("programme.bulletin.partner")),
                    Column(t("programme.bulletin.week")),
                    Column(t("programme.bulletin.rate"), CellKind.RATE),
                    Column(t("programme.bulletin.partner_rate"), CellKind.RATE),
                    Column(t("programme.bulletin.gap"), CellKind.DECIMAL),
                ),
                rows=progress_rows,
            )
        )
    paragraphs = list(section.notes)
    sep = t("programme.unpaired.sep")
    for why in Unpaired:
        names = [u.name for u in section.unpaired if u.why is why]
        if names:
            paragraphs.append(
                t(f"programme.unpaired.{why.value}", count=len(names), names=sep.join(names))
            )
    return Section(
        key="programme", title=section.title, paragraphs=tuple(paragraphs), tables=tuple(tables)
    )


def _span(weeks: Sequence[str], week: str) -> str:
    return f"{weeks[0]}–{weeks[-1]}" if weeks else week


def _change(latest: float | None, baseline: float | None) -> float | None:
    return None if latest is None or baseline is None else latest - baseline


def _join(parts: Sequence[str], context: SectionContext) -> str:
    return ("；" if context.lang.value == "zh" else "; ").join(parts)
