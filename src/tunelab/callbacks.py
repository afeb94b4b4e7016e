"""Callbacks run after each finished trial of :meth:`tunelab.Study.optimize`.

A callback is any callable ``callback(study, trial)`` where ``trial`` is the finished
:class:`~tunelab.FrozenTrial`. Exceptions raised by a callback stop the optimisation.

Example:
    >>> import tunelab as tl
    >>> study = tl.create_study()
    >>> stop_after_3 = tl.callbacks.MaxTrialsCallback(3)
    >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=10,
    ...                callbacks=[stop_after_3])
    >>> len(study.trials)
    3
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any, Protocol

from tunelab._records import FrozenTrial, TrialState

__all__ = ["Callback", "MaxTrialsCallback"]


class _StoppableStudy(Protocol):
    def stop(self) -> None: ...

    def get_trials(
        self, *, states: Collection[TrialState] | None = None
    ) -> Sequence[FrozenTrial]: ...


class Callback(Protocol):
    """The callback signature: called with the study and the trial that just finished."""

    def __call__(self, study: Any, trial: FrozenTrial) -> None:  # noqa: D102
        ...


class MaxTrialsCallback:
    """Stop the study once it holds ``n_trials`` trials in the given states.

    Unlike ``optimize(n_trials=...)``, which counts the trials of one call, this counts
    the whole study, so a resumed study stops at the same total.

    Args:
        n_trials: The number of trials after which to stop.
        states: Which states count; COMPLETE, PRUNED and FAIL by default.

    Raises:
        ValueError: ``n_trials`` is below 1.
    """

    def __init__(
        self,
        n_trials: int,
        states: Collection[TrialState] = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL),
    ) -> None:
        if isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 1:
            raise ValueError(f"n_trials={n_trials!r} must be an integer >= 1")
        self.n_trials = n_trials
        self.states = tuple(states)

    def __call__(self, study: _StoppableStudy, trial: FrozenTrial) -> None:
        """Stop ``study`` when enough trials have finished."""
        if len(study.get_trials(states=self.states)) >= self.n_trials:
            study.stop()
