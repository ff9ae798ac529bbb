"""One typed settings object, built once and passed in (never read as module constants).

Sources, later ones winning: the defaults here, a TOML file (``SMARTCOUNTER_CONFIG`` or
``smartcounter.toml`` in the store folder), environment variables ``SMARTCOUNTER_*``, and
the command line; all read by pydantic-settings' own sources, so tables merge key by key.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)
from pydantic_settings.sources.types import Traversable

from smartcounter.scorecard.roles import MOVABLE, PARTS, ROLES
from smartcounter.store.paths import config_file, default_store_path


class Section(BaseModel):
    """A table of the settings: a key it does not know is an error that names it (a typo in
    ``[spark] mastr`` would otherwise be ignored without a word)."""

    model_config = ConfigDict(extra="forbid")


class SparkSettings(Section):
    """How to reach Spark: ``local[2]`` on one machine, ``spark://host:7077`` for a cluster."""

    master: str = "local[2]"
    shuffle_partitions: int = 4
    driver_memory: str = "2g"
    extra_conf: dict[str, str] = Field(default_factory=dict)


class BulletinSettings(Section):
    """What the weekly bulletin calls good enough and how far back it looks."""

    target_rate: float = 0.90
    trend_weeks: int = 8
    min_migratable: int = 30
    movers: int = 5  # biggest rises and falls listed
    pareto_rows: int = 10  # items of a network-wide Pareto shown (the workbook has all)
    branch_pareto_rows: int = 5  # items of a branch page's Pareto
    # The issuing block (发文单位, 期号, 日期) on the cover. ``issuer`` None: the catalogue's
    # default; the issue number counts weeks from ``first_issue_week`` (issue 1), or is the
    # ISO week number of the year when it is not set.
    issuer: str | None = None
    first_issue_week: str | None = None
    # The order of regions (cities) wherever branches are listed by region; regions not
    # named follow in the order of their names. Default: Jiangsu's cities in the
    # province's official order.
    region_order: list[str] = Field(
        default_factory=lambda: [
            "南京",
            "无锡",
            "徐州",
            "常州",
            "苏州",
            "南通",
            "连云港",
            "淮安",
            "盐城",
            "扬州",
            "镇江",
            "泰州",
            "宿迁",
        ]
    )


class PublishSettings(Section):
    """How the weekly bulletin is sent (``smartcounter publish``): SMTP and a group-chat robot.

    The password is never a setting's value: ``smtp_password_file`` names a file holding it,
    or the environment variable ``SMARTCOUNTER_SMTP_PASSWORD`` gives it.
    """

    smtp_host: str | None = None
    smtp_port: int = 587
    starttls: bool = True
    smtp_user: str | None = None
    smtp_password_file: Path | None = None
    sender: str | None = None
    # The centre's reviewers (drafts) and, by region, the regional managers (approved issues).
    reviewers: list[str] = Field(default_factory=list)
    centre: list[str] = Field(default_factory=list)
    regions: dict[str, list[str]] = Field(default_factory=dict)
    # Whether lobby managers get their branch's page too, beside the director.
    lobby_managers: bool = False
    # A WeCom / DingTalk group robot's address; None: no group-chat notice.
    webhook_url: str | None = None
    webhook_kind: Literal["wecom", "dingtalk"] = "wecom"
    timeout_seconds: float = 30.0

    @field_validator("webhook_url")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        """An http(s) address, checked when the settings load: not after the mail has gone."""
        if value is None or not value.strip():
            return None
        from urllib.parse import urlsplit

        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http:// or https:// address (the group robot's webhook)")
        return value.strip()


def scorecard_defaults() -> dict[str, Any]:
    """The shipped scorecards of the roles (``scorecard/defaults.toml`` in the package)."""
    from importlib import resources

    text = (resources.files("smartcounter.scorecard") / "defaults.toml").read_text("utf-8")
    return tomllib.loads(text)


class ScorecardWeights(Section):
    """Each role's scorecard (BSC): its parts and their weights; each part is 0–100 first.

    A part of a role is one with a weight above 0; only parts the role can move are
    accepted (``scorecard/roles.py``). ``role_of`` scores a staff.csv role as another.
    """

    greeter: dict[str, float]
    lobby_manager: dict[str, float]
    stm_specialist: dict[str, float]
    teller: dict[str, float]
    wealth_manager: dict[str, float]
    director: dict[str, float]
    role_of: dict[str, str]

    @model_validator(mode="before")
    @classmethod
    def _over_defaults(cls, data: Any) -> Any:
        # A bank's file may name one weight of one role; the rest stays the shipped default.
        if isinstance(data, dict):
            return _deep_merge(scorecard_defaults(), data)
        return data

    @model_validator(mode="after")
    def _movable_only(self) -> ScorecardWeights:
        for role in ROLES:
            table: dict[str, float] = getattr(self, role)
            outside = sorted(set(table) - MOVABLE[role])
            if outside:
                raise ValueError(
                    f"[scorecard.{role}]: {', '.join(outside)} cannot be moved by this role "
                    f"(it may have {', '.join(sorted(MOVABLE[role]))})"
                )
            if any(w < 0 for w in table.values()) or sum(table.values()) <= 0:
                raise ValueError(f"[scorecard.{role}]: weights must be at least 0 and not all 0")
        unknown = sorted(v for v in self.role_of.values() if v not in ROLES)
        if unknown:
            raise ValueError(f"[scorecard.role_of]: not a scorecard role: {', '.join(unknown)}")
        return self

    def role(self, staff_role: str | None) -> str | None:
        """The scorecard role of a staff.csv role; None if it has no scorecard."""
        if staff_role is None:
            return None
        scored = self.role_of.get(staff_role, staff_role)
        return scored if scored in ROLES else None

    def of(self, role: str) -> dict[str, float]:
        """The weights of ``role``'s parts (weight above 0), in the order of the parts."""
        table: dict[str, float] = getattr(self, role)
        return {p: float(table[p]) for p in PARTS if table.get(p, 0) > 0}


DEFAULT_CUSTOMER_KEY = "smartcounter-default-customer-key"


class LobbySettings(Section):
    """The lobby service: queue behaviour, wait-estimate defaults, sessions and rules."""

    no_show_after: int = Field(default=3, ge=1, le=20)
    # A no-show may be called back, keeping their visit, within this many minutes.
    no_show_recall_minutes: float = Field(default=30.0, ge=0, le=24 * 60)
    # Card and account numbers are kept only as HMAC-SHA256 under this key (the same key
    # links a customer's visits). Set your own; the default is logged as a warning.
    customer_key: str = Field(default=DEFAULT_CUSTOMER_KEY, min_length=16)
    service_seconds: dict[str, float] = Field(
        default_factory=lambda: {"teller": 300.0, "stm": 240.0, "wealth": 900.0}
    )
    authorisation_seconds: float = 60.0
    slow_factor: float = 1.6
    recent_services: int = 20
    rules: Path | None = None
    session_hours: float = 12.0
    cookie_secure: bool = False
    events_poll_seconds: float = 1.0
    events_heartbeat_seconds: float = 15.0
    # Requests reading, and requests writing, the database at once, per worker: below
    # the web thread pool (40); the worker keeps a connection for each. More writers
    # queued on one ticket counter cost PostgreSQL CPU and bring nothing on two cores.
    database_slots: int = Field(default=4, ge=1, le=39)
    load_cache_seconds: float = 2.0
    # How long a worker keeps a branch's queues and terminals, and a verified login or
    # device token, before reading them again; a change made in the worker itself is
    # seen at once, one made in another worker after about this long.
    setup_cache_seconds: float = Field(default=2.0, ge=0, le=60)
    credential_cache_seconds: float = Field(default=5.0, ge=0, le=60)
    # Served over HTTPS (directly or behind a TLS reverse proxy): cookies are sent with
    # ``Secure`` and every response carries HSTS for ``hsts_seconds``.
    https: bool = False
    hsts_seconds: int = Field(default=31_536_000, ge=0)
    # Passwords: at least this long, with letters and digits, and not the user name.
    password_min_length: int = Field(default=10, ge=8, le=128)
    # Logins: this many failures of one account (or from one client address) within
    # the window lock it (or them) out for ``login_lockout_minutes``. Banks whose staff
    # share one address (NAT) may raise the address limit.
    login_max_failures: int = Field(default=10, ge=1, le=1000)
    login_address_max_failures: int = Field(default=10, ge=1, le=100_000)
    login_failure_window_minutes: float = Field(default=15.0, gt=0, le=24 * 60)
    login_lockout_minutes: float = Field(default=15.0, gt=0, le=24 * 60)

    @model_validator(mode="after")
    def _https_cookies(self) -> LobbySettings:
        # One switch for HTTPS: every cookie of the service becomes ``Secure`` with it.
        if self.https:
            self.cookie_secure = True
        return self


class BenchmarkRule(Section):
    """How benchmarks (树典型) are picked: steady over weeks, with volume, on a lower bound."""

    weeks: int = Field(ge=1, le=52)
    per_group: int = Field(ge=1)
    min_migratable_per_week: int = Field(ge=0)
    min_active_share: float = Field(ge=0, le=1)
    min_weeks_above_peer_share: float = Field(ge=0, le=1)
    bar_quantile: float = Field(ge=0, le=1)
    judge_on: Literal["shrunk", "wilson"]


class LaggingRule(Section):
    """Which branches lag (结对子's 后进): the rule and how sure it must be."""

    weeks: int = Field(ge=1, le=52)
    rule: Literal["below_target", "bottom_quartile", "either", "both"]
    certainty: Literal["shrunk", "wilson", "none"]
    target: float | None = None  # None: the bulletin's target rate
    quartile: float = Field(gt=0, lt=1)


class AdvancedRule(Section):
    """Which branches may help (结对子's 先进): the rule and how sure it must be."""

    rule: Literal["above_target", "top_quartile", "either", "both"]
    certainty: Literal["shrunk", "wilson", "none"]
    quartile: float = Field(gt=0, lt=1)


class SimilarityWeights(Section):
    """Weights of the parts of the pairing similarity (each part is 0..1 first)."""

    size: float = Field(ge=0)
    business_mix: float = Field(ge=0)
    age_mix: float = Field(ge=0)
    region: float = Field(ge=0)


class PairingSettings(Section):
    """How lagging branches are paired with advanced ones."""

    cap: int = Field(ge=1)
    peer_group_first: bool
    size_ratio_floor: float = Field(gt=1)  # a size ratio this large makes size similarity 0
    similarity: SimilarityWeights


class DiagnosisSettings(Section):
    """What the gap diagnosis (会诊) calls material and how much it recommends."""

    max_recommendations: int = Field(ge=1, le=3)
    min_points: float = Field(ge=0)
    coverage_margin: float = Field(ge=0, le=1)
    acceptance_margin: float = Field(ge=0, le=1)
    peak_hours: int = Field(ge=1, le=24)


class RoleCosts(Section):
    """What an hour of each role and of a smart counter costs (yuan), for ``simulate optimise``."""

    teller: float = Field(default=90.0, ge=0)
    specialist: float = Field(default=80.0, ge=0)
    greeter: float = Field(default=50.0, ge=0)
    lobby_manager: float = Field(default=100.0, ge=0)
    smart_counter: float = Field(default=15.0, ge=0)  # upkeep and depreciation per open hour


class SimulationSettings(Section):
    """The lobby simulator: replications, calibration, and what the store cannot tell it."""

    replications: int = Field(default=30, ge=2, le=5000)
    weeks: int = Field(default=4, ge=1, le=52)  # weeks of history a branch is calibrated from
    seed: int = 20180305
    # Simulated method of moments: rounds of simulate-and-adjust after the first guess; each
    # round simulates at least this many weeks, and enough of them for this many visits with
    # migratable business (small branches need more weeks for the same precision).
    calibration_rounds: int = Field(default=4, ge=1, le=20)
    calibration_replications: int = Field(default=3, ge=1, le=500)
    calibration_visits: int = Field(default=2500, ge=0)
    walk_seconds: float = Field(default=30.0, ge=0)  # from the hall to a smart counter
    repromotion_seconds: float = Field(default=30.0, ge=0)  # a teller's stage-3 pitch
    patience_minutes: float = Field(default=30.0, gt=0)  # mean; first guess before fitting
    # Weibull shape of patience: above 1, hardly anyone gives up in the first minutes.
    patience_shape: float = Field(default=3.0, gt=0)
    # Device faults per device and opening day: the store's count is shrunk towards this
    # prior with the weight of ``fault_prior_days`` device-days (faults are rare).
    fault_rate: float = Field(default=0.012, ge=0, le=1)
    fault_prior_days: float = Field(default=60.0, ge=0)
    # Share of smart-counter sessions that run slow; 0 by default because the store's
    # service times already hold the slow sessions of the past.
    slow_share: float = Field(default=0.0, ge=0, le=1)
    min_service_samples: int = Field(default=20, ge=1)  # else the network's service times
    # Coverage of a triage stage that a what-if starts and that no branch of the network
    # practises (otherwise the network's median coverage of that stage is used).
    new_stage_coverage: tuple[float, float, float] = (0.85, 0.6, 0.6)
    cash_split_share: float = Field(default=0.3, ge=0, le=1)  # composite visits split ≥ this
    not_supported_share: float = Field(default=0.5, ge=0, le=1)  # business left to tellers
    backup_share: float = Field(default=0.02, ge=0, le=1)  # tellers authorising ≥ this
    confidence: float = Field(default=0.95, gt=0, lt=1)
    costs: RoleCosts = RoleCosts()
    # The staffing optimisation (simulate optimise, the dashboards): weeks per plan searched.
    plan_replications: int = Field(default=8, ge=2, le=200)


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def programme_defaults() -> dict[str, Any]:
    """The shipped defaults of the programme (``programme/defaults.toml`` in the package)."""
    from importlib import resources

    text = (resources.files("smartcounter.programme") / "defaults.toml").read_text("utf-8")
    return tomllib.loads(text)


class ProgrammeSettings(Section):
    """Benchmarks, lagging and advanced rules, pairing and diagnosis; defaults from a TOML file."""

    benchmarks: BenchmarkRule
    lagging: LaggingRule
    advanced: AdvancedRule
    pairing: PairingSettings
    diagnosis: DiagnosisSettings

    @model_validator(mode="before")
    @classmethod
    def _over_defaults(cls, data: Any) -> Any:
        # A bank's file may name a single key deep down; the rest stays the shipped default.
        if isinstance(data, dict):
            return _deep_merge(programme_defaults(), data)
        return data


def _programme_settings() -> ProgrammeSettings:
    return ProgrammeSettings.model_validate({})


@dataclass(frozen=True)
class ConfigProblem:
    """One unusable value: where it was given, pydantic's kind of error (``int_parsing``,
    ``extra_forbidden``…), its English message and its context (a limit, the choices)."""

    where: str
    kind: str
    detail: str
    context: tuple[tuple[str, str], ...] = ()


class ConfigError(ValueError):
    """Settings that cannot be used; the message names the file or variable at fault.

    ``problems``: each unusable value, for a message in the user's language.
    """

    def __init__(self, message: str, problems: tuple[ConfigProblem, ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems


class _ConfigFileSource(TomlConfigSettingsSource):
    """The TOML config file, read as UTF-8 with or without a BOM; a broken file is named."""

    def _read_file(self, file_path: Path | Traversable) -> dict[str, Any]:
        try:
            return tomllib.loads(file_path.read_text("utf-8-sig"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{file_path}: {exc}") from exc


class Settings(BaseSettings):
    """Everything configurable, in one place."""

    model_config = SettingsConfigDict(
        env_prefix="SMARTCOUNTER_", env_nested_delimiter="__", extra="ignore"
    )

    store: Path = Field(default_factory=default_store_path)
    lang: Literal["zh", "en"] = "zh"
    timezone: str = "Asia/Shanghai"
    catalogue: Path | None = None
    engine: Literal["duckdb", "spark"] = "duckdb"
    # The dashboards keep a week's figures in the store folder, shared by every worker until
    # the next import (false: each page works all its figures out on every request).
    share_figures: bool = True
    spark: SparkSettings = Field(default_factory=SparkSettings)
    bulletin: BulletinSettings = Field(default_factory=BulletinSettings)
    scorecard: ScorecardWeights = Field(default_factory=lambda: ScorecardWeights.model_validate({}))
    database_url: str | None = None
    secret_key: str = "change-me"
    import_wait_seconds: float = 300.0
    lobby: LobbySettings = Field(default_factory=LobbySettings)
    programme: ProgrammeSettings = Field(default_factory=_programme_settings)
    simulation: SimulationSettings = Field(default_factory=SimulationSettings)
    publish: PublishSettings = Field(default_factory=PublishSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Overrides, then ``SMARTCOUNTER_*``, then the config file; nested tables merge key by key."""
        # The file's place depends on the store of this very construction (an override, else
        # the environment), so it is worked out here from this call's own inputs rather than
        # from a hint left on the class or in a context variable: nothing is shared between
        # threads or requests, and a bare ``Settings()`` finds the same file as load_settings.
        given = init_settings.init_kwargs if isinstance(init_settings, InitSettingsSource) else {}
        toml = _ConfigFileSource(settings_cls, toml_file=config_file(given.get("store")))
        return (init_settings, env_settings, toml)


def _origin(loc: tuple[int | str, ...], given: dict[str, Any], config: Path) -> str:
    """Where the value at ``loc`` came from, in precedence order: override, variable, file."""
    path = [str(part) for part in loc]
    if _holds(given, path):
        return "--" + ".".join(path)
    variables = {key.upper() for key in os.environ}
    for depth in range(len(path), 0, -1):
        name = "SMARTCOUNTER_" + "__".join(path[:depth]).upper()
        if name in variables:
            return name
    return f"{config} [{'.'.join(path)}]"


def _holds(data: Any, path: list[str]) -> bool:
    for part in path:
        if not isinstance(data, dict) or part not in data:
            return False
        data = data[part]
    return True


def load_settings(**overrides: Any) -> Settings:
    """Build the settings: defaults, config file, environment, then ``overrides`` (non-None).

    Raises ConfigError, naming the file or variable, when a value is broken.
    """
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        config = config_file(given.get("store"))
        problems = tuple(
            ConfigProblem(
                where=_origin(error["loc"], given, config),
                kind=error["type"],
                detail=error["msg"],
                context=tuple((k, str(v)) for k, v in (error.get("ctx") or {}).items()),
            )
            for error in exc.errors()
        )
        wrong = "; ".join(f"{p.where}: {p.detail}" for p in problems)
        raise ConfigError(wrong, problems) from exc
    except SettingsError as exc:  # a variable that is not valid JSON for a table
        raise _unreadable_variable(exc) from exc


def _unreadable_variable(exc: SettingsError) -> ConfigError:
    """Which ``SMARTCOUNTER_*`` variable could not be read, and how it should look."""
    import re

    found = re.search(r'field "([a-z_]+)"', str(exc))
    if found is None:
        return ConfigError(str(exc))
    prefix = f"SMARTCOUNTER_{found.group(1).upper()}"
    named = sorted(k for k in os.environ if k == prefix or k.startswith(prefix + "__"))
    where = ", ".join(named) if named else prefix
    message = (
        f"{where}: not readable ({exc}); a list or table is written as JSON, "
        'e.g. SMARTCOUNTER_PUBLISH__REVIEWERS=\'["a@bank.cn", "b@bank.cn"]\''
    )
    return ConfigError(message, (ConfigProblem(where=where, kind="not_json", detail=message),))
