"""Dated practice changes found in the store: who worked, how triage ran, whether cash was split.

The staff and branches tables say how a branch is set up *now*; the event tables say how it
worked each week. Per branch and week (``weekly_practice``, one SQL text):

- staff at work by role: tellers who served at a window, greeters who triaged, specialists
  who triaged or authorised at a smart counter (distinct staff ids);
- triage rounds: how many of the three stages touched at least ``STAGE_SHARE`` of the
  visits with migratable business and no cash (a teller's referral after splitting a cash
  visit is part of the cash split, not a third round);
- cash split: visits with cash and migratable business whose migratable part was all done
  at a smart counter, over all such visits (the branch splits at ``cash_split_share``, as
  calibration judges it);
- backup teller: smart-counter transactions a teller authorised, over all of them.

``detect_changes`` finds the weeks from which a figure stepped to another level and stayed
(at least ``MIN_WEEKS`` weeks at one level followed by at least as many at another). Shares
(each triage stage's, the cash split's, the backup teller's) are first read as on or off per
week by binary segmentation of the weekly counts: the split that most raises the binomial
likelihood, kept while the gain is clear, each segment on or off by its pooled share; a
week's wobble around a threshold is no change. Changes of one branch in the same week are one
change, as ``generate --change`` writes them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import polars as pl

from smartcounter.metrics import Metrics
from smartcounter.metrics.api import _frame
from smartcounter.settings import Settings
from smartcounter.simulation.scenario import Scenario

COUNT_KEYS = ("tellers", "greeters", "specialists", "triage_rounds")
SHARE_KEYS = ("cash_split", "backup_teller")
KEYS = (*SHARE_KEYS, *COUNT_KEYS)
STAFF_KEYS = ("tellers", "greeters", "specialists")
# Counts the reference tables cannot date (they say how a branch is set up now): the as-is
# of a back-test takes them from the change. Smart counters come from the set-up log.
AS_IS_KEYS = (*STAFF_KEYS, "smart_counters")
MIN_WEEKS = 2  # weeks at a level before and after a step
STAGE_SHARE = 0.02  # a triage stage is practised from this share of migratable visits
MIN_GAIN = 8.0  # log-likelihood gain of a split of a share (≈ p < 0.0001)
SHARE_WEEKS = 3  # weeks on each side of a step in a share (a busy fortnight is no practice)
# Tellers help authorise only at peaks: a branch that starts it shows it in a share well
# under calibration's ``backup_share`` in quiet weeks, against none at all before. For the
# same reason a stop is not dated (quiet weeks look the same): only starts that last.
BACKUP_SHARE = 0.005

WEEKLY_PRACTICE_SQL = """
WITH legs AS (
  SELECT t.visit_id AS visit_id, MIN(t.branch_id) AS branch_id, MIN(t.week) AS week,
    SUM(CASE WHEN bt.migratable THEN 1 ELSE 0 END) AS m,
    SUM(CASE WHEN bt.migratable AND t.channel = 'stm' THEN 1 ELSE 0 END) AS d,
    SUM(CASE WHEN bt.cash AND NOT bt.migratable THEN 1 ELSE 0 END) AS c
  FROM transactions t JOIN business_types bt ON bt.code = t.business_code
  WHERE t.visit_id IS NOT NULL
  GROUP BY t.visit_id
),
visits_by_week AS (
  SELECT branch_id, week,
    CAST(SUM(CASE WHEN m > 0 AND c = 0 THEN 1 ELSE 0 END) AS BIGINT) AS noncash_visits,
    CAST(SUM(CASE WHEN m > 0 AND c > 0 THEN 1 ELSE 0 END) AS BIGINT) AS composite,
    CAST(SUM(CASE WHEN m > 0 AND c > 0 AND d = m THEN 1 ELSE 0 END) AS BIGINT) AS split
  FROM legs GROUP BY branch_id, week
),
stages AS (
  SELECT v.branch_id AS branch_id, tr.week AS week,
    CAST(COUNT(DISTINCT CASE WHEN tr.stage = 1 THEN tr.visit_id END) AS BIGINT) AS stage1,
    CAST(COUNT(DISTINCT CASE WHEN tr.stage = 2 THEN tr.visit_id END) AS BIGINT) AS stage2,
    CAST(COUNT(DISTINCT CASE WHEN tr.stage = 3 THEN tr.visit_id END) AS BIGINT) AS stage3
  FROM triage tr JOIN visits v ON v.visit_id = tr.visit_id
  JOIN legs l ON l.visit_id = tr.visit_id
  WHERE l.m > 0 AND l.c = 0
  GROUP BY v.branch_id, tr.week
),
at_work AS (
  SELECT t.branch_id AS branch_id, t.week AS week, t.staff_id AS staff_id, t.channel AS place
  FROM transactions t WHERE t.staff_id IS NOT NULL
  UNION ALL
  SELECT v.branch_id AS branch_id, tr.week AS week, tr.staff_id AS staff_id, 'triage' AS place
  FROM triage tr JOIN visits v ON v.visit_id = tr.visit_id WHERE tr.staff_id IS NOT NULL
),
staffed AS (
  SELECT a.branch_id AS branch_id, a.week AS week,
    CAST(COUNT(DISTINCT CASE WHEN s.role = 'teller' AND a.place = 'teller'
                             THEN a.staff_id END) AS BIGINT) AS tellers,
    CAST(COUNT(DISTINCT CASE WHEN s.role = 'greeter' AND a.place = 'triage'
                             THEN a.staff_id END) AS BIGINT) AS greeters,
    CAST(COUNT(DISTINCT CASE WHEN s.role = 'stm_specialist' AND a.place <> 'teller'
                             THEN a.staff_id END) AS BIGINT) AS specialists,
    CAST(SUM(CASE WHEN a.place = 'stm' THEN 1 ELSE 0 END) AS BIGINT) AS stm,
    CAST(SUM(CASE WHEN a.place = 'stm' AND s.role = 'teller' THEN 1 ELSE 0 END) AS BIGINT)
      AS stm_by_teller
  FROM at_work a JOIN staff s ON s.staff_id = a.staff_id
  GROUP BY a.branch_id, a.week
)
SELECT x.branch_id AS branch_id, x.week AS week, x.noncash_visits AS noncash_visits,
  x.composite AS composite, x.split AS split,
  COALESCE(st.stage1, 0) AS stage1, COALESCE(st.stage2, 0) AS stage2,
  COALESCE(st.stage3, 0) AS stage3,
  COALESCE(f.tellers, 0) AS tellers, COALESCE(f.greeters, 0) AS greeters,
  COALESCE(f.specialists, 0) AS specialists, COALESCE(f.stm, 0) AS stm,
  COALESCE(f.stm_by_teller, 0) AS stm_by_teller
FROM visits_by_week x
LEFT JOIN stages st ON st.branch_id = x.branch_id AND st.week = x.week
LEFT JOIN staffed f ON f.branch_id = x.branch_id AND f.week = x.week
"""

Value = int | bool


@dataclass(frozen=True)
class PracticeChange:
    """A branch's practice stepped from one level to another from ``week`` on."""

    branch_id: str
    week: str  # ISO week, e.g. 2018-W07
    steps: tuple[tuple[str, Value, Value], ...]  # (key, before, after), keys as ``KEYS``

    @property
    def label(self) -> str:
        """``key=after[,key=after]``, as ``generate --change`` takes it."""
        return ",".join(f"{k}={_text(after)}" for k, _, after in self.steps)

    def scenario(self) -> Scenario:
        """The what-if that makes the branch as it was into the branch as it became."""
        changes: dict[str, Any] = {k: after for k, _, after in self.steps}  # its field names
        return Scenario(**changes)

    def as_is(self) -> Scenario:
        """The counts before the change (the staff table lists who came later too)."""
        counts: dict[str, Any] = {k: b for k, b, _ in self.steps if k in AS_IS_KEYS}
        return Scenario(**counts)


def _text(value: Value) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def weekly_practice(metrics: Metrics) -> pl.DataFrame:
    """Per branch and week: staff at work by role, triage touches by stage, composite visits
    and those split, smart-counter transactions and those a teller authorised."""
    return _frame(metrics.engine.run(WEEKLY_PRACTICE_SQL, None)).sort("branch_id", "week")


def detect_changes(
    weekly: pl.DataFrame, settings: Settings, branches: Sequence[str] | None = None
) -> list[PracticeChange]:
    """The dated practice changes in ``weekly_practice``'s figures, by branch and week."""
    sim = settings.simulation
    shares = {
        "cash_split": ("split", "composite", sim.cash_split_share),
        "backup_teller": ("stm_by_teller", "stm", min(sim.backup_share, BACKUP_SHARE)),
    }
    found: list[PracticeChange] = []
    wanted = None if branches is None else set(branches)
    for (branch,), rows in weekly.sort("week").group_by(["branch_id"], maintain_order=True):
        if wanted is not None and branch not in wanted:
            continue
        weeks = rows["week"].to_list()
        levels: dict[str, list[int]] = {
            key: [int(v) for v in rows[key].to_list()] for key in STAFF_KEYS
        }
        visits = _floats(rows, "noncash_visits")
        practised = [
            share_states(_floats(rows, f"stage{s}"), visits, STAGE_SHARE, min_weeks=SHARE_WEEKS)
            for s in (1, 2, 3)
        ]
        levels["triage_rounds"] = [sum(week) for week in zip(*practised, strict=True)]
        for key, (num, den, threshold) in shares.items():
            levels[key] = share_states(
                _floats(rows, num), _floats(rows, den), threshold, min_weeks=SHARE_WEEKS
            )
        steps: dict[int, list[tuple[str, Value, Value]]] = {}
        for key in KEYS:
            flag = key in SHARE_KEYS
            for at, before, after in count_steps(levels[key]):
                if key == "backup_teller" and not all(levels[key][at:]):
                    continue  # a stop, or a start that did not last
                step = (key, bool(before), bool(after)) if flag else (key, before, after)
                steps.setdefault(at, []).append(step)
        for at in sorted(steps):
            ordered = sorted(steps[at], key=lambda s: KEYS.index(s[0]))
            found.append(PracticeChange(str(branch), str(weeks[at]), tuple(ordered)))
    return found


def _floats(rows: pl.DataFrame, column: str) -> list[float]:
    return [float(v or 0) for v in rows[column].to_list()]


def find_changes(
    metrics: Metrics, settings: Settings, branches: Sequence[str] | None = None
) -> list[PracticeChange]:
    """The dated practice changes the store's records show (all branches, or ``branches``)."""
    return detect_changes(weekly_practice(metrics), settings, branches)


def merge_changes(*found: Sequence[PracticeChange]) -> list[PracticeChange]:
    """Changes from several sources as one list: a branch's steps in one week together."""
    steps: dict[tuple[str, str], dict[str, tuple[str, Value, Value]]] = {}
    for changes in found:
        for c in changes:
            mine = steps.setdefault((c.branch_id, c.week), {})
            for step in c.steps:
                mine.setdefault(step[0], step)
    order = (*KEYS, "smart_counters")
    return [
        PracticeChange(b, w, tuple(sorted(s.values(), key=lambda x: order.index(x[0]))))
        for (b, w), s in sorted(steps.items())
    ]


def count_steps(values: Sequence[int], min_weeks: int = MIN_WEEKS) -> list[tuple[int, int, int]]:
    """``(index, before, after)`` where a run of at least ``min_weeks`` equal values follows
    one of another value; shorter runs in between (a week's absence) are passed over."""
    runs: list[tuple[int, int, int]] = []  # (start, length, value)
    for i, v in enumerate(values):
        if runs and runs[-1][2] == v:
            start, length, _ = runs[-1]
            runs[-1] = (start, length + 1, v)
        else:
            runs.append((i, 1, v))
    stable = [r for r in runs if r[1] >= min_weeks]
    out = []
    for prev, cur in pairwise(stable):
        if prev[2] != cur[2]:
            out.append((cur[0], prev[2], cur[2]))
    return out


def share_states(
    counts: Sequence[float],
    totals: Sequence[float],
    threshold: float,
    min_weeks: int = MIN_WEEKS,
    min_gain: float = MIN_GAIN,
) -> list[int]:
    """Per week, 1 where the practice is on (its segment's share at least ``threshold``):
    binary segmentation of the weekly binomial counts, a cut kept only where most weeks on
    each side agree with their side (a single busy week is no practice). A practice that
    never showed before a cut starts in the first week it shows."""
    cuts = sorted(_segment(counts, totals, 0, len(counts), min_weeks, min_gain))
    bounds = [0, *cuts, len(counts)]
    for k in range(1, len(bounds) - 1):
        while (
            bounds[k] - 1 > bounds[k - 1]
            and counts[bounds[k] - 1] > 0
            and sum(counts[bounds[k - 1] : bounds[k] - 1]) == 0
        ):
            bounds[k] -= 1
    while True:
        shaky = [
            k
            for k in range(1, len(bounds) - 1)
            if not (
                _agrees(counts, totals, threshold, bounds[k - 1], bounds[k])
                and _agrees(counts, totals, threshold, bounds[k], bounds[k + 1])
            )
        ]
        if not shaky:
            break
        del bounds[shaky[0]]
    states: list[int] = []
    for a, b in pairwise(bounds):
        states += [int(_share(counts, totals, a, b) >= threshold)] * (b - a)
    return states


def _agrees(
    counts: Sequence[float], totals: Sequence[float], threshold: float, lo: int, hi: int
) -> bool:
    """Whether most weeks of ``lo``..``hi`` are on the same side of ``threshold`` as all."""
    state = _share(counts, totals, lo, hi) >= threshold
    same = sum((_share(counts, totals, w, w + 1) >= threshold) == state for w in range(lo, hi))
    return 2 * same > hi - lo


def _segment(
    counts: Sequence[float],
    totals: Sequence[float],
    lo: int,
    hi: int,
    min_weeks: int,
    min_gain: float,
) -> list[int]:
    whole = _loglik(counts, totals, lo, hi)
    best, best_gain = -1, min_gain
    for cut in range(lo + min_weeks, hi - min_weeks + 1):
        gain = _loglik(counts, totals, lo, cut) + _loglik(counts, totals, cut, hi) - whole
        if gain > best_gain:
            best, best_gain = cut, gain
    if best < 0:
        return []
    return [
        *_segment(counts, totals, lo, best, min_weeks, min_gain),
        best,
        *_segment(counts, totals, best, hi, min_weeks, min_gain),
    ]


def _share(counts: Sequence[float], totals: Sequence[float], lo: int, hi: int) -> float:
    n = sum(totals[lo:hi])
    return sum(counts[lo:hi]) / n if n > 0 else 0.0


def _loglik(counts: Sequence[float], totals: Sequence[float], lo: int, hi: int) -> float:
    k, n = sum(counts[lo:hi]), sum(totals[lo:hi])
    if n <= 0 or k <= 0 or k >= n:
        return 0.0
    p = k / n
    return k * math.log(p) + (n - k) * math.log(1 - p)
