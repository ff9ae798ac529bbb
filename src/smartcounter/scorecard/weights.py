"""Scorecard weights: the settings' ``[scorecard.<role>]``, or a bank's own TOML file over them."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from smartcounter.settings import ScorecardWeights


class WeightsError(ValueError):
    """A weights file that cannot be used; the message says why."""


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def load_weights(base: ScorecardWeights, path: Path | None = None) -> ScorecardWeights:
    """``base`` with ``path``'s role tables over it key by key.

    The file holds ``[scorecard.<role>]`` tables (as in ``smartcounter.toml``) or ``[<role>]``
    tables at the top; a weight of 0 drops a part of that role.
    """
    if path is None:
        return base
    try:
        body = tomllib.loads(path.read_text("utf-8-sig"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise WeightsError(f"{path}: {exc}") from exc
    table = body.get("scorecard", body)
    if not isinstance(table, dict):
        raise WeightsError(f"{path}: [scorecard] is not a table")
    try:
        return ScorecardWeights.model_validate(_merge(base.model_dump(), table))
    except ValidationError as exc:
        detail = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'scorecard'}: {e['msg']}" for e in exc.errors()
        )
        raise WeightsError(f"{path}: {detail}") from exc
