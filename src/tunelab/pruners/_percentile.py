"""Prune trials whose learning curve is worse than a percentile of the others'."""

from __future__ import annotations

import bisect
import math
import threading
import weakref
from collections.abc import Sequence
from typing import Any

from tunelab._records import FrozenTrial, StudyDirection, TrialState
from tunelab._validate import check_int, check_real
from tunelab._view import StudyView
from tunelab.pruners._base import BasePruner, PruneDecision
from tunelab.pruners._curves import best_up_to, reached, single_direction

__all__ = ["MedianPruner", "PercentilePruner"]

_KEEP = PruneDecision(False)


class _StepValues:
    """The finished trials' best values up to one step, grown as more trials finish."""

    __slots__ = ("seen", "values")

    def __init__(self) -> None:
        self.seen: set[int] = set()  # trial ids already looked at (finished: immutable)
        self.values: list[float] = []


class PercentilePruner(BasePruner):
    """Stop a trial whose best value so far is worse than a percentile of the others'.

    At step ``s`` the trial's best value up to ``s`` is compared with the best values up
    to ``s`` of the finished (COMPLETE and PRUNED) trials that reported at ``s`` or later;
    a trial that skipped ``s`` is compared by its last value before it, so irregular
    report steps work. With ``percentile=25`` only trials in the best quarter go on.

    Args:
        percentile: In [0, 100]; the share of trials, from the best, that are kept.
        n_startup_trials: No pruning until this many trials are COMPLETE.
        n_warmup_steps: No pruning before this step of a trial.
        interval_steps: Decide only every this many steps after the warm-up.
        n_min_trials: No pruning at a step that fewer trials have reached.

    Raises:
        ValueError: An argument is out of range; at decision time, a study with
            several objectives.

    Example:
        >>> import tunelab as tl
        >>> study = tl.create_study(pruner=tl.pruners.PercentilePruner(25.0, n_startup_trials=2))
        >>> def objective(trial):
        ...     slope = trial.suggest_float("slope", 0.1, 1.0)
        ...     for epoch in range(10):
        ...         trial.report(slope * (10 - epoch), step=epoch)  # a loss curve
        ...         if trial.should_prune():
        ...             raise tl.TrialPruned()
        ...     return slope
        >>> study.optimize(objective, n_trials=10)
        >>> any(t.state.name == "PRUNED" for t in study.trials)
        True
    """

    def __init__(
        self,
        percentile: float,
        *,
        n_startup_trials: int = 5,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
        n_min_trials: int = 1,
    ) -> None:
        self._percentile = check_real("percentile", percentile, 0.0, 100.0)
        self._n_startup = check_int("n_startup_trials", n_startup_trials, 0)
        self._n_warmup = check_int("n_warmup_steps", n_warmup_steps, 0)
        self._interval = check_int("interval_steps", interval_steps, 1)
        self._n_min = check_int("n_min_trials", n_min_trials, 1)
        self._lock = threading.Lock()
        # Per study view and step: finished trials never change, so each is read once.
        self._cache: weakref.WeakKeyDictionary[StudyView, dict[int, _StepValues]] = (
            weakref.WeakKeyDictionary()
        )

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        del state["_lock"], state["_cache"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()
        self._cache = weakref.WeakKeyDictionary()

    def _threshold_at(
        self,
        study: StudyView,
        finished: Sequence[FrozenTrial],
        step: int,
        direction: StudyDirection,
    ) -> tuple[float, int]:
        """The percentile threshold at ``step`` and how many finished trials it is over.

        The best values up to ``step`` of the ``finished`` trials that reached it are
        kept sorted per (view, step); the threshold is NumPy's default ("linear")
        percentile of them, NaN when there are none.
        """
        with self._lock:
            try:
                per_step = self._cache.setdefault(study, {})
            except TypeError:  # a view that cannot be weakly referenced: no cache
                per_step = {}
            cache = per_step.setdefault(step, _StepValues())
            for t in finished:
                if t.trial_id in cache.seen:
                    continue
                cache.seen.add(t.trial_id)
                if reached(t, step):
                    value = best_up_to(t.intermediate_values, step, direction)
                    if not math.isnan(value):
                        bisect.insort(cache.values, value)
            values, n = cache.values, len(cache.values)
            if n == 0:
                return math.nan, 0
            share = self._percentile / 100.0
            position = (share if direction is StudyDirection.MINIMIZE else 1.0 - share) * (n - 1)
            low = min(int(position), n - 1)
            high = min(low + 1, n - 1)
            return values[low] + (values[high] - values[low]) * (position - low), n

    def prune(self, study: StudyView, trial: FrozenTrial) -> PruneDecision:
        direction = single_direction(study, type(self).__name__)
        step = trial.last_step
        if step is None or step < self._n_warmup:
            return _KEEP
        if (step - self._n_warmup) % self._interval:
            return _KEEP
        current = best_up_to(trial.intermediate_values, step, direction)
        if math.isnan(current):
            return PruneDecision(True, f"no finite value reported up to step {step}")
        finished = study.get_trials(states=(TrialState.COMPLETE, TrialState.PRUNED))
        if sum(t.state is TrialState.COMPLETE for t in finished) < self._n_startup:
            return _KEEP
        # Keep the best `percentile` per cent: the threshold sits at that share from the best.
        threshold, n_others = self._threshold_at(study, finished, step, direction)
        if n_others < self._n_min:
            return _KEEP
        worse = (
            current > threshold if direction is StudyDirection.MINIMIZE else current < threshold
        )
        if not worse:
            return _KEEP
        return PruneDecision(
            True,
            f"best value {current:.6g} up to step {step} is worse than {threshold:.6g}, the "
            f"{self._describe()} of {n_others} finished trials at that step",
        )

    def _describe(self) -> str:
        return f"{self._percentile:g}th percentile"


class MedianPruner(PercentilePruner):
    """Stop a trial whose best value so far is worse than the median of the others'.

    :class:`PercentilePruner` with ``percentile=50``.

    Example:
        >>> import tunelab as tl
        >>> study = tl.create_study(pruner=tl.pruners.MedianPruner(n_startup_trials=3))
        >>> def objective(trial):
        ...     x = trial.suggest_float("x", 0.0, 1.0)
        ...     for step in range(5):
        ...         trial.report(x + 1.0 / (step + 1), step=step)
        ...         if trial.should_prune():
        ...             raise tl.TrialPruned()
        ...     return x
        >>> study.optimize(objective, n_trials=12)
        >>> pruned = [t for t in study.trials if t.state.name == "PRUNED"]
        >>> all("median" in t.system_attrs["prune_reason"] for t in pruned)
        True
    """

    def __init__(
        self,
        *,
        n_startup_trials: int = 5,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
        n_min_trials: int = 1,
    ) -> None:
        super().__init__(
            50.0,
            n_startup_trials=n_startup_trials,
            n_warmup_steps=n_warmup_steps,
            interval_steps=interval_steps,
            n_min_trials=n_min_trials,
        )

    def _describe(self) -> str:
        return "median"
