"""Maximise an acquisition function over the encoded (one-hot) search space.

The encoded space mixes continuous columns with discrete ones (integers, stepped floats,
categorical one-hot blocks), and the acquisition is smooth but multi-modal. The search:

1. scores a scrambled Sobol design (Owen 1998; ``scipy.stats.qmc``) together with the
   best observed rows and small Gaussian perturbations of them, every row first
   *snapped* to a valid configuration by the encoder's decode/encode round trip;
2. from the best few distinct candidates, runs L-BFGS-B (Byrd, Lu, Nocedal & Zhu 1995)
   on every non-categorical column, treating integers and stepped floats as continuous
   (a relaxation), all starts batched into one problem, then snaps the results;
3. improves each snapped point by steepest-ascent local search over its discrete
   neighbours: one step up or down for each integer or stepped float, every other choice
   for each categorical, until no neighbour is better.

With a ``deadline`` (``time.monotonic()`` seconds), no new phase or start begins after it;
if it has passed before step 2, the best candidate of step 1 is returned and the result
is marked ``degraded``.

Example:
    >>> import numpy as np
    >>> from tunelab._encoding import SearchSpaceEncoder
    >>> from tunelab.distributions import FloatDistribution, IntDistribution
    >>> from tunelab.samplers.gp._optimize import maximize_acquisition
    >>> enc = SearchSpaceEncoder({"x": FloatDistribution(0, 1), "n": IntDistribution(0, 10)},
    ...                          categorical="onehot")
    >>> class Peak:  # maximum at x = 0.3, n = 7
    ...     target = enc.encode({"x": 0.3, "n": 7})
    ...     def values(self, x):
    ...         return -((x - self.target) ** 2).sum(1)
    ...     def value_and_grad(self, x):
    ...         return self.values(x), -2 * (x - self.target)
    >>> best = maximize_acquisition(Peak(), enc, np.random.default_rng(0))
    >>> params = enc.decode(best.x)
    >>> round(params["x"], 4), params["n"]
    (0.3, 7)
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize

from tunelab._encoding import SearchSpaceEncoder, internal_to_unit
from tunelab.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from tunelab.samplers.gp._acquisition import Acquisition

__all__ = ["AcquisitionOptimum", "maximize_acquisition", "neighbours", "snap"]

FloatArray = npt.NDArray[np.float64]

_PERTURBATIONS_PER_ANCHOR = 16
_PERTURBATION_SCALE = 0.05
_MAX_LOCAL_ROUNDS = 32


@dataclass(frozen=True)
class AcquisitionOptimum:
    """The best row found.

    Attributes:
        x: ``(D,)`` a snapped (valid) encoded row.
        value: Its acquisition value.
        degraded: The deadline cut the search short after the candidate scoring.
    """

    x: FloatArray
    value: float
    degraded: bool


def _is_categorical_block(encoder: SearchSpaceEncoder, name: str) -> bool:
    return isinstance(encoder.space[name], CategoricalDistribution)


def snap(encoder: SearchSpaceEncoder, X: FloatArray) -> FloatArray:
    """Round ``(m, D)`` rows to valid configurations: ``encode(decode(X))``, row-wise.

    Continuous columns are only clipped; discrete ones move to their value's bin centre;
    a categorical's one-hot block becomes the indicator of its arg-max.
    """
    internal = encoder.decode_internal(X)
    out = np.empty((X.shape[0], encoder.dim))
    for name, dist in encoder.space.items():
        cols = encoder.columns[name]
        if _is_categorical_block(encoder, name):
            out[:, cols] = np.eye(cols.stop - cols.start)[internal[name].astype(np.intp)]
        else:
            out[:, cols.start] = internal_to_unit(dist, internal[name])
    return out


def neighbours(encoder: SearchSpaceEncoder, row: FloatArray) -> FloatArray:
    """``(k, D)`` valid rows that differ from ``row`` in one discrete parameter.

    Integers and stepped floats move one step either way (within bounds); a categorical
    takes each of its other choices. Continuous columns are unchanged.
    """
    internal = encoder.decode_internal(row)
    found: list[FloatArray] = []
    for name, dist in encoder.space.items():
        cols = encoder.columns[name]
        current = float(internal[name][0])
        if _is_categorical_block(encoder, name):
            for choice in range(cols.stop - cols.start):
                if choice != int(current):
                    other = row.copy()
                    other[cols] = 0.0
                    other[cols.start + choice] = 1.0
                    found.append(other)
        elif isinstance(dist, (IntDistribution, FloatDistribution)) and dist.step is not None:
            step = float(dist.step)
            for value in (current - step, current + step):
                if dist.low - step / 2 <= value <= dist.high + step / 2:
                    other = row.copy()
                    other[cols.start] = internal_to_unit(dist, np.array([value]))[0]
                    found.append(other)
    return np.array(found).reshape(-1, encoder.dim)


def _expired(deadline: float | None) -> bool:
    return deadline is not None and time.monotonic() >= deadline


def _candidates(
    encoder: SearchSpaceEncoder, rng: np.random.Generator, anchors: FloatArray, n_sobol: int
) -> FloatArray:
    """``(n_sobol + k (1 + P), D)`` snapped Sobol points, anchors and their perturbations."""
    from scipy.stats import qmc  # deferred: scipy.stats is slow to import

    engine = qmc.Sobol(d=encoder.dim, scramble=True, seed=int(rng.integers(2**31)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # balance warnings for odd sizes
        sobol = engine.random(n_sobol)
    jitter = rng.normal(
        scale=_PERTURBATION_SCALE, size=(anchors.shape[0], _PERTURBATIONS_PER_ANCHOR, encoder.dim)
    )
    perturbed = np.clip(anchors[:, None, :] + jitter, 0.0, 1.0).reshape(-1, encoder.dim)
    return snap(encoder, np.vstack([sobol, anchors, perturbed]))


def _ascend(acq: Acquisition, starts: FloatArray, free: npt.NDArray[np.bool_]) -> FloatArray:
    """L-BFGS-B on the ``free`` columns of the ``(k, D)`` ``starts``, within ``[0, 1]``.

    The ``k`` ascents run as one problem: the sum of the acquisition at ``k`` points,
    whose gradient separates by point, so one batched evaluation serves all starts
    (a fraction of the cost of ``k`` runs, each paying Python and kernel overhead).
    """
    k, n_free = starts.shape[0], int(free.sum())

    def negative(z: FloatArray) -> tuple[float, FloatArray]:
        x = starts.copy()
        x[:, free] = z.reshape(k, n_free)
        value, grad = acq.value_and_grad(x)
        finite = np.isfinite(value)
        total = float(value[finite].sum()) - 1e10 * int((~finite).sum())
        g = np.where(finite[:, None], np.asarray(grad)[:, free], 0.0)
        return -total, np.asarray(-g, dtype=np.float64).ravel()

    result = minimize(
        negative,
        starts[:, free].ravel(),
        jac=True,
        method="L-BFGS-B",
        bounds=[(0.0, 1.0)] * (k * n_free),
        options={"maxiter": 100},
    )
    x: FloatArray = np.array(starts, dtype=np.float64)
    x[:, free] = np.clip(result.x.reshape(k, n_free), 0.0, 1.0)
    return x


def _local_search(
    acq: Acquisition,
    encoder: SearchSpaceEncoder,
    x: FloatArray,
    value: float,
    deadline: float | None,
) -> tuple[FloatArray, float]:
    """Steepest ascent over discrete neighbours until none improves (or time is up)."""
    for _ in range(_MAX_LOCAL_ROUNDS):
        rows = neighbours(encoder, x)
        if rows.shape[0] == 0 or _expired(deadline):
            break
        values = acq.values(rows)
        best = int(np.argmax(values))
        if not values[best] > value:
            break
        x, value = rows[best], float(values[best])
    return x, value


def _distinct_top(candidates: FloatArray, values: FloatArray, count: int) -> list[int]:
    """Indices of the ``count`` best candidates with distinct rows."""
    chosen: list[int] = []
    for index in np.argsort(-values, kind="stable"):
        if all(not np.array_equal(candidates[index], candidates[j]) for j in chosen):
            chosen.append(int(index))
        if len(chosen) == count:
            break
    return chosen


def maximize_acquisition(
    acq: Acquisition,
    encoder: SearchSpaceEncoder,
    rng: np.random.Generator,
    *,
    anchors: FloatArray | None = None,
    n_candidates: int = 1024,
    n_starts: int = 4,
    deadline: float | None = None,
) -> AcquisitionOptimum:
    """The best encoded row found for ``acq`` (see the module docstring for the steps).

    Args:
        acq: The acquisition function to maximise.
        encoder: A ``"onehot"`` encoder of the search space.
        rng: Seeds the Sobol scrambling and the perturbations.
        anchors: ``(k, D)`` rows to include and perturb, e.g. the best observed ones.
        n_candidates: Sobol points to score (a power of two keeps the design balanced).
        n_starts: Local optimisations started from the best distinct candidates.
        deadline: A ``time.monotonic()`` instant; see the module docstring.

    Returns:
        The best valid row and its value.
    """
    anchors = np.empty((0, encoder.dim)) if anchors is None else anchors
    candidates = _candidates(encoder, rng, anchors, n_candidates)
    values = acq.values(candidates)
    best = int(np.argmax(values))
    best_x, best_value = candidates[best], float(values[best])
    if _expired(deadline):
        return AcquisitionOptimum(best_x, best_value, degraded=True)
    free = np.ones(encoder.dim, dtype=bool)
    for name in encoder.names:
        if _is_categorical_block(encoder, name):
            free[encoder.columns[name]] = False
    starts = candidates[_distinct_top(candidates, values, n_starts)]
    if free.any():
        starts = snap(encoder, _ascend(acq, starts, free))
    for x, value in zip(starts, acq.values(starts), strict=True):
        if _expired(deadline):
            break
        x, value = _local_search(acq, encoder, x, float(value), deadline)
        if value > best_value:
            best_x, best_value = x, value
    return AcquisitionOptimum(best_x, best_value, degraded=False)
