from __future__ import annotations

import math
import random

import numpy as np
import pytest

import tunelab as tl
from tunelab.storages import BaseStorage

COMPLETE, FAIL, PRUNED = tl.TrialState.COMPLETE, tl.TrialState.FAIL, tl.TrialState.PRUNED


def _values_objective(values: list[float | None]):  # type: ignore[no-untyped-def]
    """An objective returning ``values[trial.number]`` (None means: fail)."""

    def objective(trial: tl.Trial) -> float:
        trial.suggest_float("x", 0.0, 1.0)
        value = values[trial.number]
        if value is None:
            raise ValueError("no value")
        return value

    return objective


# -- history --------------------------------------------------------------------------


def test_trials_are_in_number_order_and_get_trials_filters_states(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage)

    def objective(trial: tl.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        if trial.number % 3 == 1:
            raise tl.TrialPruned()
        if trial.number % 3 == 2:
            raise RuntimeError("fail")
        return x

    study.optimize(objective, n_trials=9, catch=RuntimeError)
    study.ask()  # RUNNING
    study.enqueue_trial({"x": 0.5})  # WAITING
    assert [t.number for t in study.trials] == list(range(11))
    assert [t.number for t in study.get_trials(states=[COMPLETE])] == [0, 3, 6]
    assert [t.number for t in study.get_trials(states=[PRUNED])] == [1, 4, 7]
    assert [t.number for t in study.get_trials(states=(FAIL, PRUNED))] == [1, 2, 4, 5, 7, 8]
    assert [t.number for t in study.get_trials(states=[tl.TrialState.RUNNING])] == [9]
    assert [t.number for t in study.get_trials(states=[tl.TrialState.WAITING])] == [10]
    assert study.get_trials(states=[]) == []
    assert study.get_trials() == study.trials


def test_trials_are_immutable_snapshots(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage)
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=1)
    trial = study.trials[0]
    with pytest.raises(TypeError):
        trial.params["x"] = 3.0  # type: ignore[index]
    with pytest.raises(AttributeError):
        trial.state = FAIL  # type: ignore[misc]
    assert study.trials[0].params == trial.params


# -- best -----------------------------------------------------------------------------


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_best_trial_matches_a_brute_force_search(storage: BaseStorage, direction: str) -> None:
    rng = random.Random(direction)
    values: list[float | None] = [
        None if rng.random() < 0.2 else rng.uniform(-10, 10) for _ in range(40)
    ]
    study = tl.create_study(storage=storage, direction=direction)
    study.optimize(_values_objective(values), n_trials=40, catch=ValueError)
    ok = [(v, i) for i, v in enumerate(values) if v is not None]
    pick = min if direction == "minimize" else max
    best_value = pick(v for v, _ in ok)
    assert study.best_value == best_value
    assert study.best_trial.number == next(i for v, i in ok if v == best_value)
    assert study.best_params == study.trials[study.best_trial.number].params


def test_best_trial_ties_go_to_the_earliest(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage)
    study.optimize(_values_objective([3.0, 1.0, 2.0, 1.0, 1.0]), n_trials=5)
    assert study.best_trial.number == 1
    assert [t.number for t in study.best_trials] == [1, 3, 4]


def test_best_needs_a_complete_trial(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage, study_name="empty")
    for attr in ("best_trial", "best_value", "best_params"):
        with pytest.raises(ValueError, match="no COMPLETE trial"):
            getattr(study, attr)
    assert study.best_trials == []

    def objective(trial: tl.Trial) -> float:
        trial.report(0.1, step=0)
        if trial.number == 0:
            raise tl.TrialPruned()
        raise RuntimeError("x")

    study.optimize(objective, n_trials=2, catch=RuntimeError)
    study.ask()
    with pytest.raises(ValueError, match="no COMPLETE trial"):
        study.best_trial  # noqa: B018


def test_best_is_updated_live_between_trials(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage)
    seen: list[float] = []
    values = [5.0, 7.0, 2.0, 3.0, 1.0]
    study.optimize(
        _values_objective(values),  # type: ignore[arg-type]
        n_trials=5,
        callbacks=[lambda s, t: seen.append(s.best_value)],
    )
    assert seen == [5.0, 5.0, 2.0, 2.0, 1.0]


def test_multi_objective_study_has_no_single_best(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage, directions=["minimize", "maximize"])
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)), 5)
    for attr in ("best_trial", "best_value", "best_params", "direction"):
        with pytest.raises(ValueError, match="objectives"):
            getattr(study, attr)
    assert 1 <= len(study.best_trials) <= 5
    with pytest.raises(ValueError, match="values"):
        study.trials[0].value  # noqa: B018


def test_multi_objective_values_sequences(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage, directions=["minimize", "minimize", "maximize"])
    returns = [
        (1.0, 2.0, 3.0),
        [4, 5, 6],
        np.array([7.0, 8.0, 9.0]),
        (np.float32(1.5), np.int64(2), 3.5),
    ]
    study.optimize(lambda t: returns[t.number], n_trials=4)
    assert [t.state for t in study.trials] == [COMPLETE] * 4
    assert [t.values for t in study.trials] == [
        (1.0, 2.0, 3.0),
        (4.0, 5.0, 6.0),
        (7.0, 8.0, 9.0),
        (1.5, 2.0, 3.5),
    ]
    assert all(type(v) is float for t in study.trials for v in t.values or ())


# -- user attributes ------------------------------------------------------------------


def test_study_user_attrs_are_stored(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage, study_name="s")
    study.set_user_attr("dataset", "iris")
    study.set_user_attr("folds", [1, 2, {"k": None}])
    study.set_user_attr("dataset", "wine")  # overwrite
    assert study.user_attrs == {"dataset": "wine", "folds": [1, 2, {"k": None}]}
    assert tl.load_study(study_name="s", storage=storage).user_attrs == study.user_attrs


@pytest.mark.parametrize("value", [object(), {1, 2}, b"bytes", {"k": object()}])
def test_study_user_attr_must_be_json(value: object) -> None:
    study = tl.create_study()
    with pytest.raises(ValueError, match="JSON"):
        study.set_user_attr("bad", value)
    assert study.user_attrs == {}


# -- stop and callbacks ---------------------------------------------------------------


def test_stop_from_a_callback_ends_optimize(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage)

    def stop_at_three(s: tl.Study, trial: tl.FrozenTrial) -> None:
        if trial.number == 2:
            s.stop()

    study.optimize(lambda t: t.suggest_float("x", 0, 1), callbacks=[stop_at_three])
    assert len(study.trials) == 3
    # stop() concerns the run in progress: the next optimize runs normally.
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    assert len(study.trials) == 5


def test_stop_from_inside_the_objective(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage)

    def objective(trial: tl.Trial) -> float:
        if trial.number == 4:
            trial.study.stop()
        return trial.suggest_float("x", 0, 1)

    study.optimize(objective, n_trials=100)
    assert len(study.trials) == 5
    assert study.trials[-1].state is COMPLETE


def test_stop_with_threads_stops_soon(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage)

    def stop_at_five(s: tl.Study, trial: tl.FrozenTrial) -> None:
        if len(s.get_trials(states=[COMPLETE])) >= 5:
            s.stop()

    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_jobs=2, callbacks=[stop_at_five])
    assert 5 <= len(study.trials) <= 8  # only trials already under way may still finish
    assert all(t.state is COMPLETE for t in study.trials)


def test_callbacks_see_every_finished_trial(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage)
    seen: list[tuple[int, tl.TrialState, bool]] = []

    def objective(trial: tl.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        if trial.number == 1:
            raise tl.TrialPruned()
        if trial.number == 2:
            raise KeyError("caught")
        if trial.number == 3:
            return math.nan
        return x

    def callback(s: tl.Study, trial: tl.FrozenTrial) -> None:
        seen.append((trial.number, trial.state, s is study))

    study.optimize(objective, n_trials=5, catch=[KeyError], callbacks=[callback, callback])
    expected = [COMPLETE, PRUNED, FAIL, FAIL, COMPLETE]
    assert seen == [(i, st, True) for i, st in enumerate(expected) for _ in range(2)]


def test_builtin_max_trials_callback_counts_the_whole_study(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    stopper = tl.callbacks.MaxTrialsCallback(5)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=10, callbacks=[stopper])
    assert len(study.trials) == 5


# -- enqueue_trial --------------------------------------------------------------------


def _enqueue_objective(trial: tl.Trial) -> float:
    x = trial.suggest_float("x", -10.0, 10.0)
    n = trial.suggest_int("n", 1, 8)
    kind = trial.suggest_categorical("kind", ["a", "b"])
    return x + n + (kind == "a")


def test_enqueued_configs_run_first_in_order(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage)
    study.optimize(_enqueue_objective, n_trials=2)
    study.enqueue_trial({"x": 1.5, "n": 2, "kind": "b"})
    study.enqueue_trial({"x": -3.0, "n": 7, "kind": "a"})
    study.enqueue_trial({"x": 0.0, "n": 1, "kind": "a"})
    study.optimize(_enqueue_objective, n_trials=5)
    params = [dict(t.params) for t in study.trials]
    assert params[2:5] == [
        {"x": 1.5, "n": 2, "kind": "b"},
        {"x": -3.0, "n": 7, "kind": "a"},
        {"x": 0.0, "n": 1, "kind": "a"},
    ]
    assert len(study.trials) == 7
    assert all(t.state is COMPLETE for t in study.trials)


def test_enqueued_trials_wait_until_claimed(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage)
    study.enqueue_trial({"x": 1.0})
    (waiting,) = study.trials
    assert waiting.state is tl.TrialState.WAITING
    assert waiting.params == {}
    trial = study.ask()
    assert trial.number == waiting.number
    assert trial.suggest_float("x", 0.0, 2.0) == 1.0


def test_unspecified_params_are_sampled(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage, sampler=tl.samplers.RandomSampler(seed=0))
    for _ in range(10):
        study.enqueue_trial({"kind": "a"})
    study.optimize(_enqueue_objective, n_trials=10)
    assert {t.params["kind"] for t in study.trials} == {"a"}
    assert len({t.params["x"] for t in study.trials}) == 10
    assert all(-10.0 <= t.params["x"] <= 10.0 for t in study.trials)


def test_enqueued_int_value_is_accepted_for_a_float(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage)
    study.enqueue_trial({"x": 2})
    study.optimize(_enqueue_objective, n_trials=1)
    value = study.trials[0].params["x"]
    assert value == 2.0 and type(value) is float


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"x": 50.0}, "x"),
        ({"n": 0}, "n"),
        ({"n": 2.5}, "n"),
        ({"kind": "c"}, "kind"),
        ({"x": "big"}, "x"),
    ],
)
def test_enqueued_value_outside_the_distribution_is_a_clear_error(
    storage: BaseStorage, params: dict, name: str
) -> None:
    study = tl.create_study(storage=storage)
    study.enqueue_trial(params)
    with pytest.raises(ValueError, match=rf"parameter '{name}'.*{params[name]!r}"):
        study.optimize(_enqueue_objective, n_trials=1)
    (failed,) = study.trials
    assert failed.state is FAIL
    assert f"parameter '{name}'" in str(failed.system_attrs["fail_reason"])


def test_enqueue_user_attrs(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage)
    study.enqueue_trial({"x": 1.0}, user_attrs={"why": "baseline", "rank": 1})
    study.optimize(_enqueue_objective, n_trials=1)
    assert study.trials[0].user_attrs == {"why": "baseline", "rank": 1}


def test_skip_if_exists(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage)
    study.enqueue_trial({"x": 1.0, "n": 2})
    study.enqueue_trial({"x": 1.0, "n": 2}, skip_if_exists=True)  # still waiting: skipped
    assert len(study.trials) == 1
    study.optimize(_enqueue_objective, n_trials=1)
    study.enqueue_trial({"x": 1.0, "n": 2}, skip_if_exists=True)  # already run: skipped
    study.enqueue_trial({"x": 1.0}, skip_if_exists=True)  # a subset matches too
    assert len(study.trials) == 1
    study.enqueue_trial({"x": 1.0, "n": 3}, skip_if_exists=True)  # new: enqueued
    study.enqueue_trial({"x": 1.0, "n": 2})  # without the flag: enqueued again
    assert len(study.trials) == 3


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        (([("x", 1.0)],), {}, "params"),
        (({"x": object()},), {}, "params"),
        (({"x": 1.0},), {"user_attrs": {"a": object()}}, "user_attrs"),
    ],
)
def test_enqueue_trial_rejects_bad_input(args: tuple, kwargs: dict, match: str) -> None:
    study = tl.create_study()
    with pytest.raises(ValueError, match=match):
        study.enqueue_trial(*args, **kwargs)
    assert study.trials == []


def test_repr_names_the_study() -> None:
    study = tl.create_study(study_name="my-study", direction="maximize")
    assert "my-study" in repr(study)
    assert "maximize" in repr(study)
