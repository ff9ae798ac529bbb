"""The dashboards' view models (what the pages render and the JSON API returns) and inputs.

Every figure here is a value of the metrics, programme or scorecard APIs, unchanged;
labels are in the request's language. Fractions stay fractions (0.9385), changes and gaps
are in percentage points, as the APIs give them.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from smartcounter.views import Depth, Pareto, Rate, Series, Stage

Quarter = Annotated[str, StringConstraints(pattern=r"^\d{4}-Q[1-4]$")]
StaffId = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")
]
Note = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$"),
]


class _View(BaseModel):
    model_config = ConfigDict(frozen=True)


class NetworkHeadline(_View):
    """The week of the whole network in a few figures."""

    rate: Rate
    previous_rate: float | None
    change_pp: float | None
    branches_listed: int
    branches_reporting: int
    at_target: int
    share_at_target: float | None
    shortfall: int


class RankingRow(_View):
    """A branch in the week's ranking: rate, interval, shrunk estimate, ranks, how sure."""

    branch_id: str
    name: str
    region: str | None
    branch_type: str
    group: str
    rate: Rate
    shrunk_rate: float | None
    shrunk_low: float | None
    shrunk_high: float | None
    peer_rank: int | None
    peers: int | None
    network_rank: int | None
    previous_rate: float | None
    change_pp: float | None
    standing: str
    standing_label: str


class PeerGroupView(_View):
    """A peer group's week and its branches (those the region and group filters keep)."""

    branch_type: str
    label: str
    rate: Rate
    change_pp: float | None
    branches_reporting: int
    at_target: int
    share_at_target: float | None
    rows: list[RankingRow]


class BenchmarkView(_View):
    """A reliably-best branch of its peer group and what it does differently."""

    branch_id: str
    name: str
    region: str | None
    branch_type: str
    group: str
    rank: int
    rate: float | None
    low: float
    high: float
    peer_mean: float | None
    lead_points: float | None  # lower bound above the peer group's mean, in points
    differences: list[str]


class ProgressPoint(_View):
    """One week of a pair's gap."""

    week: str
    rate: float | None
    partner_rate: float | None
    gap_points: float | None


class PairView(_View):
    """A pair: who helps whom, the gap and its diagnosis, and the gap week by week."""

    pair_id: int | None
    saved: bool
    branch_id: str
    name: str
    region: str | None
    partner_branch_id: str
    partner_name: str
    start_week: str | None
    rate: float
    partner_rate: float
    gap_points: float
    mix_points: float
    performance_points: float
    baseline_gap_points: float | None
    change_points: float | None  # latest gap against the gap at the start; negative: closing
    why: list[str]
    findings: list[str]
    recommendations: list[str]
    progress: list[ProgressPoint]


class ProgrammeView(_View):
    """The programme's week as the dashboards show it: benchmarks and pairs."""

    available: bool  # False: the programme could not be worked out this week
    benchmark_weeks: list[str]
    benchmarks: list[BenchmarkView]
    pairs_saved: bool
    pairs: list[PairView]
    notes: list[str]


class BulletinLink(_View):
    """A file of the week's bulletin: where to get it and whether it is built already."""

    format: Literal["html", "xlsx", "pdf"]
    lang: Literal["zh", "en"]
    url: str
    ready: bool


class Choice(_View):
    """An option of a filter."""

    value: str
    label: str


class NetworkDashboard(_View):
    """The centre analyst's dashboard: every branch in one week."""

    week: str
    previous_week: str
    weeks: list[str]
    trend_weeks: list[str]
    target: float
    min_migratable: int
    region: str | None
    group: str | None
    regions: list[str]
    groups: list[Choice]
    headline: NetworkHeadline
    trend: list[Series]
    peer_groups: list[PeerGroupView]
    benchmark_weeks: list[str]
    benchmarks: list[BenchmarkView]
    pair_weeks: int  # the weeks a pair's gap and diagnosis are taken over
    pairs_saved: bool
    pairs: list[PairView]
    programme_notes: list[str]
    bulletin: list[BulletinLink]


class BranchInfo(_View):
    """Who the branch is."""

    branch_id: str
    name: str
    region: str | None
    branch_type: str
    group: str
    staff_count: int | None
    smart_counters: int | None


class BranchWeek(_View):
    """The branch's week: rate, interval, shrunk estimate, ranks, target, tickets."""

    rate: Rate
    previous_rate: float | None
    change_pp: float | None
    shrunk_rate: float | None
    shrunk_low: float | None
    shrunk_high: float | None
    peer_rank: int | None
    peers: int | None
    network_rank: int | None
    network_ranked: int
    standing: str
    standing_label: str
    at_target: bool | None
    shortfall: int | None
    tickets: int
    daily_tickets: float | None


class BranchPair(_View):
    """The branch's pair, and which side of it the branch is on."""

    side: Literal["lagging", "partner"]
    pair: PairView


class ScorecardWeights(_View):
    """The weights of the scorecard's parts."""

    migration: float
    triage_acceptance: float
    triage_coverage: float
    director: float


class StaffScorecard(_View):
    """A staff member's quarter: figures, parts (0–100), the director's score, the result."""

    staff_id: str
    name: str
    role: str | None
    role_label: str
    transactions: int
    migratable: int
    touches: int
    acceptance_rate: float | None
    migration: float | None
    triage_acceptance: float | None
    triage_coverage: float | None
    director: float | None
    director_note: str | None
    score: float | None
    scorable: bool  # the caller may enter this member's director score


class BranchDashboard(_View):
    """The branch director's dashboard: one branch, one week, one quarter's scorecards."""

    week: str
    previous_week: str
    weeks: list[str]
    trend_weeks: list[str]
    target: float
    branch: BranchInfo
    this_week: BranchWeek | None  # None: no business in the week
    trend: list[Series]
    unmigrated: list[Pareto]
    funnel: list[Stage]
    depth: list[Depth]
    pair_weeks: int  # the weeks a pair's gap and diagnosis are taken over
    pairs_saved: bool
    pairs: list[BranchPair]
    programme_notes: list[str]
    quarter: str
    quarters: list[str]
    weights: ScorecardWeights
    scorecards: list[StaffScorecard]
    can_score: bool


class DirectorScoreIn(BaseModel):
    """One staff member's director score for the quarter."""

    model_config = ConfigDict(extra="forbid")

    staff_id: StaffId
    score: float = Field(ge=0, le=100, allow_inf_nan=False)
    note: Note | None = None


class DirectorScoresIn(BaseModel):
    """The director's scores of a quarter, one per staff member."""

    model_config = ConfigDict(extra="forbid")

    scores: list[DirectorScoreIn] = Field(min_length=1, max_length=500)


class DirectorScoresSaved(_View):
    """What saving the director's scores did."""

    quarter: str
    branch_id: str
    new: int
    replaced: int
