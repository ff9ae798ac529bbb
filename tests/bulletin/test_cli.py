"""``smartcounter bulletin``: the three files, the options, the exit statuses of cli.md."""

from __future__ import annotations

from pathlib import Path

from smartcounter.store.layout import Store
from tests.bulletin.conftest import WEEK
from tests.conftest import RunCli


class TestWrites:
    def test_the_files_in_the_folder_it_creates(
        self, run_cli: RunCli, store: Store, tmp_path: Path
    ) -> None:
        out = tmp_path / "a" / "b"
        result = run_cli("--store", store.root, "bulletin", "--week", WEEK, "--out", out)
        assert result.exit_code == 0, result.stderr
        names = [
            "bulletin.html",
            "bulletin.xlsx",
            "bulletin.pdf",
            "bulletin.json",
            "branches.html",
            "branches.pdf",
        ]
        assert result.stdout.split() == [str(out / n) for n in names]
        assert all((out / n).stat().st_size > 0 for n in names)
        assert '<html lang="zh-CN">' in (out / "bulletin.html").read_text("utf-8")

    def test_english_for_one_region_of_the_latest_week(
        self, run_cli: RunCli, store: Store, tmp_path: Path
    ) -> None:
        result = run_cli(
            "--store", store.root, "bulletin", "--lang", "en", "--region", "南通", "--out", tmp_path
        )
        assert result.exit_code == 0, result.stderr
        html = (tmp_path / "bulletin.html").read_text("utf-8")
        assert '<html lang="en">' in html and "Week 10, 2018" in html and "南通 region" in html
        assert "镇江丹阳新市口支行" not in html


class TestRefuses:
    def test_a_week_that_is_not_one(self, run_cli: RunCli, store: Store, tmp_path: Path) -> None:
        result = run_cli("--store", store.root, "bulletin", "--week", "2018-W99", "--out", tmp_path)
        assert result.exit_code == 2 and "2018" in result.stderr
        assert not list(tmp_path.iterdir())

    def test_a_week_without_data(self, run_cli: RunCli, store: Store, tmp_path: Path) -> None:
        result = run_cli("--store", store.root, "bulletin", "--week", "2017-W10", "--out", tmp_path)
        assert result.exit_code == 2 and "2017年第10周" in result.stderr
        assert not list(tmp_path.iterdir())

    def test_an_unknown_region(self, run_cli: RunCli, store: Store, tmp_path: Path) -> None:
        result = run_cli(
            "--store", store.root, "bulletin", "--week", WEEK, "--region", "火星", "--out", tmp_path
        )
        assert result.exit_code == 2 and "火星" in result.stderr

    def test_a_missing_store(self, run_cli: RunCli, tmp_path: Path) -> None:
        result = run_cli(
            "--store", tmp_path / "nothing", "bulletin", "--week", WEEK, "--out", tmp_path / "out"
        )
        assert result.exit_code == 2

    def test_an_out_that_is_a_file(self, run_cli: RunCli, store: Store, tmp_path: Path) -> None:
        taken = tmp_path / "taken"
        taken.write_text("not a folder", "utf-8")
        result = run_cli("--store", store.root, "bulletin", "--week", WEEK, "--out", taken)
        assert result.exit_code == 2
        assert result.stderr.strip().startswith(f"--out：{taken} 是一个文件，不是文件夹")
        assert taken.read_text("utf-8") == "not a folder"

    def test_an_out_inside_a_file(self, run_cli: RunCli, store: Store, tmp_path: Path) -> None:
        taken = tmp_path / "taken"
        taken.write_text("not a folder", "utf-8")
        out = taken / "bulletins"
        result = run_cli("--store", store.root, "bulletin", "--week", WEEK, "--out", out)
        assert result.exit_code == 2
        assert result.stderr.startswith(f"无法写入 {out}：") and "Traceback" not in result.stderr
