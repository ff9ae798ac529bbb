"""Build the weekly bulletin: content from the metrics API, then HTML, workbook and PDF."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from zoneinfo import ZoneInfo

from smartcounter.bulletin.as_json import write_json
from smartcounter.bulletin.content import BranchPage, BulletinContent, PairLink, build_content
from smartcounter.bulletin.errors import UnknownBranchError
from smartcounter.bulletin.formats import Formats
from smartcounter.bulletin.html import (
    VOLUME_NAME,
    render_branch_html,
    render_html,
    render_volume_html,
)
from smartcounter.bulletin.pdf import write_branch_pdfs, write_pdf, write_volume_pdf
from smartcounter.bulletin.sections import SectionContext, SectionProvider
from smartcounter.bulletin.xlsx import write_xlsx
from smartcounter.i18n import Lang, Translator
from smartcounter.metrics import Metrics, open_metrics
from smartcounter.metrics.period import parse_week
from smartcounter.programme.bulletin import programme_chapter
from smartcounter.programme.status import StatusBoard, judge, rule_texts, window_note
from smartcounter.settings import Settings
from smartcounter.store.layout import Store


class BulletinFormat(StrEnum):
    """The files a bulletin is written as."""

    HTML = "html"
    XLSX = "xlsx"
    PDF = "pdf"
    JSON = "json"


ALL_FORMATS = (BulletinFormat.HTML, BulletinFormat.XLSX, BulletinFormat.PDF, BulletinFormat.JSON)


@dataclass(frozen=True)
class BulletinPaths:
    """Where the bulletin's files were written, and how long each part took (seconds)."""

    html: Path | None
    xlsx: Path | None
    pdf: Path | None
    timings: dict[str, float] = field(default_factory=dict, compare=False)
    branches: tuple[Path, ...] = ()  # the branches' own pages (HTML and PDF each)
    json: Path | None = None
    volume: tuple[Path, ...] = ()  # the volume of branch pages: branches.html, branches.pdf
    # What the files say, for those who pass the bulletin on in words (``publish``).
    content: BulletinContent | None = field(default=None, compare=False, repr=False)

    def written(self) -> list[Path]:
        """The files written: HTML, workbook, PDF, JSON, the volume, the branches' own pages."""
        main = (self.html, self.xlsx, self.pdf, self.json)
        return [p for p in main if p is not None] + list(self.volume) + list(self.branches)


ALL_BRANCHES = "all"


def branch_file_stem(branch_id: str) -> str:
    """A file name for a branch id (letters, digits, ``-``, ``_`` and ``.`` kept)."""
    return re.sub(r"[^\w.-]", "_", branch_id).lstrip(".") or "_"


def build_bulletin(
    store: Store,
    settings: Settings,
    week: str,
    out_dir: Path,
    lang: Lang | str = Lang.ZH,
    region: str | None = None,
    *,
    formats: Sequence[BulletinFormat] = ALL_FORMATS,
    sections: Sequence[SectionProvider] | None = None,
    generated_at: datetime | None = None,
    metrics: Metrics | None = None,
    branches: Sequence[str] = (),
) -> BulletinPaths:
    """Write ``bulletin.html``, ``.xlsx``, ``.pdf`` and ``.json`` of ``week`` into ``out_dir``.

    ``branches`` (ids, or ``"all"``) also writes each such branch's page as a document of
    its own, ``branches/<branch_id>.html`` and ``.pdf``, to send to that branch.
    ``sections``: the chapters added (default: the programme's benchmarks, pairs and
    diagnoses); ``generated_at`` is the one moment printed (default:
    now, in the settings' timezone); ``metrics`` reuses an open metrics API.
    """
    parse_week(week)
    language = Lang(lang)
    moment = generated_at or datetime.now(ZoneInfo(settings.timezone)).replace(microsecond=0)
    timings: dict[str, float] = {}
    with ExitStack() as stack:
        if metrics is None:
            metrics = stack.enter_context(open_metrics(store, settings))
        with _timed(timings, "metrics"):
            board = judge(metrics=metrics, settings=settings, week=week)
            content = build_content(
                metrics,
                store,
                settings.bulletin,
                board=board,
                lang=language,
                region=region,
                generated_at=moment,
            )
        with _timed(timings, "sections"):
            context = SectionContext(
                metrics=metrics,
                store=store,
                settings=settings,
                week=week,
                region=region,
                lang=language,
                content=content,
                board=board,
            )
            content = _with_chapters(content, context, sections)
    content = _with_status_rules(content, settings, board)
    pages = _branch_pages(content, branches)
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path = xlsx_path = pdf_path = None
    if BulletinFormat.HTML in formats:
        with _timed(timings, "html"):
            html_path = out_dir / "bulletin.html"
            html_path.write_text(render_html(content, settings.bulletin), encoding="utf-8")
    if BulletinFormat.XLSX in formats:
        with _timed(timings, "xlsx"):
            xlsx_path = write_xlsx(content, settings.bulletin, out_dir / "bulletin.xlsx")
    if BulletinFormat.PDF in formats:
        with _timed(timings, "pdf"):
            pdf_path = write_pdf(content, settings.bulletin, out_dir / "bulletin.pdf").path
    volume: list[Path] = []
    if BulletinFormat.HTML in formats:
        with _timed(timings, "volume_html"):
            path = out_dir / VOLUME_NAME
            path.write_text(render_volume_html(content, settings.bulletin), encoding="utf-8")
            volume.append(path)
    if BulletinFormat.PDF in formats:
        with _timed(timings, "volume_pdf"):
            path = out_dir / VOLUME_NAME.replace(".html", ".pdf")
            volume.append(write_volume_pdf(content, settings.bulletin, path).path)
    json_path = None
    if BulletinFormat.JSON in formats:
        with _timed(timings, "json"):
            json_path = write_json(content, out_dir / "bulletin.json")
    editions: list[Path] = []
    if pages:
        with _timed(timings, "branches"):
            editions = _write_editions(content, settings, pages, out_dir / "branches", formats)
    return BulletinPaths(
        html=html_path,
        xlsx=xlsx_path,
        pdf=pdf_path,
        timings=timings,
        branches=tuple(editions),
        json=json_path,
        volume=tuple(volume),
        content=content,
    )


def _with_status_rules(
    content: BulletinContent, settings: Settings, board: StatusBoard
) -> BulletinContent:
    """``content`` with the status rules and notes its method section prints."""
    t = Translator(content.lang)
    f = Formats(content.lang)
    rules = tuple(
        (s.value, name, text) for s, name, text in rule_texts(settings, t, lambda x: f.pct(x, 0))
    )
    notes = [t("status.method.order"), t("status.method.sure")]
    young = window_note(board, t)
    if young:
        notes.append(young)
    return replace(content, status_rules=rules, status_notes=tuple(notes))


def _with_chapters(
    content: BulletinContent,
    context: SectionContext,
    providers: Sequence[SectionProvider] | None,
) -> BulletinContent:
    """``content`` with its chapters: the programme's by default, else those of ``providers``."""
    if providers is not None:
        return content.with_sections([s for provide in providers for s in provide(context)])
    plan, chapters = programme_chapter(context)
    links = [
        PairLink(p.pair_id, p.branch_id, p.partner_branch_id, p.start_week)
        for p in (plan.pairs if plan is not None else ())
    ]
    return content.with_sections(chapters, links)


def _write_editions(
    content: BulletinContent,
    settings: Settings,
    pages: Sequence[BranchPage],
    folder: Path,
    formats: Sequence[BulletinFormat],
) -> list[Path]:
    """Each branch's page as ``<branch_id>.html`` and ``.pdf`` in ``folder``."""
    folder.mkdir(exist_ok=True)
    stems = [folder / branch_file_stem(page.row.branch_id) for page in pages]
    written: list[Path] = []
    if BulletinFormat.HTML in formats:
        for page, stem in zip(pages, stems, strict=True):
            html = stem.with_name(stem.name + ".html")
            html.write_text(render_branch_html(content, settings.bulletin, page), encoding="utf-8")
            written.append(html)
    if BulletinFormat.PDF in formats:
        pdfs = [stem.with_name(stem.name + ".pdf") for stem in stems]
        written += [o.path for o in write_branch_pdfs(content, settings.bulletin, pages, pdfs)]
    return written


def _branch_pages(content: BulletinContent, wanted: Sequence[str]) -> list[BranchPage]:
    """The pages of the branches asked for, in the bulletin's order; unknown ids refused."""
    if not wanted:
        return []
    if ALL_BRANCHES in wanted:
        return list(content.pages)
    by_id = {p.row.branch_id: p for p in content.pages}
    for branch_id in wanted:
        if branch_id not in by_id:
            raise UnknownBranchError(
                branch=branch_id, week=content.week, region=content.region or ""
            )
    chosen = set(wanted)
    return [p for p in content.pages if p.row.branch_id in chosen]


@contextmanager
def _timed(timings: dict[str, float], name: str) -> Iterator[None]:
    """Record how long the block took under ``name`` (for the benchmark and the demo)."""
    start = time.perf_counter()
    yield
    timings[name] = time.perf_counter() - start
