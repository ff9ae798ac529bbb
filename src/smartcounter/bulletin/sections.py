"""The extension point: sections that other capabilities add to the bulletin.

A provider is a function ``(SectionContext) -> Sequence[Section]``. Its sections are
rendered by every format after the benchmarks and before the un-migrated business: in
the HTML and PDF as numbered chapters (in the table of contents), in the workbook as one
sheet per table. Sections are plain data (paragraphs, typed tables, charts as drawings),
so a provider never touches HTML, openpyxl or WeasyPrint.

The benchmark-and-pairing programme's chapter is the default provider
(``smartcounter.programme.bulletin.bulletin_sections``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from smartcounter.bulletin.charts import Drawing
from smartcounter.i18n import Lang, Translator
from smartcounter.settings import Settings
from smartcounter.store.layout import Store

if TYPE_CHECKING:
    from smartcounter.bulletin.content import BulletinContent
    from smartcounter.metrics import Metrics
    from smartcounter.programme.status import StatusBoard


Cell = str | int | float | None


class CellKind(StrEnum):
    """How a column's values are shown: the HTML formats them, the workbook keeps numbers."""

    TEXT = "text"
    COUNT = "count"  # whole number
    DECIMAL = "decimal"  # one decimal place
    RATE = "rate"  # a fraction shown as a percentage
    POINTS = "points"  # a change in percentage points


@dataclass(frozen=True)
class Column:
    """A column of a section table: its heading and kind."""

    label: str
    kind: CellKind = CellKind.TEXT


@dataclass(frozen=True)
class SectionTable:
    """A table of a section: rows of cells in the order of ``columns``; None is empty."""

    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    note: str | None = None
    # The name of its sheet in the workbook (Excel allows 31 characters), where the title
    # is too long to be one; else the title, shortened.
    sheet: str | None = None


@dataclass(frozen=True)
class Figure:
    """A chart drawn with ``bulletin.charts`` (a ``Drawing``) and its caption.

    A drawing, not SVG markup, so that the HTML shows it as inline SVG and the PDF draws
    it as vector graphics; the chart functions of ``bulletin.charts`` make one.
    """

    caption: str
    drawing: Drawing


@dataclass(frozen=True)
class Section:
    """A chapter added to the bulletin by another capability."""

    key: str  # stable id, used as the HTML anchor: letters, digits and dashes
    title: str
    paragraphs: tuple[str, ...] = ()
    tables: tuple[SectionTable, ...] = ()
    figures: tuple[Figure, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class SectionContext:
    """What a provider may use: the open metrics API, the core content, the language."""

    metrics: Metrics
    store: Store
    settings: Settings
    week: str
    region: str | None
    lang: Lang
    content: BulletinContent
    board: StatusBoard  # the week's statuses, network-wide

    @property
    def t(self) -> Translator:
        """The translator of the bulletin's language."""
        return Translator(self.lang)


SectionProvider = Callable[[SectionContext], Sequence[Section]]


def default_providers() -> tuple[SectionProvider, ...]:
    """The providers every bulletin has: the programme's chapter."""
    from smartcounter.programme.bulletin import bulletin_sections

    return (bulletin_sections,)
