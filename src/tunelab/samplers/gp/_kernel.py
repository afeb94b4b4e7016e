"""The Matérn-5/2 kernel with automatic relevance determination (ARD).

For two encoded rows ``a`` and ``b`` (unit-cube columns from
:class:`~tunelab._encoding.SearchSpaceEncoder` in ``"onehot"`` mode), the kernel is
(Rasmussen & Williams, *Gaussian Processes for Machine Learning*, 2006, eq. 4.17)::

    k(a, b) = s2 * (1 + sqrt(5) r + 5/3 r^2) * exp(-sqrt(5) r),
    r^2     = sum_d c_d (a_d - b_d)^2,      c_d = w_d / l_{g(d)}^2

with signal variance ``s2`` and one lengthscale ``l_g`` per *parameter* ``g``:

* a numeric parameter (float, int, stepped float) owns one column, weight ``w_d = 1``;
* a categorical parameter owns one one-hot column per choice, all sharing the
  parameter's lengthscale with weight ``w_d = 1/2``. Two distinct one-hot vectors differ
  by ``2`` in squared Euclidean distance, so the categorical adds exactly
  ``[a != b] / l_g^2`` to ``r^2``: a Hamming (overlap) distance with one relevance per
  categorical, independent of its number of choices.

Everything is written in terms of ``s = r^2`` because ``f(s) = k / s2`` and its derivative
``f'(s) = -5/6 (1 + sqrt(5 s)) exp(-sqrt(5 s))`` are both smooth at ``s = 0`` (the kernel
is twice differentiable), which keeps the input and hyperparameter gradients exact at
coincident points.

Example:
    >>> import numpy as np
    >>> from tunelab._encoding import SearchSpaceEncoder
    >>> from tunelab.distributions import CategoricalDistribution, FloatDistribution
    >>> from tunelab.samplers.gp._kernel import ColumnGroups, Matern52
    >>> enc = SearchSpaceEncoder({"x": FloatDistribution(0, 1),
    ...                           "c": CategoricalDistribution(["a", "b", "c"])},
    ...                          categorical="onehot")
    >>> kernel = Matern52(ColumnGroups.from_encoder(enc), np.array([0.5, 1.0]), 1.0)
    >>> X = np.array([[0.1, 1, 0, 0], [0.1, 0, 1, 0]])
    >>> round(float(kernel.sq_dist(X, X)[0, 1]), 9)  # one categorical mismatch, lengthscale 1
    1.0
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from tunelab._encoding import SearchSpaceEncoder
from tunelab.distributions import CategoricalDistribution

__all__ = ["ColumnGroups", "Matern52", "matern52", "matern52_ds", "matern52_with_ds"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

_SQRT5 = float(np.sqrt(5.0))


def matern52(s: FloatArray) -> FloatArray:
    """The unit-variance Matérn-5/2 correlation as a function of ``s = r^2``.

    Args:
        s: Squared scaled distances, any shape, ``>= 0``.

    Returns:
        ``(1 + sqrt(5 s) + 5/3 s) exp(-sqrt(5 s))``, the same shape as ``s``.
    """
    root = _SQRT5 * np.sqrt(s)
    return np.asarray((1.0 + root + (5.0 / 3.0) * s) * np.exp(-root), dtype=np.float64)


def matern52_ds(s: FloatArray) -> FloatArray:
    """The derivative of :func:`matern52` with respect to ``s = r^2``.

    ``d/ds f(s) = -5/6 (1 + sqrt(5 s)) exp(-sqrt(5 s))``, finite (``-5/6``) at ``s = 0``.

    Args:
        s: Squared scaled distances, any shape, ``>= 0``.

    Returns:
        The derivative, the same shape as ``s``.
    """
    root = _SQRT5 * np.sqrt(s)
    return np.asarray(-(5.0 / 6.0) * (1.0 + root) * np.exp(-root), dtype=np.float64)


def matern52_with_ds(s: FloatArray) -> tuple[FloatArray, FloatArray]:
    """:func:`matern52` and :func:`matern52_ds` together, sharing the square root and exp."""
    root = _SQRT5 * np.sqrt(s)
    decay = np.exp(-root)
    value = (1.0 + root + (5.0 / 3.0) * s) * decay
    return value, -(5.0 / 6.0) * (1.0 + root) * decay


@dataclass(frozen=True)
class ColumnGroups:
    """Which encoded columns share a lengthscale, and with what weight.

    Attributes:
        group: ``(D,)`` index of the parameter (lengthscale) owning each column.
        weight: ``(D,)`` weight ``w_d``: 1 for numeric columns, 1/2 for one-hot columns.
        n_groups: The number ``G`` of lengthscales (parameters).
    """

    group: IntArray
    weight: FloatArray
    n_groups: int

    @classmethod
    def from_encoder(cls, encoder: SearchSpaceEncoder) -> ColumnGroups:
        """The groups of a one-hot encoder's columns, one group per parameter."""
        group = np.empty(encoder.dim, dtype=np.intp)
        weight = np.ones(encoder.dim)
        for index, name in enumerate(encoder.names):
            cols = encoder.columns[name]
            group[cols] = index
            if isinstance(encoder.space[name], CategoricalDistribution):
                weight[cols] = 0.5
        return cls(group, weight, len(encoder.names))

    def sum_by_group(self, per_column: FloatArray) -> FloatArray:
        """Add a ``(D,)`` per-column quantity into a ``(G,)`` per-group one."""
        return np.bincount(self.group, weights=per_column, minlength=self.n_groups).astype(
            np.float64
        )


@dataclass(frozen=True)
class Matern52:
    """A Matérn-5/2 ARD kernel with fixed hyperparameters.

    Args:
        groups: The column-to-lengthscale map.
        lengthscales: ``(G,)`` positive lengthscales, one per parameter.
        signal_var: The signal variance ``s2 > 0``.

    Example:
        >>> import numpy as np
        >>> from tunelab.samplers.gp._kernel import ColumnGroups, Matern52
        >>> groups = ColumnGroups(np.array([0, 1]), np.ones(2), 2)
        >>> k = Matern52(groups, np.array([0.3, 2.0]), 1.5)
        >>> X = np.random.default_rng(0).random((4, 2))
        >>> K = k(X, X)
        >>> bool(np.allclose(K, K.T)), bool(np.allclose(np.diag(K), 1.5))
        (True, True)
    """

    groups: ColumnGroups
    lengthscales: FloatArray
    signal_var: float

    @property
    def inv_sq(self) -> FloatArray:
        """``(D,)`` per-column factors ``c_d = w_d / l_{g(d)}^2``."""
        ls = self.lengthscales[self.groups.group]
        return np.asarray(self.groups.weight / (ls * ls), dtype=np.float64)

    def sq_dist(self, A: FloatArray, B: FloatArray) -> FloatArray:
        """Scaled squared distances ``s_ij = sum_d c_d (A_id - B_jd)^2``.

        Args:
            A: ``(m, D)`` rows.
            B: ``(n, D)`` rows.

        Returns:
            ``(m, n)`` non-negative distances (exactly 0 for identical rows).
        """
        scale = np.sqrt(self.inv_sq)
        As, Bs = A * scale, B * scale
        s = (As * As).sum(1)[:, None] + (Bs * Bs).sum(1)[None, :] - 2.0 * As @ Bs.T
        return np.asarray(np.maximum(s, 0.0), dtype=np.float64)

    def __call__(self, A: FloatArray, B: FloatArray) -> FloatArray:
        """The ``(m, n)`` covariances between ``(m, D)`` rows ``A`` and ``(n, D)`` rows ``B``."""
        return self.signal_var * matern52(self.sq_dist(A, B))

    def grad_inputs(self, x: FloatArray, X: FloatArray, weights: FloatArray) -> FloatArray:
        """``sum_j weights_ij * d k(x_i, X_j) / d x_i`` for every candidate row ``x_i``.

        With ``G = s2 f'(s)``, ``d k(x, X_j) / d x_d = G_j * 2 c_d (x_d - X_jd)``, so the
        weighted sum is ``2 c * (x * sum_j (G w)_ij - (G w) @ X)``.

        Args:
            x: ``(m, D)`` candidate rows.
            X: ``(n, D)`` training rows.
            weights: ``(m, n)`` weights (e.g. ``alpha`` broadcast, or ``K^-1 k*``).

        Returns:
            ``(m, D)`` gradients.
        """
        Gw = self.signal_var * matern52_ds(self.sq_dist(x, X)) * weights
        return np.asarray(2.0 * self.inv_sq * (x * Gw.sum(1)[:, None] - Gw @ X), dtype=np.float64)
