"""Each customer's choices, decided up front from their uniforms and the shared behaviour.

The probabilities are the synthetic generator's (``Behaviour``: going unprompted, accepting
at each stage by age, tier, habit and aversion, the composite and split-referral shifts,
decline reasons, manual ID checks); the branch adds its practice (coverage and guidance
quality per stage, cash split, what its devices do). Whether a choice is ever put to the
customer — whether staff are free to triage them — is the engine's business.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from smartcounter.canonical.catalogue import load_catalogue
from smartcounter.simulation.behaviour import (
    REASON_INDEX,
    acceptance_logit,
    draw_rows,
    expit,
    self_logit,
    tables,
)
from smartcounter.simulation.customers import (
    U_ACCEPT,
    U_COVER,
    U_PATIENCE_AUTH,
    U_PATIENCE_QUEUE,
    U_REASON,
    U_SELF,
    U_SLOW,
    U_TOUCH,
    DayCustomers,
)
from smartcounter.simulation.model import COMPOSITE, MIGRATABLE, BranchModel, Practice


@dataclass(frozen=True, eq=False)
class CodeFacts:
    """Per business code of a model: what the behaviour and the practice say about it."""

    decline_cum: np.ndarray
    decline_reasons: np.ndarray
    id_check: np.ndarray  # chance the ID needs a manual check (then a teller does it)
    unsupported: np.ndarray  # the branch's devices do not do it
    needs_auth: np.ndarray  # a step waits for a staff member's authorisation

    @classmethod
    def of(cls, model: BranchModel) -> CodeFacts:
        """The facts of ``model``'s codes."""
        # The decline reasons depend on age and cash only; any catalogue indexes them.
        t = tables(model.behaviour, load_catalogue())
        p = model.practice
        return cls(
            decline_cum=t.decline_cum,
            decline_reasons=t.decline_reasons,
            id_check=np.array([model.behaviour.id_check.get(c, 0.0) for c in model.codes]),
            unsupported=np.array([c in p.not_at_stm for c in model.codes]) & model.migratable,
            needs_auth=np.array([c in p.authorisation_required for c in model.codes])
            & model.migratable,
        )


@dataclass(frozen=True, eq=False)
class Choices:
    """What each customer would do at each step (Python lists: the engine reads them one by one)."""

    mig: list[bool]  # has migratable business
    composite: list[bool]
    goes_unprompted: list[bool]
    blocked_sell: list[bool]  # cannot be sold the smart counter (cash-bound, not doable)
    cover: tuple[list[bool], list[bool], list[bool]]  # staff mean to reach them at stage s
    accept: tuple[list[bool], list[bool], list[bool]]
    decline_reason: list[int]  # the reason they give when they decline
    untouched_reason: list[int]  # the reason recorded when nobody triaged them
    patience_queue: list[float]
    patience_auth: list[float]
    slow: list[bool]
    touch: tuple[list[float], list[float]]  # exp(1) multipliers of stage 1 and 2 touches
    leg_unsupported: list[bool]
    leg_id_check: list[bool]
    leg_needs_auth: list[bool]


@dataclass(frozen=True, eq=False)
class Chances:
    """Each customer's probabilities, for a given habit and aversion of every customer."""

    mig: np.ndarray  # has migratable business
    doable: np.ndarray  # some of it can be done at the branch's devices
    composite: np.ndarray
    cash_bound: np.ndarray  # a cash visit the branch does not split
    unprompted: np.ndarray  # goes to the smart counter unprompted
    # Logit of accepting at stage 1, 2, 3 at the practice's quality; 0 chance where blocked.
    accept_logit: tuple[np.ndarray, np.ndarray, np.ndarray]
    blocked: np.ndarray  # cannot be sold the smart counter (cash-bound, not doable)
    reach: np.ndarray  # at a device, some migratable business gets done (no manual ID check)

    def accept(
        self, stage: int, quality_shift: float = 0.0, per_quality: float = 0.0
    ) -> np.ndarray:
        """Chance of accepting at ``stage``, with the quality moved by ``quality_shift``."""
        logit = self.accept_logit[stage - 1] + per_quality * quality_shift
        return np.asarray(np.where(self.blocked, 0.0, expit(logit)))


def chances(
    model: BranchModel,
    facts: CodeFacts,
    c: DayCustomers,
    habit: np.ndarray,
    averse: np.ndarray,
) -> Chances:
    """The probabilities behind each customer's choices under ``model``'s practice."""
    b, p = model.behaviour, model.practice
    n = len(c)
    owner = np.repeat(np.arange(n), np.diff(c.leg_start))
    is_mig = c.leg_class == MIGRATABLE
    unsupported = is_mig & facts.unsupported[c.leg_code]
    mig = np.bincount(owner, weights=is_mig, minlength=n) > 0
    doable = np.bincount(owner, weights=is_mig & ~unsupported, minlength=n) > 0
    comp = c.kind == COMPOSITE
    cash_bound = comp & (not p.cash_split)
    blocked = cash_bound | ~doable
    habit_i = habit.astype(np.int64)
    p_self = expit(self_logit(b, c.age, habit_i, averse.astype(bool)))
    # A cash visit's customer splits it on their own only now and then.
    p_self = np.where(cash_bound, p_self * b.self_split_without_practice, p_self)
    p_self = np.where(mig & doable, p_self, 0.0)
    zero = np.zeros(n, dtype=np.int64)
    no_support = np.zeros(n, dtype=bool)
    logits = []
    for stage in (1, 2, 3):
        quality = np.full(n, p.quality[stage - 1])
        logit = acceptance_logit(
            b, stage, c.age, c.tier, habit_i, zero, quality, no_support, averse.astype(np.int64)
        )
        shift = b.split_referral if stage == 3 else b.composite_accept
        logits.append(np.asarray(logit + shift * comp))
    # The chance that every migratable leg fails at the device (not done there, manual ID).
    fail = np.where(unsupported, 1.0, facts.id_check[c.leg_code])
    log_fail = np.bincount(
        owner, weights=np.where(is_mig, np.log(np.maximum(fail, 1e-300)), 0.0), minlength=n
    )
    return Chances(
        mig=mig,
        doable=doable,
        composite=comp,
        cash_bound=cash_bound,
        unprompted=np.asarray(p_self),
        accept_logit=(logits[0], logits[1], logits[2]),
        blocked=blocked,
        reach=np.where(mig, 1.0 - np.exp(log_fail), 0.0),
    )


@dataclass(frozen=True, eq=False)
class ChoiceArrays:
    """Each customer's choices as arrays (one element per customer, or per leg)."""

    mig: np.ndarray
    composite: np.ndarray
    goes_unprompted: np.ndarray
    blocked_sell: np.ndarray
    cover: tuple[np.ndarray, np.ndarray, np.ndarray]
    accept: tuple[np.ndarray, np.ndarray, np.ndarray]
    decline_reason: np.ndarray
    untouched_reason: np.ndarray
    patience_queue: np.ndarray
    patience_auth: np.ndarray
    slow: np.ndarray
    touch: tuple[np.ndarray, np.ndarray]
    leg_unsupported: np.ndarray
    leg_id_check: np.ndarray
    leg_needs_auth: np.ndarray


def decide_arrays(
    model: BranchModel,
    facts: CodeFacts,
    c: DayCustomers,
    reach: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> ChoiceArrays:
    """Each customer's choices under ``model``'s practice, as arrays.

    ``reach``: per customer and stage, the share of the stage's coverage its staff manage
    at the time (1: free to reach everyone they mean to); a customer is covered when their
    uniform falls below coverage × reach, so more staff never uncover anyone.
    """
    b, p = model.behaviour, model.practice
    n = len(c)
    ones = np.ones(n)
    r1, r2, r3 = reach if reach is not None else (ones, ones, ones)
    ch = chances(model, facts, c, c.habit, c.averse)
    comp, cash_bound, doable = ch.composite, ch.cash_bound, ch.doable
    accept = [c.u[:, U_ACCEPT[s - 1]] < ch.accept(s) for s in (1, 2, 3)]
    is_mig = c.leg_class == MIGRATABLE
    unsupported = is_mig & facts.unsupported[c.leg_code]
    # With the split, the teller refers nearly every cash visit's non-cash part on.
    cover3 = np.where(
        comp & p.cash_split,
        np.maximum(p.coverage[2] * r3, b.split_referral_coverage * r3),
        p.coverage[2] * r3,
    )
    covers = (p.coverage[0] * r1, p.coverage[1] * r2, cover3)
    row = c.age * 2 + cash_bound
    declined = facts.decline_reasons[draw_rows(facts.decline_cum, row, c.u[:, U_REASON])]
    declined = np.where(cash_bound, REASON_INDEX["with_cash"], declined)
    declined = np.where(~doable, REASON_INDEX["not_supported"], declined)
    untouched = np.where(cash_bound, REASON_INDEX["with_cash"], REASON_INDEX["no_guidance"])
    untouched = np.where(~doable, REASON_INDEX["not_supported"], untouched)
    return ChoiceArrays(
        mig=ch.mig,
        composite=comp,
        goes_unprompted=c.u[:, U_SELF] < ch.unprompted,
        blocked_sell=ch.blocked,
        cover=(
            c.u[:, U_COVER[0]] < covers[0],
            c.u[:, U_COVER[1]] < covers[1],
            c.u[:, U_COVER[2]] < covers[2],
        ),
        accept=(accept[0], accept[1], accept[2]),
        decline_reason=declined.astype(np.int64),
        untouched_reason=untouched.astype(np.int64),
        patience_queue=_patience(p, c.u[:, U_PATIENCE_QUEUE]),
        patience_auth=_patience(p, c.u[:, U_PATIENCE_AUTH]),
        slow=c.u[:, U_SLOW] < p.slow_share,
        touch=(-np.log1p(-c.u[:, U_TOUCH[0]]), -np.log1p(-c.u[:, U_TOUCH[1]])),
        leg_unsupported=unsupported,
        leg_id_check=is_mig & (c.leg_u_id < facts.id_check[c.leg_code]),
        leg_needs_auth=is_mig & facts.needs_auth[c.leg_code],
    )


def decide(model: BranchModel, facts: CodeFacts, c: DayCustomers) -> Choices:
    """Each customer's choices under ``model``'s practice, as lists (an event loop reads
    them one by one; staff availability is that loop's business)."""
    a = decide_arrays(model, facts, c)
    return Choices(
        mig=a.mig.tolist(),
        composite=a.composite.tolist(),
        goes_unprompted=a.goes_unprompted.tolist(),
        blocked_sell=a.blocked_sell.tolist(),
        cover=(a.cover[0].tolist(), a.cover[1].tolist(), a.cover[2].tolist()),
        accept=(a.accept[0].tolist(), a.accept[1].tolist(), a.accept[2].tolist()),
        decline_reason=a.decline_reason.tolist(),
        untouched_reason=a.untouched_reason.tolist(),
        patience_queue=a.patience_queue.tolist(),
        patience_auth=a.patience_auth.tolist(),
        slow=a.slow.tolist(),
        touch=(a.touch[0].tolist(), a.touch[1].tolist()),
        leg_unsupported=a.leg_unsupported.tolist(),
        leg_id_check=a.leg_id_check.tolist(),
        leg_needs_auth=a.leg_needs_auth.tolist(),
    )


def _patience(p: Practice, u: np.ndarray) -> np.ndarray:
    """Weibull patience with the practice's mean and shape, by inverse CDF."""
    scale = p.patience_s / math.gamma(1.0 + 1.0 / p.patience_shape)
    return np.asarray(scale * (-np.log1p(-u)) ** (1.0 / p.patience_shape))
