"""Option help in the language of the run.

The options' help is written in English beside each option (``help="..."``), where the
code that reads the option is. The Chinese of each text is kept in ``i18n/cli_help/zh.toml``,
keyed by the English text itself (as gettext keys a message by its source string), and put
in place when ``--help`` is asked for in Chinese. A test keeps every option's text translated
and no stale entry in the file.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any

from smartcounter.i18n import Lang

# The help option's own text (typer's), translated like the others.
HELP_OPTION = "Show this message and exit."


@cache
def catalogue(lang: Lang) -> dict[str, str]:
    """English help text → its text in ``lang`` (empty for English)."""
    if lang is Lang.EN:
        return {}
    entry = resources.files("smartcounter.i18n") / "cli_help" / f"{lang.value}.toml"
    return tomllib.loads(entry.read_text("utf-8"))


def in_language(command: Any, lang: Lang) -> None:
    """Put ``command``'s option help (and its subcommands', for a group) in ``lang``."""
    texts = catalogue(lang)
    if not texts:
        return
    for param in getattr(command, "params", ()):
        _translate(param, texts)
    made = command.get_help_option  # the --help option is made when first asked for

    def help_option(ctx: Any) -> Any:
        option = made(ctx)
        _translate(option, texts)
        return option

    command.get_help_option = help_option
    for sub in getattr(command, "commands", {}).values():
        in_language(sub, lang)


def _translate(param: Any, texts: dict[str, str]) -> None:
    text = getattr(param, "help", None)
    if text and text in texts:
        param.help = texts[text]


def option_texts(command: Any) -> set[str]:
    """Every option help text of ``command`` and its subcommands (for the tests)."""
    found = {p.help for p in getattr(command, "params", ()) if getattr(p, "help", None)}
    for sub in getattr(command, "commands", {}).values():
        found |= option_texts(sub)
    return found
