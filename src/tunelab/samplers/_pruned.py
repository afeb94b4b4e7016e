"""Estimate the final value of a PRUNED trial from the completed trials' learning curves."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

from tunelab._records import FrozenTrial, TrialState, single_value

__all__ = ["projected_values", "projected_with_spread"]

# The completed trials consulted for the typical gain, the most recent ones: enough for a
# stable median, and bounded so that a study of 100,000 trials costs no more than one of 500.
_MAX_REFERENCE = 500


def projected_values(trials: Sequence[FrozenTrial]) -> dict[int, float]:
    """Each single-objective trial's value, a PRUNED one's shifted to where it would end.

    A PRUNED trial's value is its last reported one, at step ``s``. The COMPLETE trials
    that reported at ``s`` show how much a value typically still moves from ``s`` to the
    end; the pruned trial is projected by the median of those moves. That corrects what
    all trials share at a step, such as a learning curve's remaining improvement or, for
    cross-validation, the difficulty of the folds seen so far (every trial sees the same
    first folds, so their running mean is off the final mean by the same amount for
    all). Without a COMPLETE trial that reported at ``s`` the value stays as it is.

    Returns:
        ``trial_id -> value`` for every trial given (NaN where it has no single value).

    Example:
        >>> from tunelab._records import FrozenTrial, TrialState
        >>> done = FrozenTrial(trial_id=0, number=0, state=TrialState.COMPLETE, values=(0.80,),
        ...                    intermediate_values={0: 0.90})  # its first fold was easy
        >>> cut = FrozenTrial(trial_id=1, number=1, state=TrialState.PRUNED, values=(0.85,),
        ...                   intermediate_values={0: 0.85})
        >>> round(projected_values([done, cut])[1], 6)           # 0.85 + (0.80 - 0.90)
        0.75
    """
    return projected_with_spread(trials)[0]


def projected_with_spread(
    trials: Sequence[FrozenTrial],
) -> tuple[dict[int, float], dict[int, float]]:
    """:func:`projected_values` and how uncertain each projection is.

    The spread of a PRUNED trial's projection is the standard deviation of the moves it
    was projected with (the COMPLETE trials' changes from its last step to their end):
    a configuration cut after one of five folds is known far less well than one that
    ran them all. COMPLETE trials, and projections from fewer than two moves, get 0.

    Returns:
        ``(trial_id -> value, trial_id -> standard deviation)``.

    Example:
        >>> from tunelab._records import FrozenTrial, TrialState
        >>> done = [FrozenTrial(trial_id=i, number=i, state=TrialState.COMPLETE, values=(v,),
        ...                     intermediate_values={0: v + d})
        ...         for i, (v, d) in enumerate([(0.8, 0.1), (0.7, 0.0), (0.6, 0.05)])]
        >>> cut = FrozenTrial(trial_id=3, number=3, state=TrialState.PRUNED, values=(0.5,),
        ...                   intermediate_values={0: 0.5})
        >>> values, spread = projected_with_spread([*done, cut])
        >>> round(values[3], 6), round(spread[3], 6), spread[0]
        (0.45, 0.05, 0.0)
    """
    values = {t.trial_id: single_value(t) for t in trials}
    pruned = [
        (t, step)
        for t in trials
        if t.state is TrialState.PRUNED
        and (step := t.last_step) is not None
        and math.isfinite(values[t.trial_id])
    ]
    spread = dict.fromkeys(values, 0.0)
    if not pruned:
        return values, spread
    reference = [
        t
        for t in trials
        if t.state is TrialState.COMPLETE
        and t.intermediate_values
        and math.isfinite(values[t.trial_id])
    ][-_MAX_REFERENCE:]
    gains: dict[int, tuple[float, float]] = {}
    for trial, step in pruned:
        if step not in gains:
            moves = [
                values[t.trial_id] - t.intermediate_values[step]
                for t in reference
                if step in t.intermediate_values and math.isfinite(t.intermediate_values[step])
            ]
            gains[step] = (
                statistics.median(moves) if moves else 0.0,
                statistics.stdev(moves) if len(moves) >= 2 else 0.0,
            )
        values[trial.trial_id] += gains[step][0]
        spread[trial.trial_id] = gains[step][1]
    return values, spread
