"""The Gaussian-process posterior for fixed hyperparameters, with input gradients.

With training rows ``X`` ``(n, D)``, standardised targets ``y`` ``(n,)``, kernel ``k`` and
noise variance ``sn2``, a zero-mean GP has (Rasmussen & Williams 2006, Algorithm 2.1)::

    K     = k(X, X) + sn2 I + diag(e) = L L^T  (Cholesky, with jitter escalation;
                                              e: known extra variances per row, 0 mostly)
    alpha = K^-1 y
    mean(x) = k(x, X) alpha
    var(x)  = s2 - || L^-1 k(X, x) ||^2      (latent variance, noise excluded)

and the gradients used by the acquisition optimiser::

    d mean / dx = sum_j alpha_j d k(x, X_j)/dx
    d var / dx  = -2 sum_j (K^-1 k(X, x))_j d k(x, X_j)/dx

Pending evaluations enter as *fantasies* (the "kriging believer" heuristic of Ginsbourger,
Le Riche & Carraro, 2010): they are appended with their current posterior mean as the
observed value, which leaves the mean unchanged but shrinks the variance around them.

Example:
    >>> import numpy as np
    >>> from tunelab.samplers.gp._kernel import ColumnGroups, Matern52
    >>> from tunelab.samplers.gp._posterior import Posterior
    >>> kernel = Matern52(ColumnGroups(np.array([0]), np.ones(1), 1), np.array([0.3]), 1.0)
    >>> X = np.array([[0.1], [0.5], [0.9]]); y = np.array([-1.0, 1.0, 0.0])
    >>> post = Posterior.fit(kernel, 1e-6, X, y)
    >>> mean, var = post.predict(X)
    >>> bool(np.allclose(mean, y, atol=1e-4)), bool(np.all(var < 1e-4))
    (True, True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.linalg import LinAlgError, cho_solve, cholesky, solve_triangular

from tunelab.samplers.gp._kernel import Matern52

__all__ = ["Posterior", "robust_cholesky"]

FloatArray = npt.NDArray[np.float64]

_JITTERS = (0.0, 1e-10, 1e-8, 1e-6, 1e-4, 1e-2)
_MIN_VAR = 1e-12


def robust_cholesky(K: FloatArray) -> FloatArray:
    """The lower Cholesky factor of ``K``, adding diagonal jitter until it succeeds.

    The jitter escalates through ``0, 1e-10, ..., 1e-2`` times the mean diagonal.

    Args:
        K: ``(n, n)`` symmetric matrix, positive semi-definite up to rounding.

    Returns:
        ``(n, n)`` lower-triangular ``L`` with ``L L^T = K + jitter I``.

    Raises:
        numpy.linalg.LinAlgError: ``K`` is not positive definite even with the largest
            jitter (e.g. it holds NaN).
    """
    scale = float(np.mean(np.diag(K))) if K.size else 1.0
    if not np.isfinite(scale) or scale <= 0.0:
        scale = 1.0
    eye = np.eye(K.shape[0])
    for jitter in _JITTERS:
        try:
            L = cholesky(K + (jitter * scale) * eye, lower=True, check_finite=True)
        except (LinAlgError, ValueError):
            continue
        return np.asarray(L, dtype=np.float64)
    raise LinAlgError(
        f"the {K.shape[0]}x{K.shape[0]} kernel matrix is not positive definite, "
        f"even with a jitter of {_JITTERS[-1]:g} times its mean diagonal"
    )


@dataclass(frozen=True)
class Posterior:
    """A GP conditioned on data (build it with :meth:`Posterior.fit`).

    Attributes:
        kernel: The kernel with its fitted hyperparameters.
        noise_var: The observation noise variance ``sn2``.
        X: ``(n, D)`` training rows.
        y: ``(n,)`` training targets (standardised).
        L: ``(n, n)`` lower Cholesky factor of ``k(X, X) + sn2 I + diag(extra_noise)``.
        alpha: ``(n,)`` the vector ``K^-1 y``.
        extra_noise: ``(n,)`` known per-row variances on top of ``sn2`` (zeros for
            exact-as-observed rows).
    """

    kernel: Matern52
    noise_var: float
    X: FloatArray
    y: FloatArray
    L: FloatArray
    alpha: FloatArray
    extra_noise: FloatArray

    @classmethod
    def fit(
        cls,
        kernel: Matern52,
        noise_var: float,
        X: FloatArray,
        y: FloatArray,
        extra_noise: FloatArray | None = None,
    ) -> Posterior:
        """Condition the GP on ``(n, D)`` rows ``X`` with ``(n,)`` targets ``y``."""
        extra = np.zeros(len(y)) if extra_noise is None else np.asarray(extra_noise, float)
        K = kernel(X, X)
        K[np.diag_indices_from(K)] += noise_var + extra
        L = robust_cholesky(K)
        alpha = cho_solve((L, True), y, check_finite=False)
        return cls(kernel, noise_var, X, y, L, np.asarray(alpha, dtype=np.float64), extra)

    def with_fantasies(self, X_pending: FloatArray) -> Posterior:
        """Add ``(p, D)`` pending rows, observed at their posterior mean (kriging believer)."""
        if X_pending.shape[0] == 0:
            return self
        mean, _ = self.predict(X_pending)
        X = np.vstack([self.X, X_pending])
        y = np.concatenate([self.y, mean])
        extra = np.concatenate([self.extra_noise, np.zeros(len(mean))])
        return Posterior.fit(self.kernel, self.noise_var, X, y, extra)

    def predict(self, x: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Posterior mean ``(m,)`` and latent variance ``(m,)`` at ``(m, D)`` rows."""
        k_star = self.kernel(x, self.X)
        mean = k_star @ self.alpha
        v = solve_triangular(self.L, k_star.T, lower=True, check_finite=False)
        var = self.kernel.signal_var - (v * v).sum(0)
        return mean, np.maximum(var, _MIN_VAR)

    def predict_with_grad(
        self, x: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """Mean ``(m,)``, variance ``(m,)`` and their input gradients ``(m, D)`` each.

        Where the variance is clipped at its floor (``1e-12``), its gradient is 0.
        """
        k_star = self.kernel(x, self.X)
        mean = k_star @ self.alpha
        beta = cho_solve((self.L, True), k_star.T, check_finite=False).T  # (m, n)
        raw_var = self.kernel.signal_var - (k_star * beta).sum(1)
        d_mean = self.kernel.grad_inputs(x, self.X, np.broadcast_to(self.alpha, k_star.shape))
        d_var = -2.0 * self.kernel.grad_inputs(x, self.X, beta)
        floored = raw_var <= _MIN_VAR
        d_var[floored] = 0.0
        return mean, np.maximum(raw_var, _MIN_VAR), d_mean, d_var
