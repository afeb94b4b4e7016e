"""CurvePruner: extrapolation keeps slow starters, stops flat losers."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tunelab as tl
from tests.pruners._curves import add_curve, running
from tunelab.pruners import CurvePruner
from tunelab.pruners._curve import optimistic_final


def _saturating(floor: float, rate: float, steps: int = 30) -> list[float]:
    return [floor + (1 - floor) * math.exp(-rate * t) for t in range(1, steps + 1)]


def test_the_fit_recovers_an_exact_exponential_curve() -> None:
    t = np.arange(1.0, 9.0)
    y = 0.2 + 0.8 * np.exp(-0.3 * t)
    predicted = optimistic_final(t, y, 40.0)
    assert predicted == pytest.approx(0.2 + 0.8 * math.exp(-0.3 * 40), abs=0.01)


def test_noise_makes_the_prediction_more_hopeful_not_less() -> None:
    rng = np.random.default_rng(0)
    t = np.arange(1.0, 9.0)
    clean = 0.2 + 0.8 * np.exp(-0.3 * t)
    noisy = clean + rng.normal(0, 0.02, size=t.size)
    assert optimistic_final(t, noisy, 40.0) < optimistic_final(t, clean, 40.0)


def _history(study: tl.Study) -> None:
    for floor in (0.1, 0.12, 0.15, 0.2, 0.3):  # finished trials, final values ~ floor
        add_curve(study, dict(enumerate(_saturating(floor, 0.4), start=1)))


def test_a_slow_starter_is_kept_where_the_median_pruner_stops_it() -> None:
    slow = _saturating(0.05, 0.08)[:4]  # far behind now, ends best at step 30
    curve_study = tl.create_study(pruner=CurvePruner(n_startup_trials=5))
    _history(curve_study)
    assert not running(curve_study, dict(enumerate(slow, start=1))).should_prune()
    median_study = tl.create_study(pruner=tl.pruners.MedianPruner(n_startup_trials=5))
    _history(median_study)
    assert running(median_study, dict(enumerate(slow, start=1))).should_prune()


def test_a_curve_flat_at_a_poor_value_is_stopped_with_the_reason() -> None:
    study = tl.create_study(pruner=CurvePruner(n_startup_trials=5))
    _history(study)
    flat = _saturating(0.5, 1.5)[:4]
    trial = running(study, dict(enumerate(flat, start=1)))
    assert trial.should_prune()
    reason = study.storage.get_trial(trial._trial_id).system_attrs["prune_reason"]
    assert reason.startswith("optimistic extrapolation of the curve to step 30")
    assert "of 5 completed trials" in reason


def test_waits_for_warmup_startup_and_a_known_horizon() -> None:
    study = tl.create_study(pruner=CurvePruner(n_startup_trials=2, n_warmup_steps=4))
    flat = dict(enumerate(_saturating(0.9, 2.0)[:5], start=1))
    assert not running(study, flat).should_prune()  # no COMPLETE trial: horizon unknown
    add_curve(study, dict(enumerate(_saturating(0.1, 0.4), start=1)))
    assert not running(study, flat).should_prune()  # 1 COMPLETE < n_startup_trials
    add_curve(study, dict(enumerate(_saturating(0.1, 0.4), start=1)))
    three = dict(list(flat.items())[:3])
    assert not running(study, three).should_prune()  # 3 reports < n_warmup_steps
    assert running(study, flat).should_prune()


def test_maximize() -> None:
    study = tl.create_study(direction="maximize", pruner=CurvePruner(n_startup_trials=3))
    for final in (0.9, 0.85, 0.8):
        add_curve(study, {t: final * (1 - math.exp(-0.4 * t)) for t in range(1, 31)})
    flat_low = {t: 0.5 * (1 - math.exp(-1.5 * t)) for t in range(1, 6)}
    assert running(study, flat_low).should_prune()
    rising = {t: 0.99 * (1 - math.exp(-0.12 * t)) for t in range(1, 6)}  # 0.96 at 30
    assert not running(study, rising).should_prune()


@pytest.mark.parametrize("maximize", [False, True])
def test_a_short_curve_carries_the_noise_of_the_finished_ones(maximize: bool) -> None:
    # Three reports that flatten out: fitted exactly (no residual noise of their own)
    # they predict ~0.25 at step 30, worse than the 2nd-best final (~0.12). Where the
    # finished curves show noise of sd 0.01, that flattening is within the noise.
    start = [0.30, 0.262, 0.258]
    sign = -1.0 if maximize else 1.0
    direction = "maximize" if maximize else "minimize"

    def decision(sd: float, weight: float) -> bool:
        study = tl.create_study(
            direction=direction,
            pruner=CurvePruner(n_startup_trials=5, noise_prior_weight=weight),
        )
        rng = np.random.default_rng(0)
        for floor in (0.1, 0.12, 0.15, 0.2, 0.3):
            curve = _saturating(floor, 0.4) + rng.normal(0.0, sd, size=30)
            add_curve(study, {t: sign * v for t, v in enumerate(curve, 1)})
        return running(study, {t: sign * v for t, v in enumerate(start, 1)}).should_prune()

    assert not decision(sd=0.01, weight=3.0)
    assert decision(sd=0.01, weight=0.0)  # its own (zero) residuals only
    assert decision(sd=0.0, weight=3.0)  # noiseless history: the flattening is real


def test_the_threshold_is_an_actual_final_value_the_kth_best() -> None:
    study = tl.create_study(pruner=CurvePruner(n_startup_trials=5))
    _history(study)  # finals ~0.1, 0.12, 0.15, 0.2, 0.3; k = ceil(0.35 * 5) = 2
    trial = running(study, dict(enumerate(_saturating(0.5, 1.5)[:4], start=1)))
    assert trial.should_prune()
    reason = study.storage.get_trial(trial._trial_id).system_attrs["prune_reason"]
    second_best = sorted(t.value for t in study.trials if t.value is not None)[1]
    assert f"worse than {second_best:.6g} (the final value of the 2nd best of 5" in reason


def _separated_history(study: tl.Study, *, crossing: bool = False) -> None:
    """2 good finishers, 3 bad finishers and 3 trials pruned by their curve after the
    warm-up. Without ``crossing`` the good ones start best (first values 0.5, 0.55; the
    bad ones' 0.7-0.95, median 0.825); with it they start worst."""
    good_starts, bad_starts = [0.5, 0.55], [0.7, 0.75, 0.8, 0.85, 0.9, 0.95]
    if crossing:
        good_starts, bad_starts = [0.9, 0.95], [0.5, 0.55, 0.6, 0.65, 0.7, 0.75]
    for start, final in zip(good_starts, (0.05, 0.06), strict=True):
        add_curve(study, {1: start, 2: (start + final) / 2, 30: final})
    for start, final in zip(bad_starts[:3], (0.3, 0.35, 0.4), strict=True):
        add_curve(study, {1: start, 2: (start + final) / 2, 30: final})
    for start in bad_starts[3:]:
        add_curve(study, {1: start, 2: start, 3: start}, state=tl.TrialState.PRUNED)


def test_early_cut_stops_a_start_like_the_bad_ones_where_starts_have_predicted() -> None:
    study = tl.create_study(pruner=CurvePruner())
    _separated_history(study)
    bad = running(study, {1: 0.83})
    assert bad.should_prune()
    reason = study.storage.get_trial(bad._trial_id).system_attrs["prune_reason"]
    assert reason.startswith("at step 1, 0.83 is worse than every value")
    assert "probability 1.00 >= 0.8" in reason
    assert not running(study, {1: 0.825}).should_prune()  # the bad trials' median
    assert not running(study, {1: 0.6}).should_prune()  # worse than the good, not the bad


def test_early_cut_stays_off_where_early_values_do_not_separate() -> None:
    study = tl.create_study(pruner=CurvePruner())
    _separated_history(study, crossing=True)  # slow starters end best
    assert not running(study, {1: 0.99}).should_prune()


def test_early_cut_can_be_disabled() -> None:
    study = tl.create_study(pruner=CurvePruner(early_separation=None))
    _separated_history(study)
    assert not running(study, {1: 0.99}).should_prune()


def test_early_cut_does_not_learn_from_its_own_cuts() -> None:
    # 3 bad finishers plus trials pruned within the warm-up (by an early cut): too little.
    study = tl.create_study(pruner=CurvePruner())
    for start, final in ((0.5, 0.05), (0.55, 0.06), (0.7, 0.3), (0.75, 0.35), (0.8, 0.4)):
        add_curve(study, {1: start, 2: (start + final) / 2, 30: final})
    for start in (0.85, 0.9, 0.95):
        add_curve(study, {1: start}, state=tl.TrialState.PRUNED)
    assert not running(study, {1: 0.99}).should_prune()


def test_early_cut_needs_finished_trials_with_a_value_at_that_step() -> None:
    study = tl.create_study(pruner=CurvePruner())
    _separated_history(study)
    assert not running(study, {3: 5.0}).should_prune()  # no good finisher reported step 3
    assert running(study, {1: 5.0}).should_prune()


def test_early_cut_maximize() -> None:
    study = tl.create_study(direction="maximize", pruner=CurvePruner())
    for start, final in ((0.5, 0.95), (0.45, 0.94), (0.3, 0.7), (0.25, 0.65), (0.2, 0.6)):
        add_curve(study, {1: start, 2: (start + final) / 2, 30: final})
    for start in (0.15, 0.1, 0.05):
        add_curve(study, {1: start, 2: start, 3: start}, state=tl.TrialState.PRUNED)
    assert running(study, {1: 0.14}).should_prune()  # below the bad trials' median 0.175
    assert not running(study, {1: 0.2}).should_prune()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"percentile": -1.0}, "percentile"),
        ({"n_warmup_steps": 2}, "n_warmup_steps"),
        ({"n_startup_trials": 0}, "n_startup_trials"),
        ({"max_resource": 0}, "max_resource"),
        ({"interval_steps": 0}, "interval_steps"),
        ({"early_separation": 0.4}, "early_separation"),
        ({"noise_prior_weight": -1.0}, "noise_prior_weight"),
    ],
)
def test_invalid_arguments(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        CurvePruner(**kwargs)  # type: ignore[arg-type]
