"""``smartcounter demo`` writes its store where ``--store`` says (cli.md: every command that
reads or writes data takes it), and never into a folder it did not make — nor into a store
it made that has had other data imported since. Both folders are checked before either is
touched."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import RunCli

SMALL = ("--branches", "4")


def _demo(run_cli: RunCli, store: Path, folder: Path) -> tuple[int, str, str]:
    result = run_cli("--store", store, "--lang", "en", "demo", "--dir", folder, *SMALL)
    return result.exit_code, result.stdout, result.stderr


def test_the_demo_store_goes_where_store_names_it(run_cli: RunCli, tmp_path: Path) -> None:
    store, folder = tmp_path / "named-store", tmp_path / "demo"
    code, out, err = _demo(run_cli, store, folder)
    assert code == 0, err
    assert (store / "tables" / "transactions").is_dir()
    assert not (folder / "store").exists()  # the demo folder keeps the export and bulletins
    assert (folder / "bulletin").is_dir() and (folder / "export").is_dir()
    assert f"--store {store} " in out  # what to run next names the same store
    made = sorted((store / "imports").iterdir())

    # Another folder that is not the demo's: refused before the store is touched.
    other = tmp_path / "papers"
    other.mkdir()
    (other / "notes.txt").write_text("mine", "utf-8")
    code, _, err = _demo(run_cli, store, other)
    assert code == 2 and str(other) in err
    assert sorted((store / "imports").iterdir()) == made

    # An import into the demo's store since: the store holds more than the demo's data now.
    extra = store / "imports" / "later-import.json"
    extra.write_text("{}", "utf-8")
    code, _, err = _demo(run_cli, store, folder)
    assert code == 2 and "is not a store an earlier demo made" in err
    assert extra.exists()
    extra.unlink()

    # As the demo left it: replaced by the next demo.
    code, _, err = _demo(run_cli, store, folder)
    assert code == 0, err
    marker = json.loads((store / "smartcounter-demo.json").read_text("utf-8"))
    assert marker["imports"] == sorted(p.name for p in (store / "imports").iterdir())


def test_a_store_inside_the_demo_folder_goes_with_it(run_cli: RunCli, tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    code, _, err = _demo(run_cli, folder / "store", folder)
    assert code == 0, err
    assert (folder / "store" / "tables" / "transactions").is_dir()


def test_a_store_holding_other_data_is_left_alone(run_cli: RunCli, tmp_path: Path) -> None:
    store = tmp_path / "bank-store"
    store.mkdir()
    (store / "precious.txt").write_text("the bank's", "utf-8")
    result = run_cli("--store", store, "demo", "--dir", tmp_path / "demo", *SMALL)
    assert result.exit_code == 2
    assert "已存在且不是演示生成的存储，未作改动" in result.stderr
    assert [p.name for p in store.iterdir()] == ["precious.txt"]
    assert not (tmp_path / "demo").exists()


def test_a_store_that_is_a_file_is_said_in_words(run_cli: RunCli, tmp_path: Path) -> None:
    taken = tmp_path / "a-file"
    taken.write_text("x", "utf-8")
    result = run_cli("--store", taken, "demo", "--dir", tmp_path / "demo", *SMALL)
    assert result.exit_code == 2
    assert result.stderr.strip() == f"{taken} 是一个文件，不是文件夹；未作改动。"
