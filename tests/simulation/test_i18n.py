"""The simulator's messages: both languages complete, the same placeholders."""

from __future__ import annotations

import string

from smartcounter.i18n import Lang, message_files

FILE = "simulation.toml"


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


class TestMessages:
    def test_both_languages_have_the_same_keys_and_placeholders(self) -> None:
        zh = message_files(Lang.ZH)[FILE]
        en = message_files(Lang.EN)[FILE]
        assert zh.keys() == en.keys()
        for key in zh:
            assert placeholders(zh[key]) == placeholders(en[key]), key

    def test_every_key_is_the_simulators_own(self) -> None:
        for lang in Lang:
            assert all(k.startswith("simulation.") for k in message_files(lang)[FILE])
