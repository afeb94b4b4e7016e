"""Run trials one after another in the calling thread."""

from __future__ import annotations

from tunelab.execution._base import Budget, Executor, TrialLoop

__all__ = ["SequentialExecutor"]


class SequentialExecutor(Executor):
    """One worker: the calling thread.

    Example:
        >>> import tunelab as tl
        >>> study = tl.create_study()
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2,
        ...                executor=tl.execution.SequentialExecutor())
        >>> len(study.trials)
        2
    """

    def run(self, loop: TrialLoop, *, n_workers: int, budget: Budget) -> None:
        while budget.reserve():
            if not loop.run_trial():
                budget.stop()
