"""The canonical import format (data-format.md) as data: one definition used by ingest,
the store, the synthetic generator and the lobby service's close of day."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Kind(StrEnum):
    """What a column holds; decides how a raw text value is parsed and checked."""

    TEXT = "text"
    INTEGER = "integer"
    NUMBER = "number"
    TIMESTAMP = "timestamp"
    BOOLEAN = "boolean"
    CHOICE = "choice"
    BUSINESS_CODE = "business_code"
    REASON_CODE = "reason_code"


class TableKind(StrEnum):
    """Reference tables change over time (updates allowed); event tables do not."""

    REFERENCE = "reference"
    EVENT = "event"


class OnUnknown(StrEnum):
    """What an id that the store does not know means for the row holding it."""

    REJECT = "reject"
    UNRESOLVED = "unresolved"


BRANCH_TYPES = ("urban", "office", "micro", "county")
ROLES = (
    "director",
    "lobby_manager",
    "greeter",
    "stm_specialist",
    "teller",
    "wealth_manager",
    "account_manager",
)
AGE_BANDS = ("<30", "30-44", "45-59", "60+")
CUSTOMER_TIERS = ("mass", "affluent", "private")
CHANNELS = ("stm", "teller")
OUTCOMES = ("accepted", "declined")
STAGES = (1, 2, 3)
# An e-mail address as a person writes one (local part, @, a domain with a dot); what a
# mail server accepts is its own business, this catches what cannot be an address.
EMAIL_PATTERN = r"^[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[^@\s,;<>\".]+$"


@dataclass(frozen=True)
class Column:
    """One column of a canonical table."""

    name: str
    kind: Kind
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    references: str | None = None
    on_unknown: OnUnknown = OnUnknown.REJECT
    default: str | None = None
    # A text value must match this (``re`` syntax); else the row is rejected as ``failure``.
    pattern: str | None = None
    failure: str = "reject.pattern"


@dataclass(frozen=True)
class Table:
    """One canonical table: its file, id, columns and how the store partitions it."""

    name: str
    kind: TableKind
    id_columns: tuple[str, ...]
    columns: tuple[Column, ...]
    time_column: str | None = None
    branch_column: str | None = None
    depends_on: tuple[str, ...] = field(default=())
    # A reference file without one of the optional columns leaves that column of its
    # stored rows as it was (a branches.csv without smart_counters does not erase them);
    # False: a row replaces the stored one whole (the business catalogue's entries).
    absent_keeps_stored: bool = False

    @property
    def file_name(self) -> str:
        return f"{self.name}.csv"

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


BUSINESS_TYPES = Table(
    name="business_types",
    kind=TableKind.REFERENCE,
    id_columns=("code",),
    columns=(
        Column("code", Kind.TEXT, required=True),
        Column("name_zh", Kind.TEXT, required=True),
        Column("name_en", Kind.TEXT),
        Column("migratable", Kind.BOOLEAN, required=True),
        Column("cash", Kind.BOOLEAN, default="false"),
    ),
)

BRANCHES = Table(
    name="branches",
    kind=TableKind.REFERENCE,
    absent_keeps_stored=True,
    id_columns=("branch_id",),
    columns=(
        Column("branch_id", Kind.TEXT, required=True),
        Column("name", Kind.TEXT, required=True),
        Column("region", Kind.TEXT),
        Column("branch_type", Kind.CHOICE, required=True, choices=BRANCH_TYPES),
        Column("staff_count", Kind.INTEGER, minimum=1),
        Column("smart_counters", Kind.INTEGER, minimum=0),
        Column("teller_windows", Kind.INTEGER, minimum=0),
    ),
)

STAFF = Table(
    name="staff",
    kind=TableKind.REFERENCE,
    absent_keeps_stored=True,
    id_columns=("staff_id",),
    columns=(
        Column("staff_id", Kind.TEXT, required=True),
        Column("branch_id", Kind.TEXT, required=True, references="branches"),
        Column("name", Kind.TEXT),
        Column("role", Kind.CHOICE, required=True, choices=ROLES),
        Column("email", Kind.TEXT, pattern=EMAIL_PATTERN, failure="reject.email"),
    ),
    depends_on=("branches",),
)

VISITS = Table(
    name="visits",
    kind=TableKind.EVENT,
    id_columns=("visit_id",),
    columns=(
        Column("visit_id", Kind.TEXT, required=True),
        Column("branch_id", Kind.TEXT, required=True, references="branches"),
        Column("issued_at", Kind.TIMESTAMP, required=True),
        Column("ticket_no", Kind.TEXT),
        Column("intent", Kind.BUSINESS_CODE),
        Column("customer_id", Kind.TEXT),
        Column("age_band", Kind.CHOICE, choices=AGE_BANDS),
        Column("customer_tier", Kind.CHOICE, choices=CUSTOMER_TIERS),
        Column("called_at", Kind.TIMESTAMP),
        Column("finished_at", Kind.TIMESTAMP),
    ),
    time_column="issued_at",
    branch_column="branch_id",
    depends_on=("branches", "business_types"),
)

TRANSACTIONS = Table(
    name="transactions",
    kind=TableKind.EVENT,
    id_columns=("txn_id",),
    columns=(
        Column("txn_id", Kind.TEXT, required=True),
        Column("branch_id", Kind.TEXT, required=True, references="branches"),
        Column("ts", Kind.TIMESTAMP, required=True),
        Column("business_code", Kind.BUSINESS_CODE, required=True),
        Column("channel", Kind.CHOICE, required=True, choices=CHANNELS),
        Column("staff_id", Kind.TEXT, references="staff", on_unknown=OnUnknown.UNRESOLVED),
        Column("visit_id", Kind.TEXT, references="visits", on_unknown=OnUnknown.UNRESOLVED),
        Column("customer_id", Kind.TEXT),
        Column("reason", Kind.REASON_CODE),
        Column("duration_s", Kind.NUMBER, minimum=0),
    ),
    time_column="ts",
    branch_column="branch_id",
    depends_on=("branches", "business_types", "staff", "visits"),
)

TRIAGE = Table(
    name="triage",
    kind=TableKind.EVENT,
    id_columns=("visit_id", "stage", "ts"),
    columns=(
        Column(
            "visit_id",
            Kind.TEXT,
            required=True,
            references="visits",
            on_unknown=OnUnknown.UNRESOLVED,
        ),
        Column("stage", Kind.INTEGER, required=True, minimum=1, maximum=3),
        Column("staff_id", Kind.TEXT, references="staff", on_unknown=OnUnknown.UNRESOLVED),
        Column("ts", Kind.TIMESTAMP, required=True),
        Column("outcome", Kind.CHOICE, required=True, choices=OUTCOMES),
        Column("reason", Kind.REASON_CODE),
    ),
    time_column="ts",
    depends_on=("visits", "staff"),
)

# Import order follows references: a row may name what an earlier table of the same
# import brought in.
TABLES: tuple[Table, ...] = (BUSINESS_TYPES, BRANCHES, STAFF, VISITS, TRANSACTIONS, TRIAGE)
TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}


def table(name: str) -> Table:
    """Return the canonical table called ``name``."""
    return TABLES_BY_NAME[name]
