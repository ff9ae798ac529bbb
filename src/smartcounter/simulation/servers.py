"""Servers — staff members and smart counters — and the duties each role takes in the lobby.

Who does what follows the source's branches: greeters triage at ticket-taking (stage 1);
specialists and lobby managers in the hall (stage 2) — where a branch has no lobby
manager, the wealth manager doubles as one between their own customers; tellers serve windows and re-promote
there (stage 3). Smart-counter authorisations go to a specialist, else the lobby manager,
else the teller on duty that day (the two tellers of 常州龙锦路 take turns); a backup
teller, or a teller without a window, helps when those are all busy.
"""

from __future__ import annotations

from dataclasses import dataclass

from smartcounter.simulation.model import Practice, Staffing, Timing

GREETER = "greeter"
LOBBY_MANAGER = "lobby_manager"
SPECIALIST = "stm_specialist"
TELLER = "teller"
WEALTH_MANAGER = "wealth_manager"
SMART_COUNTER = "smart_counter"
STAFF_ROLES = (GREETER, LOBBY_MANAGER, SPECIALIST, TELLER, WEALTH_MANAGER)


@dataclass(slots=True)
class Server:
    """A staff member or a device: busy or not, and busy time within opening hours."""

    role: str
    index: int  # within its role
    busy: bool = False
    down: bool = False  # a device out of order
    busy_s: float = 0.0
    since: float = 0.0  # start of the current task

    def occupy(self, start: float) -> None:
        """Start a task at ``start``."""
        self.busy = True
        self.since = start

    def release(self, end: float, close: float) -> None:
        """End the current task at ``end``; count its part before closing time."""
        self.busy = False
        self.busy_s += max(0.0, min(end, close) - max(self.since, 0.0))


@dataclass(frozen=True)
class Duties:
    """Indexes of the staff who take each duty, in the order they are asked."""

    door: tuple[int, ...]
    hall: tuple[int, ...]
    authorisers: tuple[int, ...]
    backups: tuple[int, ...]
    windows: tuple[int, ...]
    door_s: dict[int, float]  # mean stage-1 touch by staff index
    hall_s: dict[int, float]
    authorise_s: dict[int, float]


def staff_of(staffing: Staffing) -> list[Server]:
    """One server per staff member, role by role."""
    counts = {
        GREETER: staffing.greeters,
        LOBBY_MANAGER: staffing.lobby_managers,
        SPECIALIST: staffing.specialists,
        TELLER: staffing.tellers,
        WEALTH_MANAGER: staffing.wealth_managers,
    }
    return [Server(role, i) for role in STAFF_ROLES for i in range(counts[role])]


def duties_of(
    staff: list[Server], staffing: Staffing, practice: Practice, timing: Timing, weekday: int
) -> Duties:
    """Who greets, triages in the hall, authorises and serves at a window on ``weekday``."""

    def of(role: str) -> tuple[int, ...]:
        return tuple(k for k, s in enumerate(staff) if s.role == role)

    greeters, managers, specialists = of(GREETER), of(LOBBY_MANAGER), of(SPECIALIST)
    tellers, wealth = of(TELLER), of(WEALTH_MANAGER)
    windows = tellers[: staffing.windows_open]
    door: tuple[int, ...] = ()
    if practice.coverage[0] > 0:
        door = greeters or managers or wealth[:1]
    # Without a lobby manager the wealth manager doubles as one (常州龙锦路's 理财兼大堂经理),
    # after any specialist.
    hall = specialists + managers + (() if managers else wealth[:1])
    if specialists or managers:
        authorisers = specialists or managers
    else:
        authorisers = (tellers[weekday % len(tellers)],) if tellers else ()
    backups = tellers[staffing.windows_open :]
    if practice.backup_teller and windows and windows[-1] not in authorisers:
        backups = (*backups, windows[-1])
    speed = timing.authorise_speed
    return Duties(
        door=door,
        hall=hall,
        authorisers=authorisers,
        backups=tuple(k for k in backups if k not in authorisers),
        windows=windows,
        door_s={k: timing.door_touch_s.get(staff[k].role, 90.0) for k in door},
        hall_s={k: timing.hall_touch_s.get(staff[k].role, 260.0) for k in hall},
        authorise_s={
            k: timing.authorisation_s / speed.get(staff[k].role, 1.0)
            for k in (*authorisers, *backups)
        },
    )
