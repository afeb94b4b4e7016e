"""Acquisition functions (to maximise), vectorised over candidates, with input gradients.

All three are written for *maximisation* of standardised targets; the sampler flips the
sign of minimised objectives before fitting.

**Log expected improvement.** With posterior mean ``mu``, standard deviation ``sigma`` and
incumbent ``best``, ``EI = sigma h(z)`` where ``z = (mu - best) / sigma`` and
``h(z) = phi(z) + z Phi(z)`` (Jones, Schonlau & Welch 1998). EI underflows to 0 long
before it stops carrying information, so we work with ``log EI = log sigma + log h(z)``
computed without cancellation, following Ament et al., "Unexpected Improvements to
Expected Improvement for Bayesian Optimization" (NeurIPS 2023, eq. 9):

* ``z > -1``: ``log h`` directly;
* ``-100 < z <= -1``: with ``t = -z`` and the scaled complementary error function,
  ``Phi(z) / phi(z) = sqrt(pi/2) erfcx(t / sqrt 2)``, so
  ``log h(z) = log phi(z) + log(1 - t sqrt(pi/2) erfcx(t / sqrt 2))``;
  the bracket loses about ``t^2`` ulps, at most ``1e-12`` relative here;
* ``z <= -100``: the bracket by its asymptotic (Laplace) expansion,
  ``1 - t R(t) = t^-2 (1 - 3 t^-2 + 15 t^-4 - 105 t^-6 + 945 t^-8 - ...)``, accurate
  to ``1e-13`` relative, so ``log EI`` stays finite and increasing down to
  ``z ~ -1e154``.

Its derivative is ``d log h / dz = Phi(z) / h(z)``, computed as ``R / (1 - t R)`` on the
negative branches. By the chain rule, with ``s = sigma``::

    d log EI / dx = s'/s + (d log h / dz) (mu' - z s') / s,      s' = var' / (2 s)

**Upper confidence bound.** ``mu + sqrt(beta) sigma`` (Srinivas et al., "Gaussian Process
Optimization in the Bandit Setting", ICML 2010).

**Posterior mean.** ``mu``: pure exploitation.

Example:
    >>> import numpy as np
    >>> from tunelab.samplers.gp._acquisition import log_ei
    >>> float(np.exp(log_ei(np.array([0.0]), np.array([1.0]), 0.0))[0])  # phi(0)
    0.3989422804014327
    >>> bool(np.isfinite(log_ei(np.array([-1e3]), np.array([1.0]), 0.0))[0])
    True
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np
import numpy.typing as npt
from scipy.special import erfcx, log_ndtr, ndtr

from tunelab.samplers.gp._posterior import Posterior

__all__ = [
    "Acquisition",
    "LogExpectedImprovement",
    "PosteriorMean",
    "UpperConfidenceBound",
    "log_ei",
    "log_h",
    "log_h_grad",
]

FloatArray = npt.NDArray[np.float64]

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
_SQRT_HALF_PI = math.sqrt(math.pi / 2.0)
_SQRT2 = math.sqrt(2.0)
_ASYMPTOTIC_BELOW = -100.0


def _tail_bracket(t: FloatArray) -> tuple[FloatArray, FloatArray]:
    """For ``t >= 1``: Mills ratio ``R(t) = Phi(-t)/phi(t)`` and ``log(1 - t R(t))``."""
    ratio = _SQRT_HALF_PI * erfcx(t / _SQRT2)
    log_bracket = np.empty_like(t)
    near = t < -_ASYMPTOTIC_BELOW
    log_bracket[near] = np.log1p(-t[near] * ratio[near])
    far = t[~near]
    u = 1.0 / (far * far)
    series = 1.0 + u * (-3.0 + u * (15.0 + u * (-105.0 + u * 945.0)))
    log_bracket[~near] = -2.0 * np.log(far) + np.log(series)
    return ratio, log_bracket


def log_h(z: FloatArray) -> FloatArray:
    """``log(phi(z) + z Phi(z))`` for ``(m,)`` ``z``, finite wherever ``-z^2/2`` is.

    Args:
        z: ``(m,)`` standardised improvements.

    Returns:
        ``(m,)`` values, increasing in ``z``.
    """
    z = np.asarray(z, dtype=np.float64)
    out = np.empty_like(z)
    upper = z > -1.0
    zu = z[upper]
    out[upper] = np.log(np.exp(-0.5 * zu * zu - _HALF_LOG_2PI) + zu * ndtr(zu))
    zl = z[~upper]
    _, log_bracket = _tail_bracket(-zl)
    out[~upper] = -0.5 * zl * zl - _HALF_LOG_2PI + log_bracket
    return out


def log_h_grad(z: FloatArray) -> FloatArray:
    """``d log h / dz = Phi(z) / h(z)`` for ``(m,)`` ``z`` (positive, ``~ -z`` far left)."""
    z = np.asarray(z, dtype=np.float64)
    out = np.empty_like(z)
    upper = z > -1.0
    zu = z[upper]
    out[upper] = np.exp(log_ndtr(zu) - log_h(zu))
    ratio, log_bracket = _tail_bracket(-z[~upper])
    out[~upper] = ratio * np.exp(-log_bracket)
    return out


def log_ei(mean: FloatArray, var: FloatArray, best: float) -> FloatArray:
    """Log expected improvement over ``best`` for ``(m,)`` means and variances."""
    sigma = np.sqrt(var)
    return np.asarray(np.log(sigma) + log_h((mean - best) / sigma), dtype=np.float64)


class Acquisition(Protocol):
    """What the acquisition optimiser needs: values, and values with input gradients."""

    def values(self, x: FloatArray) -> FloatArray:
        """``(m,)`` acquisition values at ``(m, D)`` rows."""

    def value_and_grad(self, x: FloatArray) -> tuple[FloatArray, FloatArray]:
        """``(m,)`` values and ``(m, D)`` input gradients at ``(m, D)`` rows."""


class LogExpectedImprovement:
    """``log EI`` over the incumbent ``best`` (in standardised, maximised units).

    Args:
        posterior: The fitted GP.
        best: The incumbent value, e.g. the largest posterior mean at observed rows.
    """

    def __init__(self, posterior: Posterior, best: float) -> None:
        self._posterior = posterior
        self._best = best

    def values(self, x: FloatArray) -> FloatArray:
        mean, var = self._posterior.predict(x)
        return log_ei(mean, var, self._best)

    def value_and_grad(self, x: FloatArray) -> tuple[FloatArray, FloatArray]:
        mean, var, d_mean, d_var = self._posterior.predict_with_grad(x)
        sigma = np.sqrt(var)
        d_sigma = d_var / (2.0 * sigma[:, None])
        z = (mean - self._best) / sigma
        slope = log_h_grad(z)[:, None]
        grad = d_sigma / sigma[:, None] + slope * (d_mean - z[:, None] * d_sigma) / sigma[:, None]
        return np.log(sigma) + log_h(z), grad


class UpperConfidenceBound:
    """``mean + sqrt(beta) * std``.

    Args:
        posterior: The fitted GP.
        beta: The exploration weight ``beta >= 0``.
    """

    def __init__(self, posterior: Posterior, beta: float) -> None:
        self._posterior = posterior
        self._scale = math.sqrt(beta)

    def values(self, x: FloatArray) -> FloatArray:
        mean, var = self._posterior.predict(x)
        return np.asarray(mean + self._scale * np.sqrt(var), dtype=np.float64)

    def value_and_grad(self, x: FloatArray) -> tuple[FloatArray, FloatArray]:
        mean, var, d_mean, d_var = self._posterior.predict_with_grad(x)
        sigma = np.sqrt(var)
        grad = d_mean + self._scale * d_var / (2.0 * sigma[:, None])
        return mean + self._scale * sigma, grad


class PosteriorMean:
    """The posterior mean: pure exploitation.

    Args:
        posterior: The fitted GP.
    """

    def __init__(self, posterior: Posterior) -> None:
        self._posterior = posterior

    def values(self, x: FloatArray) -> FloatArray:
        return self._posterior.predict(x)[0]

    def value_and_grad(self, x: FloatArray) -> tuple[FloatArray, FloatArray]:
        mean, _, d_mean, _ = self._posterior.predict_with_grad(x)
        return mean, d_mean
