"""Reading learning curves: best value so far, values at a step, direction handling."""

from __future__ import annotations

import math
from collections.abc import Mapping

from tunelab._records import FrozenTrial, StudyDirection
from tunelab._view import StudyView

__all__ = ["best_up_to", "is_better", "reached", "single_direction", "value_at"]


def single_direction(study: StudyView, pruner: str) -> StudyDirection:
    """The study's direction; pruners compare one objective.

    Raises:
        ValueError: The study has several objectives.
    """
    if len(study.directions) != 1:
        raise ValueError(
            f"{pruner} compares intermediate values of one objective; this study has "
            f"{len(study.directions)} (report one value per step and use a single-objective "
            "study, or NopPruner)"
        )
    return study.directions[0]


def best_up_to(values: Mapping[int, float], step: int, direction: StudyDirection) -> float:
    """The best finite value reported at a step <= ``step`` (NaN if there is none)."""
    finite = [v for s, v in values.items() if s <= step and not math.isnan(v)]
    if not finite:
        return math.nan
    return min(finite) if direction is StudyDirection.MINIMIZE else max(finite)


def value_at(values: Mapping[int, float], step: int) -> float:
    """The value reported at the last step <= ``step`` (NaN if there is none)."""
    steps = [s for s in values if s <= step]
    return values[max(steps)] if steps else math.nan


def is_better(a: float, b: float, direction: StudyDirection, margin: float = 0.0) -> bool:
    """Whether ``a`` beats ``b`` by more than ``margin``."""
    if direction is StudyDirection.MINIMIZE:
        return a < b - margin
    return a > b + margin


def reached(trial: FrozenTrial, step: int) -> bool:
    """Whether ``trial`` reported a value at ``step`` or later."""
    last = trial.last_step
    return last is not None and last >= step
