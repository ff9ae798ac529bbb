"""Where each branch stands over a span of weeks, and which rules call it lagging or advanced.

Every verdict here is taken on a bound, not on a raw rate: lagging means the *upper* bound
is below the threshold, advanced means the *lower* bound is above it (metrics.md,
Rankings: say how sure). With ``certainty = "none"`` the rate itself is used.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

import polars as pl

from smartcounter.metrics.period import weeks_back
from smartcounter.settings import AdvancedRule, LaggingRule

Certainty = Literal["shrunk", "wilson", "none"]


class Criterion(StrEnum):
    """One reason a branch is called lagging or advanced."""

    BELOW_TARGET = "below_target"
    BOTTOM_QUARTILE = "bottom_quartile"
    ABOVE_TARGET = "above_target"
    TOP_QUARTILE = "top_quartile"


@dataclass(frozen=True)
class Standing:
    """A branch over the span: rate, interval, steadiness and shrunk estimate."""

    branch_id: str
    name: str
    region: str | None
    branch_type: str
    staff_count: int | None
    migratable: int
    migrated: int
    rate: float | None
    ci_low: float | None
    ci_high: float | None
    weeks: int
    weeks_active: int
    worst_week_rate: float | None
    weekly_sd: float | None
    weeks_above_peer: int
    peers: int | None
    peer_mean: float | None
    shrunk_rate: float | None
    shrunk_low: float | None
    shrunk_high: float | None
    peer_percentile: float | None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Standing:
        """Build from a row of ``ProgrammeMetrics.standing``."""
        values: dict[str, Any] = {name: row.get(name) for name in cls.__dataclass_fields__}
        return cls(**values)

    def bounds(self, certainty: Certainty) -> tuple[float | None, float | None]:
        """The (low, high) bounds that ``certainty`` judges on."""
        if certainty == "shrunk":
            return self.shrunk_low, self.shrunk_high
        if certainty == "wilson":
            return self.ci_low, self.ci_high
        return self.rate, self.rate


def standings(frame: pl.DataFrame) -> dict[str, Standing]:
    """Standings by branch id from a ``ProgrammeMetrics.standing`` frame."""
    return {row["branch_id"]: Standing.from_row(row) for row in frame.iter_rows(named=True)}


def span(week: str, weeks: int) -> list[str]:
    """The ``weeks`` ISO weeks ending with ``week``."""
    return weeks_back(week, weeks)


@dataclass(frozen=True)
class Verdict:
    """Why a branch is lagging or advanced: the criteria met, the bound and thresholds."""

    criteria: tuple[Criterion, ...]
    bound: float
    target: float
    peer_mean: float | None


def lagging(s: Standing, rule: LaggingRule, target: float) -> Verdict | None:
    """The lagging verdict of ``s`` under ``rule``, or None if it is not surely lagging."""
    _, high = s.bounds(rule.certainty)
    if s.rate is None or high is None:
        return None
    met: list[Criterion] = []
    if high < target:
        met.append(Criterion.BELOW_TARGET)
    if (
        s.peer_percentile is not None
        and s.peer_mean is not None
        and (s.peers or 0) >= 2
        and s.peer_percentile <= rule.quartile
        and high < s.peer_mean
    ):
        met.append(Criterion.BOTTOM_QUARTILE)
    wanted = {
        "below_target": {Criterion.BELOW_TARGET},
        "bottom_quartile": {Criterion.BOTTOM_QUARTILE},
        "either": {Criterion.BELOW_TARGET, Criterion.BOTTOM_QUARTILE},
        "both": {Criterion.BELOW_TARGET, Criterion.BOTTOM_QUARTILE},
    }[rule.rule]
    ok = wanted <= set(met) if rule.rule == "both" else bool(wanted & set(met))
    return Verdict(tuple(met), high, target, s.peer_mean) if ok else None


def advanced(s: Standing, rule: AdvancedRule, target: float) -> Verdict | None:
    """The advanced verdict of ``s`` under ``rule``, or None if it is not surely advanced."""
    low, _ = s.bounds(rule.certainty)
    if s.rate is None or low is None:
        return None
    met: list[Criterion] = []
    if low >= target:
        met.append(Criterion.ABOVE_TARGET)
    if (
        s.peer_percentile is not None
        and s.peer_mean is not None
        and (s.peers or 0) >= 2
        and s.peer_percentile >= 1 - rule.quartile
        and low > s.peer_mean
    ):
        met.append(Criterion.TOP_QUARTILE)
    wanted = {
        "above_target": {Criterion.ABOVE_TARGET},
        "top_quartile": {Criterion.TOP_QUARTILE},
        "either": {Criterion.ABOVE_TARGET, Criterion.TOP_QUARTILE},
        "both": {Criterion.ABOVE_TARGET, Criterion.TOP_QUARTILE},
    }[rule.rule]
    ok = wanted <= set(met) if rule.rule == "both" else bool(wanted & set(met))
    return Verdict(tuple(met), low, target, s.peer_mean) if ok else None
