from __future__ import annotations

import math

import numpy as np
import pytest

import tunelab as tl
from tunelab.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from tunelab.exceptions import TrialFinishedError, TrialNotFoundError
from tunelab.storages import BaseStorage

COMPLETE, FAIL, PRUNED = tl.TrialState.COMPLETE, tl.TrialState.FAIL, tl.TrialState.PRUNED


def test_ask_creates_running_trials_numbered_in_order(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage)
    trials = [study.ask() for _ in range(3)]
    assert [t.number for t in trials] == [0, 1, 2]
    assert [t.state for t in study.trials] == [tl.TrialState.RUNNING] * 3
    assert all(t.datetime_start is not None for t in study.trials)
    assert trials[0].study is study


def test_ask_then_tell_completes_the_trial(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage, direction="maximize")
    trial = study.ask()
    x = trial.suggest_float("x", 0.0, 1.0)
    frozen = study.tell(trial, x * 2)
    assert frozen.state is COMPLETE
    assert frozen.value == x * 2
    assert frozen.params == {"x": x}
    assert frozen.datetime_complete is not None
    assert study.best_trial.number == trial.number


def test_ask_with_a_search_space_draws_it_at_once(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage)
    space = {
        "x": FloatDistribution(-1.0, 1.0),
        "n": IntDistribution(2, 32, log=True),
        "c": CategoricalDistribution(["a", "b"]),
    }
    trial = study.ask(space)
    assert set(trial.params) == set(space)
    assert -1.0 <= trial.params["x"] <= 1.0
    assert 2 <= trial.params["n"] <= 32
    assert trial.params["c"] in ("a", "b")
    assert trial.distributions == space
    # The objective's own suggestions return the same values.
    assert trial.suggest_float("x", -1.0, 1.0) == trial.params["x"]
    assert trial.suggest_int("n", 2, 32, log=True) == trial.params["n"]
    # ...and the parameters are already in the storage.
    assert study.trials[0].params == trial.params


def test_ask_with_a_search_space_uses_enqueued_values(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage)
    study.enqueue_trial({"x": 0.25})
    trial = study.ask({"x": FloatDistribution(0.0, 1.0), "y": FloatDistribution(0.0, 1.0)})
    assert trial.params["x"] == 0.25
    assert 0.0 <= trial.params["y"] <= 1.0


@pytest.mark.parametrize(
    "space",
    [[("x", FloatDistribution(0, 1))], {"x": (0.0, 1.0)}, {"x": "uniform"}],
)
def test_ask_rejects_an_invalid_search_space(space: object) -> None:
    study = tl.create_study()
    with pytest.raises(ValueError, match="search_space"):
        study.ask(space)  # type: ignore[arg-type]
    assert study.trials == []


def test_ask_with_enqueued_value_outside_the_space_fails_that_trial() -> None:
    study = tl.create_study()
    study.enqueue_trial({"x": 5.0})
    with pytest.raises(ValueError, match="parameter 'x'"):
        study.ask({"x": FloatDistribution(0.0, 1.0)})
    assert study.trials[0].state is FAIL
    assert "ask() failed" in str(study.trials[0].system_attrs["fail_reason"])


def test_tell_accepts_a_trial_its_frozen_record_or_its_number(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage)
    a, b, c = study.ask(), study.ask(), study.ask()
    study.tell(a, 1.0)
    study.tell(b.snapshot(), 2.0)
    study.tell(c.number, 3.0)
    assert [t.values for t in study.trials] == [(1.0,), (2.0,), (3.0,)]
    assert all(t.state is COMPLETE for t in study.trials)


@pytest.mark.parametrize(
    "value", [np.float64(0.5), np.float32(0.5), np.int64(2), 3, np.array(1.5), [0.5], (0.5,)]
)
def test_tell_accepts_numbers_of_any_real_type(value: object) -> None:
    study = tl.create_study()
    frozen = study.tell(study.ask(), value)  # type: ignore[arg-type]
    assert frozen.state is COMPLETE
    assert type(frozen.value) is float
    assert frozen.value == float(np.asarray(value).ravel()[0])


def test_tell_on_a_finished_trial_raises(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage)
    trial = study.ask()
    study.tell(trial, 1.0)
    for values, state in [(2.0, None), (None, FAIL), (None, PRUNED)]:
        with pytest.raises(TrialFinishedError):
            study.tell(trial, values, state)
    assert study.trials[0].state is COMPLETE
    assert study.trials[0].value == 1.0
    assert issubclass(TrialFinishedError, tl.exceptions.TunelabError)


def test_tell_skip_if_finished_returns_the_record_unchanged(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage)
    trial = study.ask()
    first = study.tell(trial, 1.0)
    again = study.tell(trial, 99.0, skip_if_finished=True)
    assert again.state is COMPLETE
    assert again.value == 1.0
    assert again.number == first.number
    failed = study.tell(study.ask(), state=FAIL)
    assert study.tell(failed.number, 5.0, skip_if_finished=True).state is FAIL


@pytest.mark.parametrize("number", [1, 100, -1])
def test_tell_with_an_unknown_number_raises(storage: BaseStorage, number: int) -> None:
    study = tl.create_study(storage=storage)
    study.ask()
    with pytest.raises(TrialNotFoundError) as info:
        study.tell(number, 1.0)
    assert isinstance(info.value, KeyError)
    assert study.trials[0].state is tl.TrialState.RUNNING


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (math.nan, "nan"),
        (math.inf, "inf"),
        (-math.inf, "inf"),
        ("0.5", "not a number"),
        (True, "not a number"),
        (np.bool_(False), "not a number"),
        ([1.0, 2.0], "2 value"),
        ([], "0 value"),
        (object(), "not a number"),
        (complex(1, 0), "not a number"),
    ],
)
def test_tell_with_an_unusable_value_marks_the_trial_fail(value: object, reason: str) -> None:
    study = tl.create_study()
    trial = study.ask()
    frozen = study.tell(trial, value)  # type: ignore[arg-type]
    assert frozen.state is FAIL
    assert frozen.values is None
    assert reason in str(frozen.system_attrs["fail_reason"])
    with pytest.raises(ValueError):
        study.best_trial  # noqa: B018


def test_tell_multi_objective_checks_each_value() -> None:
    study = tl.create_study(directions=["minimize", "maximize"])
    frozen = study.tell(study.ask(), [1.0, math.nan])
    assert frozen.state is FAIL
    assert "value 1" in str(frozen.system_attrs["fail_reason"])
    assert study.tell(study.ask(), 1.0).state is FAIL
    assert study.tell(study.ask(), np.array([1.0, 2.0])).values == (1.0, 2.0)


def test_tell_pruned_keeps_the_last_reported_value(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage)
    trial = study.ask()
    trial.report(5.0, step=0)
    trial.report(2.0, step=3)
    trial.report(7.0, step=1)
    frozen = study.tell(trial, state=PRUNED)
    assert frozen.state is PRUNED
    assert frozen.value == 2.0  # the value of the largest step, not the latest call
    assert frozen.intermediate_values == {0: 5.0, 3: 2.0, 1: 7.0}


def test_tell_pruned_without_reports_has_no_value(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage)
    frozen = study.tell(study.ask(), state=PRUNED)
    assert frozen.state is PRUNED
    assert frozen.values is None


def test_tell_fail(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage)
    trial = study.ask()
    trial.report(1.0, step=0)
    frozen = study.tell(trial, state=FAIL)
    assert frozen.state is FAIL
    assert frozen.values is None


@pytest.mark.parametrize(
    ("values", "state", "match"),
    [
        (None, None, "value"),
        (1.0, PRUNED, "PRUNED"),
        (1.0, FAIL, "FAIL"),
        (None, tl.TrialState.RUNNING, "state"),
        (None, tl.TrialState.WAITING, "state"),
        (None, "complete", "state"),
    ],
)
def test_tell_rejects_inconsistent_arguments(values: object, state: object, match: str) -> None:
    study = tl.create_study()
    trial = study.ask()
    with pytest.raises(ValueError, match=match):
        study.tell(trial, values, state)  # type: ignore[arg-type]
    assert study.trials[0].state is tl.TrialState.RUNNING
    assert study.tell(trial, 1.0).state is COMPLETE


@pytest.mark.parametrize("trial", [True, "0", 0.0, None])
def test_tell_rejects_what_is_not_a_trial(trial: object) -> None:
    study = tl.create_study()
    study.ask()
    with pytest.raises(ValueError, match="trial"):
        study.tell(trial, 1.0)  # type: ignore[arg-type]


def test_tell_rejects_a_trial_of_another_study() -> None:
    storage = tl.storages.InMemoryStorage()
    study_a = tl.create_study(storage=storage)
    study_b = tl.create_study(storage=storage)
    trial = study_a.ask()
    study_b.ask()
    with pytest.raises(ValueError, match="another study"):
        study_b.tell(trial, 1.0)
    assert study_a.trials[0].state is tl.TrialState.RUNNING
    assert study_b.trials[0].state is tl.TrialState.RUNNING


def test_ask_claims_enqueued_trials_first(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage)
    study.ask()
    study.enqueue_trial({"x": 0.1})
    study.enqueue_trial({"x": 0.2})
    first, second, third = study.ask(), study.ask(), study.ask()
    assert [first.number, second.number, third.number] == [1, 2, 3]
    assert first.suggest_float("x", 0, 1) == 0.1
    assert second.suggest_float("x", 0, 1) == 0.2
    assert third.suggest_float("x", 0, 1) not in (0.1, 0.2)


def test_suggest_after_tell_is_refused(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage)
    trial = study.ask()
    study.tell(trial, 1.0)
    with pytest.raises(TrialFinishedError):
        trial.suggest_float("late", 0.0, 1.0)
    assert study.trials[0].params == {}
