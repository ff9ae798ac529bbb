"""One week of one block of branches, vectorised: tickets, triage, transactions, times.

Every step works on whole arrays (one element per visit, per transaction or per
branch-day-hour); the only Python loop is simulate_network's, over weeks and blocks. The rows
come out as integer arrays (indexes into branches, staff, codes, days); frames.py turns
them into canonical text.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from smartcounter.canonical.catalogue import Catalogue, load_catalogue
from smartcounter.canonical.tables import AGE_BANDS, CUSTOMER_TIERS
from smartcounter.simulation.behaviour import (
    LEG_CASH,
    LEG_COMPOSITE,
    LEG_COUNTER,
    REASON_INDEX,
    Behaviour,
    Tables,
    VisitKind,
    acceptance_logit,
    draw,
    draw_rows,
    expit,
    self_logit,
    tables,
)
from smartcounter.simulation.queues import FAULT, GAVE_UP, Routes, simulate_queues
from smartcounter.synthetic.customers import (
    FOLLOW_UP,
    HABIT,
    CustomerPool,
    build_pool,
    steady_states,
)
from smartcounter.synthetic.network import Network, Practices

HOURS = 8  # opening hours 9:00-17:00, one bucket each
DAY_END = 86_399
PREFIX_A, PREFIX_B, PREFIX_V = 0, 1, 2  # teller queue, smart-counter queue, VIP
STM, TELLER = 0, 1
ACCEPTED, DECLINED = 0, 1
NO_REASON = -1
PRIVATE = CUSTOMER_TIERS.index("private")


@dataclass
class Rows:
    """Rows of one table as named integer arrays of equal length."""

    columns: dict[str, np.ndarray]

    def __len__(self) -> int:
        first = next(iter(self.columns.values()))
        return int(first.shape[0])


@dataclass
class WeekRows:
    """What one block produced in one week; transactions and triage rows name their visit
    by its position among ``visits``."""

    visits: Rows
    transactions: Rows
    triage: Rows


@dataclass(frozen=True)
class WeekContext:
    """Where a week sits in the run: its number, first day's index, and weekdays."""

    week: int  # 0 for the first week of the run
    first_day: int  # index of its first day from the run's start date
    weekdays: np.ndarray  # (7,) Monday=0 … Sunday=6


def reach_chance(b: Behaviour, p: Practices, week: int = 0) -> np.ndarray:
    """Chance that a non-cash visit reaches the smart counter, by (branch, age band, averse, state).

    States are 0 no habit, 1 no habit but a follow-up, 2 habit; ordinary load and a
    mass-tier customer. Used to start each pool in balance.
    """
    nb = len(p)
    out = np.empty((nb, len(AGE_BANDS), 2, 3))
    quality = _quality(p, week)
    load = 0.85  # hall staff reach fewer customers in busy hours
    zero = np.zeros(nb, dtype=np.int64)
    for age in range(len(AGE_BANDS)):
        for averse in (0, 1):
            for state, (habit, follow) in enumerate(((0, 0), (0, 1), (1, 0))):
                a = np.full(nb, age)
                h = np.full(nb, habit)
                f = np.full(nb, follow) * p.follow_up
                v = np.full(nb, averse)
                miss = 1.0 - expit(self_logit(b, a, h, v.astype(bool)))
                for stage, cover in (
                    (1, p.stage1_coverage),
                    (2, p.stage2_coverage),
                    (3, p.stage3_coverage),
                ):
                    pa = expit(
                        acceptance_logit(b, stage, a, zero, h, f, quality, p.elderly_support, v)
                    )
                    miss = miss * (1.0 - cover * load * pa)
                out[:, age, averse, state] = (1.0 - miss) * 0.95
    return out


def initial_states(b: Behaviour, p: Practices) -> np.ndarray:
    """Starting shares of (no habit, follow-up, habit) by branch and age band."""
    return steady_states(b, reach_chance(b, p), p.follow_up)


def _quality(p: Practices, week: int) -> np.ndarray:
    return np.asarray(np.clip(p.guidance_quality + p.quality_trend * week, 0.05, 0.98))


def simulate_week(
    p: Practices,
    first_branch: int,
    pool: CustomerPool,
    ctx: WeekContext,
    b: Behaviour,
    t: Tables,
    rng: np.random.Generator,
) -> WeekRows:
    """Simulate one week of the branches ``p`` (a block starting at ``first_branch``)."""
    nb = len(p)
    # -- tickets per branch and day, then per hour -----------------------------------
    day_w = np.asarray(b.day_weights)
    is_open = np.ones((nb, 7), dtype=bool)
    is_open[:, ctx.weekdays == 6] = p.open_sunday[:, None]
    # Normalise over a full week's opening days, so daily_tickets is tickets per opening day.
    norm = (day_w.sum() - day_w[6] * ~p.open_sunday) / (7 - (~p.open_sunday).astype(float))
    noise = np.exp(rng.normal(0.0, b.week_noise_sd, nb) - b.week_noise_sd**2 / 2)
    lam = p.daily_tickets[:, None] * day_w[ctx.weekdays][None, :] / norm[:, None] * noise[:, None]
    per_day = rng.poisson(lam * is_open)
    bd = np.repeat(np.arange(nb * 7), per_day.ravel())
    n = bd.shape[0]
    vb = bd // 7
    vd = bd % 7
    weekend = ctx.weekdays[vd] >= 5
    u = rng.random(n)
    hour = draw(np.cumsum(b.weekday_hours) / sum(b.weekday_hours), u)
    hour[weekend] = draw(np.cumsum(b.weekend_hours) / sum(b.weekend_hours), u[weekend])
    issued = (b.opening_hour + hour) * 3600 + rng.integers(0, 3600, n)
    order = np.argsort(bd.astype(np.int64) * 86_400 + issued, kind="stable")
    hour = hour[order]
    issued = issued[order]
    hb = bd * HOURS + hour  # branch-day-hour bucket
    buckets = nb * 7 * HOURS
    per_hour = np.bincount(hb, minlength=buckets)

    # -- customers and what they came for --------------------------------------------
    ci = pool.pick(vb, rng.random(n))
    age = pool.age[ci]
    tier = pool.tier[ci]
    averse = pool.averse[ci]
    state = pool.state[ci]
    habit = (state & HABIT).astype(np.int64)
    follow = ((state & FOLLOW_UP) > 0).astype(np.int64)
    kind = draw_rows(t.kinds_cum, p.branch_type[vb] * len(AGE_BANDS) + age, rng.random(n))
    legs = _legs(kind, age, b, t, rng)
    leg_visit, leg_code = legs
    leg_mig = t.migratable[leg_code]
    unsupported = p.not_at_stm[vb[leg_visit], leg_code] & leg_mig
    mig_legs = np.bincount(leg_visit, weights=leg_mig, minlength=n)
    doable_legs = np.bincount(leg_visit, weights=leg_mig & ~unsupported, minlength=n)
    mig = mig_legs > 0
    doable = doable_legs > 0
    comp = kind == VisitKind.COMPOSITE
    split = p.cash_split[vb]
    cash_bound = comp & ~split  # stays at the teller with its cash unless the branch splits

    # -- triage: self, stage 1, 2, 3 -------------------------------------------------
    greeters = p.role_count("greeter")
    lobby = p.role_count("lobby_manager")
    specialists = p.role_count("stm_specialist")
    tellers = p.role_count("teller")
    door_cap = np.where(greeters > 0, greeters * b.greeter_per_hour, b.door_lobby_manager_per_hour)
    hall_n = specialists + lobby
    hall_cap = np.where(hall_n > 0, hall_n * b.hall_staff_per_hour, b.part_time_hall_per_hour)
    teller_cap = np.maximum(tellers, 1) * b.teller_per_hour
    load = per_hour[hb].astype(float)
    c1 = p.stage1_coverage[vb] * np.minimum(1.0, door_cap[vb] / load)
    c2 = p.stage2_coverage[vb] * np.minimum(1.0, hall_cap[vb] / load)
    teller_reach = np.minimum(1.0, teller_cap[vb] / load)
    c3 = p.stage3_coverage[vb] * teller_reach
    c3 = np.where(comp & split, np.maximum(c3, b.split_referral_coverage * teller_reach), c3)

    quality = _quality(p, ctx.week)[vb]
    support = p.elderly_support[vb]
    p_self = expit(self_logit(b, age, habit, averse))
    p_self = np.where(comp & ~split, p_self * b.self_split_without_practice, p_self)
    p_self = np.where(doable, p_self, 0.0)
    comp_shift = b.composite_accept * comp
    p1 = expit(
        acceptance_logit(b, 1, age, tier, habit, follow, quality, support, averse) + comp_shift
    )
    p2 = expit(
        acceptance_logit(b, 2, age, tier, habit, follow, quality, support, averse) + comp_shift
    )
    p3 = expit(
        acceptance_logit(b, 3, age, tier, habit, follow, quality, support, averse)
        + b.split_referral * comp
    )
    blocked_sell = cash_bound | ~doable
    p1 = np.where(blocked_sell, 0.0, p1)
    p2 = np.where(blocked_sell, 0.0, p2)
    p3 = np.where(blocked_sell, 0.0, p3)

    r = rng.random((7, n))
    self_go = mig & (r[0] < p_self)
    touch1 = mig & (r[1] < c1)
    acc1 = touch1 & (self_go | (r[2] < p1))
    bound = self_go | acc1
    touch2 = mig & ~bound & (r[3] < c2)
    acc2 = touch2 & (r[4] < p2)
    bound = bound | acc2
    touch3 = mig & ~bound & (r[5] < c3)
    acc3 = touch3 & (r[6] < p3)
    intent = (bound | acc3) & (p.smart_counters[vb] > 0)

    # -- routes through the lobby's queues --------------------------------------------------
    auth = np.where(
        specialists > 0,
        np.where(p.backup_teller, b.auth_backup, 1.0),
        np.where(lobby > 0, b.auth_lobby_manager, b.auth_tellers),
    )
    lv = leg_visit
    nl = lv.shape[0]
    id_check = leg_mig & (rng.random(nl) < t.id_check[leg_code])
    planned = leg_mig & intent[lv] & ~unsupported & ~id_check  # business for the device
    age_f = np.asarray(b.age_duration)[age[lv]]
    noise = np.exp(rng.normal(0.0, 0.3, nl)) * age_f
    stm_dur = np.maximum(t.stm_seconds[leg_code] * noise, 20.0).astype(np.int64)
    tel_dur = np.maximum(t.teller_seconds[leg_code] * noise, 20.0).astype(np.int64)
    stm_first = intent & ~comp & ~acc3
    teller_s = np.bincount(lv, weights=tel_dur * ~planned, minlength=n) + b.repromotion_s * touch3
    device_s = np.bincount(lv, weights=stm_dur * planned, minlength=n)
    back_s = np.bincount(lv, weights=tel_dur * planned, minlength=n)
    r2 = rng.random((6, n))
    hall_delay = b.hall_delay_s[0] + r2[0] * (b.hall_delay_s[1] - b.hall_delay_s[0])
    ts1 = issued + rng.integers(0, 21, n)
    stm_delay = np.where(acc2, hall_delay, ts1 - issued) + b.walk_s
    auth_wait = rng.exponential(1.0, n) * (b.auth_wait_s * (1.0 / np.minimum(auth, 1.0) - 1.0))[vb]
    patience = b.stm_patience_s * rng.weibull(b.stm_patience_shape, n) / _weibull_mean(b)
    days = nb * 7
    down_start, down_end = _faults(p, is_open, b, rng)
    q = simulate_queues(
        Routes(
            day_start=np.concatenate([[0], np.cumsum(per_day.ravel())]),
            windows=np.repeat(np.maximum(np.minimum(tellers, p.teller_windows), 1), 7),
            devices=np.repeat(p.smart_counters, 7),
            down_start=down_start.reshape(days, -1),
            down_end=down_end.reshape(days, -1),
            arrival=issued.astype(np.float64),
            stm_first=stm_first,
            stm_delay=stm_delay,
            teller_s=teller_s,
            # Waiting for an authoriser who is not at the devices (a lobby manager, a
            # teller leaving the window) keeps the device beyond its recorded times.
            stm_s=device_s + (device_s > 0) * auth_wait,
            back_s=back_s,
            patience=patience,
            walk_s=b.walk_s,
        )
    )
    fault = q.outcome == FAULT
    busy = q.outcome == GAVE_UP
    blocked = fault | busy
    stm_visit = intent & ~blocked
    device_reason = np.where(fault, REASON_INDEX["device_fault"], REASON_INDEX["device_busy"])

    # -- why customers declined --------------------------------------------------------
    declined_reason = t.decline_reasons[draw_rows(t.decline_cum, age * 2 + cash_bound, r2[1])]
    declined_reason = np.where(cash_bound, REASON_INDEX["with_cash"], declined_reason)
    declined_reason = np.where(~doable & mig, REASON_INDEX["not_supported"], declined_reason)
    touched = touch1 | touch2 | touch3
    no_touch_reason = np.where(cash_bound, REASON_INDEX["with_cash"], REASON_INDEX["no_guidance"])
    teller_reason = np.where(
        blocked, device_reason, np.where(touched, declined_reason, no_touch_reason)
    )
    teller_reason = np.where(~doable & mig, REASON_INDEX["not_supported"], teller_reason)

    # -- transactions: channel, staff, reason ----------------------------------------------
    leg_stm = planned & stm_visit[lv]
    leg_reason = np.where(
        leg_mig & ~leg_stm,
        np.where(
            stm_visit[lv],
            np.where(unsupported, REASON_INDEX["not_supported"], REASON_INDEX["id_check"]),
            np.where(unsupported, REASON_INDEX["not_supported"], teller_reason[lv]),
        ),
        NO_REASON,
    )
    teller_staff = p.role_start("teller")[vb] + (r2[2] * np.maximum(tellers[vb], 1)).astype(
        np.int64
    )
    stm_load = np.bincount(hb[intent], minlength=buckets) / np.maximum(
        np.repeat(p.smart_counters * auth, 7 * HOURS) * (60.0 / b.stm_minutes), 1e-9
    )
    auth_staff = _authoriser(p, vb, vd + ctx.first_day, stm_load[hb], r2[3], r2[4])

    # -- times: from the queues ------------------------------------------------------------
    teller_call = q.teller_call.astype(np.int64)
    stm_call = q.stm_call.astype(np.int64)
    back_call = q.back_call.astype(np.int64)
    called = np.where(teller_call >= 0, teller_call, np.where(stm_call >= 0, stm_call, back_call))
    # Hall staff approach a customer while they wait for a window (or before the door).
    ts2 = np.where(
        acc2,
        issued + hall_delay,
        ts1 + np.minimum(hall_delay, np.maximum(called - ts1, 0) * (r2[5] * 0.8 + 0.1)),
    ).astype(np.int64)
    ts3 = np.maximum(np.where(teller_call >= 0, teller_call, called), ts2)
    # Each leg belongs to one call: the first window, the device, or the window after it.
    first_window = ~planned & (teller_call[lv] >= 0)
    segment = np.where(leg_stm, 1, np.where(first_window, 0, 2))
    seg_start = np.select(
        [segment == 0, segment == 1], [teller_call[lv], stm_call[lv]], default=back_call[lv]
    )
    seg_start = seg_start + np.where(first_window, (b.repromotion_s * touch3[lv]), 0).astype(
        np.int64
    )
    leg_order = np.argsort(lv.astype(np.int64) * 32 + segment * 8 + _leg_number(lv), kind="stable")
    lv = lv[leg_order]
    leg_code = leg_code[leg_order]
    leg_stm = leg_stm[leg_order]
    leg_reason = leg_reason[leg_order]
    segment = segment[leg_order]
    seg_start = seg_start[leg_order]
    duration = np.where(leg_stm, stm_dur[leg_order], tel_dur[leg_order])
    within = _cumulative_before(lv, segment, duration)
    leg_ts = seg_start + within
    finished = np.maximum(q.finished.astype(np.int64), called)
    leg_staff = np.where(leg_stm, auth_staff[lv], teller_staff[lv])

    # -- tickets: queue prefix and number, daily per branch --------------------------------
    prefix = np.where(stm_first & ~acc2, PREFIX_B, np.where(tier == PRIVATE, PREFIX_V, PREFIX_A))
    key = bd.astype(np.int64) * 3 + prefix
    by_key = np.argsort(key, kind="stable")
    sorted_key = key[by_key]
    starts = np.flatnonzero(np.concatenate([[True], sorted_key[1:] != sorted_key[:-1]]))
    group_start = np.repeat(starts, np.diff(np.concatenate([starts, [n]])))
    ticket = np.empty(n, dtype=np.int64)
    ticket[by_key] = np.arange(n) - group_start + 1

    # -- triage touches -------------------------------------------------------------------
    triage = _triage(
        p,
        vb,
        (touch1, touch2, touch3),
        (acc1, acc2, acc3),
        blocked,
        device_reason,
        declined_reason,
        (ts1, ts2, ts3),
        teller_staff,
        rng,
    )

    # -- what customers remember ---------------------------------------------------------
    used = np.bincount(lv, weights=leg_stm, minlength=n) > 0
    _remember(pool, ci, mig, used, age, p.follow_up[vb], state, b, rng)

    branch = vb + first_branch
    day = vd + ctx.first_day
    visits = Rows(
        {
            "branch": branch,
            "day": day,
            "issued": issued,
            "prefix": prefix,
            "ticket": ticket,
            "intent": leg_code[_first_leg(lv, n)],
            "customer": pool.number(ci, vb),
            "age": age,
            "tier": tier,
            "called": np.minimum(called, DAY_END),
            "finished": np.minimum(finished, DAY_END),
        }
    )
    transactions = Rows(
        {
            "visit": lv,
            "branch": branch[lv],
            "leg": _leg_number(lv) + 1,
            "ts": np.minimum(leg_ts, DAY_END),
            "code": leg_code,
            "channel": np.where(leg_stm, STM, TELLER),
            "staff": leg_staff,
            "reason": leg_reason,
            "duration": duration,
        }
    )
    triage.columns["branch"] = branch[triage.columns["visit"]]
    triage.columns["ts"] = np.minimum(triage.columns["ts"], DAY_END)
    return WeekRows(visits=visits, transactions=transactions, triage=triage)


def _legs(
    kind: np.ndarray, age: np.ndarray, b: Behaviour, t: Tables, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Each visit's transactions: (visit index, business code) per leg, in visit order."""
    n = kind.shape[0]
    u = rng.random(n)
    count = np.ones(n, dtype=np.int64)
    noncash = kind == VisitKind.NONCASH
    count += noncash & (u < b.extra_migratable[0])
    count += noncash & (u < b.extra_migratable[1])
    count += (kind == VisitKind.CASH) & (u < b.second_cash)
    count += kind == VisitKind.COMPOSITE
    visit = np.repeat(np.arange(n), count)
    number = np.arange(visit.shape[0]) - np.repeat(np.cumsum(count) - count, count)
    k = kind[visit]
    row = np.select(
        [k == VisitKind.NONCASH, k == VisitKind.CASH, k == VisitKind.COUNTER, number == 0],
        [age[visit], LEG_CASH, LEG_COUNTER, LEG_CASH],
        default=LEG_COMPOSITE,
    )
    code = t.leg_codes[row, draw_rows(t.leg_cum, row, rng.random(visit.shape[0]))]
    return visit, code


def _leg_number(visit: np.ndarray) -> np.ndarray:
    """Position of each leg within its visit (legs grouped by visit), from 0."""
    if visit.shape[0] == 0:
        return visit.copy()
    starts = np.concatenate([[True], visit[1:] != visit[:-1]])
    first = np.flatnonzero(starts)
    return np.arange(visit.shape[0]) - np.repeat(
        first, np.diff(np.concatenate([first, [visit.shape[0]]]))
    )


def _first_leg(visit: np.ndarray, n: int) -> np.ndarray:
    first = np.empty(n, dtype=np.int64)
    first[visit[::-1]] = np.arange(visit.shape[0])[::-1]
    return first


def _cumulative_before(visit: np.ndarray, segment: np.ndarray, duration: np.ndarray) -> np.ndarray:
    """Duration of the earlier legs of the same visit and segment (legs sorted so)."""
    group = visit.astype(np.int64) * 4 + segment
    total = np.cumsum(duration)
    starts = (
        np.concatenate([[True], group[1:] != group[:-1]]) if group.shape[0] else group.astype(bool)
    )
    first_idx = np.flatnonzero(starts)
    sizes = np.diff(np.concatenate([first_idx, [group.shape[0]]]))
    offset = np.repeat(total[first_idx] - duration[first_idx], sizes)
    return np.asarray(total - duration - offset)


def _faults(
    p: Practices, is_open: np.ndarray, b: Behaviour, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """When each smart counter is down, per branch and day: (start, end) seconds of the
    day, -1 for a device-day without a fault; a fault takes a device out for hours."""
    nb = len(p)
    slots = max(int(p.smart_counters.max()) if nb else 0, 1)
    fault = rng.random((nb, 7, slots)) < p.device_fault_rate[:, None, None]
    fault &= np.arange(slots)[None, None, :] < p.smart_counters[:, None, None]
    fault &= is_open[:, :, None]
    start = (b.opening_hour + rng.integers(0, HOURS, (nb, 7, slots))) * 3600.0
    start = start + rng.random((nb, 7, slots)) * 3600.0
    length = rng.integers(b.fault_hours[0], b.fault_hours[1] + 1, (nb, 7, slots)) * 3600.0
    return np.where(fault, start, -1.0), np.where(fault, start + length, -1.0)


def _weibull_mean(b: Behaviour) -> float:
    from math import gamma

    return gamma(1.0 + 1.0 / b.stm_patience_shape)


def _authoriser(
    p: Practices, vb: np.ndarray, day: np.ndarray, rho: np.ndarray, u: np.ndarray, v: np.ndarray
) -> np.ndarray:
    """Who authorises at the smart counter: a specialist, else the lobby manager, else tellers by turns."""
    specialists = p.role_count("stm_specialist")[vb]
    lobby = p.role_count("lobby_manager")[vb]
    tellers = np.maximum(p.role_count("teller")[vb], 1)
    spec = p.role_start("stm_specialist")[vb] + (u * np.maximum(specialists, 1)).astype(np.int64)
    manager = p.role_start("lobby_manager")[vb] + (u * np.maximum(lobby, 1)).astype(np.int64)
    by_turns = p.role_start("teller")[vb] + day % tellers
    backup = p.role_start("teller")[vb] + tellers - 1
    who = np.where(specialists > 0, spec, np.where(lobby > 0, manager, by_turns))
    return np.asarray(np.where(p.backup_teller[vb] & (rho > 0.8) & (v < 0.3), backup, who))


def _triage(
    p: Practices,
    vb: np.ndarray,
    touches: tuple[np.ndarray, np.ndarray, np.ndarray],
    accepts: tuple[np.ndarray, np.ndarray, np.ndarray],
    blocked: np.ndarray,
    device_reason: np.ndarray,
    declined_reason: np.ndarray,
    times: tuple[np.ndarray, np.ndarray, np.ndarray],
    teller_staff: np.ndarray,
    rng: np.random.Generator,
) -> Rows:
    """One row per triage touch, ordered by visit then stage."""
    greeters = p.role_count("greeter")
    lobby = p.role_count("lobby_manager")
    specialists = p.role_count("stm_specialist")
    wealth = p.role_start("wealth_manager")
    # Per branch: who triages at the door (a greeter, else the lobby manager, else the
    # wealth manager) and in the hall (the specialist or lobby manager, else wealth manager).
    door_start = np.where(
        greeters > 0,
        p.role_start("greeter"),
        np.where(lobby > 0, p.role_start("lobby_manager"), wealth),
    )
    door_count = np.maximum(greeters, 1)
    hall_other = np.where(lobby > 0, p.role_start("lobby_manager"), wealth)
    u = rng.random((2, vb.shape[0]))

    def door(idx: np.ndarray) -> np.ndarray:
        b = vb[idx]
        return np.asarray(door_start[b] + (u[0, idx] * door_count[b]).astype(np.int64))

    def hall(idx: np.ndarray) -> np.ndarray:
        b = vb[idx]
        spec = p.role_start("stm_specialist")[b] + (
            u[1, idx] * np.maximum(specialists[b], 1)
        ).astype(np.int64)
        use_spec = (specialists[b] > 0) & ((lobby[b] == 0) | (u[0, idx] < 0.5))
        return np.asarray(np.where(use_spec, spec, hall_other[b]))

    def teller(idx: np.ndarray) -> np.ndarray:
        return np.asarray(teller_staff[idx])

    staff = (door, hall, teller)
    parts = []
    for stage in range(3):
        idx = np.flatnonzero(touches[stage])
        acc = accepts[stage][idx]
        ok = acc & ~blocked[idx]
        reason = np.where(ok, NO_REASON, np.where(acc, device_reason[idx], declined_reason[idx]))
        parts.append(
            (
                idx,
                np.full(idx.shape[0], stage + 1),
                staff[stage](idx),
                times[stage][idx],
                np.where(ok, ACCEPTED, DECLINED),
                reason,
            )
        )
    visit = np.concatenate([x[0] for x in parts])
    stage_col = np.concatenate([x[1] for x in parts])
    order = np.argsort(visit.astype(np.int64) * 4 + stage_col, kind="stable")
    names = ("visit", "stage", "staff", "ts", "outcome", "reason")
    return Rows(
        {name: np.concatenate([x[i] for x in parts])[order] for i, name in enumerate(names)}
    )


def _remember(
    pool: CustomerPool,
    ci: np.ndarray,
    mig: np.ndarray,
    used: np.ndarray,
    age: np.ndarray,
    follow_up: np.ndarray,
    state: np.ndarray,
    b: Behaviour,
    rng: np.random.Generator,
) -> None:
    """Update habits and follow-ups after the week; a customer's last visit counts."""
    r = rng.random((3, ci.shape[0]))
    habit = (state & HABIT) > 0
    habit = np.where(used & (r[0] < np.asarray(b.learn)[age]), True, habit)
    habit = np.where(mig & ~used & (r[1] < b.forget_after_teller), False, habit)
    habit = np.where(mig & (r[2] < b.forget), False, habit)
    follow = np.where(mig, follow_up & ~used, (state & FOLLOW_UP) > 0)
    new = (habit.astype(np.uint8) * HABIT) | (follow.astype(np.uint8) * FOLLOW_UP)
    # Visits are in time order; the last one of each customer decides.
    position = np.arange(ci.shape[0])
    latest = np.full(pool.state.shape[0], -1)
    np.maximum.at(latest, ci, position)
    last = latest[ci] == position
    pool.state[ci[last]] = new[last]


def pool_rng(seed: int, block: int) -> np.random.Generator:
    """The generator of one block's customer pool."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1, block)))


def week_rng(seed: int, week: int, block: int) -> np.random.Generator:
    """The generator of one block's week: independent of how many blocks run together."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2, week, block)))


def simulate_network(
    network: Network, behaviour: Behaviour | None = None, catalogue: Catalogue | None = None
) -> Iterator[tuple[int, int, WeekRows]]:
    """Yield (week, block, rows) for the whole run, in output order."""
    b = behaviour or Behaviour()
    t = tables(b, catalogue or load_catalogue())
    spec = network.spec
    pools: list[CustomerPool | None] = [None] * network.blocks
    for week in range(spec.weeks):
        first_day = week * 7
        weekdays = np.array([(spec.start.weekday() + first_day + d) % 7 for d in range(7)])
        ctx = WeekContext(week=week, first_day=first_day, weekdays=weekdays)
        for block in range(network.blocks):
            rows = network.block_rows(block)
            practices = network.practices_at(week).take(rows)
            pool = pools[block]
            if pool is None:
                first = network.practices_at(0).take(rows)
                pool = build_pool(b, first, initial_states(b, first), pool_rng(spec.seed, block))
                pools[block] = pool
            yield (
                week,
                block,
                simulate_week(
                    practices, rows.start, pool, ctx, b, t, week_rng(spec.seed, week, block)
                ),
            )
