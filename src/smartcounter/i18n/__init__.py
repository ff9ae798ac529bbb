"""The one translation layer: every user-visible string goes through ``translate``.

Messages live in ``locales/<lang>/<domain>.toml`` (one file per capability, e.g.
``core.toml``, ``lobby.toml``); Chinese is the default. A test keeps every language
complete, the keys unique across files and the placeholders equal.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any


class Lang(StrEnum):
    """Languages the interface speaks."""

    ZH = "zh"
    EN = "en"


DEFAULT_LANG = Lang.ZH


def parse_lang(value: str) -> Lang | None:
    """``value`` as a language (``zh``, ``en``, ``zh_CN``, ``en-GB`` …), None if it is none."""
    raw = value.strip().lower()
    for lang in Lang:
        if raw.startswith(lang.value):
            return lang
    return None


def resolve_lang(value: str | None = None) -> Lang:
    """Pick the language: an explicit value, else SMARTCOUNTER_LANG, else Chinese (also for
    a value that names no language of ours: the command line refuses those first)."""
    return parse_lang(value or os.environ.get("SMARTCOUNTER_LANG") or DEFAULT_LANG) or DEFAULT_LANG


def _flatten(prefix: str, node: dict[str, Any], out: dict[str, str]) -> None:
    for key, value in node.items():
        full = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            _flatten(full, value, out)
        else:
            out[full] = str(value)


def message_files(lang: Lang) -> dict[str, dict[str, str]]:
    """Each message file of ``lang`` (by file name) with its messages by dotted key."""
    folder = resources.files("smartcounter.i18n") / "locales" / lang.value
    out: dict[str, dict[str, str]] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            flat: dict[str, str] = {}
            _flatten("", tomllib.loads(entry.read_text("utf-8")), flat)
            out[entry.name] = flat
    return out


@cache
def messages(lang: Lang) -> dict[str, str]:
    """All messages of one language, by dotted key."""
    merged: dict[str, str] = {}
    for flat in message_files(lang).values():
        merged.update(flat)
    return merged


class Term(str):
    """A code (a status, a field) that a message shows to people by its name.

    It is the code itself wherever a string is (a JSON answer's ``params``, a log line);
    ``translate`` puts in its name in the reader's language instead: the message ``key``,
    or ``names`` by language (for names kept outside the message files, as the business
    catalogue's). A code with no name of either kind is shown as it is.
    """

    key: str | None
    names: Mapping[str, str]

    def __new__(
        cls, code: str, key: str | None = None, names: Mapping[str, str] | None = None
    ) -> Term:
        term = super().__new__(cls, code)
        term.key = key
        term.names = dict(names or {})
        return term

    def name(self, lang: Lang | str = DEFAULT_LANG) -> str:
        """The name of the code in ``lang`` (English, then the code itself, when it has none)."""
        lang = Lang(lang)
        for candidate in (lang, Lang.EN):
            if candidate.value in self.names:
                return self.names[candidate.value]
            if self.key is not None and self.key in messages(candidate):
                return messages(candidate)[self.key]
        return str(self)


def translate(key: str, lang: Lang | str = DEFAULT_LANG, /, **params: Any) -> str:
    """Return the message ``key`` in ``lang`` with ``params`` filled in (a ``Term`` by name)."""
    catalogue = messages(Lang(lang))
    template = catalogue.get(key)
    if template is None:
        template = messages(Lang.EN).get(key, key)
    if not params:
        return template
    named = {k: v.name(lang) if isinstance(v, Term) else v for k, v in params.items()}
    return template.format(**named)


class Translator:
    """``translate`` bound to one language, for code that renders many strings."""

    def __init__(self, lang: Lang | str = DEFAULT_LANG) -> None:
        self.lang = Lang(lang)

    def __call__(self, key: str, /, **params: Any) -> str:
        return translate(key, self.lang, **params)
