"""The extension point: sections that other capabilities add to the bulletin.

A provider is a function ``(SectionContext) -> Sequence[Section]``. Its sections are
rendered by every format after the benchmarks and before the un-migrated business: in
the HTML and PDF as numbered chapters (in the table of contents), in the workbook as one
sheet per table. Sections are plain data (paragraphs, typed tables, charts as drawings),
so a provider never touches HTML, openpyxl or WeasyPrint.

The benchmark-and-pairing programme plugs in by defining
``smartcounter.programme.bulletin.bulletin_sections``; ``default_providers`` finds it.
"""

from __future__ import annotations

import importlib
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

PROGRAMME_MODULE = "smartcounter.programme.bulletin"
PROGRAMME_FUNCTION = "bulletin_sections"

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

    @property
    def t(self) -> Translator:
        """The translator of the bulletin's language."""
        return Translator(self.lang)


SectionProvider = Callable[[SectionContext], Sequence[Section]]


def default_providers() -> tuple[SectionProvider, ...]:
    """The providers installed: the programme's, once its module exists."""
    try:
        module = importlib.import_module(PROGRAMME_MODULE)
    except ModuleNotFoundError as exc:
        # Only a missing programme module means "not installed"; any other missing
        # import inside it is a real error and must surface.
        if exc.name in (PROGRAMME_MODULE, PROGRAMME_MODULE.rsplit(".", 1)[0]):
            return ()
        raise
    provider = getattr(module, PROGRAMME_FUNCTION, None)
    return (provider,) if callable(provider) else ()
