"""What each branch looks like over a period: size, mixes, triage, un-migrated business.

Everything comes from the metrics API (``Metrics`` and ``ProgrammeMetrics``), read once for
all branches and held per branch, so that benchmarks, similarity and diagnosis compare
branches without another query each.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import polars as pl

from smartcounter.metrics import Metrics, Period
from smartcounter.metrics.programme_api import ProgrammeMetrics
from smartcounter.store.reading import read_table

# Roles whose presence shapes the lobby (the source's staffing words).
HALL_ROLES = ("lobby_manager", "stm_specialist", "greeter")
LOSS_DIMENSIONS = ("reason", "age_band", "hour")


@dataclass(frozen=True)
class Counts:
    """Migratable transactions and those done at a smart counter."""

    migratable: int
    migrated: int

    @property
    def rate(self) -> float | None:
        return self.migrated / self.migratable if self.migratable else None


@dataclass(frozen=True)
class Stage:
    """One triage stage over the visits with migratable business it could reach."""

    eligible: int  # visits the stage could reach
    visits: int  # of them, touched at this stage
    accepted: int
    open: int  # eligible visits not all migrated: what more coverage could still win
    coverage: float | None
    acceptance: float | None


@dataclass(frozen=True)
class Triage:
    """A branch's triage over its visits with migratable business."""

    migratable_visits: int
    untouched_share: float | None
    stages: tuple[Stage, Stage, Stage]
    mean_depth: float | None
    # hour → (visits stage 2 could reach, of them touched at stage 2)
    hall_by_hour: Mapping[int, tuple[int, int]] = field(default_factory=dict)

    def stage(self, number: int) -> Stage:
        """Stage 1, 2 or 3."""
        return self.stages[number - 1]

    def peak_hours(self, count: int) -> list[int]:
        """The ``count`` busiest hours by visits that hall triage could reach."""
        ranked = sorted(self.hall_by_hour.items(), key=lambda kv: (-kv[1][0], kv[0]))
        return sorted(h for h, _ in ranked[:count])

    def hall_coverage_at(self, hours: Iterable[int]) -> float | None:
        """Stage-2 coverage over ``hours`` together."""
        visits = touched = 0
        for h in hours:
            v, t = self.hall_by_hour.get(h, (0, 0))
            visits += v
            touched += t
        return touched / visits if visits else None


EMPTY_STAGE = Stage(0, 0, 0, 0, None, None)
EMPTY_TRIAGE = Triage(0, None, (EMPTY_STAGE, EMPTY_STAGE, EMPTY_STAGE), None)


@dataclass(frozen=True)
class BranchProfile:
    """One branch over a period."""

    branch_id: str
    name: str
    branch_type: str
    region: str | None
    staff_count: int | None
    daily_tickets: float | None
    total: Counts
    business: Mapping[str, Counts]
    age: Mapping[str, Counts]
    # dimension (reason, age_band, hour) → value → migratable transactions left at a teller
    unmigrated: Mapping[str, Mapping[str, int]]
    triage: Triage
    roles: Mapping[str, int]

    def shares(self, part: Mapping[str, Counts]) -> dict[str, float]:
        """Each key's share of the branch's migratable transactions."""
        total = sum(c.migratable for c in part.values())
        return {k: c.migratable / total for k, c in part.items()} if total else {}

    def loss_points(self, dimension: str) -> dict[str, float]:
        """Un-migrated transactions per value of ``dimension`` ÷ all migratable ones (sums to 1 − rate)."""
        total = self.total.migratable
        if not total:
            return {}
        return {k: v / total for k, v in self.unmigrated.get(dimension, {}).items()}

    def has_role(self, role: str) -> bool:
        """True when the branch has staff of ``role``."""
        return self.roles.get(role, 0) > 0


def _counts(frame: pl.DataFrame) -> dict[str, dict[str, Counts]]:
    out: dict[str, dict[str, Counts]] = defaultdict(dict)
    for row in frame.iter_rows(named=True):
        out[row["branch_id"]][str(row["value"])] = Counts(row["migratable"], row["migrated"])
    return out


def _triage(
    coverage: pl.DataFrame, by_hour: pl.DataFrame, depth: pl.DataFrame
) -> dict[str, Triage]:
    hours: dict[str, dict[int, tuple[int, int]]] = defaultdict(dict)
    for row in by_hour.iter_rows(named=True):
        if row["hour"] is not None:
            hours[row["branch_id"]][int(row["hour"])] = (row["s2_eligible"], row["s2_visits"])
    depths: dict[str, tuple[int, int]] = defaultdict(lambda: (0, 0))
    for row in depth.iter_rows(named=True):
        weighted, visits = depths[row["branch_id"]]
        depths[row["branch_id"]] = (weighted + row["depth"] * row["visits"], visits + row["visits"])
    out: dict[str, Triage] = {}
    for row in coverage.iter_rows(named=True):
        stages = tuple(
            Stage(
                eligible=row[f"s{s}_eligible"],
                visits=row[f"s{s}_visits"],
                accepted=row[f"s{s}_accepted"],
                open=row[f"s{s}_open"],
                coverage=row[f"s{s}_coverage"],
                acceptance=row[f"s{s}_acceptance"],
            )
            for s in (1, 2, 3)
        )
        weighted, visits = depths.get(row["branch_id"], (0, 0))
        out[row["branch_id"]] = Triage(
            migratable_visits=row["migratable_visits"],
            untouched_share=row["untouched_share"],
            stages=(stages[0], stages[1], stages[2]),
            mean_depth=weighted / visits if visits else None,
            hall_by_hour=hours.get(row["branch_id"], {}),
        )
    return out


def build_profiles(*, metrics: Metrics, period: Period) -> dict[str, BranchProfile]:
    """Profiles of every branch with migratable business in ``period``, by branch id."""
    pm = ProgrammeMetrics(metrics)
    totals = metrics.rates(["branch"], period)
    branches = read_table(metrics.engine.store, "branches")
    staff = read_table(metrics.engine.store, "staff")
    tickets = {
        r["branch_id"]: r["daily_tickets"]
        for r in metrics.daily_tickets(["branch"], period).iter_rows(named=True)
    }
    business = _counts(pm.mix("business", period))
    age = _counts(pm.mix("age_band", period))
    unmigrated: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for dimension in LOSS_DIMENSIONS:
        for row in metrics.unmigrated(dimension, period, ["branch"]).iter_rows(named=True):
            unmigrated[row["branch_id"]][dimension][str(row["value"])] = row["count"]
    triage = _triage(
        pm.triage_coverage(period, ["branch"]),
        pm.triage_coverage(period, ["branch", "hour"]),
        metrics.triage_depth(period, ["branch"]),
    )
    roles: dict[str, dict[str, int]] = defaultdict(dict)
    for row in staff.group_by("branch_id", "role").len().iter_rows(named=True):
        roles[row["branch_id"]][row["role"]] = row["len"]
    info = {r["branch_id"]: r for r in branches.iter_rows(named=True)}
    out: dict[str, BranchProfile] = {}
    for row in totals.iter_rows(named=True):
        bid = row["branch_id"]
        if not row["migratable"] or bid not in info:
            continue
        b = info[bid]
        out[bid] = BranchProfile(
            branch_id=bid,
            name=b["name"],
            branch_type=b["branch_type"],
            region=b["region"],
            staff_count=b["staff_count"],
            daily_tickets=tickets.get(bid),
            total=Counts(row["migratable"], row["migrated"]),
            business=business.get(bid, {}),
            age=age.get(bid, {}),
            unmigrated={k: dict(v) for k, v in unmigrated.get(bid, {}).items()},
            triage=triage.get(bid, EMPTY_TRIAGE),
            roles=roles.get(bid, {}),
        )
    return out
