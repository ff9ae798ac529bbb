"""The channel follows from how a branch works: twins that differ in one practice."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from datetime import date

import numpy as np
import pytest

from smartcounter.canonical.catalogue import REASON_CODES, load_catalogue
from smartcounter.synthetic import NetworkSpec, build_network, simulate_network
from smartcounter.synthetic.network import Network
from smartcounter.synthetic.simulate import STM

MIGRATABLE = np.array([load_catalogue()[c].migratable for c in load_catalogue()])


def _twins(first: Mapping[str, object] | None = None, **changes: object) -> Network:
    """Two branches alike in every practice (a county branch like 连云港东海城中, busier),
    the first changed by ``first``, the second by ``changes``."""
    network = build_network(NetworkSpec(branches=4, weeks=4, start=date(2018, 3, 5), seed=7))
    p = network.practices
    for f in fields(p):
        values = getattr(p, f.name)
        if f.name != "staff_start" and values.shape[0] == 4:
            values[1] = values[3]  # branch 1 becomes a copy of LYG-DHCZ
            values[0] = values[3]
    p.daily_tickets[:2] = 150.0
    for name, value in (first or {}).items():
        getattr(p, name)[0] = value
    for name, value in changes.items():
        getattr(p, name)[1] = value
    # Staff rows follow role counts; keep both twins' counts equal so staff ids stay valid.
    p.role_counts[:2] = p.role_counts[3]
    p.staff_start[:] = np.concatenate([[0], np.cumsum(p.role_counts.sum(axis=1))[:-1]])
    return network


def _outcome(network: Network) -> tuple[np.ndarray, np.ndarray]:
    """(rate, reason counts of migratable business at a teller) per branch over the run."""
    n = network.size
    mig = np.zeros(n)
    stm = np.zeros(n)
    reasons = np.zeros((n, len(REASON_CODES)))
    for _, _, rows in simulate_network(network):
        t = rows.transactions.columns
        m = MIGRATABLE[t["code"]]
        mig += np.bincount(t["branch"], weights=m, minlength=n)
        stm += np.bincount(t["branch"], weights=m & (t["channel"] == STM), minlength=n)
        left = m & (t["channel"] != STM)
        np.add.at(reasons, (t["branch"][left], t["reason"][left]), 1)
    return stm / mig, reasons


def _reason(name: str) -> int:
    return REASON_CODES.index(name)


class TestTriageRounds:
    def test_three_rounds_beat_one(self) -> None:
        rate, reasons = _outcome(_twins(stage1_coverage=0.0, stage3_coverage=0.0))
        assert rate[0] - rate[1] > 0.02
        assert reasons[1, _reason("no_guidance")] > reasons[0, _reason("no_guidance")]

    def test_no_triage_leaves_customers_unguided(self) -> None:
        rate, reasons = _outcome(
            _twins(stage1_coverage=0.0, stage2_coverage=0.0, stage3_coverage=0.0, follow_up=False)
        )
        assert rate[0] - rate[1] > 0.05
        assert reasons[1].argmax() == _reason("no_guidance")


class TestCustomers:
    def test_more_elderly_customers_lower_rate(self) -> None:
        younger = {"elderly_share": 0.10, "young_share": 0.30}
        rate, reasons = _outcome(_twins(younger, elderly_share=0.60, young_share=0.05))
        assert rate[0] - rate[1] > 0.02
        assert reasons[1, _reason("elderly_unable")] > reasons[0, _reason("elderly_unable")]


class TestPractices:
    def test_cash_split_keeps_cash_visits_migrating(self) -> None:
        rate, reasons = _outcome(_twins(cash_split=False))
        assert rate[0] > rate[1]
        assert reasons[1, _reason("with_cash")] > 3 * max(reasons[0, _reason("with_cash")], 1)

    def test_one_device_for_many_customers_is_busy(self) -> None:
        rate, reasons = _outcome(_twins(smart_counters=1))
        assert rate[0] > rate[1]
        assert reasons[1, _reason("device_busy")] > reasons[0, _reason("device_busy")] + 20

    @pytest.mark.parametrize("quality", [0.3])
    def test_poor_guidance_lowers_the_rate(self, quality: float) -> None:
        rate, _ = _outcome(_twins(guidance_quality=quality))
        assert rate[0] - rate[1] > 0.01
