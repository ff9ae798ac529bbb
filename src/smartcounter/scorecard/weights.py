"""Scorecard weights: the settings' ``[scorecard]``, or a bank's own TOML file over them."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import ValidationError

from smartcounter.settings import ScorecardWeights

# The scored parts, each 0–100 before weighting.
PARTS = ("migration", "triage_acceptance", "triage_coverage", "director")


class WeightsError(ValueError):
    """A weights file that cannot be used; the message says why."""


def load_weights(base: ScorecardWeights, path: Path | None = None) -> ScorecardWeights:
    """``base`` with the keys of ``path`` (a ``[scorecard]`` table, or keys at the top) over it."""
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
        weights = ScorecardWeights.model_validate({**base.model_dump(), **table})
    except ValidationError as exc:
        raise WeightsError(f"{path}: {exc}") from exc
    parts = [getattr(weights, name) for name in PARTS]
    if any(v < 0 for v in parts) or sum(parts) <= 0:
        raise WeightsError(f"{path}: weights must be at least 0 and not all 0")
    return weights
