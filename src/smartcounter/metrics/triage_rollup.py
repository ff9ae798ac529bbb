"""The weekly rollup of the triage: the funnel's touches and the visits by triage depth.

The triage funnel, its decline reasons and the triage depth are counts too: per branch
and week, touches per stage, outcome and reason; visits per deepest stage. They used to
be counted from the triage rows and the visits for every bulletin and dashboard. The
rollup ``tri_rollup`` keeps those counts beside the rows, in grouping sets like the
transactions' rollup (``rollups.py``):

================= ==================== ===========================================
set (``dim``)     period of            rows per branch and week
================= ==================== ===========================================
``funnel``        the triage touch     one per stage, outcome and reason
``depth``         the visit            one per deepest stage (0: none)
================= ==================== ===========================================

Those are the sets the bulletin and the dashboards read (per branch, peer group, region,
week, month or quarter). Each set costs the import about 0.25 s of CPU per 800,000
transactions (a join of the week's triage with three weeks of visits); a figure sliced
by day, hour, staff or age band (the ``funnel`` command's rarer questions) reads the rows,
as it did before. The machinery takes more sets (``day``, ``hour``, ``staff_id``,
``age_band``, ``customer_tier``) by adding them below, with a new format ``version``.

A touch's branch is its visit's (triage.csv has no branch); a visit's depth is the
highest stage of all triage touches of it in the week and the weeks beside it — exactly
what the figures' SQL over the rows (``definitions.py``) reads. ``tri_rollup_sql`` is the
one definition, run by the import and, for a week without a rollup, by the engine.
"""

from __future__ import annotations

from collections.abc import Iterable

from smartcounter.canonical.tables import Column, Kind, Table, TableKind

TRIAGE_ROLLUP = "tri_rollup"

TRI_ROLLUP = Table(
    name=TRIAGE_ROLLUP,
    kind=TableKind.EVENT,
    id_columns=(),
    columns=(
        Column("dim", Kind.TEXT),
        Column("branch_id", Kind.TEXT),
        Column("staff_id", Kind.TEXT),
        Column("age_band", Kind.TEXT),
        Column("customer_tier", Kind.TEXT),
        Column("stage", Kind.INTEGER),
        Column("outcome", Kind.TEXT),
        Column("reason", Kind.TEXT),
        Column("depth", Kind.INTEGER),
        Column("n", Kind.INTEGER),  # touches (funnel sets) or visits (depth sets)
    ),
    time_column="day",
)

# The columns each set slices by beyond branch, week, month and quarter.
FUNNEL_SETS: dict[str, tuple[str, ...]] = {"funnel": ()}
DEPTH_SETS: dict[str, tuple[str, ...]] = {"depth": ()}
# Where a sliced column comes from: the triage touch (``tr``) or its visit (``v``).
_FUNNEL_SOURCE = {"day": "tr", "hour": "tr", "staff_id": "tr", "age_band": "v"}
_TYPES = {"day": "DATE", "hour": "INT"}
_SLICES = ("day", "hour", "staff_id", "age_band", "customer_tier")

# A declined touch without a reason counts under 'unknown' (metrics.md, Triage funnel).
TOUCH_REASON = "COALESCE(tr.reason, 'unknown')"
# The deepest stage that touched each visit: the depth of a visit without any is 0.
DEEPEST = "SELECT visit_id, MAX(stage) AS depth FROM triage GROUP BY visit_id"
DEPTH = "CAST(COALESCE(d.depth, 0) AS INT)"


def _null(name: str) -> str:
    return f"CAST(NULL AS {_TYPES.get(name, 'STRING')}) AS {name}"


def _funnel_sql(dim: str, weeks: str | None) -> str:
    sliced = FUNNEL_SETS[dim]
    cols = [f"{_FUNNEL_SOURCE[n]}.{n} AS {n}" if n in sliced else _null(n) for n in _SLICES]
    group = ["v.branch_id", "tr.week", "tr.month", "tr.quarter"]
    group += [f"{_FUNNEL_SOURCE[n]}.{n}" for n in sliced]
    group += ["tr.stage", "tr.outcome", TOUCH_REASON]
    where = f"WHERE tr.week IN ({weeks})" if weeks is not None else ""
    return f"""
    SELECT '{dim}' AS dim, v.branch_id AS branch_id, tr.week AS week, tr.month AS month,
           tr.quarter AS quarter, {", ".join(cols)},
           CAST(tr.stage AS INT) AS stage, tr.outcome AS outcome, {TOUCH_REASON} AS reason,
           CAST(NULL AS INT) AS depth, CAST(COUNT(*) AS BIGINT) AS n
    FROM triage tr
    LEFT JOIN visits v ON v.visit_id = tr.visit_id
    {where}
    GROUP BY {", ".join(group)}"""


def _depth_sql(dim: str, weeks: str | None) -> str:
    sliced = DEPTH_SETS[dim]
    cols = [f"v.{n} AS {n}" if n in sliced else _null(n) for n in _SLICES]
    group = ["v.branch_id", "v.week", "v.month", "v.quarter", *(f"v.{n}" for n in sliced), DEPTH]
    where = f"WHERE v.week IN ({weeks})" if weeks is not None else ""
    return f"""
    SELECT '{dim}' AS dim, v.branch_id AS branch_id, v.week AS week, v.month AS month,
           v.quarter AS quarter, {", ".join(cols)},
           CAST(NULL AS INT) AS stage, CAST(NULL AS STRING) AS outcome,
           CAST(NULL AS STRING) AS reason, {DEPTH} AS depth, CAST(COUNT(*) AS BIGINT) AS n
    FROM visits v
    LEFT JOIN ({DEEPEST}) d ON d.visit_id = v.visit_id
    {where}
    GROUP BY {", ".join(group)}"""


def tri_rollup_sql(weeks: Iterable[str] | None = None) -> str:
    """The triage rollup of ``weeks`` (else all), every set, over the views ``triage``
    and ``visits`` (which must hold the weeks beside ``weeks`` too)."""
    listed: str | None = None
    if weeks is not None:
        listed = ", ".join(f"'{w}'" for w in sorted(set(weeks))) or "NULL"
    parts = [_funnel_sql(dim, listed) for dim in FUNNEL_SETS]
    parts += [_depth_sql(dim, listed) for dim in DEPTH_SETS]
    return "\nUNION ALL\n".join(parts)
