"""Split a history into the "good" (below) and "bad" (above) groups of TPE.

Trials are ordered from best to worst and the first ``gamma(n)`` form the good group:

* COMPLETE trials by value (several objectives: by non-domination rank, then by the sum
  of per-objective ranks inside a front);
* then PRUNED trials, the ones that went further first (higher last step), and among
  equals the better last reported value: a trial pruned late was nearly as good as a
  finished one, and its learning curve tells the sampler something;
* then RUNNING trials (constant liar), always in the bad group, so that parallel workers
  steer away from the points others are evaluating.

``gamma(n) = min(ceil(0.1 n), 25)`` and the observation weights (uniform below 25
observations, then a linear ramp favouring recent trials) follow Bergstra et al. (2013)
and the defaults discussed by Watanabe (2023).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from tunelab._records import FrozenTrial, StudyDirection, TrialState

__all__ = ["default_gamma", "default_weights", "rank", "split"]


def default_gamma(n: int) -> int:
    """Size of the good group for ``n`` observations: ``min(ceil(0.1 n), 25)``."""
    return min(math.ceil(0.1 * n), 25)


def default_weights(n: int) -> npt.NDArray[np.float64]:
    """Weights of ``n`` observations in age order (oldest first)."""
    if n < 25:
        return np.ones(n)
    return np.concatenate([np.linspace(1.0 / n, 1.0, n - 25), np.ones(25)])


def _front_ranks(points: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    """Non-domination rank of each row (0 = Pareto front), all objectives minimised."""
    n = len(points)
    ranks = np.full(n, -1, dtype=np.int64)
    remaining = np.arange(n)
    rank = 0
    while remaining.size:
        sub = points[remaining]
        dominated = np.array(
            [bool(np.any(np.all(sub <= p, axis=1) & np.any(sub < p, axis=1))) for p in sub]
        )
        ranks[remaining[~dominated]] = rank
        remaining = remaining[dominated]
        rank += 1
    return ranks


def _complete_order(
    trials: Sequence[FrozenTrial], directions: Sequence[StudyDirection]
) -> list[FrozenTrial]:
    signs = np.array([1.0 if d is StudyDirection.MINIMIZE else -1.0 for d in directions])
    if not trials:
        return []
    points = np.array([t.values for t in trials], dtype=np.float64) * signs
    if len(directions) == 1:
        order = np.argsort(points[:, 0], kind="stable")
    else:
        ranks = _front_ranks(points)
        spread = np.argsort(np.argsort(points, axis=0), axis=0).sum(axis=1)
        order = np.lexsort((spread, ranks))
    return [trials[i] for i in order]


def _pruned_key(trial: FrozenTrial, sign: float) -> tuple[float, float]:
    step = trial.last_step
    if step is None:
        return (math.inf, math.inf)
    value = trial.intermediate_values[step]
    return (-float(step), sign * value if math.isfinite(value) else math.inf)


def rank(trials: Sequence[FrozenTrial], directions: Sequence[StudyDirection]) -> dict[int, int]:
    """Position of each finished trial (by ``trial_id``) from best (0) to worst.

    RUNNING trials, and PRUNED trials of multi-objective studies, get no position.
    """
    complete = [t for t in trials if t.state is TrialState.COMPLETE and t.values is not None]
    ranked = _complete_order(complete, directions)
    if len(directions) == 1:
        sign = 1.0 if directions[0] is StudyDirection.MINIMIZE else -1.0
        pruned = [t for t in trials if t.state is TrialState.PRUNED]
        ranked += sorted(pruned, key=lambda t: _pruned_key(t, sign))
    return {t.trial_id: position for position, t in enumerate(ranked)}


def split(
    trials: Sequence[FrozenTrial],
    directions: Sequence[StudyDirection],
    n_below: int,
    ranking: dict[int, int] | None = None,
) -> tuple[list[FrozenTrial], list[FrozenTrial]]:
    """(below, above), each in number (age) order; RUNNING trials are always above.

    ``ranking`` (from :func:`rank` over a superset of ``trials``) saves re-sorting.
    """
    positions = rank(trials, directions) if ranking is None else ranking
    ranked = sorted(
        (t for t in trials if t.trial_id in positions), key=lambda t: positions[t.trial_id]
    )
    n_below = max(0, min(n_below, len(ranked)))
    below_ids = {t.trial_id for t in ranked[:n_below]}
    below = [t for t in trials if t.trial_id in below_ids]
    above = [
        t
        for t in trials
        if t.trial_id not in below_ids
        and (t.trial_id in positions or t.state is TrialState.RUNNING)
    ]
    return below, above
