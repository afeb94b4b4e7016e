"""ThresholdPruner."""

from __future__ import annotations

import math

import pytest

import tunelab as tl
from tests.pruners._curves import running
from tunelab.pruners import ThresholdPruner


@pytest.mark.parametrize(
    ("value", "expected"), [(-1.0, True), (0.0, False), (5.0, False), (10.5, True)]
)
def test_values_outside_the_range_are_pruned(value: float, expected: bool) -> None:
    study = tl.create_study(pruner=ThresholdPruner(lower=0.0, upper=10.0))
    trial = running(study, [value])
    assert trial.should_prune() is expected
    if expected:
        reason = study.storage.get_trial(trial._trial_id).system_attrs["prune_reason"]
        assert "step 0" in reason


def test_nan_is_pruned_and_warmup_waits() -> None:
    study = tl.create_study(pruner=ThresholdPruner(upper=1.0, n_warmup_steps=2))
    assert not running(study, [math.nan, 5.0]).should_prune()  # steps 0-1: warm-up
    assert running(study, [0.0, 0.0, math.nan]).should_prune()


def test_only_the_latest_value_counts() -> None:
    study = tl.create_study(pruner=ThresholdPruner(upper=1.0))
    assert not running(study, [5.0, 0.5]).should_prune()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, "needs lower, upper or both"),
        ({"lower": 2.0, "upper": 1.0}, "lower=2.0 must be <= upper=1.0"),
        ({"lower": "a"}, "lower"),
        ({"upper": 1.0, "interval_steps": 0}, "interval_steps"),
    ],
)
def test_invalid_arguments(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        ThresholdPruner(**kwargs)  # type: ignore[arg-type]
