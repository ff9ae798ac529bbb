"""The customer, triage and channel model: what customers come for and where they end up.

One set of shared parameters for every branch; a branch's migration rate follows from its
practice (network.py) through these. The parameters were calibrated once so that the four
branches of the source text, configured as the text describes them, land on their
2018-W10 rates; no branch's rate appears anywhere.

How a visit with migratable business reaches a smart counter (simulate.py does it for a
whole block of branches and a week at once):

1. a customer in the habit of using the smart counter may go there unprompted;
2. stage 1: the greeter (or a lobby manager at the door) suggests it at ticket-taking;
3. stage 2: the specialist or lobby manager approaches customers still bound for a teller;
4. stage 3: in branches that practise it, the teller re-promotes it at the window.

Each touch is accepted with a probability that falls with age and with private-banking
tier and rises with guidance quality, habit and a follow-up from last time; hall staff
touch fewer customers in busy hours. A customer sent to the smart counter may still turn
to a teller: the device is down (faults), the queue there is long (load against devices,
slower where no dedicated specialist authorises), the branch does not do that business
at the device, or the ID needs a manual check. Cash visits with non-cash business stay
at the teller (``with_cash``) unless the branch splits them: teller takes the cash leg,
the customer does the non-cash leg at the smart counter.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from smartcounter.canonical.catalogue import REASON_CODES, Catalogue
from smartcounter.canonical.tables import AGE_BANDS

REASON_INDEX = {r: i for i, r in enumerate(REASON_CODES)}


LEG_CASH, LEG_COMPOSITE, LEG_COUNTER = 4, 5, 6  # rows of Tables.leg_cum after the age bands


class VisitKind:
    """What a visit is for; decides its transactions."""

    NONCASH = 0  # migratable business only
    CASH = 1  # cash business only
    COMPOSITE = 2  # cash business plus a migratable non-cash part
    COUNTER = 3  # non-migratable non-cash business (passbook, other counter)


def _mix(**weights: float) -> dict[str, float]:
    return dict(weights)


@dataclass(frozen=True)
class Behaviour:
    """Shared parameters of customers, staff and devices (calibrated defaults)."""

    # -- when customers come -------------------------------------------------------------
    opening_hour: int = 9
    # Tickets by hour from 9:00 to 16:00; late morning peaks, a lunch dip, an afternoon bump.
    weekday_hours: tuple[float, ...] = (0.10, 0.16, 0.17, 0.13, 0.08, 0.11, 0.14, 0.11)
    weekend_hours: tuple[float, ...] = (0.12, 0.17, 0.18, 0.14, 0.10, 0.11, 0.10, 0.08)
    # Monday..Sunday: Monday and Friday busier, weekends lighter.
    day_weights: tuple[float, ...] = (1.12, 1.0, 0.97, 1.0, 1.08, 0.62, 0.48)
    week_noise_sd: float = 0.05

    # -- what they come for ----------------------------------------------------------------
    # Visit kinds (noncash, cash, composite, counter) by age band; older customers bring
    # more cash and passbook business.
    kinds_by_age: tuple[tuple[float, float, float, float], ...] = (
        (0.64, 0.23, 0.05, 0.08),
        (0.60, 0.26, 0.05, 0.09),
        (0.52, 0.31, 0.05, 0.12),
        (0.40, 0.37, 0.05, 0.18),
    )
    # Added to the noncash share (taken from cash) per branch type urban, office, micro, county.
    noncash_shift: tuple[float, ...] = (0.0, 0.06, 0.03, -0.04)
    extra_migratable: tuple[float, float] = (0.20, 0.05)  # chance of a 2nd, then a 3rd item
    second_cash: float = 0.12
    # Migratable business by age band (<30, 30-44, 45-59, 60+).
    migratable_mix: dict[str, tuple[float, float, float, float]] = field(
        default_factory=lambda: {
            "card_open": (0.14, 0.10, 0.08, 0.06),
            "card_replace": (0.06, 0.08, 0.10, 0.12),
            "card_loss_report": (0.03, 0.03, 0.04, 0.05),
            "password_reset": (0.05, 0.07, 0.10, 0.15),
            "mobile_banking_signup": (0.16, 0.12, 0.09, 0.05),
            "online_banking_signup": (0.03, 0.04, 0.04, 0.02),
            "sms_alert_signup": (0.04, 0.05, 0.06, 0.06),
            "personal_info_update": (0.07, 0.09, 0.11, 0.13),
            "statement_print": (0.06, 0.09, 0.11, 0.12),
            "transfer": (0.20, 0.18, 0.16, 0.17),
            "fx_remittance": (0.04, 0.03, 0.02, 0.01),
            "wealth_product": (0.04, 0.08, 0.07, 0.05),
            "credit_card_apply": (0.08, 0.04, 0.02, 0.01),
        }
    )
    # The non-cash part of a cash visit: deposit then transfer, exchange then remit, …
    composite_mix: dict[str, float] = field(
        default_factory=lambda: _mix(
            transfer=0.40,
            fx_remittance=0.10,
            wealth_product=0.15,
            mobile_banking_signup=0.15,
            card_open=0.10,
            sms_alert_signup=0.10,
        )
    )
    cash_mix: dict[str, float] = field(
        default_factory=lambda: _mix(
            cash_deposit=0.46, cash_withdrawal=0.42, cash_fx_exchange=0.04, cash_remittance=0.08
        )
    )
    counter_mix: dict[str, float] = field(
        default_factory=lambda: _mix(passbook=0.55, other_counter=0.45)
    )
    private_tier_share_of_affluent: float = 0.12

    # -- where they go: logits ----------------------------------------------------------------
    self_logit: float = -1.05  # unprompted use, no habit, age 30-44
    self_age: tuple[float, ...] = (0.5, 0.0, -0.6, -1.6)
    self_habit: float = 4.5
    accept_stage: tuple[float, float, float] = (0.0, 0.5, -0.6)
    accept_age: tuple[float, ...] = (0.6, 0.2, -0.3, -1.9)
    accept_quality: float = 4.0  # per unit of guidance quality above 0.6
    accept_habit: float = 1.5
    accept_follow_up: float = 1.0
    accept_tier: tuple[float, float, float] = (0.0, -0.3, -1.0)
    elderly_support: float = 0.5  # added for 60+ where staff take time with older customers
    # Some customers will not use a machine (cannot, or do not trust it): by age band.
    averse: tuple[float, ...] = (0.005, 0.01, 0.02, 0.18)
    averse_accept: float = -3.0
    averse_support: float = 0.35  # patient staff win some of them over
    composite_accept: float = -0.4  # splitting a cash visit is a harder sell at stages 1-2
    split_referral: float = 1.5  # the teller deposits the cash, then refers: easy at stage 3
    split_referral_coverage: float = 0.9
    self_split_without_practice: float = 0.12  # habit customers who split unprompted
    learn: tuple[float, ...] = (0.85, 0.8, 0.7, 0.55)  # a smart-counter visit becomes a habit
    forget: float = 0.02
    forget_after_teller: float = 0.25

    # -- staff and devices ----------------------------------------------------------------------
    greeter_per_hour: float = 40.0
    door_lobby_manager_per_hour: float = 25.0
    hall_staff_per_hour: float = 14.0
    part_time_hall_per_hour: float = 12.0  # a wealth manager guiding between own customers
    teller_per_hour: float = 12.0
    stm_minutes: float = 6.0  # device time per smart-counter visit, authorisation included
    teller_minutes: float = 5.0
    auth_lobby_manager: float = 0.8  # capacity factor when the lobby manager authorises
    auth_tellers: float = 0.7  # …when tellers leave their window to authorise
    auth_backup: float = 1.25  # …with a teller backing up the specialist at peaks
    busy_threshold: float = 0.9
    busy_slope: float = 0.5
    busy_max: float = 0.65
    fault_hours: tuple[int, int] = (1, 6)  # a fault lasts this many hours (min, max)
    # -- the queues (queues.py) -------------------------------------------------------------------
    walk_s: float = 30.0  # from the ticket machine or a window to a smart counter
    repromotion_s: float = 40.0  # a teller's stage-3 pitch at the window
    hall_delay_s: tuple[float, float] = (20.0, 240.0)  # ticket to a hall staff approach
    # Mean wait for an authoriser per unit of capacity lost (auth_* below 1): tellers
    # leaving their windows make a customer at the device wait about 50 s.
    auth_wait_s: float = 120.0
    stm_patience_s: float = 1800.0  # mean patience in the smart-counter line
    stm_patience_shape: float = 3.0  # Weibull shape of that patience

    # -- why not ----------------------------------------------------------------------------------
    decline_declined: float = 1.0
    decline_elderly: tuple[float, ...] = (0.0, 0.0, 0.15, 1.2)
    decline_id_check: float = 0.05
    decline_other: float = 0.06
    decline_with_cash: float = 1.6
    id_check: dict[str, float] = field(
        default_factory=lambda: _mix(
            card_open=0.05, card_replace=0.05, card_loss_report=0.04, credit_card_apply=0.03
        )
    )

    # -- how long it takes (seconds; smart counter, teller) ------------------------------------
    durations: dict[str, tuple[float, float]] = field(
        default_factory=lambda: {
            "card_open": (420, 480),
            "card_replace": (360, 420),
            "card_loss_report": (180, 240),
            "password_reset": (150, 200),
            "mobile_banking_signup": (240, 300),
            "online_banking_signup": (240, 300),
            "sms_alert_signup": (120, 180),
            "personal_info_update": (180, 240),
            "statement_print": (90, 150),
            "transfer": (150, 200),
            "fx_remittance": (420, 540),
            "wealth_product": (360, 480),
            "credit_card_apply": (420, 480),
            "cash_deposit": (0, 180),
            "cash_withdrawal": (0, 160),
            "cash_fx_exchange": (0, 300),
            "cash_remittance": (0, 360),
            "passbook": (0, 220),
            "other_counter": (0, 300),
        }
    )
    age_duration: tuple[float, ...] = (0.85, 0.95, 1.05, 1.35)


@dataclass(frozen=True)
class Tables:
    """The parameters as arrays indexed by business code and age band, for one catalogue."""

    codes: tuple[str, ...]
    kinds_cum: np.ndarray  # (branch types x age bands, kinds) cumulative visit kinds
    decline_cum: np.ndarray  # (age bands x cash-bound, reasons) cumulative decline reasons
    decline_reasons: np.ndarray  # the reason code index of each decline column
    migratable: np.ndarray  # bool by code
    # Business codes of a transaction by leg kind: rows 0-3 a migratable item by age band,
    # then a cash item, the non-cash part of a cash visit, a counter item.
    leg_cum: np.ndarray  # (LEG_ROWS, k) cumulative weights, padded with 1.0
    leg_codes: np.ndarray  # (LEG_ROWS, k) code index of each column
    id_check: np.ndarray  # by code
    stm_seconds: np.ndarray  # by code
    teller_seconds: np.ndarray  # by code


def tables(behaviour: Behaviour, catalogue: Catalogue) -> Tables:
    """Index the behaviour's business parameters by the catalogue's codes."""
    codes = tuple(catalogue)
    index = {c: i for i, c in enumerate(codes)}

    rows: list[dict[str, float]] = [
        {k: v[age] for k, v in behaviour.migratable_mix.items()} for age in range(len(AGE_BANDS))
    ]
    rows += [behaviour.cash_mix, behaviour.composite_mix, behaviour.counter_mix]
    width = max(len(r) for r in rows)
    leg_cum = np.ones((len(rows), width))
    leg_codes = np.zeros((len(rows), width), dtype=np.int64)
    for i, mix in enumerate(rows):
        keys = [k for k in mix if k in index]
        w = np.array([mix[k] for k in keys], dtype=float)
        leg_cum[i, : len(keys)] = np.cumsum(w) / w.sum()
        leg_codes[i, : len(keys)] = [index[k] for k in keys]
        leg_codes[i, len(keys) :] = index[keys[-1]]
    kinds = np.asarray(behaviour.kinds_by_age, dtype=float)

    def by_code(values: dict[str, float]) -> np.ndarray:
        return np.array([values.get(c, 0.0) for c in codes], dtype=float)

    shift = np.asarray(behaviour.noncash_shift, dtype=float)
    by_type = np.repeat(kinds[None, :, :], shift.shape[0], axis=0)
    by_type[:, :, VisitKind.NONCASH] += shift[:, None]
    by_type[:, :, VisitKind.CASH] -= shift[:, None]
    by_type = by_type.reshape(-1, kinds.shape[1])
    decline_cum, decline_reasons = _decline_table(behaviour)
    return Tables(
        codes=codes,
        kinds_cum=np.cumsum(by_type, axis=1) / by_type.sum(axis=1, keepdims=True),
        decline_cum=decline_cum,
        decline_reasons=decline_reasons,
        migratable=np.array([catalogue[c].migratable for c in codes], dtype=bool),
        leg_cum=leg_cum,
        leg_codes=leg_codes,
        id_check=by_code(behaviour.id_check),
        stm_seconds=np.array(
            [behaviour.durations.get(c, (240, 240))[0] for c in codes], dtype=float
        ),
        teller_seconds=np.array(
            [behaviour.durations.get(c, (240, 240))[1] for c in codes], dtype=float
        ),
    )


def expit(x: np.ndarray) -> np.ndarray:
    """The logistic function."""
    return np.asarray(1.0 / (1.0 + np.exp(-x)))


def draw(cum: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Categorical draws: the index of the first cumulative weight above ``u``."""
    return np.asarray(np.minimum(np.searchsorted(cum, u, side="right"), cum.shape[-1] - 1))


def draw_rows(cum: np.ndarray, row: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Categorical draws with a different cumulative row (e.g. by age band) per draw."""
    # One search over all rows laid end to end, row r shifted by r: no (draws x k) matrix.
    k = cum.shape[1]
    flat = (cum + np.arange(cum.shape[0])[:, None]).ravel()
    found = np.searchsorted(flat, row + u, side="right") - row * k
    return np.asarray(np.clip(found, 0, k - 1))


def acceptance_logit(
    b: Behaviour,
    stage: int,
    age: np.ndarray,
    tier: np.ndarray,
    habit: np.ndarray,
    follow_up: np.ndarray,
    quality: np.ndarray,
    elderly_support: np.ndarray,
    averse: np.ndarray,
) -> np.ndarray:
    """Logit of accepting the smart counter at a triage touch of ``stage``."""
    elderly = age == AGE_BANDS.index("60+")
    logit = (
        (b.averse_accept + b.averse_support * elderly_support) * averse
        + b.accept_stage[stage - 1]
        + np.asarray(b.accept_age)[age]
        + b.accept_quality * (quality - 0.6)
        + b.accept_habit * habit
        + b.accept_follow_up * follow_up
        + np.asarray(b.accept_tier)[tier]
        + b.elderly_support * (elderly & elderly_support)
    )
    return np.asarray(logit)


def self_logit(b: Behaviour, age: np.ndarray, habit: np.ndarray, averse: np.ndarray) -> np.ndarray:
    """Logit of going to the smart counter unprompted (never, for the averse)."""
    return np.where(
        averse, -30.0, b.self_logit + np.asarray(b.self_age)[age] + b.self_habit * habit
    )


def _decline_table(b: Behaviour) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative decline reason weights by (age band, cash-bound), and their reason codes."""
    names = ("customer_declined", "elderly_unable", "id_check", "other", "with_cash")
    rows = []
    for age in range(len(AGE_BANDS)):
        for cash_bound in (0, 1):
            rows.append(
                [
                    b.decline_declined,
                    b.decline_elderly[age],
                    b.decline_id_check,
                    b.decline_other,
                    b.decline_with_cash * cash_bound,
                ]
            )
    w = np.asarray(rows, dtype=float)
    return np.cumsum(w, axis=1) / w.sum(axis=1, keepdims=True), np.array(
        [REASON_INDEX[r] for r in names]
    )
