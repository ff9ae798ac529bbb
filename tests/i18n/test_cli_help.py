"""Every option's help has its Chinese (i18n/cli_help/zh.toml), and the file no stale text."""

from __future__ import annotations

import typer.main

from smartcounter.cli.app import COMMANDS, app
from smartcounter.cli.help_text import HELP_OPTION, catalogue, option_texts
from smartcounter.i18n import Lang
from tests.conftest import RunCli


def _every_option_text() -> set[str]:
    root = typer.main.get_command(app)
    found = option_texts(root)
    for name in COMMANDS:
        found |= option_texts(root.get_command(None, name))  # type: ignore[attr-defined]
    return found | {HELP_OPTION}


def test_every_option_help_has_its_chinese_and_no_entry_is_stale() -> None:
    texts, zh = _every_option_text(), catalogue(Lang.ZH)
    assert sorted(texts - set(zh)) == []  # an option added without its Chinese
    assert sorted(set(zh) - texts) == []  # an entry whose English text is gone
    assert all(zh[t].strip() and zh[t] != t for t in zh)


def test_help_is_chinese_by_default_and_english_on_request(run_cli: RunCli) -> None:
    chinese = run_cli("rates", "--help").stdout
    assert catalogue(Lang.ZH)[HELP_OPTION] in chinese
    assert HELP_OPTION not in chinese
    assert chinese.startswith("用法：smartcounter rates [选项]")
    assert "--by <文本>" in chinese and "<str>" not in chinese
    assert "\n选项：\n" in chinese and "[必填]" in chinese and "[默认：table]" in chinese
    assert "[环境变量：SMARTCOUNTER_STORE]" in chinese
    page = run_cli("simulate", "optimise", "--help").stdout
    assert "[默认：10.0；x>=0.5]" in page
    english = run_cli("--lang", "en", "rates", "--help").stdout
    assert HELP_OPTION in english
    assert catalogue(Lang.ZH)[HELP_OPTION] not in english
    assert english.startswith("Usage: smartcounter rates [OPTIONS]")
    assert "\nOptions:\n" in english and "[required]" in english


def test_h_shows_the_help_too_and_placeholders_are_in_the_language(run_cli: RunCli) -> None:
    short = run_cli("ingest", "-h")
    assert short.exit_code == 0
    assert short.stdout == run_cli("ingest", "--help").stdout
    assert short.stdout.startswith("用法：smartcounter ingest [选项] PATHS...")
    assert "paths... <路径>..." in short.stdout and "  -h, --help" in short.stdout
    assert run_cli("-h").stdout.startswith("用法：smartcounter [选项] 命令 [参数]...")
    english = run_cli("--lang", "en", "ingest", "-h").stdout
    assert english.startswith("Usage: smartcounter ingest [OPTIONS] PATHS...")
    # A usage error still points to the long form.
    refused = run_cli("rates")
    assert refused.exit_code == 2 and "--help" in refused.stderr


def test_the_root_page_is_chinese_too(run_cli: RunCli) -> None:
    page = run_cli("--help").stdout
    assert page.startswith("用法：smartcounter")
    assert "\n命令：\n" in page and "\n选项：\n" in page


def test_a_groups_subcommands_are_translated_too(run_cli: RunCli) -> None:
    page = run_cli("simulate", "allocate", "--help").stdout
    assert catalogue(Lang.ZH)[HELP_OPTION] in page


def test_a_group_given_no_subcommand_shows_its_page_in_chinese(run_cli: RunCli) -> None:
    page = run_cli("store").stdout + run_cli("store").stderr
    assert catalogue(Lang.ZH)[HELP_OPTION] in page


def test_chinese_wraps_between_characters_never_inside_a_word_nor_before_a_comma() -> None:
    from smartcounter.cli.help_text import cjk_wrap, one_language, width_of

    text = (
        "centre_analyst、director、lobby_manager、greeter、stm_specialist、teller、wealth_manager。"
    )
    for width in range(16, 60):
        lines = cjk_wrap(text, width)
        assert "".join(lines) == text  # nothing lost, no space added between the pieces
        assert all(width_of(line) <= width for line in lines)
        assert not any(line.startswith(("、", "。")) for line in lines)
        words = {w for line in lines for w in line.replace("、", " ").replace("。", " ").split()}
        assert words <= set(text.replace("、", " ").replace("。", " ").split())
    assert cjk_wrap("迁移率" * 10, 10) == 2 * ["迁移率迁移", "率迁移率迁", "移率迁移率"]
    # An opening mark never ends a line: it goes to the next with what it opens.
    assert cjk_wrap("每个网点一页（DIR/branches/x.html）", 24) == [
        "每个网点一页",
        "（DIR/branches/x.html）",
    ]
    assert one_language("迁移率（按维度分组）。Migration rates by KEYS.", Lang.ZH) == (
        "迁移率（按维度分组）。"
    )
    assert one_language("员工 BSC 考核。Staff scorecards (BSC).", Lang.EN) == (
        "Staff scorecards (BSC)."
    )
    assert one_language("Only English.", Lang.ZH) == "Only English."
