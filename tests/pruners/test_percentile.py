"""MedianPruner / PercentilePruner on hand-built histories."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tunelab as tl
from tests.pruners._curves import add_curve, running
from tunelab.pruners import MedianPruner, PercentilePruner


def _study(pruner: tl.pruners.BasePruner, direction: str = "minimize") -> tl.Study:
    return tl.create_study(pruner=pruner, direction=direction)


def test_worse_than_the_median_is_pruned_better_is_kept() -> None:
    study = _study(MedianPruner(n_startup_trials=3))
    for level in (1.0, 2.0, 3.0):
        add_curve(study, [level + 1, level])
    bad = running(study, [5.0])
    assert bad.should_prune()
    reason = study.storage.get_trial(bad._trial_id).system_attrs["prune_reason"]
    assert "median" in reason and "step 0" in reason and "3 finished trials" in reason
    good = running(study, [2.5])  # median at step 0 is 3.0
    assert not good.should_prune()


def test_maximize_flips_the_comparison() -> None:
    study = _study(MedianPruner(n_startup_trials=3), direction="maximize")
    for level in (1.0, 2.0, 3.0):
        add_curve(study, [level])
    assert running(study, [1.5]).should_prune()
    assert not running(study, [2.5]).should_prune()


def test_the_trials_best_so_far_is_compared_not_its_latest_value() -> None:
    study = _study(MedianPruner(n_startup_trials=3))
    for level in (1.0, 2.0, 3.0):
        add_curve(study, [level, level])
    noisy = running(study, [1.5, 9.0])  # a noisy step after a good one
    assert not noisy.should_prune()


def test_startup_warmup_and_interval() -> None:
    study = _study(MedianPruner(n_startup_trials=2, n_warmup_steps=2, interval_steps=2))
    add_curve(study, [1.0, 1.0, 1.0, 1.0, 1.0])
    bad = running(study, [9.0])
    assert not bad.should_prune()  # only one COMPLETE trial: still starting up
    add_curve(study, [1.0, 1.0, 1.0, 1.0, 1.0])
    assert not bad.should_prune()  # step 0 < n_warmup_steps
    for step in (1, 2):
        bad.report(9.0, step)
    assert bad.should_prune()  # step 2: warm-up over, on the interval
    late = running(study, [9.0, 9.0, 9.0, 9.0])
    assert not late.should_prune()  # step 3 is between decisions (interval 2)


def test_pruned_trials_count_and_missing_steps_use_the_last_earlier_value() -> None:
    study = _study(MedianPruner(n_startup_trials=1))
    add_curve(study, {0: 4.0, 10: 1.0})  # reported at steps 0 and 10 only
    add_curve(study, {0: 5.0, 4: 2.0, 8: 2.0}, state=tl.TrialState.PRUNED)
    add_curve(study, {0: 6.0, 2: 3.0}, state=tl.TrialState.PRUNED)  # never reached step 5
    trial = running(study, {5: 3.0})
    # At step 5 the others' best values are 4.0 (its step-0 value) and 2.0: median 3.0.
    assert not trial.should_prune()
    trial.report(3.0, 6)
    worse = running(study, {5: 3.5})
    assert worse.should_prune()


def test_n_min_trials_waits_for_enough_trials_at_the_step() -> None:
    study = _study(MedianPruner(n_startup_trials=1, n_min_trials=2))
    add_curve(study, [1.0, 1.0, 1.0])
    add_curve(study, [1.0])
    trial = running(study, [9.0, 9.0, 9.0])
    assert not trial.should_prune()  # only one trial reached step 2
    assert running(study, [9.0]).should_prune()  # two reached step 0


def test_nan_is_pruned_and_ties_are_kept() -> None:
    study = _study(MedianPruner(n_startup_trials=1))
    add_curve(study, [1.0])
    assert running(study, [math.nan]).should_prune()
    assert not running(study, [1.0]).should_prune()


@pytest.mark.parametrize(("percentile", "expected"), [(25.0, True), (75.0, False)])
def test_percentile_sets_the_share_kept(percentile: float, expected: bool) -> None:
    study = _study(PercentilePruner(percentile, n_startup_trials=1))
    for level in (1.0, 2.0, 3.0, 4.0, 5.0):
        add_curve(study, [level])
    assert running(study, [2.5]).should_prune() is expected


def test_multi_objective_studies_get_a_clear_error() -> None:
    study = tl.create_study(directions=["minimize", "minimize"], pruner=MedianPruner())
    trial = study.ask()
    trial.report(1.0, 0)
    with pytest.raises(ValueError, match="MedianPruner compares intermediate values of one"):
        trial.should_prune()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"percentile": 101.0}, "percentile=101.0 must be a number in \\[0, 100\\]"),
        ({"percentile": "50"}, "percentile"),
        ({"percentile": 50.0, "n_startup_trials": -1}, "n_startup_trials"),
        ({"percentile": 50.0, "n_warmup_steps": -1}, "n_warmup_steps"),
        ({"percentile": 50.0, "interval_steps": 0}, "interval_steps"),
        ({"percentile": 50.0, "n_min_trials": 0}, "n_min_trials"),
    ],
)
def test_invalid_arguments(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        PercentilePruner(**kwargs)  # type: ignore[arg-type]


def test_trials_finishing_between_decisions_are_taken_into_account() -> None:
    """The per-step cache grows with the finished trials instead of freezing them."""
    study = _study(MedianPruner(n_startup_trials=1))
    add_curve(study, [1.0])
    probe = running(study, [2.0])
    assert probe.should_prune()  # median of {1.0}
    for _ in range(3):
        add_curve(study, [5.0])
    assert not running(study, [2.0]).should_prune()  # median of {1, 5, 5, 5} is 5


def test_one_pruner_shared_by_two_studies_of_the_same_name_keeps_them_apart() -> None:
    pruner = MedianPruner(n_startup_trials=1)
    good = tl.create_study(study_name="same", pruner=pruner)
    for _ in range(3):
        add_curve(good, [1.0])
    assert running(good, [2.0]).should_prune()
    poor = tl.create_study(study_name="same", pruner=pruner)
    for _ in range(3):
        add_curve(poor, [9.0])
    assert not running(poor, [2.0]).should_prune()


@settings(max_examples=60, deadline=None)
@given(
    levels=st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=12),
    percentile=st.floats(0.0, 100.0),
    direction=st.sampled_from(["minimize", "maximize"]),
)
def test_the_threshold_is_numpys_percentile(
    levels: list[float], percentile: float, direction: str
) -> None:
    pruner = PercentilePruner(percentile, n_startup_trials=0)
    study = _study(pruner, direction=direction)
    for level in levels:
        add_curve(study, [level])
    q = percentile if direction == "minimize" else 100 - percentile
    threshold = float(np.percentile(levels, q))
    finished = study.trials
    got, count = pruner._threshold_at(study.view(), finished, 0, study.view().directions[0])
    assert count == len(levels)
    assert got == pytest.approx(threshold, rel=1e-9, abs=1e-6)
