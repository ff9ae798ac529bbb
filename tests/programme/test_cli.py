"""The programme commands: formats, columns with the ids, languages, exit statuses."""

from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from smartcounter.cli.app import app
from tests.programme.network import pairing_network

WEEKS = tuple(f"2018-W{n:02d}" for n in range(3, 11))


@pytest.fixture(scope="module")
def root(build_once) -> str:
    return str(build_once(pairing_network(weeks=WEEKS)).root)


def run(*args: str):
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


class TestBenchmarks:
    def test_csv_one_row_per_branch_with_ids(self, root):
        result = run("--store", root, "benchmarks", "--week", "2018-W10", "--format", "csv")
        assert result.exit_code == 0, result.output
        rows = list(csv.DictReader(io.StringIO(result.stdout)))
        assert {r["branch_id"] for r in rows} == {"A1", "A2"}
        assert {"rank", "rate", "shrunk_low", "shrunk_high", "peer_mean", "differences"} <= set(
            rows[0]
        )
        assert 0 < float(rows[0]["shrunk_low"]) < float(rows[0]["rate"]) <= 1

    def test_table_in_english(self, root):
        result = run("--store", root, "--lang", "en", "benchmarks", "--week", "2018-W10")
        assert result.exit_code == 0 and "Benchmark branches: 2018-W03 to 2018-W10" in result.stdout


class TestDiagnose:
    def test_json_one_row_per_pair(self, root):
        body = json.loads(
            run("--store", root, "diagnose", "--week", "2018-W10", "--format", "json").stdout
        )
        assert {(r["branch_id"], r["partner_branch_id"]) for r in body} == {
            ("L1", "A2"),
            ("L2", "A1"),
        }
        for r in body:
            assert r["pair_id"] is None  # proposed, not saved
            assert abs(r["gap_pp"] - r["mix_pp"] - r["performance_pp"]) < 1e-9
            assert r["practice_1"] and r["recommendation_1"]
            assert "recommendations" not in r  # the table's combined column stays in the table

    def test_breakdown_rows_add_up_to_the_gap(self, root):
        body = json.loads(
            run(
                "--store",
                root,
                "diagnose",
                "--week",
                "2018-W10",
                "--branch",
                "L1",
                "--breakdown",
                "reason",
                "--format",
                "json",
            ).stdout
        )
        assert {r["partner_branch_id"] for r in body} == {"A2"}
        assert abs(sum(r["points"] for r in body) - 35.0) < 1e-9

    def test_a_given_pair(self, root):
        result = run(
            "--store",
            root,
            "--lang",
            "en",
            "diagnose",
            "--week",
            "2018-W10",
            "--branch",
            "L1",
            "--partner",
            "A1",
        )
        assert result.exit_code == 0 and "Gap diagnosis: 2018-W10" in result.stdout


class TestUsage:
    @pytest.mark.parametrize(
        "args",
        [
            ("benchmarks",),
            ("benchmarks", "--week", "2018-W99"),
            ("pairs",),
            ("diagnose", "--week", "2018-W10", "--partner", "A1"),
            ("diagnose", "--week", "2018-W10", "--branch", "NOPE", "--partner", "A1"),
            ("progress",),
            ("pairs", "end", "L1"),
        ],
    )
    def test_exit_status_2(self, root, args):
        assert run("--store", root, *args).exit_code == 2

    def test_no_store(self, tmp_path):
        assert (
            run("--store", str(tmp_path / "none"), "benchmarks", "--week", "2018-W10").exit_code
            == 2
        )

    def test_progress_without_pairs_is_empty_not_an_error(self, root):
        result = run("--store", root, "progress", "--week", "2018-W10", "--format", "csv")
        assert result.exit_code == 0
        assert result.stdout.splitlines()[0].startswith(
            "pair_id,branch_id,partner_branch_id,start_week,week"
        )
