"""The sampler contract.

A sampler proposes parameter values. The study calls, for each new trial:

1. :meth:`BaseSampler.plan_waiting` when no WAITING trial is left — a sampler that knows
   its whole design up front (a grid) returns the next batch to enqueue;
2. :meth:`BaseSampler.before_trial`;
3. :meth:`BaseSampler.infer_relative_search_space` and :meth:`BaseSampler.sample_relative`
   to draw the parameters it can model jointly;
4. :meth:`BaseSampler.sample_independent` for every other parameter, as the objective
   asks for it (define-by-run);
5. :meth:`BaseSampler.after_trial` once the trial is finished.

Only :meth:`sample_independent` is abstract.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from tunelab._records import FrozenTrial
from tunelab._typing import JSONValue, ParamValue
from tunelab._view import StudyView
from tunelab.distributions import BaseDistribution

__all__ = ["BaseSampler", "WaitingBatch"]


@dataclass(frozen=True)
class WaitingBatch:
    """Configurations a sampler wants enqueued as WAITING trials, at most once per key.

    Attributes:
        key: Identifies the batch within the study; a batch whose key was already
            enqueued (by any worker) is skipped, which makes planning race-free.
        params: One parameter mapping per trial to enqueue.
        system_attrs: Extra system attributes per trial (same length as ``params``).
    """

    key: str
    params: Sequence[Mapping[str, ParamValue]]
    system_attrs: Sequence[Mapping[str, JSONValue]] = field(default_factory=tuple)


class BaseSampler(abc.ABC):
    """Base class of every sampler.

    Example:
        >>> import tunelab as tl
        >>> class LowestSampler(tl.samplers.BaseSampler):
        ...     def sample_independent(self, study, trial, name, distribution):
        ...         return distribution.low
        >>> study = tl.create_study(sampler=LowestSampler())
        >>> study.optimize(lambda t: t.suggest_int("x", 3, 5), n_trials=1)
        >>> study.best_params
        {'x': 3}
    """

    def plan_waiting(self, study: StudyView) -> WaitingBatch | None:
        """The next batch of configurations to enqueue, or None to sample freely.

        Raises:
            SearchSpaceExhausted: Nothing is left to try; the study stops.
        """
        return None

    def before_trial(self, study: StudyView, trial: FrozenTrial) -> None:  # noqa: B027
        """Hook called when a trial starts, before any parameter is sampled."""

    def infer_relative_search_space(
        self, study: StudyView, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        """The parameters this sampler wants to draw jointly for ``trial``."""
        return {}

    def sample_relative(
        self,
        study: StudyView,
        trial: FrozenTrial,
        search_space: Mapping[str, BaseDistribution],
    ) -> dict[str, ParamValue]:
        """Joint values for (some of) ``search_space``; missing names fall back."""
        return {}

    @abc.abstractmethod
    def sample_independent(
        self,
        study: StudyView,
        trial: FrozenTrial,
        name: str,
        distribution: BaseDistribution,
    ) -> ParamValue:
        """A value for one parameter, drawn on its own."""

    def after_trial(self, study: StudyView, trial: FrozenTrial) -> None:  # noqa: B027
        """Hook called with the finished trial."""

    def reseed_rng(self, seed: int | None = None) -> None:  # noqa: B027
        """Reset the random state (used by process workers so they do not draw alike)."""
