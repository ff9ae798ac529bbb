"""Usage errors in the user's language.

The parser under the command line (typer) words its errors in English: ``Missing option
'--by'``, ``No such command``. Every user-visible string of the project goes through the
one translation layer (``i18n``), so these do too: the error is worded again from what it
carries (its kind, the option, the values) in the language of the run — ``--lang``, else
``SMARTCOUNTER_LANG``, else the settings file's ``lang``, else Chinese. An error of a kind not
known here keeps the parser's own words, after the translated ``Error:``.
"""

from __future__ import annotations

import os
import re
import sys
import tomllib
from collections.abc import Sequence
from typing import IO, Any

from typer._click import exceptions as parser_errors

from smartcounter.i18n import Lang, Translator
from smartcounter.store.paths import config_file

# ``Value error, 'xml' is not one of 'table', 'csv', 'json'`` (an enum option's check).
_NOT_ONE_OF = re.compile(r"^(?:Value error, )?(?P<value>.+?) is not one of (?P<choices>.+?)\.?$")
_NEEDS_VALUES = re.compile(r"requires (?P<count>\d+) arguments")
_EXTRA = re.compile(r"^Got unexpected extra arguments? ?(?:\(s\))? ?\((?P<args>.*)\)$")
_NO_SUCH_COMMAND = re.compile(r"^No such command (?P<name>.+?)\.$")


def option_value(args: Sequence[str], name: str) -> str | None:
    """The value given to option ``name`` (``--lang en`` or ``--lang=en``) in ``args``."""
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg == name and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def parse_lang(value: str) -> Lang | None:
    """``value`` as a language (``zh``, ``en``, ``zh_CN``, ``en-GB`` …), None if it is none."""
    raw = value.strip().lower()
    for lang in Lang:
        if raw.startswith(lang.value):
            return lang
    return None


def usage_lang(args: Sequence[str]) -> Lang:
    """The language of a run with ``args``, read without running it (nothing may fail)."""
    for given in (option_value(args, "--lang"), os.environ.get("SMARTCOUNTER_LANG")):
        if given and (lang := parse_lang(given)) is not None:
            return lang
    # The settings file's ``lang``, read without the settings library (``--help`` is quick).
    try:
        text = config_file(option_value(args, "--store")).read_text("utf-8-sig")
        lang = tomllib.loads(text).get("lang")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return Lang.ZH  # no file, or a broken one (the command reports that, not this)
    return (parse_lang(lang) if isinstance(lang, str) else None) or Lang.ZH


def in_words(error: parser_errors.ClickException, t: Translator) -> str:
    """What went wrong, in ``t``'s language; the parser's words where the kind is unknown."""
    if isinstance(error, parser_errors.MissingParameter):
        name = _hint(error)
        kind = error.param_type or (error.param.param_type_name if error.param else "parameter")
        key = {"option": "usage.missing_option", "argument": "usage.missing_argument"}.get(
            kind, "usage.missing_parameter"
        )
        return t(key, name=name)
    if isinstance(error, parser_errors.BadParameter):
        detail = error.message
        found = _NOT_ONE_OF.match(detail)
        if found:
            detail = t("usage.not_one_of", value=found["value"], choices=found["choices"])
        return t("usage.invalid_value", name=_hint(error), detail=detail)
    if isinstance(error, parser_errors.NoSuchOption):
        said = t("usage.no_such_option", name=error.option_name)
        if error.possibilities:
            options = ", ".join(sorted(error.possibilities))
            said = t("usage.possible_options", message=said, options=options)
        return said
    if isinstance(error, parser_errors.BadOptionUsage):
        if error.message.endswith("requires an argument."):
            return t("usage.needs_value", name=error.option_name)
        counted = _NEEDS_VALUES.search(error.message)
        if counted:
            return t("usage.needs_values", name=error.option_name, count=counted["count"])
        if error.message.endswith("does not take a value."):
            return t("usage.takes_no_value", name=error.option_name)
        return error.format_message()
    if isinstance(error, parser_errors.FileError):
        return t("usage.file_error", name=error.ui_filename, detail=error.message)
    message = error.format_message()
    extra = _EXTRA.match(message)
    if extra:
        return t("usage.extra_arguments", args=extra["args"])
    command = _NO_SUCH_COMMAND.match(message)
    if command:
        return t("usage.no_such_command", name=command["name"])
    if message == "Missing command.":
        return t("usage.missing_command")
    return message


def _hint(error: parser_errors.BadParameter) -> str:
    hint: Any = error.param_hint
    if hint is None and error.param is not None:
        hint = error.param.get_error_hint()
    if hint is None:
        return ""
    return hint if isinstance(hint, str) else " / ".join(repr(h) for h in hint)


def show(error: parser_errors.ClickException, lang: Lang, file: IO[Any] | None = None) -> None:
    """Print ``error`` as the parser would, in ``lang``: the usage line, where help is,
    what went wrong."""
    out = file or sys.stderr
    t = Translator(lang)
    ctx = getattr(error, "ctx", None)
    if ctx is not None:
        usage = ctx.get_usage()
        usage = usage.split(":", 1)[1].strip() if usage.startswith("Usage:") else usage
        print(t("usage.usage", usage=usage), file=out)
        if ctx.command.get_help_option(ctx) is not None:
            print(
                t("usage.try_help", command=ctx.command_path, option=ctx.help_option_names[0]),
                file=out,
            )
        print(file=out)
    print(t("usage.error", message=in_words(error, t)), file=out)


def speak(error: parser_errors.ClickException, args: Sequence[str]) -> None:
    """Have ``error`` shown in the language of the run when the parser shows it."""
    if isinstance(error, parser_errors.NoArgsIsHelpError):
        return  # the help page itself, not an error
    lang = usage_lang(args)

    def show_in_lang(file: IO[Any] | None = None) -> None:
        show(error, lang, file)

    error.show = show_in_lang  # type: ignore[method-assign]
