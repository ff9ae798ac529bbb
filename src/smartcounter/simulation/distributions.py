"""Service-time distributions: each turns uniform numbers into durations (inverse CDF).

Drawing by inverse CDF from uniforms that the customer carries keeps a customer's service
times the same in a baseline and a what-if (common random numbers), whatever else changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from scipy.stats import norm


class ServiceDistribution(Protocol):
    """Durations in seconds from uniforms in [0, 1)."""

    @property
    def mean(self) -> float:
        """The mean duration."""
        ...

    def sample(self, u: np.ndarray) -> np.ndarray:
        """The durations at quantiles ``u``."""
        ...


@dataclass(frozen=True, eq=False)
class Empirical:
    """Piecewise-linear between quantiles observed at ``q`` (0 and 1 included)."""

    q: np.ndarray
    values: np.ndarray

    @property
    def mean(self) -> float:
        """The mean of the piecewise-linear distribution (trapezoids)."""
        return float(np.sum(np.diff(self.q) * (self.values[1:] + self.values[:-1]) / 2.0))

    def sample(self, u: np.ndarray) -> np.ndarray:
        """Interpolate the quantile function at ``u``."""
        return np.asarray(np.interp(u, self.q, self.values))


@dataclass(frozen=True)
class Exponential:
    """Exponential durations with the given mean (an M/M/c server)."""

    mean_s: float

    @property
    def mean(self) -> float:
        """The mean duration."""
        return self.mean_s

    def sample(self, u: np.ndarray) -> np.ndarray:
        """``-mean · ln(1 − u)``."""
        return np.asarray(-self.mean_s * np.log1p(-u))


@dataclass(frozen=True)
class Lognormal:
    """Log-normal durations around ``median_s`` with log-spread ``sigma``."""

    median_s: float
    sigma: float

    @property
    def mean(self) -> float:
        """The mean duration."""
        return float(self.median_s * np.exp(self.sigma**2 / 2.0))

    def sample(self, u: np.ndarray) -> np.ndarray:
        """``median · exp(sigma · Φ⁻¹(u))``, tails clipped at 0.1 % either side."""
        z = norm.ppf(np.clip(u, 0.001, 0.999))
        return np.asarray(self.median_s * np.exp(self.sigma * z))
