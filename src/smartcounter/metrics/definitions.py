"""Every figure of metrics.md, written once as SQL that DuckDB and Spark both run as is.

The SQL keeps to the subset the two engines read alike: CTEs, CASE, SUM/COUNT,
window functions, explicit ``CAST(... AS DOUBLE)``, double literals written as casts.
Periods (ISO week, month, day, hour) were derived at import and are plain columns, so
no engine-specific date function appears here. The parity test is the judge.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from smartcounter.metrics.period import Period
from smartcounter.metrics.rollups import (
    MIGRATABLE,
    MIGRATED,
    ROLLUP,
    UNMIGRATED_CONDITION,
    plan,
    plan_set,
)
from smartcounter.metrics.triage_rollup import (
    DEEPEST,
    DEPTH,
    DEPTH_SETS,
    FUNNEL_SETS,
    TOUCH_REASON,
    TRIAGE_ROLLUP,
)

Z = "CAST(1.959964 AS DOUBLE)"


@dataclass(frozen=True)
class Key:
    """A grouping key: its name on the command line, its output column, its SQL."""

    name: str
    column: str
    expr: str
    needs_branch: bool = False
    needs_visit: bool = False


KEYS: dict[str, Key] = {
    k.name: k
    for k in (
        Key("branch", "branch_id", "t.branch_id"),
        Key("branch_type", "branch_type", "b.branch_type", needs_branch=True),
        Key("region", "region", "b.region", needs_branch=True),
        Key("week", "week", "t.week"),
        Key("month", "month", "t.month"),
        Key("quarter", "quarter", "t.quarter"),
        Key("day", "day", "t.day"),
        Key("business", "business_code", "t.business_code"),
        Key("staff", "staff_id", "t.staff_id"),
        Key("hour", "hour", "t.hour"),
        Key("age_band", "age_band", "v.age_band", needs_visit=True),
        Key("customer_tier", "customer_tier", "v.customer_tier", needs_visit=True),
        Key("channel", "channel", "t.channel"),
    )
}

# Keys that name a period: a week-over-week comparison cannot group by them.
PERIOD_KEYS = ("week", "month", "quarter", "day")

# Keys of the stable ``rates --by`` surface (cli.md); the others are additions.
RATE_KEYS = (
    "branch",
    "branch_type",
    "region",
    "week",
    "month",
    "day",
    "business",
    "staff",
    "hour",
    "age_band",
)

# Dimensions of the un-migrated breakdown: the SQL of each value, never null ('unknown').
UNMIGRATED_DIMENSIONS: dict[str, str] = {
    "business": "t.business_code",
    "reason": "COALESCE(t.reason, 'unknown')",
    "staff": "COALESCE(t.staff_id, 'unknown')",
    # The staff member's role (a teller, a specialist covering a window...), from staff.csv.
    "role": "COALESCE(st.role, 'unknown')",
    "hour": "CAST(t.hour AS STRING)",
    "age_band": "COALESCE(v.age_band, 'unknown')",
    "customer_tier": "COALESCE(v.customer_tier, 'unknown')",
}


def _keys(by: Sequence[str]) -> list[Key]:
    return [KEYS[name] for name in by]


def _wilson(successes: str, trials: str) -> str:
    """SQL of the rate and its 95 % Wilson score interval; null when ``trials`` is 0."""
    n = f"CAST({trials} AS DOUBLE)"
    p = f"(CAST({successes} AS DOUBLE) / NULLIF({n}, 0))"
    zz = f"({Z} * {Z})"
    denom = f"(1 + {zz} / {n})"
    center = f"(({p} + {zz} / (2 * {n})) / {denom})"
    half = f"(({Z} * SQRT({p} * (1 - {p}) / {n} + {zz} / (4 * {n} * {n}))) / {denom})"
    # At 0 of n and n of n the bound is exactly 0 or 1: said so, not left to rounding
    # (which gives 0.9999999999999999).
    x = f"CAST({successes} AS DOUBLE)"
    return (
        f"{p} AS rate, "
        f"CASE WHEN {n} > 0 AND {x} = 0 THEN CAST(0 AS DOUBLE) "
        f"WHEN {n} > 0 THEN GREATEST(CAST(0 AS DOUBLE), {center} - {half}) END AS ci_low, "
        f"CASE WHEN {n} > 0 AND {x} = {n} THEN CAST(1 AS DOUBLE) "
        f"WHEN {n} > 0 THEN LEAST(CAST(1 AS DOUBLE), {center} + {half}) END AS ci_high"
    )


def _day_filter(period: Period) -> bool:
    return period.start is not None or period.end is not None


def _rollup_dim(period: Period, keys: Sequence[Key], value_column: str | None = None) -> str | None:
    """The rollup set (rollups.py) that answers a figure over ``keys``, or None (rows)."""
    columns = [k.expr.split(".", 1)[1] for k in keys if not k.needs_branch]
    if value_column is not None:
        columns.append(value_column)
    return plan(columns, day_filter=_day_filter(period))


def _rolled_transactions(period: Period, keys: Sequence[Key], dim: str) -> str:
    """The rows of ``_flagged_transactions`` as counts from the rollup's set ``dim``."""
    joins = []
    if any(k.needs_branch for k in keys):
        joins.append("LEFT JOIN branches b ON b.branch_id = t.branch_id")
    select = ", ".join(f"{k.expr.replace('v.', 't.')} AS {k.column}" for k in keys)
    select = f"{select}, " if select else ""
    return f"""
    SELECT {select}t.migratable AS is_migratable, t.migrated AS is_migrated
    FROM {ROLLUP} t
    {" ".join(joins)}
    WHERE t.dim = '{dim}' AND {period.sql_filter("t")}
    """


def _flagged_transactions(
    period: Period, keys: Sequence[Key], *, visits: bool, rows: bool = False
) -> str:
    """Each transaction's flags, or their counts from the rollup where one set answers
    (``rows``: the figure needs each transaction's visit, so never the rollup)."""
    if not visits and not rows:
        dim = _rollup_dim(period, keys)
        if dim is not None:
            return _rolled_transactions(period, keys, dim)
    joins = ["LEFT JOIN business_types bt ON bt.code = t.business_code"]
    if any(k.needs_branch for k in keys):
        joins.append("LEFT JOIN branches b ON b.branch_id = t.branch_id")
    if visits or any(k.needs_visit for k in keys):
        joins.append("LEFT JOIN visits v ON v.visit_id = t.visit_id")
    select = ", ".join(f"{k.expr} AS {k.column}" for k in keys)
    select = f"{select}, " if select else ""
    return f"""
    SELECT {select}t.visit_id AS visit_id, t.channel AS channel,
           {MIGRATABLE} AS is_migratable, {MIGRATED} AS is_migrated
    FROM transactions t
    {" ".join(joins)}
    WHERE {period.sql_filter("t")}
    """


def rates_sql(period: Period, by: Sequence[str]) -> str:
    """Migration rate with its Wilson interval, grouped by ``by`` (metrics.md, Migration rate)."""
    keys = _keys(by)
    cols = ", ".join(k.column for k in keys)
    group = f"GROUP BY {cols}" if cols else ""
    lead = f"{cols}, " if cols else ""
    return f"""
    WITH tx AS ({_flagged_transactions(period, keys, visits=False)}),
    agg AS (
      SELECT {lead}CAST(SUM(is_migratable) AS BIGINT) AS migratable,
             CAST(SUM(is_migrated) AS BIGINT) AS migrated
      FROM tx {group}
    )
    SELECT {lead}migratable, migrated, {_wilson("migrated", "migratable")}
    FROM agg
    """


def visit_rates_sql(period: Period, by: Sequence[str]) -> str:
    """Visit-based rate: visits with migratable business, all of it done at a smart counter.

    Whether a visit's migratable business was all done at a smart counter is judged over
    all of it in the period, not within each group: a visit whose business a teller did
    in part and a specialist's smart counter in part is not migrated under either staff
    member. A visit counts in each group where it has migratable business.
    """
    keys = _keys(by)
    cols = ", ".join(k.column for k in keys)
    lead = f"{cols}, " if cols else ""
    group = f"GROUP BY {cols}" if cols else ""
    return f"""
    WITH tx AS ({_flagged_transactions(period, keys, visits=False, rows=True)}),
    whole_visit AS (
      SELECT visit_id, SUM(is_migratable) AS vm, SUM(is_migrated) AS vd
      FROM tx WHERE visit_id IS NOT NULL
      GROUP BY visit_id
    ),
    per_visit AS (
      SELECT {lead}visit_id, SUM(is_migratable) AS m
      FROM tx WHERE visit_id IS NOT NULL
      GROUP BY {lead}visit_id
    ),
    agg AS (
      SELECT {lead}CAST(SUM(CASE WHEN m > 0 THEN 1 ELSE 0 END) AS BIGINT) AS visits_migratable,
             CAST(SUM(CASE WHEN m > 0 AND vd = vm THEN 1 ELSE 0 END) AS BIGINT) AS visits_migrated
      FROM per_visit JOIN whole_visit USING (visit_id) {group}
    )
    SELECT {lead}visits_migratable, visits_migrated,
           {_wilson("visits_migrated", "visits_migratable")}
    FROM agg
    """


def _visit_keys(by: Sequence[str]) -> list[tuple[str, str]]:
    """(output column, SQL over visits ``v`` and branches ``b``) for keys on visits."""
    mapping = {
        "branch": ("branch_id", "v.branch_id"),
        "branch_type": ("branch_type", "b.branch_type"),
        "region": ("region", "b.region"),
        "week": ("week", "v.week"),
        "month": ("month", "v.month"),
        "quarter": ("quarter", "v.quarter"),
        "day": ("day", "v.day"),
        "hour": ("hour", "v.hour"),
        "age_band": ("age_band", "v.age_band"),
        "customer_tier": ("customer_tier", "v.customer_tier"),
    }
    unknown = [k for k in by if k not in mapping]
    if unknown:
        raise KeyError(", ".join(unknown))
    return [mapping[k] for k in by]


# Keys that cut a branch's days into parts (an hour, the customers of one age band):
# their tickets are still divided by all the days the branch issued tickets on.
_WITHIN_DAY_KEYS = ("hour", "age_band", "customer_tier")


def daily_tickets_sql(period: Period, by: Sequence[str]) -> str:
    """Tickets ÷ distinct local dates with a ticket, per branch (per branch-day for groups).

    metrics.md: the days are those on which *the branch* issued a ticket, so a group cut
    within the day (by hour, age band or tier) is divided by the branch's days, not by
    the days that part had a ticket (9 o'clock tickets on one day of four: 1 ÷ 4).
    """
    keys = _visit_keys(by)
    select = ", ".join(f"{expr} AS {col}" for col, expr in keys)
    cols = ", ".join(col for col, _ in keys)
    exprs = ", ".join(expr for _, expr in keys)
    lead_sel = f"{select}, " if select else ""
    lead = f"{cols}, " if cols else ""
    lead_expr = f"{exprs}, " if exprs else ""
    group = f"GROUP BY {cols}" if cols else ""
    source = f"""FROM visits v LEFT JOIN branches b ON b.branch_id = v.branch_id
      WHERE {period.sql_filter("v")}"""
    if not any(k in _WITHIN_DAY_KEYS for k in by):
        return f"""
    WITH per_day AS (
      SELECT {lead_sel}v.branch_id AS _branch, v.day AS _day, COUNT(*) AS tickets
      {source}
      GROUP BY {lead_expr}v.branch_id, v.day
    )
    SELECT {lead}CAST(SUM(tickets) AS BIGINT) AS tickets, CAST(COUNT(*) AS BIGINT) AS open_days,
           CAST(SUM(tickets) AS DOUBLE) / CAST(COUNT(*) AS DOUBLE) AS daily_tickets
    FROM per_day {group}
    """
    days = [
        (col, expr) for (col, expr), k in zip(keys, by, strict=True) if k not in _WITHIN_DAY_KEYS
    ]
    day_sel = "".join(f"{expr} AS {col}, " for col, expr in days)
    day_cols = ", ".join(col for col, _ in days)
    same_days = " AND ".join(f"t.{col} IS NOT DISTINCT FROM d.{col}" for col, _ in days)
    return f"""
    WITH counted AS (
      SELECT {lead_sel}COUNT(*) AS tickets
      {source}
      GROUP BY {exprs}
    ),
    branch_days AS (
      SELECT DISTINCT {day_sel}v.branch_id AS _branch, v.day AS _day
      {source}
    ),
    days AS (
      SELECT {day_cols}{", " if day_cols else ""}COUNT(*) AS open_days
      FROM branch_days {f"GROUP BY {day_cols}" if day_cols else ""}
    )
    SELECT {", ".join(f"t.{c}" for c, _ in keys)}, CAST(t.tickets AS BIGINT) AS tickets,
           CAST(d.open_days AS BIGINT) AS open_days,
           CAST(t.tickets AS DOUBLE) / CAST(d.open_days AS DOUBLE) AS daily_tickets
    FROM counted t JOIN days d ON {same_days or "TRUE"}
    """


# The rollup column (rollups.py) of each un-migrated dimension; ``role`` is the staff set
# joined to staff.csv.
_UNMIGRATED_ROLLUP_COLUMNS = {
    "business": "business_code",
    "reason": "reason",
    "staff": "staff_id",
    "role": "staff_id",
    "hour": "hour",
    "age_band": "age_band",
    "customer_tier": "customer_tier",
}


def unmigrated_sql(period: Period, dimension: str, by: Sequence[str]) -> str:
    """Migratable transactions done at a teller window, as a Pareto over ``dimension``."""
    keys = _keys(by)
    value = UNMIGRATED_DIMENSIONS[dimension]
    cols = ", ".join(k.column for k in keys)
    lead = f"{cols}, " if cols else ""
    partition = f"PARTITION BY {cols}" if cols else ""
    dim = _rollup_dim(period, keys, _UNMIGRATED_ROLLUP_COLUMNS[dimension])
    rolled = dim is not None
    exprs = [k.expr.replace("v.", "t.") if rolled else k.expr for k in keys]
    if rolled:
        value = value.replace("v.", "t.")
    select = ", ".join(f"{e} AS {k.column}" for e, k in zip(exprs, keys, strict=True))
    lead_sel = f"{select}, " if select else ""
    lead_expr = "".join(f"{e}, " for e in exprs)
    joins = []
    if any(k.needs_branch for k in keys):
        joins.append("LEFT JOIN branches b ON b.branch_id = t.branch_id")
    if dimension == "role":
        joins.append("LEFT JOIN staff st ON st.staff_id = t.staff_id")
    if rolled:
        source = f"{ROLLUP} t"
        count = "CAST(SUM(t.unmigrated) AS BIGINT)"
        where = f"t.dim = '{dim}' AND t.unmigrated > 0"
    else:
        source = "transactions t"
        joins.insert(0, "JOIN business_types bt ON bt.code = t.business_code")
        if dimension in ("age_band", "customer_tier") or any(k.needs_visit for k in keys):
            joins.append("LEFT JOIN visits v ON v.visit_id = t.visit_id")
        count = "CAST(COUNT(*) AS BIGINT)"
        where = f"{UNMIGRATED_CONDITION}"
    return f"""
    WITH agg AS (
      SELECT {lead_sel}{value} AS value, {count} AS count
      FROM {source} {" ".join(joins)}
      WHERE {period.sql_filter("t")} AND {where}
      GROUP BY {lead_expr}{value}
    )
    SELECT {lead}value, count,
      CAST(count AS DOUBLE) / CAST(SUM(count) OVER ({partition}) AS DOUBLE) AS share,
      CAST(SUM(count) OVER ({partition} ORDER BY count DESC, value ASC
           ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS DOUBLE)
        / CAST(SUM(count) OVER ({partition}) AS DOUBLE) AS cumulative_share,
      CAST(ROW_NUMBER() OVER ({partition} ORDER BY count DESC, value ASC) AS BIGINT) AS position
    FROM agg
    """


def _triage_keys(by: Sequence[str]) -> list[tuple[str, str]]:
    mapping = {
        "branch": ("branch_id", "v.branch_id"),
        "branch_type": ("branch_type", "b.branch_type"),
        "region": ("region", "b.region"),
        "week": ("week", "tr.week"),
        "month": ("month", "tr.month"),
        "quarter": ("quarter", "tr.quarter"),
        "day": ("day", "tr.day"),
        "hour": ("hour", "tr.hour"),
        "staff": ("staff_id", "tr.staff_id"),
        "age_band": ("age_band", "v.age_band"),
    }
    unknown = [k for k in by if k not in mapping]
    if unknown:
        raise KeyError(", ".join(unknown))
    return [mapping[k] for k in by]


# Columns of the keys that are the branch's or the period's: in every rollup set.
_WHOLE_BRANCH = ("branch_id", "branch_type", "region", "week", "month", "quarter")


def _triage_relation(period: Period, by: Sequence[str]) -> tuple[str, str]:
    """The triage touches over ``by`` with ``stage``, ``outcome``, ``reason`` and ``n``,
    the number of touches each row stands for: counts of the triage rollup where one of
    its sets answers, else the rows (n = 1)."""
    keys = _triage_keys(by)
    cols = ", ".join(col for col, _ in keys)
    wanted = [col for col, _ in keys if col not in _WHOLE_BRANCH]
    dim = plan_set(FUNNEL_SETS, wanted, day_filter=_day_filter(period))
    if dim is not None:
        return _rolled(
            period,
            keys,
            dim,
            "CAST(t.stage AS BIGINT) AS stage, t.outcome AS outcome, t.reason AS reason, t.n AS n",
        ), cols
    select = ", ".join(f"{expr} AS {col}" for col, expr in keys)
    lead_sel = f"{select}, " if select else ""
    # Only the joins the keys need: the network's funnel reads the triage rows alone.
    exprs = " ".join(expr for _, expr in keys)
    joins = ""
    if "v." in exprs or "b." in exprs:
        joins += " LEFT JOIN visits v ON v.visit_id = tr.visit_id"
    if "b." in exprs:
        joins += " LEFT JOIN branches b ON b.branch_id = v.branch_id"
    relation = f"""
      SELECT {lead_sel}CAST(tr.stage AS BIGINT) AS stage, tr.outcome AS outcome,
             {TOUCH_REASON} AS reason, CAST(1 AS BIGINT) AS n
      FROM triage tr{joins}
      WHERE {period.sql_filter("tr")}
    """
    return relation, cols


def _rolled(period: Period, keys: Sequence[tuple[str, str]], dim: str, values: str) -> str:
    """Rows of the triage rollup's set ``dim``: ``keys`` (read from the rollup ``t``, the
    branch's type and region joined) and ``values``."""
    select = []
    for col, expr in keys:
        select.append(f"{expr if expr.startswith('b.') else 't.' + col} AS {col}")
    lead_sel = f"{', '.join(select)}, " if select else ""
    join = ""
    if any(expr.startswith("b.") for _, expr in keys):
        join = "LEFT JOIN branches b ON b.branch_id = t.branch_id"
    return f"""
      SELECT {lead_sel}{values}
      FROM {TRIAGE_ROLLUP} t {join}
      WHERE t.dim = '{dim}' AND {period.sql_filter("t")}
    """


# The triage stages (metrics.md, Triage funnel), as a relation.
_STAGES = " UNION ALL ".join(f"SELECT CAST({n} AS BIGINT) AS stage" for n in (1, 2, 3))


def funnel_sql(period: Period, by: Sequence[str]) -> str:
    """Triage touches, acceptances and declines per stage (metrics.md, Triage funnel)."""
    relation, cols = _triage_relation(period, by)
    lead = f"{cols}, " if cols else ""
    return f"""
    WITH tri AS ({relation}),
    agg AS (
      SELECT {lead}stage, CAST(SUM(n) AS BIGINT) AS touches,
             CAST(SUM(CASE WHEN outcome = 'accepted' THEN n ELSE 0 END) AS BIGINT) AS accepted,
             CAST(SUM(CASE WHEN outcome = 'declined' THEN n ELSE 0 END) AS BIGINT) AS declined
      FROM tri GROUP BY {lead}stage
    ),
    -- Every stage of every group, a stage no one reached with zero touches (metrics.md:
    -- "per stage 1, 2, 3"); summing again keeps groups without a value (null) whole.
    every AS (
      SELECT {lead}stage, touches, accepted, declined FROM agg
      UNION ALL
      SELECT {lead}s.stage, CAST(0 AS BIGINT), CAST(0 AS BIGINT), CAST(0 AS BIGINT)
      FROM (SELECT DISTINCT {cols or "1 AS whole"} FROM agg) g
      CROSS JOIN ({_STAGES}) s
    ),
    whole AS (
      SELECT {lead}stage, CAST(SUM(touches) AS BIGINT) AS touches,
             CAST(SUM(accepted) AS BIGINT) AS accepted,
             CAST(SUM(declined) AS BIGINT) AS declined
      FROM every GROUP BY {lead}stage
    )
    SELECT {lead}stage, touches, accepted, declined,
           CAST(accepted AS DOUBLE) / NULLIF(CAST(touches AS DOUBLE), 0) AS acceptance_rate
    FROM whole
    """


def decline_reasons_sql(period: Period, by: Sequence[str]) -> str:
    """Why triage was declined, per stage, largest first with shares."""
    relation, cols = _triage_relation(period, by)
    lead = f"{cols}, " if cols else ""
    partition = f"PARTITION BY {lead}stage"
    return f"""
    WITH tri AS ({relation}),
    agg AS (
      SELECT {lead}stage, reason, CAST(SUM(n) AS BIGINT) AS count
      FROM tri WHERE outcome = 'declined' GROUP BY {lead}stage, reason
    )
    SELECT {lead}stage, reason, count,
      CAST(count AS DOUBLE) / CAST(SUM(count) OVER ({partition}) AS DOUBLE) AS share,
      CAST(ROW_NUMBER() OVER ({partition} ORDER BY count DESC, reason ASC) AS BIGINT) AS position
    FROM agg
    """


def triage_depth_sql(period: Period, by: Sequence[str]) -> str:
    """Visits by the highest triage stage that touched them (0: none), with shares."""
    keys = _visit_keys(list(by))
    cols = ", ".join(col for col, _ in keys)
    lead = f"{cols}, " if cols else ""
    partition = f"PARTITION BY {cols}" if cols else ""
    wanted = [col for col, _ in keys if col not in _WHOLE_BRANCH]
    dim = plan_set(DEPTH_SETS, wanted, day_filter=_day_filter(period))
    if dim is not None:
        per_visit = _rolled(period, keys, dim, "t.depth AS depth, t.n AS n")
    else:
        select = ", ".join(f"{expr} AS {col}" for col, expr in keys)
        lead_sel = f"{select}, " if select else ""
        branch_join = (
            " LEFT JOIN branches b ON b.branch_id = v.branch_id"
            if any(expr.startswith("b.") for _, expr in keys)
            else ""
        )
        per_visit = f"""
      SELECT {lead_sel}{DEPTH} AS depth, CAST(1 AS BIGINT) AS n
      FROM visits v
      LEFT JOIN ({DEEPEST}) d ON d.visit_id = v.visit_id{branch_join}
      WHERE {period.sql_filter("v")}
    """
    return f"""
    WITH per_visit AS ({per_visit}),
    agg AS (
      SELECT {lead}CAST(depth AS BIGINT) AS depth, CAST(SUM(n) AS BIGINT) AS visits
      FROM per_visit GROUP BY {lead}CAST(depth AS BIGINT)
    )
    SELECT {lead}depth, visits,
      CAST(visits AS DOUBLE) / CAST(SUM(visits) OVER ({partition}) AS DOUBLE) AS share
    FROM agg
    """


def _change_pp(current: str, previous: str) -> str:
    """Week-over-week change in percentage points; undefined where either rate is."""
    return f"CASE WHEN {current} IS NOT NULL AND {previous} IS NOT NULL THEN ({current} - {previous}) * 100 END"


def week_over_week_sql(week: str, previous_week: str, by: Sequence[str]) -> str:
    """Rate of ``week`` beside the week before, and the change in percentage points."""
    keys = _keys(by)
    cols = [k.column for k in keys]
    on = " AND ".join(f"c.{c} IS NOT DISTINCT FROM p.{c}" for c in cols) or "1 = 1"
    lead = ", ".join(f"COALESCE(c.{c}, p.{c}) AS {c}" for c in cols)
    lead = f"{lead}, " if lead else ""
    return f"""
    WITH cur AS ({rates_sql(Period.week(week), by)}),
    prev AS ({rates_sql(Period.week(previous_week), by)})
    SELECT {lead}COALESCE(c.migratable, 0) AS migratable, COALESCE(c.migrated, 0) AS migrated,
           c.rate AS rate, c.ci_low AS ci_low, c.ci_high AS ci_high,
           p.rate AS previous_rate, {_change_pp("c.rate", "p.rate")} AS change_pp
    FROM cur c FULL OUTER JOIN prev p ON {on}
    """


def _exact(expr: str) -> str:
    """``expr`` (a double in [0, 1]) as a decimal whose sums do not depend on their order."""
    return f"CAST({expr} AS DECIMAL(38, 18))"


def shrinkage_ctes(source: str) -> str:
    """CTEs ``peer``, ``prior`` and ``shrunk``: the empirical-Bayes estimate per peer group.

    ``source`` is a relation with ``branch_type``, ``migratable``, ``migrated`` and
    ``rate``. The prior's mean is the group's mean rate; its strength (α + β) comes from the
    spread of the group's rates left after removing the binomial noise (method of
    moments), bounded to [2, 10000]. ``shrunk`` adds ``peers``, ``prior_mean``,
    ``prior_strength``, ``shrunk_rate`` and its 95 % band ``shrunk_low``/``shrunk_high``
    (normal approximation of the posterior), all null where the rate is undefined.
    """
    posterior_n = "(CAST(s.migratable AS DOUBLE) + pr.prior_strength)"
    estimate = f"((CAST(s.migrated AS DOUBLE) + pr.prior_mean * pr.prior_strength) / {posterior_n})"
    half = f"({Z} * SQRT({estimate} * (1 - {estimate}) / ({posterior_n} + 1)))"
    # Means summed as decimals: a sum of doubles depends on the order parallel threads add
    # them in, and the same store and week must give the same figures to the last digit.
    return f"""peer_sums AS (
      SELECT branch_type, CAST(COUNT(*) AS BIGINT) AS peers,
             CAST(AVG({_exact("rate")}) AS DOUBLE) AS prior_mean,
             CAST(AVG({_exact("rate * rate")}) AS DOUBLE) AS mean_square,
             CAST(AVG({_exact("rate * (1 - rate) / CAST(migratable AS DOUBLE)")}) AS DOUBLE)
               AS noise
      FROM {source} WHERE rate IS NOT NULL GROUP BY branch_type
    ),
    peer AS (
      SELECT branch_type, peers, prior_mean,
             GREATEST(CAST(0 AS DOUBLE), mean_square - prior_mean * prior_mean) AS spread, noise
      FROM peer_sums
    ),
    prior AS (
      SELECT branch_type, peers, prior_mean,
        CASE
          WHEN peers < 3 OR prior_mean <= 0 OR prior_mean >= 1 THEN CAST(2 AS DOUBLE)
          WHEN spread - noise <= CAST(0.000001 AS DOUBLE) THEN CAST(10000 AS DOUBLE)
          ELSE LEAST(CAST(10000 AS DOUBLE), GREATEST(CAST(2 AS DOUBLE),
               prior_mean * (1 - prior_mean) / (spread - noise) - 1))
        END AS prior_strength
      FROM peer
    ),
    shrunk AS (
      SELECT s.*, pr.peers, pr.prior_mean, pr.prior_strength,
        CASE WHEN s.rate IS NOT NULL THEN {estimate} END AS shrunk_rate,
        CASE WHEN s.rate IS NOT NULL
             THEN GREATEST(CAST(0 AS DOUBLE), {estimate} - {half}) END AS shrunk_low,
        CASE WHEN s.rate IS NOT NULL
             THEN LEAST(CAST(1 AS DOUBLE), {estimate} + {half}) END AS shrunk_high
      FROM {source} s LEFT JOIN prior pr ON pr.branch_type = s.branch_type
    )"""


def ranking_sql(week: str, previous_week: str) -> str:
    """Branch ranking of one week: rate, interval, ranks, shrunk estimate, change from last week.

    Every branch of the network is listed (metrics.md: a branch with an undefined rate is
    listed but unranked), one without transactions in either week too. Ranks: by rate,
    highest first, ties share the better rank (SQL RANK), undefined rates unranked; within
    the peer group (branch_type) and network-wide. The shrunk estimate is
    an empirical-Bayes beta-binomial posterior mean per peer group: the prior's mean is the
    group's mean rate, its variance the spread of rates left after removing binomial noise,
    so a branch with few transactions is pulled towards its group.
    """
    this = Period.week(week)
    prev = Period.week(previous_week)
    return f"""
    WITH cur AS ({rates_sql(this, ["branch"])}),
    prev AS ({rates_sql(prev, ["branch"])}),
    base AS (
      SELECT b.branch_id, b.name, b.region, b.branch_type, b.staff_count, b.smart_counters,
             b.teller_windows,
             COALESCE(c.migratable, 0) AS migratable, COALESCE(c.migrated, 0) AS migrated,
             c.rate, c.ci_low, c.ci_high, p.rate AS previous_rate,
             {_change_pp("c.rate", "p.rate")} AS change_pp
      FROM branches b
      LEFT JOIN cur c ON c.branch_id = b.branch_id
      LEFT JOIN prev p ON p.branch_id = b.branch_id
    ),
    ranked AS (
      SELECT base.*,
        CASE WHEN rate IS NOT NULL THEN RANK() OVER (
          PARTITION BY branch_type, CASE WHEN rate IS NULL THEN 1 ELSE 0 END ORDER BY rate DESC) END AS peer_rank,
        CASE WHEN rate IS NOT NULL THEN RANK() OVER (
          PARTITION BY CASE WHEN rate IS NULL THEN 1 ELSE 0 END ORDER BY rate DESC) END AS network_rank
      FROM base
    ),
    {shrinkage_ctes("ranked")}
    SELECT branch_id, name, region, branch_type, staff_count, smart_counters, teller_windows,
      migratable, migrated, rate, ci_low, ci_high,
      CAST(peer_rank AS BIGINT) AS peer_rank, CAST(network_rank AS BIGINT) AS network_rank,
      CAST(peers AS BIGINT) AS peers, previous_rate, change_pp,
      prior_mean, prior_strength, shrunk_rate, shrunk_low, shrunk_high
    FROM shrunk
    """


# Branch-level keys that ``attainment_sql`` may group by.
ATTAINMENT_KEYS = ("branch", "branch_type", "region")


def attainment_sql(period: Period, target: float, by: Sequence[str]) -> str:
    """Branches at the target rate, and how many more migrations would bring each there.

    Per group of ``by`` (branch-level keys): ``branches`` with migratable business in the
    period, ``at_target`` of them with ``rate >= target``, their share, and ``shortfall``:
    the sum over branches below target of the fewest further smart-counter transactions
    that would have lifted each to the target. The target enters as parts per million so
    that both comparisons are exact integer arithmetic on either engine (0.9 × 100 is
    90.00000000000001 in floating point, which would make a ceiling one too high).
    """
    unknown = [k for k in by if k not in ATTAINMENT_KEYS]
    if unknown:
        raise KeyError(", ".join(unknown))
    ppm = round(target * 1_000_000)
    if not 0 <= ppm <= 1_000_000:
        raise ValueError(f"target rate out of range: {target!r}")
    keys = [k for k in by if k != "branch"]
    cols = ", ".join(KEYS[k].column for k in by)
    lead = f"{cols}, " if cols else ""
    group = f"GROUP BY {cols}" if cols else ""
    need = f"(CAST({ppm} AS BIGINT) * migratable - migrated * CAST(1000000 AS BIGINT))"
    return f"""
    WITH per_branch AS ({rates_sql(period, ["branch", *keys])}),
    flagged AS (
      SELECT {lead}CASE WHEN {need} <= 0 THEN 1 ELSE 0 END AS at_target,
             CASE WHEN {need} > 0
                  THEN CAST(CEIL(CAST({need} AS DOUBLE) / CAST(1000000 AS DOUBLE)) AS BIGINT)
                  ELSE CAST(0 AS BIGINT) END AS shortfall
      FROM per_branch WHERE migratable > 0
    )
    SELECT {lead}CAST(COUNT(*) AS BIGINT) AS branches,
           CAST(SUM(at_target) AS BIGINT) AS at_target,
           CAST(SUM(at_target) AS DOUBLE) / NULLIF(CAST(COUNT(*) AS DOUBLE), 0) AS share_at_target,
           CAST(SUM(shortfall) AS BIGINT) AS shortfall
    FROM flagged {group}
    """
