"""Exhaustive grid search: every combination exactly once, then the study stops."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from typing import cast

import numpy as np

from tunelab._records import FrozenTrial
from tunelab._space import Grid
from tunelab._typing import ParamValue
from tunelab._view import StudyView
from tunelab.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from tunelab.exceptions import SearchSpaceExhausted
from tunelab.samplers._base import BaseSampler, WaitingBatch
from tunelab.samplers._seeding import base_seed, trial_rng

__all__ = ["GridSampler"]

_MAX_ENUMERATED = 1_000_000
_ATTR = "grid:position"


def _enumerate(name: str, spec: Sequence[ParamValue] | BaseDistribution) -> tuple[ParamValue, ...]:
    """The list of values for one grid parameter, validated."""
    if isinstance(spec, CategoricalDistribution):
        return spec.choices
    if isinstance(spec, (IntDistribution, FloatDistribution)):
        if isinstance(spec, FloatDistribution) and spec.step is None:
            raise ValueError(
                f"grid parameter {name!r}: {spec!r} is continuous; give it a step or list "
                "the values to try"
            )
        if spec.log:
            raise ValueError(
                f"grid parameter {name!r}: a log-scaled distribution cannot be "
                "enumerated; list the values to try"
            )
        step = spec.step or 1
        count = round((spec.high - spec.low) / step) + 1
        if count > _MAX_ENUMERATED:
            raise ValueError(
                f"grid parameter {name!r}: {spec!r} has {count} values, more "
                f"than {_MAX_ENUMERATED}"
            )
        if isinstance(spec, FloatDistribution):
            return tuple(spec.lattice_value(k) for k in range(count))
        return tuple(spec.to_external(spec.low + k * step) for k in range(count))
    try:
        # The categorical checks (types, distinctness) are exactly what a grid needs.
        return CategoricalDistribution(tuple(cast(Sequence[ParamValue], spec))).choices
    except (TypeError, ValueError) as exc:
        raise ValueError(f"grid parameter {name!r}: {exc}") from None


class GridSampler(BaseSampler):
    """Try every combination of the given values exactly once, then stop the study.

    Grid points are enqueued as WAITING trials in small batches, each batch at most once
    per study, and every WAITING trial is claimed by exactly one worker: threads or
    processes sharing the study never evaluate a point twice. When every point has been
    handed out, :meth:`Study.optimize` returns by itself.

    Args:
        search_space: For each parameter name, the values to try (a list or tuple), or a
            distribution that can be enumerated (categorical, int, or float with a step).
        seed: With a seed, points are visited in a pseudo-random order fixed by it;
            without one, in the order of :class:`itertools.product` over the values.

    Raises:
        ValueError: A parameter has no values, repeated values, unsupported value types,
            or a distribution that cannot be enumerated.

    Example:
        >>> import tunelab as tl
        >>> sampler = tl.samplers.GridSampler({"lr": [1e-3, 1e-2], "depth": [4, 8]})
        >>> study = tl.create_study(sampler=sampler)
        >>> study.optimize(lambda t: t.suggest_float("lr", 1e-5, 1e-1, log=True)
        ...                * t.suggest_int("depth", 2, 12))
        >>> len(study.trials)
        4
    """

    batch_size = 16

    def __init__(
        self,
        search_space: Mapping[str, Sequence[ParamValue] | BaseDistribution],
        seed: int | None = None,
    ) -> None:
        if not isinstance(search_space, Mapping) or not search_space:
            raise ValueError("search_space must be a non-empty mapping of name -> values")
        self._grid = Grid({name: _enumerate(name, spec) for name, spec in search_space.items()})
        blob = json.dumps([[n, list(self._grid.values_of(n))] for n in self._grid.names])
        self._fingerprint = hashlib.sha1(blob.encode()).hexdigest()[:12]
        self._seed = base_seed(seed)
        size = len(self._grid)
        if seed is None or size < 2:
            self._mult, self._shift = 1, 0
        else:  # an affine bijection of range(size): random order without a stored permutation
            order_rng = np.random.default_rng(seed)
            mult = int(order_rng.integers(1, size))
            while math.gcd(mult, size) != 1:
                mult = mult % (size - 1) + 1
            self._mult, self._shift = mult, int(order_rng.integers(0, size))
        self._next_batch: dict[str, int] = {}

    @property
    def grid_size(self) -> int:
        """The number of combinations."""
        return len(self._grid)

    def point(self, position: int) -> dict[str, ParamValue]:
        """The combination visited at ``position`` (0-based) in this sampler's order."""
        return self._grid[(self._mult * position + self._shift) % len(self._grid)]

    def plan_waiting(self, study: StudyView) -> WaitingBatch:
        batch = self._next_batch.get(study.study_name, 0)
        start = batch * self.batch_size
        if start >= len(self._grid):
            raise SearchSpaceExhausted(
                f"every one of the {len(self._grid)} grid points has been handed out"
            )
        self._next_batch[study.study_name] = batch + 1
        positions = range(start, min(start + self.batch_size, len(self._grid)))
        return WaitingBatch(
            key=f"grid:{self._fingerprint}:{batch}",
            params=[self.point(p) for p in positions],
            system_attrs=[{_ATTR: p, "grid:id": self._fingerprint} for p in positions],
        )

    def sample_independent(
        self,
        study: StudyView,
        trial: FrozenTrial,
        name: str,
        distribution: BaseDistribution,
    ) -> ParamValue:
        if name not in self._grid.names:
            raise ValueError(
                f"parameter {name!r} is not in the GridSampler's grid (grid parameters: "
                f"{', '.join(self._grid.names)}); add it to the grid or use another sampler"
            )
        # A trial the grid did not plan (e.g. enqueued by hand): pick a grid value.
        values = self._grid.values_of(name)
        return values[int(trial_rng(self._seed, trial, name).integers(len(values)))]
