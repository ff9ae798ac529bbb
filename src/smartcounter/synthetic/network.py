"""The synthetic branch network: branches, their staff and how each branch works.

A branch's *practice* — who triages at which stage and how well, whether a dedicated
smart-counter specialist authorises, whether cash and non-cash business are split, how
many devices it has — is what the behaviour model turns into a migration rate. The four
branches of the source text are configured from what the text says they do; the others
are drawn from realistic ranges. Everything here is per branch (thousands of rows), held
as numpy arrays so the weekly simulation can index it by branch.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from smartcounter.canonical.catalogue import load_catalogue
from smartcounter.canonical.tables import BRANCH_TYPES, ROLES
from smartcounter.synthetic.names import CITIES, branch_names, city_index, person_names

if TYPE_CHECKING:
    from smartcounter.synthetic.changes import PracticeChange

# W10 of 2018, the week of the source's migration rates.
SOURCE_WEEK_START = date(2018, 3, 5)

# A branch block is the unit of simulation and of random streams: its random numbers
# depend on the seed, the block number and the week only, so that output does not
# depend on how many blocks are written at once.
BLOCK_BRANCHES = 64

# A branch's customer pool holds about this many days' tickets: a customer comes back
# every few weeks, so that "guided last time" can matter next time.
POOL_DAYS = 22.0

# Business the smart counters of a branch that does not migrate every type leave to the
# tellers (older device software, a currency not offered, a product not set up), by chance.
NOT_AT_STM: dict[str, float] = {
    "fx_remittance": 0.7,
    "wealth_product": 0.35,
    "credit_card_apply": 0.4,
    "statement_print": 0.1,
}
CODES: tuple[str, ...] = tuple(load_catalogue())

ROLE_INDEX = {r: i for i, r in enumerate(ROLES)}
TYPE_INDEX = {t: i for i, t in enumerate(BRANCH_TYPES)}


@dataclass(frozen=True)
class NetworkSpec:
    """What network to generate: size, period, seed."""

    branches: int = 120
    weeks: int = 13
    start: date = date(2018, 1, 1)
    seed: int = 20180305
    source_branches: bool = (
        True  # include the four of the source text when W10 2018 is in the period
    )
    # Scales the generic branches' daily tickets (the source branches keep theirs): a
    # benchmark can size a network to a number of transactions without fewer branches.
    ticket_scale: float = 1.0
    # Dated practice changes (``--change``); without them every practice stays as drawn.
    changes: tuple[PracticeChange, ...] = ()

    @property
    def end(self) -> date:
        """The last day of the period."""
        return self.start + timedelta(days=7 * self.weeks - 1)

    @property
    def has_source_branches(self) -> bool:
        """True when the four source branches belong in this network."""
        return self.source_branches and self.start <= SOURCE_WEEK_START <= self.end


@dataclass(frozen=True)
class SourceBranch:
    """One branch of the source text, configured as the text describes how it works."""

    branch_id: str
    name: str
    region: str
    branch_type: str
    daily_tickets: float
    staff: dict[str, int]
    smart_counters: int
    teller_windows: int
    open_sunday: bool
    stage1_coverage: float
    stage2_coverage: float
    stage3_coverage: float
    cash_split: bool
    follow_up: bool
    full_catalogue: bool
    elderly_support: bool
    backup_teller: bool
    guidance_quality: float
    elderly_share: float
    young_share: float
    not_at_stm: tuple[str, ...] = ()
    device_fault_rate: float = 0.012


SOURCE_BRANCHES: tuple[SourceBranch, ...] = (
    # 镇江丹阳新市口: the lobby manager reads each customer at the door (stage 1) and
    # triages again in the hall when it is not busy; a trained specialist; cash customers
    # are taken to the smart counter for their non-cash business while they wait.
    SourceBranch(
        branch_id="DY-XSK",
        name="镇江丹阳新市口支行",
        region="镇江",
        branch_type="urban",
        daily_tickets=70.0,
        staff={
            "director": 1,
            "lobby_manager": 1,
            "stm_specialist": 1,
            "teller": 3,
            "wealth_manager": 1,
            "account_manager": 1,
        },
        smart_counters=2,
        teller_windows=3,
        open_sunday=True,
        stage1_coverage=0.85,
        stage2_coverage=0.55,
        stage3_coverage=0.0,
        cash_split=True,
        follow_up=False,
        full_catalogue=True,
        elderly_support=False,
        backup_teller=False,
        guidance_quality=0.90,
        elderly_share=0.20,
        young_share=0.22,
    ),
    # 南通经济技术开发区营业部: a specialist and a mobile specialist, a lobby manager and
    # two greeters lead every migratable customer; every migratable business is done at
    # the smart counter. Nothing about splitting cash visits; 213 tickets a day.
    SourceBranch(
        branch_id="NT-KFQ",
        name="南通经济技术开发区支行营业部",
        region="南通",
        branch_type="office",
        daily_tickets=213.0,
        staff={
            "director": 1,
            "lobby_manager": 1,
            "greeter": 2,
            "stm_specialist": 2,
            "teller": 3,
            "wealth_manager": 1,
            "account_manager": 1,
        },
        smart_counters=3,
        teller_windows=3,
        open_sunday=True,
        stage1_coverage=0.95,
        stage2_coverage=0.70,
        stage3_coverage=0.0,
        cash_split=False,
        follow_up=False,
        full_catalogue=True,
        elderly_support=False,
        backup_teller=False,
        guidance_quality=0.85,
        elderly_share=0.12,
        young_share=0.30,
    ),
    # 常州龙锦路: six staff, one smart counter, no lobby manager or specialist — the two
    # tellers take turns authorising, the wealth manager guides customers in the hall,
    # staff talk up the device at the window, customers are guided again next time.
    SourceBranch(
        branch_id="CZ-LJL",
        name="常州龙锦路支行",
        region="常州",
        branch_type="micro",
        daily_tickets=45.0,
        staff={"director": 1, "teller": 2, "wealth_manager": 1, "account_manager": 2},
        smart_counters=1,
        teller_windows=2,
        open_sunday=False,
        stage1_coverage=0.0,
        stage2_coverage=0.70,
        stage3_coverage=0.70,
        cash_split=False,
        follow_up=True,
        full_catalogue=False,
        elderly_support=False,
        backup_teller=False,
        guidance_quality=0.75,
        elderly_share=0.28,
        young_share=0.18,
        not_at_stm=("fx_remittance",),
    ),
    # 连云港东海城中: a greeter triages at ticket-taking, a new lobby manager as
    # specialist and the old one in the hall triage again, tellers re-promote at the
    # window (three rounds); a teller backs up the specialist at peaks; cash goes onto the
    # card first and the non-cash part is done at the smart counter; patience with the
    # elderly; customers not migrated are guided next time.
    SourceBranch(
        branch_id="LYG-DHCZ",
        name="连云港东海城中支行",
        region="连云港",
        branch_type="county",
        daily_tickets=106.0,
        staff={
            "director": 1,
            "lobby_manager": 1,
            "greeter": 1,
            "stm_specialist": 1,
            "teller": 5,
            "wealth_manager": 2,
            "account_manager": 2,
        },
        smart_counters=2,
        teller_windows=4,
        open_sunday=True,
        stage1_coverage=0.85,
        stage2_coverage=0.70,
        stage3_coverage=0.70,
        cash_split=True,
        follow_up=True,
        full_catalogue=True,
        elderly_support=True,
        backup_teller=True,
        guidance_quality=0.88,
        elderly_share=0.40,
        young_share=0.12,
    ),
)


@dataclass
class Practices:
    """Every branch's set-up and practice, one array element per branch."""

    branch_type: np.ndarray  # index into BRANCH_TYPES
    region: np.ndarray  # index into CITIES
    is_source: np.ndarray
    daily_tickets: np.ndarray  # tickets per opening day, the metric's definition
    open_sunday: np.ndarray
    smart_counters: np.ndarray
    teller_windows: np.ndarray
    role_counts: np.ndarray  # (branches, len(ROLES))
    backup_teller: np.ndarray
    stage1_coverage: np.ndarray  # share of migratable customers talked to at ticket-taking
    stage2_coverage: np.ndarray  # share of those still bound for a teller approached in the hall
    stage3_coverage: np.ndarray  # share re-promoted by the teller at the window (0: not practised)
    cash_split: np.ndarray
    follow_up: np.ndarray
    full_catalogue: np.ndarray  # every migratable business type is done at the smart counter
    elderly_support: np.ndarray  # extra patience with older customers at the smart counter
    guidance_quality: np.ndarray  # 0..1, how well staff guide (scripts, product knowledge)
    quality_trend: np.ndarray  # change of guidance_quality per week
    elderly_share: np.ndarray
    young_share: np.ndarray
    affluent_share: np.ndarray
    private_share: np.ndarray
    device_fault_rate: np.ndarray  # per smart counter and opening day
    pool_size: np.ndarray
    not_at_stm: np.ndarray  # (branches, len(CODES)): business its devices do not do
    staff_start: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    # Staff on the books per role (the most a branch has in any week): staff ids by role.
    role_slots: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int64))

    def __len__(self) -> int:
        """Number of branches."""
        return int(self.branch_type.shape[0])

    def take(self, rows: slice) -> Practices:
        """The practices of a slice of branches (a block)."""
        return Practices(**{f.name: getattr(self, f.name)[rows] for f in fields(self)})

    @property
    def staff_count(self) -> np.ndarray:
        """Staff per branch."""
        return np.asarray(self.role_counts.sum(axis=1))

    def role_count(self, role: str) -> np.ndarray:
        """How many staff of ``role`` each branch has."""
        return np.asarray(self.role_counts[:, ROLE_INDEX[role]])

    def role_start(self, role: str) -> np.ndarray:
        """Global staff index of each branch's first staff member of ``role``."""
        slots = self.role_slots if self.role_slots.shape == self.role_counts.shape else None
        before = (slots if slots is not None else self.role_counts)[:, : ROLE_INDEX[role]].sum(
            axis=1
        )
        return np.asarray(self.staff_start + before)


@dataclass
class Network:
    """A generated network: branch ids and names, practices, and the staff table."""

    spec: NetworkSpec
    branch_ids: pl.Series
    names: pl.Series
    practices: Practices  # as drawn, the first week's
    staff: pl.DataFrame  # canonical staff columns
    weekly: list[Practices] | None = None  # every week's, when changes are dated

    def practices_at(self, week: int) -> Practices:
        """The practices of week ``week`` of the run (from 0)."""
        return self.weekly[week] if self.weekly is not None else self.practices

    @property
    def size(self) -> int:
        """Number of branches."""
        return len(self.practices)

    @property
    def blocks(self) -> int:
        """How many branch blocks the simulation runs per week."""
        return -(-self.size // BLOCK_BRANCHES)

    def block_rows(self, block: int) -> slice:
        """The branch rows of ``block``."""
        return slice(block * BLOCK_BRANCHES, min((block + 1) * BLOCK_BRANCHES, self.size))

    def branches_frame(self, practices: Practices | None = None) -> pl.DataFrame:
        """The canonical branches table (of ``practices``: default, the first week's)."""
        p = self.practices if practices is None else practices
        return pl.DataFrame(
            {
                "branch_id": self.branch_ids,
                "name": self.names,
                "region": pl.Series([c.name for c in CITIES]).gather(p.region),
                "branch_type": pl.Series(BRANCH_TYPES).gather(p.branch_type),
                "staff_count": p.role_slots.sum(axis=1).astype(np.int64)
                if p.role_slots.shape == p.role_counts.shape
                else p.staff_count.astype(np.int64),
                "smart_counters": p.smart_counters.astype(np.int64),
                "teller_windows": p.teller_windows.astype(np.int64),
            }
        )

    def truth_frame(self, week: int = 0) -> pl.DataFrame:
        """Ground truth of every branch's practice in ``week``, for checking gap diagnosis."""
        p = self.practices_at(week)
        rc = {role: p.role_count(role).astype(np.int64) for role in ROLES}
        return self.branches_frame(p).with_columns(
            pl.Series("source_branch", p.is_source),
            pl.Series("daily_tickets", np.round(p.daily_tickets, 1)),
            pl.Series("open_sunday", p.open_sunday),
            pl.Series("dedicated_specialist", rc["stm_specialist"] > 0),
            pl.Series("stm_specialists", rc["stm_specialist"]),
            pl.Series("lobby_managers", rc["lobby_manager"]),
            pl.Series("greeters", rc["greeter"]),
            pl.Series("tellers", rc["teller"]),
            pl.Series("wealth_managers", rc["wealth_manager"]),
            pl.Series("backup_teller", p.backup_teller),
            pl.Series("stage1_coverage", np.round(p.stage1_coverage, 3)),
            pl.Series("stage2_coverage", np.round(p.stage2_coverage, 3)),
            pl.Series("stage3_repromotion", p.stage3_coverage > 0),
            pl.Series("stage3_coverage", np.round(p.stage3_coverage, 3)),
            pl.Series("triage_rounds", _rounds(p)),
            pl.Series("cash_split", p.cash_split),
            pl.Series("follow_up_next_visit", p.follow_up),
            pl.Series("all_migratable_at_stm", p.full_catalogue),
            pl.Series("elderly_support", p.elderly_support),
            pl.Series("guidance_quality", np.round(p.guidance_quality, 3)),
            pl.Series("guidance_trend_per_week", np.round(p.quality_trend, 4)),
            pl.Series("elderly_share", np.round(p.elderly_share, 3)),
            pl.Series("young_share", np.round(p.young_share, 3)),
            pl.Series("affluent_share", np.round(p.affluent_share, 3)),
            pl.Series("private_share", np.round(p.private_share, 3)),
            _not_at_stm_column(p.not_at_stm),
            pl.Series("device_fault_rate", np.round(p.device_fault_rate, 4)),
            pl.Series("customer_pool", p.pool_size.astype(np.int64)),
        )


def _not_at_stm_column(mask: np.ndarray) -> pl.Series:
    parts = pl.DataFrame({c: mask[:, i] for i, c in enumerate(CODES)}).select(
        pl.concat_list([pl.when(pl.col(c)).then(pl.lit(c)) for c in CODES])
        .list.drop_nulls()
        .list.join(";")
    )
    return parts.to_series().alias("not_at_stm")


def _rounds(p: Practices) -> np.ndarray:
    return (
        (p.stage1_coverage > 0).astype(np.int64)
        + (p.stage2_coverage > 0).astype(np.int64)
        + (p.stage3_coverage > 0).astype(np.int64)
    )


def network_rng(seed: int) -> np.random.Generator:
    """The generator that sets up the network (branches, staff, practices)."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0,)))


def build_network(spec: NetworkSpec) -> Network:
    """Set up the branches, their practices and staff for ``spec``."""
    if spec.branches < 1 or spec.weeks < 1:
        raise ValueError("a network needs at least one branch and one week")
    rng = network_rng(spec.seed)
    sources = SOURCE_BRANCHES if spec.has_source_branches else ()
    generic = max(spec.branches - len(sources), 0)
    gen_ids, gen_names, gen = _generic(generic, rng, spec.ticket_scale)
    src = _sources(sources)
    practices = _concat([src, gen]) if sources else gen
    ids = pl.concat([pl.Series([s.branch_id for s in sources], dtype=pl.String), gen_ids])
    names = pl.concat([pl.Series([s.name for s in sources], dtype=pl.String), gen_names])
    practices.pool_size = np.maximum(np.ceil(practices.daily_tickets * POOL_DAYS), 50).astype(
        np.int64
    )
    weekly = None
    if spec.changes:
        from smartcounter.synthetic.changes import check_changes, practices_by_week

        check_changes(spec.changes, ids.to_list(), spec.start, spec.weeks)
        weekly = practices_by_week(practices, spec.changes, ids.to_list(), spec.start, spec.weeks)
    distinct = list({id(p): p for p in (weekly or [practices])}.values())
    slots = np.maximum.reduce([p.role_counts for p in distinct])
    per_branch = slots.sum(axis=1)
    staff_start = np.concatenate([[0], np.cumsum(per_branch)[:-1]]).astype(np.int64)
    # The staff list is made from the practices as they start, which are not among the
    # weeks' own when a change falls in the first week.
    for p in [*distinct, practices]:
        p.role_slots = slots
        p.staff_start = staff_start
    staff = _staff_frame(ids, practices, rng)
    return Network(
        spec=spec, branch_ids=ids, names=names, practices=practices, staff=staff, weekly=weekly
    )


def _sources(sources: tuple[SourceBranch, ...]) -> Practices:
    def arr(attr: str, dtype: type | None = None) -> np.ndarray:
        return np.array([getattr(s, attr) for s in sources], dtype=dtype)

    n = len(sources)
    counts = np.array(
        [[s.staff.get(r, 0) for r in ROLES] for s in sources], dtype=np.int64
    ).reshape(n, len(ROLES))
    return Practices(
        branch_type=np.array([TYPE_INDEX[s.branch_type] for s in sources], dtype=np.int64),
        region=np.array([city_index(s.region) for s in sources], dtype=np.int64),
        is_source=np.ones(n, dtype=bool),
        daily_tickets=arr("daily_tickets", float),
        open_sunday=arr("open_sunday", bool),
        smart_counters=arr("smart_counters", np.int64),
        teller_windows=arr("teller_windows", np.int64),
        role_counts=counts,
        backup_teller=arr("backup_teller", bool),
        stage1_coverage=arr("stage1_coverage", float),
        stage2_coverage=arr("stage2_coverage", float),
        stage3_coverage=arr("stage3_coverage", float),
        cash_split=arr("cash_split", bool),
        follow_up=arr("follow_up", bool),
        full_catalogue=arr("full_catalogue", bool),
        elderly_support=arr("elderly_support", bool),
        guidance_quality=arr("guidance_quality", float),
        quality_trend=np.zeros(n),
        elderly_share=arr("elderly_share", float),
        young_share=arr("young_share", float),
        affluent_share=np.full(n, 0.15),
        private_share=np.full(n, 0.02),
        device_fault_rate=arr("device_fault_rate", float),
        pool_size=np.zeros(n, dtype=np.int64),
        not_at_stm=np.array(
            [[c in s.not_at_stm for c in CODES] for s in sources], dtype=bool
        ).reshape(n, len(CODES)),
    )


# Per branch type (urban, office, micro, county): median daily tickets, and the chance
# of each staffing choice. Offices are busy and well staffed, micro branches small,
# county branches serve older customers.
_TYPE_SHARE = np.array([0.40, 0.14, 0.16, 0.30])
_TICKETS_MEDIAN = np.array([70.0, 130.0, 38.0, 62.0])
_P_SPECIALIST = np.array([0.60, 0.80, 0.20, 0.50])
_P_LOBBY = np.array([0.85, 0.95, 0.30, 0.70])
_P_GREETER = np.array([0.55, 0.85, 0.15, 0.45])
_ELDERLY = np.array([0.20, 0.12, 0.24, 0.34])
_YOUNG = np.array([0.22, 0.30, 0.20, 0.14])
_AFFLUENT = np.array([0.16, 0.20, 0.14, 0.10])


def _generic(
    n: int, rng: np.random.Generator, ticket_scale: float = 1.0
) -> tuple[pl.Series, pl.Series, Practices]:
    """``n`` generic branches, ids like NJ0001, with practices over realistic ranges."""
    weights = np.array([c.weight for c in CITIES])
    region = np.sort(rng.choice(len(CITIES), size=n, p=weights / weights.sum()))
    btype = rng.choice(4, size=n, p=_TYPE_SHARE)
    tickets = np.clip(
        ticket_scale * _TICKETS_MEDIAN[btype] * np.exp(rng.normal(0.0, 0.35, n)),
        15.0 * min(1.0, ticket_scale),
        400.0,
    )

    tellers = np.clip(np.round(tickets / 38.0 + rng.normal(0.3, 0.6, n)), 1, 8).astype(np.int64)
    specialists = (rng.random(n) < _P_SPECIALIST[btype]).astype(np.int64)
    specialists += (specialists > 0) & (tickets > 150) & (rng.random(n) < 0.5)
    lobby = (rng.random(n) < _P_LOBBY[btype]).astype(np.int64)
    greeters = (rng.random(n) < _P_GREETER[btype]).astype(np.int64)
    greeters += (greeters > 0) & (tickets > 120) & (rng.random(n) < 0.6)
    wealth = 1 + (rng.random(n) < np.where(btype == TYPE_INDEX["micro"], 0.1, 0.45)).astype(
        np.int64
    )
    account = 1 + rng.integers(0, np.where(btype == TYPE_INDEX["micro"], 2, 3))
    counts = np.zeros((n, len(ROLES)), dtype=np.int64)
    counts[:, ROLE_INDEX["director"]] = 1
    counts[:, ROLE_INDEX["lobby_manager"]] = lobby
    counts[:, ROLE_INDEX["greeter"]] = greeters
    counts[:, ROLE_INDEX["stm_specialist"]] = specialists
    counts[:, ROLE_INDEX["teller"]] = tellers
    counts[:, ROLE_INDEX["wealth_manager"]] = wealth
    counts[:, ROLE_INDEX["account_manager"]] = account

    # Devices: roughly one per 45 migratable customers a day, sometimes one short.
    devices = np.clip(np.round(tickets / 60.0 + rng.normal(0.0, 0.5, n)), 1, 5).astype(np.int64)
    windows = tellers + (rng.random(n) < 0.3)

    hall = (lobby + specialists) > 0
    stage1 = np.where(
        greeters > 0,
        rng.beta(6, 2, n),
        np.where(lobby > 0, rng.beta(2, 3, n) * (rng.random(n) < 0.5), 0.0),
    )
    stage2 = np.where(
        hall, rng.beta(3, 2.5, n), np.where(rng.random(n) < 0.5, rng.beta(2, 4, n), 0.0)
    )
    stage3 = np.where(rng.random(n) < 0.35, rng.beta(4, 2, n), 0.0)
    quality = rng.beta(4, 2.6, n)
    full = rng.random(n) < 0.5
    elderly = np.clip(_ELDERLY[btype] + rng.normal(0, 0.06, n), 0.03, 0.6)
    young = np.clip(_YOUNG[btype] + rng.normal(0, 0.05, n), 0.05, 0.5)
    young = np.minimum(young, 0.9 - elderly)
    practices = Practices(
        branch_type=btype.astype(np.int64),
        region=region.astype(np.int64),
        is_source=np.zeros(n, dtype=bool),
        daily_tickets=np.round(tickets, 1),
        open_sunday=rng.random(n) < np.where(btype == TYPE_INDEX["micro"], 0.25, 0.75),
        smart_counters=devices,
        teller_windows=windows.astype(np.int64),
        role_counts=counts,
        backup_teller=(specialists > 0) & (rng.random(n) < 0.2),
        stage1_coverage=stage1,
        stage2_coverage=stage2,
        stage3_coverage=stage3,
        cash_split=rng.random(n) < 0.3,
        follow_up=rng.random(n) < 0.35,
        full_catalogue=full,
        elderly_support=rng.random(n) < 0.25,
        guidance_quality=quality,
        quality_trend=rng.normal(0.002, 0.006, n),
        elderly_share=elderly,
        young_share=young,
        affluent_share=np.clip(_AFFLUENT[btype] + rng.normal(0, 0.04, n), 0.03, 0.4),
        private_share=np.clip(rng.normal(0.02, 0.01, n), 0.0, 0.08),
        device_fault_rate=np.clip(np.exp(rng.normal(np.log(0.015), 0.6, n)), 0.002, 0.12),
        pool_size=np.zeros(n, dtype=np.int64),
        not_at_stm=_draw_not_at_stm(full, rng),
    )
    # Ids count per city: NJ0001, NJ0002, …; region is sorted, so the count is a rank.
    first = np.searchsorted(region, region, side="left")
    number = np.arange(n) - first + 1
    codes = pl.Series([c.code for c in CITIES]).gather(region)
    ids = pl.DataFrame({"c": codes, "n": number}).select(
        pl.concat_str([pl.col("c"), pl.col("n").cast(pl.String).str.zfill(4)]).alias("branch_id")
    )
    names = branch_names(region, btype, BRANCH_TYPES, rng)
    return ids.to_series(), _dedupe(names, ids.to_series()), practices


def _draw_not_at_stm(full: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    chance = np.array([NOT_AT_STM.get(c, 0.0) for c in CODES])
    return np.asarray((rng.random((full.shape[0], len(CODES))) < chance[None, :]) & ~full[:, None])


def _dedupe(names: pl.Series, ids: pl.Series) -> pl.Series:
    """Make branch names unique: a second 南京中山路支行 becomes 南京中山路第二支行 style."""
    frame = pl.DataFrame({"name": names, "id": ids}).with_columns(
        pl.int_range(pl.len()).over("name").alias("k")
    )
    return frame.select(
        pl.when(pl.col("k") == 0)
        .then(pl.col("name"))
        .otherwise(
            pl.concat_str(
                [
                    pl.col("name").str.replace(r"(支行营业部|支行)$", ""),
                    pl.lit("("),
                    pl.col("id"),
                    pl.lit(")"),
                    pl.col("name").str.extract(r"(支行营业部|支行)$"),
                ]
            )
        )
        .alias("name")
    ).to_series()


def _concat(parts: list[Practices]) -> Practices:
    return Practices(
        **{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Practices)}
    )


def _staff_frame(ids: pl.Series, p: Practices, rng: np.random.Generator) -> pl.DataFrame:
    """One row per staff member: id like NJ0001-S03, branch, a name, the role."""
    counts = p.role_slots
    per_branch = counts.sum(axis=1)
    branch = np.repeat(np.arange(len(p)), per_branch)
    role = np.repeat(np.tile(np.arange(len(ROLES)), len(p)), counts.reshape(-1))
    number = np.arange(branch.shape[0]) - np.repeat(p.staff_start, per_branch) + 1
    frame = pl.DataFrame(
        {
            "branch_id": ids.gather(branch),
            "n": number,
            "name": person_names(branch.shape[0], rng),
            "role": pl.Series(ROLES).gather(role),
        }
    )
    return frame.select(
        pl.concat_str(
            [pl.col("branch_id"), pl.lit("-S"), pl.col("n").cast(pl.String).str.zfill(2)]
        ).alias("staff_id"),
        "branch_id",
        "name",
        "role",
    )
