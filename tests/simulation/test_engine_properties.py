"""Whatever the staffing and practice, a simulated day ends with every piece of business done once."""

from __future__ import annotations

import numpy as np
import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smartcounter.simulation import Scenario, simulate

SCENARIOS = st.builds(
    Scenario,
    greeters=st.none() | st.integers(0, 2),
    lobby_managers=st.none() | st.integers(0, 2),
    specialists=st.none() | st.integers(0, 2),
    tellers=st.none() | st.integers(1, 4),
    smart_counters=st.none() | st.integers(0, 3),
    triage_rounds=st.none() | st.integers(0, 3),
    cash_split=st.none() | st.booleans(),
    backup_teller=st.none() | st.booleans(),
)
FEW = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


class TestEveryDayCloses:
    @FEW
    @given(scenario=SCENARIOS, branch=st.sampled_from(["CZ-LJL", "LYG-DHCZ"]))
    def test_business_is_done_once_and_figures_stay_in_bounds(
        self, source_models, scenario: Scenario, branch: str
    ) -> None:
        model = scenario.apply(source_models[branch])
        result = simulate(model, None, 1, np.random.default_rng(0), weekdays=[0])
        legs, visits = result.legs, result.visits
        assert legs["channel"].is_in(["stm", "teller"]).all()  # nothing left undone
        assert legs.filter(pl.col("channel") == "stm")["migratable"].all()
        # A reason is given exactly for migratable business left to a teller.
        left = legs.filter(pl.col("migratable") & (pl.col("channel") == "teller"))
        assert left["reason"].null_count() == 0
        assert (
            legs.filter(~pl.col("migratable"))["reason"].null_count()
            == legs.filter(~pl.col("migratable")).height
        )
        assert ((visits["d"] <= visits["m"]) & (visits["finished_s"] >= visits["arrival_s"])).all()
        assert (result.waits["wait_s"] >= 0).all()
        busy = result.servers
        assert (busy["busy_s"] <= busy["open_s"] + 1e-6).all()
        if model.staffing.smart_counters == 0:
            assert visits["d"].sum() == 0
