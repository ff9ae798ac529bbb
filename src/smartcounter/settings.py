"""One typed settings object, built once and passed in (never read as module constants).

Sources, later ones winning: the defaults here, a TOML file (``SMARTCOUNTER_CONFIG`` or
``smartcounter.toml`` in the store folder), environment variables ``SMARTCOUNTER_*``, and
the command line.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from smartcounter.store.layout import default_store_path

CONFIG_FILE_NAME = "smartcounter.toml"


class SparkSettings(BaseModel):
    """How to reach Spark: ``local[2]`` on one machine, ``spark://host:7077`` for a cluster."""

    master: str = "local[2]"
    shuffle_partitions: int = 4
    driver_memory: str = "2g"
    extra_conf: dict[str, str] = Field(default_factory=dict)


class BulletinSettings(BaseModel):
    """What the weekly bulletin calls good enough and how far back it looks."""

    target_rate: float = 0.90
    trend_weeks: int = 8
    min_migratable: int = 30


class ScorecardWeights(BaseModel):
    """Weights of the staff scorecard (BSC); each part is scored 0–100 first."""

    migration: float = 0.4
    triage_acceptance: float = 0.3
    triage_coverage: float = 0.1
    director: float = 0.2


class Settings(BaseSettings):
    """Everything configurable, in one place."""

    model_config = SettingsConfigDict(env_prefix="SMARTCOUNTER_", env_nested_delimiter="__", extra="ignore")

    store: Path = Field(default_factory=default_store_path)
    lang: Literal["zh", "en"] = "zh"
    timezone: str = "Asia/Shanghai"
    catalogue: Path | None = None
    engine: Literal["duckdb", "spark"] = "duckdb"
    spark: SparkSettings = Field(default_factory=SparkSettings)
    bulletin: BulletinSettings = Field(default_factory=BulletinSettings)
    scorecard: ScorecardWeights = Field(default_factory=ScorecardWeights)
    database_url: str | None = None
    secret_key: str = "change-me"
    import_wait_seconds: float = 300.0


def _config_file(store: Path | None) -> Path | None:
    explicit = os.environ.get("SMARTCOUNTER_CONFIG")
    if explicit:
        return Path(explicit)
    if store is not None and (store / CONFIG_FILE_NAME).exists():
        return store / CONFIG_FILE_NAME
    return None


def load_settings(**overrides: Any) -> Settings:
    """Build the settings: defaults, config file, environment, then ``overrides`` (non-None)."""
    given = {k: v for k, v in overrides.items() if v is not None}
    store_hint = given.get("store") or os.environ.get("SMARTCOUNTER_STORE")
    config = _config_file(Path(store_hint) if store_hint else None)
    from_file: dict[str, Any] = {}
    if config is not None and config.exists():
        from_file = tomllib.loads(config.read_text("utf-8"))
    base = Settings()
    merged = base.model_dump()
    for key, value in from_file.items():
        if key in merged and isinstance(merged[key], dict) and isinstance(value, dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    # Environment variables win over the file: re-read them on top.
    env_only = Settings.model_validate({}).model_dump(exclude_defaults=True)
    merged.update(env_only)
    merged.update(given)
    return Settings.model_validate(merged)
