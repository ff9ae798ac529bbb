"""Figures customer behaviour is estimated from, written once as SQL (every branch at once).

Same rules as ``definitions.py`` and ``simulation_sql.py``: one SQL text that DuckDB and
Spark both run as is, periods read from the stored columns, no engine-specific function.

- ``acceptance_cells_sql``: triage touches and acceptances per branch, week, stage, age
  band, tier, visit kind and whether the customer used a smart counter on their previous
  visit (the habit the store can see). A touch declined because the device was busy or
  down counts as accepted (the customer said yes; the device turned them away); a touch
  that could not be accepted (cash business the branch does not split, business the
  device does not do) is counted apart, not as a decline.
- ``service_cells_sql``: per branch, channel, business type and age band, how many
  transactions have a duration and the mean and mean square of its logarithm.
- ``patience_sql``: per branch, the waits (ticket to call, 30-second bins) of visits served
  at a smart counter first, and the visits that gave up on a busy smart counter.
- ``decline_cells_sql``: declines per branch, age band and reason (customers' own reasons).
"""

from __future__ import annotations

from smartcounter.metrics.period import Period

# Reasons that mean the customer agreed but the device failed them.
DEVICE_REASONS = ("device_busy", "device_fault")
# Reasons that mean the touch could not have been accepted.
STRUCTURAL_REASONS = ("with_cash", "not_supported")
# Customers' own reasons for saying no.
CUSTOMER_REASONS = ("customer_declined", "elderly_unable", "id_check", "other")
WAIT_BIN_S = 30


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def _visit_legs(period: Period) -> str:
    """Per visit: branch, customer, ticket time, its migratable/cash counts and device use."""
    return f"""
      SELECT t.visit_id AS visit_id,
        CAST(SUM(CASE WHEN bt.migratable THEN 1 ELSE 0 END) AS BIGINT) AS m,
        CAST(SUM(CASE WHEN bt.migratable AND t.channel = 'stm' THEN 1 ELSE 0 END) AS BIGINT)
          AS d,
        CAST(SUM(CASE WHEN bt.cash AND NOT bt.migratable THEN 1 ELSE 0 END) AS BIGINT) AS c
      FROM transactions t JOIN business_types bt ON bt.code = t.business_code
      WHERE {period.sql_filter("t")} AND t.visit_id IS NOT NULL
      GROUP BY t.visit_id
    """


def acceptance_cells_sql(period: Period) -> str:
    """Triage touches by branch, week, stage, age band, tier, kind and previous device use."""
    return f"""
    WITH l AS ({_visit_legs(period)}),
    pv AS (
      SELECT v.visit_id AS visit_id, v.branch_id AS branch_id,
             COALESCE(v.age_band, 'unknown') AS age_band,
             COALESCE(v.customer_tier, 'unknown') AS customer_tier,
             CASE WHEN l.m > 0 AND l.c = 0 THEN 'noncash'
                  WHEN l.m > 0 THEN 'composite' ELSE 'other' END AS kind,
             CASE WHEN v.customer_id IS NULL THEN 'unknown'
                  ELSE COALESCE(LAG(CASE WHEN l.d > 0 THEN 'yes' ELSE 'no' END)
                       OVER (PARTITION BY v.customer_id ORDER BY v.issued_at, v.visit_id),
                       'unknown') END AS habit
      FROM visits v JOIN l ON l.visit_id = v.visit_id
      WHERE {period.sql_filter("v")}
    )
    SELECT pv.branch_id AS branch_id, COALESCE(b.branch_type, 'unknown') AS branch_type,
           tr.week AS week, CAST(tr.stage AS BIGINT) AS stage, pv.age_band AS age_band,
           pv.customer_tier AS customer_tier, pv.kind AS kind, pv.habit AS habit,
           CAST(SUM(CASE WHEN COALESCE(tr.reason, '') IN {_in(STRUCTURAL_REASONS)}
                         AND tr.outcome = 'declined' THEN 0 ELSE 1 END) AS BIGINT) AS touches,
           CAST(SUM(CASE WHEN tr.outcome = 'accepted' THEN 1
                         WHEN COALESCE(tr.reason, '') IN {_in(DEVICE_REASONS)} THEN 1
                         ELSE 0 END) AS BIGINT) AS accepted,
           CAST(SUM(CASE WHEN tr.outcome = 'declined'
                         AND COALESCE(tr.reason, '') IN {_in(STRUCTURAL_REASONS)}
                         THEN 1 ELSE 0 END) AS BIGINT) AS blocked
    FROM triage tr
    JOIN pv ON pv.visit_id = tr.visit_id
    LEFT JOIN branches b ON b.branch_id = pv.branch_id
    WHERE {period.sql_filter("tr")}
    GROUP BY pv.branch_id, COALESCE(b.branch_type, 'unknown'), tr.week, tr.stage, pv.age_band,
             pv.customer_tier, pv.kind, pv.habit
    """


def service_cells_sql(period: Period) -> str:
    """Log service times per branch, channel, business type and age band."""
    return f"""
    SELECT t.branch_id AS branch_id, COALESCE(b.branch_type, 'unknown') AS branch_type,
           t.channel AS channel, t.business_code AS business_code,
           COALESCE(v.age_band, 'unknown') AS age_band,
           CAST(COUNT(*) AS BIGINT) AS n,
           AVG(LN(CAST(t.duration_s AS DOUBLE))) AS mean_log,
           AVG(LN(CAST(t.duration_s AS DOUBLE)) * LN(CAST(t.duration_s AS DOUBLE)))
             AS mean_log2
    FROM transactions t
    LEFT JOIN visits v ON v.visit_id = t.visit_id
    LEFT JOIN branches b ON b.branch_id = t.branch_id
    WHERE {period.sql_filter("t")} AND t.duration_s IS NOT NULL AND t.duration_s > 0
    GROUP BY t.branch_id, COALESCE(b.branch_type, 'unknown'), t.channel, t.business_code,
             COALESCE(v.age_band, 'unknown')
    """


def _seconds(column: str) -> str:
    return f"(HOUR({column}) * 3600 + MINUTE({column}) * 60 + SECOND({column}))"


def patience_sql(period: Period) -> str:
    """Per branch: waits of visits served at a smart counter first (binned), and give-ups.

    ``kind`` is ``served`` (``wait_bin`` the wait in whole bins of WAIT_BIN_S seconds) or
    ``gave_up`` (``wait_bin`` -1): visits with migratable business sent to a teller
    because the smart counter's line was too long.
    """
    return f"""
    WITH firsts AS (
      SELECT t.visit_id AS visit_id, t.channel AS channel,
             ROW_NUMBER() OVER (PARTITION BY t.visit_id ORDER BY t.ts, t.txn_id) AS rn
      FROM transactions t
      WHERE {period.sql_filter("t")} AND t.visit_id IS NOT NULL
    ),
    served AS (
      SELECT v.branch_id AS branch_id,
             CAST(FLOOR(CAST({_seconds("v.called_at")} - {_seconds("v.issued_at")} AS DOUBLE)
                  / CAST({WAIT_BIN_S} AS DOUBLE)) AS BIGINT) AS wait_bin
      FROM firsts f JOIN visits v ON v.visit_id = f.visit_id
      WHERE f.rn = 1 AND f.channel = 'stm' AND v.called_at IS NOT NULL
    ),
    gave_up AS (
      SELECT DISTINCT t.branch_id AS branch_id, t.visit_id AS visit_id
      FROM transactions t JOIN business_types bt ON bt.code = t.business_code
      WHERE {period.sql_filter("t")} AND bt.migratable AND t.channel = 'teller'
        AND t.reason = 'device_busy' AND t.visit_id IS NOT NULL
    )
    SELECT branch_id, 'served' AS kind, wait_bin, CAST(COUNT(*) AS BIGINT) AS visits
    FROM served WHERE wait_bin >= 0 GROUP BY branch_id, wait_bin
    UNION ALL
    SELECT branch_id, 'gave_up' AS kind, CAST(-1 AS BIGINT) AS wait_bin,
           CAST(COUNT(*) AS BIGINT) AS visits
    FROM gave_up GROUP BY branch_id
    """


def decline_cells_sql(period: Period) -> str:
    """Triage declines for the customer's own reasons, by branch, age band and reason."""
    return f"""
    SELECT v.branch_id AS branch_id, COALESCE(b.branch_type, 'unknown') AS branch_type,
           COALESCE(v.age_band, 'unknown') AS age_band, tr.reason AS reason,
           CAST(COUNT(*) AS BIGINT) AS declines
    FROM triage tr
    JOIN visits v ON v.visit_id = tr.visit_id
    LEFT JOIN branches b ON b.branch_id = v.branch_id
    WHERE {period.sql_filter("tr")} AND tr.outcome = 'declined'
      AND tr.reason IN {_in(CUSTOMER_REASONS)}
    GROUP BY v.branch_id, COALESCE(b.branch_type, 'unknown'), COALESCE(v.age_band, 'unknown'),
             tr.reason
    """
