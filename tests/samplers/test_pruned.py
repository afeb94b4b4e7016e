"""Projection of PRUNED trials' values onto the scale of completed ones."""

from __future__ import annotations

import math

import pytest

from tunelab._records import FrozenTrial, TrialState
from tunelab.samplers._pruned import projected_values


def _trial(
    number: int, state: TrialState, value: float | None, curve: dict[int, float]
) -> FrozenTrial:
    return FrozenTrial(
        trial_id=number,
        number=number,
        state=state,
        values=None if value is None else (value,),
        intermediate_values=curve,
    )


def test_pruned_value_is_shifted_by_the_median_move_of_complete_trials() -> None:
    complete = [
        _trial(0, TrialState.COMPLETE, 0.80, {0: 0.90, 1: 0.85}),  # move from step 0: -0.10
        _trial(1, TrialState.COMPLETE, 0.70, {0: 0.75, 1: 0.72}),  # -0.05
        _trial(2, TrialState.COMPLETE, 0.60, {0: 0.80, 1: 0.62}),  # -0.20
    ]
    cut_early = _trial(3, TrialState.PRUNED, 0.50, {0: 0.50})
    cut_later = _trial(4, TrialState.PRUNED, 0.55, {0: 0.60, 1: 0.55})
    values = projected_values([*complete, cut_early, cut_later])
    assert values[3] == pytest.approx(0.50 - 0.10)  # median of -0.10, -0.05, -0.20
    assert values[4] == pytest.approx(0.55 - 0.02)  # median of -0.05, -0.02, -0.02
    assert [values[i] for i in range(3)] == [0.80, 0.70, 0.60]  # COMPLETE: as they are


def test_only_complete_trials_that_reported_at_the_step_count() -> None:
    trials = [
        _trial(0, TrialState.COMPLETE, 1.0, {0: 3.0, 5: 2.0}),
        _trial(1, TrialState.COMPLETE, 1.0, {2: 1.5}),  # did not report at 5
        _trial(2, TrialState.PRUNED, 4.0, {5: 4.0}),
        _trial(3, TrialState.PRUNED, 2.5, {3: 2.5}),  # no COMPLETE trial reported at 3
    ]
    values = projected_values(trials)
    assert values[2] == pytest.approx(3.0)
    assert values[3] == 2.5


def test_without_complete_trials_or_values_nothing_moves() -> None:
    trials = [
        _trial(0, TrialState.PRUNED, 0.4, {0: 0.4}),
        _trial(1, TrialState.FAIL, None, {}),
        _trial(2, TrialState.COMPLETE, 0.9, {}),  # no curve: no move known
    ]
    values = projected_values(trials)
    assert values[0] == 0.4
    assert math.isnan(values[1])
    assert values[2] == 0.9


def test_non_finite_reference_values_are_ignored() -> None:
    trials = [
        _trial(0, TrialState.COMPLETE, 1.0, {0: math.nan}),
        _trial(1, TrialState.COMPLETE, math.inf, {0: 2.0}),
        _trial(2, TrialState.COMPLETE, 1.0, {0: 1.5}),
        _trial(3, TrialState.PRUNED, 2.0, {0: 2.0}),
    ]
    assert projected_values(trials)[3] == pytest.approx(1.5)
