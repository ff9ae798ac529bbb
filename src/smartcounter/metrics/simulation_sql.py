"""Figures the lobby simulator is calibrated from, written once as SQL.

Same rules as ``definitions.py``: one SQL text that DuckDB and Spark both run as is, periods
read from the stored columns (``week``, ``day``, ``hour``), no engine-specific date
function. Each figure is for one branch (``branch`` None: every branch together).

- ``arrivals_sql``: tickets per local date and hour — the simulator turns them into
  arrival rates per weekday and hour.
- ``visit_mix_sql``: visits by age band, tier and how many migratable, cash and other
  transactions they held — the customers the simulator draws.
- ``business_mix_sql``: transactions by visit kind, age band and business type.
- ``service_times_sql``: service-time quantiles (nearest rank, 0, 5, …, 100 %) by channel
  and business type.
- ``visit_paths_sql``: visits with migratable business by age band, kind, triage touches
  and outcomes per stage, and whether a device turned them away — the triage funnel the
  simulator's practice parameters are fitted to.
- ``waits_sql``: mean and 90th-percentile wait from ticket to call, by the queue of the
  visit's first transaction.
- ``authorisers_sql``: smart-counter transactions by the role of the staff member
  recorded on them (who authorises).
- ``device_days_sql``: opening days, and days on which a device fault sent business to a
  teller window.
- ``business_outcomes_sql``: per migratable business type, transactions, those done at a
  smart counter, and those left to a teller because the device does not do them.
"""

from __future__ import annotations

from smartcounter.metrics.period import Period

# Nearest-rank quantiles at k / QUANTILE_STEPS for k = 0 … QUANTILE_STEPS.
QUANTILE_STEPS = 20


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _branch(alias: str, branch: str | None) -> str:
    return f"{alias}.branch_id = {_literal(branch)}" if branch is not None else "1 = 1"


def _legs(period: Period, branch: str | None) -> str:
    """Per visit with transactions in ``period``: its counts of transactions by kind."""
    return f"""
      SELECT t.visit_id AS visit_id,
        CAST(SUM(CASE WHEN bt.migratable THEN 1 ELSE 0 END) AS BIGINT) AS m,
        CAST(SUM(CASE WHEN bt.migratable AND t.channel = 'stm' THEN 1 ELSE 0 END) AS BIGINT)
          AS d,
        CAST(SUM(CASE WHEN bt.cash AND NOT bt.migratable THEN 1 ELSE 0 END) AS BIGINT) AS c,
        CAST(SUM(CASE WHEN NOT bt.migratable AND NOT bt.cash THEN 1 ELSE 0 END) AS BIGINT)
          AS o,
        MAX(CASE WHEN bt.migratable AND t.channel = 'teller' AND t.reason = 'device_busy'
                 THEN 1 ELSE 0 END) AS busy,
        MAX(CASE WHEN bt.migratable AND t.channel = 'teller' AND t.reason = 'device_fault'
                 THEN 1 ELSE 0 END) AS fault
      FROM transactions t JOIN business_types bt ON bt.code = t.business_code
      WHERE {period.sql_filter("t")} AND {_branch("t", branch)} AND t.visit_id IS NOT NULL
      GROUP BY t.visit_id
    """


_KIND = """CASE WHEN l.m > 0 AND l.c = 0 THEN 'noncash'
                 WHEN l.m > 0 THEN 'composite'
                 WHEN l.c > 0 THEN 'cash'
                 ELSE 'counter' END"""


def arrivals_sql(period: Period, branch: str | None) -> str:
    """Tickets per local date and hour of the day."""
    return f"""
    SELECT v.day AS day, CAST(v.hour AS BIGINT) AS hour, CAST(COUNT(*) AS BIGINT) AS tickets
    FROM visits v
    WHERE {period.sql_filter("v")} AND {_branch("v", branch)}
    GROUP BY v.day, v.hour
    """


def visit_mix_sql(period: Period, branch: str | None) -> str:
    """Visits by age band, tier and their numbers of migratable, cash and other transactions."""
    return f"""
    WITH l AS ({_legs(period, branch)})
    SELECT COALESCE(v.age_band, 'unknown') AS age_band,
           COALESCE(v.customer_tier, 'unknown') AS customer_tier,
           l.m AS migratable, l.c AS cash, l.o AS other, CAST(COUNT(*) AS BIGINT) AS visits
    FROM l LEFT JOIN visits v ON v.visit_id = l.visit_id
    GROUP BY COALESCE(v.age_band, 'unknown'), COALESCE(v.customer_tier, 'unknown'), l.m, l.c, l.o
    """


def business_mix_sql(period: Period, branch: str | None) -> str:
    """Transactions by the kind of their visit, the customer's age band and business type."""
    return f"""
    WITH l AS ({_legs(period, branch)}),
    x AS (
      SELECT {_KIND} AS kind, COALESCE(v.age_band, 'unknown') AS age_band,
             t.business_code AS business_code
      FROM transactions t
      JOIN l ON l.visit_id = t.visit_id
      LEFT JOIN visits v ON v.visit_id = t.visit_id
      WHERE {period.sql_filter("t")} AND {_branch("t", branch)}
    )
    SELECT kind, age_band, business_code, CAST(COUNT(*) AS BIGINT) AS transactions
    FROM x GROUP BY kind, age_band, business_code
    """


def service_times_sql(period: Period, branch: str | None) -> str:
    """Service-time quantiles (nearest rank at k / QUANTILE_STEPS) by channel and business."""
    grid = " UNION ALL ".join(f"SELECT CAST({k} AS BIGINT) AS k" for k in range(QUANTILE_STEPS + 1))
    return f"""
    WITH d AS (
      SELECT t.channel AS channel, t.business_code AS business_code,
             CAST(t.duration_s AS DOUBLE) AS duration_s,
             ROW_NUMBER() OVER (PARTITION BY t.channel, t.business_code
                                ORDER BY t.duration_s, t.txn_id) AS rn,
             COUNT(*) OVER (PARTITION BY t.channel, t.business_code) AS n
      FROM transactions t
      WHERE {period.sql_filter("t")} AND {_branch("t", branch)} AND t.duration_s IS NOT NULL
    ),
    grid AS ({grid})
    SELECT d.channel AS channel, d.business_code AS business_code, g.k AS k,
           CAST(g.k AS DOUBLE) / CAST({QUANTILE_STEPS} AS DOUBLE) AS q,
           CAST(d.n AS BIGINT) AS n, d.duration_s AS duration_s
    FROM d JOIN grid g
      ON d.rn = GREATEST(CAST(1 AS BIGINT),
                CAST(CEIL(CAST(g.k * d.n AS DOUBLE) / CAST({QUANTILE_STEPS} AS DOUBLE)) AS BIGINT))
    """


def _stage_flags() -> str:
    parts = []
    for s in (1, 2, 3):
        parts.append(f"MAX(CASE WHEN tr.stage = {s} THEN 1 ELSE 0 END) AS t{s}")
        parts.append(
            f"MAX(CASE WHEN tr.stage = {s} AND tr.outcome = 'accepted' THEN 1 ELSE 0 END) AS a{s}"
        )
    return ", ".join(parts)


def visit_paths_sql(period: Period, branch: str | None) -> str:
    """Visits with migratable business by age band, kind, triage path and device outcome.

    ``m`` and ``d`` are the visit's migratable transactions and those done at a smart
    counter; ``tN`` / ``aN`` whether stage N touched it and whether a touch there was
    accepted; ``busy`` / ``fault`` whether migratable business went to a teller because the
    smart counter was busy or down.
    """
    flags = ", ".join(f"COALESCE(tc.{f}{s}, 0) AS {f}{s}" for s in (1, 2, 3) for f in ("t", "a"))
    cols = ", ".join(f"{f}{s}" for s in (1, 2, 3) for f in ("t", "a"))
    return f"""
    WITH l AS ({_legs(period, branch)}),
    tc AS (SELECT tr.visit_id AS visit_id, {_stage_flags()} FROM triage tr GROUP BY tr.visit_id),
    x AS (
      SELECT COALESCE(v.age_band, 'unknown') AS age_band, {_KIND} AS kind,
             l.m AS m, l.d AS d, {flags}, l.busy AS busy, l.fault AS fault
      FROM l
      LEFT JOIN visits v ON v.visit_id = l.visit_id
      LEFT JOIN tc ON tc.visit_id = l.visit_id
      WHERE l.m > 0
    )
    SELECT age_band, kind, m, d, {cols}, busy, fault, CAST(COUNT(*) AS BIGINT) AS visits
    FROM x GROUP BY age_band, kind, m, d, {cols}, busy, fault
    """


def _seconds(column: str) -> str:
    return f"(HOUR({column}) * 3600 + MINUTE({column}) * 60 + SECOND({column}))"


def _waits(period: Period, branch: str | None) -> str:
    """Each called visit's wait (ticket to call, seconds), its first transaction's queue and
    the clock hour of its ticket, as the CTE ``w``."""
    return f"""
    WITH firsts AS (
      SELECT t.visit_id AS visit_id, t.channel AS channel,
             ROW_NUMBER() OVER (PARTITION BY t.visit_id ORDER BY t.ts, t.txn_id) AS rn
      FROM transactions t
      WHERE {period.sql_filter("t")} AND {_branch("t", branch)} AND t.visit_id IS NOT NULL
    ),
    w AS (
      SELECT f.channel AS queue, CAST(v.hour AS INTEGER) AS hour,
             CAST({_seconds("v.called_at")} - {_seconds("v.issued_at")} AS DOUBLE) AS wait_s
      FROM firsts f JOIN visits v ON v.visit_id = f.visit_id
      WHERE f.rn = 1 AND v.called_at IS NOT NULL
    )"""


def waits_sql(period: Period, branch: str | None) -> str:
    """Mean and 90th-percentile wait (ticket to call, seconds) by the first transaction's queue."""
    return f"""{_waits(period, branch)},
    r AS (
      SELECT queue, wait_s,
             ROW_NUMBER() OVER (PARTITION BY queue ORDER BY wait_s) AS rn,
             COUNT(*) OVER (PARTITION BY queue) AS n
      FROM w WHERE wait_s >= 0
    )
    SELECT queue, CAST(COUNT(*) AS BIGINT) AS visits, AVG(wait_s) AS mean_wait_s,
           MAX(CASE WHEN rn = GREATEST(CAST(1 AS BIGINT),
                    CAST(CEIL(CAST(n AS DOUBLE) * CAST(0.9 AS DOUBLE)) AS BIGINT))
                    THEN wait_s END) AS p90_wait_s
    FROM r GROUP BY queue
    """


def waits_by_hour_sql(period: Period, branch: str | None) -> str:
    """Mean wait (ticket to call, seconds) by the first transaction's queue and the ticket's
    clock hour."""
    return f"""{_waits(period, branch)}
    SELECT queue, hour, CAST(COUNT(*) AS BIGINT) AS visits, AVG(wait_s) AS mean_wait_s
    FROM w WHERE wait_s >= 0 GROUP BY queue, hour
    """


def authorisers_sql(period: Period, branch: str | None) -> str:
    """Smart-counter transactions by the role of the staff member recorded on them."""
    return f"""
    SELECT COALESCE(s.role, 'unknown') AS role, CAST(COUNT(*) AS BIGINT) AS transactions
    FROM transactions t LEFT JOIN staff s ON s.staff_id = t.staff_id
    WHERE {period.sql_filter("t")} AND {_branch("t", branch)} AND t.channel = 'stm'
    GROUP BY COALESCE(s.role, 'unknown')
    """


def device_days_sql(period: Period, branch: str | None) -> str:
    """Opening days (a ticket was issued) and days with business sent away by a device fault."""
    return f"""
    WITH open_days AS (
      SELECT CAST(COUNT(DISTINCT v.day) AS BIGINT) AS open_days
      FROM visits v WHERE {period.sql_filter("v")} AND {_branch("v", branch)}
    ),
    fault_days AS (
      SELECT CAST(COUNT(DISTINCT t.day) AS BIGINT) AS fault_days
      FROM transactions t
      WHERE {period.sql_filter("t")} AND {_branch("t", branch)} AND t.reason = 'device_fault'
    )
    SELECT o.open_days AS open_days, f.fault_days AS fault_days
    FROM open_days o CROSS JOIN fault_days f
    """


def business_outcomes_sql(period: Period, branch: str | None) -> str:
    """Per migratable business type: transactions, done at a smart counter, not supported there."""
    return f"""
    SELECT t.business_code AS business_code, CAST(COUNT(*) AS BIGINT) AS transactions,
           CAST(SUM(CASE WHEN t.channel = 'stm' THEN 1 ELSE 0 END) AS BIGINT) AS at_stm,
           CAST(SUM(CASE WHEN t.channel = 'teller' AND t.reason = 'not_supported' THEN 1 ELSE 0
                    END) AS BIGINT) AS not_supported
    FROM transactions t JOIN business_types bt ON bt.code = t.business_code
    WHERE {period.sql_filter("t")} AND {_branch("t", branch)} AND bt.migratable
    GROUP BY t.business_code
    """
