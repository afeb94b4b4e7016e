"""Pareto fronts of multi-objective studies."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tunelab._records import FrozenTrial, StudyDirection, TrialState

__all__ = ["pareto_front"]


def pareto_front(
    trials: Sequence[FrozenTrial], directions: Sequence[StudyDirection]
) -> list[FrozenTrial]:
    """The COMPLETE trials that no other COMPLETE trial dominates, in number order.

    Trial ``a`` dominates ``b`` when ``a`` is at least as good in every objective and
    strictly better in one. Trials with equal values do not dominate each other.

    Example:
        >>> from tunelab import FrozenTrial, TrialState, StudyDirection
        >>> mk = lambda n, v: FrozenTrial(trial_id=n, number=n, state=TrialState.COMPLETE,
        ...                              values=v)
        >>> front = pareto_front([mk(0, (1, 3)), mk(1, (2, 2)), mk(2, (2, 3))],
        ...                      [StudyDirection.MINIMIZE] * 2)
        >>> [t.number for t in front]
        [0, 1]
    """
    done = [t for t in trials if t.state is TrialState.COMPLETE and t.values is not None]
    if not done:
        return []
    signs = np.array([1.0 if d is StudyDirection.MINIMIZE else -1.0 for d in directions])
    points = np.array([t.values for t in done], dtype=np.float64) * signs  # minimise all
    order = np.lexsort(points.T[::-1])  # sort by first objective, then the next...
    front: list[int] = []
    for i in order:
        if front:
            kept = points[front]
            dominated = np.all(kept <= points[i], axis=1) & np.any(kept < points[i], axis=1)
            if dominated.any():
                continue
        front.append(int(i))
    return sorted((done[i] for i in front), key=lambda t: t.number)
