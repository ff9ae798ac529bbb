"""Sensitivity (``simulate sensitivity``): each assumed figure moved ±20 % on the generated store.

CZ-LJL calibrated on the session's generated store (``conftest.py``), the cash split as
the what-if: the figure that decides how many cash customers split on their own is a
shipped prior the effect depends on, so moving it moves the difference; the table is
sorted by swing, and the JSON keys stay as they are.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from smartcounter.cli.app import app
from smartcounter.simulation import BranchModel
from smartcounter.simulation.behaviour import Behaviour
from smartcounter.simulation.model import Timing
from smartcounter.simulation.scenario import Scenario
from smartcounter.simulation.sensitivity import (
    DESCRIBED,
    PRIORS,
    RESULT_COLUMNS,
    Swing,
    assumed_parameters,
    sensitivity,
)

REPLICATIONS = 6
SEED = 3


@pytest.fixture(scope="module")
def swings(source_models: dict[str, BranchModel]) -> list[Swing]:
    return sensitivity(
        source_models["CZ-LJL"],
        Scenario(cash_split=True),
        estimates=None,
        step=0.2,
        replications=REPLICATIONS,
        seed=SEED,
        parameters=["self_split_without_practice", "patience_shape", "greeter_touch_s"],
    )


def test_a_parameter_that_matters_moves_the_difference(swings: list[Swing]) -> None:
    by_name = {s.parameter: s for s in swings}
    split = by_name["self_split_without_practice"]
    # More customers who split a cash visit on their own: less left for the practice to win.
    assert split.rate[0] >= split.rate[1] >= split.rate[2]
    assert split.rate[0] > split.rate[2]
    # Patience with a steeper shape: fewer give up early at the smart counter.
    shape = by_name["patience_shape"]
    assert shape.rate[0] < shape.rate[1] < shape.rate[2]
    # CZ-LJL has no greeter: how long a greeter's touch takes cannot move anything.
    assert by_name["greeter_touch_s"].swing == 0.0


def test_the_table_is_sorted_by_swing(swings: list[Swing]) -> None:
    values = [s.swing for s in swings]
    assert values == sorted(values, reverse=True)
    assert values[0] > 0.0
    assert swings[-1].parameter == "greeter_touch_s"


def test_moving_nothing_gives_the_base_on_common_random_numbers(
    source_models: dict[str, BranchModel],
) -> None:
    model = source_models["CZ-LJL"]
    _, perturb = DESCRIBED["walk_s"]
    same = perturb(model, 1.0)
    assert same.timing == model.timing
    (out,) = sensitivity(
        model,
        Scenario(cash_split=True),
        estimates=None,
        step=0.0,
        replications=2,
        seed=SEED,
        parameters=["walk_s"],
    )
    assert out.rate[0] == out.rate[1] == out.rate[2]


def test_a_behaviour_prior_reaches_the_models_timing(
    source_models: dict[str, BranchModel],
) -> None:
    model = source_models["CZ-LJL"]
    table = assumed_parameters(None)
    assert set(PRIORS) <= set(table) and set(DESCRIBED) <= set(table)
    value, perturb = table["hall_touch_s"]
    slower = perturb(model, 1.2)
    assert value(slower) == pytest.approx(value(model) * 1.2)
    assert isinstance(slower.timing, Timing)
    assert slower.timing.hall_touch_s["stm_specialist"] == pytest.approx(value(model) * 1.2)


def test_recalibrating_checks_the_largest_behaviour_swings_at_both_ends(
    source_models: dict[str, BranchModel],
) -> None:
    """The largest swings of behaviour figures go through ``recalibrate`` (the lobby's
    timing and patience never do); a calibration that keeps the moved behaviour and the
    practice as they were gives back the first pass's differences, on the same numbers."""
    model = source_models["CZ-LJL"]
    asked: list[Behaviour] = []

    def as_moved(behaviour: Behaviour) -> BranchModel:
        asked.append(behaviour)
        return replace(
            model,
            behaviour=behaviour,
            timing=Timing.of(
                behaviour,
                walk_s=model.timing.walk_s,
                repromotion_s=model.timing.repromotion_s,
                authorisation_s=model.timing.authorisation_s,
                slow_factor=model.timing.slow_factor,
            ),
        )

    out = sensitivity(
        model,
        Scenario(cash_split=True),
        estimates=None,
        step=0.2,
        replications=REPLICATIONS,
        seed=SEED,
        parameters=["self_split_without_practice", "patience_shape", "greeter_touch_s"],
        recalibrate=as_moved,
        recalibrate_top=2,
    )
    by_name = {s.parameter: s for s in out}
    split = by_name["self_split_without_practice"]
    assert split.recalibrated == pytest.approx((split.rate[0], split.rate[2]))
    assert split.swing_recalibrated == pytest.approx(split.swing)
    assert split.refitted is False  # the practice came back as it was: said so
    assert by_name["patience_shape"].recalibrated is None  # patience: not calibration's
    assert by_name["greeter_touch_s"].recalibrated is not None  # the second behaviour figure
    assert len(asked) == 4
    base = model.behaviour.self_split_without_practice
    assert asked[0].self_split_without_practice == pytest.approx(base * 0.8)
    assert asked[1].self_split_without_practice == pytest.approx(base * 1.2)


def test_json_keys_are_stable(store_path: Path) -> None:
    args = ["--store", str(store_path), "simulate", "sensitivity", "--branch", "CZ-LJL"]
    args += ["--week", "2018-W10", "--weeks", "4", "--cash-split", "--replications", "2"]
    args += ["--recalibrate", "1"]
    result = CliRunner().invoke(app, [*args, "--format", "json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert len(rows) >= len(PRIORS)
    assert all(list(r) == list(RESULT_COLUMNS) for r in rows)
    swings = [r["swing"] for r in rows]
    assert swings == sorted(swings, reverse=True)
    # One figure checked again on the branch calibrated anew: a real calibration each end.
    checked = [r for r in rows if r["swing_recalibrated"] is not None]
    assert len(checked) == 1
    assert checked[0]["practice_refitted"] in (True, False)
    assert checked[0]["difference_low_recalibrated"] is not None
    assert checked[0]["difference_high_recalibrated"] is not None


def test_without_a_what_if_it_says_what_to_add(store_path: Path) -> None:
    args = ["--lang", "en", "--store", str(store_path), "simulate", "sensitivity"]
    result = CliRunner().invoke(app, [*args, "--branch", "CZ-LJL"])
    assert result.exit_code == 2
    assert "--cash-split" in result.output
