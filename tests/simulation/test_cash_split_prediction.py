"""The what-if's prediction checked against what happened, through the command line only.

The network is the generator's default (120 branches, 13 weeks from 2018-01-01, its own
seed) with one dated practice change: CZ-LJL starts the cash split in 2018-W07. Calibrated on
W01–W06, ``simulate --cash-split`` predicts the next weeks' rate; ``rates`` gives what the
branch reached in W08–W13 (the change's own week left out). The prediction must be within
3 pp, inside its 80 % expected range.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import RunCli

CHANGE = "CZ-LJL@2018-W07:cash_split=true"
AFTER = tuple(f"2018-W{k:02d}" for k in range(8, 14))


def test_the_cash_split_at_cz_ljl_is_predicted_within_3_pp_inside_its_range(
    run_cli: RunCli, tmp_path: Path
) -> None:
    store = tmp_path / "store"
    made = run_cli("generate", tmp_path / "csv", "--change", CHANGE, "--store", store)
    assert made.exit_code == 0, made.stderr

    simulated = run_cli(
        "--store", store, "simulate", "--branch", "CZ-LJL", "--week", "2018-W06",
        "--weeks", "6", "--cash-split", "--format", "json",
    )  # fmt: skip
    assert simulated.exit_code == 0, simulated.stderr
    ahead = next(
        r for r in json.loads(simulated.stdout) if r["metric"] == "migration_rate_next_weeks"
    )

    rates = run_cli("--store", store, "rates", "--by", "branch,week", "--format", "json")
    assert rates.exit_code == 0, rates.stderr
    weeks = [
        r for r in json.loads(rates.stdout) if r["branch_id"] == "CZ-LJL" and r["week"] in AFTER
    ]
    assert len(weeks) == len(AFTER)
    realised = sum(r["migrated"] for r in weeks) / sum(r["migratable"] for r in weeks)

    assert ahead["scenario"] - ahead["baseline"] > 0.02  # the split moves the rate up
    assert abs(ahead["scenario"] - realised) <= 0.03, (ahead, realised)
    assert ahead["scenario_low"] <= realised <= ahead["scenario_high"], (ahead, realised)
