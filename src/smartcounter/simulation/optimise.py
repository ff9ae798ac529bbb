"""The cheapest staffing by hour that meets a migration-rate target and a wait limit.

A candidate is a staffing profile: tellers, specialists, greeters and open smart counters
for each opening hour (the same profile every open weekday; lobby and wealth managers stay
as the branch has them). Each candidate is simulated on the same random streams (common
random numbers: every candidate meets the same customers), and meets the targets when

* the branch's migration rate (as the store computes it) is at least the target, and
* in every opening hour, the 90th percentile of the waits for a window and for a smart
  counter (from the ticket to the first call, as the store measures waits) of the visits
  arriving in that hour is at most the wait limit; an hour × queue with fewer than
  ``MIN_VISITS`` simulated visits is not judged.

The search starts from the branch as it is (brought within the limits), and again from
the fewest staff the limits allow (one path alone missed the cheapest answer on small cases checked by brute force).
While the targets are not met it adds the one person or device, at one hour, that removes
the most shortfall per yuan; then it takes away, one at a time and the dearest first,
whatever can go with the targets still met (a move that broke them is not tried again:
fewer staff rarely mend it); then, hour by hour, it tries every change of one or two roles by
one person or device each (an add, a removal, a swap of one role for another) and keeps
the best (the targets met, then the cheapest), until a round of the hours changes nothing. When nothing within the limits meets the targets, the answer is the plan
the search saw that misses them least (then the cheapest). The
answer and the branch as it is are then simulated again on fresh streams with more
replications, for the figures reported and their intervals. ``brute_force`` enumerates
every profile within the limits, for checking the search on small cases.

Every candidate evaluated is kept: their costs, rates and worst waits give the trade-off
curve (``pareto_front``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import polars as pl

from smartcounter.settings import RoleCosts
from smartcounter.simulation.model import BranchModel
from smartcounter.simulation.results import SimulationResult, t_interval
from smartcounter.simulation.runner import run_streams
from smartcounter.simulation.scenario import Scenario

# The roles a profile sets hour by hour, as ``Staffing`` names them, and their cost keys.
ROLES = ("tellers", "specialists", "greeters", "smart_counters")
COST_OF = {
    "tellers": "teller",
    "specialists": "specialist",
    "greeters": "greeter",
    "smart_counters": "smart_counter",
}
WAIT_QUEUES = ("teller", "stm")
MIN_VISITS = 20  # an hour × queue with fewer simulated visits is not judged
BOOTSTRAP = 400  # resamples of replications for the intervals of the waits
MAX_SWEEPS = 4  # rounds of re-staffing each hour in turn

Hour = tuple[int, int, int, int]  # counts of ROLES in one hour
Profile = tuple[Hour, ...]  # one per opening hour
Move = tuple[int, int, int]  # hour, role index, change (+1, -1)
Tick = Callable[[int], None]


@dataclass(frozen=True)
class Targets:
    """What the staffing must achieve."""

    rate: float  # migration rate at least
    max_wait_s: float  # p90 wait per queue and hour at most


@dataclass(frozen=True)
class Limits:
    """Lowest and highest count of each role in any hour (in ``ROLES`` order)."""

    low: Hour
    high: Hour

    def allows(self, hour: Hour) -> bool:
        """True when every count of ``hour`` is within the limits."""
        return all(lo <= c <= hi for c, lo, hi in zip(hour, self.low, self.high, strict=True))


@dataclass(frozen=True)
class Interval:
    """A figure and its interval (NaN bounds: not known)."""

    value: float
    low: float
    high: float


@dataclass(frozen=True)
class Evaluation:
    """A profile's simulated figures against the targets."""

    profile: Profile
    cost: float  # per day, all open hours, all roles costed
    rate: Interval
    p90: dict[tuple[str, int], Interval]  # (queue, hour) -> p90 wait, seconds
    rate_by_hour: dict[int, float]  # migrated share of the migratable business by hour
    visits: dict[tuple[str, int], int]  # simulated visits behind each p90

    def worst_wait(self, min_visits: int = MIN_VISITS) -> float:
        """The longest p90 wait of any judged queue and hour (0: none judged)."""
        judged = [v.value for k, v in self.p90.items() if self.visits[k] >= min_visits]
        return max(judged, default=0.0)

    def shortfall(self, targets: Targets) -> float:
        """How far the targets are missed: rate points short plus minutes over, summed."""
        short = max(0.0, targets.rate - self.rate.value) * 100.0
        over = sum(
            max(0.0, v.value - targets.max_wait_s) / 60.0
            for k, v in self.p90.items()
            if self.visits[k] >= MIN_VISITS
        )
        return short + over

    def meets(self, targets: Targets) -> bool:
        """True when the rate and every judged wait meet the targets."""
        return self.shortfall(targets) == 0.0


@dataclass
class Search:
    """Every candidate evaluated on the search's streams, by profile."""

    evaluations: dict[Profile, Evaluation] = field(default_factory=dict)


@dataclass(frozen=True)
class Optimisation:
    """The search's answer, confirmed with more replications on fresh streams."""

    model: BranchModel
    targets: Targets
    limits: Limits
    as_is: Evaluation  # confirmation run
    proposed: Evaluation  # confirmation run
    met: bool  # the proposed staffing meets the targets in the confirmation run
    met_in_search: bool
    candidates: tuple[Evaluation, ...]  # every profile the search evaluated
    front: tuple[Evaluation, ...]  # the candidates no other beats on cost, rate and wait
    replications: int
    confirm_replications: int
    seed: int
    confidence: float = 0.95  # of the confirmation's intervals


def rate_out_of_reach(o: Optimisation) -> float | None:
    """The best rate any evaluated plan reached, when even that is below the target: staffing
    and devices within the limits cannot bring the branch there (its practice might)."""
    best = max((c.rate.value for c in o.candidates), default=None)
    if o.met or best is None or best >= o.targets.rate:
        return None
    return best


def verdict_key(o: Optimisation) -> str:
    """The message key of the answer's verdict (the table and the page say the same)."""
    if o.met:
        return "optimise.met"
    if o.met_in_search:
        return "optimise.not_confirmed"
    return "optimise.rate_out_of_reach" if rate_out_of_reach(o) is not None else "optimise.not_met"


def as_is_profile(model: BranchModel) -> Profile:
    """The branch's own staffing in every opening hour."""
    s = model.staffing
    hour = (s.tellers, s.specialists, s.greeters, s.smart_counters)
    return (hour,) * model.arrivals.hours


def staffed(model: BranchModel, profile: Profile) -> BranchModel:
    """``model`` with ``profile``'s staff hour by hour; the day's roster is everyone who works
    some hour (so a role the branch lacks brings its practice, as a what-if's would)."""
    if len(profile) != model.arrivals.hours:
        raise ValueError("a profile needs one staffing per opening hour")
    top = [max(h[k] for h in profile) for k in range(len(ROLES))]
    roster = Scenario(
        tellers=max(top[0], 1),
        specialists=top[1],
        greeters=top[2],
        smart_counters=top[3],
        teller_windows=model.staffing.teller_windows,
    ).apply(model)
    hours = tuple(replace(roster.staffing, **dict(zip(ROLES, h, strict=True))) for h in profile)
    return replace(roster, hourly=hours)


def daily_cost(model: BranchModel, profile: Profile, costs: RoleCosts) -> float:
    """Cost of a day (yuan): every role's hours, lobby managers all day."""
    per_hour = [getattr(costs, COST_OF[r]) for r in ROLES]
    staff = sum(c * p for h in profile for c, p in zip(h, per_hour, strict=True))
    fixed = model.staffing.lobby_managers * costs.lobby_manager * len(profile)
    return float(staff + fixed)


def evaluate(
    model: BranchModel,
    profile: Profile,
    streams: Sequence[np.random.Generator],
    costs: RoleCosts,
    *,
    confidence: float | None = None,
) -> Evaluation:
    """Simulate ``profile`` on ``streams``; ``confidence``: also the intervals (bootstrap of
    replications for the waits, Student t for the rate)."""
    result = run_streams(staffed(model, profile), streams)
    rates = result.migration_rates().get_column("rate").drop_nulls().to_numpy()
    if confidence is not None and rates.shape[0] > 1:
        mean, low, high = t_interval(rates, confidence)
        rate = Interval(mean, max(low, 0.0), min(high, 1.0))
    else:
        rate = Interval(float(rates.mean()) if rates.shape[0] else 0.0, np.nan, np.nan)
    p90, visits = hourly_waits(result, model.arrivals.hours, confidence)
    return Evaluation(
        profile=profile,
        cost=daily_cost(model, profile, costs),
        rate=rate,
        p90=p90,
        rate_by_hour=hourly_rates(result, model.arrivals.hours),
        visits=visits,
    )


def _hour_of(seconds: pl.Expr, hours: int) -> pl.Expr:
    return (seconds // 3600).cast(pl.Int64).clip(0, max(hours - 1, 0))


def hourly_waits(
    result: SimulationResult, hours: int, confidence: float | None
) -> tuple[dict[tuple[str, int], Interval], dict[tuple[str, int], int]]:
    """p90 wait by queue and hour of arrival, pooled over replications and days."""
    waits = result.visit_waits().join(
        result.visits.select("replication", "day", "customer", "arrival_s"),
        on=["replication", "day", "customer"],
    )
    waits = waits.with_columns(_hour_of(pl.col("arrival_s"), hours).alias("hour"))
    p90: dict[tuple[str, int], Interval] = {}
    visits: dict[tuple[str, int], int] = {}
    reps = np.sort(result.visits.get_column("replication").unique().to_numpy())
    rng = np.random.default_rng(0)  # the same resamples for every candidate
    draws = rng.integers(0, len(reps), size=(BOOTSTRAP, len(reps))) if len(reps) else None
    for (queue, hour), part in waits.partition_by(["queue", "hour"], as_dict=True).items():
        values = part.get_column("wait_s").to_numpy()
        key = (str(queue), int(hour))
        visits[key] = int(values.shape[0])
        point = float(np.quantile(values, 0.9, method="inverted_cdf"))
        low = high = np.nan
        if confidence is not None and draws is not None and len(reps) > 1:
            index = np.searchsorted(reps, part.get_column("replication").to_numpy())
            by_rep = [values[index == k] for k in range(len(reps))]
            boots = []
            for draw in draws:
                sample = np.concatenate([by_rep[k] for k in draw])
                if sample.shape[0]:
                    boots.append(np.quantile(sample, 0.9, method="inverted_cdf"))
            tail = (1 - confidence) / 2
            low, high = (float(x) for x in np.quantile(boots, [tail, 1 - tail]))
        p90[key] = Interval(point, low, high)
    return p90, visits


def hourly_rates(result: SimulationResult, hours: int) -> dict[int, float]:
    """Migrated share of the migratable business of the visits arriving in each hour."""
    by_hour = (
        result.visits.with_columns(_hour_of(pl.col("arrival_s"), hours).alias("hour"))
        .group_by("hour")
        .agg(pl.col("m").sum(), pl.col("d").sum())
        .filter(pl.col("m") > 0)
    )
    return {int(h): d / m for h, m, d in by_hour.select("hour", "m", "d").iter_rows()}


def pareto_front(candidates: Sequence[Evaluation]) -> tuple[Evaluation, ...]:
    """The candidates that no other is at least as good as on cost, rate and worst wait
    (and better on one), cheapest first."""
    points = [(e.cost, -e.rate.value, e.worst_wait()) for e in candidates]
    front = []
    for i, p in enumerate(points):
        dominated = any(
            all(a <= b for a, b in zip(q, p, strict=True)) and q != p
            for j, q in enumerate(points)
            if j != i
        )
        if not dominated:
            front.append(candidates[i])
    return tuple(sorted(front, key=lambda e: (e.cost, -e.rate.value)))


def _moved(profile: Profile, move: Move) -> Profile:
    hour, role, step = move
    counts = list(profile[hour])
    counts[role] += step
    changed = (counts[0], counts[1], counts[2], counts[3])
    return (*profile[:hour], changed, *profile[hour + 1 :])


class _Evaluator:
    """Evaluations on the search's streams, each profile simulated once."""

    def __init__(
        self,
        model: BranchModel,
        streams: Sequence[np.random.Generator],
        costs: RoleCosts,
        search: Search,
        tick: Tick,
    ) -> None:
        self.model, self.streams, self.costs = model, streams, costs
        self.search, self.tick = search, tick
        self.seen: dict[Profile, Evaluation] = {}  # by this search, in order

    def __call__(self, profile: Profile) -> Evaluation:
        known = self.seen.get(profile) or self.search.evaluations.get(profile)
        if known is None:
            known = evaluate(self.model, profile, self.streams, self.costs)
            self.search.evaluations[profile] = known
            self.tick(1)
        self.seen[profile] = known
        return known


def _better(a: Evaluation, b: Evaluation, targets: Targets) -> bool:
    """``a`` is a better answer than ``b``: meets the targets or misses them by less, then
    cheaper, then a higher rate."""
    key_a = (a.shortfall(targets), a.cost, -a.rate.value)
    key_b = (b.shortfall(targets), b.cost, -b.rate.value)
    return key_a < key_b


def greedy(
    model: BranchModel,
    targets: Targets,
    limits: Limits,
    costs: RoleCosts,
    streams: Sequence[np.random.Generator],
    *,
    start: Profile | None = None,
    search: Search | None = None,
    tick: Tick | None = None,
) -> Evaluation:
    """The search on ``streams`` (see the module's text), from the branch as it is and from
    the fewest staff the limits allow: the better answer of the two."""
    search = search if search is not None else Search()
    run = _Evaluator(model, streams, costs, search, tick or (lambda _: None))
    starts = [start] if start is not None else [_within(as_is_profile(model), limits)]
    if start is None:
        starts.append(_fewest(model, limits))
    best: Evaluation | None = None
    for first in dict.fromkeys(starts):
        found = _descend(run, first, targets, limits, costs, model.arrivals.hours)
        if best is None or _better(found, best, targets):
            best = found
    assert best is not None
    return best


def _within(profile: Profile, limits: Limits) -> Profile:
    """``profile`` with every count brought within the limits."""

    def clip(hour: Hour) -> Hour:
        c = [min(max(n, lo), hi) for n, lo, hi in zip(hour, limits.low, limits.high, strict=True)]
        return (c[0], c[1], c[2], c[3])

    return tuple(clip(h) for h in profile)


def _fewest(model: BranchModel, limits: Limits) -> Profile:
    return (limits.low,) * model.arrivals.hours


def _descend(
    run: _Evaluator,
    start: Profile,
    targets: Targets,
    limits: Limits,
    costs: RoleCosts,
    hours: int,
) -> Evaluation:
    """Repair from ``start`` until the targets are met, then take away and swap."""
    price = [float(getattr(costs, COST_OF[r])) for r in ROLES]
    current = run(start)

    # -- repair: add what removes the most shortfall per yuan --------------------------------
    while not current.meets(targets):
        best: tuple[float, Evaluation] | None = None
        for h, r in itertools.product(range(hours), range(len(ROLES))):
            profile = _moved(current.profile, (h, r, 1))
            if not limits.allows(profile[h]):
                continue
            e = run(profile)
            gain = current.shortfall(targets) - e.shortfall(targets)
            if gain <= 0:
                continue
            score = gain / max(price[r], 1e-9)
            if best is None or score > best[0]:
                best = (score, e)
        if best is None:
            break  # nothing within the limits brings the targets closer
        current = best[1]
    # -- descent: take away the dearest that can go ----------------------------------------
    if current.meets(targets):
        failed: set[tuple[int, int]] = set()
        improved = True
        while improved:
            improved = False
            moves = sorted(
                itertools.product(range(hours), range(len(ROLES))),
                key=lambda m: (-price[m[1]], m[0]),
            )
            for h, r in moves:
                profile = _moved(current.profile, (h, r, -1))
                if (h, r) in failed or not limits.allows(profile[h]):
                    continue
                e = run(profile)
                if e.meets(targets):
                    current, improved = e, True
                else:
                    failed.add((h, r))

    # -- hour by hour: each hour's best neighbour with the other hours as they are ---------
    for _ in range(MAX_SWEEPS):
        before = current
        for h in range(hours):
            for option in _neighbours(current.profile[h], limits):
                profile = (*current.profile[:h], option, *current.profile[h + 1 :])
                e = run(profile)
                if _better(e, current, targets):
                    current = e
        if current is before:
            break
    if not current.meets(targets):
        return min(run.seen.values(), key=lambda e: (e.shortfall(targets), e.cost))
    return current


def _neighbours(hour: Hour, limits: Limits) -> list[Hour]:
    """The hour's staffing with one or two roles changed by one each, within the limits
    (adds, removals, and swaps of one role for another)."""
    out: list[Hour] = []
    steps = [(r, d) for r in range(len(ROLES)) for d in (-1, 1)]
    for count in (1, 2):
        for change in itertools.combinations(steps, count):
            if count == 2 and change[0][0] == change[1][0]:
                continue
            counts = list(hour)
            for r, d in change:
                counts[r] += d
            option = (counts[0], counts[1], counts[2], counts[3])
            if limits.allows(option):
                out.append(option)
    return out


def expected_evaluations(hours: int, limits: Limits) -> int:
    """About how many plans ``greedy`` evaluates (for progress): two starts, each with
    three rounds of every hour's neighbours."""
    return 6 * min(len(_neighbours(limits.low, limits)) * 2, 32) * hours


def profiles_within(limits: Limits, hours: int, fixed: dict[int, Hour] | None = None) -> int:
    """How many profiles ``brute_force`` would evaluate."""
    per_hour = 1
    for lo, hi in zip(limits.low, limits.high, strict=True):
        per_hour *= hi - lo + 1
    free = hours - len(fixed or {})
    return int(per_hour**free)


def brute_force(
    model: BranchModel,
    targets: Targets,
    limits: Limits,
    costs: RoleCosts,
    streams: Sequence[np.random.Generator],
    *,
    most: int = 5000,
    search: Search | None = None,
) -> Evaluation:
    """Every profile within ``limits`` on ``streams``; the best (as the search ranks them:
    meets the targets or misses them least, then cheapest). For small cases only."""
    hours = model.arrivals.hours
    count = profiles_within(limits, hours)
    if count > most:
        raise ValueError(f"{count} profiles to enumerate, more than {most}")
    search = search if search is not None else Search()
    run = _Evaluator(model, streams, costs, search, lambda _: None)
    ranges = [range(lo, hi + 1) for lo, hi in zip(limits.low, limits.high, strict=True)]
    options = [tuple(c) for c in itertools.product(*ranges)]
    best: Evaluation | None = None
    for combo in itertools.product(options, repeat=hours):
        profile: Profile = tuple((h[0], h[1], h[2], h[3]) for h in combo)
        e = run(profile)
        if best is None or _better(e, best, targets):
            best = e
    assert best is not None
    return best


def optimise(
    model: BranchModel,
    targets: Targets,
    limits: Limits,
    costs: RoleCosts,
    *,
    replications: int,
    confirm_replications: int,
    seed: int,
    confidence: float = 0.95,
    tick: Tick | None = None,
) -> Optimisation:
    """Search on ``replications`` streams, confirm on ``confirm_replications`` fresh ones."""
    rng = np.random.default_rng(seed)
    streams = rng.spawn(replications)
    fresh = rng.spawn(confirm_replications)
    search = Search()
    found = greedy(model, targets, limits, costs, streams, search=search, tick=tick)
    as_is = evaluate(model, as_is_profile(model), fresh, costs, confidence=confidence)
    proposed = evaluate(model, found.profile, fresh, costs, confidence=confidence)
    candidates = tuple(search.evaluations.values())
    return Optimisation(
        model=model,
        targets=targets,
        limits=limits,
        as_is=as_is,
        proposed=proposed,
        met=proposed.meets(targets),
        met_in_search=found.meets(targets),
        candidates=candidates,
        front=pareto_front(candidates),
        replications=replications,
        confirm_replications=confirm_replications,
        seed=seed,
        confidence=confidence,
    )
