"""``smartcounter demo`` writes its store where ``--store`` says (cli.md: every command that
reads or writes data takes it), and never into a folder it did not make."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import RunCli


def test_the_demo_store_goes_where_store_names_it(run_cli: RunCli, tmp_path: Path) -> None:
    store, folder = tmp_path / "named-store", tmp_path / "demo"
    result = run_cli("--store", store, "--lang", "en", "demo", "--dir", folder, "--branches", "4")
    assert result.exit_code == 0, result.stderr
    assert (store / "tables" / "transactions").is_dir()
    assert not (folder / "store").exists()  # the demo folder keeps the export and bulletins
    assert (folder / "bulletin").is_dir() and (folder / "export").is_dir()
    assert f"--store {store} " in result.stdout  # what to run next names the same store


def test_a_store_holding_other_data_is_left_alone(run_cli: RunCli, tmp_path: Path) -> None:
    store = tmp_path / "bank-store"
    store.mkdir()
    (store / "precious.txt").write_text("the bank's", "utf-8")
    result = run_cli("--store", store, "demo", "--dir", tmp_path / "demo", "--branches", "4")
    assert result.exit_code == 2
    assert "已存在且不是演示生成的存储，未作改动" in result.stderr
    assert [p.name for p in store.iterdir()] == ["precious.txt"]
    assert not (tmp_path / "demo").exists()
