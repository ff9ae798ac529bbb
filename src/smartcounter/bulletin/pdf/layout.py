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

# Key-figure boxes: the label's and the note's size, how much smaller a line may be set
# to stay one line, and the smallest size still legible in print.
KPI_LABEL = 7.5
KPI_NOTE = 7.0
KPI_SHRINK = 0.9
KPI_MIN = 6.0


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


def _pieces(token: str, font: Font, size: float, width: float) -> list[str]:
    """``token`` cut into pieces of at most ``width`` points: a word longer than a whole
    line is broken between letters rather than drawn past the edge."""
    if font.width(token.rstrip(), size) <= width:
        return [token]
    out: list[str] = []
    piece = ""
    for ch in token:
        if piece and font.width((piece + ch).rstrip(), size) > width:
            out.append(piece)
            piece = ""
        piece += ch
    return [*out, piece] if piece else out


def wrap(text: str, font: Font, size: float, width: float) -> list[str]:
    """Break ``text`` into lines of at most ``width`` points.

    Nothing hangs past the edge: a closing mark that does not fit takes the unit before
    it down to the next line (a line never starts with one), and an opening mark never
    ends a line.
    """
    if font.width(text, size) <= width:
        return [text]
    units = [p for token in tokens(text) for p in _pieces(token, font, size, width)]
    lines: list[list[str]] = []
    line: list[str] = []
    line_w = 0.0
    for unit in units:
        if not line or line_w + font.width(unit.rstrip(), size) <= width:
            line.append(unit)
            line_w += font.width(unit, size)
            continue
        carry: list[str] = []
        if unit[0] in CLOSING:
            while len(line) > 1 and line[-1][0] in CLOSING:
                carry.insert(0, line.pop())
            if len(line) > 1:
                carry.insert(0, line.pop())
        while len(line) > 1 and line[-1].rstrip()[-1:] in OPENING:
            carry.insert(0, line.pop())
        lines.append(line)
        line = [*carry, unit]
        line_w = font.width("".join(line), size)
    if line:
        lines.append(line)
    return ["".join(parts).rstrip() for parts in lines]


def balanced(text: str, font: Font, size: float, width: float) -> list[str]:
    """``text`` in as few lines as ``wrap`` needs at ``width``, made as even as they go
    (a heading reads 组内/排名, not 组内排/名), and never a word broken: a word wider than
    ``width`` has a line of its own, for the caller to set smaller."""
    # No narrower than the widest word: evening the lines must not break a word.
    low = max((font.width(t.rstrip(), size) for t in tokens(text)), default=0.0)
    width = max(width, low)
    lines = wrap(text, font, size, width)
    if len(lines) < 2:
        return lines
    high = width
    for _ in range(12):
        mid = (low + high) / 2
        if len(wrap(text, font, size, mid)) <= len(lines):
            high = mid
        else:
            low = mid
    return wrap(text, font, size, high)


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


@dataclass(slots=True)
class _Page:
    ops: list[str] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    # The running head (document title, chapter) in force when the page was first drawn
    # on: taken then, because by the time pages are finished the flow has moved on.
    head: tuple[str, str] | None = None


@dataclass(frozen=True, slots=True)
class _Kept:
    """A heading to keep with what follows: the page and the span of its operators there,
    and how to draw it again at the top of the next page."""

    page: int
    start: int
    end: int
    draw: Callable[[], None]


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
        # The heading last placed, while nothing has been drawn after it (see ``need``).
        self._kept: _Kept | None = None
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
        """Start a new page (a page left blank keeps the running head in force now)."""
        if self.pages:
            self._claim(self.page)
        self.pages.append(_Page())
        self.y = self.height_pt - self.top

    def _claim(self, page: _Page) -> tuple[str, str]:
        """``page``'s running head: its own, or from now on the one in force now."""
        if page.head is None:
            page.head = (self.running, self.chapter)
        return page.head

    def _put(self, op: str, on: _Page | None = None) -> None:
        """Append a drawing operator; the first one fixes the page's running head."""
        page = on or self.page
        self._claim(page)
        page.ops.append(op)

    def at_top(self) -> bool:
        """Whether nothing has been placed on the current page yet."""
        return self.y >= self.height_pt - self.top - 0.5

    def need(self, height: float) -> None:
        """Start a new page unless ``height`` points fit below the current position.

        A heading placed just before (nothing drawn since) goes to the new page too: a
        heading is kept with what follows it, never left alone at the foot of a page."""
        kept, self._kept = self._kept, None
        if self.y - height >= self.bottom or self.at_top():
            return
        if kept is not None and kept.page == self.page_index and kept.end == len(self.page.ops):
            del self.page.ops[kept.start :]
            self.new_page()
            kept.draw()
            return
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
        width: float | None = None,
    ) -> None:
        """Write ``text`` with its baseline at (x, baseline), on ``on`` (default: this page),
        within ``width`` points (default: up to the right margin)."""
        if not text:
            return
        # Nothing is drawn past the margins: a line too wide for what is left of the
        # page is set smaller (down to 60%), then shortened with an ellipsis.
        room = self.width_pt - self.right - max(x, self.left) if width is None else width
        w = self.text_width(text, size, bold)
        if w > room + 0.01:
            smaller = max(size * 0.6, size * room / w)
            if self.text_width(text, smaller, bold) > room + 0.01:
                text = _fit(self, text, smaller, room, bold)
            size = smaller
        self._put(self._text_op(max(x, self.left), baseline, text, size, colour, bold), on)

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
        self._put(f"{rgb(fill)} rg {x:.2f} {y:.2f} {w:.2f} {h:.2f} re f")

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
        self._put(
            f"{rgb(colour)} RG {width:.2f} w [] 0 d {x1:.2f} {y:.2f} m {x2:.2f} {y:.2f} l S", on
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
        if not self.page.ops:
            self.page.head = (self.running, text)
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
        """A section heading, kept with what follows: with at least a few lines here, and
        taken to the next page with the block after it if that block starts a page."""
        self.space(6)
        self.need(size * 2 + 60)

        def draw() -> None:
            start = len(self.page.ops)
            if target:
                self.mark(target)
            baseline = self.y - size
            self.text(self.left, baseline, text, size, colour=colour, bold=True)
            self.y = baseline - size * 0.55
            self._kept = _Kept(self.page_index, start, len(self.page.ops), draw)

        draw()

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
        """Key figures in boxes across the page: (label, value, note, value colour).

        A label or note too wide for its box is set a little smaller, then on two lines
        (smaller again if need be), and the boxes grow to hold the longest: a figure in
        a note is never cut off."""
        gap = 6.0
        n = len(items)
        w = (self.content_width - gap * (n - 1)) / n
        inner = w - 12
        labels = [self._card_text(label, KPI_LABEL, inner) for label, _, _, _ in items]
        notes = [self._card_text(note, KPI_NOTE, inner) for _, _, note, _ in items]
        label_h = max(len(lines) * size * 1.2 for size, lines in labels)
        note_h = max(len(lines) * size * 1.2 for size, lines in notes)
        # One line of each as before: 34 points around the value.
        h = value_size + 34 + label_h - KPI_LABEL * 1.2 + note_h - KPI_NOTE * 1.2
        self.need(h + 8)
        top = self.y
        for i, (_, value, _, colour) in enumerate(items):
            x = self.left + i * (w + gap)
            self.rect(x, top - h, w, h, SOFT)
            self.rect(x, top - 2.5, w, 2.5, PRIMARY)
            size, lines = labels[i]
            for j, line in enumerate(lines):
                self.text(x + 7, top - 14 - j * size * 1.2, line, size, colour=MUTED, width=inner)
            value_base = top - 16 - value_size - (label_h - KPI_LABEL * 1.2)
            self.text(x + 7, value_base, value, value_size, colour=colour, bold=True, width=inner)
            size, lines = notes[i]
            for j, line in enumerate(lines):
                baseline = value_base - 11 - j * size * 1.2
                self.text(x + 7, baseline, line, size, colour=MUTED, width=inner)
        self.y = top - h - 10

    def _card_text(self, text: str, size: float, width: float) -> tuple[float, list[str]]:
        """``text`` for a key-figure box ``width`` wide: the size and lines to set it in.

        One line at ``size``, or a little smaller (down to ``KPI_SHRINK`` of it); else two
        lines, made smaller down to the legible ``KPI_MIN`` if they need it; else as many
        lines as it takes at ``KPI_MIN``. Never shortened."""
        if not text:
            return size, []
        one = self.regular.width(text, size)
        if one * KPI_SHRINK <= width:
            return size * min(1.0, width / one), [text]
        step = size
        while step >= KPI_MIN - 1e-9:
            lines = balanced(text, self.regular, step, width)
            if len(lines) <= 2 and all(self.regular.width(x, step) <= width for x in lines):
                return step, lines
            step -= 0.25
        return KPI_MIN, wrap(text, self.regular, KPI_MIN, width)

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
        """A table across ``width``; rows never split, the header repeats on a new page and
        never stands at the foot of a page without a row under it."""
        x0 = self.left if x is None else x
        total = min(self.content_width if width is None else width, self.width_pt - self.right - x0)
        pad_x, pad_y = 4.0, 2.6
        head_size = size - 0.5
        sub_size = size - 1.5
        line_h = size * 1.35
        body = [_cells(r) for r in rows]
        foot = (
            [Cell(c.text, c.sub, c.colour, True, c.badge, c.link) for c in _cells(footer)]
            if footer is not None
            else None
        )
        widths = self._column_widths(cols, [*body, *([foot] if foot else [])], total, size, pad_x)
        heads = [
            balanced(c.title, self.bold, head_size, w - 2 * pad_x)
            for c, w in zip(cols, widths, strict=True)
        ]
        head_h = max(len(h) for h in heads) * head_size * 1.3 + 2 * pad_y

        def header() -> None:
            top = self.y
            for i, (col, lines) in enumerate(zip(cols, heads, strict=True)):
                cx = x0 + sum(widths[:i])
                inner = widths[i] - 2 * pad_x
                # A heading word wider than its column sets the whole heading smaller,
                # never over its neighbour.
                widest = max([self.text_width(line, head_size, True) for line in lines] + [1.0])
                fit = min(head_size, head_size * inner / widest)
                y = top - pad_y - head_size * 0.95
                for line in lines:
                    lw = self.text_width(line, fit, True)
                    tx = cx + widths[i] - pad_x - lw if col.align == "r" else cx + pad_x
                    self.text(tx, y, line, fit, colour=MUTED, bold=True, width=inner + 0.5)
                    y -= head_size * 1.3
            self.y = top - head_h
            self.hline(x0, x0 + total, self.y, INK, 0.8)

        def lay(cells: list[Cell]) -> tuple[list[tuple[list[str], list[str]]], float]:
            laid = []
            for cell, w in zip(cells, widths, strict=True):
                font = self.bold if cell.bold else self.regular
                inner = w - 2 * pad_x
                main = wrap(cell.text, font, size, inner) if cell.text else [""]
                sub = wrap(cell.sub, self.regular, sub_size, inner) if cell.sub else []
                laid.append((main, sub))
            h = max(len(m) * line_h + len(s) * sub_size * 1.3 for m, s in laid) + 2 * pad_y
            return laid, h

        def row(cells: list[Cell], *, last_rule: str = RULE) -> None:
            laid, h = lay(cells)
            if self.y - h < self.bottom:
                self.new_page()
                header()
            top = self.y
            for i, (cell, (main, sub)) in enumerate(zip(cells, laid, strict=True)):
                cx = x0 + sum(widths[:i])
                inner = widths[i] - 2 * pad_x
                col = cols[i]
                y = top - pad_y - (line_h - size) / 2 - size * 0.86
                for line in main:
                    tw = min(inner, self.text_width(line, size, cell.bold))
                    tx = cx + widths[i] - pad_x - tw if col.align == "r" else cx + pad_x
                    if cell.badge:
                        self.badge(tx, y, tw, size, cell.badge)
                    colour = _badge_text(cell.badge) if cell.badge else cell.colour
                    self.text(tx, y, line, size, colour=colour, bold=cell.bold, width=inner + 0.5)
                    if cell.link:
                        self.link(tx, y - 2, tw, size + 2, cell.link)
                    y -= line_h
                for line in sub:
                    tw = min(inner, self.text_width(line, sub_size))
                    tx = cx + widths[i] - pad_x - tw if col.align == "r" else cx + pad_x
                    self.text(
                        tx,
                        y + line_h - sub_size * 1.3 + 0.5,
                        line,
                        sub_size,
                        colour=MUTED,
                        width=inner + 0.5,
                    )
                    y -= sub_size * 1.3
            self.y = top - h
            self.hline(x0, x0 + total, self.y, last_rule, 0.4)

        # The header goes to the next page unless its first row fits under it.
        first = body[0] if body else foot
        self.need(head_h + (lay(first)[1] if first else 0.0))
        header()
        for cells in body:
            row(cells)
        if foot is not None:
            row(foot, last_rule=INK)
        self.y -= after

    def _column_widths(
        self, cols: Sequence[Col], rows: Sequence[list[Cell]], total: float, size: float, pad: float
    ) -> list[float]:
        """Columns shared by weight, then moved so that none is narrower than its longest
        word or figure (to break one would be to draw over the next column), and room a
        column does not use goes to those whose text wraps."""
        head_size = size - 0.5
        least: list[float] = []
        most: list[float] = []
        for i, col in enumerate(cols):
            head = self.text_width(col.title, head_size, True)
            words = [self.text_width(t.rstrip(), head_size, True) for t in tokens(col.title)]
            # A Chinese heading may take two lines, not one character a line.
            lo = max([*words, head / 2 if any(_wide(ch) for ch in col.title) else 0.0])
            hi = head
            for cells in rows:
                cell = cells[i]
                whole = self.text_width(cell.text, size, cell.bold)
                sub = self.text_width(cell.sub or "", size - 1.5)
                hi = max(hi, whole, sub)
                if col.align == "r" or cell.badge:
                    lo = max(lo, whole)  # figures and badges are read whole
                else:
                    lo = max(
                        [lo]
                        + [self.text_width(t.rstrip(), size, cell.bold) for t in tokens(cell.text)]
                    )
            least.append(min(lo + 2 * pad, total * 0.45))
            most.append(hi + 2 * pad)
        weights = sum(c.weight for c in cols)
        widths = [total * c.weight / weights for c in cols]
        widths = _move(widths, least, lambda w, lo: lo - w)
        return _move(widths, most, lambda w, hi: hi - w)

    def badge(self, x: float, baseline: float, w: float, size: float, style: str) -> None:
        """The frame (or fill) of a standing badge behind text at (x, baseline)."""
        fill = {"good strong": GOOD, "bad strong": BAD}.get(style)
        top, bottom = baseline + size * 0.95, baseline - size * 0.3
        # The frame stays inside the margins, as the text in it does (``text``).
        x = max(x, self.left + 2.5)
        w = max(0.0, min(w, self.width_pt - self.right - 2.5 - x))
        if fill:
            self.rect(x - 2.5, bottom, w + 5, top - bottom, fill)
        else:
            edge = {"good": "#b9d6c4", "bad": "#e3bcbc"}.get(style, RULE)
            self._put(
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
        put = self._put
        right = x0 + d.width * s
        k = self._squeeze(d, s)

        def X(x: float) -> float:  # noqa: N802 - reads like the mathematics
            return x0 + x * s * k

        def Y(y: float) -> float:  # noqa: N802
            return top - y * s

        for op in d.ops:
            if isinstance(op, charts.LineOp):
                put(
                    f"{rgb(op.stroke)} RG {op.width * s:.2f} w {_dash(op.dash, s)} 0 J "
                    f"{X(op.x1):.2f} {Y(op.y1):.2f} m {X(op.x2):.2f} {Y(op.y2):.2f} l S"
                )
            elif isinstance(op, charts.RectOp):
                if op.w > 0 and op.h > 0:
                    put(
                        f"{rgb(op.fill)} rg {X(op.x):.2f} {Y(op.y + op.h):.2f} {op.w * s * k:.2f} {op.h * s:.2f} re f"
                    )
            elif isinstance(op, charts.CircleOp):
                put(_circle(X(op.x), Y(op.y), op.r * s, op.fill, op.stroke))
            elif isinstance(op, charts.PolylineOp):
                path = " ".join(
                    f"{X(px):.2f} {Y(py):.2f} {'m' if i == 0 else 'l'}"
                    for i, (px, py) in enumerate(op.points)
                )
                put(
                    f"{rgb(op.stroke)} RG {op.width * s:.2f} w {_dash(op.dash, s)} 1 j 1 J {path} S"
                )
            else:
                size = op.size * s
                tw = self.text_width(op.content, size, op.bold)
                x = X(op.x) - (tw / 2 if op.anchor == "middle" else tw if op.anchor == "end" else 0)
                # A label that would run out of the chart is moved back into it.
                x = max(x0, min(x, right - tw))
                self.text(
                    x, Y(op.y), op.content, size, colour=op.fill, bold=op.bold, width=right - x
                )

    def _squeeze(self, d: charts.Drawing, s: float) -> float:
        """How much narrower ``d`` must be drawn for all of it to stay within its width:
        a long label (a branch's name in a legend, a figure after the longest bar) moves
        what is right of it past the edge unless the drawing gives way."""
        k = 1.0
        for op in d.ops:
            if isinstance(op, charts.TextOp):
                tw = self.text_width(op.content, op.size * s, op.bold)
                end = tw if op.anchor == "start" else tw / 2 if op.anchor == "middle" else 0.0
                if op.x > 0 and op.x * s * k + end > d.width * s:
                    k = (d.width * s - end) / (op.x * s)
            elif isinstance(op, charts.LineOp):
                far = max(op.x1, op.x2)
                if far > d.width:
                    k = min(k, d.width / far)
            elif isinstance(op, charts.RectOp) and op.x + op.w > d.width:
                k = min(k, d.width / (op.x + op.w))
        return max(0.5, k)

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
        label = _fit(self, text, size, width - 40, bold)
        self.text(x, baseline, label, size, bold=bold, on=page)
        self.link(x, baseline - 3, width, size + 5, target)
        start = x + self.text_width(label, size, bold) + 4
        # A placeholder keeps the page number next to its entry in the page's text order,
        # so that text extraction reads "title ..... 12" and not all the numbers at the end.
        slot = len(page.ops)
        self._put("", page)

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
            title, chapter = self._claim(page)
            if number > 1:
                top = self.height_pt - 32
                running = _fit(self, title, 7.5, self.content_width * 0.6)
                self.text(self.left, top, running, 7.5, colour=MUTED, on=page)
                chapter = _fit(self, chapter, 7.5, self.content_width * 0.38)
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


def _fit(flow: Flow, text: str, size: float, width: float, bold: bool = False) -> str:
    """``text`` shortened with an ellipsis to fit ``width``."""
    if flow.text_width(text, size, bold) <= width:
        return text
    while text and flow.text_width(text + "…", size, bold) > width:
        text = text[:-1]
    return text + "…"


def _cells(cells: Sequence[Cell | str]) -> list[Cell]:
    return [c if isinstance(c, Cell) else Cell(c) for c in cells]


def _move(
    widths: list[float], goals: list[float], want: Callable[[float, float], float]
) -> list[float]:
    """Move width to the columns short of their goal from those past it, keeping the total.

    A column wants ``want(width, goal)`` more (if positive) or can give that much (if
    negative); what moves is the lesser of the wanting and the giving, shared in proportion.
    """
    short = [max(0.0, want(w, g)) for w, g in zip(widths, goals, strict=True)]
    spare = [max(0.0, -want(w, g)) for w, g in zip(widths, goals, strict=True)]
    need, have = sum(short), sum(spare)
    if need <= 0.01 or have <= 0.01:
        return widths
    moved = min(need, have)
    return [
        w + s * moved / need - r * moved / have
        for w, s, r in zip(widths, short, spare, strict=True)
    ]


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
