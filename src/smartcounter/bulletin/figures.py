"""The bulletin's charts drawn from the content model, once for every format."""

from __future__ import annotations

from smartcounter.bulletin import charts
from smartcounter.bulletin.content import BulletinContent, PeerGroup
from smartcounter.bulletin.formats import Formats
from smartcounter.views import Pareto, Series, Triage


class Figures:
    """The content's charts as drawings (SVG for the HTML, vector graphics for the PDF)."""

    def __init__(self, content: BulletinContent, f: Formats) -> None:
        self.c = content
        self.f = f
        self.t = f.t

    def pareto(self, pareto: Pareto, rows: int, width: float = 640) -> charts.Drawing:
        """A Pareto chart of the first ``rows`` items."""
        bars = [charts.Bar(r.label, r.count, r.cumulative_share) for r in pareto.rows[:rows]]
        title = self.t(f"bulletin.dimension.{pareto.dimension}")
        return charts.pareto_chart(
            bars,
            self.f,
            label=self.t("bulletin.chart.pareto_label", dimension=title),
            count_axis=self.t("bulletin.chart.count_axis"),
            width=width,
        )

    def trend(
        self,
        series: tuple[Series, ...],
        width: float = 640,
        height: float = 240,
        legend: bool = True,
    ) -> charts.Drawing:
        """Weekly rates of ``series`` against the target."""
        lines = [
            charts.Line(s.label, tuple(p.rate for p in s.points), emphasis=(i == 0))
            for i, s in enumerate(series)
        ]
        return charts.trend_chart(
            lines,
            self.c.trend_weeks,
            self.c.target,
            self.f,
            label=self.t("bulletin.chart.trend_label", weeks=len(self.c.trend_weeks)),
            width=width,
            height=height,
            legend=legend,
        )

    def branch_trend(self, series: Series, branch_type: str) -> charts.Drawing:
        """A branch's weeks beside its peer group's and the whole scope's."""
        group = next((s for s in self.c.trend if s.key == branch_type), None)
        lines = (series, group, self.c.trend[0]) if group else (series, self.c.trend[0])
        return self.trend(lines, width=640, height=170)

    def caterpillar(self, group: PeerGroup) -> charts.Drawing:
        """The peer group's branches with their intervals, benchmarks and branches needing help marked."""
        estimates = []
        for r in group.rows:
            if r.rate.rate is None or r.rate.ci_low is None or r.rate.ci_high is None:
                continue
            mark = ""
            if r in group.benchmarks:
                mark = "good"
            elif r in group.needs_help:
                mark = "bad"
            estimates.append(charts.Estimate(r.rate.rate, r.rate.ci_low, r.rate.ci_high, mark))
        return charts.caterpillar_chart(
            estimates,
            self.c.target,
            self.f,
            label=self.t("bulletin.chart.caterpillar_label", group=group.label),
        )

    def funnel(self, triage: Triage, width: float = 640) -> charts.Drawing:
        """The triage funnel per stage."""
        stages = [
            charts.StageBar(
                self.t(f"bulletin.stage.{s.stage}"), s.accepted, s.declined, s.acceptance_rate
            )
            for s in triage.stages
        ]
        return charts.funnel_chart(
            stages, self.f, label=self.t("bulletin.chart.funnel_label"), width=width
        )

    def depth(self, triage: Triage, width: float = 640) -> charts.Drawing:
        """Visits by triage depth as one split bar."""
        parts = [(self.t(f"bulletin.depth.{d.depth}"), d.share or 0.0) for d in triage.depth]
        return charts.share_bar(
            parts, self.f, label=self.t("bulletin.chart.depth_label"), width=width
        )

    def groups(self) -> charts.Drawing:
        """Each peer group's rate with its interval."""
        bars = [
            charts.GroupBar(g.label, g.rate.rate, g.rate.ci_low, g.rate.ci_high)
            for g in self.c.groups
        ]
        return charts.group_chart(
            bars, self.c.target, self.f, label=self.t("bulletin.chart.groups_label")
        )
