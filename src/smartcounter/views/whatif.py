"""A what-if as a director reads it: two charts by hour, the summary and the settings.

One view of a ``WhatIfReport`` (``simulate``'s table), drawn once for both places that
show it: the command line's ``--out`` page (``simulation.report_html``) and the director's
what-if page on the dashboards. ``fragment`` is the shared HTML (charts, summary,
settings); each place puts it in its own frame and styles.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from smartcounter.bulletin import charts
from smartcounter.bulletin.formats import Formats
from smartcounter.i18n import Lang
from smartcounter.simulation.hourly import hour_of
from smartcounter.simulation.results import BY_HOUR_RATE, BY_HOUR_WAIT

if TYPE_CHECKING:
    from smartcounter.simulation.model import BranchModel
    from smartcounter.simulation.service import WhatIfReport

DASH = "—"
NARROW = 380.0  # the charts' width on a phone (the page shows one or the other)
QUEUES = ("stm", "teller")
SIDES = ("baseline", "scenario")
# Summary rows of the table: (metric, group), in the order shown.
SUMMARY = (
    ("migration_rate", ""),
    ("migration_rate_next_weeks", ""),
    ("wait_mean", "stm"),
    ("wait_mean", "teller"),
    ("wait_p90", "stm"),
    ("wait_p90", "teller"),
    ("tickets", "per_day"),
)
_RATES = frozenset({"migration_rate", "migration_rate_next_weeks", BY_HOUR_RATE})
_WAITS = frozenset({"wait_mean", "wait_p90", BY_HOUR_WAIT})
# Colours: the store grey, as is blue, the scenario amber; smart counter and teller waits
# keep those colours and differ by line (solid: smart counter, dashed: teller).
STORE_COLOUR, BASE_COLOUR, SCENARIO_COLOUR = charts.MUTED, charts.PRIMARY, charts.AMBER


@dataclass(frozen=True)
class Figure:
    """A simulated figure with its interval (any may be missing)."""

    value: float | None
    low: float | None = None
    high: float | None = None


NONE = Figure(None)


@dataclass(frozen=True)
class Row:
    """A row of the what-if table: the store's figure, both sides and their difference."""

    metric: str
    group: str
    store: float | None
    baseline: Figure
    scenario: Figure
    difference: Figure


@dataclass(frozen=True)
class Setting:
    """A staffing or practice setting as is and under the scenario (already in words)."""

    name: str
    before: str
    after: str

    @property
    def changed(self) -> bool:
        """The scenario changes this setting."""
        return self.before != self.after


@dataclass(frozen=True)
class WhatIfView:
    """What the what-if pictures and tables show, numbers as fractions and seconds."""

    branch_id: str
    name: str
    weeks: tuple[str, ...]
    replications: int
    seed: int
    hours: tuple[str, ...]
    rows: tuple[Row, ...]  # every row of the report's table
    settings: tuple[tuple[str, object, object], ...]  # (setting, as is, scenario)
    next_weeks_level: float | None = None  # of the next weeks' range, e.g. 0.8
    next_weeks_horizon: int | None = None  # weeks the range is for

    def row(self, metric: str, group: str = "") -> Row | None:
        """The table's row of ``metric`` and ``group``, if it has one."""
        return next((r for r in self.rows if r.metric == metric and r.group == group), None)

    def by_hour(self, metric: str, queue: str = "") -> dict[str, Row]:
        """The by-hour rows of ``metric`` (of ``queue`` for waits) by hour ``"09"``."""
        out: dict[str, Row] = {}
        for r in self.rows:
            if r.metric == metric:
                q, hour = hour_of(r.group)
                if q == queue:
                    out[hour] = r
        return out


def _figure(r: dict[str, object], side: str) -> Figure:
    def num(key: str) -> float | None:
        value = r.get(key)
        return float(value) if isinstance(value, (int, float)) else None

    return Figure(num(side), num(f"{side}_low"), num(f"{side}_high"))


def settings_of(before: BranchModel, after: BranchModel) -> tuple[tuple[str, object, object], ...]:
    """The settings a what-if may change, as is and under the scenario."""
    s0, s1, p0, p1 = before.staffing, after.staffing, before.practice, after.practice
    rows: list[tuple[str, object, object]] = [
        (name, getattr(s0, name), getattr(s1, name))
        for name in (
            "smart_counters",
            "specialists",
            "tellers",
            "teller_windows",
            "greeters",
            "lobby_managers",
        )
    ]
    rows += [(f"coverage{k + 1}", p0.coverage[k], p1.coverage[k]) for k in range(3)]
    rows += [
        ("cash_split", p0.cash_split, p1.cash_split),
        ("backup_teller", p0.backup_teller, p1.backup_teller),
    ]
    return tuple(rows)


def whatif_view(report: WhatIfReport) -> WhatIfView:
    """The view of ``report`` (``simulate``'s result for one branch)."""
    model = report.model
    rows = tuple(
        Row(
            metric=str(r["metric"]),
            group=str(r["group"] or ""),
            store=float(r["store"]) if r["store"] is not None else None,
            baseline=_figure(r, "baseline"),
            scenario=_figure(r, "scenario"),
            difference=_figure(r, "difference"),
        )
        for r in report.table.iter_rows(named=True)
    )
    hours = sorted({hour_of(r.group)[1] for r in rows if r.metric in (BY_HOUR_RATE, BY_HOUR_WAIT)})
    return WhatIfView(
        branch_id=model.branch_id,
        name=model.name,
        weeks=tuple(model.weeks),
        replications=report.replications,
        seed=report.seed,
        hours=tuple(hours),
        rows=rows,
        settings=settings_of(model, report.scenario.apply(model)),
        next_weeks_level=report.next_weeks.level if report.next_weeks is not None else None,
        next_weeks_horizon=(
            report.next_weeks.baseline.horizon if report.next_weeks is not None else None
        ),
    )


class WhatIfWords:
    """The what-if's charts, numbers and labels in one language."""

    def __init__(self, lang: Lang) -> None:
        self.lang = lang
        self.f = Formats(lang)
        self.t = self.f.t

    # -- numbers -------------------------------------------------------------------------

    def value(self, metric: str, value: float | None) -> str:
        """A figure in its unit: rates as percentages, waits in minutes, else a number."""
        if value is None:
            return DASH
        if metric in _RATES:
            return f"{value * 100:.1f}%"
        if metric in _WAITS:
            return self.t("whatif.minutes", value=f"{value / 60:.1f}")
        return f"{value:,.1f}"

    def figure(self, metric: str, f: Figure) -> str:
        """A figure with its interval in brackets."""
        if f.value is None:
            return DASH
        text = self.value(metric, f.value)
        if f.low is None or f.high is None:
            return text
        if metric in _WAITS:  # the unit once: 1.8 min (1.6–2.0)
            low, high = f"{f.low / 60:.1f}", f"{f.high / 60:.1f}"
        else:
            low, high = self.value(metric, f.low), self.value(metric, f.high)
        return self.t("whatif.with_interval", value=text, low=low, high=high)

    def difference(self, metric: str, f: Figure) -> str:
        """A signed difference (percentage points, minutes) with its interval."""
        if f.value is None:
            return DASH
        if metric in _RATES:
            scale, unit = 100.0, self.t("whatif.pp")
        elif metric in _WAITS:
            scale, unit = 1 / 60, self.t("whatif.min")
        else:
            scale, unit = 1.0, ""
        text = f"{self.f.signed(f.value * scale)}{unit}"
        if f.low is not None and f.high is not None:
            text += f" [{self.f.signed(f.low * scale)}, {self.f.signed(f.high * scale)}]"
        return text

    def row_label(self, view: WhatIfView, metric: str, group: str) -> str:
        """A summary row's name: the figure, and the queue for waits."""
        if metric == "migration_rate_next_weeks" and view.next_weeks_level is not None:
            return self.t("whatif.next_weeks", level=round(view.next_weeks_level * 100))
        name = self.t(f"whatif.metric.{metric}")
        if metric in _WAITS and group:
            return self.t("whatif.of_queue", figure=name, queue=self.t(f"simulation.queue.{group}"))
        return name

    def setting(self, name: str, value: object) -> str:
        """A setting's value in words: yes/no, a coverage as a percentage, a count."""
        if isinstance(value, bool):
            return self.t("simulation.setting.yes" if value else "simulation.setting.no")
        if isinstance(value, float):
            return f"{value * 100:.0f}%"
        return str(value)

    def settings(self, view: WhatIfView) -> list[Setting]:
        """The view's settings in words."""
        return [
            Setting(self.t(f"simulation.setting.{n}"), self.setting(n, a), self.setting(n, b))
            for n, a, b in view.settings
        ]

    def summary(self, view: WhatIfView) -> list[tuple[str, str, str, str, str]]:
        """(figure, store, as is, scenario, difference) of the summary rows the view has."""
        out = []
        for metric, group in SUMMARY:
            r = view.row(metric, group)
            if r is None:
                continue
            out.append(
                (
                    self.row_label(view, metric, group),
                    self.value(metric, r.store),
                    self.figure(metric, r.baseline),
                    self.figure(metric, r.scenario),
                    self.difference(metric, r.difference),
                )
            )
        return out

    # -- charts --------------------------------------------------------------------------

    def rate_chart(self, view: WhatIfView, width: float = 640) -> Markup:
        """Migration rate by hour of arrival: the store, as is and the scenario."""
        rows = view.by_hour(BY_HOUR_RATE)
        hours = view.hours

        def side(name: str) -> tuple[tuple[float | None, ...], ...]:
            figs = [getattr(rows[h], name) if h in rows else NONE for h in hours]
            return (
                tuple(f.value for f in figs),
                tuple(f.low for f in figs),
                tuple(f.high for f in figs),
            )

        base, scen = side("baseline"), side("scenario")
        series = [
            charts.HourSeries(
                self.t("whatif.series.store"),
                tuple(rows[h].store if h in rows else None for h in hours),
                STORE_COLOUR,
                dots=True,
            ),
            charts.HourSeries(
                self.t("whatif.series.baseline"), base[0], BASE_COLOUR, base[1], base[2]
            ),
            charts.HourSeries(
                self.t("whatif.series.scenario"), scen[0], SCENARIO_COLOUR, scen[1], scen[2]
            ),
        ]
        drawing = charts.hour_chart(
            series,
            hours,
            label=self.t("whatif.chart.rate_label", branch=view.name),
            unit=self.t("whatif.chart.rate_unit"),
            tick_text=lambda v: f"{round(v * 100, 2):g}%",
            empty=self.t("whatif.chart.empty"),
            ceiling=1.0,
            width=width,
        )
        return charts.to_svg(drawing)

    def wait_chart(self, view: WhatIfView, width: float = 640) -> Markup:
        """Mean wait by hour of arrival at the smart counter and the teller: the store, as is
        and the scenario."""
        hours = view.hours
        series = []
        for queue, dash in (("stm", ""), ("teller", "5 4")):
            rows = view.by_hour(BY_HOUR_WAIT, queue)
            series.append(
                charts.HourSeries(
                    self.t(f"whatif.series.{queue}_store"),
                    tuple(_minutes(rows[h].store) if h in rows else None for h in hours),
                    STORE_COLOUR,
                    dots=True,
                    filled=queue == "teller",
                )
            )
            for name, colour in (("baseline", BASE_COLOUR), ("scenario", SCENARIO_COLOUR)):
                figs = [getattr(rows[h], name) if h in rows else NONE for h in hours]
                series.append(
                    charts.HourSeries(
                        self.t(f"whatif.series.{queue}_{name}"),
                        tuple(_minutes(f.value) for f in figs),
                        colour,
                        tuple(_minutes(f.low) for f in figs),
                        tuple(_minutes(f.high) for f in figs),
                        dash=dash,
                    )
                )
        drawing = charts.hour_chart(
            series,
            hours,
            label=self.t("whatif.chart.wait_label", branch=view.name),
            unit=self.t("whatif.chart.wait_unit"),
            tick_text=lambda v: f"{round(v, 2):g}",
            empty=self.t("whatif.chart.empty"),
            width=width,
        )
        return charts.to_svg(drawing)

    def fragment(self, view: WhatIfView, *, width: float = 640) -> Markup:
        """The charts (``width`` wide, and narrow for phones), the summary and the settings
        as one piece of HTML."""
        settings = self.settings(view)
        template = _environment().get_template("whatif.html.j2")
        html = template.render(
            t=self.t,
            view=view,
            rate_chart=self.rate_chart(view, width),
            wait_chart=self.wait_chart(view, width),
            rate_chart_narrow=self.rate_chart(view, NARROW),
            wait_chart_narrow=self.wait_chart(view, NARROW),
            summary=self.summary(view),
            settings=settings,
            unchanged=not any(s.changed for s in settings),
        )
        return Markup(html)


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 60


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("smartcounter.views", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
