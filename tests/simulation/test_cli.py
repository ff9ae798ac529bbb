"""``smartcounter simulate``: the real command line on the generated store."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.conftest import RunCli


@pytest.fixture(autouse=True)
def quick_calibration(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fewer calibration rounds: these tests are about the command, not the fit."""
    monkeypatch.setenv("SMARTCOUNTER_SIMULATION__CALIBRATION_ROUNDS", "2")
    monkeypatch.setenv("SMARTCOUNTER_SIMULATION__CALIBRATION_VISITS", "500")


class TestSimulateCommand:
    def test_json_rows_hold_baseline_scenario_and_difference(
        self, run_cli: RunCli, store_path
    ) -> None:
        result = run_cli(
            "--store", store_path, "simulate", "--branch", "CZ-LJL", "--weeks", "4",
            "--week", "2018-W10", "--smart-counters", "2", "--replications", "4", "--seed", "1",
            "--format", "json",
        )  # fmt: skip
        assert result.exit_code == 0, result.stderr
        rows = json.loads(result.stdout)
        rate = next(r for r in rows if r["metric"] == "migration_rate")
        assert 0.7 < rate["baseline"] < 0.95 and 0.7 < rate["scenario"] < 0.95
        assert rate["store"] is not None
        assert rate["baseline_low"] <= rate["baseline"] <= rate["baseline_high"]
        assert rate["difference"] is not None
        groups = {(r["metric"], r["group"]) for r in rows}
        assert ("wait_mean", "authorisation") in groups
        assert ("utilisation", "smart_counter") in groups
        assert any(m == "reason_share" for m, _ in groups)

    def test_the_same_seed_prints_the_same_csv(self, run_cli: RunCli, store_path) -> None:
        args = (
            "--store", store_path, "simulate", "--branch", "CZ-LJL", "--week", "2018-W10",
            "--add-greeter", "1", "--replications", "3", "--seed", "5", "--format", "csv",
        )  # fmt: skip
        first, second = run_cli(*args), run_cli(*args)
        assert first.exit_code == 0, first.stderr
        assert first.stdout == second.stdout
        header = next(csv.reader(io.StringIO(first.stdout)))
        assert header[:4] == ["metric", "group", "store", "baseline"]

    def test_table_speaks_chinese_by_default_and_english_on_request(
        self, run_cli: RunCli, store_path
    ) -> None:
        args = ("simulate", "--branch", "CZ-LJL", "--week", "2018-W10", "--replications", "2")
        zh = run_cli("--store", store_path, *args, "--specialists", "1")
        assert zh.exit_code == 0, zh.stderr
        assert "迁移率" in zh.stdout and "常州龙锦路支行" in zh.stdout and "服务专员" in zh.stdout
        en = run_cli("--lang", "en", "--store", store_path, *args, "--day", "mon")
        assert en.exit_code == 0, en.stderr
        assert "Migration rate" in en.stdout and "No scenario given" in en.stdout

    def test_unknown_branch_and_bad_options_exit_2(self, run_cli: RunCli, store_path) -> None:
        unknown = run_cli(
            "--store", store_path, "simulate", "--branch", "NOPE", "--week", "2018-W10"
        )
        assert unknown.exit_code == 2 and "NOPE" in unknown.stderr
        bad_week = run_cli("--store", store_path, "simulate", "--branch", "CZ-LJL", "--week", "W10")
        assert bad_week.exit_code == 2
        bad_day = run_cli(
            "--store", store_path, "simulate", "--branch", "CZ-LJL", "--week", "2018-W10",
            "--day", "someday",
        )  # fmt: skip
        assert bad_day.exit_code == 2
        no_teller = run_cli(
            "--store", store_path, "simulate", "--branch", "CZ-LJL", "--week", "2018-W10",
            "--tellers", "0",
        )  # fmt: skip
        assert no_teller.exit_code == 2

    def test_greeters_as_a_number_is_the_same_what_if_as_the_change_to_it(
        self, run_cli: RunCli, store_path
    ) -> None:
        from smartcounter.store.layout import Store
        from smartcounter.store.reading import read_table

        staff = read_table(Store.open(store_path), "staff")
        have = staff.filter((staff["branch_id"] == "CZ-LJL") & (staff["role"] == "greeter")).height
        base = (
            "--store", store_path, "simulate", "--branch", "CZ-LJL", "--week", "2018-W10",
            "--replications", "2", "--seed", "3", "--format", "csv",
        )  # fmt: skip
        number = run_cli(*base, "--greeters", str(have + 1))
        change = run_cli(*base, "--add-greeter", "1")
        assert number.exit_code == 0, number.stderr
        assert number.stdout == change.stdout
        both = run_cli(*base, "--greeters", "2", "--add-greeter", "1")
        assert both.exit_code == 2 and "--greeters" in both.stderr
        # A what-if that is the branch as it is says so (its difference is only noise).
        devices = read_table(Store.open(store_path), "branches")
        own = devices.filter(devices["branch_id"] == "CZ-LJL")["smart_counters"][0]
        table = (*base[:-2], "--smart-counters", str(own))
        assert "所给方案与网点现状相同" in run_cli(*table).stdout
        assert "所给方案与网点现状相同" not in run_cli(*base[:-2], "--add-greeter", "1").stdout
        # Removing more greeters than the branch has is refused, not taken as none.
        fewer = run_cli(*base, "--add-greeter", str(-(have + 1)))
        assert fewer.exit_code == 2 and f"只有 {have} 名大堂引导员" in fewer.stderr
