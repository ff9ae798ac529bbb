"""The lobby's queues, event by event, compiled: teller windows and smart counters.

One call simulates many branch-days: customers come sorted by day and ticket time, each
with a route decided beforehand (``Routes``: which queue first, seconds of service at a
window and at a device, patience at the device queue). The queues are first come, first
served multi-server queues with real waiting: a window calls the next customer when it
frees, a device takes the next customer in its line, a customer who has waited longer than
their patience at the smart counter gives up and joins the teller line, and a customer who
finds every device down goes straight to the teller line. Devices go down for the fault
intervals given. Each day starts empty and ends when the last customer leaves.

Staff and devices may change by hour (``Routes.hour_windows`` / ``hour_devices``): at the
start of each hour the open windows and devices become that hour's; a window or device that
closes while in use finishes its customer first, and the lines keep their order. Without
them, the day's counts hold all day, exactly as before.

This is the one queueing core of the project: the synthetic generator writes its canonical
rows from these times, and the SimPy model in the tests is its readable reference.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

# How a visit ended at the smart counter.
NO_DEVICE, SERVED, GAVE_UP, FAULT = 0, 1, 2, 3

_ARRIVE_TELLER, _TELLER_DONE, _ARRIVE_STM, _STM_DONE, _GIVE_UP, _DOWN, _UP, _HOUR = range(8)
_NO_HOURS = np.zeros((0, 0), dtype=np.int64)


@dataclass(frozen=True)
class Routes:
    """Every customer's route, one element per customer; days as offsets into them.

    ``stm_first``: goes to the smart counter before any window (arriving ``stm_delay``
    seconds after the ticket); otherwise the customer waits for a window first and, when
    ``stm_s`` > 0, walks on to the smart counter after it. ``teller_s``: service at the
    window for the business that is the teller's anyway; ``back_s``: extra service at a
    window for the device business when the smart counter turned the customer away.
    """

    day_start: np.ndarray  # (days + 1,) int64
    windows: np.ndarray  # (days,) int64 teller windows open
    devices: np.ndarray  # (days,) int64 smart counters
    down_start: np.ndarray  # (days, max devices) float64, seconds of day; < 0 none
    down_end: np.ndarray  # (days, max devices) float64
    arrival: np.ndarray  # (n,) float64 seconds of day, sorted within each day
    stm_first: np.ndarray  # (n,) bool
    stm_delay: np.ndarray  # (n,) float64
    teller_s: np.ndarray  # (n,) float64
    stm_s: np.ndarray  # (n,) float64 device occupancy, 0: no smart counter
    back_s: np.ndarray  # (n,) float64
    patience: np.ndarray  # (n,) float64
    walk_s: float = 30.0
    # Open windows and devices by hour from opening, (days, hours) int64, the devices at
    # most ``devices``; None: ``windows`` and ``devices`` all day.
    hour_windows: np.ndarray | None = None
    hour_devices: np.ndarray | None = None


@dataclass(frozen=True)
class QueueTimes:
    """What the queues did to each customer, and how busy the servers were per day."""

    teller_call: np.ndarray  # first call to a window before the device; -1 none
    stm_call: np.ndarray  # start at a device; -1 none
    stm_join: np.ndarray  # arrival at the smart counter; -1 none
    back_call: np.ndarray  # call to a window after the device (or turned away); -1 none
    back_join: np.ndarray  # joined the teller line after the device; -1 none
    outcome: np.ndarray  # NO_DEVICE, SERVED, GAVE_UP, FAULT
    finished: np.ndarray
    teller_busy_s: np.ndarray  # (days,) window-seconds in service
    stm_busy_s: np.ndarray  # (days,) device-seconds in service


def _jit(fn):  # type: ignore[no-untyped-def]
    """Compile with Numba when it is installed (and not switched off), else run as Python."""
    if os.environ.get("SMARTCOUNTER_NO_JIT"):
        return fn
    try:
        from numba import njit
    except ImportError:  # pragma: no cover - numba is a dependency
        return fn
    return njit(cache=True, nogil=True)(fn)


@_jit
def _heap_push(ht, hk, hc, size, t, kind, who):  # type: ignore[no-untyped-def]
    # A binary heap on three arrays, ordered by time, then kind, then customer: ties
    # resolve the same way every run.
    i = size
    ht[i] = t
    hk[i] = kind
    hc[i] = who
    while i > 0:
        p = (i - 1) // 2
        if ht[p] < ht[i] or (
            ht[p] == ht[i] and (hk[p] < hk[i] or (hk[p] == hk[i] and hc[p] <= hc[i]))
        ):
            break
        ht[p], ht[i] = ht[i], ht[p]
        hk[p], hk[i] = hk[i], hk[p]
        hc[p], hc[i] = hc[i], hc[p]
        i = p
    return size + 1


@_jit
def _heap_pop(ht, hk, hc, size):  # type: ignore[no-untyped-def]
    t, kind, who = ht[0], hk[0], hc[0]
    size -= 1
    ht[0], hk[0], hc[0] = ht[size], hk[size], hc[size]
    i = 0
    while True:
        left = 2 * i + 1
        if left >= size:
            break
        m = left
        r = left + 1
        if r < size and (
            ht[r] < ht[left]
            or (
                ht[r] == ht[left] and (hk[r] < hk[left] or (hk[r] == hk[left] and hc[r] < hc[left]))
            )
        ):
            m = r
        if ht[i] < ht[m] or (
            ht[i] == ht[m] and (hk[i] < hk[m] or (hk[i] == hk[m] and hc[i] <= hc[m]))
        ):
            break
        ht[m], ht[i] = ht[i], ht[m]
        hk[m], hk[i] = hk[i], hk[m]
        hc[m], hc[i] = hc[i], hc[m]
        i = m
    return t, kind, who, size


@_jit
def _simulate(  # type: ignore[no-untyped-def]
    day_start,
    windows,
    devices,
    down_start,
    down_end,
    arrival,
    stm_first,
    stm_delay,
    teller_s,
    stm_s,
    back_s,
    patience,
    walk_s,
    hour_windows,
    hour_devices,
    teller_call,
    stm_call,
    stm_join,
    back_call,
    back_join,
    outcome,
    finished,
    teller_busy,
    stm_busy,
):
    n_days = day_start.shape[0] - 1
    most = 0
    for d in range(n_days):
        most = max(most, day_start[d + 1] - day_start[d])
    slots = down_start.shape[1]
    cap = 6 * most + 4 * slots + 8 + hour_windows.shape[1]
    ht = np.empty(cap, np.float64)
    hk = np.empty(cap, np.int64)
    hc = np.empty(cap, np.int64)
    tq = np.empty(2 * most + 1, np.int64)  # teller line (FIFO), customers may join twice
    sq = np.empty(most + 1, np.int64)  # smart-counter line
    waiting = np.zeros(most + 1, np.bool_)  # still in the smart-counter line
    back = np.zeros(most + 1, np.bool_)  # the next window visit is after the device
    dev_busy = np.zeros(max(slots, 1), np.bool_)
    dev_down = np.zeros(max(slots, 1), np.bool_)
    for d in range(n_days):
        first = day_start[d]
        n = day_start[d + 1] - first
        if n == 0:
            continue
        nw = max(windows[d], 1)
        nd = devices[d]
        nopen = nd  # devices open this hour (0 .. nopen-1)
        hours = hour_windows.shape[1]
        if hours > 0:
            nw = max(hour_windows[d, 0], 1)
            nopen = min(hour_devices[d, 0], nd)
        # Free windows; below 0 when windows closed while serving (they close when done).
        free_windows = nw
        th = 0
        tt = 0
        sh = 0
        st = 0
        size = 0
        for k in range(nd):
            dev_busy[k] = False
            dev_down[k] = False
            if down_start[d, k] >= 0.0:
                size = _heap_push(ht, hk, hc, size, down_start[d, k], _DOWN, k)
                size = _heap_push(ht, hk, hc, size, down_end[d, k], _UP, k)
        for h in range(1, hours):
            size = _heap_push(ht, hk, hc, size, h * 3600.0, _HOUR, h)
        for j in range(n):
            i = first + j
            waiting[j] = False
            back[j] = False
            teller_call[i] = -1.0
            stm_call[i] = -1.0
            stm_join[i] = -1.0
            back_call[i] = -1.0
            back_join[i] = -1.0
            outcome[i] = NO_DEVICE
            finished[i] = arrival[i]
            if stm_first[i] and stm_s[i] > 0.0:
                size = _heap_push(ht, hk, hc, size, arrival[i] + stm_delay[i], _ARRIVE_STM, j)
            else:
                size = _heap_push(ht, hk, hc, size, arrival[i], _ARRIVE_TELLER, j)
        busy_t = 0.0
        busy_s = 0.0
        while size > 0:
            t, kind, j, size = _heap_pop(ht, hk, hc, size)
            i = first + j
            if kind == _ARRIVE_TELLER:
                if back[j]:
                    back_join[i] = t
                if free_windows > 0:
                    free_windows -= 1
                    size = _serve(
                        ht,
                        hk,
                        hc,
                        size,
                        t,
                        i,
                        j,
                        back,
                        teller_call,
                        back_call,
                        teller_s,
                        back_s,
                        stm_first,
                        stm_s,
                        outcome,
                    )
                else:
                    tq[tt] = j
                    tt += 1
            elif kind == _TELLER_DONE:
                busy_t += t - (
                    teller_call[i] if teller_call[i] >= 0.0 and not back[j] else back_call[i]
                )
                if not back[j] and not stm_first[i] and stm_s[i] > 0.0:
                    back[j] = True
                    size = _heap_push(ht, hk, hc, size, t + walk_s, _ARRIVE_STM, j)
                else:
                    finished[i] = t
                if free_windows < 0:
                    free_windows += 1  # this window closed in the hour that began
                elif th < tt:
                    nxt = tq[th]
                    th += 1
                    size = _serve(
                        ht,
                        hk,
                        hc,
                        size,
                        t,
                        first + nxt,
                        nxt,
                        back,
                        teller_call,
                        back_call,
                        teller_s,
                        back_s,
                        stm_first,
                        stm_s,
                        outcome,
                    )
                else:
                    free_windows += 1
            elif kind == _ARRIVE_STM:
                stm_join[i] = t
                back[j] = True
                k = -1
                up = 0
                for m in range(nopen):
                    if not dev_down[m]:
                        up += 1
                        if k < 0 and not dev_busy[m]:
                            k = m
                if up == 0:
                    outcome[i] = FAULT
                    size = _heap_push(ht, hk, hc, size, t, _ARRIVE_TELLER, j)
                elif k >= 0 and sh == st:
                    dev_busy[k] = True
                    stm_call[i] = t
                    outcome[i] = SERVED
                    size = _heap_push(ht, hk, hc, size, t + stm_s[i], _STM_DONE, j * 64 + k)
                else:
                    sq[st] = j
                    st += 1
                    waiting[j] = True
                    size = _heap_push(ht, hk, hc, size, t + patience[i], _GIVE_UP, j)
            elif kind == _STM_DONE:
                k = j % 64
                j = j // 64
                i = first + j
                busy_s += t - stm_call[i]
                dev_busy[k] = False
                if stm_first[i] and teller_s[i] > 0.0:
                    size = _heap_push(ht, hk, hc, size, t + walk_s, _ARRIVE_TELLER, j)
                else:
                    finished[i] = t
                size, sh = _next_device(
                    ht,
                    hk,
                    hc,
                    size,
                    t,
                    k if k < nopen else -1,
                    first,
                    sq,
                    sh,
                    st,
                    waiting,
                    dev_busy,
                    dev_down,
                    stm_call,
                    stm_s,
                    outcome,
                )
            elif kind == _GIVE_UP:
                if waiting[j]:
                    waiting[j] = False
                    outcome[i] = GAVE_UP
                    size = _heap_push(ht, hk, hc, size, t, _ARRIVE_TELLER, j)
            elif kind == _DOWN:
                dev_down[j] = True
                size, sh = _flush_if_none_up(
                    ht, hk, hc, size, t, nopen, first, sq, sh, st, waiting, dev_down, outcome
                )
            elif kind == _UP:
                dev_down[j] = False
                size, sh = _next_device(
                    ht,
                    hk,
                    hc,
                    size,
                    t,
                    j if j < nopen else -1,
                    first,
                    sq,
                    sh,
                    st,
                    waiting,
                    dev_busy,
                    dev_down,
                    stm_call,
                    stm_s,
                    outcome,
                )
            else:  # _HOUR: this hour's windows and devices open
                now_w = max(hour_windows[d, j], 1)
                free_windows += now_w - nw
                nw = now_w
                while free_windows > 0 and th < tt:
                    nxt = tq[th]
                    th += 1
                    free_windows -= 1
                    size = _serve(
                        ht,
                        hk,
                        hc,
                        size,
                        t,
                        first + nxt,
                        nxt,
                        back,
                        teller_call,
                        back_call,
                        teller_s,
                        back_s,
                        stm_first,
                        stm_s,
                        outcome,
                    )
                was = nopen
                nopen = min(hour_devices[d, j], nd)
                for m in range(was, nopen):
                    size, sh = _next_device(
                        ht,
                        hk,
                        hc,
                        size,
                        t,
                        m,
                        first,
                        sq,
                        sh,
                        st,
                        waiting,
                        dev_busy,
                        dev_down,
                        stm_call,
                        stm_s,
                        outcome,
                    )
                size, sh = _flush_if_none_up(
                    ht, hk, hc, size, t, nopen, first, sq, sh, st, waiting, dev_down, outcome
                )
        teller_busy[d] = busy_t
        stm_busy[d] = busy_s


@_jit
def _serve(  # type: ignore[no-untyped-def]
    ht,
    hk,
    hc,
    size,
    t,
    i,
    j,
    back,
    teller_call,
    back_call,
    teller_s,
    back_s,
    stm_first,
    stm_s,
    outcome,
):
    if back[j]:
        back_call[i] = t
        seconds = (teller_s[i] if stm_first[i] else 0.0) + (
            back_s[i] if outcome[i] == 2 or outcome[i] == 3 else 0.0
        )
        seconds = max(seconds, 1.0)
    else:
        teller_call[i] = t
        seconds = max(teller_s[i], 1.0)
    return _heap_push(ht, hk, hc, size, t + seconds, _TELLER_DONE, j)


@_jit
def _next_device(  # type: ignore[no-untyped-def]
    ht,
    hk,
    hc,
    size,
    t,
    k,
    first,
    sq,
    sh,
    st,
    waiting,
    dev_busy,
    dev_down,
    stm_call,
    stm_s,
    outcome,
):
    if k < 0 or dev_busy[k] or dev_down[k]:
        return size, sh
    while sh < st:
        w = sq[sh]
        sh += 1
        if waiting[w]:
            waiting[w] = False
            i = first + w
            dev_busy[k] = True
            stm_call[i] = t
            outcome[i] = SERVED
            size = _heap_push(ht, hk, hc, size, t + stm_s[i], _STM_DONE, w * 64 + k)
            break
    return size, sh


@_jit
def _flush_if_none_up(  # type: ignore[no-untyped-def]
    ht, hk, hc, size, t, nopen, first, sq, sh, st, waiting, dev_down, outcome
):
    # With every open device down, the device line goes to the windows (a fault).
    for m in range(nopen):
        if not dev_down[m]:
            return size, sh
    while sh < st:
        w = sq[sh]
        sh += 1
        if waiting[w]:
            waiting[w] = False
            outcome[first + w] = FAULT
            size = _heap_push(ht, hk, hc, size, t, _ARRIVE_TELLER, w)
    return size, sh


def simulate_queues(routes: Routes) -> QueueTimes:
    """Run the queues of every day in ``routes``."""
    n = routes.arrival.shape[0]
    days = routes.day_start.shape[0] - 1
    out = QueueTimes(
        teller_call=np.empty(n),
        stm_call=np.empty(n),
        stm_join=np.empty(n),
        back_call=np.empty(n),
        back_join=np.empty(n),
        outcome=np.empty(n, dtype=np.int64),
        finished=np.empty(n),
        teller_busy_s=np.zeros(days),
        stm_busy_s=np.zeros(days),
    )
    if int(routes.devices.max(initial=0)) >= 64:
        raise ValueError("at most 63 smart counters per branch")
    _simulate(
        np.ascontiguousarray(routes.day_start, dtype=np.int64),
        np.ascontiguousarray(routes.windows, dtype=np.int64),
        np.ascontiguousarray(routes.devices, dtype=np.int64),
        np.ascontiguousarray(routes.down_start, dtype=np.float64),
        np.ascontiguousarray(routes.down_end, dtype=np.float64),
        np.ascontiguousarray(routes.arrival, dtype=np.float64),
        np.ascontiguousarray(routes.stm_first, dtype=np.bool_),
        np.ascontiguousarray(routes.stm_delay, dtype=np.float64),
        np.ascontiguousarray(routes.teller_s, dtype=np.float64),
        np.ascontiguousarray(routes.stm_s, dtype=np.float64),
        np.ascontiguousarray(routes.back_s, dtype=np.float64),
        np.ascontiguousarray(routes.patience, dtype=np.float64),
        float(routes.walk_s),
        _NO_HOURS if routes.hour_windows is None else _hours(routes.hour_windows, days),
        _NO_HOURS if routes.hour_devices is None else _hours(routes.hour_devices, days),
        out.teller_call,
        out.stm_call,
        out.stm_join,
        out.back_call,
        out.back_join,
        out.outcome,
        out.finished,
        out.teller_busy_s,
        out.stm_busy_s,
    )
    return out


def _hours(counts: np.ndarray, days: int) -> np.ndarray:
    out = np.ascontiguousarray(counts, dtype=np.int64)
    if out.ndim != 2 or out.shape[0] != days:
        raise ValueError("hourly counts need one row per day")
    return out


def simulate_replications(routes: list[Routes], workers: int | None = None) -> list[QueueTimes]:
    """Run independent replications on ``workers`` threads (default: every core).

    The compiled core releases the interpreter lock, so threads use the cores in parallel
    without copying the routes into other processes; results come back in input order.
    """
    workers = workers or os.cpu_count() or 1
    if workers == 1 or len(routes) < 2:
        return [simulate_queues(r) for r in routes]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lobby-queues") as pool:
        return list(pool.map(simulate_queues, routes))
