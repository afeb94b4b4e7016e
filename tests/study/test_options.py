"""Study-wide options: heartbeats, stale trials, retries and the trial limit."""

from __future__ import annotations

import time

import pytest

import tunelab as tl
from tunelab.storages import BaseStorage


def _x(trial: tl.Trial) -> float:
    return trial.suggest_float("x", 0.0, 1.0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"heartbeat_interval": 0}, "heartbeat_interval=0"),
        ({"heartbeat_interval": -1.0}, "heartbeat_interval=-1.0"),
        ({"grace_period": 5.0}, "grace_period needs heartbeat_interval"),
        ({"heartbeat_interval": 5.0, "grace_period": 5.0}, "longer than"),
        ({"max_trials": 0}, "max_trials=0"),
        ({"max_trials": 2.5}, "max_trials=2.5"),
        ({"failed_trial_callback": 3}, "callable"),
    ],
)
def test_invalid_options_are_clear_errors_and_create_nothing(kwargs, match) -> None:
    storage = tl.storages.InMemoryStorage()
    with pytest.raises(ValueError, match=match):
        tl.create_study(storage=storage, study_name="s", **kwargs)
    assert tl.get_all_study_names(storage) == []


def test_max_trials_caps_the_study_across_calls(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage, study_name="capped", max_trials=5)
    study.optimize(_x, n_trials=3)
    study.optimize(_x, n_trials=10)
    assert len(study.trials) == 5
    again = tl.load_study(study_name="capped", storage=storage)  # the limit is stored
    again.optimize(_x, n_trials=4)
    assert len(again.trials) == 5
    with pytest.raises(tl.exceptions.TrialLimitReached):
        again.ask()


def test_max_trials_with_thread_workers_never_overshoots() -> None:
    study = tl.create_study(max_trials=17)
    study.optimize(_x, n_trials=100, n_jobs=4, executor="thread")
    assert [t.number for t in study.trials] == list(range(17))


def test_enqueued_trials_still_run_at_the_limit() -> None:
    study = tl.create_study(max_trials=2)
    study.optimize(_x, n_trials=2)
    study.enqueue_trial({"x": 0.5})
    study.optimize(_x, n_trials=5)
    assert study.trials[-1].params == {"x": 0.5}
    assert len(study.trials) == 3


def test_grace_period_defaults_to_twice_the_heartbeat_and_is_stored() -> None:
    storage = tl.storages.InMemoryStorage()
    tl.create_study(storage=storage, study_name="hb", heartbeat_interval=3)
    attrs = tl.load_study(study_name="hb", storage=storage).system_attrs
    assert attrs["tunelab:heartbeat_interval"] == 3.0
    assert attrs["tunelab:grace_period"] == 6.0


def test_a_silent_trial_is_failed_and_retried_with_its_parameters(storage: BaseStorage) -> None:
    retry = tl.RetryFailedTrialCallback(max_retry=2, inherit_intermediate_values=True)
    study = tl.create_study(
        storage=storage, heartbeat_interval=0.05, grace_period=0.3, failed_trial_callback=retry
    )
    lost = study.ask()
    lost.suggest_float("x", 0.0, 1.0)
    lost.report(0.25, step=1)
    study._context.heartbeats[lost.trial_id].stop()  # its worker "dies": no more beats
    alive = study.ask()  # a live trial keeps beating and is never failed
    time.sleep(0.6)
    study.optimize(_x, n_trials=1)
    study.tell(alive, 1.0)
    trials = study.trials
    assert trials[lost.number].state is tl.TrialState.FAIL
    assert "no heartbeat" in str(trials[lost.number].system_attrs["fail_reason"])
    assert trials[alive.number].state is tl.TrialState.COMPLETE
    [again] = [
        t for t in trials if tl.RetryFailedTrialCallback.retried_trial_number(t) is not None
    ]
    assert again.params == trials[lost.number].params
    assert again.intermediate_values == {1: 0.25}
    assert again.state is tl.TrialState.COMPLETE


def test_max_retry_bounds_the_retries() -> None:
    retry = tl.RetryFailedTrialCallback(max_retry=1)
    study = tl.create_study(heartbeat_interval=0.05, grace_period=0.2, failed_trial_callback=retry)
    for _ in range(2):  # the original, then its retry, both lose their worker
        trial = study.ask()
        _x(trial)
        study._context.heartbeats[trial.trial_id].stop()
        time.sleep(0.4)
    study.optimize(_x, n_trials=1)
    retried = [t for t in study.trials if tl.RetryFailedTrialCallback.retry_history(t)]
    assert [tl.RetryFailedTrialCallback.retry_history(t) for t in retried] == [[0]]
    with pytest.raises(ValueError, match="max_retry"):
        tl.RetryFailedTrialCallback(max_retry=-1)
