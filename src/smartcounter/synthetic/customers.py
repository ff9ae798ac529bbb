"""Each branch's pool of customers: who they are and what they remember of last time.

A customer keeps an age band, a tier and an activity (how often they come) for the whole
run, and carries two flags from visit to visit: the smart-counter habit (they used it and
liked it) and a follow-up (not migrated last time, so staff guide them next time).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from smartcounter.simulation.behaviour import Behaviour, draw_rows
from smartcounter.synthetic.network import Practices

HABIT = np.uint8(1)
ACTIVITY = 1.8
FOLLOW_UP = np.uint8(2)


@dataclass
class CustomerPool:
    """The customers of one block of branches, branch after branch."""

    offsets: np.ndarray  # (branches + 1,) where each branch's customers start
    age: np.ndarray  # index into AGE_BANDS
    tier: np.ndarray  # index into CUSTOMER_TIERS
    averse: np.ndarray  # will not use a machine unless won over
    state: np.ndarray  # HABIT | FOLLOW_UP bits

    def pick(self, branch: np.ndarray, u: np.ndarray) -> np.ndarray:
        """The customer (index into this pool) of each visit: low numbers come often."""
        # u**ACTIVITY puts more visits on the first customers of a pool: a few regulars
        # come every week or two, most customers every few months. Customers' attributes
        # are drawn independently of their number, so this skews nothing else.
        size = self.offsets[branch + 1] - self.offsets[branch]
        return np.asarray(self.offsets[branch] + (u**ACTIVITY * size).astype(np.int64))

    def number(self, index: np.ndarray, branch: np.ndarray) -> np.ndarray:
        """The customer's number within their branch, from 1."""
        return np.asarray(index - self.offsets[branch] + 1)


def age_probabilities(p: Practices) -> np.ndarray:
    """Age band shares per branch: young, two middle bands, elderly."""
    middle = 1.0 - p.young_share - p.elderly_share
    probs = np.stack([p.young_share, middle * 0.55, middle * 0.45, p.elderly_share], axis=1)
    return np.asarray(probs / probs.sum(axis=1, keepdims=True))


def build_pool(
    b: Behaviour, p: Practices, states: np.ndarray, rng: np.random.Generator
) -> CustomerPool:
    """Draw the customers of a block; ``states`` are the starting shares of
    (no habit, follow-up, habit) by branch, age band and aversion."""
    sizes = p.pool_size
    n = int(sizes.sum())
    branch = np.repeat(np.arange(len(p)), sizes)
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    age = draw_rows(np.cumsum(age_probabilities(p), axis=1), branch, rng.random(n))
    affluent = p.affluent_share[branch]
    private = p.private_share[branch]
    u = rng.random(n)
    tier = np.where(u < private, 2, np.where(u < private + affluent, 1, 0))
    averse = rng.random(n) < np.asarray(b.averse)[age]
    share = states[branch, age, averse.astype(np.int64)]
    u = rng.random(n)
    state = np.where(
        u < share[:, 0], np.uint8(0), np.where(u < share[:, 0] + share[:, 1], FOLLOW_UP, HABIT)
    )
    state = state.astype(np.uint8)
    return CustomerPool(
        offsets=offsets,
        age=age.astype(np.int8),
        tier=tier.astype(np.int8),
        averse=averse,
        state=state,
    )


def steady_states(b: Behaviour, chance: np.ndarray, follow_up: np.ndarray) -> np.ndarray:
    """Shares of (no habit, follow-up, habit) where learning and forgetting balance.

    ``chance`` is the probability of reaching the smart counter by (branch, age band,
    averse, state). Starting every pool here keeps a branch's rate from drifting while its
    customers "learn" the practice after the start date, so the rate of a given week does
    not depend on when the run started. Per branch and age band, this is the stationary
    distribution of a three-state chain over a customer's migratable visits.
    """
    learn = np.asarray(b.learn)[None, :, None]
    fu = follow_up[:, None, None].astype(float)
    q_n, q_f, q_h = chance[..., 0], chance[..., 1], chance[..., 2]
    # Transition matrix rows: from N, F, H; columns: to N, F, H.
    m = np.zeros((*chance.shape[:3], 3, 3))
    m[..., 0, 2] = q_n * learn
    m[..., 0, 1] = (1 - q_n) * fu
    m[..., 0, 0] = 1 - m[..., 0, 2] - m[..., 0, 1]
    m[..., 1, 2] = q_f * learn
    m[..., 1, 1] = (1 - q_f) * fu
    m[..., 1, 0] = 1 - m[..., 1, 2] - m[..., 1, 1]
    lose = (1 - q_h) * b.forget_after_teller + b.forget
    m[..., 2, 1] = lose * fu
    m[..., 2, 0] = lose * (1 - fu)
    m[..., 2, 2] = 1 - lose
    # Stationary pi: pi (M - I) = 0 with sum(pi) = 1; replace one equation by the sum.
    a = np.swapaxes(m, -1, -2) - np.eye(3)
    a[..., 2, :] = 1.0
    rhs = np.zeros((*chance.shape[:3], 3))
    rhs[..., 2] = 1.0
    pi = np.linalg.solve(a, rhs[..., None])[..., 0]
    return np.asarray(np.clip(pi, 0.0, 1.0))
