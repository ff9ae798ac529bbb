"""The dashboards' charts as inline SVG, drawn with the bulletin's charts (``bulletin.charts``).

The page and the bulletin draw a trend, a Pareto or a funnel the same way; only the two
small per-row figures of the tables (a branch's interval, a pair's gap week by week) are
drawn here, with the same primitives and colours.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup

from smartcounter.bulletin import charts
from smartcounter.bulletin.formats import Formats
from smartcounter.dashboards.schemas import ProgressPoint, RankingRow
from smartcounter.i18n import Lang
from smartcounter.programme.status import Status
from smartcounter.views import Depth, Pareto, Series, Stage


class DashboardFigures:
    """Charts of the dashboards' view models in one language."""

    def __init__(self, lang: Lang) -> None:
        self.f = Formats(lang)
        self.t = self.f.t

    def trend(
        self,
        series: Sequence[Series],
        weeks: Sequence[str],
        target: float,
        *,
        width: float = 720,
        height: float = 250,
    ) -> Markup:
        """Weekly rates, the first series emphasised, against the target."""
        lines = [
            charts.Line(s.label, tuple(p.rate for p in s.points), emphasis=(i == 0))
            for i, s in enumerate(series)
        ]
        drawing = charts.trend_chart(
            lines,
            weeks,
            target,
            self.f,
            label=self.t("bulletin.chart.trend_label", weeks=len(weeks)),
            width=width,
            height=height,
        )
        return charts.to_svg(drawing)

    def pareto(self, pareto: Pareto, rows: int = 8, width: float = 560) -> Markup:
        """The first ``rows`` items of an un-migrated Pareto, with the cumulative share."""
        bars = [charts.Bar(r.label, r.count, r.cumulative_share) for r in pareto.rows[:rows]]
        drawing = charts.pareto_chart(
            bars,
            self.f,
            label=self.t("bulletin.chart.pareto_label", dimension=pareto.label),
            count_axis=self.t("bulletin.chart.count_axis"),
            width=width,
        )
        return charts.to_svg(drawing)

    def funnel(self, stages: Sequence[Stage], width: float = 560) -> Markup:
        """Touches per triage stage, accepted and declined."""
        drawing = charts.funnel_chart(
            [
                charts.StageBar(
                    self.t(f"bulletin.stage_short.{s.stage}"),
                    s.accepted,
                    s.declined,
                    s.acceptance_rate,
                )
                for s in stages
            ],
            self.f,
            label=self.t("bulletin.chart.funnel_label"),
            width=width,
        )
        return charts.to_svg(drawing)

    def depth(self, depths: Sequence[Depth], width: float = 560) -> Markup:
        """Visits by their deepest triage stage, as one bar."""
        parts = [(d.label, d.share or 0.0) for d in depths]
        drawing = charts.share_bar(
            parts, self.f, label=self.t("bulletin.chart.depth_label"), width=width
        )
        return charts.to_svg(drawing)

    @staticmethod
    def scale(rows: Sequence[RankingRow], target: float) -> tuple[float, float]:
        """The rate axis shared by a table's interval figures: its lowest bound to 100 %."""
        lows = [r.rate.ci_low for r in rows if r.rate.ci_low is not None]
        low = min([*lows, target]) if lows else target
        return max(0.0, low - 0.02), 1.0

    def interval(
        self,
        *,
        rate: float | None,
        low: float | None,
        high: float | None,
        shrunk: float | None,
        target: float,
        status: str,
        axis: tuple[float, float],
        width: float = 150,
        height: float = 20,
    ) -> Markup:
        """A branch's rate (dot), 95 % interval (bar) and shrunk estimate (ring) against the target."""
        label = self.t(
            "dashboards.figure.interval",
            rate=self.f.pct(rate),
            interval=self.f.interval(low, high),
            shrunk=self.f.pct(shrunk),
        )
        svg = charts.Drawing(width, height, label)
        if rate is None or low is None or high is None:
            return charts.to_svg(svg)
        lo, hi = axis
        pad = 5.0

        def x(v: float) -> float:
            return pad + (width - 2 * pad) * (min(hi, max(lo, v)) - lo) / (hi - lo)

        mid = height / 2
        svg.line(pad, mid, width - pad, mid, charts.GRID, 1)
        svg.line(x(target), 2, x(target), height - 2, charts.TARGET, 1.2, "3 2")
        tone = Status(status).tone  # the status model's judgement, never decided here
        colour = charts.GOOD if "good" in tone else charts.BAD if "bad" in tone else charts.PRIMARY
        svg.line(x(low), mid, x(high), mid, colour, 4)
        if shrunk is not None:
            svg.circle(x(shrunk), mid, 4.2, "none", charts.INK)
        svg.circle(x(rate), mid, 2.6, charts.INK)
        return charts.to_svg(svg)

    def gap(
        self, points: Sequence[ProgressPoint], width: float = 150, height: float = 34
    ) -> Markup:
        """A pair's gap in points week by week (closing: the line falls towards 0)."""
        values = [p.gap_points for p in points]
        known = [v for v in values if v is not None]
        label = self.t("dashboards.figure.gap", weeks=len(points))
        svg = charts.Drawing(width, height, label)
        if not known:
            return charts.to_svg(svg)
        top = max([*known, 0.0])
        bottom = min([*known, 0.0])
        span = (top - bottom) or 1.0
        pad = 4.0

        def y(v: float) -> float:
            return pad + (height - 2 * pad) * (top - v) / span

        def x(i: int) -> float:
            return pad + (width - 2 * pad) * (i / (len(values) - 1) if len(values) > 1 else 0.5)

        svg.line(pad, y(0.0), width - pad, y(0.0), charts.AXIS, 1, "2 2")
        run: list[tuple[float, float]] = []
        for i, v in enumerate(values):
            if v is None:
                svg.polyline(run, charts.PRIMARY, 1.8)
                run = []
                continue
            run.append((x(i), y(v)))
        svg.polyline(run, charts.PRIMARY, 1.8)
        for i, v in enumerate(values):
            if v is not None:
                svg.circle(x(i), y(v), 2.2, charts.PRIMARY)
        return charts.to_svg(svg)
