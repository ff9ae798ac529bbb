"""One status per branch and week: decided in one place, and every output shows that one.

The contract tests run the real command line on a generated network, as a bank's script
would: ``ranking`` has the status, ``benchmarks`` lists exactly the benchmarks, every pair
is a branch needing help with a benchmark or advanced partner, ``bulletin.json`` and a
region's bulletin give each branch its network status, and a young store still judges.
"""

from __future__ import annotations

import ast
import csv
import io
import json
import re
from pathlib import Path
from typing import Any, ClassVar

import pytest
from typer.testing import CliRunner

from smartcounter.programme.standing import Criterion, Verdict
from smartcounter.programme.status import (
    HELPED_STATUS,
    PARTNER_STATUSES,
    Status,
    WeekFigures,
    decide_status,
)

SRC = Path(__file__).resolve().parents[2] / "src" / "smartcounter"
CODES = {s.value for s in Status}
WEEK = "2018-W09"


def _cli(*args: object) -> str:
    from smartcounter.cli.app import app

    result = CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def _generated(root: Path, weeks: int, seed: int) -> Path:
    store = root / "store"
    _cli(
        "generate", root / "csv", "--branches", 60, "--weeks", weeks,
        "--start", "2018-01-01", "--seed", seed, "--store", store,
    )  # fmt: skip
    return store


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _generated(tmp_path_factory.mktemp("status"), 9, 11)


def _ranking(store: Path, week: str = WEEK) -> dict[str, dict[str, Any]]:
    rows = json.loads(_cli("--store", store, "ranking", "--week", week, "--format", "json"))
    return {r["branch_id"]: r for r in rows}


def _week(rate: float | None, n: int, low: float, high: float) -> WeekFigures:
    return WeekFigures(n, rate, low, high, rate, low, high)


VERDICT = Verdict((Criterion.BELOW_TARGET,), 0.8, 0.9, 0.85)


class TestTheRules:
    """The precedence of the rules, worked by hand (target 90 %, at least 30 transactions)."""

    def test_no_business_and_too_few_come_first(self) -> None:
        kw: dict[str, Any] = {"target": 0.9, "min_migratable": 30, "advanced": None}
        assert (
            decide_status(week=_week(None, 0, 0, 0), benchmark=True, lagging=None, **kw)
            is Status.NO_DATA
        )
        few = _week(1.0, 29, 0.88, 1.0)
        assert decide_status(week=few, benchmark=True, lagging=None, **kw) is Status.TOO_FEW

    def test_at_or_above_target_this_week(self) -> None:
        kw: dict[str, Any] = {"target": 0.9, "min_migratable": 30, "lagging": None}
        w = _week(0.93, 300, 0.90, 0.95)
        assert decide_status(week=w, benchmark=True, advanced=None, **kw) is Status.BENCHMARK
        assert decide_status(week=w, benchmark=False, advanced=VERDICT, **kw) is Status.ADVANCED
        assert decide_status(week=w, benchmark=False, advanced=None, **kw) is Status.AT_TARGET

    def test_below_target_this_week(self) -> None:
        kw: dict[str, Any] = {
            "target": 0.9,
            "min_migratable": 30,
            "benchmark": True,
            "advanced": VERDICT,
        }
        sure = _week(0.80, 300, 0.75, 0.85)
        assert decide_status(week=sure, lagging=VERDICT, **kw) is Status.NEEDS_HELP
        assert decide_status(week=sure, lagging=None, **kw) is Status.BELOW_TARGET
        # The interval reaches the target: within the week's noise.
        assert (
            decide_status(week=_week(0.86, 60, 0.75, 0.93), lagging=None, **kw) is Status.UNCERTAIN
        )


class TestOneStatusEverywhere:
    def test_ranking_has_a_status_from_the_vocabulary(self, store: Path) -> None:
        text = _cli("--store", store, "ranking", "--week", WEEK, "--format", "csv")
        rows = list(csv.DictReader(io.StringIO(text)))
        assert rows and {r["status"] for r in rows} <= CODES
        json_rows = _ranking(store)
        assert {r["branch_id"]: r["status"] for r in rows} == {
            b: r["status"] for b, r in json_rows.items()
        }
        # The week's data judges something: not every branch is "too few".
        assert {r["status"] for r in rows} & {"benchmark", "advanced", "needs_help"}

    def test_last_is_the_latest_week_that_has_ended(self, store: Path) -> None:
        assert _ranking(store, "last") == _ranking(store, WEEK)  # the store's last week
        for command in ("benchmarks", "pairs"):
            named = _cli("--store", store, command, "--week", WEEK, "--format", "csv")
            assert _cli("--store", store, command, "--week", "last", "--format", "csv") == named

    def test_benchmarks_lists_exactly_the_benchmark_branches(self, store: Path) -> None:
        status = _ranking(store)
        rows = json.loads(_cli("--store", store, "benchmarks", "--week", WEEK, "--format", "json"))
        listed = {r["branch_id"] for r in rows}
        assert listed == {b for b, r in status.items() if r["status"] == "benchmark"}
        assert listed, "the generated network should have benchmarks"

    def test_every_pair_is_needing_help_with_a_benchmark_or_advanced_partner(
        self, store: Path
    ) -> None:
        status = _ranking(store)
        rows = json.loads(_cli("--store", store, "pairs", "--week", WEEK, "--format", "json"))
        assert rows
        for r in rows:
            assert status[r["branch_id"]]["status"] == HELPED_STATUS.value
            assert status[r["partner_branch_id"]]["status"] in {s.value for s in PARTNER_STATUSES}
            partner = status[r["partner_branch_id"]]
            assert partner["rate"] >= 0.9  # a partner is never below target

    def test_bulletin_json_and_a_region_give_the_network_status(
        self, store: Path, tmp_path: Path
    ) -> None:
        status = {b: r["status"] for b, r in _ranking(store).items()}
        out = tmp_path / "net"
        _cli("--store", store, "bulletin", "--week", WEEK, "--out", out)
        body = json.loads((out / "bulletin.json").read_text("utf-8"))
        assert body["week"] == WEEK
        got = {b["branch_id"]: b["status"] for b in body["branches"]}
        assert got == status
        for b in body["branches"]:
            assert {"migratable", "migrated", "rate", "ci_low", "ci_high"} <= set(b)
        region = next(b["region"] for b in body["branches"] if b["status"] == "needs_help")
        out_r = tmp_path / "region"
        _cli("--store", store, "bulletin", "--week", WEEK, "--out", out_r, "--region", region)
        part = json.loads((out_r / "bulletin.json").read_text("utf-8"))
        assert part["branches"] and {b["region"] for b in part["branches"]} == {region}
        assert all(b["status"] == status[b["branch_id"]] for b in part["branches"])

    def test_no_command_line_text_in_what_the_bank_publishes(
        self, store: Path, tmp_path: Path
    ) -> None:
        for lang in ("zh", "en"):
            out = tmp_path / lang
            _cli("--store", store, "bulletin", "--week", WEEK, "--out", out, "--lang", lang)
            html = (out / "bulletin.html").read_text("utf-8")
            assert "smartcounter " not in html and "--week" not in html and "--save" not in html


class TestAYoungStore:
    def test_two_weeks_of_data_still_give_benchmarks_and_say_on_how_many_weeks(
        self, tmp_path: Path
    ) -> None:
        store = _generated(tmp_path, 2, 5)
        week = "2018-W02"
        rows = json.loads(_cli("--store", store, "benchmarks", "--week", week, "--format", "json"))
        assert rows and all(r["weeks"] == 2 for r in rows)
        table = _cli("--store", store, "--lang", "en", "benchmarks", "--week", week)
        assert "2 of the 8 weeks" in table


class TestDecidedInOnePlace:
    """No module but the status model compares a branch's figures with the target."""

    # Colours of a peer group's bar (a group, not a branch, has no status).
    ALLOWED: ClassVar[set[str]] = {"programme/status.py", "bulletin/charts.py"}

    def test_no_other_module_compares_with_the_target_or_calls_the_rules(self) -> None:
        rules = {
            "decide_status",
            "lagging_verdict",
            "advanced_verdict",
            "steady_leader",
            "surely_below",
        }
        offenders = []
        for path in sorted(SRC.rglob("*.py")):
            rel = path.relative_to(SRC).as_posix()
            if rel in self.ALLOWED:
                continue
            for node in ast.walk(ast.parse(path.read_text("utf-8"))):
                if isinstance(node, ast.Compare):
                    text = ast.unparse(node)
                    if re.search(r"\btarget(_rate)?\b", text) and re.search(r"rate|low|high", text):
                        offenders.append(f"{rel}:{node.lineno}: {text}")
                if isinstance(node, ast.Call):
                    name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                    if name in rules:
                        offenders.append(f"{rel}:{node.lineno}: calls {name}")
        assert offenders == []


def test_a_store_holding_only_this_week_has_no_last_week(tmp_path: Path) -> None:
    from datetime import date, timedelta

    from smartcounter.cli.app import app

    monday = date.today() - timedelta(days=date.today().weekday())
    store = tmp_path / "store"
    _cli(
        "generate", tmp_path / "csv", "--branches", 4, "--weeks", 1,
        "--start", monday.isoformat(), "--seed", 3, "--store", store,
    )  # fmt: skip
    result = CliRunner().invoke(app, ["--store", str(store), "ranking", "--week", "last"])
    assert result.exit_code == 2
    assert "--week last" in result.stderr and "2018-W10" in result.stderr
    # The bulletin's default week is the same: never a week still under way.
    out = tmp_path / "bulletin"
    default = CliRunner().invoke(app, ["--store", str(store), "bulletin", "--out", str(out)])
    assert default.exit_code == 2 and "--week last" in default.stderr
    assert not out.exists()


class TestRefusedInWords:
    """A week the store holds nothing of, or a branch it does not know: status 2, said."""

    def _refused(self, store: Path, *args: str) -> str:
        from smartcounter.cli.app import app

        result = CliRunner().invoke(app, ["--store", str(store), *args])
        assert result.exit_code == 2, (args, result.output)
        return result.stderr

    def test_a_week_without_business_is_not_judged(self, store: Path) -> None:
        for command in ("ranking", "wow", "benchmarks", "pairs", "diagnose", "progress"):
            said = self._refused(store, command, "--week", "2019-W05")
            assert "没有 2019-W05 的业务数据（现有 2018-W01 至 2018-W09）" in said, command
        # Saved pairs may cover weeks to come: listing them for one is no judgement.
        assert _cli("--store", store, "pairs", "list", "--week", "2019-W05") is not None

    def test_an_unknown_branch_is_named(self, store: Path) -> None:
        for args in (
            ("scorecard", "--quarter", "2018-Q1", "--branch", "NOPE"),
            ("diagnose", "--week", WEEK, "--branch", "NOPE"),
        ):
            assert "没有网点“NOPE”" in self._refused(store, *args)

    def test_a_branch_in_no_pair_is_told_so(self, store: Path) -> None:
        from smartcounter.cli.app import app

        status = _ranking(store)
        alone = next(b for b, r in status.items() if r["status"] in ("at_target", "below_target"))
        args = ["--store", str(store), "diagnose", "--week", WEEK, "--branch", alone]
        result = CliRunner().invoke(app, [*args, "--format", "csv"])
        assert result.exit_code == 0 and len(result.stdout.splitlines()) == 1  # the header
        assert f"网点 {alone} 本周不在任何结对中" in result.stderr
