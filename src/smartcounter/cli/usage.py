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

from smartcounter.i18n import DEFAULT_LANG, Lang, Translator, parse_lang
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
        return DEFAULT_LANG  # no file, or a broken one (the command reports that, not this)
    return (parse_lang(lang) if isinstance(lang, str) else None) or DEFAULT_LANG


def is_usage_error(error: BaseException) -> bool:
    """True for an error of the parser that it shows to the user (click's ``ClickException``
    as typer has it), told by what it does rather than by a class of typer's internals."""
    return all(hasattr(error, a) for a in ("show", "exit_code", "format_message", "message"))


def _kinds(error: BaseException) -> set[str]:
    """The names of the classes ``error`` is an instance of (``MissingParameter``, …)."""
    return {cls.__name__ for cls in type(error).__mro__}


def in_words(error: Any, t: Translator) -> str:
    """What went wrong, in ``t``'s language; the parser's words where the kind is unknown."""
    kinds = _kinds(error)
    if "MissingParameter" in kinds:
        param = getattr(error, "param", None)
        kind = str(getattr(error, "param_type", None) or getattr(param, "param_type_name", ""))
        key = {"option": "usage.missing_option", "argument": "usage.missing_argument"}.get(
            kind, "usage.missing_parameter"
        )
        return t(key, option=_hint(error))
    if "BadParameter" in kinds:
        return t("usage.invalid_value", option=_hint(error), detail=_value_problem(error, t))
    if "NoSuchOption" in kinds:
        name = getattr(error, "option_name", "")
        possibilities = getattr(error, "possibilities", None)
        if possibilities:
            options = t("usage.list_separator").join(sorted(possibilities))
            return t("usage.no_such_option_like", name=name, options=options)
        return t("usage.no_such_option", name=name)
    if "BadOptionUsage" in kinds:
        name = getattr(error, "option_name", "")
        message = str(error.message)
        if message.endswith("requires an argument."):
            return t("usage.needs_value", name=name)
        counted = _NEEDS_VALUES.search(message)
        if counted:
            return t("usage.needs_values", name=name, count=counted["count"])
        if message.endswith("does not take a value."):
            return t("usage.takes_no_value", name=name)
        return str(error.format_message())
    if "FileError" in kinds:
        name = getattr(error, "ui_filename", getattr(error, "filename", ""))
        return t("usage.file_error", name=name, detail=error.message)
    message = str(error.format_message())
    extra = _EXTRA.match(message)
    if extra:
        return t("usage.extra_arguments", args=extra["args"])
    command = _NO_SUCH_COMMAND.match(message)
    if command:
        return t("usage.no_such_command", name=command["name"].strip("'\""))
    if message == "Missing command.":
        return t("usage.missing_command")
    return message


# pydantic's kinds of error (typer checks values with it) → our message and its limit.
_LIMITS = {
    "greater_than_equal": ("usage.at_least", "ge"),
    "less_than_equal": ("usage.at_most", "le"),
    "greater_than": ("usage.above", "gt"),
    "less_than": ("usage.below", "lt"),
}
_KINDS = {
    "int_parsing": "usage.not_whole_number",
    "int_type": "usage.not_whole_number",
    "int_from_float": "usage.not_whole_number",
    "float_parsing": "usage.not_number",
    "float_type": "usage.not_number",
    "bool_parsing": "usage.not_boolean",
}


def _value_problem(error: Any, t: Translator) -> str:
    """Why a value was refused: from pydantic's account of it when there is one."""
    detail = str(error.message)
    found = _NOT_ONE_OF.match(detail)
    if found:
        choices = t("usage.list_separator").join(_unquoted(found["choices"]))
        return t("usage.not_one_of", value=found["value"].strip("'\""), choices=choices)
    cause = error.__cause__
    errors = getattr(cause, "errors", None)
    if not callable(errors):
        return detail
    try:
        first = errors()[0]
    except (IndexError, TypeError):
        return detail
    kind, value = first.get("type"), str(first.get("input"))
    if kind in _KINDS:
        return t(_KINDS[kind], value=value)
    if kind in _LIMITS:
        key, name = _LIMITS[kind]
        limit = (first.get("ctx") or {}).get(name)
        if limit is not None:
            return t(key, value=value, limit=limit)
    return detail


def _hint(error: Any) -> str:
    hint: Any = getattr(error, "param_hint", None)
    param = getattr(error, "param", None)
    if hint is None and param is not None:
        hint = param.get_error_hint()
    if hint is None:
        return ""
    # The option as it is typed (``--format``); the message quotes it as its language does.
    return hint.strip("'") if isinstance(hint, str) else " / ".join(hint)


def _unquoted(listed: str) -> list[str]:
    """``'table', 'csv', 'json'`` as its values."""
    quoted = re.findall(r"'([^']*)'", listed)
    return quoted or [v.strip() for v in listed.split(",")]


def show(error: Any, lang: Lang, file: IO[Any] | None = None) -> None:
    """Print ``error`` as the parser would, in ``lang``: the usage line, where help is,
    what went wrong."""
    out = file or sys.stderr
    t = Translator(lang)
    ctx = getattr(error, "ctx", None)
    if ctx is not None:
        usage = ctx.get_usage()
        for prefix in ("Usage:", t("help.usage").strip()):  # the parser's, or our help's
            if usage.startswith(prefix):
                usage = usage[len(prefix) :].strip()
                break
        from smartcounter.cli.help_text import usage_in

        print(t("usage.usage", usage=usage_in(usage, t)), file=out)
        if ctx.command.get_help_option(ctx) is not None:
            print(
                t(
                    "usage.try_help",
                    command=ctx.command_path,
                    option=max(ctx.help_option_names, key=len),
                ),
                file=out,
            )
        print(file=out)
    print(t("usage.error", message=in_words(error, t)), file=out)


def speak(error: Any, args: Sequence[str]) -> None:
    """Have ``error`` shown in the language of the run when the parser shows it."""
    if "NoArgsIsHelpError" in _kinds(error):
        return  # the help page itself, not an error
    lang = usage_lang(args)

    def show_in_lang(file: IO[Any] | None = None) -> None:
        show(error, lang, file)

    error.show = show_in_lang
