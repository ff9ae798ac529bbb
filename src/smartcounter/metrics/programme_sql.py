"""Figures of the benchmark, pairing and scorecard programme, written once as SQL.

Same rules as ``definitions.py``: one SQL text that DuckDB and Spark both run as is, periods
read from the stored columns, the migration rate and its Wilson interval taken from
``rates_sql`` (never written again here). The parity test is the judge.

- ``standing_sql``: each branch over a span of weeks — rate, interval, how steady week by
  week, and an empirical-Bayes shrunk estimate within its peer group over the span.
- ``mix_sql``: a branch's migratable business broken down by business type or age band.
- ``triage_coverage_sql``: of the visits with migratable business, the share each triage
  stage touched and the share of those that went to the smart counter.
- ``staff_figures_sql``: per staff member, what the scorecard (metrics.md, Staff
  scorecard) needs: transactions served, migratable of them, authorisations, triage
  touches and acceptance by stage, teller referrals, coverage.
"""

from __future__ import annotations

from collections.abc import Sequence

from smartcounter.metrics.definitions import rates_sql, shrinkage_ctes
from smartcounter.metrics.period import Period

MIX_DIMENSIONS: dict[str, str] = {"business": "business_code", "age_band": "age_band"}

# Keys of the coverage figure: the visit's branch, its peer group, its week, its hour.
COVERAGE_KEYS: dict[str, tuple[str, str]] = {
    "branch": ("branch_id", "mv.branch_id"),
    "branch_type": ("branch_type", "b.branch_type"),
    "region": ("region", "b.region"),
    "week": ("week", "mv.week"),
    "hour": ("hour", "COALESCE(v.hour, mv.first_hour)"),
}

STAGE_COLUMNS = tuple(
    f"s{s}_{c}" for s in (1, 2, 3) for c in ("visits", "accepted", "coverage", "acceptance")
)


def _ratio(numerator: str, denominator: str) -> str:
    return f"CAST({numerator} AS DOUBLE) / NULLIF(CAST({denominator} AS DOUBLE), 0)"


def standing_sql(weeks: Sequence[str]) -> str:
    """Each branch over ``weeks``: rate, interval, steadiness, shrunk estimate in its peer group.

    Steadiness: weeks with migratable business, the worst and best weekly rate, their spread,
    and the weeks whose rate was at or above the peer group's pooled rate of that week.
    The shrunk estimate is the ranking's empirical-Bayes beta-binomial posterior (see
    ``definitions.ranking_sql``) over the whole span instead of one week; its bounds are the
    posterior mean ± z standard deviations. ``peer_percentile`` is the branch's percent rank
    of the shrunk rate within its group (0 lowest, 1 highest).
    """
    span = Period.of_weeks(list(weeks))
    return f"""
    WITH weekly AS ({rates_sql(span, ["branch", "week"])}),
    total AS ({rates_sql(span, ["branch"])}),
    typed AS (
      SELECT w.branch_id, w.week, w.migratable, w.migrated, w.rate, b.branch_type
      FROM weekly w JOIN branches b ON b.branch_id = w.branch_id
    ),
    peer_week AS (
      SELECT branch_type, week,
             {_ratio("SUM(migrated)", "SUM(migratable)")} AS peer_week_rate
      FROM typed GROUP BY branch_type, week
    ),
    steady AS (
      SELECT t.branch_id,
        CAST(SUM(CASE WHEN t.migratable > 0 THEN 1 ELSE 0 END) AS BIGINT) AS weeks_active,
        MIN(t.rate) AS worst_week_rate,
        MAX(t.rate) AS best_week_rate,
        STDDEV_POP(t.rate) AS weekly_sd,
        CAST(SUM(CASE WHEN t.rate IS NOT NULL AND t.rate >= pw.peer_week_rate THEN 1 ELSE 0 END)
             AS BIGINT) AS weeks_above_peer
      FROM typed t
      JOIN peer_week pw ON pw.branch_type = t.branch_type AND pw.week = t.week
      GROUP BY t.branch_id
    ),
    base AS (
      SELECT b.branch_id, b.name, b.region, b.branch_type, b.staff_count, b.smart_counters,
             b.teller_windows, tt.migratable, tt.migrated, tt.rate, tt.ci_low, tt.ci_high,
             s.weeks_active, s.worst_week_rate, s.best_week_rate, s.weekly_sd, s.weeks_above_peer
      FROM branches b
      JOIN total tt ON tt.branch_id = b.branch_id
      JOIN steady s ON s.branch_id = b.branch_id
    ),
    {shrinkage_ctes("base")}
    SELECT branch_id, name, region, branch_type, staff_count, smart_counters, teller_windows,
      migratable, migrated, rate, ci_low, ci_high,
      CAST({len(set(weeks))} AS BIGINT) AS weeks, weeks_active, worst_week_rate, best_week_rate,
      weekly_sd, weeks_above_peer, CAST(peers AS BIGINT) AS peers, prior_mean AS peer_mean,
      prior_strength, shrunk_rate, shrunk_low, shrunk_high,
      CASE WHEN rate IS NOT NULL THEN PERCENT_RANK() OVER (
        PARTITION BY branch_type, CASE WHEN rate IS NULL THEN 1 ELSE 0 END
        ORDER BY shrunk_rate ASC) END AS peer_percentile
    FROM shrunk
    """


def mix_sql(period: Period, dimension: str) -> str:
    """Each branch's migratable business by ``dimension`` (business or age band), with shares."""
    column = MIX_DIMENSIONS[dimension]
    return f"""
    WITH r AS ({rates_sql(period, ["branch", dimension])})
    SELECT branch_id, COALESCE({column}, 'unknown') AS value, migratable, migrated, rate,
      {_ratio("migratable", "SUM(migratable) OVER (PARTITION BY branch_id)")} AS share
    FROM r WHERE migratable > 0
    """


def _visit_flags(period: Period) -> str:
    """Per visit with transactions in ``period``: its branch, week, hour, migratable counts."""
    return f"""
      SELECT t.visit_id AS visit_id, MIN(t.branch_id) AS branch_id, MIN(t.week) AS week,
             MIN(t.hour) AS first_hour,
             CAST(SUM(CASE WHEN bt.migratable THEN 1 ELSE 0 END) AS BIGINT) AS m,
             CAST(SUM(CASE WHEN bt.migratable AND t.channel = 'stm' THEN 1 ELSE 0 END)
                  AS BIGINT) AS d
      FROM transactions t JOIN business_types bt ON bt.code = t.business_code
      WHERE {period.sql_filter("t")} AND t.visit_id IS NOT NULL
      GROUP BY t.visit_id
    """


def _stage_flags() -> str:
    parts = []
    for s in (1, 2, 3):
        parts.append(f"MAX(CASE WHEN stage = {s} THEN 1 ELSE 0 END) AS t{s}")
        parts.append(
            f"MAX(CASE WHEN stage = {s} AND outcome = 'accepted' THEN 1 ELSE 0 END) AS a{s}"
        )
    return ", ".join(parts)


def triage_coverage_sql(period: Period, by: Sequence[str]) -> str:
    """The triage funnel over the visits with migratable business: who each stage reached.

    Each stage is judged on the visits it could reach, as the source's three rounds work:
    stage 1 (greeter at ticket-taking) all visits with migratable business; stage 2 (hall)
    those not already sent to the smart counter at stage 1; stage 3 (teller) those that
    came to a teller window with migratable business (kept there, or re-promoted there).
    A visit that went to the smart counter on its own, untouched, needed no hall triage: stage
    2 reaches the visits not sent on at stage 1 that were touched in the hall or not migrated.

    - ``sN_eligible``: visits stage N could reach; ``sN_visits``: of them, touched at stage N
      (once however often); ``sN_coverage`` = touched ÷ eligible;
    - ``sN_accepted`` / ``sN_acceptance``: of the touched, those with an accepted touch there;
    - ``sN_open``: eligible visits whose migratable business did not all go to a smart
      counter — what more coverage at that stage could still win;
    - ``fully_migrated``: visits whose migratable business all went to a smart counter;
      ``untouched``: visits no stage touched.
    """
    unknown = [k for k in by if k not in COVERAGE_KEYS]
    if unknown:
        raise KeyError(", ".join(unknown))
    keys = [COVERAGE_KEYS[k] for k in by]
    select = "".join(f"{expr} AS {col}, " for col, expr in keys)
    cols = ", ".join(col for col, _ in keys)
    lead = f"{cols}, " if cols else ""
    group = f"GROUP BY {cols}" if cols else ""
    eligible = {
        1: "1 = 1",
        2: "COALESCE(a1, 0) = 0 AND (d < m OR COALESCE(t2, 0) = 1)",
        3: "(d < m OR COALESCE(t3, 0) = 1)",
    }
    stage_sums = ", ".join(
        f"CAST(SUM(CASE WHEN {eligible[s]} THEN 1 ELSE 0 END) AS BIGINT) AS s{s}_eligible, "
        f"CAST(SUM(CASE WHEN {eligible[s]} THEN COALESCE(t{s}, 0) ELSE 0 END) AS BIGINT)"
        f" AS s{s}_visits, "
        f"CAST(SUM(CASE WHEN {eligible[s]} THEN COALESCE(a{s}, 0) ELSE 0 END) AS BIGINT)"
        f" AS s{s}_accepted, "
        f"CAST(SUM(CASE WHEN {eligible[s]} AND d < m THEN 1 ELSE 0 END) AS BIGINT) AS s{s}_open"
        for s in (1, 2, 3)
    )
    stage_ratios = ", ".join(
        f"s{s}_eligible, s{s}_visits, s{s}_accepted, s{s}_open, "
        f"{_ratio(f's{s}_visits', f's{s}_eligible')} AS s{s}_coverage, "
        f"{_ratio(f's{s}_accepted', f's{s}_visits')} AS s{s}_acceptance"
        for s in (1, 2, 3)
    )
    return f"""
    WITH mv AS ({_visit_flags(period)}),
    touched AS (SELECT visit_id, {_stage_flags()} FROM triage GROUP BY visit_id),
    rows_ AS (
      SELECT {select}mv.m AS m, mv.d AS d, tc.t1 AS t1, tc.a1 AS a1, tc.t2 AS t2, tc.a2 AS a2,
             tc.t3 AS t3, tc.a3 AS a3
      FROM mv
      LEFT JOIN visits v ON v.visit_id = mv.visit_id
      LEFT JOIN branches b ON b.branch_id = mv.branch_id
      LEFT JOIN touched tc ON tc.visit_id = mv.visit_id
      WHERE mv.m > 0
    ),
    agg AS (
      SELECT {lead}CAST(COUNT(*) AS BIGINT) AS migratable_visits,
        CAST(SUM(CASE WHEN d = m THEN 1 ELSE 0 END) AS BIGINT) AS fully_migrated,
        CAST(SUM(CASE WHEN COALESCE(t1, 0) + COALESCE(t2, 0) + COALESCE(t3, 0) = 0 THEN 1
                 ELSE 0 END) AS BIGINT) AS untouched,
        {stage_sums}
      FROM rows_ {group}
    )
    SELECT {lead}migratable_visits, fully_migrated, untouched,
      {_ratio("untouched", "migratable_visits")} AS untouched_share, {stage_ratios}
    FROM agg
    """


def staff_figures_sql(period: Period) -> str:
    """Per staff member over ``period``: what the staff scorecard is computed from.

    - ``transactions``: served (teller window) or authorised (smart counter) by them;
      ``migratable`` of them; ``authorisations``: smart-counter transactions they authorised;
      ``migratable_at_window``: migratable business they kept at the teller window.
    - ``sN_touches`` / ``sN_accepted``: their triage touches at stage N and accepted ones.
    - ``referred_migrated``: migratable business done at a smart counter in visits whose
      stage-3 touch by them was accepted; ``referral_share`` = referred ÷ (referred + kept at
      the window): the share of their migratable business passed to the smart counter.
    - ``touched_migratable`` / ``touched_migrated``: migratable business of the visits they
      triaged, and the part done at a smart counter (``touched_rate``).
    - ``window_visits``: visits with migratable business at their window or re-promoted by
      them; ``window_coverage`` = visits they re-promoted (stage 3) ÷ ``window_visits``.
    - ``hall_coverage``: at their home stage (greeters: stage 1 at ticket-taking; everyone
      else who triages: stage 2 in the hall), the visits with migratable business they
      touched ÷ their fair part of the visits that stage could reach at their branch (those
      visits ÷ the staff who triaged at that stage), at most 1; what a stage can reach is as
      in ``triage_coverage_sql``.
    """
    return f"""
    WITH tx AS (
      SELECT t.staff_id AS staff_id, t.visit_id AS visit_id, t.channel AS channel,
             t.branch_id AS branch_id,
             CASE WHEN bt.migratable THEN 1 ELSE 0 END AS is_m,
             CASE WHEN bt.migratable AND t.channel = 'stm' THEN 1 ELSE 0 END AS is_d
      FROM transactions t JOIN business_types bt ON bt.code = t.business_code
      WHERE {period.sql_filter("t")}
    ),
    tri AS (
      SELECT tr.staff_id AS staff_id, tr.visit_id AS visit_id, tr.stage AS stage,
             tr.outcome AS outcome
      FROM triage tr WHERE {period.sql_filter("tr")} AND tr.staff_id IS NOT NULL
    ),
    served AS (
      SELECT staff_id, CAST(COUNT(*) AS BIGINT) AS transactions,
        CAST(SUM(is_m) AS BIGINT) AS migratable,
        CAST(SUM(CASE WHEN channel = 'stm' THEN 1 ELSE 0 END) AS BIGINT) AS authorisations,
        CAST(SUM(is_d) AS BIGINT) AS migrated_authorised,
        CAST(SUM(CASE WHEN is_m = 1 AND channel = 'teller' THEN 1 ELSE 0 END) AS BIGINT)
          AS migratable_at_window
      FROM tx WHERE staff_id IS NOT NULL GROUP BY staff_id
    ),
    touches AS (
      SELECT staff_id,
        {
        ", ".join(
            f"CAST(SUM(CASE WHEN stage = {s} THEN 1 ELSE 0 END) AS BIGINT) AS s{s}_touches, "
            f"CAST(SUM(CASE WHEN stage = {s} AND outcome = 'accepted' THEN 1 ELSE 0 END) "
            f"AS BIGINT) AS s{s}_accepted"
            for s in (1, 2, 3)
        )
    }
      FROM tri GROUP BY staff_id
    ),
    visit_m AS (
      SELECT visit_id, MIN(branch_id) AS branch_id, CAST(SUM(is_m) AS BIGINT) AS m,
             CAST(SUM(is_d) AS BIGINT) AS d
      FROM tx WHERE visit_id IS NOT NULL GROUP BY visit_id
    ),
    touched AS (
      SELECT x.staff_id, CAST(SUM(vm.m) AS BIGINT) AS touched_migratable,
             CAST(SUM(vm.d) AS BIGINT) AS touched_migrated,
             CAST(SUM(CASE WHEN vm.m > 0 THEN 1 ELSE 0 END) AS BIGINT) AS touched_visits
      FROM (SELECT DISTINCT staff_id, visit_id FROM tri) x
      JOIN visit_m vm ON vm.visit_id = x.visit_id
      GROUP BY x.staff_id
    ),
    referred AS (
      SELECT x.staff_id, CAST(SUM(vm.d) AS BIGINT) AS referred_migrated
      FROM (SELECT DISTINCT staff_id, visit_id FROM tri
            WHERE stage = 3 AND outcome = 'accepted') x
      JOIN visit_m vm ON vm.visit_id = x.visit_id
      GROUP BY x.staff_id
    ),
    window_ AS (
      SELECT w.staff_id,
        CAST(COUNT(*) AS BIGINT) AS window_visits,
        CAST(SUM(w.promoted) AS BIGINT) AS promoted_visits
      FROM (
        SELECT staff_id, visit_id, MAX(promoted) AS promoted FROM (
          SELECT staff_id, visit_id, 0 AS promoted FROM tx
          WHERE channel = 'teller' AND is_m = 1 AND visit_id IS NOT NULL
            AND staff_id IS NOT NULL
          UNION ALL
          SELECT tr3.staff_id, tr3.visit_id, 1 AS promoted FROM tri tr3
          JOIN visit_m vm3 ON vm3.visit_id = tr3.visit_id
          WHERE tr3.stage = 3 AND vm3.m > 0
        ) u GROUP BY staff_id, visit_id
      ) w GROUP BY w.staff_id
    ),
    first_accepted AS (
      SELECT visit_id, MAX(CASE WHEN stage = 1 AND outcome = 'accepted' THEN 1 ELSE 0 END) AS a1,
             MAX(CASE WHEN stage = 2 THEN 1 ELSE 0 END) AS t2
      FROM triage GROUP BY visit_id
    ),
    branch_visits AS (
      SELECT vm.branch_id,
        CAST(SUM(CASE WHEN vm.m > 0 THEN 1 ELSE 0 END) AS BIGINT) AS branch_migratable_visits,
        CAST(SUM(CASE WHEN vm.m > 0 AND COALESCE(fa.a1, 0) = 0
                      AND (vm.d < vm.m OR COALESCE(fa.t2, 0) = 1) THEN 1 ELSE 0 END) AS BIGINT)
          AS branch_hall_visits
      FROM visit_m vm LEFT JOIN first_accepted fa ON fa.visit_id = vm.visit_id
      GROUP BY vm.branch_id
    ),
    staff_stage AS (
      SELECT x.staff_id, x.stage, vm.branch_id, CAST(COUNT(DISTINCT x.visit_id) AS BIGINT) AS visits
      FROM tri x JOIN visit_m vm ON vm.visit_id = x.visit_id
      WHERE vm.m > 0
      GROUP BY x.staff_id, x.stage, vm.branch_id
    ),
    stage_staff AS (
      SELECT branch_id, stage, CAST(COUNT(DISTINCT staff_id) AS BIGINT) AS stage_staff
      FROM staff_stage GROUP BY branch_id, stage
    ),
    home AS (
      SELECT h.staff_id, h.home_stage, COALESCE(ss.visits, 0) AS home_visits,
        COALESCE(sn.stage_staff, 1) AS home_staff,
        CASE WHEN h.home_stage = 1 THEN bv.branch_migratable_visits ELSE bv.branch_hall_visits END
          AS home_eligible
      FROM (
        SELECT staff_id, branch_id, CASE WHEN role = 'greeter' THEN 1 ELSE 2 END AS home_stage
        FROM staff
      ) h
      LEFT JOIN staff_stage ss
        ON ss.staff_id = h.staff_id AND ss.stage = h.home_stage AND ss.branch_id = h.branch_id
      LEFT JOIN stage_staff sn ON sn.branch_id = h.branch_id AND sn.stage = h.home_stage
      LEFT JOIN branch_visits bv ON bv.branch_id = h.branch_id
    ),
    ids AS (
      SELECT staff_id FROM staff
      UNION SELECT staff_id FROM served
      UNION SELECT staff_id FROM touches
    ),
    joined AS (
      SELECT i.staff_id, st.branch_id, st.name, st.role,
        COALESCE(sv.transactions, 0) AS transactions,
        COALESCE(sv.migratable, 0) AS migratable,
        COALESCE(sv.authorisations, 0) AS authorisations,
        COALESCE(sv.migrated_authorised, 0) AS migrated_authorised,
        COALESCE(sv.migratable_at_window, 0) AS migratable_at_window,
        COALESCE(tc.s1_touches, 0) AS s1_touches, COALESCE(tc.s1_accepted, 0) AS s1_accepted,
        COALESCE(tc.s2_touches, 0) AS s2_touches, COALESCE(tc.s2_accepted, 0) AS s2_accepted,
        COALESCE(tc.s3_touches, 0) AS s3_touches, COALESCE(tc.s3_accepted, 0) AS s3_accepted,
        COALESCE(rf.referred_migrated, 0) AS referred_migrated,
        COALESCE(td.touched_migratable, 0) AS touched_migratable,
        COALESCE(td.touched_migrated, 0) AS touched_migrated,
        COALESCE(td.touched_visits, 0) AS touched_visits,
        COALESCE(wi.window_visits, 0) AS window_visits,
        COALESCE(wi.promoted_visits, 0) AS promoted_visits,
        COALESCE(bv.branch_migratable_visits, 0) AS branch_migratable_visits,
        hm.home_stage, COALESCE(hm.home_visits, 0) AS home_visits,
        COALESCE(hm.home_eligible, 0) AS home_eligible, COALESCE(hm.home_staff, 1) AS home_staff
      FROM ids i
      LEFT JOIN staff st ON st.staff_id = i.staff_id
      LEFT JOIN served sv ON sv.staff_id = i.staff_id
      LEFT JOIN touches tc ON tc.staff_id = i.staff_id
      LEFT JOIN referred rf ON rf.staff_id = i.staff_id
      LEFT JOIN touched td ON td.staff_id = i.staff_id
      LEFT JOIN window_ wi ON wi.staff_id = i.staff_id
      LEFT JOIN branch_visits bv ON bv.branch_id = st.branch_id
      LEFT JOIN home hm ON hm.staff_id = i.staff_id
    )
    SELECT staff_id, branch_id, name, role, transactions, migratable, authorisations,
      migrated_authorised, migratable_at_window,
      s1_touches, s1_accepted, s2_touches, s2_accepted, s3_touches, s3_accepted,
      s1_touches + s2_touches + s3_touches AS touches,
      s1_accepted + s2_accepted + s3_accepted AS accepted,
      {_ratio("s1_accepted + s2_accepted + s3_accepted", "s1_touches + s2_touches + s3_touches")}
        AS acceptance_rate,
      referred_migrated,
      {_ratio("referred_migrated", "referred_migrated + migratable_at_window")} AS referral_share,
      touched_migratable, touched_migrated,
      {_ratio("touched_migrated", "touched_migratable")} AS touched_rate,
      touched_visits, window_visits, promoted_visits,
      {_ratio("promoted_visits", "window_visits")} AS window_coverage,
      branch_migratable_visits, CAST(home_stage AS BIGINT) AS home_stage, home_visits,
      home_eligible, home_staff,
      CASE WHEN home_eligible > 0 THEN LEAST(CAST(1 AS DOUBLE), {
        _ratio("home_visits * home_staff", "home_eligible")
    }) END AS hall_coverage
    FROM joined
    """
