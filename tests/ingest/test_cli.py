"""``smartcounter ingest`` as cli.md fixes it: output, JSON summary, rejects file, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ingest.ingest_kit import BRANCHES, STAFF, RunCli, Snapshot, WriteFolder, txn, txns

GOOD = {"branches.csv": BRANCHES, "staff.csv": STAFF, "transactions.csv": txns(txn())}
ONE_BAD = {
    "branches.csv": BRANCHES,
    "transactions.csv": txns(txn(txn_id="T1"), txn(txn_id="T2", channel="bus")),
}
FILE_KEYS = ["file", "table", "read", "imported", "updated", "skipped", "rejected", "unresolved"]


def _smartcounter(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """The installed console command, in a fresh process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTCOUNTER_")}
    command = [sys.executable, "-c", "from smartcounter.cli.app import main; main()"]
    return subprocess.run(
        [*command, *[str(a) for a in args]],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )


class TestExitStatus:
    def test_zero_three_two(
        self, run_cli: RunCli, write_folder: WriteFolder, tmp_path: Path
    ) -> None:
        store = tmp_path / "store"
        assert run_cli("--store", store, "ingest", write_folder(GOOD)).exit_code == 0
        assert run_cli("--store", store, "ingest", write_folder(GOOD)).exit_code == 0
        assert run_cli("--store", store, "ingest", write_folder(ONE_BAD)).exit_code == 3
        unusable = write_folder({"transactions.csv": "txn_id,branch_id\nT1,B001\n"})
        result = run_cli("--lang", "en", "--store", store, "ingest", unusable)
        assert result.exit_code == 2
        assert "ts" in result.stderr and "business_code" in result.stderr
        assert "unchanged" in result.stderr

    @pytest.mark.slow
    def test_zero_three_two_through_a_fresh_process(
        self, write_folder: WriteFolder, tmp_path: Path
    ) -> None:
        store = tmp_path / "store"
        ok = _smartcounter("--store", store, "ingest", write_folder(GOOD))
        assert ok.returncode == 0, ok.stderr
        again = _smartcounter("--store", store, "ingest", write_folder(GOOD))
        assert again.returncode == 0, again.stderr  # all skipped is still success
        partial = _smartcounter("--store", store, "ingest", write_folder(ONE_BAD))
        assert partial.returncode == 3, partial.stderr
        missing = "txn_id,branch_id\nT1,B001\n"
        unusable = _smartcounter(
            "--store", store, "ingest", write_folder({"transactions.csv": missing})
        )
        assert unusable.returncode == 2
        assert "ts" in unusable.stderr and "business_code" in unusable.stderr

    def test_usage_errors_are_two(self, run_cli: RunCli, tmp_path: Path) -> None:
        result = run_cli("--store", tmp_path / "s", "ingest", tmp_path / "nowhere")
        assert result.exit_code == 2
        assert "nowhere" in result.stderr
        result = run_cli("--store", tmp_path / "s", "ingest", "--format", "csv", tmp_path)
        assert result.exit_code == 2
        assert not (tmp_path / "s").exists()


class TestSummary:
    def test_json_has_exactly_the_documented_shape(
        self, run_cli: RunCli, write_folder: WriteFolder, tmp_path: Path
    ) -> None:
        result = run_cli(
            "--store", tmp_path / "store", "ingest", "--format", "json", write_folder(ONE_BAD)
        )
        assert result.exit_code == 3
        body = json.loads(result.stdout)
        assert sorted(body) == ["files", "rejects"]
        assert [f["table"] for f in body["files"]] == ["branches", "transactions"]
        for entry in body["files"]:
            assert list(entry) == FILE_KEYS
            assert all(isinstance(entry[k], int) for k in FILE_KEYS[2:])
            counted = entry["imported"] + entry["updated"] + entry["skipped"] + entry["rejected"]
            assert entry["read"] == counted
        assert body["files"][1]["file"].endswith("transactions.csv")
        assert Path(body["rejects"]).is_file()

    def test_json_rejects_is_null_when_none(
        self, run_cli: RunCli, write_folder: WriteFolder, tmp_path: Path
    ) -> None:
        result = run_cli(
            "--store", tmp_path / "store", "ingest", "--format", "json", write_folder(GOOD)
        )
        assert result.exit_code == 0
        assert json.loads(result.stdout)["rejects"] is None

    def test_the_table_says_where_rejects_went(
        self, run_cli: RunCli, write_folder: WriteFolder, tmp_path: Path
    ) -> None:
        result = run_cli(
            "--lang", "en", "--store", tmp_path / "store", "ingest", write_folder(ONE_BAD)
        )
        assert result.exit_code == 3
        assert "rejects" in result.stdout and ".csv" in result.stdout
        for word in ("read", "imported", "updated", "skipped", "rejected", "unresolved"):
            assert word in result.stdout

    @pytest.mark.parametrize("lang", ["zh", "en"])
    def test_the_rejects_file_header(
        self, run_cli: RunCli, write_folder: WriteFolder, tmp_path: Path, lang: str
    ) -> None:
        result = run_cli(
            "--lang",
            lang,
            "--store",
            tmp_path / "store",
            "ingest",
            "--format",
            "json",
            write_folder(ONE_BAD),
        )
        path = Path(json.loads(result.stdout)["rejects"])
        lines = path.read_bytes().decode("utf-8").splitlines()
        assert lines[0] == "file,line,column,value,reason"
        assert len(lines) == 2

    def test_the_store_is_named_by_environment_too(
        self,
        run_cli: RunCli,
        write_folder: WriteFolder,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        store_snapshot: Snapshot,
    ) -> None:
        monkeypatch.setenv("SMARTCOUNTER_STORE", str(tmp_path / "env-store"))
        result = run_cli("ingest", write_folder(GOOD))
        assert result.exit_code == 0
        assert store_snapshot(tmp_path / "env-store")
