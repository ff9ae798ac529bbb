"""Dated practice changes: ``BRANCH@WEEK:KEY=VALUE[,KEY=VALUE]``.

A change takes effect from the first simulated week that starts on or after the Monday of
ISO week ``WEEK`` and holds until a later change of the same branch and key. Keys are the
what-if options of ``simulate``: staff counts (``specialists``, ``tellers``, ``greeters``),
devices (``smart_counters``), the number of triage rounds, the cash split and the backup
teller. Counts are absolute. A stage a branch starts (a greeter where nobody triaged at
the door, a third round where tellers did not re-promote) is practised with the coverage
typical of the network's branches that practise it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import date, timedelta

import numpy as np

from smartcounter.synthetic.network import ROLE_INDEX, Practices

BOOL_KEYS = ("cash_split", "backup_teller")
# key: (smallest, largest) value
COUNT_KEYS: dict[str, tuple[int, int]] = {
    "specialists": (0, 9),
    "smart_counters": (0, 20),
    "tellers": (1, 20),
    "greeters": (0, 9),
    "triage_rounds": (1, 3),
}
KEYS = (*COUNT_KEYS, *BOOL_KEYS)
# What a branch can take over from a partner beyond the public keys (the demo's story):
# how widely and how well its staff guide, and its follow-up and elderly practices.
ADOPTED_FLOATS = ("stage1_coverage", "stage2_coverage", "stage3_coverage", "guidance_quality")
ADOPTED_FLAGS = ("follow_up", "elderly_support")
_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}
_FORM = re.compile(r"^(?P<branch>[^@\s]+)@(?P<week>\d{4}-W\d{2}):(?P<values>.+)$")


class ChangeError(ValueError):
    """A ``--change`` that cannot be applied: a message key of ``synthetic.change_*`` and
    its fields, so the command line can say what is wrong in the user's language."""

    def __init__(self, message_key: str, **fields: str) -> None:
        super().__init__(f"{message_key}: " + ", ".join(f"{k}={v}" for k, v in fields.items()))
        self.key = message_key
        self.fields = fields


@dataclass(frozen=True)
class PracticeChange:
    """One branch's practice changed from one week on."""

    branch_id: str
    week: str  # ISO week, e.g. 2018-W07
    values: tuple[tuple[str, int | bool | float], ...]

    def monday(self) -> date:
        """The Monday of the change's ISO week."""
        year, number = self.week.split("-W")
        return date.fromisocalendar(int(year), int(number), 1)

    def week_index(self, start: date) -> int:
        """The run's first week (from 0) that starts on or after the change's Monday."""
        days = (self.monday() - start).days
        return -(-days // 7)


def parse_change(text: str) -> PracticeChange:
    """``BRANCH@WEEK:KEY=VALUE[,KEY=VALUE]`` as a change; ``ChangeError`` says what is wrong."""
    m = _FORM.match(text.strip())
    if m is None:
        raise ChangeError("change_form", value=text)
    week = m.group("week")
    try:
        year, number = week.split("-W")
        date.fromisocalendar(int(year), int(number), 1)
    except ValueError:
        raise ChangeError("change_week", value=text, week=week) from None
    values: dict[str, int | bool | float] = {}
    for part in m.group("values").split(","):
        key, sep, raw = part.partition("=")
        key, raw = key.strip(), raw.strip()
        if not sep or not key or not raw:
            raise ChangeError("change_pair", value=text, part=part)
        if key not in KEYS:
            raise ChangeError("change_key", value=text, key=key, keys=", ".join(KEYS))
        if key in values:
            raise ChangeError("change_twice", value=text, key=key)
        if key in BOOL_KEYS:
            if raw.lower() not in _TRUE | _FALSE:
                raise ChangeError("change_bool", value=text, key=key, raw=raw)
            values[key] = raw.lower() in _TRUE
        else:
            low, high = COUNT_KEYS[key]
            if not re.fullmatch(r"\d+", raw) or not low <= int(raw) <= high:
                raise ChangeError(
                    "change_count", value=text, key=key, raw=raw, low=str(low), high=str(high)
                )
            values[key] = int(raw)
    return PracticeChange(m.group("branch"), week, tuple(values.items()))


def check_changes(
    changes: tuple[PracticeChange, ...], branch_ids: list[str], start: date, weeks: int
) -> None:
    """Every change names a branch of the network and a week of the run."""
    known = set(branch_ids)
    end = start + timedelta(days=7 * weeks - 1)
    for c in changes:
        label = f"{c.branch_id}@{c.week}"
        if c.branch_id not in known:
            sample = ", ".join(branch_ids[:6])
            raise ChangeError("change_branch", value=label, branch=c.branch_id, sample=sample)
        if not 0 <= c.week_index(start) < weeks:
            raise ChangeError(
                "change_period",
                value=label,
                week=c.week,
                start=start.isoformat(),
                end=end.isoformat(),
            )


def typical_coverage(p: Practices) -> tuple[float, float, float]:
    """Median coverage per stage among the branches that practise it."""
    out = []
    for cover in (p.stage1_coverage, p.stage2_coverage, p.stage3_coverage):
        practised = cover[cover > 0]
        out.append(float(np.median(practised)) if practised.size else 0.7)
    return out[0], out[1], out[2]


def copy_practices(p: Practices) -> Practices:
    """A copy whose arrays can be changed without touching ``p``."""
    return Practices(**{f.name: getattr(p, f.name).copy() for f in fields(p)})


def apply_change(
    p: Practices,
    row: int,
    values: tuple[tuple[str, int | bool | float], ...],
    typical: tuple[float, ...],
) -> None:
    """Change branch ``row`` of ``p`` in place."""
    counts = p.role_counts[row]
    for key, value in values:
        if key == "cash_split":
            p.cash_split[row] = bool(value)
        elif key == "backup_teller":
            p.backup_teller[row] = bool(value)
        elif key == "smart_counters":
            p.smart_counters[row] = int(value)
        elif key == "tellers":
            counts[ROLE_INDEX["teller"]] = int(value)
            p.teller_windows[row] = max(int(p.teller_windows[row]), int(value))
        elif key == "greeters":
            before = int(counts[ROLE_INDEX["greeter"]])
            counts[ROLE_INDEX["greeter"]] = int(value)
            if int(value) > before and p.stage1_coverage[row] == 0:
                p.stage1_coverage[row] = typical[0]
        elif key == "specialists":
            before = int(counts[ROLE_INDEX["stm_specialist"]])
            counts[ROLE_INDEX["stm_specialist"]] = int(value)
            if int(value) > before and p.stage2_coverage[row] == 0:
                p.stage2_coverage[row] = typical[1]
        elif key in ADOPTED_FLOATS:
            getattr(p, key)[row] = float(value)
        elif key in ADOPTED_FLAGS:
            getattr(p, key)[row] = bool(value)
    rounds = dict(values).get("triage_rounds")
    if rounds is not None:
        stages = (p.stage1_coverage, p.stage2_coverage, p.stage3_coverage)
        for stage, cover in enumerate(stages):
            if stage < int(rounds):
                cover[row] = cover[row] or typical[stage]
            else:
                cover[row] = 0.0


def practices_by_week(
    base: Practices,
    changes: tuple[PracticeChange, ...],
    branch_ids: list[str],
    start: date,
    weeks: int,
) -> list[Practices]:
    """Every week's practices (the same object for weeks without a change since the last)."""
    row_of = {b: i for i, b in enumerate(branch_ids)}
    typical = typical_coverage(base)
    by_week: dict[int, list[PracticeChange]] = {}
    for c in changes:
        by_week.setdefault(c.week_index(start), []).append(c)
    out: list[Practices] = []
    current = base
    for week in range(weeks):
        todo = by_week.get(week, [])
        if todo:
            current = copy_practices(current)
            for c in todo:
                apply_change(current, row_of[c.branch_id], c.values, typical)
        out.append(current)
    return out


def adoption_changes(
    network_practices: Practices,
    branch_ids: list[str],
    week: str,
    share: float = 0.25,
    steps: int = 4,
    every: int = 2,
) -> tuple[PracticeChange, ...]:
    """The programme's story: the lagging quarter of the generic branches, each paired with
    an advanced branch of its peer group in ``week``, take over their partner's practice.

    Laggard and partner are judged by their practice (how likely a migratable customer is
    to be guided to a smart counter: coverage of each triage round times guidance
    quality), not by any rate. From ``week`` a laggard takes the partner's triage rounds,
    cash split, backup teller, follow-up and elderly support, and a greeter or specialist
    where the partner has one; its coverage and guidance quality close the gap to the
    partner's in ``steps`` steps, one every ``every`` weeks, as its staff learn.
    """
    p = network_practices
    reach = 1.0 - (
        (1.0 - p.stage1_coverage * p.guidance_quality)
        * (1.0 - p.stage2_coverage * p.guidance_quality)
        * (1.0 - p.stage3_coverage * p.guidance_quality)
    )
    generic = np.flatnonzero(~p.is_source)
    if generic.size < 4:
        return ()
    order = generic[np.argsort(reach[generic], kind="stable")]
    count = max(1, int(generic.size * share))
    lagging, leading = order[:count], order[::-1][:count]
    first = PracticeChange("", week, ()).monday()
    weeks = []
    for k in range(steps):
        year, number, _ = (first + timedelta(days=7 * every * k)).isocalendar()
        weeks.append(f"{year}-W{number:02d}")
    changes = []
    used: dict[int, int] = {}
    for row in lagging:
        peers = [r for r in leading if p.branch_type[r] == p.branch_type[row]] or list(leading)
        partner = min(peers, key=lambda r: (used.get(int(r), 0), -reach[r]))
        used[int(partner)] = used.get(int(partner), 0) + 1
        adopted: dict[str, int | bool | float] = {
            "cash_split": bool(p.cash_split[row] or p.cash_split[partner]),
            "follow_up": bool(p.follow_up[row] or p.follow_up[partner]),
            "elderly_support": bool(p.elderly_support[row] or p.elderly_support[partner]),
            "backup_teller": bool(p.backup_teller[row] or p.backup_teller[partner]),
        }
        for key, role in (("greeters", "greeter"), ("specialists", "stm_specialist")):
            mine = int(p.role_counts[row, ROLE_INDEX[role]])
            theirs = int(p.role_counts[partner, ROLE_INDEX[role]])
            if theirs > mine:
                adopted[key] = min(theirs, mine + 1)
        for k, when in enumerate(weeks):
            part = (k + 1) / steps
            values = dict(adopted) if k == 0 else {}
            for key in ADOPTED_FLOATS:
                mine_f = float(getattr(p, key)[row])
                theirs_f = float(getattr(p, key)[partner])
                values[key] = mine_f + part * max(theirs_f - mine_f, 0.0)
            changes.append(PracticeChange(branch_ids[int(row)], when, tuple(values.items())))
    return tuple(changes)
