from __future__ import annotations

import dataclasses
import math

import pytest

import tunelab as tl
from tunelab.pruners import BasePruner, PruneDecision


class StopBelow(BasePruner):
    """Prune once the last reported value drops below a threshold."""

    def __init__(self, threshold: float, reason: str = "") -> None:
        self.threshold = threshold
        self.reason = reason
        self.seen = []

    def prune(self, study, trial):
        self.seen.append(trial)
        last = trial.intermediate_values[trial.last_step]
        reason = self.reason.format(last=last) if self.reason else ""
        return PruneDecision(last < self.threshold, reason)


def _report_then_check(values):
    def objective(trial):
        for step, value in enumerate(values):
            trial.report(value, step=step)
            if trial.should_prune():
                raise tl.TrialPruned()
        return 100.0

    return objective


def test_base_pruner_is_abstract():
    with pytest.raises(TypeError):
        BasePruner()  # type: ignore[abstract]


def test_prune_decision_defaults_and_is_frozen():
    decision = PruneDecision(True)
    assert decision.prune is True
    assert decision.reason == ""
    with pytest.raises(dataclasses.FrozenInstanceError):
        decision.prune = False  # type: ignore[misc]


def test_reason_is_recorded_and_last_value_kept(storage):
    pruner = StopBelow(0.5, reason="value {last} < 0.5")
    study = tl.create_study(storage=storage, pruner=pruner)
    study.optimize(_report_then_check([0.9, 0.7, 0.3, 0.1]), n_trials=1)
    trial = study.trials[0]
    assert trial.state is tl.TrialState.PRUNED
    assert trial.system_attrs["prune_reason"] == "value 0.3 < 0.5"
    assert trial.value == 0.3
    assert dict(trial.intermediate_values) == {0: 0.9, 1: 0.7, 2: 0.3}


def test_an_empty_reason_names_the_pruner():
    study = tl.create_study(pruner=StopBelow(0.5))
    study.optimize(_report_then_check([0.2]), n_trials=1)
    assert study.trials[0].system_attrs["prune_reason"] == "pruned by StopBelow"


def test_trials_that_are_not_pruned_complete_without_a_reason():
    study = tl.create_study(pruner=StopBelow(0.5, reason="low"))
    study.optimize(_report_then_check([0.9, 0.8]), n_trials=2)
    for trial in study.trials:
        assert trial.state is tl.TrialState.COMPLETE
        assert trial.value == 100.0
        assert "prune_reason" not in trial.system_attrs


def test_pruner_sees_the_running_trial_with_its_reports():
    pruner = StopBelow(0.0)
    study = tl.create_study(pruner=pruner)
    study.optimize(_report_then_check([3.0, 2.0]), n_trials=1)
    assert [dict(t.intermediate_values) for t in pruner.seen] == [{0: 3.0}, {0: 3.0, 1: 2.0}]
    assert all(t.state is tl.TrialState.RUNNING for t in pruner.seen)
    assert all(t.number == 0 for t in pruner.seen)


def test_should_prune_without_reports_does_not_ask_the_pruner():
    pruner = StopBelow(1e9)
    study = tl.create_study(pruner=pruner)
    trial = study.ask()
    assert trial.should_prune() is False
    assert pruner.seen == []


def test_pruned_without_reports_has_no_value():
    study = tl.create_study()

    def objective(trial):
        raise tl.TrialPruned()

    study.optimize(objective, n_trials=1)
    trial = study.trials[0]
    assert trial.state is tl.TrialState.PRUNED
    assert trial.values is None


def test_pruned_with_a_nan_report_has_no_value():
    study = tl.create_study()

    def objective(trial):
        trial.report(0.5, step=0)
        trial.report(math.nan, step=1)
        raise tl.TrialPruned()

    study.optimize(objective, n_trials=1)
    assert study.trials[0].state is tl.TrialState.PRUNED
    assert study.trials[0].values is None


def test_pruned_trials_do_not_count_as_best():
    study = tl.create_study(pruner=StopBelow(0.5, reason="low"))
    study.optimize(_report_then_check([0.1]), n_trials=1)
    with pytest.raises(ValueError):
        _ = study.best_trial
