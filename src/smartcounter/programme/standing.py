"""Where each branch stands over a span of weeks: the figures a status is judged on.

The rules that turn these figures into a status live in ``programme.status`` alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

import polars as pl

from smartcounter.metrics.period import weeks_back

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
