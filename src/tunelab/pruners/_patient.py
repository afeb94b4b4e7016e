"""Wrap a pruner so that trials still improving are left alone."""

from __future__ import annotations

import math

from tunelab._records import FrozenTrial
from tunelab._validate import check_int, check_real
from tunelab._view import StudyView
from tunelab.pruners._base import BasePruner, PruneDecision
from tunelab.pruners._curves import is_better, single_direction

__all__ = ["PatientPruner"]

_KEEP = PruneDecision(False)


class PatientPruner(BasePruner):
    """Ask the wrapped pruner only once a trial has stopped improving.

    A trial improved if the best of its last ``patience + 1`` reports beats the best of
    the reports before them by more than ``min_delta``. While it improves it is kept;
    after that the wrapped pruner decides (or, with no wrapped pruner, it is pruned:
    plain early stopping on a plateau).

    Args:
        wrapped_pruner: The pruner to consult on a plateau, or None.
        patience: Reports without improvement before the trial counts as stalled.
        min_delta: The least change that counts as an improvement.

    Raises:
        ValueError: ``patience < 0`` or ``min_delta < 0``; at decision time, a study with
            several objectives.

    Example:
        >>> import tunelab as tl
        >>> study = tl.create_study(pruner=tl.pruners.PatientPruner(None, patience=2))
        >>> trial = study.ask()
        >>> for step, loss in enumerate([1.0, 0.5, 0.6, 0.55, 0.58]):
        ...     trial.report(loss, step)
        >>> trial.should_prune()
        True
    """

    def __init__(
        self, wrapped_pruner: BasePruner | None, patience: int, *, min_delta: float = 0.0
    ) -> None:
        if wrapped_pruner is not None and not isinstance(wrapped_pruner, BasePruner):
            raise ValueError(f"wrapped_pruner={wrapped_pruner!r} must be a pruner or None")
        self._wrapped = wrapped_pruner
        self._patience = check_int("patience", patience, 0)
        self._min_delta = check_real("min_delta", min_delta, 0.0)

    def prune(self, study: StudyView, trial: FrozenTrial) -> PruneDecision:
        direction = single_direction(study, type(self).__name__)
        steps = sorted(trial.intermediate_values)
        if len(steps) <= self._patience + 1:
            return _KEEP
        values = [trial.intermediate_values[s] for s in steps]
        before = [v for v in values[: -self._patience - 1] if not math.isnan(v)]
        recent = [v for v in values[-self._patience - 1 :] if not math.isnan(v)]
        if not before or not recent:
            return _KEEP
        pick = min if direction.name == "MINIMIZE" else max
        if is_better(pick(recent), pick(before), direction, self._min_delta):
            return _KEEP
        if self._wrapped is not None:
            return self._wrapped.prune(study, trial)
        return PruneDecision(
            True,
            f"no improvement by more than {self._min_delta:g} in the last "
            f"{self._patience + 1} reports (best before: {pick(before):.6g})",
        )
