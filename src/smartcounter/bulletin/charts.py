"""The bulletin's charts as inline SVG, drawn here: deterministic, offline, quick.

Drawing our own SVG (rather than matplotlib) keeps a 1,000-branch bulletin's hundreds of
charts to milliseconds, makes the output byte-for-byte reproducible, and lets the HTML's
and the PDF's fonts (and so Chinese labels) come from the page's own CSS.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

from smartcounter.bulletin.formats import Formats

INK = "#1d2733"
MUTED = "#5b6675"
GRID = "#e4e8ee"
AXIS = "#9aa4b1"
PRIMARY = "#1f4e79"
LIGHT = "#a9bfd6"
GOOD = "#2e7d4f"
BAD = "#b23b3b"
AMBER = "#b7802a"
TARGET = "#b7802a"
SERIES = ("#1d2733", "#1f4e79", "#5b8fc7", "#b7802a", "#5f8a5f", "#8a5f8a", "#7a7a7a")
STAGE_COLOURS = ("#d5dde7", "#a9bfd6", "#5b8fc7", "#1f4e79")
FONT = 11
TICK = 10
# Tick steps (times a power of ten) that a whole percentage or count prints exactly:
# not 2.5, which a 0-decimal axis shows as 92, 90, 88, 85, 82, 80.
EXACT_STEPS = (1.0, 2.0, 5.0, 10.0)
# The bars' labels under a Pareto chart: up to three lines, set smaller (down to the
# last size, then in four lines) before any word of one is shortened.
BAR_LABEL_SIZES = (TICK, 9.0)
BAR_LABEL_LINES = 3
# Digits and what belongs to a figure written with them: 1,475  87.1%  2018-W10  83.1–83.7
_FIGURE = re.compile(r"[+\-−]?\d[\d.,:%‰/–\-]*")


def _n(value: float) -> str:
    """A coordinate with at most one decimal, written the same way every time."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def text_width(text: str, size: float = FONT) -> float:
    """The approximate width of ``text``: CJK characters are square, Latin ones narrower."""
    width = 0.0
    for ch in text:
        if ord(ch) >= 0x2E80:
            width += 1.0
        elif ch in "il.,:;|!'":
            width += 0.3
        elif ch.isupper() or ch in "mwMW%":
            width += 0.72
        else:
            width += 0.56
    return width * size


def wrap(text: str, width: float, size: float = FONT, lines: int = 2) -> list[str]:
    """Break ``text`` into at most ``lines`` lines of ``width``: at spaces, or evenly in CJK."""
    if text_width(text, size) <= width:
        return [text]
    if " " in text:
        out: list[str] = []
        current = ""
        for word in text.split(" "):
            candidate = f"{current} {word}" if current else word
            if text_width(candidate, size) <= width or not current:
                current = candidate
            else:
                out.append(current)
                current = word
        out.append(current)
        if len(out) > lines:
            out = [*out[: lines - 1], " ".join(out[lines - 1 :])]
    else:
        # CJK breaks anywhere: lines of equal length read better than a full line and a stub.
        count = min(lines, math.ceil(text_width(text, size) / width))
        step = math.ceil(len(text) / count)
        out = [text[i : i + step] for i in range(0, len(text), step)]
    out[-1] = shorten(out[-1], width, size)
    return out


def shorten(text: str, width: float, size: float = FONT) -> str:
    """``text`` cut to ``width`` with an ellipsis, taking letters off its words and never
    a figure: "International FX remi…", never "Up 12…" for "Up 12.5 pp". A text of
    nothing but figures is returned whole."""
    if text_width(text, size) <= width:
        return text
    # Runs of text between the figures, which are kept whole.
    parts: list[tuple[str, bool]] = []
    at = 0
    for m in _FIGURE.finditer(text):
        if m.start() > at:
            parts.append((text[at : m.start()], False))
        parts.append((m.group(), True))
        at = m.end()
    if at < len(text):
        parts.append((text[at:], False))
    cut = [i for i, (_, figure) in enumerate(parts) if not figure]
    while cut:
        i = cut[-1]
        piece = parts[i][0].rstrip(" …").rstrip()
        if len(piece) <= 1:
            # Nothing more to take from this run: it goes, and the one before gives way.
            parts[i] = ("… " if i + 1 < len(parts) else "…", False)
            cut.pop()
        else:
            trailing = " " if i + 1 < len(parts) else ""
            parts[i] = (piece[:-1].rstrip() + "…" + trailing, False)
        candidate = "".join(p for p, _ in parts).strip()
        if text_width(candidate, size) <= width:
            return candidate
    return "".join(p for p, _ in parts).strip()


def bar_labels(texts: Sequence[str], width: float) -> tuple[float, list[list[str]]]:
    """The labels of a chart's bars, each in lines of ``width``, all in one size: the
    largest of ``BAR_LABEL_SIZES`` at which every label fits whole in three lines, or
    the smallest in four; what still does not fit is shortened (a figure in it never)."""

    def laid(size: float, lines: int) -> list[list[str]]:
        return [wrap(text, width, size, lines) for text in texts]

    def whole(text: str, lines: list[str], size: float) -> bool:
        fits = all(text_width(line, size) <= width for line in lines)
        return fits and "".join(lines).replace(" ", "") == text.replace(" ", "")

    tries = [(size, BAR_LABEL_LINES) for size in BAR_LABEL_SIZES]
    tries.append((BAR_LABEL_SIZES[-1], BAR_LABEL_LINES + 1))
    for size, lines in tries:
        out = laid(size, lines)
        if all(whole(text, pieces, size) for text, pieces in zip(texts, out, strict=True)):
            return size, out
    size, lines = tries[-1]
    return size, [[shorten(line, width, size) for line in pieces] for pieces in laid(size, lines)]


def pct_decimals(ticks: Sequence[float]) -> int:
    """The decimals a percentage axis needs for every tick to print exactly (at most 2)."""
    for decimals in range(3):
        if all(abs(t * 100 * 10**decimals - round(t * 100 * 10**decimals)) < 1e-6 for t in ticks):
            return decimals
    return 2


def nice_ticks(
    low: float,
    high: float,
    count: int = 5,
    *,
    steps: Sequence[float] = (1.0, 2.0, 2.5, 5.0, 10.0),
) -> list[float]:
    """Round tick values covering ``low``..``high``, about ``count`` of them, a step of
    one of ``steps`` times a power of ten apart (``EXACT_STEPS`` for axes that print
    whole numbers)."""
    if high <= low:
        high = low + 1
    raw = (high - low) / max(1, count)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (*steps, 10.0) if m * power >= raw)
    first = math.floor(low / step + 1e-9) * step
    ticks = []
    value = first
    while value <= high + step * 1e-6:
        ticks.append(round(value, 10))
        value += step
    if ticks[-1] < high - 1e-9:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


@dataclass(frozen=True)
class LineOp:
    """A straight line."""

    x1: float
    y1: float
    x2: float
    y2: float
    stroke: str
    width: float
    dash: str


@dataclass(frozen=True)
class RectOp:
    """A filled rectangle."""

    x: float
    y: float
    w: float
    h: float
    fill: str


@dataclass(frozen=True)
class CircleOp:
    """A circle, filled and/or outlined."""

    x: float
    y: float
    r: float
    fill: str
    stroke: str


@dataclass(frozen=True)
class PolylineOp:
    """An open line through points."""

    points: tuple[tuple[float, float], ...]
    stroke: str
    width: float
    dash: str


@dataclass(frozen=True)
class TextOp:
    """A text anchored at its baseline."""

    x: float
    y: float  # the baseline
    content: str
    size: float
    anchor: str  # start, middle or end
    fill: str
    bold: bool


Op = LineOp | RectOp | CircleOp | PolylineOp | TextOp


class Drawing:
    """A chart as a list of primitives in its own coordinates (y down), for any backend."""

    def __init__(self, width: float, height: float, label: str) -> None:
        self.width, self.height, self.label = width, height, label
        self.ops: list[Op] = []

    def line(
        self,
        x1: float,
        y1: float,
        x2: float,
        y2: float,
        stroke: str,
        width: float = 1,
        dash: str = "",
    ) -> None:
        """Draw a line from (x1, y1) to (x2, y2)."""
        self.ops.append(LineOp(x1, y1, x2, y2, stroke, width, dash))

    def rect(self, x: float, y: float, w: float, h: float, fill: str) -> None:
        """Fill a rectangle."""
        self.ops.append(RectOp(x, y, max(0.0, w), max(0.0, h), fill))

    def circle(self, x: float, y: float, r: float, fill: str, stroke: str = "none") -> None:
        """Draw a circle centred at (x, y)."""
        self.ops.append(CircleOp(x, y, r, fill, stroke))

    def polyline(
        self, points: Sequence[tuple[float, float]], stroke: str, width: float = 2, dash: str = ""
    ) -> None:
        """Draw a line through ``points`` (nothing for fewer than two)."""
        if len(points) >= 2:
            self.ops.append(PolylineOp(tuple(points), stroke, width, dash))

    def text(
        self,
        x: float,
        y: float,
        content: str,
        *,
        size: float = TICK,
        anchor: str = "start",
        fill: str = MUTED,
        weight: str = "normal",
    ) -> None:
        """Write ``content`` with its baseline at (x, y)."""
        self.ops.append(TextOp(x, y, content, size, anchor, fill, weight == "bold"))


def to_svg(drawing: Drawing) -> Markup:
    """The drawing as inline SVG markup (every text escaped)."""
    w, h, label = _n(drawing.width), _n(drawing.height), escape(drawing.label)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {w} {h}" '
        f'width="{w}" height="{h}" aria-label="{label}"><title>{label}</title>'
    ]
    for op in drawing.ops:
        if isinstance(op, LineOp):
            dash = f' stroke-dasharray="{op.dash}"' if op.dash else ""
            parts.append(
                f'<line x1="{_n(op.x1)}" y1="{_n(op.y1)}" x2="{_n(op.x2)}" y2="{_n(op.y2)}" '
                f'stroke="{op.stroke}" stroke-width="{_n(op.width)}"{dash}/>'
            )
        elif isinstance(op, RectOp):
            parts.append(
                f'<rect x="{_n(op.x)}" y="{_n(op.y)}" width="{_n(op.w)}" height="{_n(op.h)}" '
                f'fill="{op.fill}"/>'
            )
        elif isinstance(op, CircleOp):
            parts.append(
                f'<circle cx="{_n(op.x)}" cy="{_n(op.y)}" r="{_n(op.r)}" fill="{op.fill}" '
                f'stroke="{op.stroke}"/>'
            )
        elif isinstance(op, PolylineOp):
            coords = " ".join(f"{_n(x)},{_n(y)}" for x, y in op.points)
            dash = f' stroke-dasharray="{op.dash}"' if op.dash else ""
            parts.append(
                f'<polyline points="{coords}" fill="none" stroke="{op.stroke}" '
                f'stroke-width="{_n(op.width)}" stroke-linejoin="round" stroke-linecap="round"{dash}/>'
            )
        else:
            bold = ' font-weight="bold"' if op.bold else ""
            parts.append(
                f'<text x="{_n(op.x)}" y="{_n(op.y)}" font-size="{_n(op.size)}" '
                f'text-anchor="{op.anchor}" fill="{op.fill}"{bold}>{escape(op.content)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


@dataclass(frozen=True)
class Bar:
    """One bar of a Pareto chart: label, count, cumulative share."""

    label: str
    count: int
    cumulative: float


def pareto_chart(
    bars: Sequence[Bar], f: Formats, *, label: str, count_axis: str, width: float = 640
) -> Drawing:
    """Bars largest first with the cumulative share as a line on a 0–100 % axis."""
    height = 262.0
    left, right, top = 46.0, 46.0, 26.0
    svg = Drawing(width, height, label)
    if not bars:
        svg.text(width / 2, height / 2, f.t("bulletin.label.none"), anchor="middle", size=FONT)
        return svg
    slot = (width - left - right) / len(bars)
    label_size, labels = bar_labels([bar.label for bar in bars], slot - 4)
    pitch = label_size * 1.2
    # Room under the axis for the labels' lines (two at least, as before).
    bottom = 24.0 + pitch * max([2, *(len(lines) for lines in labels)])
    plot_w, plot_h = width - left - right, height - top - bottom
    # At least four to the axis: whole-number steps, each printed as it is.
    ticks = nice_ticks(0, max(4, *(b.count for b in bars)), 4, steps=EXACT_STEPS)
    top_value = ticks[-1] or 1

    def y_count(v: float) -> float:
        return top + plot_h * (1 - v / top_value)

    def y_share(v: float) -> float:
        return top + plot_h * (1 - v)

    for tick in ticks:
        y = y_count(tick)
        svg.line(left, y, left + plot_w, y, GRID)
        svg.text(left - 6, y + 3.5, f.count(round(tick)), anchor="end")
    for share in (0.0, 0.25, 0.5, 0.75, 1.0):
        svg.text(left + plot_w + 6, y_share(share) + 3.5, f.pct(share, 0))
    svg.line(left, y_share(0.8), left + plot_w, y_share(0.8), AMBER, 1, "4 3")
    bar_w = min(44.0, slot * 0.62)
    points = []
    for i, bar in enumerate(bars):
        cx = left + slot * (i + 0.5)
        svg.rect(
            cx - bar_w / 2, y_count(bar.count), bar_w, y_count(0) - y_count(bar.count), PRIMARY
        )
        points.append((cx, y_share(bar.cumulative)))
        for j, piece in enumerate(labels[i]):
            svg.text(
                cx,
                height - bottom + 14 + j * pitch,
                piece,
                anchor="middle",
                fill=INK,
                size=label_size,
            )
    svg.polyline(points, AMBER, 1.6)
    for x, y in points:
        svg.circle(x, y, 2.6, "#ffffff", AMBER)
    svg.line(left, top + plot_h, left + plot_w, top + plot_h, AXIS)
    svg.text(left - 6, top - 14, count_axis, anchor="end")
    svg.text(left + plot_w + 6, top - 14, f.t("bulletin.chart.cumulative"))
    return svg


@dataclass(frozen=True)
class Line:
    """A series of a trend chart: label and one value (or None) per week."""

    label: str
    values: tuple[float | None, ...]
    emphasis: bool = False


def trend_chart(
    lines: Sequence[Line],
    weeks: Sequence[str],
    target: float,
    f: Formats,
    *,
    label: str,
    width: float = 640,
    height: float = 240,
    legend: bool = True,
) -> Drawing:
    """Weekly rates as lines, with the target as a dashed line, on a percentage axis."""
    legend_h = 22.0 if legend else 0.0
    left, right, top, bottom = 44.0, 16.0, 12.0, 24.0 + legend_h
    svg = Drawing(width, height, label)
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for line in lines for v in line.values if v is not None]
    low = min([*values, target]) if values else target - 0.1
    high = max([*values, target]) if values else target + 0.05
    span = max(high - low, 0.04)
    ticks = nice_ticks(
        max(0.0, low - span * 0.15), min(1.0, high + span * 0.1), 4, steps=EXACT_STEPS
    )
    lo, hi = ticks[0], ticks[-1]
    decimals = pct_decimals(ticks)

    def y(v: float) -> float:
        return top + plot_h * (1 - (v - lo) / (hi - lo))

    def x(i: int) -> float:
        return left + (plot_w * (i / (len(weeks) - 1)) if len(weeks) > 1 else plot_w / 2)

    for tick in ticks:
        svg.line(left, y(tick), left + plot_w, y(tick), GRID)
        svg.text(left - 6, y(tick) + 3.5, f.pct(tick, decimals), anchor="end")
    step = max(1, math.ceil(len(weeks) / max(1, plot_w / 46)))
    for i, week in enumerate(weeks):
        if i % step == 0 or i == len(weeks) - 1:
            svg.text(x(i), top + plot_h + 15, f.week_short(week), anchor="middle")
    svg.line(left, top + plot_h, left + plot_w, top + plot_h, AXIS)
    svg.line(left, y(target), left + plot_w, y(target), TARGET, 1.2, "5 4")
    svg.text(
        left + plot_w,
        y(target) - 4,
        f.t("bulletin.chart.target", value=f.pct(target, 0)),
        anchor="end",
        fill=TARGET,
    )
    for n, line in enumerate(lines):
        colour = SERIES[n % len(SERIES)]
        run: list[tuple[float, float]] = []
        for i, v in enumerate(line.values):
            if v is None:
                svg.polyline(run, colour, 2.6 if line.emphasis else 1.6)
                run = []
                continue
            run.append((x(i), y(v)))
        svg.polyline(run, colour, 2.6 if line.emphasis else 1.6)
        for i, v in enumerate(line.values):
            if v is not None:
                svg.circle(x(i), y(v), 3 if line.emphasis else 2.2, colour)
    if legend:
        lx = left
        ly = height - 8
        for n, line in enumerate(lines):
            colour = SERIES[n % len(SERIES)]
            svg.line(lx, ly - 4, lx + 16, ly - 4, colour, 2.6 if line.emphasis else 1.8)
            svg.text(lx + 20, ly, line.label, fill=INK)
            lx += 30 + text_width(line.label, TICK)
    return svg


@dataclass(frozen=True)
class Estimate:
    """A branch in a caterpillar chart: its rate, 95 % interval and what it is named."""

    rate: float
    low: float
    high: float
    mark: str = ""  # "good", "bad" or ""


def caterpillar_chart(
    estimates: Sequence[Estimate], target: float, f: Formats, *, label: str, width: float = 640
) -> Drawing:
    """Every branch of a group, lowest to highest rate, each with its 95 % interval."""
    height = 190.0
    left, right, top, bottom = 44.0, 12.0, 10.0, 22.0
    svg = Drawing(width, height, label)
    plot_w, plot_h = width - left - right, height - top - bottom
    if not estimates:
        svg.text(width / 2, height / 2, f.t("bulletin.label.none"), anchor="middle", size=FONT)
        return svg
    ordered = sorted(estimates, key=lambda e: (e.rate, e.low))
    low = min([*(e.low for e in ordered), target])
    ticks = nice_ticks(max(0.0, low - 0.02), 1.0, 4, steps=EXACT_STEPS)
    lo, hi = ticks[0], min(1.0, ticks[-1])
    decimals = pct_decimals(ticks)

    def y(v: float) -> float:
        return top + plot_h * (1 - (max(lo, v) - lo) / (hi - lo))

    for tick in ticks:
        if tick <= hi:
            svg.line(left, y(tick), left + plot_w, y(tick), GRID)
            svg.text(left - 6, y(tick) + 3.5, f.pct(tick, decimals), anchor="end")
    slot = plot_w / len(ordered)
    for i, e in enumerate(ordered):
        cx = left + slot * (i + 0.5)
        colour = GOOD if e.mark == "good" else BAD if e.mark == "bad" else LIGHT
        svg.line(cx, y(e.low), cx, y(e.high), colour, max(1.0, min(3.0, slot * 0.35)))
    for i, e in enumerate(ordered):
        cx = left + slot * (i + 0.5)
        colour = GOOD if e.mark == "good" else BAD if e.mark == "bad" else PRIMARY
        svg.circle(cx, y(e.rate), max(1.4, min(3.2, slot * 0.3)), colour)
    svg.line(left, y(target), left + plot_w, y(target), TARGET, 1.2, "5 4")
    svg.text(
        left + 4, y(target) - 4, f.t("bulletin.chart.target", value=f.pct(target, 0)), fill=TARGET
    )
    svg.line(left, top + plot_h, left + plot_w, top + plot_h, AXIS)
    svg.text(left, height - 6, f.t("bulletin.chart.lowest"), fill=MUTED)
    svg.text(left + plot_w, height - 6, f.t("bulletin.chart.highest"), anchor="end", fill=MUTED)
    return svg


@dataclass(frozen=True)
class StageBar:
    """A triage stage: its name, acceptances, declines and acceptance rate."""

    label: str
    accepted: int
    declined: int
    rate: float | None


def funnel_chart(
    stages: Sequence[StageBar], f: Formats, *, label: str, width: float = 640
) -> Drawing:
    """Touches per triage stage as bars split into accepted and declined."""
    row_h = 34.0
    left, right, top = 150.0, 120.0, 8.0
    legend_h = 24.0
    height = top + row_h * len(stages) + legend_h
    svg = Drawing(width, height, label)
    plot_w = width - left - right
    most = max([s.accepted + s.declined for s in stages] + [1])
    for i, s in enumerate(stages):
        y0 = top + i * row_h
        total = s.accepted + s.declined
        wa = plot_w * s.accepted / most
        wd = plot_w * s.declined / most
        for j, piece in enumerate(wrap(s.label, left - 12, FONT, 2)):
            svg.text(
                left - 8,
                y0 + 15 + j * 12 - (6 if len(wrap(s.label, left - 12, FONT, 2)) > 1 else 0),
                piece,
                anchor="end",
                fill=INK,
                size=FONT,
            )
        svg.rect(left, y0 + 4, wa, row_h - 12, PRIMARY)
        svg.rect(left + wa, y0 + 4, wd, row_h - 12, LIGHT)
        svg.text(
            left + wa + wd + 6,
            y0 + 16,
            f.t("bulletin.chart.funnel_value", touches=f.count(total), rate=f.pct(s.rate)),
            fill=INK,
        )
    svg.line(left, top, left, top + row_h * len(stages) - 4, AXIS)
    ly = height - 8
    svg.rect(left, ly - 9, 10, 10, PRIMARY)
    svg.text(left + 14, ly, f.t("bulletin.chart.accepted"), fill=INK)
    lx = left + 24 + text_width(f.t("bulletin.chart.accepted"), TICK)
    svg.rect(lx, ly - 9, 10, 10, LIGHT)
    svg.text(lx + 14, ly, f.t("bulletin.chart.declined"), fill=INK)
    return svg


def share_bar(
    parts: Sequence[tuple[str, float]], f: Formats, *, label: str, width: float = 640
) -> Drawing:
    """One bar split into shares (e.g. visits by triage depth), with a legend."""
    height = 56.0
    left, right = 4.0, 4.0
    svg = Drawing(width, height, label)
    plot_w = width - left - right
    x = left
    for i, (_, share) in enumerate(parts):
        w = plot_w * share
        colour = STAGE_COLOURS[i % len(STAGE_COLOURS)]
        svg.rect(x, 4, w, 22, colour)
        if w > 34:
            svg.text(
                x + w / 2, 19, f.pct(share, 0), anchor="middle", fill="#ffffff" if i >= 2 else INK
            )
        x += w
    lx = left
    for i, (name, _) in enumerate(parts):
        colour = STAGE_COLOURS[i % len(STAGE_COLOURS)]
        svg.rect(lx, 38, 10, 10, colour)
        svg.text(lx + 14, 47, name, fill=INK)
        lx += 28 + text_width(name, TICK)
    return svg


@dataclass(frozen=True)
class GroupBar:
    """A peer group's rate with its interval, for the headline chart."""

    label: str
    rate: float | None
    low: float | None
    high: float | None


def group_chart(
    groups: Sequence[GroupBar], target: float, f: Formats, *, label: str, width: float = 640
) -> Drawing:
    """Each peer group's rate as a bar with its 95 % interval, against the target."""
    row_h = 28.0
    left, right, top, bottom = 120.0, 60.0, 8.0, 22.0
    height = top + row_h * len(groups) + bottom
    svg = Drawing(width, height, label)
    plot_w = width - left - right
    rates = [g.low for g in groups if g.low is not None]
    lo = nice_ticks(max(0.0, min([*rates, target]) - 0.1), 1.0, 4, steps=EXACT_STEPS)[0]

    def x(v: float) -> float:
        return left + plot_w * (v - lo) / (1.0 - lo)

    ticks = nice_ticks(lo, 1.0, 4, steps=EXACT_STEPS)
    decimals = pct_decimals(ticks)
    for tick in ticks:
        svg.line(x(tick), top, x(tick), top + row_h * len(groups), GRID)
        svg.text(x(tick), height - 6, f.pct(tick, decimals), anchor="middle")
    for i, g in enumerate(groups):
        y0 = top + i * row_h
        svg.text(left - 8, y0 + row_h / 2 + 4, g.label, anchor="end", fill=INK, size=FONT)
        if g.rate is None:
            continue
        svg.rect(left, y0 + 6, x(g.rate) - left, row_h - 12, PRIMARY if g.rate >= target else LIGHT)
        if g.low is not None and g.high is not None:
            svg.line(x(g.low), y0 + row_h / 2, x(g.high), y0 + row_h / 2, INK, 1.2)
            svg.line(x(g.low), y0 + 9, x(g.low), y0 + row_h - 9, INK, 1.2)
            svg.line(x(g.high), y0 + 9, x(g.high), y0 + row_h - 9, INK, 1.2)
        value = f.pct(g.rate)
        vx = x(max(g.rate, g.high or g.rate)) + 6
        # The value stays clear of the target line: past it when it would run across it.
        if vx - 3 <= x(target) <= vx + text_width(value, TICK) + 3:
            vx = x(target) + 5
        svg.text(vx, y0 + row_h / 2 + 4, value, fill=INK)
    svg.line(x(target), top - 2, x(target), top + row_h * len(groups), TARGET, 1.4, "5 4")
    return svg


@dataclass(frozen=True)
class HourSeries:
    """A series of an hour chart: one value (or None) per hour, with an optional interval.

    ``dots``: points only, no line (a store's observed figures beside simulated ones),
    hollow, or ``filled`` (to tell two such series apart).
    """

    label: str
    values: tuple[float | None, ...]
    colour: str
    low: tuple[float | None, ...] = ()
    high: tuple[float | None, ...] = ()
    dash: str = ""
    dots: bool = False
    filled: bool = False

    @property
    def dot_fill(self) -> str:
        """The inside of a point of a ``dots`` series."""
        return self.colour if self.filled else "#ffffff"


def hour_chart(
    series: Sequence[HourSeries],
    hours: Sequence[str],
    *,
    label: str,
    unit: str,
    tick_text: Callable[[float], str],
    empty: str,
    ceiling: float | None = None,
    width: float = 640,
    height: float = 270,
) -> Drawing:
    """Figures by hour of the day as lines with interval whiskers, on a value axis from
    zero-ish (shares: ``ceiling`` 1.0) with ``unit`` above it and a legend below.

    ``hours``: clock hours as ``"09"``; series whiskers are set a little apart so that
    overlapping intervals stay readable.
    """
    # The legend in rows of equal slots, as many to a row as fit, the rows balanced.
    slot_w = max([text_width(s.label, FONT) + 44 for s in series] or [0.0])
    per_row = max(1, int((width - 50) // max(slot_w, 1.0)))
    legend_rows = math.ceil(len(series) / per_row) if series else 0
    per_row = math.ceil(len(series) / legend_rows) if legend_rows else 1
    left, right, top, bottom = 50.0, 14.0, 24.0, 28.0 + 18.0 * legend_rows
    svg = Drawing(width, height, label)
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [
        v
        for s in series
        for seq in (s.values, s.low, s.high)
        for v in seq
        if v is not None and math.isfinite(v)
    ]
    if not hours or not values:
        svg.text(width / 2, height / 2, empty, anchor="middle", size=FONT)
        return svg
    low, high = min(values), max(values)
    span = max(high - low, (ceiling or max(high, 1.0)) * 0.05)
    start = max(0.0, low - span * 0.25)
    stop = high + span * 0.1
    if ceiling is not None:
        stop = min(ceiling, stop)
    ticks = nice_ticks(start, stop, 4)
    lo, hi = ticks[0], ticks[-1]

    def y(v: float) -> float:
        return top + plot_h * (1 - (v - lo) / (hi - lo))

    slot = plot_w / len(hours)

    def x(i: int, k: int = 0) -> float:
        spread = min(5.0, slot / (2 * max(1, len(series))))
        return left + slot * (i + 0.5) + (k - (len(series) - 1) / 2) * spread

    for tick in ticks:
        svg.line(left, y(tick), left + plot_w, y(tick), GRID)
        svg.text(left - 6, y(tick) + 4, tick_text(tick), anchor="end", size=FONT)
    svg.text(left - 6, top - 10, unit, anchor="end", size=FONT)
    step = max(1, math.ceil(len(hours) / max(1, plot_w / 40)))
    for i, hour in enumerate(hours):
        if i % step == 0:
            svg.text(x(i), top + plot_h + 16, f"{hour}:00", anchor="middle", size=FONT)
    svg.line(left, top + plot_h, left + plot_w, top + plot_h, AXIS)
    for k, s in enumerate(series):
        for i in range(len(hours)):
            a = s.low[i] if i < len(s.low) else None
            b = s.high[i] if i < len(s.high) else None
            if a is not None and b is not None:
                svg.line(x(i, k), y(max(a, lo)), x(i, k), y(min(b, hi)), s.colour, 1.2)
        run: list[tuple[float, float]] = []
        for i, v in enumerate(s.values):
            if v is None:
                if not s.dots:
                    svg.polyline(run, s.colour, 2, s.dash)
                run = []
                continue
            run.append((x(i, k), y(v)))
        if not s.dots:
            svg.polyline(run, s.colour, 2, s.dash)
        for i, v in enumerate(s.values):
            if v is not None:
                if s.dots:
                    svg.circle(x(i, k), y(v), 3.6, s.dot_fill, s.colour)
                else:
                    svg.circle(x(i, k), y(v), 2.4, s.colour)
    for n, s in enumerate(series):
        lx = left + (n % per_row) * slot_w
        ly = height - 8 - 18.0 * (legend_rows - 1 - n // per_row)
        if s.dots:
            svg.circle(lx + 8, ly - 4, 3.6, s.dot_fill, s.colour)
        else:
            svg.line(lx, ly - 4, lx + 18, ly - 4, s.colour, 2, s.dash)
        svg.text(lx + 24, ly, s.label, fill=INK, size=FONT)
    return svg
