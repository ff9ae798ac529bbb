"""The dashboards' messages: both languages complete, the same placeholders, no key twice."""

from __future__ import annotations

import string

from smartcounter.i18n import Lang, message_files

FILE = "dashboards.toml"


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


class TestMessages:
    def test_both_languages_have_the_same_keys_and_placeholders(self) -> None:
        zh = message_files(Lang.ZH)[FILE]
        en = message_files(Lang.EN)[FILE]
        assert set(zh) == set(en)
        assert {k for k in zh if placeholders(zh[k]) != placeholders(en[k])} == set()

    def test_every_key_is_the_dashboards_own(self) -> None:
        for lang in Lang:
            files = message_files(lang)
            ours = set(files[FILE])
            assert all(k.startswith("dashboards.") for k in ours)
            others = {k for name, flat in files.items() if name != FILE for k in flat}
            assert ours.isdisjoint(others)

    def test_every_key_the_templates_name_exists(self) -> None:
        import re
        from importlib import resources

        folder = resources.files("smartcounter.web") / "templates" / "dashboards"
        named: set[str] = set()
        for entry in folder.iterdir():
            if entry.name.endswith(".html"):
                named |= set(
                    re.findall(r"""\bt\(\s*["']([a-z_.0-9]+)["']\s*[,)]""", entry.read_text())
                )
        assert len(named) > 60
        for lang in Lang:
            known = {k for flat in message_files(lang).values() for k in flat}
            assert named - known == set(), lang
