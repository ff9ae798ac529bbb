"""Every language complete: the same files, keys and placeholders; keys unique; keys used exist."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from smartcounter.i18n import Lang, message_files, messages, resolve_lang, translate

SRC = Path(__file__).resolve().parents[2] / "src" / "smartcounter"


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


class TestCatalogues:
    def test_same_files_in_every_language(self):
        assert set(message_files(Lang.ZH)) == set(message_files(Lang.EN))

    @pytest.mark.parametrize("name", sorted(message_files(Lang.ZH)))
    def test_same_keys_and_placeholders(self, name):
        zh, en = message_files(Lang.ZH)[name], message_files(Lang.EN)[name]
        assert set(zh) == set(en), set(zh) ^ set(en)
        for key in zh:
            assert _placeholders(zh[key]) == _placeholders(en[key]), key

    def test_no_key_in_two_files(self):
        seen: dict[str, str] = {}
        for name, flat in message_files(Lang.ZH).items():
            for key in flat:
                assert key not in seen, f"{key} in {name} and {seen[key]}"
                seen[key] = name

    def test_every_literal_key_the_code_asks_for_exists(self):
        known = set(messages(Lang.ZH))
        pattern = re.compile(r"""\bt\(\s*["']([a-z_]+(?:\.[a-z0-9_]+)+)["']""")
        missing = []
        for path in SRC.rglob("*.py"):
            for key in pattern.findall(path.read_text("utf-8")):
                if key not in known:
                    missing.append(f"{path.relative_to(SRC)}: {key}")
        assert not missing, missing


class TestTranslate:
    def test_chinese_by_default_and_english_on_request(self):
        assert translate("figures.title_rates") == "迁移率"
        assert translate("figures.title_rates", Lang.EN) == "Migration rate"

    def test_parameters_are_filled_in(self):
        text = translate("reject.required", Lang.EN, column="txn_id")
        assert "txn_id" in text

    @pytest.mark.parametrize(
        ("given", "expected"),
        [("en", Lang.EN), ("en_US", Lang.EN), ("zh", Lang.ZH), ("ZH-cn", Lang.ZH)],
    )
    def test_language_names(self, given, expected):
        assert resolve_lang(given) is expected
