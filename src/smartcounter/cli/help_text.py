"""Option help in the language of the run.

The options' help is written in English beside each option (``help="..."``), where the
code that reads the option is. The Chinese of each text is kept in ``i18n/cli_help/zh.toml``,
keyed by the English text itself (as gettext keys a message by its source string), and put
in place when ``--help`` is asked for in Chinese. A test keeps every option's text translated
and no stale entry in the file.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from importlib import resources
from typing import Any

from smartcounter.i18n import Lang, Translator

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
    command.context_class = _context_in(lang, command.context_class)
    for sub in getattr(command, "commands", {}).values():
        in_language(sub, lang)


# The parser's words around the options: the headings and the notes in brackets.
_HEADINGS = {"Options": "help.options", "Arguments": "help.arguments", "Commands": "help.commands"}
_NOTES = {"default": "help.default", "env var": "help.env_var", "required": "help.required"}
_BRACKETS = re.compile(r"\[([^\[\]]*)\]\s*$")


def _notes_in(text: str, t: Translator) -> str:
    """``text`` with its trailing ``[default: x; required]`` in ``t``'s language."""
    found = _BRACKETS.search(text)
    if found is None:
        return text
    parts = []
    for part in found.group(1).split("; "):
        name, _, value = part.partition(": ")
        key = _NOTES.get(name)
        parts.append(t(key, value=value) if key else part)
    return text[: found.start()] + "[" + "; ".join(parts) + "]"


@cache
def _context_in(lang: Lang, base: type[Any]) -> type[Any]:
    """A context class of the parser's whose help pages write their headings, the usage
    line and the notes in brackets in ``lang``."""
    t = Translator(lang)
    formatter_base: Any = base.formatter_class

    class Formatter(formatter_base):  # type: ignore[misc]
        def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
            super().write_usage(prog, args, t("help.usage"))

        def write_heading(self, heading: str) -> None:
            key = _HEADINGS.get(heading)
            if key is None:
                super().write_heading(heading)
            else:  # the heading with its own colon (Chinese takes a full-width one)
                self.write(f"{'':>{self.current_indent}}{t(key)}\n")

        def write_dl(self, rows: Any, *args: Any, **kwargs: Any) -> None:
            rows = [(term, _notes_in(text, t)) for term, text in rows]
            super().write_dl(rows, *args, **kwargs)

    class Context(base):  # type: ignore[misc]
        formatter_class = Formatter

    return Context


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
