"""What the simulator knows about one branch: arrivals, customers, service times, staff, practice.

A ``BranchModel`` is plain data. ``calibrate`` fills it from the store; tests build one by
hand (an M/M/c lobby); a ``Scenario`` returns a changed copy. Customer behaviour — how
likely a customer is to accept the smart counter at each triage stage — is the synthetic
generator's ``Behaviour``, shared, not a second set of parameters: the model only adds the
branch's own practice (coverage and guidance quality per stage, customers' habits).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from smartcounter.canonical.tables import AGE_BANDS
from smartcounter.simulation.behaviour import Behaviour
from smartcounter.simulation.distributions import ServiceDistribution

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# Visit kinds, by what a visit holds: migratable business only, cash only, cash plus
# migratable, other counter business only (as behaviour.VisitKind).
NONCASH, CASH, COMPOSITE, COUNTER = 0, 1, 2, 3
KINDS = ("noncash", "cash", "composite", "counter")
# Classes of a transaction: migratable, cash, other counter business.
MIGRATABLE, CASH_LEG, OTHER_LEG = 0, 1, 2


@dataclass(frozen=True)
class Staffing:
    """Who works in the lobby, and the service points they work at."""

    greeters: int = 0
    lobby_managers: int = 0
    specialists: int = 0
    tellers: int = 1
    wealth_managers: int = 0
    smart_counters: int = 1
    teller_windows: int = 1

    @property
    def windows_open(self) -> int:
        """Teller windows with a teller behind them."""
        return min(self.tellers, self.teller_windows)


@dataclass(frozen=True)
class Practice:
    """How the branch works, beyond who is there: the part calibration fits or reads."""

    # Share of the customers a stage could reach that its staff try to reach (0: the stage
    # is not practised); staff who are busy reach fewer.
    coverage: tuple[float, float, float] = (0.0, 0.0, 0.0)
    # Guidance quality per stage on Behaviour's scale (0.6 is its reference).
    quality: tuple[float, float, float] = (0.6, 0.6, 0.6)
    habit: tuple[float, ...] = (0.0,) * len(AGE_BANDS)  # share with the habit, by age band
    cash_split: bool = False  # teller takes the cash, smart counter the non-cash part
    backup_teller: bool = False  # a teller helps authorise when the specialists are busy
    not_at_stm: frozenset[str] = frozenset()  # migratable business the devices do not do
    authorisation_required: frozenset[str] = frozenset()
    patience_s: float = 1800.0  # mean patience waiting at the smart counter
    patience_shape: float = 3.0  # Weibull shape of patience
    fault_rate: float = 0.0  # faults per device and opening day
    slow_share: float = 0.0  # sessions that run slow

    @property
    def triage_rounds(self) -> int:
        """How many triage stages are practised."""
        return sum(1 for c in self.coverage if c > 0)


@dataclass(frozen=True)
class Timing:
    """Fixed durations of the lobby's steps (seconds) and how fast each role authorises."""

    walk_s: float = 30.0
    repromotion_s: float = 30.0
    authorisation_s: float = 60.0
    slow_factor: float = 1.6
    door_touch_s: dict[str, float] = field(default_factory=dict)  # by role
    hall_touch_s: dict[str, float] = field(default_factory=dict)
    authorise_speed: dict[str, float] = field(default_factory=dict)  # 1.0: a specialist

    @classmethod
    def of(
        cls,
        behaviour: Behaviour,
        *,
        walk_s: float = 30.0,
        repromotion_s: float = 30.0,
        authorisation_s: float = 60.0,
        slow_factor: float = 1.6,
    ) -> Timing:
        """Durations from the shared behaviour's staff capacities (touches per hour)."""
        b = behaviour
        return cls(
            walk_s=walk_s,
            repromotion_s=repromotion_s,
            authorisation_s=authorisation_s,
            slow_factor=slow_factor,
            door_touch_s={
                "greeter": 3600.0 / b.greeter_per_hour,
                "lobby_manager": 3600.0 / b.door_lobby_manager_per_hour,
                "wealth_manager": 3600.0 / b.door_lobby_manager_per_hour,
            },
            hall_touch_s={
                "stm_specialist": 3600.0 / b.hall_staff_per_hour,
                "lobby_manager": 3600.0 / b.hall_staff_per_hour,
                "wealth_manager": 3600.0 / b.part_time_hall_per_hour,
            },
            authorise_speed={
                "stm_specialist": 1.0,
                "lobby_manager": b.auth_lobby_manager,
                "teller": b.auth_tellers,
            },
        )


@dataclass(frozen=True, eq=False)
class Arrivals:
    """Poisson arrivals: mean tickets per weekday (Monday first) and hour from opening."""

    opening_hour: int
    rates: np.ndarray  # (7, hours)

    @property
    def hours(self) -> int:
        """Opening hours a day."""
        return int(self.rates.shape[1])

    @property
    def open_weekdays(self) -> tuple[int, ...]:
        """Weekdays with any arrivals (0 Monday … 6 Sunday)."""
        return tuple(int(d) for d in np.flatnonzero(self.rates.sum(axis=1) > 0))


@dataclass(frozen=True, eq=False)
class CustomerMix:
    """Who comes: visit profiles with weights, and business codes per kind, age and class."""

    age: np.ndarray  # (P,) index into AGE_BANDS
    tier: np.ndarray  # (P,) index into CUSTOMER_TIERS
    migratable: np.ndarray  # (P,) migratable transactions of the visit
    cash: np.ndarray  # (P,)
    other: np.ndarray  # (P,)
    weight: np.ndarray  # (P,) sums to 1
    # (kind, age band, class) -> (code indexes, cumulative weights)
    codes: dict[tuple[int, int, int], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True, eq=False)
class ServiceTimes:
    """Service-time distributions by business code, at a smart counter and at a window."""

    stm: dict[str, ServiceDistribution]
    teller: dict[str, ServiceDistribution]
    age_factor: tuple[float, ...] = (1.0,) * len(AGE_BANDS)  # relative duration by age band


@dataclass(frozen=True)
class Observed:
    """What the store says about the branch over the calibration weeks, for comparison."""

    migratable: int = 0
    migrated: int = 0
    rate: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    daily_tickets: float | None = None
    waits: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    reasons: dict[str, float] = field(default_factory=dict)  # share of un-migrated business
    moments: dict[str, float] = field(default_factory=dict)  # the funnel fitted to
    fitted: dict[str, float] = field(default_factory=dict)  # the simulated funnel, last round


@dataclass(frozen=True, eq=False)
class BranchModel:
    """One branch's lobby, ready to simulate."""

    branch_id: str
    name: str
    branch_type: str
    weeks: tuple[str, ...]
    codes: tuple[str, ...]  # business codes (catalogue order); mixes index into these
    migratable: np.ndarray  # bool by code
    arrivals: Arrivals
    mix: CustomerMix
    service: ServiceTimes
    staffing: Staffing
    practice: Practice
    timing: Timing
    behaviour: Behaviour = field(default_factory=Behaviour)
    # Coverage a stage that the branch does not practise gets when a what-if starts it.
    new_stage_coverage: tuple[float, float, float] = (0.85, 0.6, 0.6)
    observed: Observed = field(default_factory=Observed)
    # Staffing by opening hour (one per hour of ``arrivals``), when it changes over the day:
    # each hour's staff and open devices replace ``staffing``'s in that hour, which stays
    # the day's roster (everyone who works some hour, every device). None: all day.
    hourly: tuple[Staffing, ...] | None = None
