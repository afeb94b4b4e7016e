"""Prune trials whose latest value leaves a fixed range (or is NaN)."""

from __future__ import annotations

import math

from tunelab._records import FrozenTrial
from tunelab._validate import check_int, check_real
from tunelab._view import StudyView
from tunelab.pruners._base import BasePruner, PruneDecision

__all__ = ["ThresholdPruner"]

_KEEP = PruneDecision(False)


class ThresholdPruner(BasePruner):
    """Stop a trial as soon as its latest value is below ``lower``, above ``upper``, or NaN.

    Useful to cut diverging runs (a loss that explodes) whatever the other trials do.

    Args:
        lower: Prune below this value (None: no lower bound).
        upper: Prune above this value (None: no upper bound).
        n_warmup_steps: No pruning before this step.
        interval_steps: Decide only every this many steps after the warm-up.

    Raises:
        ValueError: Neither bound is given, ``lower > upper``, or a step count is out
            of range.

    Example:
        >>> import tunelab as tl
        >>> study = tl.create_study(pruner=tl.pruners.ThresholdPruner(upper=10.0))
        >>> trial = study.ask()
        >>> trial.report(1e6, step=0)
        >>> trial.should_prune()
        True
    """

    def __init__(
        self,
        lower: float | None = None,
        upper: float | None = None,
        *,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
    ) -> None:
        if lower is None and upper is None:
            raise ValueError("ThresholdPruner needs lower, upper or both")
        self._lower = None if lower is None else check_real("lower", lower, -math.inf)
        self._upper = None if upper is None else check_real("upper", upper, -math.inf)
        if self._lower is not None and self._upper is not None and self._lower > self._upper:
            raise ValueError(f"lower={lower!r} must be <= upper={upper!r}")
        self._n_warmup = check_int("n_warmup_steps", n_warmup_steps, 0)
        self._interval = check_int("interval_steps", interval_steps, 1)

    def prune(self, study: StudyView, trial: FrozenTrial) -> PruneDecision:
        step = trial.last_step
        if step is None or step < self._n_warmup or (step - self._n_warmup) % self._interval:
            return _KEEP
        value = trial.intermediate_values[step]
        if math.isnan(value):
            return PruneDecision(True, f"value at step {step} is NaN")
        if self._lower is not None and value < self._lower:
            return PruneDecision(True, f"value {value:.6g} at step {step} < lower {self._lower:g}")
        if self._upper is not None and value > self._upper:
            return PruneDecision(True, f"value {value:.6g} at step {step} > upper {self._upper:g}")
        return _KEEP
