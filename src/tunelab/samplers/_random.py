"""Uniform random search."""

from __future__ import annotations

from tunelab._encoding import unit_to_internal_scalar
from tunelab._records import FrozenTrial
from tunelab._typing import ParamValue
from tunelab._view import StudyView
from tunelab.distributions import BaseDistribution
from tunelab.samplers._base import BaseSampler
from tunelab.samplers._seeding import base_seed, trial_rng

__all__ = ["RandomSampler"]


class RandomSampler(BaseSampler):
    """Draw every parameter independently and uniformly (in log space for ``log=True``).

    Args:
        seed: Seed of the random generator; the same seed gives the same sequence of
            configurations for the same objective. Each draw depends on the seed, the
            trial number and the parameter name, so a study resumed in a new process
            (or driven by ``tunelab ask``) does not repeat its first trials.

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
        self._seed = base_seed(seed)

    def reseed_rng(self, seed: int | None = None) -> None:
        self._seed = base_seed(seed)

    def sample_independent(
        self,
        study: StudyView,
        trial: FrozenTrial,
        name: str,
        distribution: BaseDistribution,
    ) -> ParamValue:
        unit = float(trial_rng(self._seed, trial, name).random())
        return distribution.to_external(unit_to_internal_scalar(distribution, unit))
