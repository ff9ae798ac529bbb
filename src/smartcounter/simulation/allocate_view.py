"""The allocation as data (JSON, CSV rows) and as a self-contained HTML page with its chart.

The JSON's keys are a contract for scripts (``STEP_KEYS``, ``BRANCH_KEYS``, ``NETWORK_KEYS``
and the top level's); rates are fractions, gains migrated transactions per week.
"""

from __future__ import annotations

from html import escape
from typing import Any

from smartcounter.bulletin.charts import (
    AXIS,
    GRID,
    INK,
    LIGHT,
    MUTED,
    PRIMARY,
    TICK,
    Drawing,
    nice_ticks,
    text_width,
    to_svg,
)
from smartcounter.bulletin.formats import Formats
from smartcounter.i18n import Lang
from smartcounter.simulation.allocate import BranchResult, Gain, Resource, Step
from smartcounter.simulation.allocate_service import AllocationReport

STEP_KEYS = (
    "step",
    "branch_id",
    "resource",
    "gain",
    "gain_low",
    "gain_high",
    "rate_before",
    "rate_after",
    "network_rate_after",
)
BRANCH_KEYS = (
    "branch_id",
    "name",
    "branch_type",
    "region",
    "devices",
    "specialists",
    "gain",
    "gain_low",
    "gain_high",
    "rate_before",
    "rate_after",
    "migrated_before",
    "migrated_after",
    "first_device_gain",
    "first_specialist_gain",
)
NETWORK_KEYS = (
    "rate_before",
    "rate_after",
    "migrated_before",
    "migrated_after",
    "migratable",
)
TOP_KEYS = (
    "weeks",
    "devices",
    "specialists",
    "replications",
    "seed",
    "runner",
    "network",
    "steps",
    "branches",
    "unspent",
    "skipped",
)


def _num(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def step_row(step: Step) -> dict[str, Any]:
    """One step as a flat row (``STEP_KEYS``)."""
    return {
        "step": step.step,
        "branch_id": step.branch_id,
        "resource": step.resource.value,
        "gain": _num(step.gain.mean, 3),
        "gain_low": _num(step.gain.low, 3),
        "gain_high": _num(step.gain.high, 3),
        "rate_before": _num(step.rate_before),
        "rate_after": _num(step.rate_after),
        "network_rate_after": _num(step.network_rate_after),
    }


def branch_row(report: AllocationReport, result: BranchResult) -> dict[str, Any]:
    """One branch's result as a flat row (``BRANCH_KEYS``)."""
    info = report.branches[result.branch_id]

    def first(gain: Gain | None) -> float | None:
        return None if gain is None else _num(gain.mean, 3)

    return {
        "branch_id": result.branch_id,
        "name": info.name,
        "branch_type": info.branch_type,
        "region": info.region,
        "devices": result.added.devices,
        "specialists": result.added.specialists,
        "gain": _num(result.gain.mean, 3),
        "gain_low": _num(result.gain.low, 3),
        "gain_high": _num(result.gain.high, 3),
        "rate_before": _num(result.rate_before),
        "rate_after": _num(result.rate_after),
        "migrated_before": _num(result.migrated_before, 2),
        "migrated_after": _num(result.migrated_after, 2),
        "first_device_gain": first(result.first_device),
        "first_specialist_gain": first(result.first_specialist),
    }


def report_json(report: AllocationReport) -> dict[str, Any]:
    """The whole report as one JSON object (``TOP_KEYS``)."""
    a = report.allocation
    return {
        "weeks": list(report.weeks),
        "devices": report.budget.devices,
        "specialists": report.budget.specialists,
        "replications": report.replications,
        "seed": report.seed,
        "runner": report.runner,
        "network": {
            "rate_before": _num(a.network_rate_before),
            "rate_after": _num(a.network_rate_after),
            "migrated_before": _num(a.migrated_before, 2),
            "migrated_after": _num(a.migrated_after, 2),
            "migratable": _num(a.migratable, 2),
        },
        "steps": [step_row(s) for s in a.steps],
        "branches": [branch_row(report, r) for r in a.branches],
        "unspent": {"devices": a.unspent.devices, "specialists": a.unspent.specialists},
        "skipped": [{"branch_id": b, "reason": why} for b, why in report.skipped],
    }


# -- the page ------------------------------------------------------------------------------


def gains_chart(report: AllocationReport, f: Formats, *, width: float = 900) -> Drawing:
    """Each branch given units: its gain per week as a bar split into what the devices and the
    specialists brought (the steps' gains), with the interval of its total gain."""
    given = [r for r in report.allocation.branches if r.added.devices or r.added.specialists]
    parts: dict[str, dict[Resource, float]] = {r.branch_id: {} for r in given}
    for s in report.allocation.steps:
        share = parts[s.branch_id]
        share[s.resource] = share.get(s.resource, 0.0) + s.gain.mean
    row_h = 24.0
    labels = {r.branch_id: f"{report.branches[r.branch_id].name} ({r.branch_id})" for r in given}
    left = min(max([text_width(v, TICK) for v in labels.values()] + [60.0]) + 16, width * 0.4)
    right, top, bottom = 150.0, 24.0, 48.0
    height = top + row_h * max(len(given), 1) + bottom
    svg = Drawing(width, height, f.t("allocate.chart_label"))
    plot_w = width - left - right
    highs = [max(r.gain.high, r.gain.mean) for r in given]
    lows = [min(r.gain.low, 0.0) for r in given] + [
        min(v, 0.0) for p in parts.values() for v in p.values()
    ]
    low, high = min([*lows, 0.0]), max([*highs, 1.0])
    ticks = nice_ticks(low, high, 5)
    # An interval just below zero should not cost the chart a whole tick's width.
    lo, hi = max(ticks[0], low - 0.02 * (high - low)), ticks[-1]
    ticks = [tick for tick in ticks if tick >= lo]

    def x(v: float) -> float:
        return left + plot_w * (v - lo) / (hi - lo)

    bottom_y = top + row_h * max(len(given), 1)
    for tick in ticks:
        svg.line(x(tick), top, x(tick), bottom_y, GRID)
        svg.text(x(tick), bottom_y + 14, f.decimal(tick, 0), anchor="middle")
        svg.text(x(tick), top - 8, f.decimal(tick, 0), anchor="middle")  # long charts
    for i, r in enumerate(given):
        y0 = top + i * row_h
        svg.text(left - 8, y0 + row_h / 2 + 4, labels[r.branch_id], anchor="end", fill=INK)
        start = 0.0
        for resource, colour in ((Resource.DEVICE, PRIMARY), (Resource.SPECIALIST, LIGHT)):
            value = parts[r.branch_id].get(resource, 0.0)
            a, b = sorted((x(start), x(start + value)))
            svg.rect(a, y0 + 5, b - a, row_h - 10, colour)
            start += value
        mid = y0 + row_h / 2
        svg.line(x(r.gain.low), mid, x(r.gain.high), mid, INK, 1.2)
        for end in (r.gain.low, r.gain.high):
            svg.line(x(end), mid - 4, x(end), mid + 4, INK, 1.2)
        added = added_text(r, f)
        svg.text(x(max(r.gain.high, start)) + 6, mid + 4, added, fill=MUTED)
    svg.line(x(0.0), top - 2, x(0.0), bottom_y, AXIS)
    ly = height - 10
    lx = left
    for name, colour in (
        (f.t("allocate.chart_device"), PRIMARY),
        (f.t("allocate.chart_specialist"), LIGHT),
    ):
        svg.rect(lx, ly - 9, 10, 10, colour)
        svg.text(lx + 14, ly, name, fill=INK)
        lx += 30 + text_width(name, TICK)
    svg.text(lx, ly, f.t("allocate.chart_interval"), fill=MUTED)
    return svg


def added_text(result: BranchResult, f: Formats) -> str:
    """What a branch was given, in words: ``smart counters +2, specialists +1``."""
    parts = []
    if result.added.devices:
        parts.append(f.t("allocate.chart_added_devices", count=result.added.devices))
    if result.added.specialists:
        parts.append(f.t("allocate.chart_added_specialists", count=result.added.specialists))
    return f.t("allocate.separator").join(parts)


_STYLE = """
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei",
  sans-serif; color: #1d2733; margin: 24px 32px; max-width: 1100px; }
h1 { font-size: 22px; margin: 0 0 6px; } h2 { font-size: 16px; margin: 22px 0 8px; }
p { margin: 4px 0; font-size: 13px; line-height: 1.5; } .muted { color: #5b6675; }
.headline { font-size: 15px; margin: 10px 0; }
table { border-collapse: collapse; font-size: 12px; margin-top: 4px; }
th, td { border-bottom: 1px solid #e4e8ee; padding: 4px 8px; text-align: right; }
th { background: #f3f5f8; font-weight: 600; } td.l, th.l { text-align: left; }
svg text { font-family: inherit; }
"""


def _table(headers: list[str], rows: list[list[str]], left: int) -> str:
    """An HTML table; the first ``left`` columns aligned left."""

    def cell(tag: str, i: int, value: str) -> str:
        cls = ' class="l"' if i < left else ""
        return f"<{tag}{cls}>{escape(value)}</{tag}>"

    head = "".join(cell("th", i, h) for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(cell("td", i, v) for i, v in enumerate(r)) + "</tr>" for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def gain_text(gain: Gain, f: Formats) -> str:
    """``+12.3 [+8.1, +16.4]``."""
    return f"{f.signed(gain.mean)} [{f.signed(gain.low)}, {f.signed(gain.high)}]"


def step_cells(report: AllocationReport, step: Step, f: Formats) -> list[str]:
    """A step as the table and the page show it."""
    info = report.branches[step.branch_id]
    return [
        str(step.step),
        f"{info.name} ({step.branch_id})",
        f.t(f"allocate.resource.{step.resource.value}"),
        gain_text(step.gain, f),
        f"{f.pct(step.rate_before)} → {f.pct(step.rate_after)}",
        f.pct(step.network_rate_after),
    ]


def branch_cells(report: AllocationReport, result: BranchResult, f: Formats) -> list[str]:
    """A branch's result as the table and the page show it."""
    info = report.branches[result.branch_id]
    group = f.t(f"programme.group.{info.branch_type}") if info.branch_type else ""
    return [
        f"{info.name} ({result.branch_id})",
        group,
        info.region,
        str(result.added.devices),
        str(result.added.specialists),
        gain_text(result.gain, f),
        f"{f.pct(result.rate_before)} → {f.pct(result.rate_after)}",
    ]


STEP_COLUMNS = ("step", "branch", "resource", "gain", "rate", "network_rate")
BRANCH_COLUMNS = ("branch", "branch_type", "region", "devices", "specialists", "gain", "rate")


def network_line(report: AllocationReport, f: Formats) -> str:
    """The network's rate and migrated transactions per week, before and after."""
    a = report.allocation
    return f.t(
        "allocate.network",
        before=f.pct(a.network_rate_before, 2),
        after=f.pct(a.network_rate_after, 2),
        migrated_before=f.decimal(a.migrated_before, 0),
        migrated_after=f.decimal(a.migrated_after, 0),
        migratable=f.decimal(a.migratable, 0),
    )


def page(report: AllocationReport, lang: Lang, *, runner_text: str, confidence: float) -> str:
    """The allocation as one self-contained HTML page (inline SVG, no outside resources)."""
    f = Formats(lang)
    t = f.t
    a = report.allocation
    given = [r for r in a.branches if r.added.devices or r.added.specialists]
    title = t(
        "allocate.title",
        devices=report.budget.devices,
        specialists=report.budget.specialists,
        branches=len(report.branches),
        weeks=", ".join(report.weeks),
    )
    runs = t(
        "allocate.runs",
        replications=report.replications,
        seed=report.seed,
        runner=runner_text,
        confidence=round(confidence * 100),
    )
    parts = [
        f'<!DOCTYPE html><html lang="{"zh-CN" if lang is Lang.ZH else "en"}"><head>'
        f'<meta charset="utf-8"><title>{escape(t("allocate.page_title"))}</title>'
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{escape(t('allocate.page_title'))}</h1>",
        f'<p class="muted">{escape(title)}</p>',
        f'<p class="headline">{escape(network_line(report, f))}</p>',
        f"<h2>{escape(t('allocate.chart_label'))}</h2>",
        str(to_svg(gains_chart(report, f))),
        f"<h2>{escape(t('allocate.summary'))}</h2>",
        _table(
            [t(f"allocate.columns.{c}") for c in BRANCH_COLUMNS],
            [branch_cells(report, r, f) for r in given],
            3,
        ),
        f"<h2>{escape(t('allocate.steps'))}</h2>",
        _table(
            [t(f"allocate.columns.{c}") for c in STEP_COLUMNS],
            [step_cells(report, s, f) for s in a.steps],
            3,
        ),
        f'<p class="muted">{escape(runs)}</p>',
        f'<p class="muted">{escape(t("allocate.page_note"))}</p>',
    ]
    if report.skipped:
        skipped = ", ".join(b for b, _ in report.skipped)
        parts.append(f'<p class="muted">{escape(t("allocate.skipped", branches=skipped))}</p>')
    parts.append("</body></html>")
    return "\n".join(parts)
