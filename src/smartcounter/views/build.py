"""The shared view types built from the metrics API's frames (the only place that does)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from smartcounter.i18n import Translator
from smartcounter.metrics.rows import as_int, by_key, opt_float, rate_fields
from smartcounter.views.labels import Labels
from smartcounter.views.model import (
    DEPTHS,
    STAGES,
    Depth,
    Pareto,
    ParetoRow,
    Rate,
    Series,
    Stage,
    TrendPoint,
    Triage,
)


def rate_of(row: Mapping[str, Any]) -> Rate:
    """A row's migration rate with its counts and interval."""
    return Rate(**rate_fields(row))


def pareto_of(
    dimension: str, frame: pl.DataFrame, labels: Labels, *, network: bool = True
) -> Pareto:
    """A ``Metrics.unmigrated`` frame over ``dimension`` as a Pareto with labels.

    ``network``: a staff member's note names their branch too (a network-wide list).
    """
    rows = []
    for r in frame.iter_rows(named=True):
        label, note = labels.item(dimension, str(r["value"]), network=network)
        rows.append(
            ParetoRow(
                value=str(r["value"]),
                label=label,
                note=note,
                count=int(r["count"]),
                share=float(r["share"]),
                cumulative_share=float(r["cumulative_share"]),
            )
        )
    return Pareto(
        dimension=dimension,
        label=labels.t(f"bulletin.dimension.{dimension}"),
        rows=tuple(rows),
        total=sum(r.count for r in rows),
    )


def triage_of(
    funnel: pl.DataFrame, declines: pl.DataFrame, depth: pl.DataFrame, labels: Labels
) -> Triage:
    """The funnel per stage (with its decline reasons) and the visits by triage depth."""
    t: Translator = labels.t
    stages = by_key(funnel, "stage") if not funnel.is_empty() else {}
    depths = by_key(depth, "depth") if not depth.is_empty() else {}
    out = []
    for stage in STAGES:
        s = stages.get(stage, {})
        reasons = declines.filter(pl.col("stage") == stage) if not declines.is_empty() else declines
        out.append(
            Stage(
                stage=stage,
                label=t(f"bulletin.stage.{stage}"),
                touches=as_int(s.get("touches")),
                accepted=as_int(s.get("accepted")),
                declined=as_int(s.get("declined")),
                acceptance_rate=opt_float(s.get("acceptance_rate")),
                reasons=tuple(
                    ParetoRow(
                        value=r["reason"],
                        label=labels.reason(r["reason"]),
                        note=None,
                        count=int(r["count"]),
                        share=float(r["share"]),
                        cumulative_share=0.0,
                    )
                    for r in reasons.iter_rows(named=True)
                ),
            )
        )
    return Triage(
        stages=tuple(out),
        depth=tuple(
            Depth(
                depth=d,
                label=t(f"bulletin.depth.{d}"),
                visits=as_int(depths.get(d, {}).get("visits")),
                share=opt_float(depths.get(d, {}).get("share")),
            )
            for d in DEPTHS
        ),
    )


def series_of(key: str, label: str, frame: pl.DataFrame | None, weeks: Sequence[str]) -> Series:
    """A trend frame (rates by ``week``) over ``weeks``; a week without data is empty."""
    by_week = by_key(frame, "week") if frame is not None and not frame.is_empty() else {}
    return Series(
        key=key,
        label=label,
        points=tuple(
            TrendPoint(
                week=w,
                rate=opt_float(by_week.get(w, {}).get("rate")),
                ci_low=opt_float(by_week.get(w, {}).get("ci_low")),
                ci_high=opt_float(by_week.get(w, {}).get("ci_high")),
                migratable=as_int(by_week.get(w, {}).get("migratable")),
            )
            for w in weeks
        ),
    )
