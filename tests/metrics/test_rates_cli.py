"""``smartcounter rates`` exactly as cli.md says: keys, filters, columns, formats, exit codes."""

from __future__ import annotations

import csv
import gc
import io
import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from smartcounter.cli.app import app
from tests.metrics.conftest import BRANCHES, txns


@pytest.fixture
def store(build_store):
    return build_store(
        {
            "branches.csv": BRANCHES,
            "transactions.csv": txns(
                "T1,B2,2018-03-05 09:00:00,card_open,stm,S1,,,,",
                "T2,B1,2018-03-05 10:00:00,card_open,teller,S2,,,elderly_unable,",
                "T3,B1,2018-03-12 10:00:00,card_open,stm,S1,,,,",
                "T4,B3,2018-03-06 10:00:00,cash_deposit,teller,S2,,,,",
            ),
        }
    )


def run(*args: str):
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


class TestRatesCommand:
    def test_csv_columns_order_and_empty_undefined(self, store):
        result = run("--store", str(store.root), "rates", "--by", "branch,week", "--format", "csv")
        assert result.exit_code == 0
        rows = list(csv.reader(io.StringIO(result.stdout)))
        assert rows[0] == [
            "branch_id",
            "week",
            "migratable",
            "migrated",
            "rate",
            "ci_low",
            "ci_high",
        ]
        assert [r[:4] for r in rows[1:]] == [
            ["B1", "2018-W10", "1", "0"],
            ["B1", "2018-W11", "1", "1"],
            ["B2", "2018-W10", "1", "1"],
            ["B3", "2018-W10", "0", "0"],
        ]
        assert rows[1][4] == "0.0"
        assert rows[4][4:] == ["", "", ""]

    def test_json_fractions_and_null(self, store):
        result = run(
            "--store",
            str(store.root),
            "rates",
            "--by",
            "branch",
            "--week",
            "2018-W10",
            "--format",
            "json",
        )
        assert result.exit_code == 0
        body = json.loads(result.stdout)
        assert [b["branch_id"] for b in body] == ["B1", "B2", "B3"]
        assert body[1]["rate"] == 1.0 and body[2]["rate"] is None and body[2]["ci_low"] is None
        assert set(body[0]) == {"branch_id", "migratable", "migrated", "rate", "ci_low", "ci_high"}

    def test_date_range_filters_before_grouping(self, store):
        result = run(
            "--store",
            str(store.root),
            "rates",
            "--by",
            "day,business",
            "--from",
            "2018-03-05",
            "--to",
            "2018-03-05",
            "--format",
            "csv",
        )
        rows = list(csv.reader(io.StringIO(result.stdout)))
        assert rows[0][:2] == ["day", "business_code"]
        assert rows[1][:4] == ["2018-03-05", "card_open", "2", "1"]
        assert len(rows) == 2

    def test_no_match_prints_the_header_only_and_succeeds(self, store):
        result = run(
            "--store",
            str(store.root),
            "rates",
            "--by",
            "staff",
            "--week",
            "2017-W01",
            "--format",
            "csv",
        )
        assert result.exit_code == 0
        assert result.stdout.strip() == "staff_id,migratable,migrated,rate,ci_low,ci_high"
        result = run(
            "--store",
            str(store.root),
            "rates",
            "--by",
            "staff",
            "--week",
            "2017-W01",
            "--format",
            "json",
        )
        assert json.loads(result.stdout) == []

    def test_store_from_the_environment(self, store):
        result = CliRunner().invoke(
            app,
            ["rates", "--by", "month", "--format", "csv"],
            env={"SMARTCOUNTER_STORE": str(store.root)},
        )
        assert result.exit_code == 0 and "2018-03,3,2" in result.stdout

    @pytest.mark.parametrize(
        "args",
        [
            ["rates", "--by", "nonsense"],
            ["rates", "--by", "branch", "--week", "2018-W10", "--from", "2018-03-05"],
            ["rates", "--by", "branch", "--week", "2018-10"],
            ["rates", "--by", "branch", "--from", "yesterday"],
            ["rates"],
        ],
    )
    def test_usage_errors_exit_2(self, store, args):
        result = run("--store", str(store.root), *args)
        assert result.exit_code == 2

    @pytest.mark.parametrize(
        ("args", "zh", "en"),
        [
            (["--week", "2018-10"], "不是 ISO 周", "is not an ISO week"),
            (["--week", "2018-W53"], "2018 年没有第 53 周", "2018 has no ISO week 53"),
            (["--from", "2018-02-30"], "--from：“2018-02-30”不是日期", "is not a date"),
            (["--from", "2018-03-05", "--to", "2018-03-04"], "早于 --from", "is before --from"),
            (["--week", "2018-W10", "--to", "2018-03-04"], "不能与", "cannot be combined"),
        ],
    )
    def test_period_errors_say_what_to_write_in_the_users_language(self, store, args, zh, en):
        for lang, words in (("zh", zh), ("en", en)):
            result = run("--lang", lang, "--store", str(store.root), "rates", "--by", "week", *args)
            assert result.exit_code == 2
            assert words in result.stderr and "Traceback" not in result.stderr

    def test_no_store_exits_2(self, tmp_path):
        result = run("--store", str(tmp_path / "none"), "rates", "--by", "branch")
        assert result.exit_code == 2
        assert not (tmp_path / "none").exists()


class TestTablesNameCodes:
    def test_table_names_reasons_and_groups_while_csv_keeps_codes(self, store):
        args = ["--store", str(store.root), "unmigrated", "--dimension", "reason"]
        table = run(*args)
        assert table.exit_code == 0 and "年长不会操作" in table.stdout
        assert "elderly_unable" not in table.stdout
        english = run("--lang", "en", *args)
        assert "elderly_unable" not in english.stdout and "lderly" in english.stdout
        assert "elderly_unable" in run(*args, "--format", "csv").stdout
        groups = run("--store", str(store.root), "rates", "--by", "branch_type")
        codes = run("--store", str(store.root), "rates", "--by", "branch_type", "--format", "json")
        types = {r["branch_type"] for r in json.loads(codes.stdout)}
        assert types and not any(t in groups.stdout for t in types)


@pytest.mark.spark
class TestSparkMaster:
    def test_the_spark_master_option_runs_the_same_figures_on_spark(self, store):
        base = ("--store", str(store.root), "rates", "--by", "branch,week", "--format", "json")
        duck = json.loads(run(*base).stdout)
        result = run(*base, "--engine", "spark", "--spark-master", "local[1]")
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout) == duck

    def test_a_short_command_on_spark_collects_garbage_again(self, store):
        """The short figure commands run without the cyclic collector (cli/lean.py), but
        Spark's objects refer to each other in cycles: opening Spark turns it back on."""
        base = ("--store", str(store.root), "rates", "--by", "week", "--format", "csv")
        gc.disable()
        try:
            assert run(*base).exit_code == 0
            assert not gc.isenabled()  # DuckDB: lean to the end
            assert run(*base, "--spark-master", "local[1]").exit_code == 0
            assert gc.isenabled()
        finally:
            gc.enable()
            gc.unfreeze()

    def test_spark_that_does_not_start_is_said_in_words_with_status_2(self, store):
        """A master URL Spark does not take (Spark itself judges it: an allow-list of ours
        would refuse the URLs of cluster managers it knows and we do not) ends the command
        with the project's message naming the master, not a traceback. In a process of its
        own: a JVM started by an earlier test would be reused."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTCOUNTER_")}
        args = ("--store", str(store.root), "rates", "--by", "week", "--spark-master", "notaurl")
        result = subprocess.run(
            [sys.executable, "-m", "smartcounter", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 2, result.stderr
        assert "无法启动或连接 Spark（master notaurl）" in result.stderr
        assert "Traceback" not in result.stderr
