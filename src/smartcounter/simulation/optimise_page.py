"""``simulate optimise --out FILE.html``: the answer as one self-contained page.

Three charts drawn with the bulletin's SVG primitives (``bulletin/charts.py``): the
trade-off of every plan evaluated (cost per day against migration rate, coloured by the
longest hourly p90 wait, the Pareto front joined), and the migration rate and the p90 waits
by hour, as is against proposed; before them, the cost, rate and longest wait and the
staffing by hour. Styles inline; no script, no
font file, no address outside the page.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape

from smartcounter.bulletin.charts import (
    AMBER,
    AXIS,
    BAD,
    GOOD,
    GRID,
    INK,
    LIGHT,
    MUTED,
    PRIMARY,
    Drawing,
    nice_ticks,
    to_svg,
)
from smartcounter.i18n import Translator
from smartcounter.simulation.optimise import (
    ROLES,
    WAIT_QUEUES,
    Evaluation,
    Optimisation,
)
from smartcounter.simulation.optimise_service import clock, verdict_text

WIDTH, HEIGHT = 1040.0, 380.0
Scale = Callable[[float], float]
LEFT, RIGHT, TOP, BOTTOM = 70.0, 190.0, 34.0, 50.0

CSS = """
body { margin: 0; background: #f5f7fa; color: #1d2733;
  font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC", "PingFang SC",
    "Microsoft YaHei", "Helvetica Neue", Arial, sans-serif; font-size: 14px; line-height: 1.5; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 28px 40px; }
h1 { font-size: 22px; margin: 0 0 8px; }
p { margin: 4px 0; }
.verdict { font-weight: bold; margin: 10px 0 14px; }
.verdict.met { color: #2e7d4f; } .verdict.not-met { color: #b23b3b; }
figure { margin: 0 0 18px; background: #fff; border: 1px solid #e4e8ee; border-radius: 8px;
  padding: 14px; }
figcaption { font-weight: bold; margin-bottom: 6px; }
figure svg { width: 100%; height: auto; }
.chart text { font-family: inherit; }
.caption { color: #5b6675; font-size: 12.5px; font-weight: normal; }
table { background: #fff; border: 1px solid #e4e8ee; border-radius: 8px; border-collapse: collapse;
  margin: 0 0 18px; }
th, td { padding: 5px 12px; border-bottom: 1px solid #eef1f5; text-align: right; }
th:first-child, td:first-child { text-align: left; }
caption { text-align: left; font-weight: bold; padding: 0 0 6px; }
td.changed { background: #fdf3e1; font-weight: bold; }
.tables { display: flex; flex-wrap: wrap; gap: 18px; align-items: flex-start; }
"""


def _plot(
    title: str,
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    x_label: str,
    y_label: str,
    y_format: str,
    *,
    nice_x: bool = True,
) -> tuple[Drawing, Scale, Scale, list[float]]:
    """A drawing with axes and grid; returns it with its x and y scales and its x ticks."""
    d = Drawing(WIDTH, HEIGHT, title)
    x0, x1 = x_range
    ys = nice_ticks(*y_range)
    xs = nice_ticks(x0, x1) if nice_x else [x0, x1]
    lo_y, hi_y = ys[0], ys[-1]
    lo_x, hi_x = xs[0], xs[-1]
    if y_format == "{:.0%}" and any(abs(v * 100 - round(v * 100)) > 1e-6 for v in ys):
        y_format = "{:.1%}"  # ticks at 72.5 % are not labelled 72 %
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def sx(v: float) -> float:
        return LEFT + (v - lo_x) / ((hi_x - lo_x) or 1.0) * plot_w

    def sy(v: float) -> float:
        return TOP + plot_h - (v - lo_y) / ((hi_y - lo_y) or 1.0) * plot_h

    for v in ys:
        d.line(LEFT, sy(v), LEFT + plot_w, sy(v), GRID)
        d.text(LEFT - 6, sy(v) + 4, y_format.format(v), anchor="end")
    d.line(LEFT, TOP + plot_h, LEFT + plot_w, TOP + plot_h, AXIS)
    d.text(LEFT + plot_w / 2, HEIGHT - 8, x_label, anchor="middle", fill=INK)
    d.text(8, TOP - 14, y_label, fill=INK)
    return d, sx, sy, xs


def _worst_colour(e: Evaluation, limit: float) -> str:
    worst = e.worst_wait()
    if worst <= limit:
        return GOOD
    return AMBER if worst <= 1.5 * limit else BAD


def front_chart(o: Optimisation, t: Translator) -> str:
    """Every plan evaluated: cost per day against rate, coloured by its longest wait."""
    limit = o.targets.max_wait_s
    costs = [e.cost for e in o.candidates] + [o.as_is.cost]
    rates = [e.rate.value for e in o.candidates] + [o.targets.rate]
    d, sx, sy, xs = _plot(
        t("optimise.page.front_title"),
        (min(costs), max(costs)),
        (min(rates) - 0.01, min(max(rates) + 0.01, 1.0)),
        t("optimise.page.cost_axis"),
        t("optimise.page.rate_axis"),
        "{:.0%}",
    )
    for v in xs:
        d.text(sx(v), HEIGHT - BOTTOM + 16, f"{v:,.0f}", anchor="middle")
    right = WIDTH - RIGHT
    d.line(LEFT, sy(o.targets.rate), right, sy(o.targets.rate), AMBER, 1.2, "5 4")
    d.text(right - 4, sy(o.targets.rate) - 5, t("optimise.page.target"), anchor="end", fill=AMBER)
    for e in o.candidates:
        d.circle(sx(e.cost), sy(e.rate.value), 3.2, _worst_colour(e, limit))
    d.polyline([(sx(e.cost), sy(e.rate.value)) for e in o.front], PRIMARY, 1.4)
    search = {e.profile: e for e in o.candidates}
    for label, e, colour in (
        (t("optimise.page.as_is"), o.as_is, INK),
        (t("optimise.page.proposed"), o.proposed, PRIMARY),
    ):
        seen = search.get(e.profile, e)  # where the search saw it, beside the other plans
        x, y = sx(seen.cost), sy(seen.rate.value)
        d.circle(x, y, 7.5, "none", colour)
        d.text(x + 10, y - 8, label, fill=colour, weight="bold")
    _legend(
        d,
        [
            (GOOD, t("optimise.page.ok")),
            (AMBER, t("optimise.page.near")),
            (BAD, t("optimise.page.over")),
            (PRIMARY, t("optimise.page.front")),
        ],
    )
    return str(to_svg(d))


def _legend(d: Drawing, items: Sequence[tuple[str, str]], dashed: Sequence[bool] = ()) -> None:
    x = WIDTH - RIGHT + 18
    for k, (colour, label) in enumerate(items):
        y = TOP + 14 + 20 * k
        d.line(x, y - 4, x + 18, y - 4, colour, 2.5, "4 3" if k < len(dashed) and dashed[k] else "")
        d.text(x + 24, y, label, fill=INK)


def _hours(o: Optimisation) -> list[int]:
    return list(range(o.model.arrivals.hours))


def _hour_axis(d: Drawing, o: Optimisation, sx: Scale) -> None:
    for h in _hours(o):
        d.text(sx(h), HEIGHT - BOTTOM + 16, f"{clock(o.model, h)}:00", anchor="middle")


def rate_chart(o: Optimisation, t: Translator) -> str:
    """Migration rate by hour, as is and proposed."""
    hours = _hours(o)
    values = [
        v for e in (o.as_is, o.proposed) for v in e.rate_by_hour.values() if not math.isnan(v)
    ] + [o.targets.rate]
    d, sx, sy, _ = _plot(
        t("optimise.page.rate_title"),
        (0, max(len(hours) - 1, 1)),
        (max(min(values) - 0.05, 0.0), min(max(values) + 0.02, 1.0)),
        t("optimise.page.hour_axis"),
        t("optimise.page.rate_axis"),
        "{:.0%}",
        nice_x=False,
    )
    _hour_axis(d, o, sx)
    d.line(LEFT, sy(o.targets.rate), WIDTH - RIGHT, sy(o.targets.rate), AMBER, 1.2, "5 4")
    for e, colour, dash in ((o.as_is, MUTED, "5 4"), (o.proposed, PRIMARY, "")):
        points = [(sx(h), sy(e.rate_by_hour[h])) for h in hours if h in e.rate_by_hour]
        d.polyline(points, colour, 2.4, dash)
        for x, y in points:
            d.circle(x, y, 3, colour)
    _legend(
        d,
        [
            (MUTED, t("optimise.page.as_is")),
            (PRIMARY, t("optimise.page.proposed")),
            (AMBER, t("optimise.page.target")),
        ],
        dashed=(True, False, True),
    )
    return str(to_svg(d))


def wait_chart(o: Optimisation, t: Translator) -> str:
    """p90 wait by hour for each queue, as is and proposed, against the limit."""
    hours = _hours(o)
    limit = o.targets.max_wait_s / 60
    values = [
        w.value / 60 for e in (o.as_is, o.proposed) for w in e.p90.values() if w.value == w.value
    ] + [limit]
    d, sx, sy, _ = _plot(
        t("optimise.page.wait_title"),
        (0, max(len(hours) - 1, 1)),
        (0.0, max(values) * 1.05),
        t("optimise.page.hour_axis"),
        t("optimise.page.wait_axis"),
        "{:g}",
        nice_x=False,
    )
    _hour_axis(d, o, sx)
    d.line(LEFT, sy(limit), WIDTH - RIGHT, sy(limit), BAD, 1.2, "5 4")
    colours = {"teller": PRIMARY, "stm": AMBER}
    items: list[tuple[str, str]] = []
    dashed: list[bool] = []
    for queue in WAIT_QUEUES:
        for e, light, name in ((o.as_is, True, "as_is"), (o.proposed, False, "proposed")):
            colour = LIGHT if light and queue == "teller" else colours[queue]
            points = [
                (sx(h), sy(e.p90[(queue, h)].value / 60)) for h in hours if (queue, h) in e.p90
            ]
            d.polyline(points, colour, 2.2, "5 4" if light else "")
            items.append((colour, f"{t(f'optimise.page.{queue}')} · {t(f'optimise.page.{name}')}"))
            dashed.append(light)
    items.append((BAD, t("optimise.page.limit")))
    dashed.append(True)
    _legend(d, items, dashed)
    return str(to_svg(d))


def staffing_table(o: Optimisation, t: Translator) -> str:
    """Staff by hour as is and proposed; changed cells marked."""
    head = "".join(
        f"<th>{escape(t(f'optimise.page.role_{r}'))}<br>{escape(t('optimise.page.as_is'))}"
        f" → {escape(t('optimise.page.proposed'))}</th>"
        for r in ROLES
    )
    rows = []
    for h in _hours(o):
        cells = []
        for k in range(len(ROLES)):
            a, b = o.as_is.profile[h][k], o.proposed.profile[h][k]
            mark = ' class="changed"' if a != b else ""
            cells.append(f"<td{mark}>{a} → {b}</td>")
        rows.append(f"<tr><td>{clock(o.model, h)}:00</td>{''.join(cells)}</tr>")
    caption = escape(t("optimise.page.staffing_title"))
    hour = escape(t("optimise.page.hour_axis"))
    return (
        f"<table><caption>{caption}</caption><tr><th>{hour}</th>{head}</tr>{''.join(rows)}</table>"
    )


def summary_table(o: Optimisation, t: Translator) -> str:
    """Cost, rate and the longest wait, as is and proposed."""

    def rate(e: Evaluation) -> str:
        r = e.rate
        if math.isnan(r.low):
            return f"{r.value:.1%}"
        return f"{r.value:.1%} ({r.low:.1%}–{r.high:.1%})"

    rows = [
        (t("optimise.summary.cost"), f"{o.as_is.cost:,.0f}", f"{o.proposed.cost:,.0f}"),
        (t("optimise.summary.rate"), rate(o.as_is), rate(o.proposed)),
        (
            t("optimise.summary.worst_wait"),
            f"{o.as_is.worst_wait() / 60:.1f}′",
            f"{o.proposed.worst_wait() / 60:.1f}′",
        ),
    ]
    head = "".join(
        f"<th>{escape(t(f'optimise.summary.{c}'))}</th>" for c in ("figure", "as_is", "proposed")
    )
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def optimise_fragment(o: Optimisation, t: Translator, *, dashboard: bool = False) -> str:
    """The answer without the page around it: targets, verdict, tables and charts (the
    dashboards show it inside their own page, ``whatif.css`` styling ``.optimise-result``,
    with ``dashboard`` advice in place of the command's options)."""
    m = o.model
    targets = t(
        "optimise.targets", rate=f"{o.targets.rate:.0%}", wait=f"{o.targets.max_wait_s / 60:g}"
    )
    verdict = verdict_text(o, t, dashboard=dashboard)
    weeks = f"{m.weeks[0]}…{m.weeks[-1]}" if len(m.weeks) > 1 else ", ".join(m.weeks)
    note = "optimise.dashboard.note" if dashboard else "optimise.note"
    runs = t(
        "optimise.runs",
        candidates=len(o.candidates),
        replications=o.replications,
        confirm=o.confirm_replications,
        seed=o.seed,
        confidence=round(o.confidence * 100),
    )
    unconfirmed = "optimise.dashboard.unconfirmed" if dashboard else "optimise.unconfirmed"
    # Met in the search but not in the check: the verdict says so itself.
    notes = [runs] + ([t(unconfirmed)] if o.met and not o.met_in_search else [])
    figures = [
        (t("optimise.page.front_title"), front_chart(o, t), t("optimise.page.front_caption")),
        (t("optimise.page.rate_title"), rate_chart(o, t), ""),
        (t("optimise.page.wait_title"), wait_chart(o, t), t("optimise.staff_key")),
    ]
    blocks = "".join(
        f"<figure><figcaption>{escape(name)}</figcaption>{svg}"
        + (f'<p class="caption">{escape(caption)}</p>' if caption else "")
        + "</figure>"
        for name, svg, caption in figures
    )
    return (
        f'<div class="optimise-result"><p>{escape(t("optimise.calibrated_on", weeks=weeks))}</p>'
        f"<p>{escape(targets)}</p>"
        f'<p class="verdict {"met" if o.met else "not-met"}">{escape(verdict)}</p>'
        + "".join(f'<p class="caption">{escape(n)}</p>' for n in notes)
        + f'<div class="tables">{summary_table(o, t)}{staffing_table(o, t)}</div>{blocks}'
        f'<p class="caption">{escape(t(note))}</p></div>'
    )


def optimise_page(o: Optimisation, t: Translator) -> str:
    """The whole page."""
    m = o.model
    title = t("optimise.page.title", branch=m.name, branch_id=m.branch_id)
    lang = "zh-CN" if t.lang.value == "zh" else "en"
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body><main>"
        f"<h1>{escape(title)}</h1>{optimise_fragment(o, t)}"
        "</main></body></html>\n"
    )
