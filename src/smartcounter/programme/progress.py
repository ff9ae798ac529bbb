"""Progress of each pair: the gap week by week since the pair started.

The gap of a week is the partner's rate minus the lagging branch's, in percentage points;
the change is against the gap the pair started with (the rates over the span it was judged
on when it was saved), so a pair that closes its gap shows a negative change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from smartcounter.metrics import Metrics, Period
from smartcounter.metrics.period import week_end, week_start, weeks_between
from smartcounter.programme.repository import SavedPair


@dataclass(frozen=True)
class ProgressPoint:
    """One week of one pair."""

    pair_id: int
    branch_id: str
    partner_branch_id: str
    week: str
    rate: float | None
    ci_low: float | None
    ci_high: float | None
    partner_rate: float | None
    gap_points: float | None
    change_points: float | None  # against the baseline gap; negative: closing


@dataclass(frozen=True)
class PairProgress:
    """A pair's weeks and what they add up to."""

    pair: SavedPair
    points: tuple[ProgressPoint, ...]

    @property
    def latest(self) -> ProgressPoint | None:
        """The last week with both rates defined."""
        defined = [p for p in self.points if p.gap_points is not None]
        return defined[-1] if defined else None

    @property
    def baseline_points(self) -> float | None:
        """The gap the pair started with, in points."""
        gap = self.pair.baseline_gap
        return None if gap is None else 100.0 * gap


def pair_weeks(pair: SavedPair, week: str) -> list[str]:
    """The weeks of ``pair`` from its start to ``week`` (or its end, if earlier)."""
    last = week if pair.end_week is None or week <= pair.end_week else pair.end_week
    if last < pair.start_week:
        return []
    return weeks_between(week_start(pair.start_week), week_end(last))


def progress(*, metrics: Metrics, pairs: Sequence[SavedPair], week: str) -> list[PairProgress]:
    """Each pair's gap per week from its start week up to ``week``."""
    spans = {p.pair_id: pair_weeks(p, week) for p in pairs}
    weeks = sorted({w for ws in spans.values() for w in ws})
    rates: dict[tuple[str, str], tuple[float | None, float | None, float | None]] = {}
    if weeks:
        frame = metrics.rates(["branch", "week"], Period.of_weeks(weeks))
        for row in frame.iter_rows(named=True):
            rates[(row["branch_id"], row["week"])] = (row["rate"], row["ci_low"], row["ci_high"])
    out: list[PairProgress] = []
    for pair in pairs:
        baseline = pair.baseline_gap
        points = []
        for w in spans[pair.pair_id]:
            rate, low, high = rates.get((pair.branch_id, w), (None, None, None))
            partner = rates.get((pair.partner_branch_id, w), (None, None, None))[0]
            gap = None if rate is None or partner is None else 100.0 * (partner - rate)
            change = None if gap is None or baseline is None else gap - 100.0 * baseline
            points.append(
                ProgressPoint(
                    pair.pair_id,
                    pair.branch_id,
                    pair.partner_branch_id,
                    w,
                    rate,
                    low,
                    high,
                    partner,
                    gap,
                    change,
                )
            )
        out.append(PairProgress(pair, tuple(points)))
    return out
