"""Settings come from pydantic-settings' own sources: overrides, environment, file, defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from smartcounter.settings import ConfigError, Settings, load_settings, programme_defaults
from tests.conftest import RunCli

pytestmark = pytest.mark.usefixtures("no_smartcounter_environment")


def write_config(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "smartcounter.toml"
    path.write_text(text, encoding="utf-8")
    return path


class TestNestedKeysMergeAcrossSources:
    def test_file_trend_weeks_survives_an_environment_target_rate(self, tmp_path, monkeypatch):
        write_config(tmp_path, "[bulletin]\ntrend_weeks = 4\n")
        monkeypatch.setenv("SMARTCOUNTER_BULLETIN__TARGET_RATE", "0.92")
        settings = load_settings(store=tmp_path)
        assert settings.bulletin.trend_weeks == 4
        assert settings.bulletin.target_rate == 0.92
        assert settings.bulletin.min_migratable == 30  # neither source names it: the default

    def test_a_deep_programme_key_in_the_file_and_another_in_the_environment(
        self, tmp_path, monkeypatch
    ):
        write_config(tmp_path, '[programme.lagging]\nrule = "below_target"\n')
        monkeypatch.setenv("SMARTCOUNTER_PROGRAMME__LAGGING__WEEKS", "6")
        monkeypatch.setenv("SMARTCOUNTER_PROGRAMME__PAIRING__SIMILARITY__REGION", "2.5")
        settings = load_settings(store=tmp_path)
        shipped = programme_defaults()
        assert settings.programme.lagging.rule == "below_target"
        assert settings.programme.lagging.weeks == 6
        assert settings.programme.lagging.certainty == shipped["lagging"]["certainty"]
        assert settings.programme.pairing.similarity.region == 2.5
        assert (
            settings.programme.pairing.similarity.size == shipped["pairing"]["similarity"]["size"]
        )


class TestPrecedence:
    def test_environment_wins_over_the_file_key_by_key(self, tmp_path, monkeypatch):
        write_config(
            tmp_path,
            "[bulletin]\ntarget_rate = 0.8\ntrend_weeks = 4\n\n"
            '[programme.lagging]\nweeks = 3\nrule = "below_target"\n',
        )
        monkeypatch.setenv("SMARTCOUNTER_BULLETIN__TARGET_RATE", "0.95")
        monkeypatch.setenv("SMARTCOUNTER_PROGRAMME__LAGGING__WEEKS", "5")
        settings = load_settings(store=tmp_path)
        assert (settings.bulletin.target_rate, settings.bulletin.trend_weeks) == (0.95, 4)
        assert (settings.programme.lagging.weeks, settings.programme.lagging.rule) == (
            5,
            "below_target",
        )

    def test_overrides_win_over_the_environment_and_none_is_no_override(
        self, tmp_path, monkeypatch
    ):
        write_config(tmp_path, 'lang = "zh"\n\n[bulletin]\nmovers = 2\n')
        monkeypatch.setenv("SMARTCOUNTER_LANG", "zh")
        monkeypatch.setenv("SMARTCOUNTER_ENGINE", "spark")
        monkeypatch.setenv("SMARTCOUNTER_BULLETIN__TARGET_RATE", "0.92")
        monkeypatch.setenv("SMARTCOUNTER_BULLETIN__TREND_WEEKS", "4")
        settings = load_settings(
            store=tmp_path, lang="en", engine=None, bulletin={"trend_weeks": 6}
        )
        assert settings.lang == "en"
        assert settings.engine == "spark"
        assert settings.store == tmp_path
        assert (settings.bulletin.trend_weeks, settings.bulletin.target_rate) == (6, 0.92)
        assert settings.bulletin.movers == 2

    def test_the_store_override_chooses_the_file_over_the_environment_store(
        self, tmp_path, monkeypatch
    ):
        write_config(tmp_path / "env-store", "[bulletin]\ntrend_weeks = 3\n")
        write_config(tmp_path / "cli-store", "[bulletin]\ntrend_weeks = 5\n")
        monkeypatch.setenv("SMARTCOUNTER_STORE", str(tmp_path / "env-store"))
        assert load_settings().bulletin.trend_weeks == 3
        assert load_settings(store=tmp_path / "cli-store").bulletin.trend_weeks == 5

    def test_smartcounter_config_names_the_file(self, tmp_path, monkeypatch):
        write_config(tmp_path / "store", "[bulletin]\ntrend_weeks = 3\n")
        named = write_config(tmp_path / "elsewhere", "[bulletin]\ntrend_weeks = 7\n")
        monkeypatch.setenv("SMARTCOUNTER_CONFIG", str(named))
        assert load_settings(store=tmp_path / "store").bulletin.trend_weeks == 7

    def test_the_default_store_folder_holds_the_file(self, tmp_path):
        write_config(tmp_path / "xdg" / "smartcounter" / "store", "[bulletin]\ntrend_weeks = 2\n")
        assert load_settings().bulletin.trend_weeks == 2

    def test_a_bare_settings_reads_the_same_sources(self, tmp_path, monkeypatch):
        write_config(tmp_path, "[bulletin]\ntrend_weeks = 4\n")
        monkeypatch.setenv("SMARTCOUNTER_BULLETIN__TARGET_RATE", "0.92")
        settings = Settings(store=tmp_path)
        assert (settings.bulletin.trend_weeks, settings.bulletin.target_rate) == (4, 0.92)


class TestBrokenConfiguration:
    def test_a_file_that_is_not_toml_is_named(self, tmp_path):
        path = write_config(tmp_path, "[bulletin\ntrend_weeks = 4\n")
        with pytest.raises(ConfigError, match=str(path)):
            load_settings(store=tmp_path)

    def test_a_wrong_value_in_the_file_names_the_file_and_the_key(self, tmp_path):
        path = write_config(tmp_path, '[programme.lagging]\nrule = "worst"\n')
        with pytest.raises(ConfigError) as caught:
            load_settings(store=tmp_path)
        assert str(path) in str(caught.value)
        assert "programme.lagging.rule" in str(caught.value)

    def test_a_wrong_variable_is_named_not_the_file(self, tmp_path, monkeypatch):
        write_config(tmp_path, "[bulletin]\ntrend_weeks = 4\n")
        monkeypatch.setenv("SMARTCOUNTER_BULLETIN__TREND_WEEKS", "many")
        with pytest.raises(ConfigError, match="SMARTCOUNTER_BULLETIN__TREND_WEEKS"):
            load_settings(store=tmp_path)

    def test_a_webhook_that_is_no_web_address_is_refused_when_the_settings_load(
        self, tmp_path, monkeypatch
    ):
        monkeypatch.setenv("SMARTCOUNTER_PUBLISH__WEBHOOK_URL", "not a url")
        with pytest.raises(ConfigError, match="SMARTCOUNTER_PUBLISH__WEBHOOK_URL"):
            load_settings(store=tmp_path)
        robot = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x"
        monkeypatch.setenv("SMARTCOUNTER_PUBLISH__WEBHOOK_URL", robot)
        assert load_settings(store=tmp_path).publish.webhook_url == robot

    def test_the_command_line_reports_it_in_words_with_status_2(self, tmp_path, run_cli: RunCli):
        path = write_config(tmp_path, "[bulletin\n")
        result = run_cli(
            "--store", str(tmp_path), "--lang", "en", "scorecard", "--quarter", "2018-Q1"
        )
        assert result.exit_code == 2
        assert "The settings cannot be used" in result.stderr
        assert str(path) in result.stderr

    def test_each_wrong_value_is_said_in_the_users_language(self, tmp_path, run_cli: RunCli):
        path = write_config(
            tmp_path, 'lang = "fr"\n[publish]\nsmtp_port = "x"\n[lobby]\nopen_hour = 7\n'
        )
        result = run_cli("--store", str(tmp_path), "scorecard", "--quarter", "2018-Q1")
        assert result.exit_code == 2
        said = result.stderr
        assert said.startswith("配置无法使用：")
        assert f"{path} [lang]：应为 'zh'、'en' 之一" in said
        assert f"{path} [publish.smtp_port]：应为整数" in said
        assert f"{path} [lobby.open_hour]：没有这一项" in said
        assert "Input should" not in said and "Extra inputs" not in said


def test_a_variable_that_is_not_json_is_named_with_how_to_write_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SMARTCOUNTER_PUBLISH__REVIEWERS", "a@bank.cn")
    with pytest.raises(ConfigError) as raised:
        load_settings()
    message = str(raised.value)
    assert message.startswith("SMARTCOUNTER_PUBLISH__REVIEWERS:")
    assert '["a@bank.cn", "b@bank.cn"]' in message


def test_a_variable_that_is_not_json_is_said_in_chinese(
    monkeypatch: pytest.MonkeyPatch, run_cli: RunCli, tmp_path: Path
) -> None:
    monkeypatch.setenv("SMARTCOUNTER_PUBLISH__REVIEWERS", "a@bank.cn")
    result = run_cli("--store", str(tmp_path), "scorecard", "--quarter", "2018-Q1")
    assert result.exit_code == 2
    assert result.stderr.startswith("配置无法使用：SMARTCOUNTER_PUBLISH__REVIEWERS：无法读取")
    assert "not readable" not in result.stderr
