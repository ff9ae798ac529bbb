"""Pairing (结对子): each lagging branch with an advanced partner, by optimal assignment.

The assignment maximises the total similarity of all pairs at once
(``scipy.optimize.linear_sum_assignment``), not pair by pair: taking the most similar pair
first (greedy) can leave the next lagging branch with a poor partner. An advanced branch
that may help ``cap`` branches appears as ``cap`` identical columns. With
``peer_group_first``, a pair across peer groups costs more than any sum of similarities
(each at most 1) can win back, so the number of same-group pairs is maximised first and
similarity decides among those assignments.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from smartcounter.programme.profiles import BranchProfile
from smartcounter.programme.similarity import Similarity, similarity
from smartcounter.programme.standing import Standing, Verdict
from smartcounter.settings import PairingSettings

Param = str | int | float | None


@dataclass(frozen=True)
class Why:
    """One reason a pair was made, as a message key's suffix and its parameters."""

    code: str
    params: Mapping[str, Param]

    def to_json(self) -> dict[str, object]:
        """A JSON-ready form."""
        return {"code": self.code, "params": dict(self.params)}

    @classmethod
    def from_json(cls, body: Mapping[str, object]) -> Why:
        """Read back from ``to_json``."""
        params = body.get("params") or {}
        assert isinstance(params, dict)
        return cls(str(body["code"]), {str(k): v for k, v in params.items()})


def assign(
    similarities: np.ndarray,
    *,
    capacity: Sequence[int],
    same_group: np.ndarray | None = None,
    peer_group_first: bool = True,
) -> list[tuple[int, int]]:
    """Optimal (row, column) pairs: rows lagging, columns advanced with ``capacity`` each."""
    n_rows, n_cols = similarities.shape
    slots = [c for c in range(n_cols) for _ in range(max(0, capacity[c]))]
    if n_rows == 0 or not slots:
        return []
    cost = -similarities[:, slots].astype(float)
    if peer_group_first and same_group is not None:
        # Lexicographic: one more cross-group pair must cost more than all similarity gains.
        cost = cost + float(n_rows + 1) * (~same_group[:, slots]).astype(float)
    rows, cols = linear_sum_assignment(cost)
    return sorted((int(r), slots[int(c)]) for r, c in zip(rows, cols, strict=True))


@dataclass(frozen=True)
class Candidate:
    """A branch that lags or leads, with why."""

    standing: Standing
    verdict: Verdict


@dataclass(frozen=True)
class ProposedPair:
    """A lagging branch, its partner, how alike they are, and why the pair was made."""

    lagging: Candidate
    partner: Candidate
    similarity: Similarity
    why: tuple[Why, ...]


def _pct(x: float | None) -> float | None:
    return None if x is None else round(100 * x, 1)


def explain(
    lag: Candidate, adv: Candidate, sim: Similarity, a: BranchProfile, b: BranchProfile
) -> tuple[Why, ...]:
    """The reasons of one pair, strongest first: the need, the help, then the likeness."""
    out: list[Why] = []
    ls, ps = lag.standing, adv.standing
    for c in lag.verdict.criteria:
        out.append(
            Why(
                f"lagging_{c.value}",
                {
                    "bound": _pct(lag.verdict.bound),
                    "target": _pct(lag.verdict.target),
                    "peer_mean": _pct(ls.peer_mean),
                },
            )
        )
    for c in adv.verdict.criteria:
        out.append(
            Why(
                f"advanced_{c.value}",
                {
                    "bound": _pct(adv.verdict.bound),
                    "target": _pct(adv.verdict.target),
                    "peer_mean": _pct(ps.peer_mean),
                },
            )
        )
    if sim.same_peer_group:
        out.append(Why("same_peer_group", {"group": ls.branch_type}))
    else:
        out.append(
            Why("other_peer_group", {"group": ls.branch_type, "partner_group": ps.branch_type})
        )
    if sim.same_region:
        out.append(Why("same_region", {"region": ls.region}))
    if sim.size is not None:
        out.append(
            Why(
                _alike("size", sim.size),
                {
                    "tickets": None if a.daily_tickets is None else round(a.daily_tickets, 1),
                    "partner_tickets": None
                    if b.daily_tickets is None
                    else round(b.daily_tickets, 1),
                    "staff": a.staff_count,
                    "partner_staff": b.staff_count,
                    "score": round(sim.size, 2),
                },
            )
        )
    if sim.business_mix is not None:
        out.append(
            Why(_alike("business_mix", sim.business_mix), {"overlap": _pct(sim.business_mix)})
        )
    if sim.age_mix is not None:
        out.append(Why(_alike("age_mix", sim.age_mix), {"overlap": _pct(sim.age_mix)}))
    return tuple(out)


# A part of the similarity (0–1) at least this high is said to be alike; below it, the
# pair is said to differ there (the figures are given either way).
ALIKE = 0.7


def _alike(code: str, score: float) -> str:
    """The reason's code: ``size`` when alike, ``size_differs`` when not."""
    return code if score >= ALIKE else f"{code}_differs"


def propose(
    *,
    lagging: Sequence[Candidate],
    advanced: Sequence[Candidate],
    profiles: Mapping[str, BranchProfile],
    settings: PairingSettings,
    taken: Mapping[str, int] | None = None,
) -> tuple[list[ProposedPair], list[Candidate]]:
    """Pair ``lagging`` with ``advanced`` optimally; return the pairs and who is left unpaired.

    ``taken`` counts the active pairs each advanced branch already has; they use its cap.
    """
    taken = taken or {}
    rows = [c for c in lagging if c.standing.branch_id in profiles]
    cols = [c for c in advanced if c.standing.branch_id in profiles]
    sims = [
        [
            similarity(profiles[r.standing.branch_id], profiles[c.standing.branch_id], settings)
            for c in cols
        ]
        for r in rows
    ]
    matrix = np.array([[s.total for s in row] for row in sims], dtype=float).reshape(
        len(rows), len(cols)
    )
    same = np.array([[s.same_peer_group for s in row] for row in sims], dtype=bool).reshape(
        len(rows), len(cols)
    )
    capacity = [settings.cap - taken.get(c.standing.branch_id, 0) for c in cols]
    chosen = assign(
        matrix, capacity=capacity, same_group=same, peer_group_first=settings.peer_group_first
    )
    pairs = [
        ProposedPair(
            lagging=rows[i],
            partner=cols[j],
            similarity=sims[i][j],
            why=explain(
                rows[i],
                cols[j],
                sims[i][j],
                profiles[rows[i].standing.branch_id],
                profiles[cols[j].standing.branch_id],
            ),
        )
        for i, j in chosen
    ]
    paired = {i for i, _ in chosen}
    unpaired = [r for i, r in enumerate(rows) if i not in paired]
    unpaired += [c for c in lagging if c.standing.branch_id not in profiles]
    return pairs, unpaired
