"""Acceptance of the smart counter at triage: a hierarchical logistic model (Laplace fit).

For a triage touch at stage ``s`` of a customer of age band ``a``, tier ``t`` and habit
``h`` (used a smart counter on their previous visit) in branch ``b`` of peer group ``g``::

    logit P(accept) = mu[g, s] + age[a] + tier[t] + habit[h] + composite[s]·[cash visit split]
                      + u[b, s] + v[b]·[a = 60+]

Peer-group intercepts and the age, tier, habit and composite effects are shared (with the
shipped behaviour's values as weak priors, so a store without triage records keeps them);
each branch's own offsets ``u`` (per stage) and ``v`` (its older customers) are normal
around zero with variances estimated from the data — branches with few touches are shrunk
towards their peer group, branches with many keep their own. Variances are chosen by the
Laplace approximation of the marginal likelihood; the posterior of every parameter is the
normal at the joint mode, with the covariance from the inverse Hessian (block-wise: each
branch's block is 4×4, so the fit is linear in the number of branches).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy.optimize import minimize

from smartcounter.canonical.tables import AGE_BANDS, BRANCH_TYPES, CUSTOMER_TIERS
from smartcounter.simulation.behaviour import Behaviour

STAGES = (1, 2, 3)
HABITS = ("no", "yes", "unknown")
RANDOM = 4  # per branch: one offset per stage, one for customers aged 60+
_ELDERLY = AGE_BANDS.index("60+")
_REF_AGE = AGE_BANDS.index("30-44")
PRIOR_SD = 1.5  # weak prior on shared effects around the shipped behaviour's values
_TAU_START = 0.5


@dataclass(frozen=True)
class Design:
    """The fixed-effect columns: names and prior means."""

    groups: tuple[str, ...]
    names: tuple[str, ...]
    prior_mean: np.ndarray

    @classmethod
    def of(cls, groups: Sequence[str], behaviour: Behaviour) -> Design:
        """Columns for ``groups``; priors from ``behaviour`` (guidance quality at reference)."""
        b = behaviour
        names: list[str] = []
        prior: list[float] = []
        age_ref = b.accept_age[_REF_AGE]
        for g in groups:
            for s in STAGES:
                names.append(f"mu:{g}:{s}")
                prior.append(b.accept_stage[s - 1] + age_ref)
        for a, band in enumerate(AGE_BANDS):
            if a != _REF_AGE:
                names.append(f"age:{band}")
                prior.append(b.accept_age[a] - age_ref)
        for t, tier in enumerate(CUSTOMER_TIERS[1:], start=1):
            names.append(f"tier:{tier}")
            prior.append(b.accept_tier[t] - b.accept_tier[0])
        names.append("habit:yes")
        prior.append(b.accept_habit)
        names.append("habit:unknown")
        prior.append(0.0)
        for s in STAGES:
            names.append(f"composite:{s}")
            prior.append(b.split_referral if s == 3 else b.composite_accept)
        return cls(tuple(groups), tuple(names), np.asarray(prior, dtype=float))

    def index(self, name: str) -> int:
        """Column of ``name``."""
        return self.names.index(name)

    def rows(
        self,
        group: np.ndarray,
        stage: np.ndarray,
        age: np.ndarray,
        tier: np.ndarray,
        habit: np.ndarray,
        composite: np.ndarray,
    ) -> np.ndarray:
        """Design rows (cells × columns) from integer codes (group index, stage 1-3, …)."""
        n = stage.shape[0]
        x = np.zeros((n, len(self.names)))
        rows = np.arange(n)
        x[rows, group * len(STAGES) + stage - 1] = 1.0
        base = len(self.groups) * len(STAGES)
        age_col = np.where(age < _REF_AGE, age, age - 1)
        keep = age != _REF_AGE
        x[rows[keep], base + age_col[keep]] = 1.0
        base += len(AGE_BANDS) - 1
        keep = tier > 0
        x[rows[keep], base + tier[keep] - 1] = 1.0
        base += len(CUSTOMER_TIERS) - 1
        x[rows[habit == 1], base] = 1.0
        x[rows[habit == 2], base + 1] = 1.0
        base += 2
        x[rows[composite], base + stage[composite] - 1] = 1.0
        return x


def random_rows(stage: np.ndarray, age: np.ndarray) -> np.ndarray:
    """The branch-effect columns of cells: one-hot stage, and 60+."""
    z = np.zeros((stage.shape[0], RANDOM))
    z[np.arange(stage.shape[0]), stage - 1] = 1.0
    z[:, 3] = (age == _ELDERLY).astype(float)
    return z


@dataclass(frozen=True)
class Cells:
    """Aggregated touches: one row per branch and covariate pattern."""

    branch: np.ndarray  # index into branches
    x: np.ndarray  # fixed-effect design
    z: np.ndarray  # branch-effect design
    n: np.ndarray  # touches
    y: np.ndarray  # accepted


@dataclass(frozen=True)
class AcceptanceFit:
    """The fitted model: modes, variances and the pieces of the posterior covariance."""

    design: Design
    branches: tuple[str, ...]
    branch_group: tuple[str, ...]
    beta: np.ndarray
    u: np.ndarray  # (branches, RANDOM)
    tau: np.ndarray  # (RANDOM,) sd of branch effects
    cov_beta: np.ndarray
    d_inv: np.ndarray  # (branches, RANDOM, RANDOM) inverse of each branch's Hessian block
    c: np.ndarray  # (branches, p, RANDOM) cross blocks of the Hessian
    touches: np.ndarray  # (branches, stages) touches seen per branch and stage
    habit_mix: np.ndarray  # (3,) network share of touches by habit level
    converged: bool

    def branch_index(self, branch_id: str) -> int | None:
        """Row of ``branch_id``, or None when the store had no touches there."""
        try:
            return self.branches.index(branch_id)
        except ValueError:
            return None

    def joint(self, branch_id: str) -> tuple[np.ndarray, np.ndarray]:
        """Mean and covariance of (beta, u_b) for a branch (u = 0, prior sd for a new one)."""
        p = self.beta.shape[0]
        k = self.branch_index(branch_id)
        mean = np.zeros(p + RANDOM)
        cov = np.zeros((p + RANDOM, p + RANDOM))
        mean[:p] = self.beta
        cov[:p, :p] = self.cov_beta
        if k is None:
            cov[p:, p:] = np.diag(self.tau**2)
            return mean, cov
        mean[p:] = self.u[k]
        a = self.d_inv[k] @ self.c[k].T  # D^-1 C^T  (RANDOM x p)
        cov[p:, p:] = self.d_inv[k] + a @ self.cov_beta @ a.T
        cov[:p, p:] = -self.cov_beta @ a.T
        cov[p:, :p] = cov[:p, p:].T
        return mean, cov

    def cell_rows(
        self, branch_id: str, group: str, stage: int, age: int, tier: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Joint design rows of a cell for each habit level, and the habit weights."""
        g = self.design.groups.index(group) if group in self.design.groups else 0
        n = len(HABITS)
        x = self.design.rows(
            np.full(n, g),
            np.full(n, stage),
            np.full(n, age),
            np.full(n, tier),
            np.arange(n),
            np.zeros(n, dtype=bool),
        )
        z = random_rows(np.full(n, stage), np.full(n, age))
        return np.hstack([x, z]), self.habit_mix

    def cell(
        self, branch_id: str, group: str, stage: int, age: int, tier: int, level: float = 0.95
    ) -> tuple[float, float, float, float]:
        """Acceptance of a noncash visit's touch: estimate, interval and standard error.

        The interval is the normal one on the logit scale of the customers' usual habit
        (the habit levels mixed as the network's touches are), mapped to a probability.
        """
        rows, w = self.cell_rows(branch_id, group, stage, age, tier)
        mean, cov = self.joint(branch_id)
        eta = rows @ mean
        p = float(np.dot(w, _expit(eta)))
        # Delta method on the mixed probability, then an interval on its logit.
        grad = (w * _expit(eta) * (1 - _expit(eta))) @ rows
        se_p = float(math.sqrt(max(grad @ cov @ grad, 0.0)))
        logit = math.log(p / (1 - p))
        se_logit = se_p / max(p * (1 - p), 1e-12)
        z = _z(level)
        return (
            p,
            float(_expit(np.array(logit - z * se_logit))),
            float(_expit(np.array(logit + z * se_logit))),
            se_p,
        )

    def draws(self, branch_id: str, count: int, rng: np.random.Generator) -> np.ndarray:
        """Posterior draws of (beta, u_b), one per row."""
        mean, cov = self.joint(branch_id)
        return rng.multivariate_normal(mean, cov, size=count, method="cholesky")


def _z(level: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(0.5 + level / 2))


def _expit(x: np.ndarray) -> np.ndarray:
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * x)))


def cells_of(frame: pl.DataFrame, design: Design) -> tuple[Cells, tuple[str, ...], tuple[str, ...]]:
    """Cells of the ``acceptance_cells`` figure, noncash and split cash visits with known age."""
    keep = frame.filter(
        pl.col("kind").is_in(["noncash", "composite"])
        & pl.col("age_band").is_in(list(AGE_BANDS))
        & (pl.col("touches") > 0)
    )
    agg = keep.group_by(
        "branch_id", "branch_type", "stage", "age_band", "customer_tier", "kind", "habit"
    ).agg(pl.col("touches").sum(), pl.col("accepted").sum())
    agg = agg.sort("branch_id", "stage", "age_band", "customer_tier", "kind", "habit")
    branches = tuple(sorted(set(agg["branch_id"].to_list())))
    types = dict(zip(agg["branch_id"].to_list(), agg["branch_type"].to_list(), strict=True))
    groups = tuple(types[b] if types[b] in design.groups else design.groups[0] for b in branches)
    index = {b: i for i, b in enumerate(branches)}
    b_idx = np.array([index[b] for b in agg["branch_id"]], dtype=np.int64)
    g_idx = np.array([design.groups.index(groups[i]) for i in b_idx.tolist()], dtype=np.int64)
    stage = agg["stage"].to_numpy().astype(np.int64)
    age = np.array([AGE_BANDS.index(a) for a in agg["age_band"]], dtype=np.int64)
    tier = np.array(
        [CUSTOMER_TIERS.index(t) if t in CUSTOMER_TIERS else 0 for t in agg["customer_tier"]],
        dtype=np.int64,
    )
    habit = np.array([HABITS.index(h) if h in HABITS else 2 for h in agg["habit"]], np.int64)
    composite = (agg["kind"] == "composite").to_numpy()
    x = design.rows(g_idx, stage, age, tier, habit, composite)
    z = random_rows(stage, age)
    cells = Cells(
        branch=b_idx,
        x=x,
        z=z,
        n=agg["touches"].to_numpy().astype(float),
        y=np.minimum(agg["accepted"].to_numpy(), agg["touches"].to_numpy()).astype(float),
    )
    return cells, branches, groups


def fit_acceptance(
    frame: pl.DataFrame, behaviour: Behaviour | None = None, *, prior_sd: float = PRIOR_SD
) -> AcceptanceFit:
    """Fit the model to an ``acceptance_cells`` frame (every branch at once)."""
    b = behaviour or Behaviour()
    design = Design.of(BRANCH_TYPES, b)
    cells, branches, groups = cells_of(frame, design)
    nb = len(branches)
    p = len(design.names)
    prior_prec = np.eye(p) / prior_sd**2
    touches = np.zeros((max(nb, 1), len(STAGES)))
    stage_of = cells.z[:, :3].argmax(axis=1)
    np.add.at(touches, (cells.branch, stage_of), cells.n)
    hab = cells.x[:, design.index("habit:yes") : design.index("habit:unknown") + 1]
    by_habit = np.array(
        [
            float(cells.n[(hab.sum(axis=1) == 0)].sum()),
            float(cells.n[hab[:, 0] == 1].sum()),
            float(cells.n[hab[:, 1] == 1].sum()),
        ]
    )
    habit_mix = by_habit / by_habit.sum() if by_habit.sum() > 0 else np.array([1.0, 0.0, 0.0])
    if nb == 0:
        cov = np.linalg.inv(prior_prec)
        return AcceptanceFit(
            design,
            (),
            (),
            design.prior_mean.copy(),
            np.zeros((0, RANDOM)),
            np.full(RANDOM, _TAU_START),
            cov,
            np.zeros((0, RANDOM, RANDOM)),
            np.zeros((0, p, RANDOM)),
            np.zeros((0, len(STAGES))),
            habit_mix,
            True,
        )
    state = {"beta": design.prior_mean.copy(), "u": np.zeros((nb, RANDOM))}

    def inner(log_tau: np.ndarray) -> tuple[float, _Mode]:
        mode = _mode(cells, nb, design.prior_mean, prior_prec, np.exp(log_tau), state)
        state["beta"], state["u"] = mode.beta, mode.u
        return mode.laplace, mode

    def objective(log_tau: np.ndarray) -> float:
        value, _ = inner(np.clip(log_tau, -5.0, 2.0))
        return -value

    start = np.full(RANDOM, math.log(_TAU_START))
    found = minimize(
        objective,
        start,
        method="Nelder-Mead",
        options={"xatol": 0.05, "fatol": 0.02, "maxiter": 120},
    )
    log_tau = np.clip(found.x, -5.0, 2.0)
    _, mode = inner(log_tau)
    return AcceptanceFit(
        design=design,
        branches=branches,
        branch_group=groups,
        beta=mode.beta,
        u=mode.u,
        tau=np.exp(log_tau),
        cov_beta=mode.cov_beta,
        d_inv=mode.d_inv,
        c=mode.c,
        touches=touches,
        habit_mix=habit_mix,
        converged=bool(found.success) and mode.converged,
    )


@dataclass(frozen=True)
class _Mode:
    beta: np.ndarray
    u: np.ndarray
    cov_beta: np.ndarray
    d_inv: np.ndarray
    c: np.ndarray
    laplace: float
    converged: bool


def _by_branch(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Sums of ``values`` over each branch's contiguous cells."""
    return np.asarray(np.add.reduceat(values, starts, axis=0))


def _mode(
    cells: Cells,
    nb: int,
    prior_mean: np.ndarray,
    prior_prec: np.ndarray,
    tau: np.ndarray,
    start: dict[str, np.ndarray],
) -> _Mode:
    """Joint mode of (beta, u) for fixed ``tau`` by Newton steps (Schur complement)."""
    beta, u = start["beta"].copy(), start["u"].copy()
    lam_inv = np.diag(1.0 / tau**2)
    x, z, n, y, br = cells.x, cells.z, cells.n, cells.y, cells.branch
    # Cells come sorted by branch: each branch's sums are one contiguous segment.
    starts = np.flatnonzero(np.r_[True, br[1:] != br[:-1]])
    converged = False
    for _ in range(50):
        eta = x @ beta + np.einsum("ij,ij->i", z, u[br])
        mu = _expit(eta)
        w = n * mu * (1 - mu)
        r = y - n * mu
        g_beta = x.T @ r - prior_prec @ (beta - prior_mean)
        g_u = _by_branch(z * r[:, None], starts) - u @ lam_inv
        h_bb = (x * w[:, None]).T @ x + prior_prec
        d = _by_branch(np.einsum("i,ij,ik->ijk", w, z, z), starts) + lam_inv
        c = _by_branch(np.einsum("i,ij,ik->ijk", w, x, z), starts)
        d_inv = np.linalg.inv(d)
        cd = np.einsum("bpr,brs->bps", c, d_inv)  # C D^-1
        s = h_bb - np.einsum("bps,bqs->pq", cd, c)
        rhs = g_beta - np.einsum("bps,bs->p", cd, g_u)
        step_beta = np.linalg.solve(s, rhs)
        step_u = np.einsum("brs,bs->br", d_inv, g_u - np.einsum("bpr,p->br", c, step_beta))
        beta = beta + step_beta
        u = u + step_u
        if max(float(np.abs(step_beta).max()), float(np.abs(step_u).max())) < 1e-8:
            converged = True
            break
    eta = x @ beta + np.einsum("ij,ij->i", z, u[br])
    mu = _expit(eta)
    loglik = float(
        np.sum(y * np.log(np.maximum(mu, 1e-300)) + (n - y) * np.log(np.maximum(1 - mu, 1e-300)))
    )
    penalty = 0.5 * float(np.sum((u @ lam_inv) * u)) + 0.5 * float(
        (beta - prior_mean) @ prior_prec @ (beta - prior_mean)
    )
    _, logdet_d = np.linalg.slogdet(d)
    _, logdet_s = np.linalg.slogdet(s)
    laplace = (
        loglik
        - penalty
        - nb * float(np.sum(np.log(tau)))
        - 0.5 * float(np.sum(logdet_d))
        - 0.5 * float(logdet_s)
    )
    cov_beta = np.linalg.inv(s)
    return _Mode(beta, u, cov_beta, d_inv, c, laplace, converged)
