"""Staff and devices by hour in the compiled queues and the lobby model (for ``optimise``).

A constant hourly profile must give exactly the records of no profile (the generator's and
every what-if's figures do not move); fewer windows or devices in an hour must serve no
more customers at once than that hour allows, and let the ones in service finish.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from smartcounter.simulation.model import Staffing
from smartcounter.simulation.queues import Routes, simulate_queues
from smartcounter.simulation.runner import run_streams
from tests.simulation.conftest import mmc_model
from tests.simulation.lobby_reference import draw_routes


def _with_hours(routes: Routes, windows: list[int], devices: list[int]) -> Routes:
    days = routes.day_start.shape[0] - 1
    return replace(
        routes,
        hour_windows=np.tile(np.asarray(windows, dtype=np.int64), (days, 1)),
        hour_devices=np.tile(np.asarray(devices, dtype=np.int64), (days, 1)),
    )


def _in_service(start: np.ndarray, seconds: np.ndarray, at: float) -> int:
    return int(((start >= 0) & (start <= at) & (start + seconds > at)).sum())


def test_a_constant_profile_changes_nothing_in_the_queues() -> None:
    routes = draw_routes(np.random.default_rng(5), days=3, per_hour=30.0, windows=2, devices=2)
    plain = simulate_queues(routes)
    hourly = simulate_queues(_with_hours(routes, [2] * 8, [2] * 8))
    for name in ("teller_call", "stm_call", "back_call", "outcome", "finished"):
        np.testing.assert_array_equal(getattr(plain, name), getattr(hourly, name))


def test_closed_windows_serve_no_one_new_until_the_busy_ones_finish() -> None:
    # Three windows in the first hour, one after: a crowd at the change of hour.
    n = 40
    arrival = np.sort(np.random.default_rng(3).uniform(3000.0, 3700.0, n))
    service = np.full(n, 400.0)
    routes = Routes(
        day_start=np.array([0, n]),
        windows=np.array([3]),
        devices=np.array([0]),
        down_start=np.full((1, 1), -1.0),
        down_end=np.full((1, 1), -1.0),
        arrival=arrival,
        stm_first=np.zeros(n, dtype=bool),
        stm_delay=np.zeros(n),
        teller_s=service,
        stm_s=np.zeros(n),
        back_s=np.zeros(n),
        patience=np.full(n, 1e12),
    )
    q = simulate_queues(_with_hours(routes, [3, 1, 1], [0, 0, 0]))
    calls = q.teller_call
    assert (calls >= 0).all()
    # Before the hour three serve; those busy at 3600 finish; then one at a time.
    assert _in_service(calls, service, 3599.0) == 3
    last_start_before = calls[calls < 3600.0].max()
    after = np.sort(calls[calls >= 3600.0])
    assert after[0] >= last_start_before + 400.0 - 1e-9  # no new call while the others finish
    assert np.all(np.diff(after) >= 400.0 - 1e-9)  # one window: strictly one after another
    # FIFO kept: customers are called in ticket order.
    assert np.all(np.diff(calls) >= 0)


def test_devices_opened_in_a_later_hour_take_the_line_at_once() -> None:
    n = 12
    arrival = np.linspace(100.0, 200.0, n)
    routes = Routes(
        day_start=np.array([0, n]),
        windows=np.array([1]),
        devices=np.array([3]),
        down_start=np.full((1, 3), -1.0),
        down_end=np.full((1, 3), -1.0),
        arrival=arrival,
        stm_first=np.ones(n, dtype=bool),
        stm_delay=np.zeros(n),
        teller_s=np.zeros(n),
        stm_s=np.full(n, 1000.0),
        back_s=np.zeros(n),
        patience=np.full(n, 1e12),
    )
    q = simulate_queues(_with_hours(routes, [1, 1], [1, 3]))
    calls = np.sort(q.stm_call)
    assert _in_service(q.stm_call, routes.stm_s, 3000.0) == 1  # one device in the first hour
    assert np.count_nonzero(calls == 3600.0) == 2  # two more open on the hour, and take two
    assert _in_service(q.stm_call, routes.stm_s, 3700.0) == 3


@pytest.mark.parametrize("hours", [3])
def test_a_constant_profile_changes_nothing_in_a_simulated_week(hours: int) -> None:
    model = mmc_model(20.0, 360.0, 2, hours)
    streams = np.random.default_rng(9).spawn(3)
    plain = run_streams(model, streams)
    constant = run_streams(replace(model, hourly=(model.staffing,) * hours), streams)
    assert plain.visits.equals(constant.visits)
    assert plain.waits.equals(constant.waits)
    # One teller in the last hour instead of two: its waits grow, the first hour's do not.
    fewer = (model.staffing, model.staffing, replace(model.staffing, tellers=1))
    thinner = run_streams(replace(model, hourly=fewer), streams)
    first = plain.waits.filter(plain.waits["joined_s"] < 3600.0)
    assert thinner.waits.filter(thinner.waits["joined_s"] < 3600.0).equals(first)
    late = plain.waits.filter(plain.waits["joined_s"] >= 7200.0)["wait_s"].mean()
    late_thin = thinner.waits.filter(thinner.waits["joined_s"] >= 7200.0)["wait_s"].mean()
    assert isinstance(late, float) and isinstance(late_thin, float)
    assert late_thin > late + 60.0


def test_hourly_staffing_needs_one_staffing_per_hour() -> None:
    model = mmc_model(10.0, 300.0, 1, 3)
    with pytest.raises(ValueError, match="per opening hour"):
        run_streams(replace(model, hourly=(Staffing(),)), np.random.default_rng(1).spawn(1))
