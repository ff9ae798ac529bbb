"""What the lobby API takes and gives: ``*Create`` / ``*Update`` in, ``*Public`` out."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    model_validator,
)

from smartcounter.canonical.tables import AGE_BANDS, CUSTOMER_TIERS, ROLES
from smartcounter.lobby.models import (
    AuthorisationStatus,
    ItemStatus,
    QueueKind,
    TerminalStatus,
    TicketStatus,
    TriageOutcome,
)

# Free text never holds control characters (a NUL byte is refused by PostgreSQL).
_PRINTABLE = r"^[^\x00-\x1f\x7f]*$"
Code = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$")]
Identifier = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")
]


def _without_spaces(value: object) -> object:
    """A card number as printed (``6222 0202 0011 3333``) is the number without its spaces."""
    return "".join(value.split()) if isinstance(value, str) else value


# A card or account number: letters, digits and ``_ . : -``, spaces (any, anywhere) left out,
# so the number typed as printed or run together is one customer.
CustomerNumber = Annotated[Identifier, BeforeValidator(_without_spaces)]
Text = Annotated[
    str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True, pattern=_PRINTABLE)
]
PointCode = Annotated[
    str, StringConstraints(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9\-]+$")
]
Prefix = Annotated[str, StringConstraints(min_length=1, max_length=2, pattern=r"^[A-Z]+$")]
AgeBand = Literal["<30", "30-44", "45-59", "60+"]
Tier = Literal["mass", "affluent", "private"]
StaffRole = Literal[
    "director",
    "lobby_manager",
    "greeter",
    "stm_specialist",
    "teller",
    "wealth_manager",
    "account_manager",
]
assert set(AgeBand.__args__) == set(AGE_BANDS)  # type: ignore[attr-defined]
assert set(Tier.__args__) == set(CUSTOMER_TIERS)  # type: ignore[attr-defined]
assert set(StaffRole.__args__) == set(ROLES)  # type: ignore[attr-defined]


class _In(BaseModel):
    """A request body: no field it does not know, and yes/no only as ``true``/``false``
    (``StrictBool``: a lax ``"yes"``, ``"no"``, ``"0"`` or ``1`` is refused, not guessed)."""

    model_config = ConfigDict(extra="forbid")


# -- input -------------------------------------------------------------------------------


class TriageAtIssue(_In):
    """The greeter's first triage round, given while issuing the ticket."""

    outcome: TriageOutcome
    reason: Code | None = None


class TicketCreate(_In):
    """A new ticket: the business the customer came for and what is known of them."""

    business: list[Code] = Field(min_length=1, max_length=8)
    customer_id: CustomerNumber | None = None
    age_band: AgeBand | None = None
    customer_tier: Tier | None = None
    has_mobile_banking: StrictBool | None = None
    triage: TriageAtIssue | None = None


class TriageCreate(_In):
    """A triage round: 1 greeter, 2 specialist or lobby manager in the hall, 3 teller."""

    stage: Literal[1, 2, 3]
    outcome: TriageOutcome
    reason: Code | None = None


class ReferralCreate(_In):
    """A referral to the wealth manager."""

    kind: Literal["wealth"] = "wealth"


class TicketTransfer(_In):
    """Send the ticket's current business to another queue."""

    queue: QueueKind
    reason: Code | None = None


class TicketComplete(_In):
    """Finish at the point; ``reason`` for migratable business kept at a teller window."""

    reason: Code | None = None
    extra_business: list[Code] = Field(default_factory=list, max_length=8)


class AuthorisationCreate(_In):
    """Ask the specialist to authorise a smart-counter step."""

    business_code: Code


class AuthorisationDecision(_In):
    """Approve or reject."""

    approve: StrictBool


class TerminalStatusUpdate(_In):
    """How a terminal is running."""

    status: TerminalStatus


class BranchUpdate(_In):
    """Editable details of a branch."""

    name: Text | None = None
    no_show_after: int | None = Field(default=None, ge=1, le=20)


class ServicePointCreate(_In):
    """A new teller window, smart counter or desk."""

    kind: QueueKind
    code: PointCode
    name: Text


class ServicePointUpdate(_In):
    """Rename a point, or open and close it."""

    name: Text | None = None
    active: StrictBool | None = None


class QueuePrefixUpdate(_In):
    """The letter(s) in front of a queue's ticket numbers."""

    prefix: Prefix


class OpeningHoursItem(BaseModel):
    """Opening hours of one weekday (0 Monday … 6 Sunday)."""

    model_config = ConfigDict(extra="forbid")

    weekday: int = Field(ge=0, le=6)
    opens: time
    closes: time

    @model_validator(mode="after")
    def _opens_before_closes(self) -> OpeningHoursItem:
        if self.opens >= self.closes:
            raise ValueError("opens must be before closes")
        return self


class OpeningHoursUpdate(_In):
    """The whole week; a weekday left out is closed."""

    days: list[OpeningHoursItem] = Field(max_length=7)

    @model_validator(mode="after")
    def _one_per_weekday(self) -> OpeningHoursUpdate:
        weekdays = [d.weekday for d in self.days]
        if len(set(weekdays)) != len(weekdays):
            raise ValueError("each weekday at most once")
        return self


class StaffCreate(_In):
    """A member of staff joining the branch."""

    staff_id: Identifier
    name: Text | None = None
    role: StaffRole
    on_duty: StrictBool = True


class StaffUpdate(_In):
    """Change a member of staff's role, name or duty."""

    name: Text | None = None
    role: StaffRole | None = None
    on_duty: StrictBool | None = None


class CloseDayCreate(_In):
    """Which day to close (today when left out), confirmed explicitly."""

    day: date | None = None
    # The page asks the director first; an unconfirmed close changes nothing.
    confirm: StrictBool = False


# -- output ------------------------------------------------------------------------------


class ItemPublic(BaseModel):
    business_code: str
    name: str
    route: QueueKind
    status: ItemStatus
    migratable: bool
    cash: bool
    needs_authorisation: bool
    reason: str | None
    reason_name: str | None


class PromptPublic(BaseModel):
    rule: str
    action: str | None
    text: str


class TouchPublic(BaseModel):
    stage: int
    outcome: TriageOutcome
    reason: str | None
    staff_id: str | None
    ts: datetime


class AuthorisationPublic(BaseModel):
    id: int
    ticket_id: int
    ticket_no: str | None
    business_code: str
    business_name: str
    status: AuthorisationStatus
    point_code: str | None
    requested_at: datetime
    decided_at: datetime | None
    decided_by: str | None
    waiting_s: float


class TicketPublic(BaseModel):
    id: int
    visit_id: str
    ticket_no: str
    queue: QueueKind
    queue_name: str
    status: TicketStatus
    status_name: str
    position: int | None
    wait_minutes: int | None
    point_id: int | None
    point_code: str | None
    point_name: str | None
    # Only ever the masked card or account number (6222 **** **** 2222), never the number.
    customer_id: str | None
    customer_masked: str | None
    age_band: str | None
    customer_tier: str | None
    has_mobile_banking: bool | None
    follow_up: bool
    issued_at: datetime
    called_at: datetime | None
    finished_at: datetime | None
    recalls: int
    items: list[ItemPublic]
    prompts: list[PromptPublic]
    touches: list[TouchPublic]
    authorisations: list[AuthorisationPublic]
    referrals: int
    notices: list[str]
    # Stages with an outcome already (one per stage): the pages offer no second one.
    triage_done: list[int]
    # A no-show may be called back, keeping their visit, until then; None otherwise.
    recallable_until: datetime | None


class QueuePublic(BaseModel):
    kind: QueueKind
    name: str
    prefix: str
    waiting: int
    wait_minutes: int | None
    notices: list[str]


class CallingPublic(BaseModel):
    ticket_no: str
    point_code: str
    point_name: str
    called_at: datetime | None
    recalls: int


class PointPublic(BaseModel):
    id: int
    kind: QueueKind
    code: str
    name: str
    status: TerminalStatus
    status_name: str
    active: bool


class BoardPublic(BaseModel):
    branch_id: str
    branch_name: str
    now: datetime
    calling: list[CallingPublic]
    queues: list[QueuePublic]
    points: list[PointPublic]


class PointWithTicketPublic(BaseModel):
    point: PointPublic
    ticket: TicketPublic | None


class LobbyPublic(BaseModel):
    board: BoardPublic
    waiting: list[TicketPublic]
    points: list[PointWithTicketPublic]
    authorisations: list[AuthorisationPublic]


class StaffPublic(BaseModel):
    staff_id: str
    name: str | None
    role: str
    role_name: str
    on_duty: bool


class QueueSetupPublic(BaseModel):
    kind: QueueKind
    name: str
    prefix: str


class BranchSummary(BaseModel):
    branch_id: str
    name: str
    region: str | None
    branch_type: str


class BranchPublic(BranchSummary):
    staff_count: int | None
    no_show_after: int
    queues: list[QueueSetupPublic]
    points: list[PointPublic]
    hours: list[OpeningHoursItem]
    staff: list[StaffPublic]


class ClosurePublic(BaseModel):
    branch_id: str
    day: date
    closed_at: datetime
    closed_by: str | None
    visits: int
    transactions: int
    triage: int
    migratable: int
    migrated: int


class ImportCountsPublic(BaseModel):
    table: str
    read: int
    imported: int
    updated: int
    skipped: int
    rejected: int


class ExpiredTicketPublic(BaseModel):
    """A customer still waiting when the day was closed."""

    branch_id: str
    ticket_no: str
    visit_id: str
    status: TicketStatus
    status_name: str
    customer_masked: str | None


class CloseDayPublic(BaseModel):
    day: date
    closures: list[ClosurePublic]
    imports: list[ImportCountsPublic]
    rejects: str | None
    expired: int
    expired_tickets: list[ExpiredTicketPublic]


class SetupLoadPublic(BaseModel):
    branches_added: int
    branches_updated: int
    staff_added: int
    staff_updated: int


class BusinessTypePublic(BaseModel):
    code: str
    name: str
    migratable: bool
    cash: bool
    needs_authorisation: bool


class ReasonPublic(BaseModel):
    code: str
    name: str


class CataloguePublic(BaseModel):
    business: list[BusinessTypePublic]
    reasons: list[ReasonPublic]
