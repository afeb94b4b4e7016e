from __future__ import annotations

import math
from typing import Any

import pytest

import tunelab as tl
from tunelab._clock import FakeClock
from tunelab.execution import SequentialExecutor, ThreadExecutor
from tunelab.storages import BaseStorage

COMPLETE, FAIL, PRUNED = tl.TrialState.COMPLETE, tl.TrialState.FAIL, tl.TrialState.PRUNED


def _x(trial: tl.Trial) -> float:
    return trial.suggest_float("x", -1.0, 1.0)


# -- budget ---------------------------------------------------------------------------


def test_n_trials_runs_that_many_trials_per_call(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage)
    study.optimize(_x, n_trials=4)
    assert len(study.trials) == 4
    study.optimize(_x, n_trials=3)
    assert [t.number for t in study.trials] == list(range(7))
    assert all(t.state is COMPLETE for t in study.trials)


@pytest.mark.parametrize("n_jobs", [2, 3, -1])
def test_threads_run_exactly_n_trials(storage: BaseStorage, n_jobs: int) -> None:
    study = tl.create_study(storage=storage)
    study.optimize(_x, n_trials=20, n_jobs=n_jobs, executor="thread")
    assert sorted(t.number for t in study.trials) == list(range(20))
    assert all(t.state is COMPLETE for t in study.trials)


@pytest.mark.parametrize(
    "executor", [SequentialExecutor(), ThreadExecutor(), "sequential", "thread"]
)
def test_explicit_executors(executor: Any) -> None:
    study = tl.create_study()
    study.optimize(_x, n_trials=6, executor=executor)
    assert len(study.get_trials(states=[COMPLETE])) == 6


def test_sequential_executor_refuses_several_workers() -> None:
    with pytest.raises(ValueError, match="n_jobs"):
        tl.create_study().optimize(_x, n_trials=2, n_jobs=2, executor="sequential")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_trials": 0}, "n_trials"),
        ({"n_trials": -3}, "n_trials"),
        ({"n_trials": 2.5}, "n_trials"),
        ({"timeout": 0}, "timeout"),
        ({"timeout": -1.0}, "timeout"),
        ({"n_jobs": 0}, "n_jobs"),
        ({"n_jobs": -2}, "n_jobs"),
        ({"n_jobs": 1.5}, "n_jobs"),
        ({"n_jobs": True}, "n_jobs"),
        ({"catch": [ValueError, "oops"]}, "catch"),
        ({"catch": [KeyboardInterrupt]}, "catch"),
        ({"callbacks": [print, 3]}, "callbacks"),
        ({"executor": "process-pool"}, "executor"),
    ],
)
def test_optimize_rejects_bad_arguments(kwargs: dict, match: str) -> None:
    study = tl.create_study()
    with pytest.raises(ValueError, match=match):
        study.optimize(_x, **({"n_trials": 1} | kwargs))
    assert study.trials == []


def test_objective_must_be_callable() -> None:
    with pytest.raises(ValueError, match="objective"):
        tl.create_study().optimize(42, n_trials=1)  # type: ignore[arg-type]


def test_timeout_stops_starting_trials_with_a_fake_clock(storage: BaseStorage) -> None:
    clock = FakeClock(start=100.0)
    study = tl.create_study(storage=storage)

    def objective(trial: tl.Trial) -> float:
        trial.set_user_attr("started_at", clock.now() - 100.0)
        clock.advance(1.0)
        return _x(trial)

    study.optimize(objective, timeout=3.5, clock=clock)
    starts = [t.user_attrs["started_at"] for t in study.trials]
    assert starts == [0.0, 1.0, 2.0, 3.0]  # every trial that started before 3.5 s, no other
    assert all(t.state is COMPLETE for t in study.trials)


def test_timeout_and_n_trials_whichever_comes_first() -> None:
    clock = FakeClock()

    def objective(trial: tl.Trial) -> float:
        clock.advance(10.0)
        return _x(trial)

    study = tl.create_study()
    study.optimize(objective, n_trials=3, timeout=1000.0, clock=clock)
    assert len(study.trials) == 3
    study.optimize(objective, n_trials=100, timeout=25.0, clock=clock)
    assert len(study.trials) == 6  # starts at 0, 10, 20 s of the second call


def test_timeout_with_threads_starts_no_trial_after_the_deadline() -> None:
    clock = FakeClock()
    study = tl.create_study()

    def objective(trial: tl.Trial) -> float:
        trial.set_user_attr("started_at", clock.now())
        clock.advance(1.0)
        return _x(trial)

    study.optimize(objective, timeout=10.0, n_jobs=2, clock=clock, executor="thread")
    starts = [t.user_attrs["started_at"] for t in study.trials]
    assert 10 <= len(starts) <= 11
    assert all(s < 10.0 + 1.0 for s in starts)
    assert all(t.state is COMPLETE for t in study.trials)


def test_no_budget_runs_until_stopped(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage)
    study.optimize(_x, callbacks=[tl.callbacks.MaxTrialsCallback(12)])
    assert len(study.trials) == 12


# -- exceptions in the objective ------------------------------------------------------


def test_exception_marks_fail_records_reason_and_traceback_then_reraises(
    storage: BaseStorage,
) -> None:
    study = tl.create_study(storage=storage)

    def objective(trial: tl.Trial) -> float:
        x = _x(trial)
        if trial.number == 2:
            raise ValueError("boom")
        return x

    with pytest.raises(ValueError, match="boom"):
        study.optimize(objective, n_trials=5)
    assert [t.state for t in study.trials] == [COMPLETE, COMPLETE, FAIL]
    failed = study.trials[2]
    assert failed.system_attrs["fail_reason"] == "ValueError: boom"
    traceback = str(failed.system_attrs["traceback"])
    assert traceback.startswith("Traceback")
    assert "ValueError: boom" in traceback
    assert "in objective" in traceback
    assert failed.values is None
    assert "x" in failed.params  # what was suggested before the error is kept


@pytest.mark.parametrize(
    "catch",
    [ValueError, (ValueError,), [KeyError, ValueError], (Exception,), LookupError],
)
def test_caught_exceptions_let_the_study_go_on(catch: Any) -> None:
    study = tl.create_study()
    errors = [ValueError("v"), KeyError("k"), IndexError("i")]

    def objective(trial: tl.Trial) -> float:
        _x(trial)
        raise errors[trial.number % 3]

    caught = catch if isinstance(catch, (list, tuple)) else (catch,)
    raises_on = [i for i, e in enumerate(errors * 2) if not isinstance(e, tuple(caught))]
    if raises_on:
        with pytest.raises((ValueError, KeyError, IndexError)):
            study.optimize(objective, n_trials=6, catch=catch)
        assert len(study.trials) == raises_on[0] + 1
    else:
        study.optimize(objective, n_trials=6, catch=catch)
        assert len(study.trials) == 6
    assert all(t.state is FAIL for t in study.trials)
    assert study.trials[0].system_attrs["fail_reason"] == "ValueError: v"


@pytest.mark.parametrize(
    ("result", "reason"),
    [
        (math.nan, "nan"),
        (math.inf, "inf"),
        (-math.inf, "inf"),
        (None, "None"),
        ("1.0", "not a number"),
        (True, "not a number"),
        (False, "not a number"),
        ((1.0, 2.0), "2 value"),
        ({"loss": 1.0}, "not a number"),
    ],
)
def test_unusable_returns_mark_fail_and_the_study_goes_on(
    storage: BaseStorage, result: object, reason: str
) -> None:
    study = tl.create_study(storage=storage, direction="maximize")

    def objective(trial: tl.Trial) -> Any:
        x = _x(trial)
        return result if trial.number % 2 == 0 else x

    study.optimize(objective, n_trials=6)
    assert [t.state for t in study.trials] == [FAIL, COMPLETE] * 3
    for trial in study.trials[::2]:
        assert reason in str(trial.system_attrs["fail_reason"])
        assert trial.values is None
    assert study.best_trial.number % 2 == 1
    assert {t.number for t in study.best_trials} <= {1, 3, 5}


def test_unusable_returns_never_become_best() -> None:
    study = tl.create_study()  # minimize: -inf would win if it counted
    study.optimize(lambda t: -math.inf, n_trials=3)
    with pytest.raises(ValueError, match="no COMPLETE"):
        study.best_value  # noqa: B018
    study.optimize(lambda t: 1.0, n_trials=1)
    assert study.best_value == 1.0


def test_multi_objective_wrong_number_of_values_fails(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage, directions=["minimize", "minimize"])
    outputs: list[Any] = [1.0, (1.0, 2.0, 3.0), (1.0, 2.0), (math.nan, 1.0)]
    study.optimize(lambda t: outputs[t.number], n_trials=4)
    assert [t.state for t in study.trials] == [FAIL, FAIL, COMPLETE, FAIL]
    assert "1 value" in str(study.trials[0].system_attrs["fail_reason"])
    assert "3 value" in str(study.trials[1].system_attrs["fail_reason"])


def test_trial_pruned_marks_pruned_with_the_last_reported_value(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage)

    def objective(trial: tl.Trial) -> float:
        for step in range(4):
            trial.report(10.0 - step, step)
        raise tl.TrialPruned("enough")

    study.optimize(objective, n_trials=2)
    assert [t.state for t in study.trials] == [PRUNED, PRUNED]
    assert study.trials[0].value == 7.0


def test_callback_exception_stops_the_study(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage)

    def callback(s: tl.Study, trial: tl.FrozenTrial) -> None:
        if trial.number == 1:
            raise RuntimeError("callback failed")

    with pytest.raises(RuntimeError, match="callback failed"):
        study.optimize(_x, n_trials=5, callbacks=[callback])
    assert [t.state for t in study.trials] == [COMPLETE, COMPLETE]


# -- interruptions --------------------------------------------------------------------


def test_keyboard_interrupt_keeps_finished_trials_and_returns(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage)
    calls = {"n": 0}

    def objective(trial: tl.Trial) -> float:
        calls["n"] += 1
        x = _x(trial)
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return x

    study.optimize(objective, n_trials=10)  # returns normally
    assert [t.state for t in study.trials] == [COMPLETE, COMPLETE, FAIL]
    assert "KeyboardInterrupt" in str(study.trials[2].system_attrs["fail_reason"])
    # Resume: the study goes on from where it stopped.
    study.optimize(objective, n_trials=2)
    assert [t.state for t in study.trials] == [COMPLETE, COMPLETE, FAIL, COMPLETE, COMPLETE]
    assert [t.number for t in study.trials] == list(range(5))


def test_keyboard_interrupt_in_the_first_trial(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage)

    def objective(trial: tl.Trial) -> float:
        raise KeyboardInterrupt

    study.optimize(objective, n_trials=3, catch=Exception)
    (trial,) = study.trials
    assert trial.state is FAIL
    with pytest.raises(ValueError):
        study.best_trial  # noqa: B018


def test_keyboard_interrupt_from_a_callback_keeps_the_trial(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage)

    def callback(s: tl.Study, trial: tl.FrozenTrial) -> None:
        if trial.number == 1:
            raise KeyboardInterrupt

    study.optimize(_x, n_trials=5, callbacks=[callback])
    assert [t.state for t in study.trials] == [COMPLETE, COMPLETE]


def test_worker_exception_in_threads_is_reraised_and_no_trial_is_left_running(
    storage: BaseStorage,
) -> None:
    study = tl.create_study(storage=storage)

    def objective(trial: tl.Trial) -> float:
        x = _x(trial)
        if trial.number == 5:
            raise ValueError("worker boom")
        return x

    with pytest.raises(ValueError, match="worker boom"):
        study.optimize(objective, n_jobs=2)  # no budget: only the error can stop it
    trials = study.trials
    assert len(trials) > 5
    assert study.trials[5].state is FAIL
    assert study.trials[5].system_attrs["fail_reason"] == "ValueError: worker boom"
    assert not study.get_trials(states=[tl.TrialState.RUNNING, tl.TrialState.WAITING])
    assert all(t.state is COMPLETE for t in trials if t.number != 5)


def test_caught_exceptions_in_threads_let_the_study_go_on() -> None:
    study = tl.create_study()

    def objective(trial: tl.Trial) -> float:
        x = _x(trial)
        if trial.number % 4 == 0:
            raise ValueError("caught")
        return x

    study.optimize(objective, n_trials=20, n_jobs=3, catch=ValueError, executor="thread")
    assert len(study.trials) == 20
    assert len(study.get_trials(states=[FAIL])) == 5


def test_define_by_run_conditional_spaces(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage, sampler=tl.samplers.RandomSampler(seed=0))

    def objective(trial: tl.Trial) -> float:
        model = trial.suggest_categorical("model", ["svm", "tree"])
        if model == "svm":
            return trial.suggest_float("C", 1e-3, 1e3, log=True)
        depth = trial.suggest_int("depth", 1, 10)
        if depth > 5:
            trial.suggest_categorical("criterion", ["gini", "entropy"])
        return float(depth)

    study.optimize(objective, n_trials=40)
    for trial in study.trials:
        if trial.params["model"] == "svm":
            assert set(trial.params) == {"model", "C"}
        elif trial.params["depth"] > 5:
            assert set(trial.params) == {"model", "depth", "criterion"}
        else:
            assert set(trial.params) == {"model", "depth"}
        assert set(trial.distributions) == set(trial.params)
    assert {t.params["model"] for t in study.trials} == {"svm", "tree"}
