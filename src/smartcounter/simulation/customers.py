"""A week's customers: when they come, who they are, what they bring, and their random numbers.

Everything random about a customer is drawn here, up front, from the replication's stream:
arrival, profile, business, service times and the uniforms that later decide each triage
touch, patience and decline reason. A what-if changes only staff, devices and practice, so
the same seed gives the same customers in the baseline and in the scenario (common random
numbers), and their difference is the scenario's effect, not noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from smartcounter.simulation.model import (
    CASH,
    CASH_LEG,
    COMPOSITE,
    COUNTER,
    MIGRATABLE,
    NONCASH,
    OTHER_LEG,
    BranchModel,
)

# Columns of a customer's uniforms.
U_SELF = 0  # goes to the smart counter unprompted
U_COVER = (1, 3, 5)  # stage 1, 2, 3: staff try to reach them
U_ACCEPT = (2, 4, 6)  # …and they accept
U_REASON = 7  # which decline reason they give
U_PATIENCE_QUEUE = 8  # how long they wait for a smart counter
U_PATIENCE_AUTH = 9  # how long they wait for an authorisation
U_SLOW = 10  # their session runs slow
U_TOUCH = (11, 12)  # length of the stage 1 and 2 touches
UNIFORMS = 13


@dataclass(frozen=True, eq=False)
class DayCustomers:
    """Customers of one or more days in arrival order, their transactions laid end to end."""

    weekday: np.ndarray  # 0 Monday … 6 Sunday; days in the order simulated
    arrival: np.ndarray  # seconds from opening
    age: np.ndarray
    tier: np.ndarray
    averse: np.ndarray  # will not use a machine unless won over
    habit: np.ndarray  # in the habit of using the smart counter
    kind: np.ndarray  # NONCASH, CASH, COMPOSITE, COUNTER
    leg_start: np.ndarray  # (n + 1,) where each customer's legs start
    leg_code: np.ndarray  # index into the model's codes
    leg_class: np.ndarray  # MIGRATABLE, CASH_LEG, OTHER_LEG
    leg_stm_s: np.ndarray  # duration if done at a smart counter
    leg_teller_s: np.ndarray  # duration if done at a teller window
    leg_u_id: np.ndarray  # uniform deciding a manual ID check
    u: np.ndarray  # (n, UNIFORMS)

    def __len__(self) -> int:
        return int(self.arrival.shape[0])

    def spans(self) -> list[tuple[int, int, int]]:
        """(weekday, first, end) of each day's customers."""
        days = self.weekday
        if days.shape[0] == 0:
            return []
        starts = np.flatnonzero(np.concatenate([[True], days[1:] != days[:-1]]))
        ends = np.concatenate([starts[1:], [days.shape[0]]])
        return [(int(days[a]), int(a), int(b)) for a, b in zip(starts, ends, strict=True)]


def draw_week(
    model: BranchModel, weekdays: tuple[int, ...], rng: np.random.Generator
) -> DayCustomers:
    """Draw the customers of ``weekdays`` (0 Monday) of ``model``'s branch, day after day."""
    rates = model.arrivals.rates[list(weekdays)]  # (days, hours)
    counts = rng.poisson(rates)
    n = int(counts.sum())
    day = np.repeat(np.arange(len(weekdays)), counts.sum(axis=1))
    hour = np.repeat(np.tile(np.arange(rates.shape[1]), len(weekdays)), counts.ravel())
    arrival = (hour + rng.random(n)) * 3600.0
    order = np.lexsort((arrival, day))
    arrival, day = arrival[order], day[order]

    mix = model.mix
    profile = np.minimum(
        np.searchsorted(np.cumsum(mix.weight), rng.random(n), side="right"), mix.weight.shape[0] - 1
    )
    age = mix.age[profile]
    b = model.behaviour
    averse = rng.random(n) < np.asarray(b.averse)[age]
    habit = rng.random(n) < np.asarray(model.practice.habit)[age]
    m, c, o = mix.migratable[profile], mix.cash[profile], mix.other[profile]
    kind = np.where(m > 0, np.where(c > 0, COMPOSITE, NONCASH), np.where(c > 0, CASH, COUNTER))

    legs = m + c + o
    leg_start = np.concatenate([[0], np.cumsum(legs)]).astype(np.int64)
    owner = np.repeat(np.arange(n), legs)
    within = np.arange(owner.shape[0]) - leg_start[owner]
    # Cash legs first (deposited to the card before the non-cash part), then other counter
    # business, then migratable business.
    first_other = c[owner]
    first_mig = first_other + o[owner]
    leg_class = np.where(
        within < first_other, CASH_LEG, np.where(within < first_mig, OTHER_LEG, MIGRATABLE)
    )
    leg_code = np.zeros(owner.shape[0], dtype=np.int64)
    u_code = rng.random(owner.shape[0])
    leg_age = age[owner]
    leg_kind = kind[owner]
    group = (leg_kind * 16 + leg_age) * 4 + leg_class
    for g in np.unique(group):
        rows = np.flatnonzero(group == g)
        codes, cum = mix.codes[(int(g) // 64, int(g) // 4 % 16, int(g) % 4)]
        pick = np.minimum(np.searchsorted(cum, u_code[rows], side="right"), cum.shape[0] - 1)
        leg_code[rows] = codes[pick]

    u_stm = rng.random(owner.shape[0])
    u_teller = rng.random(owner.shape[0])
    leg_u_id = rng.random(owner.shape[0])
    factor = np.asarray(model.service.age_factor)[leg_age]
    leg_stm_s = np.zeros(owner.shape[0])
    leg_teller_s = np.zeros(owner.shape[0])
    for code in np.unique(leg_code):
        rows = np.flatnonzero(leg_code == code)
        name = model.codes[int(code)]
        leg_teller_s[rows] = model.service.teller[name].sample(u_teller[rows]) * factor[rows]
        if model.migratable[code]:
            leg_stm_s[rows] = model.service.stm[name].sample(u_stm[rows]) * factor[rows]
    u = rng.random((n, UNIFORMS))
    return DayCustomers(
        weekday=np.asarray(weekdays, dtype=np.int64)[day] if n else np.zeros(0, dtype=np.int64),
        arrival=arrival,
        age=age,
        tier=mix.tier[profile],
        averse=averse,
        habit=habit,
        kind=kind,
        leg_start=leg_start,
        leg_code=leg_code,
        leg_class=leg_class,
        leg_stm_s=np.maximum(leg_stm_s, 1.0),
        leg_teller_s=np.maximum(leg_teller_s, 1.0),
        leg_u_id=leg_u_id,
        u=u,
    )


def draw_faults(
    days: int,
    slots: int,
    rate: float,
    hours: int,
    fault_hours: tuple[int, int],
    rng: np.random.Generator,
) -> list[list[tuple[int, float, float]]]:
    """Device faults of each day: (device, down from, up at) in seconds from opening.

    Draws for a fixed number of device ``slots`` whatever the branch has, so that a
    second device in a what-if does not change the first one's faults.
    """
    u = rng.random((days, slots, 3))
    out: list[list[tuple[int, float, float]]] = []
    for day in range(days):
        faults = []
        for d in range(slots):
            if u[day, d, 0] < rate:
                start = float(np.floor(u[day, d, 1] * hours)) * 3600.0
                span = fault_hours[1] - fault_hours[0] + 1
                length = fault_hours[0] + int(u[day, d, 2] * span)
                faults.append((d, start, start + length * 3600.0))
        out.append(faults)
    return out
