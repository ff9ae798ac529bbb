"""``smartcounter simulate`` on the estimated behaviour: the next weeks' range and provenance."""

from __future__ import annotations

import json

import pytest

from tests.conftest import RunCli

ROW_KEYS = [
    "metric", "group", "store", "baseline", "baseline_low", "baseline_high", "scenario",
    "scenario_low", "scenario_high", "difference", "difference_low", "difference_high",
]  # fmt: skip


@pytest.fixture(autouse=True)
def quick_calibration(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fewer calibration rounds: these tests are about the command, not the fit."""
    monkeypatch.setenv("SMARTCOUNTER_SIMULATION__CALIBRATION_ROUNDS", "2")
    monkeypatch.setenv("SMARTCOUNTER_SIMULATION__CALIBRATION_VISITS", "500")


def _simulate(run_cli: RunCli, store_path: object, *extra: str) -> list[dict[str, object]]:
    result = run_cli(
        "--store", store_path, "simulate", "--branch", "DY-XSK", "--weeks", "4",
        "--week", "2018-W10", "--triage-rounds", "3", "--replications", "4", "--seed", "2",
        *extra,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    rows: list[dict[str, object]] = json.loads(result.stdout)
    return rows


def test_json_has_the_next_weeks_range_in_the_contract_shape(
    run_cli: RunCli, store_path: object
) -> None:
    rows = _simulate(run_cli, store_path, "--format", "json")
    assert all(list(r) == ROW_KEYS for r in rows)
    ahead = next(r for r in rows if r["metric"] == "migration_rate_next_weeks")
    mc = next(r for r in rows if r["metric"] == "migration_rate")
    for side in ("baseline", "scenario"):
        low, value, high = (float(ahead[f"{side}{s}"]) for s in ("_low", "", "_high"))  # type: ignore[arg-type]
        assert low < value < high
    assert ahead["baseline"] == pytest.approx(mc["store"])
    assert ahead["difference"] == pytest.approx(mc["difference"])
    # As is continues the store's level; the what-if moves it by the simulated effect.
    assert ahead["scenario"] == pytest.approx(float(mc["store"]) + float(mc["difference"]))  # type: ignore[arg-type]


def test_json_says_which_behaviour_was_estimated_and_which_assumed(
    run_cli: RunCli, store_path: object
) -> None:
    rows = _simulate(run_cli, store_path, "--format", "json")
    estimated = {str(r["group"]) for r in rows if r["metric"] == "behaviour_estimated"}
    assumed = {str(r["group"]) for r in rows if r["metric"] == "behaviour_assumed"}
    assert "acceptance/stage=1/age_band=60+/customer_tier=mass" in estimated
    assert "walk_s" in assumed and "patience_shape" in assumed
    assert not estimated & assumed
    for r in rows:
        if r["metric"] == "behaviour_estimated" and str(r["group"]).startswith("acceptance/"):
            assert float(r["baseline_low"]) <= float(r["store"]) <= float(r["baseline_high"])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("zh", ("未来 4 周（校准周之后）迁移率的预期范围", "估计值", "假定值")),
        ("en", ("next 4 weeks", "estimated", "Assumed")),
    ],
)
def test_the_table_says_it_in_words(
    run_cli: RunCli, store_path: object, lang: str, words: tuple[str, ...]
) -> None:
    result = run_cli(
        "--lang", lang, "--store", store_path, "simulate", "--branch", "DY-XSK", "--weeks", "4",
        "--week", "2018-W10", "--triage-rounds", "3", "--replications", "4", "--seed", "2",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    for word in words:
        assert word in result.stdout
    assert "behaviour_estimated" not in result.stdout
