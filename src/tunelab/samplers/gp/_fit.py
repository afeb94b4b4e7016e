"""Kernel hyperparameters by maximum a posteriori: marginal likelihood plus log priors.

The free parameters are ``theta = (log l_1, ..., log l_G, log s2, log sn2)``: one
lengthscale per parameter, the signal variance and the noise variance, for targets ``y``
that the caller has standardised (zero mean, unit variance). We minimise

    U(theta) = -log p(y | X, theta) - log p(theta)

where (Rasmussen & Williams 2006, eqs. 2.30 and 5.9)::

    -log p(y | X, theta) = 1/2 y^T K^-1 y + sum_i log L_ii + n/2 log(2 pi)
    d/d theta_j          = 1/2 tr((K^-1 - alpha alpha^T) dK/d theta_j),   alpha = K^-1 y

The lengthscale derivative needs, for every column, the sum ``sum_ij M_ij (X_id - X_jd)^2``
with ``M = W * s2 f'(s)`` symmetric; it is computed as ``2 (x_d^2 . M 1 - x_d . M x_d)``
in ``O(n^2 D)`` time and ``O(n^2)`` memory.

Priors, independent and on the log scale (log-normal distributions, written
``N(mean, variance)``):

* ``log l_g ~ N(log(G^(1/4) / 2), 1)``: the median lengthscale is ``G^(1/4) / 2``, half
  the width of the unit cube for one parameter, growing slowly with the number ``G`` of
  parameters (the dimension scaling of Hvarfner, Hellsten & Nardi, "Vanilla Bayesian
  Optimization Performs Great in High Dimensions", ICML 2024, grows as ``sqrt(G)``; in
  our mixed low-dimensional tests their longer, wider prior let parameters of modest
  effect be declared irrelevant after the start-up trials, and then be explored only at
  their bounds, where the variance is largest);
* ``log s2 ~ N(0, 1)``: the signal variance near the (standardised) data variance;
* ``log sn2 ~ N(log 1e-3, 9)``: noise is small unless the data insist, so
  deterministic-looking data are interpolated.

Bounds keep every candidate well conditioned and identifiable: ``l in [0.05, 1e3]``,
``s2 in [1e-2, 1e2]``, ``sn2 in [1e-6, 1]``. The lower lengthscale bound matters for noisy
data: a lengthscale shorter than the spacing of the points makes the kernel nearly white,
so the GP could explain noise as signal (with ``sn2`` at its floor) at a better marginal
likelihood than the honest "smooth signal plus noise" fit. A fixed noise (deterministic objectives)
pins ``sn2`` with equal bounds. Several L-BFGS-B starts are run (the previous optimum
first, then draws from the prior); the best end point wins.

Example:
    >>> import numpy as np
    >>> from tunelab.samplers.gp._fit import fit_hyperparameters
    >>> from tunelab.samplers.gp._kernel import ColumnGroups
    >>> rng = np.random.default_rng(0)
    >>> X = rng.random((20, 2)); y = np.sin(6 * X[:, 0])  # depends on column 0 only
    >>> y = (y - y.mean()) / y.std()
    >>> hp = fit_hyperparameters(X, y, ColumnGroups(np.array([0, 1]), np.ones(2), 2), rng=rng)
    >>> bool(hp.lengthscales[0] < hp.lengthscales[1])  # column 1 is found irrelevant
    True
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.linalg import LinAlgError, cho_solve, solve_triangular
from scipy.optimize import minimize

from tunelab.samplers.gp._kernel import ColumnGroups, Matern52, matern52_with_ds
from tunelab.samplers.gp._posterior import robust_cholesky

__all__ = [
    "Hyperparameters",
    "fit_hyperparameters",
    "log_prior",
    "neg_log_posterior",
    "theta_bounds",
]

FloatArray = npt.NDArray[np.float64]

_LOG_2PI = math.log(2.0 * math.pi)
_LS_BOUNDS = (math.log(5e-2), math.log(1e3))
_S2_BOUNDS = (math.log(1e-2), math.log(1e2))
_SN2_BOUNDS = (math.log(1e-6), math.log(1.0))
_S2_PRIOR = (0.0, 1.0)  # mean and standard deviation of log s2
_SN2_PRIOR = (math.log(1e-3), 3.0)  # of log sn2
_LS_PRIOR_STD = 1.0


@dataclass(frozen=True)
class Hyperparameters:
    """Kernel and noise hyperparameters.

    Attributes:
        lengthscales: ``(G,)`` one lengthscale per parameter.
        signal_var: The signal variance ``s2``.
        noise_var: The noise variance ``sn2``.
    """

    lengthscales: FloatArray
    signal_var: float
    noise_var: float

    def to_theta(self) -> FloatArray:
        """``(G + 2,)`` the log parameters ``(log l, log s2, log sn2)``."""
        return np.concatenate(
            [np.log(self.lengthscales), [math.log(self.signal_var), math.log(self.noise_var)]]
        )

    @classmethod
    def from_theta(cls, theta: FloatArray) -> Hyperparameters:
        """Inverse of :meth:`to_theta` for a ``(G + 2,)`` vector."""
        return cls(np.exp(theta[:-2]), math.exp(theta[-2]), math.exp(theta[-1]))

    def kernel(self, groups: ColumnGroups) -> Matern52:
        """The kernel these hyperparameters define over ``groups``."""
        return Matern52(groups, self.lengthscales, self.signal_var)


def _lengthscale_prior_mean(n_groups: int) -> float:
    return math.log(0.5) + 0.25 * math.log(max(n_groups, 1))


def _prior_moments(n_groups: int) -> tuple[FloatArray, FloatArray]:
    """``(G + 2,)`` means and ``(G + 2,)`` standard deviations of the log-normal priors."""
    mean = np.concatenate(
        [np.full(n_groups, _lengthscale_prior_mean(n_groups)), [_S2_PRIOR[0], _SN2_PRIOR[0]]]
    )
    std = np.concatenate([np.full(n_groups, _LS_PRIOR_STD), [_S2_PRIOR[1], _SN2_PRIOR[1]]])
    return mean, std


def log_prior(theta: FloatArray) -> tuple[float, FloatArray]:
    """Log prior density of ``(G + 2,)`` ``theta`` (up to a constant) and its gradient."""
    mean, std = _prior_moments(theta.shape[0] - 2)
    z = (theta - mean) / std
    return -0.5 * float(z @ z), -z / std


def theta_bounds(n_groups: int, fixed_noise: float | None = None) -> list[tuple[float, float]]:
    """L-BFGS-B bounds on ``theta``; equal noise bounds when ``fixed_noise`` is given."""
    noise = _SN2_BOUNDS if fixed_noise is None else (math.log(fixed_noise),) * 2
    return [_LS_BOUNDS] * n_groups + [_S2_BOUNDS, noise]


def neg_log_posterior(
    theta: FloatArray,
    X: FloatArray,
    y: FloatArray,
    groups: ColumnGroups,
    extra_noise: FloatArray | None = None,
) -> tuple[float, FloatArray]:
    """``U(theta)`` (negative log marginal likelihood minus log prior) and its gradient.

    Args:
        theta: ``(G + 2,)`` log lengthscales, log signal variance, log noise variance.
        X: ``(n, D)`` encoded training rows.
        y: ``(n,)`` standardised targets.
        groups: Which columns share each lengthscale.
        extra_noise: ``(n,)`` known variances added to the fitted noise per row (a
            projected value of a pruned trial), or None.

    Returns:
        The scalar objective and its ``(G + 2,)`` gradient.
    """
    hp = Hyperparameters.from_theta(theta)
    kernel = hp.kernel(groups)
    S = kernel.sq_dist(X, X)
    corr, corr_ds = matern52_with_ds(S)
    F = hp.signal_var * corr
    K = F.copy()
    K[np.diag_indices_from(K)] += hp.noise_var
    if extra_noise is not None:
        K[np.diag_indices_from(K)] += extra_noise
    L = robust_cholesky(K)
    alpha = cho_solve((L, True), y, check_finite=False)
    nll = 0.5 * float(y @ alpha) + float(np.log(np.diag(L)).sum()) + 0.5 * len(y) * _LOG_2PI
    L_inv = solve_triangular(L, np.eye(len(y)), lower=True, check_finite=False)
    W = L_inv.T @ L_inv - np.outer(alpha, alpha)  # K^-1 - alpha alpha^T
    M = W * (hp.signal_var * corr_ds)
    per_column = 2.0 * ((X * X).T @ M.sum(1) - (X * (M @ X)).sum(0))
    grad = np.empty_like(theta)
    grad[:-2] = -groups.sum_by_group(kernel.inv_sq * per_column)
    grad[-2] = 0.5 * float((W * F).sum())
    grad[-1] = 0.5 * hp.noise_var * float(np.trace(W))
    prior, prior_grad = log_prior(theta)
    return nll - prior, grad - prior_grad


def _starts(
    n_groups: int,
    rng: np.random.Generator,
    warm_start: Hyperparameters | None,
    fixed_noise: float | None,
    n_random: int,
) -> list[FloatArray]:
    """Initial ``theta`` vectors: the warm start (else the prior median), then prior draws."""
    mean, std = _prior_moments(n_groups)
    bounds = np.array(theta_bounds(n_groups, fixed_noise))
    if warm_start is not None and warm_start.lengthscales.shape == (n_groups,):
        first = warm_start.to_theta()
    else:
        first = mean.copy()
    draws = [mean + std * rng.standard_normal(n_groups + 2) for _ in range(n_random)]
    return [np.clip(theta, bounds[:, 0], bounds[:, 1]) for theta in [first, *draws]]


def fit_hyperparameters(
    X: FloatArray,
    y: FloatArray,
    groups: ColumnGroups,
    *,
    rng: np.random.Generator,
    warm_start: Hyperparameters | None = None,
    fixed_noise: float | None = None,
    n_random_starts: int = 1,
    deadline: float | None = None,
    extra_noise: FloatArray | None = None,
) -> Hyperparameters:
    """MAP hyperparameters by multi-start L-BFGS-B on :func:`neg_log_posterior`.

    Args:
        X: ``(n, D)`` encoded training rows.
        y: ``(n,)`` standardised targets.
        groups: Which columns share each lengthscale.
        rng: Draws the random starts.
        warm_start: The previous optimum, tried first (ignored if its shape differs).
        fixed_noise: Pin the noise variance to this value (deterministic objectives).
        n_random_starts: Starts drawn from the prior after the first one.
        deadline: A ``time.monotonic()`` instant after which no new start begins. If it
            has already passed, the first start is returned without optimisation.
        extra_noise: ``(n,)`` known per-row variances on top of the fitted noise.

    Returns:
        The best hyperparameters found.
    """
    bounds = theta_bounds(groups.n_groups, fixed_noise)
    starts = _starts(groups.n_groups, rng, warm_start, fixed_noise, n_random_starts)
    best_theta, best_value = starts[0], math.inf
    for theta0 in starts:
        if deadline is not None and time.monotonic() >= deadline:
            break
        try:
            result = minimize(
                neg_log_posterior,
                theta0,
                args=(X, y, groups, extra_noise),
                jac=True,
                method="L-BFGS-B",
                bounds=bounds,
                options={"maxiter": 200},
            )
        except LinAlgError:
            continue
        if np.isfinite(result.fun) and result.fun < best_value:
            best_theta, best_value = np.asarray(result.x, dtype=np.float64), float(result.fun)
    return Hyperparameters.from_theta(best_theta)
