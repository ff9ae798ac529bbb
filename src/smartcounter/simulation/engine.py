"""The simulator's lobby: each customer's choices, then the branch-day's queues, compiled.

The lobby has one queue model, the generator's: ``queues.py`` simulates the teller windows
and the smart counters event by event (first come first served, patience and giving up,
device faults). What happens before the queues is decided here, customer by customer, from
the customers' uniforms (``decisions.py``) and the branch's staff:

* triage (stage 1 at the door, 2 in the hall, 3 at the window) reaches the customers its
  staff mean to reach as far as they have time: a stage's coverage is scaled by its staff's
  capacity (touches an hour) against the tickets of that hour, as the generator does;
* a customer who goes to the smart counter (unprompted, or won over at stage 1 or 2) walks
  there first; a cash visit (the cash leg at the window first) and a stage-3 convert go on
  to the smart counter after the window; the device business comes back to a window when
  the customer gives up in the device line or every device is down;
* a session at a device keeps it while the customer waits for a staff member's
  authorisation, a wait that only a dedicated specialist spares them (capacity below one:
  a lobby manager, tellers leaving their windows; a backup teller makes up some of it).

Staff and devices that change by hour (``BranchModel.hourly``) change these capacities and
the open windows and devices hour by hour; staff busy time is still recorded against the
day's roster.

Then the queues run (``simulate_queues``; replications on every core) and their times
become the run's records: visits, legs (transactions, with channel and reason), waits per
queue, staff and device busy time, and the area under each queue's length.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace

import numpy as np

from smartcounter.simulation.behaviour import REASON_INDEX
from smartcounter.simulation.customers import U_PATIENCE_AUTH, U_TOUCH, DayCustomers
from smartcounter.simulation.decisions import ChoiceArrays, CodeFacts, decide_arrays
from smartcounter.simulation.model import MIGRATABLE, BranchModel
from smartcounter.simulation.queues import (
    FAULT,
    GAVE_UP,
    SERVED,
    QueueTimes,
    Routes,
    simulate_replications,
)
from smartcounter.simulation.servers import SMART_COUNTER, Duties, duties_of, staff_of

# Queues, as recorded.
TELLER_QUEUE, STM_QUEUE, AUTH_QUEUE = 0, 1, 2
QUEUES = ("teller", "stm", "authorisation")
# Channels of a leg, as recorded (-1: never done, which a finished day does not leave).
STM, TELLER, PENDING = 0, 1, -1
NO_REASON = -1

_FAULT = REASON_INDEX["device_fault"]
_BUSY_REASON = REASON_INDEX["device_busy"]
_NOT_SUPPORTED = REASON_INDEX["not_supported"]
_ID_CHECK = REASON_INDEX["id_check"]


@dataclass
class Records:
    """Flat records of a run: chunks of columns, one chunk per simulated replication.

    ``*_rows`` hold the same records row by row, for an event loop that writes them so.
    """

    visits: list[dict[str, np.ndarray]] = field(default_factory=list)
    legs: list[dict[str, np.ndarray]] = field(default_factory=list)
    # replication, day, customer, queue, joined_s, wait_s, served
    waits: list[dict[str, np.ndarray]] = field(default_factory=list)
    # replication, day, role, index, busy_s, open_s
    servers: list[dict[str, np.ndarray]] = field(default_factory=list)
    # replication, day, queue, area_s (area under its length, customer-seconds)
    lines: list[dict[str, np.ndarray]] = field(default_factory=list)
    wait_rows: list[tuple[int | float | bool, ...]] = field(default_factory=list)
    server_rows: list[tuple[int | str | float, ...]] = field(default_factory=list)
    line_rows: list[tuple[int | float, ...]] = field(default_factory=list)


@dataclass(frozen=True, eq=False)
class LobbyPlan:
    """Customers of one or more replications, what they chose, and their routes."""

    model: BranchModel
    replication: np.ndarray  # (days,) the replication each day belongs to
    customers: DayCustomers
    choices: ChoiceArrays
    weekdays: tuple[int, ...]  # of each simulated day, in order
    day: np.ndarray  # (n,) index of the customer's day among ``weekdays``
    touched: tuple[np.ndarray, np.ndarray, np.ndarray]
    accepted: tuple[np.ndarray, np.ndarray, np.ndarray]
    bound: np.ndarray  # means to use the smart counter
    intent: np.ndarray  # …and the branch has one
    planned: np.ndarray  # (legs,) business meant for the device
    leg_device_s: np.ndarray  # (legs,) its time at the device
    auth: np.ndarray  # (n,) needs an authorisation at the device
    auth_wait: np.ndarray  # (n,) seconds waiting for the authoriser
    setup: LobbySetup
    routes: Routes


@dataclass(frozen=True, eq=False)
class LobbySetup:
    """What a branch model's staff can do, worked out once for all its replications."""

    roles: tuple[str, ...]  # every staff member, then every device
    index: tuple[int, ...]  # within the role
    door_per_hour: float  # stage-1 touches an hour the door staff manage
    hall_per_hour: float  # stage-2 touches an hour
    # (7,) authorisation capacity by weekday against a dedicated specialist's (1.0); the
    # tellers who take turns authorising have a backup on some days and not on others
    auth_capacity: np.ndarray
    duties: tuple[Duties, ...]  # by weekday, Monday first
    seconds: np.ndarray  # (7, 3) mean seconds of a door touch, a hall touch, an authorisation
    share: np.ndarray  # (7, 4, staff) share of door, hall, authorisation, window work
    hourly: HourlySetup | None = None  # capacities hour by hour, when staffing changes

    @classmethod
    def of(cls, model: BranchModel) -> LobbySetup:
        """The setup of ``model``'s lobby."""
        s, p, timing = model.staffing, model.practice, model.timing
        hourly = HourlySetup.of(model) if model.hourly is not None else None
        staff = staff_of(s)
        duties = tuple(duties_of(staff, s, p, timing, w) for w in range(7))
        d0 = duties[0]
        # Someone who triages both at the door and in the hall splits their time.
        both = set(d0.door) & set(d0.hall)
        door = sum(3600.0 / d0.door_s[k] / (2 if k in both else 1) for k in d0.door)
        hall = sum(3600.0 / d0.hall_s[k] / (2 if k in both else 1) for k in d0.hall)
        speed = timing.authorise_speed
        capacity = np.ones(7)
        for w, d in enumerate(duties):
            if d.authorisers:
                c = min(speed.get(staff[k].role, 1.0) for k in d.authorisers)
                capacity[w] = c * (model.behaviour.auth_backup if d.backups else 1.0)
        seconds = np.zeros((7, 3))
        share = np.zeros((7, 4, len(staff)))
        for w, d in enumerate(duties):
            authorisers = (*d.authorisers, *d.backups)
            no_seconds: dict[int, float] = {}
            groups: tuple[tuple[tuple[int, ...], dict[int, float]], ...] = (
                (d.door, d.door_s),
                (d.hall, d.hall_s),
                (authorisers, d.authorise_s),
                (d.windows, no_seconds),
            )
            for g, (members, secs) in enumerate(groups):
                if members:
                    share[w, g, list(members)] += 1.0 / len(members)
                    if g < 3:
                        seconds[w, g] = float(np.mean([secs[k] for k in members]))
        devices = s.smart_counters
        return cls(
            roles=(*(m.role for m in staff), *([SMART_COUNTER] * devices)),
            index=(*(m.index for m in staff), *range(devices)),
            door_per_hour=door,
            hall_per_hour=hall,
            auth_capacity=capacity,
            duties=duties,
            seconds=seconds,
            share=share,
            hourly=hourly,
        )


@dataclass(frozen=True, eq=False)
class HourlySetup:
    """Capacities by opening hour of a branch whose staffing changes over the day."""

    door_per_hour: np.ndarray  # (hours,)
    hall_per_hour: np.ndarray  # (hours,)
    auth_capacity: np.ndarray  # (hours, 7)
    windows: np.ndarray  # (hours,) int64 windows open
    devices: np.ndarray  # (hours,) int64 devices open

    @classmethod
    def of(cls, model: BranchModel) -> HourlySetup:
        """Each hour's capacities, as the whole day would have them with that hour's staff."""
        assert model.hourly is not None
        if len(model.hourly) != model.arrivals.hours:
            raise ValueError("hourly staffing needs one staffing per opening hour")
        by_staffing: dict[object, LobbySetup] = {}
        for h in model.hourly:
            if h not in by_staffing:
                by_staffing[h] = LobbySetup.of(replace(model, staffing=h, hourly=None))
        setups = [by_staffing[h] for h in model.hourly]
        return cls(
            door_per_hour=np.array([x.door_per_hour for x in setups]),
            hall_per_hour=np.array([x.hall_per_hour for x in setups]),
            auth_capacity=np.stack([x.auth_capacity for x in setups]),
            windows=np.array([max(h.windows_open, 1) for h in model.hourly], dtype=np.int64),
            devices=np.array([h.smart_counters for h in model.hourly], dtype=np.int64),
        )


def plan_lobby(
    model: BranchModel,
    facts: CodeFacts,
    c: DayCustomers,
    faults: Sequence[Sequence[tuple[int, float, float]]],
    *,
    replication: int | np.ndarray,
    setup: LobbySetup | None = None,
    spans: Sequence[tuple[int, int, int]] | None = None,
) -> LobbyPlan:
    """Decide every customer's route through the lobby of ``model`` (``faults``: per day of
    ``c``, the device faults as (device, down from, up at); ``spans``: the days as
    (weekday, first, end), by default where the weekday changes; ``replication``: of all
    days, or per day)."""
    b, s, timing = model.behaviour, model.staffing, model.timing
    n = len(c)
    spans = list(spans) if spans is not None else c.spans()
    weekdays = tuple(w for w, _, _ in spans)
    sizes = np.array([e - f for _, f, e in spans], dtype=np.int64)
    day = np.repeat(np.arange(len(spans)), sizes)
    setup = setup or LobbySetup.of(model)

    # -- how far each stage's staff reach, by the tickets of the hour ----------------------
    hours = model.arrivals.hours
    hour = np.clip((c.arrival // 3600.0).astype(np.int64), 0, max(hours - 1, 0))
    bucket = day * hours + hour
    load = np.maximum(np.bincount(bucket, minlength=len(spans) * hours)[bucket], 1).astype(float)
    windows = max(s.windows_open, 1)
    by_hour = setup.hourly
    door_cap: float | np.ndarray = setup.door_per_hour
    hall_cap: float | np.ndarray = setup.hall_per_hour
    window_cap: int | np.ndarray = windows
    if by_hour is not None:
        door_cap, hall_cap = by_hour.door_per_hour[hour], by_hour.hall_per_hour[hour]
        window_cap = by_hour.windows[hour]
    reach = (
        np.minimum(1.0, door_cap / load),
        np.minimum(1.0, hall_cap / load),
        np.minimum(1.0, window_cap * b.teller_per_hour / load),
    )
    ch = decide_arrays(model, facts, c, reach)

    # -- triage: unprompted, stage 1, 2, 3 --------------------------------------------------
    mig = ch.mig
    self_go = mig & ch.goes_unprompted
    touch1 = mig & ch.cover[0]
    acc1 = touch1 & (self_go | ch.accept[0])
    bound = self_go | acc1
    touch2 = mig & ~bound & ch.cover[1]
    acc2 = touch2 & ch.accept[1]
    bound = bound | acc2
    touch3 = mig & ~bound & ch.cover[2]
    acc3 = touch3 & ch.accept[2]
    bound = bound | acc3
    intent = bound & (s.smart_counters > 0)
    if by_hour is not None:
        intent = intent & (by_hour.devices[hour] > 0)

    # -- routes ----------------------------------------------------------------------------
    owner = np.repeat(np.arange(n), np.diff(c.leg_start))
    is_mig = c.leg_class == MIGRATABLE
    slow = np.where(ch.slow, timing.slow_factor, 1.0)
    leg_device_s = c.leg_stm_s * slow[owner]
    planned = is_mig & intent[owner] & ~ch.leg_unsupported & ~ch.leg_id_check
    device_s = np.bincount(owner, weights=leg_device_s * planned, minlength=n)
    teller_s = np.bincount(owner, weights=c.leg_teller_s * ~planned, minlength=n)
    teller_s = teller_s + timing.repromotion_s * touch3
    back_s = np.bincount(owner, weights=c.leg_teller_s * planned, minlength=n)
    # Every session at a device waits for a staff member's go-ahead, as in the generator.
    auth = device_s > 0
    weekday = np.asarray(weekdays, dtype=np.int64)[day] if n else np.zeros(0, dtype=np.int64)
    capacity = (
        setup.auth_capacity[weekday] if by_hour is None else by_hour.auth_capacity[hour, weekday]
    )
    mean_wait = b.auth_wait_s * (1.0 / np.minimum(capacity, 1.0) - 1.0)
    auth_wait = np.where(auth, mean_wait * -np.log1p(-c.u[:, U_PATIENCE_AUTH]), 0.0)
    low, high = b.hall_delay_s
    hall_delay = low + c.u[:, U_TOUCH[1]] * (high - low)
    stm_first = intent & ~ch.composite & ~acc3
    stm_delay = np.where(acc2, hall_delay, 0.0) + timing.walk_s

    days = len(spans)
    slots = max(s.smart_counters, 1)
    down_start = np.full((days, slots), -1.0)
    down_end = np.full((days, slots), -1.0)
    for d, day_faults in enumerate(faults):
        for k, down, up in day_faults:
            if k < s.smart_counters:
                down_start[d, k], down_end[d, k] = down, up
    routes = Routes(
        day_start=np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64),
        windows=np.full(days, windows, dtype=np.int64),
        devices=np.full(days, s.smart_counters, dtype=np.int64),
        down_start=down_start,
        down_end=down_end,
        arrival=c.arrival.astype(np.float64),
        stm_first=stm_first,
        stm_delay=stm_delay,
        teller_s=teller_s,
        stm_s=device_s + auth_wait,
        back_s=back_s,
        patience=ch.patience_queue,
        walk_s=timing.walk_s,
        hour_windows=None if by_hour is None else np.tile(by_hour.windows, (days, 1)),
        hour_devices=None if by_hour is None else np.tile(by_hour.devices, (days, 1)),
    )
    return LobbyPlan(
        model=model,
        replication=np.broadcast_to(np.asarray(replication, dtype=np.int64), (len(spans),)),
        customers=c,
        choices=ch,
        weekdays=weekdays,
        day=day,
        touched=(touch1, touch2, touch3),
        accepted=(acc1, acc2, acc3),
        bound=bound,
        intent=intent,
        planned=planned,
        leg_device_s=leg_device_s,
        auth=auth,
        auth_wait=auth_wait,
        setup=setup,
        routes=routes,
    )


def run_lobbies(plans: Sequence[LobbyPlan], records: Records, workers: int | None = None) -> None:
    """Run the queues of every plan and append the records; a plan's days are cut into
    one part per core, and the parts run on every core."""
    workers = workers or os.cpu_count() or 1
    for plan in plans:
        parts = _split(plan.routes, workers)
        times = simulate_replications(parts, workers)
        record(plan, _joined(times), records)


def _split(r: Routes, parts: int) -> list[Routes]:
    """``r`` cut into up to ``parts`` runs of whole days with about as many customers each."""
    days = r.day_start.shape[0] - 1
    n = int(r.day_start[-1])
    if parts < 2 or days < 2:
        return [r]
    cuts = np.searchsorted(r.day_start, np.linspace(0, n, parts + 1)[1:-1])
    bounds = np.unique(np.concatenate([[0], np.clip(cuts, 1, days - 1), [days]]))
    out = []
    for d0, d1 in itertools.pairwise(bounds):
        c0, c1 = int(r.day_start[d0]), int(r.day_start[d1])
        out.append(
            Routes(
                day_start=r.day_start[d0 : d1 + 1] - c0,
                windows=r.windows[d0:d1],
                devices=r.devices[d0:d1],
                down_start=r.down_start[d0:d1],
                down_end=r.down_end[d0:d1],
                arrival=r.arrival[c0:c1],
                stm_first=r.stm_first[c0:c1],
                stm_delay=r.stm_delay[c0:c1],
                teller_s=r.teller_s[c0:c1],
                stm_s=r.stm_s[c0:c1],
                back_s=r.back_s[c0:c1],
                patience=r.patience[c0:c1],
                walk_s=r.walk_s,
                hour_windows=None if r.hour_windows is None else r.hour_windows[d0:d1],
                hour_devices=None if r.hour_devices is None else r.hour_devices[d0:d1],
            )
        )
    return out


def _joined(times: list[QueueTimes]) -> QueueTimes:
    if len(times) == 1:
        return times[0]
    return QueueTimes(
        *(np.concatenate([getattr(t, f.name) for t in times]) for f in fields(QueueTimes))
    )


def join_customers(
    weeks: Sequence[DayCustomers],
) -> tuple[DayCustomers, list[tuple[int, int, int]], np.ndarray]:
    """Several replications' customers as one: (customers, their days as spans, the
    replication index of each day, counting from 0)."""
    spans: list[tuple[int, int, int]] = []
    day_rep: list[int] = []
    offset = 0
    for k, c in enumerate(weeks):
        for w, a, e in c.spans():
            spans.append((w, a + offset, e + offset))
            day_rep.append(k)
        offset += len(c)
    legs = np.cumsum([0, *(int(c.leg_start[-1]) for c in weeks)])
    joined = DayCustomers(
        **{
            f.name: np.concatenate([getattr(c, f.name) for c in weeks])
            for f in fields(DayCustomers)
            if f.name not in ("leg_start", "u")
        },
        leg_start=np.concatenate(
            [[0], *(c.leg_start[1:] + legs[k] for k, c in enumerate(weeks))]
        ).astype(np.int64),
        u=np.concatenate([c.u for c in weeks]),
    )
    return joined, spans, np.asarray(day_rep, dtype=np.int64)


def _clipped(start: np.ndarray, seconds: np.ndarray, close: float) -> np.ndarray:
    """Seconds of ``[start, start + seconds)`` within opening hours; 0 where not started."""
    busy = np.minimum(start + seconds, close) - np.maximum(start, 0.0)
    return np.where(start >= 0.0, np.maximum(busy, 0.0), 0.0)


def record(plan: LobbyPlan, q: QueueTimes, records: Records) -> None:
    """The plan's records from what the queues did."""
    c, ch = plan.customers, plan.choices
    n = len(c)
    rep = plan.replication[plan.day]  # of each customer
    # Customers are numbered within their replication.
    first = np.flatnonzero(np.concatenate([[True], rep[1:] != rep[:-1]])) if n else rep
    local = np.arange(n) - np.repeat(first, np.diff(np.concatenate([first, [n]])))
    weekday = np.asarray(plan.weekdays, dtype=np.int64)
    cday = weekday[plan.day] if n else np.zeros(0, dtype=np.int64)
    owner = np.repeat(np.arange(n), np.diff(c.leg_start))
    is_mig = c.leg_class == MIGRATABLE
    served = q.outcome == SERVED
    gave_up = q.outcome == GAVE_UP
    fault = (q.outcome == FAULT) & plan.intent
    leg_stm = plan.planned & served[owner]

    # -- legs: where each was done, and why migratable business stayed at a window ---------
    t1, t2, t3 = plan.touched
    touched = t1 | t2 | t3
    device_reason = np.where(gave_up, _BUSY_REASON, _FAULT)
    customer_reason = np.where(
        plan.intent & (gave_up | fault),
        device_reason,
        np.where(
            plan.intent,
            _ID_CHECK,
            np.where(
                plan.bound,
                _NOT_SUPPORTED,
                np.where(touched, ch.decline_reason, ch.untouched_reason),
            ),
        ),
    )
    leg_reason = np.where(ch.leg_unsupported, _NOT_SUPPORTED, customer_reason[owner])
    legs = owner.shape[0]
    records.legs.append(
        {
            "replication": rep[owner],
            "day": cday[owner],
            "customer": local[owner],
            "leg": np.arange(legs) - c.leg_start[owner],
            "code": c.leg_code,
            "channel": np.where(leg_stm, STM, TELLER).astype(np.int64),
            "reason": np.where(is_mig & ~leg_stm, leg_reason, NO_REASON).astype(np.int64),
            "duration_s": np.where(leg_stm, plan.leg_device_s, c.leg_teller_s),
        }
    )
    a1, a2, a3 = plan.accepted
    records.visits.append(
        {
            "replication": rep,
            "day": cday,
            "customer": local,
            "arrival_s": c.arrival,
            "finished_s": np.maximum(q.finished, c.arrival),
            "age": c.age,
            "tier": c.tier,
            "kind": c.kind,
            "m": np.bincount(owner, weights=is_mig, minlength=n).astype(np.int64),
            "d": np.bincount(owner, weights=is_mig & leg_stm, minlength=n).astype(np.int64),
            "t1": t1.astype(np.int64),
            "a1": a1.astype(np.int64),
            "t2": t2.astype(np.int64),
            "a2": a2.astype(np.int64),
            "t3": t3.astype(np.int64),
            "a3": a3.astype(np.int64),
            "busy": (gave_up & plan.intent).astype(np.int64),
            "fault": fault.astype(np.int64),
        }
    )

    # -- waits: the first window, the device line, the window after it, the authoriser ------
    idx = np.arange(n)
    first = q.teller_call >= 0.0
    at_device = q.stm_join >= 0.0
    left_line = at_device & ~served & (q.back_join > q.stm_join)  # gave up, or all down
    back = q.back_call >= 0.0
    authorised = plan.auth & served
    parts = (
        (first, TELLER_QUEUE, c.arrival, q.teller_call - c.arrival, True),
        (at_device & served, STM_QUEUE, q.stm_join, q.stm_call - q.stm_join, True),
        (left_line, STM_QUEUE, q.stm_join, q.back_join - q.stm_join, False),
        (back, TELLER_QUEUE, q.back_join, q.back_call - q.back_join, True),
        (authorised, AUTH_QUEUE, q.stm_call, plan.auth_wait, True),
    )
    who = np.concatenate([idx[m] for m, *_ in parts])
    queue = np.concatenate([np.full(int(m.sum()), k, dtype=np.int64) for m, k, *_ in parts])
    wait_s = np.concatenate([w[m] for m, _, _, w, _ in parts])
    # Replication by replication, however many ran together.
    order = np.argsort(rep[who], kind="stable")
    who, queue, wait_s = who[order], queue[order], wait_s[order]
    records.waits.append(
        {
            "replication": rep[who],
            "day": cday[who],
            "customer": local[who],
            "queue": queue,
            "joined_s": np.concatenate([j[m] for m, _, j, _, _ in parts])[order],
            "wait_s": np.maximum(wait_s, 0.0),
            "served": np.concatenate([np.full(int(m.sum()), ok) for m, *_, ok in parts])[order],
        }
    )
    days = len(plan.weekdays)
    wait_day = plan.day[who]
    area = np.bincount(wait_day * 3 + queue, weights=np.maximum(wait_s, 0.0), minlength=days * 3)
    records.lines.append(
        {
            "replication": np.repeat(plan.replication, 3),
            "day": np.repeat(weekday, 3),
            "queue": np.tile(np.arange(3, dtype=np.int64), days),
            "area_s": area,
        }
    )
    records.servers.append(_busy(plan, q))


def _busy(plan: LobbyPlan, q: QueueTimes) -> dict[str, np.ndarray]:
    """Busy seconds within opening hours of every staff member and device, day by day."""
    ch, model, setup = plan.choices, plan.model, plan.setup
    r = plan.routes
    close = model.arrivals.hours * 3600.0
    days = len(plan.weekdays)
    weekday = np.asarray(plan.weekdays, dtype=np.int64)
    back_seconds = np.maximum(
        np.where(r.stm_first, r.teller_s, 0.0)
        + np.where((q.outcome == GAVE_UP) | (q.outcome == FAULT), r.back_s, 0.0),
        1.0,
    )
    window = _clipped(q.teller_call, np.maximum(r.teller_s, 1.0), close) + _clipped(
        q.back_call, back_seconds, close
    )
    device = _clipped(q.stm_call, r.stm_s, close)
    t1, t2, _ = plan.touched
    authorised = plan.auth & (q.outcome == SERVED)
    cw = weekday[plan.day] if plan.day.shape[0] else np.zeros(0, dtype=np.int64)
    sec = setup.seconds[cw]
    work = np.stack(
        [
            np.bincount(plan.day, weights=ch.touch[0] * sec[:, 0] * t1, minlength=days),
            np.bincount(plan.day, weights=ch.touch[1] * sec[:, 1] * t2, minlength=days),
            np.bincount(plan.day, weights=sec[:, 2] * authorised, minlength=days),
            np.bincount(plan.day, weights=window, minlength=days),
        ],
        axis=1,
    )  # (days, 4)
    staff_busy = np.einsum("dg,dgk->dk", work, setup.share[weekday])
    devices = model.staffing.smart_counters
    device_busy = np.bincount(plan.day, weights=device, minlength=days) / max(devices, 1)
    busy = np.concatenate([staff_busy, np.repeat(device_busy[:, None], devices, axis=1)], axis=1)
    servers = len(setup.roles)
    rows = days * servers
    return {
        "replication": np.repeat(plan.replication, servers),
        "day": np.repeat(weekday, servers),
        "role": np.tile(np.asarray(setup.roles, dtype=object), days),
        "index": np.tile(np.asarray(setup.index, dtype=np.int64), days),
        "busy_s": np.minimum(busy.ravel(), close),
        "open_s": np.full(rows, close),
    }
