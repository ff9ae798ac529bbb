"""The bulletin's PDF: the chapters of the HTML, laid out for A4 by our own writer.

WeasyPrint rendering the HTML took about a minute for 120 branches (its layout costs
about a millisecond per table cell); laying the same content out directly is a hundred
times quicker and keeps every branch to one page. The words, numbers and charts are the
HTML's: the same content model, ``Words``, ``Formats`` and ``Figures``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from smartcounter.bulletin.chapters import branch_anchor, cell_text, outline
from smartcounter.bulletin.content import BranchPage, BranchRow, BulletinContent
from smartcounter.bulletin.figures import Figures
from smartcounter.bulletin.formats import Formats, capital
from smartcounter.bulletin.pdf.fonts import BOLD, REGULAR, Font, FontMissingError, find_font
from smartcounter.bulletin.pdf.layout import BAD, GOOD, INK, MUTED, PRIMARY, Cell, Col, Flow
from smartcounter.bulletin.pdf.writer import Bookmark, PageOut, write_document
from smartcounter.bulletin.sections import CellKind, Section
from smartcounter.bulletin.words import Words
from smartcounter.i18n import Lang
from smartcounter.settings import BulletinSettings
from smartcounter.views import Pareto, Triage

__all__ = ["FontMissingError", "PdfOutput", "write_branch_pdfs", "write_pdf"]


class _Document:
    """Lays out one bulletin."""

    def __init__(self, content: BulletinContent, config: BulletinSettings, flow: Flow) -> None:
        self.c = content
        self.config = config
        self.flow = flow
        self.f = Formats(content.lang)
        self.t = self.f.t
        self.w = Words(content, self.f)
        self.fig = Figures(content, self.f)
        self.chapters = {ch.anchor: ch for ch in outline(content, self.f)}

    # -- helpers -------------------------------------------------------------------------
    def chapter(self, key: str) -> None:
        ch = self.chapters[key]
        self.flow.heading(ch.title, number=ch.number, target=f"h-{key}")

    def change(self, value: float | None) -> Cell:
        if value is None or round(value, 1) == 0:
            return Cell(self.f.signed(value))
        return Cell(self.f.signed(value), colour=GOOD if value > 0 else BAD)

    def name_cell(self, r: BranchRow, *, sub: bool = True) -> Cell:
        detail = " · ".join(p for p in (r.region or "", r.branch_id) if p) if sub else None
        return Cell(r.name, sub=detail, link=branch_anchor(r.branch_id))

    def badge(self, r: BranchRow) -> Cell:
        return Cell(self.w.standing(r), badge=self.w.standing_class(r))

    # -- the document --------------------------------------------------------------------
    def build(self) -> None:
        self.cover()
        self.headline()
        self.rankings()
        self.benchmarks()
        for section in self.c.sections:
            self.extra(section)
        self.unmigrated()
        self.triage()
        self.trend()
        self.chapter("branches")
        self.flow.paragraph(self.t("bulletin.words.branches_volume_pdf"))
        self.method()

    def build_volume(self) -> None:
        """The volume of branch pages (网点分册): a title, the index, every branch's page."""
        flow, t, f, c = self.flow, self.t, self.f, self.c
        flow.paragraph(self.w.issue_line(), size=9, colour=MUTED, after=4)
        flow.paragraph(t("bulletin.title.volume"), size=18, bold=True, leading=1.3, after=4)
        flow.paragraph(
            f"{f.week(c.week)} · {f.date_range(c.week_start, c.week_end)} · {self.w.scope_title()}",
            size=11,
            after=10,
        )
        self.branches()

    def cover(self) -> None:
        flow, t, f, c = self.flow, self.t, self.f, self.c
        flow.y -= 70
        flow.paragraph(self.w.issue_line(), size=10, colour=MUTED, after=6)
        flow.paragraph(t("bulletin.title.document"), size=24, bold=True, leading=1.3, after=6)
        flow.paragraph(
            f"{f.week(c.week)} · {f.date_range(c.week_start, c.week_end)} · {self.w.scope_title()}",
            size=12.5,
            after=4,
        )
        flow.paragraph(
            t("bulletin.generated_at", moment=f.moment(c.generated_at)),
            size=8,
            colour=MUTED,
            after=10,
        )
        flow.hline(flow.left, flow.left + flow.content_width, flow.y, PRIMARY, 2.0)
        flow.y -= 34
        flow.paragraph(t("bulletin.toc"), size=11, bold=True, colour=MUTED, after=6)
        for ch in self.chapters.values():
            flow.index_entry(
                f"{ch.number}   {ch.title}",
                f"h-{ch.anchor}",
                x=flow.left,
                width=flow.content_width,
                size=10.5,
            )

    def headline(self) -> None:
        flow, t, f, c, h = self.flow, self.t, self.f, self.c, self.c.headline
        self.chapter("headline")
        change_colour = (
            INK
            if h.change_pp is None or round(h.change_pp, 1) == 0
            else GOOD
            if h.change_pp > 0
            else BAD
        )
        flow.kpis(
            [
                (
                    t("bulletin.kpi.rate"),
                    f.pct(h.rate.rate),
                    t("bulletin.kpi.interval", interval=f.interval(h.rate.ci_low, h.rate.ci_high)),
                    INK,
                ),
                (
                    t("bulletin.kpi.change"),
                    f.signed(h.change_pp),
                    t("bulletin.kpi.previous", rate=f.pct(h.previous_rate)),
                    change_colour,
                ),
                (
                    t("bulletin.kpi.at_target", target=f.pct(c.target, 0)),
                    f.pct(h.share_at_target, 0),
                    t(
                        "bulletin.kpi.at_target_sub",
                        at_target=f.count(h.at_target),
                        reporting=f.count(h.branches_reporting),
                    ),
                    INK,
                ),
                (
                    t("bulletin.kpi.month_box", month=f.month(c.month_start)),
                    f.pct(h.month_rate.rate),
                    t(
                        "bulletin.kpi.quarter_box",
                        rate=f.pct(h.quarter_rate.rate),
                    ),
                    INK,
                ),
                (
                    t("bulletin.kpi.migratable"),
                    f.count(h.rate.migratable),
                    t("bulletin.kpi.migrated", migrated=f.count(h.rate.migrated)),
                    INK,
                ),
                (
                    t("bulletin.kpi.tickets"),
                    f.count(h.tickets),
                    t("bulletin.kpi.daily_tickets", daily=f.decimal(h.daily_tickets, 0)),
                    INK,
                ),
            ]
        )
        for sentence in self.w.key_messages():
            flow.paragraph(sentence, bullet=True, after=2)
        if h.visit_rate:
            flow.y -= 2
            flow.paragraph(
                t(
                    "bulletin.words.visit_rate",
                    rate=f.pct(h.visit_rate.rate),
                    visits=f.count(h.visit_rate.migratable),
                ),
                size=8,
                colour=MUTED,
            )
        flow.subheading(t("bulletin.title.groups"))
        flow.drawing(
            self.fig.groups(), caption=t("bulletin.caption.groups", target=f.pct(c.target, 0))
        )
        cols = [
            Col(t("bulletin.col.group"), 2.2),
            Col(t("bulletin.col.branches"), 1, "r"),
            Col(t("bulletin.col.rate"), 1, "r"),
            Col(t("bulletin.col.interval"), 1.5, "r"),
            Col(t("bulletin.col.change"), 1.3, "r"),
            Col(t("bulletin.col.at_target"), 1.4, "r"),
            Col(t("bulletin.col.migratable"), 1.2, "r"),
        ]
        rows: list[list[Cell | str]] = [
            [
                g.label,
                f.count(g.branches_reporting),
                f.pct(g.rate.rate),
                f.interval(g.rate.ci_low, g.rate.ci_high),
                self.change(g.change_pp),
                f"{f.count(g.at_target)} ({f.pct(g.share_at_target, 0)})",
                f.count(g.rate.migratable),
            ]
            for g in c.groups
        ]
        footer: list[Cell | str] = [
            self.w.scope_title(),
            f.count(h.branches_reporting),
            f.pct(h.rate.rate),
            f.interval(h.rate.ci_low, h.rate.ci_high),
            self.change(h.change_pp),
            f"{f.count(h.at_target)} ({f.pct(h.share_at_target, 0)})",
            f.count(h.rate.migratable),
        ]
        flow.table(cols, rows, footer=footer)

    def rankings(self) -> None:
        flow, t, f, c = self.flow, self.t, self.f, self.c
        self.chapter("rankings")
        flow.paragraph(
            t(
                "bulletin.words.rankings_intro",
                target=f.pct(c.target, 0),
                network=f.count(c.network_ranked),
            )
        )
        if c.region:
            flow.paragraph(
                t("bulletin.words.rankings_region", region=c.region), size=8, colour=MUTED
            )
        cols = [
            Col(t("bulletin.col.rank"), 0.8, "r"),
            Col(t("bulletin.col.rank_change"), 0.8, "r"),
            Col(t("bulletin.col.branch"), 3.4),
            Col(t("bulletin.col.rate"), 0.9, "r"),
            Col(t("bulletin.col.interval"), 1.4, "r"),
            Col(t("bulletin.col.change"), 1.1, "r"),
            Col(t("bulletin.col.network_rank"), 0.9, "r"),
            Col(t("bulletin.col.daily_tickets"), 0.9, "r"),
            Col(t("bulletin.col.staff"), 0.6, "r"),
            Col(t("bulletin.col.smart_counters"), 0.8, "r"),
            Col(t("bulletin.col.standing"), 1.7),
        ]
        for g in c.groups:
            flow.subheading(
                t("bulletin.title.group_ranking", group=g.label, count=len(g.rows)),
                target=f"group-{g.branch_type}",
            )
            flow.drawing(
                self.fig.caterpillar(g),
                caption=t("bulletin.caption.caterpillar", target=f.pct(c.target, 0)),
            )
            rows: list[list[Cell | str]] = []
            for r in g.rows:
                below = r.status.below
                rows.append(
                    [
                        str(r.peer_rank) if r.peer_rank is not None else "—",
                        f.rank_change(r.rank_change),
                        self.name_cell(r),
                        Cell(f.pct(r.rate.rate), colour=BAD if below else INK),
                        f.interval(r.rate.ci_low, r.rate.ci_high),
                        self.change(r.change_pp),
                        str(r.network_rank) if r.network_rank is not None else "—",
                        f.decimal(r.daily_tickets, 0),
                        f.count(r.staff_count),
                        f.count(r.smart_counters),
                        self.badge(r),
                    ]
                )
            flow.table(cols, rows)

    def named_table(self, rows: Sequence[BranchRow], good: bool) -> None:
        t, f = self.t, self.f
        cols = [
            Col(t("bulletin.col.branch"), 2.8),
            Col(t("bulletin.col.group"), 1.5),
            Col(t("bulletin.col.rate"), 0.9, "r"),
            Col(t("bulletin.col.interval"), 1.5, "r"),
            Col(t("bulletin.col.shrunk"), 1.4, "r"),
            Col(t("bulletin.col.migratable"), 1.1, "r"),
            Col(t("bulletin.col.how_sure"), 3.0),
        ]
        self.flow.table(
            cols,
            [
                [
                    self.name_cell(r),
                    t(f"bulletin.group.{r.branch_type}"),
                    f.pct(r.rate.rate),
                    f.interval(r.rate.ci_low, r.rate.ci_high),
                    f.pct(r.shrunk_rate),
                    f.count(r.rate.migratable),
                    self.w.how_sure_above(r) if good else self.w.how_sure_below(r),
                ]
                for r in rows
            ],
            size=7.5,
        )

    def benchmarks(self) -> None:
        flow, t, f, c = self.flow, self.t, self.f, self.c
        self.chapter("benchmarks")
        flow.callout(
            t("bulletin.words.naming_rule", target=f.pct(c.target, 0), least=c.min_migratable)
        )
        flow.subheading(t("bulletin.title.benchmark_list"))
        named = [r for g in c.groups for r in g.benchmarks]
        if named:
            self.named_table(named, True)
        for note in self.w.benchmark_notes():
            flow.paragraph(note, size=8, colour=MUTED)
        flow.subheading(t("bulletin.title.help_list"))
        helped = [r for g in c.groups for r in g.needs_help]
        if helped:
            self.named_table(helped, False)
        else:
            flow.paragraph(self.w.no_help(), size=8, colour=MUTED)
        flow.subheading(t("bulletin.title.movers"))
        flow.paragraph(
            t("bulletin.words.movers_rule", least=c.min_migratable), size=8, colour=MUTED
        )
        cols = [
            Col(t("bulletin.col.branch"), 3.2),
            Col(t("bulletin.col.previous"), 1, "r"),
            Col(t("bulletin.col.rate"), 1, "r"),
            Col(t("bulletin.col.change"), 1.1, "r"),
            Col(t("bulletin.col.beyond_noise"), 1.4),
        ]
        for title, movers in (
            (t("bulletin.title.risers"), c.movers_up),
            (t("bulletin.title.fallers"), c.movers_down),
        ):
            flow.subheading(title, size=9.5, colour=MUTED)
            rows: list[list[Cell | str]] = [
                [
                    self.name_cell(m.row, sub=False),
                    f.pct(m.row.previous_rate),
                    f.pct(m.row.rate.rate),
                    self.change(m.row.change_pp),
                    t("bulletin.label.yes") if m.beyond_noise else t("bulletin.label.within_noise"),
                ]
                for m in movers
            ]
            if rows:
                flow.table(cols, rows)
            else:
                flow.paragraph(self.w.no_movers(), size=8, colour=MUTED)

    def extra(self, section: Section) -> None:
        flow, f = self.flow, self.f
        self.chapter(f"x-{section.key}")
        for para in section.paragraphs:
            flow.paragraph(para)
        for figure in section.figures:
            flow.drawing(figure.drawing, caption=figure.caption)
        for table in section.tables:
            flow.subheading(table.title)
            numeric = (CellKind.COUNT, CellKind.DECIMAL, CellKind.RATE, CellKind.POINTS)
            cols = [
                Col(
                    col.label,
                    2.0 if col.kind is CellKind.TEXT else 1.0,
                    "r" if col.kind in numeric else "l",
                )
                for col in table.columns
            ]
            rows: list[list[Cell | str]] = [
                [
                    cell_text(value, col.kind, f)
                    for value, col in zip(row, table.columns, strict=True)
                ]
                for row in table.rows
            ]
            flow.table(cols, rows)
            if table.note:
                flow.paragraph(table.note, size=8, colour=MUTED)

    def pareto_table(self, p: Pareto, rows: int) -> None:
        t, f = self.t, self.f
        cols = [
            Col("#", 0.4, "r"),
            Col(capital(t(f"bulletin.dimension.{p.dimension}")), 3.2),
            Col(t("bulletin.col.unmigrated"), 1, "r"),
            Col(t("bulletin.col.share"), 1, "r"),
            Col(t("bulletin.col.cumulative"), 1, "r"),
        ]
        body: list[list[Cell | str]] = [
            [
                str(i + 1),
                Cell(r.label, sub=r.note),
                f.count(r.count),
                f.pct(r.share),
                f.pct(r.cumulative_share),
            ]
            for i, r in enumerate(p.rows[:rows])
        ]
        footer: list[Cell | str] | None = None
        if len(p.rows) > rows:
            rest = p.total - sum(r.count for r in p.rows[:rows])
            footer = [
                "",
                t("bulletin.label.others", count=len(p.rows) - rows),
                f.count(rest),
                "",
                f.pct(1.0),
            ]
        if not body:
            self.flow.paragraph(t("bulletin.label.none"), size=8, colour=MUTED)
            return
        self.flow.table(cols, body, footer=footer)

    def unmigrated(self) -> None:
        flow, t, f, c = self.flow, self.t, self.f, self.c
        self.chapter("unmigrated")
        flow.paragraph(t("bulletin.words.unmigrated_intro", total=f.count(c.unmigrated[0].total)))
        for p in c.unmigrated:
            flow.subheading(
                t("bulletin.title.by_dimension", dimension=t(f"bulletin.dimension.{p.dimension}")),
                target=f"unmigrated-{p.dimension}",
            )
            flow.drawing(
                self.fig.pareto(p, self.config.pareto_rows),
                width=flow.content_width * 0.9,
                caption=t("bulletin.caption.pareto"),
            )
            self.pareto_table(p, self.config.pareto_rows)
        flow.subheading(t("bulletin.title.below_target", target=f.pct(c.target, 0)))
        if not c.below_target:
            flow.paragraph(t("bulletin.words.none_below"), size=8, colour=MUTED)
            return
        flow.paragraph(t("bulletin.words.below_target_intro"), size=8, colour=MUTED)
        cols = [
            Col(t("bulletin.col.branch"), 3),
            Col(t("bulletin.col.rate"), 0.9, "r"),
            Col(t("bulletin.col.shortfall"), 1.3, "r"),
            Col(t("bulletin.col.top_business"), 2.2),
            Col(t("bulletin.col.top_reason"), 2.2),
        ]
        rows: list[list[Cell | str]] = [
            [
                self.name_cell(b.row, sub=False),
                Cell(f.pct(b.row.rate.rate), colour=BAD),
                f.count(b.row.shortfall),
                f"{b.top_business.label} {f.pct(b.top_business.share, 0)}"
                if b.top_business
                else "—",
                f"{b.top_reason.label} {f.pct(b.top_reason.share, 0)}" if b.top_reason else "—",
            ]
            for b in c.below_target
        ]
        flow.table(cols, rows)

    def funnel_table(self, triage: Triage) -> None:
        t, f = self.t, self.f
        cols = [
            Col(t("bulletin.col.stage"), 2.4),
            Col(t("bulletin.col.touches"), 1, "r"),
            Col(t("bulletin.col.accepted"), 1, "r"),
            Col(t("bulletin.col.declined"), 1, "r"),
            Col(t("bulletin.col.acceptance"), 1, "r"),
            Col(t("bulletin.col.top_reasons"), 3.6),
        ]
        sep = t("bulletin.words.list_sep")
        rows: list[list[Cell | str]] = [
            [
                t(f"bulletin.stage.{s.stage}"),
                f.count(s.touches),
                f.count(s.accepted),
                f.count(s.declined),
                f.pct(s.acceptance_rate),
                sep.join(f"{r.label} {f.pct(r.share, 0)}" for r in s.reasons[:3]) or "—",
            ]
            for s in triage.stages
        ]
        self.flow.table(cols, rows)

    def triage(self) -> None:
        flow, t, f, c = self.flow, self.t, self.f, self.c
        self.chapter("triage")
        flow.paragraph(t("bulletin.words.triage_intro"))
        flow.drawing(self.fig.funnel(c.triage), caption=t("bulletin.caption.funnel"))
        self.funnel_table(c.triage)
        flow.subheading(t("bulletin.title.depth"))
        flow.drawing(
            self.fig.depth(c.triage),
            caption=t("bulletin.caption.depth", visits=f.count(c.triage.visits)),
        )
        cols = [
            Col(t("bulletin.col.depth"), 2),
            Col(t("bulletin.col.visits"), 1, "r"),
            Col(t("bulletin.col.share"), 1, "r"),
        ]
        flow.table(
            cols,
            [
                [t(f"bulletin.depth.{d.depth}"), f.count(d.visits), f.pct(d.share)]
                for d in c.triage.depth
            ],
            width=flow.content_width * 0.6,
        )
        flow.paragraph(t("bulletin.words.triage_per_branch"), size=8, colour=MUTED)

    def trend(self) -> None:
        flow, t, f, c = self.flow, self.t, self.f, self.c
        self.chapter("trend")
        flow.drawing(
            self.fig.trend(c.trend),
            caption=t("bulletin.caption.trend", target=f.pct(c.target, 0), scope=self.w.scope()),
        )
        cols = [Col("", 2.4)] + [Col(f.week_short(w), 1, "r") for w in c.trend_weeks]
        flow.table(cols, [[s.label, *(f.pct(p.rate) for p in s.points)] for s in c.trend])

    def branches(self) -> None:
        flow, t, c = self.flow, self.t, self.c
        # The volume's own heading: the main bulletin's chapter number means nothing here.
        flow.heading(self.chapters["branches"].title, target="h-branches")
        flow.paragraph(t("bulletin.words.branches_intro"))
        half = (flow.content_width - 24) / 2
        entries: list[tuple[str, str, bool]] = []
        for g in c.groups:
            entries.append((g.label, "", True))
            entries += [
                (p.row.name, branch_anchor(p.row.branch_id), False)
                for p in c.pages
                if p.row.branch_type == g.branch_type
            ]
        # Two columns per page; the last page's entries are shared evenly between them.
        row_h = 8.5 * 1.7
        i = 0
        while i < len(entries):
            per_column = max(1, int((flow.y - flow.bottom) / row_h))
            chunk = entries[i : i + 2 * per_column]
            split = per_column if len(chunk) == 2 * per_column else (len(chunk) + 1) // 2
            top = flow.y
            for column, part in enumerate((chunk[:split], chunk[split:])):
                flow.y = top
                x = flow.left + column * (half + 24)
                for label, target, is_group in part:
                    if is_group:
                        flow.text(x, flow.y - 8.5 * 1.2, label, 8.5, colour=MUTED, bold=True)
                        flow.y -= row_h
                    else:
                        flow.index_entry(label, target, x=x, width=half, size=8.5)
            i += len(chunk)
            if i < len(entries):
                flow.new_page()
        chapter_mark = flow.bookmarks[-1]
        for page in c.pages:
            self.branch_page(page, chapter_mark)

    def branch_edition(self, page: BranchPage) -> None:
        """One branch's page as a document of its own: a title, the page, where it is from."""
        flow, t, f, c = self.flow, self.t, self.f, self.c
        flow.paragraph(t("bulletin.issuer"), size=9, colour=MUTED, after=2)
        flow.paragraph(
            f"{f.week(c.week)} · {f.date_range(c.week_start, c.week_end)}",
            size=9,
            colour=MUTED,
            after=8,
        )
        self.branch_page(page, None)
        flow.y -= 4
        flow.paragraph(
            t("bulletin.words.branch_edition_note", week=f.week(c.week), scope=self.w.scope()),
            size=7.5,
            colour=MUTED,
        )
        flow.paragraph(
            t("bulletin.generated_at", moment=f.moment(c.generated_at)), size=7.5, colour=MUTED
        )

    def branch_page(self, page: BranchPage, chapter_mark: Bookmark | None) -> None:
        """A branch's page: on a page of its own in the bulletin (``chapter_mark`` given),
        or where the flow stands in the branch's own document."""
        flow, t, f, c, r = self.flow, self.t, self.f, self.c, page.row
        # The running head names the branch: a page forwarded alone still says whose it is.
        flow.chapter = r.name
        target = branch_anchor(r.branch_id)
        if chapter_mark is not None:
            flow.new_page()
            chapter_mark.children.append(Bookmark(r.name, target))
        else:
            flow.bookmarks.append(Bookmark(r.name, target))
        flow.mark(target)
        flow.text(flow.left, flow.y - 14, r.name, 14, bold=True)
        standing = self.w.standing(r)
        badge_w = flow.text_width(standing, 8)
        flow.y -= 22
        meta = f"{r.branch_id} · {r.region or '—'} · {t(f'bulletin.group.{r.branch_type}')} · {f.week(c.week)}"
        flow.text(flow.left, flow.y - 8, meta, 8, colour=MUTED)
        bx = flow.left + flow.text_width(meta, 8) + 10
        flow.badge(bx, flow.y - 8, badge_w, 8, self.w.standing_class(r))
        flow.text(bx, flow.y - 8, standing, 8, colour=_badge_colour(self.w.standing_class(r)))
        flow.y -= 14
        flow.hline(flow.left, flow.left + flow.content_width, flow.y, PRIMARY, 1.2)
        flow.y -= 8
        change_colour = (
            INK
            if r.change_pp is None or round(r.change_pp, 1) == 0
            else GOOD
            if r.change_pp > 0
            else BAD
        )
        flow.kpis(
            [
                (
                    t("bulletin.kpi.rate"),
                    f.pct(r.rate.rate),
                    f.interval(r.rate.ci_low, r.rate.ci_high),
                    INK,
                ),
                (
                    t("bulletin.kpi.change"),
                    f.signed(r.change_pp),
                    t("bulletin.kpi.previous", rate=f.pct(r.previous_rate)),
                    change_colour,
                ),
                (
                    t("bulletin.kpi.peer_rank"),
                    str(r.peer_rank) if r.peer_rank is not None else "—",
                    t("bulletin.kpi.of", count=f.count(r.peers)),
                    INK,
                ),
                (
                    t("bulletin.kpi.network_rank"),
                    str(r.network_rank) if r.network_rank is not None else "—",
                    t("bulletin.kpi.of", count=f.count(c.network_ranked)),
                    INK,
                ),
                (
                    t("bulletin.kpi.daily_tickets_short"),
                    f.decimal(r.daily_tickets, 0),
                    t(
                        "bulletin.kpi.staff_counters",
                        staff=f.count(r.staff_count),
                        counters=f.count(r.smart_counters),
                    ),
                    INK,
                ),
            ],
            value_size=13,
        )
        for sentence in self.w.branch_paragraphs(page):
            flow.paragraph(sentence, size=8.5, leading=1.5, after=3)
        flow.y -= 2
        flow.drawing(self.fig.branch_trend(page.trend, r.branch_type), width=flow.content_width)
        business, reason, staff, hour, age = page.unmigrated
        n = self.config.branch_pareto_rows
        self.mini_tables([business, reason, hour], n)
        stage_rows = [
            (t(f"bulletin.stage_short.{s.stage}"), f.count(s.touches), f.pct(s.acceptance_rate, 0))
            for s in page.triage.stages
        ]
        self.mini_tables(
            [staff, age],
            n,
            extra=(
                (t("bulletin.col.stage"), t("bulletin.col.touches"), t("bulletin.col.acceptance")),
                stage_rows,
            ),
        )
        parts = self.w.depth_parts(page.triage)
        if parts:
            flow.paragraph(
                t("bulletin.words.branch_depth", parts=self.w.listing(parts)),
                size=7.5,
                colour=MUTED,
            )

    def mini_tables(
        self,
        paretos: Sequence[Pareto],
        n: int,
        *,
        extra: tuple[tuple[str, str, str], Sequence[tuple[str, str, str]]] | None = None,
    ) -> None:
        """Up to three small Paretos side by side as one table (item, count, share each)."""
        t, f = self.t, self.f
        cols: list[Col] = []
        columns: list[list[tuple[str, str, str]]] = []
        for p in paretos:
            cols += [
                Col(capital(t(f"bulletin.dimension.{p.dimension}")), 2.3),
                Col(t("bulletin.col.unmigrated"), 1.0, "r"),
                Col(t("bulletin.col.share"), 0.8, "r"),
            ]
            columns.append([(r.label, f.count(r.count), f.pct(r.share, 0)) for r in p.rows[:n]])
        if extra is not None:
            heads, values = extra
            cols += [Col(heads[0], 2.3), Col(heads[1], 1.0, "r"), Col(heads[2], 0.8, "r")]
            columns.append(list(values))
        height = max([len(x) for x in columns] + [1])
        rows: list[list[Cell | str]] = []
        for i in range(height):
            cells: list[Cell | str] = []
            for column in columns:
                cells += list(column[i]) if i < len(column) else ["", "", ""]
            rows.append(cells)
        if not any(columns):
            rows = [[t("bulletin.label.none"), *([""] * (len(cols) - 1))]]
        self.flow.table(cols, rows, size=7.5, after=6)

    def method(self) -> None:
        flow, t, f, c = self.flow, self.t, self.f, self.c
        self.chapter("method")
        for key in (
            "rate",
            "interval",
            "shrunk",
            "status",
            "movers",
            "unmigrated",
            "triage",
            "tickets",
            "data",
        ):
            if key == "status":
                flow.paragraph(t("status.method.title"), bold=True, after=0)
                for note in c.status_notes:
                    flow.paragraph(note, after=3)
                for _, name, rule in c.status_rules:
                    flow.paragraph(
                        f"{name}：{rule}" if f.lang.value == "zh" else f"{name}: {rule}", after=3
                    )
                flow.y -= 3
                continue
            flow.paragraph(t(f"bulletin.method.{key}_title"), bold=True, after=0)
            flow.paragraph(
                t(f"bulletin.method.{key}", target=f.pct(c.target, 0), least=c.min_migratable),
                after=6,
            )
        flow.y -= 10
        flow.paragraph(t("bulletin.footer", week=f.week(c.week)), size=8, colour=MUTED)


def _badge_colour(style: str) -> str:
    if "strong" in style:
        return "#ffffff"
    return {"good": GOOD, "bad": BAD, "muted": MUTED}.get(style, INK)


@dataclass(frozen=True)
class PdfOutput:
    """The PDF written: where, how many pages, and characters no font could draw."""

    path: Path
    pages: int
    missing: frozenset[str]


def write_pdf(content: BulletinContent, config: BulletinSettings, target: Path) -> PdfOutput:
    """Lay the bulletin out on A4 pages and write it to ``target``."""
    f = Formats(content.lang)
    title = f"{f.t('bulletin.title.document')} · {f.week(content.week)}"
    running = f"{title} · {Words(content, f).scope_title()}"
    return _write(content, config, target, title, running, _Document.build)


def write_volume_pdf(content: BulletinContent, config: BulletinSettings, target: Path) -> PdfOutput:
    """The volume of branch pages (网点分册) as one PDF, with bookmarks per branch."""
    f = Formats(content.lang)
    title = f"{f.t('bulletin.title.volume')} · {f.week(content.week)}"
    running = f"{title} · {Words(content, f).scope_title()}"
    return _write(content, config, target, title, running, _Document.build_volume)


def write_branch_pdfs(
    content: BulletinContent,
    config: BulletinSettings,
    pages: Sequence[BranchPage],
    targets: Sequence[Path],
) -> list[PdfOutput]:
    """Each branch's page as a PDF of its own, to send to that branch.

    The documents share their fonts: laid out first, then written with one subset of the
    glyphs of them all (subsetting the CJK font takes about a second; once, not per branch).
    """
    f = Formats(content.lang)
    regular, bold = _fonts()
    laid_out = []
    for page in pages:
        title = (
            f"{f.t('bulletin.title.branch_edition', name=page.row.name)} · {f.week(content.week)}"
        )
        flow = _lay_out(
            content, config, regular, bold, title, partial(_Document.branch_edition, page=page)
        )
        laid_out.append((flow, flow.finish(), title))
    return [
        _emit(content, regular, bold, flow, out, title, target)
        for (flow, out, title), target in zip(laid_out, targets, strict=True)
    ]


def _fonts() -> tuple[Font, Font]:
    return Font(find_font(REGULAR), "F1"), Font(find_font(BOLD), "F2")


def _write(
    content: BulletinContent,
    config: BulletinSettings,
    target: Path,
    title: str,
    running: str,
    lay_out: Callable[[_Document], None],
) -> PdfOutput:
    regular, bold = _fonts()
    flow = _lay_out(content, config, regular, bold, running, lay_out)
    return _emit(content, regular, bold, flow, flow.finish(), title, target)


def _lay_out(
    content: BulletinContent,
    config: BulletinSettings,
    regular: Font,
    bold: Font,
    running: str,
    lay_out: Callable[[_Document], None],
) -> Flow:
    flow = Flow(regular, bold, running=running)
    lay_out(_Document(content, config, flow))
    return flow


def _emit(
    content: BulletinContent,
    regular: Font,
    bold: Font,
    flow: Flow,
    pages: list[PageOut],
    title: str,
    target: Path,
) -> PdfOutput:
    data = write_document(
        pages,
        [regular, bold],
        flow.targets,
        flow.bookmarks,
        title=title,
        lang="en" if content.lang is Lang.EN else "zh-CN",
    )
    target.write_bytes(data)
    return PdfOutput(
        path=target, pages=len(pages), missing=frozenset(regular.missing | bold.missing)
    )
