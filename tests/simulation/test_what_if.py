"""What-ifs move the right way, with intervals from paired replications."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from smartcounter.simulation import Scenario, ScenarioError, what_if

REPLICATIONS = 16
_RUNS: dict[tuple[str, Scenario], pl.DataFrame] = {}


def _figure(model, scenario: Scenario, metric: str, group: str = "") -> dict[str, float]:
    key = (model.branch_id, scenario)
    if key not in _RUNS:
        run = what_if(model, scenario, REPLICATIONS, np.random.default_rng(2018))
        _RUNS[key] = run.comparison
    table = _RUNS[key]
    return table.filter((pl.col("metric") == metric) & (pl.col("group") == group)).row(
        0, named=True
    )


class TestChangzhouLongjinlu:
    """常州龙锦路: six staff, one smart counter, tellers take turns authorising."""

    def test_a_second_smart_counter_gains(self, source_models) -> None:
        # Small (few customers give up on one device) and mostly from days when it breaks
        # down, which are rare: the gain is clear, its interval not always above 0.
        row = _figure(source_models["CZ-LJL"], Scenario(smart_counters=2), "migration_rate")
        assert row["difference"] > 0

    def test_a_second_smart_counter_ends_the_device_queue(self, source_models) -> None:
        row = _figure(source_models["CZ-LJL"], Scenario(smart_counters=2), "wait_mean", "stm")
        assert row["difference_high"] < 0

    def test_a_dedicated_specialist_cuts_authorisation_waits_and_loses_nothing(
        self, source_models
    ) -> None:
        model = source_models["CZ-LJL"]
        wait = _figure(model, Scenario(specialists=1), "wait_p90", "authorisation")
        assert wait["difference_high"] < 0
        rate = _figure(model, Scenario(specialists=1), "migration_rate")
        assert rate["difference"] > 0

    def test_a_greeter_at_the_ticket_machine_gains(self, source_models) -> None:
        row = _figure(source_models["CZ-LJL"], Scenario(greeters=1), "migration_rate")
        assert row["difference_low"] > 0

    def test_the_cash_split_gains(self, source_models) -> None:
        row = _figure(source_models["CZ-LJL"], Scenario(cash_split=True), "migration_rate")
        assert row["difference_low"] > 0.01

    def test_one_teller_fewer_makes_customers_wait(self, source_models) -> None:
        row = _figure(source_models["CZ-LJL"], Scenario(tellers=1), "wait_mean", "teller")
        assert row["difference_low"] > 0


class TestLosses:
    @pytest.mark.parametrize("branch", ["LYG-DHCZ", "NT-KFQ"])
    def test_removing_the_greeter_loses(self, source_models, branch: str) -> None:
        row = _figure(source_models[branch], Scenario(greeters=0), "migration_rate")
        assert row["difference"] < 0 and row["difference_high"] < 0

    def test_one_round_of_triage_instead_of_three_loses(self, source_models) -> None:
        row = _figure(source_models["LYG-DHCZ"], Scenario(triage_rounds=1), "migration_rate")
        assert row["difference_high"] < -0.01

    def test_one_smart_counter_for_213_tickets_a_day_loses_and_queues(self, source_models) -> None:
        model = source_models["NT-KFQ"]
        assert (
            _figure(model, Scenario(smart_counters=1), "migration_rate")["difference_high"] < -0.05
        )
        assert _figure(model, Scenario(smart_counters=1), "wait_mean", "stm")["difference_low"] > 60


class TestScenario:
    def test_a_new_greeter_brings_the_networks_first_triage(self, source_models) -> None:
        model = source_models["CZ-LJL"]
        changed = Scenario(greeters=1).apply(model)
        assert changed.staffing.greeters == 1
        assert changed.practice.coverage[0] == model.new_stage_coverage[0] > 0
        pairs = zip(model.practice.quality, model.practice.coverage, strict=True)
        practised = [q for q, c in pairs if c > 0]
        assert changed.practice.quality[0] == pytest.approx(sum(practised) / len(practised))
        assert changed.practice.coverage[1:] == model.practice.coverage[1:]

    def test_triage_rounds_start_and_stop_stages(self, source_models) -> None:
        model = source_models["LYG-DHCZ"]
        assert Scenario(triage_rounds=1).apply(model).practice.coverage[1:] == (0.0, 0.0)
        assert Scenario(triage_rounds=3).apply(model).practice.coverage == model.practice.coverage

    def test_a_teller_added_opens_a_window(self, source_models) -> None:
        changed = Scenario(tellers=3).apply(source_models["CZ-LJL"]).staffing
        assert (changed.tellers, changed.teller_windows) == (3, 3)

    @pytest.mark.parametrize(
        "scenario", [Scenario(tellers=0), Scenario(greeters=-1), Scenario(triage_rounds=4)]
    )
    def test_impossible_scenarios_are_refused(self, source_models, scenario: Scenario) -> None:
        with pytest.raises(ScenarioError):
            scenario.apply(source_models["CZ-LJL"])
