"""How alike two branches are, in parts a person can check.

Each part is a number from 0 (unlike) to 1 (alike):

- ``size``: daily tickets and staff, each ``1 − |ln(x/y)| / ln(floor)`` (0 once one branch
  is ``floor`` times the other), averaged over what is known;
- ``business_mix``: ``1 −`` the total-variation distance between the two branches' shares
  of migratable business by type (the share of business they have in common);
- ``age_mix``: the same over customer age bands;
- ``region``: 1 in the same region (city), else 0.

The similarity is their weighted mean with the configured weights. The peer group is not a
part: pairing puts same-group pairs first outright (see pairing.py), so no weighting can
trade a peer for a lookalike of another group.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from smartcounter.programme.profiles import BranchProfile
from smartcounter.settings import PairingSettings


@dataclass(frozen=True)
class Similarity:
    """The parts and the weighted total of how alike two branches are."""

    total: float
    size: float | None
    business_mix: float | None
    age_mix: float | None
    same_region: bool
    same_peer_group: bool


def size_similarity(x: float | None, y: float | None, floor: float) -> float | None:
    """``1 − |ln(x/y)| / ln(floor)``, clipped at 0; None if either is unknown or not positive."""
    if x is None or y is None or x <= 0 or y <= 0:
        return None
    return max(0.0, 1.0 - abs(math.log(x / y)) / math.log(floor))


def overlap(a: dict[str, float], b: dict[str, float]) -> float | None:
    """One minus the total-variation distance of two share vectors (their common share)."""
    if not a or not b:
        return None
    keys = sorted(set(a) | set(b))  # a set's order changes from run to run; a sum's digits with it
    return 1.0 - 0.5 * sum(abs(a.get(k, 0.0) - b.get(k, 0.0)) for k in keys)


def _staff(p: BranchProfile) -> float | None:
    if p.staff_count:
        return float(p.staff_count)
    counted = sum(p.roles.values())
    return float(counted) if counted else None


def similarity(a: BranchProfile, b: BranchProfile, settings: PairingSettings) -> Similarity:
    """How alike ``a`` and ``b`` are, part by part and in total."""
    w = settings.similarity
    sizes = [
        s
        for s in (
            size_similarity(a.daily_tickets, b.daily_tickets, settings.size_ratio_floor),
            size_similarity(_staff(a), _staff(b), settings.size_ratio_floor),
        )
        if s is not None
    ]
    size = sum(sizes) / len(sizes) if sizes else None
    business = overlap(a.shares(a.business), b.shares(b.business))
    age = overlap(
        {k: v for k, v in a.shares(a.age).items() if k != "unknown"},
        {k: v for k, v in b.shares(b.age).items() if k != "unknown"},
    )
    same_region = a.region is not None and a.region == b.region
    parts = [
        (w.size, size),
        (w.business_mix, business),
        (w.age_mix, age),
        (w.region, 1.0 if same_region else 0.0),
    ]
    weight = sum(wt for wt, v in parts if v is not None)
    total = sum(wt * v for wt, v in parts if v is not None) / weight if weight else 0.0
    return Similarity(
        total=total,
        size=size,
        business_mix=business,
        age_mix=age,
        same_region=same_region,
        same_peer_group=a.branch_type == b.branch_type,
    )
