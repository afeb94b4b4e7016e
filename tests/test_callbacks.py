from __future__ import annotations

import math

import pytest

import tunelab as tl
from tunelab.callbacks import MaxTrialsCallback

COMPLETE, PRUNED, FAIL = tl.TrialState.COMPLETE, tl.TrialState.PRUNED, tl.TrialState.FAIL


def _uniform(trial):
    return trial.suggest_float("x", 0, 1)


def test_max_trials_stops_the_study_at_the_total(storage):
    study = tl.create_study(storage=storage)
    study.optimize(_uniform, n_trials=50, callbacks=[MaxTrialsCallback(3)])
    assert [t.number for t in study.trials] == [0, 1, 2]


def test_max_trials_counts_the_whole_study_when_resumed(storage):
    study = tl.create_study(storage=storage)
    study.optimize(_uniform, n_trials=2)
    study.optimize(_uniform, n_trials=50, callbacks=[MaxTrialsCallback(5)])
    assert len(study.trials) == 5


def test_max_trials_counts_only_the_given_states():
    study = tl.create_study()

    def objective(trial):
        if trial.number % 2 == 0:
            trial.report(1.0, step=0)
            raise tl.TrialPruned()
        return 1.0

    study.optimize(objective, n_trials=50, callbacks=[MaxTrialsCallback(2, states=(COMPLETE,))])
    assert [t.state for t in study.trials] == [PRUNED, COMPLETE, PRUNED, COMPLETE]


def test_max_trials_default_states_count_every_finished_trial():
    study = tl.create_study()

    def objective(trial):
        if trial.number == 0:
            raise tl.TrialPruned()
        if trial.number == 1:
            raise ValueError("bad")
        return 1.0

    callback = MaxTrialsCallback(3)
    assert set(callback.states) == {COMPLETE, PRUNED, FAIL}
    study.optimize(objective, n_trials=50, catch=(ValueError,), callbacks=[callback])
    assert [t.state for t in study.trials] == [PRUNED, FAIL, COMPLETE]


def test_max_trials_ignores_waiting_trials():
    study = tl.create_study()
    for x in (0.1, 0.2, 0.3, 0.4):
        study.enqueue_trial({"x": x})
    study.optimize(_uniform, n_trials=50, callbacks=[MaxTrialsCallback(2)])
    trials = study.trials
    waiting = tl.TrialState.WAITING
    assert [t.state for t in trials] == [COMPLETE, COMPLETE, waiting, waiting]
    assert [t.params.get("x") for t in trials[:2]] == [0.1, 0.2]


@pytest.mark.parametrize("n_trials", [0, -3, 1.5, True, "2", None])
def test_max_trials_validates_n_trials(n_trials):
    with pytest.raises(ValueError, match=r"n_trials="):
        MaxTrialsCallback(n_trials)


def test_callbacks_receive_the_study_and_the_frozen_finished_trial():
    study = tl.create_study()
    received = []

    def objective(trial):
        if trial.number == 1:
            trial.report(0.5, step=0)
            raise tl.TrialPruned()
        if trial.number == 2:
            raise ValueError("caught")
        if trial.number == 3:
            return math.nan
        return 2.0

    def callback(study_arg, trial):
        received.append((study_arg, trial))

    study.optimize(objective, n_trials=4, catch=(ValueError,), callbacks=[callback])
    assert len(received) == 4
    assert all(s is study for s, _ in received)
    trials = [t for _, t in received]
    assert all(isinstance(t, tl.FrozenTrial) for t in trials)
    assert [t.number for t in trials] == [0, 1, 2, 3]
    assert [t.state for t in trials] == [COMPLETE, PRUNED, FAIL, FAIL]
    assert trials[0].values == (2.0,)
    assert trials[1].values == (0.5,)
    assert "caught" in trials[2].system_attrs["fail_reason"]
    assert "nan" in trials[3].system_attrs["fail_reason"]
    for trial in trials:
        assert trial.datetime_complete is not None
        assert trial == study.storage.get_trial(trial.trial_id)


def test_callbacks_run_in_order_after_each_trial():
    study = tl.create_study()
    log = []

    def first(study_arg, trial):
        log.append(("first", trial.number, len(study_arg.trials)))

    def second(study_arg, trial):
        log.append(("second", trial.number, len(study_arg.trials)))

    study.optimize(_uniform, n_trials=2, callbacks=[first, second])
    assert log == [("first", 0, 1), ("second", 0, 1), ("first", 1, 2), ("second", 1, 2)]


def test_callback_sees_a_failed_trial_before_the_error_propagates():
    study = tl.create_study()
    received = []

    def objective(trial):
        raise ZeroDivisionError("boom")

    with pytest.raises(ZeroDivisionError):
        study.optimize(objective, n_trials=5, callbacks=[lambda s, t: received.append(t)])
    assert len(received) == 1
    assert received[0].state is FAIL
    assert len(study.trials) == 1


def test_a_callback_error_stops_the_optimisation():
    study = tl.create_study()

    def callback(study_arg, trial):
        raise RuntimeError("callback failed")

    with pytest.raises(RuntimeError, match="callback failed"):
        study.optimize(_uniform, n_trials=5, callbacks=[callback])
    assert len(study.trials) == 1
    assert study.trials[0].state is COMPLETE


def test_study_stop_from_a_callback():
    study = tl.create_study()

    def stop_at_number_2(study_arg, trial):
        if trial.number == 2:
            study_arg.stop()

    study.optimize(_uniform, n_trials=50, callbacks=[stop_at_number_2])
    assert len(study.trials) == 3
    study.optimize(_uniform, n_trials=2)  # a new optimize call is not stopped
    assert len(study.trials) == 5


def test_non_callable_callbacks_are_rejected():
    study = tl.create_study()
    with pytest.raises(ValueError, match="callbacks"):
        study.optimize(_uniform, n_trials=1, callbacks=[42])
    assert study.trials == []
