"""Queue rules as plain functions: who is served next, and which staff member takes a task.

Each rule is given the waiting customers in the order they joined (or the candidate staff
in the order their duty lists them) and returns one, or None.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from smartcounter.simulation.servers import Server

QueueRule = Callable[[Iterable[int]], int | None]
StaffRule = Callable[[Sequence[int], Sequence[Server]], int | None]


def first_come(waiting: Iterable[int]) -> int | None:
    """First come, first served."""
    return next(iter(waiting), None)


def first_free(candidates: Sequence[int], servers: Sequence[Server]) -> int | None:
    """The first candidate who is not busy (duty lists put the preferred staff first)."""
    for k in candidates:
        if not servers[k].busy:
            return k
    return None


def first_working(devices: Sequence[Server]) -> int | None:
    """The first smart counter that is free and not out of order."""
    for k, d in enumerate(devices):
        if not d.busy and not d.down:
            return k
    return None


class Line:
    """A queue in joining order; customers who leave it are skipped when it is read.

    An entry holds the customer and the number of their turn in this line, so that a
    customer who leaves and comes back is not counted twice. The line keeps the area under
    its length over time (customer-seconds) for Little's law.
    """

    __slots__ = ("area", "changed", "entries", "head", "length", "turn")

    def __init__(self, customers: int) -> None:
        self.entries: list[tuple[int, int]] = []
        self.head = 0
        self.length = 0
        self.turn = [0] * customers  # current turn of each customer; 0: not in line
        self.area = 0.0
        self.changed = 0.0  # when the length last changed

    def join(self, i: int, t: float) -> None:
        """Put customer ``i`` at the back at time ``t``."""
        self.area += self.length * (t - self.changed)
        self.changed = t
        self.turn[i] = len(self.entries) + 1
        self.entries.append((i, self.turn[i]))
        self.length += 1

    def leave(self, i: int, t: float) -> None:
        """Take customer ``i`` out of the line at time ``t`` (served, moved on, gave up)."""
        if self.turn[i]:
            self.area += self.length * (t - self.changed)
            self.changed = t
            self.turn[i] = 0
            self.length -= 1

    def __contains__(self, i: int) -> bool:
        return self.turn[i] != 0

    def waiting(self) -> Iterable[int]:
        """The customers still in line, front first."""
        entries, turn = self.entries, self.turn
        while self.head < len(entries) and turn[entries[self.head][0]] != entries[self.head][1]:
            self.head += 1
        for k in range(self.head, len(entries)):
            i, number = entries[k]
            if turn[i] == number:
                yield i
