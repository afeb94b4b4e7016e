"""Truncated normal distributions, computed in log space so that far tails stay finite.

For a normal ``N(mu, sigma)`` truncated to ``[low, high]`` with standardised bounds
``a = (low - mu) / sigma`` and ``b = (high - mu) / sigma``, the normaliser is
``Z = Phi(b) - Phi(a)``. We evaluate ``log Z`` as ``log_ndtr(b) + log1mexp(log_ndtr(a) -
log_ndtr(b))`` when the interval lies left of 0 and by symmetry otherwise, which keeps
precision even when both bounds sit many standard deviations out (where ``Phi(b) -
Phi(a)`` underflows to 0). Sampling uses the inverse CDF on the same side of 0.

All functions broadcast over arrays of any matching shape.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.special import log_ndtr, ndtri_exp

__all__ = ["log_mass", "logpdf", "sample"]

FloatArray = npt.NDArray[np.float64]
Floats = FloatArray | float
_LOG_SQRT_2PI = 0.5 * np.log(2.0 * np.pi)


def _log_diff_exp(log_big: FloatArray, log_small: FloatArray) -> FloatArray:
    """``log(exp(log_big) - exp(log_small))`` for ``log_big >= log_small``."""
    delta = np.minimum(log_small - log_big, 0.0)
    with np.errstate(divide="ignore"):
        return np.asarray(log_big + np.log(-np.expm1(delta)), dtype=np.float64)


def _log_phi_interval(a: Floats, b: Floats) -> FloatArray:
    """``log(Phi(b) - Phi(a))`` for ``a <= b``, stable in both tails."""
    a, b = np.broadcast_arrays(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))
    right = a > 0  # the whole interval is right of 0: use the mirror image
    lo = np.where(right, -b, a)
    hi = np.where(right, -a, b)
    return _log_diff_exp(log_ndtr(hi), log_ndtr(lo))


def log_mass(
    low: Floats,
    high: Floats,
    mu: Floats,
    sigma: Floats,
    lower: Floats,
    upper: Floats,
) -> FloatArray:
    """Log probability of ``[low, high]`` under ``N(mu, sigma)`` truncated to ``[lower, upper]``.

    Used for discrete values, whose probability is the mass of their bin.
    """
    return _log_phi_interval((low - mu) / sigma, (high - mu) / sigma) - _log_phi_interval(
        (lower - mu) / sigma, (upper - mu) / sigma
    )


def logpdf(x: Floats, mu: Floats, sigma: Floats, lower: Floats, upper: Floats) -> FloatArray:
    """Log density at ``x`` of ``N(mu, sigma)`` truncated to ``[lower, upper]``."""
    z = (x - mu) / sigma
    log_z = _log_phi_interval((lower - mu) / sigma, (upper - mu) / sigma)
    out = -0.5 * z * z - _LOG_SQRT_2PI - np.log(sigma) - log_z
    return np.asarray(np.where((x < lower) | (x > upper), -np.inf, out), dtype=np.float64)


def sample(
    mu: Floats,
    sigma: Floats,
    lower: Floats,
    upper: Floats,
    rng: np.random.Generator,
) -> FloatArray:
    """One draw per element from ``N(mu, sigma)`` truncated to ``[lower, upper]``.

    Inverse-CDF sampling on the side of 0 where the interval lies, in log space.
    """
    a = (np.asarray(lower) - mu) / sigma
    b = (np.asarray(upper) - mu) / sigma
    a, b = np.broadcast_arrays(a, b)
    right = a > 0
    lo = np.where(right, -b, a)
    hi = np.where(right, -a, b)
    log_lo, log_hi = log_ndtr(lo), log_ndtr(hi)
    u = rng.random(lo.shape)
    # log(Phi(lo) + u * (Phi(hi) - Phi(lo))) computed without leaving log space
    log_u = np.logaddexp(log_lo, np.log(u + 1e-300) + _log_diff_exp(log_hi, log_lo))
    z = ndtri_exp(np.minimum(log_u, 0.0))
    z = np.where(right, -z, z)
    return np.asarray(np.clip(mu + sigma * z, lower, upper), dtype=np.float64)
