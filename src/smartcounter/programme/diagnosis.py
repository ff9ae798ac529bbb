"""Gap diagnosis (会诊): where a lagging branch loses against its partner, and what to do.

1. The gap (partner's rate minus the lagging branch's) is split by shift-share into a
   business-mix part and a within-business performance part (shift_share.py), exactly.
2. Where it loses: the performance part by business; the un-migrated business per
   migratable transaction by reason, age band and hour (each set of parts adds up to the
   gap exactly); the triage funnel per stage (coverage and acceptance) against the partner.
3. What to do: each finding that a practice of the source addresses is turned into a
   candidate with an estimate of the points it explains; per practice the largest
   estimate counts (findings about the same practice overlap, so they are not added);
   the largest few above a floor become the recommendations.

Estimates: a reason's points are its loss points; a triage stage whose coverage (of the
visits it could reach) is behind the partner's by ``Δ`` explains about ``Δ × the partner's
acceptance there × the share of visits that stage could reach and that were not migrated``
(more customers asked, as many saying yes as at the partner, among those still to win);
acceptance behind by ``Δ`` explains about ``Δ × the share of visits touched there and not
accepted``. Estimates count visits as if each held one migratable transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from smartcounter.programme.practices import REASON_PRACTICE, STAGE_PRACTICE, Practice
from smartcounter.programme.profiles import BranchProfile
from smartcounter.programme.shift_share import ShiftShare, decompose, loss_points
from smartcounter.settings import DiagnosisSettings

Param = str | int | float | None


@dataclass(frozen=True)
class Part:
    """One item's part of the gap, in percentage points (positive: the lagging branch loses)."""

    key: str
    points: float
    share: float | None = None  # the lagging branch's value (weight, loss share)
    partner_share: float | None = None


@dataclass(frozen=True)
class BusinessPart:
    """One business type's mix and performance parts of the gap, in points."""

    business_code: str
    mix_points: float
    performance_points: float
    weight: float
    partner_weight: float
    rate: float | None
    partner_rate: float | None


@dataclass(frozen=True)
class StageGap:
    """A triage stage at the lagging branch and at its partner."""

    stage: int
    coverage: float | None
    partner_coverage: float | None
    acceptance: float | None
    partner_acceptance: float | None


@dataclass(frozen=True)
class Recommendation:
    """A practice to take up, the points of the gap it may explain, and its message's values."""

    practice: Practice
    points: float
    variant: str  # which message of the practice fits the finding
    params: Mapping[str, Param] = field(default_factory=dict)


@dataclass(frozen=True)
class Diagnosis:
    """The diagnosis of one pair."""

    branch_id: str
    partner_branch_id: str
    rate: float
    partner_rate: float
    gap_points: float
    mix_points: float
    performance_points: float
    exact: ShiftShare
    business: tuple[BusinessPart, ...]
    reason: tuple[Part, ...]
    age_band: tuple[Part, ...]
    hour: tuple[Part, ...]
    stages: tuple[StageGap, StageGap, StageGap]
    peak_hours: tuple[int, ...]
    hall_at_peak: float | None
    partner_hall_at_peak: float | None
    recommendations: tuple[Recommendation, ...]


def _pp(x: float | Fraction) -> float:
    return 100.0 * float(x)


def _parts(lag: BranchProfile, partner: BranchProfile, dimension: str) -> tuple[Part, ...]:
    lag_counts = lag.unmigrated.get(dimension, {})
    partner_counts = partner.unmigrated.get(dimension, {})
    points = loss_points(lag_counts, lag.total.migratable, partner_counts, partner.total.migratable)
    parts = [
        Part(
            key=k,
            points=_pp(v),
            share=lag_counts.get(k, 0) / lag.total.migratable,
            partner_share=partner_counts.get(k, 0) / partner.total.migratable,
        )
        for k, v in points.items()
    ]
    return tuple(sorted(parts, key=lambda p: (-p.points, p.key)))


def _stages(lag: BranchProfile, partner: BranchProfile) -> tuple[StageGap, StageGap, StageGap]:
    out = [
        StageGap(
            stage=s,
            coverage=lag.triage.stage(s).coverage,
            partner_coverage=partner.triage.stage(s).coverage,
            acceptance=lag.triage.stage(s).acceptance,
            partner_acceptance=partner.triage.stage(s).acceptance,
        )
        for s in (1, 2, 3)
    ]
    return out[0], out[1], out[2]


def _pct(x: float | None) -> float | None:
    return None if x is None else round(100.0 * x, 1)


@dataclass
class _Candidates:
    best: dict[Practice, Recommendation] = field(default_factory=dict)

    def offer(self, rec: Recommendation, *, keep_text: bool = False) -> None:
        """Keep the larger estimate per practice; ``keep_text`` keeps a held message's words."""
        held = self.best.get(rec.practice)
        if held is None:
            self.best[rec.practice] = rec
        elif rec.points > held.points:
            if keep_text:
                # The same finding seen twice (never guided, and low coverage): the funnel's
                # words are more concrete, the larger estimate is the better one.
                params = {**held.params, "points": round(rec.points, 1)}
                self.best[rec.practice] = Recommendation(
                    held.practice, rec.points, held.variant, params
                )
            else:
                self.best[rec.practice] = rec


def _lacks_hall_staff(lag: BranchProfile, partner: BranchProfile) -> bool:
    """No specialist and no lobby manager at the lagging branch, and one at the partner."""

    def has(p: BranchProfile) -> bool:
        return p.has_role("stm_specialist") or p.has_role("lobby_manager")

    return bool(lag.roles) and not has(lag) and has(partner)


def recommend(
    *,
    lag: BranchProfile,
    partner: BranchProfile,
    reasons: tuple[Part, ...],
    age_band: tuple[Part, ...],
    business: tuple[BusinessPart, ...],
    stages: tuple[StageGap, StageGap, StageGap],
    peak_hours: tuple[int, ...],
    settings: DiagnosisSettings,
) -> tuple[Recommendation, ...]:
    """At most ``settings.max_recommendations`` practices, the largest estimated points first."""
    c = _Candidates()
    visits = lag.triage.migratable_visits
    # An estimate explains at most the whole gap (the partner may win elsewhere what the
    # lagging branch's other stages make up for).
    gap = max(_pp((partner.total.rate or 0.0) - (lag.total.rate or 0.0)), 0.0)
    worst_business = next((b.business_code for b in business if b.performance_points > 0), None)
    elderly = next((p for p in age_band if p.key == "60+"), None)
    lacks_staff = _lacks_hall_staff(lag, partner)
    stage_points: dict[int, float] = {}
    for st in stages:
        if st.coverage is None or st.partner_coverage is None:
            continue
        delta = st.partner_coverage - st.coverage
        if delta >= settings.coverage_margin and st.partner_acceptance and visits:
            won = delta * st.partner_acceptance * lag.triage.stage(st.stage).open / visits
            points = min(gap, _pp(won))
            stage_points[st.stage] = points
            practice = STAGE_PRACTICE[st.stage]
            params: dict[str, Param] = {
                "coverage": _pct(st.coverage),
                "partner_coverage": _pct(st.partner_coverage),
                "points": round(points, 1),
                "business": worst_business,
            }
            variant = "default"
            if st.stage == 2:
                params["hall_at_peak"] = _pct(lag.triage.hall_coverage_at(peak_hours))
                params["partner_hall_at_peak"] = _pct(partner.triage.hall_coverage_at(peak_hours))
                if lacks_staff:
                    practice, variant = Practice.SPECIALIST_STAFFING, "no_specialist"
                elif peak_hours:
                    variant = "peak"
            c.offer(Recommendation(practice, points, variant, params))
        if (
            st.acceptance is not None
            and st.partner_acceptance is not None
            and st.partner_acceptance - st.acceptance >= settings.acceptance_margin
            and visits
        ):
            own = lag.triage.stage(st.stage)
            won = (st.partner_acceptance - st.acceptance) * (own.visits - own.accepted) / visits
            points = min(gap, _pp(won))
            c.offer(
                Recommendation(
                    Practice.GUIDANCE,
                    points,
                    "acceptance",
                    {
                        "stage": st.stage,
                        "acceptance": _pct(st.acceptance),
                        "partner_acceptance": _pct(st.partner_acceptance),
                        "points": round(points, 1),
                    },
                )
            )
    for part in reasons:
        if part.points <= 0:
            continue
        params = {
            "points": round(part.points, 1),
            "share": _pct(part.share),
            "partner_share": _pct(part.partner_share),
            "business": worst_business,
        }
        if part.key == "no_guidance":
            # Nobody guided them: the stage furthest behind the partner's coverage.
            stage = max(stage_points, key=lambda s: stage_points[s]) if stage_points else 2
            practice = STAGE_PRACTICE[stage]
            variant = "no_guidance"
            if practice is Practice.HALL_TRIAGE and lacks_staff:
                practice = Practice.SPECIALIST_STAFFING
            c.offer(Recommendation(practice, part.points, variant, params), keep_text=True)
            continue
        reason_practice = REASON_PRACTICE.get(part.key)
        if reason_practice is None:
            continue
        variant = "reason"
        if (
            reason_practice is Practice.DEVICE_CAPACITY
            and lacks_staff
            and part.key == "device_busy"
        ):
            reason_practice, variant = Practice.SPECIALIST_STAFFING, "authorisation"
        if reason_practice is Practice.ELDERLY_CARE:
            params["elderly_points"] = None if elderly is None else round(elderly.points, 1)
        if part.key == "device_fault":
            variant = "fault"
        c.offer(Recommendation(reason_practice, part.points, variant, params))
    ranked = sorted(c.best.values(), key=lambda r: (-r.points, r.practice.value))
    return tuple(r for r in ranked if r.points >= settings.min_points)[
        : settings.max_recommendations
    ]


def diagnose(lag: BranchProfile, partner: BranchProfile, settings: DiagnosisSettings) -> Diagnosis:
    """The diagnosis of the pair (``lag``, ``partner``) over the profiles' period."""
    exact = decompose(lag.business, partner.business)
    business = tuple(
        sorted(
            (
                BusinessPart(
                    business_code=b.business_code,
                    mix_points=_pp(b.mix),
                    performance_points=_pp(b.performance),
                    weight=float(b.weight),
                    partner_weight=float(b.partner_weight),
                    rate=None if b.rate is None else float(b.rate),
                    partner_rate=None if b.partner_rate is None else float(b.partner_rate),
                )
                for b in exact.businesses
            ),
            key=lambda b: (-b.performance_points, b.business_code),
        )
    )
    reason = _parts(lag, partner, "reason")
    age_band = _parts(lag, partner, "age_band")
    hour = _parts(lag, partner, "hour")
    stages = _stages(lag, partner)
    peak = tuple(lag.triage.peak_hours(settings.peak_hours))
    recs = recommend(
        lag=lag,
        partner=partner,
        reasons=reason,
        age_band=age_band,
        business=business,
        stages=stages,
        peak_hours=peak,
        settings=settings,
    )
    rate, partner_rate = lag.total.rate, partner.total.rate
    assert rate is not None and partner_rate is not None
    return Diagnosis(
        branch_id=lag.branch_id,
        partner_branch_id=partner.branch_id,
        rate=rate,
        partner_rate=partner_rate,
        gap_points=_pp(exact.gap),
        mix_points=_pp(exact.mix),
        performance_points=_pp(exact.performance),
        exact=exact,
        business=business,
        reason=reason,
        age_band=age_band,
        hour=hour,
        stages=stages,
        peak_hours=peak,
        hall_at_peak=lag.triage.hall_coverage_at(peak),
        partner_hall_at_peak=partner.triage.hall_coverage_at(peak),
        recommendations=recs,
    )
