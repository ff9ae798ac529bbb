"""The lobby's queues written plainly in SimPy: the readable reference of ``queues.py``.

Same model as the compiled engine: customers follow their ``Routes`` — a window first (then
the smart counter when they have device business), or the smart counter first (then a
window for any business left); windows call the longest-waiting customer; a device takes
the first of its line; a customer gives up after their patience in the device line, and
one who finds every device down goes to the windows at once; devices go down and up at
the given times. Also: ``draw_routes``, a lobby's day drawn at random for tests and the
benchmark.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import numpy as np
import simpy

from smartcounter.simulation.queues import FAULT, GAVE_UP, NO_DEVICE, SERVED, QueueTimes, Routes


def draw_routes(
    rng: np.random.Generator,
    *,
    days: int = 1,
    per_hour: float = 12.0,
    hours: float = 8.0,
    windows: int = 2,
    devices: int = 2,
    stm_share: float = 0.45,
    teller_first_share: float = 0.3,
    teller_mean_s: float = 300.0,
    stm_mean_s: float = 330.0,
    patience_mean_s: float = 600.0,
    fault_chance: float = 0.05,
) -> Routes:
    """A random lobby: Poisson arrivals, exponential service, exponential patience."""
    counts = rng.poisson(per_hour * hours, days)
    day_start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    n = int(day_start[-1])
    arrival = np.concatenate([np.sort(rng.uniform(0.0, hours * 3600.0, c)) for c in counts])
    to_stm = rng.random(n) < stm_share
    teller_first = to_stm & (rng.random(n) < teller_first_share)
    has_teller = ~to_stm | teller_first | (rng.random(n) < 0.15)
    slots = max(devices, 1)
    fault = (rng.random((days, slots)) < fault_chance) & (np.arange(slots) < devices)
    start = rng.uniform(0.0, hours * 3600.0, (days, slots))
    end = start + rng.uniform(1800.0, 4 * 3600.0, (days, slots))
    return Routes(
        day_start=day_start,
        windows=np.full(days, windows, dtype=np.int64),
        devices=np.full(days, devices, dtype=np.int64),
        down_start=np.where(fault, start, -1.0),
        down_end=np.where(fault, end, -1.0),
        arrival=arrival,
        stm_first=to_stm & ~teller_first,
        stm_delay=rng.uniform(30.0, 60.0, n),
        teller_s=np.where(has_teller, rng.exponential(teller_mean_s, n), 0.0),
        stm_s=np.where(to_stm, rng.exponential(stm_mean_s, n), 0.0),
        back_s=np.where(to_stm, rng.exponential(teller_mean_s * 0.8, n), 0.0),
        patience=rng.exponential(patience_mean_s, n),
    )


class _Day:
    """One day of the lobby in SimPy."""

    def __init__(self, routes: Routes, d: int, out: dict[str, np.ndarray]) -> None:
        self.r = routes
        self.out = out
        self.env = simpy.Environment()
        self.windows = simpy.Resource(self.env, capacity=max(int(routes.windows[d]), 1))
        self.nd = int(routes.devices[d])
        self.busy = [False] * self.nd
        self.down = [False] * self.nd
        self.line: list[tuple[int, simpy.Event]] = []  # the smart-counter line, in order
        self.teller_busy = 0.0
        self.stm_busy = 0.0
        first, last = int(routes.day_start[d]), int(routes.day_start[d + 1])
        for k in range(self.nd):
            if routes.down_start[d, k] >= 0:
                self.env.process(self.fault(k, routes.down_start[d, k], routes.down_end[d, k]))
        for i in range(first, last):
            self.env.process(self.customer(i))

    # -- a customer's visit --------------------------------------------------------------
    def customer(self, i: int) -> Generator[Any, Any, None]:
        r, out = self.r, self.out
        yield self.env.timeout(r.arrival[i])
        out["finished"][i] = r.arrival[i]
        if r.stm_first[i] and r.stm_s[i] > 0:
            yield self.env.timeout(r.stm_delay[i])
            served = yield from self.smart_counter(i)
            if served and r.teller_s[i] > 0:
                yield self.env.timeout(r.walk_s)
                yield from self.window(i, "back_call", r.teller_s[i])
            elif not served:
                yield from self.window(i, "back_call", r.teller_s[i] + r.back_s[i])
        else:
            yield from self.window(i, "teller_call", r.teller_s[i])
            if r.stm_s[i] > 0:
                yield self.env.timeout(r.walk_s)
                served = yield from self.smart_counter(i)
                if not served:
                    yield from self.window(i, "back_call", r.back_s[i])

    def window(self, i: int, call: str, seconds: float) -> Generator[Any, Any, None]:
        if call == "back_call":
            self.out["back_join"][i] = self.env.now
        with self.windows.request() as request:
            yield request
            self.out[call][i] = self.env.now
            seconds = max(seconds, 1.0)
            yield self.env.timeout(seconds)
            self.teller_busy += seconds
        self.out["finished"][i] = self.env.now

    def smart_counter(self, i: int) -> Generator[Any, Any, bool]:
        now = self.env.now
        self.out["stm_join"][i] = now
        up = [k for k in range(self.nd) if not self.down[k]]
        if not up:
            self.out["outcome"][i] = FAULT
            return False
        free = [k for k in up if not self.busy[k]]
        if free and not self.line:
            k = free[0]
            self.busy[k] = True
        else:
            called = self.env.event()
            self.line.append((i, called))
            patience = self.env.timeout(self.r.patience[i])
            fired = yield called | patience
            if called not in fired:
                self.line.remove((i, called))
                self.out["outcome"][i] = GAVE_UP
                return False
            k = called.value
            if k < 0:
                self.out["outcome"][i] = FAULT
                return False
        self.out["outcome"][i] = SERVED
        self.out["stm_call"][i] = self.env.now
        yield self.env.timeout(self.r.stm_s[i])
        self.stm_busy += self.r.stm_s[i]
        self.busy[k] = False
        self.out["finished"][i] = self.env.now
        self.next_in_line(k)
        return True

    # -- devices ---------------------------------------------------------------------------
    def next_in_line(self, k: int) -> None:
        if self.busy[k] or self.down[k] or not self.line:
            return
        _, called = self.line.pop(0)
        self.busy[k] = True
        called.succeed(k)

    def fault(self, k: int, down: float, up: float) -> Generator[Any, Any, None]:
        yield self.env.timeout(down)
        self.down[k] = True
        if all(self.down):
            while self.line:
                _, called = self.line.pop(0)
                called.succeed(-1)
        yield self.env.timeout(up - down)
        self.down[k] = False
        self.next_in_line(k)


def simulate_reference(routes: Routes) -> QueueTimes:
    """``queues.simulate_queues`` in SimPy, day by day."""
    n = routes.arrival.shape[0]
    days = routes.day_start.shape[0] - 1
    out = {
        name: np.full(n, -1.0)
        for name in ("teller_call", "stm_call", "stm_join", "back_call", "back_join", "finished")
    }
    out["outcome"] = np.full(n, NO_DEVICE, dtype=np.int64)
    teller_busy, stm_busy = np.zeros(days), np.zeros(days)
    for d in range(days):
        day = _Day(routes, d, out)
        day.env.run()
        teller_busy[d], stm_busy[d] = day.teller_busy, day.stm_busy
    return QueueTimes(
        teller_call=out["teller_call"],
        stm_call=out["stm_call"],
        stm_join=out["stm_join"],
        back_call=out["back_call"],
        back_join=out["back_join"],
        outcome=out["outcome"],
        finished=out["finished"],
        teller_busy_s=teller_busy,
        stm_busy_s=stm_busy,
    )
