"""The shared view types: plain frozen data, the same for every renderer."""

from __future__ import annotations

from dataclasses import dataclass

STAGES = (1, 2, 3)
DEPTHS = (0, 1, 2, 3)


@dataclass(frozen=True)
class Rate:
    """A migration rate with its counts and 95 % Wilson interval (None where undefined)."""

    migratable: int
    migrated: int
    rate: float | None
    ci_low: float | None
    ci_high: float | None


@dataclass(frozen=True)
class ParetoRow:
    """One item of an un-migrated Pareto or a decline-reason list."""

    value: str
    label: str
    note: str | None
    count: int
    share: float
    cumulative_share: float


@dataclass(frozen=True)
class Pareto:
    """Un-migrated business over one dimension, largest first."""

    dimension: str
    label: str  # the dimension's name in the reader's language
    rows: tuple[ParetoRow, ...]
    total: int


@dataclass(frozen=True)
class Stage:
    """One triage stage: touches, outcomes and the commonest decline reasons."""

    stage: int
    label: str
    touches: int
    accepted: int
    declined: int
    acceptance_rate: float | None
    reasons: tuple[ParetoRow, ...]


@dataclass(frozen=True)
class Depth:
    """Visits whose deepest triage stage was ``depth`` (0: never triaged)."""

    depth: int
    label: str
    visits: int
    share: float | None


@dataclass(frozen=True)
class Triage:
    """The triage funnel per stage and the visits by triage depth."""

    stages: tuple[Stage, ...]
    depth: tuple[Depth, ...]

    @property
    def visits(self) -> int:
        """All visits counted in the depth breakdown."""
        return sum(d.visits for d in self.depth)


@dataclass(frozen=True)
class TrendPoint:
    """A week's rate within a trend."""

    week: str
    rate: float | None
    ci_low: float | None
    ci_high: float | None
    migratable: int


@dataclass(frozen=True)
class Series:
    """A rate over the trend weeks, for the network, a peer group or a branch."""

    key: str
    label: str
    points: tuple[TrendPoint, ...]
