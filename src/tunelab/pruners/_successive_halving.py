"""Asynchronous successive halving (ASHA): promote the top 1/eta of each rung."""

from __future__ import annotations

import math
from typing import Literal

from tunelab._records import FrozenTrial, StudyDirection, TrialState
from tunelab._typing import JSONValue
from tunelab._validate import check_int
from tunelab._view import StudyView
from tunelab.pruners._base import BasePruner, PruneDecision
from tunelab.pruners._curves import single_direction

__all__ = ["SuccessiveHalvingPruner", "auto_max_resource", "rung_key"]

_PREFIX = "asha:rung_"


def rung_key(rung: int) -> str:
    """The system attribute holding a trial's value at ``rung``."""
    return f"{_PREFIX}{rung}"


def auto_max_resource(study: StudyView) -> int | None:
    """The largest step any COMPLETE trial reported: the full training length."""
    steps = [t.last_step for t in study.get_trials(states=(TrialState.COMPLETE,))]
    known = [s for s in steps if s is not None]
    return max(known) if known else None


class SuccessiveHalvingPruner(BasePruner):
    """Asynchronous successive halving (ASHA; Li et al., 2020).

    Rung ``k`` sits at step ``min_resource * reduction_factor ** (min_early_stopping_rate
    + k)``. When a trial reaches a rung, the value it reports there is recorded in its
    ``system_attrs["asha:rung_k"]``, and it goes on only if that value is among the best
    ``1 / reduction_factor`` of the values all trials (running or finished, in any
    process) brought to that rung; otherwise it is pruned, with the rung and the ranks in
    its ``prune_reason``. Nobody waits for a rung to fill: early trials are judged
    against the few before them, which is what makes it asynchronous.

    Args:
        min_resource: The step of the first rung, or ``"auto"``: a hundredth of the
            length of the first COMPLETE trials (no pruning until one exists).
        reduction_factor: ``eta``; rungs are spaced by it and 1/eta of a rung goes on.
        min_early_stopping_rate: Skip this many rungs (the first rung is at
            ``min_resource * eta ** rate``).
        bootstrap_count: Prune nobody at a rung until this many other trials reached it.

    Raises:
        ValueError: An argument is out of range; at decision time, a study with several
            objectives.

    Example:
        >>> import tunelab as tl
        >>> pruner = tl.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
        >>> study = tl.create_study(pruner=pruner)
        >>> def objective(trial):
        ...     rate = trial.suggest_float("rate", 0.0, 1.0)
        ...     for epoch in range(1, 28):
        ...         trial.report(1.0 / (1 + rate * epoch), step=epoch)
        ...         if trial.should_prune():
        ...             raise tl.TrialPruned()
        ...     return 1.0 / (1 + 27 * rate)
        >>> study.optimize(objective, n_trials=20)
        >>> pruned = [t for t in study.trials if t.state.name == "PRUNED"]
        >>> len(pruned) > 0 and all("rung" in t.system_attrs["prune_reason"] for t in pruned)
        True
    """

    def __init__(
        self,
        min_resource: int | Literal["auto"] = "auto",
        reduction_factor: int = 4,
        min_early_stopping_rate: int = 0,
        bootstrap_count: int = 0,
    ) -> None:
        if min_resource != "auto":
            check_int("min_resource", min_resource, 1)
        self._min_resource = min_resource
        self._eta = check_int("reduction_factor", reduction_factor, 2)
        self._rate = check_int("min_early_stopping_rate", min_early_stopping_rate, 0)
        self._bootstrap = check_int("bootstrap_count", bootstrap_count, 0)

    def _resolve_min_resource(self, study: StudyView) -> int | None:
        if isinstance(self._min_resource, int):
            return self._min_resource
        longest = auto_max_resource(study)
        return None if longest is None else max(1, math.ceil(longest / 100))

    def prune(self, study: StudyView, trial: FrozenTrial) -> PruneDecision:
        direction = single_direction(study, type(self).__name__)
        step = trial.last_step
        min_resource = self._resolve_min_resource(study)
        if step is None or min_resource is None:
            return PruneDecision(False)
        value = trial.intermediate_values[step]
        attrs: dict[str, JSONValue] = {}
        rung = 0
        others: list[FrozenTrial] | None = None
        while True:
            resource = min_resource * self._eta ** (self._rate + rung)
            if step < resource:
                return PruneDecision(False, attrs=attrs)
            key = rung_key(rung)
            if key in trial.system_attrs:  # this rung was passed at an earlier report
                rung += 1
                continue
            if math.isnan(value):
                return PruneDecision(True, f"value at step {step} is NaN", attrs)
            attrs[key] = value
            if others is None:
                others = [t for t in study.get_trials() if t.trial_id != trial.trial_id]
            rivals = [
                float(v)
                for t in others
                if isinstance(v := t.system_attrs.get(key), (int, float)) and not math.isnan(v)
            ]
            if len(rivals) < self._bootstrap:
                rung += 1
                continue
            sign = 1.0 if direction is StudyDirection.MINIMIZE else -1.0
            better = sum(1 for v in rivals if sign * v < sign * value)
            promoted = max(1, (len(rivals) + 1) // self._eta)
            if better >= promoted:
                return PruneDecision(
                    True,
                    f"rung {rung} (step >= {resource}): value {value:.6g} ranks "
                    f"{better + 1} of {len(rivals) + 1}; only the best {promoted} "
                    f"(1/{self._eta}) go on",
                    attrs,
                )
            rung += 1
