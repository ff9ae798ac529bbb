"""What benchmarks (树典型) do differently: their practices against their peer group.

Which branches are benchmarks is decided by the status model (``programme.status``) alone;
this module only describes them. What each does differently is read off its profile
against its peer group's median branch: triage coverage and acceptance per stage, triage
depth, the specialist's hall coverage in peak hours, and the share of business lost per
reason; the largest favourable differences, in units of the group's spread, are reported.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from smartcounter.programme.profiles import BranchProfile
from smartcounter.programme.standing import Standing

# Features compared with the peer group: name → (value of a profile, higher is better).
Feature = tuple[Callable[[BranchProfile, int], float | None], bool]


def _stage(s: int, what: str) -> Callable[[BranchProfile, int], float | None]:
    def get(p: BranchProfile, _: int) -> float | None:
        st = p.triage.stage(s)
        return st.coverage if what == "coverage" else st.acceptance

    return get


def _peak_hall(p: BranchProfile, peak: int) -> float | None:
    return p.triage.hall_coverage_at(p.triage.peak_hours(peak))


def _reason(code: str) -> Callable[[BranchProfile, int], float | None]:
    def get(p: BranchProfile, _: int) -> float | None:
        return p.loss_points("reason").get(code, 0.0) if p.total.migratable else None

    return get


FEATURES: dict[str, Feature] = {
    "s1_coverage": (_stage(1, "coverage"), True),
    "s2_coverage": (_stage(2, "coverage"), True),
    "s3_coverage": (_stage(3, "coverage"), True),
    "s1_acceptance": (_stage(1, "acceptance"), True),
    "s2_acceptance": (_stage(2, "acceptance"), True),
    "s3_acceptance": (_stage(3, "acceptance"), True),
    "mean_depth": (lambda p, _: p.triage.mean_depth, True),
    "peak_hall_coverage": (_peak_hall, True),
    "untouched_share": (lambda p, _: p.triage.untouched_share, False),
    **{
        f"loss_{code}": (_reason(code), False)
        for code in (
            "with_cash",
            "elderly_unable",
            "not_supported",
            "device_busy",
            "device_fault",
            "customer_declined",
            "no_guidance",
        )
    },
}

FAMILY = {"peak_hall_coverage": "s2_coverage"}

# A difference must be this large in the feature's own units to be worth saying.
MIN_ABSOLUTE = {"mean_depth": 0.2}
MIN_SHARE = 0.03


@dataclass(frozen=True)
class Difference:
    """A feature where a benchmark differs from its peer group's median branch."""

    feature: str
    value: float
    peer_value: float
    score: float  # favourable difference in units of the group's spread


@dataclass(frozen=True)
class Benchmark:
    """A reliably-best branch of its peer group."""

    standing: Standing
    rank: int  # among the group's benchmarks, by the lower bound
    low: float
    high: float
    features: Mapping[str, float | None]
    peer_features: Mapping[str, float | None]
    differences: tuple[Difference, ...]


def _spread(values: list[float]) -> float:
    return statistics.pstdev(values) if len(values) > 1 else 0.0


def differences(
    profile: BranchProfile, peers: list[BranchProfile], peak_hours: int, limit: int = 3
) -> tuple[dict[str, float | None], dict[str, float | None], tuple[Difference, ...]]:
    """The branch's features, its group's medians, and its largest favourable differences."""
    mine: dict[str, float | None] = {}
    medians: dict[str, float | None] = {}
    found: list[Difference] = []
    for name, (get, higher_better) in FEATURES.items():
        value = get(profile, peak_hours)
        values = [v for v in (get(p, peak_hours) for p in peers) if v is not None]
        mine[name] = value
        medians[name] = statistics.median(values) if values else None
        median = medians[name]
        if value is None or median is None:
            continue
        delta = (value - median) if higher_better else (median - value)
        if delta < MIN_ABSOLUTE.get(name, MIN_SHARE):
            continue
        spread = _spread(values)
        score = delta / spread if spread > 0 else delta
        found.append(Difference(name, value, median, score))
    found.sort(key=lambda d: (-d.score, d.feature))
    said: set[str] = set()
    kept: list[Difference] = []
    for d in found:
        # Hall coverage overall and at peak hours are one practice: say it once.
        family = FAMILY.get(d.feature, d.feature)
        if family not in said:
            said.add(family)
            kept.append(d)
    return mine, medians, tuple(kept[:limit])


def describe(
    *,
    chosen: Sequence[tuple[Standing, int, float, float]],
    members: Mapping[str, Sequence[Standing]],
    profiles: Mapping[str, BranchProfile],
    peak_hours: int,
) -> list[Benchmark]:
    """The benchmarks ``chosen`` (standing, rank, low, high), each with what it does differently.

    ``members``: the standings of each peer group, whose profiles are the comparison.
    """
    out: list[Benchmark] = []
    for s, rank, low, high in chosen:
        peers = [
            profiles[m.branch_id] for m in members.get(s.branch_type, ()) if m.branch_id in profiles
        ]
        profile = profiles.get(s.branch_id)
        if profile is None:
            mine: dict[str, float | None] = {}
            medians: dict[str, float | None] = {}
            diffs: tuple[Difference, ...] = ()
        else:
            mine, medians, diffs = differences(profile, peers, peak_hours)
        out.append(Benchmark(s, rank, low, high, mine, medians, diffs))
    return out
