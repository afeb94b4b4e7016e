"""Prune a cross-validated configuration only when it is significantly worse, fold by fold."""

from __future__ import annotations

import math

import numpy as np

from tunelab._records import FrozenTrial, StudyDirection, TrialState
from tunelab._validate import check_int, check_real
from tunelab._view import StudyView
from tunelab.pruners._base import BasePruner, PruneDecision
from tunelab.pruners._curves import single_direction

__all__ = ["PairedFoldPruner", "fold_scores"]

_KEEP = PruneDecision(False)


def fold_scores(trial: FrozenTrial, n_folds: int | None = None) -> np.ndarray | None:
    """Per-fold scores recovered from running means reported at steps ``0, 1, ..., k``.

    With ``n_folds``, a COMPLETE trial's last fold is recovered from its final value
    (the mean of all folds). None when the steps are not ``0..k`` without gaps.

    Example:
        >>> from tunelab._records import FrozenTrial, TrialState
        >>> t = FrozenTrial(trial_id=0, number=0, state=TrialState.COMPLETE, values=(0.7,),
        ...                 intermediate_values={0: 0.9, 1: 0.8})  # folds 0.9, 0.7, 0.5
        >>> fold_scores(t, 3).round(6).tolist()
        [0.9, 0.7, 0.5]
    """
    means = trial.intermediate_values
    if not means or sorted(means) != list(range(len(means))):
        return None
    running = [means[k] for k in range(len(means))]
    if n_folds is not None and trial.state is TrialState.COMPLETE and trial.values:
        if len(running) != n_folds - 1:
            return None
        running.append(trial.values[0])
    m = np.array(running, dtype=np.float64)
    counts = np.arange(1, len(m) + 1, dtype=np.float64)
    totals = m * counts
    return np.diff(totals, prepend=0.0)


def _value(trial: FrozenTrial) -> float:
    return trial.values[0] if trial.values else math.nan


class PairedFoldPruner(BasePruner):
    """Stop a cross-validated configuration only when it is clearly worse, fold by fold.

    For objectives that report the running mean of per-fold (or per-instance) scores at
    steps ``0, 1, ..., K - 2`` and return the mean over all ``K`` folds, as
    :class:`~tunelab.sklearn.TuneSearchCV` does. Folds differ in difficulty, so a
    comparison of raw means after one fold mostly measures which fold came first. This
    pruner pairs the trial's fold scores with those of the best COMPLETE trial on the
    same folds and prunes when their mean difference is worse than ``z`` standard
    errors, the per-fold spread of differences being estimated from the completed
    trials (a one-sided paired test). Hopeless configurations stop after the first
    fold; ones within noise of the best run on, so the eventual winner is not cut by one
    unlucky fold.

    Args:
        z: How many standard errors worse the paired mean difference must be.
        n_startup_trials: No pruning until this many trials are COMPLETE.

    Raises:
        ValueError: An argument is out of range; at decision time, a study with several
            objectives.

    Example:
        >>> import tunelab as tl
        >>> folds = [0.0, 0.1, -0.1, 0.05, -0.05]                   # fold difficulty
        >>> def objective(trial):
        ...     quality = trial.suggest_float("quality", 0.0, 1.0)
        ...     noise = [0.01 * ((3 * trial.number + 2 * k) % 5 - 2) for k in range(5)]
        ...     scores = [quality + f + e for f, e in zip(folds, noise)]
        ...     for k in range(len(scores) - 1):
        ...         trial.report(sum(scores[: k + 1]) / (k + 1), k)  # running mean
        ...         if trial.should_prune():
        ...             raise tl.TrialPruned()
        ...     return sum(scores) / len(scores)
        >>> study = tl.create_study(direction="maximize",
        ...                         sampler=tl.samplers.RandomSampler(seed=0),
        ...                         pruner=tl.pruners.PairedFoldPruner(n_startup_trials=3))
        >>> study.optimize(objective, n_trials=20)
        >>> pruned = [t for t in study.trials if t.state.name == "PRUNED"]
        >>> len(pruned), sum(t.last_step == 0 for t in pruned)  # most stop after a fold
        (16, 15)
        >>> round(study.best_params["quality"], 2)  # the best of the 20 ran to the end
        0.98
    """

    def __init__(self, z: float = 2.0, *, n_startup_trials: int = 3) -> None:
        self._z = check_real("z", z, 0.0, math.inf)
        self._n_startup = check_int("n_startup_trials", n_startup_trials, 2)

    def prune(self, study: StudyView, trial: FrozenTrial) -> PruneDecision:
        direction = single_direction(study, type(self).__name__)
        current = fold_scores(trial)
        if current is None or not np.all(np.isfinite(current)):
            return _KEEP
        complete = [
            t
            for t in study.get_trials(states=(TrialState.COMPLETE,))
            if t.values and math.isfinite(t.values[0]) and t.intermediate_values
        ]
        if len(complete) < self._n_startup:
            return _KEEP
        n_folds = max(len(t.intermediate_values) for t in complete) + 1
        sign = 1.0 if direction is StudyDirection.MAXIMIZE else -1.0
        usable = [(t, scores) for t in complete if (scores := fold_scores(t, n_folds)) is not None]
        if len(usable) < self._n_startup:
            return _KEEP
        best, best_folds = max(usable, key=lambda pair: sign * _value(pair[0]))
        # The spread of paired differences within a trial, typical over completed ones.
        spreads = [
            float(np.std(sign * (scores - best_folds), ddof=1))
            for t, scores in usable
            if t.trial_id != best.trial_id
        ]
        sigma = float(np.median(spreads)) if spreads else 0.0
        k = len(current)
        if k > len(best_folds) or not sigma > 1e-9 * max(1.0, float(np.abs(best_folds).max())):
            return _KEEP  # no measurable fold noise (rounding aside): nothing to test with
        diff = float(np.mean(sign * (current - best_folds[:k])))
        bound = -self._z * sigma / math.sqrt(k)
        if diff >= bound:
            return _KEEP
        return PruneDecision(
            True,
            f"paired over {k} fold(s) with the best trial {best.number}, the mean difference "
            f"{diff:.4g} is below -{self._z:g} standard errors ({bound:.4g}; fold spread "
            f"{sigma:.4g} from {len(spreads)} completed trials)",
        )
