"""Staff scorecards (BSC): each staff member judged on the parts their role can move.

Every part is scored 0–100 first (the parts and which role may have them:
``scorecard/roles.py``; their weights: ``[scorecard.<role>]``, shipped in
``scorecard/defaults.toml``):

- ``s1_coverage`` / ``s2_coverage``: at their home stage (greeters: stage 1 at the door;
  hall staff: stage 2), the visits with migratable business they triaged against their
  fair part of the visits that stage could reach; no touches at all scores 0, not n/a;
- ``s3_coverage``: the share of their window's customers with migratable business they
  re-promoted (stage 3);
- ``sN_acceptance`` / ``triage_acceptance``: accepted ÷ their touches at stage N / any stage;
- ``valid_reasons``: the share of the migratable business they served at the window that
  carries a reason other than unknown or none;
- ``authorisations``: their smart-counter authorisations against their fair part of the
  branch's (the branch's ÷ its specialists), at most 100;
- ``triaged_migration``: the migration rate of the business of the customers they triaged;
- ``director``: the branch director's own score for the quarter, imported or entered.

The score is the weighted mean of the role's parts that apply: a part without figures (no
touches, no score yet) is left out and the other weights count in its place. A staff
member is never scored on a part outside their role: only the role's parts are computed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from smartcounter.metrics import Metrics, Period
from smartcounter.scorecard.director_scores import DirectorScore, load_scores
from smartcounter.scorecard.figures import StaffFigures, reasoned_at_window, staff_figures
from smartcounter.settings import ScorecardWeights

# The dashboard's four-column summary groups the parts: each group is the weighted mean of
# the role's parts in it (a role has at most one coverage and one migration-side part
# with the shipped weights, so the summary is that part itself).
FAMILIES: dict[str, tuple[str, ...]] = {
    "migration": ("triaged_migration", "authorisations", "valid_reasons"),
    "triage_acceptance": ("s1_acceptance", "s2_acceptance", "s3_acceptance", "triage_acceptance"),
    "triage_coverage": ("s1_coverage", "s2_coverage", "s3_coverage"),
    "director": ("director",),
}


@dataclass(frozen=True)
class Parts:
    """The parts of one role's scorecard (its parts only), each 0–100 or None if n/a."""

    values: Mapping[str, float | None]
    weights: Mapping[str, float]

    def get(self, name: str) -> float | None:
        """The part called ``name``; None if it does not apply or is not the role's."""
        value = self.values.get(name)
        return None if value is None else float(value)

    def family(self, name: str) -> float | None:
        """The weighted mean of the role's parts of the summary group ``name``."""
        return _weighted({p: self.values.get(p) for p in FAMILIES[name]}, self.weights)

    @property
    def migration(self) -> float | None:
        return self.family("migration")

    @property
    def triage_acceptance(self) -> float | None:
        return self.family("triage_acceptance")

    @property
    def triage_coverage(self) -> float | None:
        return self.family("triage_coverage")

    @property
    def director(self) -> float | None:
        return self.get("director")


@dataclass(frozen=True)
class StaffScore:
    """One staff member's scorecard for a quarter."""

    quarter: str
    figures: StaffFigures
    role: str | None  # the scorecard role; None: the staff role has no scorecard
    parts: Parts
    score: float | None
    director_note: str | None
    reasoned_at_window: int  # migratable business kept at their window with a valid reason


@dataclass(frozen=True)
class Context:
    """What a part needs beyond the staff member's own figures."""

    reasoned: Mapping[str, int]  # staff id → migratable kept at the window with a reason
    branch_authorisations: Mapping[str | None, int]
    branch_specialists: Mapping[str | None, int]
    director: DirectorScore | None = None


def _hundred(x: float | None) -> float | None:
    return None if x is None else 100.0 * x


def _share(part: float, whole: float) -> float | None:
    return min(1.0, part / whole) if whole > 0 else None


def _part(name: str, f: StaffFigures, ctx: Context) -> float | None:
    """The part ``name`` of ``f``, 0–100; None where it does not apply."""
    if name == "s1_coverage":
        return _hundred(f.hall_coverage if f.home_stage == 1 else None)
    if name == "s2_coverage":
        return _hundred(f.hall_coverage if f.home_stage == 2 else None)
    if name == "s3_coverage":
        return _hundred(f.window_coverage)
    if name in ("s1_acceptance", "s2_acceptance", "s3_acceptance"):
        return _hundred(f.stage_acceptance(int(name[1])))
    if name == "triage_acceptance":
        return _hundred(f.acceptance_rate)
    if name == "valid_reasons":
        reasoned = ctx.reasoned.get(f.staff_id, 0)
        return _hundred(_share(reasoned, f.migratable_at_window))
    if name == "authorisations":
        fair = ctx.branch_authorisations.get(f.branch_id, 0) / max(
            1, ctx.branch_specialists.get(f.branch_id, 0)
        )
        return _hundred(_share(f.authorisations, fair))
    if name == "triaged_migration":
        return _hundred(f.touched_rate)
    if name == "director":
        return None if ctx.director is None else ctx.director.score
    raise KeyError(name)


def parts_of(f: StaffFigures, role: str | None, weights: ScorecardWeights, ctx: Context) -> Parts:
    """The parts of ``f``'s scorecard: only those of ``role``, by its weights."""
    if role is None:
        return Parts(values={}, weights={})
    of_role = weights.of(role)
    return Parts(values={name: _part(name, f, ctx) for name in of_role}, weights=of_role)


def _weighted(values: Mapping[str, float | None], weights: Mapping[str, float]) -> float | None:
    used = [
        (weights[name], value)
        for name, value in values.items()
        if value is not None and weights.get(name, 0) > 0
    ]
    total = sum(w for w, _ in used)
    return sum(w * v for w, v in used) / total if total > 0 else None


def weighted_score(parts: Parts) -> float | None:
    """The weighted mean of the parts that apply; None if none does."""
    return _weighted(parts.values, parts.weights)


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
    dashboards keep them while the store's data is unchanged; the director's scores and
    the window reasons are read afresh either way). A branch's fair parts are taken over
    the staff of ``figures``, so they must hold every staff member of the branches shown.
    """
    period = Period.quarter(quarter)
    if figures is None:
        figures = staff_figures(metrics=metrics, period=period, branch_id=branch_id)
    scores = load_scores(metrics.engine.store)
    roles = {f.staff_id: weights.role(f.role) for f in figures}
    authorisations: Counter[str | None] = Counter()
    specialists: Counter[str | None] = Counter()
    for f in figures:
        authorisations[f.branch_id] += f.authorisations
        specialists[f.branch_id] += roles[f.staff_id] == "stm_specialist"
    shared = Context(
        reasoned=reasoned_at_window(metrics=metrics, period=period),
        branch_authorisations=authorisations,
        branch_specialists=specialists,
    )
    out = []
    for f in figures:
        director = scores.get((f.staff_id, quarter))
        parts = parts_of(f, roles[f.staff_id], weights, replace(shared, director=director))
        out.append(
            StaffScore(
                quarter=quarter,
                figures=f,
                role=roles[f.staff_id],
                parts=parts,
                score=weighted_score(parts),
                director_note=director.note if director else None,
                reasoned_at_window=shared.reasoned.get(f.staff_id, 0),
            )
        )
    return out


def family_weights(weights: ScorecardWeights, roles: Sequence[str | None]) -> dict[str, float]:
    """Each summary group's share of the weight, averaged over the scorecard ``roles`` given.

    For views that show one line of weights over staff of several roles; each role's own
    weights are in ``weights.of(role)``.
    """
    scored = sorted({r for r in roles if r is not None})
    out = dict.fromkeys(FAMILIES, 0.0)
    for role in scored:
        own = weights.of(role)
        total = sum(own.values())
        for family, parts in FAMILIES.items():
            out[family] += sum(own.get(p, 0.0) for p in parts) / total / len(scored)
    return {family: round(share, 2) for family, share in out.items()}
