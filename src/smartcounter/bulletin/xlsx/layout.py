"""How the workbook's sheets look and print: widths, colours, page setup.

Nothing here judges a branch: a status's colour follows the status model's tone, and the
tint of a rate uses the target only as the threshold of a colour.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl.formatting.rule import Rule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.differential import DifferentialStyle
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.properties import PageSetupProperties

PERCENT = "0.0%"
POINTS = "+0.0;-0.0;0.0"
COUNT = "#,##0"
DECIMAL = "#,##0.0"

# Fonts name the workbook's default font: a font without a name prints in a serif face
# in LibreOffice.
FONT_NAME = "Calibri"
HEADER_FONT = Font(name=FONT_NAME, size=11, bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
HEADER_ALIGN = Alignment(vertical="center", wrap_text=True)
# Cells read from the top: a row with a wrapped cell keeps its neighbours on its first line.
TOP = Alignment(vertical="top")
WRAP = Alignment(vertical="top", wrap_text=True)
_THIN = Side(style="thin", color="BFBFBF")
FRAME = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)

# Column widths in Excel's units (the width of a "0"); a CJK character takes two.
MIN_WIDTH = 8
MAX_WIDTH = 48
PADDING = 2
# A heading wraps onto this many lines rather than widen a column of short numbers; the
# filter button takes the right end of a heading cell.
HEADING_LINES = 2
FILTER_BUTTON = 2
LINE_HEIGHT = 16.0  # points per line of a wrapped heading or text row

# A4 portrait holds about this many width units at 100 %; wider sheets print landscape.
PORTRAIT_UNITS = 90
A4 = "9"
# Page margins in inches: room above and below for the page header and footer.
MARGINS = {"left": 0.4, "right": 0.4, "top": 0.75, "bottom": 0.65, "header": 0.3, "footer": 0.3}

# The fill and text colour of each status tone (programme/status.py names the tones).
TONE_COLOURS: dict[str, tuple[str, str]] = {
    "good strong": ("A9D08E", "1E4620"),
    "good": ("E2EFDA", "375623"),
    "neutral": ("FFEB9C", "7F6000"),
    "bad": ("F8D7DA", "9C0006"),
    "bad strong": ("E8A3A8", "6B0010"),
    "muted": ("EDEDED", "595959"),
}
# Rates at or above the target, and below it (Excel's own light green and light red).
AT_OR_ABOVE = (PatternFill("solid", fgColor="C6EFCE", bgColor="C6EFCE"), Font(color="006100"))
BELOW = (PatternFill("solid", fgColor="FFC7CE", bgColor="FFC7CE"), Font(color="9C0006"))


@dataclass(frozen=True)
class Col:
    """A column: heading, number format, how to read a value from a row, and its look.

    ``tone`` gives a row's status tone (the cell is filled in its colour); ``fmt_of`` a
    row's own number format; ``against_target`` tints the column's rates by the target.
    """

    heading: str
    fmt: str | None
    get: Callable[[Any], Any]
    tone: Callable[[Any], str | None] | None = None
    fmt_of: Callable[[Any], str | None] | None = None
    against_target: bool = False


def text_width(text: str) -> int:
    """The width of ``text`` in columns: two for a wide (CJK) character, one otherwise."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def prose_width(text: str) -> float:
    """About the width of running text: letters are narrower than the "0" of the unit, and
    a space narrower still (to tell whether a long text wraps, and onto how many lines)."""
    return sum(
        2.0 if unicodedata.east_asian_width(ch) in "WF" else 0.5 if ch == " " else 0.9
        for ch in text
    )


def shown(value: Any, fmt: str | None) -> str:
    """``value`` as the sheet shows it in ``fmt`` (to measure it)."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return ""
    if fmt == PERCENT:
        return f"{value * 100:.1f}%"
    if fmt == POINTS:
        return f"{value:+.1f}"
    if fmt == COUNT:
        return f"{value:,.0f}"
    if fmt == DECIMAL:
        return f"{value:,.1f}"
    return str(value)


_TOKEN = re.compile(r"[^\s]+\s*|\s+")


def _tokens(text: str) -> list[str]:
    """Pieces a line may break between: words, and each wide character on its own."""
    out: list[str] = []
    for word in _TOKEN.findall(text):
        piece = ""
        for ch in word:
            if text_width(ch) == 2:
                if piece:
                    out.append(piece)
                    piece = ""
                out.append(ch)
            else:
                piece += ch
        if piece:
            out.append(piece)
    return out


def lines(text: str, width: float, measure: Callable[[str], float] = text_width) -> int:
    """How many lines ``text`` takes when wrapped into ``width`` columns."""
    count, used = 1, 0.0
    for token in _tokens(text):
        if used and used + measure(token.rstrip()) > width:
            count, used = count + 1, 0.0
        used += measure(token)
    return count


def heading_width(heading: str) -> int:
    """The narrowest width that holds ``heading`` on at most ``HEADING_LINES`` lines."""
    whole = text_width(heading)
    width = max((text_width(t.rstrip()) for t in _tokens(heading)), default=0)
    width = max(width, math.ceil(whole / HEADING_LINES))
    while width < whole and lines(heading, width) > HEADING_LINES:
        width += 1
    return width


def column_width(heading: str, texts: Iterable[str]) -> float:
    """A column's width: its longest text or its heading (wrapped), within the bounds."""
    body = max((text_width(t) for t in texts), default=0) + PADDING
    head = heading_width(heading) + FILTER_BUTTON
    return float(min(MAX_WIDTH, max(MIN_WIDTH, body, head)))


def heading_height(headings: Sequence[str], widths: Sequence[float]) -> float:
    """The height (points) of a heading row whose longest heading wraps to fit."""
    most = max(
        (lines(h, w - FILTER_BUTTON) for h, w in zip(headings, widths, strict=True)), default=1
    )
    return LINE_HEIGHT * most + 4


def tone_style(tone: str) -> tuple[PatternFill, Font]:
    """The fill and font of a status tone (grey for a tone not known here)."""
    fill, text = TONE_COLOURS.get(tone, TONE_COLOURS["muted"])
    bold = tone.endswith("strong")
    return PatternFill("solid", fgColor=fill), Font(name=FONT_NAME, size=11, color=text, bold=bold)


def tint_by_target(ws: Any, ref: str, first_cell: str, target: float) -> None:
    """Tint the rates of ``ref`` red below ``target`` and green at or above; blanks stay."""
    for op, (fill, font) in (("<", BELOW), (">=", AT_OR_ABOVE)):
        ws.conditional_formatting.add(
            ref,
            Rule(
                type="expression",
                formula=[f"AND(ISNUMBER({first_cell}),{first_cell}{op}{target!r})"],
                dxf=DifferentialStyle(font=font, fill=fill),
            ),
        )


def header_footer_text(text: str) -> str:
    """``text`` for a page header or footer, where "&" starts a code."""
    return text.replace("&", "&&")


@dataclass(frozen=True)
class PageTexts:
    """What every printed page carries: the title, the week and the page's number."""

    title: str
    week: str
    page: str  # with Excel's codes for the page number and the page count


def print_setup(ws: Any, width: float, texts: PageTexts, *, title_rows: str | None) -> None:
    """A4, landscape when wide, fit to the page's width, headings repeated on every page.

    Must run before the sheet's first row: the fit-to-page flag is written with the
    sheet's properties, ahead of its rows.
    """
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.paperSize = A4
    ws.page_setup.orientation = "landscape" if width > PORTRAIT_UNITS else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as the rows need
    ws.page_margins = PageMargins(**MARGINS)
    ws.print_options.horizontalCentered = True
    if title_rows:
        ws.print_title_rows = title_rows
    header, footer = ws.oddHeader, ws.oddFooter
    header.left.text, header.left.size = header_footer_text(texts.title), 9
    header.right.text, header.right.size = header_footer_text(texts.week), 9
    footer.left.text, footer.left.size = "&A", 9  # the sheet's name
    footer.right.text, footer.right.size = texts.page, 9
