"""Pruning in real studies: it saves work, keeps the good configurations, and holds
under worker processes sharing a database."""

from __future__ import annotations

from pathlib import Path

import pytest

import tunelab as tl

MAX_EPOCHS = 27


def _curve(rate: float, epoch: int) -> float:
    """A loss curve: configurations with a larger rate converge lower and faster."""
    return 1.0 / (1.0 + rate * epoch) + (1.0 - rate) * 0.1


def _objective(trial: tl.Trial) -> float:
    rate = trial.suggest_float("rate", 0.0, 1.0)
    for epoch in range(1, MAX_EPOCHS + 1):
        loss = _curve(rate, epoch)
        trial.report(loss, epoch)
        if trial.should_prune():
            raise tl.TrialPruned()
    return loss


def _epochs(study: tl.Study) -> int:
    return sum(len(t.intermediate_values) for t in study.trials)


@pytest.mark.parametrize(
    "pruner",
    [
        tl.pruners.MedianPruner(n_startup_trials=3),
        tl.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3),
        tl.pruners.HyperbandPruner(min_resource=1, max_resource=MAX_EPOCHS),
    ],
    ids=lambda p: type(p).__name__,
)
def test_pruning_saves_epochs_and_keeps_the_best(pruner: tl.pruners.BasePruner) -> None:
    n_trials = 40
    sampler = tl.samplers.RandomSampler(seed=0)
    pruned_study = tl.create_study(sampler=sampler, pruner=pruner)
    pruned_study.optimize(_objective, n_trials=n_trials)
    full = tl.create_study(sampler=tl.samplers.RandomSampler(seed=0))
    full.optimize(_objective, n_trials=n_trials)
    assert _epochs(full) == n_trials * MAX_EPOCHS
    assert _epochs(pruned_study) < 0.7 * _epochs(full)
    assert pruned_study.best_value <= full.best_value * 1.05  # the best one survived
    for trial in pruned_study.trials:
        if trial.state is tl.TrialState.PRUNED:
            assert trial.system_attrs["prune_reason"]
            assert trial.value == trial.intermediate_values[trial.last_step]


def test_asha_with_worker_processes_on_sqlite(tmp_path: Path) -> None:
    """Two processes share rungs through the database: every decision is explainable."""
    storage = f"sqlite:///{tmp_path / 'asha.db'}"
    study = tl.create_study(
        storage=storage,
        sampler=tl.samplers.RandomSampler(seed=1),
        pruner=tl.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3),
    )
    study.optimize(_objective, n_trials=24, n_jobs=2)
    trials = study.trials
    assert len(trials) == 24
    pruned = [t for t in trials if t.state is tl.TrialState.PRUNED]
    assert pruned and len(pruned) < 24
    assert _epochs(study) < 0.7 * 24 * MAX_EPOCHS
    for trial in trials:  # every trial reached rung 0 (step 1) and recorded its value
        assert trial.system_attrs["asha:rung_0"] == trial.intermediate_values[1]
    for trial in pruned:
        assert "rung" in trial.system_attrs["prune_reason"]
