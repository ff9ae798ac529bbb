"""Shift-share decomposition of the gap in migration rate between two branches.

A branch's rate is its business mix times its rate within each business:
``R = Σ_b w_b · p_b`` with ``w_b`` the share of its migratable transactions in business
``b`` and ``p_b`` its migration rate within ``b``. For the partner A and the lagging
branch L, with midpoint (symmetric) weights,

    R_A − R_L = Σ_b (w_Ab − w_Lb) · (p_Ab + p_Lb)/2      ← business-mix part
              + Σ_b (p_Ab − p_Lb) · (w_Ab + w_Lb)/2      ← within-business performance part

which is an identity term by term (``xy − uv = (x−u)(y+v)/2 + (y−v)(x+u)/2``): the two
parts add up to the gap exactly, with no interaction residue, and swapping the branches
only flips the signs. A one-sided (Laspeyres) split would depend on which branch is the
base and leave an interaction term to explain away; the midpoint split does neither.

Where a branch has no migratable transactions in a business, its rate there is undefined;
it is taken to be the other branch's rate, so that business counts entirely as mix (the
branch does not do that business at all) — and since its weight there is 0 the identity
holds whatever rate is used. The arithmetic is done in exact fractions of the integer
counts, so "add up exactly" is literal, then reported as floats.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from smartcounter.programme.profiles import Counts


@dataclass(frozen=True)
class BusinessShare:
    """One business's part of the gap."""

    business_code: str
    weight: Fraction  # the lagging branch's share of its migratable business
    partner_weight: Fraction
    rate: Fraction | None  # the lagging branch's rate within the business
    partner_rate: Fraction | None
    mix: Fraction
    performance: Fraction


@dataclass(frozen=True)
class ShiftShare:
    """The gap (partner minus lagging) and its two parts, exactly."""

    gap: Fraction
    mix: Fraction
    performance: Fraction
    businesses: tuple[BusinessShare, ...]


def _rate(c: Counts | None) -> Fraction | None:
    if c is None or c.migratable == 0:
        return None
    return Fraction(c.migrated, c.migratable)


def decompose(lagging: Mapping[str, Counts], partner: Mapping[str, Counts]) -> ShiftShare:
    """Split the gap in rate between ``partner`` and ``lagging`` into mix and performance."""
    total_l = sum(c.migratable for c in lagging.values())
    total_a = sum(c.migratable for c in partner.values())
    if total_l == 0 or total_a == 0:
        raise ValueError("both branches need migratable business")
    rows: list[BusinessShare] = []
    for code in sorted(set(lagging) | set(partner)):
        cl, ca = lagging.get(code), partner.get(code)
        wl = Fraction(cl.migratable if cl else 0, total_l)
        wa = Fraction(ca.migratable if ca else 0, total_a)
        if wl == 0 and wa == 0:
            continue
        pl_, pa = _rate(cl), _rate(ca)
        # A business one branch does not do: its rate is the other's (weight 0, so exact).
        el = pl_ if pl_ is not None else pa
        ea = pa if pa is not None else pl_
        assert el is not None and ea is not None
        rows.append(
            BusinessShare(
                business_code=code,
                weight=wl,
                partner_weight=wa,
                rate=pl_,
                partner_rate=pa,
                mix=(wa - wl) * (ea + el) / 2,
                performance=(ea - el) * (wa + wl) / 2,
            )
        )
    migrated_l = sum(c.migrated for c in lagging.values())
    migrated_a = sum(c.migrated for c in partner.values())
    gap = Fraction(migrated_a, total_a) - Fraction(migrated_l, total_l)
    mix = sum((r.mix for r in rows), Fraction(0))
    performance = sum((r.performance for r in rows), Fraction(0))
    return ShiftShare(gap=gap, mix=mix, performance=performance, businesses=tuple(rows))


def loss_points(
    lagging: Mapping[str, int], lagging_total: int, partner: Mapping[str, int], partner_total: int
) -> dict[str, Fraction]:
    """Per value, un-migrated ÷ migratable at the lagging branch minus at the partner.

    Un-migrated transactions over all values are ``migratable − migrated``, so these parts
    add up to the gap exactly too (by reason, age band or hour).
    """
    keys = set(lagging) | set(partner)
    return {
        k: Fraction(lagging.get(k, 0), lagging_total) - Fraction(partner.get(k, 0), partner_total)
        for k in sorted(keys)
    }
