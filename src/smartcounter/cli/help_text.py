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
import unicodedata
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


_BILINGUAL = re.compile(
    r"(?P<zh>.*[\u2e80-\u9fff\u3000-\u303f\uff00-\uffef])\s*(?P<en>[A-Z][^\u2e80-\u9fff]*)",
    re.DOTALL,
)


def one_language(text: str, lang: Lang) -> str:
    """A command's description written "中文。English." as the part in ``lang`` (the whole
    text when it is not written so)."""
    found = _BILINGUAL.fullmatch(text.strip())
    if found is None:
        return text
    return found["zh"] if lang is Lang.ZH else found["en"]


def in_language(command: Any, lang: Lang) -> None:
    """Put ``command``'s help (and its subcommands', for a group) in ``lang``."""
    for name in ("help", "short_help"):
        text = getattr(command, name, None)
        if text:
            setattr(command, name, one_language(text, lang))
    for sub in getattr(command, "commands", {}).values():
        in_language(sub, lang)
    # The usage line and headings in every language (English too: ``NAME``, not ``{name}``).
    command.context_class = _context_in(lang, command.context_class)
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


# The parser's words around the options: the headings and the notes in brackets.
_HEADINGS = {"Options": "help.options", "Arguments": "help.arguments", "Commands": "help.commands"}
_NOTES = {"default": "help.default", "env var": "help.env_var", "required": "help.required"}
_BRACKETS = re.compile(r"\[([^\[\]]*)\]\s*$")
# The parser's placeholders: in the usage line, and for an option's value (``<str>``, and
# ``<list[Path]>`` for an argument given many times).
_USAGE_WORDS = {"[OPTIONS]": "options", "COMMAND": "command", "[ARGS]...": "args"}
_REQUIRED = re.compile(r"\{([A-Za-z_]+)\}")
_VALUE = re.compile(r"<(?:list\[)?([A-Za-z]+)(\])?>")
_VALUES = {"str", "path", "int", "float", "id"}


def usage_in(args: str, t: Translator) -> str:
    """The placeholders of a usage line (``[OPTIONS]``, …) in ``t``'s language; a required
    argument as cli.md writes it (``NAME``, ``PATHS...``), not Typer's ``{name}``."""
    words = _REQUIRED.sub(lambda found: found[1].upper(), args).split(" ")
    return " ".join(
        t(f"help.placeholder.{_USAGE_WORDS[w]}") if w in _USAGE_WORDS else w for w in words
    )


def _values_in(term: str, t: Translator) -> str:
    """An option's value placeholders (``<str>``) in ``t``'s language; a list as ``<x>...``."""

    def said(found: re.Match[str]) -> str:
        name = found[1].lower()
        if name not in _VALUES:
            return found[0]
        word = f"<{t(f'help.placeholder.{name}')}>"
        return word + "..." if found[2] else word

    return _VALUE.sub(said, term)


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
    return text[: found.start()] + "[" + t("help.note_separator").join(parts) + "]"


@cache
def _context_in(lang: Lang, base: type[Any]) -> type[Any]:
    """A context class of the parser's whose help pages write their headings, the usage
    line and the notes in brackets in ``lang``."""
    t = Translator(lang)
    formatter_base: Any = base.formatter_class

    class Formatter(formatter_base):  # type: ignore[misc]
        def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
            super().write_usage(prog, usage_in(args, t), t("help.usage"))

        def write_heading(self, heading: str) -> None:
            key = _HEADINGS.get(heading)
            if key is None:
                super().write_heading(heading)
            else:  # the heading with its own colon (Chinese takes a full-width one)
                self.write(f"{'':>{self.current_indent}}{t(key)}\n")

        def write_dl(self, rows: Any, col_max: int = 30, col_spacing: int = 2) -> None:
            # As the parser lays out a list of terms and texts, but the text wrapped where
            # Chinese may break (cjk_wrap), and measured as a terminal shows it.
            rows = [(_values_in(term, t), _notes_in(text, t)) for term, text in rows]
            first_col = min(max((width_of(a) for a, _ in rows), default=0), col_max)
            first_col += col_spacing
            for term, text in rows:
                self.write(f"{'':>{self.current_indent}}{term}")
                if not text:
                    self.write("\n")
                    continue
                if width_of(term) <= first_col - col_spacing:
                    self.write(" " * (first_col - width_of(term)))
                else:
                    self.write("\n" + " " * (first_col + self.current_indent))
                lines = _wrapped_with_note(text, max(self.width - first_col - 2, 10))
                self.write(f"{lines[0]}\n")
                for line in lines[1:]:
                    self.write(f"{'':>{first_col + self.current_indent}}{line}\n")

        def write_text(self, text: str) -> None:
            indent = " " * self.current_indent
            for line in cjk_wrap(text, max(self.width - self.current_indent, 11)):
                self.write(f"{indent}{line}\n")

    class Context(base):  # type: ignore[misc]
        formatter_class = Formatter

    return Context


# Characters a line may not begin with (Chinese line-breaking rules), and the wide ones.
_NO_LINE_START = set("、，。；：！？）》」』】…,.;:!?)]")
# … and the opening marks a line may not end with.
_NO_LINE_END = set("（《「『【“‘([")


def width_of(text: str) -> int:
    """Columns ``text`` takes in a terminal: two for each wide (Chinese) character."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _tokens(text: str) -> list[str]:
    """``text`` as the pieces a line may break between: a run of spaces, a word of other
    characters, or one wide character (with the punctuation that must follow it, and
    after an opening mark)."""
    found = re.findall(r"\s+|[^\s\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]+|\S", text)
    tokens: list[str] = []
    for piece in found:
        glued = piece[0] in _NO_LINE_START or tokens[-1][-1] in _NO_LINE_END if tokens else False
        if glued and not tokens[-1].isspace() and not piece.isspace():
            tokens[-1] += piece
        else:
            tokens.append(piece)
    return tokens


def cjk_wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` columns, broken between Chinese characters or
    at spaces, never inside a word of Latin letters (unless it is longer than a line) and
    never before a closing mark; paragraphs (blank lines) kept."""
    out: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        line = ""
        for token in _tokens(" ".join(paragraph.split())):
            if token.isspace():
                if line:
                    line += " "
                continue
            if width_of(line) + width_of(token) > width and line.strip():
                out.append(line.rstrip())
                line = ""
            while width_of(token) > width:  # a word longer than a line: cut it
                cut = len(token)
                while cut > 1 and width_of(token[:cut]) > width:
                    cut -= 1
                out.append(token[:cut])
                token = token[cut:]
            line += token
        out.append(line.rstrip())
        out.append("")
    return out[:-1] or [""]


def _wrapped_with_note(text: str, width: int) -> list[str]:
    """``text`` wrapped, its trailing note in brackets kept whole: on the last line when it
    fits there, else on a line of its own."""
    found = _BRACKETS.search(text)
    if found is None or found.start() == 0:
        return cjk_wrap(text, width)
    lines, note = cjk_wrap(text[: found.start()], width), found.group(0).strip()
    if width_of(lines[-1]) + 2 + width_of(note) <= width:
        lines[-1] += "  " + note
    else:
        lines.append(note)
    return lines


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
