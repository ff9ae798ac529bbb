"""A generated network with a dated practice change at every branch, for back-tests.

Each branch gets one change the store can show, taking turns over the kinds: the cash
split where the branch does not split, a backup teller where someone authorises at the
smart counter and tellers do not help, one more teller, a greeter where there is none
(falling through to the next kind where one does not apply). The weeks of the changes take
turns over ``weeks`` so that calibration periods differ.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import polars as pl

from smartcounter.store.layout import Store
from smartcounter.synthetic import NetworkSpec, write_network
from smartcounter.synthetic.changes import PracticeChange
from smartcounter.synthetic.network import ROLE_INDEX, build_network

KINDS = ("cash_split", "backup_teller", "tellers", "greeters")
# The generator's truth columns that ``simulation/changes.py`` can see, by its key.
TRUTH_COLUMNS = {
    "cash_split": "cash_split",
    "backup_teller": "backup_teller",
    "tellers": "tellers",
    "greeters": "greeters",
    "specialists": "stm_specialists",
    "triage_rounds": "triage_rounds",
}


def change_every_branch(
    spec: NetworkSpec, weeks: Sequence[str], given: Sequence[PracticeChange] = ()
) -> tuple[PracticeChange, ...]:
    """One visible change per branch of ``spec``'s network (``given`` ones where given)."""
    network = build_network(spec)
    p = network.practices
    out = list(given)
    fixed = {c.branch_id for c in given}
    for row, branch in enumerate(network.branch_ids.to_list()):
        if branch in fixed:
            continue
        counts = p.role_counts[row]
        tellers = int(counts[ROLE_INDEX["teller"]])
        hall = int(counts[ROLE_INDEX["stm_specialist"]] + counts[ROLE_INDEX["lobby_manager"]])
        options: dict[str, int | bool | None] = {
            "cash_split": True if not p.cash_split[row] else None,
            "backup_teller": True if hall and not p.backup_teller[row] else None,
            "tellers": tellers + 1 if tellers < 6 else None,
            "greeters": 1 if counts[ROLE_INDEX["greeter"]] == 0 else None,
        }
        for k in range(len(KINDS)):
            key = KINDS[(row + k) % len(KINDS)]
            value = options[key]
            if value is not None:
                week = weeks[row % len(weeks)]
                out.append(PracticeChange(str(branch), week, ((key, value),)))
                break
    return tuple(out)


def write_changed_network(
    root: Path, spec: NetworkSpec, weeks: Sequence[str], given: Sequence[PracticeChange] = ()
) -> tuple[Store, tuple[PracticeChange, ...]]:
    """``spec``'s network with a change at every branch, imported into a store under ``root``
    (CSVs not written; the generator's truth in ``root/generated/_truth``)."""
    changes = change_every_branch(spec, weeks, given)
    store = Store.open_or_create(root / "store", timezone="Asia/Shanghai")
    summary = write_network(
        root / "generated", replace(spec, changes=changes), write_csv=False, store=store
    )
    assert summary.rejected == 0
    return Store.open(root / "store"), changes


def truth_steps(path: Path) -> set[tuple[str, str, str]]:
    """(branch, week, key) of every week a truth column of ``branch_practices_by_week.csv``
    differs from the week before."""
    truth = pl.read_csv(path).sort("branch_id", "week")
    out = set()
    for key, column in TRUTH_COLUMNS.items():
        moved = truth.filter(
            (pl.col(column) != pl.col(column).shift(1).over("branch_id")).fill_null(False)
        )
        out |= {(b, w, key) for b, w in moved.select("branch_id", "week").iter_rows()}
    return out
