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
    assert "5 completed trials" in reason


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


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"percentile": -1.0}, "percentile"),
        ({"n_warmup_steps": 2}, "n_warmup_steps"),
        ({"n_startup_trials": 0}, "n_startup_trials"),
        ({"max_resource": 0}, "max_resource"),
        ({"interval_steps": 0}, "interval_steps"),
    ],
)
def test_invalid_arguments(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        CurvePruner(**kwargs)  # type: ignore[arg-type]
