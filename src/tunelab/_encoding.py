"""The one codec between parameters and the unit hypercube.

Every model-based sampler (QMC, GP, CMA-ES, multivariate TPE) and the random sampler see a
search space through this module, so log scales, integer steps and categoricals are
handled the same way everywhere.

Per dimension, an internal value ``x`` maps to ``u`` in ``[0, 1]``:

* continuous float: ``u = (x - low) / (high - low)``; log floats do the same in log space;
* a variable with ``n`` discrete values (stepped float/int, categorical in ``"index"``
  mode): value ``k`` owns the bin ``[k/n, (k+1)/n)`` and encodes to its centre;
* log int: continuous in log space over ``[low - 0.5, high + 0.5]``, rounded on decode,
  so every integer owns an interval proportional to its log-width;
* categorical in ``"onehot"`` mode: one column per choice; decode takes the arg-max.

Example:
    >>> import numpy as np
    >>> from tunelab._encoding import SearchSpaceEncoder
    >>> from tunelab.distributions import FloatDistribution, CategoricalDistribution
    >>> enc = SearchSpaceEncoder({"lr": FloatDistribution(1e-4, 1e-2, log=True),
    ...                           "opt": CategoricalDistribution(["sgd", "adam"])})
    >>> enc.encode({"lr": 1e-3, "opt": "adam"}).round(3).tolist()
    [0.5, 0.75]
    >>> enc.decode(np.array([0.5, 0.1]))["opt"]
    'sgd'
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Literal

import numpy as np
import numpy.typing as npt

from tunelab._typing import ParamValue
from tunelab.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

__all__ = [
    "SearchSpaceEncoder",
    "internal_to_unit",
    "unit_to_internal",
    "unit_to_internal_scalar",
]

FloatArray = npt.NDArray[np.float64]


def _lattice(dist: BaseDistribution) -> tuple[int, float, float, float] | None:
    """``(n, low, step, high)`` of a dimension with ``n`` discrete values; None if continuous.

    A categorical's values are its indices ``0 .. n-1``.
    """
    if isinstance(dist, CategoricalDistribution):
        n = len(dist.choices)
        return n, 0.0, 1.0, float(n - 1)
    if isinstance(dist, IntDistribution) and not dist.log:
        n = (dist.high - dist.low) // dist.step + 1
        return n, float(dist.low), float(dist.step), float(dist.high)
    if isinstance(dist, FloatDistribution) and dist.step is not None:
        n = round((dist.high - dist.low) / dist.step) + 1
        return n, dist.low, dist.step, dist.high
    return None


def _continuous(dist: BaseDistribution) -> FloatDistribution | IntDistribution:
    if isinstance(dist, (FloatDistribution, IntDistribution)):
        return dist
    raise TypeError(f"unsupported distribution {dist!r}")


def _log_bounds(dist: FloatDistribution | IntDistribution) -> tuple[float, float]:
    if isinstance(dist, IntDistribution):
        return math.log(dist.low - 0.5), math.log(dist.high + 0.5)
    return math.log(dist.low), math.log(dist.high)


def unit_to_internal(dist: BaseDistribution, u: FloatArray) -> FloatArray:
    """Map unit-interval coordinates to internal values of ``dist`` (vectorised).

    Args:
        dist: The distribution of this dimension.
        u: Array of any shape with values in ``[0, 1]`` (clipped).

    Returns:
        Internal values, the same shape as ``u``, every one ``dist.contains``.
    """
    u = np.clip(np.asarray(u, dtype=np.float64), 0.0, 1.0)
    lattice = _lattice(dist)
    if lattice is not None:
        n, low, step, high = lattice
        k = np.minimum(np.floor(u * n), n - 1)
        if isinstance(dist, FloatDistribution):
            return np.array(
                [dist.lattice_value(int(i)) for i in k.ravel()], dtype=np.float64
            ).reshape(k.shape)
        return np.asarray(np.minimum(low + k * step, high), dtype=np.float64)
    cont = _continuous(dist)
    if cont.log:
        lo, hi = _log_bounds(cont)
        x = np.exp(lo + u * (hi - lo))
    else:
        x = cont.low + u * (cont.high - cont.low)
    if isinstance(cont, IntDistribution):
        x = np.round(x)
    return np.asarray(np.clip(x, cont.low, cont.high), dtype=np.float64)


def unit_to_internal_scalar(dist: BaseDistribution, u: float) -> float:
    """:func:`unit_to_internal` for one coordinate, without NumPy overhead.

    Gives the same result as the vectorised version up to the last-digit rounding of
    ``exp`` (NumPy's vectorised ``exp`` may differ from ``math.exp`` by one ulp); the
    random sampler calls it once per parameter, so it is on the hot path.
    """
    u = 0.0 if u < 0.0 else (1.0 if u > 1.0 else u)
    lattice = _lattice(dist)
    if lattice is not None:
        n, low, step, high = lattice
        k = min(math.floor(u * n), n - 1)
        if isinstance(dist, FloatDistribution):
            return dist.lattice_value(k)
        return min(low + k * step, high)
    cont = _continuous(dist)
    if cont.log:
        lo, hi = _log_bounds(cont)
        x = math.exp(lo + u * (hi - lo))
    else:
        x = cont.low + u * (cont.high - cont.low)
    if isinstance(cont, IntDistribution):
        x = float(round(x))
    return float(min(max(x, cont.low), cont.high))


def internal_to_unit(dist: BaseDistribution, x: FloatArray) -> FloatArray:
    """Map internal values of ``dist`` to unit-interval coordinates (vectorised).

    The inverse of :func:`unit_to_internal` up to binning: discrete values map to the
    centre of their bin.
    """
    x = np.asarray(x, dtype=np.float64)
    lattice = _lattice(dist)
    if lattice is not None:
        n, low, step, _ = lattice
        k = np.round((x - low) / step)
        return np.asarray((k + 0.5) / n, dtype=np.float64)
    cont = _continuous(dist)
    if cont.log:
        lo, hi = _log_bounds(cont)
        if hi == lo:  # a single value (or two neighbouring floats with equal logs)
            return np.full_like(x, 0.5)
        return np.asarray((np.log(x) - lo) / (hi - lo), dtype=np.float64)
    if cont.high == cont.low:
        return np.full_like(x, 0.5)
    return np.asarray((x - cont.low) / (cont.high - cont.low), dtype=np.float64)


class SearchSpaceEncoder:
    """Encode whole configurations as rows of a unit-cube matrix, and decode them back.

    Args:
        space: The distributions, in the column order to use.
        categorical: ``"index"`` gives each categorical one binned column; ``"onehot"``
            gives it one column per choice.

    Attributes:
        names: The parameter names in column order.
        columns: For each name, the slice of columns it occupies.
        dim: The total number of columns.
    """

    def __init__(
        self,
        space: Mapping[str, BaseDistribution],
        *,
        categorical: Literal["index", "onehot"] = "index",
    ) -> None:
        if categorical not in ("index", "onehot"):
            raise ValueError(f"categorical={categorical!r} must be 'index' or 'onehot'")
        self.space = dict(space)
        self.names = tuple(self.space)
        self._onehot = categorical == "onehot"
        self.columns: dict[str, slice] = {}
        start = 0
        for name, dist in self.space.items():
            width = (
                len(dist.choices)
                if (self._onehot and isinstance(dist, CategoricalDistribution))
                else 1
            )
            self.columns[name] = slice(start, start + width)
            start += width
        self.dim = start

    def encode_internal(self, internal: Mapping[str, float]) -> FloatArray:
        """One row from internal values (as storages hold them)."""
        row = np.empty(self.dim)
        for name, dist in self.space.items():
            cols = self.columns[name]
            if self._onehot and isinstance(dist, CategoricalDistribution):
                row[cols] = 0.0
                row[cols.start + int(internal[name])] = 1.0
            else:
                row[cols.start] = internal_to_unit(dist, np.float64(internal[name]))
        return row

    def encode(self, params: Mapping[str, ParamValue]) -> FloatArray:
        """One row from external parameter values."""
        return self.encode_internal(
            {name: dist.to_internal(params[name]) for name, dist in self.space.items()}
        )

    def decode_internal(self, rows: FloatArray) -> dict[str, FloatArray]:
        """Internal values for each name from an ``(n, dim)`` or ``(dim,)`` array."""
        rows = np.atleast_2d(np.asarray(rows, dtype=np.float64))
        if rows.shape[1] != self.dim:
            raise ValueError(f"expected {self.dim} columns, got {rows.shape[1]}")
        out: dict[str, FloatArray] = {}
        for name, dist in self.space.items():
            cols = self.columns[name]
            if self._onehot and isinstance(dist, CategoricalDistribution):
                out[name] = np.argmax(rows[:, cols], axis=1).astype(np.float64)
            else:
                out[name] = unit_to_internal(dist, rows[:, cols.start])
        return out

    def decode(self, row: FloatArray) -> dict[str, ParamValue]:
        """External parameter values from one row."""
        internal = self.decode_internal(row)
        return {
            name: self.space[name].to_external(float(internal[name][0])) for name in self.names
        }
