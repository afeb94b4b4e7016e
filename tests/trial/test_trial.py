from __future__ import annotations

import math
from typing import Any

import pytest

import tunelab as tl
from tunelab.exceptions import TrialFinishedError
from tunelab.pruners import BasePruner, PruneDecision
from tunelab.storages import BaseStorage


class PruneAfter(BasePruner):
    """Prune once a trial has reported ``n`` steps."""

    def __init__(self, n: int) -> None:
        self.n = n

    def prune(self, study: Any, trial: tl.FrozenTrial) -> PruneDecision:
        count = len(trial.intermediate_values)
        return PruneDecision(count >= self.n, f"reported {count} steps")


def test_number_params_and_distributions(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    trial = study.ask()
    assert trial.number == 2
    assert trial.params == {}
    x = trial.suggest_float("x", 0.0, 1.0)
    n = trial.suggest_int("n", 1, 3)
    assert trial.params == {"x": x, "n": n}
    assert set(trial.distributions) == {"x", "n"}
    assert repr(trial).startswith("Trial(number=2")
    # Returned dicts are copies: changing them changes nothing.
    trial.params["x"] = 99.0
    assert trial.params["x"] == x
    assert study.trials[2].params == {"x": x, "n": n}


def test_define_by_run_records_only_what_was_suggested(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage)
    study.enqueue_trial({"use_dropout": True})
    study.enqueue_trial({"use_dropout": False})

    def objective(trial: tl.Trial) -> float:
        if trial.suggest_categorical("use_dropout", [True, False]):
            return trial.suggest_float("rate", 0.0, 0.5)
        return 1.0

    study.optimize(objective, n_trials=2)
    first, second = study.trials
    assert set(first.params) == {"use_dropout", "rate"}
    assert set(second.params) == {"use_dropout"}


def test_report_stores_intermediate_values(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage)
    trial = study.ask()
    trial.report(0.9, step=0)
    trial.report(0.5, step=2)
    trial.report(math.nan, step=3)  # recorded as given
    assert trial.intermediate_values[0] == 0.9
    assert trial.intermediate_values[2] == 0.5
    assert math.isnan(trial.intermediate_values[3])
    stored = study.trials[0].intermediate_values
    assert stored[0] == 0.9 and stored[2] == 0.5 and math.isnan(stored[3])


def test_report_accepts_numpy_like_numbers() -> None:
    import numpy as np

    trial = tl.create_study().ask()
    trial.report(np.float32(0.5), step=np.int64(1))  # type: ignore[arg-type]
    assert trial.intermediate_values == {1: 0.5}
    assert all(type(k) is int for k in trial.intermediate_values)


def test_reporting_a_step_twice_warns_and_keeps_the_first(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage)
    trial = study.ask()
    trial.report(1.0, step=5)
    with pytest.warns(UserWarning, match="step 5"):
        trial.report(2.0, step=5)
    assert trial.intermediate_values == {5: 1.0}
    assert study.trials[0].intermediate_values == {5: 1.0}


@pytest.mark.parametrize(
    ("value", "step", "match"),
    [
        (1.0, -1, "step"),
        (1.0, 1.5, "step"),
        (1.0, "1", "step"),
        (1.0, True, "step"),
        ("0.5", 0, "value"),
        (None, 0, "value"),
        (True, 0, "value"),
        (complex(1, 1), 0, "value"),
    ],
)
def test_report_rejects_bad_arguments(value: Any, step: Any, match: str) -> None:
    trial = tl.create_study().ask()
    with pytest.raises(ValueError, match=match):
        trial.report(value, step)
    assert trial.intermediate_values == {}


def test_should_prune_asks_the_pruner_and_records_the_reason(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage, pruner=PruneAfter(2))
    trial = study.ask()
    assert trial.should_prune() is False  # nothing reported yet
    trial.report(1.0, step=0)
    assert trial.should_prune() is False
    trial.report(0.5, step=1)
    assert trial.should_prune() is True
    assert trial.system_attrs["prune_reason"] == "reported 2 steps"
    assert study.trials[0].system_attrs["prune_reason"] == "reported 2 steps"


def test_should_prune_before_any_report_never_consults_the_pruner() -> None:
    study = tl.create_study(pruner=PruneAfter(0))
    trial = study.ask()
    assert trial.should_prune() is False
    trial.report(1.0, step=0)
    assert trial.should_prune() is True


def test_default_pruner_never_prunes() -> None:
    trial = tl.create_study().ask()
    for step in range(5):
        trial.report(float(step), step)
        assert trial.should_prune() is False


def test_pruning_inside_optimize(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage, pruner=PruneAfter(3))

    def objective(trial: tl.Trial) -> float:
        for step in range(10):
            trial.report(10.0 - step, step)
            if trial.should_prune():
                raise tl.TrialPruned()
        return 0.0

    study.optimize(objective, n_trials=3)
    for trial in study.trials:
        assert trial.state is tl.TrialState.PRUNED
        assert trial.intermediate_values == {0: 10.0, 1: 9.0, 2: 8.0}
        assert trial.value == 8.0
        assert trial.system_attrs["prune_reason"] == "reported 3 steps"


def test_user_attrs(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage)
    trial = study.ask()
    trial.set_user_attr("lr_schedule", {"kind": "cosine", "warmup": [1, 2], "ok": True})
    trial.set_user_attr("score", 0.5)
    trial.set_user_attr("score", 0.75)  # overwrite
    trial.set_user_attr("nothing", None)
    expected = {
        "lr_schedule": {"kind": "cosine", "warmup": [1, 2], "ok": True},
        "score": 0.75,
        "nothing": None,
    }
    assert trial.user_attrs == expected
    assert study.tell(trial, 1.0).user_attrs == expected


@pytest.mark.parametrize("value", [object(), {1, 2}, b"raw", [1, object()], {3: {1, 2}}])
def test_user_attr_must_be_json(storage: BaseStorage, value: object) -> None:
    study = tl.create_study(storage=storage)
    trial = study.ask()
    with pytest.raises(ValueError, match="JSON"):
        trial.set_user_attr("bad", value)
    assert trial.user_attrs == {}
    assert study.trials[0].user_attrs == {}


def test_finished_trial_cannot_change(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage)
    trial = study.ask()
    study.tell(trial, 1.0)
    with pytest.raises(TrialFinishedError):
        trial.report(1.0, step=0)
    with pytest.raises(TrialFinishedError):
        trial.set_user_attr("late", 1)
    frozen = study.trials[0]
    assert frozen.intermediate_values == {} and frozen.user_attrs == {}


def test_snapshot_is_a_running_frozen_trial() -> None:
    trial = tl.create_study().ask()
    trial.suggest_int("n", 0, 3)
    trial.report(2.0, step=1)
    trial.set_user_attr("k", "v")
    snap = trial.snapshot()
    assert snap.state is tl.TrialState.RUNNING
    assert snap.number == trial.number
    assert snap.params == trial.params
    assert snap.intermediate_values == {1: 2.0}
    assert snap.user_attrs == {"k": "v"}
    trial.set_user_attr("k2", "v2")
    assert "k2" not in snap.user_attrs  # a snapshot never changes
