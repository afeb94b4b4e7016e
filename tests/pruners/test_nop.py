from __future__ import annotations

import math

import pytest

import tunelab as tl
from tunelab.pruners import BasePruner, NopPruner, PruneDecision


def test_is_the_default_pruner():
    study = tl.create_study()
    assert isinstance(study.pruner, NopPruner)
    assert isinstance(NopPruner(), BasePruner)


@pytest.mark.parametrize("reports", [[0.0], [1e9, -1e9, 0.5], [math.nan, math.inf]])
def test_prune_always_says_keep(reports):
    study = tl.create_study()
    trial = tl.FrozenTrial(
        trial_id=0,
        number=0,
        state=tl.TrialState.RUNNING,
        intermediate_values=dict(enumerate(reports)),
    )
    decision = NopPruner().prune(study.view(), trial)
    assert isinstance(decision, PruneDecision)
    assert decision.prune is False


def test_should_prune_is_false_at_every_step(storage):
    study = tl.create_study(storage=storage, pruner=NopPruner())
    answers = []

    def objective(trial):
        for step in range(5):
            trial.report(10.0 - step, step=step)
            answers.append(trial.should_prune())
        return 0.0

    study.optimize(objective, n_trials=3)
    assert answers == [False] * 15
    assert [t.state for t in study.trials] == [tl.TrialState.COMPLETE] * 3
    assert all("prune_reason" not in t.system_attrs for t in study.trials)
