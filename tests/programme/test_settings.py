"""The programme's configuration is data: shipped defaults in a TOML file, a bank's file over them."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from smartcounter.settings import ProgrammeSettings, load_settings, programme_defaults


class TestProgrammeSettings:
    def test_defaults_come_from_the_shipped_file(self, tmp_path):
        settings = load_settings(store=tmp_path)
        shipped = programme_defaults()
        assert settings.programme.lagging.rule == shipped["lagging"]["rule"]
        assert settings.programme.pairing.cap == shipped["pairing"]["cap"] == 1
        assert (
            settings.programme.pairing.similarity.size == shipped["pairing"]["similarity"]["size"]
        )

    def test_a_bank_overrides_one_key_deep_down_and_keeps_the_rest(self, tmp_path):
        (tmp_path / "smartcounter.toml").write_text(
            '[programme.lagging]\nrule = "below_target"\n\n[programme.pairing.similarity]\nregion = 3.0\n',
            encoding="utf-8",
        )
        settings = load_settings(store=tmp_path)
        assert settings.programme.lagging.rule == "below_target"
        assert settings.programme.lagging.weeks == programme_defaults()["lagging"]["weeks"]
        assert settings.programme.pairing.similarity.region == 3.0
        assert settings.programme.pairing.similarity.size == 1.0
        assert settings.programme.pairing.cap == 1

    def test_a_bad_value_is_refused(self):
        with pytest.raises(ValidationError):
            ProgrammeSettings.model_validate({"lagging": {"rule": "worst"}})
