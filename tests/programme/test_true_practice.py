"""On a generated network, the diagnosis names the practice that truly differs.

The generator writes each branch's true practice (``_truth/branch_practices.csv``); for
every pair the centre would make, the top recommendation should be a practice in which the
lagging branch is truly behind its partner (truth.py says what "truly behind" means).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from smartcounter.metrics import Metrics
from smartcounter.metrics.duckdb_engine import DuckDBEngine
from smartcounter.programme.service import diagnose_pairs, propose_pairs
from smartcounter.store.layout import Store
from smartcounter.synthetic import NetworkSpec, write_network
from smartcounter.synthetic.writer import TRUTH_DIR, TRUTH_FILE
from tests.programme.truth import PRACTICES, truly_differs

pytestmark = pytest.mark.slow


def test_top_recommendation_is_a_true_difference(tmp_path: Path, settings, capsys):
    store = Store.create(tmp_path / "store", timezone="Asia/Shanghai")
    spec = NetworkSpec(branches=80, weeks=6, start=date(2018, 1, 29), seed=11)
    write_network(tmp_path / "out", spec, write_csv=False, store=store)
    truth_rows = pl.read_csv(tmp_path / "out" / TRUTH_DIR / TRUTH_FILE, infer_schema_length=None)
    truth = {r["branch_id"]: r for r in truth_rows.iter_rows(named=True)}
    with Metrics(DuckDBEngine(Store.open(store.root))) as metrics:
        # Few branches of this network are surely at target, so let each partner help more
        # branches than one: the check is of the diagnosis, over enough pairs to mean something.
        report = propose_pairs(metrics=metrics, settings=settings, week="2018-W10", cap=6)
        found = diagnose_pairs(metrics=metrics, settings=settings, week="2018-W10", report=report)
    assert len(found) >= 10
    top = recommended = true_recommended = 0
    chance = 0.0
    for f in found:
        d = f.diagnosis
        differs = truly_differs(truth[d.branch_id], truth[d.partner_branch_id])
        practices = [r.practice.value for r in d.recommendations]
        chance += len(differs) / len(PRACTICES)
        top += bool(practices) and practices[0] in differs
        recommended += len(practices)
        true_recommended += sum(p in differs for p in practices)
    with capsys.disabled():
        print(
            f"\n{len(found)} pairs: top recommendation truly differs in {top}; "
            f"{true_recommended} of {recommended} recommendations truly differ; "
            f"a random practice would in {chance / len(found):.0%}"
        )
    assert top >= 0.8 * len(found)
    assert true_recommended >= 0.7 * recommended
