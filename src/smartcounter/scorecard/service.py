"""Staff scorecards (BSC): each staff member's quarter in four parts and a weighted score.

Every part is scored 0–100 first:

- ``migration``: for tellers, the share of their migratable business they passed to the
  smart counter (stage-3 referrals, metrics.md); for everyone who triages, the migration
  rate of the business of the customers they triaged;
- ``triage_acceptance``: the share of their triage touches (any stage) that were accepted;
- ``triage_coverage``: for tellers, the share of their window's customers with migratable
  business they re-promoted (stage 3); for greeters (stage 1) and hall staff (stage 2), the
  visits with migratable business they triaged against their fair part of the visits that
  stage could reach (those visits ÷ the staff who triaged there);
- ``director``: the branch director's own score for the quarter, imported.

The score is the weighted mean of the parts a staff member has: a part that does not apply
(no touches, no score imported yet) is left out and the other weights count in its place,
so nobody is scored 0 for a duty their role does not have.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from smartcounter.metrics import Metrics, Period
from smartcounter.scorecard.director_scores import DirectorScore, load_scores
from smartcounter.scorecard.figures import StaffFigures, staff_figures
from smartcounter.scorecard.weights import PARTS
from smartcounter.settings import ScorecardWeights


@dataclass(frozen=True)
class Parts:
    """The four parts of a scorecard, each 0–100 or None where it does not apply."""

    migration: float | None
    triage_acceptance: float | None
    triage_coverage: float | None
    director: float | None

    def get(self, name: str) -> float | None:
        """The part called ``name``."""
        value = getattr(self, name)
        return None if value is None else float(value)


@dataclass(frozen=True)
class StaffScore:
    """One staff member's scorecard for a quarter."""

    quarter: str
    figures: StaffFigures
    parts: Parts
    score: float | None
    director_note: str | None


def _hundred(x: float | None) -> float | None:
    return None if x is None else 100.0 * x


# Roles whose duty is triage in the lobby: no touches at all scores 0 coverage, not "n/a".
TRIAGE_ROLES = frozenset({"greeter", "lobby_manager", "stm_specialist"})


def parts_of(f: StaffFigures, director: DirectorScore | None) -> Parts:
    """The parts of ``f``'s scorecard by its role's rules."""
    teller = f.role == "teller"
    migration = f.referral_share if teller else f.touched_rate
    if teller:
        coverage = f.window_coverage
    elif f.touches or f.role in TRIAGE_ROLES:
        coverage = f.hall_coverage
    else:
        coverage = None
    return Parts(
        migration=_hundred(migration),
        triage_acceptance=_hundred(f.acceptance_rate),
        triage_coverage=_hundred(coverage),
        director=None if director is None else director.score,
    )


def weighted_score(parts: Parts, weights: ScorecardWeights) -> float | None:
    """The weighted mean of the parts that apply; None if none does."""
    used: list[tuple[float, float]] = []
    for name in PARTS:
        weight, value = float(getattr(weights, name)), parts.get(name)
        if value is not None and weight > 0:
            used.append((weight, value))
    total = sum(w for w, _ in used)
    if total <= 0:
        return None
    return sum(w * v for w, v in used) / total


def scorecards(
    *,
    metrics: Metrics,
    quarter: str,
    weights: ScorecardWeights,
    branch_id: str | None = None,
    figures: Sequence[StaffFigures] | None = None,
) -> list[StaffScore]:
    """Every staff member's scorecard for ``quarter`` (one branch's if ``branch_id``).

    ``figures``: the quarter's ``staff_figures`` when the caller has them already (the web
    dashboards keep them while the store's data is unchanged; the director's scores are
    read afresh either way).
    """
    if figures is None:
        figures = staff_figures(
            metrics=metrics, period=Period.quarter(quarter), branch_id=branch_id
        )
    scores = load_scores(metrics.engine.store)
    out = []
    for f in figures:
        director = scores.get((f.staff_id, quarter))
        parts = parts_of(f, director)
        out.append(
            StaffScore(
                quarter=quarter,
                figures=f,
                parts=parts,
                score=weighted_score(parts, weights),
                director_note=director.note if director else None,
            )
        )
    return out
