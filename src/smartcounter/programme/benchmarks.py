"""Benchmarks (树典型): per peer group, the branches that are reliably best, and what they do.

Reliably best means, over the last weeks (never one week):

- enough volume: on average at least ``min_migratable_per_week`` migratable transactions;
- steady: business in most weeks, and at or above the peer group's rate of the week in most
  of them (so one lucky week cannot make a benchmark);
- surely among the best: the *lower* bound (shrunk estimate or Wilson interval) above the
  peer group's mean and at the group's upper quartile (``bar_quantile``) of the rates of its
  branches with enough volume — so a branch merely above an average pulled down by a few
  laggards is not a benchmark; benchmarks are ranked on that lower bound, not on the rate.

What each does differently is read off its profile against its peer group's median branch:
triage coverage and acceptance per stage, triage depth, the specialist's hall coverage in
peak hours, and the share of business lost per reason; the largest favourable differences,
in units of the group's spread, are reported.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from smartcounter.programme.profiles import BranchProfile
from smartcounter.programme.standing import Standing
from smartcounter.settings import BenchmarkRule

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


@dataclass(frozen=True)
class PeerGroupSummary:
    """How many branches of a group were judged and how many qualified."""

    branch_type: str
    branches: int
    peer_mean: float | None
    bar: float | None  # the rate a benchmark's lower bound had to reach
    eligible: int


def has_volume(s: Standing, rule: BenchmarkRule) -> bool:
    """True when ``s`` had enough migratable business over its span."""
    return s.rate is not None and s.migratable >= rule.min_migratable_per_week * s.weeks


def bar(members: list[Standing], rule: BenchmarkRule) -> float | None:
    """The rate a benchmark's lower bound must reach: a quantile of the group's rates."""
    rates = sorted(s.rate for s in members if s.rate is not None and has_volume(s, rule))
    if not rates or rule.bar_quantile <= 0:
        return None
    # Linear interpolation between order statistics (numpy's default quantile).
    position = rule.bar_quantile * (len(rates) - 1)
    below = math.floor(position)
    above = min(below + 1, len(rates) - 1)
    return rates[below] + (rates[above] - rates[below]) * (position - below)


def eligible(s: Standing, rule: BenchmarkRule, threshold: float | None = None) -> bool:
    """True when ``s`` is steady, has the volume and is surely above its group (and ``threshold``)."""
    if s.rate is None or s.peer_mean is None:
        return False
    low = s.shrunk_low if rule.judge_on == "shrunk" else s.ci_low
    if low is None:
        return False
    if not has_volume(s, rule):
        return False
    if s.weeks_active < math.ceil(rule.min_active_share * s.weeks - 1e-9):
        return False
    if s.weeks_above_peer < math.ceil(rule.min_weeks_above_peer_share * s.weeks_active - 1e-9):
        return False
    if threshold is not None and low < threshold:
        return False
    return low > s.peer_mean


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


def pick_benchmarks(
    *,
    standings: Mapping[str, Standing],
    profiles: Mapping[str, BranchProfile],
    rule: BenchmarkRule,
    peak_hours: int,
) -> tuple[list[Benchmark], list[PeerGroupSummary]]:
    """Up to ``rule.per_group`` benchmarks per peer group, best lower bound first."""
    groups: dict[str, list[Standing]] = defaultdict(list)
    for s in standings.values():
        if s.rate is not None:
            groups[s.branch_type].append(s)
    out: list[Benchmark] = []
    summaries: list[PeerGroupSummary] = []
    for group in sorted(groups):
        members = groups[group]
        threshold = bar(members, rule)
        ok = [s for s in members if eligible(s, rule, threshold)]

        def low_of(s: Standing) -> float:
            low = s.shrunk_low if rule.judge_on == "shrunk" else s.ci_low
            return low if low is not None else -1.0

        def high_of(s: Standing) -> float:
            high = s.shrunk_high if rule.judge_on == "shrunk" else s.ci_high
            return high if high is not None else -1.0

        ok.sort(key=lambda s: (-low_of(s), s.branch_id))
        peers = [profiles[s.branch_id] for s in members if s.branch_id in profiles]
        summaries.append(
            PeerGroupSummary(group, len(members), members[0].peer_mean, threshold, len(ok))
        )
        for rank, s in enumerate(ok[: rule.per_group], start=1):
            profile = profiles.get(s.branch_id)
            if profile is None:
                mine: dict[str, float | None] = {}
                medians: dict[str, float | None] = {}
                diffs: tuple[Difference, ...] = ()
            else:
                mine, medians, diffs = differences(profile, peers, peak_hours)
            out.append(Benchmark(s, rank, low_of(s), high_of(s), mine, medians, diffs))
    return out, summaries
