"""The scorecard's figures per staff member, from the metrics API (``staff_figures``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from smartcounter.metrics import Metrics, Period
from smartcounter.metrics.programme_api import ProgrammeMetrics
from smartcounter.scorecard.roles import NO_REASON


@dataclass(frozen=True)
class StaffFigures:
    """What one staff member did in the quarter (metrics.md, Staff scorecard)."""

    staff_id: str
    branch_id: str | None
    name: str | None
    role: str | None
    transactions: int
    migratable: int
    authorisations: int
    migratable_at_window: int
    s1_touches: int
    s1_accepted: int
    s2_touches: int
    s2_accepted: int
    s3_touches: int
    s3_accepted: int
    touches: int
    accepted: int
    acceptance_rate: float | None
    referred_migrated: int
    referral_share: float | None
    touched_migratable: int
    touched_migrated: int
    touched_rate: float | None
    touched_visits: int
    window_visits: int
    promoted_visits: int
    window_coverage: float | None
    home_stage: int | None
    home_visits: int
    home_eligible: int
    home_staff: int
    hall_coverage: float | None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> StaffFigures:
        """Build from a row of ``ProgrammeMetrics.staff_figures``."""
        values: dict[str, Any] = {name: row.get(name) for name in cls.__dataclass_fields__}
        return cls(**values)

    def stage_acceptance(self, stage: int) -> float | None:
        """Accepted ÷ touches at ``stage``; None without touches there."""
        touches = getattr(self, f"s{stage}_touches")
        return getattr(self, f"s{stage}_accepted") / touches if touches else None


def staff_figures(
    *, metrics: Metrics, period: Period, branch_id: str | None = None
) -> list[StaffFigures]:
    """Every staff member's figures over ``period`` (only ``branch_id``'s if given)."""
    frame = ProgrammeMetrics(metrics).staff_figures(period)
    rows = [StaffFigures.from_row(r) for r in frame.iter_rows(named=True)]
    return [r for r in rows if branch_id is None or r.branch_id == branch_id]


def reasoned_at_window(*, metrics: Metrics, period: Period) -> dict[str, int]:
    """Per staff member: migratable business they served at the window with a valid reason.

    A valid reason is any reason code but unknown (none given) or none (``NO_REASON``).
    """
    frame = metrics.unmigrated("reason", period, by=["staff"])
    out: dict[str, int] = {}
    for row in frame.iter_rows(named=True):
        staff, reason = row["staff_id"], row["value"]
        if staff is not None and reason not in NO_REASON:
            out[staff] = out.get(staff, 0) + int(row["count"])
    return out
