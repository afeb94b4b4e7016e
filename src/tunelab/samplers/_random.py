"""Uniform random search."""

from __future__ import annotations

import numpy as np

from tunelab._encoding import unit_to_internal_scalar
from tunelab._records import FrozenTrial
from tunelab._typing import ParamValue
from tunelab._view import StudyView
from tunelab.distributions import BaseDistribution
from tunelab.samplers._base import BaseSampler

__all__ = ["RandomSampler"]


class RandomSampler(BaseSampler):
    """Draw every parameter independently and uniformly (in log space for ``log=True``).

    Args:
        seed: Seed of the random generator; the same seed gives the same sequence of
            configurations for the same objective.

    Example:
        >>> import tunelab as tl
        >>> def objective(trial):
        ...     return trial.suggest_float("x", -1, 1) ** 2
        >>> a = tl.create_study(sampler=tl.samplers.RandomSampler(seed=0))
        >>> b = tl.create_study(sampler=tl.samplers.RandomSampler(seed=0))
        >>> a.optimize(objective, n_trials=5); b.optimize(objective, n_trials=5)
        >>> [t.params for t in a.trials] == [t.params for t in b.trials]
        True
    """

    def __init__(self, seed: int | None = None) -> None:
        self._seed = seed
        self._rng = np.random.default_rng(seed)

    def reseed_rng(self, seed: int | None = None) -> None:
        self._rng = np.random.default_rng(seed)

    def sample_independent(
        self,
        study: StudyView,
        trial: FrozenTrial,
        name: str,
        distribution: BaseDistribution,
    ) -> ParamValue:
        return distribution.to_external(
            unit_to_internal_scalar(distribution, float(self._rng.random()))
        )
