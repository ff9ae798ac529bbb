"""Usage errors in the user's language, and the option checks that stop a command early.

The parser (typer) words its errors in English; the command line says them again in the
language of the run (cli/usage.py): Chinese unless ``--lang``, SMARTCOUNTER_LANG or the
settings ask for English. Each case goes through the real command line.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from smartcounter.cli.usage import in_words, is_usage_error, option_value, usage_lang
from smartcounter.i18n import Lang, Translator, parse_lang
from smartcounter.settings import ConfigError, load_settings
from tests.conftest import RunCli

pytestmark = pytest.mark.usefixtures("no_smartcounter_environment")


# (arguments, what the Chinese error says, what the English one says)
CASES = [
    (["rates"], "错误：缺少选项 --by。", "Error: Missing option '--by'."),
    (
        ["rates", "--by", "branch", "--format", "xml"],
        "错误：--format 的值无效：“xml”不是可选的值；可选：table、csv、json。",
        "Error: Invalid value for '--format': 'xml' is not one of table, csv, json.",
    ),
    (["rates", "--by"], "错误：选项 --by 需要一个值。", "Error: Option --by requires a value."),
    (["ratez"], "错误：没有命令“ratez”。", "Error: No such command 'ratez'."),
    (
        ["rates", "--byy", "branch"],
        "错误：没有选项 --byy。您是否要用：--by？",
        "Error: No such option: --byy. Did you mean: --by?",
    ),
    (
        ["rates", "--by", "branch", "surplus"],
        "错误：多余的参数：surplus",
        "Error: Got unexpected extra arguments: surplus",
    ),
    (
        ["ingest", "x", "--format", "csv"],
        "错误：--format 的值无效：“csv”不是可选的值；可选：table、json。",
        "Error: Invalid value for '--format': 'csv' is not one of table, json.",
    ),
    (
        ["demo", "--branches", "2"],
        "错误：--branches 的值无效：2 小于下限 4。",
        "Error: Invalid value for '--branches': 2 is below the minimum 4.",
    ),
    (
        ["simulate", "allocate", "--devices", "x"],
        "错误：--devices 的值无效：“x”不是整数。",
        "Error: Invalid value for '--devices': 'x' is not a whole number.",
    ),
    (
        ["wow", "--week", "2018-W10", "--by", "branch,week"],
        "周环比比较的是 --week 这一周与上一周，不能再按 week 分组。",
        "wow compares the week of --week with the week before: it cannot also group by week.",
    ),
    (
        ["ranking", "--week", "2018-W10", "--peer-group", "bogus"],
        "没有同类组“bogus”；可选：urban、office、micro、county。",
        'No peer group "bogus"; one of: urban, office, micro, county.',
    ),
    (
        ["store", "compact", "--format", "csv"],
        "“csv”不是可选的值；可选：table、json。",
        "'csv' is not one of table, json.",
    ),
]


@pytest.mark.parametrize(("args", "zh", "en"), CASES, ids=[" ".join(c[0]) for c in CASES])
def test_usage_errors_are_chinese_by_default_and_english_on_request(
    run_cli: RunCli, tmp_path: Path, args: list[str], zh: str, en: str
) -> None:
    store = ["--store", str(tmp_path / "store")]
    chinese = run_cli(*store, *args)
    assert chinese.exit_code == 2
    assert zh in chinese.stderr
    assert "Error" not in chinese.stderr and "Usage" not in chinese.stderr
    english = run_cli(*store, "--lang", "en", *args)
    assert english.exit_code == 2
    assert en in english.stderr


def test_the_usage_line_and_where_help_is_are_translated_too(run_cli: RunCli) -> None:
    result = run_cli("rates")
    assert result.stderr.splitlines()[:2] == [
        "用法：smartcounter rates [选项]",
        "查看帮助：smartcounter rates --help",
    ]


def test_the_language_of_an_error_follows_the_environment_and_the_settings(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMARTCOUNTER_LANG", "en")
    assert "Missing option '--by'" in run_cli("rates").stderr
    monkeypatch.delenv("SMARTCOUNTER_LANG")
    store = tmp_path / "store"
    store.mkdir()
    (store / "smartcounter.toml").write_text('lang = "en"\n', "utf-8")
    assert "Missing option '--by'" in run_cli("--store", str(store), "rates").stderr
    assert usage_lang(["--store", str(store), "rates"]) is Lang.EN
    # The command's own --lang wins over the settings.
    assert usage_lang(["--store", str(store), "rates", "--lang", "zh"]) is Lang.ZH


class _NovelError(Exception):
    """A usage error of a kind this version of the parser does not have yet."""

    exit_code = 2
    message = "Something new."

    def format_message(self) -> str:
        return self.message

    def show(self) -> None:  # pragma: no cover - never shown here
        raise AssertionError


def test_an_unknown_kind_of_error_keeps_the_parsers_words_after_a_translated_prefix() -> None:
    assert is_usage_error(_NovelError())
    assert not is_usage_error(ValueError("not the parser's"))
    assert in_words(_NovelError(), Translator(Lang.ZH)) == "Something new."


def test_option_values_and_languages_are_read_as_given() -> None:
    assert option_value(["--lang", "en", "rates"], "--lang") == "en"
    assert option_value(["--lang=en"], "--lang") == "en"
    assert option_value(["--", "--lang", "en"], "--lang") is None
    assert option_value(["--lang"], "--lang") is None
    assert [parse_lang(v) for v in ("zh", "EN", "zh_CN.UTF-8", "en-GB", "fr", "")] == [
        Lang.ZH,
        Lang.EN,
        Lang.ZH,
        Lang.EN,
        None,
        None,
    ]


def test_a_language_we_do_not_speak_is_refused(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = ["--store", str(tmp_path / "store")]
    given = run_cli(*store, "--lang", "fr", "rates", "--by", "branch")
    assert given.exit_code == 2
    assert given.stderr.strip() == "--lang 不支持“fr”；可选：zh、en。"
    monkeypatch.setenv("SMARTCOUNTER_LANG", "fr")
    from_env = run_cli(*store, "rates", "--by", "branch")
    assert from_env.exit_code == 2
    assert from_env.stderr.strip() == "SMARTCOUNTER_LANG 不支持“fr”；可选：zh、en。"


@pytest.mark.parametrize(
    "command",
    [
        ["rates"],
        ["visit-rates"],
        ["tickets"],
        ["unmigrated"],
        ["funnel"],
        ["wow", "--week", "2018-W10"],
    ],
)
def test_a_repeated_grouping_key_is_named_as_repeated(
    run_cli: RunCli, tmp_path: Path, command: list[str]
) -> None:
    result = run_cli("--store", str(tmp_path), *command, "--by", "branch,week,branch")
    assert result.exit_code == 2
    assert result.stderr.strip() == "--by：分组维度 branch 重复了；每个维度只写一次。"


class TestSettingsTables:
    def test_a_misspelt_key_of_a_settings_table_is_named(self, tmp_path: Path) -> None:
        (tmp_path / "smartcounter.toml").write_text('[spark]\nmastr = "local[1]"\n', "utf-8")
        with pytest.raises(ConfigError, match=r"\[spark.mastr\]: Extra inputs are not permitted"):
            load_settings(store=tmp_path)


def test_a_store_given_before_the_command_wins_over_the_environment(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "branches.csv").write_text(
        "branch_id,name,region,branch_type\nB1,一号支行,镇江,urban\n", "utf-8"
    )
    (folder / "transactions.csv").write_text(
        "txn_id,branch_id,ts,business_code,channel\nT1,B1,2018-03-05 09:00:00,card_open,stm\n",
        "utf-8",
    )
    given, from_env = tmp_path / "given", tmp_path / "from-env"
    monkeypatch.setenv("SMARTCOUNTER_STORE", str(from_env))
    assert run_cli("--store", given, "ingest", folder).exit_code == 0
    assert given.is_dir() and not from_env.exists()
    # The variable alone still names the store; after the command, --store wins too.
    assert run_cli("rates", "--by", "branch", "--format", "csv").exit_code == 2
    after = run_cli("rates", "--by", "branch", "--format", "csv", "--store", given)
    assert after.exit_code == 0 and after.stdout.startswith("branch_id,")
    before = run_cli("--store", given, "rates", "--by", "branch", "--format", "csv")
    assert before.stdout == after.stdout
