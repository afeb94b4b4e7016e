"""PairedFoldPruner: paired comparison of per-fold scores with the best trial's."""

from __future__ import annotations

import numpy as np
import pytest

import tunelab as tl
from tunelab.pruners import PairedFoldPruner
from tunelab.pruners._paired_fold import fold_scores

FOLDS = np.array([0.0, 0.2, -0.2, 0.1, -0.1])  # fold difficulty, shared by every trial


def _add(study: tl.Study, scores: np.ndarray) -> None:
    """A COMPLETE trial that reported the running means of ``scores``."""
    running = np.cumsum(scores) / np.arange(1, len(scores) + 1)
    study.add_trial(
        tl.create_trial(
            value=float(running[-1]),
            intermediate_values={k: float(v) for k, v in enumerate(running[:-1])},
        )
    )


def _running(study: tl.Study, scores: np.ndarray) -> tl.Trial:
    trial = study.ask()
    for k, value in enumerate(np.cumsum(scores) / np.arange(1, len(scores) + 1)):
        trial.report(float(value), k)
    return trial


def _study(direction: str = "maximize") -> tl.Study:
    study = tl.create_study(direction=direction, pruner=PairedFoldPruner(n_startup_trials=3))
    noise = np.array([[0.01, -0.01, 0.02, 0.0, -0.02], [-0.02, 0.01, 0.0, 0.01, 0.0]])
    sign = 1.0 if direction == "maximize" else -1.0
    _add(study, sign * (0.9 + FOLDS))  # the best
    _add(study, sign * (0.5 + FOLDS + noise[0]))
    _add(study, sign * (0.6 + FOLDS + noise[1]))
    return study


def test_fold_scores_are_recovered_from_running_means() -> None:
    study = _study()
    best = study.trials[0]
    np.testing.assert_allclose(fold_scores(best, 5), 0.9 + FOLDS)  # type: ignore[arg-type]
    assert fold_scores(best) is not None and len(fold_scores(best)) == 4  # type: ignore[arg-type]
    gappy = tl.create_trial(value=1.0, intermediate_values={0: 1.0, 2: 1.0})
    assert fold_scores(gappy, 4) is None


@pytest.mark.parametrize("direction", ["maximize", "minimize"])
def test_a_clearly_worse_fold_is_pruned_a_close_one_is_kept(direction: str) -> None:
    study = _study(direction)
    sign = 1.0 if direction == "maximize" else -1.0
    assert _running(study, sign * (0.3 + FOLDS[:1])).should_prune()
    # A hard first fold, but as good as the best on it: a raw-mean pruner would stop it.
    assert not _running(study, sign * (0.89 + FOLDS[:1])).should_prune()


def test_small_consistent_gaps_are_kept_within_the_noise_and_pruned_beyond() -> None:
    """A trial a little below the best on every fold is kept while that is within the
    fold noise, and pruned once it is consistently further below."""
    study = _study()
    assert _running(study, 0.88 + FOLDS[:3]).should_prune()  # 0.02 below on 3 folds
    near_best = 0.895 + FOLDS[:3]  # 0.005 below: within the noise
    trial = _running(study, near_best)
    assert not trial.should_prune()
    reason_free = study.storage.get_trial(trial._trial_id).system_attrs
    assert "prune_reason" not in reason_free


def test_nothing_is_pruned_before_the_start_up_or_without_fold_noise() -> None:
    study = tl.create_study(direction="maximize", pruner=PairedFoldPruner(n_startup_trials=3))
    _add(study, 0.9 + FOLDS)
    _add(study, 0.5 + FOLDS)
    assert not _running(study, 0.1 + FOLDS[:1]).should_prune()  # 2 COMPLETE < 3
    _add(study, 0.6 + FOLDS)  # differences constant across folds: no spread to test with
    assert not _running(study, 0.1 + FOLDS[:1]).should_prune()


def test_invalid_arguments_are_rejected() -> None:
    with pytest.raises(ValueError, match="z"):
        PairedFoldPruner(z=-1.0)
    with pytest.raises(ValueError, match="n_startup_trials"):
        PairedFoldPruner(n_startup_trials=1)
