"""A value pydantic refused (a setting, a request's field), said in the reader's language.

One place for both the settings' errors on the command line and the web API's 422 answers:
pydantic's kind of error (``int_parsing``, ``missing``…) names the message; its context
(a limit, the choices) fills it. A kind without a message here, and the project's own
checks (``value_error``, which say more than a kind can), keep pydantic's English.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from smartcounter.i18n import Translator, messages

_QUOTED = re.compile(r"'[^']*'")


def problem_said(t: Translator, kind: str, context: Mapping[str, object], detail: str) -> str:
    """What is wrong with one value, in ``t``'s language."""
    key = f"app.problem.{kind}"
    if key not in messages(t.lang):
        return detail.removeprefix("Value error, ")
    params = {k: str(v) for k, v in context.items()}
    if "expected" in params:  # pydantic's "'zh' or 'en'": the choices, listed our way
        choices = _QUOTED.findall(params["expected"])
        if choices:
            params["expected"] = t("app.problem_choice_sep").join(choices)
    return t(key, **params)
