"""``simulate allocate``: the greedy against brute force on the generated network, and the
command's output.

The brute force enumerates every allocation of 2 smart counters and 1 specialist over the
four source branches, each allocation scored on the same simulated states (the same random
streams) that the greedy reads, so the two are compared on one objective.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from smartcounter.simulation import BranchModel
from smartcounter.simulation.allocate import Added, StateOutcomes, greedy, network_rate
from smartcounter.simulation.allocate_pool import SerialRunner
from smartcounter.simulation.allocate_view import BRANCH_KEYS, NETWORK_KEYS, STEP_KEYS, TOP_KEYS
from tests.conftest import RunCli

BUDGET = Added(devices=2, specialists=1)


def allocations(branches: list[str], budget: Added) -> Iterator[dict[str, Added]]:
    """Every way to split ``budget`` over ``branches``."""
    n = len(branches)
    for devices in itertools.product(range(budget.devices + 1), repeat=n):
        if sum(devices) != budget.devices:
            continue
        for specialists in itertools.product(range(budget.specialists + 1), repeat=n):
            if sum(specialists) == budget.specialists:
                yield {
                    b: Added(d, s) for b, d, s in zip(branches, devices, specialists, strict=True)
                }


@pytest.fixture(scope="module")
def outcomes(source_models: dict[str, BranchModel]) -> StateOutcomes:
    return StateOutcomes(source_models, SerialRunner(), replications=4, seed=11)


class TestGreedy:
    def test_equals_brute_force_on_the_same_streams(self, outcomes: StateOutcomes) -> None:
        allocation = greedy(outcomes, BUDGET)
        simulated_by_greedy = outcomes.simulated
        branches = sorted(outcomes.models)

        def migrated(states: dict[str, Added]) -> float:
            return sum(outcomes.get(b, a).mean_migrated for b, a in states.items())

        best = max(allocations(branches, BUDGET), key=migrated)
        chosen = {r.branch_id: r.added for r in allocation.branches}
        # The greedy can only miss the best allocation where a branch's second unit gains
        # more than its first, or a device and a specialist help each other; the tolerance
        # is zero because on these streams neither happens enough to matter.
        assert migrated(chosen) == pytest.approx(migrated(best), abs=1e-9)
        assert allocation.migrated_after == pytest.approx(migrated(best), abs=1e-9)
        assert sum(a.devices for a in chosen.values()) == BUDGET.devices
        assert sum(a.specialists for a in chosen.values()) == BUDGET.specialists
        # First pass: three states per branch; then at most two per step (the changed branch).
        assert simulated_by_greedy <= 3 * len(branches) + 2 * len(allocation.steps)

    def test_steps_add_up_to_the_branches_gains_and_the_network_rate(
        self, outcomes: StateOutcomes
    ) -> None:
        allocation = greedy(outcomes, BUDGET)
        for result in allocation.branches:
            steps = [s.gain.mean for s in allocation.steps if s.branch_id == result.branch_id]
            assert sum(steps) == pytest.approx(result.gain.mean)
        final = {r.branch_id: r.added for r in allocation.branches}
        assert allocation.steps[-1].network_rate_after == pytest.approx(
            network_rate(outcomes, final)
        )
        gained = allocation.migrated_after - allocation.migrated_before
        assert gained == pytest.approx(sum(s.gain.mean for s in allocation.steps))


@pytest.fixture(autouse=True)
def quick_calibration(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fewer calibration rounds: the command is tested here, not the fit."""
    monkeypatch.setenv("SMARTCOUNTER_SIMULATION__CALIBRATION_ROUNDS", "2")
    monkeypatch.setenv("SMARTCOUNTER_SIMULATION__CALIBRATION_VISITS", "500")


class TestAllocateCommand:
    def test_json_keys_are_stable_and_the_page_is_self_contained(
        self, run_cli: RunCli, store_path: Path, tmp_path: Path
    ) -> None:
        page = tmp_path / "allocate.html"
        result = run_cli(
            "--store", store_path, "simulate", "allocate", "--devices", "1", "--specialists",
            "1", "--region", "南京", "--week", "2018-W10", "--replications", "2", "--workers",
            "1", "--format", "json", "--out", page,
        )  # fmt: skip
        assert result.exit_code == 0, result.stderr
        body = json.loads(result.stdout)
        assert tuple(body) == TOP_KEYS
        assert tuple(body["network"]) == NETWORK_KEYS
        assert [tuple(s) for s in body["steps"]] == [STEP_KEYS, STEP_KEYS]
        assert {tuple(b) for b in body["branches"]} == {BRANCH_KEYS}
        assert {b["branch_id"] for b in body["branches"]} == {"NJ0001", "NJ0002"}
        assert {s["resource"] for s in body["steps"]} == {"device", "specialist"}
        assert "2/2" in result.stderr  # branches done
        html = page.read_text("utf-8")
        assert "<svg" in html and "各网点每周新增迁移笔数" in html
        assert "<script" not in html and "src=" not in html and "<link" not in html

    def test_usage_errors_say_what_to_do(self, run_cli: RunCli, store_path: Path) -> None:
        nothing = run_cli("--store", store_path, "simulate", "allocate")
        assert nothing.exit_code == 2 and "--devices" in nothing.stderr
        both = run_cli(
            "--lang", "en", "--store", store_path, "simulate", "allocate", "--devices", "1",
            "--branch-type", "urban", "--region", "南京",
        )  # fmt: skip
        assert both.exit_code == 2 and "not both" in both.stderr
        none = run_cli(
            "--store", store_path, "simulate", "allocate", "--devices", "1", "--region", "北京"
        )
        assert none.exit_code == 2 and "--region 北京" in none.stderr
