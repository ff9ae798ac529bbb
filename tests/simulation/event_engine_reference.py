"""The simulator's former lobby engine, kept as a reference: a pure-Python event loop with staff
as servers (greeters, hall staff and authorisers busy or free, an authorisation queue).

The simulator now runs its queues on the compiled engine the generator uses
(``smartcounter.simulation.engine``); this loop is kept for the benchmark's side-by-side
timing of the full what-if (``run_python_streams``). It reads the same customers, the same
choices and writes the same records.

A customer takes a ticket (a greeter may triage them: stage 1), goes to the smart counter
or waits for a teller window (hall staff may approach them there: stage 2), is served at
the window (the teller may re-promote the smart counter: stage 3; with the cash split the
teller takes the cash and sends the non-cash part on), and at the smart counter waits for
a free device and, for business that needs it, for a staff member's authorisation — giving
up and going to a teller window when either wait outlasts their patience.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence

import numpy as np

from smartcounter.simulation import rules
from smartcounter.simulation.behaviour import REASON_INDEX
from smartcounter.simulation.customers import DayCustomers, draw_faults, draw_week
from smartcounter.simulation.decisions import Choices, CodeFacts, decide
from smartcounter.simulation.engine import (
    AUTH_QUEUE,
    NO_REASON,
    PENDING,
    STM,
    STM_QUEUE,
    TELLER,
    TELLER_QUEUE,
    Records,
)
from smartcounter.simulation.model import MIGRATABLE, BranchModel
from smartcounter.simulation.results import SimulationResult
from smartcounter.simulation.runner import DEVICE_SLOTS, _stream
from smartcounter.simulation.servers import SMART_COUNTER, Server, duties_of, staff_of

# Where a customer is.
_AWAY, _TELLER_LINE, _STM_LINE, _AUTH_WAIT, _BUSY, _DONE = range(6)
# Event kinds.
_STAFF_FREE, _TELLER_DONE, _AT_STM, _LEG_DONE, _AUTH_DONE, _GIVE_UP, _DOWN, _UP = range(8)

_FAULT = REASON_INDEX["device_fault"]
_BUSY_REASON = REASON_INDEX["device_busy"]
_NOT_SUPPORTED = REASON_INDEX["not_supported"]
_ID_CHECK = REASON_INDEX["id_check"]


def run_python_streams(
    model: BranchModel,
    streams: Sequence[np.random.Generator],
    weekdays: Sequence[int] | None = None,
) -> SimulationResult:
    """``runner.run_streams`` on this Python loop: same customers and faults per stream."""
    days = tuple(weekdays) if weekdays is not None else model.arrivals.open_weekdays
    facts = CodeFacts.of(model)
    records = Records()
    for stream in streams:
        seq = stream.bit_generator.seed_seq
        assert isinstance(seq, np.random.SeedSequence)
        replication = int(seq.spawn_key[-1]) if seq.spawn_key else 0
        customers = draw_week(model, days, _stream(seq, 0))
        faults = draw_faults(
            len(days),
            DEVICE_SLOTS,
            model.practice.fault_rate,
            model.arrivals.hours,
            model.behaviour.fault_hours,
            _stream(seq, 1),
        )
        spans = {w for w, _, _ in customers.spans()}
        kept = [f for w, f in zip(days, faults, strict=True) if w in spans]
        Lobby(model, facts, customers, kept, replication=replication).run(records)
    return SimulationResult.of(records, model, len(days))


class Lobby:
    """One branch's lobby over the days of one replication (each day starts empty)."""

    teller_rule: rules.QueueRule = staticmethod(rules.first_come)
    device_rule: rules.QueueRule = staticmethod(rules.first_come)
    auth_rule: rules.QueueRule = staticmethod(rules.first_come)
    staff_rule: rules.StaffRule = staticmethod(rules.first_free)

    def __init__(
        self,
        model: BranchModel,
        facts: CodeFacts,
        customers: DayCustomers,
        faults: list[list[tuple[int, float, float]]],
        *,
        replication: int,
    ) -> None:
        self.model = model
        self.c = customers
        self.ch: Choices = decide(model, facts, customers)
        self.faults = faults
        self.replication = replication
        self.close = model.arrivals.hours * 3600.0
        timing = model.timing
        self.walk = timing.walk_s
        self.repromotion = timing.repromotion_s
        self.auth_nominal = timing.authorisation_s
        self.slow_factor = timing.slow_factor
        n = len(customers)
        self.n = n
        self.state = [_AWAY] * n
        self.since = [0.0] * n
        self.token = [0] * n
        self.bound = [False] * n  # on their way to the smart counter (after any cash leg)
        self.returned = [False] * n  # sent back from the smart counter to a window
        self.to_stm = [False] * n  # goes on to the smart counter after the window
        self.touched = ([0] * n, [0] * n, [0] * n)
        self.accepted = ([0] * n, [0] * n, [0] * n)
        self.busy_flag = [0] * n
        self.fault_flag = [0] * n
        self.device_of = [-1] * n
        self.leg_ptr = [0] * n
        self.finished = [0.0] * n
        self.start: list[int] = customers.leg_start.tolist()
        self.leg_class: list[int] = customers.leg_class.tolist()
        self.stm_s: list[float] = customers.leg_stm_s.tolist()
        self.teller_s: list[float] = customers.leg_teller_s.tolist()
        legs = len(self.leg_class)
        self.channel = [PENDING] * legs
        self.reason = [NO_REASON] * legs
        self.duration = [0.0] * legs
        self.waits: list[tuple[int | float | bool, ...]] = []
        self.handlers: tuple[Callable[[float, int, int], None], ...] = (
            self._staff_free,
            self._teller_done,
            self._at_stm,
            self._leg_done,
            self._auth_done,
            self._give_up,
            self._down,
            self._up,
        )

    # -- the loop ----------------------------------------------------------------------------

    def run(self, records: Records) -> None:
        """Simulate every day of the replication and append its records."""
        for (weekday, first, end), faults in zip(self.c.spans(), self.faults, strict=True):
            self._run_day(weekday, first, end, faults, records)
        self._record(records)

    def _run_day(
        self,
        weekday: int,
        first: int,
        end: int,
        faults: list[tuple[int, float, float]],
        records: Records,
    ) -> None:
        model = self.model
        staffing = model.staffing
        self.weekday = weekday
        self.staff = staff_of(staffing)
        self.duties = duties_of(self.staff, staffing, model.practice, model.timing, weekday)
        d = self.duties
        self.authorising = frozenset((*d.authorisers, *d.backups))
        self.at_window = frozenset(d.windows)
        self.in_hall = frozenset(d.hall)
        self.devices = [Server(SMART_COUNTER, k) for k in range(staffing.smart_counters)]
        self.lines = (rules.Line(self.n), rules.Line(self.n), rules.Line(self.n))
        self.heap: list[tuple[float, int, int, int, int]] = []
        self.seq = 0
        for k, down, up in faults:
            if k < len(self.devices):
                self._push(down, _DOWN, k)
                self._push(up, _UP, k)
        arrivals: list[float] = self.c.arrival.tolist()
        heap, handlers = self.heap, self.handlers
        k = first
        while k < end or heap:
            if heap and (k >= end or heap[0][0] <= arrivals[k]):
                t, _, kind, a, b = heapq.heappop(heap)
                handlers[kind](t, a, b)
            else:
                self._arrive(arrivals[k], k)
                k += 1
        key = (self.replication, weekday)
        for s in (*self.staff, *self.devices):
            records.server_rows.append((*key, s.role, s.index, s.busy_s, self.close))
        for q, line in enumerate(self.lines):
            records.line_rows.append((*key, q, line.area))

    def _push(self, t: float, kind: int, a: int, b: int = 0) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (t, self.seq, kind, a, b))

    def _wait(self, i: int, queue: int, t: float, served: bool) -> None:
        self.waits.append(
            (self.replication, self.weekday, i, queue, self.since[i], t - self.since[i], served)
        )

    # -- arrival and stage 1 -------------------------------------------------------------------

    def _arrive(self, t: float, i: int) -> None:
        ch = self.ch
        bound = ch.goes_unprompted[i]
        if ch.mig[i] and ch.cover[0][i]:
            s = self.staff_rule(self.duties.door, self.staff)
            if s is not None:
                self.touched[0][i] = 1
                # A customer already heading for the smart counter says yes.
                if bound or ch.accept[0][i]:
                    self.accepted[0][i] = 1
                    bound = True
                self._task(s, t, self.duties.door_s[s] * ch.touch[0][i])
        self.bound[i] = bound
        if bound and not ch.composite[i]:
            self._push(t + self.walk, _AT_STM, i)
        else:
            self.to_stm[i] = bound
            self._join_teller(t, i)

    def _task(self, s: int, t: float, seconds: float) -> None:
        self.staff[s].occupy(t)
        self._push(t + seconds, _STAFF_FREE, s)

    def _staff_free(self, t: float, s: int, _: int) -> None:
        self.staff[s].release(t, self.close)
        self._next_task(t, s)

    def _next_task(self, t: float, s: int) -> None:
        """A staff member who just became free takes the next task of their duties."""
        auth_line = self.lines[AUTH_QUEUE]
        if s in self.authorising and auth_line.length:
            i = self.auth_rule(auth_line.waiting())
            if i is not None:
                self._start_auth(t, s, i)
                return
        if s in self.at_window:
            self._serve_next(t, s)
        elif s in self.in_hall:
            self._hall_next(t, s)

    # -- the teller line and stage 2 -------------------------------------------------------------

    def _join_teller(self, t: float, i: int) -> None:
        self.state[i] = _TELLER_LINE
        self.since[i] = t
        self.lines[TELLER_QUEUE].join(i, t)
        # Hall staff who are free approach a customer as they come into the hall, before a
        # window calls them; busy ones catch them while they wait, if they wait long enough.
        if self._hall_eligible(i):
            s = self.staff_rule(self.duties.hall, self.staff)
            if s is not None:
                self._hall_touch(t, s, i)
        for s in self.duties.windows:
            if not self.lines[TELLER_QUEUE].length:
                return
            if not self.staff[s].busy:
                self._serve_next(t, s)

    def _hall_eligible(self, i: int) -> bool:
        return (
            self.ch.cover[1][i]
            and self.ch.mig[i]
            and not self.bound[i]
            and not self.returned[i]
            and not self.touched[1][i]
        )

    def _hall_next(self, t: float, s: int) -> None:
        for i in self.lines[TELLER_QUEUE].waiting():
            if self._hall_eligible(i):
                self._hall_touch(t, s, i)
                return

    def _hall_touch(self, t: float, s: int, i: int) -> None:
        ch = self.ch
        self.touched[1][i] = 1
        self._task(s, t, self.duties.hall_s[s] * ch.touch[1][i])
        if ch.accept[1][i]:
            self.accepted[1][i] = 1
            self.bound[i] = True
            if ch.composite[i]:
                self.to_stm[i] = True  # the cash leg first, at the window
            else:
                self.lines[TELLER_QUEUE].leave(i, t)
                self._wait(i, TELLER_QUEUE, t, served=False)
                self.state[i] = _AWAY
                self._push(t + self.walk, _AT_STM, i)

    # -- the window and stage 3 ---------------------------------------------------------------

    def _serve_next(self, t: float, s: int) -> None:
        i = self.teller_rule(self.lines[TELLER_QUEUE].waiting())
        if i is not None:
            self._serve(t, s, i)

    def _serve(self, t: float, s: int, i: int) -> None:
        ch = self.ch
        self.lines[TELLER_QUEUE].leave(i, t)
        self._wait(i, TELLER_QUEUE, t, served=True)
        self.state[i] = _BUSY
        seconds = 0.0
        first_time = not self.returned[i] and not self.bound[i]
        if first_time and ch.mig[i] and ch.cover[2][i]:
            self.touched[2][i] = 1
            seconds += self.repromotion
            if ch.accept[2][i]:
                self.accepted[2][i] = 1
                self.bound[i] = True
                self.to_stm[i] = True
        only_counter = self.bound[i] and not self.returned[i]
        touched = self.touched[0][i] or self.touched[1][i] or self.touched[2][i]
        for k in range(self.start[i], self.start[i + 1]):
            if self.channel[k] != PENDING:
                continue
            is_mig = self.leg_class[k] == MIGRATABLE
            if is_mig and only_counter:
                continue
            if is_mig and self.reason[k] == NO_REASON:
                if self.ch.leg_unsupported[k]:
                    self.reason[k] = _NOT_SUPPORTED
                else:
                    self.reason[k] = ch.decline_reason[i] if touched else ch.untouched_reason[i]
            self.channel[k] = TELLER
            self.duration[k] = self.teller_s[k]
            seconds += self.teller_s[k]
        self.staff[s].occupy(t)
        self._push(t + seconds, _TELLER_DONE, s, i)

    def _teller_done(self, t: float, s: int, i: int) -> None:
        self.staff[s].release(t, self.close)
        if self.to_stm[i] and not self.returned[i]:
            self.to_stm[i] = False
            self.state[i] = _AWAY
            self._push(t + self.walk, _AT_STM, i)
        else:
            self._finish(t, i)
        self._next_task(t, s)

    def _finish(self, t: float, i: int) -> None:
        self.state[i] = _DONE
        self.finished[i] = t

    # -- the smart counter ----------------------------------------------------------------------

    def _at_stm(self, t: float, i: int, _: int) -> None:
        if not self.devices:
            self._send_back(t, i, _NOT_SUPPORTED)
            return
        if all(d.down for d in self.devices):
            self.fault_flag[i] = 1
            self._send_back(t, i, _FAULT)
            return
        line = self.lines[STM_QUEUE]
        k = rules.first_working(self.devices)
        if k is not None and not line.length:
            self.since[i] = t
            self._start_session(t, k, i)
            return
        self.state[i] = _STM_LINE
        self.since[i] = t
        line.join(i, t)
        self.token[i] += 1
        self._push(t + self.ch.patience_queue[i], _GIVE_UP, i, self.token[i])

    def _send_back(self, t: float, i: int, reason: int) -> None:
        """Send the customer's remaining migratable business to a window, with ``reason``."""
        for k in range(self.start[i], self.start[i + 1]):
            pending = self.channel[k] == PENDING and self.reason[k] == NO_REASON
            if pending and self.leg_class[k] == MIGRATABLE:
                self.reason[k] = _NOT_SUPPORTED if self.ch.leg_unsupported[k] else reason
        self.returned[i] = True
        self._join_teller(t, i)

    def _start_session(self, t: float, k: int, i: int) -> None:
        line = self.lines[STM_QUEUE]
        if i in line:
            line.leave(i, t)
        self._wait(i, STM_QUEUE, t, served=True)
        self.devices[k].occupy(t)
        self.device_of[i] = k
        self.state[i] = _BUSY
        self.leg_ptr[i] = self.start[i]
        self._next_leg(t, i)

    def _next_leg(self, t: float, i: int) -> None:
        ch = self.ch
        k, end = self.leg_ptr[i], self.start[i + 1]
        while k < end:
            if self.leg_class[k] == MIGRATABLE and self.channel[k] == PENDING:
                if ch.leg_unsupported[k]:
                    self.reason[k] = _NOT_SUPPORTED
                elif ch.leg_id_check[k]:
                    self.reason[k] = _ID_CHECK
                else:
                    break
            k += 1
        self.leg_ptr[i] = k
        if k == end:
            self._end_session(t, i)
        elif ch.leg_needs_auth[k]:
            self._request_auth(t, i)
        else:
            self._push(t + self._device_seconds(i, k), _LEG_DONE, i, k)

    def _device_seconds(self, i: int, k: int) -> float:
        return self.stm_s[k] * (self.slow_factor if self.ch.slow[i] else 1.0)

    def _leg_done(self, t: float, i: int, k: int) -> None:
        self.channel[k] = STM
        self.duration[k] = self._device_seconds(i, k)
        self.leg_ptr[i] = k + 1
        self._next_leg(t, i)

    def _end_session(self, t: float, i: int) -> None:
        k = self.device_of[i]
        self.devices[k].release(t, self.close)
        self.device_of[i] = -1
        if any(self.channel[j] == PENDING for j in range(self.start[i], self.start[i + 1])):
            self.returned[i] = True
            self._join_teller(t, i)
        else:
            self._finish(t, i)
        self._device_next(t, k)

    def _device_next(self, t: float, k: int) -> None:
        device = self.devices[k]
        if device.busy or device.down:
            return
        i = self.device_rule(self.lines[STM_QUEUE].waiting())
        if i is not None:
            self._start_session(t, k, i)

    # -- authorisation --------------------------------------------------------------------------

    def _request_auth(self, t: float, i: int) -> None:
        self.since[i] = t
        d = self.duties
        s = self.staff_rule(d.authorisers, self.staff)
        if s is None:
            s = self.staff_rule(d.backups, self.staff)
        if s is not None:
            self._start_auth(t, s, i)
            return
        self.state[i] = _AUTH_WAIT
        self.lines[AUTH_QUEUE].join(i, t)
        self.token[i] += 1
        self._push(t + self.ch.patience_auth[i], _GIVE_UP, i, self.token[i])

    def _start_auth(self, t: float, s: int, i: int) -> None:
        line = self.lines[AUTH_QUEUE]
        if i in line:
            line.leave(i, t)
        self._wait(i, AUTH_QUEUE, t, served=True)
        self.state[i] = _BUSY
        self.staff[s].occupy(t)
        self._push(t + self.duties.authorise_s[s], _AUTH_DONE, s, i)

    def _auth_done(self, t: float, s: int, i: int) -> None:
        self.staff[s].release(t, self.close)
        k = self.leg_ptr[i]
        # The store's smart-counter times include the authorisation step itself.
        rest = max(self._device_seconds(i, k) - self.auth_nominal, 10.0)
        self._push(t + rest, _LEG_DONE, i, k)
        self._next_task(t, s)

    # -- giving up, faults ----------------------------------------------------------------------

    def _give_up(self, t: float, i: int, token: int) -> None:
        if self.token[i] != token:
            return
        if self.state[i] == _STM_LINE:
            self.lines[STM_QUEUE].leave(i, t)
            self._wait(i, STM_QUEUE, t, served=False)
        elif self.state[i] == _AUTH_WAIT:
            self.lines[AUTH_QUEUE].leave(i, t)
            self._wait(i, AUTH_QUEUE, t, served=False)
            k = self.device_of[i]
            self.devices[k].release(t, self.close)
            self.device_of[i] = -1
            self._device_next(t, k)
        else:
            return
        self.busy_flag[i] = 1
        self._send_back(t, i, _BUSY_REASON)

    def _down(self, t: float, k: int, _: int) -> None:
        self.devices[k].down = True
        if all(d.down for d in self.devices):
            for i in list(self.lines[STM_QUEUE].waiting()):
                self.lines[STM_QUEUE].leave(i, t)
                self._wait(i, STM_QUEUE, t, served=False)
                self.fault_flag[i] = 1
                self._send_back(t, i, _FAULT)

    def _up(self, t: float, k: int, _: int) -> None:
        self.devices[k].down = False
        self._device_next(t, k)

    # -- records --------------------------------------------------------------------------------

    def _record(self, records: Records) -> None:
        c, n = self.c, self.n
        owner = np.repeat(np.arange(n), np.diff(c.leg_start))
        channel = np.asarray(self.channel, dtype=np.int64)
        is_mig = c.leg_class == MIGRATABLE
        legs = len(self.channel)
        records.legs.append(
            {
                "replication": np.full(legs, self.replication),
                "day": c.weekday[owner],
                "customer": owner,
                "leg": np.arange(legs) - c.leg_start[owner],
                "code": c.leg_code,
                "channel": channel,
                "reason": np.asarray(self.reason, dtype=np.int64),
                "duration_s": np.asarray(self.duration),
            }
        )
        t1, t2, t3 = self.touched
        a1, a2, a3 = self.accepted
        records.visits.append(
            {
                "replication": np.full(n, self.replication),
                "day": c.weekday,
                "customer": np.arange(n),
                "arrival_s": c.arrival,
                "finished_s": np.asarray(self.finished),
                "age": c.age,
                "tier": c.tier,
                "kind": c.kind,
                "m": np.bincount(owner, weights=is_mig, minlength=n).astype(np.int64),
                "d": np.bincount(owner, weights=is_mig & (channel == STM), minlength=n).astype(
                    np.int64
                ),
                "t1": np.asarray(t1, dtype=np.int64),
                "a1": np.asarray(a1, dtype=np.int64),
                "t2": np.asarray(t2, dtype=np.int64),
                "a2": np.asarray(a2, dtype=np.int64),
                "t3": np.asarray(t3, dtype=np.int64),
                "a3": np.asarray(a3, dtype=np.int64),
                "busy": np.asarray(self.busy_flag, dtype=np.int64),
                "fault": np.asarray(self.fault_flag, dtype=np.int64),
            }
        )
        records.wait_rows.extend(self.waits)
