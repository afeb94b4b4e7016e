"""History windows: what a model-based sampler keeps of a very long study."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence

from tunelab._records import FrozenTrial

__all__ = ["best_and_recent"]


def best_and_recent(
    trials: Sequence[FrozenTrial],
    limit: int,
    score: Callable[[FrozenTrial], float | None] | None,
) -> set[int]:
    """Trial ids of at most ``limit`` of ``trials`` (oldest first) to learn from.

    The best quarter by ``score`` (lower is better; trials ``score`` is None for are not
    ranked, and with ``score=None`` nobody is) so that good regions stay known, then
    the most recent others.

    Example:
        >>> from tunelab._records import FrozenTrial, TrialState
        >>> trials = [FrozenTrial(trial_id=i, number=i, state=TrialState.COMPLETE,
        ...                       values=(v,)) for i, v in enumerate([0.0, 5, 6, 7, 8])]
        >>> sorted(best_and_recent(trials, 4, lambda t: t.values[0]))
        [0, 2, 3, 4]
    """
    keep: set[int] = set()
    if score is not None:
        scored = [(value, t.trial_id) for t in trials if (value := score(t)) is not None]
        best = heapq.nsmallest(limit // 4, scored, key=lambda pair: pair[0])
        keep = {trial_id for _, trial_id in best}
    for trial in reversed(trials):
        if len(keep) >= limit:
            break
        keep.add(trial.trial_id)
    return keep
