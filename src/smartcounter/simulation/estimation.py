"""Customer behaviour estimated from the store's own records, with how sure each figure is.

Read through the metrics engines (``metrics/estimation_sql.py``), for every branch at once:

- **acceptance** at each triage stage by age band and customer tier, from the triage
  rows: a hierarchical logistic model (``acceptance_model.py``) in which each branch is
  shrunk towards its peer group (``branch_type``) as much as its number of touches warrants;
- **decline reasons** by age band (the customers' own reasons): each branch's shares
  shrunk towards its peer group's (Dirichlet–multinomial);
- **service times** at each channel by business type (median and its uncertainty, the
  branch's shrunk towards its peer group's) and how much longer older customers take;
- **patience** at the smart counter: the mean patience that makes the expected number of
  give-ups among all who queued equal the observed one (each served customer standing
  for 1 / P(still there after their wait) customers who queued as long), Weibull shape
  as configured.

Each figure carries its provenance: ``estimated`` (from the store: the branch's own
records, or its peer group's where the branch has too few) or ``assumed`` (the shipped
defaults, used where the store has no records for it). Touch times, walking and
authorisation times are not in the canonical data, so they are always assumed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import polars as pl
from scipy.optimize import brentq
from scipy.special import gamma as gamma_fn
from scipy.stats import beta as beta_dist

from smartcounter.canonical.catalogue import REASONS
from smartcounter.canonical.tables import AGE_BANDS, CUSTOMER_TIERS
from smartcounter.i18n import Lang, translate
from smartcounter.metrics import Metrics, Period, open_metrics
from smartcounter.metrics.estimation_api import EstimationMetrics
from smartcounter.metrics.estimation_sql import CUSTOMER_REASONS, WAIT_BIN_S
from smartcounter.settings import Settings
from smartcounter.simulation.acceptance_model import STAGES, AcceptanceFit, fit_acceptance
from smartcounter.simulation.behaviour import Behaviour
from smartcounter.store.layout import Store

ESTIMATED, ASSUMED = "estimated", "assumed"
BRANCH, PEER_GROUP, DEFAULT = "branch", "peer_group", "default"
MIN_TOUCHES = 30  # a stage's acceptance is the branch's own from this many touches
MIN_SERVICE = 20  # service times of a business are the branch's own from this many
MIN_GIVE_UPS = 3  # patience is estimated from this many give-ups (and served visits)
MIN_SERVED = 30
DECLINE_PRIOR = 20.0  # declines' worth of weight the peer group's reason shares carry
LEVEL = 0.95
_Z = 1.959964


@dataclass(frozen=True)
class Parameter:
    """One behaviour figure of a branch: estimate, interval, provenance."""

    name: str  # acceptance, decline_share, service_median_s, age_duration, patience_mean_s, …
    labels: tuple[tuple[str, str], ...]  # e.g. (("stage", "1"), ("age_band", "60+"))
    value: float
    low: float | None
    high: float | None
    se: float | None
    provenance: str  # ESTIMATED or ASSUMED
    basis: str  # BRANCH, PEER_GROUP or DEFAULT
    n: int = 0  # records it rests on

    def label(self, key: str) -> str | None:
        """The value of label ``key``."""
        return dict(self.labels).get(key)


@dataclass(frozen=True)
class BranchEstimates:
    """Every behaviour figure of one branch."""

    branch_id: str
    branch_type: str
    weeks: tuple[str, ...]
    parameters: tuple[Parameter, ...]

    def find(self, name: str, **labels: str) -> Parameter | None:
        """The parameter ``name`` with these labels."""
        for p in self.parameters:
            if p.name == name and all(p.label(k) == v for k, v in labels.items()):
                return p
        return None

    def of(self, name: str) -> list[Parameter]:
        """All parameters called ``name``."""
        return [p for p in self.parameters if p.name == name]

    @property
    def estimated(self) -> list[Parameter]:
        """Parameters from the store."""
        return [p for p in self.parameters if p.provenance == ESTIMATED]

    @property
    def assumed(self) -> list[Parameter]:
        """Parameters from the shipped defaults."""
        return [p for p in self.parameters if p.provenance == ASSUMED]


@dataclass(frozen=True)
class ServiceFit:
    """Log service times: per (branch, channel, code) posterior, and age factors."""

    cells: (
        pl.DataFrame
    )  # branch_id, branch_type, channel, business_code, n, post_mean, post_se, basis
    age_effect: dict[str, tuple[float, float]]  # age band -> (log ratio to 30-44, se)


@dataclass(frozen=True)
class PatienceFit:
    """Mean patience at the smart counter per branch (None: too few give-ups)."""

    by_branch: dict[str, tuple[float, float, int, int]]  # mean_s, se_s, give_ups, served


@dataclass(frozen=True)
class NetworkEstimates:
    """Behaviour estimated for every branch of the store over ``weeks``."""

    weeks: tuple[str, ...]
    acceptance: AcceptanceFit
    declines: pl.DataFrame  # branch_id, branch_type, age_band, reason, declines
    service: ServiceFit
    patience: PatienceFit
    branch_types: dict[str, str] = field(default_factory=dict)
    behaviour: Behaviour = field(default_factory=Behaviour)
    patience_default_s: float = 1800.0
    patience_shape: float = 3.0

    def branch(self, branch_id: str) -> BranchEstimates:
        """The figures of ``branch_id`` (assumed ones where the store has no records)."""
        group = self.branch_types.get(branch_id, "")
        params: list[Parameter] = []
        params += _acceptance_parameters(self.acceptance, branch_id, group)
        params += _decline_parameters(self.declines, branch_id, group, self.behaviour)
        params += _service_parameters(self.service, branch_id, self.behaviour)
        params += _patience_parameters(self, branch_id)
        params += _assumed_parameters(self.behaviour)
        return BranchEstimates(branch_id, group, self.weeks, tuple(params))


def estimate_behaviour(
    store: Store,
    settings: Settings,
    weeks: Sequence[str],
    *,
    metrics: Metrics | None = None,
    behaviour: Behaviour | None = None,
    peer_group_of: str | None = None,
) -> NetworkEstimates:
    """Estimate every branch's behaviour from the store's records over ``weeks``.

    ``peer_group_of``: fit only the branches of that branch's peer group (what its own
    figures are shrunk towards; shared effects then come from the group too) — the cost
    stays that of one group however large the network.
    """
    if metrics is None:
        with open_metrics(store, settings) as opened:
            return estimate_behaviour(
                store,
                settings,
                weeks,
                metrics=opened,
                behaviour=behaviour,
                peer_group_of=peer_group_of,
            )
    b = behaviour or Behaviour()
    period = Period.of_weeks(list(weeks))
    figures = EstimationMetrics(metrics)
    types = _branch_types(metrics)
    frames = {
        "accept": figures.acceptance_cells(period),
        "service": figures.service_cells(period),
        "declines": figures.decline_cells(period),
        "patience": figures.patience(period),
    }
    if peer_group_of is not None and peer_group_of in types:
        members = [k for k, v in types.items() if v == types[peer_group_of]]
        frames = {k: f.filter(pl.col("branch_id").is_in(members)) for k, f in frames.items()}
    sim = settings.simulation
    return NetworkEstimates(
        weeks=tuple(weeks),
        acceptance=fit_acceptance(frames["accept"], b),
        declines=frames["declines"],
        service=fit_service(frames["service"]),
        patience=fit_patience(
            frames["patience"],
            shape=sim.patience_shape,
            walk_s=sim.walk_seconds,
        ),
        branch_types=types,
        behaviour=b,
        patience_default_s=sim.patience_minutes * 60.0,
        patience_shape=sim.patience_shape,
    )


def _branch_types(metrics: Metrics) -> dict[str, str]:
    from smartcounter.metrics.api import _frame

    frame = _frame(metrics.engine.run("SELECT branch_id, branch_type FROM branches", None))
    return {str(b): str(t) for b, t in frame.iter_rows()}


# -- acceptance ---------------------------------------------------------------------------------


def _acceptance_parameters(fit: AcceptanceFit, branch_id: str, group: str) -> list[Parameter]:
    k = fit.branch_index(branch_id)
    out = []
    group_touches = _group_touches(fit, group)
    for s in STAGES:
        own = int(fit.touches[k, s - 1]) if k is not None else 0
        if own >= MIN_TOUCHES:
            provenance, basis, n = ESTIMATED, BRANCH, own
        elif group_touches[s - 1] >= MIN_TOUCHES:
            provenance, basis, n = ESTIMATED, PEER_GROUP, own
        else:
            provenance, basis, n = ASSUMED, DEFAULT, own
        for a, band in enumerate(AGE_BANDS):
            for t, tier in enumerate(CUSTOMER_TIERS):
                value, low, high, se = fit.cell(branch_id, group, s, a, t, LEVEL)
                out.append(
                    Parameter(
                        "acceptance",
                        (("stage", str(s)), ("age_band", band), ("customer_tier", tier)),
                        value,
                        low,
                        high,
                        se,
                        provenance,
                        basis,
                        n,
                    )
                )
    return out


def _group_touches(fit: AcceptanceFit, group: str) -> np.ndarray:
    rows = [i for i, g in enumerate(fit.branch_group) if g == group]
    if not rows:
        return np.zeros(len(STAGES))
    return np.asarray(fit.touches[rows].sum(axis=0))


# -- decline reasons ----------------------------------------------------------------------------


def _default_decline_shares(b: Behaviour, age: int) -> dict[str, float]:
    w = {
        "customer_declined": b.decline_declined,
        "elderly_unable": b.decline_elderly[age],
        "id_check": b.decline_id_check,
        "other": b.decline_other,
    }
    total = sum(w.values())
    return {k: v / total for k, v in w.items()}


def _decline_parameters(
    frame: pl.DataFrame, branch_id: str, group: str, b: Behaviour
) -> list[Parameter]:
    out = []
    for a, band in enumerate(AGE_BANDS):
        rows = frame.filter(pl.col("age_band") == band)
        peer = rows.filter((pl.col("branch_type") == group) & (pl.col("branch_id") != branch_id))
        own = rows.filter(pl.col("branch_id") == branch_id)
        peer_counts = _reason_counts(peer)
        own_counts = _reason_counts(own)
        peer_total = sum(peer_counts.values())
        own_total = int(sum(own_counts.values()))
        default = _default_decline_shares(b, a)
        prior = (
            {r: (peer_counts[r] + 1.0) / (peer_total + len(CUSTOMER_REASONS)) for r in peer_counts}
            if peer_total >= MIN_TOUCHES
            else default
        )
        if own_total == 0 and peer_total < MIN_TOUCHES:
            provenance, basis = ASSUMED, DEFAULT
        else:
            provenance = ESTIMATED
            basis = BRANCH if own_total >= MIN_TOUCHES else PEER_GROUP
        alpha = {r: DECLINE_PRIOR * prior[r] + own_counts[r] for r in CUSTOMER_REASONS}
        total = sum(alpha.values())
        for r in CUSTOMER_REASONS:
            dist = beta_dist(alpha[r], total - alpha[r])
            out.append(
                Parameter(
                    "decline_share",
                    (("age_band", band), ("reason", r)),
                    alpha[r] / total,
                    float(dist.ppf((1 - LEVEL) / 2)),
                    float(dist.ppf((1 + LEVEL) / 2)),
                    float(dist.std()),
                    provenance,
                    basis,
                    own_total,
                )
            )
    return out


def _reason_counts(frame: pl.DataFrame) -> dict[str, float]:
    counts = dict.fromkeys(CUSTOMER_REASONS, 0.0)
    for reason, n in frame.group_by("reason").agg(pl.col("declines").sum()).iter_rows():
        if reason in counts:
            counts[str(reason)] += float(n)
    return counts


# -- service times ------------------------------------------------------------------------------


def fit_service(frame: pl.DataFrame) -> ServiceFit:
    """Each branch's median service time per channel and business, shrunk to its peer group,
    and how much longer each age band takes (log ratio to 30–44, pooled over businesses)."""
    schema = {
        "branch_id": pl.String,
        "branch_type": pl.String,
        "channel": pl.String,
        "business_code": pl.String,
        "n": pl.Int64,
        "post_mean": pl.Float64,
        "post_se": pl.Float64,
        "basis": pl.String,
    }
    if frame.height == 0:
        return ServiceFit(pl.DataFrame(schema=schema), {})
    f = frame.with_columns(
        (pl.col("mean_log") * pl.col("n")).alias("s1"),
        (pl.col("mean_log2") * pl.col("n")).alias("s2"),
    )
    keys = ["channel", "business_code"]
    branch = f.group_by(["branch_id", "branch_type", *keys]).agg(
        pl.col("n").sum(), pl.col("s1").sum(), pl.col("s2").sum()
    )
    branch = branch.with_columns((pl.col("s1") / pl.col("n")).alias("m")).with_columns(
        ((pl.col("s2") / pl.col("n") - pl.col("m") ** 2).clip(lower_bound=0.0)).alias("v")
    )
    # Within-branch variance of one log duration, pooled per channel and business.
    within = branch.group_by(keys).agg(
        (pl.col("v") * pl.col("n")).sum().alias("vn"), pl.col("n").sum().alias("nn")
    )
    within = within.with_columns((pl.col("vn") / pl.col("nn")).alias("sigma2"))
    b = branch.join(within.select([*keys, "sigma2"]), on=keys)
    b = b.with_columns((pl.col("sigma2") / pl.col("n")).alias("se2"))
    # Peer group mean and between-branch variance (moments, floored at 0).
    peer = b.group_by(["branch_type", *keys]).agg(
        ((pl.col("m") * pl.col("n")).sum() / pl.col("n").sum()).alias("peer_m"),
        pl.col("m").var().alias("var_m"),
        pl.col("se2").mean().alias("mean_se2"),
        pl.len().alias("branches"),
    )
    peer = peer.with_columns(
        (pl.col("var_m").fill_null(0.0) - pl.col("mean_se2")).clip(lower_bound=1e-4).alias("tau2")
    )
    b = b.join(peer, on=["branch_type", *keys])
    b = b.with_columns(
        (1.0 / (1.0 / pl.col("se2").clip(lower_bound=1e-9) + 1.0 / pl.col("tau2"))).alias(
            "post_var"
        )
    ).with_columns(
        (
            pl.col("post_var")
            * (
                pl.col("m") / pl.col("se2").clip(lower_bound=1e-9)
                + pl.col("peer_m") / pl.col("tau2")
            )
        ).alias("post_mean"),
        pl.col("post_var").sqrt().alias("post_se"),
        pl.when(pl.col("n") >= MIN_SERVICE)
        .then(pl.lit(BRANCH))
        .otherwise(pl.lit(PEER_GROUP))
        .alias("basis"),
    )
    cells = b.select(list(schema)).cast(schema).sort(["branch_id", *keys])  # type: ignore[arg-type]
    # Parallel group sums differ in their last bits from run to run: round them away.
    cells = cells.with_columns(pl.col("post_mean").round(9), pl.col("post_se").round(9))
    return ServiceFit(cells, _age_effects(f))


def _age_effects(f: pl.DataFrame) -> dict[str, tuple[float, float]]:
    """Log duration ratio of each age band to 30–44, within channel and business (WLS)."""
    known = f.filter(pl.col("age_band").is_in(list(AGE_BANDS)))
    cells = known.group_by(["channel", "business_code", "age_band"]).agg(
        pl.col("n").sum(), pl.col("s1").sum(), pl.col("s2").sum()
    )
    cells = cells.with_columns((pl.col("s1") / pl.col("n")).alias("m")).with_columns(
        (pl.col("s2") / pl.col("n") - pl.col("m") ** 2).alias("v")
    )
    # Businesses whose recorded times do not vary say nothing about age.
    varying = cells.group_by(["channel", "business_code"]).agg(
        ((pl.col("v") * pl.col("n")).sum() / pl.col("n").sum()).alias("pooled_v")
    )
    cells = cells.join(varying, on=["channel", "business_code"]).filter(pl.col("pooled_v") > 1e-4)
    if cells.height == 0:
        return {}
    groups = sorted(set(zip(cells["channel"], cells["business_code"], strict=True)))
    gi = {g: i for i, g in enumerate(groups)}
    ages = [a for a in AGE_BANDS if a != "30-44"]
    x = np.zeros((cells.height, len(groups) + len(ages)))
    for row, (ch, code, band) in enumerate(
        zip(cells["channel"], cells["business_code"], cells["age_band"], strict=True)
    ):
        x[row, gi[(ch, code)]] = 1.0
        if band in ages:
            x[row, len(groups) + ages.index(band)] = 1.0
    y = cells["m"].to_numpy()
    w = cells["n"].to_numpy() / cells["pooled_v"].to_numpy()
    xtw = x.T * w
    try:
        cov = np.linalg.inv(xtw @ x)
    except np.linalg.LinAlgError:
        return {}
    coef = cov @ (xtw @ y)
    out = {"30-44": (0.0, 0.0)}
    for k, band in enumerate(ages):
        j = len(groups) + k
        out[band] = (round(float(coef[j]), 9), round(float(math.sqrt(max(cov[j, j], 0.0))), 9))
    return out


def _service_parameters(fit: ServiceFit, branch_id: str, b: Behaviour) -> list[Parameter]:
    out = []
    rows = fit.cells.filter(pl.col("branch_id") == branch_id)
    seen = set()
    for r in rows.iter_rows(named=True):
        seen.add((r["channel"], r["business_code"]))
        m, se = float(r["post_mean"]), float(r["post_se"])
        out.append(
            Parameter(
                "service_median_s",
                (("channel", str(r["channel"])), ("business_code", str(r["business_code"]))),
                math.exp(m),
                math.exp(m - _Z * se),
                math.exp(m + _Z * se),
                math.exp(m) * se,
                ESTIMATED,
                str(r["basis"]),
                int(r["n"]),
            )
        )
    for code, (at_stm, at_teller) in b.durations.items():
        for channel, seconds in (("stm", at_stm), ("teller", at_teller)):
            if (channel, code) not in seen and seconds > 0:
                out.append(
                    Parameter(
                        "service_median_s",
                        (("channel", channel), ("business_code", code)),
                        float(seconds),
                        None,
                        None,
                        None,
                        ASSUMED,
                        DEFAULT,
                    )
                )
    ref = b.age_duration[AGE_BANDS.index("30-44")]
    for a, band in enumerate(AGE_BANDS):
        found = fit.age_effect.get(band)
        if found is not None and band != "30-44":
            log_ratio, se = found
            out.append(
                Parameter(
                    "age_duration",
                    (("age_band", band),),
                    math.exp(log_ratio),
                    math.exp(log_ratio - _Z * se),
                    math.exp(log_ratio + _Z * se),
                    math.exp(log_ratio) * se,
                    ESTIMATED,
                    "network",
                )
            )
        elif band != "30-44":
            out.append(
                Parameter(
                    "age_duration",
                    (("age_band", band),),
                    b.age_duration[a] / ref,
                    None,
                    None,
                    None,
                    ASSUMED,
                    DEFAULT,
                )
            )
    return out


# -- patience -----------------------------------------------------------------------------------


def fit_patience(frame: pl.DataFrame, *, shape: float, walk_s: float) -> PatienceFit:
    """Mean patience per branch from the served visits' waits and the give-ups.

    With patience Weibull(shape, scale) and F its distribution function, a served customer
    who waited w stands for F(w) / (1 - F(w)) customers who queued as long and gave up; the
    scale solves sum over served of F/(1-F) = give-ups (an unbiased estimating equation
    when a customer's patience does not change how long the line makes them wait). Its
    standard error is the sandwich one.
    """
    out: dict[str, tuple[float, float, int, int]] = {}
    for (branch_id,), part in frame.group_by("branch_id"):
        gave_up = int(part.filter(pl.col("kind") == "gave_up")["visits"].sum())
        served = part.filter(pl.col("kind") == "served")
        n_served = int(served["visits"].sum())
        if gave_up < MIN_GIVE_UPS or n_served < MIN_SERVED:
            continue
        waits = np.maximum((served["wait_bin"].to_numpy() + 0.5) * WAIT_BIN_S - walk_s, 1.0).astype(
            float
        )
        counts = served["visits"].to_numpy().astype(float)
        found = weibull_patience(waits, counts, gave_up, shape)
        if found is not None:
            out[str(branch_id)] = (found[0], found[1], gave_up, n_served)
    return PatienceFit(out)


def weibull_patience(
    waits: np.ndarray, counts: np.ndarray, gave_up: int, shape: float
) -> tuple[float, float] | None:
    """Mean Weibull patience (and its standard error) from served waits and give-ups."""

    def odds(scale: float) -> np.ndarray:
        h = (waits / scale) ** shape
        return np.asarray(np.expm1(np.minimum(h, 50.0)))  # F / (1 - F) = e^H - 1

    def gap(log_scale: float) -> float:
        return float(np.sum(counts * odds(math.exp(log_scale)))) - gave_up

    low, high = math.log(10.0), math.log(24 * 3600.0)
    if gap(low) < 0 or gap(high) > 0:
        return None
    scale = math.exp(float(brentq(gap, low, high, xtol=1e-6)))
    g = odds(scale)
    # Sandwich: psi = g(w) for a served visit, -1 for a give-up; derivative in log scale.
    meat = float(np.sum(counts * g**2) + gave_up)
    h = (waits / scale) ** shape
    bread = float(np.sum(counts * np.exp(np.minimum(h, 50.0)) * h * shape))
    if bread <= 0:
        return None
    se_log = math.sqrt(meat) / bread
    mean = scale * float(gamma_fn(1.0 + 1.0 / shape))
    return mean, mean * se_log


def _patience_parameters(est: NetworkEstimates, branch_id: str) -> list[Parameter]:
    found = est.patience.by_branch.get(branch_id)
    shape = Parameter("patience_shape", (), est.patience_shape, None, None, None, ASSUMED, DEFAULT)
    if found is None:
        return [
            Parameter(
                "patience_mean_s", (), est.patience_default_s, None, None, None, ASSUMED, DEFAULT
            ),
            shape,
        ]
    mean, se, gave_up, _ = found
    return [
        Parameter(
            "patience_mean_s",
            (),
            mean,
            mean * math.exp(-_Z * se / mean),
            mean * math.exp(_Z * se / mean),
            se,
            ESTIMATED,
            BRANCH,
            gave_up,
        ),
        shape,
    ]


# -- never in the data --------------------------------------------------------------------------


def _assumed_parameters(b: Behaviour) -> list[Parameter]:
    values = {
        "greeter_touch_s": 3600.0 / b.greeter_per_hour,
        "hall_touch_s": 3600.0 / b.hall_staff_per_hour,
        "walk_s": b.walk_s,
        "repromotion_s": b.repromotion_s,
        "authorisation_wait_s": b.auth_wait_s,
        "unprompted_use": float(1.0 / (1.0 + math.exp(-b.self_logit))),
    }
    return [
        Parameter(name, (), value, None, None, None, ASSUMED, DEFAULT)
        for name, value in values.items()
    ]


# -- for a director -----------------------------------------------------------------------------


def describe(estimates: BranchEstimates, lang: Lang | str = Lang.ZH) -> list[str]:
    """A plain-language list of the branch's behaviour figures: what was estimated from the
    store (with its range) and what was assumed."""
    language = Lang(lang) if not isinstance(lang, Lang) else lang

    def t(key: str, **params: object) -> str:
        return translate(f"estimation.{key}", language, **params)

    def pct(x: float | None) -> str:
        return "—" if x is None or not math.isfinite(x) else f"{100 * x:.0f}%"

    lines = [t("title", branch=estimates.branch_id, weeks=", ".join(estimates.weeks))]
    for s in STAGES:
        p = estimates.find("acceptance", stage=str(s), age_band="30-44", customer_tier="mass")
        old = estimates.find("acceptance", stage=str(s), age_band="60+", customer_tier="mass")
        if p is None or old is None:
            continue
        lines.append(
            t(
                "acceptance",
                stage=t(f"stage_{s}"),
                value=pct(p.value),
                low=pct(p.low),
                high=pct(p.high),
                old=pct(old.value),
                old_low=pct(old.low),
                old_high=pct(old.high),
                source=t(f"basis_{p.basis}", n=p.n),
                provenance=t(p.provenance),
            )
        )
    for band in ("45-59", "60+"):
        shares = [p for p in estimates.of("decline_share") if p.label("age_band") == band]
        if shares:
            top = max(shares, key=lambda p: p.value)
            lines.append(
                t(
                    "declines",
                    age=band,
                    reason=REASONS[str(top.label("reason"))].name(language.value),
                    value=pct(top.value),
                    low=pct(top.low),
                    high=pct(top.high),
                    source=t(f"basis_{top.basis}", n=top.n),
                    provenance=t(top.provenance),
                )
            )
    for channel in ("stm", "teller"):
        rows = [
            p
            for p in estimates.of("service_median_s")
            if p.label("channel") == channel and p.provenance == ESTIMATED
        ]
        if rows:
            total = sum(p.n for p in rows)
            mean = sum(p.value * p.n for p in rows) / max(total, 1)
            lines.append(
                t(
                    f"service_{channel}",
                    minutes=f"{mean / 60:.1f}",
                    businesses=len(rows),
                    n=total,
                    provenance=t(ESTIMATED),
                )
            )
    old = estimates.find("age_duration", age_band="60+")
    if old is not None:
        lines.append(
            t(
                "age_duration",
                value=f"{old.value:.2f}",
                low="—" if old.low is None else f"{old.low:.2f}",
                high="—" if old.high is None else f"{old.high:.2f}",
                provenance=t(old.provenance),
            )
        )
    patience = estimates.find("patience_mean_s")
    if patience is not None:
        if patience.provenance == ESTIMATED:
            lines.append(
                t(
                    "patience",
                    minutes=f"{patience.value / 60:.0f}",
                    low=f"{(patience.low or 0) / 60:.0f}",
                    high=f"{(patience.high or 0) / 60:.0f}",
                    n=patience.n,
                    provenance=t(ESTIMATED),
                )
            )
        else:
            lines.append(
                t("patience_assumed", minutes=f"{patience.value / 60:.0f}", provenance=t(ASSUMED))
            )
    assumed = sorted(
        {p.name for p in estimates.assumed if p.name not in ("service_median_s", "acceptance")}
    )
    names = t("list_separator").join(t(f"name_{n}") for n in assumed)
    lines.append(t("assumed_list", names=names))
    return lines
