"""Flow layout on A4 pages: headings, paragraphs, key figures, tables and charts.

Blocks are placed top to bottom and a page is started when the next one does not fit;
tables break between rows and repeat their header. Page numbers that are not known yet
(the table of contents, the branch index, "page n of N") are drawn at the end.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from smartcounter.bulletin import charts
from smartcounter.bulletin.pdf.fonts import Font
from smartcounter.bulletin.pdf.writer import A4, Bookmark, Link, PageOut

INK = "#1d2733"
MUTED = "#5b6675"
RULE = "#d9dee5"
RULE_DARK = "#9aa4b1"
SOFT = "#f3f5f8"
PRIMARY = "#1f4e79"
GOOD = "#2e7d4f"
BAD = "#b23b3b"
WHITE = "#ffffff"

CLOSING = set("，。、；：？！）》」』”’%,.;:?!)]…·")
OPENING = set("（《「『“‘([")


@lru_cache(maxsize=256)
def rgb(colour: str) -> str:
    """``#1d2733`` as PDF colour operands."""
    value = colour.lstrip("#")
    if len(value) == 3:
        value = "".join(ch * 2 for ch in value)
    r, g, b = (int(value[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return f"{r:.3f} {g:.3f} {b:.3f}"


def _wide(ch: str) -> bool:
    return ord(ch) >= 0x2E80


def tokens(text: str) -> list[str]:
    """Units a line may break between: each CJK character, each Latin word with its space."""
    out: list[str] = []
    word = ""
    for ch in text:
        if _wide(ch):
            if word:
                out.append(word)
                word = ""
            out.append(ch)
        elif ch == " ":
            out.append(word + ch)
            word = ""
        else:
            word += ch
    if word:
        out.append(word)
    return out


def wrap(text: str, font: Font, size: float, width: float) -> list[str]:
    """Break ``text`` into lines of at most ``width`` points (closing punctuation may hang)."""
    if font.width(text, size) <= width:
        return [text]
    lines: list[str] = []
    line = ""
    line_w = 0.0
    for token in tokens(text):
        w = font.width(token, size)
        fits = line_w + font.width(token.rstrip(), size) <= width
        if fits or not line or token[0] in CLOSING:
            line += token
            line_w += w
            continue
        carry = ""
        # An opening bracket never ends a line: it moves down with what it opens.
        while line and line[-1] in OPENING:
            carry = line[-1] + carry
            line = line[:-1]
        lines.append(line.rstrip())
        line = carry + token
        line_w = font.width(line, size)
    if line:
        lines.append(line.rstrip())
    return lines


@dataclass
class Cell:
    """A table cell: text, an optional small second line, colour, weight, badge style."""

    text: str
    sub: str | None = None
    colour: str = INK
    bold: bool = False
    badge: str | None = None  # "good", "bad", "good strong", "bad strong", "neutral", "muted"
    link: str | None = None


@dataclass(frozen=True)
class Col:
    """A table column: heading, relative width, alignment (l or r)."""

    title: str
    weight: float
    align: str = "l"


@dataclass
class _Page:
    ops: list[str] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    chapter: str = ""


class Flow:
    """Places blocks on A4 pages from the top, starting new pages as needed."""

    def __init__(self, regular: Font, bold: Font, *, running: str) -> None:
        self.regular, self.bold = regular, bold
        self.width_pt, self.height_pt = A4
        self.left, self.right = 42.0, 42.0
        self.top, self.bottom = 58.0, 50.0
        self.content_width = self.width_pt - self.left - self.right
        self.running = running
        self.chapter = ""
        self.pages: list[_Page] = []
        self.y = 0.0
        self.targets: dict[str, tuple[int, float]] = {}
        self.bookmarks: list[Bookmark] = []
        self.later: list[Callable[[], None]] = []
        self.new_page()

    # -- pages ---------------------------------------------------------------------------
    @property
    def page(self) -> _Page:
        """The page being filled."""
        return self.pages[-1]

    @property
    def page_index(self) -> int:
        """The index of the page being filled."""
        return len(self.pages) - 1

    def new_page(self) -> None:
        """Start a new page."""
        self.pages.append(_Page(chapter=self.chapter))
        self.y = self.height_pt - self.top

    def at_top(self) -> bool:
        """Whether nothing has been placed on the current page yet."""
        return self.y >= self.height_pt - self.top - 0.5

    def need(self, height: float) -> None:
        """Start a new page unless ``height`` points fit below the current position."""
        if self.y - height < self.bottom and not self.at_top():
            self.new_page()

    def space(self, height: float) -> None:
        """Leave ``height`` points empty (not at the top of a page)."""
        if not self.at_top():
            self.y -= height

    def mark(self, name: str) -> None:
        """Name the current position as a link and bookmark target."""
        self.targets[name] = (self.page_index, self.y + 6)

    # -- drawing primitives --------------------------------------------------------------
    def text(
        self,
        x: float,
        baseline: float,
        text: str,
        size: float,
        *,
        colour: str = INK,
        bold: bool = False,
        on: _Page | None = None,
    ) -> None:
        """Write ``text`` with its baseline at (x, baseline), on ``on`` (default: this page)."""
        if text:
            (on or self.page).ops.append(self._text_op(x, baseline, text, size, colour, bold))

    def _text_op(
        self, x: float, baseline: float, text: str, size: float, colour: str, bold: bool
    ) -> str:
        font = self.bold if bold else self.regular
        return (
            f"BT /{font.resource} {size:.2f} Tf {rgb(colour)} rg "
            f"1 0 0 1 {x:.2f} {baseline:.2f} Tm <{font.encode(text)}> Tj ET"
        )

    def text_width(self, text: str, size: float, bold: bool = False) -> float:
        """The width of ``text`` in points."""
        return (self.bold if bold else self.regular).width(text, size)

    def rect(self, x: float, y: float, w: float, h: float, fill: str) -> None:
        """Fill a rectangle."""
        self.page.ops.append(f"{rgb(fill)} rg {x:.2f} {y:.2f} {w:.2f} {h:.2f} re f")

    def hline(
        self,
        x1: float,
        x2: float,
        y: float,
        colour: str = RULE,
        width: float = 0.5,
        on: _Page | None = None,
    ) -> None:
        """Draw a horizontal rule."""
        (on or self.page).ops.append(
            f"{rgb(colour)} RG {width:.2f} w [] 0 d {x1:.2f} {y:.2f} m {x2:.2f} {y:.2f} l S"
        )

    def link(self, x: float, y: float, w: float, h: float, target: str) -> None:
        """Make a rectangle of the page a link to ``target``."""
        self.page.links.append(Link((x, y, x + w, y + h), target))

    # -- blocks --------------------------------------------------------------------------
    def heading(self, text: str, *, number: int | None = None, target: str | None = None) -> None:
        """A chapter heading on a new page, with a bookmark; sets the running chapter title."""
        if not self.at_top():
            self.new_page()
        self.chapter = text
        self.page.chapter = text
        if target:
            self.mark(target)
            self.bookmarks.append(Bookmark(f"{number} {text}" if number else text, target))
        size = 15.0
        baseline = self.y - size
        x = self.left
        if number is not None:
            label = f"{number}"
            self.text(x, baseline, label, size, colour=PRIMARY, bold=True)
            x += self.text_width(label, size, True) + 8
        self.text(x, baseline, text, size, bold=True)
        self.y = baseline - 8
        self.hline(self.left, self.left + self.content_width, self.y, RULE, 0.6)
        self.y -= 10

    def subheading(
        self, text: str, *, size: float = 11.0, colour: str = INK, target: str | None = None
    ) -> None:
        """A section heading, kept with what follows."""
        self.space(6)
        self.need(size * 2 + 60)
        if target:
            self.mark(target)
        baseline = self.y - size
        self.text(self.left, baseline, text, size, colour=colour, bold=True)
        self.y = baseline - size * 0.55

    def paragraph(
        self,
        text: str,
        *,
        size: float = 9.0,
        colour: str = INK,
        bold: bool = False,
        bullet: bool = False,
        leading: float = 1.55,
        after: float = 4.0,
        indent: float = 0.0,
    ) -> None:
        """A paragraph wrapped to the content width, optionally bulleted."""
        x = self.left + indent + (10 if bullet else 0)
        width = self.content_width - indent - (10 if bullet else 0)
        font = self.bold if bold else self.regular
        lines = wrap(text, font, size, width)
        line_h = size * leading
        for i, line in enumerate(lines):
            self.need(line_h)
            baseline = self.y - (line_h - size) / 2 - size * 0.86
            if bullet and i == 0:
                self.text(self.left + indent + 2, baseline, "•", size, colour=MUTED)
            self.text(x, baseline, line, size, colour=colour, bold=bold)
            self.y -= line_h
        self.y -= after

    def callout(self, text: str, *, size: float = 8.5) -> None:
        """A boxed note with a rule on its left."""
        pad = 7.0
        lines = wrap(text, self.regular, size, self.content_width - 2 * pad - 4)
        line_h = size * 1.55
        height = len(lines) * line_h + 2 * pad
        self.need(height + 6)
        top = self.y
        self.rect(self.left, top - height, self.content_width, height, SOFT)
        self.rect(self.left, top - height, 2.5, height, PRIMARY)
        y = top - pad
        for line in lines:
            self.text(self.left + pad + 4, y - (line_h - size) / 2 - size * 0.86, line, size)
            y -= line_h
        self.y = top - height - 8

    def kpis(self, items: Sequence[tuple[str, str, str, str]], *, value_size: float = 16.0) -> None:
        """Key figures in boxes across the page: (label, value, note, value colour)."""
        gap = 6.0
        n = len(items)
        w = (self.content_width - gap * (n - 1)) / n
        h = value_size + 34
        self.need(h + 8)
        top = self.y
        for i, (label, value, note, colour) in enumerate(items):
            x = self.left + i * (w + gap)
            self.rect(x, top - h, w, h, SOFT)
            self.rect(x, top - 2.5, w, 2.5, PRIMARY)
            self.text(x + 7, top - 14, _fit(self, label, 7.5, w - 12), 7.5, colour=MUTED)
            self.text(x + 7, top - 16 - value_size, value, value_size, colour=colour, bold=True)
            self.text(x + 7, top - h + 7, _fit(self, note, 7.0, w - 12), 7.0, colour=MUTED)
        self.y = top - h - 10

    def table(
        self,
        cols: Sequence[Col],
        rows: Sequence[Sequence[Cell | str]],
        *,
        size: float = 8.0,
        width: float | None = None,
        x: float | None = None,
        footer: Sequence[Cell | str] | None = None,
        after: float = 8.0,
    ) -> None:
        """A table across ``width``; rows never split, the header repeats on a new page."""
        x0 = self.left if x is None else x
        total = self.content_width if width is None else width
        weights = sum(c.weight for c in cols)
        widths = [total * c.weight / weights for c in cols]
        pad_x, pad_y = 4.0, 2.6
        head_size = size - 0.5
        line_h = size * 1.35

        def cell_lines(cell: Cell, w: float) -> tuple[list[str], list[str]]:
            font = self.bold if cell.bold else self.regular
            main = wrap(cell.text, font, size, w - 2 * pad_x) if cell.text else [""]
            sub = wrap(cell.sub, self.regular, size - 1.5, w - 2 * pad_x) if cell.sub else []
            return main, sub

        heads = [
            wrap(c.title, self.bold, head_size, w - 2 * pad_x)
            for c, w in zip(cols, widths, strict=True)
        ]
        head_h = max(len(h) for h in heads) * head_size * 1.3 + 2 * pad_y

        def header() -> None:
            top = self.y
            for i, (col, lines) in enumerate(zip(cols, heads, strict=True)):
                cx = x0 + sum(widths[:i])
                y = top - pad_y - head_size * 0.95
                for line in lines:
                    # A heading word wider than its column is set smaller, never over its neighbour.
                    fit = min(
                        head_size,
                        head_size
                        * (widths[i] - 2 * pad_x)
                        / max(1.0, self.text_width(line, head_size, True)),
                    )
                    lw = self.text_width(line, fit, True)
                    tx = cx + widths[i] - pad_x - lw if col.align == "r" else cx + pad_x
                    self.text(tx, y, line, fit, colour=MUTED, bold=True)
                    y -= head_size * 1.3
            self.y = top - head_h
            self.hline(x0, x0 + total, self.y, INK, 0.8)

        def row(
            cells: Sequence[Cell | str], *, last_rule: str = RULE, bold_all: bool = False
        ) -> None:
            norm = [c if isinstance(c, Cell) else Cell(c) for c in cells]
            if bold_all:
                norm = [Cell(c.text, c.sub, c.colour, True, c.badge, c.link) for c in norm]
            laid = [cell_lines(c, w) for c, w in zip(norm, widths, strict=True)]
            h = max(len(m) * line_h + len(s) * (size - 1.5) * 1.3 for m, s in laid) + 2 * pad_y
            if self.y - h < self.bottom:
                self.new_page()
                header()
            top = self.y
            for i, (cell, (main, sub)) in enumerate(zip(norm, laid, strict=True)):
                cx = x0 + sum(widths[:i])
                col = cols[i]
                y = top - pad_y - (line_h - size) / 2 - size * 0.86
                for line in main:
                    tw = self.text_width(line, size, cell.bold)
                    tx = cx + widths[i] - pad_x - tw if col.align == "r" else cx + pad_x
                    if cell.badge:
                        self.badge(tx, y, tw, size, cell.badge)
                    colour = _badge_text(cell.badge) if cell.badge else cell.colour
                    self.text(tx, y, line, size, colour=colour, bold=cell.bold)
                    if cell.link:
                        self.link(tx, y - 2, tw, size + 2, cell.link)
                    y -= line_h
                for line in sub:
                    tw = self.text_width(line, size - 1.5)
                    tx = cx + widths[i] - pad_x - tw if col.align == "r" else cx + pad_x
                    self.text(
                        tx, y + line_h - (size - 1.5) * 1.3 + 0.5, line, size - 1.5, colour=MUTED
                    )
                    y -= (size - 1.5) * 1.3
            self.y = top - h
            self.hline(x0, x0 + total, self.y, last_rule, 0.4)

        self.need(head_h + line_h * 2 + 2 * pad_y)
        header()
        for cells in rows:
            row(cells)
        if footer is not None:
            row(footer, last_rule=INK, bold_all=True)
        self.y -= after

    def badge(self, x: float, baseline: float, w: float, size: float, style: str) -> None:
        """The frame (or fill) of a standing badge behind text at (x, baseline)."""
        fill = {"good strong": GOOD, "bad strong": BAD}.get(style)
        top, bottom = baseline + size * 0.95, baseline - size * 0.3
        if fill:
            self.rect(x - 2.5, bottom, w + 5, top - bottom, fill)
        else:
            edge = {"good": "#b9d6c4", "bad": "#e3bcbc"}.get(style, RULE)
            self.page.ops.append(
                f"{rgb(edge)} RG 0.6 w [] 0 d {x - 2.5:.2f} {bottom:.2f} {w + 5:.2f} {top - bottom:.2f} re S"
            )

    def drawing(
        self, d: charts.Drawing, *, width: float | None = None, caption: str | None = None
    ) -> None:
        """A chart scaled to ``width`` (default: the content width), with its caption."""
        w = min(self.content_width, width or self.content_width)
        scale = w / d.width
        h = d.height * scale
        caption_lines = wrap(caption, self.regular, 7.5, self.content_width) if caption else []
        self.need(h + len(caption_lines) * 11 + 6)
        self.draw(d, self.left, self.y, scale)
        self.y -= h + 2
        for line in caption_lines:
            self.text(self.left, self.y - 8, line, 7.5, colour=MUTED)
            self.y -= 11
        self.y -= 6

    def draw(self, d: charts.Drawing, x0: float, top: float, s: float) -> None:
        """Draw ``d`` with its top-left corner at (``x0``, ``top``), scaled by ``s``."""
        ops = self.page.ops

        def X(x: float) -> float:  # noqa: N802 - reads like the mathematics
            return x0 + x * s

        def Y(y: float) -> float:  # noqa: N802
            return top - y * s

        for op in d.ops:
            if isinstance(op, charts.LineOp):
                ops.append(
                    f"{rgb(op.stroke)} RG {op.width * s:.2f} w {_dash(op.dash, s)} 0 J "
                    f"{X(op.x1):.2f} {Y(op.y1):.2f} m {X(op.x2):.2f} {Y(op.y2):.2f} l S"
                )
            elif isinstance(op, charts.RectOp):
                if op.w > 0 and op.h > 0:
                    ops.append(
                        f"{rgb(op.fill)} rg {X(op.x):.2f} {Y(op.y + op.h):.2f} {op.w * s:.2f} {op.h * s:.2f} re f"
                    )
            elif isinstance(op, charts.CircleOp):
                ops.append(_circle(X(op.x), Y(op.y), op.r * s, op.fill, op.stroke))
            elif isinstance(op, charts.PolylineOp):
                path = " ".join(
                    f"{X(px):.2f} {Y(py):.2f} {'m' if i == 0 else 'l'}"
                    for i, (px, py) in enumerate(op.points)
                )
                ops.append(
                    f"{rgb(op.stroke)} RG {op.width * s:.2f} w {_dash(op.dash, s)} 1 j 1 J {path} S"
                )
            else:
                size = op.size * s
                tw = self.text_width(op.content, size, op.bold)
                x = X(op.x) - (tw / 2 if op.anchor == "middle" else tw if op.anchor == "end" else 0)
                self.text(x, Y(op.y), op.content, size, colour=op.fill, bold=op.bold)

    def index_entry(
        self,
        text: str,
        target: str,
        *,
        x: float,
        width: float,
        size: float = 9.0,
        bold: bool = False,
    ) -> None:
        """A line of a table of contents: text, dotted leader, the target's page (drawn at
        the end, when it is known) and a link to it."""
        line_h = size * 1.7
        self.need(line_h)
        baseline = self.y - size * 1.2
        page = self.page
        label = _fit(self, text, size, width - 40)
        self.text(x, baseline, label, size, bold=bold, on=page)
        self.link(x, baseline - 3, width, size + 5, target)
        start = x + self.text_width(label, size, bold) + 4
        # A placeholder keeps the page number next to its entry in the page's text order,
        # so that text extraction reads "title ..... 12" and not all the numbers at the end.
        slot = len(page.ops)
        page.ops.append("")

        def number() -> None:
            if target not in self.targets:
                return
            folio = str(self.targets[target][0] + 1)
            w = self.text_width(folio, size)
            n = max(0, math.floor((x + width - w - 4 - start) / self.text_width(".", 8.0)))
            dots = self._text_op(start, baseline, "." * n, 8.0, RULE_DARK, False) if n else ""
            page.ops[slot] = (
                dots + "\n" + self._text_op(x + width - w, baseline, folio, size, MUTED, False)
            )

        self.later.append(number)
        self.y -= line_h

    # -- finishing -----------------------------------------------------------------------
    def finish(self) -> list[PageOut]:
        """Run the deferred drawings, add running heads and page numbers, encode pages."""
        for later in self.later:
            later()
        total = len(self.pages)
        out = []
        for number, page in enumerate(self.pages, 1):
            if number > 1:
                top = self.height_pt - 32
                running = _fit(self, self.running, 7.5, self.content_width * 0.6)
                self.text(self.left, top, running, 7.5, colour=MUTED, on=page)
                chapter = _fit(self, page.chapter, 7.5, self.content_width * 0.38)
                right = self.width_pt - self.right - self.text_width(chapter, 7.5)
                self.text(right, top, chapter, 7.5, colour=MUTED, on=page)
                self.hline(self.left, self.width_pt - self.right, top - 5, RULE, 0.4, on=page)
            folio = f"{number} / {total}"
            self.text(
                (self.width_pt - self.text_width(folio, 7.5)) / 2,
                26,
                folio,
                7.5,
                colour=MUTED,
                on=page,
            )
            out.append(PageOut(content="\n".join(page.ops).encode("latin-1"), links=page.links))
        return out


def _fit(flow: Flow, text: str, size: float, width: float) -> str:
    """``text`` shortened with an ellipsis to fit ``width``."""
    if flow.text_width(text, size) <= width:
        return text
    while text and flow.text_width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


def _badge_text(style: str | None) -> str:
    if style in ("good strong", "bad strong"):
        return WHITE
    return {"good": GOOD, "bad": BAD, "muted": MUTED}.get(style or "", INK)


def _dash(dash: str, s: float) -> str:
    if not dash:
        return "[] 0 d"
    return "[" + " ".join(f"{float(v) * s:.2f}" for v in dash.split()) + "] 0 d"


def _circle(cx: float, cy: float, r: float, fill: str, stroke: str) -> str:
    k = r * 0.5523
    path = (
        f"{cx + r:.2f} {cy:.2f} m "
        f"{cx + r:.2f} {cy + k:.2f} {cx + k:.2f} {cy + r:.2f} {cx:.2f} {cy + r:.2f} c "
        f"{cx - k:.2f} {cy + r:.2f} {cx - r:.2f} {cy + k:.2f} {cx - r:.2f} {cy:.2f} c "
        f"{cx - r:.2f} {cy - k:.2f} {cx - k:.2f} {cy - r:.2f} {cx:.2f} {cy - r:.2f} c "
        f"{cx + k:.2f} {cy - r:.2f} {cx + r:.2f} {cy - k:.2f} {cx + r:.2f} {cy:.2f} c h"
    )
    paint = "f"
    colours = f"{rgb(fill)} rg" if fill != "none" else ""
    if stroke != "none":
        colours += f" {rgb(stroke)} RG 1 w [] 0 d"
        paint = "B" if fill != "none" else "S"
    return f"{colours} {path} {paint}"
