"""Calibration from a generated store: what is read, what is fitted, and the rates reproduced."""

from __future__ import annotations

import numpy as np
import pytest

from smartcounter.simulation import CalibrationError, simulate
from smartcounter.simulation.calibrate import calibrate
from tests.simulation.conftest import SOURCE, WEEKS


class TestWhatIsRead:
    def test_staff_and_devices_come_from_the_staff_and_branches_tables(self, source_models) -> None:
        lyg = source_models["LYG-DHCZ"].staffing
        assert (lyg.greeters, lyg.lobby_managers, lyg.specialists) == (1, 1, 1)
        assert (lyg.tellers, lyg.teller_windows, lyg.smart_counters) == (5, 4, 2)
        czl = source_models["CZ-LJL"].staffing
        assert (czl.specialists, czl.lobby_managers, czl.tellers, czl.wealth_managers) == (
            0,
            0,
            2,
            1,
        )
        assert czl.smart_counters == 1

    def test_arrivals_follow_the_store_by_weekday_and_hour(self, source_models) -> None:
        czl = source_models["CZ-LJL"]
        assert czl.arrivals.rates[6].sum() == 0  # closed on Sundays
        assert czl.arrivals.opening_hour == 9 and czl.arrivals.hours == 8
        open_days = czl.arrivals.open_weekdays
        per_day = czl.arrivals.rates[list(open_days)].sum() / len(open_days)
        assert per_day == pytest.approx(czl.observed.daily_tickets, rel=0.1)

    def test_practices_visible_in_the_store(self, source_models) -> None:
        assert "fx_remittance" in source_models["CZ-LJL"].practice.not_at_stm
        split = {b: source_models[b].practice.cash_split for b in SOURCE}
        assert split == {"DY-XSK": True, "NT-KFQ": False, "CZ-LJL": False, "LYG-DHCZ": True}
        rounds = {b: source_models[b].practice.triage_rounds for b in SOURCE}
        assert rounds == {"DY-XSK": 2, "NT-KFQ": 2, "CZ-LJL": 2, "LYG-DHCZ": 3}
        assert source_models["CZ-LJL"].practice.coverage[0] == 0.0

    def test_unknown_branch_or_empty_weeks_are_refused(self, network_store, settings) -> None:
        with pytest.raises(CalibrationError):
            calibrate(network_store, settings, "NOPE", WEEKS)
        with pytest.raises(CalibrationError):
            calibrate(network_store, settings, "CZ-LJL", ["2017-W10"])


class TestWhatIsFitted:
    @pytest.mark.parametrize("branch", SOURCE)
    def test_simulated_funnel_matches_the_stores(self, source_models, branch: str) -> None:
        observed = source_models[branch].observed
        for name in ("T1", "A1", "T2", "A2", "T3", "A3"):
            if name in observed.moments and observed.moments[name] > 0:
                assert observed.fitted[name] == pytest.approx(observed.moments[name], abs=0.08), (
                    name
                )


class TestSourceBranches:
    @pytest.mark.parametrize("branch", SOURCE)
    def test_simulated_as_staffed_the_rate_is_the_stores_within_3pp(
        self, source_models, branch: str
    ) -> None:
        model = source_models[branch]
        result = simulate(model, None, 16, np.random.default_rng(2018))
        rate = result.summary().filter(metric="migration_rate").row(0, named=True)
        assert model.observed.rate is not None
        assert rate["mean"] == pytest.approx(model.observed.rate, abs=0.03)
        assert rate["low"] < rate["mean"] < rate["high"]
